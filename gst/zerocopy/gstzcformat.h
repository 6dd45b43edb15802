/* GStreamer zero-copy library: video format <-> DRM fourcc table
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_FORMAT_H__
#define __GST_ZC_FORMAT_H__

#include <gst/zerocopy/zerocopy-prelude.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

GST_ZEROCOPY_API
guint32        gst_zc_format_to_drm_fourcc (GstVideoFormat format);

GST_ZEROCOPY_API
GstVideoFormat gst_zc_format_from_drm_fourcc (guint32 fourcc);

GST_ZEROCOPY_API
const GstVideoFormat * gst_zc_format_list (guint * n_formats);

G_END_DECLS

#endif /* __GST_ZC_FORMAT_H__ */
