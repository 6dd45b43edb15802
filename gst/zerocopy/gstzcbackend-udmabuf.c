/* GStreamer zero-copy library: udmabuf backend
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
#include <linux/udmabuf.h>

#define UDMABUF_DEVICE "/dev/udmabuf"

/* udmabuf (drivers/dma-buf/udmabuf.c) turns pages of a memfd into a
 * dma-buf. The kernel insists on a memfd sealed against shrinking
 * (F_SEAL_SHRINK) and not against writes, and on page-aligned offset and
 * size. Once the dma-buf exists it holds the pages: the memfd is closed. */

typedef struct
{
  gint fd;
} UdmabufState;

static gpointer
udmabuf_open (const GstZcBackendParams * params, GError ** error)
{
  UdmabufState *state;
  gint fd;

  if (params->device)
    goto device_given;

  fd = open (UDMABUF_DEVICE, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    goto open_failed;

  state = g_new0 (UdmabufState, 1);
  state->fd = fd;
  return state;

  /* ERRORS */
device_given:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "the udmabuf backend takes no device (got \"%s\")", params->device);
  return NULL;
open_failed:
  {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "cannot open " UDMABUF_DEVICE ": %s%s", g_strerror (err),
        err == ENOENT ? " (kernel without CONFIG_UDMABUF)" : "");
    return NULL;
  }
}

static gint
udmabuf_alloc (gpointer data, gsize size, gsize * alloc_size,
    GError ** error)
{
  UdmabufState *state = data;
  struct udmabuf_create create;
  gsize page = sysconf (_SC_PAGESIZE);
  gsize pages_size = (size + page - 1) / page * page;
  gint memfd, fd;

  memfd = gst_zc_memfd_new (pages_size, F_SEAL_SHRINK, error);
  if (memfd < 0)
    return -1;

  memset (&create, 0, sizeof (create));
  create.memfd = memfd;
  create.flags = UDMABUF_FLAGS_CLOEXEC;
  create.offset = 0;
  create.size = pages_size;
  do {
    fd = ioctl (state->fd, UDMABUF_CREATE, &create);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));

  if (fd < 0) {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "UDMABUF_CREATE of %" G_GSIZE_FORMAT " bytes failed: %s", pages_size,
        g_strerror (err));
  }
  close (memfd);

  *alloc_size = pages_size;
  return fd;
}

static void
udmabuf_close (gpointer data)
{
  UdmabufState *state = data;

  close (state->fd);
  g_free (state);
}

static const gchar *
udmabuf_describe (gpointer data)
{
  return "udmabuf (" UDMABUF_DEVICE ")";
}

const GstZcBackendOps gst_zc_backend_udmabuf = {
  .id = GST_ZC_BACKEND_UDMABUF,
  .is_dmabuf = TRUE,
  .open = udmabuf_open,
  .alloc = udmabuf_alloc,
  .close = udmabuf_close,
  .describe = udmabuf_describe,
};
