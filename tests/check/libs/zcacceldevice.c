/* Host tests of the simulated accelerator: device model, fences, uploads
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The host has no dma-buf exporter: frames live in the allocator's memfd
 * fallback (fd memory, which the device imports like a dma-buf). Results
 * are compared with GstVideoConverter run directly by the test, configured
 * as videoconvertscale's defaults (bilinear: linear resampling, 2 taps),
 * which is what `videoconvert ! videoscale` computes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <string.h>

/* The seven formats every pair of which must convert. */
static const GstVideoFormat formats[] = {
  GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_YUY2,
  GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_RGB,
};

/* ---- frames ---- */

static GstBufferPool *
new_pool (const GstVideoInfo * info, guint align)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_video_info_to_caps (info);

  gst_buffer_pool_config_set_params (config, caps, info->size, 0, 0);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (align > 1)
    gst_zc_buffer_pool_config_set_stride_align (config, align);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  gst_caps_unref (caps);
  return pool;
}

/* A frame of the project's fd memory, strides aligned to @align. */
static GstBuffer *
new_frame (const GstVideoInfo * info, guint align)
{
  GstBufferPool *pool = new_pool (info, align);
  GstBuffer *buf = NULL;

  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  /* The buffer outlives its pool: it is freed, not returned. */
  gst_object_unref (pool);
  return buf;
}

/* @size bytes of the project's fd memory, without any layout. */
static GstBuffer *
new_fd_buffer (gsize size)
{
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_AUTO,
      NULL, NULL);
  GstBuffer *buf = gst_buffer_new ();

  fail_unless (alloc != NULL);
  gst_buffer_append_memory (buf, gst_allocator_alloc (alloc, size, NULL));
  gst_object_unref (alloc);
  return buf;
}

static void
set_info (GstVideoInfo * info, GstVideoFormat format, gint w, gint h)
{
  gst_video_info_set_format (info, format, w, h);
  info->fps_n = 30;
  info->fps_d = 1;
}

/* Rows and bytes per row of @plane that hold pixels. */
static void
plane_extent (const GstVideoInfo * info, guint plane, guint * row_bytes,
    guint * rows)
{
  gint comp[GST_VIDEO_MAX_COMPONENTS];

  gst_video_format_info_component (info->finfo, plane, comp);
  *row_bytes = GST_VIDEO_INFO_COMP_WIDTH (info, comp[0]) *
      GST_VIDEO_INFO_COMP_PSTRIDE (info, comp[0]);
  *rows = GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
}

static guint8 *
row_of (GstVideoFrame * f, guint plane, guint y)
{
  return (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, plane) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (f, plane);
}

/* Smooth gradients with some structure: every byte depends on its place. */
static void
fill_pattern (GstBuffer * buf, const GstVideoInfo * info, guint seed)
{
  GstVideoFrame f;
  guint p, x, y, row_bytes, rows;

  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_WRITE));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&f); p++) {
    plane_extent (info, p, &row_bytes, &rows);
    for (y = 0; y < rows; y++)
      for (x = 0; x < row_bytes; x++)
        row_of (&f, p, y)[x] = (x * 3 + y * 5 + p * 60 + seed) & 0xff;
  }
  gst_video_frame_unmap (&f);
}

static guint
max_difference (GstBuffer * a, const GstVideoInfo * info, GstBuffer * b)
{
  GstVideoFrame fa, fb;
  guint p, x, y, row_bytes, rows, max = 0;

  fail_unless (gst_video_frame_map (&fa, (GstVideoInfo *) info, a,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, (GstVideoInfo *) info, b,
          GST_MAP_READ));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&fa); p++) {
    plane_extent (info, p, &row_bytes, &rows);
    for (y = 0; y < rows; y++)
      for (x = 0; x < row_bytes; x++)
        max = MAX (max, (guint) ABS (row_of (&fa, p, y)[x] -
                row_of (&fb, p, y)[x]));
  }
  gst_video_frame_unmap (&fb);
  gst_video_frame_unmap (&fa);
  return max;
}

/* What videoconvert ! videoscale compute: videoconvertscale's default
 * method, bilinear (linear resampling with 2 taps). */
static GstBuffer *
reference (GstBuffer * in, const GstVideoInfo * in_info,
    const GstVideoInfo * out_info, const GstVideoRectangle * crop)
{
  GstStructure *config = gst_structure_new ("reference",
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
      GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
      GST_VIDEO_RESAMPLER_OPT_MAX_TAPS, G_TYPE_INT, 2, NULL);
  GstBuffer *out = gst_buffer_new_allocate (NULL, out_info->size, NULL);
  GstVideoConverter *convert;
  GstVideoFrame fi, fo;

  if (crop)
    gst_structure_set (config, GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT,
        crop->x, GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, crop->y,
        GST_VIDEO_CONVERTER_OPT_SRC_WIDTH, G_TYPE_INT, crop->w,
        GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT, G_TYPE_INT, crop->h, NULL);
  convert = gst_video_converter_new ((GstVideoInfo *) in_info,
      (GstVideoInfo *) out_info, config);
  fail_unless (convert != NULL);
  fail_unless (gst_video_frame_map (&fi, (GstVideoInfo *) in_info, in,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fo, (GstVideoInfo *) out_info, out,
          GST_MAP_WRITE));
  gst_video_converter_frame (convert, &fi, &fo);
  gst_video_frame_unmap (&fo);
  gst_video_frame_unmap (&fi);
  gst_video_converter_free (convert);
  return out;
}

