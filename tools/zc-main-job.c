/* zc-main-job: camera -> accelerator -> display, with thumbnails, snapshots and a report
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs the project's main job:
 *
 *   zcv4l2src ! caps ! zcaccel ! caps ! tee name=t
 *     t. ! queue ! zckmssink
 *     t. ! queue leaky=downstream ! zcthumbnail ! jpegenc ! multifilesink
 *     t. ! queue leaky=downstream ! zcsnapshot ! fakesink
 *
 * prints a progress line every second (frames captured and shown, frame
 * rate, time), stops after --frames or --duration (or on Ctrl-C), takes a
 * PNG of the display while the last frame is still on it (the sink
 * restores the CRTC when it stops), and writes into one output folder:
 *
 *   thumbnails/thumb-NNNNN.jpg  snapshots/snapshot-NNNNN.png
 *   screenshot.png  audit.json  audit.txt  summary.json  summary.txt
 *
 * and, with --stats-interval, stats.jsonl: the process's fds, mappings and
 * memory and the display's latency, sampled periodically (soak runs,
 * scripts/soak.sh; the fields are in zcmainjob-sample.c).
 *
 * audit.json is the zcaudit tracer's report (docs/zcaudit.md); the
 * summary gives frames captured and shown, average frame rate, the
 * display's capture-to-scanout latency when zckmssink reports it, and the
 * bytes the CPU copied on the main path (capture to display).
 *
 * Exit status: 0 when the pipeline ran to its end and the reports were
 * written, 1 on a pipeline or file error (printed, and in summary.json),
 * 2 for bad options.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "zcmainjob.h"

#include <gst/video/video.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* After the end was asked for, the pipeline gets this long to drain. */
#define EOS_TIMEOUT_S 60
/* The CPU branches' queues hold at most this many frames, then drop the
 * oldest: they must never hold on to the display's buffers. */
#define CPU_QUEUE_BUFFERS 4

typedef struct
{
  gint frames;
  gdouble duration;
  gchar *size;
  gchar *format;
  gchar *device;
  gchar *display;
  gint interval;
  gint snapshot_interval;
  gint stats_interval;
  gchar *out;
  gchar *screenshot;
  gboolean sync;
  ZcMjScreenshotMode screenshot_mode;
  gint width, height;
} Options;

typedef struct
{
  Options *opts;
  ZcMjResult *result;
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *display;
  gint64 start;                 /* monotonic µs at PLAYING */
  gint64 first_frame;           /* monotonic µs of the first capture */
  gint64 end;
  gint64 stop_asked;            /* 0: not yet */
  guint64 last_captured;
  gint captured;                /* atomic */
  gboolean eos;
  FILE *samples;                /* stats.jsonl, NULL: not asked for */
} Job;

/* Options */

/* Defaults for the strings GOption left unset, then checks. */
static gboolean
check_options (Options * o, GError ** error)
{
  if (!o->size)
    o->size = g_strdup ("640x480");
  if (!o->format)
    o->format = g_strdup ("YUY2");
  if (!o->screenshot)
    o->screenshot = g_strdup ("auto");
  if (!o->size || sscanf (o->size, "%dx%d", &o->width, &o->height) != 2
      || o->width <= 0 || o->height <= 0)
    goto bad_size;
  if (gst_video_format_from_string (o->format) == GST_VIDEO_FORMAT_UNKNOWN)
    goto bad_format;
  if (o->frames < 0 || o->interval < 1 || o->snapshot_interval < 1
      || o->duration < 0 || o->stats_interval < 0)
    goto bad_number;
  if (g_str_equal (o->screenshot, "auto"))
    o->screenshot_mode = ZC_MJ_SCREENSHOT_AUTO;
  else if (g_str_equal (o->screenshot, "qemu"))
    o->screenshot_mode = ZC_MJ_SCREENSHOT_QEMU;
  else if (g_str_equal (o->screenshot, "kms"))
    o->screenshot_mode = ZC_MJ_SCREENSHOT_KMS;
  else if (g_str_equal (o->screenshot, "none"))
    o->screenshot_mode = ZC_MJ_SCREENSHOT_NONE;
  else
    goto bad_screenshot;
  return TRUE;

  /* ERRORS */
bad_size:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "--size takes WIDTHxHEIGHT in pixels, e.g. 640x480, not '%s'",
      GST_STR_NULL (o->size));
  return FALSE;
