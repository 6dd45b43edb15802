/* Unit tests for zcsnapshot: PNG and JPEG snapshots of passthrough video
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Frames of known content go through the element in a GstHarness; the
 * files are decoded back with libpng and libjpeg and compared with what
 * was pushed. Files are written by the element's worker thread: a test
 * knows one is complete when its element message is on the bus.
 * The host has no dma-buf exporter: dma-buf memory is imitated with memfds
 * (the library's memfd backend, its importer, upstream's
 * GstDmaBufAllocator). ioctl() is wrapped to record the SYNC brackets
 * before libc answers them (ENOTTY on a memfd).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/allocators/allocators.h>
#include <gst/zerocopy/zerocopy.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>

#include <stdio.h>

#include <glib/gstdio.h>
#include <jpeglib.h>
#include <png.h>

#include "zctestutils.h"

#define WIDTH 64
#define HEIGHT 48
#define STRIPE_WIDTH 16
/* GStreamer's 8-bit YUV->RGB path keeps its matrix in 1/64 steps (1.164
 * becomes 74/64): it is up to 5 off the exact BT.601 result. */
#define YUV_TOLERANCE 6
/* How long a test waits for the worker to write one file. */
#define WRITE_TIMEOUT (20 * GST_SECOND)

/* ---- the ioctl recorder ---- */

#define MAX_SYNCS 64

static struct
{
  guint n;
  gint fds[MAX_SYNCS];
  guint64 flags[MAX_SYNCS];
} syncs;

int ioctl (int fd, unsigned long request, ...);

int
ioctl (int fd, unsigned long request, ...)
{
  static int (*real_ioctl) (int, unsigned long, ...);
  va_list ap;
  void *arg;

  va_start (ap, request);
  arg = va_arg (ap, void *);
  va_end (ap);

  if (!real_ioctl)
    real_ioctl = dlsym (RTLD_NEXT, "ioctl");

  if (request == DMA_BUF_IOCTL_SYNC && syncs.n < MAX_SYNCS) {
    syncs.fds[syncs.n] = fd;
    syncs.flags[syncs.n] = ((struct dma_buf_sync *) arg)->flags;
    syncs.n++;
  }
  return real_ioctl (fd, request, arg);
}

/* ---- test content ---- */

/* Flat stripes of known YUV (BT.601, limited range), shifted by the frame
 * number so that two frames differ. */
static const guint8 stripes_yuv[4][3] = {
  {126, 128, 128},              /* grey */
  {100, 150, 100},
  {150, 100, 170},
  {60, 140, 110},
};

static const guint8 *
stripe_yuv (guint x, guint frame)
{
  return stripes_yuv[(x / STRIPE_WIDTH + frame) % 4];
}

static guint8
clamp_u8 (gdouble v)
{
  return (guint8) CLAMP (v + 0.5, 0, 255);
}

/* The RGB the BT.601 limited-range matrix gives for a stripe. */
static void
stripe_rgb (guint x, guint frame, guint8 rgb[3])
{
  const guint8 *yuv = stripe_yuv (x, frame);
  gdouble y = 1.164 * (yuv[0] - 16), u = yuv[1] - 128, v = yuv[2] - 128;

  rgb[0] = clamp_u8 (y + 1.596 * v);
  rgb[1] = clamp_u8 (y - 0.392 * u - 0.813 * v);
  rgb[2] = clamp_u8 (y + 2.017 * u);
}

/* An RGB gradient that differs from frame to frame, checked exactly. */
static void
pattern_rgb (guint x, guint y, guint frame, guint8 rgb[3])
{
  rgb[0] = x * 3 + frame;
  rgb[1] = y * 5;
  rgb[2] = 255 - x - y * 2;
}

static void
fill_rgb (GstVideoFrame * vf, guint frame)
{
  guint x, y;

  for (y = 0; y < HEIGHT; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (vf, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (vf, 0);
    for (x = 0; x < WIDTH; x++)
      pattern_rgb (x, y, frame, row + 3 * x);
  }
}

static guint8 *
plane_row (GstVideoFrame * vf, guint plane, guint y)
{
  return (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (vf, plane) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (vf, plane);
}

static void
fill_i420 (GstVideoFrame * vf, guint frame)
{
  guint x, y;

  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++)
      plane_row (vf, 0, y)[x] = stripe_yuv (x, frame)[0];
  for (y = 0; y < HEIGHT / 2; y++)
    for (x = 0; x < WIDTH / 2; x++) {
      plane_row (vf, 1, y)[x] = stripe_yuv (2 * x, frame)[1];
      plane_row (vf, 2, y)[x] = stripe_yuv (2 * x, frame)[2];
    }
}

static void
fill_nv12 (GstVideoFrame * vf, guint frame)
{
  guint x, y;

  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++)
      plane_row (vf, 0, y)[x] = stripe_yuv (x, frame)[0];
  for (y = 0; y < HEIGHT / 2; y++)
    for (x = 0; x < WIDTH; x += 2) {
      plane_row (vf, 1, y)[x] = stripe_yuv (x, frame)[1];
      plane_row (vf, 1, y)[x + 1] = stripe_yuv (x, frame)[2];
    }
}

static void
fill_yuy2 (GstVideoFrame * vf, guint frame)
{
  guint x, y;

  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x += 2) {
      const guint8 *yuv = stripe_yuv (x, frame);
      guint8 *p = plane_row (vf, 0, y) + 2 * x;

      p[0] = yuv[0];
      p[1] = yuv[1];
      p[2] = yuv[0];
      p[3] = yuv[2];
    }
}

