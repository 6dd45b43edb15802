/* GStreamer zero-copy library: a CPU-signalled fence carried as buffer meta
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzcfencemeta
 * @title: GstZcFenceMeta
 * @short_description: the project's own fence, where the kernel has none
 *
 * A device writing a dma-buf marks it busy with an implicit fence in the
 * buffer's reservation object, and readers wait with `poll()` (kernel
 * dma-buf docs, "Implicit Fence Poll Support"). Memory that no kernel
 * driver can fence, memfd memory or a dma-buf whose exporter no fencing
 * driver can import, has no such place: #GstZcFenceMeta is the same
 * contract in user space. The writer adds it pending before it hands the
 * buffer out (gst_buffer_add_zc_fence_meta()), and signals it exactly once
 * when it is done (gst_zc_fence_meta_signal()), with an error if the work
 * failed or was cancelled; readers wait (gst_zc_fence_meta_wait()).
 *
 * Signalling is one-way: a signalled fence stays signalled. The fence
 * outlives the meta when a copy of the buffer shares it.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcfencemeta.h"

#include <gio/gio.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_fence_meta_debug);
#define GST_CAT_DEFAULT gst_zc_fence_meta_debug

/* Shared by the metas of a buffer and of its copies. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean signalled;
  GError *error;                /* why the writer gave up, or NULL */
} GstZcFence;

static void
fence_clear (GstZcFence * fence)
{
  g_clear_error (&fence->error);
  g_cond_clear (&fence->cond);
  g_mutex_clear (&fence->lock);
}

static GstZcFence *
fence_new (void)
{
  GstZcFence *fence = g_atomic_rc_box_new0 (GstZcFence);

  g_mutex_init (&fence->lock);
  g_cond_init (&fence->cond);
  return fence;
}

static void
fence_unref (GstZcFence * fence)
{
  g_atomic_rc_box_release_full (fence, (GDestroyNotify) fence_clear);
}

static gboolean
gst_zc_fence_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  ((GstZcFenceMeta *) meta)->fence = NULL;
  return TRUE;
}

static void
gst_zc_fence_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstZcFenceMeta *fmeta = (GstZcFenceMeta *) meta;

  if (fmeta->fence)
    fence_unref (fmeta->fence);
  fmeta->fence = NULL;
}

/* A copy is the same picture, written by the same device: it shares the
 * fence. Other transforms (a region, a scale) are new data: no fence. */
static gboolean
gst_zc_fence_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
{
  GstZcFenceMeta *src = (GstZcFenceMeta *) meta;
  GstZcFenceMeta *copy;

  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;

  copy = (GstZcFenceMeta *) gst_buffer_add_meta (dest,
      GST_ZC_FENCE_META_INFO, NULL);
  if (!copy)
    return FALSE;
  copy->fence = g_atomic_rc_box_acquire (src->fence);
  return TRUE;
}

/**
 * gst_zc_fence_meta_api_get_type:
 *
 * Returns: the #GType of the #GstZcFenceMeta API; it has no tags, so the
 * meta stays on a buffer through any transformation that keeps metas.
 *
 * Since: 0.1
 */
GType
gst_zc_fence_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type)) {
    GType api = gst_meta_api_type_register ("GstZcFenceMetaAPI", tags);
    g_once_init_leave (&type, api);
  }
  return type;
}

/**
 * gst_zc_fence_meta_get_info:
 *
 * Returns: (transfer none): the #GstMetaInfo of #GstZcFenceMeta.
 *
 * Since: 0.1
 */
const GstMetaInfo *
gst_zc_fence_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_ZC_FENCE_META_API_TYPE,
        "GstZcFenceMeta", sizeof (GstZcFenceMeta), gst_zc_fence_meta_init,
        gst_zc_fence_meta_free, gst_zc_fence_meta_transform);

    GST_DEBUG_CATEGORY_INIT (gst_zc_fence_meta_debug, "zcfencemeta", 0,
        "zero-copy library: fences signalled by the CPU");
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

/**
 * gst_buffer_add_zc_fence_meta:
 * @buffer: (transfer none): a writable buffer about to be written outside
 *   the caller's thread
 *
 * Marks @buffer busy: adds a new, pending fence. The writer keeps the
 * returned meta (and a reference to @buffer, so the meta lives) and calls
 * gst_zc_fence_meta_signal() exactly once when it is done.
 *
 * Returns: (transfer none): the new meta.
 *
 * Since: 0.1
 */
GstZcFenceMeta *
gst_buffer_add_zc_fence_meta (GstBuffer * buffer)
{
  GstZcFenceMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);

  meta = (GstZcFenceMeta *) gst_buffer_add_meta (buffer,
      GST_ZC_FENCE_META_INFO, NULL);
  meta->fence = fence_new ();
  GST_TRACE ("fence %p pending on %" GST_PTR_FORMAT, meta->fence, buffer);
  return meta;
}

