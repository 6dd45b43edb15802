/* zcv4l2src: the pool of V4L2 capture buffers, exported as dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* GstZcV4l2BufferPool owns one V4L2 capture queue (V4L2_MEMORY_MMAP) on
 * its own duplicate of the device fd, and one GstBuffer per V4L2 buffer
 * index, made once at start:
 *
 * - start: VIDIOC_REQBUFS, then for each index VIDIOC_QUERYBUF (length),
 *   VIDIOC_EXPBUF (a dma-buf fd, owned from then on by a
 *   GstZcDmabufAllocator memory: its CPU maps are SYNC-bracketed) and
 *   VIDIOC_QBUF. The pool never maps the buffers itself.
 * - acquire: VIDIOC_STREAMON the first time, then wait on the device with
 *   GstPoll (interrupted by flush_start) and VIDIOC_DQBUF; the buffer goes
 *   out stamped with the driver's capture time (PTS, CLOCK_MONOTONIC ns,
 *   or none when the driver's clock is another one), sequence (OFFSET) and
 *   bytesused (size). Frames the driver flags as bad are queued again.
 * - release (the last unref downstream): VIDIOC_QBUF of the same index.
 * - orphan (the element stops or renegotiates) or stop: VIDIOC_STREAMOFF,
 *   free the buffers the pool holds, VIDIOC_REQBUFS(0), close the fd.
 *   Buffers downstream still holds stay valid: each dma-buf keeps its
 *   memory alive in the kernel (vb2 orphans buffers that are in use), and
 *   when they come back they are freed, closing their fd, never queued.
 *
 * Every ioctl runs under the pool's lock, so releases from downstream
 * threads and the streaming thread's dequeues see one consistent state.
 * Errors are kept for gst_zc_v4l2_buffer_pool_take_error(): the element
 * posts them. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcv4l2bufferpool.h"
#include "gstzcv4l2device.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/videodev2.h>
#include <gio/gio.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_v4l2_buffer_pool_debug);
#define GST_CAT_DEFAULT gst_zc_v4l2_buffer_pool_debug

/* A driver that delivers no frame for this long while it holds buffers has
 * stopped (a camera runs at 1 fps at the slowest). */
#define FRAME_TIMEOUT (5 * GST_SECOND)

/* gst_zc_v4l2_buffer_pool_acquire_buffer: a bad frame was queued again. */
#define FLOW_DROPPED GST_FLOW_CUSTOM_SUCCESS

typedef enum
{
  SLOT_IDLE,                    /* the pool holds the buffer */
  SLOT_QUEUED,                  /* the driver fills it */
  SLOT_OUTSTANDING,             /* downstream holds it */
} SlotState;

typedef struct
{
  GstBuffer *buffer;
  SlotState state;
} Slot;

struct _GstZcV4l2BufferPool
{
  GstBufferPool parent;

  GstVideoInfo info;            /* the driver's layout */
  guint count;                  /* buffers asked for */
  GstPoll *poll;
  GstPollFD pollfd;

  GMutex lock;                  /* guards the rest */
  gint fd;                      /* our dup of the device; -1 once orphaned */
  Slot slots[VIDEO_MAX_FRAME];
  guint n_slots;                /* buffers the driver granted */
  guint n_queued;
  gboolean streaming;
  GError *error;
};

#define gst_zc_v4l2_buffer_pool_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcV4l2BufferPool, gst_zc_v4l2_buffer_pool,
    GST_TYPE_BUFFER_POOL,
    GST_DEBUG_CATEGORY_INIT (gst_zc_v4l2_buffer_pool_debug,
        "zcv4l2bufferpool", 0, "zcv4l2src buffer pool"));

static void set_error (GstZcV4l2BufferPool * self, GIOErrorEnum code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

/* Keeps the story of a failure for the element (the last one wins); the
 * lock is held. */
static void
set_error (GstZcV4l2BufferPool * self, GIOErrorEnum code,
    const gchar * format, ...)
{
  va_list args;

  g_clear_error (&self->error);
  va_start (args, format);
  self->error = g_error_new_valist (G_IO_ERROR, code, format, args);
  va_end (args);
  GST_WARNING_OBJECT (self, "%s", self->error->message);
}

/* "VIDIOC_DQBUF failed: No such device" */
static void
set_errno_error (GstZcV4l2BufferPool * self, const gchar * what)
{
  gint err = errno;

  set_error (self, g_io_error_from_errno (err), "%s failed: %s", what,
      g_strerror (err));
}

static gboolean
request_buffers (GstZcV4l2BufferPool * self, guint count)
{
  struct v4l2_requestbuffers req = {.count = count,
    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,.memory = V4L2_MEMORY_MMAP
  };

  if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_REQBUFS, &req) < 0) {
    set_errno_error (self, "VIDIOC_REQBUFS");
    return FALSE;
  }
  if (req.count < 2 || req.count > VIDEO_MAX_FRAME) {
    set_error (self, G_IO_ERROR_NO_SPACE,
        "VIDIOC_REQBUFS granted %u buffers of the %u asked for", req.count,
        count);
    return FALSE;
  }

  GST_DEBUG_OBJECT (self, "driver granted %u of %u buffers", req.count, count);
  self->n_slots = req.count;
  return TRUE;
}

