/* zcv4l2src: V4L2 capture exporting its buffers as dma-bufs, or importing downstream's
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-zcv4l2src
 * @title: zcv4l2src
 *
 * Captures video from a V4L2 device (single-planar video capture with
 * streaming I/O) without touching a pixel: the driver's buffers
 * (`V4L2_MEMORY_MMAP`) are exported as dma-bufs (`VIDIOC_EXPBUF`) and go
 * downstream as dma-buf memory of the zero-copy library
 * (gst_is_dmabuf_memory() is %TRUE, CPU maps are bracketed with
 * `DMA_BUF_IOCTL_SYNC`), each with a #GstVideoMeta giving the driver's
 * strides (its `bytesperline`) and plane offsets. A buffer goes back to the
 * driver (`VIDIOC_QBUF`) when downstream releases it. Buffers downstream
 * still holds when the element stops stay valid and are freed when
 * released; the device is closed in the READY to NULL change all the same.
 *
 * With #GstZcV4l2Src:io-mode `dmabuf-import` the driver writes instead
 * into dma-bufs from downstream (`V4L2_MEMORY_DMABUF`: `VIDIOC_QBUF` with
 * the dma-buf's fd and size): a display's scanout buffers, an
 * accelerator's input buffers, so that a frame is where it is used the
 * moment it is captured. The element takes downstream's pool from the
 * ALLOCATION query when it hands out dma-bufs laid out as the driver
 * writes them: one dma-buf per frame, at least `sizeimage` bytes, the
 * driver's `bytesperline` as stride and its plane offsets. A pool whose
 * stride is wider is used when the driver accepts that stride as
 * `bytesperline` (`VIDIOC_S_FMT`). When downstream offers no such pool,
 * the element imports from a #GstZcBufferPool of its own (on the library's
 * allocator that downstream lists in the query, if any). Every free
 * buffer of the pool is queued, at least 2 before `VIDIOC_STREAMON`; a
 * dma-buf keeps the V4L2 buffer index it was first queued with (found by
 * its inode), and goes back to the driver once downstream has released
 * it to its pool. Capture then waits for downstream to release a buffer
 * when the driver has none. `auto` imports when downstream offers a pool
 * that fits (and the driver takes it), and exports otherwise.
 *
 * The caps are what the device enumerates (`VIDIOC_ENUM_FMT`,
 * `VIDIOC_ENUM_FRAMESIZES`, `VIDIOC_ENUM_FRAMEINTERVALS`) in the raw
 * formats zcv4l2src knows, every structure first with the `memory:DMABuf`
 * feature, then again in system memory (the same dma-bufs, mapped on
 * demand), so that negotiation prefers dma-bufs. Where downstream leaves a
 * choice, the size nearest 640x480 and the rate nearest 30 fps are taken.
 *
 * Every frame the driver stamped with `CLOCK_MONOTONIC`
 * (`V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC`) carries that raw timestamp as its
 * capture time (gst_zc_buffer_get_capture_time()), in both I/O modes, so
 * that a display downstream can measure capture-to-screen latency. A
 * stamp later than the moment the frame was dequeued (a driver stamping
 * an estimated end of frame, or a drifting clock) is bounded by that
 * moment: a capture time is never in the future.
 *
 * The source is live. A frame's PTS is the running time of its capture:
 * when the element's clock is the plain #GstSystemClock of type
 * %GST_CLOCK_TYPE_MONOTONIC (the usual pipeline clock) and the driver
 * stamps frames with `CLOCK_MONOTONIC` (`V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC`),
 * it is the driver's timestamp (through the clock's calibration) minus the
 * base time, free of scheduling delays; with any other clock, or driver
 * clock, it is the clock's time when the frame was dequeued minus the base
 * time; without a clock there is none. The duration comes from the frame
 * rate; OFFSET and OFFSET_END are the driver's frame sequence numbers. A
 * gap in the sequence (frames the driver dropped) is logged and marks the
 * next buffer DISCONT; frames the driver flags as bad are dropped.
 *
 * A device that cannot be opened or is not a capture device fails the NULL
 * to READY change with a %GST_RESOURCE_ERROR; one that delivers no frame
 * for 5 seconds while it has buffers to fill, or fails while streaming, is
 * a %GST_RESOURCE_ERROR_READ error.
 *
 * ## Example launch lines
 * |[<!-- run: vm -->
 * gst-launch-1.0 zcv4l2src device=/dev/video0 num-buffers=30 ! 'video/x-raw(memory:DMABuf)' ! fakesink
 * ]| captures 30 frames as dma-bufs in the format negotiation prefers.
 * |[<!-- run: vm; creates: snapshot-00000.png snapshot-00030.png -->
 * gst-launch-1.0 zcv4l2src device=/dev/video0 num-buffers=60 ! 'video/x-raw(memory:DMABuf),format=YUY2,width=640,height=480' ! zcsnapshot interval=30 ! fakesink
 * ]| captures 60 YUY2 frames and writes two of them as PNG files.
 * |[<!-- run: vm -->
 * gst-launch-1.0 zcv4l2src io-mode=dmabuf-import num-buffers=30 ! video/x-raw,format=BGRx ! zckmssink
 * ]| captures straight into the display's scanout buffers.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcv4l2src.h"
#include "gstzcv4l2elements.h"
#include "gstzcv4l2bufferpool.h"
#include "gstzcv4l2device.h"
#include "gstzcv4l2format.h"
#include "gstzcv4l2import.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/videodev2.h>
#include <gio/gio.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_v4l2_src_debug);
#define GST_CAT_DEFAULT gst_zc_v4l2_src_debug

#define DEFAULT_DEVICE "/dev/video0"
#define DEFAULT_IO_BUFFERS 4
#define MIN_IO_BUFFERS 2
/* The driver's own buffers: capture never waits for downstream to give a
 * buffer back, and a slow consumer cannot starve it. */
