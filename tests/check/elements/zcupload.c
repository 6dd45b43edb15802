/* Unit tests for zcupload: system-memory frames copied into dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Frames of known bytes go through the element in a GstHarness and come
 * out compared byte for byte. The host has no dma-buf exporter: the
 * element's own pool runs on the memfd backend (fd memory, no SYNC), and
 * dma-bufs are imitated with memfds wrapped by upstream's
 * GstDmaBufAllocator, both as input (passed through) and as the pool a
 * display downstream would offer (copied into, SYNC-bracketed). ioctl() is
 * wrapped to record every DMA_BUF_IOCTL_SYNC and answer it as a kernel
 * would for a real dma-buf.
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
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/dma-buf.h>

#define WIDTH 64
#define HEIGHT 48
#define N_FRAMES 3

static const gchar *formats[] = { "NV12", "I420", "YUY2", "BGRx", "RGB" };

/* ---- the ioctl recorder ---- */

#define MAX_SYNCS 256

static struct
{
  guint n;
  gint fds[MAX_SYNCS];
  guint64 flags[MAX_SYNCS];
} syncs;

int ioctl (int fd, unsigned long request, ...);

/* SYNC succeeds as on a real dma-buf (the memfds behind the imitations
 * would answer ENOTTY); everything else goes to libc. */
int
ioctl (int fd, unsigned long request, ...)
{
  static int (*real_ioctl) (int, unsigned long, ...);
  va_list ap;
  void *arg;

  va_start (ap, request);
  arg = va_arg (ap, void *);
  va_end (ap);

  if (request != DMA_BUF_IOCTL_SYNC) {
    if (!real_ioctl)
      real_ioctl = dlsym (RTLD_NEXT, "ioctl");
    return real_ioctl (fd, request, arg);
  }
  if (syncs.n < MAX_SYNCS) {
    syncs.fds[syncs.n] = fd;
    syncs.flags[syncs.n] = ((struct dma_buf_sync *) arg)->flags;
  }
  syncs.n++;
  return 0;
}

static guint
count_syncs (guint64 flags)
{
  guint i, n = 0;

  for (i = 0; i < MIN (syncs.n, MAX_SYNCS); i++)
    if (syncs.flags[i] == flags)
      n++;
  return n;
}

/* ---- the GST_PERFORMANCE recorder ---- */

static struct
{
  GObject *object;              /* only its messages count */
  guint n_info;
  guint n_debug;
} perf;

static void
record_performance (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (object == NULL || object != perf.object
      || strcmp (gst_debug_category_get_name (category), "GST_PERFORMANCE"))
    return;
  if (level == GST_LEVEL_INFO)
    perf.n_info++;
  else if (level == GST_LEVEL_DEBUG)
    perf.n_debug++;
}

/* ---- frames of known bytes ---- */

static guint8
pattern_byte (guint plane, guint x, guint y, guint frame)
{
  return (x * 7 + y * 13 + plane * 51 + frame * 29) & 0xff;
}

/* Rows and bytes per row of @plane that hold pixels, as
 * gst_video_frame_copy() counts them (its first component). */
static void
plane_extent (const GstVideoInfo * info, guint plane, guint * row_bytes,
    guint * rows)
{
  gint comp[GST_VIDEO_MAX_COMPONENTS];

  gst_video_format_info_component (info->finfo, plane, comp);
  *row_bytes = GST_VIDEO_INFO_COMP_WIDTH (info, comp[0]) *
      GST_VIDEO_INFO_COMP_PSTRIDE (info, comp[0]);
  *rows = GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
}

static guint8 *
plane_row (GstVideoFrame * vf, guint plane, guint y)
{
  return (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (vf, plane) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (vf, plane);
}

static void
fill_frame (GstVideoFrame * vf, guint frame)
{
  guint p, x, y, row_bytes, rows;

  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (vf); p++) {
    plane_extent (&vf->info, p, &row_bytes, &rows);
    for (y = 0; y < rows; y++)
      for (x = 0; x < row_bytes; x++)
        plane_row (vf, p, y)[x] = pattern_byte (p, x, y, frame);
  }
}

