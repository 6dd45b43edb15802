/* Host tests of zckmssink: mode strings, caps, layout, errors without a display
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The machines the host suite runs on have no KMS device: what is checked
 * here is what needs none (parsing, the caps and layout helpers, the
 * errors a sink without a display posts). The display itself is tested
 * in the test bed (tests/check/vm/zckmssink.c).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"
#include <gst/zerocopy/zerocopy.h>

#include <dirent.h>
#include <drm_fourcc.h>

#include "gstzckmslatency.h"
#include "gstzckmsutils.h"

/* Mode strings */

GST_START_TEST (test_parse_mode_good)
{
  GstZcKmsModeSpec spec;

  fail_unless (gst_zc_kms_parse_mode ("1280x720@60", &spec));
  fail_unless_equals_int (spec.width, 1280);
  fail_unless_equals_int (spec.height, 720);
  fail_unless_equals_int (spec.refresh, 60);

  fail_unless (gst_zc_kms_parse_mode ("1280x720", &spec));
  fail_unless_equals_int (spec.width, 1280);
  fail_unless_equals_int (spec.height, 720);
  fail_unless_equals_int (spec.refresh, 0);

  fail_unless (gst_zc_kms_parse_mode ("1x1@1", &spec));
  fail_unless (gst_zc_kms_parse_mode ("65535x65535@1000", &spec));
  fail_unless_equals_int (spec.width, 65535);
  fail_unless_equals_int (spec.refresh, 1000);
}

GST_END_TEST;

GST_START_TEST (test_parse_mode_bad)
{
  static const gchar *bad[] = {
    "", "1280", "1280x", "x720", "1280x720@", "1280x720@abc", "abcxdef",
    "-1x720", "+1280x720", "1280x-720", " 1280x720", "1280x720 ", "1280X720",
    "0x720", "1280x0", "1280x720@0", "01280x720", "1280x720@60Hz",
    "1280x720@60@60", "65536x720", "1280x720@1001", "99999999999x1",
    "1280*720", "1280x720x60",
  };
  GstZcKmsModeSpec spec = { 7, 8, 9 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_if (gst_zc_kms_parse_mode (bad[i], &spec), "\"%s\" accepted", bad[i]);
    /* A refused string leaves the output alone. */
    fail_unless (spec.width == 7 && spec.height == 8 && spec.refresh == 9);
  }
  fail_if (gst_zc_kms_parse_mode (NULL, &spec));
}

GST_END_TEST;

/* Caps from a plane's formats */

static const gchar *
structure_format (GstCaps * caps, guint i)
{
  return gst_structure_get_string (gst_caps_get_structure (caps, i), "format");
}

static gboolean
is_dmabuf (GstCaps * caps, guint i)
{
  return gst_caps_features_contains (gst_caps_get_features (caps, i),
      GST_CAPS_FEATURE_MEMORY_DMABUF);
}

GST_START_TEST (test_caps_single_format)
{
  /* virtio-gpu's primary plane: XRGB8888 only. */
  static const guint32 fourccs[] = { DRM_FORMAT_XRGB8888 };
  GstCaps *caps = gst_zc_kms_caps_from_fourccs (fourccs, 1, 1280, 800, 8192,
      8192);
  GstStructure *s;
  gint w, h;

  /* dma-buf at the display's size, dma-buf any size, then system memory
   * the same two ways. */
  fail_unless_equals_int (gst_caps_get_size (caps), 4);
  fail_unless (is_dmabuf (caps, 0) && is_dmabuf (caps, 1));
  fail_if (is_dmabuf (caps, 2) || is_dmabuf (caps, 3));
  fail_unless_equals_string (structure_format (caps, 0), "BGRx");
  fail_unless_equals_string (structure_format (caps, 3), "BGRx");

  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_get_int (s, "width", &w));
  fail_unless (gst_structure_get_int (s, "height", &h));
  fail_unless_equals_int (w, 1280);
  fail_unless_equals_int (h, 800);

  s = gst_caps_get_structure (caps, 1);
  fail_unless (GST_VALUE_HOLDS_INT_RANGE (gst_structure_get_value (s,
              "width")));
  fail_unless_equals_int (gst_value_get_int_range_max
      (gst_structure_get_value (s, "width")), 8192);
  gst_caps_unref (caps);
}