#define DEFAULT_IO_MODE GST_ZC_V4L2_IO_MODE_DMABUF_EXPORT

/* What fixate aims at when downstream leaves a choice. */
#define PREFERRED_WIDTH 640
#define PREFERRED_HEIGHT 480
#define PREFERRED_FPS_N 30

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_IO_BUFFERS,
  PROP_DEVICE_NAME,
  PROP_IO_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _GstZcV4l2Src
{
  GstPushSrc parent;

  /* under the object lock */
  gchar *device;
  guint io_buffers;
  GstZcV4l2IoMode io_mode;
  gchar *device_name;           /* the open device's card name */
  gint fd;                      /* -1 while closed */
  GstCaps *probed_caps;         /* the open device's, NULL until asked */
  GstZcV4l2BufferPool *pool;    /* made by decide_allocation */
  GstBufferPool *import_pool;   /* importing: where the dma-bufs come from */
  GstClockTime frame_duration;  /* NONE while not negotiated or unknown */
  gboolean negotiated;

  /* set in NULL to READY, cleared in READY to NULL: the streaming thread
   * only runs in between and reads them without the lock */
  gchar *opened;                /* the path the device was opened as */

  /* streaming thread */
  GstCaps *caps;
  GstVideoInfo info;            /* the caps with the driver's layout */
  gboolean have_sequence;
  guint64 next_sequence;
};

#define gst_zc_v4l2_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcV4l2Src, gst_zc_v4l2_src, GST_TYPE_PUSH_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_zc_v4l2_src_debug, "zcv4l2src", 0,
        "zero-copy V4L2 capture"));
GST_ELEMENT_REGISTER_DEFINE (zcv4l2src, "zcv4l2src", GST_RANK_NONE,
    GST_TYPE_ZC_V4L2_SRC);

/**
 * gst_zc_v4l2_io_mode_get_type:
 *
 * Returns: the #GType of #GstZcV4l2IoMode.
 *
 * Since: 0.1
 */
GType
gst_zc_v4l2_io_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ZC_V4L2_IO_MODE_AUTO, "Import downstream's dma-bufs when they fit, "
          "else export", "auto"},
    {GST_ZC_V4L2_IO_MODE_DMABUF_EXPORT, "Export the driver's buffers "
          "(V4L2_MEMORY_MMAP + VIDIOC_EXPBUF)", "dmabuf-export"},
    {GST_ZC_V4L2_IO_MODE_DMABUF_IMPORT, "Import dma-bufs "
          "(V4L2_MEMORY_DMABUF): downstream's, else our own", "dmabuf-import"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstZcV4l2IoMode",
            values));
  return type;
}

/* Device lifetime: NULL to READY and back */

static void
post_open_error (GstZcV4l2Src * self, const gchar * device, gint err)
{
  if (err == ENOENT || err == ENODEV || err == ENXIO)
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Device \"%s\" does not exist.", device),
        ("open: %s", g_strerror (err)));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Could not open device \"%s\" for reading and writing.", device),
        ("open: %s", g_strerror (err)));
}

/* Checks that @fd is a single-planar capture device with streaming I/O
 * and returns its card name, or posts the error. */
static gchar *
query_device (GstZcV4l2Src * self, gint fd, const gchar * device)
{
  struct v4l2_capability cap = { 0 };
  struct stat st;
  guint32 caps;
  gint err;

  if (fstat (fd, &st) < 0)
    goto stat_failed;
  if (!S_ISCHR (st.st_mode))
    goto not_a_device;
  if (gst_zc_v4l2_ioctl (fd, VIDIOC_QUERYCAP, &cap) < 0)
    goto not_v4l2;

  /* capabilities covers every node of the driver, device_caps this one */
  caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ?
      cap.device_caps : cap.capabilities;
  if (!(caps & V4L2_CAP_VIDEO_CAPTURE))
    goto not_capture;
  if (!(caps & V4L2_CAP_STREAMING))
    goto no_streaming;

  GST_INFO_OBJECT (self, "%s: \"%s\" (driver %s, bus %s), caps 0x%08x",
      device, cap.card, cap.driver, cap.bus_info, caps);
  return g_strndup ((const gchar *) cap.card, sizeof (cap.card));

  /* ERRORS */
stat_failed:
  err = errno;
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
      ("Could not open device \"%s\".", device),
      ("fstat failed: %s", g_strerror (err)));
  return NULL;
