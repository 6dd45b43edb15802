/* GStreamer zero-copy library: jobs of the simulated accelerator
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcaccelprivate.h"

#include <gio/gio.h>

#define GST_CAT_DEFAULT gst_zc_accel_debug

G_DEFINE_BOXED_TYPE (GstZcAccelJob, gst_zc_accel_job, gst_zc_accel_job_ref,
    gst_zc_accel_job_unref);

/* The larger of what the engine reads and what it writes: a blitter's
 * time goes with the pixels it fetches when it shrinks, with the pixels
 * it stores when it enlarges. */
static guint64
job_pixels (const GstVideoRectangle * crop, const GstVideoInfo * out_info)
{
  guint64 in = (guint64) crop->w * crop->h;
  guint64 out = (guint64) GST_VIDEO_INFO_WIDTH (out_info) *
      GST_VIDEO_INFO_HEIGHT (out_info);

  return MAX (in, out);
}

static void
job_clear (GstZcAccelJob * job)
{
  gst_clear_buffer (&job->input);
  gst_clear_buffer (&job->output);
  g_clear_error (&job->error);
  g_cond_clear (&job->cond);
  g_mutex_clear (&job->lock);
}

/* Marks @output busy (a pending GstZcFenceMeta): @output must be
 * writable, that is held by the caller alone. */
GstZcAccelJob *
gst_zc_accel_job_new (GstBuffer * input, const GstVideoInfo * in_info,
    const GstVideoRectangle * crop, GstBuffer * output,
    const GstVideoInfo * out_info, GstVideoOrientationMethod method,
    gboolean bounce)
{
  GstZcAccelJob *job = g_atomic_rc_box_new0 (GstZcAccelJob);

  g_mutex_init (&job->lock);
  g_cond_init (&job->cond);
  job->fence = gst_buffer_add_zc_fence_meta (output);
  job->input = gst_buffer_ref (input);
  job->output = gst_buffer_ref (output);
  job->in_info = *in_info;
  job->out_info = *out_info;
  job->crop = *crop;
  job->method = method;
  job->bounce = bounce;
  job->pixels = job_pixels (crop, out_info);
  job->state = GST_ZC_ACCEL_JOB_QUEUED;
  return job;
}

void
gst_zc_accel_job_set_running (GstZcAccelJob * job, gboolean has_kernel_fence)
{
  g_mutex_lock (&job->lock);
  job->state = GST_ZC_ACCEL_JOB_RUNNING;
  job->has_kernel_fence = has_kernel_fence;
  g_cond_broadcast (&job->cond);
  g_mutex_unlock (&job->lock);
}

/* Ends the job: signals the output's fence meta (with @error when the
 * output is undefined) and lets the input go back to its producer. */
void
gst_zc_accel_job_finish (GstZcAccelJob * job, GstZcAccelJobState state,
    const GError * error)
{
  /* Before anyone learns that the job ended: a waiter may expect the
   * input to be its own again. */
  gst_clear_buffer (&job->input);
  gst_zc_fence_meta_signal (job->fence, error);

  g_mutex_lock (&job->lock);
  job->state = state;
  if (error)
    job->error = g_error_copy (error);
  g_cond_broadcast (&job->cond);
  g_mutex_unlock (&job->lock);
}

/**
 * gst_zc_accel_job_get_type:
 *
 * Returns: the boxed #GType of #GstZcAccelJob.
 *
 * Since: 0.1
 */

/**
 * gst_zc_accel_job_ref:
 * @job: a #GstZcAccelJob
 *
 * Returns: (transfer full): @job, with one more reference.
 *
 * Since: 0.1
 */
GstZcAccelJob *
gst_zc_accel_job_ref (GstZcAccelJob * job)
{
  g_return_val_if_fail (job != NULL, NULL);

  return g_atomic_rc_box_acquire (job);
}

/**
 * gst_zc_accel_job_unref:
 * @job: (transfer full): a #GstZcAccelJob
 *
 * Drops a reference. The device keeps its own until the job ends, so
 * dropping the submitter's reference does not cancel the job.
 *
 * Since: 0.1
 */
void
gst_zc_accel_job_unref (GstZcAccelJob * job)
{
  g_return_if_fail (job != NULL);

  g_atomic_rc_box_release_full (job, (GDestroyNotify) job_clear);
}

/**
 * gst_zc_accel_job_get_state:
 * @job: a #GstZcAccelJob
 *
 * Returns: where the job is now; never blocks.
 *
 * Since: 0.1
 */
GstZcAccelJobState
gst_zc_accel_job_get_state (GstZcAccelJob * job)
{
  GstZcAccelJobState state;

  g_return_val_if_fail (job != NULL, GST_ZC_ACCEL_JOB_FAILED);

  g_mutex_lock (&job->lock);
  state = job->state;
  g_mutex_unlock (&job->lock);
  return state;
}

static gboolean
is_running_or_ended (GstZcAccelJob * job)
{
  return job->state != GST_ZC_ACCEL_JOB_QUEUED;
}

static gboolean
has_ended (GstZcAccelJob * job)
{
  return job->state != GST_ZC_ACCEL_JOB_QUEUED &&
      job->state != GST_ZC_ACCEL_JOB_RUNNING;
}

/* Waits under the job's lock until @cond holds or @timeout (ns) passes. */
static gboolean
wait_for (GstZcAccelJob * job, gboolean (*cond) (GstZcAccelJob *),
    GstClockTime timeout)
{
  gint64 deadline = GST_CLOCK_TIME_IS_VALID (timeout) ?
      g_get_monotonic_time () + (gint64) (timeout / GST_USECOND) : -1;
  gboolean timed_out = FALSE;

  while (!cond (job) && !timed_out) {
    if (deadline < 0)
      g_cond_wait (&job->cond, &job->lock);
    else
      timed_out = !g_cond_wait_until (&job->cond, &job->lock, deadline);
  }
  return cond (job);
}