bad_format:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "--format takes a GStreamer video format name (YUY2, NV12, BGRx...), "
      "not '%s'", o->format);
  return FALSE;
bad_number:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "--interval and --snapshot-interval take 1 or more, --frames, "
      "--duration and --stats-interval 0 or more");
  return FALSE;
bad_screenshot:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "--screenshot takes auto, qemu, kms or none, not '%s'", o->screenshot);
  return FALSE;
}

static const gchar description[] =
    "Runs  zcv4l2src ! caps ! zcaccel ! caps ! tee, and from the tee:\n"
    "  queue ! zckmssink                  (the display: the main path)\n"
    "  queue ! zcthumbnail ! jpegenc ! multifilesink   (thumbnails/*.jpg)\n"
    "  queue ! zcsnapshot ! fakesink                   (snapshots/*.png)\n"
    "and writes into the output folder: thumbnails/, snapshots/,\n"
    "screenshot.png (the display at the end: QEMU's screendump in the test\n"
    "bed, else the CRTC's framebuffer read through KMS, which needs root),\n"
    "audit.json and audit.txt (the zcaudit tracer's report), summary.json\n"
    "and summary.txt (frames captured and shown, average fps,\n"
    "capture-to-scanout latency when the display reports it, bytes copied on\n"
    "the main path).\n"
    "\n"
    "It stops after --frames, after --duration, or on Ctrl-C, whichever\n"
    "comes first. Exit status: 0 when it ran to the end and wrote its\n"
    "reports, 1 on an error, 2 for bad options.";

static gboolean
parse_options (gint * argc, gchar *** argv, Options * o)
{
  GOptionEntry entries[] = {
    {"frames", 'n', 0, G_OPTION_ARG_INT, &o->frames,
        "Frames to capture, 0 for no limit (default 300)", "N"},
    {"duration", 't', 0, G_OPTION_ARG_DOUBLE, &o->duration,
        "Stop after this many seconds, 0 for no limit (default 0)", "SECONDS"},
    {"size", 's', 0, G_OPTION_ARG_STRING, &o->size,
        "Capture size in pixels (default 640x480)", "WxH"},
    {"format", 'f', 0, G_OPTION_ARG_STRING, &o->format,
        "Capture format, a GStreamer video format (default YUY2)", "FMT"},
    {"device", 'd', 0, G_OPTION_ARG_FILENAME, &o->device,
        "V4L2 capture node (default: zcv4l2src's, /dev/video0)", "PATH"},
    {"display", 'D', 0, G_OPTION_ARG_FILENAME, &o->display,
          "DRM card to show on (default: the first with a connected display)",
        "PATH"},
    {"interval", 'i', 0, G_OPTION_ARG_INT, &o->interval,
        "Make a JPEG thumbnail of one frame in N (default 30)", "N"},
    {"snapshot-interval", 'S', 0, G_OPTION_ARG_INT, &o->snapshot_interval,
        "Write a PNG snapshot of one frame in N (default 100)", "N"},
    {"stats-interval", 0, 0, G_OPTION_ARG_INT, &o->stats_interval,
          "Append the process's fds, mappings, memory and the display's "
          "latency to stats.jsonl every this many seconds, 0 for never "
          "(default 0)", "SECONDS"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &o->out,
        "Output folder, made if missing (default main-job-out)", "DIR"},
    {"no-sync", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &o->sync,
        "Show each frame as soon as it is ready instead of at its "
          "capture time plus the pipeline's latency (for machines too slow "
          "for the camera's rate, such as the emulated test bed)", NULL},
    {"screenshot", 0, 0, G_OPTION_ARG_STRING, &o->screenshot,
        "How to read the display: auto (qemu in the test bed, else kms), "
          "qemu, kms or none (default auto)", "HOW"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- the gst-zerocopy main job: "
      "camera to display, thumbnails, snapshots, audit");
  GError *err = NULL;
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, description);
  ok = g_option_context_parse (ctx, argc, argv, &err)
      && check_options (o, &err);
  g_option_context_free (ctx);
  if (!ok) {
    g_printerr ("zc-main-job: %s\n", err->message);
    g_clear_error (&err);
  }
  return ok;
}

