/* zcipc plugin: the wire protocol of zcfdsink and zcfdsrc
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcfdprotocol.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142        /* linux/magic.h, "DMAB" */
#endif

/* One message: the header and @payload, with @fds as SCM_RIGHTS, never
 * blocking (MSG_DONTWAIT) and without SIGPIPE (MSG_NOSIGNAL: a receiver
 * that died is an EPIPE here, not the death of this process). A
 * SOCK_SEQPACKET message is sent whole or not at all.
 * Returns: 0, or the errno (EAGAIN: no room in the socket now). */
gint
zc_fd_send (gint sock, ZcFdMsgType type, gconstpointer payload, gsize size,
    const gint * fds, guint n_fds)
{
  union
  {
    struct cmsghdr align;
    gchar buf[CMSG_SPACE (sizeof (gint) * ZC_FD_MAX_MEMORIES)];
  } control;
  ZcFdHeader header = { ZC_FD_MAGIC, ZC_FD_VERSION, type, size, n_fds };
  struct iovec iov[2] = { {&header, sizeof (header)},
  {(gpointer) payload, size}
  };
  struct msghdr mh = { 0 };
  gssize n;

  g_return_val_if_fail (n_fds <= ZC_FD_MAX_MEMORIES, EINVAL);

  mh.msg_iov = iov;
  mh.msg_iovlen = size ? 2 : 1;
  if (n_fds > 0) {
    struct cmsghdr *cmsg;

    memset (&control, 0, sizeof (control));
    mh.msg_control = control.buf;
    mh.msg_controllen = CMSG_SPACE (sizeof (gint) * n_fds);
    cmsg = CMSG_FIRSTHDR (&mh);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN (sizeof (gint) * n_fds);
    memcpy (CMSG_DATA (cmsg), fds, sizeof (gint) * n_fds);
  }

  do {
    n = sendmsg (sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);

  return n < 0 ? errno : 0;
}

static void
take_fds (ZcFdMessage * msg, struct msghdr *mh)
{
  struct cmsghdr *cmsg;

  for (cmsg = CMSG_FIRSTHDR (mh); cmsg; cmsg = CMSG_NXTHDR (mh, cmsg)) {
    guint i, n;

    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
      continue;
    n = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (gint);
    for (i = 0; i < n; i++) {
      gint fd;

      memcpy (&fd, CMSG_DATA (cmsg) + i * sizeof (gint), sizeof (gint));
      /* The control buffer holds ZC_FD_MAX_RECV_FDS: never more here. */
      if (msg->n_fds < ZC_FD_MAX_RECV_FDS)
        msg->fds[msg->n_fds++] = fd;
      else
        close (fd);
    }
  }
}

/* Receives one message into @msg->data (@capacity bytes), its fds into
 * @msg->fds (close-on-exec), without blocking. The caller owns the fds,
 * also when the message turns out to be bad or empty.
 * Returns: the bytes received, 0 when the peer closed the connection, or
 * -errno (-EAGAIN: nothing to read now). */
gssize
zc_fd_recv (gint sock, ZcFdMessage * msg, gsize capacity)
{
  union
  {
    struct cmsghdr align;
    gchar buf[CMSG_SPACE (sizeof (gint) * ZC_FD_MAX_RECV_FDS)];
  } control;
  struct iovec iov = { msg->data, capacity };
  struct msghdr mh = { 0 };
  gssize n;

  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof (control.buf);

  msg->capacity = capacity;
  msg->size = 0;
  msg->n_fds = 0;
  msg->truncated = msg->fds_truncated = FALSE;
  do {
    n = recvmsg (sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;

  take_fds (msg, &mh);
  msg->size = n;
  msg->truncated = (mh.msg_flags & MSG_TRUNC) != 0;
  msg->fds_truncated = (mh.msg_flags & MSG_CTRUNC) != 0;
  return n;
}

void
zc_fd_message_close_fds (ZcFdMessage * msg)
{
  guint i;

  for (i = 0; i < msg->n_fds; i++)
    close (msg->fds[i]);
  msg->n_fds = 0;
}

/* Checks what every message must be: whole, a header of this protocol
 * and version, exactly as long as the header says, with as many fds as
 * it declares. The payload is the caller's to check. */
gboolean
zc_fd_message_check (const ZcFdMessage * msg, guint16 * type, GError ** error)
{
  const ZcFdHeader *h = msg->data;

  if (msg->truncated)
    goto too_long;
  if (msg->fds_truncated)
    goto too_many_fds;
  if (msg->size < sizeof (ZcFdHeader))
    goto short_message;
  if (h->magic != ZC_FD_MAGIC)
    goto bad_magic;
  if (h->version != ZC_FD_VERSION)
    goto bad_version;
  if (h->size != msg->size - sizeof (ZcFdHeader))
    goto bad_size;
  if (h->n_fds != msg->n_fds)
    goto bad_n_fds;

  *type = h->type;
  return TRUE;

  /* ERRORS */
too_long:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "message longer than the %" G_GSIZE_FORMAT " bytes expected",
      msg->capacity);
  return FALSE;
too_many_fds:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "more than %d fds in one message", ZC_FD_MAX_RECV_FDS);
  return FALSE;
short_message:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "short message: %" G_GSIZE_FORMAT " bytes, a header alone is %"
      G_GSIZE_FORMAT, msg->size, sizeof (ZcFdHeader));
  return FALSE;
bad_magic:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "bad magic 0x%08x (not the zcfd protocol)", h->magic);
  return FALSE;
