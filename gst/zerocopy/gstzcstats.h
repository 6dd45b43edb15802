/* GStreamer zero-copy library: per-element copy and SYNC counters
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_STATS_H__
#define __GST_ZC_STATS_H__

#include <gst/zerocopy/zerocopy-prelude.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GstZcStats:
 * @copies: CPU frame copies the element reported itself
 * @bytes_copied: bytes of those copies
 * @helper_copies: copies made by library helpers (gst_zc_buffer_upload())
 *   while the element was the thread's element
 * @helper_bytes_copied: bytes of those copies
 * @sync_brackets: `DMA_BUF_IOCTL_SYNC` START..END brackets opened while the
 *   element was the thread's element
 *
 * The counters of one element, or the unattributed ones (see
 * gst_zc_stats_get()). All counts start at 0 when the element is created.
 *
 * Since: 0.1
 */
typedef struct
{
  guint64 copies;
  guint64 bytes_copied;
  guint64 helper_copies;
  guint64 helper_bytes_copied;
  guint64 sync_brackets;
} GstZcStats;

GST_ZEROCOPY_API
void         gst_zc_stats_add_copy (GstElement * element, guint64 bytes);

GST_ZEROCOPY_API
void         gst_zc_stats_add_frame_copy (GstElement * element,
                                          const GstVideoInfo * info,
                                          const gchar * what,
                                          gboolean * announced,
                                          guint64 frames, guint64 bytes);

GST_ZEROCOPY_API
void         gst_zc_stats_add_helper_copy (guint64 bytes);

GST_ZEROCOPY_API
void         gst_zc_stats_add_sync_bracket (void);

GST_ZEROCOPY_API
void         gst_zc_stats_set_thread_element (GstElement * element);

GST_ZEROCOPY_API
GstElement * gst_zc_stats_get_thread_element (void);

GST_ZEROCOPY_API
gboolean     gst_zc_stats_get (GstElement * element, GstZcStats * stats);

GST_ZEROCOPY_API
guint64      gst_zc_stats_get_bytes_copied (const GstZcStats * stats);

G_END_DECLS

#endif /* __GST_ZC_STATS_H__ */
