/* GStreamer zero-copy library: memfd backend
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcbackend.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

#include <gio/gio.h>

/* The fallback where no dma-buf exporter exists: shared memory that the CPU
 * can map and another process can receive, but that no device can import.
 * It is not a dma-buf, so DMA_BUF_IOCTL_SYNC would answer ENOTTY: its
 * memory is handed out by a plain GstFdAllocator, whose map does no ioctl. */

static gpointer
memfd_open (const GstZcBackendParams * params, GError ** error)
{
  if (params->device) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the memfd backend takes no device (got \"%s\")", params->device);
    return NULL;
  }
  return (gpointer) "memfd (fd memory, not a dma-buf)";
}

/* A memfd of @size bytes with @seals added (F_SEAL_*), or -1 with @error
 * set. Shared with the udmabuf backend, whose kernel side insists on
 * F_SEAL_SHRINK. */
gint
gst_zc_memfd_new (gsize size, guint seals, GError ** error)
{
  gint fd;

  fd = memfd_create ("gst-zerocopy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    goto create_failed;
  if (ftruncate (fd, size) < 0)
    goto truncate_failed;
  if (fcntl (fd, F_ADD_SEALS, seals) < 0)
    goto truncate_failed;

  return fd;

  /* ERRORS */
create_failed:
  {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "memfd_create failed: %s", g_strerror (err));
    return -1;
  }
truncate_failed:
  {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "sizing memfd to %" G_GSIZE_FORMAT " bytes failed: %s", size,
        g_strerror (err));
    close (fd);
    return -1;
  }
}

static gint
memfd_alloc (gpointer state, gsize size, gsize * alloc_size, GError ** error)
{
  /* The size is part of the memory's contract: nobody may change it. */
  gint fd = gst_zc_memfd_new (size, F_SEAL_SHRINK | F_SEAL_GROW, error);

  if (fd >= 0)
    *alloc_size = size;
  return fd;
}

static void
memfd_close (gpointer state)
{
}

static const gchar *
memfd_describe (gpointer state)
{
  return state;
}

const GstZcBackendOps gst_zc_backend_memfd = {
  .id = GST_ZC_BACKEND_MEMFD,
  .is_dmabuf = FALSE,
  .open = memfd_open,
  .alloc = memfd_alloc,
  .close = memfd_close,
  .describe = memfd_describe,
};
