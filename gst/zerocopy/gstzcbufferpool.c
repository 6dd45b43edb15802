/* GStreamer zero-copy library: video buffer pool of dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzcbufferpool
 * @title: GstZcBufferPool
 * @short_description: a video buffer pool of dma-bufs
 *
 * A #GstBufferPool whose buffers are video frames in memory of a
 * #GstZcDmabufAllocator (the config's allocator, or an `auto` one when the
 * config has none). Its config takes:
 *
 * - caps (a #GstVideoInfo), min and max buffers: acquiring blocks once max
 *   buffers are out, and returns %GST_FLOW_FLUSHING when the pool is set
 *   flushing or inactive;
 * - %GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT with a #GstVideoAlignment
 *   (padding, stride masks), or gst_zc_buffer_pool_config_set_stride_align()
 *   for a stride alignment in bytes;
 * - %GST_ZC_BUFFER_POOL_OPTION_DMABUF_PER_PLANE for one dma-buf per plane;
 *   by default all planes share one dma-buf at their offsets.
 *
 * With the `drm` backend, single-plane frames are dumb buffers of the
 * frame's shape (width, height, bits per pixel) and the driver's pitch is
 * the stride, so that a display can scan them out (drivers such as
 * virtio-gpu size their host resource from the shape).
 *
 * Every buffer carries a #GstVideoMeta with the strides and plane offsets
 * (bytes from the start of the buffer), so map frames with
 * gst_video_frame_map(). Buffers, their dma-bufs and their mappings are
 * reused: after the pool is warm, acquiring allocates nothing and maps
 * nothing.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcbufferpool.h"
#include "gstzcprivate.h"

#define GST_CAT_DEFAULT gst_zc_pool_debug

struct _GstZcBufferPool
{
  GstBufferPool parent;

  GstAllocator *allocator;
  GstAllocationParams params;
  GstVideoInfo info;            /* aligned: strides and offsets of buffers */
  GstVideoAlignment align;
  gboolean per_plane;
  guint dumb_bpp;               /* > 0: frames are shaped dumb buffers */
  gboolean configured;

  gint n_allocated;             /* atomic */
};

G_DEFINE_TYPE_WITH_CODE (GstZcBufferPool, gst_zc_buffer_pool,
    GST_TYPE_BUFFER_POOL, gst_zc_debug_init ());

static const gchar **
gst_zc_buffer_pool_get_options (GstBufferPool * pool)
{
  static const gchar *options[] = {
    GST_BUFFER_POOL_OPTION_VIDEO_META,
    GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT,
    GST_ZC_BUFFER_POOL_OPTION_DMABUF_PER_PLANE,
    NULL
  };

  return options;
}

/* The config's allocator if it is the project's, else an auto one (kept
 * from an earlier config when there is one). */
static gboolean
take_allocator (GstZcBufferPool * self, GstStructure * config)
{
  GstAllocator *allocator = NULL;
  GError *error = NULL;

  gst_buffer_pool_config_get_allocator (config, &allocator, &self->params);
  if (allocator && !GST_IS_ZC_DMABUF_ALLOCATOR (allocator))
    goto wrong_allocator;

  if (allocator) {
    gst_object_replace ((GstObject **) & self->allocator,
        GST_OBJECT_CAST (allocator));
  } else if (!self->allocator) {
    self->allocator = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_AUTO, NULL,
        &error);
    if (!self->allocator)
      goto no_allocator;
  }
  return TRUE;

  /* ERRORS */
wrong_allocator:
  GST_WARNING_OBJECT (self, "allocator %" GST_PTR_FORMAT " is not a "
      "GstZcDmabufAllocator", allocator);
  return FALSE;
no_allocator:
  GST_ERROR_OBJECT (self, "no dma-buf allocator: %s", error->message);
  g_clear_error (&error);
  return FALSE;
}

static gboolean
has_padding (const GstVideoAlignment * align)
{
  return align->padding_top || align->padding_bottom || align->padding_left
      || align->padding_right;
}

/* For single-plane frames on the drm backend: probes a dumb buffer of the
 * frame's shape and takes the driver's pitch and size into @info. Returns
 * the bits per pixel used, or 0 to allocate plain byte buffers. */
