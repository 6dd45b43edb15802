/* zcaccel: a simulated 2D accelerator element, asynchronous, on dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-zcaccel
 * @title: zcaccel
 *
 * Converts, scales, crops, flips and rotates video on a simulated 2D
 * engine (#GstZcAccelDevice from the zero-copy library), the way SoC
 * blitters, ISPs and V4L2 mem2mem converters do it: dma-bufs in,
 * dma-bufs out, asynchronously, within the device's constraints, fenced.
 *
 * Negotiation is that of `videoconvert ! videoscale`: any supported format
 * at any size on either side (outputs up to #GstZcAccel:max-width x
 * #GstZcAccel:max-height), fixated to the input's format and to a size
 * keeping the display aspect ratio. #GstZcAccel:flip then
 * #GstZcAccel:rotation orient the picture; 90° rotations swap the output's
 * width and height. A #GstVideoCropMeta on the input selects the source
 * rectangle.
 *
 * An output frame has the input's timestamps, flags and the metas that
 * describe the frame rather than its pixels (those without API tags, as
 * GstBaseTransform keeps them: the capture time of
 * gst_zc_buffer_get_capture_time(), other reference timestamps,
 * timecodes); the input's video, crop and region metas are not carried
 * over.
 *
 * Buffers: dma-buf input goes to the device as it is; the streaming
 * thread reads its metadata and never its pixels. Input in system memory
 * is first copied into a dma-buf of the element's own pool (one
 * `DMA_BUF_IOCTL_SYNC` WRITE bracket per frame, gst_zc_buffer_upload()),
 * counted in #GstZcAccel:stats and logged on `GST_PERFORMANCE`. Outputs
 * come from the pool downstream offers when it hands out dma-bufs (a
 * display's scanout buffers: the device writes where the display reads),
 * else from a #GstZcBufferPool of the element's own
 * (gst_zc_decide_allocation()); a downstream pool whose buffers break the
 * device's constraints is replaced by the element's own, counted as a
 * fallback. Constraint violations of an input post an error naming the
 * violation (#GstZcAccelError in the message details as `domain` and
 * `code`).
 *
 * Design of the asynchronous path: a #GstElement with a task on its
 * source pad. The streaming thread (chain) takes an output buffer,
 * submits the job and queues it in a FIFO; it returns at once unless the
 * device's queue is full (#GstZcAccel:queue-depth jobs pending:
 * back-pressure) or the FIFO holds twice that many jobs not yet pushed.
 * The task takes the FIFO's items in order, waits for each job to end and
 * pushes its output: capture, device and display overlap. Serialized
 * events and queries keep their place in the stream: events go through
 * the same FIFO (so EOS is pushed only after every earlier job's output);
 * CAPS and the DRAIN query wait until the FIFO is empty, then are handled
 * on the streaming thread (negotiation, pool choice), and so does a
 * renegotiation (a new #GstZcAccel:rotation, a RECONFIGURE from
 * downstream) before the next frame. FLUSH_START sets the FIFO, the
 * device and the pools flushing (pending jobs are cancelled, every wait
 * returns) and stops the task; FLUSH_STOP empties the FIFO and restarts
 * it.
 *
 * The LATENCY query adds the device's worst case: #GstZcAccel:latency
 * plus #GstZcAccel:queue-depth frames of pixel time (pixels of a frame /
 * #GstZcAccel:pixel-rate).
 *
 * ## Example launch lines
 * |[<!-- run: vm -->
 * gst-launch-1.0 zcv4l2src num-buffers=60 ! zcaccel rotation=90r pixel-rate=100000000 ! 'video/x-raw(memory:DMABuf),format=BGRx,width=480,height=640' ! zckmssink
 * ]| captures, rotates and converts on the simulated engine at 100
 * Mpixel/s, and displays the result, dma-bufs all the way.
 * |[<!-- run: host; creates: mirror-00000.png mirror-00010.png -->
 * gst-launch-1.0 videotestsrc num-buffers=20 ! video/x-raw,width=320,height=240 ! zcupload ! zcaccel flip=horiz ! zcsnapshot location=mirror-%05d.png interval=10 ! fakesink
 * ]| mirrors test frames uploaded into dma-bufs (or memfds where the
 * machine has no dma-buf exporter) and writes two of them as PNG files.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcaccel.h"
#include "gstzcaccelcaps.h"
#include "gstzcaccelelements.h"

#include <gst/video/video.h>
#include <gst/allocators/allocators.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY (gst_zc_accel_element_debug);
#define GST_CAT_DEFAULT gst_zc_accel_element_debug

#define DEFAULT_ROTATION GST_ZC_ACCEL_ROTATION_IDENTITY
#define DEFAULT_FLIP GST_ZC_ACCEL_FLIP_NONE
#define DEFAULT_QUEUE_DEPTH 2
#define DEFAULT_PIXEL_RATE 0
#define DEFAULT_LATENCY 0
#define DEFAULT_STRIDE_ALIGN 1
#define DEFAULT_MAX_WIDTH 8192
#define DEFAULT_MAX_HEIGHT 8192
#define DEFAULT_FALLBACK FALSE
#define DEFAULT_KERNEL_FENCES TRUE

enum
{
  PROP_0,
  PROP_ROTATION,
  PROP_FLIP,
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

/* One FIFO entry: a job or a serialized event, in stream order. */
typedef struct
{
  GstZcAccelJob *job;
  GstEvent *event;
} GstZcAccelItem;

