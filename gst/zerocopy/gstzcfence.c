/* GStreamer zero-copy library: waiting for devices
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzcfence
 * @title: Fences
 * @short_description: wait until a device is done with a dma-buf
 *
 * `DMA_BUF_IOCTL_SYNC` only makes caches coherent; before the CPU reads
 * what a device wrote it must wait for the device. With implicit fencing
 * the kernel's dma-buf docs ("Implicit Fence Poll Support") say how:
 * `poll()` on the dma-buf fd reports POLLIN once every writer is done (the
 * buffer may be read) and POLLOUT once every reader and writer is done (it
 * may be written). Fds that are not dma-bufs (memfd) are always ready.
 *
 * Explicit fences travel as sync_file fds (a device's out-fence, a
 * `sw_sync` point): gst_zc_dmabuf_import_sync_file() turns one into an
 * implicit fence of a dma-buf, so every implicitly synchronised user
 * (poll(), `DMA_BUF_IOCTL_SYNC`, a KMS commit) waits for it, and
 * gst_zc_dmabuf_export_sync_file() takes a dma-buf's current implicit
 * fences out as one sync_file.
 *
 * Memory that no kernel driver can fence (memfd, a dma-buf no fencing
 * driver imports) is fenced by a #GstZcFenceMeta on the buffer;
 * gst_zc_fence_wait_buffer() waits for both kinds.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcfence.h"
#include "gstzcfencemeta.h"
#include "gstzcprivate.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <linux/dma-buf.h>

#include <gio/gio.h>
#include <gst/allocators/allocators.h>

#define GST_CAT_DEFAULT gst_zc_fence_debug

static gboolean
wait_until (gint fd, gshort events, gint64 deadline, GError ** error)
{
  struct pollfd pfd = { fd, events, 0 };
  struct timespec ts, *tsp;
  gint ret;

  do {
    tsp = NULL;
    if (deadline >= 0) {
      gint64 left = MAX (0, deadline - g_get_monotonic_time ());
      ts.tv_sec = left / G_USEC_PER_SEC;
      ts.tv_nsec = (left % G_USEC_PER_SEC) * 1000;
      tsp = &ts;
    }
    ret = ppoll (&pfd, 1, tsp, NULL);
  } while (ret < 0 && (errno == EINTR || errno == EAGAIN));

  if (ret < 0)
    goto poll_failed;
  if (ret == 0)
    goto timed_out;
  if (pfd.revents & (POLLERR | POLLNVAL))
    goto bad_fd;

  return TRUE;

  /* ERRORS */
poll_failed:
  {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "poll on dma-buf fd %d failed: %s", fd, g_strerror (err));
    return FALSE;
  }
timed_out:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "the device did not finish with dma-buf fd %d in time (%s)", fd,
      events == POLLIN ? "still being written" : "still in use");
  return FALSE;
bad_fd:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
      "poll on fd %d reported an error (revents 0x%x)", fd, pfd.revents);
  return FALSE;
}

static gint64
deadline_from_timeout (GstClockTime timeout)
{
  if (!GST_CLOCK_TIME_IS_VALID (timeout))
    return -1;
  return g_get_monotonic_time () + timeout / GST_USECOND;
}

/* What is left of @deadline, as a timeout for the fence meta. */
static GstClockTime
timeout_from_deadline (gint64 deadline)
{
  if (deadline < 0)
    return GST_CLOCK_TIME_NONE;
  return MAX (0, deadline - g_get_monotonic_time ()) * GST_USECOND;
}

static gshort
events_for (GstMapFlags flags)
{
  /* Writing must wait for readers too; reading only for writers. */
  return (flags & GST_MAP_WRITE) ? POLLOUT : POLLIN;
}

/**
 * gst_zc_fence_wait_fd:
 * @fd: a dma-buf (or any pollable) file descriptor
 * @flags: %GST_MAP_READ to wait until the CPU may read (writers done),
 *   %GST_MAP_WRITE to wait until it may write (readers and writers done)
 * @timeout: the longest wait in nanoseconds, %GST_CLOCK_TIME_NONE for no
 *   limit, 0 to only check
 * @error: return location for a #GError
 *
 * Waits for the implicit fences of a dma-buf with `poll()` (POLLIN for
 * READ, POLLOUT for WRITE), restarted on EINTR.
 *
 * Returns: %TRUE when the buffer is ready; %FALSE with @error set to
 * %G_IO_ERROR_TIMED_OUT when @timeout passed first, or another
 * %G_IO_ERROR when poll failed.
 *
 * Since: 0.1
 */
