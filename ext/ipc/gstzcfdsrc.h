/* zcfdsrc: receives dma-buf and memfd frames from a zcfdsink in another process
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_FD_SRC_H__
#define __GST_ZC_FD_SRC_H__

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

/**
 * GstZcFdSrcTimestampMode:
 * @GST_ZC_FD_SRC_TIMESTAMP_MODE_CLOCK: the instant the sender presents the
 *   frame, on the machine's monotonic clock, as this pipeline's running
 *   time; the source is live
 * @GST_ZC_FD_SRC_TIMESTAMP_MODE_ORIGINAL: the sender's buffer timestamps
 *   as they were; the source is not live
 *
 * How #GstZcFdSrc timestamps the frames it receives.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_ZC_FD_SRC_TIMESTAMP_MODE_CLOCK = 0,
  GST_ZC_FD_SRC_TIMESTAMP_MODE_ORIGINAL = 1,
} GstZcFdSrcTimestampMode;

GType gst_zc_fd_src_timestamp_mode_get_type (void);
#define GST_TYPE_ZC_FD_SRC_TIMESTAMP_MODE \
    (gst_zc_fd_src_timestamp_mode_get_type ())

#define GST_TYPE_ZC_FD_SRC (gst_zc_fd_src_get_type ())
G_DECLARE_FINAL_TYPE (GstZcFdSrc, gst_zc_fd_src, GST, ZC_FD_SRC, GstPushSrc)

G_END_DECLS

#endif /* __GST_ZC_FD_SRC_H__ */