not_a_device:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
      ("\"%s\" is not a device.", device),
      ("not a character device (mode 0%o)", (guint) st.st_mode));
  return NULL;
not_v4l2:
  err = errno;
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
      ("\"%s\" is not a V4L2 device.", device),
      ("VIDIOC_QUERYCAP failed: %s", g_strerror (err)));
  return NULL;
not_capture:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("\"%s\" is not a video capture device.", device),
      ("device caps 0x%08x lack V4L2_CAP_VIDEO_CAPTURE%s", caps,
          (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) ?
          " (multi-planar capture is not supported)" : ""));
  return NULL;
no_streaming:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("\"%s\" cannot stream video.", device),
      ("device caps 0x%08x lack V4L2_CAP_STREAMING", caps));
  return NULL;
}

static gboolean
gst_zc_v4l2_src_open (GstZcV4l2Src * self)
{
  gchar *device, *name;
  gint fd;

  GST_OBJECT_LOCK (self);
  device = g_strdup (self->device);
  GST_OBJECT_UNLOCK (self);

  if (!device)
    goto no_device;
  fd = open (device, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    goto open_failed;
  name = query_device (self, fd, device);
  if (!name)
    goto close_fd;

  GST_OBJECT_LOCK (self);
  self->fd = fd;
  self->device_name = name;
  GST_OBJECT_UNLOCK (self);
  self->opened = device;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_NAME]);

  return TRUE;

  /* ERRORS */
no_device:
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No device given."),
      ("the device property is NULL"));
  return FALSE;
open_failed:
  post_open_error (self, device, errno);
  g_free (device);
  return FALSE;
close_fd:
  close (fd);
  g_free (device);
  return FALSE;
}

static void
gst_zc_v4l2_src_close (GstZcV4l2Src * self)
{
  gint fd;

  GST_OBJECT_LOCK (self);
  fd = self->fd;
  self->fd = -1;
  g_clear_pointer (&self->device_name, g_free);
  gst_clear_caps (&self->probed_caps);
  GST_OBJECT_UNLOCK (self);

  if (fd >= 0) {
    close (fd);
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_NAME]);
  }
  g_clear_pointer (&self->opened, g_free);
}

static GstStateChangeReturn
gst_zc_v4l2_src_change_state (GstElement * element, GstStateChange transition)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY &&
      !gst_zc_v4l2_src_open (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_READY_TO_NULL ||
      (transition == GST_STATE_CHANGE_NULL_TO_READY &&
          ret == GST_STATE_CHANGE_FAILURE))
    gst_zc_v4l2_src_close (self);

  return ret;
}

/* Caps */

/* Returns: (transfer full) (nullable): the open device's caps, probed the
 * first time; NULL while the device is closed. */
static GstCaps *
get_device_caps (GstZcV4l2Src * self)
{
  GstCaps *caps = NULL;

  GST_OBJECT_LOCK (self);
  if (self->fd >= 0 && !self->probed_caps)
    self->probed_caps =
        gst_zc_v4l2_format_dmabuf_first (gst_zc_v4l2_device_probe_caps
        (self->fd));
  if (self->probed_caps)
    caps = gst_caps_ref (self->probed_caps);
  GST_OBJECT_UNLOCK (self);

  return caps;
}

static GstCaps *
gst_zc_v4l2_src_get_caps (GstBaseSrc * bsrc, GstCaps * filter)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (bsrc);
  GstCaps *caps, *result;

  caps = get_device_caps (self);
  if (!caps)
    caps = gst_pad_get_pad_template_caps (GST_BASE_SRC_PAD (bsrc));
  if (!filter)
    return caps;

  result = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref (caps);
  return result;
}

/* How far a structure's nearest size is from the preferred one. */
static guint
size_distance (const GstStructure * s)
{
  GstStructure *copy = gst_structure_copy (s);
  gint width = 0, height = 0;

  gst_structure_fixate_field_nearest_int (copy, "width", PREFERRED_WIDTH);
  gst_structure_fixate_field_nearest_int (copy, "height", PREFERRED_HEIGHT);
  gst_structure_get_int (copy, "width", &width);
  gst_structure_get_int (copy, "height", &height);
  gst_structure_free (copy);

  return ABS (width - PREFERRED_WIDTH) + ABS (height - PREFERRED_HEIGHT);
}

static gboolean
same_format (const GstStructure * a, const GstStructure * b)
{
  const GValue *fa = gst_structure_get_value (a, "format");
  const GValue *fb = gst_structure_get_value (b, "format");

  return fa && fb && gst_value_compare (fa, fb) == GST_VALUE_EQUAL;
}

