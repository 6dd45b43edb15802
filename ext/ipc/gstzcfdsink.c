/* zcfdsink: sends dma-buf and memfd frames to zcfdsrc in other processes
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-zcfdsink
 * @title: zcfdsink
 * @see_also: zcfdsrc
 *
 * Hands frames to zcfdsrc elements in other processes without copying a
 * byte: each memory of a buffer travels as its file descriptor (a dma-buf,
 * or a memfd where nothing exports dma-bufs) over a Unix socket
 * (`SOCK_SEQPACKET`, fds as `SCM_RIGHTS`), with the caps, the timestamps,
 * the buffer flags and the #GstVideoMeta (planes, offsets, strides). The
 * wire protocol is described in docs/ipc.md.
 *
 * The sink creates the socket at #GstZcFdSink:socket-path when it starts
 * (replacing a socket left there; any other kind of file is an error) and
 * accepts up to #GstZcFdSink:max-receivers receivers. It keeps a reference
 * on every frame it sent until the receiver says it is done with it, so
 * that upstream's buffer pool gets the frame back only then and hands it
 * out again: the same few dma-bufs go round between the two processes.
 * A receiver that goes away (closed socket, `EPIPE`, `ECONNRESET`, hang-up)
 * has every frame it held given back at once; #GstZcFdSink:on-disconnect
 * says whether the sink then waits for another receiver, drops frames, or
 * fails. A receiver that breaks the protocol (a message of the wrong size
 * or type, a release of a frame it does not hold, fds it should not send)
 * is disconnected with a warning on the bus. Nothing blocks for ever: the
 * sink waits for receivers and for room in a socket in ways that flushing
 * and state changes interrupt.
 *
 * Only memory with a file descriptor (gst_is_fd_memory()) can be sent;
 * anything else is a %GST_STREAM_ERROR_FORMAT error: put `zcupload`
 * before the sink to bring system memory into dma-bufs (one counted copy).
 * Upstream is offered a #GstZcBufferPool of at most 8 buffers. The sink
 * copies nothing, ever: its zero-copy statistics stay at 0.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! video/x-raw,format=BGRx,width=640,height=480 ! zcfdsink socket-path=/tmp/zc.sock
 * gst-launch-1.0 zcfdsrc socket-path=/tmp/zc.sock ! videoconvert ! autovideosink
 * ]| videotestsrc renders into the sink's pool (dma-bufs, or memfds), the
 * second process shows the same memory.
 * |[
 * gst-launch-1.0 zcv4l2src device=/dev/video0 ! zcfdsink socket-path=/run/camera.sock on-disconnect=drop max-receivers=4
 * ]| shares a camera's exported dma-bufs with up to four viewers; frames
 * go nowhere while no viewer is connected.
 * |[<!-- run: host -->
 * gst-launch-1.0 videotestsrc num-buffers=30 ! video/x-raw,format=BGRx,width=320,height=240 ! zcfdsink socket-path=zc.sock async=false zcfdsrc socket-path=zc.sock ! fakesink
 * ]| both ends in one process, as a quick check of the plugin: the sink
 * starts (and listens) before the source connects. The live zcfdsrc
 * lets the pipeline skip prerolling; `async=false` keeps the sink, which
 * sends nothing before PLAYING, from waiting for a preroll of its own.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcfdsink.h"
#include "gstzcfdprotocol.h"
#include "gstzcipcelements.h"

#include <gio/gio.h>
#include <gst/allocators/allocators.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_fd_sink_debug);
#define GST_CAT_DEFAULT gst_zc_fd_sink_debug

#define DEFAULT_SOCKET_PATH NULL
#define DEFAULT_ON_DISCONNECT GST_ZC_FD_SINK_ON_DISCONNECT_WAIT
#define DEFAULT_MAX_RECEIVERS 1
#define MAX_RECEIVERS_LIMIT 64
/* The pool offered upstream: a receiver showing frames holds about two;
 * the maximum bounds what a receiver that never gives frames back can
 * make this process allocate. */
#define PROPOSED_MIN_BUFFERS 2
#define PROPOSED_MAX_BUFFERS 8
#define LISTEN_BACKLOG 8

/* send_message(): the receiver is gone (marked dead, not an error). */
#define FLOW_RECEIVER_LOST GST_FLOW_CUSTOM_SUCCESS

enum
{
  PROP_0,
  PROP_SOCKET_PATH,
  PROP_ON_DISCONNECT,
  PROP_MAX_RECEIVERS,
  PROP_RECEIVERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* One connected zcfdsrc. The fd is closed with the last reference, so
 * the streaming thread can send while the I/O thread removes it. */
typedef struct
{
  gint ref;
  gint fd;
  gint pid;
  GstPollFD pfd;                /* in the I/O thread's poll */
  /* under the sink's lock */
  GHashTable *held;             /* guint64 id -> GstBuffer it holds */
  gboolean needs_caps;
  gboolean dead;                /* a send failed: to be removed */
} Receiver;

struct _GstZcFdSink
{
  GstBaseSink parent;