/* Submits one job and waits for it; fails the test on any error. */
static GstBuffer *
run_job (GstZcAccelDevice * dev, GstBuffer * in, const GstVideoInfo * in_info,
    const GstVideoInfo * out_info, GstVideoOrientationMethod method)
{
  GstBuffer *out = new_frame (out_info, 64);
  GError *error = NULL;
  GstZcAccelJob *job;

  job = gst_zc_accel_device_submit (dev, in, in_info, out, out_info, method,
      &error);
  fail_unless (job != NULL, "%s", error ? error->message : "");
  fail_unless (gst_zc_accel_job_wait (job, 10 * GST_SECOND, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (gst_zc_accel_job_get_state (job),
      GST_ZC_ACCEL_JOB_DONE);
  gst_zc_accel_job_unref (job);
  return out;
}

static void
check_pair (GstZcAccelDevice * dev, GstVideoFormat from, GstVideoFormat to,
    gint w, gint h, gint ow, gint oh)
{
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out, *ref;
  guint diff;

  set_info (&in_info, from, w, h);
  set_info (&out_info, to, ow, oh);
  in = new_frame (&in_info, 64);
  fill_pattern (in, &in_info, from * 7 + to);
  out = run_job (dev, in, &in_info, &out_info, GST_VIDEO_ORIENTATION_IDENTITY);
  ref = reference (in, &in_info, &out_info, NULL);

  diff = max_difference (out, &out_info, ref);
  fail_unless (diff <= 2, "%s %dx%d -> %s %dx%d: bytes differ by %u",
      gst_video_format_to_string (from), w, h,
      gst_video_format_to_string (to), ow, oh, diff);
  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
}

/* ---- conversion and scaling ---- */

GST_START_TEST (test_every_format_pair_scaled_down)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  guint i, j;

  g_object_set (dev, "stride-align", 64, NULL);
  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    for (j = 0; j < G_N_ELEMENTS (formats); j++)
      check_pair (dev, formats[i], formats[j], 64, 48, 40, 30);
  gst_object_unref (dev);
}

GST_END_TEST;

GST_START_TEST (test_every_format_pair_scaled_up)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    for (j = 0; j < G_N_ELEMENTS (formats); j++)
      check_pair (dev, formats[i], formats[j], 40, 30, 72, 54);
  gst_object_unref (dev);
}

GST_END_TEST;

GST_START_TEST (test_same_size_is_exact)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstVideoInfo info;
  GstBuffer *in, *out;
  guint i;

  /* No conversion, no scaling: the device must give the bytes back. */
  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    set_info (&info, formats[i], 48, 32);
    in = new_frame (&info, 1);
    fill_pattern (in, &info, i);
    out = run_job (dev, in, &info, &info, GST_VIDEO_ORIENTATION_IDENTITY);
    fail_unless_equals_int (max_difference (out, &info, in), 0);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  gst_object_unref (dev);
}

GST_END_TEST;

/* ---- crop, flips, rotations ---- */

typedef struct
{
  guint8 r, g, b;
} Rgb;

static const Rgb RED = { 255, 0, 0 };
static const Rgb GREEN = { 0, 255, 0 };
static const Rgb BLUE = { 0, 0, 255 };
static const Rgb WHITE = { 255, 255, 255 };

/* An RGB frame in four quadrants: red top left, green top right, blue
 * bottom left, white bottom right. */
static GstBuffer *
new_quadrants (const GstVideoInfo * info)
{
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  GstBuffer *buf = new_frame (info, 1);
  GstVideoFrame f;
  gint x, y;

  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_WRITE));
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      const Rgb *c = y < h / 2 ? (x < w / 2 ? &RED : &GREEN) :
          (x < w / 2 ? &BLUE : &WHITE);
      guint8 *p = row_of (&f, 0, y) + 3 * x;

      p[0] = c->r, p[1] = c->g, p[2] = c->b;
    }
  gst_video_frame_unmap (&f);
  return buf;
}

/* The colour at (@x, @y) of @buf (any format), through GstVideoConverter. */
static Rgb
pixel_at (GstBuffer * buf, const GstVideoInfo * info, gint x, gint y)
{
  GstVideoInfo rgb_info;
  GstBuffer *rgb;
  GstMapInfo map;
  Rgb c;

  set_info (&rgb_info, GST_VIDEO_FORMAT_RGB, GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info));
  rgb = reference (buf, info, &rgb_info, NULL);
  fail_unless (gst_buffer_map (rgb, &map, GST_MAP_READ));
  c.r = map.data[y * rgb_info.stride[0] + 3 * x];
  c.g = map.data[y * rgb_info.stride[0] + 3 * x + 1];
  c.b = map.data[y * rgb_info.stride[0] + 3 * x + 2];
  gst_buffer_unmap (rgb, &map);
  gst_buffer_unref (rgb);
  return c;
}

static void
check_colour (Rgb got, const Rgb * want, guint tolerance, const gchar * what)
{
  fail_unless (ABS (got.r - want->r) <= (gint) tolerance
      && ABS (got.g - want->g) <= (gint) tolerance
      && ABS (got.b - want->b) <= (gint) tolerance,
      "%s: got %u,%u,%u, expected %u,%u,%u", what, got.r, got.g, got.b,
      want->r, want->g, want->b);
}

/* Output corners (top left, top right, bottom left, bottom right) of the
 * quadrant frame under each orientation, worked out by hand. */
