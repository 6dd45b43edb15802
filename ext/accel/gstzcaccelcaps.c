/* zcaccel: caps of the accelerator element (any supported format, any size)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Negotiation as `videoconvert ! videoscale` does it: either side offers
 * every format the device handles at any size, and the output is fixated
 * to the input's format when downstream accepts it (else the closest one)
 * and to a size that keeps the input's display aspect ratio, the input's
 * height when possible. Orientations that swap axes swap the input's
 * size and pixel aspect ratio before that. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcaccelcaps.h"

#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY_EXTERN (gst_zc_accel_element_debug);
#define GST_CAT_DEFAULT gst_zc_accel_element_debug

/* memory:DMABuf first, then system memory: the device reads and writes
 * fd memory either way, and dma-bufs are what it is for. */
GstCaps *
gst_zc_accel_caps_template (void)
{
  const GstVideoFormat *formats;
  GstCaps *caps;
  guint n;

  formats = gst_zc_accel_device_get_formats (&n);
  caps = gst_video_make_raw_caps_with_features (formats, n,
      gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
  gst_caps_append (caps, gst_video_make_raw_caps (formats, n));
  return caps;
}

/* @result with @s added without what the device changes, in both memory
 * features. */
static GstCaps *
merge_unconstrained (GstCaps * result, const GstStructure * s,
    guint max_width, guint max_height)
{
  GstStructure *u = gst_structure_copy (s);

  gst_structure_remove_fields (u, "format", "colorimetry", "chroma-site", NULL);
  gst_structure_set (u, "width", GST_TYPE_INT_RANGE, 1, (gint) max_width,
      "height", GST_TYPE_INT_RANGE, 1, (gint) max_height, NULL);
  if (gst_structure_has_field (u, "pixel-aspect-ratio"))
    gst_structure_set (u, "pixel-aspect-ratio", GST_TYPE_FRACTION_RANGE, 1,
        G_MAXINT, G_MAXINT, 1, NULL);

  result = gst_caps_merge_structure_full (result, gst_structure_copy (u),
      gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
  return gst_caps_merge_structure_full (result, u,
      gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY, NULL));
}

/* The caps of the other pad for @caps: any supported format, sizes up to
 * @max_width x @max_height (the device's limits on the output side; no
 * limit on the input side, where a too large frame is refused with a
 * clear error when it arrives). */
GstCaps *
gst_zc_accel_caps_transform (GstCaps * caps, guint max_width,
    guint max_height, GstCaps * filter)
{
  GstCaps *result = gst_caps_new_empty ();
  GstCaps *templ = gst_zc_accel_caps_template ();
  GstCaps *ret;
  guint i;

  /* An unlinked peer answers ANY: any size, any format. */
  if (gst_caps_is_any (caps)) {
    GstStructure *any = gst_structure_new_empty ("video/x-raw");

    result = merge_unconstrained (result, any, max_width, max_height);
    gst_structure_free (any);
  }
  for (i = 0; i < gst_caps_get_size (caps); i++) {
    if (gst_caps_features_is_any (gst_caps_get_features (caps, i)))
      continue;
    result = merge_unconstrained (result, gst_caps_get_structure (caps, i),
        max_width, max_height);
  }
  ret = gst_caps_intersect_full (result, templ, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref (result);
  gst_caps_unref (templ);

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, ret,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (ret);
    ret = tmp;
  }
  return ret;
}

/* 0 for the same format, 1 for the same family (YUV, RGB, gray), 2 for
 * another: the loss of converting to @candidate. */
static guint
format_distance (GstVideoFormat in, const gchar * candidate)
{
  GstVideoFormat out = gst_video_format_from_string (candidate);
  const GstVideoFormatInfo *a = gst_video_format_get_info (in);
  const GstVideoFormatInfo *b = gst_video_format_get_info (out);
  const GstVideoFormatFlags family = GST_VIDEO_FORMAT_FLAG_YUV |
      GST_VIDEO_FORMAT_FLAG_RGB | GST_VIDEO_FORMAT_FLAG_GRAY;

  if (out == in)
    return 0;
  if (out != GST_VIDEO_FORMAT_UNKNOWN && (GST_VIDEO_FORMAT_INFO_FLAGS (a) &
          family) == (GST_VIDEO_FORMAT_INFO_FLAGS (b) & family))
    return 1;
  return 2;
}

static void
fixate_format (const GstStructure * ins, GstStructure * outs)
{
  const GValue *list = gst_structure_get_value (outs, "format");
  GstVideoFormat in = gst_video_format_from_string
      (gst_structure_get_string (ins, "format"));
  const gchar *best = NULL;
  guint i, best_distance = G_MAXUINT;

  if (!list || !GST_VALUE_HOLDS_LIST (list))
    return;
  for (i = 0; i < gst_value_list_get_size (list); i++) {
    const gchar *f = g_value_get_string (gst_value_list_get_value (list, i));
    guint d = format_distance (in, f);

    if (d < best_distance) {
      best = f;
      best_distance = d;
    }
  }
  if (best)
    gst_structure_fixate_field_string (outs, "format", best);
}

static gboolean
is_fixed (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);

  return v && gst_value_is_fixed (v);
}