  /* properties, under the object lock */
  gchar *socket_path;
  GstZcFdSinkOnDisconnect on_disconnect;
  guint max_receivers;

  /* from start to stop */
  gint listen_fd;
  gchar *bound_path;
  struct stat bound_stat;       /* of the socket file we created */
  GstPoll *io_poll;             /* the I/O thread's: listen fd, receivers */
  GstPollFD listen_pfd;
  GThread *io_thread;

  /* under lock */
  GMutex lock;
  GCond cond;                   /* receivers came or went, or flushing */
  GPtrArray *receivers;
  gchar *caps_str;
  gboolean flushing;
  gboolean failed;              /* a receiver left, on-disconnect=error */
  gboolean eos;
  guint64 next_id;

  /* streaming thread: waits for room in a socket; init to finalize */
  GstPoll *send_poll;
};

#define gst_zc_fd_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcFdSink, gst_zc_fd_sink, GST_TYPE_BASE_SINK,
    GST_DEBUG_CATEGORY_INIT (gst_zc_fd_sink_debug, "zcfdsink", 0,
        "zero-copy sink sending dma-buf and memfd fds to other processes"));
GST_ELEMENT_REGISTER_DEFINE (zcfdsink, "zcfdsink", GST_RANK_NONE,
    GST_TYPE_ZC_FD_SINK);

GType
gst_zc_fd_sink_on_disconnect_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ZC_FD_SINK_ON_DISCONNECT_WAIT,
        "Wait for a receiver: rendering blocks", "wait"},
    {GST_ZC_FD_SINK_ON_DISCONNECT_DROP,
        "Drop frames while no receiver is connected", "drop"},
    {GST_ZC_FD_SINK_ON_DISCONNECT_ERROR,
        "A receiver leaving before EOS is an error", "error"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstZcFdSinkOnDisconnect", values));
  return type;
}

/* ---- receivers ---- */

static Receiver *
receiver_new (gint fd)
{
  Receiver *r = g_new0 (Receiver, 1);

  r->ref = 1;
  r->fd = fd;
  r->pid = zc_fd_peer_pid (fd);
  gst_poll_fd_init (&r->pfd);
  r->pfd.fd = fd;
  r->held = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      (GDestroyNotify) gst_buffer_unref);
  r->needs_caps = TRUE;
  return r;
}

static Receiver *
receiver_ref (Receiver * r)
{
  g_atomic_int_inc (&r->ref);
  return r;
}

static gpointer
receiver_copy (gconstpointer r, gpointer unused)
{
  return receiver_ref ((Receiver *) r);
}

static void
receiver_unref (Receiver * r)
{
  if (!g_atomic_int_dec_and_test (&r->ref))
    return;
  close (r->fd);
  g_hash_table_unref (r->held);
  g_free (r);
}

static guint
count_live_locked (GstZcFdSink * self)
{
  guint i, n = 0;

  for (i = 0; i < self->receivers->len; i++)
    if (!((Receiver *) g_ptr_array_index (self->receivers, i))->dead)
      n++;
  return n;
}

/* The live receivers, referenced; each now holds @buf under @id when
 * @buf is given. */
static GPtrArray *
live_receivers_locked (GstZcFdSink * self, GstBuffer * buf, guint64 id)
{
  GPtrArray *live = g_ptr_array_new_with_free_func ((GDestroyNotify)
      receiver_unref);
  guint i;

  for (i = 0; i < self->receivers->len; i++) {
    Receiver *r = g_ptr_array_index (self->receivers, i);

    if (r->dead)
      continue;
    if (buf)
      g_hash_table_insert (r->held, g_memdup2 (&id, sizeof (id)),
          gst_buffer_ref (buf));
    g_ptr_array_add (live, receiver_ref (r));
  }
  return live;
}

/* @r no longer holds frame @id (it was never sent, or the receiver left). */
static void
unhold (GstZcFdSink * self, Receiver * r, guint64 id)
{
  gpointer key = NULL, buf = NULL;

  g_mutex_lock (&self->lock);
  g_hash_table_steal_extended (r->held, &id, &key, &buf);
  g_mutex_unlock (&self->lock);
  g_free (key);
  if (buf)
    gst_buffer_unref (buf);
}

static GstZcFdSinkOnDisconnect
get_on_disconnect (GstZcFdSink * self)
{
  GstZcFdSinkOnDisconnect mode;

  GST_OBJECT_LOCK (self);
  mode = self->on_disconnect;
  GST_OBJECT_UNLOCK (self);
  return mode;
}

/* Takes @r out (I/O thread; the caller keeps its own reference): shuts
 * its socket down so the peer sees the end at once, and gives back every
 * frame it held, so upstream's pool gets them back. @violation: it broke
 * the protocol (a warning). */
