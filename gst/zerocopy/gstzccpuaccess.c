/* GStreamer zero-copy library: CPU access to dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzccpuaccess
 * @title: CPU access
 * @short_description: DMA_BUF_IOCTL_SYNC brackets around CPU reads and writes
 *
 * The kernel's dma-buf documentation ("CPU Access to DMA Buffer Objects")
 * asks every CPU user of an mmap'ed dma-buf to bracket each access cycle
 * with `DMA_BUF_IOCTL_SYNC`: `SYNC_START` with the direction (READ, WRITE
 * or both) before touching the mapping, `SYNC_END` with the same direction
 * after. The ioctl may fail with `EINTR` or `EAGAIN`, in which case it must
 * be restarted. This file is the one place in the project that does it:
 * #GstZcDmabufAllocator's map and unmap call gst_zc_cpu_access_begin() and
 * gst_zc_cpu_access_end(), and elements that receive dma-bufs made by
 * other allocators go through gst_zc_buffer_get_cpu_view().
 *
 * SYNC is cache coherency only: waiting for a device that is still writing
 * the buffer is gst_zc_fence_wait_fd()'s job.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzccpuaccess.h"
#include "gstzcdmabufallocator.h"
#include "gstzcprivate.h"
#include "gstzcstats.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/dma-buf.h>
#include <gst/allocators/allocators.h>

#define GST_CAT_DEFAULT gst_zc_cpu_debug

/**
 * gst_zc_sync_flags_from_map_flags:
 * @flags: the #GstMapFlags of a CPU access
 *
 * Derives the direction bits of `struct dma_buf_sync` from map flags:
 * %GST_MAP_READ gives `DMA_BUF_SYNC_READ`, %GST_MAP_WRITE gives
 * `DMA_BUF_SYNC_WRITE`, both give `DMA_BUF_SYNC_RW`. The START/END bit is
 * not included.
 *
 * Returns: the direction flags; 0 when @flags has neither READ nor WRITE.
 *
 * Since: 0.1
 */
guint64
gst_zc_sync_flags_from_map_flags (GstMapFlags flags)
{
  guint64 sync = 0;

  if (flags & GST_MAP_READ)
    sync |= DMA_BUF_SYNC_READ;
  if (flags & GST_MAP_WRITE)
    sync |= DMA_BUF_SYNC_WRITE;

  return sync;
}

/**
 * gst_zc_dmabuf_sync:
 * @fd: a dma-buf file descriptor
 * @flags: the `struct dma_buf_sync` flags: `DMA_BUF_SYNC_START` or
 *   `DMA_BUF_SYNC_END`, or'ed with `DMA_BUF_SYNC_READ`/`WRITE`/`RW`
 *
 * Issues `DMA_BUF_IOCTL_SYNC` on @fd, restarting it for as long as it
 * fails with `EINTR` or `EAGAIN` (kernel uapi `linux/dma-buf.h`: "the
 * ioctl must be restarted"). Any other failure is logged as a warning with
 * its errno and reported by the return value; errno is left as the kernel
 * set it.
 *
 * Returns: %TRUE when the kernel accepted the sync.
 *
 * Since: 0.1
 */
gboolean
gst_zc_dmabuf_sync (gint fd, guint64 flags)
{
  struct dma_buf_sync sync;
  int ret;

  gst_zc_debug_init ();

  memset (&sync, 0, sizeof (sync));
  sync.flags = flags;

  do {
    ret = ioctl (fd, DMA_BUF_IOCTL_SYNC, &sync);
  } while (ret < 0 && (errno == EINTR || errno == EAGAIN));

  if (ret < 0) {
    int err = errno;

    GST_WARNING ("DMA_BUF_IOCTL_SYNC(%s%s%s) on fd %d failed: %s (%d)",
        (flags & DMA_BUF_SYNC_END) ? "END" : "START",
        (flags & DMA_BUF_SYNC_READ) ? "|READ" : "",
        (flags & DMA_BUF_SYNC_WRITE) ? "|WRITE" : "", fd, g_strerror (err),
        err);
    errno = err;
    return FALSE;
  }

  /* A bracket is counted once, at its START (DMA_BUF_SYNC_START is 0). */
  if (!(flags & DMA_BUF_SYNC_END))
    gst_zc_stats_add_sync_bracket ();
  return TRUE;
}

/**
 * gst_zc_cpu_access_begin:
 * @fd: a dma-buf file descriptor, already mmap'ed by the caller
 * @flags: the access about to happen (%GST_MAP_READ and/or %GST_MAP_WRITE)
 *
 * Starts a CPU access cycle: `DMA_BUF_SYNC_START` with the direction taken
 * from @flags, restarted on EINTR/EAGAIN. Pair every successful call with
 * gst_zc_cpu_access_end() with the same @flags.
 *
 * Returns: %TRUE on success; %FALSE (logged with errno) when the kernel
 * refused the sync, for example `ENOTTY` on an fd that is not a dma-buf.
 *
 * Since: 0.1
 */
gboolean
gst_zc_cpu_access_begin (gint fd, GstMapFlags flags)
{
  return gst_zc_dmabuf_sync (fd,
      DMA_BUF_SYNC_START | gst_zc_sync_flags_from_map_flags (flags));
}

