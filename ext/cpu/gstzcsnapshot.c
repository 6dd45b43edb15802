/* zcsnapshot: writes chosen video frames as PNG or JPEG files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-zcsnapshot
 * @title: zcsnapshot
 *
 * Passes video through untouched (no copy, the same buffers go on) and
 * writes some of its frames, at full resolution, as PNG or JPEG files
 * (#GstZcSnapshot:format, #GstZcSnapshot:quality).
 *
 * Which frames: every #GstZcSnapshot:interval frames, and the next frame
 * that arrives after each request. An application asks for "the next
 * frame" in any of three ways:
 *
 * - the #GstZcSnapshot::snapshot action signal, on the element;
 * - a custom upstream event named `zc-snapshot`, sent to the pipeline,
 *   which hands it to its sinks, from where it travels upstream to the
 *   element's src pad (the element consumes it):
 *   |[
 *   gst_element_send_event (pipeline,
 *       gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
 *           gst_structure_new_empty ("zc-snapshot")));
 *   ]|
 * - a custom downstream event of that name
 *   (%GST_EVENT_CUSTOM_DOWNSTREAM), serialized with the buffers: the
 *   frame after it is written, and the event goes on downstream.
 *
 * Requests made before a frame arrives are one request: one file.
 *
 * Frames may be dma-bufs (`memory:DMABuf`) that a device still writes:
 * for each frame to be written the element waits for the device (its
 * fences, at most #GstZcSnapshot:timeout), maps the frame for reading
 * with one `DMA_BUF_IOCTL_SYNC` READ bracket per dma-buf
 * (gst_zc_video_frame_map()), converts it into an RGB copy and ends the
 * bracket. That is all the streaming thread does: a worker thread encodes
 * the copy and writes the file, so the frame goes on downstream without
 * waiting for encoding or disk. At most #GstZcSnapshot:max-pending
 * snapshots are copied and not yet written; a frame due while that many
 * are pending is not read at all: it is counted in #GstZcSnapshot:dropped
 * and a %GST_RESOURCE_ERROR_BUSY warning is posted.
 *
 * Files are encoded into a temporary file beside the location and
 * renamed, so that a reader never sees half an image. After each file is
 * written, an element message named `zcsnapshot` is posted with the
 * fields `location` (string: the file written), `frame` (guint64: the
 * frame number), `timestamp` (guint64: the buffer's PTS, a #GstClockTime),
 * `width` and `height` (gint, pixels).
 *
 * EOS goes on downstream only once every pending file is written (and its
 * message posted), and stopping (PAUSED to READY) waits for them too: no
 * requested snapshot is lost, and a location whose writes block holds the
 * state change as long.
 *
 * A file that cannot be written (directory missing, disk full, out of
 * file descriptors) is a %GST_RESOURCE_ERROR_OPEN_WRITE error posted by
 * the worker; from then on the element returns %GST_FLOW_ERROR. With
 * #GstZcSnapshot:drop-on-write-error, it is a dropped snapshot instead:
 * counted in #GstZcSnapshot:write-errors, the first one since start posted
 * as a %GST_RESOURCE_ERROR_OPEN_WRITE warning, and frames go on. Either way
 * no partial file is left. A frame that does not become ready in time is
 * skipped with a warning. A frame that cannot be mapped (a dma-buf whose
 * exporter does not implement mmap, which the kernel allows) is skipped
 * too: counted in #GstZcSnapshot:unmappable, the first one since start
 * posted as a %GST_RESOURCE_ERROR_READ warning.
 *
 * ## Example launch lines
 * |[<!-- run: vm; creates: snap-00000.jpg snap-00030.jpg -->
 * gst-launch-1.0 zcv4l2src num-buffers=60 ! zcsnapshot location=snap-%05d.jpg interval=30 ! fakesink
 * ]|
 * writes snap-00000.jpg and snap-00030.jpg.
 * |[<!-- run: host; creates: bars-00000.png bars-00025.png -->
 * gst-launch-1.0 videotestsrc num-buffers=50 ! video/x-raw,format=RGB,width=320,height=240 ! zcsnapshot location=bars-%05d.png interval=25 ! fakesink
 * ]|
 * writes two frames of system memory as PNG files, bars-00000.png and
 * bars-00025.png.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcsnapshot.h"
#include "gstzccpuelements.h"
#include "gstzcjpeg.h"
#include "gstzcpng.h"

#include <string.h>

#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_snapshot_debug);
#define GST_CAT_DEFAULT gst_zc_snapshot_debug

#define DEFAULT_LOCATION "snapshot-%05d.png"
#define DEFAULT_INTERVAL 0
#define DEFAULT_TIMEOUT GST_SECOND
#define DEFAULT_FORMAT GST_ZC_SNAPSHOT_FORMAT_AUTO
#define DEFAULT_QUALITY 85
#define DEFAULT_MAX_PENDING 4
/* Each pending snapshot holds a full-size RGB copy (6 MB at 1080p). */
#define MAX_MAX_PENDING 64
/* The wait for the device cannot be interrupted by a state change, so it
 * is bounded: a device that stalls longer than this is broken anyway. */
