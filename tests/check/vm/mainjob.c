/* Test bed test of the main job (tools/zc-main-job) end to end
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs the application once for 300 frames of vivid at 640x480 onto
 * virtio-gpu, then checks what it left in its output folder: the zcaudit
 * report shows no byte copied on the main path (capture to display), the
 * QEMU screendump shows vivid's eight colour bars, at least 300/interval
 * JPEG thumbnails and the requested PNG snapshots exist and decode, and
 * the summary carries positive capture-to-scanout latency figures. A
 * second, short run reads the display back through KMS instead (the path
 * used on a machine with a display of its own).
 *
 * The application takes jpegenc, multifilesink and the core elements from
 * the system's plugins: only those are offered to it, so that the guest
 * does not scan every system plugin (tens of seconds under TCG).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"

#include <json-glib/json-glib.h>
#include <png.h>
#include <stdio.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#define TOOL ZC_TEST_BUILD_ROOT "/tools/zc-main-job"
#define FRAMES 300
#define WIDTH 640
#define HEIGHT 480
#define INTERVAL 30
#define SNAPSHOT_INTERVAL 100
#define KMS_FRAMES 30

static const gchar *system_plugins[] = { "libgstcoreelements.so",
  "libgstjpeg.so", "libgstmultifile.so"
};

static const gchar *main_path[] = { "src", "capture-caps", "accel", "t",
  "display-queue", "display"
};

/* The run every test reads. */
static gchar *plugin_dir;
static gchar *out_dir;
static gint job_status = -1;

/* Running the application */

static gchar *
make_plugin_dir (void)
{
  gchar *dir = g_dir_make_tmp ("zc-mainjob-plugins-XXXXXX", NULL);
  guint i;

  fail_unless (dir != NULL);
  for (i = 0; i < G_N_ELEMENTS (system_plugins); i++) {
    gchar *from = g_build_filename (ZC_TEST_SYSTEM_PLUGINS_DIR,
        system_plugins[i], NULL);
    gchar *to = g_build_filename (dir, system_plugins[i], NULL);

    fail_unless (symlink (from, to) == 0, "symlink %s: %s", from,
        g_strerror (errno));
    g_free (to);
    g_free (from);
  }
  return dir;
}

/* Runs the application with @args after the common ones; returns its
 * exit status, its output printed. */
static gint
run_tool (const gchar * out, const gchar * const *args)
{
  GPtrArray *argv = g_ptr_array_new ();
  gchar **envp = g_get_environ ();
  gchar *std_out = NULL, *std_err = NULL;
  GError *err = NULL;
  gint status = -1;

  if (!plugin_dir)
    plugin_dir = make_plugin_dir ();
  envp = g_environ_setenv (envp, "GST_PLUGIN_SYSTEM_PATH_1_0", plugin_dir,
      TRUE);
  g_ptr_array_add (argv, (gpointer) TOOL);
  g_ptr_array_add (argv, (gpointer) "--out");
  g_ptr_array_add (argv, (gpointer) out);
  /* The emulated machine is slower than vivid's 30 frames per second:
   * frames are shown when ready, not dropped as late. */
  g_ptr_array_add (argv, (gpointer) "--no-sync");
  for (; *args; args++)
    g_ptr_array_add (argv, (gpointer) * args);
  g_ptr_array_add (argv, NULL);

  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, envp, 0, NULL,
          NULL, &std_out, &std_err, &status, &err), "%s", err ?
      err->message : "");
  g_print ("%s\n%s\n", std_out, std_err);
  g_free (std_err);
  g_free (std_out);
  g_strfreev (envp);
  g_ptr_array_unref (argv);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
remove_tree (const gchar * dir)
{
  const gchar *argv[] = { "rm", "-rf", dir, NULL };
  gint status = -1;

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
      NULL, NULL, &status, NULL);
}

/* The 300-frame run, made once in the runner's own process before the
 * tests (forks of it) read its output. */
static void
main_run_setup (void)
{
  const gchar *args[] = { "--frames", G_STRINGIFY (FRAMES), "--size",
    G_STRINGIFY (WIDTH) "x" G_STRINGIFY (HEIGHT), "--interval",
    G_STRINGIFY (INTERVAL), "--snapshot-interval",
    G_STRINGIFY (SNAPSHOT_INTERVAL), NULL
  };

  out_dir = g_build_filename (ZC_TEST_BUILD_ROOT, "tests", "check",
      "vm-mainjob-out", NULL);
  /* Files of an earlier run must not count. */
  remove_tree (out_dir);
  job_status = run_tool (out_dir, args);
}