static void
fill_frame (GstVideoFrame * vf, guint frame)
{
  switch (GST_VIDEO_FRAME_FORMAT (vf)) {
    case GST_VIDEO_FORMAT_RGB:
      fill_rgb (vf, frame);
      break;
    case GST_VIDEO_FORMAT_I420:
      fill_i420 (vf, frame);
      break;
    case GST_VIDEO_FORMAT_NV12:
      fill_nv12 (vf, frame);
      break;
    case GST_VIDEO_FORMAT_YUY2:
      fill_yuy2 (vf, frame);
      break;
    default:
      g_assert_not_reached ();
  }
}

/* ---- the environment ---- */

static gchar *tmpdir;
/* The bus of the harness's element: snapshot_harness() sets it. */
static GstBus *bus;

static void
setup (void)
{
  GError *err = NULL;

  tmpdir = g_dir_make_tmp ("zcsnapshot-XXXXXX", &err);
  fail_unless (tmpdir != NULL, "no temp dir: %s", err ? err->message : "");
  memset (&syncs, 0, sizeof (syncs));
}

static GPtrArray *
list_dir (const gchar * path)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir)))
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);
  return names;
}

static void
remove_tree (const gchar * path)
{
  GPtrArray *names = list_dir (path);
  guint i;

  for (i = 0; i < names->len; i++) {
    gchar *p = g_build_filename (path, g_ptr_array_index (names, i), NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      remove_tree (p);
    else
      g_unlink (p);
    g_free (p);
  }
  g_ptr_array_unref (names);
  g_rmdir (path);
}

static void
teardown (void)
{
  remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static guint
count_entries (const gchar * path)
{
  GPtrArray *names = list_dir (path);
  guint n = names->len;

  g_ptr_array_unref (names);
  return n;
}

static gchar *
snap_path (guint frame)
{
  gchar *name = g_strdup_printf ("snap-%05u.png", frame);
  gchar *path = g_build_filename (tmpdir, name, NULL);

  g_free (name);
  return path;
}

static gboolean
snap_exists (guint frame)
{
  gchar *path = snap_path (frame);
  gboolean exists = g_file_test (path, G_FILE_TEST_EXISTS);

  g_free (path);
  return exists;
}

static GstHarness *
snapshot_harness (const gchar * format, const gchar * features, guint interval)
{
  GstHarness *h = gst_harness_new ("zcsnapshot");
  gchar *location = g_build_filename (tmpdir, "snap-%05d.png", NULL);
  gchar *caps = g_strdup_printf ("video/x-raw%s%s%s, format=%s, width=%d, "
      "height=%d, framerate=30/1, colorimetry=bt601", features ? "(" : "",
      features ? features : "", features ? ")" : "", format, WIDTH, HEIGHT);

  /* Tests push faster than the worker writes: no drops but where the
   * drops are tested. */
  g_object_set (h->element, "location", location, "interval", interval,
      "max-pending", 64, NULL);
  gst_harness_set_src_caps_str (h, caps);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);

  g_free (caps);
  g_free (location);
  return h;
}

/* Stops the element (which waits for pending files) and frees it. */
static void
teardown_harness (GstHarness * h)
{
  gst_harness_teardown (h);
  gst_clear_object (&bus);
}

static void
fail_on_error (GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return;
  gst_message_parse_error (msg, &err, &debug);
  fail ("error: %s (%s)", err->message, GST_STR_NULL (debug));
}

/* Pops the next "zcsnapshot" element message, waiting for the worker;
 * fails on an error or a timeout. */
static GstMessage *
next_written (void)
{
  GstMessage *msg;

  for (;;) {
    msg = gst_bus_timed_pop_filtered (bus, WRITE_TIMEOUT,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "no snapshot written in time");
    fail_on_error (msg);
    if (gst_structure_has_name (gst_message_get_structure (msg), "zcsnapshot"))
      return msg;
    gst_message_unref (msg);
  }
}

/* Waits until @n more files are written. */
static void
wait_written (guint n)
{
  while (n-- > 0)
    gst_message_unref (next_written ());
}

static void
video_info_for (GstVideoInfo * info, GstVideoFormat format)
{
  gst_video_info_set_format (info, format, WIDTH, HEIGHT);
}

static void
fill_buffer (GstBuffer * buf, GstVideoFormat format, guint frame)
{
  GstVideoInfo info;
  GstVideoFrame vf;

  video_info_for (&info, format);
  fail_unless (gst_video_frame_map (&vf, &info, buf, GST_MAP_WRITE));
  fill_frame (&vf, frame);
  gst_video_frame_unmap (&vf);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (frame, GST_SECOND, 30);
}

/* A buffer of the pattern for @frame, from @allocator (NULL: system). */
static GstBuffer *
make_buffer (GstAllocator * allocator, GstVideoFormat format, guint frame)
{
  GstVideoInfo info;
  GstBuffer *buf;

  video_info_for (&info, format);
  buf = gst_buffer_new_allocate (allocator, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (buf != NULL);
  fill_buffer (buf, format, frame);
  return buf;
}

static gint
new_memfd (gsize size)
{
  gint fd = memfd_create ("zcsnapshot-test", MFD_CLOEXEC);

  fail_unless (fd >= 0, "memfd_create: %s", g_strerror (errno));
  fail_unless (ftruncate (fd, size) == 0);
  return fd;
}

/* A memfd wrapped by the library's importer, as if it were a dma-buf. */
static GstBuffer *
make_imported_buffer (GstVideoFormat format, guint frame, gint * fd_out)
{
  GstVideoInfo info;
  GstBuffer *buf = gst_buffer_new ();
  gint fd;

  video_info_for (&info, format);
  fd = new_memfd (GST_VIDEO_INFO_SIZE (&info));
  gst_buffer_append_memory (buf, gst_zc_dmabuf_allocator_import
      (gst_zc_dmabuf_allocator_get_importer (), fd,
          GST_VIDEO_INFO_SIZE (&info)));
  fill_buffer (buf, format, frame);
  *fd_out = fd;
  return buf;
}

/* ---- checking the files ---- */

static guint8 *
read_png (const gchar * path)
{
  png_image image;
  guint8 *pixels;

  memset (&image, 0, sizeof (image));
  image.version = PNG_IMAGE_VERSION;
  fail_unless (png_image_begin_read_from_file (&image, path),
      "%s: %s", path, image.message);
  /* The file's own format, before any conversion by the reader. */
  fail_unless_equals_int (image.format, PNG_FORMAT_RGB);
  fail_unless_equals_int (image.width, WIDTH);
  fail_unless_equals_int (image.height, HEIGHT);
  pixels = g_malloc (PNG_IMAGE_SIZE (image));
  fail_unless (png_image_finish_read (&image, NULL, pixels, 0, NULL),
      "%s: %s", path, image.message);
  return pixels;
}

static void
check_rgb_pixels (const guint8 * pixels, guint frame)
{
  guint x, y;

  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++) {
      const guint8 *p = pixels + (y * WIDTH + x) * 3;
      guint8 want[3];

      pattern_rgb (x, y, frame, want);
      fail_unless (memcmp (p, want, 3) == 0,
          "frame %u pixel %u,%u: %u,%u,%u instead of %u,%u,%u", frame, x, y,
          p[0], p[1], p[2], want[0], want[1], want[2]);
    }
}

/* The middle half of each stripe: chroma is flat there whatever the
 * upsampling filter. */
static void
check_yuv_pixels (const guint8 * pixels, guint frame)
{
  guint x, y, c;

  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++) {
      const guint8 *p = pixels + (y * WIDTH + x) * 3;
      guint8 want[3];

      if (x % STRIPE_WIDTH < 4 || x % STRIPE_WIDTH >= 12)
        continue;
      stripe_rgb (x, frame, want);
      for (c = 0; c < 3; c++)
        fail_unless (ABS (p[c] - want[c]) <= YUV_TOLERANCE,
            "frame %u pixel %u,%u: %u,%u,%u instead of %u,%u,%u", frame, x,
            y, p[0], p[1], p[2], want[0], want[1], want[2]);
    }
}