/**
 * gst_zc_fence_meta_signal:
 * @meta: a #GstZcFenceMeta
 * @error: (nullable): why the writer did not finish (the buffer content
 *   is then undefined), or %NULL when it wrote everything
 *
 * Signals the fence: every waiter wakes up, now and later. Call it once;
 * further calls are ignored (a fence is signalled only once, as a kernel
 * `dma_fence` is), and logged.
 *
 * Since: 0.1
 */
void
gst_zc_fence_meta_signal (GstZcFenceMeta * meta, const GError * error)
{
  GstZcFence *fence;

  g_return_if_fail (meta != NULL && meta->fence != NULL);
  fence = meta->fence;

  g_mutex_lock (&fence->lock);
  if (fence->signalled)
    goto already_signalled;
  fence->signalled = TRUE;
  if (error)
    fence->error = g_error_copy (error);
  g_cond_broadcast (&fence->cond);
  g_mutex_unlock (&fence->lock);
  GST_TRACE ("fence %p signalled%s%s", fence, error ? ": " : "",
      error ? error->message : "");
  return;

  /* ERRORS */
already_signalled:
  g_mutex_unlock (&fence->lock);
  GST_WARNING ("fence %p signalled twice", fence);
}

/**
 * gst_zc_fence_meta_is_signalled:
 * @meta: a #GstZcFenceMeta
 *
 * Returns: %TRUE once the writer signalled the fence (successfully or
 * not); never blocks.
 *
 * Since: 0.1
 */
gboolean
gst_zc_fence_meta_is_signalled (GstZcFenceMeta * meta)
{
  GstZcFence *fence;
  gboolean ret;

  g_return_val_if_fail (meta != NULL && meta->fence != NULL, FALSE);
  fence = meta->fence;

  g_mutex_lock (&fence->lock);
  ret = fence->signalled;
  g_mutex_unlock (&fence->lock);
  return ret;
}

/* Waits until @deadline (monotonic µs, -1 for none). */
static gboolean
fence_wait_until (GstZcFence * fence, gint64 deadline, GError ** error)
{
  gboolean timed_out = FALSE;

  g_mutex_lock (&fence->lock);
  while (!fence->signalled && !timed_out) {
    if (deadline < 0)
      g_cond_wait (&fence->cond, &fence->lock);
    else
      timed_out = !g_cond_wait_until (&fence->cond, &fence->lock, deadline);
  }
  if (!fence->signalled)
    goto timed_out;
  if (fence->error)
    goto failed;
  g_mutex_unlock (&fence->lock);
  return TRUE;

  /* ERRORS */
timed_out:
  g_mutex_unlock (&fence->lock);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "the device did not signal its fence in time");
  return FALSE;
failed:
  if (error)
    *error = g_error_copy (fence->error);
  g_mutex_unlock (&fence->lock);
  return FALSE;
}

static gint64
deadline_from_timeout (GstClockTime timeout)
{
  if (!GST_CLOCK_TIME_IS_VALID (timeout))
    return -1;
  return g_get_monotonic_time () + timeout / GST_USECOND;
}

/**
 * gst_zc_fence_meta_wait:
 * @meta: a #GstZcFenceMeta
 * @timeout: the longest wait in nanoseconds, %GST_CLOCK_TIME_NONE for no
 *   limit, 0 to only check
 * @error: return location for a #GError
 *
 * Blocks until the writer signals the fence.
 *
 * Returns: %TRUE when the fence was signalled without an error; %FALSE
 * with @error set to %G_IO_ERROR_TIMED_OUT when @timeout passed first, or
 * to a copy of the writer's error (for example %GST_ZC_ACCEL_ERROR_CANCELLED
 * when the job was flushed: the content is undefined).
 *
 * Since: 0.1
 */
gboolean
gst_zc_fence_meta_wait (GstZcFenceMeta * meta, GstClockTime timeout,
    GError ** error)
{
  g_return_val_if_fail (meta != NULL && meta->fence != NULL, FALSE);

  return fence_wait_until (meta->fence, deadline_from_timeout (timeout), error);
}

/**
 * gst_zc_fence_meta_wait_buffer:
 * @buffer: a buffer
 * @timeout: the longest wait for all of @buffer's fences together, in
 *   nanoseconds, %GST_CLOCK_TIME_NONE for no limit
 * @error: return location for a #GError
 *
 * Waits for every #GstZcFenceMeta of @buffer; a buffer without one is
 * ready at once. This is the part of gst_zc_fence_wait_buffer() that does
 * not involve the kernel.
 *
 * Returns: %TRUE when every fence was signalled without error; %FALSE with
 * @error set as for gst_zc_fence_meta_wait().
 *
 * Since: 0.1
 */
gboolean
gst_zc_fence_meta_wait_buffer (GstBuffer * buffer, GstClockTime timeout,
    GError ** error)
{
  gint64 deadline = deadline_from_timeout (timeout);
  gpointer state = NULL;
  GstMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  while ((meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_ZC_FENCE_META_API_TYPE))) {
    if (!fence_wait_until (((GstZcFenceMeta *) meta)->fence, deadline, error))
      return FALSE;
  }
  return TRUE;
}
