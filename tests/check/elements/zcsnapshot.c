/* Unit tests for zcsnapshot: PNG snapshots of passthrough video
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Frames of known content go through the element in a GstHarness; the PNG
 * files are decoded back with libpng and compared with what was pushed.
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
#include <sys/mman.h>
#include <linux/dma-buf.h>

#include <glib/gstdio.h>
#include <png.h>

#define WIDTH 64
#define HEIGHT 48
#define STRIPE_WIDTH 16
/* GStreamer's 8-bit YUV->RGB path keeps its matrix in 1/64 steps (1.164
 * becomes 74/64): it is up to 5 off the exact BT.601 result. */
#define YUV_TOLERANCE 6

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

static guint
count_fds (void)
{
  return count_entries ("/proc/self/fd");
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

  g_object_set (h->element, "location", location, "interval", interval, NULL);
  gst_harness_set_src_caps_str (h, caps);

  g_free (caps);
  g_free (location);
  return h;
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

  for (i = 0; i < n_frames; i++) {
    if (i % interval == 0)
      check_snapshot (format, i);
    else
      fail_if (snap_exists (i), "frame %u was written", i);
  }
  /* Nothing else was left behind, temporary files included. */
  fail_unless_equals_int (count_entries (tmpdir),
      (n_frames + interval - 1) / interval);

  gst_harness_teardown (h);
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
  /* Exactly what was filled through the meta. */
  check_snapshot_shows (GST_VIDEO_FORMAT_I420, 0, 1);

  gst_harness_teardown (h);
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
 * and the snapshot is still right. */
GST_START_TEST (test_imported_memfd)
{
  GstHarness *h = snapshot_harness ("I420", "memory:DMABuf", 1);
  GstBuffer *buf;
  gint fd;

  buf = make_imported_buffer (GST_VIDEO_FORMAT_I420, 0, &fd);
  syncs.n = 0;
  push_and_check_passthrough (h, buf);

  check_snapshot (GST_VIDEO_FORMAT_I420, 0);
  fail_unless (count_syncs (fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) >= 1);
  fail_unless_equals_int (count_syncs (fd,
          DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), count_syncs (fd,
          DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
  /* A snapshot only reads. */
  fail_unless_equals_int (count_syncs (fd,
          DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW), 0);
  fail_unless_equals_int (count_syncs (fd,
          DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE), 0);

  gst_harness_teardown (h);
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

  check_snapshot (GST_VIDEO_FORMAT_RGB, 0);
  /* The library's bracket is on its own dup; upstream's map, whose SYNC is
   * not restarted on EINTR, was not used. */
  for (i = 0; i < syncs.n; i++) {
    fail_if (syncs.fds[i] == fd, "upstream's fd was synced directly");
    if (syncs.flags[i] == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ))
      n_read_starts++;
  }
  fail_unless (n_read_starts >= 1, "the CPU view did not bracket the read");

  gst_object_unref (allocator);
  gst_harness_teardown (h);
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

  fail_unless_equals_int (count_entries (tmpdir), 1);
  check_snapshot (GST_VIDEO_FORMAT_RGB, 3);

  gst_harness_teardown (h);
}

GST_END_TEST;

static GstBus *
harness_bus (GstHarness * h)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  return bus;
}

GST_START_TEST (test_element_message)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 2);
  GstBus *bus = harness_bus (h);
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
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
    fail_unless (msg != NULL, "no message for frame %u", i);
    fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (h->element));
    s = gst_message_get_structure (msg);
    fail_unless (gst_structure_has_name (s, "zcsnapshot"));
    path = snap_path (i);
    fail_unless_equals_string (gst_structure_get_string (s, "location"), path);
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

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
check_open_write_error (GstBus * bus, const gchar * location)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
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
  GstBus *bus = harness_bus (h);
  GstBuffer *buf;
  guint fds;

  g_object_set (h->element, "location", "/nonexistent-dir/snap-%d.png", NULL);
  buf = make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 0);
  fds = count_fds ();
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  fail_unless_equals_int (count_fds (), fds);
  check_open_write_error (bus, "/nonexistent-dir/snap-0.png");

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The image is encoded into a temporary file but cannot take its name (a
 * directory has it): the temporary file is removed and its fd closed. */
GST_START_TEST (test_rename_failure_cleans_up)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 1);
  GstBus *bus = harness_bus (h);
  gchar *blocker = snap_path (0);
  GstBuffer *buf;
  guint fds;

  fail_unless (g_mkdir (blocker, 0700) == 0);
  buf = make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 0);
  fds = count_fds ();
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  fail_unless_equals_int (count_fds (), fds);
  check_open_write_error (bus, blocker);
  fail_unless_equals_int (count_entries (tmpdir), 1);
  fail_unless (g_file_test (blocker, G_FILE_TEST_IS_DIR));

  g_free (blocker);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A pipe's read end never becomes readable while nothing is written: a
 * frame whose "device" never finishes is skipped after the timeout, with
 * a warning, and still goes on. */
GST_START_TEST (test_timeout_skips)
{
  GstHarness *h = snapshot_harness ("RGB", NULL, 1);
  GstBus *bus = harness_bus (h);
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
  fail_unless_equals_int (count_entries (tmpdir), 0);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for the skipped snapshot");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ));
  fail_unless (strstr (err->message, "not ready") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  /* The next frame, from system memory, is written. */
  push_and_check_passthrough (h, make_buffer (NULL, GST_VIDEO_FORMAT_RGB, 1));
  check_snapshot (GST_VIDEO_FORMAT_RGB, 1);

  close (fds[0]);
  close (fds[1]);
  gst_object_unref (fd_allocator);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
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
    fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR), "%s missing",
        path);
    g_free (path);
    g_free (location);
  }
  /* "fixed.png" was written once; the others once each. */
  fail_unless_equals_int (count_entries (tmpdir), G_N_ELEMENTS (cases));

  gst_harness_teardown (h);
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
  tcase_add_test (tc, test_rename_failure_cleans_up);
  tcase_add_test (tc, test_timeout_skips);
  tcase_add_test (tc, test_location_patterns);
  tcase_add_test (tc, test_location_formatting);

  return s;
}

GST_CHECK_MAIN (zcsnapshot);