static void
remove_receiver (GstZcFdSink * self, Receiver * r, const gchar * reason,
    gboolean violation)
{
  GstZcFdSinkOnDisconnect mode = get_on_disconnect (self);
  GHashTable *held;
  gboolean listed, lost;
  guint n_held;

  g_mutex_lock (&self->lock);
  listed = g_ptr_array_remove (self->receivers, r);
  r->dead = TRUE;
  held = r->held;
  r->held = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      (GDestroyNotify) gst_buffer_unref);
  lost = listed && !self->eos && mode == GST_ZC_FD_SINK_ON_DISCONNECT_ERROR;
  if (lost)
    self->failed = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  n_held = g_hash_table_size (held);
  g_hash_table_unref (held);
  if (!listed)
    return;

  gst_poll_remove_fd (self->io_poll, &r->pfd);
  shutdown (r->fd, SHUT_RDWR);
  GST_INFO_OBJECT (self, "receiver (pid %d) removed: %s; %u frames it held "
      "given back", r->pid, reason, n_held);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIVERS]);
  if (violation)
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("A receiver broke the zcfdsink protocol and was disconnected."),
        ("receiver pid %d: %s", r->pid, reason));
  if (lost)
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("The receiver of the frames went away."),
        ("receiver pid %d: %s (on-disconnect=error)", r->pid, reason));
}

/* ---- the I/O thread: accepts receivers and takes their releases ---- */

static void
accept_receiver (GstZcFdSink * self)
{
  gint fd = accept4 (self->listen_fd, NULL, NULL,
      SOCK_NONBLOCK | SOCK_CLOEXEC);
  guint max, live;
  Receiver *r;

  if (fd < 0) {
    if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
      GST_WARNING_OBJECT (self, "accept failed: %s", g_strerror (errno));
    return;
  }

  GST_OBJECT_LOCK (self);
  max = self->max_receivers;
  GST_OBJECT_UNLOCK (self);

  r = receiver_new (fd);
  g_mutex_lock (&self->lock);
  live = count_live_locked (self);
  if (live >= max) {
    g_mutex_unlock (&self->lock);
    GST_WARNING_OBJECT (self, "refusing receiver pid %d: %u connected "
        "already (max-receivers)", r->pid, live);
    receiver_unref (r);
    return;
  }
  gst_poll_add_fd (self->io_poll, &r->pfd);
  gst_poll_fd_ctl_read (self->io_poll, &r->pfd, TRUE);
  g_ptr_array_add (self->receivers, r);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "receiver pid %d connected", r->pid);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIVERS]);
}

/* A receiver sends nothing but releases: header + ZcFdReleaseMsg, no
 * fds, for a frame it holds. */
static gboolean
take_release (GstZcFdSink * self, Receiver * r, const ZcFdMessage * msg,
    GError ** error)
{
  const ZcFdReleaseMsg *rel;
  gpointer key = NULL, buf = NULL;
  guint16 type;
  gboolean held;

  if (!zc_fd_message_check (msg, &type, error))
    return FALSE;
  if (type != ZC_FD_MSG_RELEASE)
    goto wrong_type;
  if (msg->n_fds > 0)
    goto fds;
  if (msg->size != sizeof (ZcFdHeader) + sizeof (ZcFdReleaseMsg))
    goto wrong_size;

  rel = (const ZcFdReleaseMsg *) ((const guint8 *) msg->data +
      sizeof (ZcFdHeader));
  g_mutex_lock (&self->lock);
  held = g_hash_table_steal_extended (r->held, &rel->id, &key, &buf);
  g_mutex_unlock (&self->lock);
  if (!held)
    goto not_held;
  g_free (key);

  GST_LOG_OBJECT (self, "receiver pid %d released frame %" G_GUINT64_FORMAT,
      r->pid, rel->id);
  gst_buffer_unref (buf);
  return TRUE;

  /* ERRORS */
wrong_type:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "message of type %u: a receiver sends only releases (type %d)", type,
      ZC_FD_MSG_RELEASE);
  return FALSE;
fds:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "a release came with %u fds", msg->n_fds);
  return FALSE;
wrong_size:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "release of %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
      msg->size, sizeof (ZcFdHeader) + sizeof (ZcFdReleaseMsg));
  return FALSE;
not_held:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "release of frame %" G_GUINT64_FORMAT ", which it does not hold",
      rel->id);
  return FALSE;
}

/* Reads what @r sent until nothing is left; removes it on hang-up, an
 * error or a bad message. */
static void
read_receiver (GstZcFdSink * self, Receiver * r)
{
  /* A release is 24 bytes; anything longer is cut and flagged. */
  guint64 data[8];
  ZcFdMessage msg = { .data = data };
  GError *err = NULL;
  gssize n;

  while ((n = zc_fd_recv (r->fd, &msg, sizeof (data))) > 0) {
    if (!take_release (self, r, &msg, &err))
      break;
  }
  zc_fd_message_close_fds (&msg);

  if (n == -EAGAIN)
    return;
  if (err)
    remove_receiver (self, r, err->message, TRUE);
  else if (n == 0)
    remove_receiver (self, r, "it closed the connection", FALSE);
  else
    remove_receiver (self, r, g_strerror (-n), FALSE);
  g_clear_error (&err);
}

