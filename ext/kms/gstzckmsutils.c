/* zckmssink: device-independent helpers (mode strings, caps, frame layout)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Nothing here touches a device, so the host tests check it directly.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzckmsutils.h"

#include <gst/zerocopy/zerocopy.h>

/* Reads a decimal number without sign, spaces or leading zeros, at most
 * @max; advances *@p past it. */
static gboolean
parse_number (const gchar ** p, guint max, guint * value)
{
  guint64 v = 0;
  const gchar *s = *p;

  if (!g_ascii_isdigit (*s) || (s[0] == '0' && g_ascii_isdigit (s[1])))
    return FALSE;
  for (; g_ascii_isdigit (*s); s++) {
    v = v * 10 + (*s - '0');
    if (v > max)
      return FALSE;
  }
  *value = v;
  *p = s;
  return TRUE;
}

/**
 * gst_zc_kms_parse_mode:
 * @str: "WIDTHxHEIGHT" or "WIDTHxHEIGHT@REFRESH", e.g. "1280x720@60"
 * @spec: (out): the parsed mode; refresh 0 when not given
 *
 * Sizes are 1..65535 (DRM's 16-bit fields), the refresh 1..1000 Hz.
 * Nothing else is accepted: no spaces, signs, leading zeros or suffixes,
 * so that a typo is an error rather than another mode.
 *
 * Returns: %FALSE when @str is not such a string (@spec is untouched).
 */
gboolean
gst_zc_kms_parse_mode (const gchar * str, GstZcKmsModeSpec * spec)
{
  GstZcKmsModeSpec parsed = { 0, 0, 0 };
  const gchar *p = str;

  if (!p)
    return FALSE;
  if (!parse_number (&p, GST_ZC_KMS_MAX_MODE_SIZE, &parsed.width)
      || *p++ != 'x')
    return FALSE;
  if (!parse_number (&p, GST_ZC_KMS_MAX_MODE_SIZE, &parsed.height))
    return FALSE;
  if (*p == '@') {
    p++;
    if (!parse_number (&p, GST_ZC_KMS_MAX_REFRESH, &parsed.refresh)
        || parsed.refresh == 0)
      return FALSE;
  }
  if (*p != '\0' || parsed.width == 0 || parsed.height == 0)
    return FALSE;

  *spec = parsed;
  return TRUE;
}

/* The GStreamer formats of @fourccs that the library's table knows, each
 * once, as a list value; empty when there is none. */
static void
format_list (const guint32 * fourccs, guint n_fourccs, GValue * list)
{
  GValue item = G_VALUE_INIT;
  guint i, j;

  g_value_init (list, GST_TYPE_LIST);
  g_value_init (&item, G_TYPE_STRING);
  for (i = 0; i < n_fourccs; i++) {
    GstVideoFormat format = gst_zc_format_from_drm_fourcc (fourccs[i]);
    gboolean seen = FALSE;

    if (format == GST_VIDEO_FORMAT_UNKNOWN)
      continue;
    /* Drivers list a format once per plane type: keep the first. */
    for (j = 0; j < i && !seen; j++)
      seen = fourccs[j] == fourccs[i];
    if (seen)
      continue;
    g_value_set_static_string (&item, gst_video_format_to_string (format));
    gst_value_list_append_value (list, &item);
  }
  g_value_unset (&item);
}

static GstStructure *
new_structure (const GValue * formats, guint width, guint height,
    guint max_width, guint max_height)
{
  GstStructure *s = gst_structure_new_empty ("video/x-raw");

  /* A single format is a plain string, as fixated caps want it. */
  if (gst_value_list_get_size (formats) == 1)
    gst_structure_set_value (s, "format", gst_value_list_get_value (formats,
            0));
  else
    gst_structure_set_value (s, "format", formats);
  if (width > 0)
    gst_structure_set (s, "width", G_TYPE_INT, width, "height", G_TYPE_INT,
        height, NULL);
  else
    gst_structure_set (s, "width", GST_TYPE_INT_RANGE, 1, max_width,
        "height", GST_TYPE_INT_RANGE, 1, max_height, NULL);
  gst_structure_set (s, "framerate", GST_TYPE_FRACTION_RANGE, 0, 1,
      G_MAXINT, 1, NULL);
  return s;
}

