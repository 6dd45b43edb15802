/* zckmssink: a KMS device, its chosen output and the ioctls on it
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzckmsdevice.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <drm_fourcc.h>

GST_DEBUG_CATEGORY_EXTERN (gst_zc_kms_sink_debug);
#define GST_CAT_DEFAULT gst_zc_kms_sink_debug

#define MAX_CARDS 16

/* Drivers whose picture nobody sees: vkms composes into memory for tests
 * (CRCs, writeback). Without a device or driver name, any other display
 * is preferred to them. */
static const gchar *virtual_drivers[] = { "vkms", NULL };

/* Device: opening and choosing */

static gchar *
driver_name (gint fd)
{
  drmVersion *version = drmGetVersion (fd);
  gchar *name = g_strdup (version ? version->name : "unknown");

  if (version)
    drmFreeVersion (version);
  return name;
}

/* 0: no KMS (render-only drivers such as vgem answer GETRESOURCES with
 * EOPNOTSUPP); 1: KMS; 2: KMS with a connected connector. */
static gint
kms_level (gint fd)
{
  drmModeRes *res = drmModeGetResources (fd);
  gint level = 0, i;

  if (!res)
    return 0;
  if (res->count_crtcs > 0 && res->count_connectors > 0)
    level = 1;
  for (i = 0; level == 1 && i < res->count_connectors; i++) {
    drmModeConnector *conn = drmModeGetConnector (fd, res->connectors[i]);

    if (conn && conn->connection == DRM_MODE_CONNECTED && conn->count_modes)
      level = 2;
    if (conn)
      drmModeFreeConnector (conn);
  }
  drmModeFreeResources (res);
  return level;
}

static gint
open_node (const gchar * path, GError ** error)
{
  struct stat st;
  gint fd, err;

  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    goto open_failed;
  if (fstat (fd, &st) < 0 || !S_ISCHR (st.st_mode))
    goto not_a_device;
  return fd;

  /* ERRORS */
open_failed:
  err = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
      "cannot open %s: %s", path, g_strerror (err));
  return -1;
not_a_device:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
      "%s is not a character device", path);
  close (fd);
  return -1;
}

/* How much a card is wanted when nothing was named: a connected output
 * first, then a display someone sees. -1: not a display at all. */
static gint
card_score (gint fd, const gchar * driver)
{
  gint level = kms_level (fd);

  if (level == 0)
    return -1;
  return (level == 2 ? 2 : 0) + (g_strv_contains (virtual_drivers,
          driver) ? 0 : 1);
}

/* Scans /dev/dri/card*: the best card of driver @driver (any driver when
 * NULL), the first one of the best score. */
static gint
scan_cards (const gchar * driver, gchar ** path_out, GError ** error)
{
  GString *seen = g_string_new (NULL);
  gint i, best_fd = -1, best_score = -1;

  for (i = 0; i < MAX_CARDS; i++) {
    gchar *path = g_strdup_printf ("%s/card%d", DRM_DIR_NAME, i);
    gint fd = open_node (path, NULL), score;
    gchar *name;

    if (fd < 0) {
      g_free (path);
      continue;
    }
    name = driver_name (fd);
    score = card_score (fd, name);
    g_string_append_printf (seen, "%s%s: %s%s", seen->len ? ", " : "", path,
        name, score < 0 ? " (no KMS)" : "");
    if (score > best_score && (!driver || g_str_equal (driver, name))) {
      if (best_fd >= 0)
        close (best_fd);
      g_free (*path_out);
      best_fd = fd;
      best_score = score;
      *path_out = path;
      path = NULL;
    } else {
      close (fd);
    }
    g_free (path);
    g_free (name);
  }

  if (best_fd < 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no KMS device%s%s in " DRM_DIR_NAME " (seen: %s)",
        driver ? " of driver " : "", driver ? driver : "",
        seen->len ? seen->str : "no card at all");
  g_string_free (seen, TRUE);
  return best_fd;
}

/* The first opener of a primary node becomes master by itself; a second
 * one may take it when nobody holds it. Without it mode setting fails
 * with EACCES, which the sink reports then. */
