/* zcfdsrc: receives dma-buf and memfd frames from a zcfdsink in another process
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-zcfdsrc
 * @title: zcfdsrc
 * @see_also: zcfdsink
 *
 * Receives the frames a zcfdsink in another process sends: it connects to
 * the sink's Unix socket at #GstZcFdSrc:socket-path when it starts, and
 * every frame arrives as the file descriptors of its memories (the
 * sender's own dma-bufs or memfds: nothing is copied), with the caps, the
 * timestamps, the buffer flags and the #GstVideoMeta the sender had. When
 * the last memory of a frame is freed downstream, the source tells the
 * sink, whose upstream pool can then reuse the frame.
 *
 * A dma-buf is wrapped by the library's importer
 * (gst_zc_dmabuf_allocator_get_importer(): every CPU map is bracketed with
 * `DMA_BUF_IOCTL_SYNC`), a memfd by a #GstFdAllocator. The memories are
 * read-only (%GST_MEMORY_FLAG_READONLY): the frame belongs to the sender
 * and maybe to other receivers, so an element that wants to write gets a
 * copy of its own from GStreamer.
 *
 * Everything received is checked before it is used: the message's size
 * and header (magic, version), the number of memories (1 to 4) and that
 * exactly one fd came with each, that every fd is a dma-buf (its file
 * system is the kernel's dma-buf one, `DMA_BUF_MAGIC`) or a memfd sealed
 * with `F_SEAL_SHRINK`, that each memory lies within its fd's size, that
 * a `memory:DMABuf` stream gets dma-bufs only, that the caps parse and
 * are fixed, and that the video meta matches the caps and its planes lie
 * within the frame. Anything else closes the fds that came with it and is
 * a %GST_RESOURCE_ERROR_READ error naming what was wrong; so is the
 * sender going away before EOS.
 *
 * #GstZcFdSrc:timestamp-mode chooses between live timestamps (the sender's
 * presentation instant, as this pipeline's running time: both processes
 * share the machine's monotonic clock) and the sender's timestamps as
 * they were.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 zcfdsrc socket-path=/tmp/zc.sock ! videoconvert ! autovideosink
 * ]| shows what a `zcfdsink socket-path=/tmp/zc.sock` in another process
 * sends.
 * |[
 * gst-launch-1.0 zcfdsrc socket-path=/tmp/zc.sock timestamp-mode=original ! zcsnapshot location=frame-%05d.png interval=30 ! fakesink sync=false
 * ]| writes every 30th frame as a PNG, reading the sender's memory.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcfdsrc.h"
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
#include <sys/un.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_fd_src_debug);
#define GST_CAT_DEFAULT gst_zc_fd_src_debug

#define DEFAULT_SOCKET_PATH NULL
#define DEFAULT_TIMESTAMP_MODE GST_ZC_FD_SRC_TIMESTAMP_MODE_CLOCK

/* read_message(): nothing to hand out yet, wait again. */
#define FLOW_AGAIN GST_FLOW_CUSTOM_SUCCESS

enum
{
  PROP_0,
  PROP_SOCKET_PATH,
  PROP_TIMESTAMP_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* The socket, shared by the element and by the frames it handed out: a
 * frame may be freed after the element stopped, when there is nobody left
 * to tell. */
typedef struct
{
  gint ref;
  GMutex lock;
  gint fd;                      /* -1 once the element stopped */
  GArray *pending;              /* guint64 ids that found the socket full */
} Connection;

/* Shared by the memories of one frame: the last one freed sends the
 * release. */
typedef struct
{
  gint n_memories;
  guint64 id;
  Connection *conn;
} Release;

struct _GstZcFdSrc
{
  GstPushSrc parent;

  /* properties, under the object lock */
  gchar *socket_path;
  GstZcFdSrcTimestampMode timestamp_mode;

  /* from start to stop; caps also under the object lock */
  Connection *conn;
  gint fd;
  GstPollFD pfd;
  ZcFdMessage msg;
  GstCaps *caps;
  GstVideoInfo info;
  gboolean is_video;
  gboolean dmabuf_caps;

