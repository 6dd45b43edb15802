/* GStreamer zero-copy library: allocation query helpers for elements
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzcallocation
 * @title: Allocation helpers
 * @short_description: the same pool choice in every element
 *
 * GStreamer elements agree on buffers through the ALLOCATION query: the
 * upstream element asks (decide_allocation), downstream answers
 * (propose_allocation). These helpers make every element of the project
 * answer and decide alike: offer a #GstZcBufferPool upstream, keep a
 * downstream pool when it hands out dma-buf memory (a display's scanout
 * buffers, another device's memory), and otherwise use a #GstZcBufferPool,
 * saying so in the log.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcallocation.h"
#include "gstzcbufferpool.h"
#include "gstzccontext.h"
#include "gstzcprivate.h"

#define GST_CAT_DEFAULT gst_zc_pool_debug

/**
 * gst_zc_buffer_pool_is_dmabuf:
 * @pool: a #GstBufferPool
 *
 * Whether @pool hands out dma-buf memory: a #GstZcBufferPool whose
 * allocator exports dma-bufs, or any pool configured with a
 * #GstDmaBufAllocator.
 *
 * Returns: %TRUE when the pool's buffers are dma-bufs.
 *
 * Since: 0.1
 */
gboolean
gst_zc_buffer_pool_is_dmabuf (GstBufferPool * pool)
{
  GstStructure *config;
  GstAllocator *allocator = NULL;
  gboolean ret;

  g_return_val_if_fail (GST_IS_BUFFER_POOL (pool), FALSE);

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_allocator (config, &allocator, NULL);
  if (!allocator && GST_IS_ZC_BUFFER_POOL (pool))
    allocator = gst_zc_buffer_pool_get_allocator (GST_ZC_BUFFER_POOL (pool));
  else if (allocator)
    gst_object_ref (allocator);

  ret = allocator && GST_IS_DMABUF_ALLOCATOR (allocator) &&
      (!GST_IS_ZC_DMABUF_ALLOCATOR (allocator) ||
      gst_zc_dmabuf_allocator_is_dmabuf (GST_ZC_DMABUF_ALLOCATOR (allocator)));

  gst_clear_object (&allocator);
  gst_structure_free (config);
  return ret;
}

/**
 * gst_zc_query_get_allocator:
 * @query: (nullable): an ALLOCATION query
 *
 * The first allocation param of @query that is a #GstZcDmabufAllocator:
 * the backend an element or downstream chose for the pool it will get.
 *
 * Returns: (transfer full) (nullable): that allocator, or %NULL when the
 * query carries none.
 *
 * Since: 0.1
 */
GstAllocator *
gst_zc_query_get_allocator (GstQuery * query)
{
  guint i;

  for (i = 0; query && i < gst_query_get_n_allocation_params (query); i++) {
    GstAllocator *allocator = NULL;

    gst_query_parse_nth_allocation_param (query, i, &allocator, NULL);
    if (allocator && GST_IS_ZC_DMABUF_ALLOCATOR (allocator))
      return allocator;
    gst_clear_object (&allocator);
  }
  return NULL;
}

/* A configured GstZcBufferPool for @caps, or NULL (logged). Its memory
 * comes from @allocator, or an auto allocator when NULL. */
static GstBufferPool *
new_pool (GstElement * element, GstCaps * caps, GstAllocator * allocator,
    guint min, guint max, guint * size)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, caps))
    goto wrong_caps;

  gst_buffer_pool_config_set_params (config, caps, info.size, min, max);
  if (allocator)
    gst_buffer_pool_config_set_allocator (config, allocator, NULL);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (!gst_buffer_pool_set_config (pool, config))
    goto config_failed;

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_params (config, NULL, size, NULL, NULL);
  gst_structure_free (config);
  return pool;

  /* ERRORS */
wrong_caps:
  GST_WARNING_OBJECT (element, "no zero-copy pool for non-video caps %"
      GST_PTR_FORMAT, caps);
  gst_structure_free (config);
  gst_object_unref (pool);
  return NULL;
config_failed:
  GST_WARNING_OBJECT (element, "zero-copy pool refused caps %"
      GST_PTR_FORMAT, caps);
  gst_object_unref (pool);
  return NULL;
}

/**
 * gst_zc_propose_allocation:
 * @element: the element answering (for logs)
 * @query: an ALLOCATION query from upstream
 * @min_buffers: buffers the element may hold at once (the pool's minimum)
 * @max_buffers: the pool's maximum, 0 for no limit
 *
 * Answers @query for a sink pad (GstBaseTransform::propose_allocation,
 * GstBaseSink::propose_allocation): adds %GST_VIDEO_META_API_TYPE and, when
 * upstream asked for a pool, a configured #GstZcBufferPool for the query's
 * caps with its allocator, so upstream can write straight into dma-bufs.
 *
 * Returns: %FALSE when the query has no caps or no pool could be made for
 * them (logged); the meta is added in any case.
 *
 * Since: 0.1
 */