struct _GstZcAccel
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;
  GstZcAccelDevice *device;     /* holds the device properties */

  /* under the object lock */
  GstZcAccelRotation rotation;
  GstZcAccelFlip flip;
  guint64 uploads;              /* frames copied from system memory */
  guint64 upload_bytes;
  guint64 pool_fallbacks;       /* downstream pools refused */

  /* the FIFO between the streaming thread and the task */
  GMutex lock;
  GCond cond;
  GQueue items;
  guint n_jobs;                 /* jobs among the items */
  gboolean task_busy;           /* the task is handling an item */
  gboolean flushing;
  GstFlowReturn srcresult;

  /* streaming thread */
  gboolean negotiated;
  GstVideoInfo in_info;
  GstVideoInfo out_info;
  GstVideoOrientationMethod method;
  GstBufferPool *pool;          /* outputs */
  GstBufferPool *upload_pool;   /* inputs copied from system memory */
  gboolean upload_announced;
};

#define gst_zc_accel_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcAccel, gst_zc_accel, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_zc_accel_element_debug, "zcaccel", 0,
        "zero-copy simulated accelerator element"));
GST_ELEMENT_REGISTER_DEFINE (zcaccel, "zcaccel", GST_RANK_NONE,
    GST_TYPE_ZC_ACCEL);

GType
gst_zc_accel_rotation_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ZC_ACCEL_ROTATION_IDENTITY, "No rotation", "identity"},
    {GST_ZC_ACCEL_ROTATION_90R, "Rotate clockwise 90 degrees", "90r"},
    {GST_ZC_ACCEL_ROTATION_180, "Rotate 180 degrees", "180"},
    {GST_ZC_ACCEL_ROTATION_90L, "Rotate counter-clockwise 90 degrees",
        "90l"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstZcAccelRotation",
            values));
  return type;
}

GType
gst_zc_accel_flip_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ZC_ACCEL_FLIP_NONE, "No flip", "none"},
    {GST_ZC_ACCEL_FLIP_HORIZ, "Flip horizontally", "horiz"},
    {GST_ZC_ACCEL_FLIP_VERT, "Flip vertically", "vert"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstZcAccelFlip",
            values));
  return type;
}

/* The flip, then the rotation, as one of the eight orientations. */
static GstVideoOrientationMethod
orientation_method (GstZcAccelFlip flip, GstZcAccelRotation rotation)
{
  static const GstVideoOrientationMethod table[3][4] = {
    {GST_VIDEO_ORIENTATION_IDENTITY, GST_VIDEO_ORIENTATION_90R,
        GST_VIDEO_ORIENTATION_180, GST_VIDEO_ORIENTATION_90L},
    {GST_VIDEO_ORIENTATION_HORIZ, GST_VIDEO_ORIENTATION_UR_LL,
        GST_VIDEO_ORIENTATION_VERT, GST_VIDEO_ORIENTATION_UL_LR},
    {GST_VIDEO_ORIENTATION_VERT, GST_VIDEO_ORIENTATION_UL_LR,
        GST_VIDEO_ORIENTATION_HORIZ, GST_VIDEO_ORIENTATION_UR_LL},
  };

  return table[flip][rotation];
}

static gboolean
swaps_axes (GstVideoOrientationMethod method)
{
  return method == GST_VIDEO_ORIENTATION_90R ||
      method == GST_VIDEO_ORIENTATION_90L ||
      method == GST_VIDEO_ORIENTATION_UL_LR ||
      method == GST_VIDEO_ORIENTATION_UR_LL;
}

static GstVideoOrientationMethod
get_method (GstZcAccel * self)
{
  GstVideoOrientationMethod method;

  GST_OBJECT_LOCK (self);
  method = orientation_method (self->flip, self->rotation);
  GST_OBJECT_UNLOCK (self);
  return method;
}

static guint
get_device_uint (GstZcAccel * self, const gchar * name)
{
  guint value = 0;

  g_object_get (self->device, name, &value, NULL);
  return value;
}

/* ---- the FIFO ---- */

static void
item_free (GstZcAccelItem * item)
{
  if (item->job)
    gst_zc_accel_job_unref (item->job);
  if (item->event)
    gst_event_unref (item->event);
  g_free (item);
}

/* Takes @job or @event. Blocks while the FIFO holds twice the device's
 * queue depth of jobs: outputs waiting for a slow downstream. */
static GstFlowReturn
fifo_push (GstZcAccel * self, GstZcAccelJob * job, GstEvent * event)
{
  guint max_jobs = 2 * get_device_uint (self, "queue-depth");
  GstZcAccelItem *item = g_new0 (GstZcAccelItem, 1);
  GstFlowReturn ret;

  item->job = job;
  item->event = event;
  g_mutex_lock (&self->lock);
  while (!self->flushing && job && self->n_jobs >= max_jobs)
    g_cond_wait (&self->cond, &self->lock);
  ret = self->flushing ? GST_FLOW_FLUSHING : GST_FLOW_OK;
  if (ret == GST_FLOW_OK) {
    g_queue_push_tail (&self->items, item);
    self->n_jobs += job ? 1 : 0;
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);

  if (ret != GST_FLOW_OK)
    item_free (item);
  return ret;
}

