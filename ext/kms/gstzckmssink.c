/* zckmssink: KMS display sink showing dma-bufs without copying them
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-zckmssink
 * @title: zckmssink
 *
 * Shows video on a display through the kernel's mode setting (KMS)
 * interface, scanning out the frames' own dma-bufs: each dma-buf is
 * imported once (`DRM_IOCTL_PRIME_FD_TO_HANDLE` + `drmModeAddFB2`, with
 * the strides and offsets of the buffer's #GstVideoMeta and the DRM fourcc
 * of the zero-copy library's format table), its framebuffer is kept in a
 * cache keyed by the dma-buf's inode, and every frame costs one page flip.
 *
 * With nothing set it finds the display itself: the first
 * `/dev/dri/card*` with KMS and a connected connector (render-only
 * drivers such as vgem are skipped; the virtual vkms only when nothing
 * else is there), a CRTC for that connector and a primary or overlay
 * plane that scans out the negotiated format. When the display is off it
 * sets a mode: the one of the frames' size when the connector has it (no
 * scaling needed), else the preferred one; #GstZcKmsSink:mode chooses
 * another. A plane that can scale shows the frame as large as fits;
 * otherwise the frame is centred or cropped, and when the plane cannot
 * place it either, the frame is copied centred into a full-screen buffer
 * (counted as a copy). The sink is DRM master while PAUSED or PLAYING;
 * going back to READY puts back whatever the CRTC showed before
 * (#GstZcKmsSink:restore-crtc), removes the sink's framebuffers and drops
 * master, while the device stays open. Displays are driven with atomic
 * commits when the driver offers them, else with the legacy SetCrtc /
 * SetPlane / PageFlip ioctls.
 *
 * A frame stays referenced while it is on screen and is released only
 * when the next flip has completed (vblank event), so no producer ever
 * writes into a buffer being scanned out.
 *
 * In the ALLOCATION query the sink offers upstream a #GstZcBufferPool of
 * dumb buffers made on the display's own card (shaped for scanout), so a
 * producer that writes into them (capture, an accelerator) is shown
 * without any copy even on displays that cannot import foreign dma-bufs,
 * such as virtio-gpu.
 *
 * That offer does not cross a `tee` with several branches. For producers
 * upstream of one, the sink answers CONTEXT queries of type
 * %GST_ZC_CONTEXT_TYPE_SCANOUT with the same allocator and posts that
 * context when it goes to PAUSED: the project's producers
 * (gst_zc_decide_allocation()) then allocate on the display's card, and
 * every branch of the tee gets the frames the display shows.
 *
 * Frames that can be neither imported nor shown from that pool (system
 * memory, a dma-buf the display refuses) are copied into the sink's own
 * scanout buffers, reading the source between `DMA_BUF_IOCTL_SYNC` READ
 * brackets after waiting for its fences. Such copies are counted in
 * #GstZcKmsSink:stats and logged once on `GST_PERFORMANCE`. A frame the
 * CPU cannot map for that copy (its exporter does not implement mmap,
 * which the kernel allows) is a %GST_RESOURCE_ERROR_READ error rather
 * than a screen of garbage.
 *
 * Latency: a frame that carries its capture time (zcv4l2src stamps every
 * frame with the driver's `CLOCK_MONOTONIC` time, zcaccel keeps it; see
 * gst_zc_buffer_get_capture_time()) is measured when its flip completes:
 * the flip event's time (`CLOCK_MONOTONIC` where the device answers
 * `DRM_CAP_TIMESTAMP_MONOTONIC` with 1; the time the event is read when
 * it does not, or when the event's time is older than the commit, as
 * vkms reports for the commit that turns the CRTC on; for SetCrtc and
 * SetPlane, which wait for the screen, the time they return) minus the
 * capture time, copied frames included. A capture time after the flip
 * (a driver stamping the end of an exposure it has not finished) gives
 * no sample. The mean, 99th percentile and maximum are in
 * #GstZcKmsSink:stats as `latency-avg-us`, `latency-p99-us` and
 * `latency-max-us`, counted since the sink last went to PAUSED.
 *
 * No display, no connected connector, a connector, plane or mode that does
 * not exist, a mode string that cannot be parsed: the change to READY
 * fails with a %GST_RESOURCE_ERROR on the bus. A display that goes away
 * while playing is a %GST_RESOURCE_ERROR_WRITE error.
 *
 * ## Example launch lines
 * |[<!-- run: vm -->
 * gst-launch-1.0 zcv4l2src num-buffers=60 ! zckmssink
 * ]| shows 60 frames of the camera on the first connected display.
 * |[<!-- run: vm -->
 * gst-launch-1.0 zcv4l2src num-buffers=60 ! zckmssink driver-name=vkms mode=1024x768
 * ]| shows them on vkms in 1024x768.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzckmssink.h"
#include "gstzckmselements.h"
#include "gstzckmsdevice.h"
#include "gstzckmsfbcache.h"
#include "gstzckmslatency.h"
#include "gstzckmsutils.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <drm_fourcc.h>

#include <gst/allocators/allocators.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY (gst_zc_kms_sink_debug);
#define GST_CAT_DEFAULT gst_zc_kms_sink_debug
GST_DEBUG_CATEGORY_STATIC (GST_CAT_PERFORMANCE);

#define DEFAULT_DEVICE NULL
#define DEFAULT_DRIVER_NAME NULL
#define DEFAULT_CONNECTOR_ID -1
#define DEFAULT_PLANE_ID -1
#define DEFAULT_MODE NULL
#define DEFAULT_RESTORE_CRTC TRUE
#define DEFAULT_ATOMIC TRUE

/* Buffers the sink holds at once: the one on screen and the next one. */
#define HELD_BUFFERS 2
/* A flip that has not completed in this time never will: the display is
 * gone or hung. Generous: a software display under emulation is slow. */
#define FLIP_TIMEOUT (3 * GST_SECOND)
/* How long a copy waits for the device writing the frame. */
#define FENCE_TIMEOUT GST_SECOND
/* Framebuffers kept: a pool's buffers, with room for a few more. */
#define FB_CACHE_SIZE 16

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_DRIVER_NAME,
  PROP_CONNECTOR_ID,
  PROP_PLANE_ID,
  PROP_MODE,
  PROP_RESTORE_CRTC,
  PROP_ATOMIC,
  PROP_STATS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* How frames reach the screen. */
typedef enum
{
  PRESENT_ATOMIC,               /* atomic commits, flip events */
  PRESENT_CRTC,                 /* legacy: SetCrtc, then PageFlip events */
  PRESENT_PLANE,                /* legacy: SetPlane, done when it returns */
} PresentMethod;

/* Why frames are copied; each is logged once per stream. */
typedef enum
{
  COPY_SYSTEM_MEMORY = 1 << 0,
  COPY_IMPORT_REFUSED = 1 << 1,
  COPY_ADDFB_REFUSED = 1 << 2,
  COPY_COMPOSE = 1 << 3,
} CopyReason;

/* One way of showing the negotiated frames, tried in order until the
 * display accepts one. */
typedef struct
{
  drmModeModeInfo mode;
  gboolean scale;               /* the plane scales the frame to fit */
  gboolean compose;             /* frames are copied into full-screen fbs */
} Candidate;

typedef struct
{
  guint64 frames_shown;
  guint64 imports;
  guint64 cache_hits;
  guint64 copies;
  guint64 bytes_copied;
  guint64 flips;
  guint64 late_frames;
} Stats;

struct _GstZcKmsSink
{
  GstVideoSink parent;

  /* properties, under the object lock */
  gchar *device;
  gchar *driver_name;
  gint connector_id;
  gint plane_id;
  gchar *mode;
  gboolean restore_crtc;
  gboolean atomic;

  /* the open display: set in NULL to READY, cleared in READY to NULL */
  GstZcKmsDevice *dev;
  GstZcKmsModeSpec mode_spec;   /* width 0: no mode asked for */
  GstCaps *caps;                /* what the planes scan out */
  GstPoll *poll;
  GstPollFD pollfd;
  GstAllocator *allocator;      /* dumb buffers on the card; object lock */

  /* streaming thread, from set_caps */
  GstVideoInfo vinfo;
  guint32 fourcc;
  const GstZcKmsPlane *plane;
  GArray *candidates;           /* Candidate */
  guint candidate;              /* index of the one in use */
  gboolean layout_ready;        /* candidate's rectangles and pools set */
  gboolean layout_shown;        /* a frame of it reached the screen */
  PresentMethod method;
  GstZcKmsRect src, dst;        /* in the framebuffer, on the CRTC */
  GstVideoInfo copy_info;       /* the sink's own scanout buffers */
  gsize copy_bytes;             /* pixel bytes a copy reads and writes */
  GstBufferPool *copy_pool;
  GstVideoConverter *converter; /* compose: crop and centre */
  gboolean addfb_refused;       /* AddFB2 refused these caps */
  GstZcKmsFbCache *cache;
  guint copies_logged;          /* CopyReason bits */

