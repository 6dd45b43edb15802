/* zc-thumbnail-bench: zcthumbnail and zcsnapshot against upstream scalers and encoders, in one run
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Thumbnails: per-frame time of `zcthumbnail` making 160x90 frames of
 * 1920x1080 NV12 and BGRx video, against `videoscale ! videoconvert` to
 * the same size and format (videoscale's default method, bilinear with 2
 * taps, and its anti-aliased `method=lanczos`), against GstVideoConverter
 * called directly (what those two elements run by default), and against
 * the memory-bandwidth bound of the bytes zcthumbnail reads: the read
 * bandwidth of this machine is measured in the same run, and the bytes
 * come from the element's own account (whole cache lines of the sampled
 * rows). The elements run in a GstHarness (a frame pushed and its
 * thumbnail pulled in the calling thread: no queue or thread hand-off in
 * the figure). Frames cycle through a set larger than the caches, so that
 * every read comes from RAM, as it would from a dma-buf a device just
 * wrote. The last column is what a frame costs zcthumbnail at
 * interval=30 (29 frames in 30 dropped unread), per input frame.
 *
 * Snapshots: per-frame time of `zcsnapshot` writing 1080p PNG and JPEG
 * files (the streaming thread's part, and the whole including the
 * worker's encoding and writing), against `videoconvert ! pngenc` and
 * `jpegenc` writing the same frames with `multifilesink`.
 *
 * Snapshot pipelines run with appsrc and appsink around them (system
 * plugins), frames pushed as fast as the pipeline takes them. A figure is
 * the median of --runs runs of --frames frames each (--snapshot-frames
 * for snapshots), after one warm-up run.
 *
 * Usage: zc-thumbnail-bench [--frames N] [--snapshot-frames N] [--runs N]
 *                           [--dir DIR]
 * (GST_PLUGIN_PATH must find the project's plugins.)
 */

#include <gst/gst.h>
#include <gst/app/app.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <stdio.h>
#include <string.h>

#define WIDTH 1920
#define HEIGHT 1080
#define THUMB_CAPS "width=160,height=90"
/* More distinct frames than a last-level cache holds (8 x 8 MB BGRx). */
#define N_SOURCE_FRAMES 8
#define BANDWIDTH_BYTES (256 * 1024 * 1024)

static guint n_frames = 120;
static guint n_snapshot_frames = 20;
static guint n_runs = 5;
static gchar *dir = NULL;

/* ---- source frames ---- */

static void
fill_frame (GstVideoFrame * f, guint k)
{
  guint x, y, w = GST_VIDEO_FRAME_WIDTH (f), h = GST_VIDEO_FRAME_HEIGHT (f);

  for (y = 0; y < h; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);

    if (GST_VIDEO_FRAME_FORMAT (f) == GST_VIDEO_FORMAT_BGRx) {
      for (x = 0; x < w; x++) {
        row[4 * x] = x * 255 / w;
        row[4 * x + 1] = y * 255 / h;
        row[4 * x + 2] = (x + y + 8 * k) & 0xff;
        row[4 * x + 3] = 0xff;
      }
    } else {
      for (x = 0; x < w; x++)
        row[x] = 16 + ((x + y + 8 * k) * 219 / (w + h));
    }
  }
  if (GST_VIDEO_FRAME_FORMAT (f) == GST_VIDEO_FORMAT_NV12)
    for (y = 0; y < h / 2; y++)
      for (x = 0; x < w; x++)
        ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 1))[y *
            GST_VIDEO_FRAME_PLANE_STRIDE (f, 1) + x] =
            x % 2 ? 64 + y * 128 / h : 64 + x * 128 / w;
}

static GstBuffer **
make_frames (GstVideoInfo * info)
{
  GstBuffer **frames = g_new (GstBuffer *, N_SOURCE_FRAMES);
  GstVideoFrame f;
  guint k;

  for (k = 0; k < N_SOURCE_FRAMES; k++) {
    frames[k] = gst_buffer_new_allocate (NULL, info->size, NULL);
    gst_video_frame_map (&f, info, frames[k], GST_MAP_WRITE);
    fill_frame (&f, k);
    gst_video_frame_unmap (&f);
  }
  return frames;
}

static void
free_frames (GstBuffer ** frames)
{
  guint k;

  for (k = 0; k < N_SOURCE_FRAMES; k++)
    gst_buffer_unref (frames[k]);
  g_free (frames);
}

