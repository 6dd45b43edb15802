/* zc-accel-bench: the simulated accelerator against upstream's converter
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * In one run, on the same input:
 *
 * - device: GstZcAccelDevice with pixel-rate 0 and latency 0 (as fast as
 *   the CPU runs it), jobs submitted back to back through a queue of 4,
 *   input and outputs in the library's pools (dma-bufs where the kernel
 *   exports them, else memfd), against GstVideoConverter run directly on
 *   system-memory frames with the same options (videoconvertscale's
 *   default, bilinear) writing into as many rotating outputs as the
 *   device's pool holds, one thread each: frames per second and their
 *   ratio, for 1080p NV12 to 1080p BGRx (conversion) and 1080p NV12 to
 *   720p NV12 (scaling);
 * - pipelines: `videotestsrc ! zcupload ! zcaccel ! fakesink` against
 *   `videotestsrc ! videoconvert ! videoscale ! fakesink`, 1080p NV12 in,
 *   720p BGRx out, frames per second from PLAYING to EOS. Needs the system
 *   plugins and the project's: run with GST_PLUGIN_PATH=<build>/ext.
 *
 * Usage: zc-accel-bench [--frames N]   (default 100)
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#define QUEUE_DEPTH 4

typedef struct
{
  const gchar *name;
  GstVideoFormat in_format, out_format;
  gint in_w, in_h, out_w, out_h;
} Case;

static const Case cases[] = {
  {"convert 1080p NV12 -> BGRx", GST_VIDEO_FORMAT_NV12,
      GST_VIDEO_FORMAT_BGRx, 1920, 1080, 1920, 1080},
  {"scale 1080p -> 720p NV12", GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_NV12,
      1920, 1080, 1280, 720},
};

static GstBufferPool *
new_pool (const GstVideoInfo * info)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_video_info_to_caps (info);

  gst_buffer_pool_config_set_params (config, caps, info->size, 0, 0);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (!gst_buffer_pool_set_config (pool, config)
      || !gst_buffer_pool_set_active (pool, TRUE))
    g_error ("no pool for %" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  return pool;
}

/* A frame with a gradient in every plane: content does not change the
 * converter's work, but a blank frame would hide mistakes. */
static void
fill (GstBuffer * buf, const GstVideoInfo * info)
{
  GstVideoFrame f;
  guint p, y;

  if (!gst_video_frame_map (&f, (GstVideoInfo *) info, buf, GST_MAP_WRITE))
    g_error ("cannot map the input");
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&f); p++)
    for (y = 0; y < (guint) GST_VIDEO_FRAME_COMP_HEIGHT (&f, p ? 1 : 0); y++)
      memset ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, p) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, p), (y + p * 64) & 0xff,
          GST_VIDEO_FRAME_PLANE_STRIDE (&f, p));
  gst_video_frame_unmap (&f);
}

static gdouble
seconds_since (gint64 t0)
{
  return (g_get_monotonic_time () - t0) / (gdouble) G_TIME_SPAN_SECOND;
}

/* Frames per second of the device, jobs submitted back to back. */
static gdouble
run_device (const Case * c, GstBuffer * in, const GstVideoInfo * in_info,
    const GstVideoInfo * out_info, guint frames)
{
  GstZcAccelDevice *dev = gst_zc_accel_device_new ();
  GstBufferPool *pool = new_pool (out_info);
  GError *error = NULL;
  gint64 t0;
  guint i;

  g_object_set (dev, "queue-depth", QUEUE_DEPTH, NULL);
  t0 = g_get_monotonic_time ();
  for (i = 0; i < frames; i++) {
    GstBuffer *out = NULL;
    GstZcAccelJob *job;

    gst_buffer_pool_acquire_buffer (pool, &out, NULL);
    job = gst_zc_accel_device_submit (dev, in, in_info, out, out_info,
        GST_VIDEO_ORIENTATION_IDENTITY, &error);
    if (!job)
      g_error ("%s: %s", c->name, error->message);
    /* The job keeps the output until it ends, then it goes back. */
    gst_buffer_unref (out);
    gst_zc_accel_job_unref (job);
  }
  gst_zc_accel_device_wait_idle (dev, GST_CLOCK_TIME_NONE);

  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
  gst_object_unref (dev);
  return frames / seconds_since (t0);
}

/* The same options as the device's, as videoconvertscale sets them. */
static GstVideoConverter *
new_converter (const GstVideoInfo * in_info, const GstVideoInfo * out_info)
{
  return gst_video_converter_new ((GstVideoInfo *) in_info,
      (GstVideoInfo *) out_info, gst_structure_new ("bench",
          GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
          GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
          GST_VIDEO_RESAMPLER_OPT_MAX_TAPS, G_TYPE_INT, 2,
          GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT, 1, NULL));
}

/* Outputs rotate over as many frames as the device's pool holds, as
 * videoconvert's outputs rotate over its pool: the same cache traffic. */