  /* the display's state */
  gboolean import_refused;      /* the display imports no foreign dma-buf */
  gboolean crtc_set;            /* the CRTC shows this sink's frames */
  drmModeModeInfo crtc_mode;
  guint32 plane_on;             /* the plane used last, 0 for none */
  GstBuffer *background;        /* black, under overlays */
  GstZcKmsFb *background_fb;
  GstBuffer *shown;             /* on screen, with its framebuffer */
  GstZcKmsFb *shown_fb;
  GstBuffer *last_input;        /* the buffer presented last */
  GstBuffer *pending;           /* flipped to, flip not completed yet */
  GstZcKmsFb *pending_fb;
  GstClockTime pending_deadline;        /* running time it was due by */
  gint64 pending_since_us;      /* CLOCK_MONOTONIC when it was presented */

  Stats stats;                  /* object lock */
  GstZcKmsLatency *latency;     /* capture to flip; object lock */
  gboolean monotonic_events;    /* flip event times are CLOCK_MONOTONIC */
};

#define gst_zc_kms_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcKmsSink, gst_zc_kms_sink, GST_TYPE_VIDEO_SINK,
    GST_DEBUG_CATEGORY_INIT (gst_zc_kms_sink_debug, "zckmssink", 0,
        "zero-copy KMS display sink"));
GST_ELEMENT_REGISTER_DEFINE (zckmssink, "zckmssink", GST_RANK_NONE,
    GST_TYPE_ZC_KMS_SINK);

#define STATS_ADD(self, field, n) G_STMT_START { \
    GST_OBJECT_LOCK (self); \
    (self)->stats.field += (n); \
    GST_OBJECT_UNLOCK (self); \
  } G_STMT_END

/* Device lifetime: NULL to READY and back */

static gboolean
parse_mode_property (GstZcKmsSink * self)
{
  gchar *mode;
  gboolean ok = TRUE;

  GST_OBJECT_LOCK (self);
  mode = g_strdup (self->mode);
  GST_OBJECT_UNLOCK (self);

  memset (&self->mode_spec, 0, sizeof (self->mode_spec));
  if (mode && !gst_zc_kms_parse_mode (mode, &self->mode_spec)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Display mode \"%s\" is not WIDTHxHEIGHT or "
            "WIDTHxHEIGHT@REFRESH (e.g. 1280x720@60).", mode),
        ("mode property cannot be parsed: %s", mode));
    ok = FALSE;
  }
  g_free (mode);
  return ok;
}

static void
post_open_error (GstZcKmsSink * self, GError * error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Could not find a display (KMS) device."), ("%s", error->message));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No display is connected."), ("%s", error->message));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The display has no such connector or plane."),
        ("%s", error->message));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Could not open the display device."), ("%s", error->message));
}

/* The size upstream is asked for first: the mode asked for, else the one
 * on screen, else the preferred one. */
static const drmModeModeInfo *
display_mode (GstZcKmsSink * self)
{
  const drmModeModeInfo *mode = NULL;

  if (self->mode_spec.width)
    mode = gst_zc_kms_device_find_mode (self->dev, &self->mode_spec);
  if (!mode)
    mode = gst_zc_kms_device_get_active_mode (self->dev);
  if (!mode)
    mode = gst_zc_kms_device_get_preferred_mode (self->dev);
  return mode;
}

static gboolean
check_mode (GstZcKmsSink * self)
{
  gchar *modes;

  if (!self->mode_spec.width
      || gst_zc_kms_device_find_mode (self->dev, &self->mode_spec))
    return TRUE;

  modes = gst_zc_kms_device_describe_modes (self->dev);
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("The display does not offer mode %s.", self->mode),
      ("connector %u of %s offers: %s", self->dev->connector_id,
          self->dev->path, modes));
  g_free (modes);
  return FALSE;
}

static gboolean
gst_zc_kms_sink_open (GstZcKmsSink * self)
{
  gchar *device, *driver;
  gint connector_id, plane_id;
  gboolean atomic;
  GError *error = NULL;
  const drmModeModeInfo *mode;

  if (!parse_mode_property (self))
    return FALSE;
  GST_OBJECT_LOCK (self);
  device = g_strdup (self->device);
  driver = g_strdup (self->driver_name);
  connector_id = self->connector_id;
  plane_id = self->plane_id;
  atomic = self->atomic;
  GST_OBJECT_UNLOCK (self);

  self->dev = gst_zc_kms_device_open (device, driver, atomic, &error);
  if (!self->dev || !gst_zc_kms_device_select_output (self->dev,
          MAX (connector_id, 0), MAX (plane_id, 0), &error))
    goto failed;
  if (!check_mode (self))
    goto failed;

  /* Master is taken again when the sink goes to PAUSED: in
   * READY another program may drive the display. */
  if (self->dev->master && drmDropMaster (self->dev->fd) == 0)
    self->dev->master = FALSE;

  mode = display_mode (self);
  GST_OBJECT_LOCK (self);
  self->caps = gst_zc_kms_device_get_caps (self->dev, mode->hdisplay,
      mode->vdisplay);
  GST_OBJECT_UNLOCK (self);
  gst_poll_fd_init (&self->pollfd);
  self->pollfd.fd = self->dev->fd;
  gst_poll_add_fd (self->poll, &self->pollfd);
  gst_poll_fd_ctl_read (self->poll, &self->pollfd, TRUE);

  GST_INFO_OBJECT (self, "display %s (%s), caps %" GST_PTR_FORMAT,
      self->dev->path, self->dev->driver, self->caps);
  g_free (device);
  g_free (driver);
  return TRUE;

failed:
  if (error)
    post_open_error (self, error);
  g_clear_error (&error);
  g_clear_pointer (&self->dev, gst_zc_kms_device_close);
  g_free (device);
  g_free (driver);
  return FALSE;
}

static void
gst_zc_kms_sink_close (GstZcKmsSink * self)
{
  GstAllocator *allocator;

  if (!self->dev)
    return;
  gst_poll_remove_fd (self->poll, &self->pollfd);
  GST_OBJECT_LOCK (self);
  gst_clear_caps (&self->caps);
  allocator = g_steal_pointer (&self->allocator);
  GST_OBJECT_UNLOCK (self);
  /* Upstream's pool buffers keep the allocator and its own fd alive. */
  gst_clear_object (&allocator);
  g_clear_pointer (&self->dev, gst_zc_kms_device_close);
}

/* Dumb buffers on the display's card: what upstream is offered and what
 * copies go into. The allocator opens the card once more; the sink, master
 * already, stays master (ensured again all the same). */
static GstAllocator *
gst_zc_kms_sink_get_allocator (GstZcKmsSink * self)
{
  GstAllocator *allocator;
  GError *error = NULL;

  GST_OBJECT_LOCK (self);
  allocator = self->allocator ? gst_object_ref (self->allocator) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (allocator)
    return allocator;

  allocator = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_DRM,
      self->dev->path, &error);
  if (!allocator)
    goto failed;
  gst_zc_kms_device_ensure_master (self->dev);

  GST_OBJECT_LOCK (self);
  if (!self->allocator)
    self->allocator = gst_object_ref (allocator);
  GST_OBJECT_UNLOCK (self);
  return allocator;

  /* ERRORS */
failed:
  GST_WARNING_OBJECT (self, "no dumb buffers on %s: %s", self->dev->path,
      error->message);
  g_clear_error (&error);
  return NULL;
}

/* Caps and allocation */

static GstCaps *
gst_zc_kms_sink_get_caps (GstBaseSink * bsink, GstCaps * filter)
{
  GstZcKmsSink *self = GST_ZC_KMS_SINK (bsink);
  GstCaps *caps = NULL, *result;

  GST_OBJECT_LOCK (self);
  if (self->caps)
    caps = gst_caps_ref (self->caps);
  GST_OBJECT_UNLOCK (self);
  if (!caps)
    caps = gst_pad_get_pad_template_caps (GST_BASE_SINK_PAD (bsink));
  if (!filter)
    return caps;

  result = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref (caps);
  return result;
}

/* A pool of @caps frames in dumb buffers of the display's card, at least
 * @min buffers; *@size gets the size of a buffer. */
static GstBufferPool *
new_scanout_pool (GstZcKmsSink * self, GstCaps * caps, guint min, guint * size)
{
  GstAllocator *allocator = gst_zc_kms_sink_get_allocator (self);
  GstBufferPool *pool;
  GstStructure *config;
  GstVideoInfo info;

  if (!allocator || !gst_video_info_from_caps (&info, caps))
    goto failed;
  pool = gst_zc_buffer_pool_new ();
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, info.size, min, 0);
  gst_buffer_pool_config_set_allocator (config, allocator, NULL);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (!gst_buffer_pool_set_config (pool, config))
    goto config_failed;

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_params (config, NULL, size, NULL, NULL);
  gst_structure_free (config);
  gst_object_unref (allocator);
  return pool;

  /* ERRORS */
config_failed:
  GST_WARNING_OBJECT (self, "scanout pool refused %" GST_PTR_FORMAT, caps);
  gst_object_unref (pool);
failed:
  gst_clear_object (&allocator);
  return NULL;
}

/* Offers upstream the display's own scanout buffers: what is written
 * there is shown without a copy, even where the display imports no
 * foreign dma-buf. */
