/* Test bed tests of zcupload ! zcsnapshot on every backend (real dma-bufs)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs as root inside tests/vm. For each backend the kernel offers,
 * chosen with GST_ZC_BACKEND, frames rendered here in system memory go
 * through `zcupload ! zcsnapshot interval=1` (the equivalent of
 * `videotestsrc ! zcupload ! zcsnapshot`: only the project's plugins are
 * loadable in this suite). ioctl() is wrapped to record every
 * DMA_BUF_IOCTL_SYNC (passed on to the kernel, whose answer is recorded
 * too): each upload must be exactly one WRITE bracket, each snapshot READ
 * brackets after it, all accepted by the kernel, all on the uploaded
 * dma-buf. The PNG files are decoded and compared with what was rendered.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gst/allocators/allocators.h>
#include <gst/zerocopy/zerocopy.h>

#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/dma-buf.h>

#include <glib/gstdio.h>
#include <png.h>

#define WIDTH 160
#define HEIGHT 120
#define N_FRAMES 3
#define N_BARS 8
/* RGB -> NV12 -> RGB moves a flat colour by a few steps at most. */
#define YUV_TOLERANCE 12

/* ---- the ioctl recorder ---- */

#define MAX_SYNCS 256

static struct
{
  guint n;
  gint fds[MAX_SYNCS];
  guint64 flags[MAX_SYNCS];
  gint ret[MAX_SYNCS];
} syncs;

int ioctl (int fd, unsigned long request, ...);

int
ioctl (int fd, unsigned long request, ...)
{
  static int (*real_ioctl) (int, unsigned long, ...);
  va_list ap;
  void *arg;
  int ret;

  va_start (ap, request);
  arg = va_arg (ap, void *);
  va_end (ap);

  if (!real_ioctl)
    real_ioctl = dlsym (RTLD_NEXT, "ioctl");
  ret = real_ioctl (fd, request, arg);

  if (request == DMA_BUF_IOCTL_SYNC && syncs.n < MAX_SYNCS) {
    syncs.fds[syncs.n] = fd;
    syncs.flags[syncs.n] = ((struct dma_buf_sync *) arg)->flags;
    syncs.ret[syncs.n] = ret;
    syncs.n++;
  }
  return ret;
}

static guint
count_syncs (guint64 flags)
{
  guint i, n = 0;

  for (i = 0; i < syncs.n; i++)
    if (syncs.flags[i] == flags)
      n++;
  return n;
}

/* ---- the picture: eight vertical bars ---- */

static const guint8 bar_rgb[N_BARS][3] = {
  {255, 255, 255}, {255, 255, 0}, {0, 255, 255}, {0, 255, 0},
  {255, 0, 255}, {255, 0, 0}, {0, 0, 255}, {16, 16, 16},
};

/* Bars moved by @frame so that frames differ. */
static const guint8 *
bar_at (guint x, guint frame)
{
  return bar_rgb[(x * N_BARS / WIDTH + frame) % N_BARS];
}

static void
render_bgrx (GstVideoFrame * vf, guint frame)
{
  guint x, y;

  for (y = 0; y < HEIGHT; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (vf, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (vf, 0);

    for (x = 0; x < WIDTH; x++) {
      const guint8 *rgb = bar_at (x, frame);

      row[4 * x] = rgb[2];
      row[4 * x + 1] = rgb[1];
      row[4 * x + 2] = rgb[0];
      row[4 * x + 3] = 0xff;
    }
  }
}

/* A frame of the bars in system memory, in @info's format (converted from
 * BGRx by the video library when it is not BGRx). */
static GstBuffer *
render (const GstVideoInfo * info, guint frame)
{
  GstVideoInfo bgrx_info;
  GstVideoFrame bgrx, out;
  GstVideoConverter *conv;
  GstBuffer *bgrx_buf, *buf;

  gst_video_info_set_format (&bgrx_info, GST_VIDEO_FORMAT_BGRx, WIDTH, HEIGHT);
  bgrx_buf = gst_buffer_new_allocate (NULL, bgrx_info.size, NULL);
  fail_unless (gst_video_frame_map (&bgrx, &bgrx_info, bgrx_buf,
          GST_MAP_WRITE));
  render_bgrx (&bgrx, frame);

  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  fail_unless (gst_video_frame_map (&out, info, buf, GST_MAP_WRITE));
  conv = gst_video_converter_new (&bgrx_info, (GstVideoInfo *) info, NULL);
  fail_unless (conv != NULL);
  gst_video_converter_frame (conv, &bgrx, &out);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&bgrx);
  gst_buffer_unref (bgrx_buf);

  GST_BUFFER_PTS (buf) = frame * 40 * GST_MSECOND;
  return buf;
}

/* ---- the environment ---- */

static gchar *tmpdir;

