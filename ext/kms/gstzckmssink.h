/* zckmssink: KMS display sink showing dma-bufs without copying them
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_KMS_SINK_H__
#define __GST_ZC_KMS_SINK_H__

#include <gst/video/gstvideosink.h>

G_BEGIN_DECLS

#define GST_TYPE_ZC_KMS_SINK (gst_zc_kms_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstZcKmsSink, gst_zc_kms_sink, GST, ZC_KMS_SINK,
    GstVideoSink)

G_END_DECLS

#endif /* __GST_ZC_KMS_SINK_H__ */