static void
check_frame (GstVideoFrame * vf, guint frame)
{
  guint p, x, y, row_bytes, rows;

  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (vf); p++) {
    plane_extent (&vf->info, p, &row_bytes, &rows);
    for (y = 0; y < rows; y++)
      for (x = 0; x < row_bytes; x++) {
        guint8 got = plane_row (vf, p, y)[x];

        fail_unless (got == pattern_byte (p, x, y, frame),
            "%s frame %u plane %u byte %u,%u: %u instead of %u",
            GST_VIDEO_INFO_NAME (&vf->info), frame, p, x, y, got,
            pattern_byte (p, x, y, frame));
      }
  }
}

static void
video_info_for (GstVideoInfo * info, const gchar * format)
{
  fail_unless (gst_video_info_set_format (info,
          gst_video_format_from_string (format), WIDTH, HEIGHT));
}

static void
fill_buffer (GstBuffer * buf, const GstVideoInfo * info, guint frame)
{
  GstVideoFrame vf;

  fail_unless (gst_video_frame_map (&vf, info, buf, GST_MAP_WRITE));
  fill_frame (&vf, frame);
  gst_video_frame_unmap (&vf);
  GST_BUFFER_PTS (buf) = frame * 40 * GST_MSECOND;
}

static GstBuffer *
make_input (const GstVideoInfo * info, guint frame)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);

  fill_buffer (buf, info, frame);
  return buf;
}

/* Planes at padded strides and offsets of a GstVideoMeta, 0xee between
 * them: right only if the element reads through the meta. */
static GstBuffer *
make_padded_input (const GstVideoInfo * info, guint frame)
{
  gsize offset[GST_VIDEO_MAX_PLANES], size = 32;
  gint stride[GST_VIDEO_MAX_PLANES];
  guint p, row_bytes, rows;
  GstBuffer *buf;

  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    plane_extent (info, p, &row_bytes, &rows);
    stride[p] = GST_VIDEO_INFO_PLANE_STRIDE (info, p) + 40;
    offset[p] = size;
    size += stride[p] * rows + 24;
  }
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_memset (buf, 0, 0xee, size);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), WIDTH, HEIGHT,
      GST_VIDEO_INFO_N_PLANES (info), offset, stride);
  fill_buffer (buf, info, frame);
  return buf;
}

static gint
new_memfd (gsize size)
{
  gint fd = memfd_create ("zcupload-test", MFD_CLOEXEC);

  fail_unless (fd >= 0, "memfd_create: %s", g_strerror (errno));
  fail_unless (ftruncate (fd, size) == 0);
  return fd;
}

/* A memfd wrapped by upstream's GstDmaBufAllocator: a dma-buf as far as
 * GStreamer can tell. */
static GstBuffer *
make_dmabuf_input (GstAllocator * dmabuf, const GstVideoInfo * info,
    guint frame)
{
  GstBuffer *buf = gst_buffer_new ();

  gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (dmabuf,
          new_memfd (info->size), info->size));
  fill_buffer (buf, info, frame);
  return buf;
}

static void
check_output (GstBuffer * out, const GstVideoInfo * info, guint frame)
{
  GstVideoFrame vf;

  fail_unless (gst_video_frame_map (&vf, info, out, GST_MAP_READ));
  check_frame (&vf, frame);
  gst_video_frame_unmap (&vf);
}

/* ---- the element ---- */

static void
setup (void)
{
  g_unsetenv (GST_ZC_BACKEND_ENV);
  memset (&syncs, 0, sizeof (syncs));
  memset (&perf, 0, sizeof (perf));
}

static GstHarness *
upload_harness (const gchar * backend)
{
  GstElement *element = gst_element_factory_make ("zcupload", NULL);
  GstHarness *h;

  fail_unless (element != NULL, "zcupload is not available");
  /* Set before the harness starts the element. */
  gst_util_set_object_arg (G_OBJECT (element), "backend", backend);
  h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  return h;
}

static void
set_input_caps (GstHarness * h, const GstVideoInfo * info,
    const gchar * feature)
{
  GstCaps *caps = gst_video_info_to_caps (info);

  if (feature)
    gst_caps_set_features (caps, 0, gst_caps_features_new (feature, NULL));
  gst_harness_set_src_caps (h, caps);
}