  /* init to finalize */
  GstPoll *poll;
  GstAllocator *memfd_allocator;
};

#define gst_zc_fd_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcFdSrc, gst_zc_fd_src, GST_TYPE_PUSH_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_zc_fd_src_debug, "zcfdsrc", 0,
        "zero-copy source receiving dma-buf and memfd fds from zcfdsink"));
GST_ELEMENT_REGISTER_DEFINE (zcfdsrc, "zcfdsrc", GST_RANK_NONE,
    GST_TYPE_ZC_FD_SRC);

GType
gst_zc_fd_src_timestamp_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ZC_FD_SRC_TIMESTAMP_MODE_CLOCK,
        "The sender's presentation instant as running time (live)", "clock"},
    {GST_ZC_FD_SRC_TIMESTAMP_MODE_ORIGINAL,
        "The sender's buffer timestamps as they were (not live)", "original"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstZcFdSrcTimestampMode", values));
  return type;
}

static GQuark
release_quark (void)
{
  return g_quark_from_static_string ("GstZcFdSrcRelease");
}

/* ---- the connection and releases ---- */

static Connection *
connection_new (gint fd)
{
  Connection *c = g_new0 (Connection, 1);

  c->ref = 1;
  c->fd = fd;
  g_mutex_init (&c->lock);
  c->pending = g_array_new (FALSE, FALSE, sizeof (guint64));
  return c;
}

static Connection *
connection_ref (Connection * c)
{
  g_atomic_int_inc (&c->ref);
  return c;
}

static void
connection_unref (Connection * c)
{
  if (!g_atomic_int_dec_and_test (&c->ref))
    return;
  if (c->fd >= 0)
    close (c->fd);
  g_array_unref (c->pending);
  g_mutex_clear (&c->lock);
  g_free (c);
}

/* The sink gives back everything a receiver held when its connection
 * ends: after that, releases have nobody to go to. */
static void
connection_close (Connection * c)
{
  g_mutex_lock (&c->lock);
  if (c->fd >= 0)
    close (c->fd);
  c->fd = -1;
  g_array_set_size (c->pending, 0);
  g_mutex_unlock (&c->lock);
}

/* Sends the pending releases in order; FALSE while the socket is full. A
 * release that cannot be sent for another reason is dropped: the sink
 * sees the connection end and gives everything back. */
static gboolean
connection_flush_locked (Connection * c)
{
  while (c->fd >= 0 && c->pending->len > 0) {
    ZcFdReleaseMsg rel = { g_array_index (c->pending, guint64, 0) };
    gint err = zc_fd_send (c->fd, ZC_FD_MSG_RELEASE, &rel, sizeof (rel),
        NULL, 0);

    if (err == EAGAIN)
      return FALSE;
    if (err != 0)
      GST_DEBUG ("release of frame %" G_GUINT64_FORMAT " not sent: %s",
          rel.id, g_strerror (err));
    g_array_remove_index (c->pending, 0);
  }
  return TRUE;
}

/* TRUE when every release went out. */
static gboolean
connection_flush (Connection * c)
{
  gboolean done;

  g_mutex_lock (&c->lock);
  done = connection_flush_locked (c);
  g_mutex_unlock (&c->lock);
  return done;
}

/* From whatever thread freed the frame's last memory; never blocks: a
 * full socket keeps the release for the streaming thread to send. */
static void
release_unref (Release * rel)
{
  Connection *c = rel->conn;

  if (!g_atomic_int_dec_and_test (&rel->n_memories))
    return;

  g_mutex_lock (&c->lock);
  if (c->fd >= 0) {
    g_array_append_val (c->pending, rel->id);
    connection_flush_locked (c);
  }
  g_mutex_unlock (&c->lock);
  GST_LOG ("frame %" G_GUINT64_FORMAT " released", rel->id);
  connection_unref (c);
  g_free (rel);
}

/* ---- checking what arrived ---- */

static gboolean
set_error (GError ** error, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
set_error (GError ** error, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_IO_ERROR,
          G_IO_ERROR_INVALID_DATA, format, args));
  va_end (args);
  return FALSE;
}

/* The caps: one NUL-terminated string, that parses into fixed caps;
 * video caps must describe linear frames. */