static gboolean
gst_zc_kms_sink_propose_allocation (GstBaseSink * bsink, GstQuery * query)
{
  GstZcKmsSink *self = GST_ZC_KMS_SINK (bsink);
  GstCaps *caps = NULL;
  GstBufferPool *pool;
  GstAllocator *allocator;
  gboolean need_pool = FALSE;
  guint size = 0;

  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  gst_query_parse_allocation (query, &caps, &need_pool);
  if (!caps || !need_pool || !self->dev)
    return TRUE;

  pool = new_scanout_pool (self, caps, HELD_BUFFERS, &size);
  if (!pool)
    return TRUE;
  allocator = gst_zc_buffer_pool_get_allocator (GST_ZC_BUFFER_POOL (pool));
  gst_query_add_allocation_pool (query, pool, size, HELD_BUFFERS, 0);
  gst_query_add_allocation_param (query, allocator, NULL);
  GST_DEBUG_OBJECT (self, "offered scanout pool %" GST_PTR_FORMAT " of %u "
      "byte buffers on %s", pool, size, self->dev->path);

  gst_object_unref (allocator);
  gst_object_unref (pool);
  return TRUE;
}

/* Layout: how the negotiated frames are shown */

static gboolean
same_mode (const drmModeModeInfo * a, const drmModeModeInfo * b)
{
  return a->clock == b->clock && a->hdisplay == b->hdisplay
      && a->vdisplay == b->vdisplay && a->htotal == b->htotal
      && a->vtotal == b->vtotal && a->vrefresh == b->vrefresh
      && a->flags == b->flags;
}

static void
add_candidate (GstZcKmsSink * self, const drmModeModeInfo * mode,
    gboolean scale, gboolean compose)
{
  Candidate c = { *mode, scale, compose };
  guint w = GST_VIDEO_INFO_WIDTH (&self->vinfo);
  guint h = GST_VIDEO_INFO_HEIGHT (&self->vinfo);

  /* A frame of the mode's size fills the screen: nothing to scale. */
  if (scale && w == mode->hdisplay && h == mode->vdisplay)
    return;
  g_array_append_val (self->candidates, c);
}

/* Every way to show the frames, best first. The mode asked for is kept
 * in any case. A mode someone else set before the sink started is kept if
 * the plane can show the frames in it; a display that was off gets the
 * mode of the frames' size when it has one (full screen, no scaling), else
 * its preferred mode. A mode the sink set itself for earlier caps is no
 * reason to keep it. Copying into full-screen buffers always works: it
 * comes last. */
static void
make_candidates (GstZcKmsSink * self)
{
  GstZcKmsModeSpec size = { GST_VIDEO_INFO_WIDTH (&self->vinfo),
    GST_VIDEO_INFO_HEIGHT (&self->vinfo), 0
  };
  const drmModeModeInfo *forced = NULL, *active, *exact, *mode;

  if (self->mode_spec.width)
    forced = gst_zc_kms_device_find_mode (self->dev, &self->mode_spec);
  active = gst_zc_kms_device_get_active_mode (self->dev);
  exact = gst_zc_kms_device_find_mode (self->dev, &size);
  mode = forced ? forced : active ? active :
      gst_zc_kms_device_get_preferred_mode (self->dev);

  g_array_set_size (self->candidates, 0);
  if (!forced && !active && exact)
    add_candidate (self, exact, FALSE, FALSE);
  add_candidate (self, mode, TRUE, FALSE);
  add_candidate (self, mode, FALSE, FALSE);
  if (!forced && active && exact && !same_mode (exact, active))
    add_candidate (self, exact, FALSE, FALSE);
  add_candidate (self, mode, FALSE, TRUE);
}

static void
clear_copy_state (GstZcKmsSink * self)
{
  if (self->copy_pool) {
    gst_buffer_pool_set_active (self->copy_pool, FALSE);
    gst_clear_object (&self->copy_pool);
  }
  g_clear_pointer (&self->converter, gst_video_converter_free);
}

/* Same format, crop and centre, black borders, no scaling. */
static GstVideoConverter *
new_compose_converter (GstZcKmsSink * self)
{
  GstStructure *config = gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT, self->src.x,
      GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, self->src.y,
      GST_VIDEO_CONVERTER_OPT_SRC_WIDTH, G_TYPE_INT, self->src.width,
      GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT, G_TYPE_INT, self->src.height,
      GST_VIDEO_CONVERTER_OPT_DEST_X, G_TYPE_INT, self->dst.x,
      GST_VIDEO_CONVERTER_OPT_DEST_Y, G_TYPE_INT, self->dst.y,
      GST_VIDEO_CONVERTER_OPT_DEST_WIDTH, G_TYPE_INT, self->dst.width,
      GST_VIDEO_CONVERTER_OPT_DEST_HEIGHT, G_TYPE_INT, self->dst.height,
      GST_VIDEO_CONVERTER_OPT_FILL_BORDER, G_TYPE_BOOLEAN, TRUE,
      GST_VIDEO_CONVERTER_OPT_BORDER_ARGB, G_TYPE_UINT, 0xff000000,
      GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
      GST_VIDEO_DITHER_NONE, NULL);
  GstVideoInfo in = self->vinfo;

  /* The converter does not change rates; only the layout matters here. */
  GST_VIDEO_INFO_FPS_N (&self->copy_info) = GST_VIDEO_INFO_FPS_N (&in);
  GST_VIDEO_INFO_FPS_D (&self->copy_info) = GST_VIDEO_INFO_FPS_D (&in);
  return gst_video_converter_new (&in, &self->copy_info, config);
}

/* The sink's own scanout buffers for copies: frames of the video's size,
 * or of the screen's when composing. Kept from the previous candidate when
 * they fit: they are imported already. */
static gboolean
setup_copies (GstZcKmsSink * self, const Candidate * c)
{
  GstVideoInfo info;
  GstCaps *caps;
  guint size;

  gst_video_info_set_format (&info, GST_VIDEO_INFO_FORMAT (&self->vinfo),
      c->compose ? c->mode.hdisplay : GST_VIDEO_INFO_WIDTH (&self->vinfo),
      c->compose ? c->mode.vdisplay : GST_VIDEO_INFO_HEIGHT (&self->vinfo));
  if (self->copy_pool && !self->converter && !c->compose
      && gst_video_info_is_equal (&info, &self->copy_info))
    return TRUE;

  clear_copy_state (self);
  self->copy_info = info;
  if (c->compose) {
    self->converter = new_compose_converter (self);
    if (!self->converter)
      return FALSE;
  }

  caps = gst_video_info_to_caps (&self->copy_info);
  /* One on screen, one flipped to, one being written. */
  self->copy_pool = new_scanout_pool (self, caps, HELD_BUFFERS + 1, &size);
  gst_caps_unref (caps);
  if (!self->copy_pool || !gst_buffer_pool_set_active (self->copy_pool, TRUE)) {
    clear_copy_state (self);
    return FALSE;
  }
  return TRUE;
}

static PresentMethod
present_method (GstZcKmsSink * self, const Candidate * c)
{
  gboolean full_screen = self->dst.x == 0 && self->dst.y == 0
      && self->dst.width == c->mode.hdisplay
      && self->dst.height == c->mode.vdisplay
      && self->src.width == self->dst.width
      && self->src.height == self->dst.height;

  if (self->dev->atomic)
    return PRESENT_ATOMIC;
  /* SetCrtc shows a framebuffer from (x, y) over the whole screen: only
   * the primary plane, unscaled and covering the screen. */
  if (self->plane->type == DRM_PLANE_TYPE_PRIMARY && full_screen)
    return PRESENT_CRTC;
  return PRESENT_PLANE;
}

/* Takes candidate @index: its rectangles, present method and copies.
 * Returns FALSE when there is no candidate left. */
static gboolean
take_candidate (GstZcKmsSink * self, guint index)
{
  const Candidate *c;
  guint w = GST_VIDEO_INFO_WIDTH (&self->vinfo);
  guint h = GST_VIDEO_INFO_HEIGHT (&self->vinfo);

  if (index >= self->candidates->len)
    return FALSE;
  c = &g_array_index (self->candidates, Candidate, index);
  gst_zc_kms_place (w, h, c->mode.hdisplay, c->mode.vdisplay, c->scale,
      &self->src, &self->dst);
  if (!setup_copies (self, c) && c->compose)
    return FALSE;
  /* Composing copies the part of the frame that is shown; else all of it
   * (the plane crops). */
  self->copy_bytes = c->compose ? gst_zc_kms_rect_bytes (self->vinfo.finfo,
      self->src.width, self->src.height) :
      gst_zc_kms_rect_bytes (self->vinfo.finfo, w, h);
  if (c->compose) {
    /* The copy is the whole screen. */
    self->src.x = self->src.y = self->dst.x = self->dst.y = 0;
    self->src.width = self->dst.width = c->mode.hdisplay;
    self->src.height = self->dst.height = c->mode.vdisplay;
  }
  self->candidate = index;
  self->method = present_method (self, c);
  self->layout_ready = TRUE;
  self->layout_shown = FALSE;

  GST_INFO_OBJECT (self, "showing %ux%u frames in mode %s: %ux%u+%d+%d -> "
      "%ux%u+%d+%d%s%s, %s", w, h, c->mode.name, self->src.width,
      self->src.height, self->src.x, self->src.y, self->dst.width,
      self->dst.height, self->dst.x, self->dst.y, c->scale ? ", scaled" : "",
      c->compose ? ", copied into full-screen buffers" : "",
      self->method == PRESENT_ATOMIC ? "atomic" :
      self->method == PRESENT_CRTC ? "SetCrtc + PageFlip" : "SetPlane");
  return TRUE;
}