gboolean
gst_zc_propose_allocation (GstElement * element, GstQuery * query,
    guint min_buffers, guint max_buffers)
{
  GstCaps *caps = NULL;
  GstBufferPool *pool;
  GstAllocator *allocator;
  gboolean need_pool = FALSE;
  guint size = 0;

  g_return_val_if_fail (GST_IS_QUERY (query), FALSE);

  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  gst_query_parse_allocation (query, &caps, &need_pool);
  if (!caps)
    return FALSE;
  if (!need_pool)
    return TRUE;

  pool = new_pool (element, caps, NULL, min_buffers, max_buffers, &size);
  if (!pool)
    return FALSE;

  allocator = gst_zc_buffer_pool_get_allocator (GST_ZC_BUFFER_POOL (pool));
  gst_query_add_allocation_param (query, allocator, NULL);
  gst_query_add_allocation_pool (query, pool, size, min_buffers,
      max_buffers);
  GST_DEBUG_OBJECT (element, "proposed %" GST_PTR_FORMAT " (%u bytes)",
      pool, size);

  gst_object_unref (allocator);
  gst_object_unref (pool);
  return TRUE;
}

/* Keeps the query's first pool if it gives dma-bufs (configured with video
 * meta where it knows the option). */
static gboolean
keep_downstream_pool (GstElement * element, GstQuery * query)
{
  GstBufferPool *pool = NULL;
  guint size, min, max;
  gboolean keep;

  if (gst_query_get_n_allocation_pools (query) == 0)
    return FALSE;
  gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
  if (!pool)
    return FALSE;

  keep = gst_zc_buffer_pool_is_dmabuf (pool);
  if (keep) {
    GST_DEBUG_OBJECT (element, "downstream offers dma-buf pool %"
        GST_PTR_FORMAT, pool);
  } else {
    GST_INFO_OBJECT (element, "downstream pool %" GST_PTR_FORMAT " does not "
        "hand out dma-bufs: falling back to a zero-copy pool of our own",
        pool);
  }
  gst_object_unref (pool);
  return keep;
}

/**
 * gst_zc_decide_allocation:
 * @element: the deciding element (for logs)
 * @query: the ALLOCATION query as downstream answered it
 * @min_buffers: buffers the element itself holds at once
 *
 * Decides a source pad's pool (GstBaseSrc/GstBaseTransform
 * ::decide_allocation, before chaining up or instead of it): keeps
 * downstream's first pool when it hands out dma-buf memory, else puts a
 * #GstZcBufferPool for the query's caps first in @query, logging the
 * fallback at INFO. The base classes then use the query's first pool.
 * The new pool allocates from the first #GstZcDmabufAllocator among the
 * query's allocation params (put it there to choose a backend), else from
 * the scanout allocator of a display downstream
 * (gst_zc_find_scanout_allocator(): this is how zero copy survives a tee),
 * else from an `auto` allocator. It holds at least @min_buffers and at
 * least the minimum of the query's first pool entry.
 *
 * Returns: %FALSE when no pool could be made for the caps (logged).
 *
 * Since: 0.1
 */
gboolean
gst_zc_decide_allocation (GstElement * element, GstQuery * query,
    guint min_buffers)
{
  GstCaps *caps = NULL;
  GstAllocator *allocator;
  GstBufferPool *pool;
  guint size = 0;

  g_return_val_if_fail (GST_IS_QUERY (query), FALSE);

  if (keep_downstream_pool (element, query))
    return TRUE;

  gst_query_parse_allocation (query, &caps, NULL);
  if (!caps)
    return FALSE;
  /* A tee answers with no pool but with the largest minimum of its
   * branches (plus one): the new pool must hold that many too. */
  if (gst_query_get_n_allocation_pools (query) > 0) {
    guint min = 0;

    gst_query_parse_nth_allocation_pool (query, 0, NULL, NULL, &min, NULL);
    min_buffers = MAX (min_buffers, min);
  }
  allocator = gst_zc_query_get_allocator (query);
  if (!allocator && element) {
    allocator = gst_zc_find_scanout_allocator (element);
    if (allocator)
      GST_INFO_OBJECT (element, "allocating from the display's scanout "
          "allocator %" GST_PTR_FORMAT, allocator);
  }
  pool = new_pool (element, caps, allocator, min_buffers, 0, &size);
  gst_clear_object (&allocator);
  if (!pool)
    return FALSE;

  if (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_set_nth_allocation_pool (query, 0, pool, size, min_buffers, 0);
  else
    gst_query_add_allocation_pool (query, pool, size, min_buffers, 0);

  gst_object_unref (pool);
  return TRUE;
}