static GstCaps *
parse_caps (GstZcFdSrc * self, const ZcFdMessage * msg, GstVideoInfo * info,
    GError ** error)
{
  const gchar *str = (const gchar *) msg->data + sizeof (ZcFdHeader);
  gsize len = msg->size - sizeof (ZcFdHeader);
  GstCaps *caps;

  if (msg->n_fds > 0) {
    set_error (error, "caps came with %u fds", msg->n_fds);
    return NULL;
  }
  if (len == 0 || str[len - 1] != '\0' || strlen (str) != len - 1) {
    set_error (error, "caps of %" G_GSIZE_FORMAT " bytes are not one "
        "NUL-terminated string", len);
    return NULL;
  }
  caps = gst_caps_from_string (str);
  if (!caps || !gst_caps_is_fixed (caps))
    goto not_fixed;
  gst_video_info_init (info);
  if (gst_structure_has_name (gst_caps_get_structure (caps, 0), "video/x-raw")
      && (!gst_video_info_from_caps (info, caps)
          || GST_VIDEO_FORMAT_INFO_IS_TILED (info->finfo)))
    goto bad_video;
  return caps;

  /* ERRORS */
not_fixed:
  set_error (error, "caps \"%s\" are not fixed caps", str);
  gst_clear_caps (&caps);
  return NULL;
bad_video:
  set_error (error, "caps \"%s\" do not describe linear video frames", str);
  gst_caps_unref (caps);
  return NULL;
}

static GstFlowReturn
take_caps (GstZcFdSrc * self, const ZcFdMessage * msg, GError ** error)
{
  GstVideoInfo info;
  GstCaps *caps = parse_caps (self, msg, &info, error);

  if (!caps)
    return GST_FLOW_ERROR;

  GST_DEBUG_OBJECT (self, "caps from the sender: %" GST_PTR_FORMAT, caps);
  GST_OBJECT_LOCK (self);
  gst_caps_replace (&self->caps, caps);
  GST_OBJECT_UNLOCK (self);
  self->info = info;
  self->is_video = GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_UNKNOWN;
  self->dmabuf_caps = gst_caps_features_contains (gst_caps_get_features (caps,
          0), GST_CAPS_FEATURE_MEMORY_DMABUF);

  if (!gst_base_src_set_caps (GST_BASE_SRC (self), caps))
    goto refused;
  gst_caps_unref (caps);
  return FLOW_AGAIN;

  /* ERRORS */
refused:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("Downstream does not accept the sender's caps."), ("%" GST_PTR_FORMAT,
          caps));
  gst_caps_unref (caps);
  return GST_FLOW_NOT_NEGOTIATED;
}

/* Memory @i: a dma-buf or a sealed memfd, its bytes within the fd. */
static gboolean
check_memory (GstZcFdSrc * self, const ZcFdBufferMsg * m, guint i, gint fd,
    ZcFdKind * kind, guint64 * fd_size, GError ** error)
{
  const ZcFdMemory *mem = &m->memories[i];
  GError *err = NULL;

  *kind = zc_fd_inspect (fd, fd_size, &err);
  if (*kind == ZC_FD_KIND_INVALID) {
    set_error (error, "memory %u: %s", i, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  if (mem->size == 0 || mem->offset > *fd_size
      || mem->size > *fd_size - mem->offset)
    return set_error (error, "memory %u: %" G_GUINT64_FORMAT " bytes at %"
        G_GUINT64_FORMAT " do not lie within its %s of %" G_GUINT64_FORMAT
        " bytes", i, mem->size, mem->offset, zc_fd_kind_name (*kind), *fd_size);
  if (self->dmabuf_caps && *kind != ZC_FD_KIND_DMABUF)
    return set_error (error, "memory %u is a %s, but the caps say "
        "memory:DMABuf", i, zc_fd_kind_name (*kind));
  return TRUE;
}

/* Bytes of a row of @plane's pixels, the least stride that holds one. */
static guint64
row_bytes (const GstVideoInfo * info, guint plane)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  gint comp[GST_VIDEO_MAX_COMPONENTS];
  gint pstride;

  gst_video_format_info_component (finfo, plane, comp);
  pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[0]);
  /* packed formats without a pixel stride (v210, ...): the default one */
  if (pstride <= 0)
    return GST_VIDEO_INFO_PLANE_STRIDE (info, plane);
  return (guint64) GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp[0],
      GST_VIDEO_INFO_WIDTH (info)) * pstride;
}