/* Checks that the file of frame @file_frame shows the pattern of frame
 * @pattern_frame. */
static void
check_snapshot_shows (GstVideoFormat format, guint file_frame,
    guint pattern_frame)
{
  gchar *path = snap_path (file_frame);
  guint8 *pixels = read_png (path);

  if (format == GST_VIDEO_FORMAT_RGB)
    check_rgb_pixels (pixels, pattern_frame);
  else
    check_yuv_pixels (pixels, pattern_frame);
  g_free (pixels);
  g_free (path);
}

static void
check_snapshot (GstVideoFormat format, guint frame)
{
  check_snapshot_shows (format, frame, frame);
}

/* Pushes @buf and checks that the very same buffer and memory came out. */
static void
push_and_check_passthrough (GstHarness * h, GstBuffer * buf)
{
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);
  GstBuffer *out;

  gst_buffer_ref (buf);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out == buf, "a different buffer came out");
  fail_unless (gst_buffer_peek_memory (out, 0) == mem);
  gst_buffer_unref (out);
  gst_buffer_unref (buf);
}

/* Pushes @n_frames frames from @allocator with interval @interval and
 * checks every file (written or not) and every pixel. */
static void
run_interval_test (GstAllocator * allocator, const gchar * format_name,
    guint interval, guint n_frames)
{
  GstVideoFormat format = gst_video_format_from_string (format_name);
  GstHarness *h = snapshot_harness (format_name, NULL, interval);
  guint i;

  for (i = 0; i < n_frames; i++)
    push_and_check_passthrough (h, make_buffer (allocator, format, i));
  wait_written ((n_frames + interval - 1) / interval);

  for (i = 0; i < n_frames; i++) {
    if (i % interval == 0)
      check_snapshot (format, i);
    else
      fail_if (snap_exists (i), "frame %u was written", i);
  }
  /* Nothing else was left behind, temporary files included. */
  fail_unless_equals_int (count_entries (tmpdir),
      (n_frames + interval - 1) / interval);

  teardown_harness (h);
}

/* ---- tests ---- */

GST_START_TEST (test_system_rgb)
{
  run_interval_test (NULL, "RGB", 2, 5);
}

GST_END_TEST;

GST_START_TEST (test_system_i420)
{
  run_interval_test (NULL, "I420", 1, 3);
}

GST_END_TEST;

GST_START_TEST (test_system_yuy2)
{
  run_interval_test (NULL, "YUY2", 2, 4);
}

GST_END_TEST;

/* Planes at the offsets and strides of a GstVideoMeta, not the caps'
 * default layout, with 0xff in the padding: the snapshot is only right if
 * the element maps the frame through the meta. */
