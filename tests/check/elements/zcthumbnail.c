/* Unit tests for zcthumbnail: sampled thumbnails against GstVideoConverter
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Frames of smooth content (gradients, wide colour bars) go through the
 * element in a GstHarness; each thumbnail is compared with what
 * GstVideoConverter makes of the same frame with videoscale's default
 * method (bilinear, 2 taps), channel by channel in the output's own
 * format (Y, U, V or R, G, B): the mean absolute error of each channel
 * must stay within MAX_MEAN_ERROR. The host has no dma-buf
 * exporter: dma-buf memory is imitated with memfds (upstream's
 * GstDmaBufAllocator, the library's importer), and ioctl() is wrapped to
 * count the SYNC brackets before libc answers them (ENOTTY on a memfd).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/allocators/allocators.h>
#include <gst/zerocopy/zerocopy.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>

#define MAX_MEAN_ERROR 3.0

/* ---- the ioctl recorder ---- */

static struct
{
  guint read_starts, read_ends, writes;
} syncs;

int ioctl (int fd, unsigned long request, ...);

int
ioctl (int fd, unsigned long request, ...)
{
  static int (*real_ioctl) (int, unsigned long, ...);
  va_list ap;
  void *arg;

  va_start (ap, request);
  arg = va_arg (ap, void *);
  va_end (ap);

  if (!real_ioctl)
    real_ioctl = dlsym (RTLD_NEXT, "ioctl");

  if (request == DMA_BUF_IOCTL_SYNC) {
    guint64 flags = ((struct dma_buf_sync *) arg)->flags;

    if (flags & DMA_BUF_SYNC_WRITE)
      syncs.writes++;
    else if (flags == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ))
      syncs.read_starts++;
    else if (flags == (DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ))
      syncs.read_ends++;
  }
  return real_ioctl (fd, request, arg);
}

/* ---- test content ---- */

typedef enum
{
  GRADIENT,
  BARS,
} Pattern;

/* Eight vertical bars, 75% colour bars' colours. */
static const guint8 bar_rgb[8][3] = {
  {191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
  {191, 0, 191}, {191, 0, 0}, {0, 0, 191}, {0, 0, 0},
};

static void
pattern_rgb (Pattern pattern, guint x, guint y, guint w, guint h, guint8 rgb[3])
{
  if (pattern == BARS) {
    memcpy (rgb, bar_rgb[x * 8 / w], 3);
    return;
  }
  rgb[0] = 16 + x * 220 / w;
  rgb[1] = 16 + y * 220 / h;
  rgb[2] = 236 - (x + y) * 220 / (w + h);
}

static void
fill_rgb (GstVideoFrame * vf, Pattern pattern)
{
  guint w = GST_VIDEO_FRAME_WIDTH (vf), h = GST_VIDEO_FRAME_HEIGHT (vf);
  guint x, y;

  for (y = 0; y < h; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (vf, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (vf, 0);

    for (x = 0; x < w; x++)
      pattern_rgb (pattern, x, y, w, h, row + 3 * x);
  }
}

static void
convert_frame (GstVideoFrame * src, GstVideoFrame * dest, GstStructure * cfg)
{
  GstVideoConverter *conv;

  if (!cfg)
    cfg = gst_structure_new_empty ("GstVideoConverter");
  gst_structure_set (cfg, GST_VIDEO_CONVERTER_OPT_DITHER_METHOD,
      GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE, NULL);
  conv = gst_video_converter_new (&src->info, &dest->info, cfg);
  fail_unless (conv != NULL);
  gst_video_converter_frame (conv, src, dest);
  gst_video_converter_free (conv);
}

/* Writes @pattern, made in RGB, into @buf laid out as @info (or its
 * GstVideoMeta). */
static void
fill_buffer (GstBuffer * buf, const GstVideoInfo * info, Pattern pattern)
{
  GstVideoInfo rgb_info;
  GstVideoFrame rgb, vf;
  GstBuffer *rgb_buf;

  gst_video_info_set_format (&rgb_info, GST_VIDEO_FORMAT_RGB, info->width,
      info->height);
  rgb_info.colorimetry = info->colorimetry;
  /* GstVideoConverter converts neither the rate nor the aspect ratio. */
  rgb_info.fps_n = info->fps_n;
  rgb_info.fps_d = info->fps_d;
  rgb_info.par_n = info->par_n;
  rgb_info.par_d = info->par_d;
  rgb_buf = gst_buffer_new_allocate (NULL, rgb_info.size, NULL);
  fail_unless (gst_video_frame_map (&rgb, &rgb_info, rgb_buf, GST_MAP_WRITE));
  fill_rgb (&rgb, pattern);
  fail_unless (gst_video_frame_map (&vf, (GstVideoInfo *) info, buf,
          GST_MAP_WRITE));
  convert_frame (&rgb, &vf, NULL);
  gst_video_frame_unmap (&vf);
  gst_video_frame_unmap (&rgb);
  gst_buffer_unref (rgb_buf);
}

static void
make_info (GstVideoInfo * info, const gchar * format, guint w, guint h)
{
  gchar *s = g_strdup_printf ("video/x-raw, format=%s, width=%u, height=%u, "
      "framerate=30/1", format, w, h);
  GstCaps *caps = gst_caps_from_string (s);

  fail_unless (gst_video_info_from_caps (info, caps));
  gst_caps_unref (caps);
  g_free (s);
}

static GstBuffer *
make_frame (const GstVideoInfo * info, Pattern pattern, guint n)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);

  fill_buffer (buf, info, pattern);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (n, GST_SECOND, 30);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (1, GST_SECOND, 30);
  return buf;
}

