/* GStreamer zero-copy library: per-element copy and SYNC counters
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzcstats
 * @title: Statistics
 * @short_description: bytes copied and SYNC brackets, per element
 *
 * Every CPU copy of a frame and every `DMA_BUF_IOCTL_SYNC` bracket is
 * counted against an element, so that a pipeline can be audited for where
 * it left the zero-copy path (the `zcaudit` tracer prints these counters).
 *
 * Two ways to attribute a count:
 * - explicitly: an element calls gst_zc_stats_add_copy() with itself where
 *   it already counts its copies (its properties or stats);
 * - by thread: library code that does not know its caller
 *   (gst_zc_dmabuf_sync(), gst_zc_buffer_upload()) counts against the
 *   thread's element, set with gst_zc_stats_set_thread_element(). The
 *   `zcaudit` tracer sets it to the receiving element around every buffer
 *   push, and to the pushing element on a thread between its pushes (a
 *   source's or queue's streaming thread). Work on any other thread (an
 *   element's own worker) is attributed only when that element marks the
 *   worker with gst_zc_stats_set_thread_element(); otherwise it is counted
 *   as unattributed (gst_zc_stats_get() with %NULL).
 *
 * A copy an element reports itself usually went through a helper on the
 * same thread and was counted twice: gst_zc_stats_get_bytes_copied() takes
 * the element's own count when it reported any copy, the helpers' else.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcstats.h"
#include "gstzcprivate.h"

#include <string.h>

/* One lock for all counters: they change at most a few times per frame. */
G_LOCK_DEFINE_STATIC (counters);
static GstZcStats unattributed;
static void free_thread_element (gpointer ref);
/* A GWeakRef, so that a thread never counts against a finalized element. */
static GPrivate thread_element = G_PRIVATE_INIT (free_thread_element);

static void
free_thread_element (gpointer ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

static GQuark
stats_quark (void)
{
  return g_quark_from_static_string ("GstZcStats");
}

/* The counters of @element, created on first use; with the lock held.
 * They live as qdata so that they go away with the element. */
static GstZcStats *
lookup_locked (GstElement * element)
{
  GstZcStats *stats;

  if (!element)
    return &unattributed;

  stats = g_object_get_qdata (G_OBJECT (element), stats_quark ());
  if (!stats) {
    stats = g_new0 (GstZcStats, 1);
    g_object_set_qdata_full (G_OBJECT (element), stats_quark (), stats,
        g_free);
  }
  return stats;
}

/**
 * gst_zc_stats_add_copy:
 * @element: the element that copied
 * @bytes: bytes copied by the CPU (a whole frame: its #GstVideoInfo size)
 *
 * Counts one CPU copy of @bytes made by @element. Elements call it where
 * they already count a copy, so that each copy is counted once per
 * element however many helpers it went through.
 *
 * Since: 0.1
 */
void
gst_zc_stats_add_copy (GstElement * element, guint64 bytes)
{
  GstZcStats *stats;

  g_return_if_fail (GST_IS_ELEMENT (element));

  G_LOCK (counters);
  stats = lookup_locked (element);
  stats->copies++;
  stats->bytes_copied += bytes;
  G_UNLOCK (counters);
}

/**
 * gst_zc_stats_add_frame_copy:
 * @element: the element that copied
 * @info: the frames copied: one copy is GST_VIDEO_INFO_SIZE() bytes
 * @what: where the copy goes, ending the log line (e.g. "from memory that
 *   is not a dma-buf into dma-bufs")
 * @announced: (inout): the element's flag, %FALSE until this copy was
 *   announced; the element clears it when its caps change
 * @frames: frames @element has copied so far, this one included
 * @bytes: bytes @element has copied so far, this one included
 *
 * Counts one frame copy like gst_zc_stats_add_copy() and says so on
 * `GST_PERFORMANCE`, the category GStreamer elements log avoidable copies
 * in: at INFO once until *@announced is cleared again (the frame format,
 * size and @what), at DEBUG for every frame (the running totals). The
 * element keeps its own totals (its properties or stats) and passes them.
 *
 * Since: 0.1
 */
void
gst_zc_stats_add_frame_copy (GstElement * element, const GstVideoInfo * info,
    const gchar * what, gboolean * announced, guint64 frames, guint64 bytes)
{
  gsize size = GST_VIDEO_INFO_SIZE (info);

  g_return_if_fail (GST_IS_ELEMENT (element));
  g_return_if_fail (announced != NULL);

  gst_zc_debug_init ();
  gst_zc_stats_add_copy (element, size);
  if (!*announced) {
    GST_CAT_INFO_OBJECT (gst_zc_performance_debug, element, "copying %s "
        "%dx%d frames (%" G_GSIZE_FORMAT " bytes each) %s",
        GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info), size, what);
    *announced = TRUE;
  }
  GST_CAT_DEBUG_OBJECT (gst_zc_performance_debug, element, "frame copy: %"
      G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " bytes copied so far",
      frames, bytes);
}