static guint
probe_dumb_layout (GstZcBufferPool * self, GstVideoInfo * info)
{
  guint bpp = GST_VIDEO_INFO_COMP_PSTRIDE (info, 0) * 8;
  guint pitch = 0, stride_mask = self->align.stride_align[0];
  GError *error = NULL;
  GstMemory *probe;

  if (gst_zc_dmabuf_allocator_get_backend (GST_ZC_DMABUF_ALLOCATOR
          (self->allocator)) != GST_ZC_BACKEND_DRM
      || GST_VIDEO_INFO_N_PLANES (info) != 1 || self->per_plane
      || has_padding (&self->align) || bpp == 0)
    return 0;

  probe = gst_zc_dmabuf_allocator_alloc_dumb (self->allocator,
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info), bpp, &pitch,
      &error);
  if (!probe)
    goto refused;
  if (pitch & stride_mask || pitch < (guint) GST_VIDEO_INFO_PLANE_STRIDE (info,
          0))
    goto bad_pitch;

  GST_VIDEO_INFO_PLANE_STRIDE (info, 0) = pitch;
  GST_VIDEO_INFO_SIZE (info) = probe->maxsize;
  gst_memory_unref (probe);
  return bpp;

  /* ERRORS */
refused:
  GST_DEBUG_OBJECT (self, "no shaped dumb buffer (%s): byte buffers",
      error->message);
  g_clear_error (&error);
  return 0;
bad_pitch:
  GST_DEBUG_OBJECT (self, "driver pitch %u does not fit the alignment: "
      "byte buffers", pitch);
  gst_memory_unref (probe);
  return 0;
}

/* Whether every plane of @info has a positive stride that holds a row and
 * ends inside the frame: GstVideoInfo computes strides in int, and a row
 * past G_MAXINT bytes wraps them (seen with RGB 1022410755 pixels wide). */
static gboolean
layout_fits (const GstVideoInfo * info)
{
  guint p;

  if (GST_VIDEO_FORMAT_INFO_IS_TILED (info->finfo))
    return TRUE;
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gint stride = GST_VIDEO_INFO_PLANE_STRIDE (info, p);
    guint64 rows, row_bytes;

    gst_video_format_info_component (info->finfo, p, comp);
    /* RGB8P's second plane is its palette, not a picture */
    if (comp[0] < 0 || (p > 0 && GST_VIDEO_FORMAT_INFO_HAS_PALETTE
            (info->finfo)))
      continue;
    rows = GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
    row_bytes = (guint64) GST_VIDEO_INFO_COMP_WIDTH (info, comp[0]) *
        GST_VIDEO_INFO_COMP_PSTRIDE (info, comp[0]);
    if (stride <= 0 || (guint64) stride < row_bytes
        || GST_VIDEO_INFO_PLANE_OFFSET (info, p) + (rows - 1) * stride +
        row_bytes > GST_VIDEO_INFO_SIZE (info))
      return FALSE;
  }
  return TRUE;
}

static gboolean
gst_zc_buffer_pool_set_config (GstBufferPool * pool, GstStructure * config)
{
  GstZcBufferPool *self = GST_ZC_BUFFER_POOL (pool);
  GstCaps *caps;
  GstVideoInfo info;
  guint size, min, max;

  if (!gst_buffer_pool_config_get_params (config, &caps, &size, &min, &max))
    goto wrong_config;
  if (!caps || !gst_video_info_from_caps (&info, caps))
    goto wrong_caps;
  /* GstVideoInfo takes any int: a frame has at least one pixel */
  if (GST_VIDEO_INFO_WIDTH (&info) <= 0 || GST_VIDEO_INFO_HEIGHT (&info) <= 0)
    goto wrong_size;
  if (!take_allocator (self, config))
    return FALSE;

  gst_video_alignment_reset (&self->align);
  if (gst_buffer_pool_config_has_option (config,
          GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT))
    gst_buffer_pool_config_get_video_alignment (config, &self->align);
  if (!gst_video_info_align (&info, &self->align) || !layout_fits (&info))
    goto wrong_alignment;

  self->per_plane = gst_buffer_pool_config_has_option (config,
      GST_ZC_BUFFER_POOL_OPTION_DMABUF_PER_PLANE);
  self->dumb_bpp = probe_dumb_layout (self, &info);
  self->info = info;
  self->configured = TRUE;

  GST_DEBUG_OBJECT (self, "%s %dx%d, %" G_GSIZE_FORMAT " bytes a frame, "
      "%s, buffers %u..%u", GST_VIDEO_INFO_NAME (&info),
      GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
      GST_VIDEO_INFO_SIZE (&info),
      self->per_plane ? "a dma-buf per plane" : "one dma-buf", min, max);

  /* The frame size follows from caps and alignment, not the caller. */
  gst_buffer_pool_config_set_params (config, caps, GST_VIDEO_INFO_SIZE (&info),
      min, max);
  return GST_BUFFER_POOL_CLASS (gst_zc_buffer_pool_parent_class)->set_config
      (pool, config);

  /* ERRORS */
wrong_config:
  GST_WARNING_OBJECT (self, "invalid config %" GST_PTR_FORMAT, config);
  return FALSE;
wrong_caps:
  GST_WARNING_OBJECT (self, "no video caps in config %" GST_PTR_FORMAT,
      config);
  return FALSE;
wrong_size:
  GST_WARNING_OBJECT (self, "no frame of %dx%d pixels",
      GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info));
  return FALSE;