/* A GstBuffer owning the dma-buf @fd of @length bytes, with the video meta
 * that tells downstream the driver's strides. */
static GstBuffer *
wrap_dmabuf (GstZcV4l2BufferPool * self, gint fd, gsize length)
{
  GstVideoInfo *info = &self->info;
  GstBuffer *buffer = gst_buffer_new ();
  GstMemory *mem;
  GstVideoMeta *meta;

  mem = gst_zc_dmabuf_allocator_import (gst_zc_dmabuf_allocator_get_importer
      (), fd, length);
  gst_memory_resize (mem, 0, info->size);
  gst_buffer_append_memory (buffer, mem);

  meta = gst_buffer_add_video_meta_full (buffer, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info),
      info->offset, info->stride);
  /* The layout is the same for every frame: the meta stays when the
   * buffer comes back. */
  GST_META_FLAG_SET (meta, GST_META_FLAG_POOLED);
  /* Appending the memory tagged the buffer; from here on the tag means
   * that downstream replaced the memory (see release_buffer). */
  GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_TAG_MEMORY);

  return buffer;
}

static gboolean
export_slot (GstZcV4l2BufferPool * self, guint index)
{
  struct v4l2_buffer vbuf = {.index = index,
    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,.memory = V4L2_MEMORY_MMAP
  };
  struct v4l2_exportbuffer expbuf = {.index = index,
    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,.flags = O_RDWR | O_CLOEXEC
  };

  if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_QUERYBUF, &vbuf) < 0)
    goto querybuf_failed;
  if (vbuf.length < self->info.size)
    goto too_small;
  if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_EXPBUF, &expbuf) < 0)
    goto expbuf_failed;

  self->slots[index].buffer = wrap_dmabuf (self, expbuf.fd, vbuf.length);
  self->slots[index].state = SLOT_IDLE;
  GST_LOG_OBJECT (self, "buffer %u: dma-buf fd %d, %u bytes", index,
      expbuf.fd, vbuf.length);
  return TRUE;

  /* ERRORS */
querybuf_failed:
  set_errno_error (self, "VIDIOC_QUERYBUF");
  return FALSE;
too_small:
  set_error (self, G_IO_ERROR_INVALID_DATA,
      "V4L2 buffer %u has %u bytes, the format needs %" G_GSIZE_FORMAT, index,
      vbuf.length, self->info.size);
  return FALSE;
expbuf_failed:
  set_errno_error (self, "VIDIOC_EXPBUF");
  return FALSE;
}

static gboolean
queue_slot (GstZcV4l2BufferPool * self, guint index)
{
  struct v4l2_buffer vbuf = {.index = index,
    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,.memory = V4L2_MEMORY_MMAP
  };

  if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_QBUF, &vbuf) < 0) {
    set_errno_error (self, "VIDIOC_QBUF");
    return FALSE;
  }
  self->slots[index].state = SLOT_QUEUED;
  self->n_queued++;
  return TRUE;
}

/* Queues what the pool holds, so that the driver has every buffer that
 * downstream does not. */
static gboolean
queue_idle_slots (GstZcV4l2BufferPool * self)
{
  guint i;

  for (i = 0; i < self->n_slots; i++) {
    if (self->slots[i].state == SLOT_IDLE && !queue_slot (self, i))
      return FALSE;
  }
  return TRUE;
}

/* Frees the buffers and gives the V4L2 queue back (REQBUFS 0). Buffers
 * downstream holds are forgotten, not freed: they come back to
 * release_buffer, which frees what it does not know. */
