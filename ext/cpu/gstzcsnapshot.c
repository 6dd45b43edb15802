/* zcsnapshot: writes chosen video frames as PNG files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-zcsnapshot
 * @title: zcsnapshot
 *
 * Passes video through untouched (no copy, the same buffers go on) and
 * writes some of its frames as 8-bit RGB PNG files: every
 * #GstZcSnapshot:interval frames, and the next frame after each emission
 * of the #GstZcSnapshot::snapshot action signal.
 *
 * Frames may be dma-bufs (`memory:DMABuf`) that a device still writes: the
 * element first waits for the device (implicit fences, at most
 * #GstZcSnapshot:timeout), then reads the frame between `DMA_BUF_IOCTL_SYNC`
 * READ brackets through the zero-copy library's CPU view, converts it to
 * RGB and ends the bracket before encoding. Plain system memory works the
 * same way.
 *
 * After each file is written, an element message named `zcsnapshot` is
 * posted with the fields `location` (string: the file written), `frame`
 * (guint64: the frame number), `timestamp` (guint64: the buffer's PTS, a
 * #GstClockTime), `width` and `height` (gint, pixels).
 *
 * A file that cannot be written is a %GST_RESOURCE_ERROR_OPEN_WRITE error;
 * a frame that does not become ready in time is skipped with a warning.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 zcv4l2src num-buffers=60 ! zcsnapshot location=snap-%05d.png interval=30 ! fakesink
 * ]|
 * writes snap-00000.png and snap-00030.png.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcsnapshot.h"
#include "gstzccpuelements.h"
#include "gstzcpng.h"

#include <string.h>

#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_snapshot_debug);
#define GST_CAT_DEFAULT gst_zc_snapshot_debug

#define DEFAULT_LOCATION "snapshot-%05d.png"
#define DEFAULT_INTERVAL 0
#define DEFAULT_TIMEOUT GST_SECOND
/* The wait for the device cannot be interrupted by a state change, so it
 * is bounded: a device that stalls longer than this is broken anyway. */
#define MAX_TIMEOUT (60 * GST_SECOND)

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_INTERVAL,
  PROP_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_SNAPSHOT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _GstZcSnapshot
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *location;
  gchar *format;                /* location rewritten for one guint64 */
  guint interval;
  GstClockTime timeout;

  gint snapshot_requested;      /* atomic: set by the action signal */

  /* streaming thread */
  guint64 frame_count;          /* frames seen since start */
  GstVideoInfo in_info;
  GstVideoConverter *converter; /* in_info to rgb_frame; NULL until caps */
  GstBuffer *rgb_buffer;
  GstVideoFrame rgb_frame;      /* rgb_buffer, mapped while converter is set */
};

#define ZC_SNAPSHOT_CAPS \
  GST_VIDEO_CAPS_MAKE_WITH_FEATURES (GST_CAPS_FEATURE_MEMORY_DMABUF, \
      GST_VIDEO_FORMATS_ALL) "; " \
  GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (ZC_SNAPSHOT_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (ZC_SNAPSHOT_CAPS));

/* A GstBaseTransform rather than a GstVideoFilter: the latter maps every
 * frame before transform_frame_ip (a SYNC bracket per frame, even when
 * nothing is written) and, without transform_frame_ip, stops calling
 * transform_ip in passthrough. */
#define gst_zc_snapshot_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcSnapshot, gst_zc_snapshot,
    GST_TYPE_BASE_TRANSFORM,
    GST_DEBUG_CATEGORY_INIT (gst_zc_snapshot_debug, "zcsnapshot", 0,
        "zero-copy snapshot writer"));
GST_ELEMENT_REGISTER_DEFINE (zcsnapshot, "zcsnapshot", GST_RANK_NONE,
    GST_TYPE_ZC_SNAPSHOT);

/* Appends the integer conversion whose text starts at @spec (just after
 * its '%') to @format, rewritten to take one guint64. Width and precision
 * are limited to two digits so that a pattern cannot ask for a huge
 * string. Returns the conversion character, or NULL when the conversion is
 * not one this element allows (%s, %n, %*d, positional arguments...). */
