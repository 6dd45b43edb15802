/* Unit tests for the library's SYNC-bracketed CPU access
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The host has no dma-buf exporter, so DMA_BUF_IOCTL_SYNC is intercepted:
 * this program defines ioctl(), which takes precedence over libc's for the
 * library too. The fake records every SYNC request, can fail the next ones
 * with a chosen errno, and otherwise succeeds; other ioctls go to libc.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/zerocopy/zerocopy.h>
#include <gst/video/video.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>

#define MAX_CALLS 64

static struct
{
  guint n_calls;
  guint64 flags[MAX_CALLS];
  gint fds[MAX_CALLS];
  /* errno values to fail the next calls with, 0-terminated */
  gint inject[8];
  guint n_injected;
} fake;

int ioctl (int fd, unsigned long request, ...);

int
ioctl (int fd, unsigned long request, ...)
{
  va_list ap;
  void *arg;

  va_start (ap, request);
  arg = va_arg (ap, void *);
  va_end (ap);

  if (request == DMA_BUF_IOCTL_SYNC) {
    struct dma_buf_sync *sync = arg;
    gint err;

    if (fake.n_calls < MAX_CALLS) {
      fake.flags[fake.n_calls] = sync->flags;
      fake.fds[fake.n_calls] = fd;
    }
    fake.n_calls++;
    err = fake.inject[fake.n_injected];
    if (err) {
      fake.n_injected++;
      errno = err;
      return -1;
    }
    return 0;
  } else {
    int (*real) (int, unsigned long, ...) = dlsym (RTLD_NEXT, "ioctl");
    return real (fd, request, arg);
  }
}

static void
fake_reset (void)
{
  memset (&fake, 0, sizeof (fake));
}

static gint
make_memfd (gsize size, guint8 fill)
{
  gint fd = memfd_create ("zc-test", MFD_CLOEXEC);
  guint8 *data = g_malloc (size);

  fail_unless (fd >= 0);
  memset (data, fill, size);
  fail_unless_equals_int (write (fd, data, size), (gint) size);
  g_free (data);
  return fd;
}

GST_START_TEST (test_sync_flags_from_map_flags)
{
  fail_unless_equals_uint64 (gst_zc_sync_flags_from_map_flags (GST_MAP_READ),
      DMA_BUF_SYNC_READ);
  fail_unless_equals_uint64 (gst_zc_sync_flags_from_map_flags (GST_MAP_WRITE),
      DMA_BUF_SYNC_WRITE);
  fail_unless_equals_uint64 (gst_zc_sync_flags_from_map_flags
      (GST_MAP_READWRITE), DMA_BUF_SYNC_RW);
  fail_unless_equals_uint64 (gst_zc_sync_flags_from_map_flags (0), 0);
}

GST_END_TEST;