static guint64
get_counter (GstHarness * h, const gchar * name)
{
  guint64 value;

  g_object_get (h->element, name, &value, NULL);
  return value;
}

static GstBuffer *
push_pull (GstHarness * h, GstBuffer * in)
{
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  return out;
}

static gboolean
has_dmabuf_feature (GstCaps * caps)
{
  return gst_caps_features_contains (gst_caps_get_features (caps, 0),
      GST_CAPS_FEATURE_MEMORY_DMABUF);
}

/* The memory of the memfd backend: fd memory that is not a dma-buf, a
 * memfd of the library's name. */
static void
check_library_memfd (GstMemory * mem)
{
  gchar *link, *target;

  fail_unless (gst_is_fd_memory (mem));
  fail_if (gst_is_dmabuf_memory (mem));
  link = g_strdup_printf ("/proc/self/fd/%d", gst_fd_memory_get_fd (mem));
  target = g_file_read_link (link, NULL);
  fail_unless (target && strstr (target, "memfd:gst-zerocopy"), "%s -> %s",
      link, GST_STR_NULL (target));
  g_free (target);
  g_free (link);
}

/* Pushes N_FRAMES frames made by @make and checks the copies. */
static void
run_copy_test (const gchar * format,
    GstBuffer * (*make) (const GstVideoInfo *, guint))
{
  GstHarness *h = upload_harness ("memfd");
  GstVideoInfo info;
  GstCaps *caps;
  guint i;

  video_info_for (&info, format);
  set_input_caps (h, &info, NULL);

  for (i = 0; i < N_FRAMES; i++) {
    GstBuffer *in = make (&info, i);
    GstBuffer *out;

    gst_buffer_ref (in);
    out = push_pull (h, in);
    fail_if (out == in, "%s frame %u was not copied", format, i);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), GST_BUFFER_PTS (in));
    check_library_memfd (gst_buffer_peek_memory (out, 0));
    check_output (out, &info, i);
    fail_unless_equals_uint64 (get_counter (h, "frames-copied"), i + 1);
    fail_unless_equals_uint64 (get_counter (h, "bytes-copied"),
        (i + 1) * info.size);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }

  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (has_dmabuf_feature (caps), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  /* memfd is not a dma-buf: nothing to bracket, nothing bracketed */
  fail_unless_equals_int (syncs.n, 0);

  gst_harness_teardown (h);
}

/* ---- tests ---- */

GST_START_TEST (test_copy_formats)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    run_copy_test (formats[i], make_input);
}

GST_END_TEST;

GST_START_TEST (test_copy_padded_stride)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    run_copy_test (formats[i], make_padded_input);
}

GST_END_TEST;

/* The src pad offers both memories, dma-bufs first; a sink without the
 * feature gets plain video/x-raw (the same dma-buf memory). */
