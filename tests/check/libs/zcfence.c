/* Host tests of the fence helpers' error paths (no dma-buf exporter needed)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static gint
new_memfd (void)
{
  gint fd = memfd_create ("zcfence-test", MFD_CLOEXEC);

  fail_unless (fd >= 0, "memfd_create: %s", g_strerror (errno));
  fail_unless_equals_int (ftruncate (fd, 4096), 0);
  return fd;
}

/* A memfd is the memfd backend's memory: the kernel answers ENOTTY to
 * dma-buf ioctls on it, which must read as "not supported" so callers can
 * fall back to waiting on the CPU. */
GST_START_TEST (test_import_on_memfd_not_supported)
{
  gint memfd = new_memfd ();
  gint other = new_memfd ();
  GError *error = NULL;

  fail_if (gst_zc_dmabuf_import_sync_file (memfd, other, GST_MAP_WRITE,
          &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED),
      "%s", error ? error->message : "no error");
  fail_unless (strstr (error->message, "IMPORT_SYNC_FILE") != NULL);
  g_clear_error (&error);

  /* a NULL error location is allowed */
  fail_if (gst_zc_dmabuf_import_sync_file (memfd, other, GST_MAP_READ, NULL));

  close (other);
  close (memfd);
}

GST_END_TEST;

GST_START_TEST (test_export_on_memfd_not_supported)
{
  gint memfd = new_memfd ();
  GError *error = NULL;

  fail_unless_equals_int (gst_zc_dmabuf_export_sync_file (memfd,
          GST_MAP_READ, &error), -1);
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED),
      "%s", error ? error->message : "no error");
  fail_unless (strstr (error->message, "EXPORT_SYNC_FILE") != NULL);
  g_clear_error (&error);

  fail_unless_equals_int (gst_zc_dmabuf_export_sync_file (memfd,
          GST_MAP_READWRITE, NULL), -1);
  close (memfd);
}

GST_END_TEST;

/* A closed fd is EBADF, not "not supported": the caller has a bug. */
GST_START_TEST (test_closed_fd_is_not_not_supported)
{
  gint memfd = new_memfd ();
  GError *error = NULL;

  close (memfd);
  fail_unless_equals_int (gst_zc_dmabuf_export_sync_file (memfd,
          GST_MAP_WRITE, &error), -1);
  fail_unless (error != NULL);
  fail_if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED),
      "%s", error->message);
  g_clear_error (&error);
}

GST_END_TEST;

static guint n_criticals;

static void
count_critical (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  n_criticals++;
}

/* The library logs in its own domain, which gst-check's ASSERT_CRITICAL
 * does not watch: count its criticals here. */
GST_START_TEST (test_programming_errors)
{
  guint handler = g_log_set_handler ("GStreamer-ZeroCopy",
      G_LOG_LEVEL_CRITICAL, count_critical, NULL);
  gint memfd = new_memfd ();

  n_criticals = 0;
  fail_if (gst_zc_dmabuf_import_sync_file (-1, memfd, GST_MAP_WRITE, NULL));
  fail_if (gst_zc_dmabuf_import_sync_file (memfd, -1, GST_MAP_WRITE, NULL));
  /* neither READ nor WRITE: the kernel would say EINVAL */
  fail_if (gst_zc_dmabuf_import_sync_file (memfd, memfd, 0, NULL));
  fail_unless_equals_int (gst_zc_dmabuf_export_sync_file (-1, GST_MAP_READ,
          NULL), -1);
  fail_unless_equals_int (gst_zc_dmabuf_export_sync_file (memfd, 0, NULL), -1);
  fail_unless_equals_int (n_criticals, 5);

  g_log_remove_handler ("GStreamer-ZeroCopy", handler);
  close (memfd);
}

GST_END_TEST;

static Suite *
zcfence_suite (void)
{
  Suite *s = suite_create ("zcfence");
  TCase *tc = tcase_create ("sync_file");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_import_on_memfd_not_supported);
  tcase_add_test (tc, test_export_on_memfd_not_supported);
  tcase_add_test (tc, test_closed_fd_is_not_not_supported);
  tcase_add_test (tc, test_programming_errors);

  return s;
}

GST_CHECK_MAIN (zcfence);
