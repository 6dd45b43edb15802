/* Unit tests for GstZcDmabufAllocator that run on any Linux machine
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

/* Mappings of the memfd backend's memory, as /proc/self/maps lists them */
static guint
count_memfd_mappings (void)
{
  gchar *maps = NULL, **lines;
  guint i, n = 0;

  fail_unless (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  for (i = 0; lines[i]; i++)
    if (strstr (lines[i], "/memfd:gst-zerocopy"))
      n++;
  g_strfreev (lines);
  g_free (maps);
  return n;
}

static GstAllocator *
new_memfd_allocator (void)
{
  GError *error = NULL;
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_MEMFD,
      NULL, &error);

  fail_unless (alloc != NULL, "%s", error ? error->message : "");
  return alloc;
}

GST_START_TEST (test_memfd_backend)
{
  GstAllocator *alloc = new_memfd_allocator ();
  GstZcBackend active;
  GstMemory *mem;
  GstMapInfo info;
  guint i;
  gint fd;

  g_object_get (alloc, "active-backend", &active, NULL);
  fail_unless_equals_int (active, GST_ZC_BACKEND_MEMFD);
  fail_if (gst_zc_dmabuf_allocator_is_dmabuf (GST_ZC_DMABUF_ALLOCATOR
          (alloc)));

  mem = gst_allocator_alloc (alloc, 1000, NULL);
  fail_unless (mem != NULL);
  /* fd memory, honestly not a dma-buf */
  fail_unless (gst_is_fd_memory (mem));
  fail_if (gst_is_dmabuf_memory (mem));
  fail_unless_equals_int (gst_memory_get_sizes (mem, NULL, NULL), 1000);

  fail_unless (gst_memory_map (mem, &info, GST_MAP_WRITE));
  for (i = 0; i < 1000; i++)
    info.data[i] = i % 251;
  gst_memory_unmap (mem, &info);

  fail_unless (gst_memory_map (mem, &info, GST_MAP_READ));
  for (i = 0; i < 1000; i++)
    fail_unless_equals_int (info.data[i], i % 251);
  gst_memory_unmap (mem, &info);

  fd = gst_fd_memory_get_fd (mem);
  fail_unless (fcntl (fd, F_GETFD) >= 0);
  /* close-on-exec: fds never leak into child processes */
  fail_unless (fcntl (fd, F_GETFD) & FD_CLOEXEC);
  gst_memory_unref (mem);
  /* freeing the memory closed its fd */
  fail_unless (fcntl (fd, F_GETFD) < 0 && errno == EBADF);

  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_sizes_and_params)
{
  GstAllocator *alloc = new_memfd_allocator ();
  GstAllocationParams params;
  GstMemory *mem;
  gsize offset, maxsize, size;

  gst_allocation_params_init (&params);
  params.prefix = 64;
  params.padding = 32;
  mem = gst_allocator_alloc (alloc, 4000, &params);
  size = gst_memory_get_sizes (mem, &offset, &maxsize);
  fail_unless_equals_int (size, 4000);
  fail_unless_equals_int (offset, 64);
  fail_unless (maxsize >= 4000 + 64 + 32);
  gst_memory_unref (mem);

  /* one byte, and a large frame (1920x1080 BGRx) */
  mem = gst_allocator_alloc (alloc, 1, NULL);
  fail_unless_equals_int (gst_memory_get_sizes (mem, NULL, NULL), 1);
  gst_memory_unref (mem);
  mem = gst_allocator_alloc (alloc, 1920 * 1080 * 4, NULL);
  fail_unless_equals_int (gst_memory_get_sizes (mem, NULL, NULL),
      1920 * 1080 * 4);
  gst_memory_unref (mem);

  gst_object_unref (alloc);
}

GST_END_TEST;

/* Map once, sync many: every map of a memory returns the same mapping,
 * and it goes away only with the memory. */
GST_START_TEST (test_mapping_kept)
{
  GstAllocator *alloc = new_memfd_allocator ();
  GstMemory *mem = gst_allocator_alloc (alloc, 8192, NULL);
  GstMapInfo a, b;
  guint before = count_memfd_mappings ();

  fail_unless (gst_memory_map (mem, &a, GST_MAP_READ));
  gst_memory_unmap (mem, &a);
  fail_unless (gst_memory_map (mem, &b, GST_MAP_READ));
  gst_memory_unmap (mem, &b);
  fail_unless (a.data == b.data);
  fail_unless_equals_int (count_memfd_mappings (), before + 1);

  gst_memory_unref (mem);
  fail_unless_equals_int (count_memfd_mappings (), before);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_no_fd_leak)
{
  GstAllocator *alloc = new_memfd_allocator ();
  guint before = zc_test_count_fds (), maps_before = count_memfd_mappings ();
  guint i;

  for (i = 0; i < 1000; i++) {
    GstMemory *mem = gst_allocator_alloc (alloc, 4096 + i, NULL);
    GstMapInfo info;

    fail_unless (mem != NULL);
    fail_unless (gst_memory_map (mem, &info, GST_MAP_WRITE));
    info.data[0] = i;
    gst_memory_unmap (mem, &info);
    gst_memory_unref (mem);
  }

  fail_unless_equals_int (zc_test_count_fds (), before);
  fail_unless_equals_int (count_memfd_mappings (), maps_before);
  gst_object_unref (alloc);
  fail_unless_equals_int (zc_test_count_fds (), before);
}