/* ---- timing ---- */

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble * v, guint n)
{
  qsort (v, n, sizeof (gdouble), compare_doubles);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct
{
  gdouble stream_ms;            /* until the last frame came out */
  gdouble total_ms;             /* until EOS came out */
} Timing;

static void
push_frames (GstAppSrc * src, GstBuffer ** frames)
{
  guint i;

  for (i = 0; i < n_frames; i++) {
    GstBuffer *buf = gst_buffer_copy (frames[i % N_SOURCE_FRAMES]);

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, 30);
    GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
    gst_app_src_push_buffer (src, buf);
  }
  gst_app_src_end_of_stream (src);
}

/* Waits for the pipeline's EOS; exits on an error. */
static void
wait_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error: %s\n", err->message);
    exit (1);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
}

/* Runs @middle after an appsrc over n_frames frames, ending in an appsink
 * unless @middle ends in a sink of its own; the per-frame times of the
 * run: until the last frame came out of the appsink (or EOS) and until
 * EOS. @keep, when not NULL, gets the element named "under-test". */
static Timing
run_pipeline (const gchar * middle, gboolean own_sink, GstVideoInfo * info,
    GstBuffer ** frames, GstElement ** keep)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time block=true "
      "max-buffers=4 ! %s%s", middle, own_sink ? "" :
      " ! appsink name=sink sync=false max-buffers=0");
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err), *sink;
  GstAppSrc *src;
  GstSample *sample;
  gint64 start, last;
  Timing t;

  if (!pipeline) {
    g_printerr ("%s: %s\n", desc, err->message);
    exit (1);
  }
  src = GST_APP_SRC (gst_bin_get_by_name (GST_BIN (pipeline), "src"));
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_app_src_set_caps (src, gst_video_info_to_caps (info));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  start = last = g_get_monotonic_time ();
  push_frames (src, frames);
  while (sink && (sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    last = g_get_monotonic_time ();
    gst_sample_unref (sample);
  }
  wait_eos (pipeline);
  t.total_ms = (g_get_monotonic_time () - start) / 1000.0 / n_frames;
  t.stream_ms = sink ? (last - start) / 1000.0 / n_frames : t.total_ms;

  if (keep)
    *keep = gst_bin_get_by_name (GST_BIN (pipeline), "under-test");
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_clear_object (&sink);
  gst_object_unref (pipeline);
  g_free (desc);
  return t;
}

/* Medians of n_runs runs, after a warm-up. */
static Timing
measure (const gchar * middle, gboolean own_sink, GstVideoInfo * info,
    GstBuffer ** frames, GstElement ** keep)
{
  gdouble *stream = g_new (gdouble, n_runs), *total = g_new (gdouble, n_runs);
  Timing t;
  guint r;

  run_pipeline (middle, own_sink, info, frames, NULL);
  for (r = 0; r < n_runs; r++) {
    t = run_pipeline (middle, own_sink, info, frames, keep
        && r == n_runs - 1 ? keep : NULL);
    stream[r] = t.stream_ms;
    total[r] = t.total_ms;
  }
  t.stream_ms = median (stream, n_runs);
  t.total_ms = median (total, n_runs);
  g_free (stream);
  g_free (total);
  return t;
}

/* One run of @desc in a harness: n_frames frames pushed, what comes out
 * pulled; ms per input frame. */
static gdouble
harness_run (GstHarness * h, GstBuffer ** frames, guint first)
{
  gint64 start = g_get_monotonic_time ();
  GstBuffer *out;
  guint i;

  for (i = 0; i < n_frames; i++) {
    GstBuffer *buf = gst_buffer_copy (frames[i % N_SOURCE_FRAMES]);

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (first + i, GST_SECOND, 30);
    GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
    if (gst_harness_push (h, buf) != GST_FLOW_OK) {
      g_printerr ("push failed\n");
      exit (1);
    }
    while ((out = gst_harness_try_pull (h)))
      gst_buffer_unref (out);
  }
  return (g_get_monotonic_time () - start) / 1000.0 / n_frames;
}

/* Median ms per input frame of @desc, frames of @info to @out_caps, in a
 * harness; @keep, when not NULL, gets the harness's first element. */
static gdouble
measure_harness (const gchar * desc, GstVideoInfo * info,
    const gchar * out_caps, GstBuffer ** frames, GstElement ** keep)
{
  GstHarness *h = gst_harness_new_parse (desc);
  gdouble *runs = g_new (gdouble, n_runs), result;
  guint r;

  gst_harness_set_src_caps (h, gst_video_info_to_caps (info));
  gst_harness_set_sink_caps_str (h, out_caps);
  harness_run (h, frames, 0);
  for (r = 0; r < n_runs; r++)
    runs[r] = harness_run (h, frames, (r + 1) * n_frames);
  result = median (runs, n_runs);
  if (keep)
    *keep = gst_harness_find_element (h, "zcthumbnail");
  gst_harness_teardown (h);
  g_free (runs);
  return result;
}

