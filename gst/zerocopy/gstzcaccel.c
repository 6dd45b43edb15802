/* GStreamer zero-copy library: a simulated 2D accelerator working on dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzcaccel
 * @title: GstZcAccelDevice
 * @short_description: a simulated 2D engine: dma-bufs in, dma-bufs out,
 *   asynchronous, constrained, fenced
 *
 * #GstZcAccelDevice behaves like the 2D blitters, scalers and ISPs of
 * SoCs (imx2d, V4L2 mem2mem converters, VA post-processing) so that code
 * written against it is correct on them:
 *
 * - Jobs are submitted with gst_zc_accel_device_submit(): an input frame
 *   and an output frame, each a #GstBuffer of fd memory (dma-buf, or the
 *   memfd fallback), converted between formats, scaled, cropped (the
 *   input's #GstVideoCropMeta) and oriented (flips, 90° rotations). The
 *   job holds references to both buffers, so their dma-bufs stay alive.
 * - Its own worker thread runs the jobs one at a time, in submission
 *   order. The queue is bounded: once #GstZcAccelDevice:queue-depth jobs
 *   are pending (queued or running), submitting blocks until one ends:
 *   back-pressure. gst_zc_accel_device_set_flushing() cancels every
 *   pending job and releases blocked submitters.
 * - A job takes time: it ends no earlier than
 *   #GstZcAccelDevice:latency + pixels / #GstZcAccelDevice:pixel-rate
 *   after it started (gst_zc_accel_device_get_job_duration()), where the
 *   pixels are the larger of the source rectangle and the output frame.
 *   With both at 0 the device runs as fast as the CPU can.
 * - Constraints are checked when a job is submitted, as a driver checks
 *   buffers it imports: formats (gst_zc_accel_device_get_formats()),
 *   #GstZcAccelDevice:max-width and #GstZcAccelDevice:max-height, plane
 *   strides that are multiples of #GstZcAccelDevice:stride-align bytes,
 *   fd memory large enough for the layout. Each violation is a
 *   #GstZcAccelError, except an input's misaligned strides when
 *   #GstZcAccelDevice:fallback is set: the worker then first copies the
 *   input into aligned memory, a copy counted in the statistics and logged
 *   on `GST_PERFORMANCE`. Nothing is copied silently.
 * - The output is fenced while the job is pending: a #GstZcFenceMeta from
 *   submission to the end of the job, and, where vgem can import the
 *   output's dma-bufs, a kernel write fence from the moment the job runs,
 *   so that `poll()` and `DMA_BUF_IOCTL_SYNC` on the output wait for the
 *   device (kernel dma-buf docs, "Implicit Fence Poll Support").
 *   gst_zc_fence_wait_buffer() waits for both.
 *
 * The device is CPU code: the worker reads the input and writes the output
 * through the library's CPU access, mapped READ and WRITE respectively,
 * each dma-buf between one `DMA_BUF_IOCTL_SYNC` START/END pair, counted
 * in #GstZcStats against the element given with
 * gst_zc_accel_device_set_element(). Its kernel
 * write fence is attached after its own SYNC_START (which waits for the
 * fences present at that moment, and would wait on its own fence
 * otherwise) and signalled after SYNC_END and the modelled duration.
 *
 * #GstZcAccelDevice:stats gives the counters as a #GstStructure.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcaccelprivate.h"
#include "gstzcformat.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_zc_accel_debug);
#define GST_CAT_DEFAULT gst_zc_accel_debug

#define DEFAULT_QUEUE_DEPTH 2
#define DEFAULT_PIXEL_RATE 0
#define DEFAULT_LATENCY 0
#define DEFAULT_STRIDE_ALIGN 1
#define DEFAULT_MAX_WIDTH 8192
#define DEFAULT_MAX_HEIGHT 8192
#define DEFAULT_FALLBACK FALSE
#define DEFAULT_KERNEL_FENCES TRUE

#define MAX_QUEUE_DEPTH 64
#define MAX_STRIDE_ALIGN 4096
#define MAX_SIZE 32768

enum
{
  PROP_0,
  PROP_QUEUE_DEPTH,
  PROP_PIXEL_RATE,
  PROP_LATENCY,
  PROP_STRIDE_ALIGN,
  PROP_MAX_WIDTH,
  PROP_MAX_HEIGHT,
  PROP_FALLBACK,
  PROP_KERNEL_FENCES,
  PROP_STATS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_CODE (GstZcAccelDevice, gst_zc_accel_device,
    GST_TYPE_OBJECT, GST_DEBUG_CATEGORY_INIT (gst_zc_accel_debug,
        "zcacceldevice", 0, "zero-copy library: simulated accelerator"));

/**
 * gst_zc_accel_error_quark:
 *
 * Returns: the quark of %GST_ZC_ACCEL_ERROR.
 *
 * Since: 0.1
 */