static void
free_buffers (GstZcV4l2BufferPool * self)
{
  struct v4l2_requestbuffers req = {.count = 0,
    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,.memory = V4L2_MEMORY_MMAP
  };
  guint i;

  for (i = 0; i < self->n_slots; i++) {
    if (self->slots[i].buffer && self->slots[i].state != SLOT_OUTSTANDING)
      gst_buffer_unref (self->slots[i].buffer);
    self->slots[i].buffer = NULL;
    self->slots[i].state = SLOT_IDLE;
  }
  self->n_slots = 0;
  self->n_queued = 0;

  /* Only logged: kernels before 5.0 refuse (EBUSY) while downstream holds
   * dma-bufs, and closing the fd frees the queue all the same. */
  gst_zc_v4l2_ioctl (self->fd, VIDIOC_REQBUFS, &req);
}

/* Gives the V4L2 queue back and closes the device; the lock is held. */
static void
release_device (GstZcV4l2BufferPool * self)
{
  if (self->fd < 0)
    return;

  gst_poll_set_flushing (self->poll, TRUE);
  if (self->streaming) {
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

    /* Failure is only logged: REQBUFS(0) and close stop the queue too. */
    gst_zc_v4l2_ioctl (self->fd, VIDIOC_STREAMOFF, &type);
    self->streaming = FALSE;
  }
  free_buffers (self);

  gst_poll_remove_fd (self->poll, &self->pollfd);
  close (self->fd);
  self->fd = -1;
  GST_DEBUG_OBJECT (self, "released the device");
}

static gboolean
gst_zc_v4l2_buffer_pool_start (GstBufferPool * pool)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (pool);
  guint i;

  g_mutex_lock (&self->lock);
  if (self->fd < 0)
    goto orphaned;
  if (!request_buffers (self, self->count))
    goto failed;
  for (i = 0; i < self->n_slots; i++) {
    if (!export_slot (self, i))
      goto failed;
  }
  if (!queue_idle_slots (self))
    goto failed;
  g_mutex_unlock (&self->lock);

  return TRUE;

  /* ERRORS */
orphaned:
  set_error (self, G_IO_ERROR_CLOSED, "the pool has released the device");
  g_mutex_unlock (&self->lock);
  return FALSE;
failed:
  free_buffers (self);
  g_mutex_unlock (&self->lock);
  return FALSE;
}

static gboolean
gst_zc_v4l2_buffer_pool_stop (GstBufferPool * pool)
{
  gst_zc_v4l2_buffer_pool_orphan (GST_ZC_V4L2_BUFFER_POOL (pool));

  return GST_BUFFER_POOL_CLASS (parent_class)->stop (pool);
}

/* STREAMON once every buffer is queued: started with an empty queue, some
 * drivers (and vb2's poll) report an error rather than wait. */
static gboolean
ensure_streaming (GstZcV4l2BufferPool * self)
{
  enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  if (self->fd < 0) {
    set_error (self, G_IO_ERROR_CLOSED, "the pool has released the device");
    ok = FALSE;
  } else if (!queue_idle_slots (self)) {
    ok = FALSE;
  } else if (!self->streaming) {
    ok = gst_zc_v4l2_ioctl (self->fd, VIDIOC_STREAMON, &type) == 0;
    if (ok)
      self->streaming = TRUE;
    else
      set_errno_error (self, "VIDIOC_STREAMON");
  }
  g_mutex_unlock (&self->lock);

  return ok;
}

static gboolean
is_starved (GstZcV4l2BufferPool * self)
{
  gboolean starved;

  g_mutex_lock (&self->lock);
  starved = self->n_queued == 0;
  g_mutex_unlock (&self->lock);

  return starved;
}

/* Waits until the driver has a frame (or an error) to dequeue. The wait
 * is counted only while the driver holds buffers: when downstream holds
 * them all, no frame can come until one is released. */