/* Among the structures with the first one's memory and format (the
 * preference order of negotiation), the index of the one whose size comes
 * nearest the preferred size. */
static guint
preferred_structure (GstCaps * caps)
{
  const GstStructure *first = gst_caps_get_structure (caps, 0);
  GstCapsFeatures *features = gst_caps_get_features (caps, 0);
  guint i, best = 0, best_distance = G_MAXUINT, distance;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    const GstStructure *s = gst_caps_get_structure (caps, i);

    if (!gst_caps_features_is_equal (features, gst_caps_get_features (caps,
                i)) || !same_format (first, s))
      continue;
    distance = size_distance (s);
    if (distance < best_distance) {
      best = i;
      best_distance = distance;
    }
  }
  return best;
}

static GstCaps *
gst_zc_v4l2_src_fixate (GstBaseSrc * bsrc, GstCaps * caps)
{
  GstCaps *fixed;
  GstStructure *s;
  guint best;

  best = preferred_structure (caps);
  fixed = gst_caps_copy_nth (caps, best);
  gst_caps_unref (caps);

  s = gst_caps_get_structure (fixed, 0);
  gst_structure_fixate_field_nearest_int (s, "width", PREFERRED_WIDTH);
  gst_structure_fixate_field_nearest_int (s, "height", PREFERRED_HEIGHT);
  gst_structure_fixate_field_nearest_fraction (s, "framerate",
      PREFERRED_FPS_N, 1);

  return GST_BASE_SRC_CLASS (parent_class)->fixate (bsrc, fixed);
}

/* Negotiation */

/* VIDIOC_S_FMT with the caps' format and size; the driver may answer
 * another format, which is a negotiation failure, and chooses the layout
 * (bytesperline, sizeimage), which goes into @info. */
static gboolean
set_format (GstZcV4l2Src * self, GstVideoInfo * info)
{
  struct v4l2_format fmt = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
  struct v4l2_pix_format *pix = &fmt.fmt.pix;
  guint32 fourcc;
  gint err;

  fourcc = gst_zc_v4l2_device_find_fourcc (self->fd,
      GST_VIDEO_INFO_FORMAT (info));
  if (!fourcc)
    goto no_fourcc;
  pix->width = info->width;
  pix->height = info->height;
  pix->pixelformat = fourcc;
  pix->field = V4L2_FIELD_NONE;
  if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_S_FMT, &fmt) < 0)
    goto s_fmt_failed;
  if (pix->pixelformat != fourcc || pix->width != (guint) info->width ||
      pix->height != (guint) info->height)
    goto format_changed;
  if (pix->field != V4L2_FIELD_NONE && pix->field != V4L2_FIELD_ANY)
    goto interlaced;
  if (!gst_zc_v4l2_format_layout (info, pix->bytesperline, pix->sizeimage))
    goto bad_layout;

  GST_DEBUG_OBJECT (self, "format %" GST_FOURCC_FORMAT " %ux%u, "
      "bytesperline %u, sizeimage %u", GST_FOURCC_ARGS (fourcc), pix->width,
      pix->height, pix->bytesperline, pix->sizeimage);
  return TRUE;

  /* ERRORS */
no_fourcc:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("Device \"%s\" does not capture %s.", self->opened,
          GST_VIDEO_INFO_NAME (info)), ("no such format in VIDIOC_ENUM_FMT"));
  return FALSE;
s_fmt_failed:
  err = errno;
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("Could not set format %s %dx%d on device \"%s\".",
          GST_VIDEO_INFO_NAME (info), info->width, info->height, self->opened),
      ("VIDIOC_S_FMT failed: %s", g_strerror (err)));
  return FALSE;
format_changed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("Device \"%s\" cannot capture %s %dx%d.", self->opened,
          GST_VIDEO_INFO_NAME (info), info->width, info->height),
      ("VIDIOC_S_FMT answered %" GST_FOURCC_FORMAT " %ux%u",
          GST_FOURCC_ARGS (pix->pixelformat), pix->width, pix->height));
  return FALSE;
interlaced:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("Device \"%s\" only captures interlaced video.", self->opened),
      ("VIDIOC_S_FMT answered field %u", pix->field));
  return FALSE;
bad_layout:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("Device \"%s\" gave an unusable frame layout.", self->opened),
      ("bytesperline %u, sizeimage %u too small for %s %dx%d",
          pix->bytesperline, pix->sizeimage, GST_VIDEO_INFO_NAME (info),
          info->width, info->height));
  return FALSE;
}

/* VIDIOC_S_PARM with the caps' frame rate, on devices that can set it.
 * The driver may round: its answer goes into @info, so that durations and
 * latency are the real ones. */
