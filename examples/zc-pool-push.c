/* zc-pool-push: renders frames into zero-copy pool buffers and pushes them to zcsnapshot
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An application that renders video with the CPU straight into dma-bufs:
 * it takes frames from a GstZcBufferPool, draws eight colour bars into
 * each through gst_video_frame_map() (the library's allocator brackets the
 * write with DMA_BUF_IOCTL_SYNC START|WRITE ... END|WRITE), and pushes
 * them into
 *
 *   appsrc ! zcsnapshot ! fakesink
 *
 * which writes some of them as PNG files. The bars move one place to the
 * left every frame: frame N shows bar (x * 8 / width + N) % 8 at column x,
 * bars in the order white, yellow, cyan, green, magenta, red, blue, black.
 *
 * Build against an installed library:
 *   cc zc-pool-push.c -o zc-pool-push \
 *     $(pkg-config --cflags --libs gstreamer-zerocopy-1.0 gstreamer-app-1.0)
 *
 * Usage: zc-pool-push [--frames N] [--interval N] [--location PATTERN]
 *                     [--width W] [--height H]
 * Exit status 0 when every frame went through and the snapshots were
 * written, 1 on an error (printed), 2 for bad options.
 */

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <string.h>

#define N_BARS 8
#define FPS 30
/* At most this many frames are in flight between the pool and the sink:
 * the pool blocks rendering beyond that until the sink releases one. */
#define POOL_BUFFERS 4

typedef struct
{
  gint frames;
  gint interval;
  gint width;
  gint height;
  gchar *location;
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
        "Frames to push (default 60)", "N"},
    {"interval", 'i', 0, G_OPTION_ARG_INT, &opts->interval,
        "Write every Nth frame as PNG (default 30)", "N"},
    {"location", 'o', 0, G_OPTION_ARG_STRING, &opts->location,
        "PNG file pattern, given the frame number "
          "(default zc-pool-push-%05d.png)", "PATTERN"},
    {"width", 'W', 0, G_OPTION_ARG_INT, &opts->width,
        "Frame width in pixels (default 320)", "W"},
    {"height", 'H', 0, G_OPTION_ARG_INT, &opts->height,
        "Frame height in pixels (default 240)", "H"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- push frames rendered into "
      "a GstZcBufferPool through zcsnapshot");
  GError *err = NULL;
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  ok = g_option_context_parse (ctx, argc, argv, &err);
  g_option_context_free (ctx);
  if (!ok) {
    g_printerr ("zc-pool-push: %s\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  if (opts->frames < 1 || opts->interval < 1 || opts->width < N_BARS
      || opts->height < 1) {
    g_printerr ("zc-pool-push: frames and interval must be at least 1, the "
        "width at least %d, the height at least 1\n", N_BARS);
    return FALSE;
  }
  return TRUE;
}

/* A BGRx pool of @info's frames, in dma-bufs when the kernel can export
 * them (memfd memory otherwise; GST_ZC_BACKEND chooses). */
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
    gst_printerr ("zc-pool-push: the zero-copy pool refused %" GST_PTR_FORMAT
        " (see GST_DEBUG=zcbufferpool:4,zcallocator:4)\n", caps);
    gst_object_unref (pool);
    return NULL;
  }
  return pool;
}

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

/* On an error, wakes a render loop blocked in acquiring a buffer that
 * the stopped pipeline will never release. */
static GstBusSyncReply
unblock_on_error (GstBus * bus, GstMessage * msg, gpointer pool)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_buffer_pool_set_flushing (pool, TRUE);
  return GST_BUS_PASS;
}