/* The pipeline */

static gchar *
pipeline_description (const Options * o, const gchar * out)
{
  gchar *device = o->device ? g_strdup_printf (" device=\"%s\"", o->device) :
      g_strdup ("");
  gchar *display = o->display ?
      g_strdup_printf (" device=\"%s\"", o->display) : g_strdup ("");
  gchar *cpu_queue = g_strdup_printf ("queue leaky=downstream "
      "max-size-buffers=%u max-size-bytes=0 max-size-time=0",
      CPU_QUEUE_BUFFERS);
  gchar *desc;

  desc = g_strdup_printf ("zcv4l2src name=" ZC_MJ_SRC "%s num-buffers=%d"
      " ! capsfilter name=" ZC_MJ_CAPS " caps=\"video/x-raw(memory:DMABuf),"
      "format=%s,width=%d,height=%d\" ! zcaccel name=" ZC_MJ_ACCEL
      /* Frames keep the camera's size (the accelerator converts the
       * format for the display): scaling to the display's mode would
       * stretch them; the display modesets or centres them instead. */
      " ! capsfilter name=" ZC_MJ_ACCEL_CAPS " caps=\"video/x-raw(memory:DMABuf),"
      "width=%d,height=%d\""
      " ! tee name=" ZC_MJ_TEE
      " " ZC_MJ_TEE ". ! queue name=" ZC_MJ_DISPLAY_QUEUE
      " ! zckmssink name=" ZC_MJ_DISPLAY " sync=%s%s"
      " " ZC_MJ_TEE ". ! %s name=thumbnail-queue"
      " ! zcthumbnail name=thumbnail interval=%d ! jpegenc name=jpegenc"
      " ! multifilesink name=thumbnail-files"
      " location=\"%s/thumbnails/thumb-%%05d.jpg\""
      " " ZC_MJ_TEE ". ! %s name=snapshot-queue"
      " ! zcsnapshot name=snapshot interval=%d"
      " location=\"%s/snapshots/snapshot-%%05d.png\""
      " ! fakesink name=snapshot-sink",
      device, o->frames > 0 ? o->frames : -1, o->format, o->width,
      o->height, o->width, o->height, o->sync ? "true" : "false", display, cpu_queue, o->interval,
      out, cpu_queue, o->snapshot_interval, out);
  g_free (cpu_queue);
  g_free (display);
  g_free (device);
  return desc;
}

static GstPadProbeReturn
count_capture (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Job *job = user_data;
  gint n = 1;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    n = gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  if (g_atomic_int_add (&job->captured, n) == 0)
    job->first_frame = g_get_monotonic_time ();
  return GST_PAD_PROBE_OK;
}

static void
watch_capture (Job * job)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (job->pipeline), ZC_MJ_SRC);
  GstPad *pad = gst_element_get_static_pad (src, "src");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, count_capture, job, NULL);
  gst_object_unref (pad);
  gst_object_unref (src);
}

static guint64
frames_shown (Job * job)
{
  GstStructure *stats = NULL;
  guint64 shown = 0;

  g_object_get (job->display, "stats", &stats, NULL);
  if (stats)
    gst_structure_get_uint64 (stats, "frames-shown", &shown);
  if (stats)
    gst_structure_free (stats);
  return shown;
}

