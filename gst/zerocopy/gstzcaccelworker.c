/* GStreamer zero-copy library: the simulated accelerator's worker thread
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One thread runs the jobs in submission order. For each job:
 *
 *  1. wait for the input's producer (gst_zc_fence_wait_buffer(), READ);
 *  2. map the input READ and the output WRITE through the library's CPU
 *     access: DMA_BUF_IOCTL_SYNC START on each dma-buf, which waits for
 *     the fences present now (a display still reading the output);
 *  3. attach a kernel write fence to each output dma-buf (vgem): from now
 *     on poll() and SYNC_START of other users wait for the device. Not
 *     before step 2, or our own SYNC_START would wait on our own fence
 *     until vgem's 10 s timeout;
 *  4. convert, scale, orient;
 *  5. unmap: SYNC END of the output (cache coherency for the next reader)
 *     and of the input;
 *  6. sleep until the modelled end (start + latency + pixels / rate);
 *  7. signal the kernel fences and the GstZcFenceMeta, end the job.
 *
 * A flush cuts step 6 short; the job then ends cancelled, its fences
 * signalled all the same (a kernel fence that is never signalled would
 * block its waiters for vgem's 10 s). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcaccelprivate.h"
#include "gstzcfence.h"
#include "gstzcstats.h"
#include "gstzcupload.h"

#include <gst/allocators/allocators.h>

#define GST_CAT_DEFAULT gst_zc_accel_debug
GST_DEBUG_CATEGORY_STATIC (CAT_PERFORMANCE);

/* A producer that has not finished writing the input after this long is
 * broken: the job fails rather than stall the queue. */
#define INPUT_FENCE_TIMEOUT (10 * GST_SECOND)

/* What the worker reads from the device once per job. */
typedef struct
{
  GstClockTime deadline;
  gboolean kernel_fences;
  guint stride_align;
  gboolean cancelled;
} JobParams;

static GstZcAccelJob *
next_job (GstZcAccelDevice * self)
{
  GstZcAccelJob *job;

  g_mutex_lock (&self->lock);
  while (!self->quit && g_queue_is_empty (&self->queue))
    g_cond_wait (&self->cond, &self->lock);
  job = self->quit ? NULL : g_queue_pop_head (&self->queue);
  self->current = job;
  g_mutex_unlock (&self->lock);
  return job;
}

static void
get_params (GstZcAccelDevice * self, GstZcAccelJob * job,
    GstClockTime start, JobParams * params)
{
  g_mutex_lock (&self->lock);
  params->deadline = start + gst_zc_accel_model_duration (job->pixels,
      self->pixel_rate, self->latency);
  params->kernel_fences = self->kernel_fences;
  params->stride_align = self->stride_align;
  params->cancelled = job->cancelled;
  g_mutex_unlock (&self->lock);
}

static gboolean
wait_input (GstZcAccelJob * job, GError ** error)
{
  GError *err = NULL;

  if (gst_zc_fence_wait_buffer (job->input, GST_MAP_READ,
          INPUT_FENCE_TIMEOUT, &err))
    return TRUE;

  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FAILED,
      "the input was not ready: %s", err->message);
  g_clear_error (&err);
  return FALSE;
}

/* Plane strides rounded up to @align, planes one after the other. */
static GstBuffer *
new_aligned_frame (const GstVideoInfo * info, guint align)
{
  gint stride[GST_VIDEO_MAX_PLANES];
  gsize offset[GST_VIDEO_MAX_PLANES], size = 0;
  GstBuffer *buffer;
  guint p;

  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];

    gst_video_format_info_component (info->finfo, p, comp);
    stride[p] = GST_VIDEO_INFO_PLANE_STRIDE (info, p);
    stride[p] = (stride[p] + align - 1) / align * align;
    offset[p] = size;
    size += (gsize) stride[p] * GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
  }
  buffer = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_add_video_meta_full (buffer, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info), offset,
      stride);
  return buffer;
}

/* The fallback for an input whose strides the engine cannot take: a CPU
 * copy into aligned memory, counted and logged, never silent. */
static GstBuffer *
bounce_input (GstZcAccelDevice * self, GstZcAccelJob * job, guint align,
    GError ** error)
{
  GstBuffer *staging = new_aligned_frame (&job->in_info, align);
  gsize size = gst_buffer_get_size (staging);
  GError *err = NULL;

  if (!gst_zc_buffer_upload (staging, job->input, &job->in_info, &err))
    goto copy_failed;

  g_mutex_lock (&self->lock);
  self->stats.fallbacks++;
  self->stats.bytes_copied += size;
  g_mutex_unlock (&self->lock);
  GST_CAT_DEBUG_OBJECT (CAT_PERFORMANCE, self, "input strides are not "
      "multiples of %u bytes: copied the %s %dx%d frame (%" G_GSIZE_FORMAT
      " bytes) into aligned memory", align, GST_VIDEO_INFO_NAME
      (&job->in_info), GST_VIDEO_INFO_WIDTH (&job->in_info),
      GST_VIDEO_INFO_HEIGHT (&job->in_info), size);
  return staging;

  /* ERRORS */
copy_failed:
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FAILED,
      "copying the misaligned input failed: %s", err->message);
  g_clear_error (&err);
  gst_buffer_unref (staging);
  return NULL;
}