static void
main_run_teardown (void)
{
  if (plugin_dir)
    remove_tree (plugin_dir);
  g_clear_pointer (&plugin_dir, g_free);
  g_clear_pointer (&out_dir, g_free);
}

static const gchar *
main_run (void)
{
  fail_unless (out_dir != NULL);
  return out_dir;
}

/* Reading what it wrote */

static JsonNode *
read_json (const gchar * dir, const gchar * name)
{
  gchar *path = g_build_filename (dir, name, NULL);
  JsonParser *parser = json_parser_new ();
  GError *err = NULL;
  JsonNode *root;

  fail_unless (json_parser_load_from_file (parser, path, &err), "%s: %s",
      path, err ? err->message : "");
  root = json_node_copy (json_parser_get_root (parser));
  g_object_unref (parser);
  g_free (path);
  return root;
}

/* An RGB PNG's pixels; fails unless @path decodes. */
static guint8 *
read_png (const gchar * path, guint * width, guint * height)
{
  png_image image;
  guint8 *pixels;

  memset (&image, 0, sizeof (image));
  image.version = PNG_IMAGE_VERSION;
  fail_unless (png_image_begin_read_from_file (&image, path), "%s: %s", path,
      image.message);
  image.format = PNG_FORMAT_RGB;
  pixels = g_malloc (PNG_IMAGE_SIZE (image));
  fail_unless (png_image_finish_read (&image, NULL, pixels, 0, NULL),
      "%s: %s", path, image.message);
  *width = image.width;
  *height = image.height;
  return pixels;
}

typedef struct
{
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
} JpegError;

static void
jpeg_fail (j_common_ptr cinfo)
{
  longjmp (((JpegError *) cinfo->err)->jump, 1);
}

/* Decodes the whole JPEG @path; FALSE when libjpeg refuses it. */
static gboolean
decode_jpeg (const gchar * path, guint * width, guint * height)
{
  struct jpeg_decompress_struct cinfo;
  JpegError jerr;
  FILE *f = fopen (path, "rb");
  JSAMPROW row = NULL;
  gboolean ok = FALSE;

  fail_unless (f != NULL, "%s: %s", path, g_strerror (errno));
  cinfo.err = jpeg_std_error (&jerr.mgr);
  jerr.mgr.error_exit = jpeg_fail;
  jpeg_create_decompress (&cinfo);
  if (setjmp (jerr.jump))
    goto done;
  jpeg_stdio_src (&cinfo, f);
  jpeg_read_header (&cinfo, TRUE);
  jpeg_start_decompress (&cinfo);
  row = g_malloc ((gsize) cinfo.output_width * cinfo.output_components);
  while (cinfo.output_scanline < cinfo.output_height)
    jpeg_read_scanlines (&cinfo, &row, 1);
  jpeg_finish_decompress (&cinfo);
  *width = cinfo.output_width;
  *height = cinfo.output_height;
  ok = TRUE;

done:
  g_free (row);
  jpeg_destroy_decompress (&cinfo);
  fclose (f);
  return ok;
}

/* The files of @sub whose names start with @prefix, sorted. */
static GPtrArray *
list_files (const gchar * dir, const gchar * sub, const gchar * prefix)
{
  gchar *path = g_build_filename (dir, sub, NULL);
  GDir *d = g_dir_open (path, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  fail_unless (d != NULL, "no folder %s", path);
  while ((name = g_dir_read_name (d)))
    if (g_str_has_prefix (name, prefix))
      g_ptr_array_add (files, g_build_filename (path, name, NULL));
  g_dir_close (d);
  g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);
  g_free (path);
  return files;
}

static void
check_screenshot_bars (const gchar * dir, const gchar * where)
{
  gchar *path = g_build_filename (dir, "screenshot.png", NULL);
  guint width, height;
  guint8 *pixels = read_png (path, &width, &height);

  /* The display's mode, whatever it is: the picture fills it. */
  GST_INFO ("%s: %ux%u", where, width, height);
  zc_test_check_vivid_bars (pixels, width, height, (gsize) width * 3, where);
  g_print ("%s %ux%u shows vivid's eight colour bars\n", where, width, height);
  g_free (pixels);
  g_free (path);
}