/* ---- the reference ---- */

/* The picture rectangle the element is expected to use. */
typedef struct
{
  gint x, y, w, h;
} Rect;

/* What `videoscale ! videoconvert` make of @in: bilinear, 2 taps, with
 * the picture at @rect and black around it. */
static GstBuffer *
reference_thumbnail (GstBuffer * in, const GstVideoInfo * in_info,
    const GstVideoInfo * out_info, const Rect * rect)
{
  GstBuffer *out = gst_buffer_new_allocate (NULL, out_info->size, NULL);
  GstVideoInfo src_info = *in_info;
  GstVideoFrame src, dest;
  GstStructure *cfg;

  /* The element changes the rate (interval) and may change the aspect
   * ratio; the converter does neither. */
  src_info.fps_n = out_info->fps_n;
  src_info.fps_d = out_info->fps_d;
  src_info.par_n = out_info->par_n;
  src_info.par_d = out_info->par_d;

  cfg = gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
      GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
      GST_VIDEO_RESAMPLER_OPT_MAX_TAPS, G_TYPE_INT, 2,
      GST_VIDEO_CONVERTER_OPT_DEST_X, G_TYPE_INT, rect->x,
      GST_VIDEO_CONVERTER_OPT_DEST_Y, G_TYPE_INT, rect->y,
      GST_VIDEO_CONVERTER_OPT_DEST_WIDTH, G_TYPE_INT, rect->w,
      GST_VIDEO_CONVERTER_OPT_DEST_HEIGHT, G_TYPE_INT, rect->h,
      GST_VIDEO_CONVERTER_OPT_BORDER_ARGB, G_TYPE_UINT, 0xff000000, NULL);
  fail_unless (gst_video_frame_map (&src, &src_info, in, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&dest, (GstVideoInfo *) out_info, out,
          GST_MAP_WRITE));
  convert_frame (&src, &dest, cfg);
  gst_video_frame_unmap (&dest);
  gst_video_frame_unmap (&src);
  return out;
}

/* @buf (laid out as @info) as packed RGB, @info's size. */
static guint8 *
to_rgb (GstBuffer * buf, const GstVideoInfo * info)
{
  GstVideoInfo rgb_info;
  GstVideoFrame src, dest;
  GstBuffer *rgb_buf;
  guint8 *pixels;
  guint y;

  gst_video_info_set_format (&rgb_info, GST_VIDEO_FORMAT_RGB, info->width,
      info->height);
  rgb_info.fps_n = info->fps_n;
  rgb_info.fps_d = info->fps_d;
  rgb_info.par_n = info->par_n;
  rgb_info.par_d = info->par_d;
  rgb_buf = gst_buffer_new_allocate (NULL, rgb_info.size, NULL);
  fail_unless (gst_video_frame_map (&src, (GstVideoInfo *) info, buf,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&dest, &rgb_info, rgb_buf, GST_MAP_WRITE));
  convert_frame (&src, &dest, NULL);
  pixels = g_malloc (info->width * info->height * 3);
  for (y = 0; y < (guint) info->height; y++)
    memcpy (pixels + y * info->width * 3,
        (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&dest, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&dest, 0), info->width * 3);
  gst_video_frame_unmap (&dest);
  gst_video_frame_unmap (&src);
  gst_buffer_unref (rgb_buf);
  return pixels;
}