gboolean
gst_zc_fence_wait_fd (gint fd, GstMapFlags flags, GstClockTime timeout,
    GError ** error)
{
  g_return_val_if_fail (fd >= 0, FALSE);
  gst_zc_debug_init ();

  return wait_until (fd, events_for (flags), deadline_from_timeout (timeout),
      error);
}

/**
 * gst_zc_fence_wait_buffer:
 * @buffer: a buffer
 * @flags: as for gst_zc_fence_wait_fd()
 * @timeout: the longest wait for the whole buffer in nanoseconds, or
 *   %GST_CLOCK_TIME_NONE
 * @error: return location for a #GError
 *
 * Waits for every #GstZcFenceMeta of @buffer (the project's own fences,
 * for memory no kernel driver fences: gst_zc_fence_meta_wait_buffer()),
 * then gst_zc_fence_wait_fd() on every fd-backed memory of @buffer, all
 * within one shared @timeout. Memory without an fd (system memory) and
 * without a fence meta is always ready. Every consumer waits for a device
 * through this call, whichever kind of fence the device left.
 *
 * Returns: %TRUE when every fence is signalled and every memory is ready;
 * %FALSE with @error set as for gst_zc_fence_wait_fd(), or as for
 * gst_zc_fence_meta_wait() when a fence meta timed out or was signalled
 * with an error (the writer gave up: the content is undefined).
 *
 * Since: 0.1
 */
gboolean
gst_zc_fence_wait_buffer (GstBuffer * buffer, GstMapFlags flags,
    GstClockTime timeout, GError ** error)
{
  gint64 deadline = deadline_from_timeout (timeout);
  guint i, n;
  gint last_fd = -1;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);
  gst_zc_debug_init ();

  /* The meta first: a device may fence the queued job with it alone and
   * add its kernel fence only once the job runs. */
  if (!gst_zc_fence_meta_wait_buffer (buffer, timeout_from_deadline
          (deadline), error))
    return FALSE;

  n = gst_buffer_n_memory (buffer);
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buffer, i);
    gint fd;

    if (!gst_is_fd_memory (mem))
      continue;
    fd = gst_fd_memory_get_fd (mem);
    /* Planes that share one dma-buf need one wait. */
    if (fd == last_fd)
      continue;
    if (!wait_until (fd, events_for (flags), deadline, error))
      return FALSE;
    last_fd = fd;
  }

  return TRUE;
}

/* ENOTTY: the fd is not a dma-buf, or the kernel predates the ioctl
 * (Linux 6.0); callers fall back to waiting on the CPU. */
static void
set_sync_file_error (GError ** error, const gchar * what, gint dmabuf_fd,
    gint err)
{
  GIOErrorEnum code = err == ENOTTY ? G_IO_ERROR_NOT_SUPPORTED :
      g_io_error_from_errno (err);

  if (err == ENOTTY)
    GST_DEBUG ("%s on fd %d: not supported", what, dmabuf_fd);
  else
    GST_WARNING ("%s on fd %d failed: %s (%d)", what, dmabuf_fd,
        g_strerror (err), err);
  g_set_error (error, G_IO_ERROR, code, "%s on fd %d failed: %s%s", what,
      dmabuf_fd, g_strerror (err), err == ENOTTY ?
      " (not a dma-buf, or a kernel older than 6.0)" : "");
}

/**
 * gst_zc_dmabuf_import_sync_file:
 * @dmabuf_fd: a dma-buf file descriptor
 * @sync_file_fd: a sync_file file descriptor (a device's out-fence, a
 *   `sw_sync` point, or one from gst_zc_dmabuf_export_sync_file()); it is
 *   not consumed: the caller still owns it and closes it
 * @flags: %GST_MAP_WRITE to add the fence as a write fence, %GST_MAP_READ
 *   alone to add it as a read fence
 * @error: return location for a #GError
 *
 * Adds the fence of @sync_file_fd to the implicit fences of the dma-buf
 * with `DMA_BUF_IOCTL_IMPORT_SYNC_FILE` (restarted on EINTR/EAGAIN). The
 * kernel's rule (uapi `linux/dma-buf.h`, struct dma_buf_import_sync_file):
 * with `DMA_BUF_SYNC_WRITE` it becomes a write fence, and every later
 * implicitly synchronised access waits for it: poll() with POLLIN or
 * POLLOUT, `DMA_BUF_SYNC_START` in either direction, a device reading the
 * buffer; with `DMA_BUF_SYNC_READ` alone it becomes a read fence, and only
 * later writers (POLLOUT, `SYNC_START|WRITE`) wait for it. So a producer
 * that signals a sync_file when it has written the buffer imports it with
 * %GST_MAP_WRITE.
 *
 * Returns: %TRUE when the fence was added; %FALSE with @error set to
 * %G_IO_ERROR_NOT_SUPPORTED when the kernel answered `ENOTTY` (@dmabuf_fd
 * is not a dma-buf, or the kernel is older than 6.0 and lacks the ioctl),
 * %G_IO_ERROR_INVALID_ARGUMENT for `EINVAL` (@sync_file_fd is not a
 * sync_file), or the #GIOErrorEnum of another errno.
 *
 * Since: 0.1
 */