/* The video meta describes the caps' frames, and each plane (rows of at
 * least a row of pixels) lies within the @total bytes of the frame. */
static gboolean
check_video_meta (GstZcFdSrc * self, const ZcFdBufferMsg * m, guint64 total,
    GError ** error)
{
  const GstVideoInfo *info = &self->info;
  guint p;

  if (!self->is_video)
    return set_error (error, "a video meta on frames of non-video caps");
  if (m->format != (guint32) GST_VIDEO_INFO_FORMAT (info)
      || m->width != (guint32) GST_VIDEO_INFO_WIDTH (info)
      || m->height != (guint32) GST_VIDEO_INFO_HEIGHT (info)
      || m->n_planes != GST_VIDEO_INFO_N_PLANES (info))
    return set_error (error, "video meta (format %u, %ux%u, %u planes) does "
        "not match the caps (%s, %dx%d, %u planes)", m->format, m->width,
        m->height, m->n_planes, GST_VIDEO_INFO_NAME (info),
        GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info),
        GST_VIDEO_INFO_N_PLANES (info));

  for (p = 0; p < m->n_planes; p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    guint64 rows, size;

    gst_video_format_info_component (info->finfo, p, comp);
    rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (info->finfo, comp[0],
        GST_VIDEO_INFO_HEIGHT (info));
    if (m->strides[p] <= 0 || (guint64) m->strides[p] < row_bytes (info, p))
      return set_error (error, "plane %u: stride %d is less than a row of "
          "%" G_GUINT64_FORMAT " bytes", p, m->strides[p], row_bytes (info, p));
    size = rows * m->strides[p];
    if (m->offsets[p] > total || size > total - m->offsets[p])
      return set_error (error, "plane %u: %" G_GUINT64_FORMAT " bytes at %"
          G_GUINT64_FORMAT " do not lie within the frame's %" G_GUINT64_FORMAT
          " bytes", p, size, m->offsets[p], total);
  }
  return TRUE;
}

/* Everything about a frame message but the fds' contents. */
static gboolean
check_frame (GstZcFdSrc * self, const ZcFdMessage * msg, ZcFdKind * kinds,
    guint64 * fd_sizes, GError ** error)
{
  const ZcFdBufferMsg *m = (const ZcFdBufferMsg *) ((const guint8 *)
      msg->data + sizeof (ZcFdHeader));
  guint64 total = 0;
  guint i;

  if (msg->size != sizeof (ZcFdHeader) + sizeof (ZcFdBufferMsg))
    return set_error (error, "frame message of %" G_GSIZE_FORMAT " bytes, "
        "expected %" G_GSIZE_FORMAT, msg->size,
        sizeof (ZcFdHeader) + sizeof (ZcFdBufferMsg));
  if (!self->caps)
    return set_error (error, "a frame before any caps");
  if (m->n_memories == 0 || m->n_memories > ZC_FD_MAX_MEMORIES)
    return set_error (error, "a frame of %u memories (1 to %d)",
        m->n_memories, ZC_FD_MAX_MEMORIES);
  if (msg->n_fds != m->n_memories)
    return set_error (error, "%u fds for %u memories", msg->n_fds,
        m->n_memories);

  for (i = 0; i < m->n_memories; i++) {
    if (!check_memory (self, m, i, msg->fds[i], &kinds[i], &fd_sizes[i], error))
      return FALSE;
    total += m->memories[i].size;
  }
  if (m->has_video_meta)
    return check_video_meta (self, m, total, error);
  if (self->is_video && total < GST_VIDEO_INFO_SIZE (&self->info))
    return set_error (error, "frame of %" G_GUINT64_FORMAT " bytes, the "
        "caps' frames are %" G_GSIZE_FORMAT, total,
        GST_VIDEO_INFO_SIZE (&self->info));
  return TRUE;
}

/* ---- making the buffer ---- */

