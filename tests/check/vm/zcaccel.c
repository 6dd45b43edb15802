/* Test bed tests of zcaccel: vivid in, dma-bufs out, kernel fences via vgem
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs as root inside tests/vm (vivid and vgem present). The device fences
 * its outputs with vgem's VGEM_FENCE_ATTACH while a job runs: a consumer
 * that poll()s the output dma-buf or starts a CPU access with
 * DMA_BUF_IOCTL_SYNC must block until the job ends, as with a hardware
 * engine's fences.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/allocators/allocators.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#define N_FRAMES 30
/* The modelled length of the jobs that are watched while they run. */
#define JOB_TIME (800 * GST_MSECOND)

static gchar *vivid_device;

static gboolean
is_vivid_capture (const gchar * path)
{
  struct v4l2_capability cap = { 0 };
  gint fd = open (path, O_RDWR | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = ioctl (fd, VIDIOC_QUERYCAP, &cap) == 0 &&
      g_str_has_prefix ((const gchar *) cap.card, "vivid") &&
      (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
      (cap.device_caps & V4L2_CAP_STREAMING) &&
      !(cap.device_caps & V4L2_CAP_TOUCH);
  close (fd);
  return ok;
}

static void
find_vivid (void)
{
  guint i;

  for (i = 0; i < 64 && !vivid_device; i++) {
    gchar *path = g_strdup_printf ("/dev/video%u", i);

    if (is_vivid_capture (path))
      vivid_device = path;
    else
      g_free (path);
  }
  fail_unless (vivid_device != NULL, "no vivid video capture node in /dev "
      "(these tests run in tests/vm/run.sh)");
}

static void
fail_on_bus_error (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *dbg = NULL;

  if (!msg)
    return;
  gst_message_parse_error (msg, &err, &dbg);
  fail ("error: %s (%s)", err->message, dbg);
}

static guint64
field (const GstStructure * stats, const gchar * name)
{
  guint64 value = G_MAXUINT64;

  fail_unless (gst_structure_get_uint64 (stats, name, &value), "no %s", name);
  return value;
}

/* The BGRx pixel at (@x, @y), read between SYNC READ brackets. */
static void
read_pixel (GstBuffer * buf, const GstVideoInfo * info, gint x, gint y,
    guint8 bgrx[4])
{
  GstZcVideoFrame f;

  fail_unless (gst_zc_video_frame_map (&f, info, buf, GST_MAP_READ));
  memcpy (bgrx, (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f.frame, 0) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (&f.frame, 0) + 4 * x, 4);
  gst_zc_video_frame_unmap (&f);
}

/* Capture to display-ready frames: vivid's dma-bufs go into the device,
 * its dma-bufs come out, nothing is copied, and every output had a
 * kernel fence. */
GST_START_TEST (test_vivid_through_accel)
{
  GstHarness *h;
  GstElement *accel;
  GstBus *bus = gst_bus_new ();
  GstStructure *stats = NULL;
  GstVideoInfo info;
  GstCaps *caps;
  gchar *launch;
  guint8 px[4];
  guint i;

  find_vivid ();
  launch = g_strdup_printf ("zcv4l2src device=%s ! zcaccel name=accel",
      vivid_device);
  h = gst_harness_new_parse (launch);
  accel = gst_bin_get_by_name (GST_BIN (h->element), "accel");
  gst_harness_set_sink_caps_str (h, "video/x-raw(memory:DMABuf),"
      "format=BGRx,width=320,height=240");
  gst_element_set_bus (h->element, bus);
  gst_harness_play (h);

  for (i = 0; i < N_FRAMES; i++) {
    GstBuffer *buf = gst_harness_pull (h);

    if (!buf)
      fail_on_bus_error (bus);
    fail_unless (buf != NULL, "no frame %u", i);
    fail_unless (gst_is_dmabuf_memory (gst_buffer_peek_memory (buf, 0)),
        "frame %u is not a dma-buf", i);
    /* the device's fences are signalled by the time a frame is out */
    fail_unless (gst_zc_fence_wait_buffer (buf, GST_MAP_READ, 0, NULL));
    if (i == N_FRAMES - 1) {
      caps = gst_pad_get_current_caps (h->sinkpad);
      fail_unless (gst_video_info_from_caps (&info, caps));
      gst_caps_unref (caps);
      /* vivid's first bar, 75% white, away from its text */
      read_pixel (buf, &info, 20, 200, px);
      fail_unless (px[0] > 150 && px[0] < 230 && ABS (px[0] - px[1]) < 20
          && ABS (px[1] - px[2]) < 20, "pixel %u,%u,%u is not 75%% white",
          px[2], px[1], px[0]);
    }
    gst_buffer_unref (buf);
  }

  /* one snapshot: the pipeline is still running */
  g_object_get (accel, "stats", &stats, NULL);
  fail_unless_equals_uint64 (field (stats, "uploads"), 0);
  fail_unless_equals_uint64 (field (stats, "bytes-copied"), 0);
  fail_unless_equals_uint64 (field (stats, "fallbacks"), 0);
  fail_unless (field (stats, "jobs") >= N_FRAMES);
  fail_unless_equals_uint64 (field (stats, "kernel-fenced"),
      field (stats, "jobs"));
  /* The device's own SYNC_START comes before its fence: a job waiting on
   * its own fence would last vgem's 10 s timeout. */
  fail_unless (field (stats, "job-time-max") < 2 * GST_SECOND,
      "a job took %" G_GUINT64_FORMAT " ns", field (stats, "job-time-max"));
  gst_structure_free (stats);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_object_unref (accel);
  gst_harness_teardown (h);
  g_free (launch);
}

GST_END_TEST;

/* ---- the device's kernel fences, watched from outside ---- */

typedef struct
{
  GstZcAccelDevice *dev;
  GstVideoInfo in_info, out_info;
  GstBuffer *in, *out;
  GstZcAccelJob *job;
  gint fd;                      /* the output dma-buf */
} Watched;

static GstBuffer *
new_frame (GstAllocator * alloc, const GstVideoInfo * info)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_video_info_to_caps (info);
  GstBuffer *buf = NULL;

  gst_buffer_pool_config_set_params (config, caps, info->size, 0, 0);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  gst_object_unref (pool);
  gst_caps_unref (caps);
  return buf;
}

/* An NV12 frame of mid grey in, a BGRx frame out, through a job lasting
 * JOB_TIME, on memory of @backend; returns once the job runs. */
static void
watched_start (Watched * w, GstZcBackend backend)
{
  GError *error = NULL;
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (backend, NULL, &error);
  GstMapInfo map;

  fail_unless (alloc != NULL, "%s", error ? error->message : "");
  w->dev = gst_zc_accel_device_new ();
  g_object_set (w->dev, "latency", (guint64) JOB_TIME, NULL);
  gst_video_info_set_format (&w->in_info, GST_VIDEO_FORMAT_NV12, 64, 64);
  gst_video_info_set_format (&w->out_info, GST_VIDEO_FORMAT_BGRx, 64, 64);
  w->in = new_frame (alloc, &w->in_info);
  fail_unless (gst_buffer_map (w->in, &map, GST_MAP_WRITE));
  memset (map.data, 128, map.size);
  gst_buffer_unmap (w->in, &map);
  w->out = new_frame (alloc, &w->out_info);
  fail_unless (gst_is_dmabuf_memory (gst_buffer_peek_memory (w->out, 0)));
  w->fd = gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (w->out, 0));

  w->job = gst_zc_accel_device_submit (w->dev, w->in, &w->in_info, w->out,
      &w->out_info, GST_VIDEO_ORIENTATION_IDENTITY, &error);
  fail_unless (w->job != NULL, "%s", error ? error->message : "");
  fail_unless (gst_zc_accel_job_wait_running (w->job, 5 * GST_SECOND));
  fail_unless (gst_zc_accel_job_has_kernel_fence (w->job),
      "vgem did not fence the %s output", gst_zc_backend_get_nick (backend));
  gst_object_unref (alloc);
}