#define MAX_TIMEOUT (60 * GST_SECOND)

/* The name of the custom events that ask for a snapshot. */
#define SNAPSHOT_EVENT_NAME "zc-snapshot"

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_INTERVAL,
  PROP_TIMEOUT,
  PROP_FORMAT,
  PROP_QUALITY,
  PROP_MAX_PENDING,
  PROP_DROPPED,
  PROP_DROP_ON_WRITE_ERROR,
  PROP_WRITE_ERRORS,
  PROP_UNMAPPABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_SNAPSHOT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A snapshot between the streaming thread and the worker. */
typedef struct
{
  GstBuffer *rgb;               /* the RGB copy, from rgb_pool */
  guint width, height;
  gsize stride;
  gchar *filename;
  GstZcSnapshotFormat format;   /* PNG or JPEG, never AUTO */
  guint quality;
  guint64 frame;
  GstClockTime pts;
} Job;

struct _GstZcSnapshot
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *location;
  gchar *format_string;         /* location rewritten for one guint64 */
  guint interval;
  GstClockTime timeout;
  GstZcSnapshotFormat format;
  guint quality;
  guint max_pending;
  gboolean drop_on_write_error;
  guint64 dropped;
  guint64 write_errors;
  guint64 unmappable;

  gint snapshot_requested;      /* atomic: a request for the next frame */
  gint write_failed;            /* atomic: the worker posted an error */

  /* the worker, under lock */
  GMutex lock;
  GCond cond;                   /* jobs queued, or pending went down */
  GQueue jobs;
  guint pending;                /* queued or being written */
  gboolean quit;
  GThread *worker;

  /* streaming thread */
  guint64 frame_count;          /* frames seen since start */
  GstVideoInfo in_info;
  GstVideoInfo rgb_info;
  GstVideoConverter *converter; /* in_info to rgb_info; NULL until caps */
  GstBufferPool *rgb_pool;      /* RGB copies of rgb_info */
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

/**
 * gst_zc_snapshot_format_get_type:
 *
 * Returns: the #GType of #GstZcSnapshotFormat.
 *
 * Since: 0.1
 */
GType
gst_zc_snapshot_format_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ZC_SNAPSHOT_FORMAT_AUTO, "From the file name (.jpg/.jpeg: JPEG, "
          "else PNG)", "auto"},
    {GST_ZC_SNAPSHOT_FORMAT_PNG, "PNG", "png"},
    {GST_ZC_SNAPSHOT_FORMAT_JPEG, "JPEG", "jpeg"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstZcSnapshotFormat",
            values));
  return type;
}

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
  g_free (self->format_string);
  self->format_string = format;
  GST_OBJECT_UNLOCK (self);
  return;

  /* ERRORS */
rejected:
  g_warning ("%s: location \"%s\" rejected: %s", GST_OBJECT_NAME (self),
      GST_STR_NULL (location), reason);
}

/* The action signal's handler and the events' effect; any thread. */
static void
gst_zc_snapshot_request (GstZcSnapshot * self)
{
  GST_DEBUG_OBJECT (self, "snapshot of the next frame requested");
  g_atomic_int_set (&self->snapshot_requested, TRUE);
}