/* GstVideoConverter alone, as videoscale (bilinear, 2 taps) and
 * videoconvert set it up, frames cycling through the set. */
static gdouble
measure_converter (GstVideoInfo * in, GstVideoInfo * out, GstBuffer ** frames)
{
  GstVideoConverter *conv = gst_video_converter_new (in, out,
      gst_structure_new ("GstVideoConverter",
          GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
          GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
          GST_VIDEO_RESAMPLER_OPT_MAX_TAPS, G_TYPE_INT, 2, NULL));
  GstBuffer *dest = gst_buffer_new_allocate (NULL, out->size, NULL);
  gdouble *runs = g_new (gdouble, n_runs), result;
  GstVideoFrame fin, fout;
  guint r, i;

  for (r = 0; r <= n_runs; r++) {
    gint64 start = g_get_monotonic_time ();

    for (i = 0; i < n_frames; i++) {
      gst_video_frame_map (&fin, in, frames[i % N_SOURCE_FRAMES], GST_MAP_READ);
      gst_video_frame_map (&fout, out, dest, GST_MAP_WRITE);
      gst_video_converter_frame (conv, &fin, &fout);
      gst_video_frame_unmap (&fout);
      gst_video_frame_unmap (&fin);
    }
    /* Run 0 is the warm-up. */
    if (r > 0)
      runs[r - 1] = (g_get_monotonic_time () - start) / 1000.0 / n_frames;
  }
  result = median (runs, n_runs);
  g_free (runs);
  gst_buffer_unref (dest);
  gst_video_converter_free (conv);
  return result;
}

/* Read bandwidth of this machine in bytes per second: sums over a buffer
 * much larger than the caches, median of the runs. */
static gdouble
measure_bandwidth (void)
{
  guint64 *data = g_malloc (BANDWIDTH_BYTES);
  gsize n = BANDWIDTH_BYTES / sizeof (guint64), i;
  gdouble *runs = g_new (gdouble, n_runs), result;
  volatile guint64 sink;
  guint r;

  memset (data, 1, BANDWIDTH_BYTES);
  for (r = 0; r <= n_runs; r++) {
    guint64 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    gint64 start = g_get_monotonic_time ();

    for (i = 0; i < n; i += 4) {
      s0 += data[i];
      s1 += data[i + 1];
      s2 += data[i + 2];
      s3 += data[i + 3];
    }
    sink = s0 + s1 + s2 + s3;
    if (r > 0)
      runs[r - 1] = BANDWIDTH_BYTES / ((g_get_monotonic_time () - start) / 1e6);
  }
  (void) sink;
  result = median (runs, n_runs);
  g_free (runs);
  g_free (data);
  return result;
}

/* ---- the two parts ---- */

static guint64
bytes_per_thumbnail (GstElement * thumb)
{
  GstStructure *stats = NULL;
  guint64 bytes = 0, thumbnails = 1;

  g_object_get (thumb, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "bytes-read", &bytes);
  gst_structure_get_uint64 (stats, "thumbnails", &thumbnails);
  gst_structure_free (stats);
  return thumbnails ? bytes / thumbnails : 0;
}

static void
bench_thumbnails (const gchar * format, gdouble bandwidth)
{
  GstVideoInfo in, out;
  GstBuffer **frames;
  GstElement *thumb = NULL;
  gchar *caps;
  gdouble zc, up, lanczos, conv, sparse, bound;
  guint64 bytes;

  gst_video_info_set_format (&in, gst_video_format_from_string (format),
      WIDTH, HEIGHT);
  in.fps_n = 30;
  gst_video_info_set_format (&out, in.finfo->format, 160, 90);
  out.fps_n = 30;
  /* As the elements negotiate it: the input's colorimetry, no matrix. */
  out.colorimetry = in.colorimetry;
  out.chroma_site = in.chroma_site;
  frames = make_frames (&in);
  caps = g_strdup_printf ("video/x-raw,format=%s," THUMB_CAPS, format);

  zc = measure_harness ("zcthumbnail", &in, caps, frames, &thumb);
  up = measure_harness ("videoscale ! videoconvert", &in, caps, frames, NULL);
  lanczos = measure_harness ("videoscale method=lanczos ! videoconvert", &in,
      caps, frames, NULL);
  sparse = measure_harness ("zcthumbnail interval=30", &in, caps, frames, NULL);
  conv = measure_converter (&in, &out, frames);
  bytes = bytes_per_thumbnail (thumb);
  bound = bytes / bandwidth * 1000.0;

  printf ("| %s | %.4f | %.4f (%.2fx) | %.4f (%.1fx) | %.4f | %.4f (%.2f of "
      "%.2f MB) | %.4f (%.0fx) |\n", format, zc, up, up / zc, lanczos,
      lanczos / zc, conv, bound, bytes / 1e6, in.size / 1e6, sparse,
      up / sparse);

  gst_object_unref (thumb);
  g_free (caps);
  free_frames (frames);
}