/**
 * gst_zc_stats_add_helper_copy:
 * @bytes: bytes copied by the CPU
 *
 * Counts one copy made by a library helper against the thread's element
 * (gst_zc_stats_set_thread_element()), or as unattributed when the thread
 * has none.
 *
 * Since: 0.1
 */
void
gst_zc_stats_add_helper_copy (guint64 bytes)
{
  GstElement *element = gst_zc_stats_get_thread_element ();
  GstZcStats *stats;

  G_LOCK (counters);
  stats = lookup_locked (element);
  stats->helper_copies++;
  stats->helper_bytes_copied += bytes;
  G_UNLOCK (counters);
  gst_clear_object (&element);
}

/**
 * gst_zc_stats_add_sync_bracket:
 *
 * Counts one `DMA_BUF_IOCTL_SYNC` bracket (a START, whose END follows)
 * against the thread's element, or as unattributed when the thread has
 * none. gst_zc_dmabuf_sync() calls it for every accepted START.
 *
 * Since: 0.1
 */
void
gst_zc_stats_add_sync_bracket (void)
{
  GstElement *element = gst_zc_stats_get_thread_element ();
  GstZcStats *stats;

  G_LOCK (counters);
  stats = lookup_locked (element);
  stats->sync_brackets++;
  G_UNLOCK (counters);
  gst_clear_object (&element);
}

/**
 * gst_zc_stats_set_thread_element:
 * @element: (nullable) (transfer none): the element the calling thread
 *   works for, or %NULL
 *
 * Makes @element the calling thread's element: helper copies and SYNC
 * brackets on this thread are counted against it until it is replaced.
 * The thread holds a weak reference: once @element is finalized, counts
 * on this thread are unattributed. An element with a worker thread calls
 * it once at the start of the thread.
 *
 * Since: 0.1
 */
void
gst_zc_stats_set_thread_element (GstElement * element)
{
  GWeakRef *ref = g_private_get (&thread_element);

  g_return_if_fail (element == NULL || GST_IS_ELEMENT (element));

  if (!ref) {
    ref = g_new0 (GWeakRef, 1);
    g_weak_ref_init (ref, NULL);
    g_private_set (&thread_element, ref);
  }
  g_weak_ref_set (ref, element);
}

/**
 * gst_zc_stats_get_thread_element:
 *
 * Returns: (transfer full) (nullable): the calling thread's element, if it
 * is still alive.
 *
 * Since: 0.1
 */
GstElement *
gst_zc_stats_get_thread_element (void)
{
  GWeakRef *ref = g_private_get (&thread_element);

  return ref ? g_weak_ref_get (ref) : NULL;
}

/**
 * gst_zc_stats_get:
 * @element: (nullable): an element, or %NULL for the counts that no
 *   element could be held responsible for
 * @stats: (out caller-allocates): the counters
 *
 * Reads the counters of @element.
 *
 * Returns: %TRUE when anything was ever counted against @element (always
 * for %NULL); %FALSE with @stats zeroed otherwise, which for an element of
 * another project means "unknown", not "no copy".
 *
 * Since: 0.1
 */
gboolean
gst_zc_stats_get (GstElement * element, GstZcStats * stats)
{
  GstZcStats *found = &unattributed;

  g_return_val_if_fail (element == NULL || GST_IS_ELEMENT (element), FALSE);
  g_return_val_if_fail (stats != NULL, FALSE);

  G_LOCK (counters);
  if (element)
    found = g_object_get_qdata (G_OBJECT (element), stats_quark ());
  if (found)
    *stats = *found;
  else
    memset (stats, 0, sizeof (*stats));
  G_UNLOCK (counters);

  return found != NULL;
}

/**
 * gst_zc_stats_get_bytes_copied:
 * @stats: counters from gst_zc_stats_get()
 *
 * Returns: the bytes the element copied: its own count when it reported
 * any copy (the helpers saw the same copies), the helpers' count else.
 *
 * Since: 0.1
 */
guint64
gst_zc_stats_get_bytes_copied (const GstZcStats * stats)
{
  g_return_val_if_fail (stats != NULL, 0);

  return stats->copies > 0 ? stats->bytes_copied : stats->helper_bytes_copied;
}
