/* GStreamer zero-copy library: a frame's capture time in CLOCK_MONOTONIC
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzccapturetime
 * @title: Capture time
 * @short_description: when a frame was captured, carried to the display
 *
 * A frame's PTS is running time: it says when the frame is due, not when
 * the camera took it, and elements may change it. The capture time is
 * kept apart, as a #GstReferenceTimestampMeta whose reference caps are
 * %GST_ZC_CAPTURE_TIME_REFERENCE (`timestamp/x-linux-monotonic`): a time
 * in nanoseconds of Linux's `CLOCK_MONOTONIC`. That is the clock of
 *
 * - V4L2 buffer timestamps when the buffer's flags carry
 *   `V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC` (`struct v4l2_buffer` `timestamp`,
 *   the time the driver captured the frame),
 * - DRM page-flip and vblank events when the device answers
 *   `DRM_CAP_TIMESTAMP_MONOTONIC` with 1 (`struct drm_event_vblank`
 *   `tv_sec`/`tv_usec`, the time the frame reached the screen),
 * - clock_gettime(`CLOCK_MONOTONIC`) and g_get_monotonic_time() on Linux,
 *
 * so a display can subtract the capture time from the flip time of the
 * same frame: the capture-to-screen latency, free of any pipeline clock.
 *
 * The meta has no tags, and #GstReferenceTimestampMeta's transform copies
 * it whatever the transformation, so it stays on the frame through
 * copies and through elements that keep tagless metas (GstBaseTransform
 * does by default): a converted or scaled frame was captured at the same
 * time.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzccapturetime.h"

static GstStaticCaps reference_caps =
GST_STATIC_CAPS (GST_ZC_CAPTURE_TIME_REFERENCE);

/**
 * gst_zc_capture_time_get_reference:
 *
 * Returns: (transfer full): the caps %GST_ZC_CAPTURE_TIME_REFERENCE, for
 * gst_buffer_get_reference_timestamp_meta() and the like.
 *
 * Since: 0.1
 */
GstCaps *
gst_zc_capture_time_get_reference (void)
{
  return gst_static_caps_get (&reference_caps);
}

/**
 * gst_zc_buffer_add_capture_time:
 * @buffer: a writable #GstBuffer
 * @monotonic_ns: when the frame was captured: `CLOCK_MONOTONIC` time in
 *   nanoseconds (for V4L2, GST_TIMEVAL_TO_TIME() of the buffer's
 *   `timestamp`, only when its flags carry
 *   `V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC`)
 *
 * Records @monotonic_ns as @buffer's capture time, in a
 * #GstReferenceTimestampMeta of reference %GST_ZC_CAPTURE_TIME_REFERENCE
 * and no duration. A capture time already on @buffer is replaced, so
 * that a buffer a pool hands out again never carries two.
 *
 * Since: 0.1
 */
void
gst_zc_buffer_add_capture_time (GstBuffer * buffer, GstClockTime monotonic_ns)
{
  GstReferenceTimestampMeta *meta;
  GstCaps *reference;

  g_return_if_fail (GST_IS_BUFFER (buffer));
  g_return_if_fail (gst_buffer_is_writable (buffer));
  g_return_if_fail (GST_CLOCK_TIME_IS_VALID (monotonic_ns));

  reference = gst_zc_capture_time_get_reference ();
  meta = gst_buffer_get_reference_timestamp_meta (buffer, reference);
  if (meta) {
    meta->timestamp = monotonic_ns;
    meta->duration = GST_CLOCK_TIME_NONE;
  } else {
    gst_buffer_add_reference_timestamp_meta (buffer, reference, monotonic_ns,
        GST_CLOCK_TIME_NONE);
  }
  gst_caps_unref (reference);
}

/**
 * gst_zc_buffer_get_capture_time:
 * @buffer: a #GstBuffer
 *
 * Reads the capture time gst_zc_buffer_add_capture_time() recorded (or
 * any #GstReferenceTimestampMeta whose reference is
 * %GST_ZC_CAPTURE_TIME_REFERENCE).
 *
 * Returns: the `CLOCK_MONOTONIC` time in nanoseconds at which @buffer's
 * frame was captured, or %GST_CLOCK_TIME_NONE when @buffer carries none.
 *
 * Since: 0.1
 */
GstClockTime
gst_zc_buffer_get_capture_time (GstBuffer * buffer)
{
  GstReferenceTimestampMeta *meta;
  GstCaps *reference;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), GST_CLOCK_TIME_NONE);

  reference = gst_zc_capture_time_get_reference ();
  meta = gst_buffer_get_reference_timestamp_meta (buffer, reference);
  gst_caps_unref (reference);

  return meta ? meta->timestamp : GST_CLOCK_TIME_NONE;
}