/* The next item for the task, or NULL when flushing. */
static GstZcAccelItem *
fifo_pop (GstZcAccel * self)
{
  GstZcAccelItem *item = NULL;

  g_mutex_lock (&self->lock);
  while (!self->flushing && g_queue_is_empty (&self->items))
    g_cond_wait (&self->cond, &self->lock);
  if (!self->flushing) {
    item = g_queue_pop_head (&self->items);
    self->n_jobs -= item->job ? 1 : 0;
    self->task_busy = TRUE;
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  return item;
}

static void
fifo_done (GstZcAccel * self, GstFlowReturn ret)
{
  g_mutex_lock (&self->lock);
  self->task_busy = FALSE;
  if (ret != GST_FLOW_OK && self->srcresult == GST_FLOW_OK)
    self->srcresult = ret;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
fifo_clear (GstZcAccel * self)
{
  g_mutex_lock (&self->lock);
  g_queue_clear_full (&self->items, (GDestroyNotify) item_free);
  self->n_jobs = 0;
  g_mutex_unlock (&self->lock);
}

/* Waits until the task pushed everything queued so far. FALSE when
 * flushing (or the task stopped on an error: the rest is never pushed). */
static gboolean
fifo_drain (GstZcAccel * self)
{
  gboolean drained;

  g_mutex_lock (&self->lock);
  while (!self->flushing && self->srcresult == GST_FLOW_OK
      && (!g_queue_is_empty (&self->items) || self->task_busy))
    g_cond_wait (&self->cond, &self->lock);
  drained = !self->flushing && g_queue_is_empty (&self->items);
  g_mutex_unlock (&self->lock);
  return drained;
}

static GstFlowReturn
get_srcresult (GstZcAccel * self)
{
  GstFlowReturn ret;

  g_mutex_lock (&self->lock);
  ret = self->flushing ? GST_FLOW_FLUSHING : self->srcresult;
  g_mutex_unlock (&self->lock);
  return ret;
}

/* Every wait of the streaming thread and the task returns. */
static void
set_flushing (GstZcAccel * self, gboolean flushing)
{
  g_mutex_lock (&self->lock);
  self->flushing = flushing;
  if (!flushing)
    self->srcresult = GST_FLOW_OK;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  gst_zc_accel_device_set_flushing (self->device, flushing);
  g_mutex_lock (&self->lock);
  if (self->pool)
    gst_buffer_pool_set_flushing (self->pool, flushing);
  if (self->upload_pool)
    gst_buffer_pool_set_flushing (self->upload_pool, flushing);
  g_mutex_unlock (&self->lock);
}

/* ---- the task: pushes outputs in order ---- */

static void
post_job_error (GstZcAccel * self, GError * err)
{
  GST_ELEMENT_ERROR_WITH_DETAILS (self, STREAM, FAILED,
      ("The accelerator could not process a frame."), ("%s", err->message),
      ("domain", G_TYPE_STRING, g_quark_to_string (err->domain),
          "code", G_TYPE_INT, err->code, NULL));
}

static GstFlowReturn
push_job (GstZcAccel * self, GstZcAccelJob * job)
{
  GError *err = NULL;
  GstBuffer *out;

  if (!gst_zc_accel_job_wait (job, GST_CLOCK_TIME_NONE, &err))
    goto not_done;

  /* The job gives its reference away, so that downstream gets a buffer
   * it may write to without a copy. */
  out = gst_zc_accel_job_steal_output (job);
  GST_LOG_OBJECT (self, "pushing %" GST_PTR_FORMAT, out);
  return gst_pad_push (self->srcpad, out);

  /* ERRORS */
not_done:
  if (g_error_matches (err, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_CANCELLED)) {
    g_clear_error (&err);
    return GST_FLOW_FLUSHING;
  }
  post_job_error (self, err);
  g_clear_error (&err);
  return GST_FLOW_ERROR;
}

static GstFlowReturn
push_event (GstZcAccel * self, GstEvent * event)
{
  gboolean eos = GST_EVENT_TYPE (event) == GST_EVENT_EOS;

  if (!gst_pad_push_event (self->srcpad, event))
    GST_DEBUG_OBJECT (self, "downstream refused a serialized event");
  /* After EOS the stream is over: later buffers are refused with EOS. */
  return eos ? GST_FLOW_EOS : GST_FLOW_OK;
}

static void
pause_task (GstZcAccel * self, GstFlowReturn ret)
{
  GST_DEBUG_OBJECT (self, "pausing the task: %s", gst_flow_get_name (ret));
  gst_pad_pause_task (self->srcpad);
  /* GST_FLOW_ERROR was posted by whoever returned it. */
  if (ret == GST_FLOW_NOT_LINKED || ret == GST_FLOW_NOT_NEGOTIATED) {
    GST_ELEMENT_FLOW_ERROR (self, ret);
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  }
}

static void
gst_zc_accel_loop (GstZcAccel * self)
{
  GstZcAccelItem *item = fifo_pop (self);
  GstFlowReturn ret;

  if (!item) {
    pause_task (self, GST_FLOW_FLUSHING);
    return;
  }
  if (item->job) {
    ret = push_job (self, item->job);
  } else {
    ret = push_event (self, item->event);
    item->event = NULL;
  }
  item_free (item);

  fifo_done (self, ret);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_EOS)
    pause_task (self, ret);
}

/* ---- negotiation and pools ---- */

static GstCaps *
get_output_caps (GstZcAccel * self, GstCaps * incaps,
    GstVideoOrientationMethod method)
{
  GstCaps *offered, *peer;

  offered = gst_zc_accel_caps_transform (incaps,
      get_device_uint (self, "max-width"), get_device_uint (self,
          "max-height"), NULL);
  peer = gst_pad_peer_query_caps (self->srcpad, offered);
  gst_caps_unref (offered);
  if (gst_caps_is_empty (peer)) {
    gst_caps_unref (peer);
    return NULL;
  }
  return gst_zc_accel_caps_fixate (incaps, peer, swaps_axes (method));
}

/* Puts @pool (taken) in @slot, under the lock: a flush may come from
 * another thread at any time, and must find every pool the streaming
 * thread may block on. The old pool is deactivated. */
static void
replace_pool (GstZcAccel * self, GstBufferPool ** slot, GstBufferPool * pool)
{
  GstBufferPool *old;

  g_mutex_lock (&self->lock);
  old = *slot;
  *slot = pool;
  if (pool && self->flushing)
    gst_buffer_pool_set_flushing (pool, TRUE);
  g_mutex_unlock (&self->lock);

  if (old) {
    gst_buffer_pool_set_active (old, FALSE);
    gst_object_unref (old);
  }
}

static void
clear_pool (GstBufferPool ** pool)
{
  if (*pool)
    gst_buffer_pool_set_active (*pool, FALSE);
  gst_clear_object (pool);
}

/* Configures and activates @pool for @caps; the project's pools get the
 * device's stride alignment, so their frames never need a fallback. */
static gboolean
activate_pool (GstZcAccel * self, GstBufferPool * pool, GstCaps * caps,
    guint size, guint min, guint max)
{
  GstStructure *config = gst_buffer_pool_get_config (pool);
  guint align = get_device_uint (self, "stride-align");

  gst_buffer_pool_config_set_params (config, caps, size, min, max);
  if (gst_buffer_pool_has_option (pool, GST_BUFFER_POOL_OPTION_VIDEO_META))
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (GST_IS_ZC_BUFFER_POOL (pool) && align > 1)
    gst_zc_buffer_pool_config_set_stride_align (config, align);
  /* A pool may adjust the config; take its version when it is close. */
  if (!gst_buffer_pool_set_config (pool, config)) {
    config = gst_buffer_pool_get_config (pool);
    if (!gst_buffer_pool_config_validate_params (config, caps, size, min, max)
        || !gst_buffer_pool_set_config (pool, config))
      return FALSE;
  }
  return gst_buffer_pool_set_active (pool, TRUE);
}

static GstBufferPool *
new_own_pool (GstZcAccel * self, GstCaps * caps, const GstVideoInfo * info,
    guint min)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();

  if (!activate_pool (self, pool, caps, GST_VIDEO_INFO_SIZE (info), min, 0))
    gst_clear_object (&pool);
  return pool;
}

