/* Test bed tests of zcsnapshot: PNGs and JPEGs of vivid's colour bars from zcv4l2src
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs as root inside tests/vm (vivid loaded). zcv4l2src exports vivid's
 * buffers as dma-bufs; zcsnapshot waits for them, reads them between SYNC
 * READ brackets and writes PNGs or JPEGs, which are decoded here and
 * compared with
 * vivid's default pattern: 75% colour bars, eight vertical bars of equal
 * width, left to right white, yellow, cyan, green, magenta, red, blue,
 * black, with 75% of full scale (191) for the lit channels (kernel
 * drivers/media/common/v4l2-tpg: tpg_get_color(), tpg_colors[]). vivid
 * writes text over the top lines: the bars are sampled at mid height.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/allocators/allocators.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <jpeglib.h>
#include <png.h>

#include "zctestutils.h"

#define WIDTH 640
#define HEIGHT 480
#define N_BARS 8
#define N_FRAMES 6

/* Lit channels of each bar, left to right (R, G, B). */
static const gboolean bars[N_BARS][3] = {
  {TRUE, TRUE, TRUE},           /* white */
  {TRUE, TRUE, FALSE},          /* yellow */
  {FALSE, TRUE, TRUE},          /* cyan */
  {FALSE, TRUE, FALSE},         /* green */
  {TRUE, FALSE, TRUE},          /* magenta */
  {TRUE, FALSE, FALSE},         /* red */
  {FALSE, FALSE, TRUE},         /* blue */
  {FALSE, FALSE, FALSE},        /* black */
};

/* 75% bars: a lit channel is 191 in RGB; through limited-range YUV and
 * back it may move by a few steps, and by more if the range is read
 * wrongly, never near the other class. */
#define LIT_MIN 150
#define LIT_MAX 230
#define DARK_MAX 50

static gchar *tmpdir;

static gchar *
find_vivid_capture (void)
{
  gchar *found = zc_test_find_vivid_capture ();

  fail_unless (found != NULL, "no vivid capture node: is vivid loaded?");
  return found;
}

static void
setup (void)
{
  const gchar *share = g_getenv ("ZC_VM_SHARE");
  gchar *tmpl = g_build_filename (share ? share : g_get_tmp_dir (),
      "zcsnapshot-XXXXXX", NULL);

  /* In the share, the images of a failed run come back to the host. */
  tmpdir = g_mkdtemp (tmpl);
  fail_unless (tmpdir != NULL, "no temp dir");
}

