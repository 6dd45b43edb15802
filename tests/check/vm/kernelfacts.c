/* Test bed: the kernel offers every device and interface the project is tested against
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each test names what is missing and the kernel option that brings it
 * (tests/vm/kernel.config). Debian's kernel (tests/vm/run.sh --kernel
 * debian) lacks udmabuf, dma-heaps, vkms and sw_sync and fails here by
 * design; the project's own kernel, the test bed's default, passes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#define SW_SYNC_PATH "/sys/kernel/debug/sync/sw_sync"

static void
assert_card (const gchar * name, const gchar * option)
{
  gchar *path = zc_test_find_drm_card (name);

  fail_unless (path != NULL, "no DRM device of driver '%s' in /dev/dri "
      "(kernel option %s)", name, option);
  GST_INFO ("%s is %s", path, name);
  g_free (path);
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

GST_START_TEST (test_vivid_capture_node)
{
  gboolean found = FALSE;
  gint i;

  for (i = 0; i < 64 && !found; i++) {
    gchar *path = g_strdup_printf ("/dev/video%d", i);
    gint fd = open (path, O_RDWR | O_CLOEXEC);
    struct v4l2_capability cap;

    memset (&cap, 0, sizeof (cap));
    if (fd >= 0 && ioctl (fd, VIDIOC_QUERYCAP, &cap) == 0 &&
        g_str_equal ((const gchar *) cap.driver, "vivid") &&
        (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
        (cap.device_caps & V4L2_CAP_STREAMING)) {
      GST_INFO ("%s is vivid's capture node", path);
      found = TRUE;
    }
    if (fd >= 0)
      close (fd);
    g_free (path);
  }
  fail_unless (found, "no V4L2 capture node of driver 'vivid' in /dev "
      "(kernel option VIDEO_VIVID)");
}

GST_END_TEST;

GST_START_TEST (test_vgem)
{
  assert_card ("vgem", "DRM_VGEM");
}

GST_END_TEST;

GST_START_TEST (test_virtio_gpu)
{
  assert_card ("virtio_gpu", "DRM_VIRTIO_GPU, and -device virtio-gpu-pci");
}

GST_END_TEST;

GST_START_TEST (test_vkms)
{
  assert_card ("vkms", "DRM_VKMS");
}

GST_END_TEST;

/* Writeback connectors are only listed to clients that ask for them, and
 * the kernel accepts that cap only from atomic clients. */
GST_START_TEST (test_vkms_writeback_connector)
{
  gchar *path = zc_test_find_drm_card ("vkms");
  drmModeRes *res;
  gboolean found = FALSE;
  gint fd, i;

  fail_unless (path != NULL, "no DRM device of driver 'vkms' "
      "(kernel option DRM_VKMS)");
  fd = open (path, O_RDWR | O_CLOEXEC);
  fail_unless (fd >= 0, "open %s: %s", path, g_strerror (errno));
  fail_unless_equals_int (drmSetClientCap (fd, DRM_CLIENT_CAP_ATOMIC, 1), 0);
  fail_unless_equals_int (drmSetClientCap (fd,
          DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1), 0);

  res = drmModeGetResources (fd);
  fail_unless (res != NULL, "drmModeGetResources: %s", g_strerror (errno));
  for (i = 0; i < res->count_connectors; i++) {
    drmModeConnector *c = drmModeGetConnector (fd, res->connectors[i]);

    if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK)
      found = TRUE;
    drmModeFreeConnector (c);
  }
  drmModeFreeResources (res);
  fail_unless (found, "vkms (%s) has no writeback connector "
      "(vkms module parameter enable_writeback)", path);

  close (fd);
  g_free (path);
}

GST_END_TEST;

