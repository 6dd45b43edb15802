/* zcv4l2src: V4L2 capture exporting its buffers as dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_V4L2_SRC_H__
#define __GST_ZC_V4L2_SRC_H__

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_ZC_V4L2_SRC (gst_zc_v4l2_src_get_type ())
G_DECLARE_FINAL_TYPE (GstZcV4l2Src, gst_zc_v4l2_src, GST, ZC_V4L2_SRC,
    GstPushSrc)

G_END_DECLS

#endif /* __GST_ZC_V4L2_SRC_H__ */