/* Whether the device can write into @pool's buffers (strides, size). */
static gboolean
pool_fits_device (GstZcAccel * self, GstBufferPool * pool)
{
  GstBuffer *buf = NULL;
  GError *err = NULL;
  gboolean fits;

  if (gst_buffer_pool_acquire_buffer (pool, &buf, NULL) != GST_FLOW_OK)
    return FALSE;
  fits = gst_zc_accel_device_check_frame (self->device, buf, &self->out_info,
      TRUE, &err);
  if (!fits) {
    GST_INFO_OBJECT (self, "downstream pool %" GST_PTR_FORMAT " does not fit "
        "the device (%s): using a pool of our own", pool, err->message);
    g_clear_error (&err);
  }
  gst_buffer_unref (buf);
  return fits;
}

static GstBufferPool *
choose_pool (GstZcAccel * self, GstQuery * query, GstCaps * caps, guint min)
{
  GstBufferPool *pool = NULL;
  guint size = 0, pmin = 0, pmax = 0;

  if (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &pmin, &pmax);
  if (pool && activate_pool (self, pool, caps, MAX (size,
              GST_VIDEO_INFO_SIZE (&self->out_info)), MAX (min, pmin), pmax)
      && pool_fits_device (self, pool))
    return pool;

  if (pool) {
    clear_pool (&pool);
    GST_OBJECT_LOCK (self);
    self->pool_fallbacks++;
    GST_OBJECT_UNLOCK (self);
  }
  return new_own_pool (self, caps, &self->out_info, min);
}

/* The output pool: downstream's when it gives dma-bufs the device can
 * write, else our own (gst_zc_decide_allocation()). */
static gboolean
decide_allocation (GstZcAccel * self, GstCaps * outcaps)
{
  guint min = get_device_uint (self, "queue-depth") + 1;
  GstQuery *query = gst_query_new_allocation (outcaps, TRUE);

  if (!gst_pad_peer_query (self->srcpad, query))
    GST_DEBUG_OBJECT (self, "downstream did not answer the allocation query");
  replace_pool (self, &self->pool, NULL);
  if (gst_zc_decide_allocation (GST_ELEMENT_CAST (self), query, min))
    replace_pool (self, &self->pool, choose_pool (self, query, outcaps, min));
  gst_query_unref (query);

  if (!self->pool)
    return FALSE;
  GST_DEBUG_OBJECT (self, "outputs from %" GST_PTR_FORMAT, self->pool);
  return TRUE;
}

static gboolean
negotiate (GstZcAccel * self, GstCaps * incaps)
{
  GstVideoOrientationMethod method = get_method (self);
  GstCaps *outcaps = NULL;

  self->negotiated = FALSE;
  if (!gst_video_info_from_caps (&self->in_info, incaps))
    goto invalid_caps;
  outcaps = get_output_caps (self, incaps, method);
  if (!outcaps || !gst_video_info_from_caps (&self->out_info, outcaps))
    goto no_output_caps;
  if (!gst_pad_push_event (self->srcpad, gst_event_new_caps (outcaps)))
    goto refused;
  self->method = method;
  if (!decide_allocation (self, outcaps))
    goto no_pool;

  /* The input size may have changed: a new upload pool when needed. */
  replace_pool (self, &self->upload_pool, NULL);
  self->upload_announced = FALSE;
  self->negotiated = TRUE;
  gst_pad_check_reconfigure (self->srcpad);
  GST_DEBUG_OBJECT (self, "%" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT
      ", orientation %d", incaps, outcaps, method);
  gst_caps_unref (outcaps);
  return TRUE;

  /* ERRORS */
invalid_caps:
  GST_WARNING_OBJECT (self, "not video caps: %" GST_PTR_FORMAT, incaps);
  return FALSE;
no_output_caps:
  GST_WARNING_OBJECT (self, "downstream accepts no output for %"
      GST_PTR_FORMAT, incaps);
  gst_clear_caps (&outcaps);
  return FALSE;
refused:
  GST_WARNING_OBJECT (self, "downstream refused %" GST_PTR_FORMAT, outcaps);
  gst_caps_unref (outcaps);
  return FALSE;
no_pool:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
      ("Could not allocate output frames."),
      ("no buffer pool for %" GST_PTR_FORMAT, outcaps));
  gst_caps_unref (outcaps);
  return FALSE;
}