GST_START_TEST (test_video_meta_layout)
{
  GstHarness *h = snapshot_harness ("I420", NULL, 1);
  gint stride[GST_VIDEO_MAX_PLANES] = { 96, 48, 48 };
  gsize offset[GST_VIDEO_MAX_PLANES], size;
  GstBuffer *buf;

  offset[0] = 32;
  offset[1] = offset[0] + stride[0] * HEIGHT + 16;
  offset[2] = offset[1] + stride[1] * HEIGHT / 2;
  size = offset[2] + stride[2] * HEIGHT / 2;
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_memset (buf, 0, 0xff, size);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT, 3, offset, stride);
  fill_buffer (buf, GST_VIDEO_FORMAT_I420, 1);

  push_and_check_passthrough (h, buf);
  wait_written (1);
  /* Exactly what was filled through the meta. */
  check_snapshot_shows (GST_VIDEO_FORMAT_I420, 0, 1);

  teardown_harness (h);
}

GST_END_TEST;

GST_START_TEST (test_memfd)
{
  GError *err = NULL;
  GstAllocator *allocator =
      gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_MEMFD, NULL, &err);

  fail_unless (allocator != NULL, "%s", err ? err->message : "");
  run_interval_test (allocator, "RGB", 2, 3);
  remove_tree (tmpdir);
  fail_unless (g_mkdir (tmpdir, 0700) == 0);
  run_interval_test (allocator, "NV12", 1, 2);
  gst_object_unref (allocator);
}

GST_END_TEST;

static guint
count_syncs (gint fd, guint64 flags)
{
  guint i, n = 0;

  for (i = 0; i < syncs.n; i++)
    if (syncs.fds[i] == fd && syncs.flags[i] == flags)
      n++;
  return n;
}

/* The importer's memory is a dma-buf as far as GStreamer knows: the CPU
 * read is bracketed with SYNC READ (which the memfd answers with ENOTTY),
 * once for the three planes of the dma-buf, and the snapshot is still
 * right. */
GST_START_TEST (test_imported_memfd)
{
  GstHarness *h = snapshot_harness ("I420", "memory:DMABuf", 1);
  GstBuffer *buf;
  gint fd;

  buf = make_imported_buffer (GST_VIDEO_FORMAT_I420, 0, &fd);
  syncs.n = 0;
  push_and_check_passthrough (h, buf);
  wait_written (1);

  check_snapshot (GST_VIDEO_FORMAT_I420, 0);
  fail_unless_equals_int (count_syncs (fd,
          DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), 1);
  fail_unless_equals_int (count_syncs (fd,
          DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ), 1);
  /* A snapshot only reads. */
  fail_unless_equals_int (count_syncs (fd,
          DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW), 0);
  fail_unless_equals_int (count_syncs (fd,
          DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE), 0);

  teardown_harness (h);
}

GST_END_TEST;

/* Upstream's GstDmaBufAllocator is foreign to the library: the element
 * reads through the library's CPU view, which brackets a dup of the fd. */
GST_START_TEST (test_foreign_dmabuf)
{
  GstHarness *h = snapshot_harness ("RGB", "memory:DMABuf", 1);
  GstAllocator *allocator = gst_dmabuf_allocator_new ();
  GstVideoInfo info;
  GstBuffer *buf;
  guint i, n_read_starts = 0;
  gint fd;

  video_info_for (&info, GST_VIDEO_FORMAT_RGB);
  fd = new_memfd (GST_VIDEO_INFO_SIZE (&info));
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (allocator, fd,
          GST_VIDEO_INFO_SIZE (&info)));
  fill_buffer (buf, GST_VIDEO_FORMAT_RGB, 0);
  syncs.n = 0;
  push_and_check_passthrough (h, buf);
  wait_written (1);

  check_snapshot (GST_VIDEO_FORMAT_RGB, 0);
  /* The library's bracket is on its own dup; upstream's map, whose SYNC is
   * not restarted on EINTR, was not used. */
  for (i = 0; i < syncs.n; i++) {
    fail_if (syncs.fds[i] == fd, "upstream's fd was synced directly");
    if (syncs.flags[i] == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ))
      n_read_starts++;
  }
  fail_unless_equals_int (n_read_starts, 1);

  gst_object_unref (allocator);
  teardown_harness (h);
}

GST_END_TEST;

GST_START_TEST (test_snapshot_signal)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 0);
  guint i;

  for (i = 0; i < 3; i++)
    push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, i));
  fail_unless_equals_int (count_entries (tmpdir), 0);

  /* Twice before a frame: still one file, for the next frame. */
  g_signal_emit_by_name (h->element, "snapshot");
  g_signal_emit_by_name (h->element, "snapshot");
  for (i = 3; i < 6; i++)
    push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, i));
  wait_written (1);

  /* Stopping waits for anything else that might be pending. */
  teardown_harness (h);
  fail_unless_equals_int (count_entries (tmpdir), 1);
  check_snapshot (GST_VIDEO_FORMAT_RGB, 3);
}

GST_END_TEST;

GST_START_TEST (test_element_message)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 2);
  const GstStructure *s;
  GstMessage *msg;
  gchar *path;
  guint64 frame, timestamp;
  gint width, height;
  guint i;

  for (i = 0; i < 3; i++)
    push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, i));

  /* Frames 0 and 2, in order, and nothing for frame 1. */
  for (i = 0; i <= 2; i += 2) {
    msg = next_written ();
    fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (h->element));
    s = gst_message_get_structure (msg);
    path = snap_path (i);
    fail_unless_equals_string (gst_structure_get_string (s, "location"), path);
    /* Announced once complete. */
    fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    g_free (path);
    fail_unless (gst_structure_get (s, "frame", G_TYPE_UINT64, &frame,
            "timestamp", G_TYPE_UINT64, &timestamp, "width", G_TYPE_INT,
            &width, "height", G_TYPE_INT, &height, NULL));
    fail_unless_equals_uint64 (frame, i);
    fail_unless_equals_uint64 (timestamp,
        gst_util_uint64_scale (i, GST_SECOND, 30));
    fail_unless_equals_int (width, WIDTH);
    fail_unless_equals_int (height, HEIGHT);
    gst_message_unref (msg);
  }
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);

  teardown_harness (h);
}