/* Mean absolute error of component @c of two frames inside @rect (in
 * the component's own, maybe subsampled, resolution). */
static gdouble
component_error (GstVideoFrame * a, GstVideoFrame * b, guint c,
    const Rect * rect)
{
  const GstVideoFormatInfo *finfo = a->info.finfo;
  gint x0 = GST_VIDEO_SUB_SCALE (GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c),
      rect->x), y0 = GST_VIDEO_SUB_SCALE (GST_VIDEO_FORMAT_INFO_H_SUB (finfo,
          c), rect->y);
  gint x1 = GST_VIDEO_SUB_SCALE (GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c),
      rect->x + rect->w), y1 = GST_VIDEO_SUB_SCALE
      (GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c), rect->y + rect->h);
  gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (a, c);
  gdouble sum = 0;
  gint x, y;

  for (y = y0; y < y1; y++) {
    const guint8 *ra = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (a, c) +
        y * GST_VIDEO_FRAME_COMP_STRIDE (a, c);
    const guint8 *rb = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (b, c) +
        y * GST_VIDEO_FRAME_COMP_STRIDE (b, c);

    for (x = x0; x < x1; x++)
      sum += ABS (ra[x * ps] - rb[x * ps]);
  }
  return sum / ((x1 - x0) * (y1 - y0));
}

/* The largest mean absolute error of any channel of the output format
 * (Y, U, V or R, G, B) inside @rect. */
static gdouble
max_channel_error (GstBuffer * got, GstBuffer * want,
    const GstVideoInfo * info, const Rect * rect)
{
  GstVideoFrame a, b;
  gdouble worst = 0, err;
  guint c;

  fail_unless (gst_video_frame_map (&a, (GstVideoInfo *) info, got,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&b, (GstVideoInfo *) info, want,
          GST_MAP_READ));
  for (c = 0; c < GST_VIDEO_INFO_N_COMPONENTS (info); c++) {
    err = component_error (&a, &b, c, rect);
    GST_DEBUG ("%s component %u: mean error %.2f", GST_VIDEO_INFO_NAME (info),
        c, err);
    worst = MAX (worst, err);
  }
  gst_video_frame_unmap (&b);
  gst_video_frame_unmap (&a);
  return worst;
}

/* Every pixel outside @rect is black (within 2 steps: YUV black goes
 * through a matrix). */
static void
check_borders (const guint8 * rgb, guint width, guint height, const Rect * r)
{
  guint x, y, c;

  for (y = 0; y < height; y++)
    for (x = 0; x < width; x++) {
      if ((gint) x >= r->x && (gint) x < r->x + r->w && (gint) y >= r->y
          && (gint) y < r->y + r->h)
        continue;
      for (c = 0; c < 3; c++)
        fail_unless (rgb[(y * width + x) * 3 + c] <= 2, "border pixel %u,%u "
            "is %u,%u,%u", x, y, rgb[(y * width + x) * 3],
            rgb[(y * width + x) * 3 + 1], rgb[(y * width + x) * 3 + 2]);
    }
}

/* ---- running the element ---- */

static GstHarness *
thumbnail_harness (const GstVideoInfo * in_info, const gchar * features,
    const gchar * out_caps)
{
  GstHarness *h = gst_harness_new ("zcthumbnail");
  GstCaps *caps = gst_video_info_to_caps (in_info);

  if (features)
    gst_caps_set_features (caps, 0, gst_caps_features_new (features, NULL));
  gst_harness_set_src_caps (h, caps);
  gst_harness_set_sink_caps_str (h, out_caps);
  return h;
}

static void
negotiated_info (GstHarness * h, GstVideoInfo * info)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);

  fail_unless (caps != NULL, "nothing negotiated");
  fail_unless (gst_video_info_from_caps (info, caps));
  gst_caps_unref (caps);
}

static GstStructure *
get_stats (GstHarness * h)
{
  GstStructure *stats = NULL;

  g_object_get (h->element, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  return stats;
}

static guint64
stat (GstHarness * h, const gchar * name)
{
  GstStructure *stats = get_stats (h);
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (stats, name, &v), "no %s", name);
  gst_structure_free (stats);
  return v;
}