static GstZcSnapshotFormat
format_of (const gchar * filename, GstZcSnapshotFormat format)
{
  gchar *lower;
  gboolean jpeg;

  if (format != GST_ZC_SNAPSHOT_FORMAT_AUTO)
    return format;
  lower = g_ascii_strdown (filename, -1);
  jpeg = g_str_has_suffix (lower, ".jpg") || g_str_has_suffix (lower, ".jpeg");
  g_free (lower);
  return jpeg ? GST_ZC_SNAPSHOT_FORMAT_JPEG : GST_ZC_SNAPSHOT_FORMAT_PNG;
}

/* A job for @frame when it is to be written, else NULL. A request is
 * consumed even when the interval also asked for this frame. */
static Job *
gst_zc_snapshot_due_job (GstZcSnapshot * self, guint64 frame)
{
  gboolean requested =
      g_atomic_int_compare_and_exchange (&self->snapshot_requested, TRUE,
      FALSE);
  Job *job = NULL;

  GST_OBJECT_LOCK (self);
  if (requested || (self->interval > 0 && frame % self->interval == 0)) {
    job = g_new0 (Job, 1);
    job->frame = frame;
    job->filename = g_strdup_printf (self->format_string, frame);
    job->format = format_of (job->filename, self->format);
    job->quality = self->quality;
  }
  GST_OBJECT_UNLOCK (self);

  return job;
}

static void
job_free (Job * job)
{
  gst_clear_buffer (&job->rgb);
  g_free (job->filename);
  g_free (job);
}

/* The worker */

static gboolean
encode (const Job * job, GError ** error)
{
  GstMapInfo map;
  gboolean ok;

  if (!gst_buffer_map (job->rgb, &map, GST_MAP_READ)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
        "could not map the RGB copy");
    return FALSE;
  }
  if (job->format == GST_ZC_SNAPSHOT_FORMAT_JPEG)
    ok = gst_zc_jpeg_write_rgb (job->filename, map.data, job->width,
        job->height, job->stride, job->quality, error);
  else
    ok = gst_zc_png_write_rgb (job->filename, map.data, job->width,
        job->height, job->stride, error);
  gst_buffer_unmap (job->rgb, &map);
  return ok;
}

static void
post_written (GstZcSnapshot * self, const Job * job)
{
  GstStructure *s;

  s = gst_structure_new ("zcsnapshot",
      "location", G_TYPE_STRING, job->filename,
      "frame", G_TYPE_UINT64, job->frame,
      "timestamp", G_TYPE_UINT64, job->pts,
      "width", G_TYPE_INT, (gint) job->width,
      "height", G_TYPE_INT, (gint) job->height, NULL);
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

static void
write_job (GstZcSnapshot * self, const Job * job)
{
  GstClockTime start = gst_util_get_timestamp ();
  GError *err = NULL;
  gboolean drop, first;

  if (!encode (job, &err))
    goto write_failed;

  GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": encoded and wrote "
      "%s in %" GST_TIME_FORMAT, job->frame, job->filename,
      GST_TIME_ARGS (gst_util_get_timestamp () - start));
  post_written (self, job);
  return;

  /* ERRORS */
write_failed:
  GST_OBJECT_LOCK (self);
  drop = self->drop_on_write_error;
  first = self->write_errors++ == 0;
  GST_OBJECT_UNLOCK (self);
  if (!drop) {
    g_atomic_int_set (&self->write_failed, TRUE);
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not write snapshot \"%s\".", job->filename),
        ("%s", err->message));
  } else if (first) {
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
        ("Could not write snapshot \"%s\"; snapshots that cannot be "
            "written are counted, not reported again.", job->filename),
        ("%s", err->message));
  }
  g_clear_error (&err);
}