GST_END_TEST;

/* The worker's error, on the bus; the next frame then fails. */
static void
check_open_write_error (const gchar * location)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, WRITE_TIMEOUT,
      GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE), "wrong error: %s", err->message);
  fail_unless (strstr (err->message, location) != NULL, "%s", err->message);
  GST_INFO ("error: %s (%s)", err->message, debug);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
}

GST_START_TEST (test_unwritable_location)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 1);
  GstBuffer *buf;
  guint fds;

  g_object_set (h->element, "location", "/nonexistent-dir/snap-%d.png", NULL);
  buf = make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 0);
  fds = zc_test_count_fds ();
  /* The streaming thread only copies: the write fails later. */
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  check_open_write_error ("/nonexistent-dir/snap-0.png");
  fail_unless_equals_int (zc_test_count_fds (), fds);
  fail_unless_equals_int (gst_harness_push (h, make_buffer (NULL,
              GST_VIDEO_FORMAT_RGB, 1)), GST_FLOW_ERROR);

  teardown_harness (h);
}

GST_END_TEST;

static guint64
get_u64 (GstHarness * h, const gchar * name)
{
  guint64 value = G_MAXUINT64;

  g_object_get (h->element, name, &value, NULL);
  return value;
}

/* Pops the warnings on the bus, failing on an error; returns how many
 * were of @code in the resource domain (all must be). */
static guint
count_warnings (GstResourceError code)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING |
              GST_MESSAGE_ERROR))) {
    GError *err = NULL;

    fail_on_error (msg);
    gst_message_parse_warning (msg, &err, NULL);
    fail_unless (g_error_matches (err, GST_RESOURCE_ERROR, code),
        "unexpected warning: %s", err->message);
    g_error_free (err);
    gst_message_unref (msg);
    n++;
  }
  return n;
}

/* A dma-buf whose exporter refuses mmap (the kernel lets exporters leave
 * it out), played by an eventfd: readable, so the fence wait passes, but
 * mmap() fails with ENODEV. Every frame still goes on; the snapshots are
 * skipped and counted, the warning comes once, and a mappable frame after
 * them is written. */
GST_START_TEST (test_unmappable_dmabuf)
{
  GstHarness *h = snapshot_harness ("RGB", "memory:DMABuf", 1);
  GstAllocator *allocator = gst_dmabuf_allocator_new ();
  GstVideoInfo info;
  guint i;
  gint efd = eventfd (1, EFD_CLOEXEC);

  fail_unless (efd >= 0);
  fail_unless (mmap (NULL, 4096, PROT_READ, MAP_SHARED, efd, 0) == MAP_FAILED,
      "an eventfd can be mapped: the test needs another unmappable fd");
  video_info_for (&info, GST_VIDEO_FORMAT_RGB);
  for (i = 0; i < 3; i++) {
    GstBuffer *buf = gst_buffer_new ();

    gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (allocator,
            dup (efd), GST_VIDEO_INFO_SIZE (&info)));
    push_and_check_passthrough (h, buf);
  }
  fail_unless_equals_uint64 (get_u64 (h, "unmappable"), 3);
  fail_unless_equals_int (count_warnings (GST_RESOURCE_ERROR_READ), 1);
  fail_unless_equals_int (count_entries (tmpdir), 0);

  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 3));
  wait_written (1);
  check_snapshot (GST_VIDEO_FORMAT_RGB, 3);

  close (efd);
  gst_object_unref (allocator);
  teardown_harness (h);
}

GST_END_TEST;

/* drop-on-write-error: files that cannot be written are counted, one
 * warning is posted, every frame goes on and nothing is left behind. */
GST_START_TEST (test_write_errors_dropped)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 1);
  guint fds, i;

  g_object_set (h->element, "location", "/nonexistent-dir/snap-%d.png",
      "drop-on-write-error", TRUE, NULL);
  fds = zc_test_count_fds ();
  for (i = 0; i < 3; i++)
    push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB,
            i));
  /* EOS waits until every pending snapshot was tried. */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_uint64 (get_u64 (h, "write-errors"), 3);
  fail_unless_equals_int (count_warnings (GST_RESOURCE_ERROR_OPEN_WRITE), 1);
  fail_unless_equals_int (zc_test_count_fds (), fds);

  teardown_harness (h);
}

GST_END_TEST;

/* The image is encoded into a temporary file but cannot take its name (a
 * directory has it): the temporary file is removed and its fd closed. */
GST_START_TEST (test_rename_failure_cleans_up)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 1);
  gchar *blocker = snap_path (0);
  GstBuffer *buf;
  guint fds;

  fail_unless (g_mkdir (blocker, 0700) == 0);
  buf = make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 0);
  fds = zc_test_count_fds ();
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  check_open_write_error (blocker);
  fail_unless_equals_int (zc_test_count_fds (), fds);
  fail_unless_equals_int (count_entries (tmpdir), 1);
  fail_unless (g_file_test (blocker, G_FILE_TEST_IS_DIR));

  g_free (blocker);
  teardown_harness (h);
}

GST_END_TEST;

/* A pipe's read end never becomes readable while nothing is written: a
 * frame whose "device" never finishes is skipped after the timeout, with
 * a warning, and still goes on. */