/* ---- the streaming thread ---- */

static gboolean
is_fd_buffer (GstBuffer * buffer)
{
  guint i, n = gst_buffer_n_memory (buffer);

  for (i = 0; i < n; i++)
    if (!gst_is_fd_memory (gst_buffer_peek_memory (buffer, i)))
      return FALSE;
  return n > 0;
}

static void
count_upload (GstZcAccel * self)
{
  gsize size = GST_VIDEO_INFO_SIZE (&self->in_info);
  guint64 frames, bytes;

  GST_OBJECT_LOCK (self);
  frames = ++self->uploads;
  bytes = self->upload_bytes += size;
  GST_OBJECT_UNLOCK (self);
  gst_zc_stats_add_frame_copy (GST_ELEMENT (self), &self->in_info,
      "from system memory into dma-bufs for the device",
      &self->upload_announced, frames, bytes);
}

static void
copy_crop (GstBuffer * dst, GstBuffer * src)
{
  GstVideoCropMeta *crop = gst_buffer_get_video_crop_meta (src);
  GstVideoCropMeta *copy;

  if (!crop)
    return;
  copy = gst_buffer_add_video_crop_meta (dst);
  copy->x = crop->x;
  copy->y = crop->y;
  copy->width = crop->width;
  copy->height = crop->height;
}

/* System memory cannot be imported: copy it into a dma-buf, counted. */
static GstFlowReturn
upload (GstZcAccel * self, GstBuffer * buffer, GstBuffer ** input)
{
  GstCaps *caps;
  GError *err = NULL;
  GstFlowReturn ret;

  if (!self->upload_pool) {
    caps = gst_video_info_to_caps (&self->in_info);
    replace_pool (self, &self->upload_pool, new_own_pool (self, caps,
            &self->in_info, 1));
    gst_caps_unref (caps);
    if (!self->upload_pool)
      goto no_pool;
  }
  ret = gst_buffer_pool_acquire_buffer (self->upload_pool, input, NULL);
  if (ret != GST_FLOW_OK)
    return ret;
  if (!gst_zc_buffer_upload (*input, buffer, &self->in_info, &err))
    goto copy_failed;
  copy_crop (*input, buffer);
  count_upload (self);
  return GST_FLOW_OK;

  /* ERRORS */
no_pool:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
      ("Could not allocate dma-bufs for input in system memory."), (NULL));
  return GST_FLOW_ERROR;
copy_failed:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("Could not copy an input frame into a dma-buf."), ("%s", err->message));
  g_clear_error (&err);
  gst_clear_buffer (input);
  return GST_FLOW_ERROR;
}

/* What describes the frame rather than its pixels goes to the output:
 * the metas whose API has no tags, as GstBaseTransform decides by default
 * (capture time and other reference timestamps, timecodes). Video, crop
 * and region metas are tagged: they describe the input's layout. The
 * input's fences are the input's: the job adds the output's own. */
static void
copy_frame_metas (GstBuffer * output, GstBuffer * input)
{
  GstMetaTransformCopy copy = { FALSE, 0, (gsize) - 1 };
  gpointer state = NULL;
  GstMeta *meta;

  while ((meta = gst_buffer_iterate_meta (input, &state))) {
    const GstMetaInfo *info = meta->info;

    if (info->api == GST_ZC_FENCE_META_API_TYPE || !info->transform_func
        || gst_meta_api_type_get_tags (info->api))
      continue;
    info->transform_func (output, meta, input, _gst_meta_transform_copy, &copy);
  }
}

static void
post_submit_error (GstZcAccel * self, GError * err)
{
  GST_ELEMENT_ERROR_WITH_DETAILS (self, STREAM, FORMAT,
      ("The frame breaks a constraint of the accelerator."),
      ("%s", err->message), ("domain", G_TYPE_STRING,
          g_quark_to_string (err->domain), "code", G_TYPE_INT, err->code,
          NULL));
}

static GstFlowReturn
submit (GstZcAccel * self, GstBuffer * buffer, GstZcAccelJob ** job)
{
  GstBuffer *input = NULL, *output = NULL;
  GError *err = NULL;
  GstFlowReturn ret;

  if (is_fd_buffer (buffer))
    input = gst_buffer_ref (buffer);
  else if ((ret = upload (self, buffer, &input)) != GST_FLOW_OK)
    return ret;
  ret = gst_buffer_pool_acquire_buffer (self->pool, &output, NULL);
  if (ret != GST_FLOW_OK)
    goto done;

  gst_buffer_copy_into (output, buffer, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  copy_frame_metas (output, buffer);
  *job = gst_zc_accel_device_submit (self->device, input, &self->in_info,
      output, &self->out_info, self->method, &err);
  if (*job)
    goto done;
  if (g_error_matches (err, GST_ZC_ACCEL_ERROR, GST_ZC_ACCEL_ERROR_FLUSHING)) {
    ret = GST_FLOW_FLUSHING;
  } else {
    post_submit_error (self, err);
    ret = GST_FLOW_ERROR;
  }
  g_clear_error (&err);

done:
  gst_clear_buffer (&input);
  gst_clear_buffer (&output);
  return ret;
}

static GstFlowReturn
gst_zc_accel_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstZcAccel *self = GST_ZC_ACCEL (parent);
  GstZcAccelJob *job = NULL;
  GstFlowReturn ret = get_srcresult (self);

  if (ret != GST_FLOW_OK)
    goto done;
  /* A new orientation or downstream's new wishes: renegotiate between
   * frames, after the frames already submitted are out. */
  if (gst_pad_check_reconfigure (self->srcpad) && self->negotiated) {
    GstCaps *incaps = gst_pad_get_current_caps (pad);

    if (!fifo_drain (self) || !negotiate (self, incaps))
      gst_pad_mark_reconfigure (self->srcpad);
    gst_caps_unref (incaps);
  }
  if (!self->negotiated) {
    ret = get_srcresult (self) == GST_FLOW_FLUSHING ? GST_FLOW_FLUSHING :
        GST_FLOW_NOT_NEGOTIATED;
    goto done;
  }

  ret = submit (self, buffer, &job);
  if (ret == GST_FLOW_OK)
    ret = fifo_push (self, job, NULL);

done:
  gst_buffer_unref (buffer);
  return ret;
}