static gboolean
set_framerate (GstZcV4l2Src * self, GstVideoInfo * info)
{
  struct v4l2_streamparm parm = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
  struct v4l2_fract *tpf = &parm.parm.capture.timeperframe;
  gint err;

  if (info->fps_n <= 0 || info->fps_d <= 0)
    return TRUE;
  if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_G_PARM, &parm) < 0 ||
      !(parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) {
    GST_DEBUG_OBJECT (self, "the device does not set frame rates");
    return TRUE;
  }

  tpf->numerator = info->fps_d;
  tpf->denominator = info->fps_n;
  if (gst_zc_v4l2_ioctl (self->fd, VIDIOC_S_PARM, &parm) < 0)
    goto s_parm_failed;

  if (tpf->numerator && tpf->denominator &&
      gst_util_fraction_compare (tpf->denominator, tpf->numerator,
          info->fps_n, info->fps_d) != 0) {
    GST_WARNING_OBJECT (self, "asked for %d/%d fps, the driver chose %u/%u",
        info->fps_n, info->fps_d, tpf->denominator, tpf->numerator);
    info->fps_n = tpf->denominator;
    info->fps_d = tpf->numerator;
  }
  return TRUE;

  /* ERRORS */
s_parm_failed:
  err = errno;
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("Could not set %d/%d fps on device \"%s\".", info->fps_n, info->fps_d,
          self->opened), ("VIDIOC_S_PARM failed: %s", g_strerror (err)));
  return FALSE;
}

/* Forgets the negotiation and gives the pool's V4L2 queue back to the
 * driver, now: the format cannot change while buffers exist, and a stopped
 * element must not keep the device streaming for buffers downstream still
 * holds. */
static void
drop_pool (GstZcV4l2Src * self)
{
  GstZcV4l2BufferPool *pool;
  GstBufferPool *import_pool;

  gst_clear_caps (&self->caps);
  /* a new queue numbers its frames from 0 */
  self->have_sequence = FALSE;
  GST_OBJECT_LOCK (self);
  pool = g_steal_pointer (&self->pool);
  import_pool = g_steal_pointer (&self->import_pool);
  self->negotiated = FALSE;
  self->frame_duration = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);

  if (pool) {
    gst_zc_v4l2_buffer_pool_orphan (pool);
    gst_object_unref (pool);
  }
  /* Deactivated by the base class, once it lets go of it. */
  gst_clear_object (&import_pool);
}

static gboolean
gst_zc_v4l2_src_set_caps (GstBaseSrc * bsrc, GstCaps * caps)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (bsrc);
  GstVideoInfo info;

  /* Negotiated again (a reconfigure) to the same caps: the pool stays. */
  if (self->caps && gst_caps_is_equal (caps, self->caps))
    return TRUE;
  if (!gst_video_info_from_caps (&info, caps))
    goto invalid_caps;

  drop_pool (self);
  if (!set_format (self, &info) || !set_framerate (self, &info))
    return FALSE;

  self->info = info;
  gst_caps_replace (&self->caps, caps);
  GST_OBJECT_LOCK (self);
  self->negotiated = TRUE;
  if (info.fps_n > 0 && info.fps_d > 0)
    self->frame_duration = gst_util_uint64_scale_int (GST_SECOND, info.fps_d,
        info.fps_n);
  GST_OBJECT_UNLOCK (self);

  return TRUE;

  /* ERRORS */
invalid_caps:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
      ("invalid caps %" GST_PTR_FORMAT, caps));
  return FALSE;
}

/* Returns: (transfer full) (nullable): the V4L2 queue of the negotiated
 * format, activated (REQBUFS; exporting also EXPBUF and QBUF), importing
 * from @import_pool when not NULL; NULL with @error set. */
static GstBufferPool *
new_queue (GstZcV4l2Src * self, GstBufferPool * import_pool, guint count,
    GError ** error)
{
  GstBufferPool *pool;

  pool = gst_zc_v4l2_buffer_pool_new (self->fd, self->caps, &self->info,
      count, import_pool, error);
  if (!pool)
    return NULL;
  if (!gst_buffer_pool_set_active (pool, TRUE)) {
    *error = gst_zc_v4l2_buffer_pool_take_error (GST_ZC_V4L2_BUFFER_POOL
        (pool));
    gst_object_unref (pool);
    return NULL;
  }
  return pool;
}

/* The dma-bufs to import for @mode, or NULL to export. */
static GstBufferPool *
choose_import_pool (GstZcV4l2Src * self, GstQuery * query,
    GstZcV4l2IoMode mode, guint count)
{
  if (mode == GST_ZC_V4L2_IO_MODE_DMABUF_EXPORT)
    return NULL;
  return gst_zc_v4l2_import_choose_pool (GST_ELEMENT (self), self->fd, query,
      self->caps, &self->info, count,
      mode == GST_ZC_V4L2_IO_MODE_DMABUF_IMPORT);
}

/* Makes the V4L2 queue, importing or exporting as #GstZcV4l2Src:io-mode
 * and @query decide; auto falls back to exporting when the driver refuses
 * to import. */
