/* zcsnapshot: writes chosen video frames as PNG files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_SNAPSHOT_H__
#define __GST_ZC_SNAPSHOT_H__

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_ZC_SNAPSHOT (gst_zc_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (GstZcSnapshot, gst_zc_snapshot, GST, ZC_SNAPSHOT,
    GstBaseTransform)

G_END_DECLS

#endif /* __GST_ZC_SNAPSHOT_H__ */
