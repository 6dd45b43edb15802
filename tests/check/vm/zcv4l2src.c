/* zcv4l2src on vivid in the VM test bed: capture, dma-bufs, recycling, errors, import
 * SPDX-License-Identifier: LGPL-2.1-or-later
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
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/videodev2.h>

#include "zctestutils.h"

#define N_FRAMES 60
#define IO_BUFFERS 4

/* vivid's video capture node, found by each test's fixture */
static gchar *vivid_device;

static gint
xioctl (gint fd, gulong request, gpointer arg)
{
  gint ret;

  do {
    ret = ioctl (fd, request, arg);
  } while (ret < 0 && errno == EINTR);
  return ret;
}

/* A vivid node that captures video: vivid also has touch, VBI, SDR and
 * metadata nodes, and the capture node is not always /dev/video0. */
static gboolean
is_vivid_capture (const gchar * path)
{
  struct v4l2_capability cap = { 0 };
  gint fd = open (path, O_RDWR | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = xioctl (fd, VIDIOC_QUERYCAP, &cap) == 0 &&
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
  gchar *path;
  guint i;

  if (vivid_device)
    return;
  for (i = 0; i < 64 && !vivid_device; i++) {
    path = g_strdup_printf ("/dev/video%u", i);
    if (is_vivid_capture (path))
      vivid_device = path;
    else
      g_free (path);
  }
  fail_unless (vivid_device != NULL, "no vivid video capture node in /dev "
      "(is vivid loaded? these tests run in tests/vm/run.sh)");
  GST_INFO ("vivid capture node: %s", vivid_device);
}

static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);

  return n;
}

/* Whether any fd of the process is open on vivid's node. */
static gboolean
device_is_open (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const gchar *name;
  gboolean open = FALSE;

  while ((name = g_dir_read_name (dir)) && !open) {
    gchar *link = g_strdup_printf ("/proc/self/fd/%s", name);
    gchar *target = g_file_read_link (link, NULL);

    open = g_strcmp0 (target, vivid_device) == 0;
    g_free (target);
    g_free (link);
  }
  g_dir_close (dir);

  return open;
}

/* Sets a vivid control by name (vivid's own controls have no public ids):
 * buttons take any value. */
static void
set_vivid_control (const gchar * name, gint value)
{
  struct v4l2_queryctrl qc = {.id = V4L2_CTRL_FLAG_NEXT_CTRL };
  struct v4l2_control ctrl = { 0 };
  gint fd = open (vivid_device, O_RDWR | O_CLOEXEC);

  fail_unless (fd >= 0);
  while (xioctl (fd, VIDIOC_QUERYCTRL, &qc) == 0 &&
      strcmp ((const gchar *) qc.name, name) != 0)
    qc.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
  fail_unless (strcmp ((const gchar *) qc.name, name) == 0,
      "vivid has no control \"%s\"", name);

  ctrl.id = qc.id;
  ctrl.value = value;
  fail_unless (xioctl (fd, VIDIOC_S_CTRL, &ctrl) == 0, "%s: %s", name,
      g_strerror (errno));
  close (fd);
}

static void
setup (void)
{
  find_vivid ();
  /* a test that failed half-way may have left vivid dropping frames */
  set_vivid_control ("Percentage of Dropped Buffers", 0);
}

typedef struct
{
  GstHarness *h;
  GstBus *bus;
} Capture;

/* A harness around zcv4l2src on vivid, on the system clock so that
 * timestamps come from the driver, with a bus for its errors. */
static void
capture_init (Capture * c, const gchar * caps)
{
  c->h = gst_harness_new_with_padnames ("zcv4l2src", NULL, "src");
  g_object_set (c->h->element, "device", vivid_device, "io-buffers",
      IO_BUFFERS, NULL);
  gst_harness_use_systemclock (c->h);
  gst_harness_set_sink_caps_str (c->h, caps);
  c->bus = gst_bus_new ();
  gst_element_set_bus (c->h->element, c->bus);
}

/* NULL, then every buffer the harness still holds is freed. */
static void
capture_stop (Capture * c)
{
  GstBuffer *buf;

  fail_unless_equals_int (gst_element_set_state (c->h->element,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  while ((buf = gst_harness_try_pull (c->h)))
    gst_buffer_unref (buf);
}

static void
capture_clear (Capture * c)
{
  capture_stop (c);
  gst_element_set_bus (c->h->element, NULL);
  gst_object_unref (c->bus);
  gst_harness_teardown (c->h);
}

static GstBuffer *
capture_pull (Capture * c)
{
  GstBuffer *buf = gst_harness_pull (c->h);
  GstMessage *msg;

  if (!buf && (msg = gst_bus_pop_filtered (c->bus, GST_MESSAGE_ERROR))) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("no buffer: %s (%s)", err->message, dbg);
  }
  fail_unless (buf != NULL, "no buffer within the harness timeout");
  return buf;
}

/* A real dma-buf: the kernel's fdinfo of a dma-buf names its exporter. */
static void
check_dmabuf_fd (gint fd)
{
  gchar *path = g_strdup_printf ("/proc/self/fdinfo/%d", fd);
  gchar *info = NULL;

  fail_unless (g_file_get_contents (path, &info, NULL, NULL));
  fail_unless (strstr (info, "exp_name:") != NULL,
      "fd %d is not a dma-buf: %s", fd, info);
  g_free (info);
  g_free (path);
}

static gboolean
is_all_zero (GstBuffer * buf)
{
  GstMapInfo map;
  gboolean zero = TRUE;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i < map.size && zero; i++)
    zero = map.data[i] == 0;
  gst_buffer_unmap (buf, &map);

  return zero;
}

/* The driver's bytesperline, asked on a second fd: V4L2 lets any open
 * file read the current format. */
static guint
driver_bytesperline (void)
{
  struct v4l2_format fmt = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
  gint fd = open (vivid_device, O_RDWR | O_CLOEXEC);

  fail_unless (fd >= 0);
  fail_unless (xioctl (fd, VIDIOC_G_FMT, &fmt) == 0);
  close (fd);

  return fmt.fmt.pix.bytesperline;
}