GST_START_TEST (test_output_caps)
{
  GstHarness *h = upload_harness ("memfd");
  GstPad *srcpad = GST_BASE_TRANSFORM_SRC_PAD (h->element);
  GstVideoInfo info;
  GstCaps *caps;

  caps = gst_pad_query_caps (srcpad, NULL);
  fail_unless (has_dmabuf_feature (caps), "%" GST_PTR_FORMAT, caps);
  fail_unless (gst_caps_get_size (caps) >= 2);
  fail_unless (gst_caps_features_is_equal (gst_caps_get_features (caps,
              gst_caps_get_size (caps) - 1),
          GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);

  gst_harness_set_sink_caps_str (h, "video/x-raw");
  video_info_for (&info, "NV12");
  set_input_caps (h, &info, NULL);
  gst_buffer_unref (push_pull (h, make_input (&info, 0)));
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_if (has_dmabuf_feature (caps), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 1);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* dma-buf input goes on untouched, per buffer, in a stream that mixes
 * it with system memory. */
GST_START_TEST (test_dmabuf_passthrough)
{
  GstHarness *h = upload_harness ("memfd");
  GstAllocator *dmabuf = gst_dmabuf_allocator_new ();
  GstVideoInfo info;
  GstBuffer *in, *out;
  guint i;

  video_info_for (&info, "NV12");
  set_input_caps (h, &info, GST_CAPS_FEATURE_MEMORY_DMABUF);

  for (i = 0; i < 4; i++) {
    gboolean is_dmabuf = i % 2 == 0;

    in = is_dmabuf ? make_dmabuf_input (dmabuf, &info, i) :
        make_input (&info, i);
    out = push_pull (h, in);
    if (is_dmabuf)
      fail_unless (out == in, "dma-buf frame %u was not passed through", i);
    else
      fail_if (out == in, "frame %u was not copied", i);
    check_output (out, &info, i);
    gst_buffer_unref (out);
  }
  /* frames 1 and 3 only */
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 2);
  fail_unless_equals_uint64 (get_counter (h, "bytes-copied"), 2 * info.size);

  gst_object_unref (dmabuf);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_dmabuf_passthrough_counters_unchanged)
{
  GstHarness *h = upload_harness ("memfd");
  GstAllocator *dmabuf = gst_dmabuf_allocator_new ();
  GstVideoInfo info;
  GstBuffer *in, *out;

  video_info_for (&info, "BGRx");
  set_input_caps (h, &info, NULL);
  in = make_dmabuf_input (dmabuf, &info, 0);
  out = push_pull (h, in);
  fail_unless (out == in);
  fail_unless (gst_buffer_peek_memory (out, 0)->allocator == dmabuf);
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 0);
  fail_unless_equals_uint64 (get_counter (h, "bytes-copied"), 0);
  gst_buffer_unref (out);

  gst_object_unref (dmabuf);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A dma-buf whose exporter refuses mmap (the kernel lets exporters leave
 * it out), played by an eventfd: zcupload never maps dma-buf input, so
 * such frames go on untouched, with no warning and no error. */
GST_START_TEST (test_unmappable_dmabuf_passthrough)
{
  GstHarness *h = upload_harness ("memfd");
  GstAllocator *dmabuf = gst_dmabuf_allocator_new ();
  GstBus *bus = gst_bus_new ();
  GstVideoInfo info;
  guint i;
  gint efd = eventfd (1, EFD_CLOEXEC);

  fail_unless (efd >= 0);
  fail_unless (mmap (NULL, 4096, PROT_READ, MAP_SHARED, efd, 0) == MAP_FAILED,
      "an eventfd can be mapped: the test needs another unmappable fd");
  gst_element_set_bus (h->element, bus);
  video_info_for (&info, "BGRx");
  set_input_caps (h, &info, GST_CAPS_FEATURE_MEMORY_DMABUF);
  for (i = 0; i < 3; i++) {
    GstBuffer *in = gst_buffer_new (), *out;

    gst_buffer_append_memory (in, gst_dmabuf_allocator_alloc (dmabuf,
            dup (efd), info.size));
    out = push_pull (h, in);
    fail_unless (out == in, "frame %u was not passed through", i);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 0);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING |
          GST_MESSAGE_ERROR) == NULL, "a warning or error was posted");

  close (efd);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_object_unref (dmabuf);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Every copy is on GST_PERFORMANCE: once at INFO per caps, each at DEBUG;
 * passed-through dma-bufs are not. */
GST_START_TEST (test_copies_logged)
{
  GstHarness *h = upload_harness ("memfd");
  GstAllocator *dmabuf = gst_dmabuf_allocator_new ();
  GstVideoInfo info;
  guint i;

  perf.object = G_OBJECT (h->element);
  gst_debug_set_threshold_for_name ("GST_PERFORMANCE", GST_LEVEL_DEBUG);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (record_performance, NULL, NULL);

  video_info_for (&info, "I420");
  set_input_caps (h, &info, NULL);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (push_pull (h, make_input (&info, i)));
  fail_unless_equals_int (perf.n_info, 1);
  fail_unless_equals_int (perf.n_debug, 3);

  gst_buffer_unref (push_pull (h, make_dmabuf_input (dmabuf, &info, 3)));
  fail_unless_equals_int (perf.n_info, 1);
  fail_unless_equals_int (perf.n_debug, 3);

  /* new caps: announced again */
  video_info_for (&info, "YUY2");
  set_input_caps (h, &info, NULL);
  for (i = 0; i < 2; i++)
    gst_buffer_unref (push_pull (h, make_input (&info, i)));
  fail_unless_equals_int (perf.n_info, 2);
  fail_unless_equals_int (perf.n_debug, 5);

  gst_debug_remove_log_function (record_performance);
  gst_object_unref (dmabuf);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_counters_reset_on_start)
{
  GstHarness *h = upload_harness ("memfd");
  GstVideoInfo info;

  video_info_for (&info, "RGB");
  set_input_caps (h, &info, NULL);
  gst_buffer_unref (push_pull (h, make_input (&info, 0)));
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 1);

  fail_unless_equals_int (gst_element_set_state (h->element, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  /* still readable when stopped */
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 1);
  gst_harness_play (h);
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 0);
  fail_unless_equals_uint64 (get_counter (h, "bytes-copied"), 0);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* Upstream is offered the video meta (padded frames welcome) and no
 * pool: it renders into memory of its own. */
