/* zckmssink: a KMS device, its chosen output and the ioctls on it
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_KMS_DEVICE_H__
#define __GST_ZC_KMS_DEVICE_H__

#include <gio/gio.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "gstzckmsfbcache.h"
#include "gstzckmsutils.h"

G_BEGIN_DECLS

/* A plane the chosen CRTC can use, with the formats it scans out. */
typedef struct
{
  guint32 id;
  guint type;                   /* DRM_PLANE_TYPE_PRIMARY or _OVERLAY */
  guint32 *formats;
  guint n_formats;
} GstZcKmsPlane;

/* Atomic property ids of the objects the sink drives. */
typedef struct
{
  guint32 fb_id, crtc_id, src_x, src_y, src_w, src_h;
  guint32 crtc_x, crtc_y, crtc_w, crtc_h;
} GstZcKmsPlaneProps;

typedef struct
{
  gint fd;
  gchar *path;
  gchar *driver;
  gboolean master;              /* this fd became DRM master */
  gboolean atomic;              /* DRM_CLIENT_CAP_ATOMIC accepted */
  guint32 max_width;
  guint32 max_height;

  /* the output, after gst_zc_kms_device_select_output() */
  guint32 connector_id;
  guint32 crtc_id;
  guint crtc_index;
  drmModeModeInfo *modes;       /* the connector's, preferred first */
  guint n_modes;
  drmModeCrtc *saved_crtc;      /* the CRTC as it was before the sink */
  GArray *planes;               /* GstZcKmsPlane: primary first */

  /* atomic only */
  guint32 conn_prop_crtc_id;
  guint32 crtc_prop_mode_id;
  guint32 crtc_prop_active;
  GArray *plane_props;          /* GstZcKmsPlaneProps, as planes */
} GstZcKmsDevice;

G_GNUC_INTERNAL
GstZcKmsDevice * gst_zc_kms_device_open (const gchar * path,
                                         const gchar * driver,
                                         gboolean use_atomic,
                                         GError ** error);
G_GNUC_INTERNAL
void             gst_zc_kms_device_close (GstZcKmsDevice * dev);
G_GNUC_INTERNAL
gboolean         gst_zc_kms_device_select_output (GstZcKmsDevice * dev,
                                                  guint32 connector_id,
                                                  guint32 plane_id,
                                                  GError ** error);
G_GNUC_INTERNAL
void             gst_zc_kms_device_ensure_master (GstZcKmsDevice * dev);

G_GNUC_INTERNAL
const drmModeModeInfo *
                 gst_zc_kms_device_find_mode (GstZcKmsDevice * dev,
                                              const GstZcKmsModeSpec * spec);
G_GNUC_INTERNAL
const drmModeModeInfo *
                 gst_zc_kms_device_get_active_mode (GstZcKmsDevice * dev);
G_GNUC_INTERNAL
const drmModeModeInfo *
                 gst_zc_kms_device_get_preferred_mode (GstZcKmsDevice * dev);
G_GNUC_INTERNAL
gchar *          gst_zc_kms_device_describe_modes (GstZcKmsDevice * dev);
G_GNUC_INTERNAL
const GstZcKmsPlane * gst_zc_kms_device_find_plane (GstZcKmsDevice * dev,
                                                    guint32 fourcc);
G_GNUC_INTERNAL
GstCaps *        gst_zc_kms_device_get_caps (GstZcKmsDevice * dev,
                                             guint width, guint height);

/* The ioctls: each returns 0 or the errno it failed with (logged). */
G_GNUC_INTERNAL
gint             gst_zc_kms_device_import (GstZcKmsDevice * dev,
                                           gint dmabuf_fd, guint32 * handle);
G_GNUC_INTERNAL
void             gst_zc_kms_device_close_handle (GstZcKmsDevice * dev,
                                                 guint32 handle);
G_GNUC_INTERNAL
gint             gst_zc_kms_device_add_fb (GstZcKmsDevice * dev,
                                           const GstZcKmsFbKey * key,
                                           const guint32 * handles,
                                           guint32 * fb_id);
G_GNUC_INTERNAL
gint             gst_zc_kms_device_set_crtc (GstZcKmsDevice * dev,
                                             guint32 fb_id, gint x, gint y,
                                             const drmModeModeInfo * mode);
G_GNUC_INTERNAL
gint             gst_zc_kms_device_page_flip (GstZcKmsDevice * dev,
                                              guint32 fb_id,
                                              gpointer user_data);
G_GNUC_INTERNAL
gint             gst_zc_kms_device_set_plane (GstZcKmsDevice * dev,
                                              guint32 plane_id, guint32 fb_id,
                                              const GstZcKmsRect * src,
                                              const GstZcKmsRect * dst);
G_GNUC_INTERNAL
gint             gst_zc_kms_device_atomic_commit (GstZcKmsDevice * dev,
                                                  const GstZcKmsPlane * plane,
                                                  guint32 fb_id,
                                                  const GstZcKmsRect * src,
                                                  const GstZcKmsRect * dst,
                                                  const drmModeModeInfo * mode,
                                                  guint32 flags,
                                                  gpointer user_data);
G_GNUC_INTERNAL
gint             gst_zc_kms_device_restore (GstZcKmsDevice * dev);

G_END_DECLS

#endif /* __GST_ZC_KMS_DEVICE_H__ */