static const struct
{
  GstVideoOrientationMethod method;
  const Rgb *corners[4];
} orientations[] = {
  {GST_VIDEO_ORIENTATION_IDENTITY, {&RED, &GREEN, &BLUE, &WHITE}},
  {GST_VIDEO_ORIENTATION_90R, {&BLUE, &RED, &WHITE, &GREEN}},
  {GST_VIDEO_ORIENTATION_180, {&WHITE, &BLUE, &GREEN, &RED}},
  {GST_VIDEO_ORIENTATION_90L, {&GREEN, &WHITE, &RED, &BLUE}},
  {GST_VIDEO_ORIENTATION_HORIZ, {&GREEN, &RED, &WHITE, &BLUE}},
  {GST_VIDEO_ORIENTATION_VERT, {&BLUE, &WHITE, &RED, &GREEN}},
  {GST_VIDEO_ORIENTATION_UL_LR, {&RED, &BLUE, &GREEN, &WHITE}},
  {GST_VIDEO_ORIENTATION_UR_LL, {&WHITE, &GREEN, &BLUE, &RED}},
};

static void
check_corners (GstBuffer * out, const GstVideoInfo * info,
    const Rgb * const corners[4], guint tolerance, const gchar * what)
{
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  /* Inside each quadrant, away from the edges where chroma blends. */
  const gint xs[4] = { 2, w - 3, 2, w - 3 }, ys[4] = { 2, 2, h - 3, h - 3 };
  guint i;

  for (i = 0; i < 4; i++) {
    gchar *where = g_strdup_printf ("%s, corner %u", what, i);

    check_colour (pixel_at (out, info, xs[i], ys[i]), corners[i], tolerance,
        where);
    g_free (where);
  }
}

static void
check_orientations (GstVideoFormat out_format, guint tolerance)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out;
  guint i;

  set_info (&in_info, GST_VIDEO_FORMAT_RGB, 48, 32);
  in = new_quadrants (&in_info);
  for (i = 0; i < G_N_ELEMENTS (orientations); i++) {
    GstVideoOrientationMethod m = orientations[i].method;
    gboolean swap = m == GST_VIDEO_ORIENTATION_90R ||
        m == GST_VIDEO_ORIENTATION_90L || m == GST_VIDEO_ORIENTATION_UL_LR ||
        m == GST_VIDEO_ORIENTATION_UR_LL;
    gchar *what = g_strdup_printf ("%s, orientation %d",
        gst_video_format_to_string (out_format), m);

    set_info (&out_info, out_format, swap ? 32 : 48, swap ? 48 : 32);
    out = run_job (dev, in, &in_info, &out_info, m);
    check_corners (out, &out_info, orientations[i].corners, tolerance, what);
    gst_buffer_unref (out);
    g_free (what);
  }
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_START_TEST (test_orientations_rgb)
{
  check_orientations (GST_VIDEO_FORMAT_RGB, 0);
  check_orientations (GST_VIDEO_FORMAT_BGRx, 0);
}

GST_END_TEST;

/* NV12 and I420 are oriented plane by plane, YUY2 and UYVY (two pixels
 * share chroma) through AYUV: all must land in the same place. */
GST_START_TEST (test_orientations_yuv)
{
  check_orientations (GST_VIDEO_FORMAT_NV12, 12);
  check_orientations (GST_VIDEO_FORMAT_I420, 12);
  check_orientations (GST_VIDEO_FORMAT_YUY2, 12);
  check_orientations (GST_VIDEO_FORMAT_UYVY, 12);
}

GST_END_TEST;

static void
add_crop (GstBuffer * buf, guint x, guint y, guint w, guint h)
{
  GstVideoCropMeta *crop = gst_buffer_add_video_crop_meta (buf);

  crop->x = x;
  crop->y = y;
  crop->width = w;
  crop->height = h;
}

GST_START_TEST (test_crop)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  const Rgb *green[4] = { &GREEN, &GREEN, &GREEN, &GREEN };
  const Rgb *quarters[4] = { &GREEN, &GREEN, &WHITE, &WHITE };
  GstVideoInfo in_info, out_info;
  GstVideoRectangle rect = { 24, 0, 24, 32 };
  GstBuffer *in, *out, *ref;

  set_info (&in_info, GST_VIDEO_FORMAT_RGB, 48, 32);
  in = new_quadrants (&in_info);

  /* the top right quadrant alone, scaled down: all green */
  add_crop (in, 24, 0, 24, 16);
  set_info (&out_info, GST_VIDEO_FORMAT_BGRx, 12, 8);
  out = run_job (dev, in, &in_info, &out_info, GST_VIDEO_ORIENTATION_IDENTITY);
  check_corners (out, &out_info, green, 0, "crop of a quadrant");
  gst_buffer_unref (out);

  /* the right half, same size: green above white, and as the reference */
  gst_buffer_remove_meta (in, (GstMeta *) gst_buffer_get_video_crop_meta (in));
  add_crop (in, 24, 0, 24, 32);
  set_info (&out_info, GST_VIDEO_FORMAT_RGB, 24, 32);
  out = run_job (dev, in, &in_info, &out_info, GST_VIDEO_ORIENTATION_IDENTITY);
  check_corners (out, &out_info, quarters, 0, "crop of the right half");
  ref = reference (in, &in_info, &out_info, &rect);
  fail_unless (max_difference (out, &out_info, ref) <= 2);

  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

