/* zcv4l2src: V4L2 pixel formats and GStreamer video formats
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcv4l2format.h"

#include <linux/videodev2.h>
#include <gst/allocators/allocators.h>

/* Single-planar V4L2 formats only (one buffer per frame). The names say
 * the byte order in memory on both sides, except where noted: V4L2 names
 * its 32-bit RGB formats after the little-endian word, GStreamer after the
 * bytes, hence XBGR32 = BGRx. When two fourccs give the same GStreamer
 * format, the first one is the one asked for. */
static const struct
{
  guint32 fourcc;
  GstVideoFormat format;
} formats[] = {
  {V4L2_PIX_FMT_YUYV, GST_VIDEO_FORMAT_YUY2},
  {V4L2_PIX_FMT_UYVY, GST_VIDEO_FORMAT_UYVY},
  {V4L2_PIX_FMT_YVYU, GST_VIDEO_FORMAT_YVYU},
  {V4L2_PIX_FMT_VYUY, GST_VIDEO_FORMAT_VYUY},
  {V4L2_PIX_FMT_NV12, GST_VIDEO_FORMAT_NV12},
  {V4L2_PIX_FMT_NV21, GST_VIDEO_FORMAT_NV21},
  {V4L2_PIX_FMT_NV16, GST_VIDEO_FORMAT_NV16},
  {V4L2_PIX_FMT_NV61, GST_VIDEO_FORMAT_NV61},
  {V4L2_PIX_FMT_YUV420, GST_VIDEO_FORMAT_I420},
  {V4L2_PIX_FMT_YVU420, GST_VIDEO_FORMAT_YV12},
  {V4L2_PIX_FMT_YUV422P, GST_VIDEO_FORMAT_Y42B},
  {V4L2_PIX_FMT_XBGR32, GST_VIDEO_FORMAT_BGRx},
  /* deprecated: the alpha byte's meaning is left to the driver */
  {V4L2_PIX_FMT_BGR32, GST_VIDEO_FORMAT_BGRx},
  {V4L2_PIX_FMT_ABGR32, GST_VIDEO_FORMAT_BGRA},
  {V4L2_PIX_FMT_XRGB32, GST_VIDEO_FORMAT_xRGB},
  {V4L2_PIX_FMT_RGB32, GST_VIDEO_FORMAT_xRGB},
  {V4L2_PIX_FMT_ARGB32, GST_VIDEO_FORMAT_ARGB},
  {V4L2_PIX_FMT_RGBX32, GST_VIDEO_FORMAT_RGBx},
  {V4L2_PIX_FMT_RGBA32, GST_VIDEO_FORMAT_RGBA},
  {V4L2_PIX_FMT_BGRX32, GST_VIDEO_FORMAT_xBGR},
  {V4L2_PIX_FMT_BGRA32, GST_VIDEO_FORMAT_ABGR},
  {V4L2_PIX_FMT_RGB24, GST_VIDEO_FORMAT_RGB},
  {V4L2_PIX_FMT_BGR24, GST_VIDEO_FORMAT_BGR},
  /* little-endian 5:6:5 words, GStreamer's RGB16 on little-endian hosts */
  {V4L2_PIX_FMT_RGB565, GST_VIDEO_FORMAT_RGB16},
  {V4L2_PIX_FMT_GREY, GST_VIDEO_FORMAT_GRAY8},
};

/* Returns: the GStreamer format of a V4L2 fourcc, or
 * %GST_VIDEO_FORMAT_UNKNOWN for one zcv4l2src does not capture. */
GstVideoFormat
gst_zc_v4l2_format_from_fourcc (guint32 fourcc)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    if (formats[i].fourcc == fourcc)
      return formats[i].format;
  }
  return GST_VIDEO_FORMAT_UNKNOWN;
}

/* Returns: the V4L2 fourcc to ask for @format, or 0. */
guint32
gst_zc_v4l2_format_to_fourcc (GstVideoFormat format)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    if (formats[i].format == format)
      return formats[i].fourcc;
  }
  return 0;
}

/* Takes @raw (system memory structures) and returns every structure twice:
 * first all with the memory:DMABuf feature, then @raw itself, so that
 * negotiation prefers dma-bufs and still works with elements that only
 * know system memory. */
GstCaps *
gst_zc_v4l2_format_dmabuf_first (GstCaps * raw)
{
  GstCaps *caps = gst_caps_copy (raw);

  gst_caps_set_features_simple (caps,
      gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
  gst_caps_append (caps, raw);

  return caps;
}

/* Returns: (transfer full): every format of the table, any size and rate. */
GstCaps *
gst_zc_v4l2_format_template_caps (void)
{
  GValue list = G_VALUE_INIT;
  GstCaps *raw;
  guint i;

  gst_value_list_init (&list, G_N_ELEMENTS (formats));
  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    GValue item = G_VALUE_INIT;

    /* The table maps some formats twice: list each once. */
    if (gst_zc_v4l2_format_to_fourcc (formats[i].format) != formats[i].fourcc)
      continue;
    g_value_init (&item, G_TYPE_STRING);
    g_value_set_static_string (&item,
        gst_video_format_to_string (formats[i].format));
    gst_value_list_append_and_take_value (&list, &item);
  }

  raw = gst_caps_new_empty_simple ("video/x-raw");
  gst_caps_set_value (raw, "format", &list);
  g_value_unset (&list);
  gst_caps_set_simple (raw,
      "width", GST_TYPE_INT_RANGE, 1, G_MAXINT,
      "height", GST_TYPE_INT_RANGE, 1, G_MAXINT,
      "framerate", GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, NULL);

  return gst_zc_v4l2_format_dmabuf_first (raw);
}

/* The first component stored in @plane. */
static guint
plane_component (const GstVideoFormatInfo * finfo, guint plane)
{
  guint c;

  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, c) == plane)
      return c;
  }
  return 0;
}

/* Rewrites the strides, plane offsets and size of @info (made from the
 * negotiated caps) with the layout the driver chose. A single-planar V4L2
 * buffer has one bytesperline, that of the first plane; the kernel's
 * format docs give the other planes the same number of samples per line
 * subsampled like the picture (a half-width chroma plane has half the
 * bytes, an interleaved CbCr plane as many), stored one after the other.
 *
 * Returns: %FALSE when @bytesperline is too small for the width or the
 * planes do not fit in @sizeimage bytes. */
gboolean
gst_zc_v4l2_format_layout (GstVideoInfo * info, guint bytesperline,
    gsize sizeimage)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  gint samples, plane_samples;
  gint64 stride;
  guint p, c;
  gsize offset = 0;

  /* 64 bits: a driver's width times the pixel stride may pass G_MAXINT */
  if (bytesperline > G_MAXINT || (guint64) bytesperline <
      (guint64) GST_VIDEO_INFO_COMP_WIDTH (info, 0) *
      GST_VIDEO_INFO_COMP_PSTRIDE (info, 0))
    return FALSE;

  samples = bytesperline / GST_VIDEO_INFO_COMP_PSTRIDE (info, 0);
  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    c = plane_component (finfo, p);
    plane_samples = GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, c, samples);
    stride = p == 0 ? bytesperline :
        (gint64) plane_samples * GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
    if (stride > G_MAXINT)
      return FALSE;
    info->offset[p] = offset;
    info->stride[p] = (gint) stride;
    offset += (gsize) info->stride[p] *
        GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, c,
        GST_VIDEO_INFO_HEIGHT (info));
  }
  if (offset > sizeimage)
    return FALSE;

  info->size = sizeimage;
  return TRUE;
}