void
gst_zc_kms_device_ensure_master (GstZcKmsDevice * dev)
{
  if (drmIsMaster (dev->fd)) {
    dev->master = TRUE;
    return;
  }
  if (drmSetMaster (dev->fd) == 0) {
    dev->master = TRUE;
    return;
  }
  GST_WARNING ("drmSetMaster on %s failed: %s (another program drives the "
      "display?)", dev->path, g_strerror (errno));
}

static gboolean
check_device (GstZcKmsDevice * dev, const gchar * driver, GError ** error)
{
  drmModeRes *res;

  if (driver && !g_str_equal (driver, dev->driver))
    goto wrong_driver;
  res = drmModeGetResources (dev->fd);
  if (!res || res->count_crtcs == 0 || res->count_connectors == 0)
    goto no_kms;
  dev->max_width = res->max_width;
  dev->max_height = res->max_height;
  drmModeFreeResources (res);
  return TRUE;

  /* ERRORS */
wrong_driver:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      "%s is driven by %s, not %s", dev->path, dev->driver, driver);
  return FALSE;
no_kms:
  if (res)
    drmModeFreeResources (res);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
      "%s (%s) has no KMS display (no CRTC or connector)", dev->path,
      dev->driver);
  return FALSE;
}

/**
 * gst_zc_kms_device_open:
 * @path: (nullable): a DRM primary node, or %NULL to choose one
 * @driver: (nullable): the driver it must have (drmGetVersion() name)
 * @use_atomic: ask for atomic mode setting
 * @error: return location for a #GError
 *
 * Opens the display: @path, or else the best card in /dev/dri (see
 * scan_cards()), becomes DRM master and asks for universal planes (so
 * that primary planes are listed) and atomic mode setting when @atomic.
 *
 * Returns: (nullable): the device, or %NULL with @error set
 * (%G_IO_ERROR_NOT_FOUND: no KMS device).
 */
GstZcKmsDevice *
gst_zc_kms_device_open (const gchar * path, const gchar * driver,
    gboolean use_atomic, GError ** error)
{
  GstZcKmsDevice *dev = g_new0 (GstZcKmsDevice, 1);

  if (path) {
    dev->path = g_strdup (path);
    dev->fd = open_node (path, error);
  } else {
    dev->fd = scan_cards (driver, &dev->path, error);
  }
  if (dev->fd < 0)
    goto failed;
  dev->driver = driver_name (dev->fd);
  if (!check_device (dev, driver, error))
    goto failed;

  if (drmSetClientCap (dev->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) < 0)
    GST_DEBUG ("no universal planes on %s: overlays only", dev->path);
  /* Drivers without atomic support refuse the cap (EOPNOTSUPP). */
  dev->atomic = use_atomic
      && drmSetClientCap (dev->fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0;
  gst_zc_kms_device_ensure_master (dev);
  GST_INFO ("opened %s (%s)%s", dev->path, dev->driver,
      dev->master ? ", DRM master" : "");
  return dev;

failed:
  gst_zc_kms_device_close (dev);
  return NULL;
}

static void
clear_plane (GstZcKmsPlane * plane)
{
  g_free (plane->formats);
}

void
gst_zc_kms_device_close (GstZcKmsDevice * dev)
{
  if (!dev)
    return;
  if (dev->fd >= 0) {
    if (dev->master)
      drmDropMaster (dev->fd);
    close (dev->fd);
  }
  if (dev->saved_crtc)
    drmModeFreeCrtc (dev->saved_crtc);
  if (dev->planes)
    g_array_unref (dev->planes);
  if (dev->plane_props)
    g_array_unref (dev->plane_props);
  g_free (dev->modes);
  g_free (dev->driver);
  g_free (dev->path);
  g_free (dev);
}

/* Output: connector, CRTC, planes */

static gchar *
list_connectors (gint fd, drmModeRes * res)
{
  GString *s = g_string_new (NULL);
  gint i;

  for (i = 0; i < res->count_connectors; i++) {
    drmModeConnector *conn = drmModeGetConnector (fd, res->connectors[i]);

    g_string_append_printf (s, "%s%u (%s)", i ? ", " : "",
        res->connectors[i], conn && conn->connection == DRM_MODE_CONNECTED ?
        "connected" : "not connected");
    if (conn)
      drmModeFreeConnector (conn);
  }
  return g_string_free (s, FALSE);
}

static drmModeConnector *
find_connector (GstZcKmsDevice * dev, drmModeRes * res, guint32 id,
    GError ** error)
{
  drmModeConnector *conn = NULL;
  gchar *list;
  gint i;

  for (i = 0; i < res->count_connectors && !conn; i++) {
    if (id && res->connectors[i] != id)
      continue;
    conn = drmModeGetConnector (dev->fd, res->connectors[i]);
    if (conn && (conn->connection != DRM_MODE_CONNECTED || !conn->count_modes)
        && !id)
      g_clear_pointer (&conn, drmModeFreeConnector);
  }
  if (conn && conn->connection == DRM_MODE_CONNECTED && conn->count_modes)
    return conn;

  list = list_connectors (dev->fd, res);
  if (id && !conn)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "connector %u does not exist on %s (connectors: %s)", id, dev->path,
        list);
  else if (id)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "connector %u of %s has no display connected (connectors: %s)", id,
        dev->path, list);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
        "no display connected to %s (connectors: %s)", dev->path, list);
  g_free (list);
  if (conn)
    drmModeFreeConnector (conn);
  return NULL;
}

