/* GStreamer zero-copy library: the scanout context shared through a tee
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_CONTEXT_H__
#define __GST_ZC_CONTEXT_H__

#include <gst/zerocopy/zerocopy-prelude.h>

G_BEGIN_DECLS

/**
 * GST_ZC_CONTEXT_TYPE_SCANOUT:
 *
 * The #GstContext type a display sink answers with: its structure holds the
 * #GstZcDmabufAllocator that allocates buffers the display scans out
 * without a copy (field `allocator`) and the DRM device node (field
 * `device`, a string such as "/dev/dri/card0").
 *
 * Since: 0.1
 */
#define GST_ZC_CONTEXT_TYPE_SCANOUT "gst.zerocopy.scanout"

GST_ZEROCOPY_API
GstContext *   gst_zc_context_new_scanout (GstAllocator * allocator,
                                           const gchar * device);

GST_ZEROCOPY_API
GstAllocator * gst_zc_context_get_scanout_allocator (GstContext * context);

GST_ZEROCOPY_API
gboolean       gst_zc_context_answer_scanout_query (GstQuery * query,
                                                    GstAllocator * allocator,
                                                    const gchar * device);

GST_ZEROCOPY_API
GstAllocator * gst_zc_find_scanout_allocator (GstElement * element);

G_END_DECLS

#endif /* __GST_ZC_CONTEXT_H__ */