/**
 * gst_zc_accel_job_wait:
 * @job: a #GstZcAccelJob
 * @timeout: the longest wait in nanoseconds, %GST_CLOCK_TIME_NONE for no
 *   limit, 0 to only check
 * @error: return location for a #GError
 *
 * Blocks until the job ends. A flush of the device ends every pending job
 * at once (%GST_ZC_ACCEL_JOB_CANCELLED), so a waiter never outlives a
 * flush.
 *
 * Returns: %TRUE when the job completed (%GST_ZC_ACCEL_JOB_DONE): the
 * output holds the result. %FALSE with @error set to
 * %GST_ZC_ACCEL_ERROR_CANCELLED or %GST_ZC_ACCEL_ERROR_FAILED when it
 * ended otherwise, or to %G_IO_ERROR_TIMED_OUT when @timeout passed first.
 *
 * Since: 0.1
 */
gboolean
gst_zc_accel_job_wait (GstZcAccelJob * job, GstClockTime timeout,
    GError ** error)
{
  gboolean ended, ok;

  g_return_val_if_fail (job != NULL, FALSE);

  g_mutex_lock (&job->lock);
  ended = wait_for (job, has_ended, timeout);
  ok = ended && job->state == GST_ZC_ACCEL_JOB_DONE;
  if (ended && !ok && job->error)
    g_propagate_error (error, g_error_copy (job->error));
  g_mutex_unlock (&job->lock);

  if (!ended)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "the accelerator job did not end in time");
  return ok;
}

/**
 * gst_zc_accel_job_wait_running:
 * @job: a #GstZcAccelJob
 * @timeout: the longest wait in nanoseconds, %GST_CLOCK_TIME_NONE for no
 *   limit
 *
 * Blocks until the device took the job: its output is fenced from then
 * on until the job ends (a kernel fence where
 * gst_zc_accel_job_has_kernel_fence() says so).
 *
 * Returns: %TRUE when the job is running or has ended; %FALSE when
 * @timeout passed while it was still queued.
 *
 * Since: 0.1
 */
gboolean
gst_zc_accel_job_wait_running (GstZcAccelJob * job, GstClockTime timeout)
{
  gboolean ret;

  g_return_val_if_fail (job != NULL, FALSE);

  g_mutex_lock (&job->lock);
  ret = wait_for (job, is_running_or_ended, timeout);
  g_mutex_unlock (&job->lock);
  return ret;
}

/**
 * gst_zc_accel_job_get_output:
 * @job: a #GstZcAccelJob
 *
 * The output buffer given to gst_zc_accel_device_submit(), with its
 * #GstZcFenceMeta: read it only after gst_zc_accel_job_wait() or
 * gst_zc_fence_wait_buffer().
 *
 * Returns: (transfer none) (nullable): the output buffer, alive as long as
 * @job; %NULL once gst_zc_accel_job_steal_output() took it.
 *
 * Since: 0.1
 */
GstBuffer *
gst_zc_accel_job_get_output (GstZcAccelJob * job)
{
  GstBuffer *output;

  g_return_val_if_fail (job != NULL, NULL);

  g_mutex_lock (&job->lock);
  output = job->output;
  g_mutex_unlock (&job->lock);
  return output;
}

/**
 * gst_zc_accel_job_steal_output:
 * @job: a #GstZcAccelJob that has ended
 *
 * Hands the job's reference to its output over to the caller, so that the
 * caller's is the only one and the buffer is writable without a copy
 * (gst_buffer_make_writable()). After it gst_zc_accel_job_get_output()
 * returns %NULL.
 *
 * Returns: (transfer full) (nullable): the output, or %NULL when it was
 * already taken or the job has not ended.
 *
 * Since: 0.1
 */
GstBuffer *
gst_zc_accel_job_steal_output (GstZcAccelJob * job)
{
  GstBuffer *output = NULL;

  g_return_val_if_fail (job != NULL, NULL);

  g_mutex_lock (&job->lock);
  /* The worker signals the output's fence until the job ends. */
  if (has_ended (job)) {
    output = job->output;
    job->output = NULL;
  }
  g_mutex_unlock (&job->lock);
  return output;
}

/**
 * gst_zc_accel_job_get_pixels:
 * @job: a #GstZcAccelJob
 *
 * Returns: the pixels the throughput model charges for the job: the larger
 * of the source rectangle (crop) and the output frame, in pixels.
 *
 * Since: 0.1
 */
guint64
gst_zc_accel_job_get_pixels (GstZcAccelJob * job)
{
  g_return_val_if_fail (job != NULL, 0);

  return job->pixels;
}

/**
 * gst_zc_accel_job_has_kernel_fence:
 * @job: a #GstZcAccelJob
 *
 * Whether the output's dma-bufs got a kernel write fence (vgem's
 * `VGEM_FENCE_ATTACH`) while the job ran, so that `poll()` on them and
 * `DMA_BUF_IOCTL_SYNC` waited for the device. Known once the job runs;
 * without it only the #GstZcFenceMeta marked the output busy.
 *
 * Returns: %TRUE when every dma-buf of the output had a kernel fence.
 *
 * Since: 0.1
 */
gboolean
gst_zc_accel_job_has_kernel_fence (GstZcAccelJob * job)
{
  gboolean ret;

  g_return_val_if_fail (job != NULL, FALSE);

  g_mutex_lock (&job->lock);
  ret = job->has_kernel_fence;
  g_mutex_unlock (&job->lock);
  return ret;
}
