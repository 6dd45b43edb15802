/* GStreamer zero-copy library: allocation query helpers for elements
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_ALLOCATION_H__
#define __GST_ZC_ALLOCATION_H__

#include <gst/zerocopy/zerocopy-prelude.h>

G_BEGIN_DECLS

GST_ZEROCOPY_API
gboolean gst_zc_propose_allocation (GstElement * element, GstQuery * query,
                                    guint min_buffers, guint max_buffers);

GST_ZEROCOPY_API
gboolean gst_zc_decide_allocation (GstElement * element, GstQuery * query,
                                   guint min_buffers);

GST_ZEROCOPY_API
gboolean gst_zc_buffer_pool_is_dmabuf (GstBufferPool * pool);

GST_ZEROCOPY_API
GstAllocator * gst_zc_query_get_allocator (GstQuery * query);

G_END_DECLS

#endif /* __GST_ZC_ALLOCATION_H__ */
