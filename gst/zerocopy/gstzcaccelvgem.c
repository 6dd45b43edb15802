/* GStreamer zero-copy library: the accelerator's kernel fences, via vgem
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A real accelerator's driver puts a write fence into the reservation
 * object of every dma-buf it is about to write, and signals it when the
 * hardware is done: poll() on the dma-buf, DMA_BUF_IOCTL_SYNC and other
 * drivers then wait for it (kernel dma-buf docs, "Implicit Fence Poll
 * Support"). A simulated device has no driver of its own; vgem lends one:
 * it imports the dma-buf (PRIME), attaches a fence of its own to it with
 * VGEM_FENCE_ATTACH and signals it from user space with VGEM_FENCE_SIGNAL
 * (kernel uapi drm/vgem_drm.h). vgem signals a fence by itself after 10 s,
 * so a job longer than that loses its kernel fence early. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcaccelprivate.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <xf86drm.h>

#define GST_CAT_DEFAULT gst_zc_accel_debug

/* Debian's libdrm headers lack vgem_drm.h: these are the kernel's
 * include/uapi/drm/vgem_drm.h declarations. */
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

/* DRM nodes searched for vgem: primary and render nodes. */
#define MAX_CARDS 16

struct _GstZcAccelVgem
{
  gint fd;
};

static gboolean
is_vgem (gint fd)
{
  drmVersion *version = drmGetVersion (fd);
  gboolean ret = version && g_strcmp0 (version->name, "vgem") == 0;

  if (version)
    drmFreeVersion (version);
  return ret;
}

static gint
open_vgem_node (const gchar * pattern, gint first)
{
  gint i;

  for (i = first; i < first + MAX_CARDS; i++) {
    gchar *path = g_strdup_printf (pattern, i);
    gint fd = open (path, O_RDWR | O_CLOEXEC);

    if (fd >= 0 && is_vgem (fd)) {
      GST_INFO ("kernel fences through vgem on %s", path);
      g_free (path);
      return fd;
    }
    if (fd >= 0)
      close (fd);
    g_free (path);
  }
  return -1;
}

GstZcAccelVgem *
gst_zc_accel_vgem_open (GError ** error)
{
  GstZcAccelVgem *vgem;
  gint fd;

  /* The render node needs no DRM master and is what vgem is used by. */
  fd = open_vgem_node ("/dev/dri/renderD%d", 128);
  if (fd < 0)
    fd = open_vgem_node ("/dev/dri/card%d", 0);
  if (fd < 0)
    goto no_vgem;

  vgem = g_new0 (GstZcAccelVgem, 1);
  vgem->fd = fd;
  return vgem;

  /* ERRORS */
no_vgem:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      "no vgem device in /dev/dri (CONFIG_DRM_VGEM): outputs are fenced by "
      "GstZcFenceMeta only");
  return NULL;
}

/* Imports @dmabuf_fd, attaches a write fence and drops the handle at once:
 * the fence lives in the dma-buf's reservation object, not in the handle,
 * and a kept handle would keep the dma-buf alive. */
gboolean
gst_zc_accel_vgem_attach (GstZcAccelVgem * vgem, gint dmabuf_fd,
    guint32 * fence, GError ** error)
{
  struct zc_vgem_fence_attach attach;
  guint32 handle = 0;
  gint err;

  if (drmPrimeFDToHandle (vgem->fd, dmabuf_fd, &handle) != 0)
    goto import_failed;

  memset (&attach, 0, sizeof (attach));
  attach.handle = handle;
  attach.flags = ZC_VGEM_FENCE_WRITE;
  /* drmIoctl restarts on EINTR and EAGAIN. */
  err = drmIoctl (vgem->fd, ZC_IOCTL_VGEM_FENCE_ATTACH, &attach) ? errno : 0;
  drmCloseBufferHandle (vgem->fd, handle);
  if (err)
    goto attach_failed;

  *fence = attach.out_fence;
  return TRUE;

  /* ERRORS */
import_failed:
  err = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
      "vgem cannot import dma-buf fd %d: %s", dmabuf_fd, g_strerror (err));
  return FALSE;
attach_failed:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
      "VGEM_FENCE_ATTACH on dma-buf fd %d failed: %s", dmabuf_fd,
      g_strerror (err));
  return FALSE;
}

void
gst_zc_accel_vgem_signal (GstZcAccelVgem * vgem, guint32 fence)
{
  struct zc_vgem_fence_signal signal;

  memset (&signal, 0, sizeof (signal));
  signal.fence = fence;
  if (drmIoctl (vgem->fd, ZC_IOCTL_VGEM_FENCE_SIGNAL, &signal) == 0)
    return;

  /* ETIMEDOUT: vgem signalled it by itself after 10 s. Anything else is
   * a bug, and vgem's timeout releases the waiters all the same. */
  if (errno == ETIMEDOUT)
    GST_INFO ("fence %u: vgem signalled it after its 10 s timeout", fence);
  else
    GST_WARNING ("VGEM_FENCE_SIGNAL of fence %u failed: %s", fence,
        g_strerror (errno));
}

void
gst_zc_accel_vgem_close (GstZcAccelVgem * vgem)
{
  close (vgem->fd);
  g_free (vgem);
}