static const gchar *
append_int_conversion (GString * format, const gchar * spec)
{
  const gchar *p = spec;
  gsize n;

  p += strspn (p, "-+ #0");
  n = strspn (p, "0123456789");
  if (n > 2)
    return NULL;
  p += n;
  if (*p == '.') {
    n = strspn (++p, "0123456789");
    if (n > 2)
      return NULL;
    p += n;
  }
  g_string_append_c (format, '%');
  g_string_append_len (format, spec, p - spec);

  /* Whatever length the pattern gave, the argument is a guint64. */
  n = strspn (p, "hljzt");
  if (n > 2)
    return NULL;
  p += n;
  if (*p == '\0' || !strchr ("diouxX", *p))
    return NULL;
  g_string_append (format, G_GINT64_MODIFIER);
  g_string_append_c (format, *p);

  return p;
}

/* The printf format for a location pattern, or NULL with @reason set: the
 * pattern goes to g_strdup_printf() with one guint64, so it may hold at
 * most one integer conversion, besides "%%". */
static gchar *
parse_location (const gchar * pattern, const gchar ** reason)
{
  GString *format;
  gboolean have_number = FALSE;
  const gchar *p;

  if (!pattern || !*pattern)
    goto empty;

  format = g_string_new (NULL);
  for (p = pattern; *p; p++) {
    if (*p != '%') {
      g_string_append_c (format, *p);
    } else if (p[1] == '%') {
      g_string_append (format, "%%");
      p++;
    } else if (have_number) {
      goto two_numbers;
    } else {
      p = append_int_conversion (format, p + 1);
      if (!p)
        goto bad_conversion;
      have_number = TRUE;
    }
  }

  return g_string_free (format, FALSE);

  /* ERRORS */
empty:
  *reason = "it is empty";
  return NULL;
two_numbers:
  *reason = "it has more than one conversion";
  g_string_free (format, TRUE);
  return NULL;
bad_conversion:
  *reason = "only one integer conversion (%d, %u, %x, %o with flags and "
      "up to 2-digit width/precision) and %% are allowed";
  g_string_free (format, TRUE);
  return NULL;
}

static void
gst_zc_snapshot_set_location (GstZcSnapshot * self, const gchar * location)
{
  const gchar *reason = NULL;
  gchar *format = parse_location (location, &reason);

  if (!format)
    goto rejected;

  GST_OBJECT_LOCK (self);
  g_free (self->location);
  self->location = g_strdup (location);
  g_free (self->format);
  self->format = format;
  GST_OBJECT_UNLOCK (self);
  return;

  /* ERRORS */
rejected:
  g_warning ("%s: location \"%s\" rejected: %s", GST_OBJECT_NAME (self),
      GST_STR_NULL (location), reason);
}

/* The action signal's handler; any thread may emit it. */
static void
gst_zc_snapshot_request (GstZcSnapshot * self)
{
  GST_DEBUG_OBJECT (self, "snapshot of the next frame requested");
  g_atomic_int_set (&self->snapshot_requested, TRUE);
}

/* The file name for @frame when it is to be written, else NULL. A
 * request is consumed even when the interval also asked for this frame. */
static gchar *
gst_zc_snapshot_due_filename (GstZcSnapshot * self, guint64 frame)
{
  gboolean requested =
      g_atomic_int_compare_and_exchange (&self->snapshot_requested, TRUE,
      FALSE);
  gchar *filename = NULL;

  GST_OBJECT_LOCK (self);
  if (requested || (self->interval > 0 && frame % self->interval == 0))
    filename = g_strdup_printf (self->format, frame);
  GST_OBJECT_UNLOCK (self);

  return filename;
}

static void
gst_zc_snapshot_clear_converter (GstZcSnapshot * self)
{
  if (!self->converter)
    return;

  gst_video_converter_free (self->converter);
  self->converter = NULL;
  gst_video_frame_unmap (&self->rgb_frame);
  gst_clear_buffer (&self->rgb_buffer);
}