/* Crop first (in input pixels), then rotate. */
GST_START_TEST (test_crop_then_rotate)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  /* the bottom half (blue | white) rotated clockwise: blue on top */
  const Rgb *corners[4] = { &BLUE, &BLUE, &WHITE, &WHITE };
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out;

  set_info (&in_info, GST_VIDEO_FORMAT_RGB, 48, 32);
  in = new_quadrants (&in_info);
  add_crop (in, 0, 16, 48, 16);
  set_info (&out_info, GST_VIDEO_FORMAT_RGB, 16, 48);
  out = run_job (dev, in, &in_info, &out_info, GST_VIDEO_ORIENTATION_90R);
  check_corners (out, &out_info, corners, 0, "bottom half, 90r");

  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

/* ---- the model: asynchrony, back-pressure, time ---- */

typedef struct
{
  GstZcAccelDevice *dev;
  GstBuffer *in, *out;
  GstVideoInfo info;
  GstZcAccelJob *job;
  GError *error;
  gint64 returned;              /* monotonic µs, valid once done */
  gint done;                    /* atomic */
} Submission;

static gpointer
submit_thread (gpointer data)
{
  Submission *s = data;

  s->job = gst_zc_accel_device_submit (s->dev, s->in, &s->info, s->out,
      &s->info, GST_VIDEO_ORIENTATION_IDENTITY, &s->error);
  s->returned = g_get_monotonic_time ();
  g_atomic_int_set (&s->done, 1);
  return NULL;
}

static GstZcAccelJob *
submit_ok (GstZcAccelDevice * dev, GstBuffer * in, const GstVideoInfo * info,
    GstBuffer * out)
{
  GError *error = NULL;
  GstZcAccelJob *job = gst_zc_accel_device_submit (dev, in, info, out, info,
      GST_VIDEO_ORIENTATION_IDENTITY, &error);

  fail_unless (job != NULL, "%s", error ? error->message : "");
  return job;
}

GST_START_TEST (test_submit_is_asynchronous)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstZcAccelJob *job;
  gint64 t0;

  g_object_set (dev, "latency", (guint64) 300 * GST_MSECOND, NULL);
  set_info (&info, GST_VIDEO_FORMAT_NV12, 64, 48);
  in = new_frame (&info, 1);
  out = new_frame (&info, 1);

  t0 = g_get_monotonic_time ();
  job = submit_ok (dev, in, &info, out);
  /* Submission returns at once, the job is pending, the output busy. */
  fail_unless (g_get_monotonic_time () - t0 < 150 * G_TIME_SPAN_MILLISECOND);
  fail_unless (gst_zc_accel_job_get_state (job) != GST_ZC_ACCEL_JOB_DONE);
  fail_unless_equals_int (gst_zc_accel_device_get_n_pending (dev), 1);
  fail_if (gst_zc_fence_meta_is_signalled (gst_buffer_get_zc_fence_meta (out)));

  fail_unless (gst_zc_accel_job_wait (job, 5 * GST_SECOND, NULL));
  /* Done no earlier than the modelled 300 ms after the start. */
  fail_unless (g_get_monotonic_time () - t0 >= 300 * G_TIME_SPAN_MILLISECOND);
  fail_unless (gst_zc_fence_meta_is_signalled (gst_buffer_get_zc_fence_meta
          (out)));
  fail_unless (gst_zc_accel_device_wait_idle (dev, GST_SECOND));

  gst_zc_accel_job_unref (job);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

GST_START_TEST (test_queue_depth_back_pressure)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstZcAccelJob *jobs[2];
  Submission s = { 0, };
  GstBuffer *in, *outs[2];
  GThread *thread;
  GstStructure *stats;
  guint i, hw = 0;
  gint64 t0;

  /* 64x48 at 30720 pixels/s: 100 ms a job, plus 300 ms latency */
  g_object_set (dev, "queue-depth", 2, "latency", (guint64) 300 *
      GST_MSECOND, "pixel-rate", (guint64) 30720, NULL);
  set_info (&s.info, GST_VIDEO_FORMAT_NV12, 64, 48);
  in = new_frame (&s.info, 1);

  t0 = g_get_monotonic_time ();
  for (i = 0; i < 2; i++) {
    outs[i] = new_frame (&s.info, 1);
    jobs[i] = submit_ok (dev, in, &s.info, outs[i]);
  }
  fail_unless (g_get_monotonic_time () - t0 < 200 * G_TIME_SPAN_MILLISECOND,
      "the first queue-depth submissions must not block");

  s.dev = dev;
  s.in = in;
  s.out = new_frame (&s.info, 1);
  thread = g_thread_new ("submit", submit_thread, &s);
  g_usleep (150 * G_TIME_SPAN_MILLISECOND);
  /* Two jobs pending: the third submission is blocked. */
  fail_if (g_atomic_int_get (&s.done));
  fail_unless_equals_int (gst_zc_accel_device_get_n_pending (dev), 2);

  g_thread_join (thread);
  fail_unless (s.job != NULL);
  /* Released only when the first job (400 ms) ended. */
  fail_unless (s.returned - t0 >= 400 * G_TIME_SPAN_MILLISECOND);
  fail_unless (gst_zc_accel_job_get_state (jobs[0]) == GST_ZC_ACCEL_JOB_DONE);

  fail_unless (gst_zc_accel_device_wait_idle (dev, 5 * GST_SECOND));
  stats = gst_zc_accel_device_get_stats (dev);
  fail_unless (gst_structure_get_uint (stats, "queue-high-water", &hw));
  fail_unless_equals_int (hw, 2);
  gst_structure_free (stats);

  for (i = 0; i < 2; i++) {
    gst_zc_accel_job_unref (jobs[i]);
    gst_buffer_unref (outs[i]);
  }
  gst_zc_accel_job_unref (s.job);
  gst_buffer_unref (s.out);
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

