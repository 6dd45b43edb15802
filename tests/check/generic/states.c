/* Generic state-change checks of every element of the project's plugins
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every element factory that the registry holds from the project's plugins
 * (the build tree's ext/; the tests run with an empty system plugin path)
 * is instantiated and taken through the state sequences GStreamer's own
 * generic test knows (up and down one step at a time, up then down in one
 * jump, jumps over states) many times, without any data. The zcaudit
 * tracer is active all along (GST_TRACERS is set before gst_init).
 *
 * On a machine without the devices (no /dev/video0, no DRM card) the
 * device elements, zcv4l2src and zckmssink, must refuse NULL→READY with an
 * error message from the element on its bus, and nothing else. zcfdsink
 * listens on a socket of this test; zcfdsrc connects to such a listening
 * zcfdsink; without a socket-path both must fail to start, with an error.
 *
 * After each element's cycles: the element is finalized on its last unref
 * (gst_check_object_destroyed_on_unref) and the process has exactly the
 * file descriptors it had before.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include <stdlib.h>
#include <string.h>

#include "zctestutils.h"

/* How many times every sequence is repeated per element. */
#define CYCLES 10

/* The elements each plugin of the project registers; ZC_BUILT_PLUGINS
 * names the plugin directories this build made (comma-separated). */
static const struct
{
  const gchar *plugin_dir;
  const gchar *elements[4];
} expected[] = {
  {"v4l2", {"zcv4l2src"}},
  {"cpu", {"zcthumbnail", "zcsnapshot", "zcupload"}},
  {"accel", {"zcaccel"}},
  {"kms", {"zckmssink"}},
  {"ipc", {"zcfdsink", "zcfdsrc"}},
};

static gchar *tmpdir;

/* Element factories that come from the project's plugins, sorted. */
static GList *
project_factories (void)
{
  GList *all, *l, *ours = NULL;

  all = gst_registry_get_feature_list (gst_registry_get (),
      GST_TYPE_ELEMENT_FACTORY);
  for (l = all; l; l = l->next) {
    GstPlugin *plugin = gst_plugin_feature_get_plugin (l->data);
    const gchar *file = plugin ? gst_plugin_get_filename (plugin) : NULL;

    if (file && g_str_has_prefix (file, ZC_TEST_BUILD_ROOT "/ext/"))
      ours = g_list_prepend (ours, gst_object_ref (l->data));
    if (plugin)
      gst_object_unref (plugin);
  }
  gst_plugin_feature_list_free (all);
  return g_list_sort (ours, (GCompareFunc) gst_plugin_feature_rank_compare_func);
}

/* The device elements find no device on this machine. */
static gboolean
lacks_device (const gchar * name)
{
  if (g_str_equal (name, "zcv4l2src"))
    return !g_file_test ("/dev/video0", G_FILE_TEST_EXISTS);
  if (g_str_equal (name, "zckmssink")) {
    gint i;

    for (i = 0; i < 16; i++) {
      gchar *card = g_strdup_printf ("/dev/dri/card%d", i);
      gboolean exists = g_file_test (card, G_FILE_TEST_EXISTS);

      g_free (card);
      if (exists)
        return FALSE;
    }
    return TRUE;
  }
  return FALSE;
}

/* ---- one element under test ---- */

typedef struct
{
  GstElement *element;
  GstBus *bus;
  /* zcfdsrc's peer: a zcfdsink listening on the socket */
  GstElement *peer;
  gchar *socket;
} Subject;

static void
subject_init (Subject * s, GstElementFactory * factory)
{
  const gchar *name = GST_OBJECT_NAME (factory);

  memset (s, 0, sizeof (*s));
  s->element = gst_element_factory_create (factory, NULL);
  fail_unless (s->element != NULL, "could not create %s", name);
  s->bus = gst_bus_new ();
  gst_element_set_bus (s->element, s->bus);

  if (g_str_equal (name, "zcfdsink") || g_str_equal (name, "zcfdsrc")) {
    s->socket = g_build_filename (tmpdir, "states.sock", NULL);
    if (g_str_equal (name, "zcfdsrc")) {
      /* The sink listens from READY→PAUSED on; without data it stays
       * there (async). */
      s->peer = gst_element_factory_make ("zcfdsink", NULL);
      g_object_set (s->peer, "socket-path", s->socket, NULL);
      fail_if (gst_element_set_state (s->peer, GST_STATE_PAUSED) ==
          GST_STATE_CHANGE_FAILURE);
    }
    g_object_set (s->element, "socket-path", s->socket, NULL);
  }
}