static gboolean
ensure_vgem (GstZcAccelDevice * self)
{
  GError *error = NULL;

  if (self->vgem || self->vgem_tried)
    return self->vgem != NULL;

  self->vgem_tried = TRUE;
  self->vgem = gst_zc_accel_vgem_open (&error);
  if (!self->vgem) {
    GST_INFO_OBJECT (self, "%s", error->message);
    g_clear_error (&error);
  }
  return self->vgem != NULL;
}

static void
log_no_kernel_fence (GstZcAccelDevice * self, const gchar * why)
{
  /* Once at INFO: the same reason holds for every later job. */
  if (self->vgem_failures++ == 0)
    GST_INFO_OBJECT (self, "output without kernel fence (%s): fenced by "
        "GstZcFenceMeta only", why);
  else
    GST_DEBUG_OBJECT (self, "output without kernel fence (%s)", why);
}

/* Called after the output's SYNC_START: see the top of this file. */
static gboolean
attach_kernel_fences (GstZcAccelDevice * self, GstZcAccelJob * job)
{
  guint i, n = gst_buffer_n_memory (job->output);
  GError *error = NULL;
  gint last_fd = -1;

  if (!ensure_vgem (self))
    return FALSE;
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (job->output, i);
    guint32 *fence = &job->kernel_fences[job->n_kernel_fences];
    gint fd;

    if (!gst_is_dmabuf_memory (mem))
      goto not_dmabuf;
    fd = gst_dmabuf_memory_get_fd (mem);
    if (fd == last_fd)
      continue;
    if (job->n_kernel_fences == G_N_ELEMENTS (job->kernel_fences))
      goto too_many;
    if (!gst_zc_accel_vgem_attach (self->vgem, fd, fence, &error))
      goto attach_failed;
    job->n_kernel_fences++;
    last_fd = fd;
  }
  return job->n_kernel_fences > 0;

  /* ERRORS */
not_dmabuf:
  log_no_kernel_fence (self, "memory that is not a dma-buf");
  return FALSE;
too_many:
  log_no_kernel_fence (self, "too many dma-bufs in one frame");
  return FALSE;
attach_failed:
  log_no_kernel_fence (self, error->message);
  g_clear_error (&error);
  return FALSE;
}

static void
signal_kernel_fences (GstZcAccelDevice * self, GstZcAccelJob * job)
{
  guint i;

  for (i = 0; i < job->n_kernel_fences; i++)
    gst_zc_accel_vgem_signal (self->vgem, job->kernel_fences[i]);
  job->n_kernel_fences = 0;
}

static gboolean
run_plan (GstZcAccelDevice * self, GstZcAccelJob * job,
    const GstVideoFrame * in, GstVideoFrame * out, GError ** error)
{
  if (self->plan && !gst_zc_accel_plan_matches (self->plan, &job->in_info,
          &job->crop, &job->out_info, job->method))
    g_clear_pointer (&self->plan, gst_zc_accel_plan_free);
  if (!self->plan)
    self->plan = gst_zc_accel_plan_new (&job->in_info, &job->crop,
        &job->out_info, job->method, error);
  if (!self->plan)
    return FALSE;

  if (!gst_zc_accel_plan_run (self->plan, in, out))
    goto run_failed;
  return TRUE;

  /* ERRORS */
run_failed:
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FAILED,
      "could not map the intermediate frames");
  return FALSE;
}

/* Steps 1 to 5 of the top of this file. */
static gboolean
execute (GstZcAccelDevice * self, GstZcAccelJob * job,
    const JobParams * params, GError ** error)
{
  GstZcVideoFrame in, out;
  GstBuffer *src;
  gboolean ok, fenced = FALSE;

  if (!wait_input (job, error))
    return FALSE;
  src = job->bounce ? bounce_input (self, job, params->stride_align, error)
      : gst_buffer_ref (job->input);
  if (!src)
    return FALSE;
  if (!gst_zc_video_frame_map (&in, &job->in_info, src, GST_MAP_READ))
    goto no_input;
  if (!gst_zc_video_frame_map (&out, &job->out_info, job->output,
          GST_MAP_WRITE))
    goto no_output;

  if (params->kernel_fences)
    fenced = attach_kernel_fences (self, job);
  gst_zc_accel_job_set_running (job, fenced);
  ok = run_plan (self, job, &in.frame, &out.frame, error);

  gst_zc_video_frame_unmap (&out);
  gst_zc_video_frame_unmap (&in);
  gst_buffer_unref (src);
  return ok;

  /* ERRORS */
no_input:
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FAILED,
      "could not map the input for reading");
  gst_buffer_unref (src);
  return FALSE;
