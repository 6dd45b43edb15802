/* Test bed: sw_sync fences attached to dma-bufs with the library's sync_file helpers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * sw_sync (debugfs, own kernel) gives fences that user space signals by
 * incrementing a timeline: a stand-in for a device that is still writing.
 * Imported into a dma-buf as implicit fences they must hold back poll(),
 * gst_zc_fence_wait_fd() and DMA_BUF_IOCTL_SYNC until the timeline moves,
 * in the directions the kernel's uapi (linux/dma-buf.h) promises.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/types.h>
#include <xf86drm.h>

/* Not in the uapi headers: declared as in the kernel's
 * drivers/dma-buf/sw_sync.c. */
struct sw_sync_create_fence_data
{
  __u32 value;
  char name[32];
  __s32 fence;
};

#define SW_SYNC_IOC_CREATE_FENCE \
  _IOWR ('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW ('W', 1, __u32)

#define SW_SYNC_PATH "/sys/kernel/debug/sync/sw_sync"

/* Opening the debugfs file creates a timeline at 0. */
static gint
new_timeline (void)
{
  gint fd = open (SW_SYNC_PATH, O_RDWR | O_CLOEXEC);

  fail_unless (fd >= 0, "open " SW_SYNC_PATH ": %s (see vm/kernelfacts)",
      g_strerror (errno));
  return fd;
}

/* A sync_file that signals when the timeline reaches @value. */
static gint
new_fence (gint timeline, guint32 value)
{
  struct sw_sync_create_fence_data data;

  memset (&data, 0, sizeof (data));
  data.value = value;
  g_strlcpy (data.name, "zc-test", sizeof (data.name));
  fail_unless (ioctl (timeline, SW_SYNC_IOC_CREATE_FENCE, &data) == 0,
      "SW_SYNC_IOC_CREATE_FENCE: %s", g_strerror (errno));
  fail_unless (data.fence >= 0);
  return data.fence;
}

static void
timeline_inc (gint timeline, guint32 by)
{
  __u32 inc = by;

  fail_unless (ioctl (timeline, SW_SYNC_IOC_INC, &inc) == 0,
      "SW_SYNC_IOC_INC: %s", g_strerror (errno));
}

/* poll() with @events on @fd: TRUE if it became ready within @ms. */
static gboolean
ready_within (gint fd, gshort events, gint ms)
{
  struct pollfd pfd = { fd, events, 0 };
  gint ret;

  do {
    ret = poll (&pfd, 1, ms);
  } while (ret < 0 && errno == EINTR);
  fail_if (ret < 0, "poll: %s", g_strerror (errno));
  return ret > 0 && (pfd.revents & events);
}

static gchar *
find_vgem (void)
{
  gchar *path = zc_test_find_drm_card ("vgem");

  fail_unless (path != NULL, "no vgem device in /dev/dri (see "
      "vm/kernelfacts)");
  return path;
}

static GstAllocator *alloc;

static void
setup_allocator (void)
{
  gchar *vgem = find_vgem ();
  GError *error = NULL;

  alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_DRM, vgem, &error);
  fail_unless (alloc != NULL, "%s", error ? error->message : "");
  g_free (vgem);
}

static void
teardown_allocator (void)
{
  gst_clear_object (&alloc);
}

static GstMemory *
new_dmabuf (void)
{
  GstMemory *mem = gst_allocator_alloc (alloc, 65536, NULL);

  fail_unless (mem != NULL);
  fail_unless (gst_is_dmabuf_memory (mem));
  return mem;
}

/* A CPU access that starts in another thread, to see whether it blocks. */
typedef struct
{
  gint fd;
  GstMapFlags flags;
  gint done;
  gboolean ok;
} CpuAccess;

static gpointer
cpu_access_thread (gpointer data)
{
  CpuAccess *access = data;

  access->ok = gst_zc_cpu_access_begin (access->fd, access->flags);
  if (access->ok)
    access->ok = gst_zc_cpu_access_end (access->fd, access->flags);
  g_atomic_int_set (&access->done, 1);
  return NULL;
}

