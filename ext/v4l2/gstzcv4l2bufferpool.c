/* zcv4l2src: the V4L2 capture queue, exporting or importing dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* GstZcV4l2BufferPool owns one V4L2 capture queue on its own duplicate of
 * the device fd. It works in one of two ways.
 *
 * Export (V4L2_MEMORY_MMAP), one GstBuffer per V4L2 buffer index, made
 * once at start:
 *
 * - start: VIDIOC_REQBUFS, then for each index VIDIOC_QUERYBUF (length),
 *   VIDIOC_EXPBUF (a dma-buf fd, owned from then on by a
 *   GstZcDmabufAllocator memory: its CPU maps are SYNC-bracketed) and
 *   VIDIOC_QBUF. The pool never maps the buffers itself.
 * - acquire: VIDIOC_STREAMON the first time, then wait on the device with
 *   GstPoll (interrupted by flush_start) and VIDIOC_DQBUF; the buffer goes
 *   out stamped with the driver's capture time (PTS and the library's
 *   capture time meta, CLOCK_MONOTONIC ns, or neither when the driver's
 *   clock is another one), sequence (OFFSET) and bytesused (size). Frames
 *   the driver flags as bad are queued again.
 * - release (the last unref downstream): VIDIOC_QBUF of the same index.
 * - orphan (the element stops or renegotiates) or stop: VIDIOC_STREAMOFF,
 *   free the buffers the pool holds, VIDIOC_REQBUFS(0), close the fd.
 *   Buffers downstream still holds stay valid: each dma-buf keeps its
 *   memory alive in the kernel (vb2 orphans buffers that are in use), and
 *   when they come back they are freed, closing their fd, never queued.
 *
 * Import (V4L2_MEMORY_DMABUF): the frames are dma-bufs of another pool
 * (downstream's, such as a display's scanout buffers, or one the element
 * made), so that the driver writes straight into them:
 *
 * - start: VIDIOC_REQBUFS only, for as many indexes as V4L2 allows.
 * - acquire: free buffers of the other pool are taken (without waiting)
 *   and queued, VIDIOC_QBUF with `m.fd` and `length` (the dma-buf's size),
 *   until the driver has the count asked for; each dma-buf keeps the V4L2
 *   index it was first queued with, found by its inode, so that the
 *   driver maps it once. At least 2 are queued before
 *   VIDIOC_STREAMON (vivid returns empty frames with 1), waiting for
 *   downstream to release some if it must. Then VIDIOC_DQBUF as in export
 *   mode; the buffer goes out as the other pool's buffer.
 * - release: downstream's last unref returns the buffer to the other
 *   pool; the next acquire queues it again.
 * - orphan or stop: VIDIOC_STREAMOFF hands the queued buffers back, which
 *   go back to the other pool; VIDIOC_REQBUFS(0).
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
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/videodev2.h>
#include <gio/gio.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_v4l2_buffer_pool_debug);
#define GST_CAT_DEFAULT gst_zc_v4l2_buffer_pool_debug

/* A driver that delivers no frame for this long while it holds buffers has
 * stopped (a camera runs at 1 fps at the slowest). */
#define FRAME_TIMEOUT (5 * GST_SECOND)

/* capture_frame: a bad frame was queued again. */
#define FLOW_DROPPED GST_FLOW_CUSTOM_SUCCESS

/* Import: buffers queued before VIDIOC_STREAMON. */
#define MIN_QUEUED_TO_START 2

typedef enum
{
  SLOT_IDLE,                    /* the pool holds the buffer (import: none) */
  SLOT_QUEUED,                  /* the driver fills it */
  SLOT_OUTSTANDING,             /* downstream holds it (export only) */
} SlotState;

typedef struct
{
  GstBuffer *buffer;            /* import: only while queued */
  SlotState state;
  guint64 inode;                /* import: the dma-buf last queued here */
} Slot;

struct _GstZcV4l2BufferPool
{
  GstBufferPool parent;

  GstVideoInfo info;            /* the driver's layout */
  guint count;                  /* buffers asked for */
  GstBufferPool *import_pool;   /* import mode: where frames come from */
  enum v4l2_memory memory;      /* MMAP (export) or DMABUF (import) */
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
    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,.memory = self->memory
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