static void
serve_receivers (GstZcFdSink * self)
{
  GPtrArray *all;
  guint i;

  g_mutex_lock (&self->lock);
  all = g_ptr_array_copy (self->receivers, receiver_copy, NULL);
  g_ptr_array_set_free_func (all, (GDestroyNotify) receiver_unref);
  g_mutex_unlock (&self->lock);

  for (i = 0; i < all->len; i++) {
    Receiver *r = g_ptr_array_index (all, i);
    gboolean dead;

    g_mutex_lock (&self->lock);
    dead = r->dead;
    g_mutex_unlock (&self->lock);

    if (dead)
      remove_receiver (self, r, "sending to it failed", FALSE);
    else if (gst_poll_fd_can_read (self->io_poll, &r->pfd)
        || gst_poll_fd_has_closed (self->io_poll, &r->pfd)
        || gst_poll_fd_has_error (self->io_poll, &r->pfd))
      read_receiver (self, r);
  }
  g_ptr_array_unref (all);
}

/* Runs from start to stop; stop sets the poll flushing. */
static gpointer
gst_zc_fd_sink_io_thread (gpointer data)
{
  GstZcFdSink *self = data;

  while (TRUE) {
    gint n = gst_poll_wait (self->io_poll, GST_CLOCK_TIME_NONE);

    if (n < 0 && errno == EBUSY)
      break;
    if (n < 0 && errno != EINTR && errno != EAGAIN) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Could not wait for receivers."), ("poll: %s", g_strerror (errno)));
      break;
    }
    /* Hang-ups first: a receiver that left and reconnected at once (a
     * zcfdsrc cycling its states) must not find its old connection still
     * counted against max-receivers. */
    serve_receivers (self);
    if (n > 0 && gst_poll_fd_can_read (self->io_poll, &self->listen_pfd))
      accept_receiver (self);
  }
  return NULL;
}

/* ---- the streaming thread: sends ---- */

/* FALSE when flushing. */
static gboolean
wait_writable (GstZcFdSink * self, Receiver * r)
{
  GstPollFD pfd = GST_POLL_FD_INIT;
  gint n;

  pfd.fd = r->fd;
  gst_poll_add_fd (self->send_poll, &pfd);
  gst_poll_fd_ctl_write (self->send_poll, &pfd, TRUE);
  do {
    n = gst_poll_wait (self->send_poll, GST_CLOCK_TIME_NONE);
  } while (n < 0 && (errno == EINTR || errno == EAGAIN));
  gst_poll_remove_fd (self->send_poll, &pfd);
  return n >= 0;
}

/* Sends one message to @r, waiting (flushably) while its socket is full.
 * Returns: GST_FLOW_OK, GST_FLOW_FLUSHING, or FLOW_RECEIVER_LOST with @r
 * marked dead for the I/O thread to remove. */
static GstFlowReturn
send_message (GstZcFdSink * self, Receiver * r, ZcFdMsgType type,
    gconstpointer payload, gsize size, const gint * fds, guint n_fds)
{
  gint err;

  while ((err = zc_fd_send (r->fd, type, payload, size, fds,
              n_fds)) == EAGAIN) {
    GST_DEBUG_OBJECT (self, "receiver pid %d: socket full, waiting", r->pid);
    if (!wait_writable (self, r))
      return GST_FLOW_FLUSHING;
  }
  if (err == 0)
    return GST_FLOW_OK;

  GST_INFO_OBJECT (self, "sending to receiver pid %d failed: %s", r->pid,
      g_strerror (err));
  g_mutex_lock (&self->lock);
  r->dead = TRUE;
  g_mutex_unlock (&self->lock);
  gst_poll_restart (self->io_poll);
  return FLOW_RECEIVER_LOST;
}

/* A new receiver, or new caps: the caps go before the next frame. */
static GstFlowReturn
send_caps_if_needed (GstZcFdSink * self, Receiver * r)
{
  GstFlowReturn ret;
  gchar *caps = NULL;

  g_mutex_lock (&self->lock);
  if (r->needs_caps && self->caps_str)
    caps = g_strdup (self->caps_str);
  g_mutex_unlock (&self->lock);
  if (!caps)
    return GST_FLOW_OK;

  ret = send_message (self, r, ZC_FD_MSG_CAPS, caps, strlen (caps) + 1,
      NULL, 0);
  if (ret == GST_FLOW_OK) {
    g_mutex_lock (&self->lock);
    r->needs_caps = FALSE;
    g_mutex_unlock (&self->lock);
  }
  g_free (caps);
  return ret;
}

/* The CLOCK_MONOTONIC time at which this pipeline presents @ts (its
 * running time + base time + latency, moved from the pipeline's clock to
 * the monotonic clock), or GST_CLOCK_TIME_NONE. */