gboolean
gst_zc_dmabuf_import_sync_file (gint dmabuf_fd, gint sync_file_fd,
    GstMapFlags flags, GError ** error)
{
  struct dma_buf_import_sync_file arg;
  gint ret;

  g_return_val_if_fail (dmabuf_fd >= 0, FALSE);
  g_return_val_if_fail (sync_file_fd >= 0, FALSE);
  g_return_val_if_fail ((flags & GST_MAP_READWRITE) != 0, FALSE);
  gst_zc_debug_init ();

  memset (&arg, 0, sizeof (arg));
  /* WRITE alone, not RW: the kernel treats both as a write fence. */
  arg.flags = (flags & GST_MAP_WRITE) ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ;
  arg.fd = sync_file_fd;

  do {
    ret = ioctl (dmabuf_fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &arg);
  } while (ret < 0 && (errno == EINTR || errno == EAGAIN));

  if (ret < 0) {
    set_sync_file_error (error, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE", dmabuf_fd,
        errno);
    return FALSE;
  }

  GST_DEBUG ("sync_file %d added to dma-buf %d as a %s fence", sync_file_fd,
      dmabuf_fd, (flags & GST_MAP_WRITE) ? "write" : "read");
  return TRUE;
}

/**
 * gst_zc_dmabuf_export_sync_file:
 * @dmabuf_fd: a dma-buf file descriptor
 * @flags: %GST_MAP_READ for a fence that covers the writers (the buffer
 *   may be read once it signals), %GST_MAP_WRITE (with or without READ)
 *   for one that covers every reader and writer (it may be written)
 * @error: return location for a #GError
 *
 * Takes a snapshot of the dma-buf's current implicit fences as one
 * sync_file with `DMA_BUF_IOCTL_EXPORT_SYNC_FILE` (restarted on
 * EINTR/EAGAIN). The kernel's rule (uapi `linux/dma-buf.h`, struct
 * dma_buf_export_sync_file): waiting on a READ export is poll() with
 * POLLIN, on a WRITE export poll() with POLLOUT; fences added later are
 * not included. A buffer without fences gives an already signalled
 * sync_file.
 *
 * Returns: a new sync_file fd (close-on-exec) that the caller closes; -1 with @error set as for gst_zc_dmabuf_import_sync_file()
 * (%G_IO_ERROR_NOT_SUPPORTED when the kernel answered `ENOTTY`: not a
 * dma-buf, or a kernel older than 6.0).
 *
 * Since: 0.1
 */
gint
gst_zc_dmabuf_export_sync_file (gint dmabuf_fd, GstMapFlags flags,
    GError ** error)
{
  struct dma_buf_export_sync_file arg;
  gint ret;

  g_return_val_if_fail (dmabuf_fd >= 0, -1);
  g_return_val_if_fail ((flags & GST_MAP_READWRITE) != 0, -1);
  gst_zc_debug_init ();

  memset (&arg, 0, sizeof (arg));
  arg.flags = (flags & GST_MAP_WRITE) ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ;
  arg.fd = -1;

  do {
    ret = ioctl (dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg);
  } while (ret < 0 && (errno == EINTR || errno == EAGAIN));

  if (ret < 0) {
    set_sync_file_error (error, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE", dmabuf_fd,
        errno);
    return -1;
  }

  GST_DEBUG ("dma-buf %d: %s fences exported as sync_file %d", dmabuf_fd,
      (flags & GST_MAP_WRITE) ? "all" : "write", arg.fd);
  return arg.fd;
}