static gboolean
make_pool (GstZcV4l2Src * self, GstQuery * query)
{
  GstBufferPool *pool, *import_pool;
  GstZcV4l2IoMode mode;
  GError *error = NULL;
  guint count;

  GST_OBJECT_LOCK (self);
  count = self->io_buffers;
  mode = self->io_mode;
  GST_OBJECT_UNLOCK (self);

  import_pool = choose_import_pool (self, query, mode, count);
  if (mode == GST_ZC_V4L2_IO_MODE_DMABUF_IMPORT && !import_pool)
    goto no_import_pool;
  pool = new_queue (self, import_pool, count, &error);
  if (!pool && import_pool && mode == GST_ZC_V4L2_IO_MODE_AUTO) {
    GST_INFO_OBJECT (self, "the driver does not import: %s", error->message);
    g_clear_error (&error);
    gst_buffer_pool_set_active (import_pool, FALSE);
    gst_clear_object (&import_pool);
    pool = new_queue (self, NULL, count, &error);
  }
  if (!pool)
    goto failed;

  GST_INFO_OBJECT (self, "%s", import_pool ? "importing dma-bufs" :
      "exporting the driver's buffers");
  GST_OBJECT_LOCK (self);
  self->pool = GST_ZC_V4L2_BUFFER_POOL (pool);
  self->import_pool = import_pool;
  GST_OBJECT_UNLOCK (self);
  return TRUE;

  /* ERRORS */
no_import_pool:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
      ("Could not get dma-bufs to capture into from device \"%s\".",
          self->opened), ("no pool of dma-bufs fits %s %dx%d, bytesperline "
          "%d, sizeimage %" G_GSIZE_FORMAT, GST_VIDEO_INFO_NAME (&self->info),
          self->info.width, self->info.height, self->info.stride[0],
          self->info.size));
  return FALSE;
failed:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
      ("Could not get %u buffers from device \"%s\".", count, self->opened),
      ("%s", error ? error->message : "unknown error"));
  g_clear_error (&error);
  if (import_pool)
    gst_buffer_pool_set_active (import_pool, FALSE);
  gst_clear_object (&import_pool);
  return FALSE;
}

/* The pool downstream's buffers come from, for the base class to
 * activate, flush and deactivate: the V4L2 queue when exporting, the
 * imported pool when importing. */
static GstBufferPool *
get_output_pool (GstZcV4l2Src * self)
{
  GstBufferPool *pool = NULL;

  GST_OBJECT_LOCK (self);
  if (self->import_pool)
    pool = gst_object_ref (self->import_pool);
  else if (self->pool)
    pool = gst_object_ref (GST_BUFFER_POOL (self->pool));
  GST_OBJECT_UNLOCK (self);
  return pool;
}

/* Decided once per negotiation: a reconfigure to the same caps keeps the
 * queue, and with it the mode. */
static gboolean
gst_zc_v4l2_src_decide_allocation (GstBaseSrc * bsrc, GstQuery * query)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (bsrc);
  GstBufferPool *pool;
  GstStructure *config;
  guint size, min, max;

  pool = get_output_pool (self);
  if (!pool && !make_pool (self, query))
    return FALSE;
  if (!pool)
    pool = get_output_pool (self);

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_params (config, NULL, &size, &min, &max);
  gst_structure_free (config);

  if (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_set_nth_allocation_pool (query, 0, pool, size, min, max);
  else
    gst_query_add_allocation_pool (query, pool, size, min, max);
  gst_object_unref (pool);

  return TRUE;
}

/* Streaming */

static gboolean
gst_zc_v4l2_src_start (GstBaseSrc * bsrc)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (bsrc);
  GstCaps *caps = get_device_caps (self);
  gboolean empty = !caps || gst_caps_is_empty (caps);

  gst_clear_caps (&caps);
  if (empty)
    goto no_formats;

  return TRUE;

  /* ERRORS */
no_formats:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("Device \"%s\" offers no format zcv4l2src can capture.",
          self->opened), ("no raw single-planar format in VIDIOC_ENUM_FMT"));
  return FALSE;
}

static gboolean
gst_zc_v4l2_src_stop (GstBaseSrc * bsrc)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (bsrc);

  drop_pool (self);

  return TRUE;
}

static GstZcV4l2BufferPool *
get_pool (GstZcV4l2Src * self)
{
  GstZcV4l2BufferPool *pool = NULL;

  GST_OBJECT_LOCK (self);
  if (self->pool)
    pool = gst_object_ref (self->pool);
  GST_OBJECT_UNLOCK (self);

  return pool;
}

/* Wakes up (or lets go on) a create() waiting for a frame. */
static void
set_flushing (GstZcV4l2Src * self, gboolean flushing)
{
  GstZcV4l2BufferPool *pool = get_pool (self);

  if (!pool)
    return;
  if (gst_buffer_pool_is_active (GST_BUFFER_POOL (pool)))
    gst_buffer_pool_set_flushing (GST_BUFFER_POOL (pool), flushing);
  gst_object_unref (pool);
}

static gboolean
gst_zc_v4l2_src_unlock (GstBaseSrc * bsrc)
{
  set_flushing (GST_ZC_V4L2_SRC (bsrc), TRUE);
  return TRUE;
}