/* The converter from @info to RGB of the same size, and that RGB format
 * in @rgb_info. */
static GstVideoConverter *
new_rgb_converter (const GstVideoInfo * info, GstVideoInfo * rgb_info)
{
  GstStructure *config;

  gst_video_info_set_interlaced_format (rgb_info, GST_VIDEO_FORMAT_RGB,
      GST_VIDEO_INFO_INTERLACE_MODE (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info));
  /* The converter neither changes the rate nor deinterlaces: it refuses
   * infos that differ there. */
  GST_VIDEO_INFO_FPS_N (rgb_info) = GST_VIDEO_INFO_FPS_N (info);
  GST_VIDEO_INFO_FPS_D (rgb_info) = GST_VIDEO_INFO_FPS_D (info);
  /* Dithering would add noise to what is meant to be looked at and
   * compared with the source. */
  config = gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
      GST_VIDEO_DITHER_NONE, NULL);

  return gst_video_converter_new (info, rgb_info, config);
}

static gboolean
gst_zc_snapshot_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (trans);
  GstVideoInfo info, rgb_info;
  GstVideoConverter *converter;

  if (!gst_video_info_from_caps (&info, incaps))
    goto invalid_caps;
  converter = new_rgb_converter (&info, &rgb_info);
  if (!converter)
    goto no_converter;

  gst_zc_snapshot_clear_converter (self);
  self->rgb_buffer = gst_buffer_new_allocate (NULL, rgb_info.size, NULL);
  /* System memory: the mapping is kept for as long as the caps. */
  if (!gst_video_frame_map (&self->rgb_frame, &rgb_info, self->rgb_buffer,
          GST_MAP_READWRITE))
    goto no_rgb_frame;
  self->converter = converter;
  self->in_info = info;

  GST_DEBUG_OBJECT (self, "converting %s %dx%d to RGB for snapshots",
      GST_VIDEO_INFO_NAME (&info), GST_VIDEO_INFO_WIDTH (&info),
      GST_VIDEO_INFO_HEIGHT (&info));
  return TRUE;

  /* ERRORS */
invalid_caps:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
      ("Invalid video caps %" GST_PTR_FORMAT, incaps));
  return FALSE;
no_converter:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("Cannot take snapshots of %s video.", GST_VIDEO_INFO_NAME (&info)),
      ("No video converter from %" GST_PTR_FORMAT " to RGB", incaps));
  return FALSE;
no_rgb_frame:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, (NULL),
      ("Could not map a %dx%d RGB frame", GST_VIDEO_INFO_WIDTH (&rgb_info),
          GST_VIDEO_INFO_HEIGHT (&rgb_info)));
  gst_video_converter_free (converter);
  gst_clear_buffer (&self->rgb_buffer);
  return FALSE;
}

/* Waits for the device, then converts @buf into rgb_frame, holding the
 * SYNC READ bracket only while converting. Returns FALSE (a warning is
 * posted) when this snapshot has to be skipped. */
static gboolean
gst_zc_snapshot_fill_rgb (GstZcSnapshot * self, GstBuffer * buf, guint64 frame)
{
  GstClockTime timeout, start, ready, done;
  GstVideoFrame in_frame;
  GstBuffer *view;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  timeout = self->timeout;
  GST_OBJECT_UNLOCK (self);

  start = gst_util_get_timestamp ();
  if (!gst_zc_fence_wait_buffer (buf, GST_MAP_READ, timeout, &err))
    goto not_ready;
  ready = gst_util_get_timestamp ();

  view = gst_zc_buffer_get_cpu_view (buf);
  if (!view)
    goto no_view;
  if (!gst_video_frame_map (&in_frame, &self->in_info, view, GST_MAP_READ))
    goto map_failed;
  gst_video_converter_frame (self->converter, &in_frame, &self->rgb_frame);
  gst_video_frame_unmap (&in_frame);
  gst_buffer_unref (view);
  done = gst_util_get_timestamp ();

  GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": waited %"
      GST_TIME_FORMAT " for the device, mapped and converted in %"
      GST_TIME_FORMAT, frame, GST_TIME_ARGS (ready - start),
      GST_TIME_ARGS (done - ready));
  return TRUE;

  /* ERRORS */
