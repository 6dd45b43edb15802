/* GStreamer zero-copy library: allocator backends (internal)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_BACKEND_H__
#define __GST_ZC_BACKEND_H__

#include "gstzcdmabufallocator.h"

G_BEGIN_DECLS

/* What the allocator's construct properties tell a backend. */
typedef struct
{
  const gchar *device;          /* drm: a DRM node; NULL: choose one */
  const gchar *heap_name;       /* dma-heap: a name in /dev/dma_heap */
} GstZcBackendParams;

/* What every backend of GstZcDmabufAllocator provides.
 *
 * open:  acquire the backend's device; returns the backend state, or NULL
 *        with @error set naming what is missing.
 * alloc: a new fd of at least @size bytes; *@alloc_size receives its real
 *        size (bytes, >= @size). Returns -1 with @error set on failure.
 * close: release the state.
 * describe: a short human description of the opened state ("vgem on
 *        /dev/dri/card0"), owned by the state.
 */
typedef struct
{
  GstZcBackend id;
  gboolean is_dmabuf;
  gpointer (*open) (const GstZcBackendParams * params, GError ** error);
  gint (*alloc) (gpointer state, gsize size, gsize * alloc_size,
      GError ** error);
  void (*close) (gpointer state);
  const gchar *(*describe) (gpointer state);
} GstZcBackendOps;

G_GNUC_INTERNAL extern const GstZcBackendOps gst_zc_backend_memfd;
G_GNUC_INTERNAL extern const GstZcBackendOps gst_zc_backend_drm;
G_GNUC_INTERNAL extern const GstZcBackendOps gst_zc_backend_dma_heap;
G_GNUC_INTERNAL extern const GstZcBackendOps gst_zc_backend_udmabuf;

G_GNUC_INTERNAL gint gst_zc_backend_drm_alloc_dumb (gpointer state,
    guint width, guint height, guint bpp, guint32 * pitch, gsize * size,
    GError ** error);

G_GNUC_INTERNAL gint gst_zc_memfd_new (gsize size, guint seals,
    GError ** error);

G_END_DECLS

#endif /* __GST_ZC_BACKEND_H__ */
