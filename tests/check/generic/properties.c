/* Generic property checks of every element of the project's plugins
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every writable, not construct-only property that an element of the
 * project's plugins (the build tree's ext/) defines itself is set, in the NULL state,
 * to its minimum, maximum and default (numbers), to every value (enums,
 * booleans) or to a few strings, and read back. Then to invalid values
 * through g_object_set_property(): out of its range (a number or an enum
 * value the property does not allow) and of a type GLib cannot convert
 * (a G_TYPE_POINTER value). GObject refuses both with a g_warning, caught
 * with ASSERT_WARNING, and the property must keep its value. Last, every
 * property is set back to its default.
 *
 * The element must still work afterwards: the CPU elements and zcaccel
 * run a short videotestsrc pipeline to EOS without an error; the others
 * go to READY and back (zcv4l2src and zckmssink may fail READY on a
 * machine without devices, with an error message, as before the checks).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include <string.h>

#include "zctestutils.h"

static gchar *tmpdir;

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
  return ours;
}

/* ---- setting and reading back ---- */

static void
check_set (GstElement * e, GParamSpec * p, const GValue * v)
{
  GValue got = G_VALUE_INIT;
  gchar *want_s, *got_s;

  g_object_set_property (G_OBJECT (e), p->name, v);
  g_value_init (&got, p->value_type);
  g_object_get_property (G_OBJECT (e), p->name, &got);
  want_s = gst_value_serialize (v);
  got_s = gst_value_serialize (&got);
  fail_unless (g_param_values_cmp (p, v, &got) == 0,
      "%s.%s: set %s, read back %s", GST_OBJECT_NAME (e), p->name,
      want_s, got_s);
  g_free (want_s);
  g_free (got_s);
  g_value_unset (&got);
}

/* g_object_set_property() must refuse @v with a warning and keep the
 * property's value. */
static void
check_refused (GstElement * e, GParamSpec * p, const GValue * v)
{
  GValue before = G_VALUE_INIT, after = G_VALUE_INIT;

  g_value_init (&before, p->value_type);
  g_value_init (&after, p->value_type);
  g_object_get_property (G_OBJECT (e), p->name, &before);
  ASSERT_WARNING (g_object_set_property (G_OBJECT (e), p->name, v));
  g_object_get_property (G_OBJECT (e), p->name, &after);
  fail_unless (g_param_values_cmp (p, &before, &after) == 0,
      "%s.%s changed on an invalid value", GST_OBJECT_NAME (e), p->name);
  g_value_unset (&before);
  g_value_unset (&after);
}

/* Numbers: min, max, default; min - 1 and max + 1 where the type has room. */
#define CHECK_RANGE(PSPEC_T, CTYPE, GTYPE, SETTER, TYPE_MIN, TYPE_MAX)    \
  G_STMT_START {                                                          \
    PSPEC_T *r = (PSPEC_T *) p;                                           \
    GValue v = G_VALUE_INIT;                                              \
                                                                          \
    g_value_init (&v, GTYPE);                                             \
    SETTER (&v, r->minimum);                                              \
    check_set (e, p, &v);                                                 \
    SETTER (&v, r->maximum);                                              \
    check_set (e, p, &v);                                                 \
    if (r->minimum > (CTYPE) (TYPE_MIN)) {                                \
      SETTER (&v, r->minimum - 1);                                        \
      check_refused (e, p, &v);                                           \
      refused++;                                                          \
    }                                                                     \
    if (r->maximum < (CTYPE) (TYPE_MAX)) {                                \
      SETTER (&v, r->maximum + 1);                                        \
      check_refused (e, p, &v);                                           \
      refused++;                                                          \
    }                                                                     \
    g_value_unset (&v);                                                   \
  } G_STMT_END

