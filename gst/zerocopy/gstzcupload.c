/* GStreamer zero-copy library: CPU frame access and copies into dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzcupload
 * @title: Frame access and uploads
 * @short_description: one SYNC bracket per dma-buf for a whole frame
 *
 * gst_video_frame_map() maps a buffer's memory once per plane that lives
 * in it: on a dma-buf holding all planes of an NV12 frame that is two
 * nested `DMA_BUF_IOCTL_SYNC` brackets, each a cache flush or invalidate
 * on hardware whose caches are not coherent. gst_zc_video_frame_map()
 * maps each memory once (through the library's CPU access, so dma-bufs of
 * other allocators are bracketed too) and maps the frame over those
 * mappings. gst_zc_buffer_upload() uses it to copy a frame into a dma-buf
 * inside one WRITE bracket (kernel dma-buf docs, "CPU Access to DMA Buffer
 * Objects"): after it returns, a device reading the dma-buf sees every
 * byte.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcupload.h"
#include "gstzccpuaccess.h"
#include "gstzcprivate.h"
#include "gstzcstats.h"

#include <string.h>
#include <gio/gio.h>

#define GST_CAT_DEFAULT gst_zc_cpu_debug

/* The CPU view of @buffer does not carry its GstVideoMeta (a meta tagged
 * "memory" is dropped when the memory is replaced): copy the layout. */
static void
add_layout_of (GstBuffer * dst, GstBuffer * src)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (src);

  if (meta && !gst_buffer_get_video_meta (dst))
    gst_buffer_add_video_meta_full (dst, meta->flags, meta->format,
        meta->width, meta->height, meta->n_planes, meta->offset, meta->stride);
}

static void
unmap_memories (GstZcVideoFrame * frame)
{
  gst_clear_buffer (&frame->pixels);
  while (frame->n_mapped > 0) {
    frame->n_mapped--;
    gst_memory_unmap (gst_buffer_peek_memory (frame->view, frame->n_mapped),
        &frame->maps[frame->n_mapped]);
  }
  gst_clear_buffer (&frame->view);
}

/* Each memory of @buffer mapped once (one SYNC_START per dma-buf), and a
 * system-memory buffer over those mappings, laid out like @buffer. */
static gboolean
map_memories (GstZcVideoFrame * frame, GstBuffer * buffer, GstMapFlags flags)
{
  guint n;

  frame->view = gst_zc_buffer_get_cpu_view (buffer);
  if (!frame->view)
    goto no_view;
  n = gst_buffer_n_memory (frame->view);
  if (n > G_N_ELEMENTS (frame->maps))
    goto too_many_memories;

  frame->pixels = gst_buffer_new ();
  for (frame->n_mapped = 0; frame->n_mapped < n; frame->n_mapped++) {
    GstMapInfo *map = &frame->maps[frame->n_mapped];

    if (!gst_memory_map (gst_buffer_peek_memory (frame->view,
                frame->n_mapped), map, flags))
      goto map_failed;
    gst_buffer_append_memory (frame->pixels, gst_memory_new_wrapped (0,
            map->data, map->size, 0, map->size, NULL, NULL));
  }
  add_layout_of (frame->pixels, buffer);
  return TRUE;

  /* ERRORS */
no_view:
  GST_WARNING ("no CPU view of %" GST_PTR_FORMAT, buffer);
  return FALSE;
too_many_memories:
  GST_WARNING ("%u memories in %" GST_PTR_FORMAT ": at most %u are mapped",
      n, buffer, (guint) G_N_ELEMENTS (frame->maps));
  unmap_memories (frame);
  return FALSE;
map_failed:
  GST_WARNING ("could not map memory %u of %" GST_PTR_FORMAT,
      frame->n_mapped, buffer);
  unmap_memories (frame);
  return FALSE;
}

