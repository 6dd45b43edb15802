/* zcv4l2src: choosing the pool of dma-bufs that capture writes into
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* For V4L2_MEMORY_DMABUF the driver writes a frame into a dma-buf the
 * way it would into its own buffer: sizeimage bytes from the start of
 * the dma-buf, lines bytesperline apart, the planes of a single-planar
 * format one after the other (kernel V4L2 docs, "Streaming I/O (DMA
 * buffer importing)" and the single-planar format layouts). A pool fits
 * when its buffers are laid out exactly so; a pool whose only difference
 * is a wider stride fits once the driver agrees to that bytesperline. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcv4l2import.h"
#include "gstzcv4l2device.h"

#include <gst/allocators/allocators.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_v4l2_import_debug);
#define GST_CAT_DEFAULT gst_zc_v4l2_import_debug

/* The queue needs 2 buffers to start and downstream holds at least one. */
#define MIN_POOL_BUFFERS 3

static void
debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_zc_v4l2_import_debug, "zcv4l2import", 0,
        "zcv4l2src: pools of dma-bufs to capture into");
    g_once_init_leave (&done, 1);
  }
}

/* Why @buf cannot take the driver's frames laid out as @info, or NULL
 * when it can. Buffers without a GstVideoMeta have the caps' default
 * layout, @caps_info. */
static const gchar *
layout_mismatch (GstBuffer * buf, const GstVideoInfo * info,
    const GstVideoInfo * caps_info)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
  GstMemory *mem;
  gsize offset, maxsize;
  guint p;

  if (gst_buffer_n_memory (buf) != 1)
    return "not one memory per frame";
  mem = gst_buffer_peek_memory (buf, 0);
  if (!gst_is_dmabuf_memory (mem))
    return "not dma-buf memory";
  gst_memory_get_sizes (mem, &offset, &maxsize);
  if (offset != 0)
    return "the frame does not start the dma-buf";
  if (maxsize < GST_VIDEO_INFO_SIZE (info))
    return "the dma-buf is smaller than sizeimage";
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    gint stride = meta ? meta->stride[p] : caps_info->stride[p];
    gsize plane_offset = meta ? meta->offset[p] : caps_info->offset[p];

    if (stride != info->stride[p])
      return "another stride";
    if (plane_offset != info->offset[p])
      return "another plane offset";
  }
  return NULL;
}

/* The pool's stride, when the buffer says it and it is not the driver's. */
static guint
other_stride (GstBuffer * buf, const GstVideoInfo * info)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);

  if (!meta || meta->stride[0] <= 0 || meta->stride[0] == info->stride[0])
    return 0;
  return meta->stride[0];
}

/* Activates @pool and looks at one of its buffers: whether it fits
 * @info, after asking the driver for the pool's stride if that is the
 * only difference (then @info takes the new layout). */
static gboolean
pool_fits (GstElement * element, gint fd, GstBufferPool * pool,
    GstCaps * caps, GstVideoInfo * info)
{
  GstBufferPoolAcquireParams params = {.flags =
        GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT
  };
  GstVideoInfo caps_info;
  GstBuffer *buf = NULL;
  const gchar *why;
  guint stride;

  if (!gst_video_info_from_caps (&caps_info, caps)
      || !gst_buffer_pool_set_active (pool, TRUE))
    return FALSE;
  if (gst_buffer_pool_acquire_buffer (pool, &buf, &params) != GST_FLOW_OK)
    goto no_buffer;

  why = layout_mismatch (buf, info, &caps_info);
  stride = other_stride (buf, info);
  if (why && stride && gst_zc_v4l2_device_set_bytesperline (fd, info, stride))
    why = layout_mismatch (buf, info, &caps_info);
  gst_buffer_unref (buf);
  if (why)
    goto mismatch;

  GST_DEBUG_OBJECT (element, "%" GST_PTR_FORMAT " fits: stride %d, %"
      G_GSIZE_FORMAT " bytes", pool, info->stride[0], info->size);
  return TRUE;

  /* ERRORS */
no_buffer:
  GST_INFO_OBJECT (element, "%" GST_PTR_FORMAT " gave no buffer", pool);
  gst_buffer_pool_set_active (pool, FALSE);
  return FALSE;
mismatch:
  GST_INFO_OBJECT (element, "%" GST_PTR_FORMAT " does not fit the driver's "
      "frames (bytesperline %d, sizeimage %" G_GSIZE_FORMAT "): %s", pool,
      info->stride[0], info->size, why);
  gst_buffer_pool_set_active (pool, FALSE);
  return FALSE;
}