static GstClockTime
to_running_time (GstZcFdSrc * self, guint64 monotonic)
{
  GstElement *element = GST_ELEMENT (self);
  GstClock *clock = gst_element_get_clock (element);
  GstClockTime base = gst_element_get_base_time (element);
  gint64 rt;

  if (!clock || !GST_CLOCK_TIME_IS_VALID (monotonic)
      || !GST_CLOCK_TIME_IS_VALID (base)) {
    gst_clear_object (&clock);
    return GST_CLOCK_TIME_NONE;
  }
  rt = (gint64) (monotonic - zc_fd_clock_to_monotonic (clock)) - (gint64) base;
  gst_object_unref (clock);
  return rt < 0 ? 0 : (GstClockTime) rt;
}

static void
set_timestamps (GstZcFdSrc * self, GstBuffer * buf, const ZcFdBufferMsg * m)
{
  GstZcFdSrcTimestampMode mode;

  GST_OBJECT_LOCK (self);
  mode = self->timestamp_mode;
  GST_OBJECT_UNLOCK (self);

  if (mode == GST_ZC_FD_SRC_TIMESTAMP_MODE_ORIGINAL) {
    GST_BUFFER_PTS (buf) = m->pts;
    GST_BUFFER_DTS (buf) = m->dts;
  } else {
    GST_BUFFER_PTS (buf) = to_running_time (self, m->pts_clock);
    GST_BUFFER_DTS (buf) = to_running_time (self, m->dts_clock);
  }
  GST_BUFFER_DURATION (buf) = m->duration;
  GST_BUFFER_FLAG_SET (buf, m->flags & ZC_FD_BUFFER_FLAGS);
}

static void
add_video_meta (GstBuffer * buf, const ZcFdBufferMsg * m)
{
  gsize offsets[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strides[GST_VIDEO_MAX_PLANES] = { 0, };
  guint p;

  for (p = 0; p < m->n_planes; p++) {
    offsets[p] = m->offsets[p];
    strides[p] = m->strides[p];
  }
  gst_buffer_add_video_meta_full (buf, m->video_flags, m->format, m->width,
      m->height, m->n_planes, offsets, strides);
}

/* Wraps the checked fds (the memories own them from here on) as
 * read-only memories, the last of which to be freed releases the frame. */
static GstBuffer *
wrap_frame (GstZcFdSrc * self, const ZcFdBufferMsg * m, const gint * fds,
    const ZcFdKind * kinds, const guint64 * fd_sizes)
{
  GstBuffer *buf = gst_buffer_new ();
  Release *rel = g_new0 (Release, 1);
  guint i;

  rel->n_memories = m->n_memories;
  rel->id = m->id;
  rel->conn = connection_ref (self->conn);
  for (i = 0; i < m->n_memories; i++) {
    GstMemory *mem;

    if (kinds[i] == ZC_FD_KIND_DMABUF)
      mem = gst_zc_dmabuf_allocator_import
          (gst_zc_dmabuf_allocator_get_importer (), fds[i], fd_sizes[i]);
    else
      mem = gst_fd_allocator_alloc (self->memfd_allocator, fds[i],
          fd_sizes[i], GST_FD_MEMORY_FLAG_KEEP_MAPPED);
    gst_memory_resize (mem, m->memories[i].offset, m->memories[i].size);
    GST_MINI_OBJECT_FLAG_SET (mem, GST_MEMORY_FLAG_READONLY);
    gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (mem), release_quark (),
        rel, (GDestroyNotify) release_unref);
    gst_buffer_append_memory (buf, mem);
  }
  /* appending set it; the memories are as the sender made them */
  GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_TAG_MEMORY);
  if (m->has_video_meta)
    add_video_meta (buf, m);
  set_timestamps (self, buf, m);
  return buf;
}

static GstFlowReturn
take_frame (GstZcFdSrc * self, ZcFdMessage * msg, GstBuffer ** outbuf,
    GError ** error)
{
  const ZcFdBufferMsg *m = (const ZcFdBufferMsg *) ((const guint8 *)
      msg->data + sizeof (ZcFdHeader));
  ZcFdKind kinds[ZC_FD_MAX_MEMORIES];
  guint64 fd_sizes[ZC_FD_MAX_MEMORIES];

  if (!check_frame (self, msg, kinds, fd_sizes, error))
    return GST_FLOW_ERROR;

  *outbuf = wrap_frame (self, m, msg->fds, kinds, fd_sizes);
  msg->n_fds = 0;
  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": %" GST_PTR_FORMAT,
      m->id, *outbuf);
  return GST_FLOW_OK;
}

