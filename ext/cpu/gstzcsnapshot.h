/* zcsnapshot: writes chosen video frames as PNG or JPEG files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_SNAPSHOT_H__
#define __GST_ZC_SNAPSHOT_H__

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

/**
 * GstZcSnapshotFormat:
 * @GST_ZC_SNAPSHOT_FORMAT_AUTO: from the file name: `.jpg` or `.jpeg`
 *   (any case) is JPEG, anything else PNG
 * @GST_ZC_SNAPSHOT_FORMAT_PNG: PNG, 8-bit RGB, lossless
 * @GST_ZC_SNAPSHOT_FORMAT_JPEG: JPEG (JFIF, YCbCr 4:2:0) at
 *   #GstZcSnapshot:quality
 *
 * The file format of snapshots.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_ZC_SNAPSHOT_FORMAT_AUTO,
  GST_ZC_SNAPSHOT_FORMAT_PNG,
  GST_ZC_SNAPSHOT_FORMAT_JPEG,
} GstZcSnapshotFormat;

#define GST_TYPE_ZC_SNAPSHOT_FORMAT (gst_zc_snapshot_format_get_type ())
G_GNUC_INTERNAL
GType gst_zc_snapshot_format_get_type (void);

#define GST_TYPE_ZC_SNAPSHOT (gst_zc_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (GstZcSnapshot, gst_zc_snapshot, GST, ZC_SNAPSHOT,
    GstBaseTransform)

G_END_DECLS

#endif /* __GST_ZC_SNAPSHOT_H__ */
