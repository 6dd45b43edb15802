/* zcupload: copies system-memory video frames into dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-zcupload
 * @title: zcupload
 *
 * Brings frames that the CPU rendered in system memory (`videotestsrc`, a
 * software decoder, an application) into the dma-buf world, for devices
 * downstream to import:
 *
 * - a buffer whose memories are all dma-bufs (gst_is_dmabuf_memory()) goes
 *   on as it is: no copy, the same buffer;
 * - any other buffer is copied into a buffer of the pool decided with
 *   downstream by gst_zc_decide_allocation(): downstream's own pool when it
 *   hands out dma-bufs (a display's scanout buffers, so the copy lands
 *   where the device reads), else a #GstZcBufferPool on the
 *   #GstZcUpload:backend allocator.
 *
 * The choice is made per buffer, so a stream may mix both. Input may be
 * laid out by a #GstVideoMeta (padded strides, plane offsets).
 *
 * The copy writes each destination dma-buf between one
 * `DMA_BUF_IOCTL_SYNC` START|WRITE and END|WRITE pair (kernel dma-buf
 * documentation, "CPU Access to DMA Buffer Objects"): after END, a device
 * reading the frame sees every byte. No copy is silent: the first one after
 * each caps change is logged on `GST_PERFORMANCE` at INFO, every one at
 * DEBUG with the running totals, and #GstZcUpload:frames-copied and
 * #GstZcUpload:bytes-copied count them.
 *
 * The formats are those of the library's format table, whose DRM fourccs
 * tell an importing device the layout; they are the same on both pads (no
 * conversion). Caps prefer the `memory:DMABuf` feature and also offer
 * plain `video/x-raw` (the same memory) for elements that do not know it.
 *
 * A backend that cannot be opened fails the READY to PAUSED change with
 * %GST_RESOURCE_ERROR_OPEN_READ_WRITE naming what is missing (for example
 * `/dev/dma_heap/system`); a frame that cannot be allocated is a
 * %GST_RESOURCE_ERROR_NO_SPACE_LEFT error; caps outside the formats are
 * not negotiated.
 *
 * ## Example launch line
 * |[<!-- run: host; creates: up-00000.png up-00030.png -->
 * gst-launch-1.0 videotestsrc num-buffers=60 ! zcupload ! zcsnapshot location=up-%05d.png interval=30 ! fakesink
 * ]| uploads 60 test frames and writes frames 0 and 30, read back from the
 * dma-bufs, as PNG files.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcupload.h"
#include "gstzccpuelements.h"

#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_upload_debug);
#define GST_CAT_DEFAULT gst_zc_upload_debug

#define DEFAULT_BACKEND GST_ZC_BACKEND_AUTO
/* The element holds one buffer at a time: the frame being written. */
#define MIN_BUFFERS 1

enum
{
  PROP_0,
  PROP_BACKEND,
  PROP_FRAMES_COPIED,
  PROP_BYTES_COPIED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _GstZcUpload
{
  GstBaseTransform parent;

  /* under the object lock */
  GstZcBackend backend;
  guint64 frames_copied;
  guint64 bytes_copied;

  /* streaming thread; allocator from start to stop */
  GstAllocator *allocator;      /* of the element's own pool */
  GstVideoInfo in_info;
  gboolean copy_announced;      /* on GST_PERFORMANCE since the caps */
};

#define gst_zc_upload_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcUpload, gst_zc_upload, GST_TYPE_BASE_TRANSFORM,
    GST_DEBUG_CATEGORY_INIT (gst_zc_upload_debug, "zcupload", 0,
        "zero-copy upload of system-memory frames into dma-bufs"));
GST_ELEMENT_REGISTER_DEFINE (zcupload, "zcupload", GST_RANK_NONE,
    GST_TYPE_ZC_UPLOAD);

static gboolean
is_dmabuf_buffer (GstBuffer * buf)
{
  guint i, n = gst_buffer_n_memory (buf);

  for (i = 0; i < n; i++)
    if (!gst_is_dmabuf_memory (gst_buffer_peek_memory (buf, i)))
      return FALSE;
  return n > 0;
}

/* gst_zc_buffer_upload() writes each dma-buf of @outbuf in one SYNC
 * WRITE bracket, however many planes it holds (gst_video_frame_map() of
 * @outbuf would nest a bracket per plane). */