  if (self->import_pool)
    return TRUE;
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
    .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,.memory = self->memory
  };
  guint i;

  /* Import: the buffers the driver had go back to the other pool. */
  for (i = 0; i < self->n_slots; i++) {
    if (self->slots[i].buffer && self->slots[i].state != SLOT_OUTSTANDING)
      gst_buffer_unref (self->slots[i].buffer);
    self->slots[i].buffer = NULL;
    self->slots[i].state = SLOT_IDLE;
    self->slots[i].inode = 0;
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

static GstFlowReturn import_fill (GstZcV4l2BufferPool * self, guint min_queued);

static gboolean
gst_zc_v4l2_buffer_pool_start (GstBufferPool * pool)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (pool);
  guint i;

  g_mutex_lock (&self->lock);
  if (self->fd < 0)
    goto orphaned;
  /* Importing, V4L2 indexes cost no memory: one per dma-buf the other
   * pool may hand out, so that each keeps its own (and the driver maps it
   * once) even when the pool has more buffers than are queued. */
  if (!request_buffers (self, self->import_pool ? VIDEO_MAX_FRAME :
          self->count))
    goto failed;
  for (i = 0; i < self->n_slots && !self->import_pool; i++) {
    if (!export_slot (self, i))
      goto failed;
  }
  if (!queue_idle_slots (self))
    goto failed;
  g_mutex_unlock (&self->lock);

  /* A driver that cannot take this exporter's dma-bufs says so at the
   * first VIDIOC_QBUF (vivid's vmalloc queue answers EFAULT for udmabuf,
   * which Linux 6.1 cannot vmap): found now, while the element may still
   * export instead. */
  if (self->import_pool && import_fill (self, 1) != GST_FLOW_OK)
    goto import_failed;
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
import_failed:
  g_mutex_lock (&self->lock);
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

/* Import */

static guint64
buffer_inode (GstBuffer * buffer)
{
  struct stat st;

  if (fstat (gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (buffer, 0)),
          &st) < 0)
    return 0;
  return st.st_ino;
}

/* The V4L2 index for the dma-buf of @inode: the one it had, else one
 * never used, else any the driver does not hold (vb2 then maps the new
 * dma-buf in place of the old). -1 when the driver holds them all. */
static gint
import_index_for (GstZcV4l2BufferPool * self, guint64 inode)
{
  gint unused = -1, idle = -1;
  guint i;

  for (i = 0; i < self->n_slots; i++) {
    Slot *slot = &self->slots[i];

    if (slot->state == SLOT_QUEUED)
      continue;
    if (slot->inode == inode)
      return i;
    if (slot->inode == 0 && unused < 0)
      unused = i;
    if (idle < 0)
      idle = i;
  }
  return unused >= 0 ? unused : idle;
}

/* VIDIOC_QBUF of @buffer's dma-buf, whose reference the queue takes; the
 * lock is held. */
static gboolean
queue_import (GstZcV4l2BufferPool * self, GstBuffer * buffer)
{
  GstMemory *mem = gst_buffer_peek_memory (buffer, 0);
  struct v4l2_buffer vbuf = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
    .memory = V4L2_MEMORY_DMABUF
  };
  guint64 inode = buffer_inode (buffer);
  gint index = import_index_for (self, inode);
  gsize maxsize;

  if (index < 0)
    goto no_index;
  gst_memory_get_sizes (mem, NULL, &maxsize);
  vbuf.index = index;
  vbuf.m.fd = gst_dmabuf_memory_get_fd (mem);
  vbuf.length = maxsize;
  if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_QBUF, &vbuf) < 0)
    goto qbuf_failed;

  if (self->slots[index].inode != inode)
    GST_DEBUG_OBJECT (self, "dma-buf of inode %" G_GUINT64_FORMAT " (fd %d, "
        "%" G_GSIZE_FORMAT " bytes) is V4L2 buffer %d", inode, vbuf.m.fd,
        maxsize, index);
  self->slots[index].buffer = buffer;
  self->slots[index].state = SLOT_QUEUED;
  self->slots[index].inode = inode;
  self->n_queued++;
  return TRUE;

  /* ERRORS */
no_index:
  set_error (self, G_IO_ERROR_NO_SPACE, "the driver holds all %u buffers",
      self->n_slots);
  gst_buffer_unref (buffer);
  return FALSE;
qbuf_failed:
  set_errno_error (self, "VIDIOC_QBUF");
  gst_buffer_unref (buffer);
  return FALSE;
}

/* Takes a free buffer of the other pool and queues it; with @wait, until
 * downstream releases one. GST_FLOW_EOS: none free (without @wait). */