static gpointer
worker_loop (gpointer data)
{
  GstZcSnapshot *self = data;
  Job *job;

  g_mutex_lock (&self->lock);
  for (;;) {
    while (!self->quit && g_queue_is_empty (&self->jobs))
      g_cond_wait (&self->cond, &self->lock);
    job = g_queue_pop_head (&self->jobs);
    if (!job)
      break;
    g_mutex_unlock (&self->lock);

    write_job (self, job);
    job_free (job);

    g_mutex_lock (&self->lock);
    self->pending--;
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Waits until every queued snapshot is written. */
static void
drain (GstZcSnapshot * self)
{
  g_mutex_lock (&self->lock);
  if (self->pending > 0)
    GST_DEBUG_OBJECT (self, "waiting for %u snapshots", self->pending);
  while (self->pending > 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

static gboolean
start_worker (GstZcSnapshot * self)
{
  GError *err = NULL;

  self->quit = FALSE;
  self->worker = g_thread_try_new ("zcsnapshot", worker_loop, self, &err);
  if (self->worker)
    return TRUE;

  GST_ELEMENT_ERROR (self, RESOURCE, FAILED, (NULL),
      ("could not start the writer thread: %s", err->message));
  g_clear_error (&err);
  return FALSE;
}

/* Writes what is pending, then ends the worker. */
static void
stop_worker (GstZcSnapshot * self)
{
  if (!self->worker)
    return;
  drain (self);
  g_mutex_lock (&self->lock);
  self->quit = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->worker);
  self->worker = NULL;
}

/* Takes a place among the pending snapshots, or says there is none. */
static gboolean
reserve_slot (GstZcSnapshot * self)
{
  guint max_pending;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  max_pending = self->max_pending;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  ok = self->pending < max_pending;
  if (ok)
    self->pending++;
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
release_slot (GstZcSnapshot * self)
{
  g_mutex_lock (&self->lock);
  self->pending--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
queue_job (GstZcSnapshot * self, Job * job)
{
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->jobs, job);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Caps and the RGB copy */

static void
gst_zc_snapshot_clear_converter (GstZcSnapshot * self)
{
  if (self->converter) {
    gst_video_converter_free (self->converter);
    self->converter = NULL;
  }
  if (self->rgb_pool) {
    /* Copies still queued keep the pool alive until written. */
    gst_buffer_pool_set_active (self->rgb_pool, FALSE);
    gst_clear_object (&self->rgb_pool);
  }
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

/* RGB copies are reused: a fresh 6 MB allocation per snapshot would be
 * page-faulted in by the streaming thread every time. */
static GstBufferPool *
new_rgb_pool (const GstVideoInfo * rgb_info)
{
  GstBufferPool *pool = gst_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_video_info_to_caps (rgb_info);

  gst_buffer_pool_config_set_params (config, caps, rgb_info->size, 0, 0);
  gst_caps_unref (caps);
  if (!gst_buffer_pool_set_config (pool, config)
      || !gst_buffer_pool_set_active (pool, TRUE))
    gst_clear_object (&pool);
  return pool;
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
  self->rgb_pool = new_rgb_pool (&rgb_info);
  if (!self->rgb_pool)
    goto no_pool;
  self->converter = converter;
  self->in_info = info;
  self->rgb_info = rgb_info;

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
no_pool:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, (NULL),
      ("Could not make a pool of %dx%d RGB frames",
          GST_VIDEO_INFO_WIDTH (&rgb_info), GST_VIDEO_INFO_HEIGHT (&rgb_info)));
  gst_video_converter_free (converter);
  return FALSE;
}

/* Converts the mapped @in into a new RGB copy for @job. */
static gboolean
copy_to_rgb (GstZcSnapshot * self, GstVideoFrame * in, Job * job)
{
  GstVideoFrame rgb;

  if (gst_buffer_pool_acquire_buffer (self->rgb_pool, &job->rgb,
          NULL) != GST_FLOW_OK)
    return FALSE;
  if (!gst_video_frame_map (&rgb, &self->rgb_info, job->rgb, GST_MAP_WRITE))
    return FALSE;
  gst_video_converter_frame (self->converter, in, &rgb);
  job->width = GST_VIDEO_FRAME_WIDTH (&rgb);
  job->height = GST_VIDEO_FRAME_HEIGHT (&rgb);
  job->stride = GST_VIDEO_FRAME_PLANE_STRIDE (&rgb, 0);
  gst_video_frame_unmap (&rgb);
  return TRUE;
}

/* Waits for the device, then converts @buf into the job's RGB copy,
 * holding the SYNC READ bracket only while converting. Returns FALSE (a
 * warning is posted) when this snapshot has to be skipped. */
static gboolean
gst_zc_snapshot_fill_rgb (GstZcSnapshot * self, GstBuffer * buf, Job * job)
{
  GstClockTime timeout, start, ready;
  GstZcVideoFrame in;
  GError *err = NULL;
  gboolean copied, first;

  GST_OBJECT_LOCK (self);
  timeout = self->timeout;
  GST_OBJECT_UNLOCK (self);

  start = gst_util_get_timestamp ();
  if (!gst_zc_fence_wait_buffer (buf, GST_MAP_READ, timeout, &err))
    goto not_ready;
  ready = gst_util_get_timestamp ();

  if (!gst_zc_video_frame_map (&in, &self->in_info, buf, GST_MAP_READ))
    goto map_failed;
  copied = copy_to_rgb (self, &in.frame, job);
  gst_zc_video_frame_unmap (&in);
  if (!copied)
    goto no_copy;

  GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": waited %"
      GST_TIME_FORMAT " for the device, mapped and converted in %"
      GST_TIME_FORMAT, job->frame, GST_TIME_ARGS (ready - start),
      GST_TIME_ARGS (gst_util_get_timestamp () - ready));
  return TRUE;

  /* ERRORS */
not_ready:
  GST_ELEMENT_WARNING (self, RESOURCE, READ,
      ("Snapshot of frame %" G_GUINT64_FORMAT " skipped: the frame was not "
          "ready to read.", job->frame), ("%s", err->message));
  g_clear_error (&err);
  return FALSE;
map_failed:
  /* Said once: a source of such memory gives nothing else. */
  GST_OBJECT_LOCK (self);
  first = self->unmappable++ == 0;
  GST_OBJECT_UNLOCK (self);
  if (first)
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("Snapshot of frame %" G_GUINT64_FORMAT " skipped: it cannot be "
            "mapped; such frames are counted, not reported again.",
            job->frame),
        ("could not map %" GST_PTR_FORMAT " for reading", buf));
  return FALSE;
no_copy:
  GST_ELEMENT_WARNING (self, RESOURCE, NO_SPACE_LEFT,
      ("Snapshot of frame %" G_GUINT64_FORMAT " skipped.", job->frame),
      ("no RGB copy of %dx%d", GST_VIDEO_INFO_WIDTH (&self->rgb_info),
          GST_VIDEO_INFO_HEIGHT (&self->rgb_info)));
  return FALSE;
}

static void
count_dropped (GstZcSnapshot * self, const Job * job)
{
  guint max_pending;

  GST_OBJECT_LOCK (self);
  self->dropped++;
  max_pending = self->max_pending;
  GST_OBJECT_UNLOCK (self);

  GST_ELEMENT_WARNING (self, RESOURCE, BUSY,
      ("Snapshot of frame %" G_GUINT64_FORMAT " dropped: %u snapshots are "
          "still being written.", job->frame, max_pending),
      ("max-pending=%u reached; %s not written", max_pending, job->filename));
}

/* Passthrough: @buf goes on as it came, never written to. */
static GstFlowReturn
gst_zc_snapshot_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (trans);
  guint64 frame = self->frame_count++;
  Job *job;

  if (g_atomic_int_get (&self->write_failed))
    return GST_FLOW_ERROR;
  job = gst_zc_snapshot_due_job (self, frame);
  if (!job)
    return GST_FLOW_OK;

  if (!reserve_slot (self))
    goto dropped;
  job->pts = GST_BUFFER_PTS (buf);
  if (!gst_zc_snapshot_fill_rgb (self, buf, job))
    goto skipped;
  queue_job (self, job);
  return GST_FLOW_OK;

dropped:
  count_dropped (self, job);
  job_free (job);
  return GST_FLOW_OK;
skipped:
  release_slot (self);
  job_free (job);
  return GST_FLOW_OK;
}

static gboolean
is_snapshot_event (GstEvent * event, GstEventType type)
{
  return GST_EVENT_TYPE (event) == type &&
      gst_event_has_name (event, SNAPSHOT_EVENT_NAME);
}

/* The upstream request is for this element: consumed. */
static gboolean
gst_zc_snapshot_src_event (GstBaseTransform * trans, GstEvent * event)
{
  if (is_snapshot_event (event, GST_EVENT_CUSTOM_UPSTREAM)) {
    gst_zc_snapshot_request (GST_ZC_SNAPSHOT (trans));
    gst_event_unref (event);
    return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

/* The downstream request goes on: another zcsnapshot further down may
 * want the same frame. EOS waits for the files. */
static gboolean
gst_zc_snapshot_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (trans);

  if (is_snapshot_event (event, GST_EVENT_CUSTOM_DOWNSTREAM))
    gst_zc_snapshot_request (self);
  else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    drain (self);

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
gst_zc_snapshot_start (GstBaseTransform * trans)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (trans);

  self->frame_count = 0;
  g_atomic_int_set (&self->write_failed, FALSE);
  GST_OBJECT_LOCK (self);
  self->dropped = 0;
  self->write_errors = 0;
  self->unmappable = 0;
  GST_OBJECT_UNLOCK (self);
  return start_worker (self);
}

static gboolean
gst_zc_snapshot_stop (GstBaseTransform * trans)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (trans);

  stop_worker (self);
  gst_zc_snapshot_clear_converter (self);
  return TRUE;
}

/* GObject */

static void
gst_zc_snapshot_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcSnapshot *self = GST_ZC_SNAPSHOT (object);

  if (prop_id == PROP_LOCATION) {
    gst_zc_snapshot_set_location (self, g_value_get_string (value));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_INTERVAL:
      self->interval = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    case PROP_FORMAT:
      self->format = g_value_get_enum (value);
      break;
    case PROP_QUALITY:
      self->quality = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING:
      self->max_pending = g_value_get_uint (value);
      break;
    case PROP_DROP_ON_WRITE_ERROR:
      self->drop_on_write_error = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
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
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_QUALITY:
      g_value_set_uint (value, self->quality);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->max_pending);
      break;
    case PROP_DROPPED:
      g_value_set_uint64 (value, self->dropped);
      break;
    case PROP_DROP_ON_WRITE_ERROR:
      g_value_set_boolean (value, self->drop_on_write_error);
      break;
    case PROP_WRITE_ERRORS:
      g_value_set_uint64 (value, self->write_errors);
      break;
    case PROP_UNMAPPABLE:
      g_value_set_uint64 (value, self->unmappable);
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

  stop_worker (self);
  gst_zc_snapshot_clear_converter (self);
  g_queue_clear_full (&self->jobs, (GDestroyNotify) job_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->location);
  g_free (self->format_string);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
install_trigger_properties (GObjectClass * gobject_class)
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
      "printf pattern of the file names, given the frame number, with at "
      "most one integer conversion (e.g. snap-%05d.png); other patterns are "
      "refused with a warning and the previous location kept",
      DEFAULT_LOCATION,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcSnapshot:interval:
   *
   * Write every frame whose number is a multiple of this (30: frames 0,
   * 30, 60...); 0 writes only on request (the #GstZcSnapshot::snapshot
   * signal or a `zc-snapshot` event).
   *
   * Since: 0.1
   */
  properties[PROP_INTERVAL] = g_param_spec_uint ("interval", "Interval",
      "Write every frame whose number is a multiple of this (0 = only on "
      "request: the snapshot signal or a zc-snapshot event)",
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
      "How long to wait for the device writing a frame, in nanoseconds, "
      "before skipping its snapshot with a warning (0 = only check)",
      0, MAX_TIMEOUT, DEFAULT_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
}

static void
install_output_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcSnapshot:format:
   *
   * The file format; `auto` decides by the extension of each file name.
   *
   * Since: 0.1
   */
  properties[PROP_FORMAT] = g_param_spec_enum ("format", "Format",
      "File format of snapshots (auto: by each file name's extension)",
      GST_TYPE_ZC_SNAPSHOT_FORMAT, DEFAULT_FORMAT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcSnapshot:quality:
   *
   * JPEG quality on libjpeg's scale, 1 (smallest files) to 100 (best).
   *
   * Since: 0.1
   */
  properties[PROP_QUALITY] = g_param_spec_uint ("quality", "Quality",
      "JPEG quality on libjpeg's scale, 1 (smallest files) to 100 (best); "
      "not used for PNG", 1, 100, DEFAULT_QUALITY,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcSnapshot:max-pending:
   *
   * How many snapshots may be copied and not yet written; a snapshot due
   * while that many are pending is dropped unread (see
   * #GstZcSnapshot:dropped). Each pending snapshot holds a full-size RGB
   * copy (width x height x 3 bytes).
   *
   * Since: 0.1
   */
  properties[PROP_MAX_PENDING] = g_param_spec_uint ("max-pending",
      "Max pending", "Snapshots copied and not yet written at most, each a "
      "width x height x 3 bytes RGB copy; one due beyond is dropped", 1,
      MAX_MAX_PENDING, DEFAULT_MAX_PENDING,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcSnapshot:dropped:
   *
   * Snapshots dropped since the element started because
   * #GstZcSnapshot:max-pending were still being written.
   *
   * Since: 0.1
   */
  properties[PROP_DROPPED] = g_param_spec_uint64 ("dropped", "Dropped",
      "Snapshots dropped since start because max-pending were still being "
      "written", 0,
      G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
install_failure_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcSnapshot:drop-on-write-error:
   *
   * What a file that cannot be written (disk full, out of file
   * descriptors, directory gone) is: %FALSE, an error that stops the
   * stream; %TRUE, a dropped snapshot, counted in
   * #GstZcSnapshot:write-errors, the first one since start posted as a
   * warning, while frames go on downstream.
   *
   * Since: 0.1
   */
  properties[PROP_DROP_ON_WRITE_ERROR] = g_param_spec_boolean
      ("drop-on-write-error", "Drop on write error",
      "A snapshot that cannot be written is dropped and counted (one "
      "warning) instead of being an error that stops the stream",
      FALSE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcSnapshot:write-errors:
   *
   * Snapshots that could not be written since the element started.
   *
   * Since: 0.1
   */
  properties[PROP_WRITE_ERRORS] = g_param_spec_uint64 ("write-errors",
      "Write errors", "Snapshots that could not be written since start", 0,
      G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcSnapshot:unmappable:
   *
   * Snapshots skipped since the element started because their frame could
   * not be mapped for reading (a dma-buf whose exporter does not implement
   * mmap).
   *
   * Since: 0.1
   */
  properties[PROP_UNMAPPABLE] = g_param_spec_uint64 ("unmappable",
      "Unmappable", "Snapshots skipped since start because their frame "
      "could not be mapped for reading", 0,
      G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
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
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_zc_snapshot_src_event);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_zc_snapshot_sink_event);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_zc_snapshot_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_zc_snapshot_stop);

  install_trigger_properties (gobject_class);
  install_output_properties (gobject_class);
  install_failure_properties (gobject_class);
  g_object_class_install_properties (gobject_class, N_PROPS, properties);

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
      "Writes chosen frames as PNG or JPEG files from a worker thread, "
      "reading dma-bufs between SYNC brackets and passing every frame on "
      "untouched", "gst-zerocopy developers");

  gst_type_mark_as_plugin_api (GST_TYPE_ZC_SNAPSHOT_FORMAT, 0);
}

static void
gst_zc_snapshot_init (GstZcSnapshot * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  const gchar *reason;

  self->location = g_strdup (DEFAULT_LOCATION);
  self->format_string = parse_location (DEFAULT_LOCATION, &reason);
  self->interval = DEFAULT_INTERVAL;
  self->timeout = DEFAULT_TIMEOUT;
  self->format = DEFAULT_FORMAT;
  self->quality = DEFAULT_QUALITY;
  self->max_pending = DEFAULT_MAX_PENDING;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->jobs);

  gst_base_transform_set_passthrough (trans, TRUE);
  gst_base_transform_set_in_place (trans, TRUE);
}