wrong_alignment:
  GST_WARNING_OBJECT (self, "no layout (strides, offsets) within int for %"
      GST_PTR_FORMAT, caps);
  return FALSE;
}

/* Bytes from plane @plane's offset to the next plane (or the frame end). */
static gsize
plane_size (const GstVideoInfo * info, guint plane)
{
  if (plane + 1 < GST_VIDEO_INFO_N_PLANES (info))
    return GST_VIDEO_INFO_PLANE_OFFSET (info, plane + 1) -
        GST_VIDEO_INFO_PLANE_OFFSET (info, plane);
  return GST_VIDEO_INFO_SIZE (info) - GST_VIDEO_INFO_PLANE_OFFSET (info,
      plane);
}

static gboolean
append_memory (GstZcBufferPool * self, GstBuffer * buffer, gsize size)
{
  GstMemory *mem = gst_allocator_alloc (self->allocator, size, &self->params);

  if (!mem)
    return FALSE;
  gst_buffer_append_memory (buffer, mem);
  return TRUE;
}

static gboolean
append_dumb (GstZcBufferPool * self, GstBuffer * buffer)
{
  GError *error = NULL;
  GstMemory *mem;
  guint pitch = 0;

  mem = gst_zc_dmabuf_allocator_alloc_dumb (self->allocator,
      GST_VIDEO_INFO_WIDTH (&self->info), GST_VIDEO_INFO_HEIGHT (&self->info),
      self->dumb_bpp, &pitch, &error);
  if (!mem) {
    GST_ERROR_OBJECT (self, "%s", error->message);
    g_clear_error (&error);
    return FALSE;
  }
  /* The driver answers the same shape with the same pitch. */
  g_warn_if_fail (pitch == (guint) GST_VIDEO_INFO_PLANE_STRIDE (&self->info,
          0));
  gst_buffer_append_memory (buffer, mem);
  return TRUE;
}

static GstFlowReturn
gst_zc_buffer_pool_alloc_buffer (GstBufferPool * pool, GstBuffer ** buffer,
    GstBufferPoolAcquireParams * params)
{
  GstZcBufferPool *self = GST_ZC_BUFFER_POOL (pool);
  GstVideoInfo *info = &self->info;
  GstVideoMeta *meta;
  GstBuffer *buf;
  guint i;

  buf = gst_buffer_new ();
  if (self->dumb_bpp) {
    if (!append_dumb (self, buf))
      goto no_memory;
  } else if (!self->per_plane) {
    if (!append_memory (self, buf, GST_VIDEO_INFO_SIZE (info)))
      goto no_memory;
  } else {
    for (i = 0; i < GST_VIDEO_INFO_N_PLANES (info); i++)
      if (!append_memory (self, buf, plane_size (info, i)))
        goto no_memory;
  }

  /* Offsets count from the start of the buffer; in per-plane mode each
   * plane's memory is exactly its plane, so they are the same. */
  meta = gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info),
      info->offset, info->stride);
  gst_video_meta_set_alignment (meta, self->align);
  /* Kept across reuse: the layout is the pool's, not the user's. */
  GST_META_FLAG_SET (meta, GST_META_FLAG_POOLED | GST_META_FLAG_LOCKED);

  g_atomic_int_inc (&self->n_allocated);
  *buffer = buf;
  return GST_FLOW_OK;

  /* ERRORS */
no_memory:
  GST_ERROR_OBJECT (self, "could not allocate a %s %dx%d frame (%"
      G_GSIZE_FORMAT " bytes)", GST_VIDEO_INFO_NAME (info),
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info),
      GST_VIDEO_INFO_SIZE (info));
  gst_buffer_unref (buf);
  return GST_FLOW_ERROR;
}