static guint64
presentation_time (GstZcFdSink * self, GstClockTime ts)
{
  GstElement *element = GST_ELEMENT (self);
  GstClock *clock = gst_element_get_clock (element);
  GstClockTime base = gst_element_get_base_time (element);
  GstClockTimeDiff to_monotonic = 0;
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  gint64 t;

  if (!clock || !GST_CLOCK_TIME_IS_VALID (ts) || !GST_CLOCK_TIME_IS_VALID
      (base))
    goto none;
  if (gst_segment_to_running_time_full (&GST_BASE_SINK (self)->segment,
          GST_FORMAT_TIME, ts, &rt) <= 0)
    goto none;
  to_monotonic = zc_fd_clock_to_monotonic (clock);
  t = rt + base + gst_base_sink_get_latency (GST_BASE_SINK (self)) +
      to_monotonic;
  gst_object_unref (clock);
  return t < 0 ? 0 : (guint64) t;

none:
  gst_clear_object (&clock);
  return GST_CLOCK_TIME_NONE;
}

static void
describe_video_meta (GstBuffer * buf, ZcFdBufferMsg * msg)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
  guint i;

  if (!meta)
    return;
  msg->has_video_meta = 1;
  msg->video_flags = meta->flags;
  msg->format = meta->format;
  msg->width = meta->width;
  msg->height = meta->height;
  msg->n_planes = MIN (meta->n_planes, ZC_FD_MAX_PLANES);
  for (i = 0; i < msg->n_planes; i++) {
    msg->offsets[i] = meta->offset[i];
    msg->strides[i] = meta->stride[i];
  }
}

/* The message for @buf, its memories' fds in @fds. FALSE (error posted)
 * when a memory has no fd or there are too many. */
static gboolean
describe_buffer (GstZcFdSink * self, GstBuffer * buf, ZcFdBufferMsg * msg,
    gint * fds)
{
  guint i, n = gst_buffer_n_memory (buf);

  memset (msg, 0, sizeof (*msg));
  if (n > ZC_FD_MAX_MEMORIES)
    goto too_many;
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buf, i);

    if (!gst_is_fd_memory (mem))
      goto not_fd;
    fds[i] = gst_fd_memory_get_fd (mem);
    /* an fd memory maps its fd from byte 0: its offset is the fd's */
    msg->memories[i].offset = mem->offset;
    msg->memories[i].size = mem->size;
  }
  msg->n_memories = n;
  msg->pts = GST_BUFFER_PTS (buf);
  msg->dts = GST_BUFFER_DTS (buf);
  msg->duration = GST_BUFFER_DURATION (buf);
  msg->pts_clock = presentation_time (self, GST_BUFFER_PTS (buf));
  msg->dts_clock = presentation_time (self, GST_BUFFER_DTS (buf));
  msg->flags = GST_BUFFER_FLAGS (buf) & ZC_FD_BUFFER_FLAGS;
  describe_video_meta (buf, msg);
  return TRUE;

  /* ERRORS */
too_many:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("A frame of %u memories: zcfdsink sends at most %d.", n,
          ZC_FD_MAX_MEMORIES), ("%" GST_PTR_FORMAT, buf));
  return FALSE;
not_fd:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("zcfdsink sends dma-buf or memfd memory only: put zcupload before "
          "it."), ("memory %u of %" GST_PTR_FORMAT " has no fd (allocator "
          "%s)", i, buf, gst_buffer_peek_memory (buf, i)->allocator ?
          gst_buffer_peek_memory (buf, i)->allocator->mem_type : "none"));
  return FALSE;
}

/* Waits until a receiver is there (or drops, or fails, per
 * on-disconnect); then every live receiver holds @buf under a new id.
 * @targets: NULL when the frame is dropped. */