typedef struct
{
  const gchar *format;
  gint width, height;
  gint stride[2];               /* vivid pads nothing */
  gsize offset1;                /* of the second plane, 0 if none */
} Layout;

static void
check_meta (GstBuffer * buf, const Layout * l, guint bytesperline)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);

  fail_unless (meta != NULL, "no GstVideoMeta");
  fail_unless_equals_string (gst_video_format_to_string (meta->format),
      l->format);
  fail_unless_equals_int (meta->width, l->width);
  fail_unless_equals_int (meta->height, l->height);
  fail_unless_equals_int (meta->stride[0], bytesperline);
  fail_unless_equals_int (meta->stride[0], l->stride[0]);
  if (l->offset1) {
    fail_unless_equals_int (meta->n_planes, 2);
    fail_unless_equals_int (meta->stride[1], l->stride[1]);
    fail_unless_equals_uint64 (meta->offset[1], l->offset1);
  }
}

/* vivid stamps frames with CLOCK_MONOTONIC: the frame carries that time
 * as its capture time, not long ago, moving on. vivid's default stamp is
 * the end of the frame's exposure, which it places 0.9 frame period after
 * it starts filling the frame: up to a frame period after the frame was
 * handed out. */
static void
check_capture_time (GstBuffer * buf, GstClockTime * last)
{
  GstClockTime capture = gst_zc_buffer_get_capture_time (buf);
  GstClockTime period = GST_BUFFER_DURATION_IS_VALID (buf) ?
      GST_BUFFER_DURATION (buf) : GST_SECOND;
  struct timespec now;
  GstClockTime now_ns;

  fail_unless (clock_gettime (CLOCK_MONOTONIC, &now) == 0);
  now_ns = GST_TIMESPEC_TO_TIME (now);
  fail_unless (GST_CLOCK_TIME_IS_VALID (capture), "no capture time");
  fail_unless (capture <= now_ns + period, "captured %" GST_TIME_FORMAT
      ", more than a frame after now %" GST_TIME_FORMAT,
      GST_TIME_ARGS (capture), GST_TIME_ARGS (now_ns));
  fail_unless (capture + 10 * GST_SECOND > now_ns, "captured %"
      GST_TIME_FORMAT " before now %" GST_TIME_FORMAT,
      GST_TIME_ARGS (capture), GST_TIME_ARGS (now_ns));
  if (GST_CLOCK_TIME_IS_VALID (*last))
    fail_unless (capture > *last, "capture time %" GST_TIME_FORMAT " after %"
        GST_TIME_FORMAT, GST_TIME_ARGS (capture), GST_TIME_ARGS (*last));
  *last = capture;
}

/* One buffer of a capture: one dma-buf memory, a real dma-buf, the
 * driver's layout, timestamps and sequence moving on. */
static void
check_frame (GstBuffer * buf, const Layout * l, guint bytesperline,
    GstClockTime * last_pts, GstClockTime * last_capture, GHashTable * inodes)
{
  GstMemory *mem;
  struct stat st;
  gint fd;

  fail_unless_equals_int (gst_buffer_n_memory (buf), 1);
  mem = gst_buffer_peek_memory (buf, 0);
  fail_unless (gst_is_dmabuf_memory (mem));
  fd = gst_dmabuf_memory_get_fd (mem);
  check_dmabuf_fd (fd);
  fail_unless (fstat (fd, &st) == 0);
  g_hash_table_add (inodes, GUINT_TO_POINTER ((guint) st.st_ino));

  check_meta (buf, l, bytesperline);
  fail_unless (GST_BUFFER_PTS_IS_VALID (buf));
  fail_unless (GST_BUFFER_DURATION_IS_VALID (buf));
  fail_unless (GST_BUFFER_OFFSET_IS_VALID (buf));
  if (GST_CLOCK_TIME_IS_VALID (*last_pts))
    fail_unless (GST_BUFFER_PTS (buf) > *last_pts, "PTS %" GST_TIME_FORMAT
        " after %" GST_TIME_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (buf)),
        GST_TIME_ARGS (*last_pts));
  *last_pts = GST_BUFFER_PTS (buf);
  check_capture_time (buf, last_capture);
}

static void
check_negotiated (Capture * c, const Layout * l, gboolean dmabuf)
{
  GstCaps *caps = gst_pad_get_current_caps (c->h->sinkpad);
  GstVideoInfo info;

  fail_unless (caps != NULL);
  fail_unless (gst_video_info_from_caps (&info, caps));
  fail_unless_equals_string (GST_VIDEO_INFO_NAME (&info), l->format);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), l->width);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), l->height);
  fail_unless (GST_VIDEO_INFO_FPS_N (&info) > 0);
  fail_unless (gst_caps_features_contains (gst_caps_get_features (caps, 0),
          GST_CAPS_FEATURE_MEMORY_DMABUF) == dmabuf, "caps %" GST_PTR_FORMAT,
      caps);
  gst_caps_unref (caps);
}

static void
capture_and_check (const gchar * caps, const Layout * l, gboolean dmabuf)
{
  GHashTable *inodes = g_hash_table_new (NULL, NULL);
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  GstClockTime last_capture = GST_CLOCK_TIME_NONE;
  gboolean have_content = FALSE;
  guint64 last_offset = 0;
  guint bytesperline = 0;
  Capture c;
  guint i;

  capture_init (&c, caps);
  gst_harness_play (c.h);
  for (i = 0; i < N_FRAMES; i++) {
    GstBuffer *buf = capture_pull (&c);

    if (i == 0) {
      check_negotiated (&c, l, dmabuf);
      bytesperline = driver_bytesperline ();
      fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
    } else {
      fail_unless (GST_BUFFER_OFFSET (buf) > last_offset);
    }
    last_offset = GST_BUFFER_OFFSET (buf);
    check_frame (buf, l, bytesperline, &last_pts, &last_capture, inodes);
    /* vivid's test pattern: a zero frame means nobody wrote it */
    if (!have_content)
      have_content = !is_all_zero (buf);
    gst_buffer_unref (buf);
  }

  fail_unless (have_content, "every frame was all zero");
  /* Recycling: 60 frames in the same few dma-bufs. */
  fail_unless (g_hash_table_size (inodes) >= 2 &&
      g_hash_table_size (inodes) <= IO_BUFFERS, "%u distinct dma-bufs",
      g_hash_table_size (inodes));

  g_hash_table_unref (inodes);
  capture_clear (&c);
}

