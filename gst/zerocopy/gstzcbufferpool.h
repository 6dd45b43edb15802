/* GStreamer zero-copy library: video buffer pool of dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_BUFFER_POOL_H__
#define __GST_ZC_BUFFER_POOL_H__

#include <gst/zerocopy/zerocopy-prelude.h>
#include <gst/zerocopy/gstzcdmabufallocator.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GST_ZC_BUFFER_POOL_OPTION_DMABUF_PER_PLANE:
 *
 * A pool option: every plane in a dma-buf of its own (one #GstMemory per
 * plane, in plane order) instead of all planes in one dma-buf at the
 * #GstVideoMeta's offsets. For devices that take one fd per plane.
 *
 * Since: 0.1
 */
#define GST_ZC_BUFFER_POOL_OPTION_DMABUF_PER_PLANE \
    "GstZcBufferPoolOptionDmabufPerPlane"

#define GST_TYPE_ZC_BUFFER_POOL (gst_zc_buffer_pool_get_type ())
GST_ZEROCOPY_API
G_DECLARE_FINAL_TYPE (GstZcBufferPool, gst_zc_buffer_pool, GST, ZC_BUFFER_POOL,
    GstBufferPool)

GST_ZEROCOPY_API
GstBufferPool * gst_zc_buffer_pool_new (void);

GST_ZEROCOPY_API
void            gst_zc_buffer_pool_config_set_stride_align (GstStructure * config,
                                                            guint align);

GST_ZEROCOPY_API
gboolean        gst_zc_buffer_pool_get_video_info (GstZcBufferPool * pool,
                                                   GstVideoInfo * info);

GST_ZEROCOPY_API
GstAllocator *  gst_zc_buffer_pool_get_allocator (GstZcBufferPool * pool);

GST_ZEROCOPY_API
guint           gst_zc_buffer_pool_get_n_allocated (GstZcBufferPool * pool);

G_END_DECLS

#endif /* __GST_ZC_BUFFER_POOL_H__ */
