/* GStreamer zero-copy library: internal declarations
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_PRIVATE_H__
#define __GST_ZC_PRIVATE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_zc_cpu_debug);
GST_DEBUG_CATEGORY_EXTERN (gst_zc_fence_debug);
GST_DEBUG_CATEGORY_EXTERN (gst_zc_allocator_debug);
GST_DEBUG_CATEGORY_EXTERN (gst_zc_pool_debug);
GST_DEBUG_CATEGORY_EXTERN (gst_zc_performance_debug);

G_GNUC_INTERNAL void gst_zc_debug_init (void);

G_END_DECLS

#endif /* __GST_ZC_PRIVATE_H__ */