/* ---- the streaming thread ---- */

static GstFlowReturn
dispatch (GstZcFdSrc * self, ZcFdMessage * msg, GstBuffer ** outbuf,
    GError ** error)
{
  guint16 type;

  if (!zc_fd_message_check (msg, &type, error))
    return GST_FLOW_ERROR;

  switch (type) {
    case ZC_FD_MSG_CAPS:
      return take_caps (self, msg, error);
    case ZC_FD_MSG_BUFFER:
      return take_frame (self, msg, outbuf, error);
    case ZC_FD_MSG_EOS:
      if (msg->size != sizeof (ZcFdHeader) || msg->n_fds > 0) {
        set_error (error, "EOS with %" G_GSIZE_FORMAT " payload bytes and "
            "%u fds", msg->size - sizeof (ZcFdHeader), msg->n_fds);
        return GST_FLOW_ERROR;
      }
      GST_DEBUG_OBJECT (self, "EOS from the sender");
      return GST_FLOW_EOS;
    default:
      set_error (error, "message of type %u, which a sink does not send", type);
      return GST_FLOW_ERROR;
  }
}

/* One message; FLOW_AGAIN when it was not a frame (or nothing came). */
static GstFlowReturn
read_message (GstZcFdSrc * self, GstBuffer ** outbuf)
{
  GError *err = NULL;
  GstFlowReturn ret;
  gssize n;

  n = zc_fd_recv (self->fd, &self->msg, ZC_FD_MAX_MESSAGE);
  if (n == -EAGAIN)
    return FLOW_AGAIN;
  if (n <= 0)
    goto closed;

  ret = dispatch (self, &self->msg, outbuf, &err);
  zc_fd_message_close_fds (&self->msg);
  if (ret == GST_FLOW_ERROR && err)
    goto malformed;
  return ret;

  /* ERRORS */
closed:
  zc_fd_message_close_fds (&self->msg);
  GST_ELEMENT_ERROR (self, RESOURCE, READ,
      ("The sender (zcfdsink) went away before the end of the stream."),
      ("%s%s", n == 0 ? "connection closed" : g_strerror (-n),
          self->caps ? "" : ", before any caps (the sink may have its "
          "max-receivers already)"));
  return GST_FLOW_ERROR;
malformed:
  GST_ELEMENT_ERROR (self, RESOURCE, READ,
      ("The sender (zcfdsink) sent a message that breaks the protocol."),
      ("%s", err->message));
  g_clear_error (&err);
  return GST_FLOW_ERROR;
}

/* Until a message can be read, sending meanwhile the releases that found
 * the socket full. */
static GstFlowReturn
wait_readable (GstZcFdSrc * self)
{
  gboolean pending = !connection_flush (self->conn);
  gint n;

  gst_poll_fd_ctl_write (self->poll, &self->pfd, pending);
  n = gst_poll_wait (self->poll, GST_CLOCK_TIME_NONE);
  if (n < 0 && errno == EBUSY)
    return GST_FLOW_FLUSHING;
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return FLOW_AGAIN;
  if (n < 0)
    goto poll_failed;
  if (gst_poll_fd_can_read (self->poll, &self->pfd)
      || gst_poll_fd_has_closed (self->poll, &self->pfd)
      || gst_poll_fd_has_error (self->poll, &self->pfd))
    return GST_FLOW_OK;
  return FLOW_AGAIN;

  /* ERRORS */
poll_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, READ,
      ("Could not wait for frames."), ("poll: %s", g_strerror (errno)));
  return GST_FLOW_ERROR;
}

static GstFlowReturn
gst_zc_fd_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstZcFdSrc *self = GST_ZC_FD_SRC (psrc);
  GstFlowReturn ret;

  do {
    ret = wait_readable (self);
    if (ret == GST_FLOW_OK)
      ret = read_message (self, outbuf);
  } while (ret == FLOW_AGAIN);
  return ret;
}

