/* Test bed test: zero copy across a tee, by the display's scanout context
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * vivid -> zcaccel -> tee with a display branch (zckmssink on virtio-gpu,
 * which imports no foreign dma-buf) and a second branch. tee forwards no
 * pool with two branches; the accelerator must still allocate on the
 * display's card (the scanout context), so the display shows every frame
 * without a copy and the other branch gets the same dma-bufs.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"
#include <gst/allocators/allocators.h>
#include <gst/zerocopy/zerocopy.h>

#include <sys/stat.h>

#define N_FRAMES 30
#define WAIT_TIMEOUT (120 * G_USEC_PER_SEC)

typedef struct
{
  gint frames;
  gint dmabufs;                 /* frames in one dma-buf */
  GHashTable *inodes;           /* of the dma-bufs seen */
  GMutex lock;
} Seen;

static void
on_handoff (GstElement * sink, GstBuffer * buffer, GstPad * pad, Seen * seen)
{
  GstMemory *mem = gst_buffer_peek_memory (buffer, 0);
  struct stat st;

  g_mutex_lock (&seen->lock);
  seen->frames++;
  if (gst_buffer_n_memory (buffer) == 1 && gst_is_dmabuf_memory (mem)
      && fstat (gst_dmabuf_memory_get_fd (mem), &st) == 0) {
    seen->dmabufs++;
    g_hash_table_add (seen->inodes, GUINT_TO_POINTER (st.st_ino));
  }
  g_mutex_unlock (&seen->lock);
}

static guint64
get_stat (GstElement * sink, const gchar * name)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (sink, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, name, &v), "no %s in stats", name);
  gst_structure_free (s);
  return v;
}

GST_START_TEST (test_tee_zero_copy)
{
  gchar *vivid = zc_test_find_vivid_capture ();
  guint fds_before = zc_test_count_fds ();
  GstElement *pipeline, *sink, *other;
  GstBus *bus;
  GError *error = NULL;
  gchar *desc;
  gint64 deadline;
  Seen seen = { 0, };
  guint64 shown, copies;

  fail_unless (vivid != NULL, "no vivid capture node");
  desc = g_strdup_printf ("zcv4l2src device=%s num-buffers=%d ! "
      "video/x-raw(memory:DMABuf),format=BGRx,width=640,height=480 ! "
      "zcaccel ! tee name=t ! queue max-size-buffers=2 ! zckmssink name=sink sync=false "
      "t. ! queue max-size-buffers=2 ! fakesink name=other "
      "signal-handoffs=true", vivid, N_FRAMES);
  pipeline = gst_parse_launch (desc, &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  other = gst_bin_get_by_name (GST_BIN (pipeline), "other");
  seen.inodes = g_hash_table_new (NULL, NULL);
  g_mutex_init (&seen.lock);
  g_signal_connect (other, "handoff", G_CALLBACK (on_handoff), &seen);
  bus = gst_element_get_bus (pipeline);

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  deadline = g_get_monotonic_time () + WAIT_TIMEOUT;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

    if (msg) {
      GError *err = NULL;

      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        gst_message_parse_error (msg, &err, NULL);
        fail ("error from %s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
            err->message);
      }
      gst_message_unref (msg);
      break;
    }
    fail_unless (g_get_monotonic_time () < deadline, "no EOS");
  }

  shown = get_stat (sink, "frames-shown");
  copies = get_stat (sink, "copies");
  g_print ("vivid -> zcaccel -> tee -> virtio-gpu: %" G_GUINT64_FORMAT
      " frames shown, %" G_GUINT64_FORMAT " copies, %" G_GUINT64_FORMAT
      " imports; other branch: %d frames, %d dma-bufs, %u distinct\n", shown,
      copies, get_stat (sink, "imports"), seen.frames, seen.dmabufs,
      g_hash_table_size (seen.inodes));
  fail_unless_equals_uint64 (shown, N_FRAMES);
  fail_unless_equals_uint64 (copies, 0);
  /* The display imports each buffer of the accelerator's pool once. */
  fail_unless (get_stat (sink, "imports") <= 16);
  fail_unless_equals_int (seen.frames, N_FRAMES);
  fail_unless_equals_int (seen.dmabufs, N_FRAMES);
  fail_unless (g_hash_table_size (seen.inodes) <= 16);

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (other);
  gst_object_unref (pipeline);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
  g_hash_table_unref (seen.inodes);
  g_mutex_clear (&seen.lock);
  g_free (desc);
  g_free (vivid);
}

GST_END_TEST;

static Suite *
scanouttee_suite (void)
{
  Suite *s = suite_create ("scanouttee");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_tee_zero_copy);
  return s;
}

/* tee, queue and fakesink come from the system's plugins. */
int
main (int argc, char **argv)
{
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", ZC_TEST_SYSTEM_PLUGINS_DIR, TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (scanouttee_suite (), "scanouttee", __FILE__);
}