/* ---- events and queries ---- */

static gboolean
flush_start (GstZcAccel * self, GstEvent * event)
{
  gboolean ret;

  set_flushing (self, TRUE);
  ret = gst_pad_push_event (self->srcpad, event);
  /* Returns once the task is out of its loop: every wait it could be in
   * was released above. */
  gst_pad_pause_task (self->srcpad);
  return ret;
}

static gboolean
flush_stop (GstZcAccel * self, GstEvent * event)
{
  gboolean ret;

  fifo_clear (self);
  set_flushing (self, FALSE);
  ret = gst_pad_push_event (self->srcpad, event);
  gst_pad_start_task (self->srcpad, (GstTaskFunction) gst_zc_accel_loop,
      self, NULL);
  return ret;
}

static gboolean
handle_caps (GstZcAccel * self, GstEvent * event)
{
  GstCaps *caps;
  gboolean ret;

  gst_event_parse_caps (event, &caps);
  ret = fifo_drain (self) && negotiate (self, caps);
  gst_event_unref (event);
  return ret;
}

static gboolean
gst_zc_accel_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstZcAccel *self = GST_ZC_ACCEL (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      return flush_start (self, event);
    case GST_EVENT_FLUSH_STOP:
      return flush_stop (self, event);
    case GST_EVENT_CAPS:
      return handle_caps (self, event);
    default:
      break;
  }
  if (!GST_EVENT_IS_SERIALIZED (event))
    return gst_pad_event_default (pad, parent, event);
  return fifo_push (self, NULL, event) == GST_FLOW_OK;
}

static gboolean
propose_allocation (GstZcAccel * self, GstQuery * query)
{
  guint align = get_device_uint (self, "stride-align");
  guint min = get_device_uint (self, "queue-depth") + 2;
  GstBufferPool *pool = NULL;
  GstStructure *config;

  gst_query_add_allocation_meta (query, GST_VIDEO_CROP_META_API_TYPE, NULL);
  if (!gst_zc_propose_allocation (GST_ELEMENT_CAST (self), query, min, 0))
    return FALSE;
  if (align == 1 || gst_query_get_n_allocation_pools (query) == 0)
    return TRUE;

  /* Upstream writes straight into frames the device can read. */
  gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
  config = gst_buffer_pool_get_config (pool);
  gst_zc_buffer_pool_config_set_stride_align (config, align);
  if (!gst_buffer_pool_set_config (pool, config))
    GST_WARNING_OBJECT (self, "the proposed pool refused the alignment");
  gst_object_unref (pool);
  return TRUE;
}

static gboolean
gst_zc_accel_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstZcAccel *self = GST_ZC_ACCEL (parent);
  GstCaps *filter, *peer, *caps;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ALLOCATION:
      return propose_allocation (self, query);
    case GST_QUERY_DRAIN:
      return fifo_drain (self) && gst_pad_peer_query (self->srcpad, query);
    case GST_QUERY_CAPS:
      gst_query_parse_caps (query, &filter);
      peer = gst_pad_peer_query_caps (self->srcpad, NULL);
      caps = gst_zc_accel_caps_transform (peer, G_MAXINT, G_MAXINT, filter);
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      gst_caps_unref (peer);
      return TRUE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/* The device's worst case for one frame: its fixed latency plus the pixel
 * time of the frames that may be ahead of it in the queue. */
static GstClockTime
device_latency (GstZcAccel * self)
{
  guint64 rate = 0, pixels;
  GstClockTime latency = 0;
  guint depth = 0;

  g_object_get (self->device, "pixel-rate", &rate, "latency", &latency,
      "queue-depth", &depth, NULL);
  if (rate == 0 || !self->negotiated)
    return latency;
  pixels = MAX ((guint64) GST_VIDEO_INFO_WIDTH (&self->in_info) *
      GST_VIDEO_INFO_HEIGHT (&self->in_info),
      (guint64) GST_VIDEO_INFO_WIDTH (&self->out_info) *
      GST_VIDEO_INFO_HEIGHT (&self->out_info));
  return latency + depth * gst_util_uint64_scale_ceil (pixels, GST_SECOND,
      rate);
}

static gboolean
query_latency (GstZcAccel * self, GstQuery * query)
{
  GstClockTime min, max, ours = device_latency (self);
  gboolean live;

  if (!gst_pad_peer_query (self->sinkpad, query))
    return FALSE;
  gst_query_parse_latency (query, &live, &min, &max);
  min += ours;
  if (GST_CLOCK_TIME_IS_VALID (max))
    max += ours;
  gst_query_set_latency (query, live, min, max);
  GST_DEBUG_OBJECT (self, "device latency %" GST_TIME_FORMAT,
      GST_TIME_ARGS (ours));
  return TRUE;
}

static gboolean
gst_zc_accel_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstZcAccel *self = GST_ZC_ACCEL (parent);
  GstCaps *filter, *peer, *caps;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      return query_latency (self, query);
    case GST_QUERY_CAPS:
      gst_query_parse_caps (query, &filter);
      peer = gst_pad_peer_query_caps (self->sinkpad, NULL);
      caps = gst_zc_accel_caps_transform (peer, get_device_uint (self,
              "max-width"), get_device_uint (self, "max-height"), filter);
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      gst_caps_unref (peer);
      return TRUE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static gboolean