static void
watched_clear (Watched * w)
{
  fail_unless (gst_zc_accel_job_wait (w->job, 5 * GST_SECOND, NULL));
  gst_zc_accel_job_unref (w->job);
  gst_buffer_unref (w->out);
  gst_buffer_unref (w->in);
  gst_object_unref (w->dev);
}

/* The output holds the converted grey: the device had written it. */
static void
check_written (Watched * w)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (w->out, &map, GST_MAP_READ));
  fail_unless (map.data[0] > 100 && map.data[0] < 160, "output not written "
      "(%u)", map.data[0]);
  gst_buffer_unmap (w->out, &map);
}

static void
check_poll_blocks (GstZcBackend backend)
{
  Watched w;
  struct pollfd pfd;
  gint64 t0;
  gint n;

  watched_start (&w, backend);
  /* while the job runs the dma-buf is not readable... */
  pfd.fd = w.fd;
  pfd.events = POLLIN;
  pfd.revents = 0;
  fail_unless_equals_int (poll (&pfd, 1, 200), 0);
  fail_unless (gst_zc_accel_job_get_state (w.job) == GST_ZC_ACCEL_JOB_RUNNING);

  /* ...and becomes readable when it ends */
  t0 = g_get_monotonic_time ();
  do {
    n = poll (&pfd, 1, 5000);
  } while (n < 0 && errno == EINTR);
  fail_unless_equals_int (n, 1);
  fail_unless (pfd.revents & POLLIN);
  fail_unless (g_get_monotonic_time () - t0 >= 300 * G_TIME_SPAN_MILLISECOND,
      "poll returned after %" G_GINT64_FORMAT " us: before the job ended",
      g_get_monotonic_time () - t0);
  fail_unless (gst_zc_accel_job_wait (w.job, GST_SECOND, NULL));
  check_written (&w);
  watched_clear (&w);
}

