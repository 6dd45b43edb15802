/* Unit tests for the scanout context: a display's allocator across a tee
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The host has no display: a fakesink stands in for one, answering the
 * scanout CONTEXT query from a pad probe with an allocator of its own (on
 * the memfd backend). zcupload upstream of a two-branch tee decides its
 * pool with gst_zc_decide_allocation(); the buffers reaching both branches
 * must come from that very allocator. Without the answer they must not.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#define CAPS "video/x-raw,format=BGRx,width=64,height=48,framerate=30/1"
#define N_FRAMES 5

static GstAllocator *display_allocator;

static GstAllocator *
new_memfd_allocator (void)
{
  GError *error = NULL;
  GstAllocator *allocator = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_MEMFD,
      NULL, &error);

  fail_unless (allocator != NULL, "memfd allocator: %s",
      error ? error->message : "?");
  return allocator;
}

GST_START_TEST (test_context_round_trip)
{
  GstAllocator *allocator = new_memfd_allocator (), *got;
  GstContext *context;
  GstQuery *query;
  const GstStructure *s;

  context = gst_zc_context_new_scanout (allocator, "/dev/dri/card7");
  fail_unless (gst_context_has_context_type (context,
          GST_ZC_CONTEXT_TYPE_SCANOUT));
  fail_if (gst_context_is_persistent (context));
  s = gst_context_get_structure (context);
  fail_unless_equals_string (gst_structure_get_string (s, "device"),
      "/dev/dri/card7");
  got = gst_zc_context_get_scanout_allocator (context);
  fail_unless (got == allocator);
  gst_object_unref (got);
  gst_context_unref (context);

  /* Another type of context carries no scanout allocator. */
  context = gst_context_new ("gst.gl.GLDisplay", TRUE);
  fail_unless (gst_zc_context_get_scanout_allocator (context) == NULL);
  gst_context_unref (context);

  /* Queries: answered only for the scanout type and with an allocator. */
  query = gst_query_new_context ("gst.gl.GLDisplay");
  fail_if (gst_zc_context_answer_scanout_query (query, allocator, NULL));
  gst_query_unref (query);
  query = gst_query_new_context (GST_ZC_CONTEXT_TYPE_SCANOUT);
  fail_if (gst_zc_context_answer_scanout_query (query, NULL, NULL));
  fail_unless (gst_zc_context_answer_scanout_query (query, allocator, NULL));
  gst_query_parse_context (query, &context);
  got = gst_zc_context_get_scanout_allocator (context);
  fail_unless (got == allocator);
  gst_object_unref (got);
  gst_query_unref (query);

  gst_object_unref (allocator);
}

GST_END_TEST;

static GstPadProbeReturn
answer_context (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (gst_zc_context_answer_scanout_query (query, display_allocator,
          "/dev/dri/card7"))
    return GST_PAD_PROBE_HANDLED;
  return GST_PAD_PROBE_OK;
}

typedef struct
{
  gint frames;
  gint from_display;            /* frames whose memory came from it */
} Seen;

static void
on_handoff (GstElement * sink, GstBuffer * buffer, GstPad * pad, Seen * seen)
{
  GstBufferPool *pool = buffer->pool;
  GstAllocator *allocator = NULL;

  /* memfd memory names an internal fd allocator: ask the pool instead. */
  g_atomic_int_inc (&seen->frames);
  if (pool && GST_IS_ZC_BUFFER_POOL (pool))
    allocator = gst_zc_buffer_pool_get_allocator (GST_ZC_BUFFER_POOL (pool));
  if (allocator == display_allocator)
    g_atomic_int_inc (&seen->from_display);
  gst_clear_object (&allocator);
}

static GstBusSyncReply
set_context_on_need (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  const gchar *type = NULL;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_NEED_CONTEXT
      && gst_message_parse_context_type (msg, &type)
      && g_strcmp0 (type, GST_ZC_CONTEXT_TYPE_SCANOUT) == 0) {
    GstContext *context = gst_zc_context_new_scanout (display_allocator,
        NULL);

    gst_element_set_context (GST_ELEMENT (GST_MESSAGE_SRC (msg)), context);
    gst_context_unref (context);
  }
  return GST_BUS_PASS;
}

