/* Unit tests for the zcaccel element: negotiation, results, asynchrony, errors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The element runs in a GstHarness. The host has no dma-buf exporter: the
 * element's pools run on the memfd backend, and dma-bufs are imitated with
 * memfds wrapped by upstream's GstDmaBufAllocator (as input, and as the
 * pool a display downstream would offer). ioctl() is wrapped to record
 * every DMA_BUF_IOCTL_SYNC with the name of the thread that issued it, and
 * to answer it as a kernel would for a real dma-buf. Results are compared
 * with GstVideoConverter run by the test as videoconvertscale's default
 * (bilinear) configures it: what `videoconvert ! videoscale` computes.
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
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <linux/dma-buf.h>

/* ---- the ioctl recorder ---- */

#define MAX_SYNCS 1024

static struct
{
  GMutex lock;
  gboolean recording;
  guint n;
  guint64 flags[MAX_SYNCS];
  gchar thread[MAX_SYNCS][16];
} syncs;

int ioctl (int fd, unsigned long request, ...);

/* SYNC succeeds as on a real dma-buf (the memfds behind the imitations
 * would answer ENOTTY); everything else goes to libc. */
int
ioctl (int fd, unsigned long request, ...)
{
  static int (*real_ioctl) (int, unsigned long, ...);
  va_list ap;
  void *arg;

  va_start (ap, request);
  arg = va_arg (ap, void *);
  va_end (ap);

  if (request != DMA_BUF_IOCTL_SYNC) {
    if (!real_ioctl)
      real_ioctl = dlsym (RTLD_NEXT, "ioctl");
    return real_ioctl (fd, request, arg);
  }
  g_mutex_lock (&syncs.lock);
  if (!syncs.recording) {
    g_mutex_unlock (&syncs.lock);
    return 0;
  }
  if (syncs.n < MAX_SYNCS) {
    syncs.flags[syncs.n] = ((struct dma_buf_sync *) arg)->flags;
    prctl (PR_GET_NAME, syncs.thread[syncs.n], 0, 0, 0);
  }
  syncs.n++;
  g_mutex_unlock (&syncs.lock);
  return 0;
}

/* Only the element's SYNCs count, not the test's own checks. */
static void
record_syncs (gboolean recording)
{
  g_mutex_lock (&syncs.lock);
  syncs.recording = recording;
  g_mutex_unlock (&syncs.lock);
}

/* SYNCs with @flags; those issued by another thread than @thread are
 * counted in *@elsewhere. */
static guint
count_syncs (guint64 flags, const gchar * thread, guint * elsewhere)
{
  guint i, n = 0;

  g_mutex_lock (&syncs.lock);
  for (i = 0; i < MIN (syncs.n, MAX_SYNCS); i++) {
    if (syncs.flags[i] != flags)
      continue;
    if (g_str_equal (syncs.thread[i], thread))
      n++;
    else
      (*elsewhere)++;
  }
  g_mutex_unlock (&syncs.lock);
  return n;
}

/* ---- the GST_PERFORMANCE recorder ---- */

static struct
{
  GObject *object;
  guint n_info;
} perf;

static void
record_performance (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (object && object == perf.object && level == GST_LEVEL_INFO
      && g_str_equal (gst_debug_category_get_name (category),
          "GST_PERFORMANCE"))
    g_atomic_int_inc (&perf.n_info);
}

/* ---- frames ---- */

typedef struct
{
  guint8 r, g, b;
} Rgb;

static const Rgb RED = { 255, 0, 0 };
static const Rgb GREEN = { 0, 255, 0 };
static const Rgb BLUE = { 0, 0, 255 };
static const Rgb WHITE = { 255, 255, 255 };

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