/* Pushes one frame of @pattern, pulls the thumbnail and checks it
 * against the reference: picture within MAX_MEAN_ERROR, borders black. */
static void
check_thumbnail (const gchar * in_format, guint in_w, guint in_h,
    const gchar * out_caps, const Rect * rect, Pattern pattern)
{
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out, *ref;
  guint8 *got;
  gdouble err;
  GstHarness *h;

  make_info (&in_info, in_format, in_w, in_h);
  h = thumbnail_harness (&in_info, NULL, out_caps);
  in = make_frame (&in_info, pattern, 0);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  negotiated_info (h, &out_info);

  ref = reference_thumbnail (in, &in_info, &out_info, rect);
  err = max_channel_error (out, ref, &out_info, rect);
  GST_INFO ("%s %ux%u -> %s %dx%d: mean error %.2f", in_format, in_w, in_h,
      GST_VIDEO_INFO_NAME (&out_info), out_info.width, out_info.height, err);
  fail_unless (err <= MAX_MEAN_ERROR, "%s -> %s: mean error %.2f per channel",
      in_format, GST_VIDEO_INFO_NAME (&out_info), err);
  got = to_rgb (out, &out_info);
  check_borders (got, out_info.width, out_info.height, rect);

  g_free (got);
  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
}

/* ---- tests ---- */

static const gchar *in_formats[] = {
  "NV12", "I420", "YUY2", "UYVY", "BGRx", "RGBx", "RGB"
};

/* Every input format to its own format and to each encoder format, at a
 * whole and at a fractional scale. */
GST_START_TEST (test_every_format)
{
  const gchar *outs[] = { NULL, "RGB", "BGRx", "I420" };
  const Rect whole = { 0, 0, 64, 36 }, frac = { 0, 0, 100, 56 };
  guint i, o;

  for (i = 0; i < G_N_ELEMENTS (in_formats); i++)
    for (o = 0; o < G_N_ELEMENTS (outs); o++) {
      const gchar *f = outs[o] ? outs[o] : in_formats[i];
      gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=64,"
          "height=36", f);

      check_thumbnail (in_formats[i], 320, 180, caps, &whole, GRADIENT);
      g_free (caps);
      caps = g_strdup_printf ("video/x-raw,format=%s,width=100,height=56", f);
      check_thumbnail (in_formats[i], 640, 360, caps, &frac, GRADIENT);
      g_free (caps);
    }
}

GST_END_TEST;

/* 1080p colour bars to 160x90, as in the main job. */
GST_START_TEST (test_bars_1080p)
{
  const Rect r = { 0, 0, 160, 90 };

  check_thumbnail ("NV12", 1920, 1080, "video/x-raw,format=RGB,width=160,"
      "height=90", &r, BARS);
  check_thumbnail ("BGRx", 1920, 1080, "video/x-raw,format=BGRx,width=160,"
      "height=90", &r, BARS);
}

GST_END_TEST;

/* 16:9 into a square: 64x36 centred, black above and below. 4:3 into
 * 16:9: black at the sides. Without add-borders the picture is
 * stretched over everything. */
GST_START_TEST (test_borders)
{
  const Rect letterbox = { 0, 14, 64, 36 }, pillar = { 16, 0, 96, 72 };

  check_thumbnail ("BGRx", 320, 180, "video/x-raw,format=RGB,width=64,"
      "height=64", &letterbox, GRADIENT);
  check_thumbnail ("NV12", 320, 180, "video/x-raw,format=I420,width=64,"
      "height=64", &letterbox, GRADIENT);
  check_thumbnail ("I420", 320, 240, "video/x-raw,format=BGRx,width=128,"
      "height=72", &pillar, GRADIENT);
}

GST_END_TEST;