GST_START_TEST (test_timeout_skips)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 1);
  GstAllocator *fd_allocator = gst_fd_allocator_new ();
  GstVideoInfo info;
  GstBuffer *buf;
  GstMessage *msg;
  GError *err = NULL;
  gint64 start, elapsed;
  gint fds[2];

  g_object_set (h->element, "timeout", 50 * GST_MSECOND, NULL);
  fail_unless (pipe2 (fds, O_CLOEXEC) == 0);
  video_info_for (&info, GST_VIDEO_FORMAT_RGB);
  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, gst_fd_allocator_alloc (fd_allocator,
          fds[0], GST_VIDEO_INFO_SIZE (&info), GST_FD_MEMORY_FLAG_DONT_CLOSE));

  start = g_get_monotonic_time ();
  push_and_check_passthrough (h, buf);
  elapsed = g_get_monotonic_time () - start;
  /* It waited for the fence (mapping a pipe would have failed at once),
   * and no longer than asked. */
  fail_unless (elapsed >= 50 * 1000, "did not wait: %" G_GINT64_FORMAT
      " us", elapsed);
  fail_unless (elapsed < G_USEC_PER_SEC / 2, "waited %" G_GINT64_FORMAT
      " us", elapsed);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for the skipped snapshot");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ));
  fail_unless (strstr (err->message, "not ready") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  /* The next frame, from system memory, is the only one written. */
  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 1));
  wait_written (1);
  check_snapshot (GST_VIDEO_FORMAT_RGB, 1);
  fail_unless_equals_int (count_entries (tmpdir), 1);

  close (fds[0]);
  close (fds[1]);
  gst_object_unref (fd_allocator);
  teardown_harness (h);
}

GST_END_TEST;

static gchar *
get_location (GstElement * element)
{
  gchar *location;

  g_object_get (element, "location", &location, NULL);
  return location;
}

static void
check_rejected (GstElement * element, const gchar * pattern)
{
  gchar *location;

  ASSERT_WARNING (g_object_set (element, "location", pattern, NULL));
  location = get_location (element);
  fail_unless_equals_string (location, "kept-%03u.png");
  g_free (location);
}

GST_START_TEST (test_location_patterns)
{
  static const gchar *bad[] = {
    "snap-%s.png", "snap-%n.png", "snap-%d-%d.png", "snap-%*d.png",
    "snap-%1$d.png", "snap-%999d.png", "snap-%.100d.png", "snap-%f.png",
    "snap-%lllld.png", "snap-%", "snap-%p.png", "",
  };
  GstElement *element = gst_check_setup_element ("zcsnapshot");
  gchar *location;
  guint i;

  location = get_location (element);
  fail_unless_equals_string (location, "snapshot-%05d.png");
  g_free (location);

  g_object_set (element, "location", "kept-%03u.png", NULL);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    check_rejected (element, bad[i]);
  ASSERT_WARNING (g_object_set (element, "location", NULL, NULL));

  gst_check_teardown_element (element);
}

GST_END_TEST;

/* Accepted patterns give the file names printf would. */
GST_START_TEST (test_location_formatting)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 1);
  static const struct
  {
    const gchar *pattern;
    const gchar *name;
  } cases[] = {
    {"a%%b-%03u.png", "a%b-000.png"},
    {"x%lx-%%.png", "x1-%.png"},
    {"fixed.png", "fixed.png"},
    {"n%-4d.png", "n3   .png"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *location = g_build_filename (tmpdir, cases[i].pattern, NULL);
    gchar *path = g_build_filename (tmpdir, cases[i].name, NULL);

    g_object_set (h->element, "location", location, NULL);
    push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, i));
    wait_written (1);
    fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR), "%s missing",
        path);
    g_free (path);
    g_free (location);
  }
  /* "fixed.png" was written once; the others once each. */
  fail_unless_equals_int (count_entries (tmpdir), G_N_ELEMENTS (cases));

  teardown_harness (h);
}

GST_END_TEST;

/* ---- JPEG and the file format ---- */

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* The first bytes of @path: which format it really is. */
static gboolean
file_starts_with (const gchar * path, const gchar * magic, gsize len)
{
  gchar *data = NULL;
  gsize size = 0;
  gboolean ok;

  fail_unless (g_file_get_contents (path, &data, &size, NULL), "%s", path);
  ok = size >= len && memcmp (data, magic, len) == 0;
  g_free (data);
  return ok;
}

#define PNG_MAGIC "\x89PNG\r\n\x1a\n"
#define JPEG_MAGIC "\xff\xd8\xff"

static guint8 *
read_jpeg (const gchar * path)
{
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr jerr;
  FILE *file = fopen (path, "rb");
  guint8 *pixels;

  fail_unless (file != NULL, "%s: %s", path, g_strerror (errno));
  /* libjpeg's default error handler exits: the test fails with it. */
  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_decompress (&cinfo);
  jpeg_stdio_src (&cinfo, file);
  fail_unless_equals_int (jpeg_read_header (&cinfo, TRUE), JPEG_HEADER_OK);
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress (&cinfo);
  fail_unless_equals_int (cinfo.output_width, WIDTH);
  fail_unless_equals_int (cinfo.output_height, HEIGHT);
  fail_unless_equals_int (cinfo.output_components, 3);
  pixels = g_malloc (WIDTH * HEIGHT * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels + cinfo.output_scanline * WIDTH * 3;
    jpeg_read_scanlines (&cinfo, &row, 1);
  }
  jpeg_finish_decompress (&cinfo);
  jpeg_destroy_decompress (&cinfo);
  fclose (file);
  return pixels;
}