static void
fill_quadrants (GstBuffer * buf, const GstVideoInfo * info)
{
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
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

/* videoconvertscale's default method, bilinear: linear, 2 taps. */
static GstBuffer *
reference (GstBuffer * in, const GstVideoInfo * in_info,
    const GstVideoInfo * out_info)
{
  GstStructure *config = gst_structure_new ("reference",
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
      GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
      GST_VIDEO_RESAMPLER_OPT_MAX_TAPS, G_TYPE_INT, 2, NULL);
  GstBuffer *out = gst_buffer_new_allocate (NULL, out_info->size, NULL);
  GstVideoConverter *convert;
  GstVideoFrame fi, fo;

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

static Rgb
pixel_at (GstBuffer * buf, const GstVideoInfo * info, gint x, gint y)
{
  GstVideoInfo rgb_info;
  GstBuffer *rgb;
  GstMapInfo map;
  Rgb c;

  gst_video_info_set_format (&rgb_info, GST_VIDEO_FORMAT_RGB,
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
  rgb_info.fps_n = info->fps_n;
  rgb_info.fps_d = info->fps_d;
  rgb = reference (buf, info, &rgb_info);
  fail_unless (gst_buffer_map (rgb, &map, GST_MAP_READ));
  c.r = map.data[y * rgb_info.stride[0] + 3 * x];
  c.g = map.data[y * rgb_info.stride[0] + 3 * x + 1];
  c.b = map.data[y * rgb_info.stride[0] + 3 * x + 2];
  gst_buffer_unmap (rgb, &map);
  gst_buffer_unref (rgb);
  return c;
}

static void
check_corners (GstBuffer * out, const GstVideoInfo * info,
    const Rgb * const corners[4], const gchar * what)
{
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  const gint xs[4] = { 2, w - 3, 2, w - 3 }, ys[4] = { 2, 2, h - 3, h - 3 };
  guint i;

  for (i = 0; i < 4; i++) {
    Rgb c = pixel_at (out, info, xs[i], ys[i]);

    fail_unless (c.r == corners[i]->r && c.g == corners[i]->g
        && c.b == corners[i]->b, "%s, corner %u: got %u,%u,%u", what, i,
        c.r, c.g, c.b);
  }
}

/* ---- the harness ---- */

static GstHarness *
accel_harness (const gchar * first_property, ...)
{
  GstElement *element = gst_element_factory_make ("zcaccel", NULL);
  va_list args;

  fail_unless (element != NULL, "zcaccel is not available");
  va_start (args, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (element), first_property, args);
  va_end (args);
  return gst_harness_new_with_element (element, "sink", "src");
}

static void
set_caps (GstHarness * h, const GstVideoInfo * in, const gchar * out_caps)
{
  GstCaps *caps = gst_video_info_to_caps (in);

  gst_harness_set_sink_caps_str (h, out_caps);
  gst_harness_set_src_caps (h, caps);
}

/* A frame from the pool the element proposes to an upstream element that
 * asks for one (the harness itself does not ask). */
static GstBuffer *
proposed_buffer (GstHarness * h, const GstVideoInfo * info, guint * align)
{
  GstCaps *caps = gst_video_info_to_caps (info);
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  GstBufferPool *pool = NULL;
  GstBuffer *buf = NULL;
  GstStructure *config;
  GstVideoAlignment va;

  fail_unless (gst_pad_peer_query (h->srcpad, query));
  fail_unless (gst_query_find_allocation_meta (query,
          GST_VIDEO_CROP_META_API_TYPE, NULL));
  fail_unless (gst_query_get_n_allocation_pools (query) > 0);
  gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
  config = gst_buffer_pool_get_config (pool);
  gst_video_alignment_reset (&va);
  gst_buffer_pool_config_get_video_alignment (config, &va);
  *align = va.stride_align[0] + 1;
  gst_structure_free (config);
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);

  gst_object_unref (pool);
  gst_query_unref (query);
  gst_caps_unref (caps);
  return buf;
}

static void
get_output_info (GstHarness * h, GstVideoInfo * info)
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
get_stat (GstHarness * h, const gchar * name)
{
  GstStructure *stats = get_stats (h);
  guint64 value = 0;

  fail_unless (gst_structure_get_uint64 (stats, name, &value), "no %s", name);
  gst_structure_free (stats);
  return value;
}

static void
set_info (GstVideoInfo * info, GstVideoFormat format, gint w, gint h)
{
  gst_video_info_set_format (info, format, w, h);
  info->fps_n = 30;
  info->fps_d = 1;
}

/* ---- conversion and scaling against the reference ---- */

static void
check_through_element (GstVideoFormat from, GstVideoFormat to, gint ow, gint oh)
{
  GstHarness *h = accel_harness (NULL);
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out, *ref;
  gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d",
      gst_video_format_to_string (to), ow, oh);

  set_info (&in_info, from, 64, 48);
  set_caps (h, &in_info, caps);
  in = gst_harness_create_buffer (h, in_info.size);
  fill_pattern (in, &in_info, from + to);
  ref = NULL;
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  get_output_info (h, &out_info);
  fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&out_info), to);
  ref = reference (in, &in_info, &out_info);
  fail_unless (max_difference (out, &out_info, ref) <= 2, "%s -> %s %dx%d",
      gst_video_format_to_string (from), gst_video_format_to_string (to),
      ow, oh);

  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  g_free (caps);
  gst_harness_teardown (h);
}

GST_START_TEST (test_convert_and_scale)
{
  const GstVideoFormat from[] = { GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_RGB
  };
  const GstVideoFormat to[] = { GST_VIDEO_FORMAT_BGRx,
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_RGBx
  };
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (from); i++)
    for (j = 0; j < G_N_ELEMENTS (to); j++) {
      check_through_element (from[i], to[j], 32, 24);
      check_through_element (from[i], to[j], 96, 72);
    }
}

GST_END_TEST;

/* ---- negotiation ---- */

static void
check_negotiated (const gchar * props, gint w, gint h,
    const gchar * downstream, gint want_w, gint want_h, const gchar * format)
{
  GstHarness *hr = accel_harness (NULL);
  GstVideoInfo in_info, out_info;

  if (props)
    gst_util_set_object_arg (G_OBJECT (hr->element), "rotation", props);
  set_info (&in_info, GST_VIDEO_FORMAT_I420, w, h);
  set_caps (hr, &in_info, downstream);
  gst_harness_push (hr, gst_harness_create_buffer (hr, in_info.size));
  gst_buffer_unref (gst_harness_pull (hr));
  get_output_info (hr, &out_info);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&out_info), want_w);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&out_info), want_h);
  fail_unless_equals_string (GST_VIDEO_INFO_NAME (&out_info), format);
  gst_harness_teardown (hr);
}