static gboolean
gst_zc_upload_copy (GstZcUpload * self, GstBuffer * inbuf, GstBuffer * outbuf)
{
  GError *err = NULL;

  if (!gst_zc_buffer_upload (outbuf, inbuf, &self->in_info, &err))
    goto copy_failed;
  return TRUE;

  /* ERRORS */
copy_failed:
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The frame does not match the caps."), ("%" GST_PTR_FORMAT ": %s",
            inbuf, err->message));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write into the dma-buf frame."), ("%" GST_PTR_FORMAT
            ": %s", outbuf, err->message));
  g_clear_error (&err);
  return FALSE;
}

static void
gst_zc_upload_count_copy (GstZcUpload * self)
{
  gsize size = GST_VIDEO_INFO_SIZE (&self->in_info);
  guint64 frames, bytes;

  GST_OBJECT_LOCK (self);
  frames = ++self->frames_copied;
  bytes = self->bytes_copied += size;
  GST_OBJECT_UNLOCK (self);
  gst_zc_stats_add_frame_copy (GST_ELEMENT (self), &self->in_info,
      "from memory that is not a dma-buf into dma-bufs",
      &self->copy_announced, frames, bytes);
}

/* prepare_output_buffer() hands a dma-buf on as @outbuf itself. */
static GstFlowReturn
gst_zc_upload_transform (GstBaseTransform * trans, GstBuffer * inbuf,
    GstBuffer * outbuf)
{
  GstZcUpload *self = GST_ZC_UPLOAD (trans);

  if (outbuf == inbuf)
    return GST_FLOW_OK;

  if (!gst_zc_upload_copy (self, inbuf, outbuf))
    return GST_FLOW_ERROR;
  gst_zc_upload_count_copy (self);
  return GST_FLOW_OK;
}

/* Whether the pool is active: the base class reports a pool that cannot
 * be activated (its first frames not allocated) itself. */
static gboolean
pool_is_active (GstBaseTransform * trans)
{
  GstBufferPool *pool = gst_base_transform_get_buffer_pool (trans);
  gboolean active = pool && gst_buffer_pool_is_active (pool);

  gst_clear_object (&pool);
  return active;
}

/* Decided per buffer, not per caps: a stream may mix dma-bufs and system
 * memory under either caps. */
static GstFlowReturn
gst_zc_upload_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * inbuf, GstBuffer ** outbuf)
{
  GstFlowReturn ret;

  if (is_dmabuf_buffer (inbuf)) {
    GST_LOG_OBJECT (trans, "%" GST_PTR_FORMAT " is a dma-buf: passed on",
        inbuf);
    *outbuf = inbuf;
    return GST_FLOW_OK;
  }

  ret = GST_BASE_TRANSFORM_CLASS (parent_class)->prepare_output_buffer (trans,
      inbuf, outbuf);
  if (ret == GST_FLOW_ERROR && pool_is_active (trans))
    GST_ELEMENT_ERROR (trans, RESOURCE, NO_SPACE_LEFT,
        ("Could not allocate a dma-buf frame for the upload."),
        ("the buffer pool failed (logged in the zcbufferpool and "
            "zcallocator categories)"));
  return ret;
}

/* Each structure with memory:DMABuf, then each in system memory: either
 * memory comes in (dma-bufs pass through) and either goes out (dma-bufs
 * are mappable); dma-bufs are preferred on both sides. */
static GstCaps *
gst_zc_upload_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstCaps *dmabuf = gst_caps_new_empty ();
  GstCaps *sysmem = gst_caps_new_empty ();
  GstCaps *ret;
  guint i;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);

    dmabuf = gst_caps_merge_structure_full (dmabuf, gst_structure_copy (s),
        gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
    sysmem = gst_caps_merge_structure_full (sysmem, gst_structure_copy (s),
        gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY, NULL));
  }
  ret = gst_caps_merge (dmabuf, sysmem);

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, ret,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (ret);
    ret = tmp;
  }
  GST_DEBUG_OBJECT (trans, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, ret);
  return ret;
}

static gboolean
gst_zc_upload_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstZcUpload *self = GST_ZC_UPLOAD (trans);
  GstVideoInfo in_info, out_info;

  if (!gst_video_info_from_caps (&in_info, incaps)
      || !gst_video_info_from_caps (&out_info, outcaps))
    goto invalid_caps;
  /* A copy, not a conversion. */
  if (GST_VIDEO_INFO_FORMAT (&in_info) != GST_VIDEO_INFO_FORMAT (&out_info)
      || GST_VIDEO_INFO_WIDTH (&in_info) != GST_VIDEO_INFO_WIDTH (&out_info)
      || GST_VIDEO_INFO_HEIGHT (&in_info) != GST_VIDEO_INFO_HEIGHT (&out_info))
    goto different_frames;

  self->in_info = in_info;
  self->copy_announced = FALSE;
  GST_DEBUG_OBJECT (self, "%" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, incaps,
      outcaps);
  return TRUE;

  /* ERRORS */