/**
 * gst_zc_cpu_access_end:
 * @fd: a dma-buf file descriptor
 * @flags: the same flags given to gst_zc_cpu_access_begin()
 *
 * Ends a CPU access cycle: `DMA_BUF_SYNC_END` with the direction taken from
 * @flags, restarted on EINTR/EAGAIN. After it, a device may read what the
 * CPU wrote.
 *
 * Returns: %TRUE on success; %FALSE (logged with errno) otherwise.
 *
 * Since: 0.1
 */
gboolean
gst_zc_cpu_access_end (gint fd, GstMapFlags flags)
{
  return gst_zc_dmabuf_sync (fd,
      DMA_BUF_SYNC_END | gst_zc_sync_flags_from_map_flags (flags));
}

static GQuark
cpu_view_quark (void)
{
  return g_quark_from_static_string ("GstZcCpuViewMemory");
}

static gboolean
is_foreign_dmabuf (GstMemory * mem)
{
  return gst_is_dmabuf_memory (mem) && !GST_IS_ZC_DMABUF_ALLOCATOR
      (mem->allocator);
}

/* A wrapper of the foreign memory's dma-buf in the project's allocator,
 * kept as qdata of the foreign memory so that its mapping lives as long as
 * the memory does (map once, sync many). */
static GstMemory *
get_wrapper (GstMemory * mem)
{
  GstMemory *parent = mem->parent ? mem->parent : mem;
  GstMemory *wrapper;
  gint fd;

  wrapper = gst_mini_object_get_qdata (GST_MINI_OBJECT_CAST (parent),
      cpu_view_quark ());
  if (wrapper)
    return wrapper;

  fd = dup (gst_dmabuf_memory_get_fd (parent));
  if (fd < 0) {
    GST_WARNING ("dup of dma-buf fd failed: %s", g_strerror (errno));
    return NULL;
  }

  wrapper = gst_zc_dmabuf_allocator_import (gst_zc_dmabuf_allocator_get_importer
      (), fd, parent->maxsize);
  gst_mini_object_set_qdata (GST_MINI_OBJECT_CAST (parent), cpu_view_quark (),
      wrapper, (GDestroyNotify) gst_memory_unref);
  GST_DEBUG ("wrapped foreign dma-buf memory %p (fd %d) for CPU access",
      parent, fd);

  return wrapper;
}

/* gst_buffer_copy_into() leaves out metas tagged "memory" (GstVideoMeta
 * among them) when the memories are not copied; the view has the very same
 * memories at the same offsets, so they still describe it. */
static gboolean
copy_memory_meta (GstBuffer * buffer, GstMeta ** meta, gpointer view)
{
  const GstMetaInfo *info = (*meta)->info;
  GstMetaTransformCopy copy = { FALSE, 0, -1 };

  if (info->transform_func && gst_meta_api_type_has_tag (info->api,
          g_quark_from_static_string (GST_META_TAG_MEMORY_STR)))
    info->transform_func (view, *meta, buffer, _gst_meta_transform_copy,
        &copy);
  return TRUE;
}

/**
 * gst_zc_buffer_get_cpu_view:
 * @buffer: a buffer about to be mapped by the CPU
 *
 * Gives a buffer whose mapping goes through the project's CPU access
 * (SYNC bracket restarted on EINTR/EAGAIN, mapping kept for the memory's
 * lifetime). Buffers whose memory is already the project's, or not a
 * dma-buf at all, are returned as they are (a new reference). When some
 * memory is a dma-buf made by another allocator (upstream
 * #GstDmaBufAllocator, for example), a new buffer is returned that wraps
 * the same dma-bufs (no pixel copy: a dup'ed fd), carries @buffer's
 * metadata (timestamps, #GstVideoMeta, ...) and keeps @buffer alive
 * through a #GstParentBufferMeta, so that the producer cannot recycle the
 * memory while the CPU reads it.
 *
 * Map the result with gst_buffer_map() or gst_video_frame_map().
 *
 * Returns: (transfer full) (nullable): the buffer to map, or %NULL when a
 * dma-buf fd could not be duplicated (EMFILE).
 *
 * Since: 0.1
 */
GstBuffer *
gst_zc_buffer_get_cpu_view (GstBuffer * buffer)
{
  GstBuffer *view;
  guint i, n;
  gboolean foreign = FALSE;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  gst_zc_debug_init ();

  n = gst_buffer_n_memory (buffer);
  for (i = 0; i < n && !foreign; i++)
    foreign = is_foreign_dmabuf (gst_buffer_peek_memory (buffer, i));
  if (!foreign)
    return gst_buffer_ref (buffer);

  view = gst_buffer_new ();
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buffer, i);
    GstMemory *wrapper;

    if (!is_foreign_dmabuf (mem)) {
      gst_buffer_append_memory (view, gst_memory_ref (mem));
      continue;
    }
    wrapper = get_wrapper (mem);
    if (!wrapper)
      goto no_fd;
    /* A shared sub-memory is read-only: whole memories stay writable. */
    if (mem->offset == 0 && mem->size == wrapper->maxsize)
      gst_buffer_append_memory (view, gst_memory_ref (wrapper));
    else
      gst_buffer_append_memory (view, gst_memory_share (wrapper, mem->offset,
              mem->size));
  }
  gst_buffer_copy_into (view, buffer, GST_BUFFER_COPY_METADATA, 0, -1);
  gst_buffer_foreach_meta (buffer, copy_memory_meta, view);
  gst_buffer_add_parent_buffer_meta (view, buffer);

  return view;

  /* ERRORS */
no_fd:
  gst_buffer_unref (view);
  return NULL;
}