GST_START_TEST (test_negotiation)
{
  /* nothing asked: the input's format and size */
  check_negotiated (NULL, 320, 240, "video/x-raw", 320, 240, "I420");
  /* a height: the width keeps the display aspect ratio */
  check_negotiated (NULL, 320, 240, "video/x-raw,format=BGRx,height=120",
      160, 120, "BGRx");
  check_negotiated (NULL, 320, 240, "video/x-raw,width=100", 100, 75, "I420");
  /* the closest format when the input's is not possible */
  check_negotiated (NULL, 64, 48, "video/x-raw,format={ BGRx, NV12 }", 64,
      48, "NV12");
  /* a rotation by 90 degrees swaps the sides */
  check_negotiated ("90r", 320, 240, "video/x-raw,format=RGB", 240, 320, "RGB");
  check_negotiated ("90l", 320, 240, "video/x-raw,width=120", 120, 160, "I420");
  check_negotiated ("180", 320, 240, "video/x-raw", 320, 240, "I420");
}

GST_END_TEST;

GST_START_TEST (test_caps_query)
{
  GstHarness *h = accel_harness ("max-width", 640, "max-height", 480, NULL);
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  GstCaps *caps, *big;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=NV12,width=1920,"
      "height=1080,framerate=30/1");
  caps = gst_pad_query_caps (src, NULL);
  /* every format, sizes up to the device's limits */
  big = gst_caps_from_string ("video/x-raw,format=BGRx,width=800,"
      "height=600");
  fail_if (gst_caps_can_intersect (caps, big));
  gst_caps_unref (big);
  big = gst_caps_from_string ("video/x-raw(memory:DMABuf),format=RGB,"
      "width=640,height=480");
  fail_unless (gst_caps_can_intersect (caps, big));

  gst_caps_unref (big);
  gst_caps_unref (caps);
  gst_object_unref (src);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- flips and rotations, composed ---- */

static void
check_orientation (const gchar * flip, const gchar * rotation,
    const Rgb * const corners[4])
{
  GstHarness *h = accel_harness (NULL);
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out;
  gchar *what = g_strdup_printf ("flip %s, rotation %s", flip, rotation);

  gst_util_set_object_arg (G_OBJECT (h->element), "flip", flip);
  gst_util_set_object_arg (G_OBJECT (h->element), "rotation", rotation);
  set_info (&in_info, GST_VIDEO_FORMAT_RGB, 48, 32);
  set_caps (h, &in_info, "video/x-raw,format=RGB");
  in = gst_harness_create_buffer (h, in_info.size);
  fill_quadrants (in, &in_info);
  gst_harness_push (h, in);
  out = gst_harness_pull (h);
  get_output_info (h, &out_info);
  check_corners (out, &out_info, corners, what);

  gst_buffer_unref (out);
  g_free (what);
  gst_harness_teardown (h);
}

GST_START_TEST (test_flip_and_rotation)
{
  const Rgb *id[4] = { &RED, &GREEN, &BLUE, &WHITE };
  const Rgb *r90[4] = { &BLUE, &RED, &WHITE, &GREEN };
  const Rgb *r180[4] = { &WHITE, &BLUE, &GREEN, &RED };
  const Rgb *r90l[4] = { &GREEN, &WHITE, &RED, &BLUE };
  const Rgb *horiz[4] = { &GREEN, &RED, &WHITE, &BLUE };
  const Rgb *vert[4] = { &BLUE, &WHITE, &RED, &GREEN };
  /* mirrored, then turned: the two diagonal flips */
  const Rgb *ur_ll[4] = { &WHITE, &GREEN, &BLUE, &RED };
  const Rgb *ul_lr[4] = { &RED, &BLUE, &GREEN, &WHITE };

  check_orientation ("none", "identity", id);
  check_orientation ("none", "90r", r90);
  check_orientation ("none", "180", r180);
  check_orientation ("none", "90l", r90l);
  check_orientation ("horiz", "identity", horiz);
  check_orientation ("vert", "identity", vert);
  check_orientation ("horiz", "90r", ur_ll);
  check_orientation ("vert", "90r", ul_lr);
  check_orientation ("horiz", "180", vert);
  check_orientation ("vert", "90l", ur_ll);
}

GST_END_TEST;

/* A rotation set while playing applies from the next frame on, with new
 * caps. */
GST_START_TEST (test_rotation_while_playing)
{
  GstHarness *h = accel_harness (NULL);
  GstVideoInfo in_info, out_info;

  set_info (&in_info, GST_VIDEO_FORMAT_NV12, 64, 48);
  set_caps (h, &in_info, "video/x-raw");
  gst_harness_push (h, gst_harness_create_buffer (h, in_info.size));
  gst_buffer_unref (gst_harness_pull (h));
  get_output_info (h, &out_info);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&out_info), 64);

  gst_util_set_object_arg (G_OBJECT (h->element), "rotation", "90r");
  gst_harness_push (h, gst_harness_create_buffer (h, in_info.size));
  gst_buffer_unref (gst_harness_pull (h));
  get_output_info (h, &out_info);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&out_info), 48);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&out_info), 64);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- asynchrony, back-pressure, latency, EOS, flushing ---- */