/* The caps are the sender's: nothing to choose. */
static gboolean
gst_zc_fd_src_negotiate (GstBaseSrc * bsrc)
{
  GstZcFdSrc *self = GST_ZC_FD_SRC (bsrc);
  GstCaps *caps = NULL;
  gboolean ok = TRUE;

  GST_OBJECT_LOCK (self);
  if (self->caps)
    caps = gst_caps_ref (self->caps);
  GST_OBJECT_UNLOCK (self);
  if (caps) {
    ok = gst_base_src_set_caps (bsrc, caps);
    gst_caps_unref (caps);
  }
  return ok;
}

static GstCaps *
gst_zc_fd_src_get_caps (GstBaseSrc * bsrc, GstCaps * filter)
{
  GstZcFdSrc *self = GST_ZC_FD_SRC (bsrc);
  GstCaps *caps = NULL, *ret;

  GST_OBJECT_LOCK (self);
  if (self->caps)
    caps = gst_caps_ref (self->caps);
  GST_OBJECT_UNLOCK (self);
  if (!caps)
    caps = gst_pad_get_pad_template_caps (GST_BASE_SRC_PAD (bsrc));
  if (!filter)
    return caps;
  ret = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref (caps);
  return ret;
}

/* ---- start, stop, unlock ---- */

static gint
connect_to (const gchar * path, GError ** error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  gint fd, err;

  if (strlen (path) >= sizeof (addr.sun_path))
    goto too_long;
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto failed;
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0) {
    err = errno;
    close (fd);
    errno = err;
    goto failed;
  }
  return fd;

  /* ERRORS */
too_long:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
      "socket-path is %" G_GSIZE_FORMAT " bytes, at most %" G_GSIZE_FORMAT,
      strlen (path), sizeof (addr.sun_path) - 1);
  return -1;
failed:
  err = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s: %s",
      path, g_strerror (err));
  return -1;
}

static gboolean
gst_zc_fd_src_start (GstBaseSrc * bsrc)
{
  GstZcFdSrc *self = GST_ZC_FD_SRC (bsrc);
  GError *err = NULL;
  gchar *path;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->socket_path);
  GST_OBJECT_UNLOCK (self);
  if (!path || !*path)
    goto no_path;

  self->fd = connect_to (path, &err);
  if (self->fd < 0)
    goto connect_failed;
  self->conn = connection_new (self->fd);
  self->msg.data = g_malloc (ZC_FD_MAX_MESSAGE);
  self->msg.n_fds = 0;
  gst_poll_fd_init (&self->pfd);
  self->pfd.fd = self->fd;
  gst_poll_add_fd (self->poll, &self->pfd);
  gst_poll_fd_ctl_read (self->poll, &self->pfd, TRUE);

  GST_INFO_OBJECT (self, "connected to %s (sender pid %d)", path,
      zc_fd_peer_pid (self->fd));
  g_free (path);
  return TRUE;

  /* ERRORS */
no_path:
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
      ("No socket-path was given to zcfdsrc."), ("socket-path is not set"));
  g_free (path);
  return FALSE;
connect_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
      ("Could not connect to a zcfdsink at %s.", path), ("%s", err->message));
  g_clear_error (&err);
  g_free (path);
  return FALSE;
}

