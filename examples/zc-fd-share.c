/* zc-fd-share: one process renders frames into dma-bufs, another reads the same memory
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two processes share video frames without copying them: the sender takes
 * frames from a GstZcBufferPool (dma-bufs, or memfds where nothing
 * exports dma-bufs), draws eight colour bars into each and pushes them
 * through
 *
 *   appsrc ! zcfdsink socket-path=PATH
 *
 * which sends every frame's fd over a Unix socket; the receiver runs
 *
 *   zcfdsrc socket-path=PATH timestamp-mode=original ! appsink
 *
 * and checks the bars of every frame it gets, reading the sender's own
 * memory. A frame goes back to the sender's pool when the receiver is
 * done with it, so the pool's few buffers are all the memory there is.
 * The bars move one place to the left every frame: frame N shows bar
 * (x * 8 / width + N) % 8 at column x (white, yellow, cyan, green,
 * magenta, red, blue, black).
 *
 * Build against an installed library:
 *   cc zc-fd-share.c -o zc-fd-share \
 *     $(pkg-config --cflags --libs gstreamer-zerocopy-1.0 gstreamer-app-1.0)
 *
 * Usage: zc-fd-share [--frames N] [--width W] [--height H] [--socket PATH]
 *                    [--send | --receive]
 * Without --send or --receive it runs the sender and starts itself again
 * as the receiver; in two terminals, start `--send` first, then
 * `--receive` with the same --socket. Exit status 0 when every frame
 * arrived as it was drawn, 1 on an error (printed), 2 for bad options.
 */

#include <gst/gst.h>
#include <gst/allocators/allocators.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define N_BARS 8
#define FPS 30
#define POOL_BUFFERS 4

typedef struct
{
  gint frames;
  gint width;
  gint height;
  gchar *socket;
  gboolean send;
  gboolean receive;
} Options;

static const guint8 bars_rgb[N_BARS][3] = {
  {255, 255, 255}, {255, 255, 0}, {0, 255, 255}, {0, 255, 0},
  {255, 0, 255}, {255, 0, 0}, {0, 0, 255}, {0, 0, 0},
};