GQuark
gst_zc_accel_error_quark (void)
{
  return g_quark_from_static_string ("gst-zc-accel-error-quark");
}

/* ---- properties ---- */

static void
gst_zc_accel_device_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcAccelDevice *self = GST_ZC_ACCEL_DEVICE (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_QUEUE_DEPTH:
      self->queue_depth = g_value_get_uint (value);
      break;
    case PROP_PIXEL_RATE:
      self->pixel_rate = g_value_get_uint64 (value);
      break;
    case PROP_LATENCY:
      self->latency = g_value_get_uint64 (value);
      break;
    case PROP_STRIDE_ALIGN:{
      guint align = g_value_get_uint (value);

      /* Pools align strides with bit masks, as engines do. */
      if (align & (align - 1))
        g_warning ("stride-align %u is not a power of two: ignored", align);
      else
        self->stride_align = align;
      break;
    }
    case PROP_MAX_WIDTH:
      self->max_width = g_value_get_uint (value);
      break;
    case PROP_MAX_HEIGHT:
      self->max_height = g_value_get_uint (value);
      break;
    case PROP_FALLBACK:
      self->fallback = g_value_get_boolean (value);
      break;
    case PROP_KERNEL_FENCES:
      self->kernel_fences = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  /* A deeper queue may let a blocked submitter in. */
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
gst_zc_accel_device_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstZcAccelDevice *self = GST_ZC_ACCEL_DEVICE (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_zc_accel_device_get_stats (self));
    return;
  }

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_QUEUE_DEPTH:
      g_value_set_uint (value, self->queue_depth);
      break;
    case PROP_PIXEL_RATE:
      g_value_set_uint64 (value, self->pixel_rate);
      break;
    case PROP_LATENCY:
      g_value_set_uint64 (value, self->latency);
      break;
    case PROP_STRIDE_ALIGN:
      g_value_set_uint (value, self->stride_align);
      break;
    case PROP_MAX_WIDTH:
      g_value_set_uint (value, self->max_width);
      break;
    case PROP_MAX_HEIGHT:
      g_value_set_uint (value, self->max_height);
      break;
    case PROP_FALLBACK:
      g_value_set_boolean (value, self->fallback);
      break;
    case PROP_KERNEL_FENCES:
      g_value_set_boolean (value, self->kernel_fences);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

/* ---- lifetime ---- */

static void
gst_zc_accel_device_constructed (GObject * object)
{
  GstZcAccelDevice *self = GST_ZC_ACCEL_DEVICE (object);

  G_OBJECT_CLASS (gst_zc_accel_device_parent_class)->constructed (object);

  /* The worker uses the device without a reference of its own (it would
   * keep the device alive forever); dispose stops it first. */
  self->worker = g_thread_new ("zcaccel-worker", gst_zc_accel_device_worker,
      self);
}

/* Ends every queued job with @code; the running one is marked cancelled
 * and the worker ends it. Called with the lock held. */
static void
cancel_pending (GstZcAccelDevice * self, const gchar * why)
{
  GError *error = g_error_new (GST_ZC_ACCEL_ERROR,
      GST_ZC_ACCEL_ERROR_CANCELLED, "the accelerator job was cancelled (%s)",
      why);
  GstZcAccelJob *job;

  while ((job = g_queue_pop_head (&self->queue))) {
    gst_zc_accel_job_finish (job, GST_ZC_ACCEL_JOB_CANCELLED, error);
    self->stats.cancelled++;
    self->n_pending--;
    gst_zc_accel_job_unref (job);
  }
  if (self->current)
    self->current->cancelled = TRUE;
  g_cond_broadcast (&self->cond);
  g_error_free (error);
}