/* Whether @buffer's #GstVideoMeta, if any, describes a frame of @info
 * that lies inside @buffer: gst_video_frame_map() takes a meta's strides
 * and offsets as they are (and fails with a critical when its plane count
 * differs), so a bogus meta from upstream would have the CPU read or write
 * outside the buffer. Strides must be positive and hold a row; tiled
 * layouts are left to gst_video_frame_map(). */
static gboolean
video_meta_fits (const GstVideoInfo * info, GstBuffer * buffer)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buffer);
  gsize size = gst_buffer_get_size (buffer);
  guint p;

  if (!meta)
    return TRUE;
  if (meta->format != GST_VIDEO_INFO_FORMAT (info)
      || (gint) meta->width < GST_VIDEO_INFO_WIDTH (info)
      || (gint) meta->height < GST_VIDEO_INFO_HEIGHT (info)
      || meta->n_planes != GST_VIDEO_INFO_N_PLANES (info))
    goto mismatch;
  if (GST_VIDEO_FORMAT_INFO_IS_TILED (info->finfo))
    return TRUE;
  for (p = 0; p < meta->n_planes; p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    guint64 rows, row_bytes;

    gst_video_format_info_component (info->finfo, p, comp);
    /* RGB8P's second plane is its palette, not a picture */
    if (comp[0] < 0 || (p > 0 && GST_VIDEO_FORMAT_INFO_HAS_PALETTE (info->finfo)))
      continue;
    rows = GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
    row_bytes = (guint64) GST_VIDEO_INFO_COMP_WIDTH (info, comp[0]) *
        GST_VIDEO_INFO_COMP_PSTRIDE (info, comp[0]);
    if (meta->stride[p] <= 0 || (guint64) meta->stride[p] < row_bytes
        || meta->offset[p] >= size
        || (size - meta->offset[p]) / meta->stride[p] < rows - 1
        || meta->offset[p] + (rows - 1) * meta->stride[p] + row_bytes > size)
      goto outside;
  }
  return TRUE;

  /* ERRORS */
mismatch:
  GST_WARNING ("video meta %s %ux%u with %u planes does not describe a %s "
      "%dx%d frame", gst_video_format_to_string (meta->format), meta->width,
      meta->height, meta->n_planes, GST_VIDEO_INFO_NAME (info),
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
  return FALSE;
outside:
  GST_WARNING ("video meta plane %u (offset %" G_GSIZE_FORMAT ", stride %d) "
      "does not fit a %s %dx%d frame in %" G_GSIZE_FORMAT " bytes", p,
      meta->offset[p], meta->stride[p], GST_VIDEO_INFO_NAME (info),
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info), size);
  return FALSE;
}

/**
 * gst_zc_video_frame_map:
 * @frame: (out caller-allocates): the frame to fill
 * @info: the frame's format and size; its strides and offsets are used
 *   only when @buffer has no #GstVideoMeta
 * @buffer: the buffer: dma-buf, memfd or system memory, one or several
 *   memories
 * @flags: %GST_MAP_READ and/or %GST_MAP_WRITE
 *
 * Maps every memory of @buffer once for @flags, which for a dma-buf is one
 * `DMA_BUF_IOCTL_SYNC` START with the direction of @flags (restarted on
 * EINTR/EAGAIN, dma-bufs of other allocators included: see
 * gst_zc_buffer_get_cpu_view()), and maps @frame over those mappings. The
 * SYNC END comes with gst_zc_video_frame_unmap(). Waiting for a device
 * that still writes @buffer is the caller's job (gst_zc_fence_wait_buffer()):
 * SYNC is cache coherency only.
 *
 * Returns: %TRUE when @frame is mapped; %FALSE (logged) when a dma-buf fd
 * could not be duplicated, a memory could not be mapped, or @buffer is too
 * small for @info and its #GstVideoMeta, or that meta does not describe a
 * frame of @info inside @buffer (other format, size or plane count; a
 * stride that is not positive or shorter than a row; a plane past the end).
 *
 * Since: 0.1
 */