GST_START_TEST (test_async_back_pressure)
{
  GstHarness *h = accel_harness ("queue-depth", 2, "latency",
      (guint64) 300 * GST_MSECOND, NULL);
  GstVideoInfo info;
  gint64 t0, t1;
  guint i;

  set_info (&info, GST_VIDEO_FORMAT_NV12, 64, 48);
  set_caps (h, &info, "video/x-raw");

  /* the streaming thread submits and returns: two jobs in flight */
  t0 = g_get_monotonic_time ();
  for (i = 0; i < 2; i++) {
    GstBuffer *in = gst_harness_create_buffer (h, info.size);

    GST_BUFFER_PTS (in) = i * GST_SECOND;
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  }
  t1 = g_get_monotonic_time ();
  fail_unless (t1 - t0 < 250 * G_TIME_SPAN_MILLISECOND,
      "pushing took %" G_GINT64_FORMAT " us", t1 - t0);
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);

  /* the third waits for a free slot: the first job's end, 300 ms in */
  {
    GstBuffer *in = gst_harness_create_buffer (h, info.size);

    GST_BUFFER_PTS (in) = 2 * GST_SECOND;
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  }
  fail_unless (g_get_monotonic_time () - t0 >= 290 * G_TIME_SPAN_MILLISECOND);

  /* pushed in order */
  for (i = 0; i < 3; i++) {
    GstBuffer *out = gst_harness_pull (h);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * GST_SECOND);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (get_stat (h, "jobs"), 3);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_latency_query)
{
  GstHarness *h = accel_harness ("queue-depth", 3, "latency",
      (guint64) 5 * GST_MSECOND, "pixel-rate", (guint64) 320 * 240 * 100,
      NULL);
  GstVideoInfo info;

  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  set_info (&info, GST_VIDEO_FORMAT_NV12, 320, 240);
  set_caps (h, &info, "video/x-raw,width=160,height=120");
  /* upstream's 10 ms + 5 ms + 3 frames of 320x240 pixels at 10 ms each */
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 45 * GST_MSECOND);

  g_object_set (h->element, "pixel-rate", (guint64) 0, NULL);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 15 * GST_MSECOND);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* EOS goes out after the output of every job submitted before it. */
GST_START_TEST (test_eos_after_pending_jobs)
{
  GstHarness *h = accel_harness ("latency", (guint64) 100 * GST_MSECOND,
      "queue-depth", 3, NULL);
  GstVideoInfo info;
  GstEvent *event;
  guint i;

  set_info (&info, GST_VIDEO_FORMAT_I420, 64, 48);
  set_caps (h, &info, "video/x-raw");
  for (i = 0; i < 3; i++)
    gst_harness_push (h, gst_harness_create_buffer (h, info.size));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless (gst_harness_buffers_received (h) < 3,
      "jobs of 100 ms cannot be done yet");

  while ((event = gst_harness_pull_event (h))) {
    gboolean eos = GST_EVENT_TYPE (event) == GST_EVENT_EOS;

    gst_event_unref (event);
    if (eos)
      break;
  }
  fail_unless_equals_int (gst_harness_buffers_received (h), 3);
  /* after EOS, more data is refused */
  fail_unless_equals_int (gst_harness_push (h, gst_harness_create_buffer (h,
              info.size)), GST_FLOW_EOS);
  gst_harness_teardown (h);
}

GST_END_TEST;

typedef struct
{
  GstHarness *h;
  GstBuffer *buffer;
  GstFlowReturn ret;
} Push;

static gpointer
push_thread (gpointer data)
{
  Push *p = data;

  p->ret = gst_harness_push (p->h, p->buffer);
  return NULL;
}

