/* zcv4l2src: V4L2 pixel formats and GStreamer video formats
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_V4L2_FORMAT_H__
#define __GST_ZC_V4L2_FORMAT_H__

#include <gst/video/video.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
GstVideoFormat gst_zc_v4l2_format_from_fourcc (guint32 fourcc);

G_GNUC_INTERNAL
guint32        gst_zc_v4l2_format_to_fourcc (GstVideoFormat format);

G_GNUC_INTERNAL
GstCaps *      gst_zc_v4l2_format_dmabuf_first (GstCaps * raw);

G_GNUC_INTERNAL
GstCaps *      gst_zc_v4l2_format_template_caps (void);

G_GNUC_INTERNAL
gboolean       gst_zc_v4l2_format_layout (GstVideoInfo * info,
                                          guint bytesperline,
                                          gsize sizeimage);

G_END_DECLS

#endif /* __GST_ZC_V4L2_FORMAT_H__ */