not_ready:
  GST_ELEMENT_WARNING (self, RESOURCE, READ,
      ("Snapshot of frame %" G_GUINT64_FORMAT " skipped: the frame was not "
          "ready to read.", frame), ("%s", err->message));
  g_clear_error (&err);
  return FALSE;
no_view:
  GST_ELEMENT_WARNING (self, RESOURCE, READ,
      ("Snapshot of frame %" G_GUINT64_FORMAT " skipped.", frame),
      ("no CPU view of the buffer (dma-buf fd could not be duplicated)"));
  return FALSE;
map_failed:
  GST_ELEMENT_WARNING (self, RESOURCE, READ,
      ("Snapshot of frame %" G_GUINT64_FORMAT " skipped.", frame),
      ("could not map %" GST_PTR_FORMAT " for reading", buf));
  gst_buffer_unref (view);
  return FALSE;
}

/* The encode and write step: it touches only the filled RGB copy, never
 * the source buffer, so that it can run away from the streaming thread. */
static gboolean
gst_zc_snapshot_encode (const GstVideoFrame * rgb, const gchar * filename,
    GError ** error)
{
  return gst_zc_png_write_rgb (filename, GST_VIDEO_FRAME_PLANE_DATA (rgb, 0),
      GST_VIDEO_FRAME_WIDTH (rgb), GST_VIDEO_FRAME_HEIGHT (rgb),
      GST_VIDEO_FRAME_PLANE_STRIDE (rgb, 0), error);
}

static void
gst_zc_snapshot_post_written (GstZcSnapshot * self, const gchar * filename,
    guint64 frame, GstClockTime pts)
{
  GstStructure *s;

  s = gst_structure_new ("zcsnapshot",
      "location", G_TYPE_STRING, filename,
      "frame", G_TYPE_UINT64, frame,
      "timestamp", G_TYPE_UINT64, pts,
      "width", G_TYPE_INT, GST_VIDEO_FRAME_WIDTH (&self->rgb_frame),
      "height", G_TYPE_INT, GST_VIDEO_FRAME_HEIGHT (&self->rgb_frame), NULL);
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

static GstFlowReturn
gst_zc_snapshot_write (GstZcSnapshot * self, const gchar * filename,
    guint64 frame, GstClockTime pts)
{
  GstClockTime start = gst_util_get_timestamp ();
  GError *err = NULL;

  if (!gst_zc_snapshot_encode (&self->rgb_frame, filename, &err))
    goto write_failed;

  GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": encoded and wrote "
      "%s in %" GST_TIME_FORMAT, frame, filename,
      GST_TIME_ARGS (gst_util_get_timestamp () - start));
  gst_zc_snapshot_post_written (self, filename, frame, pts);
  return GST_FLOW_OK;

  /* ERRORS */
write_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
      ("Could not write snapshot \"%s\".", filename), ("%s", err->message));
  g_clear_error (&err);
  return GST_FLOW_ERROR;
}

/* Passthrough: @buf goes on as it came, never written to. */
static GstFlowReturn
gst_zc_snapshot_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (trans);
  guint64 frame = self->frame_count++;
  GstFlowReturn ret = GST_FLOW_OK;
  gchar *filename;

  filename = gst_zc_snapshot_due_filename (self, frame);
  if (!filename)
    return GST_FLOW_OK;

  if (gst_zc_snapshot_fill_rgb (self, buf, frame))
    ret = gst_zc_snapshot_write (self, filename, frame, GST_BUFFER_PTS (buf));

  g_free (filename);
  return ret;
}

static gboolean
gst_zc_snapshot_start (GstBaseTransform * trans)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (trans);

  self->frame_count = 0;
  return TRUE;
}