GST_START_TEST (test_flush)
{
  GstHarness *h = accel_harness ("queue-depth", 1, "latency",
      (guint64) 5 * GST_SECOND, NULL);
  GstSegment segment;
  GstVideoInfo info;
  Push p = { 0, };
  GThread *thread;
  gint64 t0;

  set_info (&info, GST_VIDEO_FORMAT_NV12, 64, 48);
  set_caps (h, &info, "video/x-raw");
  fail_unless_equals_int (gst_harness_push (h, gst_harness_create_buffer (h,
              info.size)), GST_FLOW_OK);
  /* the queue is full: the next push blocks in the streaming thread */
  p.h = h;
  p.buffer = gst_harness_create_buffer (h, info.size);
  thread = g_thread_new ("push", push_thread, &p);
  g_usleep (100 * G_TIME_SPAN_MILLISECOND);

  t0 = g_get_monotonic_time ();
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_thread_join (thread);
  fail_unless_equals_int (p.ret, GST_FLOW_FLUSHING);
  fail_unless (g_get_monotonic_time () - t0 < 2 * G_TIME_SPAN_SECOND);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  /* the cancelled job's output is dropped */
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  fail_unless (get_stat (h, "cancelled") >= 1);

  /* and the stream goes on */
  g_object_set (h->element, "latency", (guint64) 0, NULL);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  fail_unless_equals_int (gst_harness_push (h, gst_harness_create_buffer (h,
              info.size)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- memory: dma-buf in and out, uploads, downstream pools ---- */

#define TEST_TYPE_DMABUF_POOL (test_dmabuf_pool_get_type ())
G_DECLARE_FINAL_TYPE (TestDmabufPool, test_dmabuf_pool, TEST, DMABUF_POOL,
    GstBufferPool);

/* A display's pool: frames with 256-byte strides, each a memfd wrapped by
 * upstream's GstDmaBufAllocator. */
struct _TestDmabufPool
{
  GstBufferPool parent;
  GstAllocator *allocator;
  GstVideoInfo info;
};

G_DEFINE_TYPE (TestDmabufPool, test_dmabuf_pool, GST_TYPE_BUFFER_POOL);

static gint
new_memfd (gsize size)
{
  gint fd = memfd_create ("zcaccel-test", MFD_CLOEXEC);

  fail_unless (fd >= 0 && ftruncate (fd, size) == 0);
  return fd;
}

/* A frame of @info in one memfd that upstream's allocator calls a
 * dma-buf, laid out by @info. */
static GstBuffer *
new_fake_dmabuf (GstAllocator * allocator, const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new ();

  GstVideoInfo layout = *info;

  gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (allocator,
          new_memfd (info->size), info->size));
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info),
      layout.offset, layout.stride);
  return buf;
}

static gboolean
test_dmabuf_pool_set_config (GstBufferPool * pool, GstStructure * config)
{
  TestDmabufPool *self = TEST_DMABUF_POOL (pool);
  GstVideoAlignment align;
  GstCaps *caps;
  guint i, min, max;

  fail_unless (gst_buffer_pool_config_get_params (config, &caps, NULL, &min,
          &max));
  fail_unless (gst_video_info_from_caps (&self->info, caps));
  gst_video_alignment_reset (&align);
  for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
    align.stride_align[i] = 255;
  fail_unless (gst_video_info_align (&self->info, &align));
  gst_buffer_pool_config_set_params (config, caps, self->info.size, min, max);
  return GST_BUFFER_POOL_CLASS (test_dmabuf_pool_parent_class)->set_config
      (pool, config);
}

static GstFlowReturn
test_dmabuf_pool_alloc_buffer (GstBufferPool * pool, GstBuffer ** buffer,
    GstBufferPoolAcquireParams * params)
{
  TestDmabufPool *self = TEST_DMABUF_POOL (pool);

  *buffer = new_fake_dmabuf (self->allocator, &self->info);
  return GST_FLOW_OK;
}

static void
test_dmabuf_pool_finalize (GObject * object)
{
  gst_object_unref (TEST_DMABUF_POOL (object)->allocator);
  G_OBJECT_CLASS (test_dmabuf_pool_parent_class)->finalize (object);
}

static void
test_dmabuf_pool_class_init (TestDmabufPoolClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_dmabuf_pool_finalize;
  GST_BUFFER_POOL_CLASS (klass)->set_config = test_dmabuf_pool_set_config;
  GST_BUFFER_POOL_CLASS (klass)->alloc_buffer = test_dmabuf_pool_alloc_buffer;
}

static void
test_dmabuf_pool_init (TestDmabufPool * self)
{
  self->allocator = gst_dmabuf_allocator_new ();
}

/* Answers the element's ALLOCATION query with @pool, as a display would. */
static GstPadProbeReturn
offer_pool (GstPad * pad, GstPadProbeInfo * info, gpointer pool)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstStructure *config;
  GstCaps *caps;

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;

  gst_query_parse_allocation (query, &caps, NULL);
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, 0, 2, 0);
  gst_buffer_pool_config_set_allocator (config,
      TEST_DMABUF_POOL (pool)->allocator, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  gst_query_add_allocation_param (query, TEST_DMABUF_POOL (pool)->allocator,
      NULL);
  gst_query_add_allocation_pool (query, pool,
      TEST_DMABUF_POOL (pool)->info.size, 2, 0);
  return GST_PAD_PROBE_HANDLED;
}

/* dma-buf in, the display's dma-bufs out: no copy, and every access to
 * pixels is the device's, bracketed on its own thread and counted against
 * the element; the streaming thread touches none. */