GST_START_TEST (test_propose_allocation)
{
  GstHarness *h = upload_harness ("memfd");
  GstVideoInfo info;
  GstCaps *caps;
  GstQuery *query;

  video_info_for (&info, "NV12");
  set_input_caps (h, &info, NULL);
  caps = gst_video_info_to_caps (&info);
  query = gst_query_new_allocation (caps, TRUE);
  fail_unless (gst_pad_peer_query (h->srcpad, query));
  fail_unless (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE,
          NULL));
  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 0);

  gst_query_unref (query);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- a downstream pool of dma-bufs, as a display offers ---- */

#define TEST_TYPE_DMABUF_POOL (test_dmabuf_pool_get_type ())
G_DECLARE_FINAL_TYPE (TestDmabufPool, test_dmabuf_pool, TEST, DMABUF_POOL,
    GstBufferPool);

/* Frames with 256-byte aligned strides (not the caps' layout), every one
 * a memfd wrapped by upstream's GstDmaBufAllocator. */
struct _TestDmabufPool
{
  GstBufferPool parent;
  GstAllocator *allocator;
  GstVideoInfo info;
  guint n_allocated;
};

G_DEFINE_TYPE (TestDmabufPool, test_dmabuf_pool, GST_TYPE_BUFFER_POOL);

static gboolean
test_dmabuf_pool_set_config (GstBufferPool * pool, GstStructure * config)
{
  TestDmabufPool *self = TEST_DMABUF_POOL (pool);
  GstVideoAlignment align;
  GstCaps *caps;
  guint i, min, max;

  fail_unless (gst_buffer_pool_config_get_params (config, &caps, NULL, &min,
          &max));
  fail_unless (gst_video_info_from_caps (&self->info, caps));
  gst_video_alignment_reset (&align);
  for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
    align.stride_align[i] = 255;
  fail_unless (gst_video_info_align (&self->info, &align));
  /* the size of a frame follows from the layout */
  gst_buffer_pool_config_set_params (config, caps, self->info.size, min, max);
  return GST_BUFFER_POOL_CLASS (test_dmabuf_pool_parent_class)->set_config
      (pool, config);
}

static GstFlowReturn
test_dmabuf_pool_alloc_buffer (GstBufferPool * pool, GstBuffer ** buffer,
    GstBufferPoolAcquireParams * params)
{
  TestDmabufPool *self = TEST_DMABUF_POOL (pool);
  GstVideoInfo *info = &self->info;
  GstBuffer *buf = gst_buffer_new ();

  gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (self->allocator,
          new_memfd (info->size), info->size));
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info),
      info->offset, info->stride);
  self->n_allocated++;
  *buffer = buf;
  return GST_FLOW_OK;
}

static void
test_dmabuf_pool_finalize (GObject * object)
{
  gst_object_unref (TEST_DMABUF_POOL (object)->allocator);
  G_OBJECT_CLASS (test_dmabuf_pool_parent_class)->finalize (object);
}

static void
test_dmabuf_pool_class_init (TestDmabufPoolClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_dmabuf_pool_finalize;
  GST_BUFFER_POOL_CLASS (klass)->set_config = test_dmabuf_pool_set_config;
  GST_BUFFER_POOL_CLASS (klass)->alloc_buffer = test_dmabuf_pool_alloc_buffer;
}