static GstFlowReturn
import_one (GstZcV4l2BufferPool * self, gboolean wait)
{
  GstBufferPoolAcquireParams params = {.flags = wait ? 0 :
        GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT
  };
  GstBuffer *buffer = NULL;
  GstFlowReturn ret;
  gboolean queued;

  ret = gst_buffer_pool_acquire_buffer (self->import_pool, &buffer, &params);
  if (ret != GST_FLOW_OK)
    return ret;

  g_mutex_lock (&self->lock);
  if (self->fd < 0) {
    set_error (self, G_IO_ERROR_CLOSED, "the pool has released the device");
    gst_buffer_unref (buffer);
    queued = FALSE;
  } else {
    queued = queue_import (self, buffer);
  }
  g_mutex_unlock (&self->lock);
  return queued ? GST_FLOW_OK : GST_FLOW_ERROR;
}

static guint
get_n_queued (GstZcV4l2BufferPool * self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_queued;
  g_mutex_unlock (&self->lock);
  return n;
}

/* Queues free buffers of the other pool until the driver has
 * #GstZcV4l2Src:io-buffers of them, at least @min_queued, waiting for
 * downstream when it must. */
static GstFlowReturn
import_fill (GstZcV4l2BufferPool * self, guint min_queued)
{
  guint target = MIN (self->count, self->n_slots);
  GstFlowReturn ret;
  guint n;

  while ((n = get_n_queued (self)) < target) {
    ret = import_one (self, n < min_queued);
    if (ret == GST_FLOW_EOS)
      break;
    if (ret != GST_FLOW_OK)
      return ret;
  }
  return GST_FLOW_OK;
}

/* STREAMON once buffers are queued: started with an empty queue, some
 * drivers (and vb2's poll) report an error rather than wait. Export
 * queues every buffer the pool holds; import the free buffers of the other
 * pool, at least MIN_QUEUED_TO_START at first and one later. */
static GstFlowReturn
ensure_streaming (GstZcV4l2BufferPool * self)
{
  enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  GstFlowReturn ret = GST_FLOW_OK;

  if (self->import_pool) {
    ret = import_fill (self, self->streaming ? 1 : MIN_QUEUED_TO_START);
    if (ret != GST_FLOW_OK)
      return ret;
  }

  g_mutex_lock (&self->lock);
  if (self->fd < 0) {
    set_error (self, G_IO_ERROR_CLOSED, "the pool has released the device");
    ret = GST_FLOW_ERROR;
  } else if (!queue_idle_slots (self)) {
    ret = GST_FLOW_ERROR;
  } else if (!self->streaming) {
    if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_STREAMON, &type) == 0)
      self->streaming = TRUE;
    else {
      set_errno_error (self, "VIDIOC_STREAMON");
      ret = GST_FLOW_ERROR;
    }
  }
  g_mutex_unlock (&self->lock);

  return ret;
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
 * PTS into running time; the capture time meta keeps the driver's own
 * CLOCK_MONOTONIC time for whoever measures latency downstream, bounded by
 * the moment the frame was dequeued: a frame cannot have been captured
 * after it was handed over, and a driver whose stamps run ahead (vivid
 * stamps an estimated end of frame, and its clock drifts under emulation:
 * after 20 minutes every stamp was in the future) would otherwise make
 * latencies negative. */
static void
stamp_buffer (GstZcV4l2BufferPool * self, GstBuffer * buffer,
    const struct v4l2_buffer *vbuf)
{
  guint32 tsflags = vbuf->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK;
  GstClockTime capture, now;
  struct timespec ts;

  gst_buffer_resize (buffer, 0, MIN (vbuf->bytesused, vbuf->length));
  if (tsflags == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) {
    capture = GST_TIMEVAL_TO_TIME (vbuf->timestamp);
    GST_BUFFER_PTS (buffer) = capture;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    now = GST_TIMESPEC_TO_TIME (ts);
    if (capture > now) {
      GST_LOG_OBJECT (self, "frame %u stamped %" GST_STIME_FORMAT " ahead of "
          "its dequeue: capture time bounded by the dequeue", vbuf->sequence,
          GST_STIME_ARGS (GST_CLOCK_DIFF (now, capture)));
      capture = now;
    }
    gst_zc_buffer_add_capture_time (buffer, capture);
  }
  GST_BUFFER_OFFSET (buffer) = vbuf->sequence;
  GST_BUFFER_OFFSET_END (buffer) = vbuf->sequence + 1;
}

/* A bad frame goes back to the driver; the lock is held. */
static GstFlowReturn
requeue (GstZcV4l2BufferPool * self, guint index)
{
  gboolean queued;

  if (self->import_pool)
    queued = queue_import (self, g_steal_pointer (&self->slots[index].buffer));
  else
    queued = queue_slot (self, index);
  return queued ? FLOW_DROPPED : GST_FLOW_ERROR;
}

