/* zcv4l2src: V4L2 capture exporting its buffers as dma-bufs, or importing downstream's
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_V4L2_SRC_H__
#define __GST_ZC_V4L2_SRC_H__

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

/**
 * GstZcV4l2IoMode:
 * @GST_ZC_V4L2_IO_MODE_AUTO: import when downstream offers a pool of
 *   dma-bufs that fits the driver's frames, else export
 * @GST_ZC_V4L2_IO_MODE_DMABUF_EXPORT: the driver's buffers
 *   (`V4L2_MEMORY_MMAP`), exported with `VIDIOC_EXPBUF`
 * @GST_ZC_V4L2_IO_MODE_DMABUF_IMPORT: dma-bufs from downstream's pool, or
 *   from a pool of the element's own (`V4L2_MEMORY_DMABUF`)
 *
 * Whose dma-bufs the driver captures into.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_ZC_V4L2_IO_MODE_AUTO,
  GST_ZC_V4L2_IO_MODE_DMABUF_EXPORT,
  GST_ZC_V4L2_IO_MODE_DMABUF_IMPORT,
} GstZcV4l2IoMode;

#define GST_TYPE_ZC_V4L2_IO_MODE (gst_zc_v4l2_io_mode_get_type ())
G_GNUC_INTERNAL
GType gst_zc_v4l2_io_mode_get_type (void);

#define GST_TYPE_ZC_V4L2_SRC (gst_zc_v4l2_src_get_type ())
G_DECLARE_FINAL_TYPE (GstZcV4l2Src, gst_zc_v4l2_src, GST, ZC_V4L2_SRC,
    GstPushSrc)

G_END_DECLS

#endif /* __GST_ZC_V4L2_SRC_H__ */
