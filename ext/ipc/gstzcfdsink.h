/* zcfdsink: sends dma-buf and memfd frames to zcfdsrc in other processes
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_FD_SINK_H__
#define __GST_ZC_FD_SINK_H__

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/**
 * GstZcFdSinkOnDisconnect:
 * @GST_ZC_FD_SINK_ON_DISCONNECT_WAIT: frames wait (rendering blocks) until
 *   a receiver is connected
 * @GST_ZC_FD_SINK_ON_DISCONNECT_DROP: frames are dropped while no receiver
 *   is connected
 * @GST_ZC_FD_SINK_ON_DISCONNECT_ERROR: a receiver that leaves before EOS
 *   is an error; frames wait for the first receiver
 *
 * What #GstZcFdSink does without a receiver, and when one goes away.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_ZC_FD_SINK_ON_DISCONNECT_WAIT = 0,
  GST_ZC_FD_SINK_ON_DISCONNECT_DROP = 1,
  GST_ZC_FD_SINK_ON_DISCONNECT_ERROR = 2,
} GstZcFdSinkOnDisconnect;

GType gst_zc_fd_sink_on_disconnect_get_type (void);
#define GST_TYPE_ZC_FD_SINK_ON_DISCONNECT \
    (gst_zc_fd_sink_on_disconnect_get_type ())

#define GST_TYPE_ZC_FD_SINK (gst_zc_fd_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstZcFdSink, gst_zc_fd_sink, GST, ZC_FD_SINK,
    GstBaseSink)

G_END_DECLS

#endif /* __GST_ZC_FD_SINK_H__ */