/* The CRTC already driving @conn, else the first free one its encoders
 * can use, else the first one they can use. Returns its index in @res or
 * -1. */
static gint
find_crtc (GstZcKmsDevice * dev, drmModeRes * res, drmModeConnector * conn)
{
  drmModeEncoder *enc;
  guint32 possible = 0;
  gint i, fallback = -1;

  enc = conn->encoder_id ? drmModeGetEncoder (dev->fd, conn->encoder_id) : NULL;
  for (i = 0; enc && enc->crtc_id && i < res->count_crtcs; i++)
    if (res->crtcs[i] == enc->crtc_id)
      break;
  if (enc && enc->crtc_id && i < res->count_crtcs) {
    drmModeFreeEncoder (enc);
    return i;
  }
  if (enc)
    drmModeFreeEncoder (enc);

  for (i = 0; i < conn->count_encoders; i++) {
    enc = drmModeGetEncoder (dev->fd, conn->encoders[i]);
    if (enc)
      possible |= enc->possible_crtcs;
    if (enc)
      drmModeFreeEncoder (enc);
  }
  for (i = 0; i < res->count_crtcs && i < 32; i++) {
    drmModeCrtc *crtc;
    gboolean busy;

    if (!(possible & (1u << i)))
      continue;
    if (fallback < 0)
      fallback = i;
    crtc = drmModeGetCrtc (dev->fd, res->crtcs[i]);
    busy = !crtc || crtc->buffer_id != 0;
    if (crtc)
      drmModeFreeCrtc (crtc);
    if (!busy)
      return i;
  }
  return fallback;
}

/* The value and id of property @name of an object; FALSE if it has none. */
static gboolean
get_property (gint fd, guint32 obj, guint32 type, const gchar * name,
    guint32 * prop_id, guint64 * value)
{
  drmModeObjectProperties *props = drmModeObjectGetProperties (fd, obj, type);
  gboolean found = FALSE;
  guint i;

  for (i = 0; props && i < props->count_props && !found; i++) {
    drmModePropertyRes *prop = drmModeGetProperty (fd, props->props[i]);

    if (prop && g_str_equal (prop->name, name)) {
      found = TRUE;
      if (prop_id)
        *prop_id = prop->prop_id;
      if (value)
        *value = props->prop_values[i];
    }
    if (prop)
      drmModeFreeProperty (prop);
  }
  if (props)
    drmModeFreeObjectProperties (props);
  return found;
}