GST_START_TEST (test_capture_yuy2)
{
  const Layout l = { "YUY2", 640, 480, {1280, 0}, 0 };

  capture_and_check ("video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480", &l, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_capture_nv12)
{
  const Layout l = { "NV12", 640, 480, {640, 640}, 640 * 480 };

  capture_and_check ("video/x-raw(memory:DMABuf),format=NV12,width=640,"
      "height=480", &l, TRUE);
}

GST_END_TEST;

/* V4L2 XBGR32 is B,G,R,X in memory: GStreamer's BGRx. */
GST_START_TEST (test_capture_bgrx)
{
  const Layout l = { "BGRx", 320, 180, {1280, 0}, 0 };

  capture_and_check ("video/x-raw(memory:DMABuf),format=BGRx,width=320,"
      "height=180", &l, TRUE);
}

GST_END_TEST;

/* Downstream that only knows system memory gets the same dma-bufs, read
 * through gst_buffer_map (SYNC-bracketed by the library). */
GST_START_TEST (test_capture_system_memory)
{
  const Layout l = { "YUY2", 640, 480, {1280, 0}, 0 };

  capture_and_check ("video/x-raw,format=YUY2,width=640,height=480", &l, FALSE);
}

GST_END_TEST;

/* The frame rate vivid offers for YUYV 640x480 that is nearest 30 fps, in
 * thousandths of a frame per second. */
static gint
nearest_rate_to_30 (void)
{
  struct v4l2_frmivalenum ival = {.pixel_format = V4L2_PIX_FMT_YUYV,
    .width = 640,.height = 480
  };
  gint fd = open (vivid_device, O_RDWR | O_CLOEXEC);
  gint best = 0, rate;

  fail_unless (fd >= 0);
  for (; xioctl (fd, VIDIOC_ENUM_FRAMEINTERVALS, &ival) == 0; ival.index++) {
    fail_unless_equals_int (ival.type, V4L2_FRMIVAL_TYPE_DISCRETE);
    rate = ival.discrete.denominator * 1000 / ival.discrete.numerator;
    if (ABS (rate - 30000) < ABS (best - 30000))
      best = rate;
  }
  close (fd);
  fail_unless (best > 0);

  return best;
}

GST_START_TEST (test_device_name)
{
  GstElement *src = gst_element_factory_make ("zcv4l2src", NULL);
  gchar *name = NULL;

  g_object_set (src, "device", vivid_device, NULL);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (src, "device-name", &name, NULL);
  fail_unless_equals_string (name, "vivid");
  g_free (name);

  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (src, "device-name", &name, NULL);
  fail_unless (name == NULL);
  fail_if (device_is_open ());
  gst_object_unref (src);
}

GST_END_TEST;

/* With a clock other than the monotonic system clock (here the harness'
 * test clock, standing still at 10 s), a frame's PTS is the clock's time
 * at capture, not the driver's timestamp. */
GST_START_TEST (test_timestamps_other_clock)
{
  GstHarness *h = gst_harness_new_with_padnames ("zcv4l2src", NULL, "src");
  guint i;

  g_object_set (h->element, "device", vivid_device, NULL);
  gst_harness_set_sink_caps_str (h, "video/x-raw(memory:DMABuf),format=YUY2,"
      "width=640,height=480");
  gst_harness_set_time (h, 10 * GST_SECOND);
  gst_harness_play (h);
  for (i = 0; i < 3; i++) {
    GstBuffer *buf = gst_harness_pull (h);

    fail_unless (buf != NULL);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 10 * GST_SECOND);
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Left open, the size nearest 640x480 and the rate nearest 30 fps. */
GST_START_TEST (test_fixate)
{
  GstCaps *caps;
  GstStructure *s;
  gint width = 0, height = 0, fps_n = 0, fps_d = 0;
  Capture c;

  capture_init (&c, "video/x-raw(memory:DMABuf)");
  gst_harness_play (c.h);
  gst_buffer_unref (capture_pull (&c));

  caps = gst_pad_get_current_caps (c.h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_get_int (s, "width", &width));
  fail_unless (gst_structure_get_int (s, "height", &height));
  fail_unless (gst_structure_get_fraction (s, "framerate", &fps_n, &fps_d));
  fail_unless_equals_int (width, 640);
  fail_unless_equals_int (height, 480);
  fail_unless_equals_int (fps_n * 1000 / fps_d, nearest_rate_to_30 ());
  gst_caps_unref (caps);

  capture_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_latency)
{
  GstQuery *query = gst_query_new_latency ();
  GstClockTime min, max, duration;
  gint fps_n = 0, fps_d = 0;
  GstCaps *caps;
  gboolean live;
  GstBuffer *buf;
  Capture c;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  gst_harness_play (c.h);
  buf = capture_pull (&c);
  duration = GST_BUFFER_DURATION (buf);
  gst_buffer_unref (buf);

  caps = gst_pad_get_current_caps (c.h->sinkpad);
  fail_unless (gst_structure_get_fraction (gst_caps_get_structure (caps, 0),
          "framerate", &fps_n, &fps_d));
  gst_caps_unref (caps);
  fail_unless (fps_n > 0);
  fail_unless_equals_uint64 (duration, gst_util_uint64_scale_int (GST_SECOND,
          fps_d, fps_n));
  fail_unless (gst_element_query (c.h->element, query));
  gst_query_parse_latency (query, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, duration);
  fail_unless_equals_uint64 (max, IO_BUFFERS * duration);

  gst_query_unref (query);
  capture_clear (&c);
}

GST_END_TEST;

/* PLAYING, NULL, three times: every fd back after each NULL (device,
 * dma-bufs, pool). Also through PAUSED, where a live source unlocks. */
GST_START_TEST (test_restart_no_fd_leak)
{
  guint fds_before;
  Capture c;
  guint round, i;

  /* after the harness and bus: they have fds of their own */
  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  fds_before = count_fds ();
  for (round = 0; round < 3; round++) {
    gst_harness_play (c.h);
    for (i = 0; i < 10; i++)
      gst_buffer_unref (capture_pull (&c));
    gst_element_set_state (c.h->element, GST_STATE_PAUSED);
    gst_harness_play (c.h);
    for (i = 0; i < 5; i++)
      gst_buffer_unref (capture_pull (&c));

    capture_stop (&c);
    fail_if (device_is_open ());
    fail_unless_equals_int (count_fds (), fds_before);
  }
  capture_clear (&c);
}

GST_END_TEST;

/* Downstream keeps a buffer across NULL: the device closes all the same,
 * the buffer stays a readable dma-buf, and its fd goes with it. */
GST_START_TEST (test_buffer_outlives_element)
{
  guint fds_before;
  GstBuffer *held;
  Capture c;
  gint fd;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  fds_before = count_fds ();
  gst_harness_play (c.h);
  gst_buffer_unref (capture_pull (&c));
  held = capture_pull (&c);

  capture_stop (&c);
  fail_if (device_is_open (), "the device stayed open for a held buffer");
  fd = gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (held, 0));
  check_dmabuf_fd (fd);
  fail_if (is_all_zero (held));
  fail_unless (count_fds () > fds_before);

  gst_buffer_unref (held);
  fail_unless_equals_int (count_fds (), fds_before);
  capture_clear (&c);
}

GST_END_TEST;

/* Downstream that replaces a buffer's memory before letting it go does
 * not take the V4L2 buffer with it: the pool exports it again. */
GST_START_TEST (test_memory_replaced_downstream)
{
  GHashTable *inodes = g_hash_table_new (NULL, NULL);
  GstBuffer *buf;
  Capture c;
  guint i;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  gst_harness_play (c.h);
  for (i = 0; i < 2 * IO_BUFFERS; i++) {
    buf = capture_pull (&c);
    gst_buffer_replace_all_memory (buf, gst_allocator_alloc (NULL, 16, NULL));
    gst_buffer_unref (buf);
  }
  for (i = 0; i < 3 * IO_BUFFERS; i++) {
    struct stat st;

    buf = capture_pull (&c);
    fail_unless_equals_int (gst_buffer_n_memory (buf), 1);
    fail_unless (gst_is_dmabuf_memory (gst_buffer_peek_memory (buf, 0)));
    fail_unless_equals_int (gst_buffer_get_size (buf), 640 * 480 * 2);
    fail_unless (fstat (gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (buf,
                    0)), &st) == 0);
    g_hash_table_add (inodes, GUINT_TO_POINTER ((guint) st.st_ino));
    gst_buffer_unref (buf);
  }
  /* every V4L2 buffer is still in use */
  fail_unless_equals_int (g_hash_table_size (inodes), IO_BUFFERS);

  g_hash_table_unref (inodes);
  capture_clear (&c);
}

