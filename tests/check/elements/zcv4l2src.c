/* zcv4l2src unit tests that need no V4L2 device: bad devices, properties
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/allocators/allocators.h>
#include <gst/base/gstbasesrc.h>
#include <glib/gstdio.h>

#include <string.h>
#include <unistd.h>

/* Entries of /proc/self/fd: what a leaked device or dma-buf fd shows in. */
static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);

  return n;
}

static GstElement *
make_src (const gchar * device, GstBus ** bus)
{
  GstElement *src = gst_element_factory_make ("zcv4l2src", NULL);

  fail_unless (src != NULL, "zcv4l2src not found: plugin not built?");
  g_object_set (src, "device", device, NULL);
  *bus = gst_bus_new ();
  gst_element_set_bus (src, *bus);

  return src;
}

/* Takes @src to @state, which must fail with one ERROR message in the
 * GST_RESOURCE_ERROR domain and @code, whose debug string holds @debug
 * (when not NULL); the process has as many fds after as before. */
static void
check_open_fails (const gchar * device, GstState state, gint code,
    const gchar * debug)
{
  guint fds_before = count_fds ();
  GstMessage *msg;
  GError *error = NULL;
  gchar *dbg = NULL;
  GstElement *src;
  GstBus *bus;

  src = make_src (device, &bus);
  fail_unless_equals_int (gst_element_set_state (src, state),
      GST_STATE_CHANGE_FAILURE);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message for %s", device);
  gst_message_parse_error (msg, &error, &dbg);
  GST_INFO ("%s: %s (%s)", device, error->message, dbg);
  fail_unless (error->domain == GST_RESOURCE_ERROR,
      "%s: error domain %s", device, g_quark_to_string (error->domain));
  fail_unless_equals_int (error->code, code);
  if (debug)
    fail_unless (dbg && strstr (dbg, debug), "%s: debug \"%s\" lacks \"%s\"",
        device, dbg, debug);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL,
      "more than one error for %s", device);

  g_clear_error (&error);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_element_set_bus (src, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);

  fail_unless_equals_int (count_fds (), fds_before);
}

GST_START_TEST (test_no_such_device)
{
  check_open_fails ("/nonexistent", GST_STATE_READY,
      GST_RESOURCE_ERROR_NOT_FOUND, "No such file");
  check_open_fails ("/nonexistent", GST_STATE_PAUSED,
      GST_RESOURCE_ERROR_NOT_FOUND, "No such file");
}

GST_END_TEST;

/* /dev/null is a character device, so the open and the S_ISCHR check
 * pass: VIDIOC_QUERYCAP is what refuses it. */
GST_START_TEST (test_not_v4l2_device)
{
  check_open_fails ("/dev/null", GST_STATE_READY,
      GST_RESOURCE_ERROR_OPEN_READ, "VIDIOC_QUERYCAP failed");
  check_open_fails ("/dev/null", GST_STATE_PAUSED,
      GST_RESOURCE_ERROR_OPEN_READ, "VIDIOC_QUERYCAP failed");
}

GST_END_TEST;