static gboolean
gst_zc_v4l2_src_unlock_stop (GstBaseSrc * bsrc)
{
  set_flushing (GST_ZC_V4L2_SRC (bsrc), FALSE);
  return TRUE;
}

/* Only the plain system clock: subclasses such as GstAudioClock keep the
 * property but count another time. */
static gboolean
is_monotonic_clock (GstClock * clock)
{
  GstClockType type;

  if (G_OBJECT_TYPE (clock) != GST_TYPE_SYSTEM_CLOCK)
    return FALSE;
  g_object_get (clock, "clock-type", &type, NULL);
  return type == GST_CLOCK_TYPE_MONOTONIC;
}

/* The rule of the SECTION doc: @capture is the driver's CLOCK_MONOTONIC
 * timestamp, or NONE. */
static GstClockTime
capture_running_time (GstZcV4l2Src * self, GstClockTime capture)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime base, internal, external, num, denom, now;

  if (!clock)
    return GST_CLOCK_TIME_NONE;

  base = gst_element_get_base_time (GST_ELEMENT (self));
  if (GST_CLOCK_TIME_IS_VALID (capture) && is_monotonic_clock (clock)) {
    gst_clock_get_calibration (clock, &internal, &external, &num, &denom);
    now = gst_clock_adjust_with_calibration (clock, capture, internal,
        external, num, denom);
  } else {
    now = gst_clock_get_time (clock);
  }
  gst_object_unref (clock);

  return now > base ? now - base : 0;
}

static void
track_sequence (GstZcV4l2Src * self, GstBuffer * buffer)
{
  guint64 sequence = GST_BUFFER_OFFSET (buffer);

  if (!self->have_sequence) {
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  } else if (sequence != self->next_sequence) {
    GST_INFO_OBJECT (self, "%" G_GINT64_FORMAT " frames lost before frame %"
        G_GUINT64_FORMAT, (gint64) (sequence - self->next_sequence), sequence);
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  }
  self->have_sequence = TRUE;
  self->next_sequence = sequence + 1;
}

static void
post_capture_error (GstZcV4l2Src * self, GstZcV4l2BufferPool * pool)
{
  GError *error = gst_zc_v4l2_buffer_pool_take_error (pool);
  const gchar *debug = error ? error->message : "unknown error";

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Device \"%s\" stopped sending frames.", self->opened), ("%s", debug));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SUCH_DEVICE))
    /* ENODEV: the driver unregistered the node (a USB camera pulled out,
     * vivid's Disconnect control). */
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Device \"%s\" was disconnected.", self->opened), ("%s", debug));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not capture from device \"%s\".", self->opened), ("%s", debug));
  g_clear_error (&error);
}

/* Captures on the streaming thread with the element as the thread's
 * element (gstzcstats.h): whatever the library counts meanwhile (SYNC
 * brackets, helper copies) is the source's. The previous one is put back
 * for the push: downstream's chain functions run on this thread too and
 * are not the source's work. */
static GstFlowReturn
capture (GstZcV4l2Src * self, GstZcV4l2BufferPool * pool, GstBuffer ** buffer)
{
  GstElement *previous = gst_zc_stats_get_thread_element ();
  GstFlowReturn ret;

  gst_zc_stats_set_thread_element (GST_ELEMENT (self));
  ret = gst_zc_v4l2_buffer_pool_capture (pool, buffer);
  gst_zc_stats_set_thread_element (previous);
  gst_clear_object (&previous);
  return ret;
}

static GstFlowReturn
gst_zc_v4l2_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (psrc);
  GstZcV4l2BufferPool *pool = get_pool (self);
  GstBuffer *buffer;
  GstFlowReturn ret;

  if (!pool)
    return GST_FLOW_NOT_NEGOTIATED;

  ret = capture (self, pool, &buffer);
  if (ret == GST_FLOW_ERROR)
    post_capture_error (self, pool);
  gst_object_unref (pool);
  if (ret != GST_FLOW_OK)
    return ret;

  GST_BUFFER_PTS (buffer) = capture_running_time (self,
      GST_BUFFER_PTS (buffer));
  GST_BUFFER_DURATION (buffer) = self->frame_duration;
  track_sequence (self, buffer);

  *outbuf = buffer;
  return GST_FLOW_OK;
}

static gboolean
gst_zc_v4l2_src_query (GstBaseSrc * bsrc, GstQuery * query)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (bsrc);
  GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
  gboolean negotiated;

  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_BASE_SRC_CLASS (parent_class)->query (bsrc, query);

  /* A frame is pushed once captured (min); the driver may hold up to
   * io-buffers captured frames before it drops (max). */
  GST_OBJECT_LOCK (self);
  negotiated = self->negotiated;
  if (GST_CLOCK_TIME_IS_VALID (self->frame_duration)) {
    min = self->frame_duration;
    max = self->frame_duration * self->io_buffers;
  }
  GST_OBJECT_UNLOCK (self);

  if (!negotiated)
    return FALSE;
  GST_DEBUG_OBJECT (self, "latency min %" GST_TIME_FORMAT " max %"
      GST_TIME_FORMAT, GST_TIME_ARGS (min), GST_TIME_ARGS (max));
  gst_query_set_latency (query, TRUE, min, max);
  return TRUE;
}