/* Tests */

/* The run ended well and its summary counts every frame. */
GST_START_TEST (test_run)
{
  const gchar *dir = main_run ();
  JsonNode *root;
  JsonObject *summary;

  fail_unless_equals_int (job_status, 0);
  root = read_json (dir, "summary.json");
  summary = json_node_get_object (root);
  fail_unless_equals_int (json_object_get_int_member (summary,
          "frames_captured"), FRAMES);
  fail_unless_equals_int (json_object_get_int_member (summary,
          "frames_shown"), FRAMES);
  fail_unless (json_object_get_double_member (summary, "average_fps") > 0);
  fail_unless (json_object_get_null_member (summary, "error"));
  fail_unless_equals_string (json_object_get_string_member (summary,
          "screenshot_source"), "QEMU screendump");
  json_node_unref (root);
}

GST_END_TEST;

/* One main-path element of the audit: dma-bufs in and out, every frame,
 * and no byte copied: the project's elements report 0, the others
 * (capsfilter, tee, queue) passed on the very memories they received. */
static void
check_main_path_element (JsonObject * row, const gchar * name)
{
  JsonNode *bytes = json_object_get_member (row, "bytes_copied");
  const gchar *in = json_object_get_string_member_with_default (row, "in",
      NULL);
  const gchar *out = json_object_get_string_member_with_default (row, "out",
      NULL);
  gboolean ours = g_str_equal (name, "src") || g_str_equal (name, "accel")
      || g_str_equal (name, "display");

  g_print ("audit %s: in %s, out %s, bytes_copied %s\n", name,
      GST_STR_NULL (in), GST_STR_NULL (out), JSON_NODE_HOLDS_NULL (bytes) ?
      "null" : "0 or more");
  fail_unless (g_str_equal (name, "src") || !g_strcmp0 (in, "dma-buf"),
      "%s received %s", name, GST_STR_NULL (in));
  fail_unless (g_str_equal (name, "display") || !g_strcmp0 (out, "dma-buf"),
      "%s sent %s", name, GST_STR_NULL (out));
  fail_unless (json_object_get_int_member (row, "frames") >= FRAMES);
  if (ours) {
    fail_unless (!JSON_NODE_HOLDS_NULL (bytes), "%s reports no copies", name);
    fail_unless_equals_int (json_node_get_int (bytes), 0);
  } else {
    fail_unless (JSON_NODE_HOLDS_NULL (bytes) || json_node_get_int (bytes) ==
        0);
    fail_unless_equals_int (json_object_get_int_member (row, "out_new"), 0);
  }
}

/* zcaudit's report: 0 bytes copied on the main path, by element. */
GST_START_TEST (test_main_path_zero_copy)
{
  const gchar *dir = main_run ();
  JsonNode *root = read_json (dir, "audit.json");
  JsonNode *summary_root = read_json (dir, "summary.json");
  JsonArray *rows;
  guint i, j, found = 0;

  fail_unless (JSON_NODE_HOLDS_ARRAY (root));
  rows = json_node_get_array (root);
  for (i = 0; i < json_array_get_length (rows); i++) {
    JsonObject *row = json_array_get_object_element (rows, i);
    const gchar *name = json_object_get_string_member (row, "element");

    for (j = 0; j < G_N_ELEMENTS (main_path); j++) {
      if (g_str_equal (name, main_path[j])) {
        check_main_path_element (row, name);
        found++;
      }
    }
  }
  fail_unless_equals_int (found, G_N_ELEMENTS (main_path));
  fail_unless_equals_int (json_object_get_int_member
      (json_object_get_object_member (json_node_get_object (summary_root),
              "main_path"), "bytes_copied"), 0);
  json_node_unref (summary_root);
  json_node_unref (root);
}

GST_END_TEST;

/* QEMU's screendump, taken at the end of the run, shows vivid's bars. */
GST_START_TEST (test_screendump)
{
  check_screenshot_bars (main_run (), "QEMU screendump");
}

GST_END_TEST;