/* Fails on any ERROR or WARNING message left on the bus. */
static void
subject_check_bus_clean (Subject * s)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (s->bus,
              GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
    GError *err = NULL;

    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &err, NULL);
    else
      gst_message_parse_warning (msg, &err, NULL);
    fail ("%s posted %s: %s", GST_OBJECT_NAME (s->element),
        GST_MESSAGE_TYPE_NAME (msg), err->message);
    g_error_free (err);
    gst_message_unref (msg);
  }
}

static void
subject_clear (Subject * s)
{
  subject_check_bus_clean (s);
  fail_unless_equals_int (gst_element_set_state (s->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_bus (s->element, NULL);
  gst_bus_set_flushing (s->bus, TRUE);
  gst_object_unref (s->bus);
  gst_check_object_destroyed_on_unref (s->element);
  if (s->peer) {
    fail_unless_equals_int (gst_element_set_state (s->peer, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    gst_check_object_destroyed_on_unref (s->peer);
  }
  if (s->socket)
    g_unlink (s->socket);
  g_free (s->socket);
}

static void
set_state_ok (Subject * s, GstState state)
{
  GstStateChangeReturn ret = gst_element_set_state (s->element, state);

  fail_if (ret == GST_STATE_CHANGE_FAILURE, "%s failed to go to %s",
      GST_OBJECT_NAME (s->element), gst_element_state_get_name (state));
}

/* Runs @seq (a list of target states ending with GST_STATE_VOID_PENDING)
 * CYCLES times on every element that can start here. */
static void
run_sequence (const GstState * seq)
{
  GList *factories = project_factories (), *l;

  fail_unless (factories != NULL, "no element of the project in the registry");
  for (l = factories; l; l = l->next) {
    const gchar *name = GST_OBJECT_NAME (l->data);
    guint fds = zc_test_count_fds ();
    Subject s;
    gint c, i;

    if (lacks_device (name))
      continue;
    GST_INFO ("cycling %s", name);
    subject_init (&s, l->data);
    for (c = 0; c < CYCLES; c++)
      for (i = 0; seq[i] != GST_STATE_VOID_PENDING; i++)
        set_state_ok (&s, seq[i]);
    subject_clear (&s);
    fail_unless_equals_int (zc_test_count_fds (), fds);
  }
  g_list_free_full (factories, gst_object_unref);
}

/* ---- tests ---- */

GST_START_TEST (test_every_plugin_registered)
{
  gchar **built = g_strsplit (ZC_BUILT_PLUGINS, ",", -1);
  GList *factories = project_factories ();
  guint i, j, n = 0;

  for (i = 0; i < G_N_ELEMENTS (expected); i++) {
    if (!g_strv_contains ((const gchar * const *) built,
            expected[i].plugin_dir))
      continue;
    for (j = 0; j < G_N_ELEMENTS (expected[i].elements)
        && expected[i].elements[j]; j++) {
      GstElementFactory *f =
          gst_element_factory_find (expected[i].elements[j]);

      fail_unless (f != NULL, "%s is not in the registry",
          expected[i].elements[j]);
      fail_unless (g_list_find (factories, f) != NULL,
          "%s does not come from the build tree", expected[i].elements[j]);
      gst_object_unref (f);
      n++;
    }
  }
  fail_unless_equals_int (g_list_length (factories), n);
  g_list_free_full (factories, gst_object_unref);
  g_strfreev (built);
}

GST_END_TEST;

GST_START_TEST (test_tracer_active)
{
  GList *tracers = gst_tracing_get_active_tracers (), *l;
  gboolean found = FALSE;

  for (l = tracers; l; l = l->next)
    found |= g_str_equal (G_OBJECT_TYPE_NAME (l->data), "GstZcAudit");
  g_list_free_full (tracers, gst_object_unref);
  fail_unless (found, "zcaudit is not among the active tracers");
}

GST_END_TEST;

GST_START_TEST (test_state_changes_up_and_down_seq)
{
  static const GstState seq[] = { GST_STATE_READY, GST_STATE_PAUSED,
    GST_STATE_PLAYING, GST_STATE_PAUSED, GST_STATE_READY, GST_STATE_NULL,
    GST_STATE_VOID_PENDING
  };

  run_sequence (seq);
}

GST_END_TEST;

GST_START_TEST (test_state_changes_up_then_jump_down)
{
  static const GstState seq[] = { GST_STATE_READY, GST_STATE_PAUSED,
    GST_STATE_PLAYING, GST_STATE_NULL, GST_STATE_VOID_PENDING
  };

  run_sequence (seq);
}

GST_END_TEST;

GST_START_TEST (test_state_changes_jumps)
{
  static const GstState seq[] = { GST_STATE_PLAYING, GST_STATE_NULL,
    GST_STATE_PAUSED, GST_STATE_NULL, GST_STATE_READY, GST_STATE_PLAYING,
    GST_STATE_READY, GST_STATE_PAUSED, GST_STATE_NULL,
    GST_STATE_VOID_PENDING
  };

  run_sequence (seq);
}

GST_END_TEST;

/* Without a device, NULL→READY fails with exactly one ERROR message from
 * the element, every time, and leaves nothing behind. */
GST_START_TEST (test_device_elements_fail_ready)
{
  static const gchar *names[] = { "zcv4l2src", "zckmssink" };
  guint i, c, checked = 0;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GstElementFactory *f = gst_element_factory_find (names[i]);
    guint fds = zc_test_count_fds ();
    Subject s;

    if (!f)
      continue;
    if (!lacks_device (names[i])) {
      GST_WARNING ("%s has a device on this machine: not checked", names[i]);
      gst_object_unref (f);
      continue;
    }
    subject_init (&s, f);
    for (c = 0; c < CYCLES; c++) {
      GstMessage *msg;

      fail_unless_equals_int (gst_element_set_state (s.element,
              GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
      msg = gst_bus_pop_filtered (s.bus, GST_MESSAGE_ERROR);
      fail_unless (msg != NULL, "%s posted no error", names[i]);
      fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (s.element));
      gst_message_unref (msg);
      subject_check_bus_clean (&s);
      fail_unless_equals_int (GST_STATE (s.element), GST_STATE_NULL);
      fail_unless_equals_int (gst_element_set_state (s.element,
              GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    }
    subject_clear (&s);
    fail_unless_equals_int (zc_test_count_fds (), fds);
    gst_object_unref (f);
    checked++;
  }
  GST_INFO ("%u device elements checked", checked);
}

GST_END_TEST;

/* zcfdsink and zcfdsrc without a socket-path fail to start, with an error
 * message: the sink in NULL→READY, the source in READY→PAUSED. */
GST_START_TEST (test_fd_elements_need_socket)
{
  static const gchar *names[] = { "zcfdsink", "zcfdsrc" };
  guint i, c;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    guint fds = zc_test_count_fds ();
    GstElement *e = gst_element_factory_make (names[i], NULL);
    GstBus *bus = gst_bus_new ();

    if (!e) {
      gst_object_unref (bus);
      continue;
    }
    gst_element_set_bus (e, bus);
    for (c = 0; c < CYCLES; c++) {
      GstMessage *msg;

      /* GstBaseSink starts in NULL→READY, GstBaseSrc in READY→PAUSED */
      fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
          GST_STATE_CHANGE_FAILURE);
      fail_unless_equals_int (GST_STATE (e), i == 0 ? GST_STATE_NULL :
          GST_STATE_READY);
      msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      fail_unless (msg != NULL, "%s posted no error", names[i]);
      gst_message_unref (msg);
      fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
          GST_STATE_CHANGE_SUCCESS);
    }
    gst_element_set_bus (e, NULL);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
    gst_check_object_destroyed_on_unref (e);
    fail_unless_equals_int (zc_test_count_fds (), fds);
  }
}

GST_END_TEST;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("zc-states-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
teardown (void)
{
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static Suite *
states_suite (void)
{
  Suite *s = suite_create ("states");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_every_plugin_registered);
  tcase_add_test (tc, test_tracer_active);
  tcase_add_test (tc, test_state_changes_up_and_down_seq);
  tcase_add_test (tc, test_state_changes_up_then_jump_down);
  tcase_add_test (tc, test_state_changes_jumps);
  tcase_add_test (tc, test_device_elements_fail_ready);
  tcase_add_test (tc, test_fd_elements_need_socket);
  return s;
}

int
main (int argc, char **argv)
{
  /* Tracers are read at gst_init: zcaudit watches every cycle. */
  g_setenv ("GST_TRACERS", "zcaudit", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (states_suite (), "states", __FILE__);
}