typedef enum
{
  ANSWER_NONE,
  ANSWER_QUERY,                 /* the display answers the CONTEXT query */
  ANSWER_NEED_CONTEXT,          /* the application answers need-context */
} Answer;

/* appsrc ! zcupload ! tee ! (queue ! display) (queue ! fakesink); returns
 * what both sinks saw. */
static void
run_tee_pipeline (Answer answer, Seen * display_seen, Seen * other_seen)
{
  GstElement *pipeline, *src, *display, *other;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  GstCaps *caps = gst_caps_from_string (CAPS);
  GstFlowReturn eos_ret = GST_FLOW_ERROR;
  gint i;

  pipeline = gst_parse_launch ("appsrc name=src format=time ! zcupload ! "
      "tee name=t ! queue ! fakesink name=display signal-handoffs=true "
      "t. ! queue ! fakesink name=other signal-handoffs=true", NULL);
  fail_unless (pipeline != NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  display = gst_bin_get_by_name (GST_BIN (pipeline), "display");
  other = gst_bin_get_by_name (GST_BIN (pipeline), "other");
  g_object_set (src, "caps", caps, NULL);
  g_signal_connect (display, "handoff", G_CALLBACK (on_handoff),
      display_seen);
  g_signal_connect (other, "handoff", G_CALLBACK (on_handoff), other_seen);
  if (answer == ANSWER_QUERY) {
    pad = gst_element_get_static_pad (display, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
        answer_context, NULL, NULL);
    gst_object_unref (pad);
  }
  bus = gst_element_get_bus (pipeline);
  if (answer == ANSWER_NEED_CONTEXT)
    gst_bus_set_sync_handler (bus, set_context_on_need, NULL, NULL);

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < N_FRAMES; i++) {
    GstVideoInfo info;
    GstBuffer *buf;
    GstFlowReturn ret = GST_FLOW_ERROR;

    gst_video_info_from_caps (&info, caps);
    buf = gst_buffer_new_allocate (NULL, info.size, NULL);
    gst_buffer_memset (buf, 0, i, info.size);
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    g_signal_emit_by_name (src, "push-buffer", buf, &ret);
    gst_buffer_unref (buf);
    fail_unless_equals_int (ret, GST_FLOW_OK);
  }
  g_signal_emit_by_name (src, "end-of-stream", &eos_ret);
  fail_unless_equals_int (eos_ret, GST_FLOW_OK);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (display);
  gst_object_unref (other);
  gst_object_unref (pipeline);
  gst_caps_unref (caps);
}

static void
check_tee (Answer answer)
{
  Seen display_seen = { 0, }, other_seen = { 0, };

  display_allocator = new_memfd_allocator ();
  run_tee_pipeline (answer, &display_seen, &other_seen);
  fail_unless_equals_int (display_seen.frames, N_FRAMES);
  fail_unless_equals_int (other_seen.frames, N_FRAMES);
  if (answer == ANSWER_NONE) {
    fail_unless_equals_int (display_seen.from_display, 0);
  } else {
    /* Both branches get the display's buffers: one allocation, no copy. */
    fail_unless_equals_int (display_seen.from_display, N_FRAMES);
    fail_unless_equals_int (other_seen.from_display, N_FRAMES);
  }
  gst_clear_object (&display_allocator);
}

GST_START_TEST (test_tee_without_display)
{
  check_tee (ANSWER_NONE);
}

GST_END_TEST;

GST_START_TEST (test_tee_context_query)
{
  check_tee (ANSWER_QUERY);
}

GST_END_TEST;

GST_START_TEST (test_tee_need_context)
{
  check_tee (ANSWER_NEED_CONTEXT);
}

GST_END_TEST;

static Suite *
zccontext_suite (void)
{
  Suite *s = suite_create ("zccontext");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_context_round_trip);
  tcase_add_test (tc, test_tee_without_display);
  tcase_add_test (tc, test_tee_context_query);
  tcase_add_test (tc, test_tee_need_context);
  return s;
}

/* tee, queue, appsrc and fakesink come from the system's plugins: the
 * path is set before gst_init() scans. */
int
main (int argc, char **argv)
{
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", ZC_TEST_SYSTEM_PLUGINS_DIR, TRUE);
  g_setenv ("GST_ZC_BACKEND", "memfd", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (zccontext_suite (), "zccontext", __FILE__);
}
