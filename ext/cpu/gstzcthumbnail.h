/* zcthumbnail: small system-memory frames read sparsely from dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_THUMBNAIL_H__
#define __GST_ZC_THUMBNAIL_H__

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_ZC_THUMBNAIL (gst_zc_thumbnail_get_type ())
G_DECLARE_FINAL_TYPE (GstZcThumbnail, gst_zc_thumbnail, GST, ZC_THUMBNAIL,
    GstBaseTransform)

G_END_DECLS

#endif /* __GST_ZC_THUMBNAIL_H__ */