static GstFlowReturn
wait_for_frame (GstZcV4l2BufferPool * self)
{
  gint ret;

  for (;;) {
    ret = gst_poll_wait (self->poll, FRAME_TIMEOUT);
    if (ret > 0)
      return GST_FLOW_OK;
    if (ret < 0 && errno == EBUSY)
      return GST_FLOW_FLUSHING;
    if (ret < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (ret < 0)
      goto poll_failed;
    if (!is_starved (self))
      goto timeout;
    GST_DEBUG_OBJECT (self, "downstream holds every buffer, waiting");
  }

  /* ERRORS */
poll_failed:
  g_mutex_lock (&self->lock);
  set_errno_error (self, "poll");
  g_mutex_unlock (&self->lock);
  return GST_FLOW_ERROR;
timeout:
  g_mutex_lock (&self->lock);
  set_error (self, G_IO_ERROR_TIMED_OUT,
      "no frame from the driver in %" GST_TIME_FORMAT " with %u buffers "
      "queued", GST_TIME_ARGS (FRAME_TIMEOUT), self->n_queued);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_ERROR;
}

/* The driver's story of the frame, on the buffer: the element turns the
 * capture time into running time. */
static void
stamp_buffer (GstBuffer * buffer, const struct v4l2_buffer *vbuf)
{
  guint32 tsflags = vbuf->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK;

  gst_buffer_resize (buffer, 0, MIN (vbuf->bytesused, vbuf->length));
  if (tsflags == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
    GST_BUFFER_PTS (buffer) = GST_TIMEVAL_TO_TIME (vbuf->timestamp);
  GST_BUFFER_OFFSET (buffer) = vbuf->sequence;
  GST_BUFFER_OFFSET_END (buffer) = vbuf->sequence + 1;
}

static GstFlowReturn
dequeue (GstZcV4l2BufferPool * self, GstBuffer ** buffer)
{
  struct v4l2_buffer vbuf = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
    .memory = V4L2_MEMORY_MMAP
  };
  GstFlowReturn ret = GST_FLOW_OK;
  Slot *slot;

  g_mutex_lock (&self->lock);
  if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_DQBUF, &vbuf) < 0)
    goto dqbuf_failed;
  if (vbuf.index >= self->n_slots || !self->slots[vbuf.index].buffer)
    goto bad_index;

  GST_LOG_OBJECT (self, "buffer %u: frame %u, flags 0x%x, %u bytes",
      vbuf.index, vbuf.sequence, vbuf.flags, vbuf.bytesused);
  slot = &self->slots[vbuf.index];
  slot->state = SLOT_IDLE;
  self->n_queued--;
  if ((vbuf.flags & V4L2_BUF_FLAG_ERROR) || vbuf.bytesused == 0) {
    GST_INFO_OBJECT (self, "dropping frame %u: %s", vbuf.sequence,
        vbuf.bytesused ? "the driver flagged an error" : "it is empty");
    ret = queue_slot (self, vbuf.index) ? FLOW_DROPPED : GST_FLOW_ERROR;
  } else {
    slot->state = SLOT_OUTSTANDING;
    stamp_buffer (slot->buffer, &vbuf);
    *buffer = slot->buffer;
  }
  g_mutex_unlock (&self->lock);

  return ret;

  /* ERRORS */
dqbuf_failed:
  set_errno_error (self, "VIDIOC_DQBUF");
  g_mutex_unlock (&self->lock);
  return GST_FLOW_ERROR;
bad_index:
  set_error (self, G_IO_ERROR_FAILED, "VIDIOC_DQBUF returned unknown buffer %u",
      vbuf.index);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_ERROR;
}

static GstFlowReturn
gst_zc_v4l2_buffer_pool_acquire_buffer (GstBufferPool * pool,
    GstBuffer ** buffer, GstBufferPoolAcquireParams * params)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (pool);
  GstFlowReturn ret;

  if (!ensure_streaming (self))
    return GST_FLOW_ERROR;

  do {
    if (GST_BUFFER_POOL_IS_FLUSHING (pool))
      return GST_FLOW_FLUSHING;
    /* After POLLERR (device gone, queue in error), DQBUF says why. */
    ret = wait_for_frame (self);
    if (ret == GST_FLOW_OK)
      ret = dequeue (self, buffer);
  } while (ret == FLOW_DROPPED);

  return ret;
}

static gint
find_slot (GstZcV4l2BufferPool * self, GstBuffer * buffer)
{
  guint i;

  for (i = 0; i < self->n_slots; i++) {
    if (self->slots[i].buffer == buffer)
      return i;
  }
  return -1;
}

/* Downstream replaced the memory of the buffer (the dma-buf is no longer
 * in it): export the V4L2 buffer again into a new GstBuffer. */
static gboolean
renew_slot (GstZcV4l2BufferPool * self, guint index)
{
  GST_DEBUG_OBJECT (self, "buffer %u came back with other memory", index);
  gst_buffer_unref (self->slots[index].buffer);
  self->slots[index].buffer = NULL;
  return export_slot (self, index);
}

static void
gst_zc_v4l2_buffer_pool_release_buffer (GstBufferPool * pool,
    GstBuffer * buffer)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (pool);
  gint index;

  g_mutex_lock (&self->lock);
  index = find_slot (self, buffer);
  if (index < 0)
    goto orphaned;

  self->slots[index].state = SLOT_IDLE;
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_TAG_MEMORY) ||
      gst_buffer_n_memory (buffer) != 1) {
    if (!renew_slot (self, index))
      goto renew_failed;
  }
  /* On failure the slot stays idle: the next acquire queues it again or
   * reports the error. */
  queue_slot (self, index);
  g_mutex_unlock (&self->lock);
  return;