/* The frame goes out: export keeps its buffer, import hands the other
 * pool's buffer over; the lock is held. */
static GstBuffer *
hand_out (GstZcV4l2BufferPool * self, Slot * slot)
{
  if (self->import_pool)
    return g_steal_pointer (&slot->buffer);
  slot->state = SLOT_OUTSTANDING;
  return slot->buffer;
}

static GstFlowReturn
dequeue (GstZcV4l2BufferPool * self, GstBuffer ** buffer)
{
  struct v4l2_buffer vbuf = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
    .memory = self->memory
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
    ret = requeue (self, vbuf.index);
  } else {
    *buffer = hand_out (self, slot);
    stamp_buffer (self, *buffer, &vbuf);
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
capture_frame (GstZcV4l2BufferPool * self, GstBuffer ** buffer)
{
  GstFlowReturn ret;

  ret = ensure_streaming (self);
  if (ret != GST_FLOW_OK)
    return ret;

  do {
    if (GST_BUFFER_POOL_IS_FLUSHING (GST_BUFFER_POOL_CAST (self)))
      return GST_FLOW_FLUSHING;
    /* After POLLERR (device gone, queue in error), DQBUF says why. */
    ret = wait_for_frame (self);
    if (ret == GST_FLOW_OK)
      ret = dequeue (self, buffer);
  } while (ret == FLOW_DROPPED);

  return ret;
}

/* Export only: gst_buffer_pool_acquire_buffer() makes the buffer this
 * pool's, which an import buffer (the other pool's) must not become. */
static GstFlowReturn
gst_zc_v4l2_buffer_pool_acquire_buffer (GstBufferPool * pool,
    GstBuffer ** buffer, GstBufferPoolAcquireParams * params)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (pool);

  if (self->import_pool) {
    GST_ERROR_OBJECT (self, "importing: frames come from "
        "gst_zc_v4l2_buffer_pool_capture()");
    return GST_FLOW_NOT_SUPPORTED;
  }
  return capture_frame (self, buffer);
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

/* Import: a wait for downstream to release a buffer is interrupted too. */
static void
set_import_flushing (GstZcV4l2BufferPool * self, gboolean flushing)
{
  if (self->import_pool && gst_buffer_pool_is_active (self->import_pool))
    gst_buffer_pool_set_flushing (self->import_pool, flushing);
}

static void
gst_zc_v4l2_buffer_pool_flush_start (GstBufferPool * pool)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (pool);

  gst_poll_set_flushing (self->poll, TRUE);
  set_import_flushing (self, TRUE);
}

static void
gst_zc_v4l2_buffer_pool_flush_stop (GstBufferPool * pool)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (pool);

  gst_poll_set_flushing (self->poll, FALSE);
  set_import_flushing (self, FALSE);
}

static void
gst_zc_v4l2_buffer_pool_finalize (GObject * object)
{
  GstZcV4l2BufferPool *self = GST_ZC_V4L2_BUFFER_POOL (object);

  release_device (self);
  gst_clear_object (&self->import_pool);
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
 * bytesperline, size = sizeimage); @caps the negotiated caps. Without
 * @import_pool the driver's buffers are exported (V4L2_MEMORY_MMAP); with
 * it, an active pool of single-memory dma-buf buffers of @info's layout at
 * least sizeimage bytes long, those are imported (V4L2_MEMORY_DMABUF).
 * NULL with @error set when the fd cannot be duplicated (EMFILE). */
GstBufferPool *
gst_zc_v4l2_buffer_pool_new (gint fd, GstCaps * caps,
    const GstVideoInfo * info, guint count, GstBufferPool * import_pool,
    GError ** error)
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
  if (import_pool)
    self->import_pool = gst_object_ref (import_pool);
  self->memory = import_pool ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
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

/* The next captured frame: a buffer of this pool (export), released to it
 * by downstream's last unref, or of the import pool (import). Waits for
 * the driver, and when importing for downstream to release a buffer if
 * the driver has none; GST_FLOW_FLUSHING when the pool is set flushing,
 * GST_FLOW_ERROR with the story in gst_zc_v4l2_buffer_pool_take_error(). */
GstFlowReturn
gst_zc_v4l2_buffer_pool_capture (GstZcV4l2BufferPool * self,
    GstBuffer ** buffer)
{
  if (self->import_pool)
    return capture_frame (self, buffer);
  return gst_buffer_pool_acquire_buffer (GST_BUFFER_POOL (self), buffer, NULL);
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