GST_START_TEST (test_poll_blocks_while_job_runs)
{
  check_poll_blocks (GST_ZC_BACKEND_AUTO);
  /* vgem's own dumb buffers, as the drm backend allocates them */
  check_poll_blocks (GST_ZC_BACKEND_DRM);
}

GST_END_TEST;

GST_START_TEST (test_sync_start_waits_for_job)
{
  struct dma_buf_sync sync = { 0, };
  Watched w;
  gint64 t0;
  gint ret;

  watched_start (&w, GST_ZC_BACKEND_AUTO);
  t0 = g_get_monotonic_time ();
  sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
  do {
    ret = ioctl (w.fd, DMA_BUF_IOCTL_SYNC, &sync);
  } while (ret < 0 && (errno == EINTR || errno == EAGAIN));
  fail_unless_equals_int (ret, 0);
  /* the kernel held the CPU access until the device's fence signalled */
  fail_unless (g_get_monotonic_time () - t0 >= 300 * G_TIME_SPAN_MILLISECOND,
      "SYNC_START returned after %" G_GINT64_FORMAT " us",
      g_get_monotonic_time () - t0);
  fail_unless (gst_zc_accel_job_wait (w.job, GST_SECOND, NULL));
  sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
  fail_unless_equals_int (ioctl (w.fd, DMA_BUF_IOCTL_SYNC, &sync), 0);
  check_written (&w);
  watched_clear (&w);
}

GST_END_TEST;

/* A flush cancels the running job and signals its kernel fence at once:
 * nobody waits for vgem's timeout. */
GST_START_TEST (test_flush_signals_kernel_fence)
{
  struct pollfd pfd;
  Watched w;
  gint64 t0;

  watched_start (&w, GST_ZC_BACKEND_AUTO);
  g_object_set (w.dev, "latency", (guint64) 8 * GST_SECOND, NULL);
  t0 = g_get_monotonic_time ();
  gst_zc_accel_device_set_flushing (w.dev, TRUE);
  pfd.fd = w.fd;
  pfd.events = POLLIN;
  fail_unless_equals_int (poll (&pfd, 1, 3000), 1);
  fail_unless (g_get_monotonic_time () - t0 < JOB_TIME / GST_USECOND);
  fail_if (gst_zc_accel_job_wait (w.job, GST_SECOND, NULL));
  fail_unless_equals_int (gst_zc_accel_job_get_state (w.job),
      GST_ZC_ACCEL_JOB_CANCELLED);

  gst_zc_accel_job_unref (w.job);
  gst_buffer_unref (w.out);
  gst_buffer_unref (w.in);
  gst_object_unref (w.dev);
}

GST_END_TEST;

static Suite *
vm_zcaccel_suite (void)
{
  Suite *s = suite_create ("vm-zcaccel");
  TCase *tc = tcase_create ("vivid-vgem");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vivid_through_accel);
  tcase_add_test (tc, test_poll_blocks_while_job_runs);
  tcase_add_test (tc, test_sync_start_waits_for_job);
  tcase_add_test (tc, test_flush_signals_kernel_fence);

  return s;
}

GST_CHECK_MAIN (vm_zcaccel);