GST_START_TEST (test_duration_model)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out;
  GstStructure *stats;
  guint64 t_max = 0, pixels = 0;
  gint64 t0;

  g_object_set (dev, "latency", (guint64) 50 * GST_MSECOND, "pixel-rate",
      (guint64) 1000000, NULL);
  /* 200x150 in, 100x50 out: the model charges the larger, 30000 pixels */
  fail_unless_equals_uint64 (gst_zc_accel_device_get_job_duration (dev,
          30000), 80 * GST_MSECOND);

  set_info (&in_info, GST_VIDEO_FORMAT_I420, 200, 150);
  set_info (&out_info, GST_VIDEO_FORMAT_BGRx, 100, 50);
  in = new_frame (&in_info, 1);
  t0 = g_get_monotonic_time ();
  out = run_job (dev, in, &in_info, &out_info, GST_VIDEO_ORIENTATION_IDENTITY);
  fail_unless (g_get_monotonic_time () - t0 >= 80 * G_TIME_SPAN_MILLISECOND);

  stats = gst_zc_accel_device_get_stats (dev);
  fail_unless (gst_structure_get_uint64 (stats, "pixels", &pixels));
  fail_unless_equals_uint64 (pixels, 30000);
  fail_unless (gst_structure_get_uint64 (stats, "job-time-max", &t_max));
  fail_unless (t_max >= 80 * GST_MSECOND, "job took %" G_GUINT64_FORMAT " ns",
      t_max);
  gst_structure_free (stats);

  /* 0 and 0: as fast as the CPU */
  g_object_set (dev, "latency", (guint64) 0, "pixel-rate", (guint64) 0, NULL);
  fail_unless_equals_uint64 (gst_zc_accel_device_get_job_duration (dev,
          1 << 20), 0);

  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

GST_START_TEST (test_flush_cancels_and_unblocks)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  Submission s = { 0, };
  GstZcAccelJob *job;
  GstBuffer *in, *out;
  GError *error = NULL;
  GThread *thread;
  GstStructure *stats;
  guint64 cancelled = 0;
  gint64 t0;

  g_object_set (dev, "queue-depth", 1, "latency", (guint64) 5 * GST_SECOND,
      NULL);
  set_info (&s.info, GST_VIDEO_FORMAT_BGRx, 32, 32);
  in = new_frame (&s.info, 1);
  out = new_frame (&s.info, 1);
  job = submit_ok (dev, in, &s.info, out);
  s.dev = dev;
  s.in = in;
  s.out = new_frame (&s.info, 1);
  thread = g_thread_new ("submit", submit_thread, &s);
  g_usleep (100 * G_TIME_SPAN_MILLISECOND);

  t0 = g_get_monotonic_time ();
  gst_zc_accel_device_set_flushing (dev, TRUE);
  g_thread_join (thread);
  /* the blocked submitter is released with FLUSHING */
  fail_unless (s.job == NULL);
  fail_unless (g_error_matches (s.error, GST_ZC_ACCEL_ERROR,
          GST_ZC_ACCEL_ERROR_FLUSHING));
  fail_if (gst_buffer_get_zc_fence_meta (s.out) != NULL
      && !gst_zc_fence_meta_is_signalled (gst_buffer_get_zc_fence_meta
          (s.out)));
  /* the running job ends cancelled long before its 5 s */
  fail_if (gst_zc_accel_job_wait (job, 2 * GST_SECOND, &error));
  fail_unless (g_error_matches (error, GST_ZC_ACCEL_ERROR,
          GST_ZC_ACCEL_ERROR_CANCELLED), "%s", error ? error->message : "");
  g_clear_error (&error);
  fail_unless (g_get_monotonic_time () - t0 < 2 * G_TIME_SPAN_SECOND);
  /* its fence is signalled, with the reason */
  fail_if (gst_zc_fence_wait_buffer (out, GST_MAP_READ, 0, &error));
  fail_unless (g_error_matches (error, GST_ZC_ACCEL_ERROR,
          GST_ZC_ACCEL_ERROR_CANCELLED));
  g_clear_error (&error);
  stats = gst_zc_accel_device_get_stats (dev);
  gst_structure_get_uint64 (stats, "cancelled", &cancelled);
  fail_unless_equals_uint64 (cancelled, 1);
  gst_structure_free (stats);

  /* while flushing nothing is queued; afterwards jobs run again */
  fail_if (gst_zc_accel_device_submit (dev, in, &s.info, s.out, &s.info,
          GST_VIDEO_ORIENTATION_IDENTITY, &error));
  fail_unless (g_error_matches (error, GST_ZC_ACCEL_ERROR,
          GST_ZC_ACCEL_ERROR_FLUSHING));
  g_clear_error (&error);
  gst_zc_accel_device_set_flushing (dev, FALSE);
  g_object_set (dev, "latency", (guint64) 0, NULL);
  gst_zc_accel_job_unref (job);
  gst_buffer_unref (out);
  out = new_frame (&s.info, 1);
  job = submit_ok (dev, in, &s.info, out);
  fail_unless (gst_zc_accel_job_wait (job, 5 * GST_SECOND, NULL));

  gst_zc_accel_job_unref (job);
  g_clear_error (&s.error);
  gst_buffer_unref (s.out);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