GST_END_TEST;

/* Waits for the element's error: RESOURCE domain, @code, @debug in the
 * debug string. */
static void
expect_error (Capture * c, gint code, const gchar * debug)
{
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  msg = gst_bus_timed_pop_filtered (c->bus, 20 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, &dbg);
  GST_INFO ("error: %s (%s)", err->message, dbg);
  fail_unless (err->domain == GST_RESOURCE_ERROR, "domain %s",
      g_quark_to_string (err->domain));
  fail_unless_equals_int (err->code, code);
  fail_unless (dbg && strstr (dbg, debug), "debug \"%s\" lacks \"%s\"", dbg,
      debug);

  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
}

GST_START_TEST (test_reqbufs_error)
{
  guint fds_before;
  Capture c;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  fds_before = count_fds ();
  set_vivid_control ("Inject VIDIOC_REQBUFS Error", 1);
  gst_harness_play (c.h);
  expect_error (&c, GST_RESOURCE_ERROR_NO_SPACE_LEFT, "VIDIOC_REQBUFS failed");

  capture_stop (&c);
  fail_unless_equals_int (count_fds (), fds_before);
  capture_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_streamon_error)
{
  guint fds_before;
  Capture c;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  fds_before = count_fds ();
  set_vivid_control ("Inject VIDIOC_STREAMON Error", 1);
  gst_harness_play (c.h);
  expect_error (&c, GST_RESOURCE_ERROR_READ, "VIDIOC_STREAMON failed");

  capture_stop (&c);
  fail_unless_equals_int (count_fds (), fds_before);
  capture_clear (&c);
}

GST_END_TEST;

/* The queue fails mid-stream (vb2_queue_error: POLLERR, DQBUF gives EIO),
 * as a device that goes away does. */
GST_START_TEST (test_fatal_error_midstream)
{
  guint fds_before;
  Capture c;
  guint i;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  fds_before = count_fds ();
  gst_harness_play (c.h);
  for (i = 0; i < 5; i++)
    gst_buffer_unref (capture_pull (&c));
  set_vivid_control ("Inject Fatal Streaming Error", 1);
  expect_error (&c, GST_RESOURCE_ERROR_READ, "VIDIOC_DQBUF failed");

  capture_stop (&c);
  fail_unless_equals_int (count_fds (), fds_before);
  capture_clear (&c);
}

GST_END_TEST;

/* Pulls @n buffers; every gap in the sequence must come with DISCONT and
 * DISCONT only with a gap. @last: the offset of the buffer before, carried
 * from call to call (GST_BUFFER_OFFSET_NONE at first). Returns: the number
 * of gaps. */