static const Candidate *
current_candidate (GstZcKmsSink * self)
{
  return &g_array_index (self->candidates, Candidate, self->candidate);
}

static gboolean
gst_zc_kms_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstZcKmsSink *self = GST_ZC_KMS_SINK (bsink);
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, caps))
    goto invalid_caps;
  self->fourcc = gst_zc_format_to_drm_fourcc (GST_VIDEO_INFO_FORMAT (&info));
  self->plane = gst_zc_kms_device_find_plane (self->dev, self->fourcc);
  if (!self->plane)
    goto no_plane;

  self->vinfo = info;
  self->addfb_refused = FALSE;
  self->layout_ready = FALSE;
  self->layout_shown = FALSE;
  gst_clear_buffer (&self->last_input);
  self->copies_logged = 0;
  clear_copy_state (self);
  /* Frames of other caps will not come back; the one on screen stays
   * until the next flip (the sink holds it). */
  gst_zc_kms_fb_cache_clear (self->cache);
  make_candidates (self);

  GST_DEBUG_OBJECT (self, "%" GST_PTR_FORMAT " on plane %u (%s)", caps,
      self->plane->id, self->plane->type == DRM_PLANE_TYPE_PRIMARY ?
      "primary" : "overlay");
  return TRUE;

  /* ERRORS */
invalid_caps:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
      ("invalid video caps %" GST_PTR_FORMAT, caps));
  return FALSE;
no_plane:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("The display cannot show %s video.", GST_VIDEO_INFO_NAME (&info)),
      ("no plane of %s scans out %" GST_FOURCC_FORMAT, self->dev->path,
          GST_FOURCC_ARGS (self->fourcc)));
  return FALSE;
}

/* Framebuffers: import, cache, copy */

static gboolean
dmabuf_inode (GstMemory * mem, ino_t * inode)
{
  struct stat st;

  if (fstat (gst_dmabuf_memory_get_fd (mem), &st) < 0)
    return FALSE;
  *inode = st.st_ino;
  return TRUE;
}

/* The framebuffer description of @buf: per plane the dma-buf holding it
 * (by inode), the offset into that dma-buf and the pitch, from the
 * buffer's GstVideoMeta (else the caps' default layout). @fds gets the
 * dma-buf fds. */
static gboolean
describe_buffer (GstZcKmsSink * self, GstBuffer * buf,
    const GstVideoInfo * info, GstZcKmsFbKey * key, gint * fds)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
  guint i, idx, len;
  gsize skip;

  /* Whole-struct comparisons in the cache see the padding too. */
  memset (key, 0, sizeof (*key));
  key->fourcc = gst_zc_format_to_drm_fourcc (GST_VIDEO_INFO_FORMAT (info));
  key->width = GST_VIDEO_INFO_WIDTH (info);
  key->height = GST_VIDEO_INFO_HEIGHT (info);
  for (i = 0; i < GST_VIDEO_INFO_N_PLANES (info); i++) {
    gsize offset = meta ? meta->offset[i] : GST_VIDEO_INFO_PLANE_OFFSET (info,
        i);
    GstMemory *mem;

    if (!gst_buffer_find_memory (buf, offset, 1, &idx, &len, &skip))
      return FALSE;
    mem = gst_buffer_peek_memory (buf, idx);
    if (!gst_is_dmabuf_memory (mem) || !dmabuf_inode (mem, &key->inodes[i]))
      return FALSE;
    fds[i] = gst_dmabuf_memory_get_fd (mem);
    key->offsets[i] = mem->offset + skip;
    key->pitches[i] = meta ? meta->stride[i] : GST_VIDEO_INFO_PLANE_STRIDE
        (info, i);
  }
  return TRUE;
}

/* PRIME import of every distinct dma-buf, then AddFB2 (*@addfb_failed
 * tells which one failed). The handles are closed at once: the
 * framebuffer holds its own references on the buffer objects, and a
 * handle kept open would alias the next import of the same dma-buf (PRIME
 * gives one handle per buffer object and file). */
static gint
add_framebuffer (GstZcKmsSink * self, const GstZcKmsFbKey * key,
    const gint * fds, guint n_planes, guint32 * fb_id, gboolean * addfb_failed)
{
  guint32 handles[GST_ZC_KMS_MAX_PLANES] = { 0, };
  guint i, j;
  gint err = 0;

  for (i = 0; i < n_planes && !err; i++) {
    for (j = 0; j < i; j++)
      if (key->inodes[j] == key->inodes[i])
        handles[i] = handles[j];
    if (!handles[i])
      err = gst_zc_kms_device_import (self->dev, fds[i], &handles[i]);
  }
  if (!err) {
    err = gst_zc_kms_device_add_fb (self->dev, key, handles, fb_id);
    *addfb_failed = err != 0;
  }
  for (i = 0; i < n_planes; i++) {
    for (j = 0; j < i && handles[i]; j++)
      if (handles[j] == handles[i])
        handles[i] = 0;
    if (handles[i])
      gst_zc_kms_device_close_handle (self->dev, handles[i]);
  }
  return err;
}

/* The framebuffer of @buf, from the cache or imported now. Returns NULL
 * with *@err the errno of the import or AddFB2 that failed, or 0 when the
 * buffer is not all dma-buf. */
static GstZcKmsFb *
import_buffer (GstZcKmsSink * self, GstBuffer * buf, const GstVideoInfo * info,
    gint * err, gboolean * addfb_failed)
{
  GstZcKmsFbKey key;
  gint fds[GST_ZC_KMS_MAX_PLANES];
  GstZcKmsFb *fb;
  guint32 fb_id = 0;

  *err = 0;
  if (!describe_buffer (self, buf, info, &key, fds))
    return NULL;
  fb = gst_zc_kms_fb_cache_lookup (self->cache, &key);
  if (fb) {
    STATS_ADD (self, cache_hits, 1);
    return gst_zc_kms_fb_ref (fb);
  }

  *addfb_failed = FALSE;
  *err = add_framebuffer (self, &key, fds, GST_VIDEO_INFO_N_PLANES (info),
      &fb_id, addfb_failed);
  if (*err)
    return NULL;
  fb = gst_zc_kms_fb_new (self->dev->fd, fb_id, &key);
  gst_zc_kms_fb_cache_insert (self->cache, gst_zc_kms_fb_ref (fb));
  STATS_ADD (self, imports, 1);
  GST_DEBUG_OBJECT (self, "imported dma-buf %lu as framebuffer %u",
      (gulong) key.inodes[0], fb_id);
  return fb;
}

static void
log_copy (GstZcKmsSink * self, CopyReason reason)
{
  static const gchar *why[] = { "frames are in system memory",
    "the display cannot import these dma-bufs (PRIME import refused)",
    "the display refused a framebuffer of these dma-bufs (AddFB2)",
    "the plane can neither scale nor place them: composed full-screen"
  };
  guint i = g_bit_nth_lsf (reason, -1);

  if (self->copies_logged & reason)
    return;
  self->copies_logged |= reason;
  GST_CAT_INFO_OBJECT (GST_CAT_PERFORMANCE, self, "copying frames into "
      "scanout buffers: %s", why[i]);
  GST_INFO_OBJECT (self, "copying frames into scanout buffers: %s", why[i]);
}

/* The copy shows the same frame: its latency counts from the same
 * capture. */
static void
copy_capture_time (GstBuffer * copy, GstBuffer * buf)
{
  GstClockTime capture = gst_zc_buffer_get_capture_time (buf);

  if (GST_CLOCK_TIME_IS_VALID (capture))
    gst_zc_buffer_add_capture_time (copy, capture);
}

/* Copies @buf into one of the sink's scanout buffers (*@copy): waits for
 * the device writing it, reads it through the library's CPU view between
 * SYNC READ brackets (gst_video_frame_map); the destination's SYNC WRITE
 * bracket is the allocator's map. A frame not ready in time, or without a
 * scanout buffer free, is skipped with a warning (*@copy NULL, OK). A
 * frame the CPU cannot map (its exporter may not implement mmap, which the
 * kernel allows) is an error: there is nothing to show but garbage. */