bad_version:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "protocol version %u, this end speaks version %d", h->version,
      ZC_FD_VERSION);
  return FALSE;
bad_size:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "header says %u payload bytes, %" G_GSIZE_FORMAT " arrived", h->size,
      msg->size - sizeof (ZcFdHeader));
  return FALSE;
bad_n_fds:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "header declares %u fds, %u arrived", h->n_fds, msg->n_fds);
  return FALSE;
}

static const gchar *
describe_mode (mode_t mode)
{
  if (S_ISFIFO (mode))
    return "a pipe";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISREG (mode))
    return "a regular file";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISDIR (mode))
    return "a directory";
  return "an fd of another kind";
}

/* A memfd (or any shmem file) answers F_GET_SEALS; only one sealed with
 * F_SEAL_SHRINK is taken: a sender able to truncate it under the
 * receiver's mapping would make the receiver's reads die of SIGBUS. */
static ZcFdKind
inspect_memfd (gint fd, const struct stat *st, guint64 * size, GError ** error)
{
  gint seals = fcntl (fd, F_GET_SEALS);

  if (seals < 0)
    goto not_memfd;
  if (!(seals & F_SEAL_SHRINK))
    goto not_sealed;
  if (!S_ISREG (st->st_mode) || st->st_size <= 0)
    goto empty;

  *size = st->st_size;
  return ZC_FD_KIND_MEMFD;

  /* ERRORS */
not_memfd:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "fd is %s, neither a dma-buf nor a memfd", describe_mode (st->st_mode));
  return ZC_FD_KIND_INVALID;
not_sealed:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "fd is a memfd or tmpfs file without F_SEAL_SHRINK (seals 0x%x): its "
      "sender could truncate it under the mapping", seals);
  return ZC_FD_KIND_INVALID;
empty:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "memfd of %" G_GINT64_FORMAT " bytes", (gint64) st->st_size);
  return ZC_FD_KIND_INVALID;
}

/* What @fd is and its size in bytes. A dma-buf is recognised by the
 * magic of the file system its inode lives in (fstatfs f_type ==
 * DMA_BUF_MAGIC, the kernel's dma-buf pseudo file system); its size is
 * lseek (SEEK_END), which the dma-buf documentation gives as the way to
 * learn it and which does not move the file position. */
ZcFdKind
zc_fd_inspect (gint fd, guint64 * size, GError ** error)
{
  struct statfs sfs;
  struct stat st;
  off_t end;

  if (fstatfs (fd, &sfs) < 0 || fstat (fd, &st) < 0)
    goto stat_failed;
  if (sfs.f_type != DMA_BUF_MAGIC)
    return inspect_memfd (fd, &st, size, error);

  end = lseek (fd, 0, SEEK_END);
  if (end <= 0)
    goto no_size;
  *size = end;
  return ZC_FD_KIND_DMABUF;

  /* ERRORS */
stat_failed:
  {
    gint err = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "fstat of a received fd failed: %s", g_strerror (err));
    return ZC_FD_KIND_INVALID;
  }
no_size:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "dma-buf of no size (lseek SEEK_END: %s)",
      end < 0 ? g_strerror (errno) : "0");
  return ZC_FD_KIND_INVALID;
}

const gchar *
zc_fd_kind_name (ZcFdKind kind)
{
  switch (kind) {
    case ZC_FD_KIND_DMABUF:
      return "dma-buf";
    case ZC_FD_KIND_MEMFD:
      return "memfd";
    default:
      return "invalid";
  }
}

/* The process at the other end of a connected Unix socket, for the logs;
 * -1 when the kernel does not say. */
gint
zc_fd_peer_pid (gint sock)
{
  struct ucred cred;
  socklen_t len = sizeof (cred);

  if (getsockopt (sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
    return -1;
  return cred.pid;
}

/* What to add to a time of @clock to make it a CLOCK_MONOTONIC time: 0
 * for the system clock in its default (monotonic) mode, else the two
 * clocks' difference now. Both processes on one machine share
 * CLOCK_MONOTONIC: it is how their pipelines agree on instants. */
GstClockTimeDiff
zc_fd_clock_to_monotonic (GstClock * clock)
{
  GstClockType type = GST_CLOCK_TYPE_REALTIME;

  if (G_OBJECT_TYPE (clock) == GST_TYPE_SYSTEM_CLOCK) {
    g_object_get (clock, "clock-type", &type, NULL);
    if (type == GST_CLOCK_TYPE_MONOTONIC)
      return 0;
  }
  return g_get_monotonic_time () * GST_USECOND - gst_clock_get_time (clock);
}