/* Frames of @caps, sizeimage bytes, enough of them to capture with. */
static gboolean
configure (GstBufferPool * pool, GstCaps * caps, const GstVideoInfo * info,
    guint count, guint min, guint max)
{
  GstStructure *config;

  if (gst_buffer_pool_is_active (pool) && !gst_buffer_pool_set_active (pool,
          FALSE))
    return FALSE;
  min = MAX (min, count);
  if (max > 0 && max < MIN_POOL_BUFFERS)
    return FALSE;
  if (max > 0)
    min = MIN (min, max);
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, GST_VIDEO_INFO_SIZE (info),
      min, max);
  if (gst_buffer_pool_has_option (pool, GST_BUFFER_POOL_OPTION_VIDEO_META))
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
  return gst_buffer_pool_set_config (pool, config);
}

/* Downstream's first pool when it hands out dma-bufs. */
static GstBufferPool *
downstream_pool (GstQuery * query, guint * min, guint * max)
{
  GstBufferPool *pool = NULL;

  if (gst_query_get_n_allocation_pools (query) == 0)
    return NULL;
  gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, min, max);
  if (pool && !gst_zc_buffer_pool_is_dmabuf (pool))
    gst_clear_object (&pool);
  return pool;
}

/* A GstZcBufferPool on the first of the library's allocators among the
 * query's allocation params (a backend chosen downstream), else on an
 * auto one. */
static GstBufferPool *
own_pool (GstQuery * query, GstCaps * caps, const GstVideoInfo * info)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstAllocator *allocator = gst_zc_query_get_allocator (query);

  gst_buffer_pool_config_set_params (config, caps, GST_VIDEO_INFO_SIZE (info),
      0, 0);
  if (allocator) {
    gst_buffer_pool_config_set_allocator (config, allocator, NULL);
    gst_object_unref (allocator);
  }
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_set_config (pool, config);
  return pool;
}

/* @pool configured and active when it fits, else NULL; takes @pool. */
static GstBufferPool *
take_if_fits (GstElement * element, gint fd, GstBufferPool * pool,
    GstCaps * caps, GstVideoInfo * info, guint count, guint min, guint max)
{
  if (configure (pool, caps, info, count, min, max)
      && pool_fits (element, fd, pool, caps, info))
    return pool;
  gst_object_unref (pool);
  return NULL;
}

/* Returns: (transfer full) (nullable): an active pool whose dma-bufs the
 * driver can capture into, for frames of @caps laid out as @info (which
 * may take the pool's stride, see gst_zc_v4l2_device_set_bytesperline()):
 * downstream's first pool in @query when it hands out dma-bufs that fit;
 * else, when @forced, a GstZcBufferPool of the element's own (on the
 * library's allocator that @query names, if any); else NULL. @count:
 * buffers the driver is to have, the pool's minimum. */
GstBufferPool *
gst_zc_v4l2_import_choose_pool (GstElement * element, gint fd,
    GstQuery * query, GstCaps * caps, GstVideoInfo * info, guint count,
    gboolean forced)
{
  GstBufferPool *pool;
  guint min = 0, max = 0;

  debug_init ();
  pool = downstream_pool (query, &min, &max);
  if (pool) {
    pool = take_if_fits (element, fd, pool, caps, info, count, min, max);
    if (pool)
      return pool;
  } else {
    GST_INFO_OBJECT (element, "downstream offers no pool of dma-bufs");
  }
  if (!forced)
    return NULL;

  GST_INFO_OBJECT (element, "importing into dma-bufs of a pool of our own");
  return take_if_fits (element, fd, own_pool (query, caps, info), caps, info,
      count, 0, 0);
}