/* One thumbnail every INTERVAL frames, each a JPEG that decodes. */
GST_START_TEST (test_thumbnails)
{
  GPtrArray *files = list_files (main_run (), "thumbnails", "thumb-");
  guint i, width = 0, height = 0;

  fail_unless (files->len >= FRAMES / INTERVAL, "%u thumbnails", files->len);
  for (i = 0; i < files->len; i++) {
    const gchar *path = g_ptr_array_index (files, i);

    fail_unless (decode_jpeg (path, &width, &height), "%s does not decode",
        path);
    fail_unless (width > 0 && width < WIDTH && height > 0 && height < HEIGHT,
        "%s is %ux%u", path, width, height);
  }
  g_print ("%u thumbnails of %ux%u decode\n", files->len, width, height);
  g_ptr_array_unref (files);
}

GST_END_TEST;

/* The snapshots asked for (frames 0, 100, 200) decode as PNGs of whole
 * frames showing vivid's bars. The frames are the accelerator's output,
 * which the display may have asked to be of its own mode's size, so only
 * their size being the same for all is asserted. */
GST_START_TEST (test_snapshots)
{
  GPtrArray *files = list_files (main_run (), "snapshots", "snapshot-");
  guint i, width, height, first_width = 0, first_height = 0;

  fail_unless_equals_int (files->len, FRAMES / SNAPSHOT_INTERVAL);
  for (i = 0; i < files->len; i++) {
    const gchar *path = g_ptr_array_index (files, i);
    guint8 *pixels = read_png (path, &width, &height);

    if (i == 0) {
      first_width = width;
      first_height = height;
    }
    fail_unless_equals_int (width, first_width);
    fail_unless_equals_int (height, first_height);
    zc_test_check_vivid_bars (pixels, width, height, (gsize) width * 3, path);
    g_free (pixels);
  }
  g_print ("%u snapshots of %ux%u show vivid's bars\n", files->len,
      first_width, first_height);
  g_ptr_array_unref (files);
}

GST_END_TEST;

/* The summary carries the display's capture-to-scanout latency. */
GST_START_TEST (test_latency)
{
  JsonNode *root = read_json (main_run (), "summary.json");
  JsonObject *summary = json_node_get_object (root);
  JsonObject *latency;
  gdouble avg, p99;

  fail_unless (json_object_has_member (summary, "latency_us"));
  fail_if (json_object_get_null_member (summary, "latency_us"),
      "zckmssink's stats carry no latency-avg-us/latency-p99-us/"
      "latency-samples");
  latency = json_object_get_object_member (summary, "latency_us");
  avg = json_object_get_double_member (latency, "avg");
  p99 = json_object_get_double_member (latency, "p99");
  g_print ("capture->scanout latency: avg %.0f us, p99 %.0f us\n", avg, p99);
  fail_unless (avg > 0);
  fail_unless (p99 >= avg, "p99 %f < avg %f", p99, avg);
  fail_unless (json_object_get_int_member (latency, "samples") > 0);
  json_node_unref (root);
}

GST_END_TEST;

/* The host's way of reading the display, KMS (CRTC -> framebuffer ->
 * PRIME -> mapping in a SYNC READ bracket), on the test bed's display. */
GST_START_TEST (test_kms_screenshot)
{
  const gchar *args[] = { "--frames", G_STRINGIFY (KMS_FRAMES),
    "--screenshot", "kms", NULL
  };
  gchar *dir = g_build_filename (ZC_TEST_BUILD_ROOT, "tests", "check",
      "vm-mainjob-kms-out", NULL);
  JsonNode *root;

  remove_tree (dir);
  fail_unless_equals_int (run_tool (dir, args), 0);
  root = read_json (dir, "summary.json");
  fail_unless_equals_string (json_object_get_string_member
      (json_node_get_object (root), "screenshot_source"), "KMS framebuffer");
  check_screenshot_bars (dir, "KMS framebuffer");
  json_node_unref (root);
  g_free (dir);
}

GST_END_TEST;

static Suite *
mainjob_suite (void)
{
  Suite *s = suite_create ("mainjob");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_unchecked_fixture (tc, main_run_setup, main_run_teardown);
  tcase_add_test (tc, test_run);
  tcase_add_test (tc, test_main_path_zero_copy);
  tcase_add_test (tc, test_screendump);
  tcase_add_test (tc, test_thumbnails);
  tcase_add_test (tc, test_snapshots);
  tcase_add_test (tc, test_latency);
  tcase_add_test (tc, test_kms_screenshot);
  return s;
}

GST_CHECK_MAIN (mainjob);
