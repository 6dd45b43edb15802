/* GStreamer zero-copy library: waiting for devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_FENCE_H__
#define __GST_ZC_FENCE_H__

#include <gst/zerocopy/zerocopy-prelude.h>
#include <gio/gio.h>

G_BEGIN_DECLS

GST_ZEROCOPY_API
gboolean gst_zc_fence_wait_fd (gint fd, GstMapFlags flags,
                               GstClockTime timeout, GError ** error);

GST_ZEROCOPY_API
gboolean gst_zc_fence_wait_buffer (GstBuffer * buffer, GstMapFlags flags,
                                   GstClockTime timeout, GError ** error);

GST_ZEROCOPY_API
gboolean gst_zc_dmabuf_import_sync_file (gint dmabuf_fd, gint sync_file_fd,
                                         GstMapFlags flags, GError ** error);

GST_ZEROCOPY_API
gint     gst_zc_dmabuf_export_sync_file (gint dmabuf_fd, GstMapFlags flags,
                                         GError ** error);

G_END_DECLS

#endif /* __GST_ZC_FENCE_H__ */