/* Beyond the node existing: it turns sealed memfd pages into a dma-buf. */
GST_START_TEST (test_udmabuf)
{
  struct udmabuf_create create;
  gint dev, memfd, buf;

  dev = open ("/dev/udmabuf", O_RDWR | O_CLOEXEC);
  fail_unless (dev >= 0, "cannot open /dev/udmabuf: %s (kernel option "
      "UDMABUF)", g_strerror (errno));

  memfd = memfd_create ("kernelfacts", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  fail_unless (memfd >= 0);
  fail_unless_equals_int (ftruncate (memfd, 65536), 0);
  fail_unless_equals_int (fcntl (memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);

  memset (&create, 0, sizeof (create));
  create.memfd = memfd;
  create.flags = UDMABUF_FLAGS_CLOEXEC;
  create.size = 65536;
  buf = ioctl (dev, UDMABUF_CREATE, &create);
  fail_unless (buf >= 0, "UDMABUF_CREATE: %s", g_strerror (errno));
  fail_unless (is_dmabuf_fd (buf), "UDMABUF_CREATE did not give a dma-buf");

  close (buf);
  close (memfd);
  close (dev);
}

GST_END_TEST;

GST_START_TEST (test_dma_heap_system)
{
  struct dma_heap_allocation_data alloc;
  gint heap;

  heap = open ("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
  fail_unless (heap >= 0, "cannot open /dev/dma_heap/system: %s (kernel "
      "options DMABUF_HEAPS, DMABUF_HEAPS_SYSTEM)", g_strerror (errno));

  memset (&alloc, 0, sizeof (alloc));
  alloc.len = 65536;
  alloc.fd_flags = O_RDWR | O_CLOEXEC;
  fail_unless_equals_int (ioctl (heap, DMA_HEAP_IOCTL_ALLOC, &alloc), 0);
  fail_unless (is_dmabuf_fd (alloc.fd),
      "DMA_HEAP_IOCTL_ALLOC did not give a dma-buf");

  close (alloc.fd);
  close (heap);
}

GST_END_TEST;

GST_START_TEST (test_sw_sync)
{
  struct stat st;
  gint fd;

  fail_unless (stat ("/sys/kernel/debug/sync", &st) == 0,
      "no /sys/kernel/debug/sync: debugfs not mounted, or kernel options "
      "DEBUG_FS, SW_SYNC missing");
  /* opening the file creates a sw_sync timeline */
  fd = open (SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
  fail_unless (fd >= 0, "cannot open " SW_SYNC_PATH ": %s (kernel option "
      "SW_SYNC)", g_strerror (errno));
  close (fd);
}

GST_END_TEST;

GST_START_TEST (test_two_cpus)
{
  glong n = sysconf (_SC_NPROCESSORS_ONLN);

  fail_unless (n >= 2, "the guest has %ld CPU(s) online, the test bed runs "
      "-smp 2 (kernel options SMP, NR_CPUS >= 2)", n);
}

GST_END_TEST;

static Suite *
vm_kernelfacts_suite (void)
{
  Suite *s = suite_create ("vm-kernelfacts");
  TCase *v4l2 = tcase_create ("v4l2");
  TCase *drm = tcase_create ("drm");
  TCase *dmabuf = tcase_create ("dmabuf");
  TCase *machine = tcase_create ("machine");

  suite_add_tcase (s, v4l2);
  tcase_add_test (v4l2, test_vivid_capture_node);

  suite_add_tcase (s, drm);
  tcase_add_test (drm, test_vgem);
  tcase_add_test (drm, test_virtio_gpu);
  tcase_add_test (drm, test_vkms);
  tcase_add_test (drm, test_vkms_writeback_connector);

  suite_add_tcase (s, dmabuf);
  tcase_add_test (dmabuf, test_udmabuf);
  tcase_add_test (dmabuf, test_dma_heap_system);
  tcase_add_test (dmabuf, test_sw_sync);

  suite_add_tcase (s, machine);
  tcase_add_test (machine, test_two_cpus);

  return s;
}

GST_CHECK_MAIN (vm_kernelfacts);