/* Without universal planes every listed plane is an overlay. */
static guint
plane_type (gint fd, guint32 plane_id)
{
  guint64 type = DRM_PLANE_TYPE_OVERLAY;

  get_property (fd, plane_id, DRM_MODE_OBJECT_PLANE, "type", NULL, &type);
  return type;
}

static void
add_plane (GstZcKmsDevice * dev, drmModePlane * p, guint type)
{
  GstZcKmsPlane plane;

  plane.id = p->plane_id;
  plane.type = type;
  plane.n_formats = p->count_formats;
  plane.formats = g_memdup2 (p->formats, p->count_formats * sizeof (guint32));
  /* The primary plane first: it needs no CRTC of its own below it. */
  if (type == DRM_PLANE_TYPE_PRIMARY)
    g_array_prepend_val (dev->planes, plane);
  else
    g_array_append_val (dev->planes, plane);
}

/* The primary and overlay planes the CRTC can use, or only @plane_id. */
static gboolean
find_planes (GstZcKmsDevice * dev, guint32 plane_id, GError ** error)
{
  drmModePlaneRes *res = drmModeGetPlaneResources (dev->fd);
  guint i;

  dev->planes = g_array_new (FALSE, FALSE, sizeof (GstZcKmsPlane));
  g_array_set_clear_func (dev->planes, (GDestroyNotify) clear_plane);
  for (i = 0; res && i < res->count_planes; i++) {
    drmModePlane *p = drmModeGetPlane (dev->fd, res->planes[i]);
    guint type = p ? plane_type (dev->fd, p->plane_id) : 0;

    if (p && (p->possible_crtcs & (1u << dev->crtc_index))
        && type != DRM_PLANE_TYPE_CURSOR && (!plane_id
            || p->plane_id == plane_id))
      add_plane (dev, p, type);
    if (p)
      drmModeFreePlane (p);
  }
  if (res)
    drmModeFreePlaneResources (res);
  if (dev->planes->len > 0)
    return TRUE;

  if (plane_id)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "plane %u does not exist on %s or cannot show video on CRTC %u",
        plane_id, dev->path, dev->crtc_id);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no plane of %s can show video on CRTC %u", dev->path, dev->crtc_id);
  return FALSE;
}

/* Atomic mode setting needs the property ids of every object it sets;
 * a driver missing one is driven with the legacy ioctls. */
static gboolean
find_atomic_props (GstZcKmsDevice * dev)
{
  gint fd = dev->fd;
  guint i;
  gboolean ok;

  ok = get_property (fd, dev->connector_id, DRM_MODE_OBJECT_CONNECTOR,
      "CRTC_ID", &dev->conn_prop_crtc_id, NULL)
      && get_property (fd, dev->crtc_id, DRM_MODE_OBJECT_CRTC, "MODE_ID",
      &dev->crtc_prop_mode_id, NULL)
      && get_property (fd, dev->crtc_id, DRM_MODE_OBJECT_CRTC, "ACTIVE",
      &dev->crtc_prop_active, NULL);

  dev->plane_props = g_array_sized_new (FALSE, TRUE,
      sizeof (GstZcKmsPlaneProps), dev->planes->len);
  g_array_set_size (dev->plane_props, dev->planes->len);
  for (i = 0; ok && i < dev->planes->len; i++) {
    guint32 id = g_array_index (dev->planes, GstZcKmsPlane, i).id;
    GstZcKmsPlaneProps *p = &g_array_index (dev->plane_props,
        GstZcKmsPlaneProps, i);
    guint32 t = DRM_MODE_OBJECT_PLANE;

    ok = get_property (fd, id, t, "FB_ID", &p->fb_id, NULL)
        && get_property (fd, id, t, "CRTC_ID", &p->crtc_id, NULL)
        && get_property (fd, id, t, "SRC_X", &p->src_x, NULL)
        && get_property (fd, id, t, "SRC_Y", &p->src_y, NULL)
        && get_property (fd, id, t, "SRC_W", &p->src_w, NULL)
        && get_property (fd, id, t, "SRC_H", &p->src_h, NULL)
        && get_property (fd, id, t, "CRTC_X", &p->crtc_x, NULL)
        && get_property (fd, id, t, "CRTC_Y", &p->crtc_y, NULL)
        && get_property (fd, id, t, "CRTC_W", &p->crtc_w, NULL)
        && get_property (fd, id, t, "CRTC_H", &p->crtc_h, NULL);
  }
  return ok;
}