static gboolean
parse_options (gint * argc, gchar *** argv, Options * opts)
{
  GOptionEntry entries[] = {
    {"frames", 'n', 0, G_OPTION_ARG_INT, &opts->frames,
        "Frames to send (default 60)", "N"},
    {"width", 'W', 0, G_OPTION_ARG_INT, &opts->width,
        "Frame width in pixels (default 320)", "W"},
    {"height", 'H', 0, G_OPTION_ARG_INT, &opts->height,
        "Frame height in pixels (default 240)", "H"},
    {"socket", 's', 0, G_OPTION_ARG_FILENAME, &opts->socket,
        "Unix socket of zcfdsink (default zc-fd-share.sock in the temporary "
          "directory)", "PATH"},
    {"send", 0, 0, G_OPTION_ARG_NONE, &opts->send,
        "Only send (a receiver connects later)", NULL},
    {"receive", 0, 0, G_OPTION_ARG_NONE, &opts->receive,
        "Only receive from a running sender", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- share frames with another "
      "process without copying them");
  GError *err = NULL;
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  ok = g_option_context_parse (ctx, argc, argv, &err);
  g_option_context_free (ctx);
  if (!ok) {
    g_printerr ("zc-fd-share: %s\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  if (opts->frames < 1 || opts->width < N_BARS || opts->height < 1
      || (opts->send && opts->receive)) {
    g_printerr ("zc-fd-share: frames must be at least 1, the width at "
        "least %d, the height at least 1; --send or --receive, not both\n",
        N_BARS);
    return FALSE;
  }
  return TRUE;
}

/* ---- the bars ---- */

static void
draw_bars (GstVideoFrame * frame, guint n)
{
  guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint x, y;

  for (y = 0; y < GST_VIDEO_FRAME_HEIGHT (frame); y++) {
    guint8 *p = data + y * stride;

    for (x = 0; x < width; x++, p += 4) {
      const guint8 *rgb = bars_rgb[(x * N_BARS / width + n) % N_BARS];

      p[0] = rgb[2];
      p[1] = rgb[1];
      p[2] = rgb[0];
      p[3] = 0xff;
    }
  }
}

/* Whether the middle of every bar, on the first and last rows, shows
 * frame @n's colour. */
static gboolean
bars_are (GstVideoFrame * frame, guint n)
{
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint rows[2] = { 0, GST_VIDEO_FRAME_HEIGHT (frame) - 1 };
  gint bar, r;

  for (r = 0; r < 2; r++) {
    for (bar = 0; bar < N_BARS; bar++) {
      gint x = (2 * bar + 1) * width / (2 * N_BARS);
      const guint8 *p = data + rows[r] * stride + x * 4;
      const guint8 *rgb = bars_rgb[(x * N_BARS / width + n) % N_BARS];

      if (p[0] != rgb[2] || p[1] != rgb[1] || p[2] != rgb[0])
        return FALSE;
    }
  }
  return TRUE;
}

/* Waits for EOS; FALSE on an error (printed). */
static gboolean
wait_for_eos (GstElement * pipeline, const gchar * who)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gboolean ok = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;

  if (!ok) {
    GError *err = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (msg, &err, &debug);
    g_printerr ("zc-fd-share: %s: error from %s: %s\n%s\n", who,
        GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
        GST_STR_NULL (debug));
    g_clear_error (&err);
    g_free (debug);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  return ok;
}

/* ---- the receiver ---- */

typedef struct
{
  guint frames;
  guint wrong;
  GHashTable *inodes;           /* distinct fds' inodes: the sender's pool */
  const gchar *kind;
} Received;

static void
look_at (GstSample * sample, Received * rec)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);
  GstVideoFrame frame;
  GstVideoInfo info;
  struct stat st;
  guint n;

  n = GST_BUFFER_PTS (buf) / gst_util_uint64_scale (GST_SECOND, 1, FPS);
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || !gst_video_frame_map (&frame, &info, buf, GST_MAP_READ)) {
    rec->wrong++;
    return;
  }
  if (!bars_are (&frame, n))
    rec->wrong++;
  gst_video_frame_unmap (&frame);

  /* the sender's memory itself: its fd, not a copy */
  if (gst_is_fd_memory (mem) && fstat (gst_fd_memory_get_fd (mem), &st) == 0)
    g_hash_table_add (rec->inodes, g_memdup2 (&st.st_ino, sizeof (st.st_ino)));
  rec->kind = gst_is_dmabuf_memory (mem) ? "dma-bufs" :
      gst_is_fd_memory (mem) ? "memfds" : "system memory (copied!)";
  rec->frames++;
}

static gboolean
receive (const Options * opts)
{
  Received rec = { 0, 0, g_hash_table_new_full (g_int64_hash, g_int64_equal,
        g_free, NULL), "nothing"
  };
  GstElement *pipeline, *sink;
  GstSample *sample;
  GError *err = NULL;
  gchar *launch;
  gboolean ok;

  launch = g_strdup_printf ("zcfdsrc socket-path=\"%s\" "
      "timestamp-mode=original ! appsink name=sink sync=false", opts->socket);
  pipeline = gst_parse_launch (launch, &err);
  g_free (launch);
  if (!pipeline) {
    g_printerr ("zc-fd-share: receiver: %s (are zcfdsrc and appsink "
        "installed?)\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  /* no sender at the socket fails here, with the reason on the bus */
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    ok = wait_for_eos (pipeline, "receiver");
    goto done;
  }
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    look_at (sample, &rec);
    /* the frame goes back to the sender's pool here */
    gst_sample_unref (sample);
  }
  ok = wait_for_eos (pipeline, "receiver");

done:
  gst_element_set_state (pipeline, GST_STATE_NULL);

  if (rec.frames > 0)
    g_print ("received %u frames in %u distinct %s, %u not as drawn\n",
        rec.frames, g_hash_table_size (rec.inodes), rec.kind, rec.wrong);
  ok = ok && rec.wrong == 0 && rec.frames == (guint) opts->frames;
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_hash_table_unref (rec.inodes);
  return ok;
}