static GstFlowReturn
copy_frame (GstZcKmsSink * self, GstBuffer * buf, CopyReason reason,
    GstBuffer ** copy)
{
  GstVideoFrame in, out;
  GstBuffer *view = NULL;
  GError *error = NULL;

  *copy = NULL;
  if (!gst_zc_fence_wait_buffer (buf, GST_MAP_READ, FENCE_TIMEOUT, &error))
    goto not_ready;
  view = gst_zc_buffer_get_cpu_view (buf);
  if (!view || gst_buffer_pool_acquire_buffer (self->copy_pool, copy,
          NULL) != GST_FLOW_OK)
    goto no_buffer;
  if (!gst_video_frame_map (&in, &self->vinfo, view, GST_MAP_READ))
    goto unreadable;
  if (!gst_video_frame_map (&out, &self->copy_info, *copy, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&in);
    goto no_buffer;
  }
  if (self->converter)
    gst_video_converter_frame (self->converter, &in, &out);
  else
    gst_video_frame_copy (&out, &in);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_buffer_unref (view);

  log_copy (self, reason);
  gst_buffer_copy_into (*copy, buf, GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  copy_capture_time (*copy, buf);
  return GST_FLOW_OK;

  /* ERRORS */
not_ready:
  GST_ELEMENT_WARNING (self, RESOURCE, READ, ("A frame was not ready."),
      ("%s", error->message));
  g_clear_error (&error);
  return GST_FLOW_OK;
no_buffer:
  GST_ELEMENT_WARNING (self, RESOURCE, READ, ("A frame could not be copied."),
      ("no CPU view, scanout buffer or mapping of %" GST_PTR_FORMAT, buf));
  gst_clear_buffer (&view);
  gst_clear_buffer (copy);
  return GST_FLOW_OK;
unreadable:
  GST_ELEMENT_ERROR (self, RESOURCE, READ,
      ("Cannot show a frame: the display cannot import it and the CPU "
          "cannot read it to copy it."),
      ("mapping %" GST_PTR_FORMAT " for reading failed (an exporter without "
          "mmap?)", buf));
  gst_clear_buffer (&view);
  gst_clear_buffer (copy);
  return GST_FLOW_ERROR;
}

/* Whether importing @buf is worth trying. After a refused PRIME import,
 * only the sink's own dumb buffers (same device) are. */
static gboolean
may_import (GstZcKmsSink * self, GstBuffer * buf, CopyReason * reason)
{
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);

  if (current_candidate (self)->compose)
    *reason = COPY_COMPOSE;
  else if (!gst_is_dmabuf_memory (mem))
    *reason = COPY_SYSTEM_MEMORY;
  else if (self->addfb_refused)
    *reason = COPY_ADDFB_REFUSED;
  else if (self->import_refused && mem->allocator != self->allocator)
    *reason = COPY_IMPORT_REFUSED;
  else
    return TRUE;
  return FALSE;
}

/* The framebuffer to show @buf with, and in *@held the buffer to keep
 * while it is on screen: @buf itself, or the copy (*@copied is then the
 * bytes copied). *@held is NULL for a frame skipped with a warning (OK)
 * or after an error (posted). */
static GstFlowReturn
frame_framebuffer (GstZcKmsSink * self, GstBuffer * buf, GstZcKmsFb ** fb,
    GstBuffer ** held, gsize * copied)
{
  CopyReason reason = 0;
  gboolean addfb_failed = FALSE;
  GstFlowReturn ret;
  gint err;

  if (may_import (self, buf, &reason)) {
    *fb = import_buffer (self, buf, &self->vinfo, &err, &addfb_failed);
    if (*fb) {
      *held = gst_buffer_ref (buf);
      return GST_FLOW_OK;
    }
    reason = addfb_failed ? COPY_ADDFB_REFUSED : err ? COPY_IMPORT_REFUSED :
        COPY_SYSTEM_MEMORY;
    self->addfb_refused |= addfb_failed;
    self->import_refused |= (err != 0 && !addfb_failed);
  }

  if (!self->copy_pool)
    goto no_copies;
  ret = copy_frame (self, buf, reason, held);
  if (!*held)
    return ret;
  *copied = self->copy_bytes;
  *fb = import_buffer (self, *held, &self->copy_info, &err, &addfb_failed);
  if (!*fb)
    goto copy_refused;
  return GST_FLOW_OK;

  /* ERRORS */
no_copies:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
      ("Cannot show this frame: it cannot be imported and no scanout buffer "
          "could be made for a copy."), ("%" GST_PTR_FORMAT, buf));
  return GST_FLOW_ERROR;
copy_refused:
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
      ("The display refused its own scanout buffer."),
      ("framebuffer of %" GST_PTR_FORMAT ": %s", *held, g_strerror (err)));
  gst_clear_buffer (held);
  return GST_FLOW_ERROR;
}

/* Presentation: flips and their completion */

static void
release_shown (GstZcKmsSink * self)
{
  g_clear_pointer (&self->shown_fb, gst_zc_kms_fb_unref);
  gst_clear_buffer (&self->shown);
}

/* Whether a frame due by running time @deadline was late when it reached
 * the screen at @shown_us (CLOCK_MONOTONIC, microseconds: the vblank's
 * time from the kernel). The event may be read much later than it came,
 * so the time is carried over to the element's clock by the difference of
 * both clocks now. */
static gboolean
is_late (GstZcKmsSink * self, GstClockTime deadline, gint64 shown_us)
{
  GstClock *clock = GST_ELEMENT_CLOCK (self);
  GstClockTimeDiff age;
  GstClockTime now, shown;

  if (!clock || !GST_CLOCK_TIME_IS_VALID (deadline))
    return FALSE;
  now = gst_clock_get_time (clock);
  age = (g_get_monotonic_time () - shown_us) * GST_USECOND;
  shown = now - MAX (age, 0) - GST_ELEMENT_CAST (self)->base_time;
  return shown > deadline + gst_base_sink_get_latency (GST_BASE_SINK (self));
}

/* Capture to screen: @shown_us minus the frame's capture time, both
 * CLOCK_MONOTONIC; NONE for a frame without capture time, or with one
 * after the flip (it was not CLOCK_MONOTONIC after all). */
static GstClockTime
frame_latency (GstZcKmsSink * self, GstBuffer * buf, gint64 shown_us)
{
  GstClockTime capture, shown;

  capture = buf ? gst_zc_buffer_get_capture_time (buf) : GST_CLOCK_TIME_NONE;
  if (!GST_CLOCK_TIME_IS_VALID (capture) || shown_us < 0)
    return GST_CLOCK_TIME_NONE;
  shown = shown_us * GST_USECOND;
  if (shown < capture) {
    GST_DEBUG_OBJECT (self, "capture time %" GST_TIME_FORMAT " after the "
        "flip at %" GST_TIME_FORMAT ": no latency sample",
        GST_TIME_ARGS (capture), GST_TIME_ARGS (shown));
    return GST_CLOCK_TIME_NONE;
  }
  return shown - capture;
}

/* The frame now on screen; the one it replaced can go. */
static void
flip_done (GstZcKmsSink * self, GstBuffer * buf, GstZcKmsFb * fb,
    GstClockTime deadline, gint64 shown_us)
{
  gboolean late = is_late (self, deadline, shown_us);
  GstClockTime latency = frame_latency (self, buf, shown_us);

  release_shown (self);
  self->shown = buf;
  self->shown_fb = fb;
  GST_OBJECT_LOCK (self);
  self->stats.flips++;
  self->stats.late_frames += late;
  if (GST_CLOCK_TIME_IS_VALID (latency))
    gst_zc_kms_latency_add (self->latency, latency);
  GST_OBJECT_UNLOCK (self);
}

static void
page_flip_handler (int fd, unsigned int frame, unsigned int sec,
    unsigned int usec, void *data)
{
  GstZcKmsSink *self = data;
  gint64 shown_us = (gint64) sec * G_USEC_PER_SEC + usec;

  GST_LOG_OBJECT (self, "flip to framebuffer %u done at vblank %u",
      self->pending_fb ? self->pending_fb->fb_id : 0, frame);
  /* Another clock's time, or a stale one (vkms stamps the event of the
   * commit that turns the CRTC on with the time of an older vblank): the
   * time the event is read comes nearest. */
  if (!self->monotonic_events || shown_us < self->pending_since_us) {
    GST_DEBUG_OBJECT (self, "flip event time %" G_GINT64_FORMAT " us is not "
        "after the commit at %" G_GINT64_FORMAT " us: using the time it is "
        "read", shown_us, self->pending_since_us);
    shown_us = g_get_monotonic_time ();
  }
  flip_done (self, g_steal_pointer (&self->pending),
      g_steal_pointer (&self->pending_fb), self->pending_deadline, shown_us);
}

/* Waits until the flip in flight has completed (its event was read).
 * Failures are posted as errors when @post_errors. */
static GstFlowReturn
wait_flip (GstZcKmsSink * self, gboolean post_errors)
{
  drmEventContext ctx = {.version = 2,.page_flip_handler = page_flip_handler };
  gint ret;

  while (self->pending) {
    ret = gst_poll_wait (self->poll, FLIP_TIMEOUT);
    if (ret < 0 && errno == EBUSY)
      return GST_FLOW_FLUSHING;
    if (ret < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (ret == 0)
      goto timed_out;
    if (ret < 0 || gst_poll_fd_has_error (self->poll, &self->pollfd)
        || gst_poll_fd_has_closed (self->poll, &self->pollfd))
      goto device_gone;
    if (drmHandleEvent (self->dev->fd, &ctx) < 0)
      goto device_gone;
  }
  return GST_FLOW_OK;

  /* ERRORS */
timed_out:
  if (post_errors)
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("The display stopped showing frames."),
        ("no page flip event within %" GST_TIME_FORMAT,
            GST_TIME_ARGS (FLIP_TIMEOUT)));
  return GST_FLOW_ERROR;
device_gone:
  if (post_errors)
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("The display went away."),
        ("waiting for a page flip on %s: %s", self->dev->path,
            g_strerror (errno)));
  return GST_FLOW_ERROR;
}