static guint
count_gaps (Capture * c, guint n, guint64 * last)
{
  guint i, gaps = 0;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = capture_pull (c);
    guint64 offset = GST_BUFFER_OFFSET (buf);
    gboolean gap = *last != GST_BUFFER_OFFSET_NONE && offset != *last + 1;

    if (*last != GST_BUFFER_OFFSET_NONE)
      fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (buf,
              GST_BUFFER_FLAG_DISCONT), gap);
    gaps += gap;
    *last = offset;
    gst_buffer_unref (buf);
  }
  return gaps;
}

/* A frame the driver flags V4L2_BUF_FLAG_ERROR never goes downstream: its
 * sequence number is missing. */
GST_START_TEST (test_error_frame_dropped)
{
  guint64 last = GST_BUFFER_OFFSET_NONE;
  Capture c;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  gst_harness_play (c.h);
  /* Gaps before the injection are possible too (a guest starved of CPU
   * misses frames): they only have to carry DISCONT. */
  count_gaps (&c, 5, &last);
  set_vivid_control ("Inject V4L2_BUF_FLAG_ERROR", 1);
  fail_unless (count_gaps (&c, 15, &last) >= 1,
      "the bad frame went downstream");

  capture_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_dropped_frames_discont)
{
  guint64 last = GST_BUFFER_OFFSET_NONE;
  Capture c;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  gst_harness_play (c.h);
  set_vivid_control ("Percentage of Dropped Buffers", 50);
  fail_unless (count_gaps (&c, 20, &last) >= 1);
  set_vivid_control ("Percentage of Dropped Buffers", 0);

  capture_clear (&c);
}

GST_END_TEST;

/* A driver that keeps its buffers and delivers nothing: after 5 s the
 * element says so. */
GST_START_TEST (test_device_stalls)
{
  Capture c;
  guint i;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  gst_harness_play (c.h);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (capture_pull (&c));
  set_vivid_control ("Percentage of Dropped Buffers", 100);
  expect_error (&c, GST_RESOURCE_ERROR_READ, "no frame from the driver");
  set_vivid_control ("Percentage of Dropped Buffers", 0);

  capture_clear (&c);
}

GST_END_TEST;

/* A state change interrupts a create() waiting for a frame at once
 * (unlock), instead of after the 5 s timeout, and is no error. */
GST_START_TEST (test_unlock_while_waiting)
{
  gint64 start;
  Capture c;
  guint i;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  gst_harness_play (c.h);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (capture_pull (&c));
  set_vivid_control ("Percentage of Dropped Buffers", 100);
  g_usleep (500 * G_TIME_SPAN_MILLISECOND);

  start = g_get_monotonic_time ();
  capture_stop (&c);
  fail_unless (g_get_monotonic_time () - start < 3 * G_TIME_SPAN_SECOND,
      "NULL took %" G_GINT64_FORMAT " us", g_get_monotonic_time () - start);
  fail_unless (gst_bus_pop_filtered (c.bus, GST_MESSAGE_ERROR) == NULL);
  set_vivid_control ("Percentage of Dropped Buffers", 0);

  capture_clear (&c);
}

GST_END_TEST;

/* Downstream holding every buffer for longer than the frame timeout is
 * not a stalled device: capture goes on once it lets go. */
GST_START_TEST (test_starved_no_timeout)
{
  Capture c;
  guint i;

  capture_init (&c, "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480");
  gst_harness_play (c.h);
  /* the harness queues what it receives: after a while it holds all */
  g_usleep (7 * G_TIME_SPAN_SECOND);
  fail_unless (gst_bus_pop_filtered (c.bus, GST_MESSAGE_ERROR) == NULL,
      "a starved pool reported an error");
  for (i = 0; i < IO_BUFFERS + 10; i++)
    gst_buffer_unref (capture_pull (&c));

  capture_clear (&c);
}

GST_END_TEST;

/* Import: the driver writes into downstream's dma-bufs */

/* vivid's default picture is 75% colour bars, left to right white,
 * yellow, cyan, green, magenta, red, blue, black (kernel v4l2-tpg); text
 * covers about 160 lines at the top, so the bars are checked at mid height
 * of frames at least 480 lines high. */
static const gboolean bar_lit[8][3] = {
  {TRUE, TRUE, TRUE}, {TRUE, TRUE, FALSE}, {FALSE, TRUE, TRUE},
  {FALSE, TRUE, FALSE}, {TRUE, FALSE, TRUE}, {TRUE, FALSE, FALSE},
  {FALSE, FALSE, TRUE}, {FALSE, FALSE, FALSE},
};

/* A lit channel is 191; through limited-range YUV it moves by a few. */
#define LIT_MIN 150
#define LIT_MAX 230
#define DARK_MAX 50

/* The frame's row at mid height as RGB, read through its GstVideoMeta
 * (SYNC READ-bracketed by the library's allocators). */
static guint8 *
middle_row_rgb (GstBuffer * buf, GstCaps * caps, gint * width)
{
  GstVideoInfo info, rgb_info;
  GstVideoFrame in, out;
  GstVideoConverter *conv;
  GstBuffer *rgb;
  guint8 *row;

  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_video_info_set_format (&rgb_info, GST_VIDEO_FORMAT_RGB, info.width,
      info.height);
  rgb_info.fps_n = info.fps_n;
  rgb_info.fps_d = info.fps_d;
  rgb = gst_buffer_new_allocate (NULL, rgb_info.size, NULL);
  fail_unless (gst_video_frame_map (&in, &info, buf, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&out, &rgb_info, rgb, GST_MAP_WRITE));
  conv = gst_video_converter_new (&info, &rgb_info, NULL);
  gst_video_converter_frame (conv, &in, &out);
  gst_video_converter_free (conv);
  row = g_memdup2 ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&out, 0) +
      info.height / 2 * GST_VIDEO_FRAME_PLANE_STRIDE (&out, 0), info.width * 3);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_buffer_unref (rgb);
  *width = info.width;
  return row;
}

/* The frame shows vivid's eight bars: content the driver wrote into the
 * dma-buf, not zeros or a stale picture of another size. */
