/* zcv4l2src: choosing the pool of dma-bufs that capture writes into
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_V4L2_IMPORT_H__
#define __GST_ZC_V4L2_IMPORT_H__

#include <gst/video/video.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
GstBufferPool * gst_zc_v4l2_import_choose_pool (GstElement * element,
                                                gint fd, GstQuery * query,
                                                GstCaps * caps,
                                                GstVideoInfo * info,
                                                guint count, gboolean forced);

G_END_DECLS

#endif /* __GST_ZC_V4L2_IMPORT_H__ */