static GstFlowReturn
wait_for_receivers (GstZcFdSink * self, GstBuffer * buf, guint64 * id,
    GPtrArray ** targets)
{
  GstZcFdSinkOnDisconnect mode = get_on_disconnect (self);
  GstFlowReturn ret;

  *targets = NULL;
  g_mutex_lock (&self->lock);
  while (TRUE) {
    if (self->failed)
      goto failed;
    if (self->flushing) {
      g_mutex_unlock (&self->lock);
      ret = gst_base_sink_wait_preroll (GST_BASE_SINK (self));
      if (ret != GST_FLOW_OK)
        return ret;
      g_mutex_lock (&self->lock);
      continue;
    }
    if (count_live_locked (self) > 0)
      break;
    if (mode == GST_ZC_FD_SINK_ON_DISCONNECT_DROP)
      goto drop;
    GST_DEBUG_OBJECT (self, "waiting for a receiver");
    g_cond_wait (&self->cond, &self->lock);
  }
  *id = ++self->next_id;
  *targets = live_receivers_locked (self, buf, *id);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;

failed:
  g_mutex_unlock (&self->lock);
  return GST_FLOW_ERROR;
drop:
  g_mutex_unlock (&self->lock);
  GST_LOG_OBJECT (self, "no receiver: %" GST_PTR_FORMAT " dropped", buf);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_zc_fd_sink_render (GstBaseSink * bsink, GstBuffer * buf)
{
  GstZcFdSink *self = GST_ZC_FD_SINK (bsink);
  gint fds[ZC_FD_MAX_MEMORIES];
  GstFlowReturn ret;
  GPtrArray *targets;
  ZcFdBufferMsg msg;
  guint i;

  if (gst_buffer_n_memory (buf) == 0) {
    GST_DEBUG_OBJECT (self, "%" GST_PTR_FORMAT " has no memory: not sent", buf);
    return GST_FLOW_OK;
  }
  if (!describe_buffer (self, buf, &msg, fds))
    return GST_FLOW_ERROR;
  ret = wait_for_receivers (self, buf, &msg.id, &targets);
  if (ret != GST_FLOW_OK || !targets)
    return ret;

  for (i = 0; i < targets->len; i++) {
    Receiver *r = g_ptr_array_index (targets, i);

    ret = send_caps_if_needed (self, r);
    if (ret == GST_FLOW_OK)
      ret = send_message (self, r, ZC_FD_MSG_BUFFER, &msg, sizeof (msg), fds,
          msg.n_memories);
    if (ret != GST_FLOW_OK)
      unhold (self, r, msg.id);
    if (ret == GST_FLOW_FLUSHING)
      break;
  }
  /* the receivers not reached will not release the frame */
  for (i++; ret == GST_FLOW_FLUSHING && i < targets->len; i++)
    unhold (self, g_ptr_array_index (targets, i), msg.id);
  g_ptr_array_unref (targets);

  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT " sent: %" GST_PTR_FORMAT,
      msg.id, buf);
  return ret == GST_FLOW_FLUSHING ? GST_FLOW_FLUSHING : GST_FLOW_OK;
}

static void
send_eos (GstZcFdSink * self)
{
  GPtrArray *targets;
  guint i;

  g_mutex_lock (&self->lock);
  self->eos = TRUE;
  targets = live_receivers_locked (self, NULL, 0);
  g_mutex_unlock (&self->lock);

  for (i = 0; i < targets->len; i++)
    if (send_message (self, g_ptr_array_index (targets, i), ZC_FD_MSG_EOS,
            NULL, 0, NULL, 0) == GST_FLOW_FLUSHING)
      break;
  g_ptr_array_unref (targets);
}

static gboolean
set_caps_string (GstZcFdSink * self, GstEvent * event)
{
  GstCaps *caps;
  gchar *str;
  guint i;

  gst_event_parse_caps (event, &caps);
  str = gst_caps_to_string (caps);
  if (strlen (str) + 1 > ZC_FD_MAX_CAPS_SIZE)
    goto too_long;

  g_mutex_lock (&self->lock);
  g_free (self->caps_str);
  self->caps_str = str;
  for (i = 0; i < self->receivers->len; i++)
    ((Receiver *) g_ptr_array_index (self->receivers, i))->needs_caps = TRUE;
  g_mutex_unlock (&self->lock);
  GST_DEBUG_OBJECT (self, "caps for the receivers: %s", str);
  return TRUE;

  /* ERRORS */
too_long:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("The caps are too long to send (%" G_GSIZE_FORMAT " bytes, at most "
          "%d).", strlen (str) + 1, ZC_FD_MAX_CAPS_SIZE), ("%s", str));
  g_free (str);
  return FALSE;
}

static gboolean
gst_zc_fd_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstZcFdSink *self = GST_ZC_FD_SINK (bsink);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      if (!set_caps_string (self, event)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    case GST_EVENT_EOS:
      send_eos (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->lock);
      self->eos = FALSE;
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

/* Upstream may render straight into dma-bufs (memfds where nothing
 * exports dma-bufs) that can be sent as they are. */
static gboolean
gst_zc_fd_sink_propose_allocation (GstBaseSink * bsink, GstQuery * query)
{
  if (!gst_zc_propose_allocation (GST_ELEMENT (bsink), query,
          PROPOSED_MIN_BUFFERS, PROPOSED_MAX_BUFFERS))
    GST_DEBUG_OBJECT (bsink, "no pool proposed (caps not video?)");
  return TRUE;
}

/* ---- start, stop, unlock ---- */

/* A listening SOCK_SEQPACKET socket at @path, or -1 with @error set. A
 * socket already there (left by a process that died) is replaced; any
 * other file is not touched. */
static gint
listen_on (GstZcFdSink * self, const gchar * path, GError ** error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct stat st;
  gint fd, err;

  if (strlen (path) >= sizeof (addr.sun_path))
    goto too_long;
  strcpy (addr.sun_path, path);
  if (lstat (path, &st) == 0) {
    if (!S_ISSOCK (st.st_mode))
      goto not_socket;
    unlink (path);
  }

  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    goto failed;
  if (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0
      || listen (fd, LISTEN_BACKLOG) < 0 || stat (path, &self->bound_stat) < 0)
    goto bind_failed;
  return fd;

  /* ERRORS */
too_long:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
      "socket-path is %" G_GSIZE_FORMAT " bytes, at most %" G_GSIZE_FORMAT,
      strlen (path), sizeof (addr.sun_path) - 1);
  return -1;
not_socket:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
      "%s exists and is not a socket", path);
  return -1;