orphaned:
  g_mutex_unlock (&self->lock);
  GST_LOG_OBJECT (self, "freeing buffer %p of a released queue", buffer);
  gst_buffer_unref (buffer);
  return;
renew_failed:
  /* An outstanding slot without a buffer is never queued nor freed: the
   * driver works with one buffer fewer until the pool stops. */
  self->slots[index].state = SLOT_OUTSTANDING;
  g_mutex_unlock (&self->lock);
}

static void
gst_zc_v4l2_buffer_pool_flush_start (GstBufferPool * pool)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (pool);

  gst_poll_set_flushing (self->poll, TRUE);
}

static void
gst_zc_v4l2_buffer_pool_flush_stop (GstBufferPool * pool)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (pool);

  gst_poll_set_flushing (self->poll, FALSE);
}

static void
gst_zc_v4l2_buffer_pool_finalize (GObject * object)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (object);

  release_device (self);
  gst_poll_free (self->poll);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_zc_v4l2_buffer_pool_class_init (GstZcV4l2BufferPoolClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstBufferPoolClass *pool_class = GST_BUFFER_POOL_CLASS (klass);

  gobject_class->finalize = gst_zc_v4l2_buffer_pool_finalize;
  pool_class->start = gst_zc_v4l2_buffer_pool_start;
  pool_class->stop = gst_zc_v4l2_buffer_pool_stop;
  pool_class->acquire_buffer = gst_zc_v4l2_buffer_pool_acquire_buffer;
  pool_class->release_buffer = gst_zc_v4l2_buffer_pool_release_buffer;
  pool_class->flush_start = gst_zc_v4l2_buffer_pool_flush_start;
  pool_class->flush_stop = gst_zc_v4l2_buffer_pool_flush_stop;
}

static void
gst_zc_v4l2_buffer_pool_init (GstZcV4l2BufferPool * self)
{
  g_mutex_init (&self->lock);
  self->fd = -1;
  self->poll = gst_poll_new (TRUE);
  gst_poll_fd_init (&self->pollfd);
}

/* Returns: (transfer full): a pool of @count V4L2 buffers (at least 2) on
 * the capture device @fd, which it duplicates: the pool may outlive the
 * caller's fd. @info is the layout the driver chose (strides from its
 * bytesperline, size = sizeimage); @caps the negotiated caps. NULL with
 * @error set when the fd cannot be duplicated (EMFILE). */
GstBufferPool *
gst_zc_v4l2_buffer_pool_new (gint fd, GstCaps * caps,
    const GstVideoInfo * info, guint count, GError ** error)
{
  GstZcV4l2BufferPool *self;
  GstStructure *config;
  gint err;

  self = g_object_new (GST_TYPE_ZC_V4L2_BUFFER_POOL, NULL);
  gst_object_ref_sink (self);

  self->fd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (self->fd < 0)
    goto dup_failed;
  self->info = *info;
  self->count = CLAMP (count, 2, VIDEO_MAX_FRAME);
  self->pollfd.fd = self->fd;
  gst_poll_add_fd (self->poll, &self->pollfd);
  gst_poll_fd_ctl_read (self->poll, &self->pollfd, TRUE);

  config = gst_buffer_pool_get_config (GST_BUFFER_POOL (self));
  gst_buffer_pool_config_set_params (config, caps, info->size, self->count,
      self->count);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_set_config (GST_BUFFER_POOL (self), config);

  return GST_BUFFER_POOL (self);

  /* ERRORS */
dup_failed:
  err = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
      "F_DUPFD_CLOEXEC failed: %s", g_strerror (err));
  gst_object_unref (self);
  return NULL;
}

/* Gives the V4L2 queue back now (STREAMOFF, REQBUFS(0)) and closes the
 * pool's fd, even while downstream holds buffers: they stay valid and are
 * freed when released. Acquiring fails from then on. Not to be called
 * while another thread acquires. */
void
gst_zc_v4l2_buffer_pool_orphan (GstZcV4l2BufferPool * self)
{
  g_mutex_lock (&self->lock);
  release_device (self);
  g_mutex_unlock (&self->lock);
}

/* Returns: (transfer full) (nullable): why the last start or acquire
 * failed, in the G_IO_ERROR domain (G_IO_ERROR_TIMED_OUT when the driver
 * stopped delivering frames), the message naming the ioctl and errno. */
GError *
gst_zc_v4l2_buffer_pool_take_error (GstZcV4l2BufferPool * self)
{
  GError *error;

  g_mutex_lock (&self->lock);
  error = g_steal_pointer (&self->error);
  g_mutex_unlock (&self->lock);

  return error;
}