static void
check_enum (GstElement * e, GParamSpec * p, guint * refused)
{
  GEnumClass *klass = G_PARAM_SPEC_ENUM (p)->enum_class;
  GValue v = G_VALUE_INIT;
  gint bogus = klass->maximum + 1;
  guint i;

  g_value_init (&v, p->value_type);
  for (i = 0; i < klass->n_values; i++) {
    g_value_set_enum (&v, klass->values[i].value);
    check_set (e, p, &v);
  }
  g_value_set_enum (&v, bogus);
  check_refused (e, p, &v);
  (*refused)++;
  g_value_unset (&v);
}

/* Strings are the element's to judge: it takes the value (read back the
 * same) or refuses it with a g_warning and keeps the one it had. */
static void
check_set_or_refused (GstElement * e, GParamSpec * p, const GValue * v)
{
  GValue before = G_VALUE_INIT, after = G_VALUE_INIT;
  gboolean warned;

  g_value_init (&before, p->value_type);
  g_value_init (&after, p->value_type);
  g_object_get_property (G_OBJECT (e), p->name, &before);
  _gst_check_expecting_log = TRUE;
  _gst_check_raised_warning = FALSE;
  g_object_set_property (G_OBJECT (e), p->name, v);
  warned = _gst_check_raised_warning;
  _gst_check_expecting_log = FALSE;
  g_object_get_property (G_OBJECT (e), p->name, &after);
  if (warned) {
    GST_INFO ("%s.%s refused \"%.20s\"", GST_OBJECT_NAME (e), p->name,
        g_value_get_string (v));
    fail_unless (g_param_values_cmp (p, &before, &after) == 0,
        "%s.%s changed on a refused value", GST_OBJECT_NAME (e), p->name);
  } else {
    fail_unless (g_param_values_cmp (p, v, &after) == 0,
        "%s.%s: set \"%.20s\", read back \"%.20s\"", GST_OBJECT_NAME (e),
        p->name, g_value_get_string (v), g_value_get_string (&after));
  }
  g_value_unset (&before);
  g_value_unset (&after);
}

static void
check_string (GstElement * e, GParamSpec * p)
{
  GValue v = G_VALUE_INIT;
  gchar *long_s = g_strnfill (4096, 'x');
  const gchar *values[] = { "", "zc-properties-test", long_s };
  guint i;

  g_value_init (&v, G_TYPE_STRING);
  for (i = 0; i < G_N_ELEMENTS (values); i++) {
    g_value_set_string (&v, values[i]);
    check_set_or_refused (e, p, &v);
  }
  g_value_unset (&v);
  g_free (long_s);
}

/* The element's own properties: those of GStreamer's base classes are
 * upstream's (GstBaseSink's render-delay, for one, takes G_MAXUINT64 in
 * its range but refuses it with a critical). */
static gboolean
testable (GstElement * e, GParamSpec * p)
{
  GType t = G_TYPE_FUNDAMENTAL (p->value_type);

  if (p->owner_type != G_OBJECT_TYPE (e))
    return FALSE;
  if (!(p->flags & G_PARAM_WRITABLE) || !(p->flags & G_PARAM_READABLE)
      || (p->flags & G_PARAM_CONSTRUCT_ONLY))
    return FALSE;
  return t == G_TYPE_BOOLEAN || t == G_TYPE_INT || t == G_TYPE_UINT
      || t == G_TYPE_INT64 || t == G_TYPE_UINT64 || t == G_TYPE_LONG
      || t == G_TYPE_ULONG || t == G_TYPE_DOUBLE || t == G_TYPE_FLOAT
      || t == G_TYPE_ENUM || t == G_TYPE_STRING;
}

/* Sets every testable property of @e to its extremes, its invalid values
 * and back to its default; returns how many invalid values were refused. */
