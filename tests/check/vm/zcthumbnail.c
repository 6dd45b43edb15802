/* Test bed tests of zcthumbnail: thumbnails of vivid's dma-bufs against GstVideoConverter
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs as root inside tests/vm (vivid loaded). zcv4l2src exports vivid's
 * 640x480 frames as dma-bufs; zcthumbnail makes 160x120 thumbnails of
 * some of them. A probe on zcthumbnail's sink pad keeps a reference of
 * each frame that is due, made with GstVideoConverter the way
 * `videoscale ! videoconvert` would (bilinear, 2 taps); each thumbnail
 * must match its reference within a mean absolute error of 3 per channel
 * over the bars (the lower half: vivid writes text over the upper part),
 * and show vivid's eight colour bars (75%: lit channels near 191, the
 * others near 0; text covers the top third, so they are read at mid
 * height).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/allocators/allocators.h>
#include <gst/video/video.h>

#include "zctestutils.h"

#define THUMB_WIDTH 160
#define THUMB_HEIGHT 120
#define INTERVAL 5
#define N_THUMBNAILS 4
#define MAX_MEAN_ERROR 3.0

static const gboolean bar_lit[8][3] = {
  {TRUE, TRUE, TRUE}, {TRUE, TRUE, FALSE}, {FALSE, TRUE, TRUE},
  {FALSE, TRUE, FALSE}, {TRUE, FALSE, TRUE}, {TRUE, FALSE, FALSE},
  {FALSE, FALSE, TRUE}, {FALSE, FALSE, FALSE},
};

#define LIT_MIN 150
#define LIT_MAX 230
#define DARK_MAX 50

/* References of the frames that are due, made in the streaming thread. */
typedef struct
{
  GAsyncQueue *refs;
  guint64 frames;
  GstVideoInfo out_info;
} Refs;

/* What videoscale ! videoconvert make of @buf: the whole 4:3 frame into
 * the 4:3 thumbnail, bilinear with 2 taps. */
static GstBuffer *
reference_of (GstBuffer * buf, GstCaps * caps, const GstVideoInfo * out_info)
{
  GstBuffer *ref = gst_buffer_new_allocate (NULL, out_info->size, NULL);
  GstVideoFrame in, out;
  GstVideoConverter *conv;
  GstVideoInfo in_info;

  fail_unless (gst_video_info_from_caps (&in_info, caps));
  in_info.fps_n = out_info->fps_n;
  in_info.fps_d = out_info->fps_d;
  fail_unless (gst_video_frame_map (&in, &in_info, buf, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&out, (GstVideoInfo *) out_info, ref,
          GST_MAP_WRITE));
  conv = gst_video_converter_new (&in_info, (GstVideoInfo *) out_info,
      gst_structure_new ("GstVideoConverter",
          GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
          GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
          GST_VIDEO_RESAMPLER_OPT_MAX_TAPS, G_TYPE_INT, 2,
          GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
          GST_VIDEO_DITHER_NONE, NULL));
  gst_video_converter_frame (conv, &in, &out);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  return ref;
}