static void
test_dmabuf_pool_init (TestDmabufPool * self)
{
  self->allocator = gst_dmabuf_allocator_new ();
}

/* Answers the element's ALLOCATION query with @pool, instead of the
 * harness (which offers no pool). */
static GstPadProbeReturn
offer_pool (GstPad * pad, GstPadProbeInfo * info, gpointer pool)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstStructure *config;
  GstCaps *caps;

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;

  gst_query_parse_allocation (query, &caps, NULL);
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, 0, 2, 0);
  gst_buffer_pool_config_set_allocator (config,
      TEST_DMABUF_POOL (pool)->allocator, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  gst_query_add_allocation_param (query, TEST_DMABUF_POOL (pool)->allocator,
      NULL);
  gst_query_add_allocation_pool (query, pool,
      TEST_DMABUF_POOL (pool)->info.size, 2, 0);
  return GST_PAD_PROBE_HANDLED;
}

static ino_t
inode_of (gint fd)
{
  struct stat st;

  fail_unless (fstat (fd, &st) == 0);
  return st.st_ino;
}

/* The copy goes into the display's dma-bufs, at their strides, each
 * frame in exactly one SYNC WRITE bracket on that dma-buf, whatever its
 * number of planes. */
static void
run_downstream_pool_test (const gchar * format)
{
  GstHarness *h = upload_harness ("memfd");
  GstBufferPool *pool = g_object_new (TEST_TYPE_DMABUF_POOL, NULL);
  GstVideoInfo info;
  guint i;

  gst_object_ref_sink (pool);
  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      offer_pool, pool, NULL);
  video_info_for (&info, format);
  set_input_caps (h, &info, NULL);

  for (i = 0; i < N_FRAMES; i++) {
    GstBuffer *out;
    GstMemory *mem;
    guint j;

    syncs.n = 0;
    out = push_pull (h, make_padded_input (&info, i));
    mem = gst_buffer_peek_memory (out, 0);
    fail_unless (mem->allocator == TEST_DMABUF_POOL (pool)->allocator,
        "the copy did not go into downstream's pool");
    fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_START |
            DMA_BUF_SYNC_WRITE), 1);
    fail_unless_equals_int (count_syncs (DMA_BUF_SYNC_END |
            DMA_BUF_SYNC_WRITE), 1);
    fail_unless_equals_int (syncs.n, 2);
    /* DMA_BUF_SYNC_START is 0: the END bit tells them apart */
    fail_if (syncs.flags[0] & DMA_BUF_SYNC_END, "END before START");
    /* on (a dup of) the output dma-buf */
    for (j = 0; j < syncs.n; j++)
      fail_unless (inode_of (syncs.fds[j]) ==
          inode_of (gst_dmabuf_memory_get_fd (mem)));
    check_output (out, &info, i);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), N_FRAMES);
  /* the pool's buffers came back and were reused */
  fail_unless (TEST_DMABUF_POOL (pool)->n_allocated <= 2);

  gst_harness_teardown (h);
  gst_object_unref (pool);
}

GST_START_TEST (test_downstream_dmabuf_pool)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++)
    run_downstream_pool_test (formats[i]);
}

GST_END_TEST;

/* ---- errors ---- */

static void
check_open_error (GstElement * element, const gchar * missing)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  gst_element_set_bus (element, bus);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ_WRITE), "wrong error: %s", err->message);
  fail_unless (debug && strstr (debug, missing), "%s does not name %s",
      GST_STR_NULL (debug), missing);
  GST_INFO ("error: %s (%s)", err->message, debug);

  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, NULL);
  gst_object_unref (bus);
}

/* The host has no dma-buf heaps: GST_ZC_BACKEND=dma-heap makes auto fail,
 * and the error says what is missing. */
GST_START_TEST (test_env_backend_unavailable)
{
  GstElement *element;

  if (g_file_test ("/dev/dma_heap", G_FILE_TEST_EXISTS)) {
    g_print ("this machine has /dev/dma_heap: not tested\n");
    return;
  }
  g_setenv (GST_ZC_BACKEND_ENV, "dma-heap", TRUE);
  element = gst_element_factory_make ("zcupload", NULL);
  check_open_error (element, "/dev/dma_heap");
  gst_object_unref (element);
  g_unsetenv (GST_ZC_BACKEND_ENV);
}