/* A black full-screen primary framebuffer under overlays when the sink
 * turns the CRTC on itself: a CRTC needs something on its primary. */
static GstZcKmsFb *
ensure_background (GstZcKmsSink * self, const drmModeModeInfo * mode)
{
  GstVideoInfo info;
  GstCaps *caps;
  GstBufferPool *pool;
  GstMapInfo map;
  GstZcKmsFbKey key;
  gint fds[GST_ZC_KMS_MAX_PLANES];
  guint32 fb_id = 0;
  guint size;
  gboolean addfb_failed;

  if (self->background_fb)
    return self->background_fb;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRx, mode->hdisplay,
      mode->vdisplay);
  caps = gst_video_info_to_caps (&info);
  pool = new_scanout_pool (self, caps, 1, &size);
  gst_caps_unref (caps);
  if (!pool || !gst_buffer_pool_set_active (pool, TRUE)
      || gst_buffer_pool_acquire_buffer (pool, &self->background,
          NULL) != GST_FLOW_OK)
    goto done;
  if (gst_buffer_map (self->background, &map, GST_MAP_WRITE)) {
    memset (map.data, 0, map.size);
    gst_buffer_unmap (self->background, &map);
  }
  /* Not a frame: neither cached nor counted. */
  if (describe_buffer (self, self->background, &info, &key, fds)
      && add_framebuffer (self, &key, fds, 1, &fb_id, &addfb_failed) == 0)
    self->background_fb = gst_zc_kms_fb_new (self->dev->fd, fb_id, &key);
done:
  if (pool)
    gst_buffer_pool_set_active (pool, FALSE);
  gst_clear_object (&pool);
  return self->background_fb;
}

static void
release_background (GstZcKmsSink * self)
{
  g_clear_pointer (&self->background_fb, gst_zc_kms_fb_unref);
  gst_clear_buffer (&self->background);
}

static gboolean
needs_modeset (GstZcKmsSink * self, const drmModeModeInfo * mode)
{
  return !self->crtc_set || !same_mode (&self->crtc_mode, mode);
}

static void
crtc_now_set (GstZcKmsSink * self, const drmModeModeInfo * mode)
{
  self->crtc_set = TRUE;
  self->crtc_mode = *mode;
}

static gint
present_atomic (GstZcKmsSink * self, GstZcKmsFb * fb, const Candidate * c)
{
  const drmModeModeInfo *mode = needs_modeset (self, &c->mode) ?
      &c->mode : NULL;
  GstZcKmsFb *bg = NULL;
  gint err;

  if (mode && self->plane->type != DRM_PLANE_TYPE_PRIMARY)
    bg = ensure_background (self, mode);
  if (bg) {
    GstZcKmsRect full = { 0, 0, mode->hdisplay, mode->vdisplay };
    const GstZcKmsPlane *primary = gst_zc_kms_device_find_plane (self->dev,
        DRM_FORMAT_XRGB8888);

    /* Turns the CRTC on with the background, blocking; the frame then
     * goes on the overlay with an event like any other. */
    if (primary && primary->type == DRM_PLANE_TYPE_PRIMARY
        && gst_zc_kms_device_atomic_commit (self->dev, primary, bg->fb_id,
            &full, &full, mode, 0, NULL) == 0) {
      crtc_now_set (self, mode);
      mode = NULL;
    }
  }
  err = gst_zc_kms_device_atomic_commit (self->dev, self->plane, fb->fb_id,
      &self->src, &self->dst, mode, DRM_MODE_PAGE_FLIP_EVENT |
      DRM_MODE_ATOMIC_NONBLOCK, self);
  if (!err && mode)
    crtc_now_set (self, mode);
  return err;
}

static gint
present_crtc (GstZcKmsSink * self, GstZcKmsFb * fb, const Candidate * c)
{
  gint err;

  /* PageFlip keeps mode, position and format: anything new (first frame,
   * new caps) is a SetCrtc, which returns once the frame is on screen. */
  if (self->layout_shown)
    return gst_zc_kms_device_page_flip (self->dev, fb->fb_id, self);
  err = gst_zc_kms_device_set_crtc (self->dev, fb->fb_id, self->src.x,
      self->src.y, &c->mode);
  if (!err)
    crtc_now_set (self, &c->mode);
  return err;
}

static gint
present_plane (GstZcKmsSink * self, GstZcKmsFb * fb, const Candidate * c)
{
  GstZcKmsFb *bg;
  gint err;

  if (needs_modeset (self, &c->mode)) {
    bg = ensure_background (self, &c->mode);
    if (!bg)
      return ENOMEM;
    err = gst_zc_kms_device_set_crtc (self->dev, bg->fb_id, 0, 0, &c->mode);
    if (err)
      return err;
    crtc_now_set (self, &c->mode);
  }
  /* Blocking: the frame is on screen when it returns. */
  return gst_zc_kms_device_set_plane (self->dev, self->plane->id, fb->fb_id,
      &self->src, &self->dst);
}

/* The buffer's due time as running time, when it has one: later than
 * this (plus latency) on screen is late. */
static GstClockTime
frame_deadline (GstZcKmsSink * self, GstBuffer * buf)
{
  GstSegment *segment = &GST_BASE_SINK (self)->segment;
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstClockTime duration = GST_BUFFER_DURATION (buf);

  if (!GST_CLOCK_TIME_IS_VALID (pts) || segment->format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  if (!GST_CLOCK_TIME_IS_VALID (duration))
    duration = GST_VIDEO_INFO_FPS_N (&self->vinfo) ?
        gst_util_uint64_scale_int (GST_SECOND,
        GST_VIDEO_INFO_FPS_D (&self->vinfo), GST_VIDEO_INFO_FPS_N
        (&self->vinfo)) : 0;
  pts = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
  return GST_CLOCK_TIME_IS_VALID (pts) ? pts + duration : GST_CLOCK_TIME_NONE;
}

/* Shows @fb (holding @held): 0, taking both, or the errno of the ioctl
 * that failed, leaving them to the caller. */
static gint
present (GstZcKmsSink * self, GstZcKmsFb * fb, GstBuffer * held,
    GstClockTime deadline)
{
  const Candidate *c = current_candidate (self);
  gint64 since_us = g_get_monotonic_time ();
  gint err;

  if (self->plane_on && self->plane_on != self->plane->id)
    gst_zc_kms_device_set_plane (self->dev, self->plane_on, 0, &self->src,
        &self->dst);
  if (self->method == PRESENT_ATOMIC)
    err = present_atomic (self, fb, c);
  else if (self->method == PRESENT_CRTC)
    err = present_crtc (self, fb, c);
  else
    err = present_plane (self, fb, c);

  if (err)
    return err;
  self->plane_on = self->plane->id;
  /* SetCrtc and SetPlane return with the frame on screen; flips send an
   * event at the vblank that shows it. */
  if (self->method == PRESENT_ATOMIC || (self->method == PRESENT_CRTC
          && self->layout_shown)) {
    self->pending = held;
    self->pending_fb = fb;
    self->pending_deadline = deadline;
    self->pending_since_us = since_us;
  } else {
    flip_done (self, held, fb, deadline, g_get_monotonic_time ());
  }
  self->layout_shown = TRUE;
  return 0;
}

static GstFlowReturn
post_present_error (GstZcKmsSink * self, gint err)
{
  const Candidate *c = current_candidate (self);

  if (err == EACCES || err == EPERM)
    GST_ELEMENT_ERROR (self, RESOURCE, BUSY,
        ("Another program controls the display."),
        ("%s: not DRM master, mode setting refused: %s", self->dev->path,
            g_strerror (err)));
  else if (err == ENODEV || err == ENOENT)
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("The display went away."),
        ("%s: %s", self->dev->path, g_strerror (err)));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("The display refused to show %s %dx%d frames.",
            GST_VIDEO_INFO_NAME (&self->vinfo),
            GST_VIDEO_INFO_WIDTH (&self->vinfo),
            GST_VIDEO_INFO_HEIGHT (&self->vinfo)),
        ("mode %s, plane %u, last way tried %ux%u+%d+%d -> %ux%u+%d+%d: %s",
            c->mode.name, self->plane->id, self->src.width, self->src.height,
            self->src.x, self->src.y, self->dst.width, self->dst.height,
            self->dst.x, self->dst.y, g_strerror (err)));
  return GST_FLOW_ERROR;
}

/* A first frame refused with EINVAL or ERANGE (a configuration the
 * driver does not take: scaling, placing) moves on to the next way of
 * showing the frames; anything else is an error. The frame's framebuffer
 * is kept for the next try unless composing starts or stops (it is a
 * copy of another size then). */
