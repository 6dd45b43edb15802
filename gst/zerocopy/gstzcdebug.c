/* GStreamer zero-copy library: debug categories
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcprivate.h"

GST_DEBUG_CATEGORY (gst_zc_cpu_debug);
GST_DEBUG_CATEGORY (gst_zc_fence_debug);
GST_DEBUG_CATEGORY (gst_zc_allocator_debug);
GST_DEBUG_CATEGORY (gst_zc_pool_debug);
GST_DEBUG_CATEGORY (gst_zc_performance_debug);

/* Every public entry point that logs calls this first, so that the library
 * can be used without a plugin having initialised anything. */
void
gst_zc_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_zc_cpu_debug, "zccpuaccess", 0,
        "zero-copy library: CPU access to dma-bufs (DMA_BUF_IOCTL_SYNC)");
    GST_DEBUG_CATEGORY_INIT (gst_zc_fence_debug, "zcfence", 0,
        "zero-copy library: waiting for devices");
    GST_DEBUG_CATEGORY_INIT (gst_zc_allocator_debug, "zcallocator", 0,
        "zero-copy library: dma-buf allocator");
    GST_DEBUG_CATEGORY_INIT (gst_zc_pool_debug, "zcbufferpool", 0,
        "zero-copy library: video buffer pool");
    GST_DEBUG_CATEGORY_GET (gst_zc_performance_debug, "GST_PERFORMANCE");
    g_once_init_leave (&done, 1);
  }
}