no_output:
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FAILED,
      "could not map the output for writing");
  gst_zc_video_frame_unmap (&in);
  gst_buffer_unref (src);
  return FALSE;
}

/* Step 6: returns FALSE when a flush cancelled the job meanwhile. */
static gboolean
wait_until_deadline (GstZcAccelDevice * self, GstZcAccelJob * job,
    GstClockTime deadline)
{
  gboolean cancelled;

  g_mutex_lock (&self->lock);
  while (!job->cancelled) {
    GstClockTime now = gst_util_get_timestamp ();

    if (now >= deadline)
      break;
    /* Rounded up: waking a microsecond early would loop once more. */
    g_cond_wait_until (&self->cond, &self->lock, g_get_monotonic_time () +
        (deadline - now + GST_USECOND - 1) / GST_USECOND);
  }
  cancelled = job->cancelled;
  g_mutex_unlock (&self->lock);
  return !cancelled;
}

static void
count_job (GstZcAccelDevice * self, GstZcAccelJob * job,
    GstZcAccelJobState state, GstClockTime time)
{
  GstZcAccelStats *s = &self->stats;

  switch (state) {
    case GST_ZC_ACCEL_JOB_DONE:
      s->jobs++;
      s->pixels += job->pixels;
      s->job_time_total += time;
      s->job_time_max = MAX (s->job_time_max, time);
      break;
    case GST_ZC_ACCEL_JOB_CANCELLED:
      s->cancelled++;
      break;
    default:
      s->failed++;
      break;
  }
  if (job->has_kernel_fence)
    s->kernel_fenced++;
}

/* Step 7. */
static void
end_job (GstZcAccelDevice * self, GstZcAccelJob * job,
    GstZcAccelJobState state, GError * error, GstClockTime start)
{
  GstClockTime time;

  signal_kernel_fences (self, job);
  time = gst_util_get_timestamp () - start;

  /* Counted before the job ends: its waiter may read the statistics. */
  g_mutex_lock (&self->lock);
  count_job (self, job, state, time);
  g_mutex_unlock (&self->lock);

  gst_zc_accel_job_finish (job, state, error);

  g_mutex_lock (&self->lock);
  self->current = NULL;
  self->n_pending--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (error)
    GST_DEBUG_OBJECT (self, "job %p ended (state %d): %s", job, state,
        error->message);
  else
    GST_LOG_OBJECT (self, "job %p done in %" GST_TIME_FORMAT, job,
        GST_TIME_ARGS (time));
}

/* The SYNC brackets and copies of the coming job count against the
 * device's element (gstzcstats.h: a worker thread is attributed only
 * when its owner says whose it is). */
static void
set_thread_element (GstZcAccelDevice * self)
{
  GstElement *element = g_weak_ref_get (&self->element);

  gst_zc_stats_set_thread_element (element);
  gst_clear_object (&element);
}

static void
run_job (GstZcAccelDevice * self, GstZcAccelJob * job)
{
  GstClockTime start = gst_util_get_timestamp ();
  GstZcAccelJobState state = GST_ZC_ACCEL_JOB_DONE;
  GError *error = NULL;
  JobParams params;

  set_thread_element (self);
  get_params (self, job, start, &params);
  if (params.cancelled || !execute (self, job, &params, &error)
      || !wait_until_deadline (self, job, params.deadline))
    state = error ? GST_ZC_ACCEL_JOB_FAILED : GST_ZC_ACCEL_JOB_CANCELLED;
  if (state == GST_ZC_ACCEL_JOB_CANCELLED)
    g_set_error (&error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_CANCELLED,
        "the accelerator job was cancelled (flush)");

  end_job (self, job, state, error, start);
  g_clear_error (&error);
}

gpointer
gst_zc_accel_device_worker (gpointer data)
{
  GstZcAccelDevice *self = data;
  GstZcAccelJob *job;

  GST_DEBUG_CATEGORY_GET (CAT_PERFORMANCE, "GST_PERFORMANCE");
  while ((job = next_job (self))) {
    run_job (self, job);
    gst_zc_accel_job_unref (job);
  }
  GST_DEBUG_OBJECT (self, "worker stopped");
  return NULL;
}