GST_END_TEST;

/* Forcing a backend that cannot work fails and names what is missing. */
GST_START_TEST (test_drm_unavailable_is_named)
{
  GError *error = NULL;
  GstAllocator *alloc;
  guint before = zc_test_count_fds ();

  alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_DRM,
      "/nonexistent/card0", &error);
  fail_unless (alloc == NULL);
  fail_unless (error != NULL);
  fail_unless (strstr (error->message, "/nonexistent/card0") != NULL,
      "%s", error->message);
  fail_unless (strstr (error->message, "drm") != NULL, "%s", error->message);
  g_clear_error (&error);

  /* a character device that is not DRM */
  alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_DRM, "/dev/null",
      &error);
  fail_unless (alloc == NULL);
  fail_unless (strstr (error->message, "dumb") != NULL, "%s", error->message);
  g_clear_error (&error);

  /* memfd takes no device */
  alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_MEMFD, "/dev/null",
      &error);
  fail_unless (alloc == NULL);
  g_clear_error (&error);

  fail_unless_equals_int (zc_test_count_fds (), before);
}

GST_END_TEST;

/* auto takes drm where a DRM node can export dumb buffers, memfd otherwise */
GST_START_TEST (test_auto_backend)
{
  GError *error = NULL;
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_AUTO,
      NULL, &error);
  GstAllocator *drm;
  GstZcBackend expected, active;

  fail_unless (alloc != NULL);
  drm = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_DRM, NULL, NULL);
  expected = drm ? GST_ZC_BACKEND_DRM : GST_ZC_BACKEND_MEMFD;
  active = gst_zc_dmabuf_allocator_get_backend (GST_ZC_DMABUF_ALLOCATOR
      (alloc));
  fail_unless_equals_int (active, expected);
  fail_unless_equals_string (gst_zc_backend_get_nick (active),
      drm ? "drm" : "memfd");

  if (drm)
    gst_object_unref (drm);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* Nothing to allocate, an overflowing request and more than the machine's
 * memory all fail cleanly, without an fd left behind. */
GST_START_TEST (test_bad_sizes)
{
  GstAllocator *alloc = new_memfd_allocator ();
  GstAllocationParams params;
  guint before = zc_test_count_fds ();

  fail_unless (gst_allocator_alloc (alloc, 0, NULL) == NULL);
  fail_unless (gst_allocator_alloc (alloc, (gsize) 1 << 50,
          NULL) == NULL);
  gst_allocation_params_init (&params);
  params.prefix = 64;
  fail_unless (gst_allocator_alloc (alloc, G_MAXSIZE - 10, &params) == NULL);
  fail_unless_equals_int (zc_test_count_fds (), before);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_dumb_needs_drm)
{
  GstAllocator *alloc = new_memfd_allocator ();
  GError *error = NULL;
  guint pitch = 0;

  fail_unless (gst_zc_dmabuf_allocator_alloc_dumb (alloc, 64, 64, 32, &pitch,
          &error) == NULL);
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED));
  fail_unless (strstr (error->message, "memfd") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_importer_allocates_nothing)
{
  GstAllocator *importer = gst_zc_dmabuf_allocator_get_importer ();

  fail_unless (importer == gst_zc_dmabuf_allocator_get_importer ());
  fail_unless_equals_int (gst_zc_dmabuf_allocator_get_backend
      (GST_ZC_DMABUF_ALLOCATOR (importer)), GST_ZC_BACKEND_IMPORT);
  fail_unless (gst_allocator_alloc (importer, 100, NULL) == NULL);
}

GST_END_TEST;

/* A pool can allocate from it like from any allocator. */
GST_START_TEST (test_in_buffer_pool)
{
  GstAllocator *alloc = new_memfd_allocator ();
  GstBufferPool *pool = gst_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstBuffer *buf = NULL;

  gst_buffer_pool_config_set_params (config, NULL, 640 * 480 * 2, 2, 4);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fail_unless (gst_buffer_peek_memory (buf, 0)->allocator != NULL);
  fail_unless (gst_is_fd_memory (gst_buffer_peek_memory (buf, 0)));
  gst_buffer_unref (buf);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

static Suite *
zcallocator_suite (void)
{
  Suite *s = suite_create ("zcallocator");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_memfd_backend);
  tcase_add_test (tc, test_sizes_and_params);
  tcase_add_test (tc, test_mapping_kept);
  tcase_add_test (tc, test_no_fd_leak);
  tcase_add_test (tc, test_drm_unavailable_is_named);
  tcase_add_test (tc, test_auto_backend);
  tcase_add_test (tc, test_bad_sizes);
  tcase_add_test (tc, test_dumb_needs_drm);
  tcase_add_test (tc, test_importer_allocates_nothing);
  tcase_add_test (tc, test_in_buffer_pool);

  return s;
}

GST_CHECK_MAIN (zcallocator);