gst_zc_accel_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstZcAccel *self = GST_ZC_ACCEL (parent);
  gboolean ret;

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (active) {
    set_flushing (self, FALSE);
    return gst_pad_start_task (pad, (GstTaskFunction) gst_zc_accel_loop,
        self, NULL);
  }
  set_flushing (self, TRUE);
  ret = gst_pad_stop_task (pad);
  fifo_clear (self);
  return ret;
}

static GstStateChangeReturn
gst_zc_accel_change_state (GstElement * element, GstStateChange transition)
{
  GstZcAccel *self = GST_ZC_ACCEL (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    gst_zc_accel_device_reset_stats (self->device);
    GST_OBJECT_LOCK (self);
    self->uploads = self->upload_bytes = self->pool_fallbacks = 0;
    GST_OBJECT_UNLOCK (self);
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    replace_pool (self, &self->pool, NULL);
    replace_pool (self, &self->upload_pool, NULL);
    self->negotiated = FALSE;
  }
  return ret;
}

/* ---- properties ---- */

static void
gst_zc_accel_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcAccel *self = GST_ZC_ACCEL (object);

  switch (prop_id) {
    case PROP_ROTATION:
      GST_OBJECT_LOCK (self);
      self->rotation = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      gst_pad_mark_reconfigure (self->srcpad);
      break;
    case PROP_FLIP:
      GST_OBJECT_LOCK (self);
      self->flip = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      gst_pad_mark_reconfigure (self->srcpad);
      break;
    case PROP_MAX_WIDTH:
    case PROP_MAX_HEIGHT:
      g_object_set_property (G_OBJECT (self->device), pspec->name, value);
      gst_pad_mark_reconfigure (self->srcpad);
      break;
    case PROP_QUEUE_DEPTH:
    case PROP_PIXEL_RATE:
    case PROP_LATENCY:
      g_object_set_property (G_OBJECT (self->device), pspec->name, value);
      gst_element_post_message (GST_ELEMENT_CAST (self),
          gst_message_new_latency (GST_OBJECT_CAST (self)));
      break;
    case PROP_STRIDE_ALIGN:
    case PROP_FALLBACK:
    case PROP_KERNEL_FENCES:
      g_object_set_property (G_OBJECT (self->device), pspec->name, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* The device's counters with the element's own copies added. */
static GstStructure *
get_stats (GstZcAccel * self)
{
  GstStructure *s = gst_zc_accel_device_get_stats (self->device);
  guint64 fallbacks = 0, copied = 0;

  gst_structure_get_uint64 (s, "fallbacks", &fallbacks);
  gst_structure_get_uint64 (s, "bytes-copied", &copied);
  GST_OBJECT_LOCK (self);
  gst_structure_set (s, "uploads", G_TYPE_UINT64, self->uploads,
      "fallbacks", G_TYPE_UINT64, fallbacks + self->pool_fallbacks,
      "bytes-copied", G_TYPE_UINT64, copied + self->upload_bytes, NULL);
  GST_OBJECT_UNLOCK (self);
  return s;
}

static void
gst_zc_accel_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstZcAccel *self = GST_ZC_ACCEL (object);

  switch (prop_id) {
    case PROP_ROTATION:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->rotation);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_FLIP:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->flip);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, get_stats (self));
      break;
    case PROP_QUEUE_DEPTH:
    case PROP_PIXEL_RATE:
    case PROP_LATENCY:
    case PROP_STRIDE_ALIGN:
    case PROP_MAX_WIDTH:
    case PROP_MAX_HEIGHT:
    case PROP_FALLBACK:
    case PROP_KERNEL_FENCES:
      g_object_get_property (G_OBJECT (self->device), pspec->name, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
install_orientation_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcAccel:rotation:
   *
   * Rotation of the picture, after #GstZcAccel:flip. `90r` and `90l` swap
   * the output's width and height in negotiation.
   *
   * Since: 0.1
   */
  properties[PROP_ROTATION] = g_param_spec_enum ("rotation", "Rotation",
      "Rotation of the picture, after the flip; 90r and 90l swap the "
      "output's width and height", GST_TYPE_ZC_ACCEL_ROTATION,
      DEFAULT_ROTATION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcAccel:flip:
   *
   * Mirroring of the picture, before #GstZcAccel:rotation.
   *
   * Since: 0.1
   */
  properties[PROP_FLIP] = g_param_spec_enum ("flip", "Flip",
      "Mirroring of the picture, before the rotation", GST_TYPE_ZC_ACCEL_FLIP,
      DEFAULT_FLIP, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);
}

static void
install_model_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcAccel:queue-depth:
   *
   * Jobs the device holds at once (queued or running); the streaming
   * thread blocks when one more arrives: back-pressure.
   *
   * Since: 0.1
   */
  properties[PROP_QUEUE_DEPTH] = g_param_spec_uint ("queue-depth",
      "Queue depth", "Jobs the device holds at once (queued or running); "
      "the streaming thread blocks when one more arrives",
      1, 64, DEFAULT_QUEUE_DEPTH, G_PARAM_READWRITE |
      G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcAccel:pixel-rate:
   *
   * The device's throughput in pixels per second (the larger of the
   * source rectangle and the output frame per job); 0 for as fast as the
   * CPU runs it.
   *
   * Since: 0.1
   */
  properties[PROP_PIXEL_RATE] = g_param_spec_uint64 ("pixel-rate",
      "Pixel rate", "Simulated throughput in pixels per second, per job the "
      "larger of source rectangle and output (0 = as fast as the CPU)",
      0, G_MAXUINT64, DEFAULT_PIXEL_RATE, G_PARAM_READWRITE |
      G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcAccel:latency:
   *
   * Fixed time of every job in nanoseconds, on top of the pixel time.
   *
   * Since: 0.1
   */
  properties[PROP_LATENCY] = g_param_spec_uint64 ("latency", "Latency",
      "Simulated fixed time of every job in nanoseconds, on top of the "
      "pixel time (0 = none)", 0, G_MAXUINT64,
      DEFAULT_LATENCY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);
}

static void
install_constraint_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcAccel:stride-align:
   *
   * Plane strides the device accepts are multiples of this many bytes (a
   * power of two); the element's own pools and the pool it proposes
   * upstream are aligned so. An input breaking it is an error, or a
   * counted copy with #GstZcAccel:fallback.
   *
   * Since: 0.1
   */
  properties[PROP_STRIDE_ALIGN] = g_param_spec_uint ("stride-align",
      "Stride alignment", "Plane strides must be multiples of this many "
      "bytes, a power of two (others are ignored with a warning); an input "
      "breaking it is an error, or a counted copy with fallback=true",
      1, 4096, DEFAULT_STRIDE_ALIGN, G_PARAM_READWRITE |
      G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcAccel:max-width:
   *
   * The widest frame the device reads or writes, in pixels: outputs are
   * negotiated within it, a wider input is an error.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_WIDTH] = g_param_spec_uint ("max-width", "Max width",
      "Widest frame the device reads or writes, in pixels: outputs are "
      "negotiated within it, a wider input is an error", 1, 32768,
      DEFAULT_MAX_WIDTH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstZcAccel:max-height:
   *
   * The tallest frame the device reads or writes, in pixels.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_HEIGHT] = g_param_spec_uint ("max-height",
      "Max height", "Tallest frame the device reads or writes, in pixels: "
      "outputs are negotiated within it, a taller input is an error", 1,
      32768, DEFAULT_MAX_HEIGHT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstZcAccel:fallback:
   *
   * Copy inputs whose strides break #GstZcAccel:stride-align into aligned
   * memory on the device's thread (counted in #GstZcAccel:stats, logged
   * on `GST_PERFORMANCE`) instead of failing.
   *
   * Since: 0.1
   */
  properties[PROP_FALLBACK] = g_param_spec_boolean ("fallback", "Fallback",
      "Copy inputs whose strides break stride-align into aligned memory "
      "(counted in stats, logged on GST_PERFORMANCE) instead of failing",
      DEFAULT_FALLBACK, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);
}

