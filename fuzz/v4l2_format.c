/* libFuzzer target: V4L2 format descriptions → zcv4l2src's frame layout
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: a struct v4l2_pix_format as a driver answers VIDIOC_G_FMT/S_FMT
 * (pixelformat, width, height, bytesperline, sizeimage; the rest is
 * ignored as zcv4l2src ignores it). A fourcc the element knows gives a
 * GstVideoInfo of that size, and gst_zc_v4l2_format_layout() lays the
 * planes out from bytesperline and sizeimage as the kernel's format docs
 * say. When it accepts the description, every plane must lie inside
 * sizeimage: abort() otherwise. Also checks that the fourcc table maps
 * both ways.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcv4l2format.h"

#include <gst/video/video.h>
#include <linux/videodev2.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_init (NULL, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  struct v4l2_pix_format pix;
  GstVideoFormat format;
  GstVideoInfo info;
  guint p;

  if (size < sizeof (pix))
    return 0;
  memcpy (&pix, data, sizeof (pix));

  format = gst_zc_v4l2_format_from_fourcc (pix.pixelformat);
  if (format == GST_VIDEO_FORMAT_UNKNOWN)
    return 0;
  if (gst_zc_v4l2_format_to_fourcc (format) == 0)
    abort ();
  /* zcv4l2src's caps never ask for more than G_MAXINT pixels a side. */
  if (pix.width == 0 || pix.height == 0 || pix.width > G_MAXINT
      || pix.height > G_MAXINT)
    return 0;
  if (!gst_video_info_set_format (&info, format, pix.width, pix.height))
    return 0;
  if (!gst_zc_v4l2_format_layout (&info, pix.bytesperline, pix.sizeimage))
    return 0;

  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    guint64 rows, row_bytes, end;

    gst_video_format_info_component (info.finfo, p, comp);
    if (comp[0] < 0)
      continue;
    rows = GST_VIDEO_INFO_COMP_HEIGHT (&info, comp[0]);
    row_bytes = (guint64) GST_VIDEO_INFO_COMP_WIDTH (&info, comp[0]) *
        GST_VIDEO_INFO_COMP_PSTRIDE (&info, comp[0]);
    if (GST_VIDEO_INFO_PLANE_STRIDE (&info, p) <= 0
        || (guint64) GST_VIDEO_INFO_PLANE_STRIDE (&info, p) < row_bytes)
      abort ();
    end = GST_VIDEO_INFO_PLANE_OFFSET (&info, p) +
        (rows - 1) * GST_VIDEO_INFO_PLANE_STRIDE (&info, p) + row_bytes;
    if (end > pix.sizeimage)
      abort ();
  }
  return 0;
}