static gdouble
run_converter (GstBuffer * in, const GstVideoInfo * in_info,
    const GstVideoInfo * out_info, guint frames)
{
  GstVideoConverter *convert = new_converter (in_info, out_info);
  GstBuffer *outs[QUEUE_DEPTH + 1];
  GstVideoFrame fi, fo;
  gint64 t0;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (outs); i++)
    outs[i] = gst_buffer_new_allocate (NULL, out_info->size, NULL);
  t0 = g_get_monotonic_time ();
  for (i = 0; i < frames; i++) {
    gst_video_frame_map (&fi, (GstVideoInfo *) in_info, in, GST_MAP_READ);
    gst_video_frame_map (&fo, (GstVideoInfo *) out_info,
        outs[i % G_N_ELEMENTS (outs)], GST_MAP_WRITE);
    gst_video_converter_frame (convert, &fi, &fo);
    gst_video_frame_unmap (&fo);
    gst_video_frame_unmap (&fi);
  }
  gst_video_converter_free (convert);
  for (i = 0; i < G_N_ELEMENTS (outs); i++)
    gst_buffer_unref (outs[i]);
  return frames / seconds_since (t0);
}

static void
bench_case (const Case * c, guint frames)
{
  GstVideoInfo in_info, out_info;
  GstBufferPool *in_pool;
  GstBuffer *in = NULL, *sysmem;
  gdouble dev_fps, conv_fps;

  gst_video_info_set_format (&in_info, c->in_format, c->in_w, c->in_h);
  gst_video_info_set_format (&out_info, c->out_format, c->out_w, c->out_h);
  in_pool = new_pool (&in_info);
  gst_buffer_pool_acquire_buffer (in_pool, &in, NULL);
  fill (in, &in_info);
  sysmem = gst_buffer_new_allocate (NULL, in_info.size, NULL);
  fill (sysmem, &in_info);

  /* a warm-up run each (pages faulted in, converters' tables built),
   * then the measured runs */
  run_device (c, in, &in_info, &out_info, QUEUE_DEPTH + 1);
  run_converter (sysmem, &in_info, &out_info, QUEUE_DEPTH + 1);
  dev_fps = run_device (c, in, &in_info, &out_info, frames);
  conv_fps = run_converter (sysmem, &in_info, &out_info, frames);
  printf ("%-28s %10.1f %10.1f %8.2f\n", c->name, dev_fps, conv_fps,
      dev_fps / conv_fps);

  gst_buffer_unref (sysmem);
  gst_buffer_unref (in);
  gst_buffer_pool_set_active (in_pool, FALSE);
  gst_object_unref (in_pool);
}

/* Frames per second of @description from PLAYING to EOS. */
static gdouble
run_pipeline (const gchar * description, guint frames)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstMessage *msg;
  gint64 t0;

  if (!pipeline)
    g_error ("%s: %s", description, error->message);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  gst_element_get_state (pipeline, NULL, NULL, GST_CLOCK_TIME_NONE);
  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    g_error ("%s failed", description);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return frames / seconds_since (t0);
}

static void
bench_pipelines (guint frames)
{
  const gchar *src = "videotestsrc pattern=solid-color num-buffers=%u ! "
      "video/x-raw,format=NV12,width=1920,height=1080 ! %s ! "
      "video/x-raw,format=BGRx,width=1280,height=720 ! fakesink";
  gchar *ours = g_strdup_printf (src, frames, "zcupload ! zcaccel");
  gchar *theirs = g_strdup_printf (src, frames,
      "videoconvert ! videoscale");
  gdouble a, b;

  run_pipeline (ours, 2);
  a = run_pipeline (ours, frames);
  b = run_pipeline (theirs, frames);
  printf ("%-28s %10.1f %10.1f %8.2f\n", "zcupload ! zcaccel", a, b, a / b);
  printf ("  (1080p NV12 in, 720p BGRx out; the second column is "
      "videoconvert ! videoscale)\n");
  g_free (theirs);
  g_free (ours);
}

static void
print_machine (void)
{
  gchar *cpuinfo = NULL, *model = NULL;
  struct utsname u;

  uname (&u);
  if (g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
    gchar *line = strstr (cpuinfo, "model name");

    if (line)
      model = g_strndup (strchr (line, ':') + 2, strcspn (line, "\n") -
          (strchr (line, ':') + 2 - line));
  }
  printf ("machine: %s %s %s, %u CPUs, %s\n", u.sysname, u.release,
      u.machine, g_get_num_processors (), model ? model : "unknown CPU");
  g_free (model);
  g_free (cpuinfo);
}

int
main (int argc, char **argv)
{
  gint frames = 100;
  GOptionEntry entries[] = {
    {"frames", 'n', 0, G_OPTION_ARG_INT, &frames, "Frames per run", "N"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- zcaccel benchmark");
  GError *error = NULL;
  guint i;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || frames < 1)
    g_error ("%s", error ? error->message : "--frames must be positive");
  g_option_context_free (ctx);

  print_machine ();
  printf ("%-28s %10s %10s %8s\n", "case (frames/s)", "zcaccel",
      "converter", "ratio");
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    bench_case (&cases[i], frames);
  bench_pipelines (frames);
  return 0;
}
