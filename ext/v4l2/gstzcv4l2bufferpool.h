/* zcv4l2src: the V4L2 capture queue, exporting or importing dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_V4L2_BUFFER_POOL_H__
#define __GST_ZC_V4L2_BUFFER_POOL_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_TYPE_ZC_V4L2_BUFFER_POOL (gst_zc_v4l2_buffer_pool_get_type ())
G_DECLARE_FINAL_TYPE (GstZcV4l2BufferPool, gst_zc_v4l2_buffer_pool,
    GST, ZC_V4L2_BUFFER_POOL, GstBufferPool)

G_GNUC_INTERNAL
GstBufferPool * gst_zc_v4l2_buffer_pool_new (gint fd, GstCaps * caps,
                                             const GstVideoInfo * info,
                                             guint count,
                                             GstBufferPool * import_pool,
                                             GError ** error);

G_GNUC_INTERNAL
GstFlowReturn   gst_zc_v4l2_buffer_pool_capture (GstZcV4l2BufferPool * self,
                                                 GstBuffer ** buffer);

G_GNUC_INTERNAL
void            gst_zc_v4l2_buffer_pool_orphan (GstZcV4l2BufferPool * self);

G_GNUC_INTERNAL
GError *        gst_zc_v4l2_buffer_pool_take_error (GstZcV4l2BufferPool * self);

G_END_DECLS

#endif /* __GST_ZC_V4L2_BUFFER_POOL_H__ */
