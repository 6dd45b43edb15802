/* zcupload: copies system-memory video frames into dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_UPLOAD_H__
#define __GST_ZC_UPLOAD_H__

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_ZC_UPLOAD (gst_zc_upload_get_type ())
G_DECLARE_FINAL_TYPE (GstZcUpload, gst_zc_upload, GST, ZC_UPLOAD,
    GstBaseTransform)

G_END_DECLS

#endif /* __GST_ZC_UPLOAD_H__ */
