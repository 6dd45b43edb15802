/* GStreamer zero-copy library: the scanout context shared through a tee
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzccontext
 * @title: Scanout context
 * @short_description: allocate where the display scans out, across a tee
 *
 * A display sink offers upstream a pool of its own scanout buffers in the
 * ALLOCATION query. That offer does not cross a `tee` with more than one
 * branch: tee answers with a size and a minimum but no pool and no
 * allocator, since one buffer goes to every branch. An element upstream
 * of the tee would then allocate memory the display may not import (a
 * virtio-gpu display imports no foreign dma-buf) and the sink would copy
 * every frame.
 *
 * The scanout context carries the display's allocator past the tee by
 * GStreamer's context negotiation (the GstContext design document): the
 * display sink answers CONTEXT queries of type
 * %GST_ZC_CONTEXT_TYPE_SCANOUT and posts the context on the bus when it
 * opens its device, so the bin hands it to elements that ask for it
 * later. A producer deciding its pool (gst_zc_decide_allocation()) looks
 * it up with gst_zc_find_scanout_allocator() and, when downstream gave no
 * pool, allocates from the display's device: every branch then gets the
 * same dma-bufs, which the display scans out as they are and the CPU
 * branches map under SYNC brackets.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzccontext.h"
#include "gstzcprivate.h"

#define GST_CAT_DEFAULT gst_zc_pool_debug

/**
 * gst_zc_context_new_scanout:
 * @allocator: the allocator of buffers the display scans out (a
 *   #GstZcDmabufAllocator on its DRM device)
 * @device: (nullable): the DRM device node, for logs and applications
 *
 * Makes the scanout context a display sink answers with. It is not
 * persistent: it describes one open display and goes with it.
 *
 * Returns: (transfer full): a new #GstContext of type
 * %GST_ZC_CONTEXT_TYPE_SCANOUT.
 *
 * Since: 0.1
 */
GstContext *
gst_zc_context_new_scanout (GstAllocator * allocator, const gchar * device)
{
  GstContext *context;
  GstStructure *s;

  g_return_val_if_fail (GST_IS_ALLOCATOR (allocator), NULL);

  context = gst_context_new (GST_ZC_CONTEXT_TYPE_SCANOUT, FALSE);
  s = gst_context_writable_structure (context);
  gst_structure_set (s, "allocator", GST_TYPE_ALLOCATOR, allocator, NULL);
  if (device)
    gst_structure_set (s, "device", G_TYPE_STRING, device, NULL);
  return context;
}

/**
 * gst_zc_context_get_scanout_allocator:
 * @context: a #GstContext
 *
 * Returns: (transfer full) (nullable): the scanout allocator of @context,
 * or %NULL when @context is not of type %GST_ZC_CONTEXT_TYPE_SCANOUT or
 * carries no allocator.
 *
 * Since: 0.1
 */
GstAllocator *
gst_zc_context_get_scanout_allocator (GstContext * context)
{
  const GstStructure *s;
  GstAllocator *allocator = NULL;

  g_return_val_if_fail (GST_IS_CONTEXT (context), NULL);

  if (!gst_context_has_context_type (context, GST_ZC_CONTEXT_TYPE_SCANOUT))
    return NULL;
  s = gst_context_get_structure (context);
  if (!gst_structure_get (s, "allocator", GST_TYPE_ALLOCATOR, &allocator,
          NULL))
    return NULL;
  return allocator;
}

/**
 * gst_zc_context_answer_scanout_query:
 * @query: a CONTEXT query
 * @allocator: (nullable): the display's scanout allocator, %NULL when the
 *   display is not open
 * @device: (nullable): the DRM device node
 *
 * Answers @query for a display sink (GstBaseSink::query) when it asks for
 * %GST_ZC_CONTEXT_TYPE_SCANOUT and @allocator is set.
 *
 * Returns: %TRUE when @query was answered, %FALSE when it asks for another
 * context type or there is no allocator (chain up then).
 *
 * Since: 0.1
 */
