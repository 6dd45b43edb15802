/* GStreamer zero-copy library: a simulated 2D accelerator working on dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Not __GST_ZC_ACCEL_H__: that guards the zcaccel element's header. */
#ifndef __GST_ZC_ACCEL_DEVICE_H__
#define __GST_ZC_ACCEL_DEVICE_H__

#include <gst/zerocopy/zerocopy-prelude.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GST_ZC_ACCEL_ERROR:
 *
 * The error domain of #GstZcAccelDevice: constraint violations found when
 * a job is submitted, and the end of jobs that did not complete.
 *
 * Since: 0.1
 */
#define GST_ZC_ACCEL_ERROR (gst_zc_accel_error_quark ())

/**
 * GstZcAccelError:
 * @GST_ZC_ACCEL_ERROR_FORMAT: a frame's format is not one the device
 *   reads or writes (gst_zc_accel_device_get_formats())
 * @GST_ZC_ACCEL_ERROR_SIZE: a frame is empty or larger than
 *   #GstZcAccelDevice:max-width x #GstZcAccelDevice:max-height, or the
 *   input's crop rectangle is not inside the frame
 * @GST_ZC_ACCEL_ERROR_STRIDE: a plane's stride is not a multiple of
 *   #GstZcAccelDevice:stride-align (an input's only when
 *   #GstZcAccelDevice:fallback is off)
 * @GST_ZC_ACCEL_ERROR_MEMORY: a frame is not in fd memory (dma-buf or
 *   memfd) that the device could import, or its memory is smaller than its
 *   layout
 * @GST_ZC_ACCEL_ERROR_FLUSHING: the device is flushing: the job was not
 *   queued
 * @GST_ZC_ACCEL_ERROR_CANCELLED: the job was cancelled by a flush; the
 *   output is undefined
 * @GST_ZC_ACCEL_ERROR_FAILED: the job ran and failed (a buffer could not
 *   be mapped, the input's producer never signalled its fence); the output
 *   is undefined
 *
 * Since: 0.1
 */
typedef enum
{
  GST_ZC_ACCEL_ERROR_FORMAT,
  GST_ZC_ACCEL_ERROR_SIZE,
  GST_ZC_ACCEL_ERROR_STRIDE,
  GST_ZC_ACCEL_ERROR_MEMORY,
  GST_ZC_ACCEL_ERROR_FLUSHING,
  GST_ZC_ACCEL_ERROR_CANCELLED,
  GST_ZC_ACCEL_ERROR_FAILED,
} GstZcAccelError;

/**
 * GstZcAccelJobState:
 * @GST_ZC_ACCEL_JOB_QUEUED: waiting in the device's queue
 * @GST_ZC_ACCEL_JOB_RUNNING: the device owns the buffers: the output is
 *   fenced (kernel fence attached where there is one)
 * @GST_ZC_ACCEL_JOB_DONE: completed; the output holds the result and its
 *   fences are signalled
 * @GST_ZC_ACCEL_JOB_FAILED: ended with %GST_ZC_ACCEL_ERROR_FAILED
 * @GST_ZC_ACCEL_JOB_CANCELLED: ended by a flush
 *
 * Since: 0.1
 */
typedef enum
{
  GST_ZC_ACCEL_JOB_QUEUED,
  GST_ZC_ACCEL_JOB_RUNNING,
  GST_ZC_ACCEL_JOB_DONE,
  GST_ZC_ACCEL_JOB_FAILED,
  GST_ZC_ACCEL_JOB_CANCELLED,
} GstZcAccelJobState;

/**
 * GstZcAccelJob:
 *
 * One operation submitted to a #GstZcAccelDevice: an opaque, reference
 * counted handle that holds references to its input and output buffers
 * (so their dma-bufs stay alive) until the job ends.
 *
 * Since: 0.1
 */
typedef struct _GstZcAccelJob GstZcAccelJob;

#define GST_TYPE_ZC_ACCEL_JOB (gst_zc_accel_job_get_type ())

#define GST_TYPE_ZC_ACCEL_DEVICE (gst_zc_accel_device_get_type ())
GST_ZEROCOPY_API
G_DECLARE_FINAL_TYPE (GstZcAccelDevice, gst_zc_accel_device, GST,
    ZC_ACCEL_DEVICE, GstObject)

GST_ZEROCOPY_API
GQuark gst_zc_accel_error_quark (void);

GST_ZEROCOPY_API
GstZcAccelDevice * gst_zc_accel_device_new (void);

GST_ZEROCOPY_API
const GstVideoFormat * gst_zc_accel_device_get_formats (guint * n_formats);

GST_ZEROCOPY_API
void gst_zc_accel_device_set_element (GstZcAccelDevice * device,
    GstElement * element);

GST_ZEROCOPY_API
gboolean gst_zc_accel_device_check_frame (GstZcAccelDevice * device,
    GstBuffer * buffer, const GstVideoInfo * info, gboolean output,
    GError ** error);

GST_ZEROCOPY_API
GstZcAccelJob * gst_zc_accel_device_submit (GstZcAccelDevice * device,
    GstBuffer * input, const GstVideoInfo * in_info, GstBuffer * output,
    const GstVideoInfo * out_info, GstVideoOrientationMethod method,
    GError ** error);

GST_ZEROCOPY_API
void gst_zc_accel_device_set_flushing (GstZcAccelDevice * device,
    gboolean flushing);

GST_ZEROCOPY_API
gboolean gst_zc_accel_device_wait_idle (GstZcAccelDevice * device,
    GstClockTime timeout);

GST_ZEROCOPY_API
guint gst_zc_accel_device_get_n_pending (GstZcAccelDevice * device);

GST_ZEROCOPY_API
GstClockTime gst_zc_accel_device_get_job_duration (GstZcAccelDevice * device,
    guint64 pixels);

GST_ZEROCOPY_API
GstStructure * gst_zc_accel_device_get_stats (GstZcAccelDevice * device);

GST_ZEROCOPY_API
void gst_zc_accel_device_reset_stats (GstZcAccelDevice * device);

GST_ZEROCOPY_API
GType gst_zc_accel_job_get_type (void);

GST_ZEROCOPY_API
GstZcAccelJob * gst_zc_accel_job_ref (GstZcAccelJob * job);

GST_ZEROCOPY_API
void gst_zc_accel_job_unref (GstZcAccelJob * job);

GST_ZEROCOPY_API
GstZcAccelJobState gst_zc_accel_job_get_state (GstZcAccelJob * job);

GST_ZEROCOPY_API
gboolean gst_zc_accel_job_wait (GstZcAccelJob * job, GstClockTime timeout,
    GError ** error);

GST_ZEROCOPY_API
gboolean gst_zc_accel_job_wait_running (GstZcAccelJob * job,
    GstClockTime timeout);

GST_ZEROCOPY_API
GstBuffer * gst_zc_accel_job_get_output (GstZcAccelJob * job);

GST_ZEROCOPY_API
GstBuffer * gst_zc_accel_job_steal_output (GstZcAccelJob * job);

GST_ZEROCOPY_API
guint64 gst_zc_accel_job_get_pixels (GstZcAccelJob * job);

GST_ZEROCOPY_API
gboolean gst_zc_accel_job_has_kernel_fence (GstZcAccelJob * job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstZcAccelJob, gst_zc_accel_job_unref)

G_END_DECLS

#endif /* __GST_ZC_ACCEL_DEVICE_H__ */