/* PSNR >= 35 dB against the pattern: MSE <= 255^2 / 10^3.5. */
#define MAX_JPEG_MSE (255.0 * 255.0 / 3162.2777)

static gdouble
pattern_mse (const guint8 * pixels, guint frame)
{
  gdouble sum = 0;
  guint x, y, c;

  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++) {
      guint8 want[3];

      pattern_rgb (x, y, frame, want);
      for (c = 0; c < 3; c++) {
        gdouble d = pixels[(y * WIDTH + x) * 3 + c] - want[c];
        sum += d * d;
      }
    }
  return sum / (WIDTH * HEIGHT * 3);
}

/* .jpg: a JPEG within 35 dB PSNR of the frame, at the default quality
 * and at the lowest, which must be worse. */
GST_START_TEST (test_jpeg_roundtrip)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 1);
  gchar *location = tmp_path ("snap-%02d.jpg");
  gchar *path;
  guint8 *pixels;
  gdouble mse, low_mse;

  g_object_set (h->element, "location", location, NULL);
  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 2));
  g_object_set (h->element, "quality", 1, NULL);
  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 2));
  wait_written (2);

  path = tmp_path ("snap-00.jpg");
  fail_unless (file_starts_with (path, JPEG_MAGIC, 3));
  pixels = read_jpeg (path);
  mse = pattern_mse (pixels, 2);
  GST_INFO ("quality 85: MSE %.2f", mse);
  fail_unless (mse <= MAX_JPEG_MSE, "MSE %.2f: PSNR below 35 dB", mse);
  g_free (pixels);
  g_free (path);

  path = tmp_path ("snap-01.jpg");
  pixels = read_jpeg (path);
  low_mse = pattern_mse (pixels, 2);
  fail_unless (low_mse > mse, "quality 1 (MSE %.2f) not worse than 85 "
      "(MSE %.2f)", low_mse, mse);
  g_free (pixels);
  g_free (path);

  g_free (location);
  teardown_harness (h);
}

GST_END_TEST;

/* auto follows the extension, in any case; png and jpeg override it. */
GST_START_TEST (test_format_property)
{
  static const struct
  {
    const gchar *format;
    const gchar *name;
    gboolean jpeg;
  } cases[] = {
    {"auto", "a.JPEG", TRUE},
    {"auto", "b.Jpg", TRUE},
    {"auto", "c.png", FALSE},
    {"auto", "d.img", FALSE},
    {"jpeg", "e.png", TRUE},
    {"png", "f.jpg", FALSE},
  };
  GstHarness *h = snapshot_harness ("RGB", NULL, 1);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *path = tmp_path (cases[i].name);

    gst_util_set_object_arg (G_OBJECT (h->element), "format", cases[i].format);
    g_object_set (h->element, "location", path, NULL);
    push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, i));
    wait_written (1);
    if (cases[i].jpeg)
      fail_unless (file_starts_with (path, JPEG_MAGIC, 3), "%s", path);
    else
      fail_unless (file_starts_with (path, PNG_MAGIC, 8), "%s", path);
    g_free (path);
  }
  teardown_harness (h);
}

GST_END_TEST;

/* ---- triggers ---- */

static GstEvent *
snapshot_event (GstEventType type, const gchar * name)
{
  return gst_event_new_custom (type, gst_structure_new_empty (name));
}

/* Whether the harness received a custom event named @name (upstream:
 * at its src pad). */
static gboolean
harness_got_event (GstHarness * h, gboolean upstream, const gchar * name)
{
  GstEvent *event;
  gboolean found = FALSE;

  while ((event = upstream ? gst_harness_try_pull_upstream_event (h) :
          gst_harness_try_pull_event (h))) {
    found |= gst_event_has_name (event, name);
    gst_event_unref (event);
  }
  return found;
}

/* The application's way: a custom upstream event reaching the element's
 * src pad asks for the next frame, and goes no further. */
GST_START_TEST (test_upstream_event)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 0);

  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 0));
  fail_unless (gst_harness_push_upstream_event (h,
          snapshot_event (GST_EVENT_CUSTOM_UPSTREAM, "zc-snapshot")));
  fail_unless (gst_harness_push_upstream_event (h,
          snapshot_event (GST_EVENT_CUSTOM_UPSTREAM, "something-else")));
  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 1));
  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 2));
  wait_written (1);

  fail_if (harness_got_event (h, TRUE, "zc-snapshot"),
      "the request went on upstream");
  teardown_harness (h);
  fail_unless_equals_int (count_entries (tmpdir), 1);
  check_snapshot (GST_VIDEO_FORMAT_RGB, 1);
}

GST_END_TEST;

/* A serialized downstream request: the frame after it, and the event
 * goes on. */
GST_START_TEST (test_downstream_event)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 0);

  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 0));
  fail_unless (gst_harness_push_event (h,
          snapshot_event (GST_EVENT_CUSTOM_DOWNSTREAM, "zc-snapshot")));
  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 1));
  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 2));
  wait_written (1);

  fail_unless (harness_got_event (h, FALSE, "zc-snapshot"),
      "the request was not passed on");
  teardown_harness (h);
  fail_unless_equals_int (count_entries (tmpdir), 1);
  check_snapshot (GST_VIDEO_FORMAT_RGB, 1);
}

GST_END_TEST;

/* ---- the worker ---- */

#define BIG_WIDTH 1920
#define BIG_HEIGHT 1080

