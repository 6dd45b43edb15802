/* zcv4l2src: ioctls on a V4L2 device and what it can capture
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcv4l2device.h"
#include "gstzcv4l2format.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_v4l2_device_debug);
#define GST_CAT_DEFAULT gst_zc_v4l2_device_debug

static void
debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_zc_v4l2_device_debug, "zcv4l2device", 0,
        "zcv4l2src: V4L2 ioctls and format probing");
    g_once_init_leave (&done, 1);
  }
}

/* Issues @request on @fd, restarting it while it fails with EINTR: a
 * signal arrived before the driver did anything, and the V4L2 ioctls are
 * safe to issue again. EAGAIN is not restarted: on a non-blocking fd it is
 * VIDIOC_DQBUF's answer "no frame yet".
 *
 * Callers zero-initialise @arg where they declare it (designated
 * initialisers), so that the reserved fields the kernel checks are 0.
 *
 * Returns: the ioctl's result; on failure -1 with errno as the kernel set
 * it, logged with @name. */
gint
gst_zc_v4l2_ioctl_named (gint fd, gulong request, gpointer arg,
    const gchar * name)
{
  gint ret, err;

  do {
    ret = ioctl (fd, request, arg);
  } while (ret < 0 && errno == EINTR);

  if (ret < 0) {
    err = errno;
    debug_init ();
    GST_LOG ("%s failed: %s", name, g_strerror (err));
    errno = err;
  }
  return ret;
}

static void
append_fraction (GValue * list, guint32 num, guint32 den)
{
  GValue rate = G_VALUE_INIT;

  if (num == 0 || den == 0)
    return;
  g_value_init (&rate, GST_TYPE_FRACTION);
  gst_value_set_fraction (&rate, num, den);
  gst_value_list_append_and_take_value (list, &rate);
}

/* Stepwise and continuous intervals: the longest interval is the lowest
 * frame rate. */
static gboolean
interval_range (const struct v4l2_frmivalenum *ival, GValue * rates)
{
  const struct v4l2_fract *min = &ival->stepwise.min;
  const struct v4l2_fract *max = &ival->stepwise.max;

  if (!min->numerator || !min->denominator || !max->numerator ||
      !max->denominator)
    return FALSE;

  g_value_init (rates, GST_TYPE_FRACTION_RANGE);
  gst_value_set_fraction_range_full (rates, max->denominator,
      max->numerator, min->denominator, min->numerator);
  return TRUE;
}

/* Fills @rates (uninitialised) with the frame rates of one frame size: a
 * list of fractions for discrete intervals, a range otherwise. Frame rate
 * = 1 / frame interval. Returns FALSE when the driver does not say. */
static gboolean
probe_framerates (gint fd, guint32 fourcc, guint width, guint height,
    GValue * rates)
{
  struct v4l2_frmivalenum ival = {.pixel_format = fourcc,.width = width,
    .height = height
  };

  g_value_init (rates, GST_TYPE_LIST);
  for (; gst_zc_v4l2_ioctl (fd, VIDIOC_ENUM_FRAMEINTERVALS, &ival) == 0;
      ival.index++) {
    if (ival.type != V4L2_FRMIVAL_TYPE_DISCRETE) {
      g_value_unset (rates);
      return interval_range (&ival, rates);
    }
    append_fraction (rates, ival.discrete.denominator, ival.discrete.numerator);
  }

  if (gst_value_list_get_size (rates) > 0)
    return TRUE;
  g_value_unset (rates);
  return FALSE;
}

static void
set_framerates (GstStructure * s, gint fd, guint32 fourcc, guint width,
    guint height)
{
  GValue rates = G_VALUE_INIT;

  if (probe_framerates (fd, fourcc, width, height, &rates)) {
    gst_structure_take_value (s, "framerate", &rates);
    return;
  }
  GST_DEBUG ("no frame intervals for %" GST_FOURCC_FORMAT " %ux%u: any rate",
      GST_FOURCC_ARGS (fourcc), width, height);
  gst_structure_set (s, "framerate", GST_TYPE_FRACTION_RANGE, 0, 1,
      G_MAXINT, 1, NULL);
}

static void
set_int_range (GstStructure * s, const gchar * field, guint32 min,
    guint32 max, guint32 step)
{
  GValue range = G_VALUE_INIT;

  min = CLAMP (min, 1, G_MAXINT);
  max = CLAMP (max, min, G_MAXINT);
  if (min == max) {
    gst_structure_set (s, field, G_TYPE_INT, (gint) min, NULL);
    return;
  }
  g_value_init (&range, GST_TYPE_INT_RANGE);
  /* A step GStreamer cannot express (range not a multiple of it) is
   * widened to 1: the driver's answer to VIDIOC_S_FMT is checked anyway. */
  if (step > 1 && (max - min) % step == 0)
    gst_value_set_int_range_step (&range, min, max, step);
  else
    gst_value_set_int_range (&range, min, max);
  gst_structure_take_value (s, field, &range);
}

static GstStructure *
new_structure (GstVideoFormat format)
{
  return gst_structure_new ("video/x-raw", "format", G_TYPE_STRING,
      gst_video_format_to_string (format), NULL);
}

static void
append_discrete_size (GstCaps * caps, gint fd, guint32 fourcc,
    GstVideoFormat format, guint width, guint height)
{
  GstStructure *s = new_structure (format);

  set_int_range (s, "width", width, width, 1);
  set_int_range (s, "height", height, height, 1);
  set_framerates (s, fd, fourcc, width, height);
  gst_caps_append_structure (caps, s);
}