static void
gst_zc_accel_device_dispose (GObject * object)
{
  GstZcAccelDevice *self = GST_ZC_ACCEL_DEVICE (object);

  if (self->worker) {
    g_mutex_lock (&self->lock);
    self->quit = TRUE;
    cancel_pending (self, "the device is being destroyed");
    g_mutex_unlock (&self->lock);
    g_thread_join (self->worker);
    self->worker = NULL;
  }

  G_OBJECT_CLASS (gst_zc_accel_device_parent_class)->dispose (object);
}

static void
gst_zc_accel_device_finalize (GObject * object)
{
  GstZcAccelDevice *self = GST_ZC_ACCEL_DEVICE (object);

  if (self->plan)
    gst_zc_accel_plan_free (self->plan);
  if (self->vgem)
    gst_zc_accel_vgem_close (self->vgem);
  g_weak_ref_clear (&self->element);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (gst_zc_accel_device_parent_class)->finalize (object);
}

static void
install_model_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcAccelDevice:queue-depth:
   *
   * Jobs that may be pending (queued or running) at once; submitting
   * another blocks until one ends.
   *
   * Since: 0.1
   */
  properties[PROP_QUEUE_DEPTH] = g_param_spec_uint ("queue-depth",
      "Queue depth", "Jobs pending at once before submitting blocks",
      1, MAX_QUEUE_DEPTH, DEFAULT_QUEUE_DEPTH,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcAccelDevice:pixel-rate:
   *
   * Throughput in pixels per second: a job of N pixels lasts at least
   * N / pixel-rate seconds, besides #GstZcAccelDevice:latency. 0 for no
   * limit (as fast as the CPU runs the job).
   *
   * Since: 0.1
   */
  properties[PROP_PIXEL_RATE] = g_param_spec_uint64 ("pixel-rate",
      "Pixel rate", "Throughput in pixels per second (0 = unlimited)",
      0, G_MAXUINT64, DEFAULT_PIXEL_RATE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcAccelDevice:latency:
   *
   * Fixed time of every job in nanoseconds (setting up the engine,
   * interrupt latency), added to the pixel time.
   *
   * Since: 0.1
   */
  properties[PROP_LATENCY] = g_param_spec_uint64 ("latency", "Latency",
      "Fixed time of every job in nanoseconds", 0, G_MAXUINT64,
      DEFAULT_LATENCY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
}

static void
install_constraint_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcAccelDevice:stride-align:
   *
   * Every plane's stride must be a multiple of this many bytes (DMA burst
   * size), a power of two; 1 accepts any stride.
   *
   * Since: 0.1
   */
  properties[PROP_STRIDE_ALIGN] = g_param_spec_uint ("stride-align",
      "Stride alignment", "Plane strides must be multiples of this (bytes)",
      1, MAX_STRIDE_ALIGN, DEFAULT_STRIDE_ALIGN,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcAccelDevice:max-width:
   *
   * The widest frame, input or output, in pixels.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_WIDTH] = g_param_spec_uint ("max-width", "Max width",
      "Widest frame the device reads or writes (pixels)", 1, MAX_SIZE,
      DEFAULT_MAX_WIDTH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcAccelDevice:max-height:
   *
   * The tallest frame, input or output, in pixels.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_HEIGHT] = g_param_spec_uint ("max-height",
      "Max height", "Tallest frame the device reads or writes (pixels)", 1,
      MAX_SIZE, DEFAULT_MAX_HEIGHT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcAccelDevice:fallback:
   *
   * When an input's strides break #GstZcAccelDevice:stride-align, copy it
   * into aligned memory first (counted in #GstZcAccelDevice:stats as a
   * fallback and as bytes copied, logged on `GST_PERFORMANCE`) instead of
   * refusing the job with %GST_ZC_ACCEL_ERROR_STRIDE.
   *
   * Since: 0.1
   */
  properties[PROP_FALLBACK] = g_param_spec_boolean ("fallback", "Fallback",
      "Copy inputs with misaligned strides instead of refusing them",
      DEFAULT_FALLBACK, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
}

static void
install_other_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcAccelDevice:kernel-fences:
   *
   * Fence the output's dma-bufs in the kernel (through vgem, when the
   * system has it and it can import them) while a job runs, besides the
   * #GstZcFenceMeta.
   *
   * Since: 0.1
   */
  properties[PROP_KERNEL_FENCES] = g_param_spec_boolean ("kernel-fences",
      "Kernel fences", "Fence outputs in the kernel through vgem",
      DEFAULT_KERNEL_FENCES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcAccelDevice:stats:
   *
   * The counters since creation or gst_zc_accel_device_reset_stats(), as
   * a `GstZcAccelStats` structure with the fields `jobs` (completed),
   * `pixels` (their pixels), `job-time-avg` and `job-time-max` (start to
   * completion, ns), `queue-high-water` (most jobs pending at once),
   * `cancelled`, `failed`, `fallbacks` (inputs copied for their strides),
   * `bytes-copied` (by those copies) and `kernel-fenced` (jobs whose output
   * had a kernel fence); all #guint64 but `queue-high-water` (#guint).
   *
   * Since: 0.1
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Jobs, pixels, job times, queue high-water mark, fallbacks, copies",
      GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
gst_zc_accel_device_class_init (GstZcAccelDeviceClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_zc_accel_device_set_property;
  gobject_class->get_property = gst_zc_accel_device_get_property;
  gobject_class->constructed = gst_zc_accel_device_constructed;
  gobject_class->dispose = gst_zc_accel_device_dispose;
  gobject_class->finalize = gst_zc_accel_device_finalize;

  install_model_properties (gobject_class);
  install_constraint_properties (gobject_class);
  install_other_properties (gobject_class);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);
}

static void
gst_zc_accel_device_init (GstZcAccelDevice * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  g_weak_ref_init (&self->element, NULL);
  self->queue_depth = DEFAULT_QUEUE_DEPTH;
  self->pixel_rate = DEFAULT_PIXEL_RATE;
  self->latency = DEFAULT_LATENCY;
  self->stride_align = DEFAULT_STRIDE_ALIGN;
  self->max_width = DEFAULT_MAX_WIDTH;
  self->max_height = DEFAULT_MAX_HEIGHT;
  self->fallback = DEFAULT_FALLBACK;
  self->kernel_fences = DEFAULT_KERNEL_FENCES;
}

/**
 * gst_zc_accel_device_new:
 *
 * Makes a device and starts its worker thread. Set its model and
 * constraints with the properties; they apply to jobs that start after.
 *
 * Returns: (transfer full): a new #GstZcAccelDevice.
 *
 * Since: 0.1
 */
GstZcAccelDevice *
gst_zc_accel_device_new (void)
{
  return gst_object_ref_sink (g_object_new (GST_TYPE_ZC_ACCEL_DEVICE, NULL));
}

/**
 * gst_zc_accel_device_get_formats:
 * @n_formats: (out): the number of formats
 *
 * The formats the device reads and writes, in any combination: those of
 * the library's DRM fourcc table (gst_zc_format_list()), linear layout.
 *
 * Returns: (transfer none) (array length=n_formats): the formats.
 *
 * Since: 0.1
 */
const GstVideoFormat *
gst_zc_accel_device_get_formats (guint * n_formats)
{
  g_return_val_if_fail (n_formats != NULL, NULL);

  return gst_zc_format_list (n_formats);
}

/**
 * gst_zc_accel_device_set_element:
 * @device: a #GstZcAccelDevice
 * @element: (nullable) (transfer none): the element the device works for,
 *   or %NULL
 *
 * Makes @element the thread element of the device's worker
 * (gst_zc_stats_set_thread_element()) from the next job on: the
 * `DMA_BUF_IOCTL_SYNC` brackets of its maps and the copies of its
 * fallback are then counted against @element in #GstZcStats, rather than
 * as unattributed. The device keeps a weak reference: once @element is
 * finalized, the worker's counts are unattributed again.
 *
 * Since: 0.1
 */
void
gst_zc_accel_device_set_element (GstZcAccelDevice * device,
    GstElement * element)
{
  g_return_if_fail (GST_IS_ZC_ACCEL_DEVICE (device));
  g_return_if_fail (element == NULL || GST_IS_ELEMENT (element));

  g_weak_ref_set (&device->element, element);
}

/* ---- the model ---- */

GstClockTime
gst_zc_accel_model_duration (guint64 pixels, guint64 pixel_rate,
    GstClockTime latency)
{
  GstClockTime d = latency;

  if (pixel_rate > 0)
    d += gst_util_uint64_scale_ceil (pixels, GST_SECOND, pixel_rate);
  return d;
}

/**
 * gst_zc_accel_device_get_job_duration:
 * @device: a #GstZcAccelDevice
 * @pixels: the pixels of a job (see gst_zc_accel_job_get_pixels())
 *
 * The throughput and latency model: #GstZcAccelDevice:latency +
 * @pixels / #GstZcAccelDevice:pixel-rate, rounded up to a nanosecond. A
 * job ends no earlier than this after it started, and later when the CPU
 * needs longer.
 *
 * Returns: the modelled duration of a job in nanoseconds (0 when both
 * properties are 0).
 *
 * Since: 0.1
 */
GstClockTime
gst_zc_accel_device_get_job_duration (GstZcAccelDevice * device, guint64 pixels)
{
  GstClockTime d;

  g_return_val_if_fail (GST_IS_ZC_ACCEL_DEVICE (device), 0);

  g_mutex_lock (&device->lock);
  d = gst_zc_accel_model_duration (pixels, device->pixel_rate, device->latency);
  g_mutex_unlock (&device->lock);
  return d;
}

/* ---- submission ---- */

static void
get_constraints (GstZcAccelDevice * self, GstZcAccelConstraints * c)
{
  g_mutex_lock (&self->lock);
  c->stride_align = self->stride_align;
  c->max_width = self->max_width;
  c->max_height = self->max_height;
  c->fallback = self->fallback;
  g_mutex_unlock (&self->lock);
}

/**
 * gst_zc_accel_device_check_frame:
 * @device: a #GstZcAccelDevice
 * @buffer: a frame
 * @info: its format and size (its strides and offsets count only when
 *   @buffer has no #GstVideoMeta)
 * @output: %TRUE to check @buffer as a job's output, %FALSE as its input
 * @error: return location for a #GError
 *
 * Checks @buffer against the device's constraints as
 * gst_zc_accel_device_submit() does, without submitting anything: for
 * example a pool's first buffer, before choosing that pool. Only metadata
 * is read.
 *
 * Returns: %TRUE when a job would accept @buffer (an input with
 * misaligned strides too, when #GstZcAccelDevice:fallback is set);
 * %FALSE with @error set to %GST_ZC_ACCEL_ERROR_FORMAT,
 * %GST_ZC_ACCEL_ERROR_SIZE, %GST_ZC_ACCEL_ERROR_STRIDE or
 * %GST_ZC_ACCEL_ERROR_MEMORY naming the violation.
 *
 * Since: 0.1
 */
gboolean
gst_zc_accel_device_check_frame (GstZcAccelDevice * device,
    GstBuffer * buffer, const GstVideoInfo * info, gboolean output,
    GError ** error)
{
  GstZcAccelConstraints c;

  g_return_val_if_fail (GST_IS_ZC_ACCEL_DEVICE (device), FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  get_constraints (device, &c);
  return gst_zc_accel_check_frame (&c, buffer, info, output, NULL, error);
}

/* Queues @job, blocking while the queue is full. */
static gboolean
enqueue (GstZcAccelDevice * self, GstZcAccelJob * job, GError ** error)
{
  g_mutex_lock (&self->lock);
  while (!self->flushing && !self->quit && self->n_pending >= self->queue_depth)
    g_cond_wait (&self->cond, &self->lock);
  if (self->flushing || self->quit)
    goto flushing;

  g_queue_push_tail (&self->queue, gst_zc_accel_job_ref (job));
  self->n_pending++;
  self->stats.queue_high_water = MAX (self->stats.queue_high_water,
      self->n_pending);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;

  /* ERRORS */
flushing:
  g_mutex_unlock (&self->lock);
  g_set_error (error, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FLUSHING,
      "the accelerator is flushing: job not queued");
  return FALSE;
}

static gboolean
is_valid_method (GstVideoOrientationMethod method)
{
  return method >= GST_VIDEO_ORIENTATION_IDENTITY
      && method <= GST_VIDEO_ORIENTATION_UR_LL;
}

/**
 * gst_zc_accel_device_submit:
 * @device: a #GstZcAccelDevice
 * @input: the source frame, in fd memory (dma-buf, or memfd); a
 *   #GstVideoCropMeta on it selects the source rectangle
 * @in_info: @input's format and size (strides and offsets from @input's
 *   #GstVideoMeta when it has one)
 * @output: the destination frame, in fd memory, writable (held by the
 *   caller alone: the job adds its #GstZcFenceMeta to it)
 * @out_info: @output's format and size
 * @method: the orientation applied after scaling: one of
 *   %GST_VIDEO_ORIENTATION_IDENTITY to %GST_VIDEO_ORIENTATION_UR_LL; the
 *   methods that swap axes (90R, 90L, UL_LR, UR_LL) fill an output whose
 *   width is the scaled source's height
 * @error: return location for a #GError
 *
 * Queues a job that converts the source rectangle of @input to @output's
 * format, scales it to @output's size (independently in each direction:
 * the caller keeps the aspect ratio by choosing the sizes), and orients it
 * by @method. @output is marked busy with a #GstZcFenceMeta at once.
 *
 * The constraints are checked here, before anything is queued, from the
 * buffers' metadata: see gst_zc_accel_device_check_frame(). Then, when
 * #GstZcAccelDevice:queue-depth jobs are already pending, the call blocks
 * until one ends, or until gst_zc_accel_device_set_flushing() releases it.
 *
 * Returns: (transfer full) (nullable): the job, pending; wait for it with
 * gst_zc_accel_job_wait() or for its output with
 * gst_zc_fence_wait_buffer(). %NULL with @error set to a constraint's
 * #GstZcAccelError (%GST_ZC_ACCEL_ERROR_FORMAT, %GST_ZC_ACCEL_ERROR_SIZE,
 * %GST_ZC_ACCEL_ERROR_STRIDE, %GST_ZC_ACCEL_ERROR_MEMORY) or to
 * %GST_ZC_ACCEL_ERROR_FLUSHING; @output then carries no pending fence.
 *
 * Since: 0.1
 */
GstZcAccelJob *
gst_zc_accel_device_submit (GstZcAccelDevice * device, GstBuffer * input,
    const GstVideoInfo * in_info, GstBuffer * output,
    const GstVideoInfo * out_info, GstVideoOrientationMethod method,
    GError ** error)
{
  GstZcAccelConstraints c;
  GstVideoRectangle crop;
  GstZcAccelJob *job;
  gboolean bounce = FALSE;
  GError *err = NULL;

  g_return_val_if_fail (GST_IS_ZC_ACCEL_DEVICE (device), NULL);
  g_return_val_if_fail (GST_IS_BUFFER (input) && in_info != NULL, NULL);
  g_return_val_if_fail (GST_IS_BUFFER (output) && out_info != NULL, NULL);
  g_return_val_if_fail (gst_buffer_is_writable (output), NULL);
  g_return_val_if_fail (is_valid_method (method), NULL);

  get_constraints (device, &c);
  if (!gst_zc_accel_check_frame (&c, input, in_info, FALSE, &bounce, error)
      || !gst_zc_accel_check_frame (&c, output, out_info, TRUE, NULL, error)
      || !gst_zc_accel_get_crop (input, in_info, &crop, error))
    return NULL;

  job = gst_zc_accel_job_new (input, in_info, &crop, output, out_info,
      method, bounce);
  if (!enqueue (device, job, &err))
    goto not_queued;

  GST_LOG_OBJECT (device, "queued job %p: %" G_GUINT64_FORMAT " pixels%s",
      job, job->pixels, bounce ? ", input to be copied for its strides" : "");
  return job;

  /* ERRORS */
not_queued:
  /* The fence must not stay pending: nobody would ever signal it. */
  gst_zc_accel_job_finish (job, GST_ZC_ACCEL_JOB_CANCELLED, err);
  gst_zc_accel_job_unref (job);
  g_propagate_error (error, err);
  return NULL;
}

/* ---- flushing and waiting ---- */

/**
 * gst_zc_accel_device_set_flushing:
 * @device: a #GstZcAccelDevice
 * @flushing: %TRUE to start flushing, %FALSE to accept jobs again
 *
 * Starting to flush cancels every pending job: queued ones end at once,
 * the running one as soon as its CPU work is done (its modelled remaining
 * time is skipped), all as %GST_ZC_ACCEL_JOB_CANCELLED with their fences
 * signalled; submitters blocked on a full queue return
 * %GST_ZC_ACCEL_ERROR_FLUSHING, and so does every submission until
 * flushing stops.
 *
 * Since: 0.1
 */
void
gst_zc_accel_device_set_flushing (GstZcAccelDevice * device, gboolean flushing)
{
  g_return_if_fail (GST_IS_ZC_ACCEL_DEVICE (device));

  g_mutex_lock (&device->lock);
  device->flushing = flushing;
  if (flushing)
    cancel_pending (device, "flush");
  g_mutex_unlock (&device->lock);
  GST_DEBUG_OBJECT (device, "flushing %s", flushing ? "started" : "stopped");
}

/**
 * gst_zc_accel_device_wait_idle:
 * @device: a #GstZcAccelDevice
 * @timeout: the longest wait in nanoseconds, %GST_CLOCK_TIME_NONE for no
 *   limit
 *
 * Blocks until no job is pending.
 *
 * Returns: %TRUE when the device is idle; %FALSE when @timeout passed
 * first.
 *
 * Since: 0.1
 */
gboolean
gst_zc_accel_device_wait_idle (GstZcAccelDevice * device, GstClockTime timeout)
{
  gint64 deadline;
  gboolean idle;

  g_return_val_if_fail (GST_IS_ZC_ACCEL_DEVICE (device), FALSE);
  deadline = GST_CLOCK_TIME_IS_VALID (timeout) ?
      g_get_monotonic_time () + timeout / GST_USECOND : G_MAXINT64;

  g_mutex_lock (&device->lock);
  while (device->n_pending > 0
      && g_cond_wait_until (&device->cond, &device->lock, deadline));
  idle = device->n_pending == 0;
  g_mutex_unlock (&device->lock);
  return idle;
}

/**
 * gst_zc_accel_device_get_n_pending:
 * @device: a #GstZcAccelDevice
 *
 * Returns: the jobs queued or running now, at most
 * #GstZcAccelDevice:queue-depth (more only right after the depth was
 * lowered).
 *
 * Since: 0.1
 */
guint
gst_zc_accel_device_get_n_pending (GstZcAccelDevice * device)
{
  guint n;

  g_return_val_if_fail (GST_IS_ZC_ACCEL_DEVICE (device), 0);

  g_mutex_lock (&device->lock);
  n = device->n_pending;
  g_mutex_unlock (&device->lock);
  return n;
}

/* ---- statistics ---- */

/**
 * gst_zc_accel_device_get_stats:
 * @device: a #GstZcAccelDevice
 *
 * The counters, as #GstZcAccelDevice:stats describes them.
 *
 * Returns: (transfer full): a new `GstZcAccelStats` structure.
 *
 * Since: 0.1
 */
GstStructure *
gst_zc_accel_device_get_stats (GstZcAccelDevice * device)
{
  GstZcAccelStats s;

  g_return_val_if_fail (GST_IS_ZC_ACCEL_DEVICE (device), NULL);

  g_mutex_lock (&device->lock);
  s = device->stats;
  g_mutex_unlock (&device->lock);

  return gst_structure_new ("GstZcAccelStats",
      "jobs", G_TYPE_UINT64, s.jobs,
      "pixels", G_TYPE_UINT64, s.pixels,
      "job-time-avg", G_TYPE_UINT64, s.jobs ? s.job_time_total / s.jobs : 0,
      "job-time-max", G_TYPE_UINT64, s.job_time_max,
      "queue-high-water", G_TYPE_UINT, s.queue_high_water,
      "cancelled", G_TYPE_UINT64, s.cancelled,
      "failed", G_TYPE_UINT64, s.failed,
      "fallbacks", G_TYPE_UINT64, s.fallbacks,
      "bytes-copied", G_TYPE_UINT64, s.bytes_copied,
      "kernel-fenced", G_TYPE_UINT64, s.kernel_fenced, NULL);
}

/**
 * gst_zc_accel_device_reset_stats:
 * @device: a #GstZcAccelDevice
 *
 * Sets every counter to 0; the queue high-water mark restarts from the
 * jobs pending now.
 *
 * Since: 0.1
 */
void
gst_zc_accel_device_reset_stats (GstZcAccelDevice * device)
{
  g_return_if_fail (GST_IS_ZC_ACCEL_DEVICE (device));

  g_mutex_lock (&device->lock);
  memset (&device->stats, 0, sizeof (device->stats));
  device->stats.queue_high_water = device->n_pending;
  g_mutex_unlock (&device->lock);
}
