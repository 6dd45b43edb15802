/* GStreamer zero-copy library: a CPU-signalled fence carried as buffer meta
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_FENCE_META_H__
#define __GST_ZC_FENCE_META_H__

#include <gst/zerocopy/zerocopy-prelude.h>

G_BEGIN_DECLS

typedef struct _GstZcFenceMeta GstZcFenceMeta;

/**
 * GstZcFenceMeta:
 * @meta: the parent #GstMeta
 *
 * A fence on a buffer that a device (or anything working on it outside the
 * caller's thread) still writes: pending when added, signalled once by the
 * writer when it is done. Waiters block on it with gst_zc_fence_meta_wait()
 * or, for every fence of a buffer, gst_zc_fence_meta_wait_buffer().
 *
 * Copies of the buffer share the fence (the meta's transform takes a new
 * reference to the same fence), so a copy made while the device runs is
 * signalled with the original.
 *
 * Since: 0.1
 */
struct _GstZcFenceMeta
{
  GstMeta meta;

  /*< private >*/
  gpointer fence;
};

#define GST_ZC_FENCE_META_API_TYPE (gst_zc_fence_meta_api_get_type ())
#define GST_ZC_FENCE_META_INFO (gst_zc_fence_meta_get_info ())

/**
 * gst_buffer_get_zc_fence_meta:
 * @b: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the first #GstZcFenceMeta of @b.
 *
 * Since: 0.1
 */
#define gst_buffer_get_zc_fence_meta(b) \
  ((GstZcFenceMeta *) gst_buffer_get_meta ((b), GST_ZC_FENCE_META_API_TYPE))

GST_ZEROCOPY_API
GType               gst_zc_fence_meta_api_get_type (void);

GST_ZEROCOPY_API
const GstMetaInfo * gst_zc_fence_meta_get_info (void);

GST_ZEROCOPY_API
GstZcFenceMeta *    gst_buffer_add_zc_fence_meta (GstBuffer * buffer);

GST_ZEROCOPY_API
void                gst_zc_fence_meta_signal (GstZcFenceMeta * meta,
                                              const GError * error);

GST_ZEROCOPY_API
gboolean            gst_zc_fence_meta_is_signalled (GstZcFenceMeta * meta);

GST_ZEROCOPY_API
gboolean            gst_zc_fence_meta_wait (GstZcFenceMeta * meta,
                                            GstClockTime timeout,
                                            GError ** error);

GST_ZEROCOPY_API
gboolean            gst_zc_fence_meta_wait_buffer (GstBuffer * buffer,
                                                   GstClockTime timeout,
                                                   GError ** error);

G_END_DECLS

#endif /* __GST_ZC_FENCE_META_H__ */