static void
take_modes (GstZcKmsDevice * dev, drmModeConnector * conn)
{
  gint i;

  dev->n_modes = conn->count_modes;
  dev->modes = g_new (drmModeModeInfo, conn->count_modes);
  /* The preferred mode first; the kernel sorts the rest by size and
   * refresh, largest first. */
  for (i = 0; i < conn->count_modes; i++)
    dev->modes[i] = conn->modes[i];
  for (i = 1; i < conn->count_modes; i++) {
    if (dev->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
      drmModeModeInfo preferred = dev->modes[i];

      memmove (&dev->modes[1], &dev->modes[0], i * sizeof (drmModeModeInfo));
      dev->modes[0] = preferred;
      break;
    }
  }
}

/**
 * gst_zc_kms_device_select_output:
 * @dev: an open device
 * @connector_id: the connector to use, 0 for the first connected one
 * @plane_id: the plane to use, 0 for any primary or overlay plane
 * @error: return location for a #GError
 *
 * Chooses connector, CRTC and planes, remembers the CRTC's state for
 * gst_zc_kms_device_restore() and the connector's modes.
 *
 * Returns: %FALSE with @error set: %G_IO_ERROR_INVALID_ARGUMENT for a
 * connector or plane id that does not fit, %G_IO_ERROR_NOT_CONNECTED when
 * no display is connected, %G_IO_ERROR_NOT_FOUND for no usable CRTC or
 * plane.
 */
gboolean
gst_zc_kms_device_select_output (GstZcKmsDevice * dev, guint32 connector_id,
    guint32 plane_id, GError ** error)
{
  drmModeRes *res = drmModeGetResources (dev->fd);
  drmModeConnector *conn = NULL;
  gint index;

  if (!res)
    goto no_resources;
  conn = find_connector (dev, res, connector_id, error);
  if (!conn)
    goto failed;
  index = find_crtc (dev, res, conn);
  if (index < 0)
    goto no_crtc;

  dev->connector_id = conn->connector_id;
  dev->crtc_index = index;
  dev->crtc_id = res->crtcs[index];
  dev->saved_crtc = drmModeGetCrtc (dev->fd, dev->crtc_id);
  take_modes (dev, conn);
  if (!find_planes (dev, plane_id, error))
    goto failed;
  if (dev->atomic && !find_atomic_props (dev)) {
    GST_INFO ("%s lacks atomic properties: legacy mode setting", dev->path);
    dev->atomic = FALSE;
  }

  GST_INFO ("%s: connector %u, CRTC %u (%s), %u planes, %u modes, %s",
      dev->path, dev->connector_id, dev->crtc_id, dev->saved_crtc &&
      dev->saved_crtc->mode_valid ? dev->saved_crtc->mode.name : "off",
      dev->planes->len, dev->n_modes, dev->atomic ? "atomic" : "legacy");
  drmModeFreeConnector (conn);
  drmModeFreeResources (res);
  return TRUE;

  /* ERRORS */
no_resources:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
      "drmModeGetResources on %s failed: %s", dev->path, g_strerror (errno));
  return FALSE;
no_crtc:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
      "no CRTC of %s can drive connector %u", dev->path, conn->connector_id);
  goto failed;
failed:
  if (conn)
    drmModeFreeConnector (conn);
  drmModeFreeResources (res);
  return FALSE;
}

/* Modes and formats */

/* The first mode of @spec's size (and refresh, when given): the
 * preferred one when it fits, else the kernel's order, fastest first. */
const drmModeModeInfo *
gst_zc_kms_device_find_mode (GstZcKmsDevice * dev,
    const GstZcKmsModeSpec * spec)
{
  guint i;

  for (i = 0; i < dev->n_modes; i++) {
    const drmModeModeInfo *m = &dev->modes[i];

    if (m->hdisplay == spec->width && m->vdisplay == spec->height
        && (!spec->refresh || m->vrefresh == spec->refresh))
      return m;
  }
  return NULL;
}

