/* Test bed tests of the allocator's drm backend on vgem (real kernel)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/dma-buf.h>
#include <xf86drm.h>

/* Debian's libdrm headers do not ship vgem_drm.h: these two ioctls are
 * declared as in the kernel's include/uapi/drm/vgem_drm.h. */
struct zc_vgem_fence_attach
{
  guint32 handle;
  guint32 flags;
  guint32 out_fence;
  guint32 pad;
};

struct zc_vgem_fence_signal
{
  guint32 fence;
  guint32 flags;
};

#define ZC_VGEM_FENCE_WRITE 0x1
#define ZC_IOCTL_VGEM_FENCE_ATTACH \
  DRM_IOWR (DRM_COMMAND_BASE + 0x1, struct zc_vgem_fence_attach)
#define ZC_IOCTL_VGEM_FENCE_SIGNAL \
  DRM_IOW (DRM_COMMAND_BASE + 0x2, struct zc_vgem_fence_signal)

/* The path of the vgem node: the test bed always has one. */
static gchar *
find_vgem (void)
{
  gchar *path = zc_test_find_drm_card ("vgem");

  fail_unless (path != NULL, "no vgem device in /dev/dri (see "
      "vm/kernelfacts)");
  return path;
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

static GstAllocator *
new_vgem_allocator (void)
{
  gchar *vgem = find_vgem ();
  GError *error = NULL;
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_DRM,
      vgem, &error);

  fail_unless (alloc != NULL, "%s", error ? error->message : "");
  g_free (vgem);
  return alloc;
}