GST_START_TEST (test_sync_restarts_on_eintr_eagain)
{
  fake_reset ();
  fake.inject[0] = EINTR;
  fake.inject[1] = EAGAIN;
  fake.inject[2] = EINTR;

  fail_unless (gst_zc_dmabuf_sync (7, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
  /* three failures restarted, then the successful call */
  fail_unless_equals_int (fake.n_calls, 4);
  fail_unless_equals_uint64 (fake.flags[0],
      DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
  fail_unless_equals_uint64 (fake.flags[3],
      DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
  fail_unless_equals_int (fake.fds[3], 7);
}

GST_END_TEST;

GST_START_TEST (test_sync_other_error_not_restarted)
{
  fake_reset ();
  fake.inject[0] = EINVAL;

  errno = 0;
  fail_if (gst_zc_dmabuf_sync (7, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
  fail_unless_equals_int (errno, EINVAL);
  fail_unless_equals_int (fake.n_calls, 1);
}

GST_END_TEST;

GST_START_TEST (test_begin_end_directions)
{
  fake_reset ();
  fail_unless (gst_zc_cpu_access_begin (3, GST_MAP_WRITE));
  fail_unless (gst_zc_cpu_access_end (3, GST_MAP_WRITE));
  fail_unless (gst_zc_cpu_access_begin (3, GST_MAP_READWRITE));
  fail_unless (gst_zc_cpu_access_end (3, GST_MAP_READWRITE));

  fail_unless_equals_int (fake.n_calls, 4);
  fail_unless_equals_uint64 (fake.flags[0],
      DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
  fail_unless_equals_uint64 (fake.flags[1],
      DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
  fail_unless_equals_uint64 (fake.flags[2],
      DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
  fail_unless_equals_uint64 (fake.flags[3], DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
}

GST_END_TEST;

/* gst_memory_map() of the project's dma-buf memory brackets with SYNC in
 * the map's direction, restarts it, and keeps one mapping for all maps. */
GST_START_TEST (test_memory_map_brackets)
{
  GstAllocator *importer = gst_zc_dmabuf_allocator_get_importer ();
  gint fd = make_memfd (4096, 0x5a);
  GstMemory *mem = gst_zc_dmabuf_allocator_import (importer, fd, 4096);
  GstMapInfo info;
  gpointer mapped;

  fail_unless (gst_is_dmabuf_memory (mem));
  fake_reset ();
  fake.inject[0] = EINTR;

  fail_unless (gst_memory_map (mem, &info, GST_MAP_READ));
  fail_unless_equals_int (((guint8 *) info.data)[100], 0x5a);
  mapped = info.data;
  gst_memory_unmap (mem, &info);

  fail_unless (gst_memory_map (mem, &info, GST_MAP_WRITE));
  fail_unless (info.data == mapped);
  ((guint8 *) info.data)[0] = 0x11;
  gst_memory_unmap (mem, &info);

  /* START|READ failed once with EINTR and was restarted */
  fail_unless_equals_int (fake.n_calls, 5);
  fail_unless_equals_uint64 (fake.flags[0],
      DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
  fail_unless_equals_uint64 (fake.flags[1],
      DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
  fail_unless_equals_uint64 (fake.flags[2],
      DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
  fail_unless_equals_uint64 (fake.flags[3],
      DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
  fail_unless_equals_uint64 (fake.flags[4],
      DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
  fail_unless_equals_int (fake.fds[4], fd);

  gst_memory_unref (mem);
}

GST_END_TEST;

/* Memory of the memfd backend is not a dma-buf: no ioctl at all. */
GST_START_TEST (test_memfd_backend_skips_sync)
{
  GError *error = NULL;
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_MEMFD,
      NULL, &error);
  GstMemory *mem;
  GstMapInfo info;

  fail_unless (alloc != NULL, "%s", error ? error->message : "");
  mem = gst_allocator_alloc (alloc, 1024, NULL);
  fake_reset ();
  fail_unless (gst_memory_map (mem, &info, GST_MAP_READWRITE));
  memset (info.data, 1, info.size);
  gst_memory_unmap (mem, &info);
  fail_unless_equals_int (fake.n_calls, 0);

  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* A dma-buf from upstream's allocator is wrapped, not copied, and its CPU
 * access goes through the project's SYNC bracket. */
GST_START_TEST (test_cpu_view_of_foreign_dmabuf)
{
  GstAllocator *upstream = gst_dmabuf_allocator_new ();
  gint fd = make_memfd (8192, 0x33);
  GstBuffer *buf = gst_buffer_new (), *view, *view2;
  GstMemory *vmem;
  GstMapInfo info, info2;

  gsize offsets[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strides[GST_VIDEO_MAX_PLANES] = { 128, };
  GstVideoMeta *meta;

  gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (upstream, fd,
          8192));
  GST_BUFFER_PTS (buf) = 42 * GST_SECOND;
  /* a padded layout the view must keep: 16x16 GRAY8 with 128-byte rows */
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_GRAY8, 16, 16, 1, offsets, strides);

  view = gst_zc_buffer_get_cpu_view (buf);
  fail_unless (view != NULL);
  fail_unless (view != buf);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (view), 42 * GST_SECOND);
  fail_unless (gst_buffer_get_parent_buffer_meta (view) != NULL);
  meta = gst_buffer_get_video_meta (view);
  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->stride[0], 128);
  vmem = gst_buffer_peek_memory (view, 0);
  fail_unless (GST_IS_ZC_DMABUF_ALLOCATOR (vmem->allocator));
  fail_unless (gst_is_dmabuf_memory (vmem));
  fail_unless_equals_int (gst_buffer_get_size (view), 8192);

  fake_reset ();
  fake.inject[0] = EAGAIN;
  fail_unless (gst_buffer_map (view, &info, GST_MAP_READ));
  fail_unless_equals_int (((guint8 *) info.data)[8191], 0x33);
  gst_buffer_unmap (view, &info);
  fail_unless_equals_int (fake.n_calls, 3);
  fail_unless_equals_uint64 (fake.flags[1],
      DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
  fail_unless_equals_uint64 (fake.flags[2],
      DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
  /* the wrapper has its own fd (a dup), never the producer's */
  fail_if (fake.fds[1] == fd);

  /* a second view reuses the wrapper and its mapping */
  view2 = gst_zc_buffer_get_cpu_view (buf);
  fail_unless (gst_buffer_map (view2, &info2, GST_MAP_READ));
  fail_unless (info2.data == info.data);
  gst_buffer_unmap (view2, &info2);

  gst_buffer_unref (view2);
  gst_buffer_unref (view);
  gst_buffer_unref (buf);
  gst_object_unref (upstream);
}

GST_END_TEST;

GST_START_TEST (test_cpu_view_of_own_memory_is_same_buffer)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 100, NULL);
  GstBuffer *view = gst_zc_buffer_get_cpu_view (buf);

  fail_unless (view == buf);
  gst_buffer_unref (view);
  gst_buffer_unref (buf);
}

GST_END_TEST;

static Suite *
zccpuaccess_suite (void)
{
  Suite *s = suite_create ("zccpuaccess");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sync_flags_from_map_flags);
  tcase_add_test (tc, test_sync_restarts_on_eintr_eagain);
  tcase_add_test (tc, test_sync_other_error_not_restarted);
  tcase_add_test (tc, test_begin_end_directions);
  tcase_add_test (tc, test_memory_map_brackets);
  tcase_add_test (tc, test_memfd_backend_skips_sync);
  tcase_add_test (tc, test_cpu_view_of_foreign_dmabuf);
  tcase_add_test (tc, test_cpu_view_of_own_memory_is_same_buffer);

  return s;
}

GST_CHECK_MAIN (zccpuaccess);