/* 1080p RGB noise: slow to compress, so each PNG takes a while. */
static GstBuffer *
make_big_buffer (guint frame)
{
  gsize size = BIG_WIDTH * BIG_HEIGHT * 3, i;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  guint32 state = 0x9e3779b9u * (frame + 1);
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i < size; i++) {
    state = state * 1664525u + 1013904223u;
    map.data[i] = state >> 24;
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (frame, GST_SECOND, 30);
  return buf;
}

static GstHarness *
big_harness (guint max_pending)
{
  GstHarness *h = gst_harness_new ("zcsnapshot");
  gchar *location = tmp_path ("big-%02d.png");
  gchar *caps = g_strdup_printf ("video/x-raw, format=RGB, width=%d, "
      "height=%d, framerate=30/1", BIG_WIDTH, BIG_HEIGHT);

  g_object_set (h->element, "location", location, "interval", 1,
      "max-pending", max_pending, NULL);
  gst_harness_set_src_caps_str (h, caps);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  g_free (caps);
  g_free (location);
  return h;
}

/* What is on the bus now, without waiting: files written, and warnings
 * about dropped snapshots (when @busy is not NULL). Fails on errors. */
static guint
count_written (guint * busy)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop (bus))) {
    fail_on_error (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT)
      n += gst_structure_has_name (gst_message_get_structure (msg),
          "zcsnapshot");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING && busy) {
      GError *err = NULL;

      gst_message_parse_warning (msg, &err, NULL);
      *busy += g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_BUSY);
      g_error_free (err);
    }
    gst_message_unref (msg);
  }
  return n;
}

/* The streaming thread hands the copy over and goes on: when the push
 * returns, the 1080p PNG is not written yet; it is later. */
GST_START_TEST (test_streaming_does_not_wait)
{
  GstHarness *h = big_harness (2);
  gchar *path = tmp_path ("big-00.png");

  push_and_check_passthrough (h, make_big_buffer (0));
  fail_unless_equals_int (count_written (NULL), 0);
  fail_if (g_file_test (path, G_FILE_TEST_EXISTS),
      "the file was written before the frame went on");
  wait_written (1);
  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  g_free (path);
  teardown_harness (h);
}

GST_END_TEST;

/* max-pending=1 and a burst of 1080p frames, each due: the first is
 * written, frames due while it is being encoded are dropped unread,
 * counted and warned about; none is lost without a trace. */
GST_START_TEST (test_max_pending_drops)
{
  GstHarness *h = big_harness (1);
  guint64 dropped = 0;
  guint i, written, warnings = 0;

  for (i = 0; i < 6; i++)
    push_and_check_passthrough (h, make_big_buffer (i));
  /* EOS waits for the writes. */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  written = count_written (&warnings);
  g_object_get (h->element, "dropped", &dropped, NULL);

  GST_INFO ("%u written, %" G_GUINT64_FORMAT " dropped", written, dropped);
  fail_unless (written >= 1);
  fail_unless (dropped >= 1, "nothing was dropped");
  fail_unless_equals_uint64 (written + dropped, 6);
  fail_unless_equals_uint64 (warnings, dropped);
  fail_unless_equals_int (count_entries (tmpdir), written);
  teardown_harness (h);
}

GST_END_TEST;

/* EOS goes on only once every pending file is written. */
GST_START_TEST (test_eos_waits)
{
  GstHarness *h = big_harness (3);
  guint i;

  for (i = 0; i < 3; i++)
    push_and_check_passthrough (h, make_big_buffer (i));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  /* Already there, not waited for. */
  fail_unless_equals_int (count_written (NULL), 3);
  fail_unless_equals_int (count_entries (tmpdir), 3);
  teardown_harness (h);
}

GST_END_TEST;

/* Stopping writes what is pending rather than dropping it. */
GST_START_TEST (test_stop_waits)
{
  GstHarness *h = big_harness (2);
  guint i;

  for (i = 0; i < 2; i++)
    push_and_check_passthrough (h, make_big_buffer (i));
  fail_unless_equals_int (gst_element_set_state (h->element,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (count_written (NULL), 2);
  fail_unless_equals_int (count_entries (tmpdir), 2);
  teardown_harness (h);
}

GST_END_TEST;

static Suite *
zcsnapshot_suite (void)
{
  Suite *s = suite_create ("zcsnapshot");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_system_rgb);
  tcase_add_test (tc, test_system_i420);
  tcase_add_test (tc, test_system_yuy2);
  tcase_add_test (tc, test_video_meta_layout);
  tcase_add_test (tc, test_memfd);
  tcase_add_test (tc, test_imported_memfd);
  tcase_add_test (tc, test_foreign_dmabuf);
  tcase_add_test (tc, test_snapshot_signal);
  tcase_add_test (tc, test_element_message);
  tcase_add_test (tc, test_unwritable_location);
  tcase_add_test (tc, test_write_errors_dropped);
  tcase_add_test (tc, test_unmappable_dmabuf);
  tcase_add_test (tc, test_rename_failure_cleans_up);
  tcase_add_test (tc, test_timeout_skips);
  tcase_add_test (tc, test_location_patterns);
  tcase_add_test (tc, test_location_formatting);
  tcase_add_test (tc, test_jpeg_roundtrip);
  tcase_add_test (tc, test_format_property);
  tcase_add_test (tc, test_upstream_event);
  tcase_add_test (tc, test_downstream_event);
  tcase_add_test (tc, test_streaming_does_not_wait);
  tcase_add_test (tc, test_max_pending_drops);
  tcase_add_test (tc, test_eos_waits);
  tcase_add_test (tc, test_stop_waits);

  return s;
}

GST_CHECK_MAIN (zcsnapshot);
