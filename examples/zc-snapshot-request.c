/* zc-snapshot-request: asks zcsnapshot for the next frame and prints the file it wrote
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An application that takes a picture on demand from a running video
 * pipeline:
 *
 *   SOURCE ! zcsnapshot interval=0 location=PATTERN ! fakesink
 *
 * With interval=0 zcsnapshot writes only frames it is asked for. The
 * application asks for "the next frame" --count times, one request at a
 * time, in one of the element's two ways:
 *
 *   - signal: g_signal_emit_by_name (snapshot, "snapshot"), the action
 *     signal, given the element;
 *   - event: a custom upstream event named "zc-snapshot" sent to the
 *     pipeline, which needs no handle on the element (the sinks pass it
 *     upstream to zcsnapshot, which consumes it).
 *
 * zcsnapshot encodes and writes the file on a thread of its own, then
 * posts an element message named "zcsnapshot" with the fields location
 * (the file, complete: it was renamed into place), frame, timestamp,
 * width and height. The application waits for that message on the bus and
 * prints one line per file on stdout: LOCATION, a tab, the frame number.
 *
 * SOURCE is a gst-launch-1.0 description with one source pad (default
 * "videotestsrc is-live=true ! video/x-raw,width=320,height=240"); a
 * camera: --source "zcv4l2src device=/dev/video0".
 *
 * Build against an installed library and GStreamer:
 *   cc zc-snapshot-request.c -o zc-snapshot-request \
 *     $(pkg-config --cflags --libs gstreamer-1.0)
 *
 * Usage: zc-snapshot-request [--count N] [--via signal|event]
 *                            [--location PATTERN] [--source DESCRIPTION]
 *                            [--timeout SECONDS]
 * Exit status 0 when every requested file was written, 1 on an error or
 * when a file did not come within --timeout seconds (printed), 2 for bad
 * options.
 */

#include <gst/gst.h>

#include <string.h>

#define DEFAULT_SOURCE \
  "videotestsrc is-live=true ! video/x-raw,width=320,height=240"

typedef struct
{
  gint count;
  gint timeout;
  gchar *via;
  gchar *location;
  gchar *source;
} Options;