static void
check_bars (GstBuffer * buf, GstCaps * caps)
{
  gint width, bar, c;
  guint8 *row = middle_row_rgb (buf, caps, &width);

  for (bar = 0; bar < 8; bar++) {
    const guint8 *px = row + (2 * bar + 1) * width / 16 * 3;

    for (c = 0; c < 3; c++) {
      if (bar_lit[bar][c])
        fail_unless (px[c] >= LIT_MIN && px[c] <= LIT_MAX, "bar %d is "
            "%u,%u,%u", bar, px[0], px[1], px[2]);
      else
        fail_unless (px[c] <= DARK_MAX, "bar %d is %u,%u,%u", bar, px[0],
            px[1], px[2]);
    }
  }
  g_free (row);
}

/* The exporter the kernel names in the dma-buf's fdinfo. */
static gchar *
exporter_of (GstBuffer * buf)
{
  gint fd = gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (buf, 0));
  gchar *path = g_strdup_printf ("/proc/self/fdinfo/%d", fd);
  gchar *info = NULL, *name, *end;

  fail_unless (g_file_get_contents (path, &info, NULL, NULL));
  name = strstr (info, "exp_name:");
  fail_unless (name != NULL, "fd %d is not a dma-buf", fd);
  name += strlen ("exp_name:");
  while (*name == ' ' || *name == '\t')
    name++;
  end = strchr (name, '\n');
  name = g_strndup (name, end ? end - name : (gssize) strlen (name));
  g_free (info);
  g_free (path);
  return name;
}

/* An allocator of @backend; drm on vgem, the render-only exporter. */
static GstAllocator *
backend_allocator (GstZcBackend backend)
{
  gchar *device =
      backend == GST_ZC_BACKEND_DRM ? zc_test_find_drm_card ("vgem") : NULL;
  GError *err = NULL;
  GstAllocator *allocator;

  fail_unless (backend != GST_ZC_BACKEND_DRM || device != NULL, "no vgem");
  allocator = gst_zc_dmabuf_allocator_new (backend, device, &err);
  fail_unless (allocator != NULL, "%s: %s",
      gst_zc_backend_get_nick (backend), err ? err->message : "");
  g_free (device);
  return allocator;
}

/* What a downstream element that owns dma-bufs offers: a pool for the
 * query's caps. */
typedef struct
{
  GstBufferPool *pool;
  GstAllocator *allocator;
  guint stride_align;           /* 0: the pool's default strides */
} Offer;

static GstPadProbeReturn
offer_pool (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  Offer *offer = user_data;
  GstStructure *config;
  GstCaps *caps = NULL;
  GstVideoInfo vinfo;

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  gst_query_parse_allocation (query, &caps, NULL);
  if (!caps || !gst_video_info_from_caps (&vinfo, caps))
    return GST_PAD_PROBE_OK;
  /* Asked again while in use (a reconfigure): offered as it is. */
  if (gst_buffer_pool_is_active (offer->pool)) {
    gst_query_add_allocation_pool (query, offer->pool, vinfo.size, 2, 0);
    return GST_PAD_PROBE_OK;
  }
  config = gst_buffer_pool_get_config (offer->pool);
  gst_buffer_pool_config_set_params (config, caps, vinfo.size, 2, 0);
  gst_buffer_pool_config_set_allocator (config, offer->allocator, NULL);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (offer->stride_align)
    gst_zc_buffer_pool_config_set_stride_align (config, offer->stride_align);
  fail_unless (gst_buffer_pool_set_config (offer->pool, config));
  gst_query_add_allocation_pool (query, offer->pool, vinfo.size, 2, 0);
  return GST_PAD_PROBE_OK;
}

/* A harness on zcv4l2src in @io_mode whose downstream offers a
 * GstZcBufferPool on @backend (none when @offer is NULL). */
static void
import_init (Capture * c, const gchar * io_mode, const gchar * caps,
    Offer * offer)
{
  GstPad *src;

  capture_init (c, caps);
  gst_util_set_object_arg (G_OBJECT (c->h->element), "io-mode", io_mode);
  if (!offer)
    return;
  src = gst_element_get_static_pad (c->h->element, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_PULL, offer_pool, offer, NULL);
  gst_object_unref (src);
}

static void
offer_init (Offer * offer, GstZcBackend backend, guint stride_align)
{
  offer->pool = gst_zc_buffer_pool_new ();
  offer->allocator = backend_allocator (backend);
  offer->stride_align = stride_align;
}

static void
offer_clear (Offer * offer)
{
  gst_object_unref (offer->pool);
  gst_object_unref (offer->allocator);
}

static guint64
inode_of (GstBuffer * buf)
{
  struct stat st;

  fail_unless (fstat (gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (buf,
                  0)), &st) == 0);
  return st.st_ino;
}

/* Pulls @n frames: each a buffer of @pool (when not NULL) with its
 * capture time, content checked on every fifth; returns how many distinct
 * dma-bufs came. */
static guint
pull_imported (Capture * c, GstBufferPool * pool, guint n)
{
  GHashTable *inodes = g_hash_table_new (g_int64_hash, g_int64_equal);
  GstClockTime last_capture = GST_CLOCK_TIME_NONE;
  GstCaps *caps = NULL;
  guint i, distinct;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = capture_pull (c);
    guint64 *inode = g_new (guint64, 1);

    /* Negotiated once the first frame has come. */
    if (!caps)
      caps = gst_pad_get_current_caps (c->h->sinkpad);
    if (pool)
      fail_unless (buf->pool == pool, "frame %u is not from the pool", i);
    fail_unless_equals_int (gst_buffer_n_memory (buf), 1);
    fail_unless (gst_is_dmabuf_memory (gst_buffer_peek_memory (buf, 0)));
    check_capture_time (buf, &last_capture);
    *inode = inode_of (buf);
    g_hash_table_add (inodes, inode);
    if (i % 5 == 4)
      check_bars (buf, caps);
    gst_buffer_unref (buf);
  }
  distinct = g_hash_table_size (inodes);
  g_hash_table_destroy (inodes);
  gst_caps_unref (caps);
  return distinct;
}

/* Downstream's pool on each exporter: the frames are its buffers, the
 * dma-bufs its exporter's, recycled, and they show vivid's picture. */
