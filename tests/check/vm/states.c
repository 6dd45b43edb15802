/* Test bed test: 100 state cycles with data flowing, nothing left behind
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One pipeline holds every element that has a device here, with frames:
 *
 *   zcv4l2src (vivid) ! zcaccel ! tee ! queue ! zckmssink
 *                                  tee ! queue ! zcthumbnail ! fakesink
 *                                  tee ! queue ! zcsnapshot ! fakesink
 *   videotestsrc ! zcupload ! zcthumbnail ! fakesink
 *
 * Each cycle goes NULL → PLAYING, waits until every fakesink had
 * MIN_FRAMES frames and the display showed one, then goes back to NULL
 * (odd cycles through PAUSED and READY one step at a time). After a first
 * warm-up cycle (GStreamer's thread pools, the encoders' libraries) the
 * process's file descriptors (what each links to) and its mappings of
 * dma-bufs, memfds and devices (size, permissions, name) are noted; after
 * CYCLES more they must be the same.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zctestutils.h"

#define CYCLES 100
#define MIN_FRAMES 1
#define CYCLE_TIMEOUT (60 * G_USEC_PER_SEC)

typedef struct
{
  gint frames[3];               /* at each fakesink */
} Counts;

static void
on_handoff (GstElement * sink, GstBuffer * buffer, GstPad * pad, gint * count)
{
  g_atomic_int_inc (count);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* "target" of every fd, sorted, one a line. */
static gchar *
fd_targets (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  gchar *joined;

  g_assert (dir != NULL);
  while ((name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename ("/proc/self/fd", name, NULL);
    gchar *target = g_file_read_link (path, NULL);

    /* the directory being read is not the process's own */
    if (target && !g_str_has_prefix (target, "/proc/"))
      g_ptr_array_add (lines, target);
    else
      g_free (target);
    g_free (path);
  }
  g_dir_close (dir);
  g_ptr_array_sort (lines, compare_strings);
  g_ptr_array_add (lines, NULL);
  joined = g_strjoinv ("\n", (gchar **) lines->pdata);
  g_ptr_array_unref (lines);
  return joined;
}

/* The mappings of dma-bufs, memfds and devices as "size perms name",
 * sorted: a buffer's address changes from one cycle to the next, its
 * mapping must not stay. */
static gchar *
buffer_mappings (void)
{
  gchar *contents = NULL, **lines, *joined;
  GPtrArray *kept = g_ptr_array_new_with_free_func (g_free);
  guint i;

  fail_unless (g_file_get_contents ("/proc/self/maps", &contents, NULL,
          NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (i = 0; lines[i]; i++) {
    guint64 start, end;
    gchar perms[8], path[512] = "";

    if (sscanf (lines[i], "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER
            "x %7s %*s %*s %*s %511[^\n]", &start, &end, perms, path) < 3)
      continue;
    if (g_str_has_prefix (path, "/dmabuf") || g_str_has_prefix (path,
            "/memfd:") || g_str_has_prefix (path, "/dev/")
        || g_str_has_prefix (path, "anon_inode:"))
      g_ptr_array_add (kept, g_strdup_printf ("%" G_GUINT64_FORMAT " %s %s",
              end - start, perms, path));
  }
  g_strfreev (lines);
  g_free (contents);
  g_ptr_array_sort (kept, compare_strings);
  g_ptr_array_add (kept, NULL);
  joined = g_strjoinv ("\n", (gchar **) kept->pdata);
  g_ptr_array_unref (kept);
  return joined;
}

static guint64
frames_shown (GstElement * display)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (display, "stats", &s, NULL);
  fail_unless (s && gst_structure_get_uint64 (s, "frames-shown", &v));
  gst_structure_free (s);
  return v;
}

static void
set_state (GstElement * pipeline, GstState state)
{
  GstStateChangeReturn ret = gst_element_set_state (pipeline, state);

  fail_if (ret == GST_STATE_CHANGE_FAILURE, "could not go to %s",
      gst_element_state_get_name (state));
  if (ret == GST_STATE_CHANGE_ASYNC)
    fail_unless (gst_element_get_state (pipeline, NULL, NULL,
            30 * GST_SECOND) == GST_STATE_CHANGE_SUCCESS);
}

/* PLAYING until every branch saw frames, then NULL. */
static void
cycle (GstElement * pipeline, GstBus * bus, GstElement * display,
    Counts * counts, guint n)
{
  gint64 deadline = g_get_monotonic_time () + CYCLE_TIMEOUT;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (counts->frames); i++)
    g_atomic_int_set (&counts->frames[i], 0);
  if (n % 2) {
    set_state (pipeline, GST_STATE_READY);
    set_state (pipeline, GST_STATE_PAUSED);
  }
  set_state (pipeline, GST_STATE_PLAYING);

  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_MSECOND,
        GST_MESSAGE_ERROR);
    gboolean done = TRUE;

    if (msg) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      fail ("cycle %u: error from %s: %s", n,
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
    }
    for (i = 0; i < G_N_ELEMENTS (counts->frames); i++)
      done &= g_atomic_int_get (&counts->frames[i]) >= MIN_FRAMES;
    if (done && frames_shown (display) > 0)
      break;
    fail_unless (g_get_monotonic_time () < deadline,
        "cycle %u: frames %d %d %d, %" G_GUINT64_FORMAT " shown", n,
        counts->frames[0], counts->frames[1], counts->frames[2],
        frames_shown (display));
  }

  if (n % 2) {
    set_state (pipeline, GST_STATE_PAUSED);
    set_state (pipeline, GST_STATE_READY);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
}

GST_START_TEST (test_state_cycles_with_data)
{
  gchar *vivid = zc_test_find_vivid_capture ();
  gchar *dir = g_dir_make_tmp ("zc-vm-states-XXXXXX", NULL);
  gchar *fds_before, *maps_before, *fds_after, *maps_after, *desc;
  GstElement *pipeline, *display;
  GError *error = NULL;
  Counts counts = { {0}, };
  GstBus *bus;
  guint n;

  fail_unless (vivid != NULL, "no vivid capture node");
  desc = g_strdup_printf ("zcv4l2src device=%s ! "
      "video/x-raw(memory:DMABuf),format=BGRx,width=640,height=480 ! "
      "zcaccel ! tee name=t "
      "t. ! queue max-size-buffers=2 ! zckmssink name=display sync=false "
      "t. ! queue max-size-buffers=2 ! zcthumbnail ! "
      "  fakesink name=s0 signal-handoffs=true sync=false "
      "t. ! queue max-size-buffers=2 ! zcsnapshot location=%s/snap-%%05d.png "
      "  interval=1000 ! fakesink name=s1 signal-handoffs=true sync=false "
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
      "  zcupload ! zcthumbnail ! "
      "  fakesink name=s2 signal-handoffs=true sync=false", vivid, dir);
  pipeline = gst_parse_launch (desc, &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  for (n = 0; n < G_N_ELEMENTS (counts.frames); n++) {
    gchar *name = g_strdup_printf ("s%u", n);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);

    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff),
        &counts.frames[n]);
    gst_object_unref (sink);
    g_free (name);
  }
  display = gst_bin_get_by_name (GST_BIN (pipeline), "display");
  bus = gst_element_get_bus (pipeline);

  cycle (pipeline, bus, display, &counts, 0);
  fds_before = fd_targets ();
  maps_before = buffer_mappings ();
  for (n = 1; n <= CYCLES; n++)
    cycle (pipeline, bus, display, &counts, n);
  fds_after = fd_targets ();
  maps_after = buffer_mappings ();

  g_print ("%u state cycles with data: fds\n%s\nbuffer mappings\n%s\n",
      CYCLES, fds_after, maps_after);
  fail_unless_equals_string (fds_after, fds_before);
  fail_unless_equals_string (maps_after, maps_before);

  gst_object_unref (bus);
  gst_object_unref (display);
  gst_object_unref (pipeline);
  g_free (fds_before);
  g_free (fds_after);
  g_free (maps_before);
  g_free (maps_after);
  g_free (desc);
  g_free (vivid);
  {
    GDir *d = g_dir_open (dir, 0, NULL);
    const gchar *f;

    while (d && (f = g_dir_read_name (d))) {
      gchar *path = g_build_filename (dir, f, NULL);

      g_unlink (path);
      g_free (path);
    }
    if (d)
      g_dir_close (d);
  }
  g_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

static Suite *
vmstates_suite (void)
{
  Suite *s = suite_create ("vm-states");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_state_cycles_with_data);
  return s;
}

int
main (int argc, char **argv)
{
  /* videotestsrc, tee, queue and fakesink come from the system's plugins */
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", ZC_TEST_SYSTEM_PLUGINS_DIR, TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (vmstates_suite (), "vm-states", __FILE__);
}
