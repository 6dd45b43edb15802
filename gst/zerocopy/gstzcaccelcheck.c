/* GStreamer zero-copy library: the simulated accelerator's import checks
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What a driver checks when it imports a buffer for a job, before the job
 * is queued: on the submitter's thread, from metadata only (GstVideoMeta,
 * memory sizes), never touching pixels. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcaccelprivate.h"

#include <gst/allocators/allocators.h>

#define GST_CAT_DEFAULT gst_zc_accel_debug

static const gchar *
direction (gboolean output)
{
  return output ? "output" : "input";
}

static gboolean
check_format (const GstVideoInfo * info, gboolean output, GError ** error)
{
  const GstVideoFormat *formats;
  guint i, n;

  formats = gst_zc_accel_device_get_formats (&n);
  for (i = 0; i < n; i++)
    if (formats[i] == GST_VIDEO_INFO_FORMAT (info))
      return TRUE;

  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FORMAT,
      "the accelerator cannot %s %s frames", output ? "write" : "read",
      GST_VIDEO_INFO_NAME (info));
  return FALSE;
}

static gboolean
check_size (const GstZcAccelConstraints * c, const GstVideoInfo * info,
    gboolean output, GError ** error)
{
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);

  if (w >= 1 && h >= 1 && (guint) w <= c->max_width
      && (guint) h <= c->max_height)
    return TRUE;

  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_SIZE,
      "%s frame of %dx%d pixels is outside the accelerator's 1x1 to %ux%u",
      direction (output), w, h, c->max_width, c->max_height);
  return FALSE;
}

/* The buffer's GstVideoMeta, which must describe the frame of @info. */
static gboolean
get_layout (GstBuffer * buffer, const GstVideoInfo * info, gboolean output,
    gint stride[GST_VIDEO_MAX_PLANES], gsize offset[GST_VIDEO_MAX_PLANES],
    GError ** error)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buffer);
  guint p;

  if (meta && (meta->format != GST_VIDEO_INFO_FORMAT (info)
          || meta->width != (guint) GST_VIDEO_INFO_WIDTH (info)
          || meta->height != (guint) GST_VIDEO_INFO_HEIGHT (info)))
    goto wrong_meta;

  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    stride[p] = meta ? meta->stride[p] : GST_VIDEO_INFO_PLANE_STRIDE (info, p);
    offset[p] = meta ? meta->offset[p] : GST_VIDEO_INFO_PLANE_OFFSET (info, p);
  }
  return TRUE;

  /* ERRORS */
wrong_meta:
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FORMAT,
      "%s buffer holds a %s %ux%u frame, not the %s %dx%d submitted",
      direction (output), gst_video_format_to_string (meta->format),
      meta->width, meta->height, GST_VIDEO_INFO_NAME (info),
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
  return FALSE;
}

static gboolean
check_strides (const GstZcAccelConstraints * c, const GstVideoInfo * info,
    const gint stride[GST_VIDEO_MAX_PLANES], gboolean output,
    gboolean * bounce, GError ** error)
{
  guint p;

  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    if (stride[p] > 0 && stride[p] % c->stride_align == 0)
      continue;
    if (!output && c->fallback) {
      *bounce = TRUE;
      return TRUE;
    }
    g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_STRIDE,
        "%s plane %u has a stride of %d bytes, not a multiple of the "
        "accelerator's %u", direction (output), p, stride[p], c->stride_align);
    return FALSE;
  }
  return TRUE;
}

/* Bytes from the buffer start to the end of @plane's last pixel. */
static gsize
plane_end (const GstVideoInfo * info, guint plane, gint stride, gsize offset)
{
  gint comp[GST_VIDEO_MAX_COMPONENTS];
  gsize rows, row_bytes;

  gst_video_format_info_component (info->finfo, plane, comp);
  rows = GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
  row_bytes = (gsize) GST_VIDEO_INFO_COMP_WIDTH (info, comp[0]) *
      GST_VIDEO_INFO_COMP_PSTRIDE (info, comp[0]);
  return offset + (rows - 1) * stride + row_bytes;
}

static gboolean
check_memory (GstBuffer * buffer, const GstVideoInfo * info,
    const gint stride[GST_VIDEO_MAX_PLANES],
    const gsize offset[GST_VIDEO_MAX_PLANES], gboolean output, GError ** error)
{
  guint i, n = gst_buffer_n_memory (buffer);
  gsize size = gst_buffer_get_size (buffer);

  if (n == 0)
    goto not_fd;
  for (i = 0; i < n; i++)
    if (!gst_is_fd_memory (gst_buffer_peek_memory (buffer, i)))
      goto not_fd;

  for (i = 0; i < GST_VIDEO_INFO_N_PLANES (info); i++)
    if (plane_end (info, i, stride[i], offset[i]) > size)
      goto too_small;
  return TRUE;

  /* ERRORS */
not_fd:
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_MEMORY,
      "%s is not in dma-buf (or memfd) memory: the accelerator imports "
      "file descriptors only; upload it first", direction (output));
  return FALSE;
too_small:
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_MEMORY,
      "%s buffer of %" G_GSIZE_FORMAT " bytes is too small for plane %u of "
      "a %s %dx%d frame", direction (output), size, i,
      GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info));
  return FALSE;
}

/* Whether @buffer may be a job's input (@output FALSE) or output. An input
 * whose strides break the alignment is accepted with *@bounce set when
 * the fallback is on. */
gboolean
gst_zc_accel_check_frame (const GstZcAccelConstraints * c,
    GstBuffer * buffer, const GstVideoInfo * info, gboolean output,
    gboolean * bounce, GError ** error)
{
  gint stride[GST_VIDEO_MAX_PLANES];
  gsize offset[GST_VIDEO_MAX_PLANES];
  gboolean dummy = FALSE;

  if (!bounce)
    bounce = &dummy;
  *bounce = FALSE;

  return check_format (info, output, error)
      && check_size (c, info, output, error)
      && get_layout (buffer, info, output, stride, offset, error)
      && check_memory (buffer, info, stride, offset, output, error)
      && check_strides (c, info, stride, output, bounce, error);
}

/* The source rectangle: the input's GstVideoCropMeta, else the frame. */
gboolean
gst_zc_accel_get_crop (GstBuffer * input, const GstVideoInfo * info,
    GstVideoRectangle * crop, GError ** error)
{
  GstVideoCropMeta *meta = gst_buffer_get_video_crop_meta (input);
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);

  crop->x = crop->y = 0;
  crop->w = w;
  crop->h = h;
  if (!meta)
    return TRUE;
  if (meta->width == 0 || meta->height == 0 || meta->x + meta->width > (guint) w
      || meta->y + meta->height > (guint) h)
    goto outside;

  crop->x = meta->x;
  crop->y = meta->y;
  crop->w = meta->width;
  crop->h = meta->height;
  return TRUE;

  /* ERRORS */
outside:
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_SIZE,
      "crop rectangle %ux%u at %u,%u is not inside the %dx%d input frame",
      meta->width, meta->height, meta->x, meta->y, w, h);
  return FALSE;
}
