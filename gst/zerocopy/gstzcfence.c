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
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcfence.h"
#include "gstzcprivate.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

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
 * gst_zc_fence_wait_fd() on every fd-backed memory of @buffer, within one
 * shared @timeout. Memory without an fd (system memory) is always ready.
 *
 * Returns: %TRUE when every memory is ready; %FALSE with @error set as for
 * gst_zc_fence_wait_fd().
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