GST_END_TEST;

GST_START_TEST (test_property_backend_unavailable)
{
  GstElement *element;

  if (g_file_test ("/dev/udmabuf", G_FILE_TEST_EXISTS)) {
    g_print ("this machine has /dev/udmabuf: not tested\n");
    return;
  }
  element = gst_element_factory_make ("zcupload", NULL);
  gst_util_set_object_arg (G_OBJECT (element), "backend", "udmabuf");
  check_open_error (element, "/dev/udmabuf");
  gst_object_unref (element);
}

GST_END_TEST;

/* Frames of a format without a DRM fourcc are refused: not negotiated. */
GST_START_TEST (test_unsupported_format_not_negotiated)
{
  GstHarness *h = upload_harness ("memfd");
  GstSegment segment;
  GstCaps *caps;

  caps = gst_caps_from_string ("video/x-raw, format=v210, width=64, "
      "height=48, framerate=30/1");
  /* A refused sticky event is still stored: the buffer reports it. */
  gst_harness_push_event (h, gst_event_new_caps (gst_caps_ref (caps)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (NULL,
              64 * 48 * 4, NULL)), GST_FLOW_NOT_NEGOTIATED);
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 0);

  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A buffer smaller than its caps say: an error, not a read past its end. */
GST_START_TEST (test_short_buffer_is_an_error)
{
  GstHarness *h = upload_harness ("memfd");
  GstBus *bus = gst_bus_new ();
  GstVideoInfo info;
  GstMessage *msg;

  gst_element_set_bus (h->element, bus);
  video_info_for (&info, "BGRx");
  set_input_caps (h, &info, NULL);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (NULL,
              info.size / 2, NULL)), GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 0);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Out of fds while the pool needs a new frame (the first is still held
 * downstream): a RESOURCE error naming the allocation, not a bare flow
 * error. Check runs each test in a child: the limit goes with it. */
GST_START_TEST (test_allocation_failure_is_an_error)
{
  GstHarness *h = upload_harness ("memfd");
  GstBus *bus = gst_bus_new ();
  struct rlimit saved, low;
  GstVideoInfo info;
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (h->element, bus);
  video_info_for (&info, "BGRx");
  set_input_caps (h, &info, NULL);
  fail_unless_equals_int (gst_harness_push (h, make_input (&info, 0)),
      GST_FLOW_OK);

  fail_unless (getrlimit (RLIMIT_NOFILE, &saved) == 0);
  low = saved;
  /* count_fds() counted its own directory fd: none is left free */
  low.rlim_cur = zc_test_count_fds () - 1;
  fail_unless (setrlimit (RLIMIT_NOFILE, &low) == 0);
  fail_unless_equals_int (gst_harness_push (h, make_input (&info, 1)),
      GST_FLOW_ERROR);
  fail_unless (setrlimit (RLIMIT_NOFILE, &saved) == 0);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NO_SPACE_LEFT), "wrong error: %s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (get_counter (h, "frames-copied"), 1);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
zcupload_suite (void)
{
  Suite *s = suite_create ("zcupload");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, NULL);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_copy_formats);
  tcase_add_test (tc, test_copy_padded_stride);
  tcase_add_test (tc, test_output_caps);
  tcase_add_test (tc, test_dmabuf_passthrough);
  tcase_add_test (tc, test_dmabuf_passthrough_counters_unchanged);
  tcase_add_test (tc, test_unmappable_dmabuf_passthrough);
  tcase_add_test (tc, test_copies_logged);
  tcase_add_test (tc, test_counters_reset_on_start);
  tcase_add_test (tc, test_propose_allocation);
  tcase_add_test (tc, test_downstream_dmabuf_pool);
  tcase_add_test (tc, test_env_backend_unavailable);
  tcase_add_test (tc, test_property_backend_unavailable);
  tcase_add_test (tc, test_unsupported_format_not_negotiated);
  tcase_add_test (tc, test_short_buffer_is_an_error);
  tcase_add_test (tc, test_allocation_failure_is_an_error);

  return s;
}

GST_CHECK_MAIN (zcupload);