static void
teardown (void)
{
  zc_test_remove_dir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* Whether zcv4l2src offers @format at 640x480 on @device. */
static gboolean
source_offers (const gchar * device, const gchar * format)
{
  GstElement *src = gst_element_factory_make ("zcv4l2src", NULL);
  GstCaps *filter, *caps;
  GstPad *pad;
  gboolean offered;

  fail_unless (src != NULL, "zcv4l2src is not available");
  g_object_set (src, "device", device, NULL);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  filter = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      format, "width", G_TYPE_INT, WIDTH, "height", G_TYPE_INT, HEIGHT, NULL);
  gst_caps_set_features (filter, 0,
      gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
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

static guint8 *
read_png (const gchar * path)
{
  png_image image;
  guint8 *pixels;

  memset (&image, 0, sizeof (image));
  image.version = PNG_IMAGE_VERSION;
  fail_unless (png_image_begin_read_from_file (&image, path), "%s: %s", path,
      image.message);
  fail_unless_equals_int (image.format, PNG_FORMAT_RGB);
  fail_unless_equals_int (image.width, WIDTH);
  fail_unless_equals_int (image.height, HEIGHT);
  pixels = g_malloc (PNG_IMAGE_SIZE (image));
  fail_unless (png_image_finish_read (&image, NULL, pixels, 0, NULL),
      "%s: %s", path, image.message);
  return pixels;
}

static guint8 *
read_jpeg (const gchar * path)
{
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr jerr;
  FILE *file = fopen (path, "rb");
  guint8 *pixels;

  fail_unless (file != NULL, "cannot open %s", path);
  /* libjpeg's default error handler exits: the test fails with it. */
  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_decompress (&cinfo);
  jpeg_stdio_src (&cinfo, file);
  fail_unless_equals_int (jpeg_read_header (&cinfo, TRUE), JPEG_HEADER_OK);
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress (&cinfo);
  fail_unless_equals_int (cinfo.output_width, WIDTH);
  fail_unless_equals_int (cinfo.output_height, HEIGHT);
  pixels = g_malloc (WIDTH * HEIGHT * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels + cinfo.output_scanline * WIDTH * 3;
    jpeg_read_scanlines (&cinfo, &row, 1);
  }
  jpeg_finish_decompress (&cinfo);
  jpeg_destroy_decompress (&cinfo);
  fclose (file);
  return pixels;
}

/* The mean of a 9x9 square around (@cx, @cy), channel @c. */
static guint
mean_around (const guint8 * pixels, guint cx, guint cy, guint c)
{
  guint x, y, sum = 0;

  for (y = cy - 4; y <= cy + 4; y++)
    for (x = cx - 4; x <= cx + 4; x++)
      sum += pixels[(y * WIDTH + x) * 3 + c];
  return sum / 81;
}

static void
check_bars (const gchar * path)
{
  static const gchar *names[N_BARS] = { "white", "yellow", "cyan", "green",
    "magenta", "red", "blue", "black"
  };
  guint8 *pixels = g_str_has_suffix (path, ".jpg") ? read_jpeg (path) :
      read_png (path);
  guint bar, c;

  for (bar = 0; bar < N_BARS; bar++) {
    guint cx = (2 * bar + 1) * WIDTH / (2 * N_BARS);
    guint rgb[3];

    for (c = 0; c < 3; c++)
      rgb[c] = mean_around (pixels, cx, HEIGHT / 2, c);
    GST_INFO ("%s bar at x=%u: %u,%u,%u", names[bar], cx, rgb[0], rgb[1],
        rgb[2]);
    for (c = 0; c < 3; c++) {
      if (bars[bar][c])
        fail_unless (rgb[c] >= LIT_MIN && rgb[c] <= LIT_MAX,
            "%s bar (x=%u) is %u,%u,%u: channel %u should be ~191", names[bar],
            cx, rgb[0], rgb[1], rgb[2], c);
      else
        fail_unless (rgb[c] <= DARK_MAX,
            "%s bar (x=%u) is %u,%u,%u: channel %u should be ~0", names[bar],
            cx, rgb[0], rgb[1], rgb[2], c);
    }
  }
  g_free (pixels);
}

static void
fail_on_error (GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (msg, &err, &debug);
  fail ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
      err->message, GST_STR_NULL (debug));
}

/* Goes through every message on @bus, failing on an error, checking that
 * the snapshots come in order, and returns the location of the first
 * snapshot of a frame at least @min_frame into the stream. */
static gchar *
snapshot_location (GstBus * bus, guint64 min_frame)
{
  gchar *location = NULL;
  guint64 frame, last = 0;
  gboolean first = TRUE;
  GstMessage *msg;

  while ((msg = gst_bus_pop (bus))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      fail_on_error (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
        && gst_structure_has_name (s, "zcsnapshot")) {
      fail_unless (gst_structure_get_uint64 (s, "frame", &frame));
      fail_unless (first || frame == last + 1, "interval=1 skipped a frame");
      first = FALSE;
      last = frame;
      if (frame >= min_frame && !location)
        location = g_strdup (gst_structure_get_string (s, "location"));
    }
    gst_message_unref (msg);
  }
  fail_unless (location != NULL, "no snapshot of frame %" G_GUINT64_FORMAT
      " or later was announced", min_frame);
  return location;
}

/* Captures N_FRAMES frames of @format from vivid through zcsnapshot with
 * interval=1 and checks a written snapshot against the bars. */
static void
snapshot_vivid_as (const gchar * device, const gchar * format,
    const gchar * extension)
{
  gchar *launch, *caps, *location;
  GstHarness *h;
  GstBus *bus;
  guint i;

  /* Only the project's plugins can be loaded: there is no capsfilter, so
   * the harness's sink pad states the caps, and zcsnapshot passes the
   * caps query on to zcv4l2src. */
  /* max-pending holds every frame: a writer slowed by a loaded machine
   * must not drop one (the order check below wants them all). */
  launch = g_strdup_printf ("zcv4l2src device=%s ! zcsnapshot "
      "location=%s/snap-%%05d.%s interval=1 max-pending=%d", device, tmpdir,
      extension, N_FRAMES);
  caps = g_strdup_printf ("video/x-raw(memory:DMABuf), format=%s, "
      "width=%d, height=%d", format, WIDTH, HEIGHT);
  h = gst_harness_new_parse (launch);
  gst_harness_set_sink_caps_str (h, caps);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_play (h);

  for (i = 0; i < N_FRAMES; i++) {
    GstBuffer *buf = gst_harness_pull (h);
    GstMessage *msg;

    if (!buf && (msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR)))
      fail_on_error (msg);
    fail_unless (buf != NULL, "no frame %u from %s", i, device);
    /* The snapshot branch read a dma-buf, not a copy. */
    fail_unless (gst_is_dmabuf_memory (gst_buffer_peek_memory (buf, 0)));
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);

  /* Not the very first frames: a device may still be settling. */
  location = snapshot_location (bus, N_FRAMES / 2);
  fail_unless (g_str_has_prefix (location, tmpdir), "%s", location);
  check_bars (location);

  g_free (location);
  gst_object_unref (bus);
  g_free (caps);
  g_free (launch);
}