static guint
fuzz_properties (GstElement * e, guint * n_props)
{
  GParamSpec **props;
  guint n, i, refused = 0;

  props = g_object_class_list_properties (G_OBJECT_GET_CLASS (e), &n);
  for (i = 0; i < n; i++) {
    GParamSpec *p = props[i];
    GType t = G_TYPE_FUNDAMENTAL (p->value_type);
    GValue wrong = G_VALUE_INIT, def = G_VALUE_INIT;

    if (!testable (e, p))
      continue;
    (*n_props)++;
    GST_INFO ("%s.%s", GST_OBJECT_NAME (e), p->name);

    if (t == G_TYPE_BOOLEAN) {
      GValue v = G_VALUE_INIT;

      g_value_init (&v, G_TYPE_BOOLEAN);
      g_value_set_boolean (&v, TRUE);
      check_set (e, p, &v);
      g_value_set_boolean (&v, FALSE);
      check_set (e, p, &v);
      g_value_unset (&v);
    } else if (t == G_TYPE_INT) {
      CHECK_RANGE (GParamSpecInt, gint, G_TYPE_INT, g_value_set_int,
          G_MININT, G_MAXINT);
    } else if (t == G_TYPE_UINT) {
      CHECK_RANGE (GParamSpecUInt, guint, G_TYPE_UINT, g_value_set_uint,
          0, G_MAXUINT);
    } else if (t == G_TYPE_INT64) {
      CHECK_RANGE (GParamSpecInt64, gint64, G_TYPE_INT64, g_value_set_int64,
          G_MININT64, G_MAXINT64);
    } else if (t == G_TYPE_UINT64) {
      CHECK_RANGE (GParamSpecUInt64, guint64, G_TYPE_UINT64,
          g_value_set_uint64, 0, G_MAXUINT64);
    } else if (t == G_TYPE_LONG) {
      CHECK_RANGE (GParamSpecLong, glong, G_TYPE_LONG, g_value_set_long,
          G_MINLONG, G_MAXLONG);
    } else if (t == G_TYPE_ULONG) {
      CHECK_RANGE (GParamSpecULong, gulong, G_TYPE_ULONG, g_value_set_ulong,
          0, G_MAXULONG);
    } else if (t == G_TYPE_DOUBLE) {
      CHECK_RANGE (GParamSpecDouble, gdouble, G_TYPE_DOUBLE,
          g_value_set_double, -G_MAXDOUBLE, G_MAXDOUBLE);
    } else if (t == G_TYPE_FLOAT) {
      CHECK_RANGE (GParamSpecFloat, gfloat, G_TYPE_FLOAT, g_value_set_float,
          -G_MAXFLOAT, G_MAXFLOAT);
    } else if (t == G_TYPE_ENUM) {
      check_enum (e, p, &refused);
    } else if (t == G_TYPE_STRING) {
      check_string (e, p);
    }

    /* A type GLib cannot transform into any property type. */
    g_value_init (&wrong, G_TYPE_POINTER);
    g_value_set_pointer (&wrong, e);
    check_refused (e, p, &wrong);
    refused++;
    g_value_unset (&wrong);

    g_value_init (&def, p->value_type);
    g_param_value_set_default (p, &def);
    check_set (e, p, &def);
    g_value_unset (&def);
  }
  g_free (props);
  return refused;
}

/* ---- the element still works ---- */

