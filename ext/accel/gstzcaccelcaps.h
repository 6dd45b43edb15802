/* zcaccel: caps of the accelerator element (any supported format, any size)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_ACCEL_CAPS_H__
#define __GST_ZC_ACCEL_CAPS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
GstCaps * gst_zc_accel_caps_template (void);

G_GNUC_INTERNAL
GstCaps * gst_zc_accel_caps_transform (GstCaps * caps, guint max_width,
    guint max_height, GstCaps * filter);

G_GNUC_INTERNAL
GstCaps * gst_zc_accel_caps_fixate (GstCaps * incaps, GstCaps * othercaps,
    gboolean swap_axes);

G_END_DECLS

#endif /* __GST_ZC_ACCEL_CAPS_H__ */