/* GObject */

static void
gst_zc_v4l2_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_IO_BUFFERS:
      self->io_buffers = g_value_get_uint (value);
      break;
    case PROP_IO_MODE:
      self->io_mode = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_zc_v4l2_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_IO_BUFFERS:
      g_value_set_uint (value, self->io_buffers);
      break;
    case PROP_DEVICE_NAME:
      g_value_set_string (value, self->device_name);
      break;
    case PROP_IO_MODE:
      g_value_set_enum (value, self->io_mode);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_zc_v4l2_src_finalize (GObject * object)
{
  GstZcV4l2Src *self = GST_ZC_V4L2_SRC (object);

  g_free (self->device);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_zc_v4l2_src_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcV4l2Src:device:
   *
   * The V4L2 device node to capture from. Read when the element opens it,
   * in the NULL to READY state change.
   *
   * Since: 0.1
   */
  properties[PROP_DEVICE] = g_param_spec_string ("device", "Device",
      "V4L2 capture device node, opened in NULL to READY; one that cannot be "
      "opened or does not capture is a resource error", DEFAULT_DEVICE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcV4l2Src:io-buffers:
   *
   * How many V4L2 buffers to ask the driver for (`VIDIOC_REQBUFS`); the
   * driver may grant a few more or fewer. Downstream can hold all but one
   * before capture stalls; each costs one frame of memory. At least 2: the
   * driver fills one while the other goes downstream.
   *
   * Since: 0.1
   */
  properties[PROP_IO_BUFFERS] = g_param_spec_uint ("io-buffers",
      "I/O buffers", "Number of V4L2 buffers to request (VIDIOC_REQBUFS), "
      "one frame of memory each; the driver may grant more or fewer",
      MIN_IO_BUFFERS,
      VIDEO_MAX_FRAME, DEFAULT_IO_BUFFERS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcV4l2Src:device-name:
   *
   * The card name the driver reports for the open device
   * (`VIDIOC_QUERYCAP`), %NULL while it is closed.
   *
   * Since: 0.1
   */
  properties[PROP_DEVICE_NAME] = g_param_spec_string ("device-name",
      "Device name", "Card name the driver reports for the open device "
      "(VIDIOC_QUERYCAP); NULL while closed", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcV4l2Src:io-mode:
   *
   * Whose dma-bufs the driver captures into: its own, exported
   * (`dmabuf-export`, the default: capture never waits for downstream);
   * downstream's or the element's own pool's, imported (`dmabuf-import`:
   * the frames land where they are used, at the price of waiting when
   * downstream holds every buffer); or `auto`, importing when downstream
   * offers a pool that fits. Read when the caps are negotiated.
   *
   * Since: 0.1
   */
  properties[PROP_IO_MODE] = g_param_spec_enum ("io-mode", "I/O mode",
      "Export the driver's buffers or import dma-bufs, chosen when the caps "
      "are negotiated; import falls back to a pool of the element's own",
      GST_TYPE_ZC_V4L2_IO_MODE, DEFAULT_IO_MODE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);
}

static void
gst_zc_v4l2_src_class_init (GstZcV4l2SrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);
  GstCaps *caps;

  gobject_class->set_property = gst_zc_v4l2_src_set_property;
  gobject_class->get_property = gst_zc_v4l2_src_get_property;
  gobject_class->finalize = gst_zc_v4l2_src_finalize;
  gst_zc_v4l2_src_install_properties (gobject_class);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_change_state);

  basesrc_class->get_caps = GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_get_caps);
  basesrc_class->fixate = GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_fixate);
  basesrc_class->set_caps = GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_set_caps);
  basesrc_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_decide_allocation);
  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_unlock_stop);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_query);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_zc_v4l2_src_create);

  caps = gst_zc_v4l2_format_template_caps ();
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
  gst_element_class_set_static_metadata (element_class,
      "Zero-copy V4L2 source", "Source/Video",
      "Captures from a V4L2 device into dma-bufs, the driver's exported or "
      "downstream's imported, without copying", "gst-zerocopy developers");
  gst_type_mark_as_plugin_api (GST_TYPE_ZC_V4L2_IO_MODE, 0);
}

static void
gst_zc_v4l2_src_init (GstZcV4l2Src * self)
{
  GstBaseSrc *bsrc = GST_BASE_SRC (self);

  self->device = g_strdup (DEFAULT_DEVICE);
  self->io_buffers = DEFAULT_IO_BUFFERS;
  self->io_mode = DEFAULT_IO_MODE;
  self->fd = -1;
  self->frame_duration = GST_CLOCK_TIME_NONE;

  gst_base_src_set_live (bsrc, TRUE);
  gst_base_src_set_format (bsrc, GST_FORMAT_TIME);
}