/* ---- the sender ---- */

/* A BGRx pool of @info's frames, in dma-bufs when the kernel can export
 * them (memfds otherwise; GST_ZC_BACKEND chooses). */
static GstBufferPool *
make_pool (GstCaps * caps, const GstVideoInfo * info)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);

  gst_buffer_pool_config_set_params (config, caps, info->size, POOL_BUFFERS,
      POOL_BUFFERS);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (!gst_buffer_pool_set_config (pool, config)
      || !gst_buffer_pool_set_active (pool, TRUE)) {
    gst_printerr ("zc-fd-share: the zero-copy pool refused %" GST_PTR_FORMAT
        " (see GST_DEBUG=zcbufferpool:4,zcallocator:4)\n", caps);
    gst_object_unref (pool);
    return NULL;
  }
  return pool;
}

/* On an error, wakes a render loop blocked in acquiring a buffer that
 * the stopped pipeline will never release. */
static GstBusSyncReply
unblock_on_error (GstBus * bus, GstMessage * msg, gpointer pool)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_buffer_pool_set_flushing (pool, TRUE);
  return GST_BUS_PASS;
}

static gboolean
push_frames (GstAppSrc * src, GstBufferPool * pool, const GstVideoInfo * info,
    const Options * opts)
{
  GstClockTime duration = gst_util_uint64_scale (GST_SECOND, 1, FPS);
  GstVideoFrame frame;
  GstBuffer *buf;
  gint n;

  for (n = 0; n < opts->frames; n++) {
    /* blocks while the receiver holds every frame of the pool */
    if (gst_buffer_pool_acquire_buffer (pool, &buf, NULL) != GST_FLOW_OK)
      return FALSE;
    if (!gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE)) {
      gst_buffer_unref (buf);
      return FALSE;
    }
    draw_bars (&frame, n);
    gst_video_frame_unmap (&frame);
    GST_BUFFER_PTS (buf) = n * duration;
    GST_BUFFER_DURATION (buf) = duration;
    if (gst_app_src_push_buffer (src, buf) != GST_FLOW_OK)
      return FALSE;
  }
  gst_app_src_end_of_stream (src);
  return TRUE;
}