/**
 * gst_zc_kms_caps_from_fourccs:
 * @fourccs: DRM fourccs a plane scans out
 * @n_fourccs: their number
 * @width: the display's width in pixels, or 0 when unknown
 * @height: the display's height in lines
 * @max_width: the largest framebuffer width the device takes
 * @max_height: the largest framebuffer height
 *
 * The caps a sink on that plane accepts: the formats of @fourccs that the
 * library's format table maps (others are left out), with the
 * `memory:DMABuf` feature first and then in system memory. Each comes
 * first at the display's size, which upstream fixates to when it may
 * choose (full screen, nothing to scale or place), then at any size up to
 * the device's maximum (frames of other sizes are placed, never refused).
 *
 * Returns: (transfer full): the caps; empty when no format maps.
 */
GstCaps *
gst_zc_kms_caps_from_fourccs (const guint32 * fourccs, guint n_fourccs,
    guint width, guint height, guint max_width, guint max_height)
{
  GstCaps *caps = gst_caps_new_empty ();
  GValue formats = G_VALUE_INIT;
  guint memory, size;

  format_list (fourccs, n_fourccs, &formats);
  if (gst_value_list_get_size (&formats) == 0)
    goto done;

  max_width = MAX (max_width, 1);
  max_height = MAX (max_height, 1);
  for (memory = 0; memory < 2; memory++) {
    for (size = (width > 0 ? 0 : 1); size < 2; size++) {
      GstStructure *s = new_structure (&formats, size ? 0 : width,
          size ? 0 : height, max_width, max_height);
      GstCapsFeatures *features = memory == 0 ?
          gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL) :
          gst_caps_features_new_empty ();

      gst_caps_append_structure_full (caps, s, features);
    }
  }

done:
  g_value_unset (&formats);
  return caps;
}

/* One axis without scaling: centred when the source is shorter, its
 * middle cut out when longer. Offsets are even so that 4:2:x chroma
 * stays aligned. */
static void
place_axis (guint src_len, guint dst_len, gint * src_off, guint * src_size,
    gint * dst_off, guint * dst_size)
{
  if (src_len <= dst_len) {
    *src_off = 0;
    *src_size = src_len;
    *dst_off = ((dst_len - src_len) / 2) & ~1;
    *dst_size = src_len;
  } else {
    *src_off = ((src_len - dst_len) / 2) & ~1;
    *src_size = dst_len;
    *dst_off = 0;
    *dst_size = dst_len;
  }
}

/**
 * gst_zc_kms_place:
 * @src_width: the frame's width in pixels
 * @src_height: the frame's height in lines
 * @dst_width: the display's width in pixels
 * @dst_height: the display's height in lines
 * @scale: whether the plane may scale
 * @src: (out): the part of the frame that is shown
 * @dst: (out): where it goes on the display
 *
 * With @scale, the whole frame is scaled to the largest size that fits
 * the display with its aspect ratio kept, and centred. Without, each axis
 * is centred when the frame is smaller and cropped around its middle when
 * larger: nothing is ever refused.
 */
void
gst_zc_kms_place (guint src_width, guint src_height, guint dst_width,
    guint dst_height, gboolean scale, GstZcKmsRect * src, GstZcKmsRect * dst)
{
  guint64 w, h;

  if (!scale) {
    place_axis (src_width, dst_width, &src->x, &src->width, &dst->x,
        &dst->width);
    place_axis (src_height, dst_height, &src->y, &src->height, &dst->y,
        &dst->height);
    return;
  }

  src->x = src->y = 0;
  src->width = src_width;
  src->height = src_height;
  if ((guint64) src_width * dst_height >= (guint64) src_height * dst_width) {
    w = dst_width;
    h = MAX ((guint64) src_height * dst_width / src_width, 1);
  } else {
    h = dst_height;
    w = MAX ((guint64) src_width * dst_height / src_height, 1);
  }
  dst->width = w;
  dst->height = h;
  dst->x = ((dst_width - w) / 2) & ~1;
  dst->y = ((dst_height - h) / 2) & ~1;
}

/**
 * gst_zc_kms_rect_bytes:
 * @finfo: a format
 * @width: pixels
 * @height: lines
 *
 * Returns: the bytes of pixel data a @width x @height rectangle holds in
 * @finfo (every plane, without row padding): what copying it moves.
 */
gsize
gst_zc_kms_rect_bytes (const GstVideoFormatInfo * finfo, guint width,
    guint height)
{
  gsize bytes = 0;
  guint plane, comp;

  for (plane = 0; plane < GST_VIDEO_FORMAT_INFO_N_PLANES (finfo); plane++) {
    /* The first component stored in the plane gives its row size. */
    for (comp = 0; comp < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); comp++)
      if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, comp) == plane)
        break;
    if (comp == GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo))
      continue;
    bytes += (gsize) GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp, width) *
        GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp) *
        GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp, height);
  }
  return bytes;
}