static void
snapshot_vivid (const gchar * device, const gchar * format)
{
  snapshot_vivid_as (device, format, "png");
}

GST_START_TEST (test_vivid_yuy2)
{
  gchar *device = find_vivid_capture ();

  snapshot_vivid (device, "YUY2");
  g_free (device);
}

GST_END_TEST;

/* Formats other than YUY2 are checked when zcv4l2src offers them. */
static void
snapshot_vivid_if_offered (const gchar * format)
{
  gchar *device = find_vivid_capture ();

  if (source_offers (device, format))
    snapshot_vivid (device, format);
  else
    g_print ("zcv4l2src on %s does not offer %s: not tested\n", device, format);
  g_free (device);
}

GST_START_TEST (test_vivid_nv12)
{
  snapshot_vivid_if_offered ("NV12");
}

GST_END_TEST;

GST_START_TEST (test_vivid_bgrx)
{
  snapshot_vivid_if_offered ("BGRx");
}

GST_END_TEST;

/* JPEG: the bars within the same bounds after lossy coding. */
GST_START_TEST (test_vivid_jpeg)
{
  gchar *device = find_vivid_capture ();

  snapshot_vivid_as (device, "YUY2", "jpg");
  g_free (device);
}

GST_END_TEST;

static guint64
sink_stat (GstElement * sink, const gchar * name)
{
  GstStructure *s = NULL;
  guint64 v = 0;

  g_object_get (sink, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, name, &v), "no %s", name);
  gst_structure_free (s);
  return v;
}

/* Waits for the next "zcsnapshot" message; returns its location. */
static gchar *
wait_snapshot (GstBus * bus)
{
  GstMessage *msg;
  gchar *location = NULL;

  while (!location) {
    msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "no snapshot in 20 s");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      fail_on_error (msg);
    if (gst_structure_has_name (gst_message_get_structure (msg), "zcsnapshot"))
      location = g_strdup (gst_structure_get_string
          (gst_message_get_structure (msg), "location"));
    gst_message_unref (msg);
  }
  return location;
}

/* An application's request: a custom upstream event sent to the
 * pipeline reaches zcsnapshot from the sink and writes the next frame,
 * once per request, while the display goes on. */
GST_START_TEST (test_event_from_application)
{
  gchar *device = find_vivid_capture ();
  GstElement *pipeline, *sink;
  GstBus *bus;
  gchar *desc, *location;
  guint i;

  if (!gst_element_factory_find ("zckmssink")) {
    g_print ("no zckmssink built: the application's request not tested\n");
    g_free (device);
    return;
  }
  desc = g_strdup_printf ("zcv4l2src device=%s ! zcsnapshot interval=0 "
      "location=%s/ev-%%05d.png ! zckmssink name=sink driver-name=virtio_gpu",
      device, tmpdir);
  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  bus = gst_element_get_bus (pipeline);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < 400 && sink_stat (sink, "frames-shown") < 5; i++)
    g_usleep (50 * 1000);
  fail_unless (sink_stat (sink, "frames-shown") >= 5);

  for (i = 0; i < 2; i++) {
    fail_unless (gst_element_send_event (pipeline,
            gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                gst_structure_new_empty ("zc-snapshot"))));
    location = wait_snapshot (bus);
    check_bars (location);
    g_free (location);
  }

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  /* Two requests, two files, no more. */
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (device);
}

GST_END_TEST;

static Suite *
zcsnapshot_vm_suite (void)
{
  Suite *s = suite_create ("zcsnapshot-vm");
  TCase *tc = tcase_create ("vivid");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vivid_yuy2);
  tcase_add_test (tc, test_vivid_nv12);
  tcase_add_test (tc, test_vivid_bgrx);
  tcase_add_test (tc, test_vivid_jpeg);
  tcase_add_test (tc, test_event_from_application);

  return s;
}

GST_CHECK_MAIN (zcsnapshot_vm);