static void
install_other_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcAccel:kernel-fences:
   *
   * Fence outputs in the kernel through vgem while a job runs, where the
   * system has vgem and it can import them; outputs always carry a
   * #GstZcFenceMeta.
   *
   * Since: 0.1
   */
  properties[PROP_KERNEL_FENCES] = g_param_spec_boolean ("kernel-fences",
      "Kernel fences", "Fence outputs in the kernel through vgem while a job "
      "runs, where vgem exists (else only the GstZcFenceMeta fence)",
      DEFAULT_KERNEL_FENCES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcAccel:stats:
   *
   * Counters since the element last started, a `GstZcAccelStats`
   * structure: the device's (#GstZcAccelDevice:stats: `jobs`, `pixels`,
   * `job-time-avg`, `job-time-max` in ns, `queue-high-water`, `cancelled`,
   * `failed`, `kernel-fenced`), `uploads` (input frames copied from system
   * memory), `fallbacks` (inputs copied for their strides, and downstream
   * pools replaced) and `bytes-copied` (by uploads and fallbacks).
   *
   * Since: 0.1
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Counters since start (guint64): jobs, pixels, job-time-avg and "
      "job-time-max (ns), queue-high-water, cancelled, failed, fallbacks, "
      "bytes-copied, kernel-fenced, uploads",
      GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
gst_zc_accel_finalize (GObject * object)
{
  GstZcAccel *self = GST_ZC_ACCEL (object);

  gst_object_unref (self->device);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
add_pad_templates (GstElementClass * element_class)
{
  GstCaps *caps = gst_zc_accel_caps_template ();

  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
}

static void
gst_zc_accel_class_init (GstZcAccelClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_zc_accel_set_property;
  gobject_class->get_property = gst_zc_accel_get_property;
  gobject_class->finalize = gst_zc_accel_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_zc_accel_change_state);

  install_orientation_properties (gobject_class);
  install_model_properties (gobject_class);
  install_constraint_properties (gobject_class);
  install_other_properties (gobject_class);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  add_pad_templates (element_class);
  gst_element_class_set_static_metadata (element_class,
      "Zero-copy simulated accelerator", "Filter/Converter/Video/Scaler",
      "Converts, scales, crops, flips and rotates dma-buf video "
      "asynchronously on a simulated 2D engine", "gst-zerocopy developers");

  gst_type_mark_as_plugin_api (GST_TYPE_ZC_ACCEL_ROTATION, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ZC_ACCEL_FLIP, 0);
}

static void
init_pads (GstZcAccel * self)
{
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (self);

  self->sinkpad = gst_pad_new_from_template
      (gst_element_class_get_pad_template (klass, "sink"), "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_zc_accel_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_zc_accel_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_zc_accel_sink_query));
  GST_PAD_SET_ACCEPT_TEMPLATE (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT_CAST (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_template
      (gst_element_class_get_pad_template (klass, "src"), "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_zc_accel_src_query));
  gst_pad_set_activatemode_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_zc_accel_src_activate_mode));
  GST_PAD_SET_ACCEPT_TEMPLATE (self->srcpad);
  gst_element_add_pad (GST_ELEMENT_CAST (self), self->srcpad);
}

static void
gst_zc_accel_init (GstZcAccel * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->items);
  self->srcresult = GST_FLOW_FLUSHING;
  self->flushing = TRUE;
  self->rotation = DEFAULT_ROTATION;
  self->flip = DEFAULT_FLIP;
  self->device = gst_zc_accel_device_new ();
  /* The worker's SYNC brackets and copies are the element's. */
  gst_zc_accel_device_set_element (self->device, GST_ELEMENT (self));
  init_pads (self);
}