static gboolean
gst_zc_fd_src_stop (GstBaseSrc * bsrc)
{
  GstZcFdSrc *self = GST_ZC_FD_SRC (bsrc);

  if (self->conn) {
    gst_poll_remove_fd (self->poll, &self->pfd);
    connection_close (self->conn);
    g_clear_pointer (&self->conn, connection_unref);
    self->fd = -1;
  }
  g_clear_pointer (&self->msg.data, g_free);
  GST_OBJECT_LOCK (self);
  gst_clear_caps (&self->caps);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_zc_fd_src_unlock (GstBaseSrc * bsrc)
{
  gst_poll_set_flushing (GST_ZC_FD_SRC (bsrc)->poll, TRUE);
  return TRUE;
}

static gboolean
gst_zc_fd_src_unlock_stop (GstBaseSrc * bsrc)
{
  gst_poll_set_flushing (GST_ZC_FD_SRC (bsrc)->poll, FALSE);
  return TRUE;
}

/* ---- GObject ---- */

static void
gst_zc_fd_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcFdSrc *self = GST_ZC_FD_SRC (object);

  switch (prop_id) {
    case PROP_SOCKET_PATH:
      GST_OBJECT_LOCK (self);
      g_free (self->socket_path);
      self->socket_path = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TIMESTAMP_MODE:
      GST_OBJECT_LOCK (self);
      self->timestamp_mode = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      gst_base_src_set_live (GST_BASE_SRC (self),
          g_value_get_enum (value) == GST_ZC_FD_SRC_TIMESTAMP_MODE_CLOCK);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_zc_fd_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstZcFdSrc *self = GST_ZC_FD_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SOCKET_PATH:
      g_value_set_string (value, self->socket_path);
      break;
    case PROP_TIMESTAMP_MODE:
      g_value_set_enum (value, self->timestamp_mode);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_zc_fd_src_finalize (GObject * object)
{
  GstZcFdSrc *self = GST_ZC_FD_SRC (object);

  gst_poll_free (self->poll);
  gst_object_unref (self->memfd_allocator);
  g_free (self->socket_path);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_zc_fd_src_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcFdSrc:socket-path:
   *
   * The Unix socket of the zcfdsink to receive from (a file system path of
   * at most 107 bytes), connected to when the source starts: the sink must
   * be started (READY to PAUSED) before; no sink there fails the start
   * with %GST_RESOURCE_ERROR_OPEN_READ.
   *
   * Since: 0.1
   */
  properties[PROP_SOCKET_PATH] = g_param_spec_string ("socket-path",
      "Socket path", "Path of the Unix socket of the zcfdsink to receive "
      "from (at most 107 bytes)", DEFAULT_SOCKET_PATH,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcFdSrc:timestamp-mode:
   *
   * `clock`: each frame's PTS and DTS are the instants (ns) the sender's
   * pipeline presents it, moved onto this pipeline's running time through
   * the machine's monotonic clock, and the source is live: a sink that
   * synchronises shows frames when the sender does, whenever the receiver
   * joined. `original`: the sender's buffer timestamps unchanged, and the
   * source is not live (for processing every frame in order, with
   * `sync=false` sinks). The duration is the sender's in both.
   *
   * Since: 0.1
   */
  properties[PROP_TIMESTAMP_MODE] = g_param_spec_enum ("timestamp-mode",
      "Timestamp mode", "Timestamps: the sender's presentation instant as "
      "running time (live), or the sender's as they were",
      GST_TYPE_ZC_FD_SRC_TIMESTAMP_MODE, DEFAULT_TIMESTAMP_MODE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);
}

static void
gst_zc_fd_src_class_init (GstZcFdSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *bsrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *psrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = gst_zc_fd_src_set_property;
  gobject_class->get_property = gst_zc_fd_src_get_property;
  gobject_class->finalize = gst_zc_fd_src_finalize;
  gst_zc_fd_src_install_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class,
      "Zero-copy fd source", "Source/Video",
      "Receives dma-buf and memfd frames from a zcfdsink in another process "
      "over a Unix socket, without copying", "gst-zerocopy");
  gst_element_class_add_static_pad_template (element_class, &src_template);

  bsrc_class->start = GST_DEBUG_FUNCPTR (gst_zc_fd_src_start);
  bsrc_class->stop = GST_DEBUG_FUNCPTR (gst_zc_fd_src_stop);
  bsrc_class->unlock = GST_DEBUG_FUNCPTR (gst_zc_fd_src_unlock);
  bsrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_zc_fd_src_unlock_stop);
  bsrc_class->negotiate = GST_DEBUG_FUNCPTR (gst_zc_fd_src_negotiate);
  bsrc_class->get_caps = GST_DEBUG_FUNCPTR (gst_zc_fd_src_get_caps);
  psrc_class->create = GST_DEBUG_FUNCPTR (gst_zc_fd_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_ZC_FD_SRC_TIMESTAMP_MODE, 0);
}

static void
gst_zc_fd_src_init (GstZcFdSrc * self)
{
  self->timestamp_mode = DEFAULT_TIMESTAMP_MODE;
  self->fd = -1;
  self->poll = gst_poll_new (TRUE);
  self->memfd_allocator = gst_fd_allocator_new ();
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_live (GST_BASE_SRC (self),
      DEFAULT_TIMESTAMP_MODE == GST_ZC_FD_SRC_TIMESTAMP_MODE_CLOCK);
}