static void
bench_snapshots (const gchar * what, const gchar * zc, const gchar * up)
{
  GstVideoInfo in;
  GstBuffer **frames;
  Timing t_zc, t_up;

  guint thumbnail_frames = n_frames;

  gst_video_info_set_format (&in, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  in.fps_n = 30;
  frames = make_frames (&in);
  n_frames = n_snapshot_frames;
  t_zc = measure (zc, FALSE, &in, frames, NULL);
  t_up = measure (up, TRUE, &in, frames, NULL);
  n_frames = thumbnail_frames;
  printf ("| %s | %.2f | %.2f | %.2f | %.2fx |\n", what, t_zc.stream_ms,
      t_zc.total_ms, t_up.total_ms, t_up.total_ms / t_zc.total_ms);
  free_frames (frames);
}

static void
run_snapshot_benches (void)
{
  gchar *zc_png = g_strdup_printf ("zcsnapshot interval=1 max-pending=64 "
      "location=%s/zc-%%05d.png", dir);
  gchar *zc_jpeg = g_strdup_printf ("zcsnapshot interval=1 max-pending=64 "
      "location=%s/zc-%%05d.jpg quality=85", dir);
  gchar *png1 = g_strdup_printf ("videoconvert ! pngenc compression-level=1 "
      "! multifilesink location=%s/up-%%05d.png", dir);
  gchar *png6 = g_strdup_printf ("videoconvert ! pngenc ! multifilesink "
      "location=%s/up6-%%05d.png", dir);
  gchar *jpeg = g_strdup_printf ("jpegenc quality=85 ! multifilesink "
      "location=%s/up-%%05d.jpg", dir);

  printf ("\n| 1920x1080 NV12 snapshot | zcsnapshot, streaming thread ms | "
      "zcsnapshot, with encode+write ms | upstream ms | upstream/zc |\n"
      "| --- | ---: | ---: | ---: | ---: |\n");
  /* zcsnapshot passes frames on to an appsink, which sees when the
   * streaming thread is done with each; the encoders' pipelines end in
   * multifilesink. */
  bench_snapshots ("PNG (zlib level 1) vs `videoconvert ! pngenc "
      "compression-level=1`", zc_png, png1);
  bench_snapshots ("PNG vs `videoconvert ! pngenc` (level 6, its default)",
      zc_png, png6);
  bench_snapshots ("JPEG q85 vs `jpegenc quality=85`", zc_jpeg, jpeg);

  g_free (zc_png);
  g_free (zc_jpeg);
  g_free (png1);
  g_free (png6);
  g_free (jpeg);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"frames", 0, 0, G_OPTION_ARG_INT, &n_frames, "Frames per thumbnail run",
        "N"},
    {"snapshot-frames", 0, 0, G_OPTION_ARG_INT, &n_snapshot_frames,
        "Frames per snapshot run", "N"},
    {"runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "Runs per figure", "N"},
    {"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Where snapshots go", "DIR"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new (NULL);
  GError *err = NULL;
  gdouble bandwidth;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (!dir)
    dir = g_dir_make_tmp ("zc-thumbnail-bench-XXXXXX", NULL);

  bandwidth = measure_bandwidth ();
  printf ("read bandwidth: %.2f GB/s; %u frames a thumbnail run, %u a "
      "snapshot run, median of %u runs\n\n", bandwidth / 1e9, n_frames,
      n_snapshot_frames, n_runs);
  printf ("| 1920x1080 -> 160x90 | zcthumbnail ms | `videoscale ! "
      "videoconvert` ms (its/zc) | `videoscale method=lanczos ! "
      "videoconvert` ms (its/zc) | GstVideoConverter ms | bandwidth bound "
      "of zcthumbnail's reads ms (MB) | zcthumbnail interval=30, ms per "
      "input frame (upstream/it) |\n"
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  bench_thumbnails ("NV12", bandwidth);
  bench_thumbnails ("BGRx", bandwidth);
  run_snapshot_benches ();
  return 0;
}
