/* GStreamer zero-copy library: DRM dumb buffer backend
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcbackend.h"
#include "gstzcprivate.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#define GST_CAT_DEFAULT gst_zc_allocator_debug

/* Dumb buffers are created as 32 bpp rows of DUMB_WIDTH pixels: every
 * driver accepts 32 bpp (virtio-gpu accepts nothing else), and one row is
 * then 4096 bytes, a page, so the allocation wastes less than a row. */
#define DUMB_BPP 32
#define DUMB_WIDTH 1024
#define DUMB_PITCH (DUMB_WIDTH * DUMB_BPP / 8)
#define MAX_CARDS 16

typedef struct
{
  gint fd;
  gchar *description;
} DrmState;

static gboolean
has_kms (gint fd)
{
  drmModeRes *res = drmModeGetResources (fd);
  gboolean ret = res && res->count_crtcs > 0;

  if (res)
    drmModeFreeResources (res);
  return ret;
}

static gboolean
can_create_dumb (gint fd)
{
  struct drm_mode_create_dumb create;
  struct drm_mode_destroy_dumb destroy;

  memset (&create, 0, sizeof (create));
  create.bpp = DUMB_BPP;
  create.width = DUMB_WIDTH;
  create.height = 1;
  if (drmIoctl (fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0)
    return FALSE;

  memset (&destroy, 0, sizeof (destroy));
  destroy.handle = create.handle;
  drmIoctl (fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
  return TRUE;
}

/* Opens @path and checks that it can make dumb buffers and export them with
 * PRIME. Returns the fd, or -1 with @error set. */
static gint
open_card (const gchar * path, GError ** error)
{
  struct stat st;
  guint64 dumb = 0, prime = 0;
  gint fd;

  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    goto open_failed;
  if (fstat (fd, &st) < 0 || !S_ISCHR (st.st_mode))
    goto not_a_device;
  /* Render-only drivers such as vgem make dumb buffers but answer
   * EOPNOTSUPP to DRM_CAP_DUMB_BUFFER (a KMS-only cap): try one. */
  if ((drmGetCap (fd, DRM_CAP_DUMB_BUFFER, &dumb) == 0 && !dumb)
      || !can_create_dumb (fd))
    goto no_dumb;
  if (drmGetCap (fd, DRM_CAP_PRIME, &prime) < 0
      || !(prime & DRM_PRIME_CAP_EXPORT))
    goto no_prime;

  /* The first opener of a primary node may become DRM master, which would
   * keep a display sink in this process or another from setting modes;
   * allocating needs no master. */
  if (drmIsMaster (fd))
    drmDropMaster (fd);

  return fd;

  /* ERRORS */
open_failed:
  {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "cannot open DRM device %s: %s", path, g_strerror (err));
    return -1;
  }
not_a_device:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
      "%s is not a DRM device (not a character device)", path);
  goto fail;
no_dumb:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
      "DRM device %s cannot create dumb buffers "
      "(DRM_IOCTL_MODE_CREATE_DUMB refused)", path);
  goto fail;
no_prime:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
      "DRM device %s cannot export dma-bufs (no DRM_PRIME_CAP_EXPORT)", path);
  goto fail;
fail:
  close (fd);
  return -1;
}

/* Without a device path: the first card that works, preferring devices
 * without KMS (vgem) so that allocation never competes with a display. */
static gint
find_card (gchar ** path_out, GError ** error)
{
  gint pass, i;

  for (pass = 0; pass < 2; pass++) {
    for (i = 0; i < MAX_CARDS; i++) {
      gchar *path = g_strdup_printf ("%s/card%d", DRM_DIR_NAME, i);
      gint fd = open_card (path, NULL);

      if (fd >= 0 && has_kms (fd) == (pass == 1)) {
        *path_out = path;
        return fd;
      }
      if (fd >= 0)
        close (fd);
      g_free (path);
    }
  }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      "no DRM device that can create and PRIME-export dumb buffers in "
      DRM_DIR_NAME " (kernel without DRM, or no driver such as vgem "
      "loaded)");
  return -1;
}

static gpointer
drm_open (const GstZcBackendParams * params, GError ** error)
{
  const gchar *device = params->device;
  DrmState *state;
  drmVersion *version;
  gchar *path = NULL;
  gint fd;

  if (device) {
    path = g_strdup (device);
    fd = open_card (path, error);
  } else {
    fd = find_card (&path, error);
  }
  if (fd < 0) {
    g_free (path);
    return NULL;
  }

  state = g_new0 (DrmState, 1);
  state->fd = fd;
  version = drmGetVersion (fd);
  state->description = g_strdup_printf ("drm (%s on %s)",
      version ? version->name : "unknown driver", path);
  if (version)
    drmFreeVersion (version);
  g_free (path);

  return state;
}

/* A dumb buffer of @width x @height pixels of @bpp bits, exported with
 * PRIME; *@pitch and *@size receive the driver's row pitch and buffer
 * size in bytes. */
gint
gst_zc_backend_drm_alloc_dumb (gpointer data, guint width, guint height,
    guint bpp, guint32 * pitch, gsize * size, GError ** error)
{
  DrmState *state = data;
  struct drm_mode_create_dumb create;
  struct drm_mode_destroy_dumb destroy;
  gint prime_fd = -1, ret;

  memset (&create, 0, sizeof (create));
  create.bpp = bpp;
  create.width = width;
  create.height = height;
  if (drmIoctl (state->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0)
    goto create_failed;

  /* DRM_RDWR: the dma-buf must be mappable for writing too. */
  ret = drmPrimeHandleToFD (state->fd, create.handle, DRM_CLOEXEC | DRM_RDWR,
      &prime_fd);

  /* The dma-buf holds its own reference on the buffer object: the GEM
   * handle is not needed past the export, whether it worked or not. */
  memset (&destroy, 0, sizeof (destroy));
  destroy.handle = create.handle;
  drmIoctl (state->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);

  if (ret < 0)
    goto export_failed;

  *pitch = create.pitch;
  *size = create.size;
  return prime_fd;

  /* ERRORS */
create_failed:
  {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "DRM_IOCTL_MODE_CREATE_DUMB (%ux%u, %u bpp) failed: %s",
        create.width, create.height, create.bpp, g_strerror (err));
    return -1;
  }
export_failed:
  {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "DRM_IOCTL_PRIME_HANDLE_TO_FD failed: %s", g_strerror (err));
    return -1;
  }
}

static gint
drm_alloc (gpointer data, gsize size, gsize * alloc_size, GError ** error)
{
  gsize rows = size / DUMB_PITCH + (size % DUMB_PITCH ? 1 : 0);
  guint32 pitch;

  /* The dumb buffer's height is a 32-bit row count. */
  if (rows > G_MAXUINT32) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
        "%" G_GSIZE_FORMAT " bytes is too large for a dumb buffer", size);
    return -1;
  }
  return gst_zc_backend_drm_alloc_dumb (data, DUMB_WIDTH, MAX (1, rows),
      DUMB_BPP, &pitch, alloc_size, error);
}

static void
drm_close (gpointer data)
{
  DrmState *state = data;

  close (state->fd);
  g_free (state->description);
  g_free (state);
}

static const gchar *
drm_describe (gpointer data)
{
  return ((DrmState *) data)->description;
}

const GstZcBackendOps gst_zc_backend_drm = {
  .id = GST_ZC_BACKEND_DRM,
  .is_dmabuf = TRUE,
  .open = drm_open,
  .alloc = drm_alloc,
  .close = drm_close,
  .describe = drm_describe,
};