static gboolean
try_next_candidate (GstZcKmsSink * self, gint err, GstZcKmsFb ** fb,
    GstBuffer ** held)
{
  gboolean composed = current_candidate (self)->compose;

  if (self->layout_shown || (err != EINVAL && err != ERANGE))
    return FALSE;
  GST_INFO_OBJECT (self, "the display refused that layout (%s): trying "
      "the next", g_strerror (err));
  if (!take_candidate (self, self->candidate + 1))
    return FALSE;
  if (composed || current_candidate (self)->compose) {
    g_clear_pointer (fb, gst_zc_kms_fb_unref);
    gst_clear_buffer (held);
  }
  return TRUE;
}

static GstFlowReturn
gst_zc_kms_sink_show_frame (GstVideoSink * vsink, GstBuffer * buf)
{
  GstZcKmsSink *self = GST_ZC_KMS_SINK (vsink);
  GstClockTime deadline = frame_deadline (self, buf);
  GstFlowReturn ret;
  GstZcKmsFb *fb = NULL;
  GstBuffer *held = NULL;
  gsize copied = 0;
  gint err;

  /* GstVideoSink shows the preroll buffer, then renders it again: it is
   * on screen already. */
  if (buf == self->last_input && self->layout_shown)
    return GST_FLOW_OK;
  ret = wait_flip (self, TRUE);
  if (ret != GST_FLOW_OK)
    return ret;
  if (!self->layout_ready && !take_candidate (self, 0))
    goto no_layout;

  do {
    if (!held) {
      copied = 0;
      ret = frame_framebuffer (self, buf, &fb, &held, &copied);
      if (ret != GST_FLOW_OK || !held)
        return ret;
    }
    err = present (self, fb, held, deadline);
  } while (err && try_next_candidate (self, err, &fb, &held));
  if (err) {
    g_clear_pointer (&fb, gst_zc_kms_fb_unref);
    gst_clear_buffer (&held);
    return post_present_error (self, err);
  }

  gst_buffer_replace (&self->last_input, buf);
  GST_OBJECT_LOCK (self);
  self->stats.frames_shown++;
  self->stats.copies += copied > 0;
  self->stats.bytes_copied += copied;
  GST_OBJECT_UNLOCK (self);
  if (copied > 0)
    gst_zc_stats_add_copy (GST_ELEMENT (self), copied);
  return GST_FLOW_OK;

  /* ERRORS */
no_layout:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
      ("Cannot show frames on this display."),
      ("no scanout buffer could be made on %s", self->dev->path));
  return GST_FLOW_ERROR;
}

static GstStructure *gst_zc_kms_sink_get_stats (GstZcKmsSink * self);

/* Taking the display: READY to PAUSED and back. In READY the device
 * stays open (caps queries) but the display is another program's again. */

/* Whether the device stamps flip events with CLOCK_MONOTONIC, the clock
 * of capture times (DRM_CAP_TIMESTAMP_MONOTONIC). */
static gboolean
events_are_monotonic (GstZcKmsSink * self)
{
  guint64 cap = 0;

  if (drmGetCap (self->dev->fd, DRM_CAP_TIMESTAMP_MONOTONIC, &cap) == 0
      && cap == 1)
    return TRUE;
  GST_INFO_OBJECT (self, "%s does not stamp flip events with "
      "CLOCK_MONOTONIC: latency counts to the time an event is read",
      self->dev->path);
  return FALSE;
}

static void
gst_zc_kms_sink_take_display (GstZcKmsSink * self)
{
  GST_OBJECT_LOCK (self);
  memset (&self->stats, 0, sizeof (self->stats));
  gst_zc_kms_latency_reset (self->latency);
  GST_OBJECT_UNLOCK (self);
  self->monotonic_events = events_are_monotonic (self);
  gst_zc_kms_device_ensure_master (self->dev);
  self->cache = gst_zc_kms_fb_cache_new (FB_CACHE_SIZE);
  self->import_refused = FALSE;
  self->crtc_set = FALSE;
  self->plane_on = 0;
  gst_poll_set_flushing (self->poll, FALSE);
}

/* After streaming stopped: the last flip completes, the CRTC is put back,
 * every framebuffer and scanout buffer of the sink goes. */
static void
gst_zc_kms_sink_release_display (GstZcKmsSink * self)
{
  GstStructure *stats;
  gboolean restore;

  GST_OBJECT_LOCK (self);
  restore = self->restore_crtc;
  stats = gst_zc_kms_sink_get_stats (self);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "stopping, %u framebuffers cached: %" GST_PTR_FORMAT,
      self->cache ? gst_zc_kms_fb_cache_get_size (self->cache) : 0, stats);
  gst_structure_free (stats);
  /* The last flip must complete before its framebuffers go. */
  gst_poll_set_flushing (self->poll, FALSE);
  if (wait_flip (self, FALSE) != GST_FLOW_OK) {
    g_clear_pointer (&self->pending_fb, gst_zc_kms_fb_unref);
    gst_clear_buffer (&self->pending);
  }
  if (self->crtc_set && restore)
    gst_zc_kms_device_restore (self->dev);
  /* Without restoring, removing the framebuffer on screen turns the
   * display off (the kernel does so when a framebuffer in use goes). */
  release_shown (self);
  release_background (self);
  gst_clear_buffer (&self->last_input);
  g_clear_pointer (&self->cache, gst_zc_kms_fb_cache_free);
  clear_copy_state (self);
  self->crtc_set = FALSE;
  self->layout_ready = FALSE;

  if (self->dev->master && drmDropMaster (self->dev->fd) == 0)
    self->dev->master = FALSE;
}

static gboolean
gst_zc_kms_sink_unlock (GstBaseSink * bsink)
{
  gst_poll_set_flushing (GST_ZC_KMS_SINK (bsink)->poll, TRUE);
  return TRUE;
}

static gboolean
gst_zc_kms_sink_unlock_stop (GstBaseSink * bsink)
{
  gst_poll_set_flushing (GST_ZC_KMS_SINK (bsink)->poll, FALSE);
  return TRUE;
}

/* The scanout context (gstzccontext.h): a producer upstream of a tee gets
 * no pool from the sink, so it asks for the display's allocator this way
 * and allocates buffers the display scans out as they are. */
static gboolean
gst_zc_kms_sink_query (GstBaseSink * bsink, GstQuery * query)
{
  GstZcKmsSink *self = GST_ZC_KMS_SINK (bsink);

  if (GST_QUERY_TYPE (query) == GST_QUERY_CONTEXT && self->dev) {
    GstAllocator *allocator = gst_zc_kms_sink_get_allocator (self);
    gboolean answered = gst_zc_context_answer_scanout_query (query,
        allocator, self->dev->path);

    gst_clear_object (&allocator);
    if (answered)
      return TRUE;
  }
  return GST_BASE_SINK_CLASS (parent_class)->query (bsink, query);
}

/* Posted once the sink holds the display (master taken first: the
 * allocator's own open of the card must not become master), so the bin
 * keeps it for elements that ask with a need-context message. */
static void
post_scanout_context (GstZcKmsSink * self)
{
  GstAllocator *allocator = gst_zc_kms_sink_get_allocator (self);
  GstContext *context;

  if (!allocator)
    return;
  context = gst_zc_context_new_scanout (allocator, self->dev->path);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_have_context (GST_OBJECT (self), context));
  gst_object_unref (allocator);
}

static GstStateChangeReturn
gst_zc_kms_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstZcKmsSink *self = GST_ZC_KMS_SINK (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && !gst_zc_kms_sink_open (self))
    return GST_STATE_CHANGE_FAILURE;
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    gst_zc_kms_sink_take_display (self);
    post_scanout_context (self);
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* The streaming thread is stopped once the base class has deactivated
   * the pad. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_zc_kms_sink_release_display (self);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL
      || (transition == GST_STATE_CHANGE_NULL_TO_READY
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_zc_kms_sink_close (self);
  return ret;
}

/* Properties */

static GstStructure *
gst_zc_kms_sink_get_stats (GstZcKmsSink * self)
{
  Stats *s = &self->stats;
  GstStructure *stats;

  stats = gst_structure_new ("GstZcKmsSinkStats",
      "frames-shown", G_TYPE_UINT64, s->frames_shown,
      "imports", G_TYPE_UINT64, s->imports,
      "cache-hits", G_TYPE_UINT64, s->cache_hits,
      "copies", G_TYPE_UINT64, s->copies,
      "bytes-copied", G_TYPE_UINT64, s->bytes_copied,
      "flips", G_TYPE_UINT64, s->flips,
      "late-frames", G_TYPE_UINT64, s->late_frames, NULL);
  gst_zc_kms_latency_to_structure (self->latency, stats);
  return stats;
}

static void
replace_string (gchar ** field, const GValue * value)
{
  g_free (*field);
  *field = g_value_dup_string (value);
}