gboolean
gst_zc_context_answer_scanout_query (GstQuery * query,
    GstAllocator * allocator, const gchar * device)
{
  const gchar *type = NULL;
  GstContext *context;

  g_return_val_if_fail (GST_IS_QUERY (query), FALSE);

  if (GST_QUERY_TYPE (query) != GST_QUERY_CONTEXT || !allocator)
    return FALSE;
  if (!gst_query_parse_context_type (query, &type)
      || g_strcmp0 (type, GST_ZC_CONTEXT_TYPE_SCANOUT) != 0)
    return FALSE;

  context = gst_zc_context_new_scanout (allocator, device);
  gst_query_set_context (query, context);
  gst_context_unref (context);
  return TRUE;
}

/* A CONTEXT query for the scanout type on every source pad's peer. */
static GstContext *
query_downstream (GstElement * element)
{
  GstContext *context = NULL;
  GstIterator *it = gst_element_iterate_src_pads (element);
  GValue item = G_VALUE_INIT;
  gboolean done = FALSE;

  while (!done && !context) {
    switch (gst_iterator_next (it, &item)) {
      case GST_ITERATOR_OK:{
        GstPad *pad = g_value_get_object (&item);
        GstQuery *query = gst_query_new_context (GST_ZC_CONTEXT_TYPE_SCANOUT);

        if (gst_pad_peer_query (pad, query)) {
          gst_query_parse_context (query, &context);
          if (context)
            gst_context_ref (context);
        }
        gst_query_unref (query);
        g_value_reset (&item);
        break;
      }
      case GST_ITERATOR_RESYNC:
        gst_iterator_resync (it);
        break;
      default:
        done = TRUE;
        break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return context;
}

/**
 * gst_zc_find_scanout_allocator:
 * @element: an element deciding the pool of its source pad
 *
 * Finds the allocator of the display downstream of @element, following
 * GStreamer's context negotiation: a context already set on @element
 * (gst_element_set_context(), by the application or by the bin from the
 * display's have-context message), else a CONTEXT query downstream (it
 * crosses tee and queue), else a need-context message on the bus, which
 * the bin or the application may answer synchronously.
 *
 * Call it from the streaming thread while deciding allocation, once the
 * display sink is open (READY to PAUSED, which happens before data flows).
 *
 * Returns: (transfer full) (nullable): the display's scanout allocator,
 * or %NULL when no display sink downstream offered one.
 *
 * Since: 0.1
 */
GstAllocator *
gst_zc_find_scanout_allocator (GstElement * element)
{
  GstContext *context;
  GstAllocator *allocator = NULL;

  g_return_val_if_fail (GST_IS_ELEMENT (element), NULL);
  /* It logs in the pool's category, which may not exist yet: the first
   * pool of the process is made after this. */
  gst_zc_debug_init ();

  context = gst_element_get_context (element, GST_ZC_CONTEXT_TYPE_SCANOUT);
  if (!context) {
    context = query_downstream (element);
    if (context)
      gst_element_set_context (element, context);
  }
  if (!context) {
    GstMessage *msg = gst_message_new_need_context (GST_OBJECT (element),
        GST_ZC_CONTEXT_TYPE_SCANOUT);

    gst_element_post_message (element, msg);
    context = gst_element_get_context (element, GST_ZC_CONTEXT_TYPE_SCANOUT);
  }
  if (!context) {
    GST_DEBUG_OBJECT (element, "no display downstream offers a scanout "
        "allocator");
    return NULL;
  }

  allocator = gst_zc_context_get_scanout_allocator (context);
  GST_DEBUG_OBJECT (element, "scanout allocator %" GST_PTR_FORMAT " from %"
      GST_PTR_FORMAT, allocator, context);
  gst_context_unref (context);
  return allocator;
}