static gboolean
done_within (CpuAccess * access, gint ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (!g_atomic_int_get (&access->done)) {
    if (g_get_monotonic_time () > end)
      return FALSE;
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
  }
  return TRUE;
}

/* A write fence (what a device still writing the buffer leaves) holds
 * back every reader until it signals. */
GST_START_TEST (test_write_fence_blocks_readers)
{
  GstMemory *mem = new_dmabuf ();
  gint fd = gst_dmabuf_memory_get_fd (mem);
  gint timeline = new_timeline ();
  gint fence = new_fence (timeline, 1);
  CpuAccess access = { fd, GST_MAP_READ, 0, FALSE };
  GError *error = NULL;
  GThread *thread;

  /* not signalled yet: the sync_file itself is not readable */
  fail_if (ready_within (fence, POLLIN, 0));
  /* an idle buffer is ready at once */
  fail_unless (gst_zc_fence_wait_fd (fd, GST_MAP_READ, 0, NULL));

  fail_unless (gst_zc_dmabuf_import_sync_file (fd, fence, GST_MAP_WRITE,
          &error), "%s", error ? error->message : "");

  fail_if (gst_zc_fence_wait_fd (fd, GST_MAP_READ, 100 * GST_MSECOND, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_clear_error (&error);
  fail_if (ready_within (fd, POLLIN, 50));
  fail_if (ready_within (fd, POLLOUT, 50));

  thread = g_thread_new ("cpu-access", cpu_access_thread, &access);
  fail_if (done_within (&access, 300), "SYNC_START|READ did not wait for "
      "the write fence");

  timeline_inc (timeline, 1);
  fail_unless (done_within (&access, 2000), "SYNC_START|READ still blocked "
      "after the fence signalled");
  g_thread_join (thread);
  fail_unless (access.ok);

  fail_unless (ready_within (fence, POLLIN, 0));
  fail_unless (ready_within (fd, POLLIN, 1000));
  fail_unless (gst_zc_fence_wait_fd (fd, GST_MAP_WRITE, GST_SECOND, &error),
      "%s", error ? error->message : "");

  close (fence);
  close (timeline);
  gst_memory_unref (mem);
}

GST_END_TEST;

/* A read fence holds back writers only. */
GST_START_TEST (test_read_fence_blocks_writers_only)
{
  GstMemory *mem = new_dmabuf ();
  gint fd = gst_dmabuf_memory_get_fd (mem);
  gint timeline = new_timeline ();
  gint fence = new_fence (timeline, 1);
  CpuAccess access = { fd, GST_MAP_WRITE, 0, FALSE };
  GError *error = NULL;
  GThread *thread;

  fail_unless (gst_zc_dmabuf_import_sync_file (fd, fence, GST_MAP_READ,
          &error), "%s", error ? error->message : "");

  fail_unless (gst_zc_fence_wait_fd (fd, GST_MAP_READ, 100 * GST_MSECOND,
          &error), "a read fence held back a reader: %s",
      error ? error->message : "");
  fail_unless (gst_zc_cpu_access_begin (fd, GST_MAP_READ));
  fail_unless (gst_zc_cpu_access_end (fd, GST_MAP_READ));

  fail_if (gst_zc_fence_wait_fd (fd, GST_MAP_WRITE, 100 * GST_MSECOND, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_clear_error (&error);

  thread = g_thread_new ("cpu-access", cpu_access_thread, &access);
  fail_if (done_within (&access, 300), "SYNC_START|WRITE did not wait for "
      "the read fence");
  timeline_inc (timeline, 1);
  fail_unless (done_within (&access, 2000));
  g_thread_join (thread);
  fail_unless (access.ok);
  fail_unless (ready_within (fd, POLLOUT, 1000));

  close (fence);
  close (timeline);
  gst_memory_unref (mem);
}

GST_END_TEST;

/* EXPORT of READ covers the writers, of WRITE covers everyone; a fence
 * exported from one buffer and imported into another carries the wait
 * over. */
GST_START_TEST (test_export_import_round_trip)
{
  GstMemory *a = new_dmabuf ();
  GstMemory *b = new_dmabuf ();
  gint fd_a = gst_dmabuf_memory_get_fd (a);
  gint fd_b = gst_dmabuf_memory_get_fd (b);
  gint timeline = new_timeline ();
  gint write_fence = new_fence (timeline, 1);
  gint read_fence = new_fence (timeline, 2);
  GError *error = NULL;
  gint idle, readers_wait, writers_wait, read_only;

  /* nothing pending: an already signalled sync_file */
  idle = gst_zc_dmabuf_export_sync_file (fd_a, GST_MAP_WRITE, &error);
  fail_unless (idle >= 0, "%s", error ? error->message : "");
  fail_unless (ready_within (idle, POLLIN, 0));

  fail_unless (gst_zc_dmabuf_import_sync_file (fd_a, write_fence,
          GST_MAP_WRITE, NULL));
  readers_wait = gst_zc_dmabuf_export_sync_file (fd_a, GST_MAP_READ, NULL);
  fail_unless (readers_wait >= 0);
  fail_if (ready_within (readers_wait, POLLIN, 50));

  /* carry the write fence over to b */
  fail_unless (gst_zc_dmabuf_import_sync_file (fd_b, readers_wait,
          GST_MAP_WRITE, &error), "%s", error ? error->message : "");
  fail_if (gst_zc_fence_wait_fd (fd_b, GST_MAP_READ, 100 * GST_MSECOND, NULL));

  /* a read fence on a: READ exports ignore it, WRITE exports include it */
  fail_unless (gst_zc_dmabuf_import_sync_file (fd_a, read_fence, GST_MAP_READ,
          NULL));
  read_only = gst_zc_dmabuf_export_sync_file (fd_a, GST_MAP_READ, NULL);
  writers_wait = gst_zc_dmabuf_export_sync_file (fd_a, GST_MAP_READWRITE, NULL);
  fail_unless (read_only >= 0 && writers_wait >= 0);

  timeline_inc (timeline, 1);
  fail_unless (ready_within (readers_wait, POLLIN, 1000));
  fail_unless (ready_within (read_only, POLLIN, 1000));
  fail_unless (gst_zc_fence_wait_fd (fd_b, GST_MAP_READ, GST_SECOND, NULL));
  /* the read fence (point 2) is still pending */
  fail_if (ready_within (writers_wait, POLLIN, 50));
  fail_if (gst_zc_fence_wait_fd (fd_a, GST_MAP_WRITE, 50 * GST_MSECOND, NULL));

  timeline_inc (timeline, 1);
  fail_unless (ready_within (writers_wait, POLLIN, 1000));
  fail_unless (gst_zc_fence_wait_fd (fd_a, GST_MAP_WRITE, GST_SECOND, NULL));

  close (idle);
  close (readers_wait);
  close (read_only);
  close (writers_wait);
  close (read_fence);
  close (write_fence);
  close (timeline);
  gst_memory_unref (b);
  gst_memory_unref (a);
}

GST_END_TEST;

/* The real kernel's refusals: a dma-buf is not a sync_file (EINVAL). */
GST_START_TEST (test_import_rejects_non_sync_file)
{
  GstMemory *a = new_dmabuf ();
  GstMemory *b = new_dmabuf ();
  GError *error = NULL;

  fail_if (gst_zc_dmabuf_import_sync_file (gst_dmabuf_memory_get_fd (a),
          gst_dmabuf_memory_get_fd (b), GST_MAP_WRITE, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR,
          G_IO_ERROR_INVALID_ARGUMENT), "%s", error ? error->message : "");
  g_clear_error (&error);

  gst_memory_unref (b);
  gst_memory_unref (a);
}

GST_END_TEST;

static Suite *
vm_swsync_suite (void)
{
  Suite *s = suite_create ("vm-swsync");
  TCase *tc = tcase_create ("sync_file");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup_allocator, teardown_allocator);
  tcase_add_test (tc, test_write_fence_blocks_readers);
  tcase_add_test (tc, test_read_fence_blocks_writers_only);
  tcase_add_test (tc, test_export_import_round_trip);
  tcase_add_test (tc, test_import_rejects_non_sync_file);

  return s;
}

GST_CHECK_MAIN (vm_swsync);
