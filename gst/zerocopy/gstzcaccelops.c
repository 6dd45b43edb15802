/* GStreamer zero-copy library: the accelerator's convert, scale and orient
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A plan is what a real engine's driver computes once per configuration:
 * here the GstVideoConverter(s) and intermediate frames of one
 * (input, crop, output, orientation). Colour conversion, scaling and
 * cropping are GstVideoConverter's, configured as videoconvertscale's
 * defaults (bilinear, 2 taps): what `videoconvert ! videoscale` computes.
 * The converter cannot rotate (1.22), so orientation is done here, plane
 * by plane, on a frame the converter wrote in the output's format at the
 * pre-rotation size. Formats whose planes do not rotate as planes (packed
 * 4:2:2 such as YUY2, whose two luma samples share chroma; or chroma
 * subsampled in one direction only) are oriented in AYUV or ARGB and
 * converted once more. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcaccelprivate.h"

#include <string.h>

#define GST_CAT_DEFAULT gst_zc_accel_debug

struct _GstZcAccelPlan
{
  /* the configuration this plan is for */
  GstVideoInfo in_info;
  GstVideoRectangle crop;
  GstVideoInfo out_info;
  GstVideoOrientationMethod method;

  GstVideoInfo conv_out_info;   /* out_info with the input's rate */
  GstVideoConverter *convert;   /* input to output, or to tmp */
  GstVideoInfo tmp_info;        /* pre-orientation frame */
  GstBuffer *tmp;
  GstVideoConverter *convert2;  /* tmp2 to output, or NULL */
  GstVideoInfo tmp2_info;       /* oriented frame before convert2 */
  GstBuffer *tmp2;
};

gboolean
gst_zc_accel_method_swaps_axes (GstVideoOrientationMethod method)
{
  return method == GST_VIDEO_ORIENTATION_90R ||
      method == GST_VIDEO_ORIENTATION_90L ||
      method == GST_VIDEO_ORIENTATION_UL_LR ||
      method == GST_VIDEO_ORIENTATION_UR_LL;
}

/* Whether every plane is an array of whole pixels subsampled alike in
 * both directions: then orienting each plane orients the frame. */
static gboolean
orients_per_plane (const GstVideoFormatInfo * finfo)
{
  gint pstride[GST_VIDEO_MAX_PLANES] = { 0, };
  guint c;

  if (GST_VIDEO_FORMAT_INFO_IS_TILED (finfo))
    return FALSE;
  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    guint p = GST_VIDEO_FORMAT_INFO_PLANE (finfo, c);

    if (GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c) !=
        GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c))
      return FALSE;
    if (pstride[p] && pstride[p] != GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c))
      return FALSE;
    pstride[p] = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
  }
  return TRUE;
}

/* Options of videoconvertscale's defaults (method bilinear = linear with
 * 2 taps, linear chroma resampling, no dithering at quantization 1) and
 * the source rectangle. One thread: the engine is one worker. */
static GstStructure *
converter_config (const GstVideoRectangle * crop)
{
  GstStructure *config = gst_structure_new ("GstZcAccelConverter",
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
      GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
      GST_VIDEO_RESAMPLER_OPT_MAX_TAPS, G_TYPE_INT, 2,
      GST_VIDEO_CONVERTER_OPT_CHROMA_RESAMPLER_METHOD,
      GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
      GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
      GST_VIDEO_DITHER_NONE,
      GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT, 1, NULL);

  if (crop)
    gst_structure_set (config,
        GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT, crop->x,
        GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, crop->y,
        GST_VIDEO_CONVERTER_OPT_SRC_WIDTH, G_TYPE_INT, crop->w,
        GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT, G_TYPE_INT, crop->h, NULL);
  return config;
}

/* A frame of @format laid out like @like (colorimetry, chroma siting),
 * @width x @height pixels, in system memory. */
static GstBuffer *
new_intermediate (GstVideoInfo * info, GstVideoFormat format, guint width,
    guint height, const GstVideoInfo * like)
{
  gst_video_info_set_interlaced_format (info, format,
      GST_VIDEO_INFO_INTERLACE_MODE (like), width, height);
  info->colorimetry = like->colorimetry;
  info->chroma_site = like->chroma_site;
  info->par_n = like->par_n;
  info->par_d = like->par_d;
  info->fps_n = like->fps_n;
  info->fps_d = like->fps_d;
  return gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
}