/* This program again, as the receiver. */
static GPid
spawn_receiver (const Options * opts)
{
  gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  gchar *frames = g_strdup_printf ("%d", opts->frames);
  const gchar *argv[] = { self, "--receive", "--socket", opts->socket,
    "--frames", frames, NULL
  };
  GError *err = NULL;
  GPid pid = 0;

  if (!self || !g_spawn_async (NULL, (gchar **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &err)) {
    g_printerr ("zc-fd-share: could not start the receiver: %s\n",
        err ? err->message : "no /proc/self/exe");
    g_clear_error (&err);
    pid = 0;
  }
  g_free (frames);
  g_free (self);
  return pid;
}

typedef struct
{
  GPid pid;
  GstElement *pipeline;
} Watch;

/* Waits for the receiver; a receiver that failed stops the sender, which
 * would otherwise wait for it for ever (on-disconnect=wait). Returns
 * whether it succeeded. */
static gpointer
watch_receiver (gpointer data)
{
  Watch *w = data;
  gint status = 0;
  gboolean ok;

  ok = waitpid (w->pid, &status, 0) == w->pid && WIFEXITED (status)
      && WEXITSTATUS (status) == 0;
  g_spawn_close_pid (w->pid);
  if (!ok) {
    GError *err = g_error_new_literal (GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_FAILED, "the receiving process failed");

    gst_element_post_message (w->pipeline,
        gst_message_new_error (GST_OBJECT (w->pipeline), err, NULL));
    g_error_free (err);
  }
  return GINT_TO_POINTER (ok);
}

static GstElement *
make_sender (GstCaps * caps, const Options * opts)
{
  GstElement *pipeline, *src;
  GError *err = NULL;
  gchar *launch;

  launch = g_strdup_printf ("appsrc name=src format=time ! "
      "zcfdsink socket-path=\"%s\" on-disconnect=wait", opts->socket);
  pipeline = gst_parse_launch (launch, &err);
  g_free (launch);
  if (!pipeline) {
    g_printerr ("zc-fd-share: sender: %s (are appsrc and zcfdsink "
        "installed?)\n", err->message);
    g_clear_error (&err);
    return NULL;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "caps", caps, NULL);
  gst_object_unref (src);
  return pipeline;
}

/* Sends @opts->frames frames; with @spawn, starts the receiver once the
 * sink listens (it creates its socket when it starts). */
static gboolean
stream (GstElement * pipeline, GstBufferPool * pool, const GstVideoInfo * info,
    const Options * opts, gboolean spawn)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  Watch w = { 0, pipeline };
  GThread *watch = NULL;
  gboolean ok;

  gst_bus_set_sync_handler (bus, unblock_on_error, pool, NULL);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    ok = wait_for_eos (pipeline, "sender");
    goto done;
  }
  if (spawn && !(w.pid = spawn_receiver (opts))) {
    ok = FALSE;
    goto done;
  }
  if (spawn)
    watch = g_thread_new ("receiver", watch_receiver, &w);
  if (!push_frames (GST_APP_SRC (src), pool, info, opts))
    gst_app_src_end_of_stream (GST_APP_SRC (src));
  ok = wait_for_eos (pipeline, "sender");

done:
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* the receiver ends with the sender's EOS, or when its socket closes */
  if (watch)
    ok = GPOINTER_TO_INT (g_thread_join (watch)) && ok;
  gst_object_unref (src);
  gst_object_unref (bus);
  return ok;
}

static gboolean
send_frames (const Options * opts, gboolean spawn)
{
  GstElement *pipeline;
  GstBufferPool *pool;
  GstVideoInfo info;
  GstCaps *caps;
  gboolean ok = FALSE;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRx, opts->width,
      opts->height);
  GST_VIDEO_INFO_FPS_N (&info) = FPS;
  caps = gst_video_info_to_caps (&info);
  pool = make_pool (caps, &info);
  if (!pool)
    goto done;
  if (gst_zc_buffer_pool_is_dmabuf (pool))
    gst_caps_set_features (caps, 0,
        gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));

  pipeline = make_sender (caps, opts);
  if (pipeline) {
    ok = stream (pipeline, pool, &info, opts, spawn);
    gst_object_unref (pipeline);
  }
  if (ok)
    gst_print ("sent %d frames of %" GST_PTR_FORMAT "; the pool allocated "
        "%u buffers\n", opts->frames, caps,
        gst_zc_buffer_pool_get_n_allocated (GST_ZC_BUFFER_POOL (pool)));
  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
done:
  gst_caps_unref (caps);
  return ok;
}

int
main (int argc, char *argv[])
{
  Options opts = { 60, 320, 240, NULL, FALSE, FALSE };
  gboolean ok;

  if (!parse_options (&argc, &argv, &opts))
    return 2;
  if (!opts.socket)
    opts.socket = g_build_filename (g_get_tmp_dir (), "zc-fd-share.sock",
        NULL);

  if (opts.receive)
    ok = receive (&opts);
  else
    ok = send_frames (&opts, !opts.send);

  g_free (opts.socket);
  gst_deinit ();
  return ok ? 0 : 1;
}