static void
setup (void)
{
  const gchar *share = g_getenv ("ZC_VM_SHARE");
  gchar *tmpl = g_build_filename (share ? share : g_get_tmp_dir (),
      "zcupload-XXXXXX", NULL);

  /* In the share, the images of a failed run come back to the host. */
  tmpdir = g_mkdtemp (tmpl);
  fail_unless (tmpdir != NULL, "no temp dir");
  memset (&syncs, 0, sizeof (syncs));
}

static void
teardown (void)
{
  zc_test_remove_dir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_unsetenv (GST_ZC_BACKEND_ENV);
}

/* The backends of GST_ZC_BACKEND this kernel offers, each with the
 * device node it needs (drm: the test bed always has vgem). */
static gboolean
backend_present (const gchar * nick)
{
  if (g_str_equal (nick, "dma-heap"))
    return g_file_test ("/dev/dma_heap/system", G_FILE_TEST_EXISTS);
  if (g_str_equal (nick, "udmabuf"))
    return g_file_test ("/dev/udmabuf", G_FILE_TEST_EXISTS);
  return TRUE;
}

/* ---- checks ---- */

static ino_t
inode_of_fd (gint fd)
{
  struct stat st;

  fail_unless (fstat (fd, &st) == 0);
  return st.st_ino;
}

static gboolean
is_dmabuf_fd (gint fd)
{
  gchar *link = g_strdup_printf ("/proc/self/fd/%d", fd);
  gchar *target = g_file_read_link (link, NULL);
  gboolean ret = target && strstr (target, "dmabuf") != NULL;

  g_free (target);
  g_free (link);
  return ret;
}

static void
check_output_memory (GstBuffer * out, GstZcBackend backend)
{
  GstMemory *mem = gst_buffer_peek_memory (out, 0);

  fail_unless_equals_int (gst_buffer_n_memory (out), 1);
  fail_unless (GST_IS_ZC_DMABUF_ALLOCATOR (mem->allocator) ||
      backend == GST_ZC_BACKEND_MEMFD);
  if (backend == GST_ZC_BACKEND_MEMFD) {
    fail_if (gst_is_dmabuf_memory (mem));
    return;
  }
  fail_unless (gst_is_dmabuf_memory (mem));
  fail_unless (is_dmabuf_fd (gst_dmabuf_memory_get_fd (mem)));
  fail_unless_equals_int (gst_zc_dmabuf_allocator_get_backend
      (GST_ZC_DMABUF_ALLOCATOR (mem->allocator)), backend);
}

/* One frame's SYNCs: the upload's WRITE bracket, closed before the
 * snapshot's READ brackets open, every one on @out's dma-buf and accepted
 * by the kernel. */
static void
check_frame_syncs (GstBuffer * out, guint n_planes, const gchar * what)
{
  ino_t ino = inode_of_fd (gst_fd_memory_get_fd (gst_buffer_peek_memory (out,
              0)));
  guint i, write_end = G_MAXUINT, first_read = G_MAXUINT;

  fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_START |
          DMA_BUF_SYNC_WRITE), 1);
  fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE),
      1);
  fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW),
      0);
  fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ),
      count_syncs (DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
  /* one READ bracket per snapshot; zcsnapshot maps a multi-plane frame
   * plane by plane, a bracket each */
  if (n_planes == 1) {
    fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_START |
            DMA_BUF_SYNC_READ), 1);
  } else {
    fail_unless (count_syncs (DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) >= 1);
  }

  for (i = 0; i < syncs.n; i++) {
    fail_unless_equals_int (syncs.ret[i], 0);
    fail_unless (inode_of_fd (syncs.fds[i]) == ino, "%s: SYNC on another "
        "buffer", what);
    if (syncs.flags[i] == (DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE))
      write_end = i;
    if ((syncs.flags[i] & DMA_BUF_SYNC_READ) && first_read == G_MAXUINT)
      first_read = i;
  }
  fail_unless (syncs.flags[0] == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE),
      "%s: the upload's bracket does not come first", what);
  fail_unless (write_end < first_read, "%s: read before the upload ended",
      what);
}

static guint8 *
read_png (const gchar * path)
{
  png_image image;
  guint8 *pixels;

  memset (&image, 0, sizeof (image));
  image.version = PNG_IMAGE_VERSION;
  fail_unless (png_image_begin_read_from_file (&image, path), "%s: %s", path,
      image.message);
  fail_unless_equals_int (image.format, PNG_FORMAT_RGB);
  fail_unless_equals_int (image.width, WIDTH);
  fail_unless_equals_int (image.height, HEIGHT);
  pixels = g_malloc (PNG_IMAGE_SIZE (image));
  fail_unless (png_image_finish_read (&image, NULL, pixels, 0, NULL),
      "%s: %s", path, image.message);
  return pixels;
}

/* The snapshot of @frame shows its bars: every pixel exactly for RGB
 * input, the middle of each bar within the tolerance after YUV. */