/* Renders and pushes @opts->frames frames, then EOS. */
static gboolean
push_frames (GstAppSrc * src, GstBufferPool * pool, const GstVideoInfo * info,
    const Options * opts)
{
  GstClockTime duration = gst_util_uint64_scale (GST_SECOND, 1, FPS);
  GstVideoFrame frame;
  GstBuffer *buf;
  gint n;

  for (n = 0; n < opts->frames; n++) {
    /* blocks while POOL_BUFFERS frames are downstream */
    if (gst_buffer_pool_acquire_buffer (pool, &buf, NULL) != GST_FLOW_OK)
      return FALSE;

    /* One SYNC WRITE bracket: START on map, END on unmap; after the
     * unmap a device may read what was drawn. */
    if (!gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE)) {
      g_printerr ("zc-pool-push: could not map frame %d for writing\n", n);
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

/* Waits for EOS, printing each snapshot written; FALSE on an error. */
static gboolean
wait_for_eos (GstBus * bus)
{
  GstMessage *msg;
  gboolean done = FALSE, ok = TRUE;

  while (!done) {
    msg = gst_bus_timed_pop (bus, GST_CLOCK_TIME_NONE);
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ELEMENT:
        if (gst_message_has_name (msg, "zcsnapshot"))
          g_print ("wrote %s\n", gst_structure_get_string
              (gst_message_get_structure (msg), "location"));
        break;
      case GST_MESSAGE_ERROR:{
        GError *err = NULL;
        gchar *debug = NULL;

        gst_message_parse_error (msg, &err, &debug);
        g_printerr ("zc-pool-push: error from %s: %s\n%s\n",
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
            GST_STR_NULL (debug));
        g_clear_error (&err);
        g_free (debug);
        ok = FALSE;
        done = TRUE;
        break;
      }
      case GST_MESSAGE_EOS:
        done = TRUE;
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }
  return ok;
}

static const gchar *
pool_backend (GstBufferPool * pool)
{
  GstAllocator *allocator =
      gst_zc_buffer_pool_get_allocator (GST_ZC_BUFFER_POOL (pool));
  GstZcBackend backend =
      gst_zc_dmabuf_allocator_get_backend (GST_ZC_DMABUF_ALLOCATOR (allocator));

  gst_object_unref (allocator);
  return gst_zc_backend_get_nick (backend);
}

/* appsrc ! zcsnapshot ! fakesink with @caps; the memory feature says
 * whether the pool's buffers are dma-bufs. */
static GstElement *
make_pipeline (GstCaps * caps, const Options * opts)
{
  GError *err = NULL;
  GstElement *pipeline, *src, *snap;

  pipeline = gst_parse_launch ("appsrc name=src format=time ! "
      "zcsnapshot name=snap ! fakesink", &err);
  if (!pipeline) {
    g_printerr ("zc-pool-push: %s (are the appsrc and zcsnapshot plugins "
        "installed?)\n", err->message);
    g_clear_error (&err);
    return NULL;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  snap = gst_bin_get_by_name (GST_BIN (pipeline), "snap");
  g_object_set (src, "caps", caps, NULL);
  g_object_set (snap, "location", opts->location, "interval", opts->interval,
      NULL);
  gst_object_unref (snap);
  gst_object_unref (src);
  return pipeline;
}

/* Plays @pipeline while rendering into @pool; TRUE when every frame went
 * through to EOS. */
static gboolean
stream (GstElement * pipeline, GstBufferPool * pool, const GstVideoInfo * info,
    const Options * opts)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gboolean pushed, ok;

  gst_bus_set_sync_handler (bus, unblock_on_error, pool, NULL);
  /* a failure is also posted on the bus, and printed from there */
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  pushed = push_frames (GST_APP_SRC (src), pool, info, opts);
  if (!pushed)
    gst_app_src_end_of_stream (GST_APP_SRC (src));
  ok = wait_for_eos (bus) && pushed;
  gst_element_set_state (pipeline, GST_STATE_NULL);

  gst_object_unref (src);
  gst_object_unref (bus);
  return ok;
}

static gboolean
run (const Options * opts)
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
  gst_print ("pushing %d frames of %" GST_PTR_FORMAT " from a %s pool\n",
      opts->frames, caps, pool_backend (pool));

  pipeline = make_pipeline (caps, opts);
  if (pipeline) {
    ok = stream (pipeline, pool, &info, opts);
    gst_object_unref (pipeline);
  }
  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
done:
  gst_caps_unref (caps);
  return ok;
}

int
main (int argc, char *argv[])
{
  Options opts = { 60, 30, 320, 240, NULL };
  gboolean ok;

  if (!parse_options (&argc, &argv, &opts))
    return 2;
  if (!opts.location)
    opts.location = g_strdup ("zc-pool-push-%05d.png");

  ok = run (&opts);

  g_free (opts.location);
  gst_deinit ();
  return ok ? 0 : 1;
}