invalid_caps:
  GST_WARNING_OBJECT (self, "not video caps: %" GST_PTR_FORMAT " -> %"
      GST_PTR_FORMAT, incaps, outcaps);
  return FALSE;
different_frames:
  GST_WARNING_OBJECT (self, "zcupload does not convert: %" GST_PTR_FORMAT
      " -> %" GST_PTR_FORMAT, incaps, outcaps);
  return FALSE;
}

/* Upstream renders into memory of its choosing: the copy into dma-bufs is
 * this element's job, done and counted in one place. No pool is offered;
 * the video meta lets upstream send padded frames rather than repack them.
 * A producer that renders into dma-bufs has them passed through. */
static gboolean
gst_zc_upload_propose_allocation (GstBaseTransform * trans,
    GstQuery * decide_query, GstQuery * query)
{
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  return TRUE;
}

static GstBufferPool *
first_pool (GstQuery * query)
{
  GstBufferPool *pool = NULL;

  if (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
  return pool;
}

/* The base class configures the query's first pool with the query's first
 * allocator. */
static void
set_first_allocator (GstQuery * query, GstAllocator * allocator)
{
  GstAllocationParams params;

  gst_allocation_params_init (&params);
  if (gst_query_get_n_allocation_params (query) > 0) {
    gst_query_parse_nth_allocation_param (query, 0, NULL, &params);
    gst_query_set_nth_allocation_param (query, 0, allocator, &params);
  } else {
    gst_query_add_allocation_param (query, allocator, &params);
  }
}

/* gst_zc_decide_allocation() keeps downstream's pool when it hands out
 * dma-bufs, else puts a new GstZcBufferPool first; a new one gets the
 * display's scanout allocator when one is downstream past a tee and
 * #GstZcUpload:backend is auto, else this element's allocator. */
static gboolean
gst_zc_upload_decide_allocation (GstBaseTransform * trans, GstQuery * query)
{
  GstZcUpload *self = GST_ZC_UPLOAD (trans);
  GstBufferPool *offered = first_pool (query);
  GstBufferPool *pool;
  gboolean ok;

  ok = gst_zc_decide_allocation (GST_ELEMENT_CAST (self), query, MIN_BUFFERS);
  pool = first_pool (query);
  if (ok && pool != offered) {
    GstAllocator *allocator = NULL;

    /* Past a tee, a display downstream shares its allocator through the
     * scanout context; the backend property, when set, wins. */
    if (self->backend == GST_ZC_BACKEND_AUTO)
      allocator = gst_zc_find_scanout_allocator (GST_ELEMENT_CAST (self));
    if (!allocator)
      allocator = gst_object_ref (self->allocator);
    set_first_allocator (query, allocator);
    GST_INFO_OBJECT (self, "copying into a pool of our own, %" GST_PTR_FORMAT,
        allocator);
    gst_object_unref (allocator);
  } else if (ok) {
    GST_INFO_OBJECT (self, "copying into downstream's dma-buf pool %"
        GST_PTR_FORMAT, pool);
  }
  gst_clear_object (&offered);
  gst_clear_object (&pool);
  if (!ok)
    goto no_pool;

  return GST_BASE_TRANSFORM_CLASS (parent_class)->decide_allocation (trans,
      query);

  /* ERRORS */
no_pool:
  GST_WARNING_OBJECT (self, "no dma-buf pool for the upload");
  return FALSE;
}

static gboolean
gst_zc_upload_start (GstBaseTransform * trans)
{
  GstZcUpload *self = GST_ZC_UPLOAD (trans);
  GstZcBackend backend;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  backend = self->backend;
  self->frames_copied = 0;
  self->bytes_copied = 0;
  GST_OBJECT_UNLOCK (self);

  if (backend == GST_ZC_BACKEND_IMPORT)
    goto import_only;
  /* Opened before any caps: a missing device fails the state change with
   * its name, not later as an unexplained negotiation failure. */
  self->allocator = gst_zc_dmabuf_allocator_new (backend, NULL, &err);
  if (!self->allocator)
    goto no_allocator;

  GST_INFO_OBJECT (self, "own pool's backend: %s",
      gst_zc_backend_get_nick (gst_zc_dmabuf_allocator_get_backend
          (GST_ZC_DMABUF_ALLOCATOR (self->allocator))));
  return TRUE;

  /* ERRORS */
import_only:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
      ("The \"import\" backend cannot allocate frames for uploads."), (NULL));
  return FALSE;
no_allocator:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
      ("Could not open a dma-buf allocator for uploads."), ("%s",
          err->message));
  g_clear_error (&err);
  return FALSE;
}