static void
import_from (GstZcBackend backend, const gchar * exporter, const gchar * format)
{
  gchar *caps = g_strdup_printf ("video/x-raw(memory:DMABuf),format=%s,"
      "width=640,height=480", format);
  GstBuffer *buf;
  gchar *name;
  guint distinct;
  Offer offer;
  Capture c;

  offer_init (&offer, backend, 0);
  import_init (&c, "dmabuf-import", caps, &offer);
  gst_harness_play (c.h);
  buf = capture_pull (&c);
  name = exporter_of (buf);
  fail_unless (strstr (name, exporter) != NULL, "%s frames from a %s dma-buf",
      gst_zc_backend_get_nick (backend), name);
  g_free (name);
  gst_buffer_unref (buf);
  distinct = pull_imported (&c, offer.pool, 30);
  /* io-buffers queued, a few more held by the harness at times. */
  fail_unless (distinct >= 2 && distinct <= IO_BUFFERS + 4, "%u dma-bufs",
      distinct);
  g_print ("import from %s (%s, %s): %u dma-bufs, vivid's bars\n",
      gst_zc_backend_get_nick (backend), exporter, format, distinct);
  capture_clear (&c);
  offer_clear (&offer);
  g_free (caps);
}

GST_START_TEST (test_import_dma_heap)
{
  import_from (GST_ZC_BACKEND_DMA_HEAP, "system", "YUY2");
}

GST_END_TEST;

GST_START_TEST (test_import_dma_heap_nv12)
{
  import_from (GST_ZC_BACKEND_DMA_HEAP, "system", "NV12");
}

GST_END_TEST;

/* vivid's queue (vb2-vmalloc) vmaps what it imports, and Linux 6.1's
 * udmabuf has no vmap (added in 6.2): the first VIDIOC_QBUF fails with
 * EFAULT. Forced import says so when it starts; auto exports instead. */
GST_START_TEST (test_import_udmabuf_refused)
{
  const gchar *caps = "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480";
  GstCaps *current;
  GstBuffer *buf;
  gchar *name;
  Offer offer;
  Capture c;

  offer_init (&offer, GST_ZC_BACKEND_UDMABUF, 0);
  import_init (&c, "dmabuf-import", caps, &offer);
  gst_harness_play (c.h);
  expect_error (&c, GST_RESOURCE_ERROR_NO_SPACE_LEFT, "VIDIOC_QBUF failed");
  capture_clear (&c);

  import_init (&c, "auto", caps, &offer);
  gst_harness_play (c.h);
  buf = capture_pull (&c);
  fail_unless (buf->pool != offer.pool);
  name = exporter_of (buf);
  fail_unless (strstr (name, "videobuf2") != NULL, "exported from %s", name);
  g_free (name);
  current = gst_pad_get_current_caps (c.h->sinkpad);
  check_bars (buf, current);
  gst_caps_unref (current);
  gst_buffer_unref (buf);
  capture_clear (&c);
  offer_clear (&offer);
}

GST_END_TEST;

GST_START_TEST (test_import_vgem)
{
  import_from (GST_ZC_BACKEND_DRM, "drm", "BGRx");
}

GST_END_TEST;

/* Nothing offered, import forced: a pool of the element's own, on the
 * library's allocator downstream lists (vgem here). */
GST_START_TEST (test_import_own_pool)
{
  GstAllocator *vgem = backend_allocator (GST_ZC_BACKEND_DRM);
  GstBuffer *buf;
  Capture c;

  import_init (&c, "dmabuf-import", "video/x-raw,format=YUY2,width=640,"
      "height=480", NULL);
  gst_harness_set_propose_allocator (c.h, gst_object_ref (vgem), NULL);
  gst_harness_play (c.h);
  buf = capture_pull (&c);
  fail_unless (GST_IS_ZC_BUFFER_POOL (buf->pool));
  fail_unless (gst_buffer_peek_memory (buf, 0)->allocator == vgem,
      "not the allocator downstream named");
  gst_buffer_unref (buf);
  fail_unless (pull_imported (&c, NULL, 20) >= 2);
  capture_clear (&c);
  gst_object_unref (vgem);
}

GST_END_TEST;

/* auto: downstream's dma-bufs when it offers a pool that fits; the
 * driver's own otherwise, and for a pool of memfds (not dma-bufs). */
GST_START_TEST (test_auto_mode)
{
  const gchar *caps = "video/x-raw(memory:DMABuf),format=YUY2,width=640,"
      "height=480";
  GstBuffer *buf;
  gchar *name;
  Offer offer;
  Capture c;

  offer_init (&offer, GST_ZC_BACKEND_DMA_HEAP, 0);
  import_init (&c, "auto", caps, &offer);
  gst_harness_play (c.h);
  fail_unless (pull_imported (&c, offer.pool, 10) >= 2);
  capture_clear (&c);
  offer_clear (&offer);

  import_init (&c, "auto", caps, NULL);
  gst_harness_play (c.h);
  buf = capture_pull (&c);
  name = exporter_of (buf);
  fail_unless (strstr (name, "videobuf2") != NULL, "exported from %s", name);
  g_free (name);
  gst_buffer_unref (buf);
  capture_clear (&c);

  offer_init (&offer, GST_ZC_BACKEND_MEMFD, 0);
  import_init (&c, "auto", caps, &offer);
  gst_harness_play (c.h);
  buf = capture_pull (&c);
  fail_unless (buf->pool != offer.pool, "imported from a memfd pool");
  name = exporter_of (buf);
  fail_unless (strstr (name, "videobuf2") != NULL, "exported from %s", name);
  g_free (name);
  gst_buffer_unref (buf);
  capture_clear (&c);
  offer_clear (&offer);
}

GST_END_TEST;

/* A pool whose stride is wider than the driver's bytesperline: the
 * driver is asked for that stride, and the frames are right in it. */
