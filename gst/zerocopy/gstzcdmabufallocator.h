/* GStreamer zero-copy library: dma-buf allocator
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_DMABUF_ALLOCATOR_H__
#define __GST_ZC_DMABUF_ALLOCATOR_H__

#include <gst/zerocopy/zerocopy-prelude.h>
#include <gio/gio.h>
#include <gst/allocators/allocators.h>

G_BEGIN_DECLS

/**
 * GstZcBackend:
 * @GST_ZC_BACKEND_AUTO: the first backend that works, in the order
 *   dma-heap, udmabuf, drm, memfd; the environment variable
 *   `GST_ZC_BACKEND` (a backend's nick) overrides the choice
 * @GST_ZC_BACKEND_IMPORT: allocates nothing; only wraps dma-bufs made
 *   elsewhere (gst_zc_dmabuf_allocator_import())
 * @GST_ZC_BACKEND_MEMFD: memfd_create() memory: fd memory that is NOT a
 *   dma-buf (no exporter needed, no device can import it)
 * @GST_ZC_BACKEND_DRM: a dumb buffer on a DRM device
 *   (`DRM_IOCTL_MODE_CREATE_DUMB`) exported as a dma-buf with PRIME
 *   (`DRM_IOCTL_PRIME_HANDLE_TO_FD`, `DRM_CLOEXEC | DRM_RDWR`)
 * @GST_ZC_BACKEND_DMA_HEAP: a dma-buf heap, `/dev/dma_heap/<heap-name>`
 *   (`DMA_HEAP_IOCTL_ALLOC`, `O_RDWR | O_CLOEXEC`)
 * @GST_ZC_BACKEND_UDMABUF: memfd pages sealed with `F_SEAL_SHRINK` and
 *   turned into a dma-buf by `/dev/udmabuf` (`UDMABUF_CREATE`)
 *
 * Where the allocator's memory comes from.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_ZC_BACKEND_AUTO = 0,
  GST_ZC_BACKEND_IMPORT = 1,
  GST_ZC_BACKEND_MEMFD = 2,
  GST_ZC_BACKEND_DRM = 3,
  GST_ZC_BACKEND_DMA_HEAP = 4,
  GST_ZC_BACKEND_UDMABUF = 5,
} GstZcBackend;

/**
 * GST_ZC_BACKEND_ENV:
 *
 * The environment variable that overrides what %GST_ZC_BACKEND_AUTO
 * chooses, for every allocator of a process: a backend's nick (`dma-heap`,
 * `udmabuf`, `drm`, `memfd`).
 *
 * Since: 0.1
 */
#define GST_ZC_BACKEND_ENV "GST_ZC_BACKEND"

GST_ZEROCOPY_API
GType gst_zc_backend_get_type (void);
#define GST_TYPE_ZC_BACKEND (gst_zc_backend_get_type ())

GST_ZEROCOPY_API
const gchar * gst_zc_backend_get_nick (GstZcBackend backend);

#define GST_TYPE_ZC_DMABUF_ALLOCATOR (gst_zc_dmabuf_allocator_get_type ())
GST_ZEROCOPY_API
G_DECLARE_FINAL_TYPE (GstZcDmabufAllocator, gst_zc_dmabuf_allocator,
    GST, ZC_DMABUF_ALLOCATOR, GstDmaBufAllocator)

GST_ZEROCOPY_API
GstAllocator * gst_zc_dmabuf_allocator_new (GstZcBackend backend,
                                            const gchar * device,
                                            GError ** error);

GST_ZEROCOPY_API
GstAllocator * gst_zc_dmabuf_allocator_get_importer (void);

GST_ZEROCOPY_API
GstZcBackend   gst_zc_dmabuf_allocator_get_backend (GstZcDmabufAllocator * self);

GST_ZEROCOPY_API
gboolean       gst_zc_dmabuf_allocator_is_dmabuf (GstZcDmabufAllocator * self);

GST_ZEROCOPY_API
GstMemory *    gst_zc_dmabuf_allocator_import (GstAllocator * allocator,
                                               gint fd, gsize size);

GST_ZEROCOPY_API
GstMemory *    gst_zc_dmabuf_allocator_alloc_dumb (GstAllocator * allocator,
                                                   guint width, guint height,
                                                   guint bpp, guint * pitch,
                                                   GError ** error);

G_END_DECLS

#endif /* __GST_ZC_DMABUF_ALLOCATOR_H__ */