static gboolean
gst_zc_upload_stop (GstBaseTransform * trans)
{
  gst_clear_object (&GST_ZC_UPLOAD (trans)->allocator);
  return TRUE;
}

static void
gst_zc_upload_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcUpload *self = GST_ZC_UPLOAD (object);

  switch (prop_id) {
    case PROP_BACKEND:
      GST_OBJECT_LOCK (self);
      self->backend = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_zc_upload_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstZcUpload *self = GST_ZC_UPLOAD (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend);
      break;
    case PROP_FRAMES_COPIED:
      g_value_set_uint64 (value, self->frames_copied);
      break;
    case PROP_BYTES_COPIED:
      g_value_set_uint64 (value, self->bytes_copied);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_zc_upload_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcUpload:backend:
   *
   * The allocator backend of the element's own pool, used when downstream
   * offers no dma-buf pool: `auto` takes the first that works (dma-heap,
   * udmabuf, drm, memfd) unless the environment variable `GST_ZC_BACKEND`
   * names one. Opened when the element starts.
   *
   * Since: 0.1
   */
  properties[PROP_BACKEND] = g_param_spec_enum ("backend", "Backend",
      "Allocator backend of the element's own pool, used when downstream "
      "offers no dma-buf pool; auto follows GST_ZC_BACKEND, else takes the "
      "first that works; one that cannot open, or import, fails the start "
      "with a resource error",
      GST_TYPE_ZC_BACKEND,
      DEFAULT_BACKEND,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcUpload:frames-copied:
   *
   * Frames copied into dma-bufs since the element started; dma-bufs passed
   * through are not counted.
   *
   * Since: 0.1
   */
  properties[PROP_FRAMES_COPIED] = g_param_spec_uint64 ("frames-copied",
      "Frames copied", "Frames copied into dma-bufs since the start; "
      "dma-bufs passed through are not counted",
      0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcUpload:bytes-copied:
   *
   * Bytes copied into dma-bufs since the element started: the frame size
   * of the caps (#GstVideoInfo size, in bytes) per copied frame.
   *
   * Since: 0.1
   */
  properties[PROP_BYTES_COPIED] = g_param_spec_uint64 ("bytes-copied",
      "Bytes copied", "Bytes copied into dma-bufs since the start (the "
      "caps' frame size per copied frame)",
      0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);
}

/* The formats with a DRM fourcc, that an importing device can be told;
 * with memory:DMABuf first. */
static GstCaps *
gst_zc_upload_template_caps (void)
{
  const GstVideoFormat *formats;
  GstCaps *caps;
  guint n;

  formats = gst_zc_format_list (&n);
  caps = gst_video_make_raw_caps_with_features (formats, n,
      gst_caps_features_new (GST_CAPS_FEATURE_MEMORY_DMABUF, NULL));
  gst_caps_append (caps, gst_video_make_raw_caps (formats, n));
  return caps;
}

static void
gst_zc_upload_add_pad_templates (GstElementClass * element_class)
{
  GstCaps *caps = gst_zc_upload_template_caps ();

  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
}

static void
gst_zc_upload_class_init (GstZcUploadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_zc_upload_set_property;
  gobject_class->get_property = gst_zc_upload_get_property;

  trans_class->start = GST_DEBUG_FUNCPTR (gst_zc_upload_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_zc_upload_stop);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_zc_upload_transform_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_zc_upload_set_caps);
  trans_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_zc_upload_propose_allocation);
  trans_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_zc_upload_decide_allocation);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_zc_upload_prepare_output_buffer);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_zc_upload_transform);

  gst_zc_upload_install_properties (gobject_class);
  gst_zc_upload_add_pad_templates (element_class);
  gst_element_class_set_static_metadata (element_class,
      "Zero-copy upload", "Filter/Video",
      "Copies frames from system memory into dma-bufs between SYNC WRITE "
      "brackets, and passes dma-bufs through", "gst-zerocopy developers");
}

static void
gst_zc_upload_init (GstZcUpload * self)
{
  self->backend = DEFAULT_BACKEND;
}