GST_START_TEST (test_no_borders)
{
  const Rect all = { 0, 0, 64, 64 };
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out, *ref;
  guint8 *got;
  GstHarness *h;

  make_info (&in_info, "RGB", 320, 180);
  h = thumbnail_harness (&in_info, NULL, "video/x-raw,format=RGB,width=64,"
      "height=64");
  g_object_set (h->element, "add-borders", FALSE, NULL);
  in = make_frame (&in_info, GRADIENT, 0);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  negotiated_info (h, &out_info);
  ref = reference_thumbnail (in, &in_info, &out_info, &all);
  fail_unless (max_channel_error (out, ref, &out_info, &all) <= MAX_MEAN_ERROR);
  /* The top row is picture, not border. */
  got = to_rgb (out, &out_info);
  fail_unless (got[1] > 10, "top row is black");

  g_free (got);
  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A pixel aspect ratio of 2:1 makes 160x180 pixels a 16:9 picture. */
GST_START_TEST (test_pixel_aspect_ratio)
{
  const Rect letterbox = { 0, 14, 64, 36 };
  GstVideoInfo in_info, out_info;
  GstHarness *h;
  GstBuffer *out;
  guint8 *got;

  make_info (&in_info, "RGB", 160, 180);
  in_info.par_n = 2;
  in_info.par_d = 1;
  h = thumbnail_harness (&in_info, NULL, "video/x-raw,format=RGB,width=64,"
      "height=64");
  fail_unless_equals_int (gst_harness_push (h, make_frame (&in_info,
              GRADIENT, 0)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  negotiated_info (h, &out_info);
  fail_unless_equals_int (out_info.par_n, 1);
  got = to_rgb (out, &out_info);
  check_borders (got, 64, 64, &letterbox);
  fail_unless (got[(14 * 64 + 32) * 3 + 1] > 10, "first picture row black");

  g_free (got);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* With the size left open: 160 wide, the height of the aspect ratio, the
 * input's own format and colorimetry. */
GST_START_TEST (test_caps_defaults)
{
  GstVideoInfo in_info, out_info;
  GstHarness *h;
  gchar *in_col, *out_col;

  make_info (&in_info, "NV12", 1280, 720);
  h = thumbnail_harness (&in_info, NULL, "video/x-raw");
  fail_unless_equals_int (gst_harness_push (h, make_frame (&in_info,
              GRADIENT, 0)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  negotiated_info (h, &out_info);
  fail_unless_equals_string (GST_VIDEO_INFO_NAME (&out_info), "NV12");
  fail_unless_equals_int (out_info.width, 160);
  fail_unless_equals_int (out_info.height, 90);
  /* 1280x720 is bt709; a 160x90 frame would default to bt601. */
  in_col = gst_video_colorimetry_to_string (&in_info.colorimetry);
  out_col = gst_video_colorimetry_to_string (&out_info.colorimetry);
  fail_unless_equals_string (out_col, in_col);
  g_free (in_col);
  g_free (out_col);
  gst_harness_teardown (h);

  /* Only the width given: the height follows. */
  h = thumbnail_harness (&in_info, NULL, "video/x-raw,format=RGB,width=320");
  fail_unless_equals_int (gst_harness_push (h, make_frame (&in_info,
              GRADIENT, 0)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  negotiated_info (h, &out_info);
  fail_unless_equals_int (out_info.height, 180);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Planes at a GstVideoMeta's offsets and strides, 0xff in the padding:
 * right only if the element reads through the meta. */
GST_START_TEST (test_video_meta_layout)
{
  const Rect r = { 0, 0, 32, 18 };
  gint stride[GST_VIDEO_MAX_PLANES] = { 384, 384 };
  gsize offset[GST_VIDEO_MAX_PLANES];
  GstVideoInfo in_info, laid_out, out_info;
  GstBuffer *in, *out, *ref;
  GstHarness *h;

  make_info (&in_info, "NV12", 320, 180);
  laid_out = in_info;
  offset[0] = 64;
  offset[1] = offset[0] + 384 * 180 + 128;
  laid_out.stride[0] = laid_out.stride[1] = 384;
  laid_out.offset[0] = offset[0];
  laid_out.offset[1] = offset[1];
  laid_out.size = offset[1] + 384 * 90;
  in = gst_buffer_new_allocate (NULL, laid_out.size, NULL);
  gst_buffer_memset (in, 0, 0xff, laid_out.size);
  gst_buffer_add_video_meta_full (in, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_NV12, 320, 180, 2, offset, stride);
  fill_buffer (in, &laid_out, GRADIENT);

  h = thumbnail_harness (&in_info, NULL, "video/x-raw,format=RGB,width=32,"
      "height=18");
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  negotiated_info (h, &out_info);
  ref = reference_thumbnail (in, &laid_out, &out_info, &r);
  fail_unless (max_channel_error (out, ref, &out_info, &r) <= MAX_MEAN_ERROR);

  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* interval=10 over 50 frames: frames 0, 10, 20, 30, 40, at a tenth of
 * the rate. */
GST_START_TEST (test_interval_frames)
{
  GstVideoInfo in_info, out_info;
  GstHarness *h;
  guint i;

  make_info (&in_info, "BGRx", 320, 180);
  h = thumbnail_harness (&in_info, NULL, "video/x-raw,width=32,height=18");
  g_object_set (h->element, "interval", 10, NULL);
  for (i = 0; i < 50; i++)
    fail_unless_equals_int (gst_harness_push (h, make_frame (&in_info,
                GRADIENT, i)), GST_FLOW_OK);

  fail_unless_equals_int (gst_harness_buffers_received (h), 5);
  for (i = 0; i < 5; i++) {
    GstBuffer *out = gst_harness_pull (h);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
        gst_util_uint64_scale (10 * i, GST_SECOND, 30));
    fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT) && i > 0,
        "thumbnail %u marked DISCONT", i);
    gst_buffer_unref (out);
  }
  negotiated_info (h, &out_info);
  fail_unless_equals_int (out_info.fps_n, 3);
  fail_unless_equals_int (out_info.fps_d, 1);
  fail_unless_equals_uint64 (stat (h, "frames"), 50);
  fail_unless_equals_uint64 (stat (h, "thumbnails"), 5);
  fail_unless_equals_uint64 (stat (h, "dropped"), 45);
  fail_unless_equals_uint64 (stat (h, "skipped"), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
push_at (GstHarness * h, const GstVideoInfo * info, GstClockTime pts)
{
  GstBuffer *buf = make_frame (info, GRADIENT, 0);

  GST_BUFFER_PTS (buf) = pts;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
}

static void
check_pulled_pts (GstHarness * h, const GstClockTime * pts, guint n)
{
  guint i;

  fail_unless_equals_int (gst_harness_buffers_in_queue (h), n);
  for (i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_pull (h);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), pts[i]);
    gst_buffer_unref (out);
  }
}

/* interval-ns=100 ms over 30 fps: frames 0, 3, 6...; after a gap of 0.7 s
 * one thumbnail, then the grid goes on; a new segment starts a new grid;
 * frames without a time are never due. */
GST_START_TEST (test_interval_time)
{
  const GstClockTime ms = GST_MSECOND;
  const GstClockTime start[] = { 0, 100 * ms, 200 * ms };
  const GstClockTime after_gap[] = { 1000 * ms, 1120 * ms };
  const GstClockTime new_grid[] = { 1150 * ms, 1250 * ms };
  GstVideoInfo in_info, out_info;
  GstSegment segment;
  GstHarness *h;
  guint i;

  make_info (&in_info, "NV12", 320, 180);
  h = thumbnail_harness (&in_info, NULL, "video/x-raw,width=32,height=18");
  g_object_set (h->element, "interval-ns", 100 * ms, NULL);
  for (i = 0; i < 9; i++)
    push_at (h, &in_info, gst_util_uint64_scale (i, GST_SECOND, 30));
  check_pulled_pts (h, start, G_N_ELEMENTS (start));
  negotiated_info (h, &out_info);
  fail_unless_equals_int (out_info.fps_n, 0);

  push_at (h, &in_info, GST_CLOCK_TIME_NONE);
  push_at (h, &in_info, 1000 * ms);
  push_at (h, &in_info, 1050 * ms);
  push_at (h, &in_info, 1120 * ms);
  push_at (h, &in_info, 1190 * ms);
  check_pulled_pts (h, after_gap, G_N_ELEMENTS (after_gap));

  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  push_at (h, &in_info, 1150 * ms);
  push_at (h, &in_info, 1250 * ms);
  check_pulled_pts (h, new_grid, G_N_ELEMENTS (new_grid));

  gst_harness_teardown (h);
}

GST_END_TEST;

static gint
new_memfd (gsize size)
{
  gint fd = memfd_create ("zcthumbnail-test", MFD_CLOEXEC);

  fail_unless (fd >= 0, "memfd_create: %s", g_strerror (errno));
  fail_unless (ftruncate (fd, size) == 0);
  return fd;
}

/* A frame in a memfd wrapped by upstream's GstDmaBufAllocator: foreign
 * dma-buf memory, read through the library's CPU view and its SYNC. */
static GstBuffer *
make_dmabuf_frame (GstAllocator * allocator, const GstVideoInfo * info, guint n)
{
  GstBuffer *buf = gst_buffer_new ();

  gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (allocator,
          new_memfd (info->size), info->size));
  fill_buffer (buf, info, GRADIENT);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (n, GST_SECOND, 30);
  return buf;
}

/* Frames that are not due are never mapped: interval=10 over 50 frames
 * is 5 READ brackets, one per thumbnail (NV12: two planes, one dma-buf,
 * one bracket), and no WRITE. */
GST_START_TEST (test_dropped_frames_not_mapped)
{
  GstAllocator *allocator = gst_dmabuf_allocator_new ();
  GstVideoInfo in_info;
  GstHarness *h;
  GstBuffer *bufs[50];
  guint i;

  make_info (&in_info, "NV12", 320, 180);
  h = thumbnail_harness (&in_info, GST_CAPS_FEATURE_MEMORY_DMABUF,
      "video/x-raw,format=RGB,width=32,height=18");
  g_object_set (h->element, "interval", 10, NULL);
  /* Filled (mapped through upstream's allocator) before counting. */
  for (i = 0; i < 50; i++)
    bufs[i] = make_dmabuf_frame (allocator, &in_info, i);

  memset (&syncs, 0, sizeof (syncs));
  for (i = 0; i < 50; i++)
    fail_unless_equals_int (gst_harness_push (h, bufs[i]), GST_FLOW_OK);

  fail_unless_equals_int (gst_harness_buffers_received (h), 5);
  fail_unless_equals_int (syncs.read_starts, 5);
  fail_unless_equals_int (syncs.read_ends, 5);
  fail_unless_equals_int (syncs.writes, 0);

  gst_object_unref (allocator);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The library's own importer (zcv4l2src's memory) reads the same way. */
GST_START_TEST (test_imported_memory)
{
  const Rect r = { 0, 0, 32, 18 };
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out, *ref;
  GstHarness *h;

  make_info (&in_info, "YUY2", 320, 180);
  in = gst_buffer_new ();
  gst_buffer_append_memory (in, gst_zc_dmabuf_allocator_import
      (gst_zc_dmabuf_allocator_get_importer (), new_memfd (in_info.size),
          in_info.size));
  fill_buffer (in, &in_info, GRADIENT);
  h = thumbnail_harness (&in_info, GST_CAPS_FEATURE_MEMORY_DMABUF,
      "video/x-raw,format=RGB,width=32,height=18");

  memset (&syncs, 0, sizeof (syncs));
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  fail_unless_equals_int (syncs.read_starts, 1);
  fail_unless_equals_int (syncs.read_ends, 1);
  fail_unless_equals_int (syncs.writes, 0);

  out = gst_harness_pull (h);
  negotiated_info (h, &out_info);
  ref = reference_thumbnail (in, &in_info, &out_info, &r);
  fail_unless (max_channel_error (out, ref, &out_info, &r) <= MAX_MEAN_ERROR);

  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Downstream proposing dma-buf memory is not taken up: thumbnails are
 * system memory. */
GST_START_TEST (test_output_system_memory)
{
  GError *err = NULL;
  GstAllocator *allocator =
      gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_MEMFD, NULL, &err);
  GstVideoInfo in_info;
  GstHarness *h;
  GstBuffer *out;

  fail_unless (allocator != NULL, "%s", err ? err->message : "");
  make_info (&in_info, "RGB", 320, 180);
  h = thumbnail_harness (&in_info, NULL, "video/x-raw,width=32,height=18");
  gst_harness_set_propose_allocator (h, allocator, NULL);
  fail_unless_equals_int (gst_harness_push (h, make_frame (&in_info,
              GRADIENT, 0)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_if (gst_is_fd_memory (gst_buffer_peek_memory (out, 0)),
      "the thumbnail went into the proposed fd memory");
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A pipe never becomes readable: the due frame is skipped after the
 * timeout with a warning, nothing goes out, and the next frame works. */
GST_START_TEST (test_not_ready_skipped)
{
  GstAllocator *fd_allocator = gst_fd_allocator_new ();
  GstVideoInfo in_info;
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstHarness *h;
  GstBuffer *buf;
  GError *err = NULL;
  gint fds[2];

  make_info (&in_info, "RGB", 320, 180);
  h = thumbnail_harness (&in_info, NULL, "video/x-raw,width=32,height=18");
  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "timeout", 20 * GST_MSECOND, NULL);
  fail_unless (pipe2 (fds, O_CLOEXEC) == 0);
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, gst_fd_allocator_alloc (fd_allocator,
          fds[0], in_info.size, GST_FD_MEMORY_FLAG_DONT_CLOSE));

  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  fail_unless_equals_uint64 (stat (h, "skipped"), 1);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ));
  g_error_free (err);
  gst_message_unref (msg);

  fail_unless_equals_int (gst_harness_push (h, make_frame (&in_info,
              GRADIENT, 1)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 1);

  close (fds[0]);
  close (fds[1]);
  gst_object_unref (fd_allocator);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A dma-buf whose exporter refuses mmap (the kernel lets exporters leave
 * it out), played by an eventfd: readable, so the fence wait passes, but
 * mmap() fails with ENODEV. Each due frame is skipped and counted, the
 * warning comes once, and a mappable frame after them works. */
GST_START_TEST (test_unmappable_dmabuf)
{
  GstAllocator *dmabuf = gst_dmabuf_allocator_new ();
  GstVideoInfo in_info;
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstHarness *h;
  GError *err = NULL;
  guint i;
  gint efd = eventfd (1, EFD_CLOEXEC);

  fail_unless (efd >= 0);
  fail_unless (mmap (NULL, 4096, PROT_READ, MAP_SHARED, efd, 0) == MAP_FAILED,
      "an eventfd can be mapped: the test needs another unmappable fd");
  make_info (&in_info, "RGB", 320, 180);
  h = thumbnail_harness (&in_info, GST_CAPS_FEATURE_MEMORY_DMABUF,
      "video/x-raw,width=32,height=18");
  gst_element_set_bus (h->element, bus);

  for (i = 0; i < 3; i++) {
    GstBuffer *buf = gst_buffer_new ();

    gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (dmabuf,
            dup (efd), in_info.size));
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  fail_unless_equals_uint64 (stat (h, "unmappable"), 3);
  fail_unless_equals_uint64 (stat (h, "skipped"), 3);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ), "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL,
      "the warning came more than once");
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);

  fail_unless_equals_int (gst_harness_push (h, make_frame (&in_info,
              GRADIENT, 3)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 1);
  fail_unless_equals_uint64 (stat (h, "thumbnails"), 1);

  close (efd);
  gst_object_unref (dmabuf);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* 1920x1080 NV12 to 160x90: 2 rows in 12 of each plane are read, a sixth
 * of the frame (whole cache lines of the sampled rows: 180 luma and 90
 * chroma rows of 1920 bytes). */
GST_START_TEST (test_reads_a_fraction)
{
  GstVideoInfo in_info;
  GstHarness *h;
  guint64 bytes;

  make_info (&in_info, "NV12", 1920, 1080);
  h = thumbnail_harness (&in_info, NULL, "video/x-raw,width=160,height=90");
  fail_unless_equals_int (gst_harness_push (h, make_frame (&in_info,
              GRADIENT, 0)), GST_FLOW_OK);
  bytes = stat (h, "bytes-read");
  GST_INFO ("%" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT " bytes", bytes,
      in_info.size);
  fail_unless_equals_uint64 (bytes, (180 + 90) * 1920);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
zcthumbnail_suite (void)
{
  Suite *s = suite_create ("zcthumbnail");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_every_format);
  tcase_add_test (tc, test_bars_1080p);
  tcase_add_test (tc, test_borders);
  tcase_add_test (tc, test_no_borders);
  tcase_add_test (tc, test_pixel_aspect_ratio);
  tcase_add_test (tc, test_caps_defaults);
  tcase_add_test (tc, test_video_meta_layout);
  tcase_add_test (tc, test_interval_frames);
  tcase_add_test (tc, test_interval_time);
  tcase_add_test (tc, test_dropped_frames_not_mapped);
  tcase_add_test (tc, test_imported_memory);
  tcase_add_test (tc, test_output_system_memory);
  tcase_add_test (tc, test_not_ready_skipped);
  tcase_add_test (tc, test_unmappable_dmabuf);
  tcase_add_test (tc, test_reads_a_fraction);

  return s;
}

GST_CHECK_MAIN (zcthumbnail);