static void
gst_zc_kms_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcKmsSink *self = GST_ZC_KMS_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEVICE:
      replace_string (&self->device, value);
      break;
    case PROP_DRIVER_NAME:
      replace_string (&self->driver_name, value);
      break;
    case PROP_CONNECTOR_ID:
      self->connector_id = g_value_get_int (value);
      break;
    case PROP_PLANE_ID:
      self->plane_id = g_value_get_int (value);
      break;
    case PROP_MODE:
      replace_string (&self->mode, value);
      break;
    case PROP_RESTORE_CRTC:
      self->restore_crtc = g_value_get_boolean (value);
      break;
    case PROP_ATOMIC:
      self->atomic = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_zc_kms_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstZcKmsSink *self = GST_ZC_KMS_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEVICE:
      /* Once open, the device found rather than NULL. */
      g_value_set_string (value, self->dev ? self->dev->path : self->device);
      break;
    case PROP_DRIVER_NAME:
      g_value_set_string (value, self->dev ? self->dev->driver :
          self->driver_name);
      break;
    case PROP_CONNECTOR_ID:
      g_value_set_int (value, self->dev ? (gint) self->dev->connector_id :
          self->connector_id);
      break;
    case PROP_PLANE_ID:
      g_value_set_int (value, self->plane_id);
      break;
    case PROP_MODE:
      g_value_set_string (value, self->mode);
      break;
    case PROP_RESTORE_CRTC:
      g_value_set_boolean (value, self->restore_crtc);
      break;
    case PROP_ATOMIC:
      g_value_set_boolean (value, self->atomic);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_zc_kms_sink_get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_zc_kms_sink_finalize (GObject * object)
{
  GstZcKmsSink *self = GST_ZC_KMS_SINK (object);

  gst_zc_kms_sink_close (self);
  gst_poll_free (self->poll);
  g_array_unref (self->candidates);
  g_free (self->latency);
  g_free (self->device);
  g_free (self->driver_name);
  g_free (self->mode);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_zc_kms_sink_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcKmsSink:device:
   *
   * The DRM node to show video on, e.g. `/dev/dri/card1`; %NULL finds one
   * (see the element's description). Read while open, it names the
   * device in use.
   *
   * Since: 0.1
   */
  properties[PROP_DEVICE] = g_param_spec_string ("device", "Device",
      "DRM device node, e.g. /dev/dri/card1 (NULL: the first with a "
      "connected display); one that cannot be opened is a resource error",
      DEFAULT_DEVICE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcKmsSink:driver-name:
   *
   * Only use a device of this DRM driver (drmGetVersion() name, such as
   * `virtio_gpu`, `vkms`, `i915`). Read while open, it names the driver
   * in use.
   *
   * Since: 0.1
   */
  properties[PROP_DRIVER_NAME] = g_param_spec_string ("driver-name",
      "Driver name", "Only use a device of this DRM driver, e.g. "
      "virtio_gpu or vkms (NULL: any); none found is a resource error",
      DEFAULT_DRIVER_NAME,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcKmsSink:connector-id:
   *
   * The connector to show video on (a DRM object id, as `modetest`
   * lists them); -1 takes the first connected one. A connector that does
   * not exist or has no display connected is an error. Read while open,
   * it is the connector in use.
   *
   * Since: 0.1
   */
  properties[PROP_CONNECTOR_ID] = g_param_spec_int ("connector-id",
      "Connector id", "DRM connector object id to show video on (-1: the "
      "first connected); one missing or not connected is an error",
      -1, G_MAXINT, DEFAULT_CONNECTOR_ID,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcKmsSink:plane-id:
   *
   * The plane to show video on; -1 takes the CRTC's primary plane, or an
   * overlay when only an overlay scans out the format.
   *
   * Since: 0.1
   */
  properties[PROP_PLANE_ID] = g_param_spec_int ("plane-id", "Plane id",
      "DRM plane object id (-1: the CRTC's primary plane, else an overlay "
      "that scans out the format)",
      -1, G_MAXINT, DEFAULT_PLANE_ID,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcKmsSink:mode:
   *
   * The display mode to set, as `WIDTHxHEIGHT` or `WIDTHxHEIGHT@REFRESH`
   * (pixels, lines, Hz), e.g. `1280x720@60`. %NULL keeps the mode on
   * screen, or chooses one when the display is off. A string that cannot
   * be parsed, or a mode the connector does not offer, is an error.
   *
   * Since: 0.1
   */
  properties[PROP_MODE] = g_param_spec_string ("mode", "Mode",
      "Display mode WIDTHxHEIGHT[@REFRESH] in pixels and Hz, e.g. "
      "1280x720@60 (NULL: keep or choose one); unparsable or not offered "
      "by the connector is an error",
      DEFAULT_MODE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcKmsSink:restore-crtc:
   *
   * Put the CRTC back as it was (mode and framebuffer, or off) when the
   * sink stops. Without it the display goes dark when the sink's
   * framebuffers are removed.
   *
   * Since: 0.1
   */
  properties[PROP_RESTORE_CRTC] = g_param_spec_boolean ("restore-crtc",
      "Restore CRTC", "Put the CRTC's previous mode and framebuffer back "
      "when stopping; false leaves the display dark",
      DEFAULT_RESTORE_CRTC,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcKmsSink:atomic:
   *
   * Drive the display with atomic commits when the driver offers them
   * (`DRM_CLIENT_CAP_ATOMIC`); %FALSE uses the legacy SetCrtc, SetPlane
   * and PageFlip ioctls in any case.
   *
   * Since: 0.1
   */
  properties[PROP_ATOMIC] = g_param_spec_boolean ("atomic", "Atomic",
      "Use atomic commits when the driver offers them; false uses the "
      "legacy SetCrtc, SetPlane and PageFlip ioctls", DEFAULT_ATOMIC,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcKmsSink:stats:
   *
   * Counters since the sink last started, as a #GstStructure of
   * #guint64 fields: `frames-shown`, `imports` (dma-bufs made
   * framebuffers), `cache-hits` (frames whose framebuffer was cached),
   * `copies` (frames copied into the sink's own buffers), `bytes-copied`,
   * `flips` (completed flips and plane updates) and `late-frames` (frames
   * that reached the screen after their display time had passed); and the
   * capture-to-screen latency of the frames that carry a capture time
   * (gst_zc_buffer_get_capture_time()): `latency-samples` (#guint64, frames
   * measured), `latency-avg-us` and `latency-max-us` (#gdouble,
   * microseconds, over every frame measured) and `latency-p99-us`
   * (#gdouble, microseconds, the exact 99th percentile by nearest rank
   * over the latest 4096 frames measured); the three are 0 while
   * `latency-samples` is.
   *
   * Since: 0.1
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Frames shown, imports, cache hits, copies, bytes copied, flips, "
      "late frames and capture-to-screen latency", GST_TYPE_STRUCTURE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);
}

/* Every format of the library's table (the only ones a framebuffer can be
 * made of), in dma-bufs and in system memory, any size. */
static GstPadTemplate *
new_sink_template (void)
{
  const GstVideoFormat *formats;
  guint32 *fourccs;
  guint i, n;
  GstCaps *caps;
  GstPadTemplate *tmpl;

  formats = gst_zc_format_list (&n);
  fourccs = g_new (guint32, n);
  for (i = 0; i < n; i++)
    fourccs[i] = gst_zc_format_to_drm_fourcc (formats[i]);
  caps = gst_zc_kms_caps_from_fourccs (fourccs, n, 0, 0, G_MAXINT, G_MAXINT);
  tmpl = gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps);
  gst_caps_unref (caps);
  g_free (fourccs);
  return tmpl;
}

static void
gst_zc_kms_sink_class_init (GstZcKmsSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);
  GstVideoSinkClass *videosink_class = GST_VIDEO_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_GET (GST_CAT_PERFORMANCE, "GST_PERFORMANCE");

  gobject_class->set_property = gst_zc_kms_sink_set_property;
  gobject_class->get_property = gst_zc_kms_sink_get_property;
  gobject_class->finalize = gst_zc_kms_sink_finalize;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_zc_kms_sink_change_state);
  basesink_class->get_caps = GST_DEBUG_FUNCPTR (gst_zc_kms_sink_get_caps);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_zc_kms_sink_set_caps);
  basesink_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_zc_kms_sink_propose_allocation);
  basesink_class->query = GST_DEBUG_FUNCPTR (gst_zc_kms_sink_query);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_zc_kms_sink_unlock);
  basesink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_zc_kms_sink_unlock_stop);
  videosink_class->show_frame = GST_DEBUG_FUNCPTR (gst_zc_kms_sink_show_frame);

  gst_zc_kms_sink_install_properties (gobject_class);

  gst_element_class_add_pad_template (element_class, new_sink_template ());
  gst_element_class_set_static_metadata (element_class,
      "Zero-copy KMS display sink", "Sink/Video",
      "Shows dma-bufs on a KMS display without copying them: PRIME import, "
      "cached framebuffers, page flips, its own scanout buffers offered "
      "upstream", "gst-zerocopy developers");
}

static void
gst_zc_kms_sink_init (GstZcKmsSink * self)
{
  self->connector_id = DEFAULT_CONNECTOR_ID;
  self->plane_id = DEFAULT_PLANE_ID;
  self->restore_crtc = DEFAULT_RESTORE_CRTC;
  self->atomic = DEFAULT_ATOMIC;
  self->poll = gst_poll_new (TRUE);
  self->candidates = g_array_new (FALSE, FALSE, sizeof (Candidate));
  /* 32 KiB: kept off the instance, whose size GType bounds. */
  self->latency = g_new0 (GstZcKmsLatency, 1);
  gst_poll_fd_init (&self->pollfd);
}