gboolean
gst_zc_video_frame_map (GstZcVideoFrame * frame, const GstVideoInfo * info,
    GstBuffer * buffer, GstMapFlags flags)
{
  g_return_val_if_fail (frame != NULL, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);
  gst_zc_debug_init ();

  memset (frame, 0, sizeof (*frame));
  if (!video_meta_fits (info, buffer))
    return FALSE;
  if (!map_memories (frame, buffer, flags))
    return FALSE;
  if (!gst_video_frame_map (&frame->frame, (GstVideoInfo *) info,
          frame->pixels, flags))
    goto frame_map_failed;
  frame->frame_mapped = TRUE;
  return TRUE;

  /* ERRORS */
frame_map_failed:
  GST_WARNING ("%" GST_PTR_FORMAT " does not hold a %s %dx%d frame", buffer,
      GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info));
  unmap_memories (frame);
  return FALSE;
}

/**
 * gst_zc_video_frame_unmap:
 * @frame: a frame mapped with gst_zc_video_frame_map()
 *
 * Unmaps the frame and each memory: `DMA_BUF_IOCTL_SYNC` END for each
 * dma-buf, with the direction it was mapped with. After a WRITE mapping, a
 * device may read what the CPU wrote.
 *
 * Since: 0.1
 */
void
gst_zc_video_frame_unmap (GstZcVideoFrame * frame)
{
  g_return_if_fail (frame != NULL);

  if (frame->frame_mapped)
    gst_video_frame_unmap (&frame->frame);
  frame->frame_mapped = FALSE;
  unmap_memories (frame);
}

/**
 * gst_zc_buffer_upload:
 * @dest: the destination frame, usually dma-buf memory (a pool buffer);
 *   its #GstVideoMeta gives its layout, else @info's
 * @src: the source frame, any memory; its #GstVideoMeta gives its layout,
 *   else @info's
 * @info: the format and size of both frames
 * @error: return location for a #GError
 *
 * Copies the pixels of @src into @dest, writing each dma-buf of @dest
 * between one `DMA_BUF_IOCTL_SYNC` START|WRITE and END|WRITE pair (kernel
 * dma-buf docs, "CPU Access to DMA Buffer Objects"). Padding between rows
 * is not copied. It is a CPU copy of the whole frame: callers count it and
 * log it on `GST_PERFORMANCE`, so that no copy goes unnoticed.
 *
 * Returns: %TRUE when the frame was copied; %FALSE with @error set in the
 * %G_IO_ERROR domain: %G_IO_ERROR_INVALID_DATA when @src does not hold
 * such a frame, %G_IO_ERROR_FAILED when @dest could not be mapped for
 * writing.
 *
 * Since: 0.1
 */
gboolean
gst_zc_buffer_upload (GstBuffer * dest, GstBuffer * src,
    const GstVideoInfo * info, GError ** error)
{
  GstZcVideoFrame in, out;
  gboolean copied;

  g_return_val_if_fail (GST_IS_BUFFER (dest), FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (src), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (!gst_zc_video_frame_map (&in, info, src, GST_MAP_READ))
    goto bad_source;
  if (!gst_zc_video_frame_map (&out, info, dest, GST_MAP_WRITE))
    goto bad_dest;

  copied = gst_video_frame_copy (&out.frame, &in.frame);
  gst_zc_video_frame_unmap (&out);
  gst_zc_video_frame_unmap (&in);
  if (!copied)
    goto copy_failed;
  gst_zc_stats_add_helper_copy (GST_VIDEO_INFO_SIZE (info));

  GST_LOG ("uploaded a %s %dx%d frame into %" GST_PTR_FORMAT,
      GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), dest);
  return TRUE;

  /* ERRORS */
bad_source:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "the source does not hold a readable %s %dx%d frame",
      GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info));
  return FALSE;
bad_dest:
  gst_zc_video_frame_unmap (&in);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
      "the destination could not be mapped as a writable %s %dx%d frame",
      GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info));
  return FALSE;
copy_failed:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "gst_video_frame_copy() refused the %s %dx%d frames",
      GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info));
  return FALSE;
}