GST_START_TEST (test_dmabuf_in_display_pool_out)
{
  GstHarness *h = accel_harness (NULL);
  GstBufferPool *pool = gst_object_ref_sink (g_object_new
      (TEST_TYPE_DMABUF_POOL, NULL));
  GstAllocator *upstream = gst_dmabuf_allocator_new ();
  GstVideoInfo in_info, out_info;
  GstZcStats zc_stats;
  guint i, elsewhere = 0;

  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      offer_pool, pool, NULL);
  set_info (&in_info, GST_VIDEO_FORMAT_NV12, 64, 48);
  set_caps (h, &in_info, "video/x-raw(memory:DMABuf),format=BGRx,"
      "width=32,height=24");

  for (i = 0; i < 3; i++) {
    GstBuffer *in = new_fake_dmabuf (upstream, &in_info), *out, *ref;

    fill_pattern (in, &in_info, i);
    record_syncs (TRUE);
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    record_syncs (FALSE);
    fail_unless (gst_buffer_peek_memory (out, 0)->allocator ==
        TEST_DMABUF_POOL (pool)->allocator, "not the display's buffer");
    get_output_info (h, &out_info);
    ref = reference (in, &in_info, &out_info);
    fail_unless (max_difference (out, &out_info, ref) <= 2);
    gst_buffer_unref (ref);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }

  /* each frame: one READ bracket on the input, one WRITE bracket on the
   * output, all on the device's worker */
  fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_START |
          DMA_BUF_SYNC_READ, "zcaccel-worker", &elsewhere), 3);
  fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
          "zcaccel-worker", &elsewhere), 3);
  fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_START |
          DMA_BUF_SYNC_WRITE, "zcaccel-worker", &elsewhere), 3);
  fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_END |
          DMA_BUF_SYNC_WRITE, "zcaccel-worker", &elsewhere), 3);
  fail_unless_equals_int (elsewhere, 0);
  fail_unless_equals_uint64 (get_stat (h, "bytes-copied"), 0);
  fail_unless_equals_uint64 (get_stat (h, "uploads"), 0);
  fail_unless_equals_uint64 (get_stat (h, "fallbacks"), 0);
  /* The worker's brackets are the element's in the library's counters
   * (the test's own maps, on its thread, are not). */
  fail_unless (gst_zc_stats_get (h->element, &zc_stats));
  fail_unless_equals_uint64 (zc_stats.sync_brackets, 6);

  gst_harness_teardown (h);
  gst_object_unref (upstream);
  gst_object_unref (pool);
}

GST_END_TEST;

/* A display pool whose strides the device cannot write is replaced by the
 * element's own: a counted fallback, not a copy. */
GST_START_TEST (test_unfit_display_pool_replaced)
{
  GstHarness *h = accel_harness ("stride-align", 512, NULL);
  GstBufferPool *pool = gst_object_ref_sink (g_object_new
      (TEST_TYPE_DMABUF_POOL, NULL));
  GstVideoInfo info;
  GstBuffer *out;
  guint align;

  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      offer_pool, pool, NULL);
  set_info (&info, GST_VIDEO_FORMAT_BGRx, 64, 48);
  set_caps (h, &info, "video/x-raw");
  gst_harness_push (h, proposed_buffer (h, &info, &align));
  out = gst_harness_pull (h);
  fail_if (gst_buffer_peek_memory (out, 0)->allocator ==
      TEST_DMABUF_POOL (pool)->allocator);
  fail_unless_equals_int (gst_buffer_get_video_meta (out)->stride[0] % 512, 0);
  fail_unless_equals_uint64 (get_stat (h, "fallbacks"), 1);
  fail_unless_equals_uint64 (get_stat (h, "bytes-copied"), 0);

  gst_buffer_unref (out);
  gst_harness_teardown (h);
  gst_object_unref (pool);
}

GST_END_TEST;

/* Upstream writing into the pool the element proposes (fd memory, strides
 * the device takes, crop metas welcome) needs no copy; the output is the
 * downstream element's alone (writable without a copy). */