static void
check_png (guint frame, gboolean exact)
{
  gchar *name = g_strdup_printf ("up-%05u.png", frame);
  gchar *path = g_build_filename (tmpdir, name, NULL);
  guint8 *pixels = read_png (path);
  guint x, y, c;

  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++) {
      const guint8 *want = bar_at (x, frame);
      const guint8 *got = pixels + (y * WIDTH + x) * 3;
      guint in_bar = x % (WIDTH / N_BARS);

      if (!exact && (in_bar < 4 || in_bar >= WIDTH / N_BARS - 4))
        continue;
      for (c = 0; c < 3; c++)
        fail_unless (ABS (got[c] - want[c]) <= (exact ? 0 : YUV_TOLERANCE),
            "%s pixel %u,%u: %u,%u,%u instead of %u,%u,%u", path, x, y,
            got[0], got[1], got[2], want[0], want[1], want[2]);
    }
  g_free (pixels);
  g_free (path);
  g_free (name);
}

static guint64
frames_copied (GstHarness * h)
{
  GstElement *upload = gst_harness_find_element (h, "zcupload");
  guint64 n;

  g_object_get (upload, "frames-copied", &n, NULL);
  gst_object_unref (upload);
  return n;
}

static void
fail_on_error (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL;

  if (!msg)
    return;
  gst_message_parse_error (msg, &err, &debug);
  fail ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
      err->message, GST_STR_NULL (debug));
}

/* zcsnapshot encodes and writes on a worker thread: a file is complete
 * once its element message is posted. */
static void
wait_snapshot_written (GstBus * bus, const gchar * what)
{
  GstMessage *msg;

  while ((msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
              GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR))) {
    gboolean written = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
        gst_message_has_name (msg, "zcsnapshot");

    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "%s: error while "
        "writing the snapshot", what);
    gst_message_unref (msg);
    if (written)
      return;
  }
  fail ("%s: no snapshot written within 10 s", what);
}

/* GST_ZC_BACKEND=@nick zcupload ! zcsnapshot interval=1, N_FRAMES frames of
 * @format. */
static void
upload_and_snapshot (const gchar * nick, const gchar * format)
{
  GstZcBackend backend = GST_ZC_BACKEND_AUTO;
  GEnumClass *klass = g_type_class_ref (GST_TYPE_ZC_BACKEND);
  GstHarness *h;
  GstVideoInfo info;
  GstBus *bus;
  gchar *launch;
  guint i;

  backend = g_enum_get_value_by_nick (klass, nick)->value;
  g_type_class_unref (klass);
  g_setenv (GST_ZC_BACKEND_ENV, nick, TRUE);
  launch = g_strdup_printf ("zcupload ! zcsnapshot "
      "location=%s/up-%%05d.png interval=1", tmpdir);
  h = gst_harness_new_parse (launch);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_video_info_set_format (&info, gst_video_format_from_string (format),
      WIDTH, HEIGHT);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));

  for (i = 0; i < N_FRAMES; i++) {
    gchar *what = g_strdup_printf ("%s %s frame %u", nick, format, i);
    GstBuffer *out;

    syncs.n = 0;
    if (gst_harness_push (h, render (&info, i)) != GST_FLOW_OK)
      fail_on_error (bus);
    out = gst_harness_pull (h);
    fail_unless (out != NULL, "%s: no output", what);
    check_output_memory (out, backend);
    if (backend == GST_ZC_BACKEND_MEMFD) {
      fail_unless_equals_int (syncs.n, 0);
    } else {
      check_frame_syncs (out, GST_VIDEO_INFO_N_PLANES (&info), what);
    }
    gst_buffer_unref (out);
    wait_snapshot_written (bus, what);
    check_png (i, GST_VIDEO_INFO_IS_RGB (&info));
    g_free (what);
  }
  fail_unless_equals_uint64 (frames_copied (h), N_FRAMES);
  fail_on_error (bus);
  g_print ("zcupload ! zcsnapshot: %s, %s: %u frames checked\n", nick, format,
      N_FRAMES);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_free (launch);
}

static void
run_backend (const gchar * nick)
{
  if (!backend_present (nick)) {
    g_print ("zcupload ! zcsnapshot: %s not in this kernel: not tested\n",
        nick);
    return;
  }
  upload_and_snapshot (nick, "BGRx");
  upload_and_snapshot (nick, "NV12");
}

GST_START_TEST (test_dma_heap)
{
  run_backend ("dma-heap");
}

GST_END_TEST;

GST_START_TEST (test_udmabuf)
{
  run_backend ("udmabuf");
}

GST_END_TEST;

GST_START_TEST (test_drm)
{
  run_backend ("drm");
}

GST_END_TEST;

/* Not a dma-buf: nothing to bracket, and the pictures are still right. */
GST_START_TEST (test_memfd)
{
  run_backend ("memfd");
}

GST_END_TEST;

static Suite *
vm_upload_suite (void)
{
  Suite *s = suite_create ("vm-upload");
  TCase *tc = tcase_create ("backends");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_dma_heap);
  tcase_add_test (tc, test_udmabuf);
  tcase_add_test (tc, test_drm);
  tcase_add_test (tc, test_memfd);

  return s;
}

GST_CHECK_MAIN (vm_upload);
