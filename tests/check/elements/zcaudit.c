/* Unit tests for the zcaudit tracer: memory kinds, frames and copies
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pipelines run with GST_TRACERS=zcaudit(file=...) set before GStreamer
 * starts; their JSON report, written when the pipeline goes to READY, is
 * parsed by a strict reader of the subset the tracer writes (a list of
 * flat objects of strings, unsigned integers and null) and checked.
 * videotestsrc, videoconvert and fakesink come from the system's plugins.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>

#include <string.h>
#include <unistd.h>

#define N_FRAMES 10

static gchar *report_path;

/* ---- a strict reader of the report's JSON ---- */

static void
skip_space (const gchar ** p)
{
  while (g_ascii_isspace (**p))
    (*p)++;
}

static gboolean
expect (const gchar ** p, gchar c)
{
  skip_space (p);
  if (**p != c)
    return FALSE;
  (*p)++;
  return TRUE;
}

/* A string without \u escapes beyond control characters, which is all
 * the tracer writes. */
static gchar *
read_string (const gchar ** p)
{
  GString *s = g_string_new (NULL);

  if (!expect (p, '"'))
    goto bad;
  for (; **p && **p != '"'; (*p)++) {
    if (**p == '\\') {
      (*p)++;
      if (**p != '"' && **p != '\\')
        goto bad;
    }
    g_string_append_c (s, **p);
  }
  if (!expect (p, '"'))
    goto bad;
  return g_string_free (s, FALSE);

bad:
  g_string_free (s, TRUE);
  return NULL;
}

/* One value into @s as @key: a string, null (a NULL string) or an
 * unsigned integer (guint64). */
static gboolean
read_value (const gchar ** p, GstStructure * s, const gchar * key)
{
  gchar *end, *str;
  guint64 n;

  skip_space (p);
  if (**p == '"') {
    if (!(str = read_string (p)))
      return FALSE;
    gst_structure_set (s, key, G_TYPE_STRING, str, NULL);
    g_free (str);
    return TRUE;
  }
  if (g_str_has_prefix (*p, "null")) {
    *p += 4;
    gst_structure_set (s, key, G_TYPE_STRING, NULL, NULL);
    return TRUE;
  }
  if (!g_ascii_isdigit (**p))
    return FALSE;
  n = g_ascii_strtoull (*p, &end, 10);
  *p = end;
  gst_structure_set (s, key, G_TYPE_UINT64, n, NULL);
  return TRUE;
}

static GstStructure *
read_object (const gchar ** p)
{
  GstStructure *s = gst_structure_new_empty ("element");
  gchar *key;

  if (!expect (p, '{'))
    goto bad;
  do {
    if (!(key = read_string (p)) || !expect (p, ':')
        || !read_value (p, s, key)) {
      g_free (key);
      goto bad;
    }
    g_free (key);
  } while (expect (p, ','));
  if (!expect (p, '}'))
    goto bad;
  return s;

bad:
  gst_structure_free (s);
  return NULL;
}

/* The report as one GstStructure per element; fails the test on any
 * syntax error. */
static GPtrArray *
read_report (void)
{
  GPtrArray *objects = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  gchar *text = NULL;
  const gchar *p;
  GstStructure *s;

  fail_unless (g_file_get_contents (report_path, &text, NULL, NULL),
      "no report at %s", report_path);
  p = text;
  fail_unless (expect (&p, '['));
  do {
    s = read_object (&p);
    fail_unless (s != NULL, "bad JSON near '%.20s'", p);
    g_ptr_array_add (objects, s);
  } while (expect (&p, ','));
  fail_unless (expect (&p, ']'));
  skip_space (&p);
  fail_unless (*p == '\0', "trailing text '%s'", p);
  g_free (text);
  return objects;
}

static const GstStructure *
find_element (GPtrArray * objects, const gchar * name)
{
  guint i;

  for (i = 0; i < objects->len; i++) {
    const GstStructure *s = g_ptr_array_index (objects, i);

    if (!g_strcmp0 (gst_structure_get_string (s, "element"), name))
      return s;
  }
  fail ("%s is not in the report", name);
  return NULL;
}

static guint64
get_count (const GstStructure * s, const gchar * field)
{
  guint64 n = G_MAXUINT64;

  fail_unless (gst_structure_get_uint64 (s, field, &n), "%s of %s is not "
      "a number", field, gst_structure_get_string (s, "element"));
  return n;
}

static gboolean
is_null (const GstStructure * s, const gchar * field)
{
  return gst_structure_has_field_typed (s, field, G_TYPE_STRING)
      && gst_structure_get_string (s, field) == NULL;
}

static void
assert_kind (const GstStructure * s, const gchar * field, const gchar * kind)
{
  if (kind) {
    fail_unless_equals_string (gst_structure_get_string (s, field), kind);
  } else {
    fail_unless (is_null (s, field), "%s of %s is not null", field,
        gst_structure_get_string (s, "element"));
  }
}

/* ---- running pipelines ---- */

/* Runs @description to EOS; returns the frame size (GstVideoInfo size,
 * bytes) of the caps on @element's sink pad, 0 without @element. The
 * report is written when the pipeline goes down. */
static gsize
run_pipeline (const gchar * description, const gchar * element)
{
  GstElement *pipeline = gst_parse_launch (description, NULL);
  GstMessage *msg;
  GstVideoInfo info;
  gsize size = 0;

  fail_unless (pipeline != NULL);
  g_unlink (report_path);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);

  if (element) {
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
    GstPad *pad = gst_element_get_static_pad (e, "sink");
    GstCaps *caps = gst_pad_get_current_caps (pad);

    fail_unless (gst_video_info_from_caps (&info, caps));
    size = GST_VIDEO_INFO_SIZE (&info);
    gst_caps_unref (caps);
    gst_object_unref (pad);
    gst_object_unref (e);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return size;
}

