/* GStreamer zero-copy library: video format <-> DRM fourcc table
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzcformat
 * @title: Formats
 * @short_description: GStreamer video formats and DRM fourccs
 *
 * GStreamer names packed RGB formats by their bytes in memory (BGRx is
 * B, G, R, x at increasing addresses); DRM fourccs (`drm_fourcc.h`)
 * describe a little-endian word from its most significant bits, so the
 * same bytes are DRM_FORMAT_XRGB8888. This table is the one place that
 * translates; every element of the project uses it. Layouts are linear
 * (modifier 0): GStreamer 1.22 has no DRM modifier caps.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcformat.h"

#include <drm_fourcc.h>

static const struct
{
  GstVideoFormat format;
  guint32 fourcc;
} format_table[] = {
  {GST_VIDEO_FORMAT_NV12, DRM_FORMAT_NV12},
  {GST_VIDEO_FORMAT_NV21, DRM_FORMAT_NV21},
  {GST_VIDEO_FORMAT_NV16, DRM_FORMAT_NV16},
  {GST_VIDEO_FORMAT_NV61, DRM_FORMAT_NV61},
  {GST_VIDEO_FORMAT_I420, DRM_FORMAT_YUV420},
  {GST_VIDEO_FORMAT_YV12, DRM_FORMAT_YVU420},
  {GST_VIDEO_FORMAT_Y42B, DRM_FORMAT_YUV422},
  {GST_VIDEO_FORMAT_YUY2, DRM_FORMAT_YUYV},
  {GST_VIDEO_FORMAT_UYVY, DRM_FORMAT_UYVY},
  {GST_VIDEO_FORMAT_YVYU, DRM_FORMAT_YVYU},
  {GST_VIDEO_FORMAT_VYUY, DRM_FORMAT_VYUY},
  {GST_VIDEO_FORMAT_BGRx, DRM_FORMAT_XRGB8888},
  {GST_VIDEO_FORMAT_BGRA, DRM_FORMAT_ARGB8888},
  {GST_VIDEO_FORMAT_RGBx, DRM_FORMAT_XBGR8888},
  {GST_VIDEO_FORMAT_RGBA, DRM_FORMAT_ABGR8888},
  {GST_VIDEO_FORMAT_xRGB, DRM_FORMAT_BGRX8888},
  {GST_VIDEO_FORMAT_ARGB, DRM_FORMAT_BGRA8888},
  {GST_VIDEO_FORMAT_xBGR, DRM_FORMAT_RGBX8888},
  {GST_VIDEO_FORMAT_ABGR, DRM_FORMAT_RGBA8888},
  {GST_VIDEO_FORMAT_RGB, DRM_FORMAT_BGR888},
  {GST_VIDEO_FORMAT_BGR, DRM_FORMAT_RGB888},
  {GST_VIDEO_FORMAT_RGB16, DRM_FORMAT_RGB565},
  {GST_VIDEO_FORMAT_GRAY8, DRM_FORMAT_R8},
  {GST_VIDEO_FORMAT_P010_10LE, DRM_FORMAT_P010},
};

/**
 * gst_zc_format_to_drm_fourcc:
 * @format: a #GstVideoFormat
 *
 * Returns: the DRM fourcc (`DRM_FORMAT_*`, linear) whose memory layout is
 * @format's, or 0 (`DRM_FORMAT_INVALID`) when DRM has none.
 *
 * Since: 0.1
 */
guint32
gst_zc_format_to_drm_fourcc (GstVideoFormat format)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (format_table); i++)
    if (format_table[i].format == format)
      return format_table[i].fourcc;
  return DRM_FORMAT_INVALID;
}

/**
 * gst_zc_format_from_drm_fourcc:
 * @fourcc: a DRM fourcc (`DRM_FORMAT_*`)
 *
 * Returns: the #GstVideoFormat with @fourcc's memory layout, or
 * %GST_VIDEO_FORMAT_UNKNOWN when the table has none.
 *
 * Since: 0.1
 */
GstVideoFormat
gst_zc_format_from_drm_fourcc (guint32 fourcc)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (format_table); i++)
    if (format_table[i].fourcc == fourcc)
      return format_table[i].format;
  return GST_VIDEO_FORMAT_UNKNOWN;
}

/**
 * gst_zc_format_list:
 * @n_formats: (out): the number of formats
 *
 * Returns: (transfer none) (array length=n_formats): every format of the
 * table, in the table's order (YUV first, then RGB).
 *
 * Since: 0.1
 */
const GstVideoFormat *
gst_zc_format_list (guint * n_formats)
{
  static GstVideoFormat formats[G_N_ELEMENTS (format_table)];
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    guint i;

    for (i = 0; i < G_N_ELEMENTS (format_table); i++)
      formats[i] = format_table[i].format;
    g_once_init_leave (&done, 1);
  }
  *n_formats = G_N_ELEMENTS (format_table);
  return formats;
}
