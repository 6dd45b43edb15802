/* GStreamer zero-copy library: dma-heap backend
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcbackend.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/dma-heap.h>

#define DMA_HEAP_DIR "/dev/dma_heap"

/* The kernel's dma-heap interface (Documentation/userspace-api/dma-buf-heaps
 * and uapi linux/dma-heap.h): open /dev/dma_heap/<name>, then every
 * DMA_HEAP_IOCTL_ALLOC returns a new dma-buf fd. "system" is ordinary
 * pages; "linux,cma" or "reserved" give physically contiguous memory for
 * devices without an IOMMU. */

typedef struct
{
  gint fd;
  gchar *description;
} HeapState;

static gpointer
heap_open (const GstZcBackendParams * params, GError ** error)
{
  const gchar *name = params->heap_name ? params->heap_name : "system";
  gchar *path;
  HeapState *state;
  gint fd;

  if (params->device)
    goto device_given;
  if (!*name || strchr (name, '/'))
    goto bad_name;

  path = g_build_filename (DMA_HEAP_DIR, name, NULL);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    goto open_failed;

  state = g_new0 (HeapState, 1);
  state->fd = fd;
  state->description = g_strdup_printf ("dma-heap (%s)", path);
  g_free (path);
  return state;

  /* ERRORS */
device_given:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "the dma-heap backend takes a heap name, not a device (got \"%s\")",
      params->device);
  return NULL;
bad_name:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "\"%s\" is not a dma-heap name", name);
  return NULL;
open_failed:
  {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "cannot open dma-heap %s: %s%s", path, g_strerror (err),
        err == ENOENT ? " (kernel without CONFIG_DMABUF_HEAPS, or no such "
        "heap)" : "");
    g_free (path);
    return NULL;
  }
}

static gint
heap_alloc (gpointer data, gsize size, gsize * alloc_size, GError ** error)
{
  HeapState *state = data;
  struct dma_heap_allocation_data alloc;
  gint ret;

  memset (&alloc, 0, sizeof (alloc));
  alloc.len = size;
  /* O_RDWR: the dma-buf must be mappable for writing too. */
  alloc.fd_flags = O_RDWR | O_CLOEXEC;

  do {
    ret = ioctl (state->fd, DMA_HEAP_IOCTL_ALLOC, &alloc);
  } while (ret < 0 && (errno == EINTR || errno == EAGAIN));

  if (ret < 0) {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "DMA_HEAP_IOCTL_ALLOC of %" G_GSIZE_FORMAT " bytes failed: %s", size,
        g_strerror (err));
    return -1;
  }

  /* Heaps allocate whole pages: the dma-buf is at least len bytes. */
  *alloc_size = size;
  return alloc.fd;
}

static void
heap_close (gpointer data)
{
  HeapState *state = data;

  close (state->fd);
  g_free (state->description);
  g_free (state);
}

static const gchar *
heap_describe (gpointer data)
{
  return ((HeapState *) data)->description;
}

const GstZcBackendOps gst_zc_backend_dma_heap = {
  .id = GST_ZC_BACKEND_DMA_HEAP,
  .is_dmabuf = TRUE,
  .open = heap_open,
  .alloc = heap_alloc,
  .close = heap_close,
  .describe = heap_describe,
};