bind_failed:
  err = errno;
  close (fd);
  errno = err;
failed:
  err = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
      "%s: %s", path, g_strerror (err));
  return -1;
}

static gboolean gst_zc_fd_sink_stop (GstBaseSink * bsink);

static gboolean
gst_zc_fd_sink_start (GstBaseSink * bsink)
{
  GstZcFdSink *self = GST_ZC_FD_SINK (bsink);
  GError *err = NULL;
  gchar *path;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->socket_path);
  GST_OBJECT_UNLOCK (self);
  if (!path || !*path)
    goto no_path;

  self->listen_fd = listen_on (self, path, &err);
  if (self->listen_fd < 0)
    goto listen_failed;
  self->bound_path = path;
  self->io_poll = gst_poll_new (TRUE);
  gst_poll_fd_init (&self->listen_pfd);
  self->listen_pfd.fd = self->listen_fd;
  gst_poll_add_fd (self->io_poll, &self->listen_pfd);
  gst_poll_fd_ctl_read (self->io_poll, &self->listen_pfd, TRUE);

  self->failed = self->eos = FALSE;
  self->next_id = 0;
  self->io_thread = g_thread_try_new ("zcfdsink-io", gst_zc_fd_sink_io_thread,
      self, &err);
  if (!self->io_thread)
    goto no_thread;

  GST_INFO_OBJECT (self, "listening on %s", path);
  return TRUE;

  /* ERRORS */
no_path:
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
      ("No socket-path was given to zcfdsink."), ("socket-path is not set"));
  g_free (path);
  return FALSE;
listen_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
      ("Could not listen on the socket %s.", path), ("%s", err->message));
  g_clear_error (&err);
  g_free (path);
  return FALSE;
no_thread:
  GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
      ("Could not start the thread that serves receivers."), ("%s",
          err->message));
  g_clear_error (&err);
  gst_zc_fd_sink_stop (bsink);
  return FALSE;
}

/* Removes the socket file, unless another process replaced it. */
static void
unlink_socket (GstZcFdSink * self)
{
  struct stat st;

  if (stat (self->bound_path, &st) == 0
      && st.st_ino == self->bound_stat.st_ino
      && st.st_dev == self->bound_stat.st_dev)
    unlink (self->bound_path);
  g_clear_pointer (&self->bound_path, g_free);
}

static void
drop_receivers (GstZcFdSink * self)
{
  GPtrArray *all;
  guint i;

  g_mutex_lock (&self->lock);
  all = self->receivers;
  self->receivers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      receiver_unref);
  g_mutex_unlock (&self->lock);

  for (i = 0; i < all->len; i++) {
    Receiver *r = g_ptr_array_index (all, i);

    shutdown (r->fd, SHUT_RDWR);
    g_hash_table_remove_all (r->held);
  }
  if (all->len > 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIVERS]);
  g_ptr_array_unref (all);
}

static gboolean
gst_zc_fd_sink_stop (GstBaseSink * bsink)
{
  GstZcFdSink *self = GST_ZC_FD_SINK (bsink);

  if (self->io_thread) {
    gst_poll_set_flushing (self->io_poll, TRUE);
    g_thread_join (self->io_thread);
    self->io_thread = NULL;
  }
  drop_receivers (self);
  if (self->listen_fd >= 0) {
    unlink_socket (self);
    close (self->listen_fd);
    self->listen_fd = -1;
  }
  g_clear_pointer (&self->io_poll, gst_poll_free);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->caps_str, g_free);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_zc_fd_sink_unlock (GstBaseSink * bsink)
{
  GstZcFdSink *self = GST_ZC_FD_SINK (bsink);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  gst_poll_set_flushing (self->send_poll, TRUE);
  return TRUE;
}

static gboolean
gst_zc_fd_sink_unlock_stop (GstBaseSink * bsink)
{
  GstZcFdSink *self = GST_ZC_FD_SINK (bsink);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  gst_poll_set_flushing (self->send_poll, FALSE);
  return TRUE;
}

/* ---- GObject ---- */

static void
gst_zc_fd_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcFdSink *self = GST_ZC_FD_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SOCKET_PATH:
      g_free (self->socket_path);
      self->socket_path = g_value_dup_string (value);
      break;
    case PROP_ON_DISCONNECT:
      self->on_disconnect = g_value_get_enum (value);
      break;
    case PROP_MAX_RECEIVERS:
      self->max_receivers = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  /* a frame waiting for a receiver may now be dropped */
  if (prop_id == PROP_ON_DISCONNECT) {
    g_mutex_lock (&self->lock);
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
}