/* Disposing of a busy device ends its jobs: nobody waits forever. */
GST_START_TEST (test_dispose_cancels)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstVideoInfo info;
  GstBuffer *in, *out;
  GstZcAccelJob *job;

  g_object_set (dev, "latency", (guint64) 10 * GST_SECOND, NULL);
  set_info (&info, GST_VIDEO_FORMAT_GRAY8, 16, 16);
  in = new_frame (&info, 1);
  out = new_frame (&info, 1);
  job = submit_ok (dev, in, &info, out);
  gst_object_unref (dev);
  fail_unless_equals_int (gst_zc_accel_job_get_state (job),
      GST_ZC_ACCEL_JOB_CANCELLED);

  gst_zc_accel_job_unref (job);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
}

GST_END_TEST;

/* The job holds the input until it ends, then gives it back (to a
 * capture device waiting for its buffer), and hands the output over. */
GST_START_TEST (test_job_references)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstVideoInfo info;
  GstBuffer *in, *out, *taken;
  GstZcAccelJob *job;

  g_object_set (dev, "latency", (guint64) 200 * GST_MSECOND, NULL);
  set_info (&info, GST_VIDEO_FORMAT_NV12, 32, 32);
  in = new_frame (&info, 1);
  out = new_frame (&info, 1);
  job = submit_ok (dev, in, &info, out);
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (in), 2);
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (out), 2);
  fail_unless (gst_zc_accel_job_steal_output (job) == NULL);

  fail_unless (gst_zc_accel_job_wait (job, 5 * GST_SECOND, NULL));
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (in), 1);
  gst_buffer_unref (out);
  taken = gst_zc_accel_job_steal_output (job);
  fail_unless (taken == out);
  fail_unless (gst_buffer_is_writable (taken));
  fail_unless (gst_zc_accel_job_get_output (job) == NULL);

  gst_zc_accel_job_unref (job);
  gst_buffer_unref (taken);
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

/* ---- constraints ---- */

static void
check_refused (GstZcAccelDevice * dev, GstBuffer * in,
    const GstVideoInfo * in_info, GstBuffer * out,
    const GstVideoInfo * out_info, gint code)
{
  GError *error = NULL;

  fail_if (gst_zc_accel_device_submit (dev, in, in_info, out, out_info,
          GST_VIDEO_ORIENTATION_IDENTITY, &error));
  fail_unless (g_error_matches (error, GST_ZC_ACCEL_ERROR, code),
      "expected code %d, got %s", code, error ? error->message : "nothing");
  /* refused before queueing: no pending fence is left on the output */
  fail_if (gst_buffer_get_zc_fence_meta (out) != NULL);
  g_clear_error (&error);
}

GST_START_TEST (test_constraint_violations)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstVideoInfo info, ayuv, big, small;
  GstBuffer *in, *out, *sysmem, *misaligned, *in_ayuv, *in_big, *tiny;
  GstZcAccelJob *job;

  g_object_set (dev, "max-width", 640, "max-height", 480, "stride-align",
      64, NULL);
  set_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
  in = new_frame (&info, 64);
  out = new_frame (&info, 64);

  set_info (&ayuv, GST_VIDEO_FORMAT_AYUV, 64, 48);
  in_ayuv = gst_buffer_new_allocate (NULL, ayuv.size, NULL);
  check_refused (dev, in_ayuv, &ayuv, out, &info, GST_ZC_ACCEL_ERROR_FORMAT);

  set_info (&big, GST_VIDEO_FORMAT_BGRx, 800, 48);
  in_big = new_frame (&big, 64);
  check_refused (dev, in_big, &big, out, &info, GST_ZC_ACCEL_ERROR_SIZE);
  check_refused (dev, in, &info, in_big, &big, GST_ZC_ACCEL_ERROR_SIZE);

  sysmem = gst_buffer_new_allocate (NULL, info.size, NULL);
  check_refused (dev, sysmem, &info, out, &info, GST_ZC_ACCEL_ERROR_MEMORY);

  tiny = new_fd_buffer (1024);
  check_refused (dev, in, &info, tiny, &info, GST_ZC_ACCEL_ERROR_MEMORY);

  add_crop (in, 32, 0, 64, 48);
  check_refused (dev, in, &info, out, &info, GST_ZC_ACCEL_ERROR_SIZE);
  gst_buffer_remove_meta (in, (GstMeta *) gst_buffer_get_video_crop_meta (in));

  /* 40 BGRx pixels: 160-byte rows, not a multiple of 64 */
  set_info (&small, GST_VIDEO_FORMAT_BGRx, 40, 48);
  misaligned = new_frame (&small, 1);
  check_refused (dev, misaligned, &small, out, &info,
      GST_ZC_ACCEL_ERROR_STRIDE);
  check_refused (dev, in, &info, misaligned, &small, GST_ZC_ACCEL_ERROR_STRIDE);
  fail_unless (gst_zc_accel_device_check_frame (dev, in, &info, FALSE, NULL));

  /* within the constraints, it works */
  job = submit_ok (dev, in, &info, out);
  fail_unless (gst_zc_accel_job_wait (job, 5 * GST_SECOND, NULL));

  gst_zc_accel_job_unref (job);
  gst_buffer_unref (misaligned);
  gst_buffer_unref (tiny);
  gst_buffer_unref (sysmem);
  gst_buffer_unref (in_big);
  gst_buffer_unref (in_ayuv);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

