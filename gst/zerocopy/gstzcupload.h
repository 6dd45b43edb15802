/* GStreamer zero-copy library: CPU frame access and copies into dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Not __GST_ZC_UPLOAD_H__: that guards the zcupload element's header. */
#ifndef __GST_ZC_BUFFER_UPLOAD_H__
#define __GST_ZC_BUFFER_UPLOAD_H__

#include <gst/zerocopy/zerocopy-prelude.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GstZcVideoFrame:
 * @frame: the mapped frame: read and write pixels through it as through
 *   any #GstVideoFrame (plane data, strides, info)
 *
 * A video frame mapped for the CPU with one `DMA_BUF_IOCTL_SYNC` bracket
 * per dma-buf, however many planes share it. Map it with
 * gst_zc_video_frame_map(), unmap it with gst_zc_video_frame_unmap().
 *
 * Since: 0.1
 */
typedef struct
{
  GstVideoFrame frame;

  /*< private >*/
  GstBuffer *view;
  GstBuffer *pixels;
  GstMapInfo maps[GST_VIDEO_MAX_PLANES];
  guint n_mapped;
  gboolean frame_mapped;

  gpointer _gst_reserved[GST_PADDING];
} GstZcVideoFrame;

GST_ZEROCOPY_API
gboolean gst_zc_video_frame_map (GstZcVideoFrame * frame,
                                 const GstVideoInfo * info,
                                 GstBuffer * buffer, GstMapFlags flags);

GST_ZEROCOPY_API
void     gst_zc_video_frame_unmap (GstZcVideoFrame * frame);

GST_ZEROCOPY_API
gboolean gst_zc_buffer_upload (GstBuffer * dest, GstBuffer * src,
                               const GstVideoInfo * info, GError ** error);

G_END_DECLS

#endif /* __GST_ZC_BUFFER_UPLOAD_H__ */