GST_START_TEST (test_proposed_pool_no_copy)
{
  GstHarness *h = accel_harness ("stride-align", 128, NULL);
  GstVideoInfo info;
  GstBuffer *in, *out;
  guint align = 0;

  set_info (&info, GST_VIDEO_FORMAT_RGB, 40, 30);
  set_caps (h, &info, "video/x-raw,format=NV12");
  in = proposed_buffer (h, &info, &align);
  fail_unless_equals_int (align, 128);
  fail_unless (gst_is_fd_memory (gst_buffer_peek_memory (in, 0)));
  fail_unless_equals_int (gst_buffer_get_video_meta (in)->stride[0] % 128, 0);
  gst_harness_push (h, in);
  out = gst_harness_pull (h);
  fail_unless (gst_is_fd_memory (gst_buffer_peek_memory (out, 0)));
  fail_unless (gst_buffer_is_writable (out));
  fail_unless_equals_uint64 (get_stat (h, "uploads"), 0);
  fail_unless_equals_uint64 (get_stat (h, "bytes-copied"), 0);

  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* System memory is copied into a dma-buf (one WRITE bracket), counted,
 * and said on GST_PERFORMANCE. */
GST_START_TEST (test_system_memory_uploaded)
{
  GstHarness *h = accel_harness (NULL);
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out, *ref;
  guint i;

  perf.object = G_OBJECT (h->element);
  perf.n_info = 0;
  gst_debug_add_log_function (record_performance, NULL, NULL);
  gst_debug_set_threshold_for_name ("GST_PERFORMANCE", GST_LEVEL_DEBUG);

  set_info (&in_info, GST_VIDEO_FORMAT_YUY2, 64, 48);
  set_caps (h, &in_info, "video/x-raw,format=RGBx,width=32,height=24");
  for (i = 0; i < 3; i++) {
    in = gst_buffer_new_allocate (NULL, in_info.size, NULL);
    fill_pattern (in, &in_info, i);
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    get_output_info (h, &out_info);
    ref = reference (in, &in_info, &out_info);
    fail_unless (max_difference (out, &out_info, ref) <= 2);
    gst_buffer_unref (ref);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  fail_unless_equals_uint64 (get_stat (h, "uploads"), 3);
  fail_unless_equals_uint64 (get_stat (h, "bytes-copied"), 3 * in_info.size);
  fail_unless_equals_int (g_atomic_int_get (&perf.n_info), 1);

  gst_debug_remove_log_function (record_performance);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- metas ---- */

static guint
n_metas (GstBuffer * buf, GType api)
{
  return gst_buffer_get_n_meta (buf, api);
}

/* An input frame of @info with the metas a capture pipeline puts on: a
 * capture time (when @capture is valid), an NTP reference timestamp, a
 * timecode, a crop of the whole frame and a fence its producer signalled. */
static GstBuffer *
frame_with_metas (GstHarness * h, const GstVideoInfo * info,
    GstClockTime capture, guint frame)
{
  GstBuffer *in = gst_harness_create_buffer (h, info->size);
  GstCaps *ntp = gst_caps_from_string ("timestamp/x-ntp");
  GstVideoCropMeta *crop;

  fill_pattern (in, info, frame);
  GST_BUFFER_PTS (in) = frame * GST_SECOND / 30;
  GST_BUFFER_DTS (in) = GST_BUFFER_PTS (in);
  GST_BUFFER_DURATION (in) = GST_SECOND / 30;
  if (GST_CLOCK_TIME_IS_VALID (capture))
    gst_zc_buffer_add_capture_time (in, capture);
  gst_buffer_add_reference_timestamp_meta (in, ntp, 1000 * GST_SECOND +
      frame, GST_CLOCK_TIME_NONE);
  gst_buffer_add_video_time_code_meta_full (in, 30, 1, NULL,
      GST_VIDEO_TIME_CODE_FLAGS_NONE, 1, 2, 3, frame, 0);
  crop = gst_buffer_add_video_crop_meta (in);
  crop->width = GST_VIDEO_INFO_WIDTH (info);
  crop->height = GST_VIDEO_INFO_HEIGHT (info);
  gst_zc_fence_meta_signal (gst_buffer_add_zc_fence_meta (in), NULL);
  gst_caps_unref (ntp);
  return in;
}

/* What describes the frame (timestamps, capture time, other reference
 * timestamps, timecode) reaches the output; what describes the input's
 * pixels (crop) or its producer (its fence) does not; and a recycled
 * output buffer keeps nothing of the frame it held before. */
GST_START_TEST (test_frame_metas_carried)
{
  const GstClockTime capture = 12 * GST_SECOND + 345678;
  GstHarness *h = accel_harness (NULL);
  GstCaps *ntp = gst_caps_from_string ("timestamp/x-ntp");
  GstVideoInfo in_info;
  GstReferenceTimestampMeta *ref;
  GstVideoTimeCodeMeta *tc;
  GstVideoMeta *vmeta;
  GstBuffer *out;
  guint i;

  set_info (&in_info, GST_VIDEO_FORMAT_NV12, 64, 48);
  set_caps (h, &in_info, "video/x-raw,format=BGRx,width=32,height=24");

  for (i = 0; i < 3; i++) {
    /* The second frame has no capture time. */
    GstClockTime t = i == 1 ? GST_CLOCK_TIME_NONE : capture + i * GST_MSECOND;

    fail_unless_equals_int (gst_harness_push (h, frame_with_metas (h,
                &in_info, t, i)), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out != NULL);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * GST_SECOND / 30);
    fail_unless_equals_uint64 (GST_BUFFER_DTS (out), i * GST_SECOND / 30);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), GST_SECOND / 30);
    fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (out), t);
    ref = gst_buffer_get_reference_timestamp_meta (out, ntp);
    fail_unless (ref != NULL, "frame %u lost its NTP timestamp", i);
    fail_unless_equals_uint64 (ref->timestamp, 1000 * GST_SECOND + i);
    fail_unless_equals_int (n_metas (out,
            GST_REFERENCE_TIMESTAMP_META_API_TYPE), i == 1 ? 1 : 2);
    tc = gst_buffer_get_video_time_code_meta (out);
    fail_unless (tc != NULL, "frame %u lost its timecode", i);
    fail_unless_equals_int (tc->tc.frames, i);
    fail_unless_equals_int (tc->tc.seconds, 3);
    fail_unless_equals_int (n_metas (out,
            GST_VIDEO_TIME_CODE_META_API_TYPE), 1);

    fail_unless (gst_buffer_get_video_crop_meta (out) == NULL);
    /* The output's own layout, not the input's. */
    vmeta = gst_buffer_get_video_meta (out);
    fail_unless (vmeta != NULL);
    fail_unless_equals_int (vmeta->format, GST_VIDEO_FORMAT_BGRx);
    fail_unless_equals_int (vmeta->width, 32);
    fail_unless_equals_int (n_metas (out, GST_VIDEO_META_API_TYPE), 1);
    /* The job's fence only, signalled. */
    fail_unless_equals_int (n_metas (out, GST_ZC_FENCE_META_API_TYPE), 1);
    fail_unless (gst_zc_fence_meta_is_signalled (gst_buffer_get_zc_fence_meta
            (out)));
    gst_buffer_unref (out);
  }

  gst_caps_unref (ntp);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- constraint violations ---- */

