/* zcv4l2src: ioctls on a V4L2 device and what it can capture
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_V4L2_DEVICE_H__
#define __GST_ZC_V4L2_DEVICE_H__

#include <gst/video/video.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
gint      gst_zc_v4l2_ioctl_named (gint fd, gulong request, gpointer arg,
                                   const gchar * name);

/* Logs with the request's name ("VIDIOC_S_FMT"); see
 * gst_zc_v4l2_ioctl_named(). */
#define gst_zc_v4l2_ioctl(fd, request, arg) \
  gst_zc_v4l2_ioctl_named ((fd), (request), (arg), #request)

G_GNUC_INTERNAL
GstCaps * gst_zc_v4l2_device_probe_caps (gint fd);

G_GNUC_INTERNAL
guint32   gst_zc_v4l2_device_find_fourcc (gint fd, GstVideoFormat format);

G_GNUC_INTERNAL
gboolean  gst_zc_v4l2_device_set_bytesperline (gint fd, GstVideoInfo * info,
                                               guint bytesperline);

G_END_DECLS

#endif /* __GST_ZC_V4L2_DEVICE_H__ */