const drmModeModeInfo *
gst_zc_kms_device_get_active_mode (GstZcKmsDevice * dev)
{
  if (dev->saved_crtc && dev->saved_crtc->mode_valid)
    return &dev->saved_crtc->mode;
  return NULL;
}

const drmModeModeInfo *
gst_zc_kms_device_get_preferred_mode (GstZcKmsDevice * dev)
{
  return dev->n_modes ? &dev->modes[0] : NULL;
}

/* "1280x800@60, 1024x768@60, ..." for error messages. */
gchar *
gst_zc_kms_device_describe_modes (GstZcKmsDevice * dev)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < dev->n_modes; i++)
    g_string_append_printf (s, "%s%ux%u@%u", i ? ", " : "",
        dev->modes[i].hdisplay, dev->modes[i].vdisplay, dev->modes[i].vrefresh);
  return g_string_free (s, FALSE);
}

/* The first plane (primary first) that scans out @fourcc. */
const GstZcKmsPlane *
gst_zc_kms_device_find_plane (GstZcKmsDevice * dev, guint32 fourcc)
{
  guint i, j;

  for (i = 0; i < dev->planes->len; i++) {
    const GstZcKmsPlane *p = &g_array_index (dev->planes, GstZcKmsPlane, i);

    for (j = 0; j < p->n_formats; j++)
      if (p->formats[j] == fourcc)
        return p;
  }
  return NULL;
}

/* What the planes scan out, as caps (see gst_zc_kms_caps_from_fourccs()),
 * the display's size first. */
GstCaps *
gst_zc_kms_device_get_caps (GstZcKmsDevice * dev, guint width, guint height)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (guint32));
  GstCaps *caps;
  guint i;

  for (i = 0; i < dev->planes->len; i++) {
    const GstZcKmsPlane *p = &g_array_index (dev->planes, GstZcKmsPlane, i);

    g_array_append_vals (all, p->formats, p->n_formats);
  }
  caps = gst_zc_kms_caps_from_fourccs ((guint32 *) all->data, all->len,
      width, height, dev->max_width, dev->max_height);
  g_array_unref (all);
  return caps;
}

/* ioctls */

gint
gst_zc_kms_device_import (GstZcKmsDevice * dev, gint dmabuf_fd,
    guint32 * handle)
{
  gint err;

  if (drmPrimeFDToHandle (dev->fd, dmabuf_fd, handle) == 0)
    return 0;
  err = errno;
  /* ENODEV is what a display that cannot import foreign dma-bufs (such
   * as virtio-gpu) answers: expected, the sink copies then. */
  GST_LOG ("DRM_IOCTL_PRIME_FD_TO_HANDLE (fd %d) failed: %s", dmabuf_fd,
      g_strerror (err));
  return err;
}

void
gst_zc_kms_device_close_handle (GstZcKmsDevice * dev, guint32 handle)
{
  struct drm_gem_close arg;

  memset (&arg, 0, sizeof (arg));
  arg.handle = handle;
  /* drmIoctl restarts on EINTR and EAGAIN. */
  if (drmIoctl (dev->fd, DRM_IOCTL_GEM_CLOSE, &arg) < 0)
    GST_WARNING ("DRM_IOCTL_GEM_CLOSE (%u) failed: %s", handle,
        g_strerror (errno));
}

gint
gst_zc_kms_device_add_fb (GstZcKmsDevice * dev, const GstZcKmsFbKey * key,
    const guint32 * handles, guint32 * fb_id)
{
  gint err;

  if (drmModeAddFB2 (dev->fd, key->width, key->height, key->fourcc, handles,
          key->pitches, key->offsets, fb_id, 0) == 0)
    return 0;
  err = errno;
  GST_WARNING ("drmModeAddFB2 (%ux%u %" GST_FOURCC_FORMAT ", pitch %u) "
      "failed: %s", key->width, key->height, GST_FOURCC_ARGS (key->fourcc),
      key->pitches[0], g_strerror (err));
  return err;
}

