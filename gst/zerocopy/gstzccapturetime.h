/* GStreamer zero-copy library: a frame's capture time in CLOCK_MONOTONIC
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_CAPTURE_TIME_H__
#define __GST_ZC_CAPTURE_TIME_H__

#include <gst/zerocopy/zerocopy-prelude.h>

G_BEGIN_DECLS

/**
 * GST_ZC_CAPTURE_TIME_REFERENCE:
 *
 * The reference caps of the #GstReferenceTimestampMeta that carries a
 * frame's capture time: Linux's `CLOCK_MONOTONIC`, in nanoseconds.
 *
 * Since: 0.1
 */
#define GST_ZC_CAPTURE_TIME_REFERENCE "timestamp/x-linux-monotonic"

GST_ZEROCOPY_API
GstCaps *    gst_zc_capture_time_get_reference (void);

GST_ZEROCOPY_API
void         gst_zc_buffer_add_capture_time (GstBuffer * buffer,
                                             GstClockTime monotonic_ns);

GST_ZEROCOPY_API
GstClockTime gst_zc_buffer_get_capture_time (GstBuffer * buffer);

G_END_DECLS

#endif /* __GST_ZC_CAPTURE_TIME_H__ */