static gboolean
plan_converters (GstZcAccelPlan * plan)
{
  const GstVideoInfo *out = &plan->conv_out_info;
  guint w = GST_VIDEO_INFO_WIDTH (out), h = GST_VIDEO_INFO_HEIGHT (out);
  GstVideoFormat tmp_format;

  if (plan->method == GST_VIDEO_ORIENTATION_IDENTITY) {
    plan->convert = gst_video_converter_new (&plan->in_info, out,
        converter_config (&plan->crop));
    return plan->convert != NULL;
  }

  if (gst_zc_accel_method_swaps_axes (plan->method)) {
    w = GST_VIDEO_INFO_HEIGHT (out);
    h = GST_VIDEO_INFO_WIDTH (out);
  }
  tmp_format = GST_VIDEO_INFO_FORMAT (out);
  if (!orients_per_plane (out->finfo)) {
    tmp_format = GST_VIDEO_INFO_IS_YUV (out) ? GST_VIDEO_FORMAT_AYUV :
        GST_VIDEO_FORMAT_ARGB;
    plan->tmp2 = new_intermediate (&plan->tmp2_info, tmp_format,
        GST_VIDEO_INFO_WIDTH (out), GST_VIDEO_INFO_HEIGHT (out), out);
    plan->convert2 = gst_video_converter_new (&plan->tmp2_info, out,
        converter_config (NULL));
    if (!plan->convert2)
      return FALSE;
  }
  plan->tmp = new_intermediate (&plan->tmp_info, tmp_format, w, h, out);
  plan->convert = gst_video_converter_new (&plan->in_info, &plan->tmp_info,
      converter_config (&plan->crop));
  return plan->convert != NULL;
}

GstZcAccelPlan *
gst_zc_accel_plan_new (const GstVideoInfo * in_info,
    const GstVideoRectangle * crop, const GstVideoInfo * out_info,
    GstVideoOrientationMethod method, GError ** error)
{
  GstZcAccelPlan *plan = g_new0 (GstZcAccelPlan, 1);

  plan->in_info = *in_info;
  plan->crop = *crop;
  plan->out_info = *out_info;
  plan->method = method;
  /* GstVideoConverter asserts that both sides share the frame rate and
   * interlacing: one frame at a time, the device has no use for either
   * to differ. */
  plan->conv_out_info = *out_info;
  plan->conv_out_info.fps_n = in_info->fps_n;
  plan->conv_out_info.fps_d = in_info->fps_d;
  GST_VIDEO_INFO_INTERLACE_MODE (&plan->conv_out_info) =
      GST_VIDEO_INFO_INTERLACE_MODE (in_info);
  if (!plan_converters (plan))
    goto no_converter;

  GST_DEBUG ("plan: %s %dx%d (crop %d,%d %dx%d) -> %s %dx%d, orientation %d"
      "%s", GST_VIDEO_INFO_NAME (in_info), GST_VIDEO_INFO_WIDTH (in_info),
      GST_VIDEO_INFO_HEIGHT (in_info), crop->x, crop->y, crop->w, crop->h,
      GST_VIDEO_INFO_NAME (out_info), GST_VIDEO_INFO_WIDTH (out_info),
      GST_VIDEO_INFO_HEIGHT (out_info), method,
      plan->convert2 ? ", oriented in 4:4:4" : "");
  return plan;

  /* ERRORS */
no_converter:
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FAILED,
      "no conversion from %s to %s", GST_VIDEO_INFO_NAME (in_info),
      GST_VIDEO_INFO_NAME (out_info));
  gst_zc_accel_plan_free (plan);
  return NULL;
}

gboolean
gst_zc_accel_plan_matches (GstZcAccelPlan * plan,
    const GstVideoInfo * in_info, const GstVideoRectangle * crop,
    const GstVideoInfo * out_info, GstVideoOrientationMethod method)
{
  return plan->method == method &&
      memcmp (&plan->crop, crop, sizeof (*crop)) == 0 &&
      gst_video_info_is_equal (&plan->in_info, in_info) &&
      gst_video_info_is_equal (&plan->out_info, out_info) &&
      gst_video_colorimetry_is_equal (&plan->in_info.colorimetry,
      &in_info->colorimetry) &&
      gst_video_colorimetry_is_equal (&plan->out_info.colorimetry,
      &out_info->colorimetry);
}

void
gst_zc_accel_plan_free (GstZcAccelPlan * plan)
{
  if (plan->convert)
    gst_video_converter_free (plan->convert);
  if (plan->convert2)
    gst_video_converter_free (plan->convert2);
  gst_clear_buffer (&plan->tmp);
  gst_clear_buffer (&plan->tmp2);
  g_free (plan);
}

/* ---- orientation, plane by plane ---- */

/* Where destination row @y starts in the source plane (@w x @h pixels of
 * @ps bytes), and the byte step to the source of the next destination
 * pixel: each method is a walk over the source. */