gint
gst_zc_kms_device_set_crtc (GstZcKmsDevice * dev, guint32 fb_id, gint x,
    gint y, const drmModeModeInfo * mode)
{
  gint err;

  if (drmModeSetCrtc (dev->fd, dev->crtc_id, fb_id, x, y, &dev->connector_id,
          1, (drmModeModeInfo *) mode) == 0)
    return 0;
  err = errno;
  GST_WARNING ("drmModeSetCrtc (CRTC %u, fb %u, %s) failed: %s", dev->crtc_id,
      fb_id, mode->name, g_strerror (err));
  return err;
}

gint
gst_zc_kms_device_page_flip (GstZcKmsDevice * dev, guint32 fb_id,
    gpointer user_data)
{
  gint err;

  if (drmModePageFlip (dev->fd, dev->crtc_id, fb_id,
          DRM_MODE_PAGE_FLIP_EVENT, user_data) == 0)
    return 0;
  err = errno;
  GST_WARNING ("drmModePageFlip (CRTC %u, fb %u) failed: %s", dev->crtc_id,
      fb_id, g_strerror (err));
  return err;
}

/* Legacy planes take their source rectangle in 16.16 fixed point. */
gint
gst_zc_kms_device_set_plane (GstZcKmsDevice * dev, guint32 plane_id,
    guint32 fb_id, const GstZcKmsRect * src, const GstZcKmsRect * dst)
{
  gint err;

  if (drmModeSetPlane (dev->fd, plane_id, dev->crtc_id, fb_id, 0, dst->x,
          dst->y, dst->width, dst->height, src->x << 16, src->y << 16,
          src->width << 16, src->height << 16) == 0)
    return 0;
  err = errno;
  GST_DEBUG ("drmModeSetPlane (plane %u, fb %u, %ux%u+%d+%d -> "
      "%ux%u+%d+%d) failed: %s", plane_id, fb_id, src->width, src->height,
      src->x, src->y, dst->width, dst->height, dst->x, dst->y,
      g_strerror (err));
  return err;
}

static const GstZcKmsPlaneProps *
props_of (GstZcKmsDevice * dev, const GstZcKmsPlane * plane)
{
  guint i;

  for (i = 0; i < dev->planes->len; i++)
    if (g_array_index (dev->planes, GstZcKmsPlane, i).id == plane->id)
      return &g_array_index (dev->plane_props, GstZcKmsPlaneProps, i);
  g_return_val_if_reached (NULL);
}

static void
add_plane_state (drmModeAtomicReq * req, const GstZcKmsPlane * plane,
    const GstZcKmsPlaneProps * p, guint32 crtc_id, guint32 fb_id,
    const GstZcKmsRect * src, const GstZcKmsRect * dst)
{
  drmModeAtomicAddProperty (req, plane->id, p->fb_id, fb_id);
  drmModeAtomicAddProperty (req, plane->id, p->crtc_id, crtc_id);
  drmModeAtomicAddProperty (req, plane->id, p->src_x, (guint64) src->x << 16);
  drmModeAtomicAddProperty (req, plane->id, p->src_y, (guint64) src->y << 16);
  drmModeAtomicAddProperty (req, plane->id, p->src_w,
      (guint64) src->width << 16);
  drmModeAtomicAddProperty (req, plane->id, p->src_h,
      (guint64) src->height << 16);
  drmModeAtomicAddProperty (req, plane->id, p->crtc_x, dst->x);
  drmModeAtomicAddProperty (req, plane->id, p->crtc_y, dst->y);
  drmModeAtomicAddProperty (req, plane->id, p->crtc_w, dst->width);
  drmModeAtomicAddProperty (req, plane->id, p->crtc_h, dst->height);
}