GST_START_TEST (test_system_memory)
{
  GPtrArray *report;
  const GstStructure *src, *convert, *sink;

  run_pipeline ("videotestsrc name=src num-buffers=10 ! "
      "videoconvert name=convert ! fakesink name=sink", NULL);
  report = read_report ();
  fail_unless_equals_int (report->len, 3);
  src = find_element (report, "src");
  convert = find_element (report, "convert");
  sink = find_element (report, "sink");

  assert_kind (src, "in", NULL);
  assert_kind (src, "out", "system");
  assert_kind (convert, "in", "system");
  assert_kind (convert, "out", "system");
  assert_kind (sink, "in", "system");
  assert_kind (sink, "out", NULL);
  fail_unless_equals_uint64 (get_count (src, "frames"), N_FRAMES);
  fail_unless_equals_uint64 (get_count (convert, "frames"), N_FRAMES);
  fail_unless_equals_uint64 (get_count (sink, "frames"), N_FRAMES);
  /* The source makes every frame; the others copy through no helper of
   * the library, so what they copy is not known. */
  fail_unless_equals_uint64 (get_count (src, "out_new"), N_FRAMES);
  fail_unless (is_null (convert, "bytes_copied"));
  fail_unless (is_null (sink, "sync_brackets"));
  g_ptr_array_unref (report);
}

GST_END_TEST;

/* Same caps on both sides: videoconvert hands its input on, the tracer
 * sees the very same memories come out. */
GST_START_TEST (test_passthrough)
{
  GPtrArray *report;
  const GstStructure *convert;

  run_pipeline ("videotestsrc num-buffers=10 ! video/x-raw,format=I420 ! "
      "videoconvert name=convert ! video/x-raw,format=I420 ! fakesink", NULL);
  report = read_report ();
  convert = find_element (report, "convert");
  fail_unless_equals_uint64 (get_count (convert, "out_passthrough"),
      N_FRAMES);
  fail_unless_equals_uint64 (get_count (convert, "out_new"), 0);
  g_ptr_array_unref (report);
}

GST_END_TEST;

/* A conversion writes new memory for every frame. */
GST_START_TEST (test_new_memory)
{
  GPtrArray *report;
  const GstStructure *convert;

  run_pipeline ("videotestsrc num-buffers=10 ! video/x-raw,format=I420 ! "
      "videoconvert name=convert ! video/x-raw,format=RGBx ! fakesink", NULL);
  report = read_report ();
  convert = find_element (report, "convert");
  fail_unless_equals_uint64 (get_count (convert, "out_passthrough"), 0);
  fail_unless_equals_uint64 (get_count (convert, "out_new"), N_FRAMES);
  g_ptr_array_unref (report);
}

GST_END_TEST;

/* On the host zcupload's pool is memfd memory: "fd", not "dma-buf". Its
 * copies are seen twice by the library (its own count and
 * gst_zc_buffer_upload()'s) and must be reported once. */
GST_START_TEST (test_upload_copies)
{
  GPtrArray *report;
  const GstStructure *src, *upload, *sink;
  gsize size;

  size = run_pipeline ("videotestsrc name=src num-buffers=10 ! "
      "zcupload name=upload ! fakesink name=sink", "upload");
  fail_unless (size > 0);
  report = read_report ();
  fail_unless_equals_int (report->len, 3);
  src = find_element (report, "src");
  upload = find_element (report, "upload");
  sink = find_element (report, "sink");

  assert_kind (upload, "in", "system");
  assert_kind (upload, "out", "fd");
  assert_kind (sink, "in", "fd");
  fail_unless_equals_uint64 (get_count (upload, "frames"), N_FRAMES);
  fail_unless_equals_uint64 (get_count (upload, "out_new"), N_FRAMES);
  fail_unless_equals_uint64 (get_count (upload, "bytes_copied"),
      N_FRAMES * size);
  /* memfd memory is never SYNC-bracketed. */
  fail_unless_equals_uint64 (get_count (upload, "sync_brackets"), 0);
  fail_unless (is_null (src, "bytes_copied"));
  fail_unless (is_null (sink, "bytes_copied"));
  g_ptr_array_unref (report);
}

GST_END_TEST;

static Suite *
zcaudit_suite (void)
{
  Suite *s = suite_create ("zcaudit");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_system_memory);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_new_memory);
  tcase_add_test (tc, test_upload_copies);
  return s;
}

/* The tracer is created by gst_init() from GST_TRACERS, and the test
 * sources come from the system's plugins: both set before it. */
int
main (int argc, char **argv)
{
  gchar *tracers;
  int failed;

  report_path = g_strdup_printf ("%s/zcaudit-%d.json", g_get_tmp_dir (),
      (int) getpid ());
  tracers = g_strdup_printf ("zcaudit(file=%s)", report_path);
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", ZC_TEST_SYSTEM_PLUGINS_DIR, TRUE);
  g_setenv ("GST_TRACERS", tracers, TRUE);
  g_free (tracers);

  gst_check_init (&argc, &argv);
  failed = gst_check_run_suite (zcaudit_suite (), "zcaudit", __FILE__);
  g_unlink (report_path);
  g_free (report_path);
  return failed;
}