GST_START_TEST (test_regular_file)
{
  gchar *path = NULL;
  gint fd;

  fd = g_file_open_tmp ("zcv4l2src-XXXXXX", &path, NULL);
  fail_unless (fd >= 0);
  close (fd);

  check_open_fails (path, GST_STATE_READY, GST_RESOURCE_ERROR_OPEN_READ,
      "not a character device");
  check_open_fails (path, GST_STATE_PAUSED, GST_RESOURCE_ERROR_OPEN_READ,
      "not a character device");

  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* open(O_RDWR) of a directory fails with EISDIR: not "no such device". */
GST_START_TEST (test_directory)
{
  check_open_fails ("/", GST_STATE_READY,
      GST_RESOURCE_ERROR_OPEN_READ_WRITE, "open:");
}

GST_END_TEST;

/* Failing again and again must not pile up fds (each failure is checked
 * on its own above; this catches a leak of less than one fd per run, such
 * as one every other time). */
GST_START_TEST (test_repeated_failures)
{
  guint fds_before = count_fds ();
  guint i;

  for (i = 0; i < 20; i++) {
    check_open_fails ("/dev/null", GST_STATE_READY,
        GST_RESOURCE_ERROR_OPEN_READ, NULL);
    check_open_fails ("/nonexistent", GST_STATE_READY,
        GST_RESOURCE_ERROR_NOT_FOUND, NULL);
  }
  fail_unless_equals_int (count_fds (), fds_before);
}

GST_END_TEST;

GST_START_TEST (test_property_defaults)
{
  GstElement *src = gst_element_factory_make ("zcv4l2src", NULL);
  gchar *device = NULL, *name = (gchar *) "unset";
  guint io_buffers = 0;

  g_object_get (src, "device", &device, "io-buffers", &io_buffers,
      "device-name", &name, NULL);
  fail_unless_equals_string (device, "/dev/video0");
  fail_unless_equals_int (io_buffers, 4);
  fail_unless (name == NULL, "device-name is \"%s\" while closed", name);
  fail_unless (gst_base_src_is_live (GST_BASE_SRC (src)));

  g_free (device);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_io_buffers_bounds)
{
  GstElement *src = gst_element_factory_make ("zcv4l2src", NULL);
  GParamSpecUInt *pspec;
  guint io_buffers = 0;

  pspec = G_PARAM_SPEC_UINT (g_object_class_find_property
      (G_OBJECT_GET_CLASS (src), "io-buffers"));
  fail_unless_equals_int (pspec->minimum, 2);
  fail_unless (pspec->maximum >= 4);

  g_object_set (src, "io-buffers", 2, NULL);
  g_object_get (src, "io-buffers", &io_buffers, NULL);
  fail_unless_equals_int (io_buffers, 2);

  /* Below the minimum: GObject refuses with a warning, the value stays. */
  ASSERT_WARNING (g_object_set (src, "io-buffers", 1, NULL));
  ASSERT_WARNING (g_object_set (src, "io-buffers", 0, NULL));
  g_object_get (src, "io-buffers", &io_buffers, NULL);
  fail_unless_equals_int (io_buffers, 2);

  gst_object_unref (src);
}

GST_END_TEST;

/* io-mode: the three modes by their nicks, export by default (today's
 * behaviour: capture never waits for downstream). */
GST_START_TEST (test_io_mode_property)
{
  GstElement *src = gst_element_factory_make ("zcv4l2src", NULL);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (src),
      "io-mode");
  static const gchar *nicks[] = { "auto", "dmabuf-export", "dmabuf-import" };
  GEnumClass *klass;
  guint i;

  fail_unless (pspec != NULL);
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_READY);
  klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;
  fail_unless_equals_int (klass->n_values, G_N_ELEMENTS (nicks));
  fail_unless_equals_string (g_enum_get_value (klass,
          G_PARAM_SPEC_ENUM (pspec)->default_value)->value_nick,
      "dmabuf-export");

  for (i = 0; i < G_N_ELEMENTS (nicks); i++) {
    GValue v = G_VALUE_INIT;

    gst_util_set_object_arg (G_OBJECT (src), "io-mode", nicks[i]);
    g_value_init (&v, pspec->value_type);
    g_object_get_property (G_OBJECT (src), "io-mode", &v);
    fail_unless_equals_string (g_enum_get_value (klass,
            g_value_get_enum (&v))->value_nick, nicks[i]);
    g_value_unset (&v);
  }
  gst_object_unref (src);
}

GST_END_TEST;

/* Before the device is open, the caps are the template's: every format
 * first as dma-buf, then again in system memory. */
GST_START_TEST (test_template_caps_prefer_dmabuf)
{
  GstElement *src = gst_element_factory_make ("zcv4l2src", NULL);
  GstPad *pad = gst_element_get_static_pad (src, "src");
  GstCaps *caps = gst_pad_query_caps (pad, NULL);
  GstCaps *yuy2_sys, *bgrx_dmabuf;
  guint n;

  n = gst_caps_get_size (caps);
  fail_unless (n >= 2 && n % 2 == 0, "caps %" GST_PTR_FORMAT, caps);
  fail_unless (gst_caps_features_contains (gst_caps_get_features (caps, 0),
          GST_CAPS_FEATURE_MEMORY_DMABUF));
  fail_unless (gst_caps_features_is_equal (gst_caps_get_features (caps,
              n - 1), GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY));

  yuy2_sys = gst_caps_from_string ("video/x-raw,format=YUY2,width=640,"
      "height=480,framerate=30/1");
  bgrx_dmabuf = gst_caps_from_string ("video/x-raw(memory:DMABuf),"
      "format=BGRx,width=640,height=480,framerate=30/1");
  fail_unless (gst_caps_can_intersect (caps, yuy2_sys));
  fail_unless (gst_caps_can_intersect (caps, bgrx_dmabuf));

  gst_caps_unref (yuy2_sys);
  gst_caps_unref (bgrx_dmabuf);
  gst_caps_unref (caps);
  gst_object_unref (pad);
  gst_object_unref (src);
}

GST_END_TEST;

static Suite *
zcv4l2src_suite (void)
{
  Suite *s = suite_create ("zcv4l2src");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_no_such_device);
  tcase_add_test (tc, test_not_v4l2_device);
  tcase_add_test (tc, test_regular_file);
  tcase_add_test (tc, test_directory);
  tcase_add_test (tc, test_repeated_failures);
  tcase_add_test (tc, test_property_defaults);
  tcase_add_test (tc, test_io_buffers_bounds);
  tcase_add_test (tc, test_io_mode_property);
  tcase_add_test (tc, test_template_caps_prefer_dmabuf);

  return s;
}

GST_CHECK_MAIN (zcv4l2src);