/* @outs's width from its height (@w_from_h) or the other way round, so
 * that its display aspect ratio is @dar with its pixel aspect ratio. */
static gboolean
fixate_other_side (GstStructure * outs, gint dar_n, gint dar_d,
    gboolean w_from_h)
{
  const gchar *known = w_from_h ? "height" : "width";
  const gchar *other = w_from_h ? "width" : "height";
  gint par_n = 1, par_d = 1, n, d, value, target;

  gst_structure_get_fraction (outs, "pixel-aspect-ratio", &par_n, &par_d);
  gst_structure_get_int (outs, known, &value);
  /* width = height * DAR / PAR */
  if (!gst_util_fraction_multiply (dar_n, dar_d, par_d, par_n, &n, &d))
    return FALSE;
  target = w_from_h ? gst_util_uint64_scale_int_round (value, n, d) :
      gst_util_uint64_scale_int_round (value, d, n);
  gst_structure_fixate_field_nearest_int (outs, other, MAX (target, 1));
  gst_structure_get_int (outs, other, &value);
  return value == MAX (target, 1);
}

/* Neither side fixed: the input's height if the width that follows fits,
 * else the input's width. */
static void
fixate_free_size (GstStructure * outs, gint in_w, gint in_h, gint dar_n,
    gint dar_d)
{
  GstStructure *tmp = gst_structure_copy (outs);
  gint w, h;

  gst_structure_fixate_field_nearest_int (tmp, "height", in_h);
  if (fixate_other_side (tmp, dar_n, dar_d, TRUE)) {
    gst_structure_get_int (tmp, "width", &w);
    gst_structure_get_int (tmp, "height", &h);
    gst_structure_set (outs, "width", G_TYPE_INT, w, "height", G_TYPE_INT, h,
        NULL);
    gst_structure_free (tmp);
    return;
  }
  gst_structure_free (tmp);
  gst_structure_fixate_field_nearest_int (outs, "width", in_w);
  fixate_other_side (outs, dar_n, dar_d, FALSE);
}

static void
fixate_size (const GstStructure * ins, GstStructure * outs, gboolean swap)
{
  gint in_w = 0, in_h = 0, par_n = 1, par_d = 1, dar_n, dar_d;

  gst_structure_get_int (ins, "width", &in_w);
  gst_structure_get_int (ins, "height", &in_h);
  gst_structure_get_fraction (ins, "pixel-aspect-ratio", &par_n, &par_d);
  if (swap) {
    gint t = in_w;

    in_w = in_h, in_h = t, t = par_n, par_n = par_d, par_d = t;
  }
  if (in_w <= 0 || in_h <= 0 || !gst_util_fraction_multiply (in_w, in_h,
          par_n, par_d, &dar_n, &dar_d))
    return;

  if (gst_structure_has_field (outs, "pixel-aspect-ratio"))
    gst_structure_fixate_field_nearest_fraction (outs, "pixel-aspect-ratio",
        par_n, par_d);

  if (is_fixed (outs, "width") && is_fixed (outs, "height"))
    return;
  if (is_fixed (outs, "height"))
    fixate_other_side (outs, dar_n, dar_d, TRUE);
  else if (is_fixed (outs, "width"))
    fixate_other_side (outs, dar_n, dar_d, FALSE);
  else
    fixate_free_size (outs, in_w, in_h, dar_n, dar_d);
}

/* The output caps for the fixed @incaps among @othercaps (taken). */
GstCaps *
gst_zc_accel_caps_fixate (GstCaps * incaps, GstCaps * othercaps,
    gboolean swap_axes)
{
  const GstStructure *ins = gst_caps_get_structure (incaps, 0);
  GstStructure *outs;

  othercaps = gst_caps_truncate (othercaps);
  othercaps = gst_caps_make_writable (othercaps);
  outs = gst_caps_get_structure (othercaps, 0);

  fixate_format (ins, outs);
  fixate_size (ins, outs, swap_axes);
  othercaps = gst_caps_fixate (othercaps);

  GST_DEBUG ("fixated %" GST_PTR_FORMAT " to %" GST_PTR_FORMAT, incaps,
      othercaps);
  return othercaps;
}