GST_END_TEST;

GST_START_TEST (test_caps_formats_through_table)
{
  /* A duplicate, a fourcc the table does not know (XRGB2101010) and two
   * it knows. */
  static const guint32 fourccs[] = { DRM_FORMAT_XRGB8888,
    DRM_FORMAT_XRGB2101010, DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888
  };
  GstCaps *caps = gst_zc_kms_caps_from_fourccs (fourccs, 4, 0, 0, 4096, 2160);
  GstCaps *expected = gst_caps_from_string ("video/x-raw(memory:DMABuf), "
      "format={ BGRx, NV12 }, width=[1,4096], height=[1,2160], "
      "framerate=[0/1,2147483647/1]; video/x-raw, format={ BGRx, NV12 }, "
      "width=[1,4096], height=[1,2160], framerate=[0/1,2147483647/1]");

  /* No display size known: only the ranges. */
  fail_unless (gst_caps_is_strictly_equal (caps, expected),
      "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (expected);
  gst_caps_unref (caps);
}

GST_END_TEST;

GST_START_TEST (test_caps_no_known_format)
{
  static const guint32 fourccs[] = { DRM_FORMAT_XRGB2101010,
    DRM_FORMAT_C8
  };
  GstCaps *caps = gst_zc_kms_caps_from_fourccs (fourccs, 2, 640, 480, 4096,
      4096);

  fail_unless (gst_caps_is_empty (caps));
  gst_caps_unref (caps);
  caps = gst_zc_kms_caps_from_fourccs (NULL, 0, 640, 480, 4096, 4096);
  fail_unless (gst_caps_is_empty (caps));
  gst_caps_unref (caps);
}

GST_END_TEST;

/* The element's template and the library's table must agree: a format
 * the template offers without a fourcc could never be shown, a format of
 * the table missing from the template could never be negotiated. */
GST_START_TEST (test_template_matches_format_table)
{
  GstElement *sink = gst_element_factory_make ("zckmssink", NULL);
  GstPadTemplate *pad_template;
  GstCaps *tmpl, *table_caps;
  const GstVideoFormat *formats;
  guint i, n;

  fail_unless (sink != NULL);
  pad_template = gst_element_get_pad_template (sink, "sink");
  fail_unless (pad_template != NULL);
  tmpl = gst_pad_template_get_caps (pad_template);
  /* dma-bufs first, then system memory: negotiation prefers the former. */
  fail_unless_equals_int (gst_caps_get_size (tmpl), 2);
  fail_unless (gst_caps_features_contains (gst_caps_get_features (tmpl, 0),
          GST_CAPS_FEATURE_MEMORY_DMABUF));

  formats = gst_zc_format_list (&n);
  for (i = 0; i < n; i++) {
    const gchar *name = gst_video_format_to_string (formats[i]);

    table_caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
        name, "width", G_TYPE_INT, 64, "height", G_TYPE_INT, 64, NULL);
    fail_unless (gst_caps_can_intersect (tmpl, table_caps), "%s of the "
        "format table is not in the template", name);
    gst_caps_set_features (table_caps, 0,
        gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
    fail_unless (gst_caps_can_intersect (tmpl, table_caps));
    gst_caps_unref (table_caps);
  }
  for (i = 0; i < gst_caps_get_size (tmpl); i++) {
    const GValue *list = gst_structure_get_value (gst_caps_get_structure (tmpl,
            i), "format");
    guint j;

    fail_unless_equals_int (gst_value_list_get_size (list), n);
    for (j = 0; j < gst_value_list_get_size (list); j++) {
      const gchar *name = g_value_get_string (gst_value_list_get_value (list,
              j));

      fail_if (gst_zc_format_to_drm_fourcc (gst_video_format_from_string
              (name)) == 0, "template format %s has no DRM fourcc", name);
    }
  }
  gst_caps_unref (tmpl);
  gst_object_unref (sink);
}

GST_END_TEST;

/* Layout */

GST_START_TEST (test_place_centre_and_crop)
{
  GstZcKmsRect src, dst;

  /* Smaller: whole frame, centred. */
  gst_zc_kms_place (640, 480, 1280, 800, FALSE, &src, &dst);
  fail_unless (src.x == 0 && src.y == 0 && src.width == 640
      && src.height == 480);
  fail_unless (dst.x == 320 && dst.y == 160 && dst.width == 640
      && dst.height == 480);

  /* Larger: the middle, full screen. */
  gst_zc_kms_place (1920, 1080, 1280, 800, FALSE, &src, &dst);
  fail_unless (src.x == 320 && src.y == 140 && src.width == 1280
      && src.height == 800);
  fail_unless (dst.x == 0 && dst.y == 0 && dst.width == 1280
      && dst.height == 800);

  /* Wider but shorter: cropped across, centred down. */
  gst_zc_kms_place (1600, 600, 1280, 800, FALSE, &src, &dst);
  fail_unless (src.x == 160 && src.width == 1280 && src.y == 0
      && src.height == 600);
  fail_unless (dst.x == 0 && dst.width == 1280 && dst.y == 100
      && dst.height == 600);

  /* Same size: untouched. */
  gst_zc_kms_place (640, 480, 640, 480, FALSE, &src, &dst);
  fail_unless (src.x == 0 && dst.x == 0 && src.width == 640
      && dst.height == 480);

  /* Odd margins are made even, for 4:2:x chroma. */
  gst_zc_kms_place (641, 480, 1280, 480, FALSE, &src, &dst);
  fail_unless_equals_int (dst.x, 318);
}

GST_END_TEST;

GST_START_TEST (test_place_scaled)
{
  GstZcKmsRect src, dst;

  /* 4:3 on 16:10: full height, centred across. */
  gst_zc_kms_place (640, 480, 1280, 800, TRUE, &src, &dst);
  fail_unless (src.x == 0 && src.y == 0 && src.width == 640
      && src.height == 480);
  fail_unless_equals_int (dst.height, 800);
  fail_unless_equals_int (dst.width, 1066);
  fail_unless_equals_int (dst.x, 106);
  fail_unless_equals_int (dst.y, 0);

  /* 16:9 on 4:3: full width, centred down. */
  gst_zc_kms_place (1920, 1080, 1024, 768, TRUE, &src, &dst);
  fail_unless_equals_int (dst.width, 1024);
  fail_unless_equals_int (dst.height, 576);
  fail_unless_equals_int (dst.y, 96);
}

GST_END_TEST;

GST_START_TEST (test_rect_bytes)
{
#define BYTES(f, w, h) \
  gst_zc_kms_rect_bytes (gst_video_format_get_info (GST_VIDEO_FORMAT_ ## f), \
      w, h)
  fail_unless_equals_uint64 (BYTES (BGRx, 640, 480), 640 * 480 * 4);
  fail_unless_equals_uint64 (BYTES (YUY2, 640, 480), 640 * 480 * 2);
  fail_unless_equals_uint64 (BYTES (NV12, 640, 480), 640 * 480 * 3 / 2);
  fail_unless_equals_uint64 (BYTES (I420, 640, 480), 640 * 480 * 3 / 2);
  fail_unless_equals_uint64 (BYTES (RGB, 10, 10), 300);
  fail_unless_equals_uint64 (BYTES (P010_10LE, 64, 64), 64 * 64 * 3);
#undef BYTES
}

GST_END_TEST;

/* The element without a display */

static gboolean
host_has_cards (void)
{
  return g_file_test ("/dev/dri/card0", G_FILE_TEST_EXISTS);
}

/* Takes @sink to READY, which must fail with an error of the RESOURCE
 * domain and code @code on the bus; returns that error's debug text. */
static gchar *
ready_fails (GstElement * sink, gint code)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  gst_element_set_bus (sink, bus);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error on the bus");
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (err->domain == GST_RESOURCE_ERROR, "%s", err->message);
  fail_unless_equals_int (err->code, code);
  GST_INFO ("error: %s (%s)", err->message, debug);

  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  return debug;
}

GST_START_TEST (test_no_device)
{
  GstElement *sink;
  guint i, before;
  gchar *debug;

  if (host_has_cards ()) {
    /* A machine with a display: the scan would find it. */
    g_print ("this machine has /dev/dri/card0: the scan is not tested\n");
    return;
  }

  before = zc_test_count_fds ();
  for (i = 0; i < 5; i++) {
    sink = gst_element_factory_make ("zckmssink", NULL);
    debug = ready_fails (sink, GST_RESOURCE_ERROR_NOT_FOUND);
    fail_unless (strstr (debug, "no KMS device") != NULL, "%s", debug);
    g_free (debug);
    gst_object_unref (sink);
  }
  fail_unless_equals_int (zc_test_count_fds (), before);
}

GST_END_TEST;

GST_START_TEST (test_device_does_not_exist)
{
  GstElement *sink = gst_element_factory_make ("zckmssink", NULL);
  guint before = zc_test_count_fds ();
  gchar *debug;

  g_object_set (sink, "device", "/nonexistent/card0", NULL);
  debug = ready_fails (sink, GST_RESOURCE_ERROR_NOT_FOUND);
  fail_unless (strstr (debug, "/nonexistent/card0") != NULL, "%s", debug);
  g_free (debug);

  /* Not a character device. */
  g_object_set (sink, "device", "/proc/self/status", NULL);
  debug = ready_fails (sink, GST_RESOURCE_ERROR_OPEN_READ_WRITE);
  fail_unless (strstr (debug, "not a character device") != NULL, "%s", debug);
  g_free (debug);

  fail_unless_equals_int (zc_test_count_fds (), before);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_no_such_driver)
{
  GstElement *sink = gst_element_factory_make ("zckmssink", NULL);
  gchar *debug;

  /* Scans every card, takes none: safe on any machine. */
  g_object_set (sink, "driver-name", "no_such_driver", NULL);
  debug = ready_fails (sink, GST_RESOURCE_ERROR_NOT_FOUND);
  fail_unless (strstr (debug, "no_such_driver") != NULL, "%s", debug);
  g_free (debug);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_bad_mode_string)
{
  GstElement *sink = gst_element_factory_make ("zckmssink", NULL);
  guint before = zc_test_count_fds ();
  gchar *debug;

  /* Refused before any device is opened. */
  g_object_set (sink, "mode", "1280x720@", "device", "/nonexistent/card0",
      NULL);
  debug = ready_fails (sink, GST_RESOURCE_ERROR_SETTINGS);
  fail_unless (strstr (debug, "1280x720@") != NULL, "%s", debug);
  g_free (debug);
  fail_unless_equals_int (zc_test_count_fds (), before);
  gst_object_unref (sink);
}

GST_END_TEST;

/* Latency statistics (gstzckmslatency.c) */

static void
check_no_latency (const GstStructure * stats)
{
  static const gchar *fields[] = { "latency-avg-us", "latency-p99-us",
    "latency-max-us"
  };
  guint64 samples = 1;
  gdouble v = 1;
  guint i;

  fail_unless (gst_structure_get_uint64 (stats, "latency-samples", &samples));
  fail_unless_equals_uint64 (samples, 0);
  for (i = 0; i < G_N_ELEMENTS (fields); i++) {
    fail_unless (gst_structure_get_double (stats, fields[i], &v), "%s",
        fields[i]);
    fail_unless (v == 0, "%s is %f", fields[i], v);
  }
}

static GstStructure *
latency_structure (const GstZcKmsLatency * latency)
{
  GstStructure *s = gst_structure_new_empty ("GstZcKmsSinkStats");

  gst_zc_kms_latency_to_structure (latency, s);
  return s;
}

static gdouble
get_double (const GstStructure * s, const gchar * name)
{
  gdouble v = -1;

  fail_unless (gst_structure_get_double (s, name, &v), "no %s", name);
  return v;
}

GST_START_TEST (test_latency_empty)
{
  GstZcKmsLatency *l = g_new0 (GstZcKmsLatency, 1);
  GstStructure *s;

  gst_zc_kms_latency_reset (l);
  fail_unless_equals_uint64 (gst_zc_kms_latency_percentile (l, 99), 0);
  s = latency_structure (l);
  check_no_latency (s);
  gst_structure_free (s);
  g_free (l);
}

GST_END_TEST;

/* 1 to 100 ms, in a scrambled order: the mean is 50.5 ms, the 99th
 * percentile the 99th smallest, the maximum the largest; in microseconds. */
GST_START_TEST (test_latency_percentile_by_rank)
{
  GstZcKmsLatency *l = g_new0 (GstZcKmsLatency, 1);
  GstStructure *s;
  guint64 samples = 0;
  guint i;

  /* 37 and 100 are coprime: every value once. */
  for (i = 0; i < 100; i++)
    gst_zc_kms_latency_add (l, ((i * 37) % 100 + 1) * GST_MSECOND);
  s = latency_structure (l);
  fail_unless (gst_structure_get_uint64 (s, "latency-samples", &samples));
  fail_unless_equals_uint64 (samples, 100);
  fail_unless (get_double (s, "latency-avg-us") == 50500.0);
  fail_unless (get_double (s, "latency-p99-us") == 99000.0);
  fail_unless (get_double (s, "latency-max-us") == 100000.0);
  fail_unless_equals_uint64 (gst_zc_kms_latency_percentile (l, 50),
      50 * GST_MSECOND);
  fail_unless_equals_uint64 (gst_zc_kms_latency_percentile (l, 100),
      100 * GST_MSECOND);
  fail_unless_equals_uint64 (gst_zc_kms_latency_percentile (l, 1), GST_MSECOND);
  gst_structure_free (s);

  /* Fewer than 100 samples: the rank rounds up to the largest. */
  gst_zc_kms_latency_reset (l);
  for (i = 1; i <= 30; i++)
    gst_zc_kms_latency_add (l, i * GST_USECOND);
  fail_unless_equals_uint64 (gst_zc_kms_latency_percentile (l, 99),
      30 * GST_USECOND);
  g_free (l);
}

GST_END_TEST;

/* The percentile forgets what left the window; count, mean and maximum
 * do not. A reset forgets everything. */
GST_START_TEST (test_latency_window)
{
  GstZcKmsLatency *l = g_new0 (GstZcKmsLatency, 1);
  GstStructure *s;
  guint64 samples = 0;
  guint i;

  for (i = 0; i < GST_ZC_KMS_LATENCY_WINDOW; i++)
    gst_zc_kms_latency_add (l, GST_SECOND);
  for (i = 0; i < GST_ZC_KMS_LATENCY_WINDOW; i++)
    gst_zc_kms_latency_add (l, GST_MSECOND);
  s = latency_structure (l);
  fail_unless (gst_structure_get_uint64 (s, "latency-samples", &samples));
  fail_unless_equals_uint64 (samples, 2 * GST_ZC_KMS_LATENCY_WINDOW);
  fail_unless (get_double (s, "latency-p99-us") == 1000.0);
  fail_unless (get_double (s, "latency-max-us") == 1000000.0);
  fail_unless (get_double (s, "latency-avg-us") == 500500.0);
  gst_structure_free (s);

  /* One slow frame in the window is below the 99th percentile... */
  gst_zc_kms_latency_add (l, 2 * GST_SECOND);
  fail_unless_equals_uint64 (gst_zc_kms_latency_percentile (l, 99),
      GST_MSECOND);
  /* ...and 1 % of them is not. */
  for (i = 0; i < GST_ZC_KMS_LATENCY_WINDOW / 100; i++)
    gst_zc_kms_latency_add (l, 2 * GST_SECOND);
  fail_unless_equals_uint64 (gst_zc_kms_latency_percentile (l, 99),
      2 * GST_SECOND);

  gst_zc_kms_latency_reset (l);
  gst_zc_kms_latency_add (l, 7 * GST_USECOND);
  s = latency_structure (l);
  fail_unless (gst_structure_get_uint64 (s, "latency-samples", &samples));
  fail_unless_equals_uint64 (samples, 1);
  fail_unless (get_double (s, "latency-avg-us") == 7.0);
  fail_unless (get_double (s, "latency-p99-us") == 7.0);
  fail_unless (get_double (s, "latency-max-us") == 7.0);
  gst_structure_free (s);
  g_free (l);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *sink = gst_element_factory_make ("zckmssink", NULL);
  GstStructure *stats = NULL;
  gchar *device = NULL, *mode = NULL;
  gint connector = 0, plane = 0;
  gboolean restore = FALSE, atomic = FALSE;
  static const gchar *fields[] = { "frames-shown", "imports", "cache-hits",
    "copies", "bytes-copied", "flips", "late-frames"
  };
  guint i;

  g_object_get (sink, "device", &device, "connector-id", &connector,
      "plane-id", &plane, "mode", &mode, "restore-crtc", &restore, "atomic",
      &atomic, "stats", &stats, NULL);
  fail_unless (device == NULL && mode == NULL);
  fail_unless_equals_int (connector, -1);
  fail_unless_equals_int (plane, -1);
  fail_unless (restore && atomic);
  for (i = 0; i < G_N_ELEMENTS (fields); i++) {
    guint64 v = 1;

    fail_unless (gst_structure_get_uint64 (stats, fields[i], &v), "%s",
        fields[i]);
    fail_unless_equals_uint64 (v, 0);
  }
  check_no_latency (stats);
  gst_structure_free (stats);

  g_object_set (sink, "mode", "640x480@60", "connector-id", 42, NULL);
  g_object_get (sink, "mode", &mode, "connector-id", &connector, NULL);
  fail_unless_equals_string (mode, "640x480@60");
  fail_unless_equals_int (connector, 42);
  g_free (mode);
  gst_object_unref (sink);
}

GST_END_TEST;

static Suite *
zckmssink_suite (void)
{
  Suite *s = suite_create ("zckmssink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_mode_good);
  tcase_add_test (tc, test_parse_mode_bad);
  tcase_add_test (tc, test_caps_single_format);
  tcase_add_test (tc, test_caps_formats_through_table);
  tcase_add_test (tc, test_caps_no_known_format);
  tcase_add_test (tc, test_template_matches_format_table);
  tcase_add_test (tc, test_place_centre_and_crop);
  tcase_add_test (tc, test_place_scaled);
  tcase_add_test (tc, test_rect_bytes);
  tcase_add_test (tc, test_no_device);
  tcase_add_test (tc, test_device_does_not_exist);
  tcase_add_test (tc, test_no_such_driver);
  tcase_add_test (tc, test_bad_mode_string);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_latency_empty);
  tcase_add_test (tc, test_latency_percentile_by_rank);
  tcase_add_test (tc, test_latency_window);
  return s;
}

GST_CHECK_MAIN (zckmssink);