static gboolean
gst_zc_snapshot_stop (GstBaseTransform * trans)
{
  gst_zc_snapshot_clear_converter (GST_ZC_SNAPSHOT (trans));
  return TRUE;
}

static void
gst_zc_snapshot_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (object);

  switch (prop_id) {
    case PROP_LOCATION:
      gst_zc_snapshot_set_location (self, g_value_get_string (value));
      break;
    case PROP_INTERVAL:
      GST_OBJECT_LOCK (self);
      self->interval = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TIMEOUT:
      GST_OBJECT_LOCK (self);
      self->timeout = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_zc_snapshot_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, self->timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_zc_snapshot_finalize (GObject * object)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (object);

  gst_zc_snapshot_clear_converter (self);
  g_free (self->location);
  g_free (self->format);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_zc_snapshot_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcSnapshot:location:
   *
   * Where snapshots go: a printf pattern given the frame number, the index
   * of the frame in the stream since the element started (0 for the first
   * frame; flushes and seeks do not reset it). It may hold at most one
   * integer conversion (`%d`, `%u`, `%x`, `%o`, with flags and a width or
   * precision of up to 2 digits, e.g. `%05d`) besides `%%`; without one,
   * every snapshot replaces the same file. Other patterns are refused with
   * a warning and the previous location is kept.
   *
   * Since: 0.1
   */
  properties[PROP_LOCATION] = g_param_spec_string ("location", "Location",
      "printf pattern of the file names, given the frame number (e.g. "
      "snap-%05d.png)", DEFAULT_LOCATION,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcSnapshot:interval:
   *
   * Write every frame whose number is a multiple of this (30: frames 0,
   * 30, 60...); 0 writes only on the #GstZcSnapshot::snapshot signal.
   *
   * Since: 0.1
   */
  properties[PROP_INTERVAL] = g_param_spec_uint ("interval", "Interval",
      "Write one frame in this many (0 = only on the snapshot signal)",
      0, G_MAXUINT, DEFAULT_INTERVAL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcSnapshot:timeout:
   *
   * How long to wait, in nanoseconds, for the device that writes a frame
   * before giving up on that snapshot (a warning is posted and the frame
   * goes on unwritten). 0 only checks. At most 60 s: the wait holds the
   * streaming thread.
   *
   * Since: 0.1
   */
  properties[PROP_TIMEOUT] = g_param_spec_uint64 ("timeout", "Timeout",
      "How long to wait for the device before skipping a snapshot (ns)",
      0, MAX_TIMEOUT, DEFAULT_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);
}

static void
gst_zc_snapshot_class_init (GstZcSnapshotClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_zc_snapshot_set_property;
  gobject_class->get_property = gst_zc_snapshot_get_property;
  gobject_class->finalize = gst_zc_snapshot_finalize;

  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_zc_snapshot_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_zc_snapshot_transform_ip);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_zc_snapshot_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_zc_snapshot_stop);

  gst_zc_snapshot_install_properties (gobject_class);

  /**
   * GstZcSnapshot::snapshot:
   * @zcsnapshot: the #GstZcSnapshot
   *
   * Writes the next frame that arrives, whatever
   * #GstZcSnapshot:interval says. Emitting it again before that frame
   * arrives still writes one file.
   *
   * Since: 0.1
   */
  signals[SIGNAL_SNAPSHOT] = g_signal_new_class_handler ("snapshot",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_zc_snapshot_request), NULL, NULL, NULL, G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Zero-copy snapshot", "Filter/Video",
      "Writes chosen frames as PNG files, reading dma-bufs between "
      "SYNC brackets and passing every frame on untouched",
      "gst-zerocopy developers");
}

static void
gst_zc_snapshot_init (GstZcSnapshot * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  const gchar *reason;

  self->location = g_strdup (DEFAULT_LOCATION);
  self->format = parse_location (DEFAULT_LOCATION, &reason);
  self->interval = DEFAULT_INTERVAL;
  self->timeout = DEFAULT_TIMEOUT;

  gst_base_transform_set_passthrough (trans, TRUE);
  gst_base_transform_set_in_place (trans, TRUE);
}
