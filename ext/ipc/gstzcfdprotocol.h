/* zcipc plugin: the wire protocol of zcfdsink and zcfdsrc
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * docs/ipc.md describes the protocol for people; this header is its
 * definition. Both ends run on one machine (a Unix socket), so every field
 * is in the host's byte order and the structures have a fixed layout with
 * no padding (checked below).
 */

#ifndef __GST_ZC_FD_PROTOCOL_H__
#define __GST_ZC_FD_PROTOCOL_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* "ZCFD" in memory order on a little-endian machine */
#define ZC_FD_MAGIC 0x4446435au
#define ZC_FD_VERSION 1

/* A video frame has at most 4 planes; a buffer of zcfdsink carries at most
 * that many memories (one fd each). */
#define ZC_FD_MAX_MEMORIES 4
#define ZC_FD_MAX_PLANES 4
/* Caps strings, NUL included. */
#define ZC_FD_MAX_CAPS_SIZE 16384
/* The receiving ends take up to this many fds in one message so that a
 * message with too many is seen (and its fds closed) rather than cut. */
#define ZC_FD_MAX_RECV_FDS 16

typedef enum
{
  ZC_FD_MSG_CAPS = 1,           /* sink -> src: caps string */
  ZC_FD_MSG_BUFFER = 2,         /* sink -> src: ZcFdBufferMsg + fds */
  ZC_FD_MSG_EOS = 3,            /* sink -> src: no payload */
  ZC_FD_MSG_RELEASE = 4,        /* src -> sink: ZcFdReleaseMsg */
} ZcFdMsgType;

/* Every message starts with this header; @size counts the payload bytes
 * after it, and the message is exactly sizeof (header) + @size bytes. */
typedef struct
{
  guint32 magic;
  guint16 version;
  guint16 type;                 /* ZcFdMsgType */
  guint32 size;
  guint32 n_fds;                /* fds in the message's SCM_RIGHTS */
} ZcFdHeader;

typedef struct
{
  guint64 offset;               /* bytes from the start of the fd */
  guint64 size;                 /* bytes */
} ZcFdMemory;

/* Timestamps in ns, G_MAXUINT64 (GST_CLOCK_TIME_NONE) for none. */
typedef struct
{
  guint64 id;                   /* returned in ZC_FD_MSG_RELEASE */
  guint64 pts;                  /* the sender's buffer timestamps */
  guint64 dts;
  guint64 duration;
  guint64 pts_clock;            /* CLOCK_MONOTONIC time the sender */
  guint64 dts_clock;            /* presents the frame (running time) */
  guint32 flags;                /* GstBufferFlags, ZC_FD_BUFFER_FLAGS */
  guint32 n_memories;           /* 1..ZC_FD_MAX_MEMORIES, = header n_fds */
  ZcFdMemory memories[ZC_FD_MAX_MEMORIES];
  /* GstVideoMeta, when has_video_meta is 1 */
  guint32 has_video_meta;
  guint32 video_flags;          /* GstVideoFrameFlags */
  guint32 format;               /* GstVideoFormat */
  guint32 width;                /* pixels */
  guint32 height;               /* pixels */
  guint32 n_planes;
  guint64 offsets[ZC_FD_MAX_PLANES];    /* bytes into the buffer */
  gint32 strides[ZC_FD_MAX_PLANES];     /* bytes */
} ZcFdBufferMsg;

typedef struct
{
  guint64 id;
} ZcFdReleaseMsg;

G_STATIC_ASSERT (sizeof (ZcFdHeader) == 16);
G_STATIC_ASSERT (sizeof (ZcFdMemory) == 16);
G_STATIC_ASSERT (sizeof (ZcFdBufferMsg) == 192);
G_STATIC_ASSERT (sizeof (ZcFdReleaseMsg) == 8);

/* The largest message of the protocol: a header and a caps string. */
#define ZC_FD_MAX_MESSAGE (sizeof (ZcFdHeader) + ZC_FD_MAX_CAPS_SIZE)

/* The buffer flags that travel; the others describe the sender's memory
 * or its pipeline, not the frame. */
#define ZC_FD_BUFFER_FLAGS (GST_BUFFER_FLAG_LIVE | GST_BUFFER_FLAG_DISCONT | \
    GST_BUFFER_FLAG_RESYNC | GST_BUFFER_FLAG_CORRUPTED | \
    GST_BUFFER_FLAG_MARKER | GST_BUFFER_FLAG_HEADER | GST_BUFFER_FLAG_GAP | \
    GST_BUFFER_FLAG_DROPPABLE | GST_BUFFER_FLAG_DELTA_UNIT | \
    GST_BUFFER_FLAG_NON_DROPPABLE)

/* What an fd received in a ZC_FD_MSG_BUFFER turned out to be. */
typedef enum
{
  ZC_FD_KIND_INVALID = 0,
  ZC_FD_KIND_DMABUF,
  ZC_FD_KIND_MEMFD,
} ZcFdKind;

/* One received message. */
typedef struct
{
  gpointer data;                /* header + payload */
  gsize capacity;               /* bytes data can hold */
  gsize size;                   /* bytes received */
  gint fds[ZC_FD_MAX_RECV_FDS];
  guint n_fds;
  gboolean truncated;           /* longer than the buffer: MSG_TRUNC */
  gboolean fds_truncated;       /* more fds than room: MSG_CTRUNC */
} ZcFdMessage;

G_GNUC_INTERNAL
gint      zc_fd_send         (gint sock, ZcFdMsgType type,
                              gconstpointer payload, gsize size,
                              const gint * fds, guint n_fds);

G_GNUC_INTERNAL
gssize    zc_fd_recv         (gint sock, ZcFdMessage * msg, gsize capacity);

G_GNUC_INTERNAL
void      zc_fd_message_close_fds (ZcFdMessage * msg);

G_GNUC_INTERNAL
gboolean  zc_fd_message_check (const ZcFdMessage * msg, guint16 * type,
                               GError ** error);

G_GNUC_INTERNAL
ZcFdKind  zc_fd_inspect      (gint fd, guint64 * size, GError ** error);

G_GNUC_INTERNAL
const gchar * zc_fd_kind_name (ZcFdKind kind);

G_GNUC_INTERNAL
gint      zc_fd_peer_pid     (gint sock);

G_GNUC_INTERNAL
GstClockTimeDiff zc_fd_clock_to_monotonic (GstClock * clock);

G_END_DECLS

#endif /* __GST_ZC_FD_PROTOCOL_H__ */