static GstPadProbeReturn
keep_reference (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Refs *refs = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCaps *caps;

  if (refs->frames++ % INTERVAL != 0)
    return GST_PAD_PROBE_OK;
  caps = gst_pad_get_current_caps (pad);
  g_async_queue_push (refs->refs, reference_of (buf, caps, &refs->out_info));
  gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

/* The largest mean absolute error of a channel over the lower half of
 * the picture: the upper part carries vivid's text, which no two
 * scalers render alike and which is not the smooth content this is
 * about. */
static gdouble
max_channel_error (GstBuffer * got, GstBuffer * want, const GstVideoInfo * info)
{
  GstMapInfo a, b;
  gdouble sum[3] = { 0, 0, 0 }, worst = 0;
  gint x, y, c, rows = info->height - info->height / 2;

  fail_unless (gst_buffer_map (got, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (want, &b, GST_MAP_READ));
  for (y = info->height / 2; y < info->height; y++)
    for (x = 0; x < info->width * 3; x++)
      sum[x % 3] += ABS (a.data[y * info->stride[0] + x] -
          b.data[y * info->stride[0] + x]);
  for (c = 0; c < 3; c++)
    worst = MAX (worst, sum[c] / (info->width * rows));
  gst_buffer_unmap (want, &b);
  gst_buffer_unmap (got, &a);
  return worst;
}

static void
check_bars (GstBuffer * thumb, const GstVideoInfo * info)
{
  GstMapInfo map;
  gint bar, c;

  fail_unless (gst_buffer_map (thumb, &map, GST_MAP_READ));
  for (bar = 0; bar < 8; bar++) {
    const guint8 *px = map.data + info->height / 2 * info->stride[0] +
        (2 * bar + 1) * info->width / 16 * 3;

    for (c = 0; c < 3; c++) {
      if (bar_lit[bar][c])
        fail_unless (px[c] >= LIT_MIN && px[c] <= LIT_MAX, "bar %d is "
            "%u,%u,%u", bar, px[0], px[1], px[2]);
      else
        fail_unless (px[c] <= DARK_MAX, "bar %d is %u,%u,%u", bar, px[0],
            px[1], px[2]);
    }
  }
  gst_buffer_unmap (thumb, &map);
}

static guint64
stat (GstElement * thumb, const gchar * name)
{
  GstStructure *stats = NULL;
  guint64 v = 0;

  g_object_get (thumb, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, name, &v), "no %s", name);
  gst_structure_free (stats);
  return v;
}

/* vivid 640x480 @format (dma-bufs) to 160x120 RGB thumbnails of every
 * INTERVAL-th frame, each against its reference. */
static void
thumbnails_of (const gchar * device, const gchar * format)
{
  Refs refs;
  gchar *src = g_strdup_printf ("zcv4l2src device=%s", device);
  gchar *src_caps = g_strdup_printf ("video/x-raw(memory:DMABuf),format=%s,"
      "width=640,height=480", format);
  GstElement *thumb;
  GstHarness *h;
  GstPad *pad;
  guint i, j;

  refs.refs = g_async_queue_new_full ((GDestroyNotify) gst_buffer_unref);
  refs.frames = 0;
  gst_video_info_set_format (&refs.out_info, GST_VIDEO_FORMAT_RGB,
      THUMB_WIDTH, THUMB_HEIGHT);
  /* The source in a harness of its own: its sink caps choose the format
   * (no capsfilter: only the project's plugins load here). */
  h = gst_harness_new ("zcthumbnail");
  g_object_set (h->element, "interval", INTERVAL, NULL);
  gst_harness_set_sink_caps_str (h, "video/x-raw,format=RGB,width=160,"
      "height=120");
  gst_harness_add_src_parse (h, src, FALSE);
  gst_harness_set_sink_caps_str (h->src_harness, src_caps);
  thumb = gst_object_ref (h->element);
  pad = gst_element_get_static_pad (thumb, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keep_reference, &refs,
      NULL);

  for (i = 0; i < N_THUMBNAILS; i++) {
    GstBuffer *out;
    GstVideoInfo info;
    GstBuffer *ref;
    GstCaps *caps;
    gdouble err;

    for (j = 0; j < INTERVAL; j++)
      fail_unless_equals_int (gst_harness_push_from_src (h), GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    ref = g_async_queue_try_pop (refs.refs);
    fail_unless (out != NULL && ref != NULL, "thumbnail %u missing", i);
    caps = gst_pad_get_current_caps (h->sinkpad);
    fail_unless (gst_video_info_from_caps (&info, caps));
    gst_caps_unref (caps);
    refs.out_info.fps_n = info.fps_n;
    refs.out_info.fps_d = info.fps_d;
    fail_if (gst_is_fd_memory (gst_buffer_peek_memory (out, 0)));
    err = max_channel_error (out, ref, &info);
    g_print ("%s thumbnail %u: mean error %.2f per channel\n", format, i, err);
    fail_unless (err <= MAX_MEAN_ERROR, "mean error %.2f", err);
    check_bars (out, &info);
    gst_buffer_unref (ref);
    gst_buffer_unref (out);
  }
  /* One frame in INTERVAL was read, the others dropped. */
  fail_unless_equals_int (gst_harness_buffers_received (h), N_THUMBNAILS);
  fail_unless_equals_uint64 (stat (thumb, "dropped"), N_THUMBNAILS *
      (INTERVAL - 1));
  fail_unless_equals_uint64 (stat (thumb, "skipped"), 0);

  gst_object_unref (pad);
  gst_object_unref (thumb);
  gst_harness_teardown (h);
  g_async_queue_unref (refs.refs);
  g_free (src_caps);
  g_free (src);
}

/* Whether zcv4l2src offers @format at 640x480 on @device. */
static gboolean
source_offers (const gchar * device, const gchar * format)
{
  GstElement *src = gst_element_factory_make ("zcv4l2src", NULL);
  GstCaps *filter, *caps;
  GstPad *pad;
  gboolean offered;

  g_object_set (src, "device", device, NULL);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  filter = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      format, "width", G_TYPE_INT, 640, "height", G_TYPE_INT, 480, NULL);
  pad = gst_element_get_static_pad (src, "src");
  caps = gst_pad_query_caps (pad, filter);
  offered = !gst_caps_is_empty (caps);

  gst_caps_unref (caps);
  gst_caps_unref (filter);
  gst_object_unref (pad);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_object_unref (src);
  return offered;
}

static void
thumbnails_if_offered (const gchar * format)
{
  gchar *device = zc_test_find_vivid_capture ();

  fail_unless (device != NULL, "no vivid capture node: is vivid loaded?");
  if (source_offers (device, format))
    thumbnails_of (device, format);
  else
    g_print ("zcv4l2src does not offer %s: not tested\n", format);
  g_free (device);
}

GST_START_TEST (test_vivid_yuy2)
{
  thumbnails_if_offered ("YUY2");
}

GST_END_TEST;

GST_START_TEST (test_vivid_nv12)
{
  thumbnails_if_offered ("NV12");
}

GST_END_TEST;

GST_START_TEST (test_vivid_bgrx)
{
  thumbnails_if_offered ("BGRx");
}

GST_END_TEST;

static Suite *
zcthumbnail_vm_suite (void)
{
  Suite *s = suite_create ("zcthumbnail-vm");
  TCase *tc = tcase_create ("vivid");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vivid_yuy2);
  tcase_add_test (tc, test_vivid_nv12);
  tcase_add_test (tc, test_vivid_bgrx);

  return s;
}

GST_CHECK_MAIN (zcthumbnail_vm);