static void
gst_zc_buffer_pool_finalize (GObject * object)
{
  GstZcBufferPool *self = GST_ZC_BUFFER_POOL (object);

  gst_clear_object (&self->allocator);

  G_OBJECT_CLASS (gst_zc_buffer_pool_parent_class)->finalize (object);
}

static void
gst_zc_buffer_pool_class_init (GstZcBufferPoolClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstBufferPoolClass *pool_class = GST_BUFFER_POOL_CLASS (klass);

  gobject_class->finalize = gst_zc_buffer_pool_finalize;
  pool_class->get_options = gst_zc_buffer_pool_get_options;
  pool_class->set_config = gst_zc_buffer_pool_set_config;
  pool_class->alloc_buffer = gst_zc_buffer_pool_alloc_buffer;
}

static void
gst_zc_buffer_pool_init (GstZcBufferPool * self)
{
  gst_allocation_params_init (&self->params);
  gst_video_alignment_reset (&self->align);
}

/**
 * gst_zc_buffer_pool_new:
 *
 * Makes a pool; configure it with gst_buffer_pool_set_config() (video caps
 * are required) before activating it.
 *
 * Returns: (transfer full): a new #GstZcBufferPool.
 *
 * Since: 0.1
 */
GstBufferPool *
gst_zc_buffer_pool_new (void)
{
  GstBufferPool *pool = g_object_new (GST_TYPE_ZC_BUFFER_POOL, NULL);

  return gst_object_ref_sink (pool);
}

/**
 * gst_zc_buffer_pool_config_set_stride_align:
 * @config: a pool config
 * @align: the stride alignment in bytes, a power of two (1 = none)
 *
 * Asks that every plane's stride be a multiple of @align bytes (e.g. 64 or
 * 256 for devices with DMA burst or tiling constraints), by setting
 * %GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT with stride masks of @align - 1.
 * Padding already in @config's alignment is kept.
 *
 * Since: 0.1
 */
void
gst_zc_buffer_pool_config_set_stride_align (GstStructure * config, guint align)
{
  GstVideoAlignment video_align;
  guint i;

  g_return_if_fail (config != NULL);
  g_return_if_fail (align > 0 && (align & (align - 1)) == 0);

  gst_video_alignment_reset (&video_align);
  if (gst_buffer_pool_config_has_option (config,
          GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT))
    gst_buffer_pool_config_get_video_alignment (config, &video_align);
  for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
    video_align.stride_align[i] = align - 1;

  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
  gst_buffer_pool_config_set_video_alignment (config, &video_align);
}

/**
 * gst_zc_buffer_pool_get_video_info:
 * @pool: a #GstZcBufferPool
 * @info: (out caller-allocates): the layout of the pool's frames
 *
 * The frame layout after alignment: strides and plane offsets in bytes,
 * size of a whole frame.
 *
 * Returns: %FALSE when the pool was never configured.
 *
 * Since: 0.1
 */
gboolean
gst_zc_buffer_pool_get_video_info (GstZcBufferPool * pool, GstVideoInfo * info)
{
  g_return_val_if_fail (GST_IS_ZC_BUFFER_POOL (pool), FALSE);

  if (!pool->configured)
    return FALSE;
  *info = pool->info;
  return TRUE;
}

/**
 * gst_zc_buffer_pool_get_allocator:
 * @pool: a #GstZcBufferPool
 *
 * Returns: (transfer full) (nullable): the allocator of the pool's memory,
 * %NULL before the pool is configured.
 *
 * Since: 0.1
 */
GstAllocator *
gst_zc_buffer_pool_get_allocator (GstZcBufferPool * pool)
{
  g_return_val_if_fail (GST_IS_ZC_BUFFER_POOL (pool), NULL);

  return pool->allocator ? gst_object_ref (pool->allocator) : NULL;
}

/**
 * gst_zc_buffer_pool_get_n_allocated:
 * @pool: a #GstZcBufferPool
 *
 * Returns: how many buffers the pool has allocated in its life: it stops
 * growing once the pool is warm (buffers are reused).
 *
 * Since: 0.1
 */
guint
gst_zc_buffer_pool_get_n_allocated (GstZcBufferPool * pool)
{
  g_return_val_if_fail (GST_IS_ZC_BUFFER_POOL (pool), 0);

  return g_atomic_int_get (&pool->n_allocated);
}