/* With the fallback, a misaligned input is copied (and counted), and the
 * result is the same. */
GST_START_TEST (test_stride_fallback_counted)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out, *ref;
  GstStructure *stats;
  guint64 fallbacks = 0, copied = 0;

  g_object_set (dev, "stride-align", 64, "fallback", TRUE, NULL);
  set_info (&in_info, GST_VIDEO_FORMAT_RGB, 40, 30);
  set_info (&out_info, GST_VIDEO_FORMAT_NV12, 64, 48);
  in = new_frame (&in_info, 1);
  fill_pattern (in, &in_info, 3);
  out = run_job (dev, in, &in_info, &out_info, GST_VIDEO_ORIENTATION_IDENTITY);
  ref = reference (in, &in_info, &out_info, NULL);
  fail_unless (max_difference (out, &out_info, ref) <= 2);

  stats = gst_zc_accel_device_get_stats (dev);
  gst_structure_get_uint64 (stats, "fallbacks", &fallbacks);
  gst_structure_get_uint64 (stats, "bytes-copied", &copied);
  fail_unless_equals_uint64 (fallbacks, 1);
  /* 30 rows of 120 bytes, rounded up to 128 */
  fail_unless_equals_uint64 (copied, 128 * 30);
  gst_structure_free (stats);

  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

GST_START_TEST (test_stats)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstVideoInfo in_info, out_info;
  GstStructure *stats;
  guint64 jobs = 0, pixels = 0, avg = 0, max = 0, kernel = 1;
  GstBuffer *in;
  guint i;

  set_info (&in_info, GST_VIDEO_FORMAT_NV12, 64, 48);
  set_info (&out_info, GST_VIDEO_FORMAT_BGRx, 32, 24);
  in = new_frame (&in_info, 1);
  for (i = 0; i < 5; i++)
    gst_buffer_unref (run_job (dev, in, &in_info, &out_info,
            GST_VIDEO_ORIENTATION_IDENTITY));

  g_object_get (dev, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "jobs", &jobs));
  fail_unless (gst_structure_get_uint64 (stats, "pixels", &pixels));
  fail_unless (gst_structure_get_uint64 (stats, "job-time-avg", &avg));
  fail_unless (gst_structure_get_uint64 (stats, "job-time-max", &max));
  fail_unless (gst_structure_get_uint64 (stats, "kernel-fenced", &kernel));
  fail_unless_equals_uint64 (jobs, 5);
  fail_unless_equals_uint64 (pixels, 5 * 64 * 48);
  fail_unless (avg > 0 && max >= avg);
  /* no vgem, and memfd is not a dma-buf: the fence meta alone */
  fail_unless_equals_uint64 (kernel, 0);
  gst_structure_free (stats);

  gst_zc_accel_device_reset_stats (dev);
  stats = gst_zc_accel_device_get_stats (dev);
  gst_structure_get_uint64 (stats, "jobs", &jobs);
  fail_unless_equals_uint64 (jobs, 0);
  gst_structure_free (stats);

  gst_buffer_unref (in);
  gst_object_unref (dev);
}

GST_END_TEST;

/* ---- fences ---- */

static gpointer
signal_later (gpointer data)
{
  g_usleep (150 * G_TIME_SPAN_MILLISECOND);
  gst_zc_fence_meta_signal (data, NULL);
  return NULL;
}

GST_START_TEST (test_fence_meta)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);
  GstZcFenceMeta *meta = gst_buffer_add_zc_fence_meta (buf);
  GstBuffer *copy;
  GError *error = NULL;
  GThread *thread;
  gint64 t0;

  fail_if (gst_zc_fence_meta_is_signalled (meta));
  fail_if (gst_zc_fence_meta_wait (meta, 20 * GST_MSECOND, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_clear_error (&error);

  /* a copy shares the fence: signalling the original releases it */
  copy = gst_buffer_copy (buf);
  fail_unless (gst_buffer_get_zc_fence_meta (copy) != NULL);
  t0 = g_get_monotonic_time ();
  thread = g_thread_new ("signal", signal_later, meta);
  fail_unless (gst_zc_fence_wait_buffer (copy, GST_MAP_READ, 5 * GST_SECOND,
          &error), "%s", error ? error->message : "");
  fail_unless (g_get_monotonic_time () - t0 >= 140 * G_TIME_SPAN_MILLISECOND);
  g_thread_join (thread);
  fail_unless (gst_zc_fence_meta_is_signalled (meta));
  fail_unless (gst_zc_fence_meta_wait (meta, 0, NULL));

  gst_buffer_unref (copy);
  gst_buffer_unref (buf);
}

GST_END_TEST;

GST_START_TEST (test_fence_meta_error)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);
  GstZcFenceMeta *meta = gst_buffer_add_zc_fence_meta (buf);
  GError *cause = g_error_new (GST_ZC_ACCEL_ERROR,
      GST_ZC_ACCEL_ERROR_FAILED, "device fault");
  GError *error = NULL;

  gst_zc_fence_meta_signal (meta, cause);
  fail_if (gst_zc_fence_meta_wait_buffer (buf, GST_SECOND, &error));
  fail_unless (g_error_matches (error, GST_ZC_ACCEL_ERROR,
          GST_ZC_ACCEL_ERROR_FAILED));
  fail_unless_equals_string (error->message, "device fault");

  g_clear_error (&error);
  g_error_free (cause);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* A device reading a frame another device still writes waits for it
 * through gst_zc_fence_wait_buffer(), which honours the fence meta. */