static gboolean
parse_options (gint * argc, gchar *** argv, Options * opts)
{
  GOptionEntry entries[] = {
    {"count", 'n', 0, G_OPTION_ARG_INT, &opts->count,
        "Snapshots to ask for, one after the other (default 3)", "N"},
    {"via", 0, 0, G_OPTION_ARG_STRING, &opts->via,
        "How to ask: signal (the action signal) or event (a zc-snapshot "
          "event to the pipeline); default signal", "HOW"},
    {"location", 'l', 0, G_OPTION_ARG_STRING, &opts->location,
        "File name pattern (default snapshot-%05d.png; .jpg for JPEG)",
        "PATTERN"},
    {"source", 's', 0, G_OPTION_ARG_STRING, &opts->source,
        "Source bin description (default: live videotestsrc)", "DESC"},
    {"timeout", 't', 0, G_OPTION_ARG_INT, &opts->timeout,
        "Seconds to wait for each file (default 10)", "S"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- ask zcsnapshot for frames");
  GError *err = NULL;
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  ok = g_option_context_parse (ctx, argc, argv, &err);
  g_option_context_free (ctx);
  if (!ok) {
    g_printerr ("zc-snapshot-request: %s\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  if (opts->count < 1 || opts->timeout < 1 || (opts->via
          && strcmp (opts->via, "signal") && strcmp (opts->via, "event"))) {
    g_printerr ("zc-snapshot-request: --count and --timeout must be at "
        "least 1, --via signal or event\n");
    return FALSE;
  }
  return TRUE;
}

/* SOURCE ! zcsnapshot name=snap interval=0 ! fakesink */
static GstElement *
make_pipeline (const Options * opts)
{
  GError *err = NULL;
  GstElement *pipeline, *snap;
  gchar *desc = g_strdup_printf ("%s ! zcsnapshot name=snap interval=0 ! "
      "fakesink", opts->source);

  pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (!pipeline) {
    g_printerr ("zc-snapshot-request: %s (is zcsnapshot installed?)\n",
        err->message);
    g_clear_error (&err);
    return NULL;
  }
  snap = gst_bin_get_by_name (GST_BIN (pipeline), "snap");
  g_object_set (snap, "location", opts->location, NULL);
  gst_object_unref (snap);
  return pipeline;
}

/* Asks for the next frame, the way --via says. */
static gboolean
request_snapshot (GstElement * pipeline, const Options * opts)
{
  GstElement *snap;

  if (opts->via && !strcmp (opts->via, "event"))
    return gst_element_send_event (pipeline,
        gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
            gst_structure_new_empty ("zc-snapshot")));

  snap = gst_bin_get_by_name (GST_BIN (pipeline), "snap");
  g_signal_emit_by_name (snap, "snapshot");
  gst_object_unref (snap);
  return TRUE;
}

static void
print_error (GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (msg, &err, &debug);
  g_printerr ("zc-snapshot-request: error from %s: %s\n%s\n",
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
      GST_STR_NULL (debug));
  g_clear_error (&err);
  g_free (debug);
}

/* Waits up to @timeout for zcsnapshot's next "file written" message and
 * prints its location; FALSE on an error, EOS or the timeout. */
static gboolean
wait_for_file (GstBus * bus, GstClockTime timeout)
{
  GstMessageType types = GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR |
      GST_MESSAGE_EOS;
  GstMessage *msg;
  const GstStructure *s;
  guint64 frame = 0;
  gboolean found = FALSE;

  while (!found) {
    msg = gst_bus_timed_pop_filtered (bus, timeout, types);
    if (!msg) {
      g_printerr ("zc-snapshot-request: no file written within %"
          GST_TIME_FORMAT "\n", GST_TIME_ARGS (timeout));
      return FALSE;
    }
    if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
      goto stopped;
    if (gst_message_has_name (msg, "zcsnapshot")) {
      s = gst_message_get_structure (msg);
      gst_structure_get_uint64 (s, "frame", &frame);
      g_print ("%s\t%" G_GUINT64_FORMAT "\n",
          gst_structure_get_string (s, "location"), frame);
      found = TRUE;
    }
    gst_message_unref (msg);
  }
  return TRUE;

  /* ERRORS */
stopped:
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    print_error (msg);
  else
    g_printerr ("zc-snapshot-request: the stream ended\n");
  gst_message_unref (msg);
  return FALSE;
}

/* Brings @pipeline to PLAYING and waits until it is there. */
static gboolean
start (GstElement * pipeline, GstBus * bus)
{
  GstMessage *msg;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE
      && gst_element_get_state (pipeline, NULL, NULL, 10 * GST_SECOND) ==
      GST_STATE_CHANGE_SUCCESS)
    return TRUE;

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg) {
    print_error (msg);
    gst_message_unref (msg);
  } else {
    g_printerr ("zc-snapshot-request: the pipeline did not start\n");
  }
  return FALSE;
}

static gboolean
run (const Options * opts)
{
  GstElement *pipeline = make_pipeline (opts);
  GstBus *bus;
  gboolean ok;
  gint n;

  if (!pipeline)
    return FALSE;
  bus = gst_element_get_bus (pipeline);
  ok = start (pipeline, bus);
  /* One request at a time: requests made before a frame arrives are one
   * request to zcsnapshot, so the next is asked for once the file came. */
  for (n = 0; ok && n < opts->count; n++)
    ok = request_snapshot (pipeline, opts)
        && wait_for_file (bus, opts->timeout * GST_SECOND);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return ok;
}

int
main (int argc, char *argv[])
{
  Options opts = { 3, 10, NULL, NULL, NULL };
  gboolean ok;

  if (!parse_options (&argc, &argv, &opts))
    return 2;
  if (!opts.location)
    opts.location = g_strdup ("snapshot-%05d.png");
  if (!opts.source)
    opts.source = g_strdup (DEFAULT_SOURCE);

  ok = run (&opts);

  g_free (opts.via);
  g_free (opts.location);
  g_free (opts.source);
  gst_deinit ();
  return ok ? 0 : 1;
}