GST_START_TEST (test_import_wider_stride)
{
  GstBuffer *buf;
  GstVideoMeta *meta;
  Offer offer;
  Capture c;

  /* 1280 bytes a line, in buffers of 2048-byte lines. */
  offer_init (&offer, GST_ZC_BACKEND_DMA_HEAP, 2048);
  import_init (&c, "dmabuf-import", "video/x-raw(memory:DMABuf),format=YUY2,"
      "width=640,height=480", &offer);
  gst_harness_play (c.h);
  buf = capture_pull (&c);
  meta = gst_buffer_get_video_meta (buf);
  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->stride[0], 2048);
  fail_unless_equals_int (driver_bytesperline (), 2048);
  gst_buffer_unref (buf);
  fail_unless (pull_imported (&c, offer.pool, 10) >= 2);
  capture_clear (&c);
  offer_clear (&offer);
}

GST_END_TEST;

/* PLAYING, NULL again and again with imported buffers: no fd left, and
 * the harness may keep a frame across NULL. */
GST_START_TEST (test_import_restart_no_fd_leak)
{
  guint fds_before, round, i;
  Offer offer;
  Capture c;

  offer_init (&offer, GST_ZC_BACKEND_DRM, 0);
  import_init (&c, "dmabuf-import", "video/x-raw(memory:DMABuf),format=YUY2,"
      "width=640,height=480", &offer);
  for (round = 0; round < 3; round++) {
    gst_harness_play (c.h);
    for (i = 0; i < 8; i++)
      gst_buffer_unref (capture_pull (&c));
    capture_stop (&c);
    fail_if (device_is_open ());
    if (round == 0)
      fds_before = count_fds ();
    else
      fail_unless_equals_int (count_fds (), fds_before);
  }
  capture_clear (&c);
  offer_clear (&offer);
}

GST_END_TEST;

static GstPadProbeReturn
check_frame_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint *checked = user_data;
  GstCaps *caps;

  /* A few frames: reading a scanout buffer is slow under emulation. */
  if (*checked >= 3 || GST_BUFFER_OFFSET (buf) < 5)
    return GST_PAD_PROBE_OK;
  fail_unless (GST_IS_ZC_BUFFER_POOL (buf->pool), "not the sink's pool");
  caps = gst_pad_get_current_caps (pad);
  check_bars (buf, caps);
  gst_caps_unref (caps);
  g_atomic_int_inc (checked);
  return GST_PAD_PROBE_OK;
}

static guint64
sink_stat (GstElement * sink, const gchar * name)
{
  GstStructure *s = NULL;
  guint64 v = 0;

  g_object_get (sink, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, name, &v), "no %s", name);
  gst_structure_free (s);
  return v;
}

/* The display's own scanout buffers, captured into: zckmssink on
 * virtio-gpu (which imports no foreign dma-buf) shows every frame without
 * a copy, and the frames carry vivid's picture. */
GST_START_TEST (test_import_into_display)
{
  GstElement *pipeline, *src, *sink;
  gint checked = 0;
  gint64 deadline;
  GstPad *pad;
  gchar *desc;

  if (!gst_element_factory_find ("zckmssink")) {
    g_print ("no zckmssink built: import into a display not tested\n");
    return;
  }
  desc = g_strdup_printf ("zcv4l2src name=src device=%s io-mode=dmabuf-import "
      "! zckmssink name=sink driver-name=virtio_gpu", vivid_device);
  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, check_frame_probe,
      &checked, NULL);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  while (sink_stat (sink, "frames-shown") < 30 || g_atomic_int_get (&checked)
      < 3) {
    fail_unless (g_get_monotonic_time () < deadline, "%" G_GUINT64_FORMAT
        " frames shown", sink_stat (sink, "frames-shown"));
    g_usleep (50 * 1000);
  }
  fail_unless_equals_uint64 (sink_stat (sink, "copies"), 0);
  g_print ("vivid -> virtio-gpu scanout buffers: %" G_GUINT64_FORMAT
      " frames shown, %" G_GUINT64_FORMAT " imports, 0 copies\n",
      sink_stat (sink, "frames-shown"), sink_stat (sink, "imports"));

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (desc);
}

GST_END_TEST;

static Suite *
zcv4l2src_vm_suite (void)
{
  Suite *s = suite_create ("zcv4l2src-vm");
  TCase *tc = tcase_create ("vivid");

  suite_add_tcase (s, tc);
  /* the stall and starvation tests wait out the 5 s frame timeout */
  tcase_set_timeout (tc, 60);
  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_test (tc, test_capture_yuy2);
  tcase_add_test (tc, test_capture_nv12);
  tcase_add_test (tc, test_capture_bgrx);
  tcase_add_test (tc, test_capture_system_memory);
  tcase_add_test (tc, test_device_name);
  tcase_add_test (tc, test_fixate);
  tcase_add_test (tc, test_timestamps_other_clock);
  tcase_add_test (tc, test_latency);
  tcase_add_test (tc, test_restart_no_fd_leak);
  tcase_add_test (tc, test_buffer_outlives_element);
  tcase_add_test (tc, test_memory_replaced_downstream);
  tcase_add_test (tc, test_reqbufs_error);
  tcase_add_test (tc, test_streamon_error);
  tcase_add_test (tc, test_fatal_error_midstream);
  tcase_add_test (tc, test_error_frame_dropped);
  tcase_add_test (tc, test_dropped_frames_discont);
  tcase_add_test (tc, test_device_stalls);
  tcase_add_test (tc, test_unlock_while_waiting);
  tcase_add_test (tc, test_starved_no_timeout);
  tcase_add_test (tc, test_import_dma_heap);
  tcase_add_test (tc, test_import_dma_heap_nv12);
  tcase_add_test (tc, test_import_udmabuf_refused);
  tcase_add_test (tc, test_import_vgem);
  tcase_add_test (tc, test_import_own_pool);
  tcase_add_test (tc, test_auto_mode);
  tcase_add_test (tc, test_import_wider_stride);
  tcase_add_test (tc, test_import_restart_no_fd_leak);
  tcase_add_test (tc, test_import_into_display);

  return s;
}

GST_CHECK_MAIN (zcv4l2src_vm);