static void
check_bus_error (GstBus * bus, gint code)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  const GstStructure *details = NULL;
  GError *err = NULL;
  gint got = -1;

  fail_unless (msg != NULL, "no error on the bus");
  gst_message_parse_error (msg, &err, NULL);
  gst_message_parse_error_details (msg, &details);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "domain"),
      g_quark_to_string (GST_ZC_ACCEL_ERROR));
  fail_unless (gst_structure_get_int (details, "code", &got));
  fail_unless_equals_int (got, code);
  g_clear_error (&err);
  gst_message_unref (msg);
}

GST_START_TEST (test_too_large_input_is_an_error)
{
  GstHarness *h = accel_harness ("max-width", 100, "max-height", 100, NULL);
  GstBus *bus = gst_bus_new ();
  GstVideoInfo info, out_info;

  gst_element_set_bus (h->element, bus);
  set_info (&info, GST_VIDEO_FORMAT_NV12, 320, 240);
  set_caps (h, &info, "video/x-raw");
  /* the output was negotiated within the device's limits... */
  get_output_info (h, &out_info);
  fail_unless (GST_VIDEO_INFO_WIDTH (&out_info) <= 100);
  fail_unless (GST_VIDEO_INFO_HEIGHT (&out_info) <= 100);
  /* ...but the input is beyond them */
  fail_unless_equals_int (gst_harness_push (h, gst_harness_create_buffer (h,
              info.size)), GST_FLOW_ERROR);
  check_bus_error (bus, GST_ZC_ACCEL_ERROR_SIZE);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_misaligned_input)
{
  GstHarness *h = accel_harness ("stride-align", 64, NULL);
  GstAllocator *upstream = gst_dmabuf_allocator_new ();
  GstBus *bus = gst_bus_new ();
  GstVideoInfo info;
  GstBuffer *out;

  /* 40 BGRx pixels: 160-byte rows */
  gst_element_set_bus (h->element, bus);
  set_info (&info, GST_VIDEO_FORMAT_BGRx, 40, 30);
  set_caps (h, &info, "video/x-raw");
  fail_unless_equals_int (gst_harness_push (h, new_fake_dmabuf (upstream,
              &info)), GST_FLOW_ERROR);
  check_bus_error (bus, GST_ZC_ACCEL_ERROR_STRIDE);
  gst_harness_teardown (h);

  /* with the fallback, a counted copy instead */
  h = accel_harness ("stride-align", 64, "fallback", TRUE, NULL);
  set_caps (h, &info, "video/x-raw");
  fail_unless_equals_int (gst_harness_push (h, new_fake_dmabuf (upstream,
              &info)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (get_stat (h, "fallbacks"), 1);
  fail_unless_equals_uint64 (get_stat (h, "bytes-copied"), 192 * 30);
  gst_buffer_unref (out);

  gst_object_unref (bus);
  gst_object_unref (upstream);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_stats)
{
  GstHarness *h = accel_harness (NULL);
  GstVideoInfo info;
  GstStructure *stats;
  guint64 avg = 0, max = 0;
  guint hw = 0, i;

  set_info (&info, GST_VIDEO_FORMAT_I420, 64, 48);
  set_caps (h, &info, "video/x-raw,width=128,height=96");
  for (i = 0; i < 4; i++) {
    gst_harness_push (h, gst_harness_create_buffer (h, info.size));
    gst_buffer_unref (gst_harness_pull (h));
  }
  stats = get_stats (h);
  fail_unless (gst_structure_get_uint64 (stats, "job-time-avg", &avg));
  fail_unless (gst_structure_get_uint64 (stats, "job-time-max", &max));
  fail_unless (gst_structure_get_uint (stats, "queue-high-water", &hw));
  fail_unless (avg > 0 && max >= avg);
  fail_unless (hw >= 1);
  gst_structure_free (stats);
  fail_unless_equals_uint64 (get_stat (h, "jobs"), 4);
  /* the larger of input and output: 128x96 */
  fail_unless_equals_uint64 (get_stat (h, "pixels"), 4 * 128 * 96);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
zcaccel_suite (void)
{
  Suite *s = suite_create ("zcaccel");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_convert_and_scale);
  tcase_add_test (tc, test_negotiation);
  tcase_add_test (tc, test_caps_query);
  tcase_add_test (tc, test_flip_and_rotation);
  tcase_add_test (tc, test_rotation_while_playing);
  tcase_add_test (tc, test_async_back_pressure);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_eos_after_pending_jobs);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_dmabuf_in_display_pool_out);
  tcase_add_test (tc, test_unfit_display_pool_replaced);
  tcase_add_test (tc, test_proposed_pool_no_copy);
  tcase_add_test (tc, test_system_memory_uploaded);
  tcase_add_test (tc, test_frame_metas_carried);
  tcase_add_test (tc, test_too_large_input_is_an_error);
  tcase_add_test (tc, test_misaligned_input);
  tcase_add_test (tc, test_stats);

  return s;
}

GST_CHECK_MAIN (zcaccel);