/* Runs videotestsrc ! [zcupload !] @e ! fakesink to EOS. */
static void
run_pipeline (GstElement * e)
{
  const gchar *name = GST_OBJECT_NAME (gst_element_get_factory (e));
  GstElement *pipeline, *src, *filter, *sink, *upload = NULL;
  GstMessage *msg;
  GstCaps *caps;
  GstBus *bus;

  pipeline = gst_pipeline_new (NULL);
  src = gst_element_factory_make ("videotestsrc", NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  fail_unless (src && filter && sink);
  g_object_set (src, "num-buffers", 5, NULL);
  caps = gst_caps_from_string ("video/x-raw,format=NV12,width=64,height=48");
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  if (g_str_equal (name, "zcsnapshot")) {
    gchar *loc = g_build_filename (tmpdir, "prop-%05d.png", NULL);

    g_object_set (e, "location", loc, "interval", 2, NULL);
    g_free (loc);
  }
  gst_bin_add_many (GST_BIN (pipeline), src, filter, e, sink, NULL);
  if (!g_str_equal (name, "zcupload") && !g_str_equal (name, "zcthumbnail")) {
    upload = gst_element_factory_make ("zcupload", NULL);
    gst_bin_add (GST_BIN (pipeline), upload);
    fail_unless (gst_element_link_many (src, filter, upload, e, sink, NULL));
  } else {
    fail_unless (gst_element_link_many (src, filter, e, sink, NULL));
  }

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no EOS within 60 s", name);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("%s: error after the property checks: %s (%s)", name,
        err->message, dbg);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

/* The threads of a pipeline that has just reached NULL (GStreamer's task
 * pool winding down) may hold a reference to an element for a moment after
 * the state change returned: seen once in 25 runs on a loaded machine. A
 * reference kept for good still fails the destruction check after this. */
static void
wait_for_last_ref (GstElement * e)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (GST_OBJECT_REFCOUNT_VALUE (e) > 1
      && g_get_monotonic_time () < deadline)
    g_usleep (1000);
}

static void
ready_and_back (GstElement * e)
{
  const gchar *name = GST_OBJECT_NAME (gst_element_get_factory (e));
  GstBus *bus = gst_bus_new ();
  GstStateChangeReturn ret;
  GstMessage *msg;

  gst_element_set_bus (e, bus);
  ret = gst_element_set_state (e, GST_STATE_READY);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    /* Only the device elements may fail, and only with a message. */
    fail_unless (g_str_equal (name, "zcv4l2src")
        || g_str_equal (name, "zckmssink") || g_str_equal (name, "zcfdsink"),
        "%s failed READY after the property checks", name);
    fail_unless (msg != NULL, "%s failed READY without an error message",
        name);
  } else {
    fail_unless (msg == NULL, "%s posted an error going to READY", name);
  }
  if (msg)
    gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_bus (e, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

/* ---- tests ---- */

GST_START_TEST (test_every_property)
{
  GList *factories = project_factories (), *l;
  guint elements = 0;

  fail_unless (factories != NULL);
  for (l = factories; l; l = l->next) {
    const gchar *name = GST_OBJECT_NAME (l->data);
    guint fds = zc_test_count_fds ();
    GstElement *e = gst_element_factory_create (l->data, NULL);
    guint n_props = 0, refused;

    fail_unless (e != NULL);
    gst_object_ref_sink (e);
    refused = fuzz_properties (e, &n_props);
    GST_INFO ("%s: %u properties, %u invalid values refused", name,
        n_props, refused);
    fail_unless (n_props >= 1, "%s: no property checked", name);
    fail_unless (refused >= n_props);

    if (g_str_equal (name, "zcupload") || g_str_equal (name, "zcaccel")
        || g_str_equal (name, "zcthumbnail")
        || g_str_equal (name, "zcsnapshot")) {
      run_pipeline (e);
    } else {
      ready_and_back (e);
    }
    wait_for_last_ref (e);
    gst_check_object_destroyed_on_unref (e);
    fail_unless_equals_int (zc_test_count_fds (), fds);
    elements++;
  }
  GST_INFO ("%u elements checked", elements);
  g_list_free_full (factories, gst_object_unref);
}

GST_END_TEST;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("zc-properties-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
teardown (void)
{
  zc_test_remove_dir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static Suite *
properties_suite (void)
{
  Suite *s = suite_create ("properties");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_every_property);
  return s;
}

int
main (int argc, char **argv)
{
  /* videotestsrc, capsfilter and fakesink come from the system's plugins;
   * zcupload's own pool uses memfds (no dma-buf exporter here). */
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", ZC_TEST_SYSTEM_PLUGINS_DIR, TRUE);
  g_setenv ("GST_ZC_BACKEND", "memfd", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (properties_suite (), "properties", __FILE__);
}