/* The rates of a size range are those of its largest size: the interval
 * enumeration wants one size, and the largest is the slowest. */
static void
append_size_range (GstCaps * caps, gint fd, guint32 fourcc,
    GstVideoFormat format, const struct v4l2_frmsize_stepwise *sw)
{
  GstStructure *s = new_structure (format);

  set_int_range (s, "width", sw->min_width, sw->max_width, sw->step_width);
  set_int_range (s, "height", sw->min_height, sw->max_height, sw->step_height);
  set_framerates (s, fd, fourcc, sw->max_width, sw->max_height);
  gst_caps_append_structure (caps, s);
}

static void
probe_sizes (GstCaps * caps, gint fd, guint32 fourcc, GstVideoFormat format)
{
  struct v4l2_frmsize_stepwise any = {.min_width = 1,.max_width = G_MAXINT,
    .step_width = 1,.min_height = 1,.max_height = G_MAXINT,.step_height = 1
  };
  struct v4l2_frmsizeenum size = {.pixel_format = fourcc };

  for (; gst_zc_v4l2_ioctl (fd, VIDIOC_ENUM_FRAMESIZES, &size) == 0;
      size.index++) {
    if (size.type != V4L2_FRMSIZE_TYPE_DISCRETE) {
      append_size_range (caps, fd, fourcc, format, &size.stepwise);
      return;
    }
    append_discrete_size (caps, fd, fourcc, format, size.discrete.width,
        size.discrete.height);
  }

  /* VIDIOC_ENUM_FRAMESIZES is optional: S_FMT's answer will tell. */
  if (size.index == 0)
    append_size_range (caps, fd, fourcc, format, &any);
}

/* Returns: (transfer full): what the capture device on @fd offers, as
 * system-memory video/x-raw structures in the driver's order of formats
 * (VIDIOC_ENUM_FMT), each size with its frame rates. Formats zcv4l2src
 * cannot describe (compressed, multi-planar, unknown) are left out, so the
 * caps may be empty. */
GstCaps *
gst_zc_v4l2_device_probe_caps (gint fd)
{
  struct v4l2_fmtdesc desc = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
  GstCaps *caps = gst_caps_new_empty ();
  GstVideoFormat format;

  debug_init ();
  for (; gst_zc_v4l2_ioctl (fd, VIDIOC_ENUM_FMT, &desc) == 0; desc.index++) {
    format = gst_zc_v4l2_format_from_fourcc (desc.pixelformat);
    if (format == GST_VIDEO_FORMAT_UNKNOWN) {
      GST_DEBUG ("skipping %" GST_FOURCC_FORMAT " (%s): not a raw format of "
          "the table", GST_FOURCC_ARGS (desc.pixelformat), desc.description);
      continue;
    }
    probe_sizes (caps, fd, desc.pixelformat, format);
  }

  GST_DEBUG ("probed %" GST_PTR_FORMAT, caps);
  return caps;
}

/* Returns: the fourcc among those the device enumerates that gives
 * @format (the table maps some formats from two fourccs), or 0. */
guint32
gst_zc_v4l2_device_find_fourcc (gint fd, GstVideoFormat format)
{
  struct v4l2_fmtdesc desc = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE };

  for (; gst_zc_v4l2_ioctl (fd, VIDIOC_ENUM_FMT, &desc) == 0; desc.index++) {
    if (gst_zc_v4l2_format_from_fourcc (desc.pixelformat) == format)
      return desc.pixelformat;
  }
  return 0;
}

/* Asks the driver (VIDIOC_S_FMT) for @bytesperline bytes per line of the
 * current format, whose layout @info holds, so that frames fit buffers of
 * that stride. When the driver answers that very bytesperline, @info
 * takes the new layout (plane offsets and sizeimage follow); otherwise the
 * previous format is set again and @info is left alone.
 *
 * Returns: %TRUE when @info now has @bytesperline. */
gboolean
gst_zc_v4l2_device_set_bytesperline (gint fd, GstVideoInfo * info,
    guint bytesperline)
{
  struct v4l2_format fmt = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
  struct v4l2_pix_format *pix = &fmt.fmt.pix;
  guint32 old_bytesperline;
  GstVideoInfo adjusted = *info;

  debug_init ();
  if (gst_zc_v4l2_ioctl (fd, VIDIOC_G_FMT, &fmt) < 0)
    return FALSE;
  old_bytesperline = pix->bytesperline;
  pix->bytesperline = bytesperline;
  if (gst_zc_v4l2_ioctl (fd, VIDIOC_S_FMT, &fmt) < 0)
    return FALSE;
  if (pix->bytesperline == bytesperline && gst_zc_v4l2_format_layout
      (&adjusted, pix->bytesperline, pix->sizeimage)) {
    GST_DEBUG ("bytesperline %u, sizeimage %u", pix->bytesperline,
        pix->sizeimage);
    *info = adjusted;
    return TRUE;
  }

  GST_DEBUG ("asked for bytesperline %u, the driver answered %u", bytesperline,
      pix->bytesperline);
  pix->bytesperline = old_bytesperline;
  if (gst_zc_v4l2_ioctl (fd, VIDIOC_S_FMT, &fmt) < 0 ||
      pix->bytesperline != old_bytesperline)
    GST_WARNING ("could not set bytesperline %u again", old_bytesperline);
  return FALSE;
}