static gdouble
seconds_since (gint64 from, gint64 to)
{
  return from > 0 && to > from ? (to - from) / (gdouble) G_USEC_PER_SEC : 0;
}

/* Running: progress, stopping */

static void
stop (Job * job, const gchar * why)
{
  if (job->stop_asked)
    return;
  job->stop_asked = g_get_monotonic_time ();
  g_print ("main-job: %s: stopping\n", why);
  gst_element_send_event (job->pipeline, gst_event_new_eos ());
}

static gboolean
progress (gpointer user_data)
{
  Job *job = user_data;
  gint64 now = g_get_monotonic_time ();
  guint64 captured = g_atomic_int_get (&job->captured);
  gdouble elapsed = seconds_since (job->start, now);
  gdouble streaming = seconds_since (job->first_frame, now);

  g_print ("main-job: %6.1f s  captured %6" G_GUINT64_FORMAT "  shown %6"
      G_GUINT64_FORMAT "  %5.1f fps (average %5.1f)\n", elapsed, captured,
      frames_shown (job), (gdouble) (captured - job->last_captured),
      streaming > 0 ? captured / streaming : 0.0);
  job->last_captured = captured;

  if (job->opts->duration > 0 && elapsed >= job->opts->duration)
    stop (job, "duration reached");
  if (job->stop_asked && seconds_since (job->stop_asked, now) > EOS_TIMEOUT_S) {
    job->result->error = g_strdup_printf ("the pipeline did not end within "
        "%d s of being asked to", EOS_TIMEOUT_S);
    g_main_loop_quit (job->loop);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
sample (gpointer user_data)
{
  Job *job = user_data;
  GstStructure *stats = NULL;

  g_object_get (job->display, "stats", &stats, NULL);
  if (!zc_mj_write_sample (job->samples, seconds_since (job->start,
              g_get_monotonic_time ()), g_atomic_int_get (&job->captured),
          stats))
    g_printerr ("main-job: cannot write a stats sample: %s\n",
        g_strerror (errno));
  if (stats)
    gst_structure_free (stats);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer user_data)
{
  Job *job = user_data;

  if (job->stop_asked) {
    job->result->error = g_strdup ("interrupted twice");
    g_main_loop_quit (job->loop);
  } else {
    stop (job, "interrupted");
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Job *job = user_data;
  GError *err = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      job->eos = TRUE;
      g_main_loop_quit (job->loop);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      g_printerr ("main-job: error from %s: %s\n%s\n",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
          GST_STR_NULL (debug));
      if (!job->result->error)
        job->result->error = g_strdup_printf ("%s: %s",
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
      g_clear_error (&err);
      g_free (debug);
      g_main_loop_quit (job->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* The end: what the display reports, then a picture of it */

static gboolean
stats_double (const GstStructure * s, const gchar * field, gdouble * out)
{
  const GValue *v = gst_structure_get_value (s, field);
  GValue d = G_VALUE_INIT;

  if (!v || !g_value_type_transformable (G_VALUE_TYPE (v), G_TYPE_DOUBLE))
    return FALSE;
  g_value_init (&d, G_TYPE_DOUBLE);
  g_value_transform (v, &d);
  *out = g_value_get_double (&d);
  return TRUE;
}

/* Capture-to-scanout latency, when the sink's stats carry it. */
static void
read_display (Job * job)
{
  ZcMjResult *r = job->result;
  gdouble samples = 0;

  g_object_get (job->display, "stats", &r->display_stats, "device",
      &r->display, "driver-name", &r->display_driver, NULL);
  gst_structure_get_uint64 (r->display_stats, "frames-shown", &r->frames_shown);
  r->has_latency = stats_double (r->display_stats, "latency-avg-us",
      &r->latency_avg_us)
      && stats_double (r->display_stats, "latency-p99-us", &r->latency_p99_us)
      && stats_double (r->display_stats, "latency-samples", &samples);
  r->latency_samples = samples;
}

static void
take_screenshot (Job * job)
{
  ZcMjResult *r = job->result;
  ZcMjScreenshotMode mode = job->opts->screenshot_mode;
  gchar *path = g_build_filename (r->out_dir, "screenshot.png", NULL);
  GError *err = NULL;
  gint connector = -1;
  gboolean ok;

  if (mode == ZC_MJ_SCREENSHOT_AUTO)
    mode = g_getenv ("ZC_VM_SCREENDUMP_DIR") ? ZC_MJ_SCREENSHOT_QEMU :
        ZC_MJ_SCREENSHOT_KMS;
  if (mode == ZC_MJ_SCREENSHOT_NONE) {
    r->screenshot_error = g_strdup ("not asked for");
    goto out;
  }
  if (mode == ZC_MJ_SCREENSHOT_QEMU) {
    r->screenshot_source = "QEMU screendump";
    ok = zc_mj_screenshot_qemu (path, &err);
  } else if (r->display) {
    r->screenshot_source = "KMS framebuffer";
    g_object_get (job->display, "connector-id", &connector, NULL);
    ok = zc_mj_screenshot_kms (r->display, connector, path, &err);
  } else {
    ok = FALSE;
    g_set_error (&err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no display open");
  }
  if (ok) {
    r->screenshot = g_strdup ("screenshot.png");
  } else {
    g_printerr ("main-job: no screenshot: %s\n", err->message);
    r->screenshot_error = g_strdup (err->message);
    g_clear_error (&err);
  }

out:
  g_free (path);
}

static guint
count_files (const gchar * dir, const gchar * prefix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d)))
    n += g_str_has_prefix (name, prefix);
  if (d)
    g_dir_close (d);
  return n;
}

/* After the pipeline stopped: the tracer wrote its report on the way to
 * READY. */
static void
collect_files (ZcMjResult * r, const gchar * audit_path)
{
  gchar *thumbs = g_build_filename (r->out_dir, "thumbnails", NULL);
  gchar *snaps = g_build_filename (r->out_dir, "snapshots", NULL);
  GError *err = NULL;

  r->n_thumbnails = count_files (thumbs, "thumb-");
  r->n_snapshots = count_files (snaps, "snapshot-");
  if (!zc_mj_read_audit (r, audit_path, &err)) {
    g_printerr ("main-job: no audit: %s\n", err->message);
    r->audit_error = g_strdup (err->message);
    g_clear_error (&err);
  }
  g_free (snaps);
  g_free (thumbs);
}

/* Setup */

static gboolean
make_folders (const gchar * out)
{
  const gchar *subs[] = { "thumbnails", "snapshots" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (subs); i++) {
    gchar *dir = g_build_filename (out, subs[i], NULL);
    gboolean ok = g_mkdir_with_parents (dir, 0755) == 0;

    if (!ok)
      g_printerr ("main-job: cannot make %s: %s\n", dir, g_strerror (errno));
    g_free (dir);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

static gboolean
build_pipeline (Job * job)
{
  gchar *desc = pipeline_description (job->opts, job->result->out_dir);
  GError *err = NULL;
  GstBus *bus;

  job->pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (!job->pipeline || err) {
    g_printerr ("main-job: cannot make the pipeline: %s\n",
        err ? err->message : "unknown error");
    g_clear_error (&err);
    return FALSE;
  }
  job->display = gst_bin_get_by_name (GST_BIN (job->pipeline), ZC_MJ_DISPLAY);
  watch_capture (job);
  bus = gst_element_get_bus (job->pipeline);
  gst_bus_add_watch (bus, on_message, job);
  gst_object_unref (bus);
  return TRUE;
}

static void
run (Job * job)
{
  guint timer, sigint, sampler = 0;

  job->loop = g_main_loop_new (NULL, FALSE);
  timer = g_timeout_add_seconds (1, progress, job);
  if (job->samples)
    sampler = g_timeout_add_seconds (job->opts->stats_interval, sample, job);
  sigint = g_unix_signal_add (SIGINT, on_sigint, job);
  job->start = g_get_monotonic_time ();
  if (gst_element_set_state (job->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE && !job->result->error)
    job->result->error = g_strdup ("the pipeline did not start");
  else
    g_main_loop_run (job->loop);
  job->end = g_get_monotonic_time ();
  if (sampler)
    g_source_remove (sampler);
  g_source_remove (sigint);
  g_source_remove (timer);
  g_main_loop_unref (job->loop);
}

static void
fill_settings (ZcMjResult * r, const Options * o, Job * job)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (job->pipeline), ZC_MJ_SRC);

  g_object_get (src, "device", &r->device, NULL);
  gst_object_unref (src);
  r->format = g_strdup (o->format);
  r->width = o->width;
  r->height = o->height;
  r->frames_asked = o->frames;
  r->duration_asked = o->duration;
  r->interval = o->interval;
  r->snapshot_interval = o->snapshot_interval;
}

static gboolean
open_samples (Job * job)
{
  gchar *path = g_build_filename (job->result->out_dir, "stats.jsonl", NULL);

  job->samples = g_fopen (path, "we");
  if (!job->samples)
    g_printerr ("main-job: cannot write %s: %s\n", path, g_strerror (errno));
  g_free (path);
  return job->samples != NULL;
}

/* Runs the pipeline and fills @r; FALSE when it could not be made. */
static gboolean
main_job (Options * o, ZcMjResult * r, const gchar * audit_path)
{
  Job job = {.opts = o,.result = r };

  if (!build_pipeline (&job))
    return FALSE;
  fill_settings (r, o, &job);
  if (o->stats_interval > 0 && !open_samples (&job)) {
    gst_object_unref (job.display);
    gst_object_unref (job.pipeline);
    return FALSE;
  }
  run (&job);
  if (job.samples)
    fclose (job.samples);
  r->elapsed = seconds_since (job.start, job.end);
  r->streaming = seconds_since (job.first_frame, job.end);
  r->frames_captured = g_atomic_int_get (&job.captured);
  read_display (&job);
  /* Before stopping: the sink puts the display back as it found it. */
  take_screenshot (&job);
  gst_element_set_state (job.pipeline, GST_STATE_NULL);
  collect_files (r, audit_path);
  gst_object_unref (job.display);
  gst_object_unref (job.pipeline);
  return TRUE;
}

int
main (int argc, char **argv)
{
  Options o = {.frames = 300,.interval = 30,.snapshot_interval = 100,
    .sync = TRUE
  };
  ZcMjResult r = { NULL };
  GError *err = NULL;
  gchar *audit_path, *tracers;
  gint status = 0;

  if (!parse_options (&argc, &argv, &o))
    return 2;
  r.out_dir = g_canonicalize_filename (o.out ? o.out : "main-job-out", NULL);
  if (!make_folders (r.out_dir))
    return 1;
  /* The tracer is chosen before GStreamer starts. */
  audit_path = g_build_filename (r.out_dir, "audit.json", NULL);
  g_unlink (audit_path);
  tracers = g_strdup_printf ("zcaudit(file=%s)", audit_path);
  g_setenv ("GST_TRACERS", tracers, TRUE);
  gst_init (NULL, NULL);

  if (!main_job (&o, &r, audit_path))
    status = 1;
  else if (!zc_mj_write_reports (&r, &err)) {
    g_printerr ("main-job: %s\n", err->message);
    g_clear_error (&err);
    status = 1;
  } else if (r.error) {
    status = 1;
  }
  g_print ("main-job: output in %s\n", r.out_dir);

  zc_mj_result_clear (&r);
  g_free (tracers);
  g_free (audit_path);
  g_free (o.size);
  g_free (o.format);
  g_free (o.device);
  g_free (o.display);
  g_free (o.out);
  g_free (o.screenshot);
  gst_deinit ();
  return status;
}
