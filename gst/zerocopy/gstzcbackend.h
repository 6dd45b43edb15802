/* GStreamer zero-copy library: allocator backends (internal)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_BACKEND_H__
#define __GST_ZC_BACKEND_H__

#include "gstzcdmabufallocator.h"

G_BEGIN_DECLS

/* What every backend of GstZcDmabufAllocator provides.
 *
 * open:  acquire the backend's device (@device may be NULL: choose one);
 *        returns the backend state, or NULL with @error set naming what is
 *        missing.
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
  gpointer (*open) (const gchar * device, GError ** error);
  gint (*alloc) (gpointer state, gsize size, gsize * alloc_size,
      GError ** error);
  void (*close) (gpointer state);
  const gchar *(*describe) (gpointer state);
} GstZcBackendOps;

G_GNUC_INTERNAL extern const GstZcBackendOps gst_zc_backend_memfd;
G_GNUC_INTERNAL extern const GstZcBackendOps gst_zc_backend_drm;

G_END_DECLS

#endif /* __GST_ZC_BACKEND_H__ */