static void
gst_zc_fd_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstZcFdSink *self = GST_ZC_FD_SINK (object);

  switch (prop_id) {
    case PROP_SOCKET_PATH:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->socket_path);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ON_DISCONNECT:
      g_value_set_enum (value, get_on_disconnect (self));
      break;
    case PROP_MAX_RECEIVERS:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->max_receivers);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RECEIVERS:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, count_live_locked (self));
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_zc_fd_sink_finalize (GObject * object)
{
  GstZcFdSink *self = GST_ZC_FD_SINK (object);

  g_ptr_array_unref (self->receivers);
  gst_poll_free (self->send_poll);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->socket_path);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_zc_fd_sink_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcFdSink:socket-path:
   *
   * Where the sink creates its Unix socket (`SOCK_SEQPACKET`) when it
   * starts, and removes it when it stops: a file system path of at most
   * 107 bytes. A socket already at that path is replaced; any other file
   * there fails the start. The socket file's permissions (from the umask)
   * decide who may receive the frames.
   *
   * Since: 0.1
   */
  properties[PROP_SOCKET_PATH] = g_param_spec_string ("socket-path",
      "Socket path", "Path of the Unix socket receivers connect to "
      "(at most 107 bytes)", DEFAULT_SOCKET_PATH,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcFdSink:on-disconnect:
   *
   * What happens to frames while no receiver is connected, and when a
   * receiver goes away (its held frames are given back to upstream in
   * every case): `wait` blocks rendering until a receiver connects
   * (interrupted by flushing and state changes); `drop` drops the frames;
   * `error` posts a %GST_RESOURCE_ERROR_WRITE error when a receiver leaves
   * before EOS (frames wait for the first receiver). Takes effect at once.
   *
   * Since: 0.1
   */
  properties[PROP_ON_DISCONNECT] = g_param_spec_enum ("on-disconnect",
      "On disconnect", "Without a receiver: wait for one, drop frames, or "
      "fail when one leaves", GST_TYPE_ZC_FD_SINK_ON_DISCONNECT,
      DEFAULT_ON_DISCONNECT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcFdSink:max-receivers:
   *
   * Receivers served at once, 1 to 64; a connection beyond them is closed
   * at once (the receiver fails to start streaming). Every receiver gets
   * every frame, and a frame goes back to upstream once all of them
   * released it.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_RECEIVERS] = g_param_spec_uint ("max-receivers",
      "Maximum receivers", "Receivers served at once (1-64)", 1,
      MAX_RECEIVERS_LIMIT, DEFAULT_MAX_RECEIVERS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcFdSink:receivers:
   *
   * Receivers connected now; notified when one connects or leaves.
   *
   * Since: 0.1
   */
  properties[PROP_RECEIVERS] = g_param_spec_uint ("receivers", "Receivers",
      "Receivers connected now", 0, MAX_RECEIVERS_LIMIT, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);
}

static void
gst_zc_fd_sink_class_init (GstZcFdSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *bsink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->set_property = gst_zc_fd_sink_set_property;
  gobject_class->get_property = gst_zc_fd_sink_get_property;
  gobject_class->finalize = gst_zc_fd_sink_finalize;
  gst_zc_fd_sink_install_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class,
      "Zero-copy fd sink", "Sink/Video",
      "Sends dma-buf and memfd frames to zcfdsrc in other processes over a "
      "Unix socket, without copying", "gst-zerocopy");
  gst_element_class_add_static_pad_template (element_class, &sink_template);

  bsink_class->start = GST_DEBUG_FUNCPTR (gst_zc_fd_sink_start);
  bsink_class->stop = GST_DEBUG_FUNCPTR (gst_zc_fd_sink_stop);
  bsink_class->unlock = GST_DEBUG_FUNCPTR (gst_zc_fd_sink_unlock);
  bsink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_zc_fd_sink_unlock_stop);
  bsink_class->render = GST_DEBUG_FUNCPTR (gst_zc_fd_sink_render);
  bsink_class->event = GST_DEBUG_FUNCPTR (gst_zc_fd_sink_event);
  bsink_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_zc_fd_sink_propose_allocation);

  gst_type_mark_as_plugin_api (GST_TYPE_ZC_FD_SINK_ON_DISCONNECT, 0);
}

static void
gst_zc_fd_sink_init (GstZcFdSink * self)
{
  self->on_disconnect = DEFAULT_ON_DISCONNECT;
  self->max_receivers = DEFAULT_MAX_RECEIVERS;
  self->listen_fd = -1;
  self->receivers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      receiver_unref);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->send_poll = gst_poll_new (TRUE);
  /* the last sample would keep one more frame from going back upstream */
  gst_base_sink_set_last_sample_enabled (GST_BASE_SINK (self), FALSE);
}
