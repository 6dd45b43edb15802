/* zcaccel: a simulated 2D accelerator element, asynchronous, on dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_ACCEL_H__
#define __GST_ZC_ACCEL_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstZcAccelRotation:
 * @GST_ZC_ACCEL_ROTATION_IDENTITY: no rotation
 * @GST_ZC_ACCEL_ROTATION_90R: 90 degrees clockwise
 * @GST_ZC_ACCEL_ROTATION_180: 180 degrees
 * @GST_ZC_ACCEL_ROTATION_90L: 90 degrees counter-clockwise
 *
 * Rotation of #GstZcAccel:rotation; nicks as videoflip's
 * `video-direction`.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_ZC_ACCEL_ROTATION_IDENTITY,
  GST_ZC_ACCEL_ROTATION_90R,
  GST_ZC_ACCEL_ROTATION_180,
  GST_ZC_ACCEL_ROTATION_90L,
} GstZcAccelRotation;

/**
 * GstZcAccelFlip:
 * @GST_ZC_ACCEL_FLIP_NONE: no flip
 * @GST_ZC_ACCEL_FLIP_HORIZ: mirror left and right
 * @GST_ZC_ACCEL_FLIP_VERT: mirror top and bottom
 *
 * Flip of #GstZcAccel:flip, applied before the rotation.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_ZC_ACCEL_FLIP_NONE,
  GST_ZC_ACCEL_FLIP_HORIZ,
  GST_ZC_ACCEL_FLIP_VERT,
} GstZcAccelFlip;

#define GST_TYPE_ZC_ACCEL_ROTATION (gst_zc_accel_rotation_get_type ())
GType gst_zc_accel_rotation_get_type (void);

#define GST_TYPE_ZC_ACCEL_FLIP (gst_zc_accel_flip_get_type ())
GType gst_zc_accel_flip_get_type (void);

#define GST_TYPE_ZC_ACCEL (gst_zc_accel_get_type ())
G_DECLARE_FINAL_TYPE (GstZcAccel, gst_zc_accel, GST, ZC_ACCEL, GstElement)

G_END_DECLS

#endif /* __GST_ZC_ACCEL_H__ */