GST_START_TEST (test_chained_devices_wait)
{
  GstZcAccelDevice *dev_a = gst_zc_accel_device_new ();
  GstZcAccelDevice *dev_b = gst_zc_accel_device_new ();
  GstVideoInfo info, small;
  GstBuffer *in, *other, *mid, *out, *ref;
  GstZcAccelJob *ahead, *a, *b;
  gint64 t0;

  g_object_set (dev_a, "latency", (guint64) 300 * GST_MSECOND, NULL);
  set_info (&info, GST_VIDEO_FORMAT_I420, 64, 48);
  set_info (&small, GST_VIDEO_FORMAT_BGRx, 32, 24);
  in = new_frame (&info, 1);
  fill_pattern (in, &info, 9);
  other = new_frame (&info, 1);
  mid = new_frame (&info, 1);
  fill_pattern (mid, &info, 200);
  out = new_frame (&small, 1);

  /* The first device writes mid only after a 300 ms job ahead of it, and
   * signals it 300 ms later still; a reader that did not wait would read
   * mid's old bytes at once. */
  t0 = g_get_monotonic_time ();
  ahead = submit_ok (dev_a, in, &info, other);
  a = gst_zc_accel_device_submit (dev_a, in, &info, mid, &info,
      GST_VIDEO_ORIENTATION_180, NULL);
  fail_unless (a != NULL);
  b = gst_zc_accel_device_submit (dev_b, mid, &info, out, &small,
      GST_VIDEO_ORIENTATION_IDENTITY, NULL);
  fail_unless (b != NULL);
  fail_unless (gst_zc_accel_job_wait (b, 5 * GST_SECOND, NULL));
  /* b could only read mid once a had ended, 600 ms after the start */
  fail_unless (g_get_monotonic_time () - t0 >= 590 * G_TIME_SPAN_MILLISECOND);
  fail_unless (gst_zc_accel_job_wait (a, GST_SECOND, NULL));

  ref = reference (mid, &info, &small, NULL);
  fail_unless (max_difference (out, &small, ref) <= 2);

  gst_zc_accel_job_unref (b);
  gst_zc_accel_job_unref (a);
  gst_zc_accel_job_unref (ahead);
  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_buffer_unref (mid);
  gst_buffer_unref (other);
  gst_buffer_unref (in);
  gst_object_unref (dev_b);
  gst_object_unref (dev_a);
}

GST_END_TEST;

/* ---- uploads ---- */

GST_START_TEST (test_buffer_upload)
{
  GstVideoInfo info;
  GstBuffer *src, *dst;
  GError *error = NULL;
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0, 100 * 32 };
  gint stride[GST_VIDEO_MAX_PLANES] = { 100, 100 };

  /* a padded system-memory NV12 frame: 100-byte rows for 72 pixels */
  set_info (&info, GST_VIDEO_FORMAT_NV12, 72, 32);
  src = gst_buffer_new_allocate (NULL, 100 * 48, NULL);
  gst_buffer_add_video_meta_full (src, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_NV12, 72, 32, 2, offset, stride);
  fill_pattern (src, &info, 5);
  dst = new_frame (&info, 256);

  fail_unless (gst_zc_buffer_upload (dst, src, &info, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (gst_buffer_get_video_meta (dst)->stride[0], 256);
  fail_unless_equals_int (max_difference (dst, &info, src), 0);

  /* a source too small for the frame is refused */
  gst_buffer_resize (src, 0, 100);
  fail_if (gst_zc_buffer_upload (dst, src, &info, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
  g_clear_error (&error);

  gst_buffer_unref (dst);
  gst_buffer_unref (src);
}

GST_END_TEST;

static Suite *
zcacceldevice_suite (void)
{
  Suite *s = suite_create ("zcacceldevice");
  TCase *tc_convert = tcase_create ("convert");
  TCase *tc_model = tcase_create ("model");
  TCase *tc_fence = tcase_create ("fence");

  suite_add_tcase (s, tc_convert);
  tcase_add_test (tc_convert, test_every_format_pair_scaled_down);
  tcase_add_test (tc_convert, test_every_format_pair_scaled_up);
  tcase_add_test (tc_convert, test_same_size_is_exact);
  tcase_add_test (tc_convert, test_orientations_rgb);
  tcase_add_test (tc_convert, test_orientations_yuv);
  tcase_add_test (tc_convert, test_crop);
  tcase_add_test (tc_convert, test_crop_then_rotate);
  tcase_add_test (tc_convert, test_buffer_upload);

  suite_add_tcase (s, tc_model);
  tcase_add_test (tc_model, test_submit_is_asynchronous);
  tcase_add_test (tc_model, test_queue_depth_back_pressure);
  tcase_add_test (tc_model, test_duration_model);
  tcase_add_test (tc_model, test_flush_cancels_and_unblocks);
  tcase_add_test (tc_model, test_dispose_cancels);
  tcase_add_test (tc_model, test_job_references);
  tcase_add_test (tc_model, test_constraint_violations);
  tcase_add_test (tc_model, test_stride_fallback_counted);
  tcase_add_test (tc_model, test_stats);

  suite_add_tcase (s, tc_fence);
  tcase_add_test (tc_fence, test_fence_meta);
  tcase_add_test (tc_fence, test_fence_meta_error);
  tcase_add_test (tc_fence, test_chained_devices_wait);

  return s;
}

GST_CHECK_MAIN (zcacceldevice);