GST_START_TEST (test_drm_backend_on_vgem)
{
  GstAllocator *alloc = new_vgem_allocator ();
  const gsize size = 640 * 480 * 4;
  GstMemory *mem = gst_allocator_alloc (alloc, size, NULL);
  GstMapInfo info;
  gsize i;
  gint fd;

  fail_unless (mem != NULL);
  fail_unless (gst_is_dmabuf_memory (mem));
  fail_unless_equals_int (gst_memory_get_sizes (mem, NULL, NULL), size);
  fd = gst_dmabuf_memory_get_fd (mem);
  fail_unless (is_dmabuf_fd (fd));
  fail_unless (fcntl (fd, F_GETFL) & O_RDWR);

  fail_unless (gst_memory_map (mem, &info, GST_MAP_WRITE));
  for (i = 0; i < size; i++)
    info.data[i] = (i * 7) & 0xff;
  gst_memory_unmap (mem, &info);

  fail_unless (gst_memory_map (mem, &info, GST_MAP_READ));
  for (i = 0; i < size; i += 4099)
    fail_unless_equals_int (info.data[i], (i * 7) & 0xff);
  gst_memory_unmap (mem, &info);

  /* the real kernel accepts every bracket the library issues */
  fail_unless (gst_zc_cpu_access_begin (fd, GST_MAP_READWRITE));
  fail_unless (gst_zc_cpu_access_end (fd, GST_MAP_READWRITE));
  fail_unless (gst_zc_dmabuf_sync (fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
  fail_unless (gst_zc_dmabuf_sync (fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* auto's order: dma-heap, udmabuf, drm; the test bed always has drm */
GST_START_TEST (test_auto_picks_first_exporter)
{
  GError *error = NULL;
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_AUTO,
      NULL, &error);
  GstZcBackend expected = GST_ZC_BACKEND_DRM;
  GstMemory *mem;

  if (g_file_test ("/dev/dma_heap/system", G_FILE_TEST_EXISTS))
    expected = GST_ZC_BACKEND_DMA_HEAP;
  else if (g_file_test ("/dev/udmabuf", G_FILE_TEST_EXISTS))
    expected = GST_ZC_BACKEND_UDMABUF;

  fail_unless (alloc != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (gst_zc_dmabuf_allocator_get_backend
      (GST_ZC_DMABUF_ALLOCATOR (alloc)), expected);
  mem = gst_allocator_alloc (alloc, 1 << 20, NULL);
  fail_unless (gst_is_dmabuf_memory (mem));
  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_no_fd_leak)
{
  GstAllocator *alloc = new_vgem_allocator ();
  guint before = zc_test_count_fds ();
  guint i;

  for (i = 0; i < 1000; i++) {
    GstMemory *mem = gst_allocator_alloc (alloc, 65536, NULL);
    GstMapInfo info;

    fail_unless (mem != NULL);
    fail_unless (gst_memory_map (mem, &info, GST_MAP_WRITE));
    info.data[0] = i;
    gst_memory_unmap (mem, &info);
    gst_memory_unref (mem);
  }
  fail_unless_equals_int (zc_test_count_fds (), before);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* A device still writing (a vgem write fence on the dma-buf) keeps the
 * fence wait blocked until the fence is signalled. */
GST_START_TEST (test_fence_wait_on_vgem_fence)
{
  GstAllocator *alloc = new_vgem_allocator ();
  GstMemory *mem = gst_allocator_alloc (alloc, 4096, NULL);
  gchar *vgem = find_vgem ();
  gint card = open (vgem, O_RDWR | O_CLOEXEC);
  struct zc_vgem_fence_attach attach = { 0, };
  struct zc_vgem_fence_signal signal = { 0, };
  GError *error = NULL;
  guint32 handle;
  gint fd = gst_dmabuf_memory_get_fd (mem);

  fail_unless (card >= 0);
  fail_unless_equals_int (drmPrimeFDToHandle (card, fd, &handle), 0);
  attach.handle = handle;
  attach.flags = ZC_VGEM_FENCE_WRITE;
  fail_unless_equals_int (drmIoctl (card, ZC_IOCTL_VGEM_FENCE_ATTACH,
          &attach), 0);

  /* not readable while the fence is pending */
  fail_if (gst_zc_fence_wait_fd (fd, GST_MAP_READ, 100 * GST_MSECOND,
          &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_clear_error (&error);

  signal.fence = attach.out_fence;
  fail_unless_equals_int (drmIoctl (card, ZC_IOCTL_VGEM_FENCE_SIGNAL,
          &signal), 0);
  fail_unless (gst_zc_fence_wait_fd (fd, GST_MAP_READ, GST_SECOND, &error));

  close (card);
  g_free (vgem);
  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* Shaped dumb buffers: the driver's pitch becomes the pool's stride */
GST_START_TEST (test_shaped_dumb_pool)
{
  GstAllocator *alloc = new_vgem_allocator ();
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=BGRx,"
      "width=642,height=480,framerate=30/1");
  GstMemory *dumb;
  GstBuffer *buf = NULL;
  GstVideoMeta *meta;
  GError *error = NULL;
  guint pitch = 0;

  dumb = gst_zc_dmabuf_allocator_alloc_dumb (alloc, 642, 480, 32, &pitch,
      &error);
  fail_unless (dumb != NULL, "%s", error ? error->message : "");
  fail_unless (pitch >= 642 * 4);
  fail_unless (dumb->maxsize >= (gsize) pitch * 480);
  fail_unless (gst_is_dmabuf_memory (dumb));

  gst_buffer_pool_config_set_params (config, caps, 642 * 480 * 4, 1, 2);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  meta = gst_buffer_get_video_meta (buf);
  fail_unless_equals_int (meta->stride[0], pitch);
  fail_unless_equals_int (gst_buffer_get_size (buf), dumb->maxsize);

  gst_buffer_unref (buf);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_caps_unref (caps);
  gst_memory_unref (dumb);
  gst_object_unref (alloc);
}

GST_END_TEST;

static Suite *
vm_drm_suite (void)
{
  Suite *s = suite_create ("vm-drm");
  TCase *tc = tcase_create ("vgem");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_drm_backend_on_vgem);
  tcase_add_test (tc, test_auto_picks_first_exporter);
  tcase_add_test (tc, test_no_fd_leak);
  tcase_add_test (tc, test_fence_wait_on_vgem_fence);
  tcase_add_test (tc, test_shaped_dumb_pool);

  return s;
}

GST_CHECK_MAIN (vm_drm);