/**
 * gst_zc_kms_device_atomic_commit:
 * @plane: the plane to show @fb_id on
 * @mode: (nullable): a mode to set with the frame (a mode set: connector,
 *   CRTC and plane at once), or %NULL for a plain flip
 * @flags: DRM_MODE_ATOMIC_TEST_ONLY, DRM_MODE_PAGE_FLIP_EVENT,
 *   DRM_MODE_ATOMIC_NONBLOCK...; ALLOW_MODESET is added with @mode
 *
 * Returns: 0 or the errno of the commit (EINVAL for a configuration the
 * driver refuses, which TEST_ONLY asks without showing anything).
 */
gint
gst_zc_kms_device_atomic_commit (GstZcKmsDevice * dev,
    const GstZcKmsPlane * plane, guint32 fb_id, const GstZcKmsRect * src,
    const GstZcKmsRect * dst, const drmModeModeInfo * mode, guint32 flags,
    gpointer user_data)
{
  drmModeAtomicReq *req = drmModeAtomicAlloc ();
  guint32 blob = 0;
  gint err = 0;

  add_plane_state (req, plane, props_of (dev, plane), dev->crtc_id, fb_id,
      src, dst);
  if (mode) {
    if (drmModeCreatePropertyBlob (dev->fd, mode, sizeof (*mode), &blob) < 0)
      goto blob_failed;
    drmModeAtomicAddProperty (req, dev->crtc_id, dev->crtc_prop_mode_id, blob);
    drmModeAtomicAddProperty (req, dev->crtc_id, dev->crtc_prop_active, 1);
    drmModeAtomicAddProperty (req, dev->connector_id, dev->conn_prop_crtc_id,
        dev->crtc_id);
    flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
  }
  if (drmModeAtomicCommit (dev->fd, req, flags, user_data) < 0) {
    err = errno;
    GST_DEBUG ("atomic commit (plane %u, fb %u, %ux%u+%d+%d -> %ux%u+%d+%d%s, "
        "flags 0x%x) failed: %s", plane->id, fb_id, src->width, src->height,
        src->x, src->y, dst->width, dst->height, dst->x, dst->y,
        mode ? ", mode set" : "", flags, g_strerror (err));
  }

done:
  /* The committed state holds its own reference on the mode blob. */
  if (blob)
    drmModeDestroyPropertyBlob (dev->fd, blob);
  drmModeAtomicFree (req);
  return err;

blob_failed:
  err = errno;
  GST_WARNING ("drmModeCreatePropertyBlob failed: %s", g_strerror (err));
  goto done;
}

/* Overlays first: a CRTC turned off with an overlay still on it is a
 * configuration atomic drivers refuse. */
static void
disable_overlays (GstZcKmsDevice * dev)
{
  guint i;

  for (i = 0; i < dev->planes->len; i++) {
    const GstZcKmsPlane *p = &g_array_index (dev->planes, GstZcKmsPlane, i);

    if (p->type == DRM_PLANE_TYPE_OVERLAY)
      drmModeSetPlane (dev->fd, p->id, dev->crtc_id, 0, 0, 0, 0, 0, 0, 0, 0,
          0, 0);
  }
}

/**
 * gst_zc_kms_device_restore:
 *
 * Puts the CRTC back as gst_zc_kms_device_select_output() found it: the
 * previous framebuffer and mode (a console, another program's last
 * frame), or off when it was off.
 *
 * Returns: 0 or the errno of the mode set.
 */
gint
gst_zc_kms_device_restore (GstZcKmsDevice * dev)
{
  drmModeCrtc *saved = dev->saved_crtc;
  gint ret;

  disable_overlays (dev);
  if (saved && saved->mode_valid && saved->buffer_id)
    ret = drmModeSetCrtc (dev->fd, saved->crtc_id, saved->buffer_id,
        saved->x, saved->y, &dev->connector_id, 1, &saved->mode);
  else
    ret = drmModeSetCrtc (dev->fd, dev->crtc_id, 0, 0, 0, NULL, 0, NULL);
  if (ret == 0)
    return 0;

  ret = errno;
  GST_WARNING ("restoring CRTC %u failed: %s", dev->crtc_id, g_strerror (ret));
  return ret;
}