static const guint8 *
row_source (GstVideoOrientationMethod method, const guint8 * src,
    gint stride, gint w, gint h, gint ps, gint y, gssize * step)
{
  gint x0 = 0, y0 = y;

  *step = ps;
  switch (method) {
    case GST_VIDEO_ORIENTATION_HORIZ:
      x0 = w - 1, *step = -ps;
      break;
    case GST_VIDEO_ORIENTATION_VERT:
      y0 = h - 1 - y;
      break;
    case GST_VIDEO_ORIENTATION_180:
      x0 = w - 1, y0 = h - 1 - y, *step = -ps;
      break;
    case GST_VIDEO_ORIENTATION_90R:
      x0 = y, y0 = h - 1, *step = -stride;
      break;
    case GST_VIDEO_ORIENTATION_90L:
      x0 = w - 1 - y, y0 = 0, *step = stride;
      break;
    case GST_VIDEO_ORIENTATION_UL_LR:
      x0 = y, y0 = 0, *step = stride;
      break;
    case GST_VIDEO_ORIENTATION_UR_LL:
      x0 = w - 1 - y, y0 = h - 1, *step = -stride;
      break;
    default:
      break;
  }
  return src + y0 * (gssize) stride + x0 * (gssize) ps;
}

/* Fixed sizes let the compiler turn each memcpy into one move. */
static void
copy_row (guint8 * dst, const guint8 * src, gssize step, gint n, gint ps)
{
  gint i;

  switch (ps) {
    case 1:
      for (i = 0; i < n; i++)
        dst[i] = src[i * step];
      break;
    case 2:
      for (i = 0; i < n; i++)
        memcpy (dst + 2 * i, src + i * step, 2);
      break;
    case 4:
      for (i = 0; i < n; i++)
        memcpy (dst + 4 * i, src + i * step, 4);
      break;
    default:
      for (i = 0; i < n; i++)
        memcpy (dst + ps * i, src + i * step, ps);
      break;
  }
}

static void
orient_plane (const GstVideoFrame * src, GstVideoFrame * dst, guint plane,
    GstVideoOrientationMethod method)
{
  gint comp[GST_VIDEO_MAX_COMPONENTS];
  const guint8 *s = GST_VIDEO_FRAME_PLANE_DATA (src, plane);
  guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (dst, plane);
  gint s_stride = GST_VIDEO_FRAME_PLANE_STRIDE (src, plane);
  gint d_stride = GST_VIDEO_FRAME_PLANE_STRIDE (dst, plane);
  gint w, h, dw, dh, ps, y;

  gst_video_format_info_component (src->info.finfo, plane, comp);
  w = GST_VIDEO_FRAME_COMP_WIDTH (src, comp[0]);
  h = GST_VIDEO_FRAME_COMP_HEIGHT (src, comp[0]);
  ps = GST_VIDEO_FRAME_COMP_PSTRIDE (src, comp[0]);
  dw = GST_VIDEO_FRAME_COMP_WIDTH (dst, comp[0]);
  dh = GST_VIDEO_FRAME_COMP_HEIGHT (dst, comp[0]);
  /* The plan sized both frames: a mismatch is a bug, not bad input. */
  g_return_if_fail (gst_zc_accel_method_swaps_axes (method) ?
      (dw == h && dh == w) : (dw == w && dh == h));

  for (y = 0; y < dh; y++) {
    gssize step;
    const guint8 *row = row_source (method, s, s_stride, w, h, ps, y, &step);

    copy_row (d + (gssize) y * d_stride, row, step, dw, ps);
  }
}

static void
orient_frame (const GstVideoFrame * src, GstVideoFrame * dst,
    GstVideoOrientationMethod method)
{
  guint p;

  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (src); p++)
    orient_plane (src, dst, p, method);
}

/* ---- running a plan ---- */

static gboolean
run_oriented (GstZcAccelPlan * plan, const GstVideoFrame * in,
    GstVideoFrame * out)
{
  GstVideoFrame tmp, tmp2;

  if (!gst_video_frame_map (&tmp, &plan->tmp_info, plan->tmp,
          GST_MAP_READWRITE))
    return FALSE;
  gst_video_converter_frame (plan->convert, in, &tmp);

  if (!plan->convert2) {
    orient_frame (&tmp, out, plan->method);
  } else if (gst_video_frame_map (&tmp2, &plan->tmp2_info, plan->tmp2,
          GST_MAP_READWRITE)) {
    orient_frame (&tmp, &tmp2, plan->method);
    gst_video_converter_frame (plan->convert2, &tmp2, out);
    gst_video_frame_unmap (&tmp2);
  } else {
    gst_video_frame_unmap (&tmp);
    return FALSE;
  }
  gst_video_frame_unmap (&tmp);
  return TRUE;
}

/* @in and @out are mapped (their SYNC brackets open) by the caller. */
gboolean
gst_zc_accel_plan_run (GstZcAccelPlan * plan, const GstVideoFrame * in,
    GstVideoFrame * out)
{
  if (plan->method == GST_VIDEO_ORIENTATION_IDENTITY) {
    gst_video_converter_frame (plan->convert, in, out);
    return TRUE;
  }
  return run_oriented (plan, in, out);
}
