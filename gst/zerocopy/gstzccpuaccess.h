/* GStreamer zero-copy library: CPU access to dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_CPU_ACCESS_H__
#define __GST_ZC_CPU_ACCESS_H__

#include <gst/zerocopy/zerocopy-prelude.h>

G_BEGIN_DECLS

GST_ZEROCOPY_API
guint64   gst_zc_sync_flags_from_map_flags (GstMapFlags flags);

GST_ZEROCOPY_API
gboolean  gst_zc_dmabuf_sync (gint fd, guint64 flags);

GST_ZEROCOPY_API
gboolean  gst_zc_cpu_access_begin (gint fd, GstMapFlags flags);

GST_ZEROCOPY_API
gboolean  gst_zc_cpu_access_end (gint fd, GstMapFlags flags);

GST_ZEROCOPY_API
GstBuffer * gst_zc_buffer_get_cpu_view (GstBuffer * buffer);

G_END_DECLS

#endif /* __GST_ZC_CPU_ACCESS_H__ */
