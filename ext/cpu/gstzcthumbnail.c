/* zcthumbnail: small system-memory frames read sparsely from dma-bufs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-zcthumbnail
 * @title: zcthumbnail
 *
 * Makes small system-memory frames (thumbnails, previews, input for a
 * JPEG encoder) out of video that is usually dma-buf memory
 * (`memory:DMABuf`) written by a device, reading as little of it as it
 * can: on memory the CPU does not cache, every byte read costs a trip to
 * RAM.
 *
 * Only some frames become thumbnails: every #GstZcThumbnail:interval
 * frames (frames 0, N, 2N... since the element started), or, when
 * #GstZcThumbnail:interval-ns is set, the first frame whose stream time
 * reaches each step of a grid of that period, anchored at the first
 * thumbnail of the segment (a gap longer than a step gives one thumbnail,
 * not several; frames without a timestamp are never due in this mode;
 * each new segment starts a new grid). Frames that are not due are
 * dropped on arrival: never waited for, never mapped, no output buffer is
 * taken for them. A due frame is waited for (the device's fences, at most
 * #GstZcThumbnail:timeout, through gst_zc_fence_wait_buffer()), then
 * mapped for reading with one `DMA_BUF_IOCTL_SYNC` READ bracket per
 * dma-buf (gst_zc_video_frame_map()), sampled, and unmapped before the
 * output is written.
 *
 * The output size comes from the src caps (downstream's `width` and
 * `height`; when downstream leaves both open, 160 pixels wide). With
 * #GstZcThumbnail:add-borders the picture keeps its display aspect ratio
 * (pixel aspect ratios of both sides included) and is centred in the
 * output with black borders, as `videoscale add-borders=true` does;
 * without, it is stretched to the whole output.
 *
 * The scaling rule (a box filter over a bounded sample): each component
 * plane is scaled on its own (subsampled chroma in its own resolution).
 * Output pixel `o` of an output of `N` pixels covers the source box
 * `[floor(o * S / N), floor((o + 1) * S / N))` of a source of `S` pixels
 * (at least one pixel wide), in each direction. Inside a box of `L`
 * pixels starting at `b`, 2 positions are sampled, at the centres of its
 * halves: `b + floor(L / 4)` and `b + floor(3 * L / 4)` (a box of one pixel
 * samples it twice). The output value is the rounded mean of the 2 x 2 =
 * 4 samples. Only the sampled rows are read, one after the other, and in
 * them only the sampled pixels: 1920x1080 scaled to 160x90 reads 2 rows
 * in 12, which is as little as `videoscale`'s default (bilinear, 2 taps)
 * reads, with the samples spread over the box instead of next to its
 * centre. When input and output are both YUV (or both RGB) in the same
 * colorimetry, the means are written straight into the output; otherwise
 * they land in a small planar 4:4:4 frame (Y444 or GBR) that
 * #GstVideoConverter converts into the output format: that step only
 * touches the small frame, in system memory.
 *
 * Inputs: NV12, I420, YUY2, UYVY, BGRx, RGBx and RGB, dma-buf or system
 * memory, with a #GstVideoMeta for padded strides and plane offsets.
 * Outputs (system memory only: a downstream pool of dma-bufs is not
 * used): the input's format, or RGB, BGRx or I420 for encoders. When
 * both sides are YUV or both RGB, the output keeps the input's
 * colorimetry unless downstream asks for another. The output frame rate is
 * the input's divided by #GstZcThumbnail:interval, or 0/1 (variable) in
 * time mode.
 *
 * A frame that is not ready within #GstZcThumbnail:timeout gives no
 * thumbnail and a %GST_RESOURCE_ERROR_READ warning; streaming goes on. A
 * frame that cannot be mapped (a dma-buf whose exporter does not implement
 * mmap, which the kernel allows) gives no thumbnail either: the first one
 * since start posts a %GST_RESOURCE_ERROR_READ warning, every one is
 * counted in `unmappable`. #GstZcThumbnail:stats counts frames,
 * thumbnails, dropped, skipped and unmappable frames and the bytes read.
 *
 * ## Example launch lines
 * |[<!-- run: vm; creates: thumb-00000.jpg thumb-00001.jpg -->
 * gst-launch-1.0 zcv4l2src num-buffers=60 ! zcthumbnail interval=30 ! video/x-raw,format=RGB,width=160,height=90 ! jpegenc ! multifilesink location=thumb-%05d.jpg
 * ]| writes a 160x90 JPEG of every 30th captured frame.
 * |[<!-- run: host; creates: thumb-00000.png thumb-00001.png -->
 * gst-launch-1.0 videotestsrc num-buffers=40 ! video/x-raw,width=640,height=480 ! zcthumbnail interval-ns=1000000000 ! video/x-raw,format=RGB,width=96,height=96 ! pngenc ! multifilesink location=thumb-%05d.png
 * ]| makes a 96x96 thumbnail, black borders above and below, of one frame
 * in each second of stream time (30 fps: frames 0 and 30).
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcthumbnail.h"
#include "gstzccpuelements.h"

#include <string.h>

#include <gst/video/video.h>
#include <gst/allocators/allocators.h>
#include <gst/zerocopy/zerocopy.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_thumbnail_debug);
#define GST_CAT_DEFAULT gst_zc_thumbnail_debug

#define DEFAULT_INTERVAL 1
#define DEFAULT_INTERVAL_NS 0
#define DEFAULT_ADD_BORDERS TRUE
#define DEFAULT_TIMEOUT GST_SECOND
/* The wait for the device holds the streaming thread: bounded. */
#define MAX_TIMEOUT (60 * GST_SECOND)
/* The width chosen when downstream leaves the size open. */
#define DEFAULT_WIDTH 160

/* Samples per box and direction: 2 x 2 per output pixel. 4 x 4 averages
 * more of each box, but reads twice the rows. */
#define SAMPLES 2
/* Cache line size assumed for the bytes-read estimate. */
#define LINE_SIZE 64

#define THUMBNAIL_FORMATS "{ NV12, I420, YUY2, UYVY, BGRx, RGBx, RGB }"

enum
{
  PROP_0,
  PROP_INTERVAL,
  PROP_INTERVAL_NS,
  PROP_ADD_BORDERS,
  PROP_TIMEOUT,
  PROP_STATS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What a sampled source pixel (or macropixel) gives: the components of one
 * plane that share its pixel stride and subsampling. NV12's UV, all three
 * of BGRx, YUY2's Y, YUY2's UV are one group each. The samples land in
 * the target frame (the output, or the small 4:4:4 frame before
 * conversion) in the components of the same index. */
typedef struct
{
  guint plane;                  /* in the source frame */
  guint pstride;                /* bytes from one sample to the next, <= 4 */
  guint n_comps;
  guint comp[3];                /* component indexes (GstVideoFormatInfo) */
  guint offset[3];              /* byte of each component in a sample */
  GstVideoRectangle dst;        /* in the target, in the components' pixels */
  guint32 *cols;                /* SAMPLES per target column: bytes */
  guint32 *rows;                /* SAMPLES per target row: source rows */
} SampleGroup;

typedef struct
{
  guint64 frames;
  guint64 thumbnails;
  guint64 dropped;
  guint64 skipped;
  guint64 unmappable;
  guint64 bytes_read;
} Stats;

struct _GstZcThumbnail
{
  GstBaseTransform parent;

  /* properties and stats, under the object lock */
  guint interval;
  guint64 interval_ns;
  gboolean add_borders;
  GstClockTime timeout;
  Stats stats;

  /* streaming thread */
  guint64 frame_count;
  GstClockTime next_due;        /* time mode: stream time of the next step */
  GstVideoInfo in_info;
  GstVideoInfo out_info;
  GstVideoRectangle rect;       /* the picture in the output frame */
  SampleGroup groups[GST_VIDEO_MAX_COMPONENTS];
  guint n_groups;
  gsize bytes_per_frame;        /* estimate of what one thumbnail reads */
  guint32 *sums;                /* two words per column of the widest group */
  gboolean direct;              /* samples go straight into the output */
  gboolean configured;
  /* not direct: YUV to RGB or back, or another colorimetry */
  GstBuffer *mid_buffer;        /* the sampled picture, planar 4:4:4 */
  GstVideoFrame mid_frame;      /* mid_buffer, mapped while configured */
  GstVideoConverter *converter; /* mid_frame to the output */
};

#define ZC_THUMBNAIL_SINK_CAPS \
  GST_VIDEO_CAPS_MAKE_WITH_FEATURES (GST_CAPS_FEATURE_MEMORY_DMABUF, \
      THUMBNAIL_FORMATS) "; " GST_VIDEO_CAPS_MAKE (THUMBNAIL_FORMATS)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (ZC_THUMBNAIL_SINK_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (THUMBNAIL_FORMATS)));

/* A GstBaseTransform rather than a GstVideoFilter: the latter maps the
 * input with gst_video_frame_map(), one SYNC bracket per plane. */
#define gst_zc_thumbnail_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcThumbnail, gst_zc_thumbnail,
    GST_TYPE_BASE_TRANSFORM,
    GST_DEBUG_CATEGORY_INIT (gst_zc_thumbnail_debug, "zcthumbnail", 0,
        "zero-copy thumbnails"));
GST_ELEMENT_REGISTER_DEFINE (zcthumbnail, "zcthumbnail", GST_RANK_NONE,
    GST_TYPE_ZC_THUMBNAIL);

#define STATS_ADD(self, field, n) G_STMT_START { \
    GST_OBJECT_LOCK (self); \
    (self)->stats.field += (n); \
    GST_OBJECT_UNLOCK (self); \
  } G_STMT_END

/* Caps */

static void
append_format (GValue * list, const gchar * format)
{
  GValue item = G_VALUE_INIT;
  guint i;

  for (i = 0; i < gst_value_list_get_size (list); i++) {
    if (!g_strcmp0 (g_value_get_string (gst_value_list_get_value (list, i)),
            format))
      return;
  }
  g_value_init (&item, G_TYPE_STRING);
  g_value_set_string (&item, format);
  gst_value_list_append_and_take_value (list, &item);
}

/* The input's format(s) first, then those encoders take. */
static void
set_output_formats (GstStructure * s)
{
  const GValue *in = gst_structure_get_value (s, "format");
  GValue list = G_VALUE_INIT;
  guint i;

  gst_value_list_init (&list, 4);
  if (in && G_VALUE_HOLDS_STRING (in))
    append_format (&list, g_value_get_string (in));
  else if (in && GST_VALUE_HOLDS_LIST (in))
    for (i = 0; i < gst_value_list_get_size (in); i++)
      append_format (&list,
          g_value_get_string (gst_value_list_get_value (in, i)));
  append_format (&list, "RGB");
  append_format (&list, "BGRx");
  append_format (&list, "I420");
  gst_structure_take_value (s, "format", &list);
}

static void
open_geometry (GstStructure * s)
{
  gst_structure_set (s,
      "width", GST_TYPE_INT_RANGE, 1, G_MAXINT,
      "height", GST_TYPE_INT_RANGE, 1, G_MAXINT,
      "pixel-aspect-ratio", GST_TYPE_FRACTION_RANGE, 1, G_MAXINT, G_MAXINT, 1,
      "framerate", GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, NULL);
}

/* Sink to src: system memory, any size and rate, the formats of
 * set_output_formats(); colorimetry is decided in fixate. */
static GstCaps *
output_caps_for (GstCaps * caps)
{
  GstCaps *result = gst_caps_new_empty ();
  guint i;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_structure_copy (gst_caps_get_structure (caps, i));

    set_output_formats (s);
    open_geometry (s);
    gst_structure_remove_fields (s, "colorimetry", "chroma-site", NULL);
    result = gst_caps_merge_structure (result, s);
  }
  return result;
}

static GstCaps *
gst_zc_thumbnail_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstCaps *result, *tmp;

  if (direction == GST_PAD_SINK) {
    result = output_caps_for (caps);
  } else {
    /* Any input gives any output format and size. */
    result = gst_pad_get_pad_template_caps (GST_BASE_TRANSFORM_SINK_PAD
        (trans));
  }
  if (filter) {
    tmp = gst_caps_intersect_full (filter, result, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (result);
    result = tmp;
  }
  GST_DEBUG_OBJECT (trans, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, result);
  return result;
}

/* Output height (@want_height) or width for the other side's size so
 * that the display aspect ratio stays the input's. */
static gint
aspect_size (const GstVideoInfo * in, gint out_par_n, gint out_par_d,
    gint size, gboolean want_height)
{
  gdouble in_dar = (gdouble) in->width * in->par_n / ((gdouble) in->height *
      in->par_d);
  gdouble out_par = (gdouble) out_par_n / out_par_d;
  gdouble v = want_height ? size * out_par / in_dar : size * in_dar / out_par;

  return (gint) CLAMP (v + 0.5, 1, G_MAXINT);
}

static void
fixate_size (const GstVideoInfo * in, GstStructure * s)
{
  gint par_n = 1, par_d = 1, w = 0, h = 0;

  gst_structure_fixate_field_nearest_fraction (s, "pixel-aspect-ratio", 1, 1);
  gst_structure_get_fraction (s, "pixel-aspect-ratio", &par_n, &par_d);
  if (par_n <= 0 || par_d <= 0)
    par_n = par_d = 1;

  if (gst_structure_get_int (s, "width", &w)) {
    if (!gst_structure_get_int (s, "height", &h))
      gst_structure_fixate_field_nearest_int (s, "height",
          aspect_size (in, par_n, par_d, w, TRUE));
  } else if (gst_structure_get_int (s, "height", &h)) {
    gst_structure_fixate_field_nearest_int (s, "width",
        aspect_size (in, par_n, par_d, h, FALSE));
  } else {
    gst_structure_fixate_field_nearest_int (s, "width", DEFAULT_WIDTH);
    gst_structure_get_int (s, "width", &w);
    gst_structure_fixate_field_nearest_int (s, "height",
        aspect_size (in, par_n, par_d, w, TRUE));
  }
}

static void
fixate_rate (GstZcThumbnail * self, const GstVideoInfo * in, GstStructure * s)
{
  gint n = 0, d = 1;
  guint interval;
  gboolean by_time;

  GST_OBJECT_LOCK (self);
  interval = self->interval;
  by_time = self->interval_ns > 0;
  GST_OBJECT_UNLOCK (self);

  if (!by_time && in->fps_n > 0 && in->fps_d > 0)
    gst_util_fraction_multiply (in->fps_n, in->fps_d, 1, interval, &n, &d);
  gst_structure_fixate_field_nearest_fraction (s, "framerate", n, d);
}

/* Same family (YUV to YUV, RGB to RGB): the input's colorimetry, so
 * that no matrix is applied to a picture that only gets smaller. */
static void
fixate_colorimetry (const GstVideoInfo * in, GstStructure * s)
{
  const gchar *format = gst_structure_get_string (s, "format");
  GstVideoFormat out_format = gst_video_format_from_string (format);
  gchar *colorimetry;

  if (out_format == GST_VIDEO_FORMAT_UNKNOWN
      || gst_structure_has_field (s, "colorimetry")
      || GST_VIDEO_FORMAT_INFO_IS_YUV (gst_video_format_get_info (out_format))
      != GST_VIDEO_INFO_IS_YUV (in))
    return;
  colorimetry = gst_video_colorimetry_to_string (&in->colorimetry);
  if (colorimetry)
    gst_structure_set (s, "colorimetry", G_TYPE_STRING, colorimetry, NULL);
  g_free (colorimetry);
}

static GstCaps *
gst_zc_thumbnail_fixate_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * othercaps)
{
  GstZcThumbnail *self = GST_ZC_THUMBNAIL (trans);
  GstVideoInfo in;
  GstStructure *s;

  if (direction != GST_PAD_SINK || !gst_video_info_from_caps (&in, caps))
    return gst_caps_fixate (othercaps);

  othercaps = gst_caps_truncate (gst_caps_make_writable (othercaps));
  s = gst_caps_get_structure (othercaps, 0);
  gst_structure_fixate_field_string (s, "format", GST_VIDEO_INFO_NAME (&in));
  fixate_size (&in, s);
  fixate_rate (self, &in, s);
  fixate_colorimetry (&in, s);

  othercaps = gst_caps_fixate (othercaps);
  GST_DEBUG_OBJECT (self, "fixated to %" GST_PTR_FORMAT, othercaps);
  return othercaps;
}

/* Frames laid out by a GstVideoMeta (padded strides) are larger than their
 * caps say: the size of the other side comes from its caps alone. */
static gboolean
gst_zc_thumbnail_transform_size (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, gsize size, GstCaps * othercaps,
    gsize * othersize)
{
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, othercaps))
    return FALSE;
  *othersize = GST_VIDEO_INFO_SIZE (&info);
  return TRUE;
}

/* Geometry */

/* The largest multiple of @align not above @v, at least @align (or @v
 * itself when smaller). */
static gint
align_down (gint v, gint align)
{
  return v < align ? v : v / align * align;
}

/* Where the picture goes in the output: all of it, or (add-borders) the
 * largest centred rectangle of the input's display aspect ratio, aligned
 * to the output's chroma subsampling so that borders do not bleed into
 * chroma samples of the picture. */
static void
compute_rect (const GstVideoInfo * in, const GstVideoInfo * out,
    gboolean add_borders, GstVideoRectangle * rect)
{
  gint xs = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (out->finfo, 1);
  gint ys = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (out->finfo, 1);
  gint w = out->width, h = out->height;

  rect->x = rect->y = 0;
  rect->w = w;
  rect->h = h;
  if (!add_borders)
    return;

  h = aspect_size (in, out->par_n, out->par_d, w, TRUE);
  if (h > out->height) {
    h = out->height;
    w = MIN (aspect_size (in, out->par_n, out->par_d, h, FALSE), out->width);
  }
  if (w < out->width) {
    rect->w = align_down (w, xs);
    rect->x = align_down ((out->width - rect->w) / 2, xs);
  }
  if (h < out->height) {
    rect->h = align_down (h, ys);
    rect->y = align_down ((out->height - rect->h) / 2, ys);
  }
}

/* The sampling rule of the SECTION doc, for output pixel @pos of @out
 * pixels over @in source pixels: fills the SAMPLES positions of
 * @samples. */
static void
box_samples (guint pos, guint out, guint in, guint32 * samples)
{
  guint64 start = (guint64) pos * in / out;
  guint64 end = (guint64) (pos + 1) * in / out;
  guint64 len;
  guint i;

  /* Output larger than the input: the pixel under the box's start. */
  if (end <= start)
    end = start + 1;
  len = end - start;
  for (i = 0; i < SAMPLES; i++)
    samples[i] = start + ((2 * i + 1) * len) / (2 * SAMPLES);
}

static void
clear_group (SampleGroup * g)
{
  g_clear_pointer (&g->cols, g_free);
  g_clear_pointer (&g->rows, g_free);
  memset (g, 0, sizeof (*g));
}

/* The group of the source's component @c: an existing one of the same
 * plane, pixel stride and subsampling, or a new one. */
static SampleGroup *
group_for_component (GstZcThumbnail * self, guint c)
{
  const GstVideoFormatInfo *finfo = self->in_info.finfo;
  SampleGroup *g;
  guint i;

  for (i = 0; i < self->n_groups; i++) {
    g = &self->groups[i];
    if (g->plane == GST_VIDEO_FORMAT_INFO_PLANE (finfo, c)
        && g->pstride == (guint) GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c)
        && GST_VIDEO_FORMAT_INFO_W_SUB (finfo, g->comp[0]) ==
        GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c)
        && GST_VIDEO_FORMAT_INFO_H_SUB (finfo, g->comp[0]) ==
        GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c))
      return g;
  }
  g = &self->groups[self->n_groups++];
  g->plane = GST_VIDEO_FORMAT_INFO_PLANE (finfo, c);
  g->pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
  return g;
}

/* The picture rectangle in the pixels of component @c of @info (chroma
 * is subsampled; compute_rect() aligned the rectangle to it). */
static void
component_rect (const GstVideoInfo * info, const GstVideoRectangle * rect,
    guint c, GstVideoRectangle * r)
{
  gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, c);
  gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, c);

  r->x = GST_VIDEO_SUB_SCALE (ws, rect->x);
  r->y = GST_VIDEO_SUB_SCALE (hs, rect->y);
  r->w = GST_VIDEO_SUB_SCALE (ws, rect->x + rect->w) - r->x;
  r->h = GST_VIDEO_SUB_SCALE (hs, rect->y + rect->h) - r->y;
}

/* The sample tables of @g, whose first component has @comp_w x @comp_h
 * pixels in the source, for its target rectangle. */
static void
fill_tables (SampleGroup * g, guint comp_w, guint comp_h)
{
  guint i, k, w = g->dst.w, h = g->dst.h;

  g->cols = g_new (guint32, w * SAMPLES);
  g->rows = g_new (guint32, h * SAMPLES);

  for (i = 0; i < w; i++) {
    guint32 *cols = g->cols + i * SAMPLES;

    box_samples (i, w, comp_w, cols);
    for (k = 0; k < SAMPLES; k++)
      cols[k] *= g->pstride;
  }
  for (i = 0; i < h; i++)
    box_samples (i, h, comp_h, g->rows + i * SAMPLES);
}

static void
build_groups (GstZcThumbnail * self)
{
  const GstVideoFormatInfo *finfo = self->in_info.finfo;
  GstVideoRectangle mid = { 0, 0, self->rect.w, self->rect.h };
  guint c, i;

  for (c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
    SampleGroup *g = group_for_component (self, c);

    g->comp[g->n_comps] = c;
    g->offset[g->n_comps] = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, c);
    g->n_comps++;
  }
  for (i = 0; i < self->n_groups; i++) {
    SampleGroup *g = &self->groups[i];

    if (self->direct)
      component_rect (&self->out_info, &self->rect, g->comp[0], &g->dst);
    else
      g->dst = mid;
    fill_tables (g, GST_VIDEO_INFO_COMP_WIDTH (&self->in_info, g->comp[0]),
        GST_VIDEO_INFO_COMP_HEIGHT (&self->in_info, g->comp[0]));
  }
}

/* Cache lines of one sampled row of plane @plane (rows assumed to start
 * on a line), over every group that samples that plane. */
static guint
lines_per_row (GstZcThumbnail * self, guint plane)
{
  GHashTable *lines = g_hash_table_new (NULL, NULL);
  guint i, x, k, n;

  for (i = 0; i < self->n_groups; i++) {
    SampleGroup *g = &self->groups[i];

    if (g->plane != plane)
      continue;
    for (x = 0; x < (guint) g->dst.w; x++)
      for (k = 0; k < SAMPLES; k++) {
        guint32 first = g->cols[x * SAMPLES + k];

        g_hash_table_add (lines, GUINT_TO_POINTER (first / LINE_SIZE + 1));
        g_hash_table_add (lines, GUINT_TO_POINTER ((first + g->pstride - 1) /
                LINE_SIZE + 1));
      }
  }
  n = g_hash_table_size (lines);
  g_hash_table_unref (lines);
  return n;
}

/* What one thumbnail reads, in bytes of whole cache lines: the figure
 * the stats report and the benchmark compares with memory bandwidth. */
static gsize
estimate_bytes_read (GstZcThumbnail * self)
{
  gboolean seen[GST_VIDEO_MAX_PLANES] = { FALSE, };
  GHashTable *rows;
  gsize bytes = 0;
  guint i, y;

  for (i = 0; i < self->n_groups; i++) {
    SampleGroup *g = &self->groups[i];

    if (seen[g->plane])
      continue;
    seen[g->plane] = TRUE;
    /* Distinct rows: a box narrower than SAMPLES samples one twice. */
    rows = g_hash_table_new (NULL, NULL);
    for (y = 0; y < (guint) g->dst.h * SAMPLES; y++)
      g_hash_table_add (rows, GUINT_TO_POINTER (g->rows[y] + 1));
    bytes += (gsize) g_hash_table_size (rows) * lines_per_row (self, g->plane)
        * LINE_SIZE;
    g_hash_table_unref (rows);
  }
  return bytes;
}

/* Configuration */

static void
clear_state (GstZcThumbnail * self)
{
  guint i;

  for (i = 0; i < self->n_groups; i++)
    clear_group (&self->groups[i]);
  self->n_groups = 0;
  g_clear_pointer (&self->sums, g_free);
  self->configured = FALSE;
  if (self->converter) {
    gst_video_converter_free (self->converter);
    self->converter = NULL;
    gst_video_frame_unmap (&self->mid_frame);
  }
  gst_clear_buffer (&self->mid_buffer);
}

/* Both sides YUV (or both RGB) in one colorimetry: the samples are the
 * output's values, written in place. Otherwise a matrix lies between
 * them, which GstVideoConverter applies to the sampled picture. */
static gboolean
can_write_directly (const GstVideoInfo * in, const GstVideoInfo * out)
{
  return GST_VIDEO_INFO_IS_YUV (in) == GST_VIDEO_INFO_IS_YUV (out)
      && gst_video_colorimetry_is_equal (&in->colorimetry, &out->colorimetry);
}

/* The small planar frame the samples go into: Y444 or GBR, in the
 * input's colorimetry, the size of the picture rectangle. */
static gboolean
setup_mid_frame (GstZcThumbnail * self, GstVideoInfo * mid)
{
  GstVideoFormat format = GST_VIDEO_INFO_IS_YUV (&self->in_info) ?
      GST_VIDEO_FORMAT_Y444 : GST_VIDEO_FORMAT_GBR;

  gst_video_info_set_interlaced_format (mid, format,
      GST_VIDEO_INFO_INTERLACE_MODE (&self->out_info), self->rect.w,
      self->rect.h);
  mid->colorimetry = self->in_info.colorimetry;
  /* The converter neither changes the rate nor the aspect ratio. */
  GST_VIDEO_INFO_FPS_N (mid) = GST_VIDEO_INFO_FPS_N (&self->out_info);
  GST_VIDEO_INFO_FPS_D (mid) = GST_VIDEO_INFO_FPS_D (&self->out_info);
  GST_VIDEO_INFO_PAR_N (mid) = GST_VIDEO_INFO_PAR_N (&self->out_info);
  GST_VIDEO_INFO_PAR_D (mid) = GST_VIDEO_INFO_PAR_D (&self->out_info);

  self->mid_buffer = gst_buffer_new_allocate (NULL, mid->size, NULL);
  return self->mid_buffer && gst_video_frame_map (&self->mid_frame, mid,
      self->mid_buffer, GST_MAP_READWRITE);
}

/* From the sampled picture to the output: format conversion, placement
 * and black borders; no scaling (same size). */
static GstVideoConverter *
new_placer (GstZcThumbnail * self, const GstVideoInfo * mid)
{
  GstStructure *config = gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_DEST_X, G_TYPE_INT, self->rect.x,
      GST_VIDEO_CONVERTER_OPT_DEST_Y, G_TYPE_INT, self->rect.y,
      GST_VIDEO_CONVERTER_OPT_DEST_WIDTH, G_TYPE_INT, self->rect.w,
      GST_VIDEO_CONVERTER_OPT_DEST_HEIGHT, G_TYPE_INT, self->rect.h,
      GST_VIDEO_CONVERTER_OPT_FILL_BORDER, G_TYPE_BOOLEAN, TRUE,
      GST_VIDEO_CONVERTER_OPT_BORDER_ARGB, G_TYPE_UINT, 0xff000000,
      /* Dithering would add noise to what is compared with the source. */
      GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
      GST_VIDEO_DITHER_NONE, NULL);

  return gst_video_converter_new ((GstVideoInfo *) mid, &self->out_info,
      config);
}

/* Not writing directly: the mid frame and its converter. */
static gboolean
setup_conversion (GstZcThumbnail * self)
{
  GstVideoInfo mid;

  if (!setup_mid_frame (self, &mid))
    goto no_mid_frame;
  self->converter = new_placer (self, &mid);
  if (!self->converter)
    goto no_converter;
  return TRUE;

  /* ERRORS */
no_mid_frame:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, (NULL),
      ("Could not map a %dx%d frame", self->rect.w, self->rect.h));
  return FALSE;
no_converter:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("Cannot make %s thumbnails.", GST_VIDEO_INFO_NAME (&self->out_info)),
      ("No video converter from %s to %s", GST_VIDEO_INFO_NAME (&mid),
          GST_VIDEO_INFO_NAME (&self->out_info)));
  return FALSE;
}

static gboolean
gst_zc_thumbnail_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstZcThumbnail *self = GST_ZC_THUMBNAIL (trans);
  gboolean add_borders;

  clear_state (self);
  if (!gst_video_info_from_caps (&self->in_info, incaps) ||
      !gst_video_info_from_caps (&self->out_info, outcaps))
    goto invalid_caps;

  GST_OBJECT_LOCK (self);
  add_borders = self->add_borders;
  GST_OBJECT_UNLOCK (self);
  compute_rect (&self->in_info, &self->out_info, add_borders, &self->rect);
  self->direct = can_write_directly (&self->in_info, &self->out_info);
  if (!self->direct && !setup_conversion (self))
    goto failed;
  build_groups (self);
  /* No group is wider than the picture. */
  self->sums = g_new (guint32, 2 * self->rect.w);
  self->bytes_per_frame = estimate_bytes_read (self);
  self->configured = TRUE;

  GST_INFO_OBJECT (self, "%s %dx%d -> %s %dx%d%s, picture %dx%d at %d,%d, "
      "%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes read a thumbnail",
      GST_VIDEO_INFO_NAME (&self->in_info), self->in_info.width,
      self->in_info.height, GST_VIDEO_INFO_NAME (&self->out_info),
      self->out_info.width, self->out_info.height, self->direct ? "" :
      " (converted)", self->rect.w, self->rect.h, self->rect.x, self->rect.y,
      self->bytes_per_frame, self->in_info.size);
  return TRUE;

  /* ERRORS */
invalid_caps:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
      ("Invalid caps %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, incaps,
          outcaps));
  return FALSE;
failed:
  clear_state (self);
  return FALSE;
}

/* Sampling */

/* One sample: a pixel or macropixel of @pstride bytes, read with one load
 * where its size allows (each load of uncached memory is a bus
 * transaction), byte k of memory in bits 8k of the result. */
static G_ALWAYS_INLINE inline guint32
load_sample (const guint8 * p, const guint pstride)
{
  guint32 v = 0;

  switch (pstride) {
    case 4:
      memcpy (&v, p, 4);
      break;
    case 3:
      memcpy (&v, p, 3);
      break;
    case 2:
      memcpy (&v, p, 2);
      break;
    default:
      return p[0];
  }
  return GUINT32_FROM_LE (v);
}

/* Adds the samples of target pixels 0..@w-1 in source row @row to the
 * per-pixel sums @lo and @hi: two bytes of a sample to a 32-bit word
 * (bytes 0 and 2 in @lo, 1 and 3 in @hi, 16 bits each), so that a sample
 * costs two additions whatever its components. A row at a time: one
 * stream of increasing addresses, which the CPU's prefetcher follows. */
static G_ALWAYS_INLINE inline void
add_row (const SampleGroup * g, const guint8 * row, guint w,
    const guint pstride, guint32 * lo, guint32 * hi)
{
  const guint32 *cols = g->cols;
  guint32 v;
  guint x, i;

  for (x = 0; x < w; x++, cols += SAMPLES)
    for (i = 0; i < SAMPLES; i++) {
      v = load_sample (row + cols[i], pstride);
      lo[x] += v & 0x00ff00ff;
      hi[x] += (v >> 8) & 0x00ff00ff;
    }
}

/* Writes the rounded means of target row @y from the sums. */
static G_ALWAYS_INLINE inline void
store_row (const SampleGroup * g, guint8 * const *out, const gint * stride,
    const gint * pstride, guint y, guint w, const guint n_comps,
    const guint32 * lo, const guint32 * hi)
{
  guint32 lane;
  guint x, k;

  for (k = 0; k < n_comps; k++) {
    guint8 *o = out[k] + y * stride[k];
    const guint32 *sums = (g->offset[k] & 1) ? hi : lo;
    guint shift = 16 * (g->offset[k] >> 1);

    for (x = 0; x < w; x++) {
      lane = (sums[x] >> shift) & 0xffff;
      o[x * pstride[k]] = (lane + SAMPLES * SAMPLES / 2) / (SAMPLES * SAMPLES);
    }
  }
}

/* Samples group @g of @src into its rectangle of @dst, with @sums room
 * for two words per target column; @pstride and @n_comps are constants
 * where it is inlined, so that the compiler unrolls the loads and sums of
 * each kind of group. */
static G_ALWAYS_INLINE inline void
sample_group_as (const SampleGroup * g, const GstVideoFrame * src,
    GstVideoFrame * dst, guint32 * sums, const guint pstride,
    const guint n_comps)
{
  const guint8 *plane = GST_VIDEO_FRAME_PLANE_DATA (src, g->plane);
  gsize stride = GST_VIDEO_FRAME_PLANE_STRIDE (src, g->plane);
  guint w = g->dst.w, x, y, j, k;
  guint32 *lo = sums, *hi = sums + w;
  guint8 *out[3];
  gint out_stride[3], out_pstride[3];

  for (k = 0; k < n_comps; k++) {
    out_stride[k] = GST_VIDEO_FRAME_COMP_STRIDE (dst, g->comp[k]);
    out_pstride[k] = GST_VIDEO_FRAME_COMP_PSTRIDE (dst, g->comp[k]);
    out[k] = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (dst, g->comp[k]) +
        g->dst.y * out_stride[k] + g->dst.x * out_pstride[k];
  }
  for (y = 0; y < (guint) g->dst.h; y++) {
    for (x = 0; x < w; x++)
      lo[x] = hi[x] = 0;
    for (j = 0; j < SAMPLES; j++)
      add_row (g, plane + g->rows[y * SAMPLES + j] * stride, w, pstride, lo,
          hi);
    store_row (g, out, out_stride, out_pstride, y, w, n_comps, lo, hi);
  }
}

/* The kinds of group of the input formats: Y, U or V planes (1, 1),
 * YUY2's Y (2, 1), NV12's UV (2, 2), YUY2's UV (4, 2), RGB (3, 3), BGRx
 * and RGBx (4, 3). */
static void
sample_group (const SampleGroup * g, const GstVideoFrame * src,
    GstVideoFrame * dst, guint32 * sums)
{
  switch (g->pstride * 4 + g->n_comps) {
    case 1 * 4 + 1:
      sample_group_as (g, src, dst, sums, 1, 1);
      break;
    case 2 * 4 + 1:
      sample_group_as (g, src, dst, sums, 2, 1);
      break;
    case 2 * 4 + 2:
      sample_group_as (g, src, dst, sums, 2, 2);
      break;
    case 4 * 4 + 2:
      sample_group_as (g, src, dst, sums, 4, 2);
      break;
    case 3 * 4 + 3:
      sample_group_as (g, src, dst, sums, 3, 3);
      break;
    default:
      sample_group_as (g, src, dst, sums, 4, 3);
      break;
  }
}

/* Black in component @c of @info: Y at the bottom of its range, chroma in
 * the middle; RGB 0. */
static guint8
black_of (const GstVideoInfo * info, guint c)
{
  if (!GST_VIDEO_INFO_IS_YUV (info))
    return 0;
  if (c > 0)
    return 128;
  return info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255 ? 0 : 16;
}

static void
fill_span (guint8 * row, gint from, gint to, gint pstride, guint8 value)
{
  gint x;

  for (x = from; x < to; x++)
    row[x * pstride] = value;
}

/* Writing directly, the borders around the picture, component by
 * component: the pool's buffers hold whatever an earlier frame left. */
static void
fill_borders (GstZcThumbnail * self, GstVideoFrame * out)
{
  GstVideoRectangle r;
  guint c;
  gint y, w, h, ps;

  for (c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (out); c++) {
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA (out, c);
    guint8 black = black_of (&self->out_info, c);

    component_rect (&self->out_info, &self->rect, c, &r);
    w = GST_VIDEO_FRAME_COMP_WIDTH (out, c);
    h = GST_VIDEO_FRAME_COMP_HEIGHT (out, c);
    ps = GST_VIDEO_FRAME_COMP_PSTRIDE (out, c);
    for (y = 0; y < h; y++) {
      guint8 *row = data + y * GST_VIDEO_FRAME_COMP_STRIDE (out, c);

      if (y < r.y || y >= r.y + r.h) {
        fill_span (row, 0, w, ps, black);
      } else {
        fill_span (row, 0, r.x, ps, black);
        fill_span (row, r.x + r.w, w, ps, black);
      }
    }
  }
}

static gboolean
has_borders (GstZcThumbnail * self)
{
  return self->rect.x > 0 || self->rect.y > 0 ||
      self->rect.w < self->out_info.width ||
      self->rect.h < self->out_info.height;
}

/* Transform */

/* Whether frame @buf gets a thumbnail: the rule of the SECTION doc. */
static gboolean
is_due (GstZcThumbnail * self, GstBuffer * buf)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  guint64 frame = self->frame_count++;
  guint64 interval_ns;
  GstClockTime st;
  guint interval;

  GST_OBJECT_LOCK (self);
  interval = self->interval;
  interval_ns = self->interval_ns;
  GST_OBJECT_UNLOCK (self);

  if (interval_ns == 0)
    return frame % interval == 0;

  st = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (st))
    return FALSE;
  if (!GST_CLOCK_TIME_IS_VALID (self->next_due))
    self->next_due = st;
  if (st < self->next_due)
    return FALSE;
  /* The next step of the grid after @st. */
  self->next_due += ((st - self->next_due) / interval_ns + 1) * interval_ns;
  return TRUE;
}

/* Frames that are not due end here, before the base class takes an
 * output buffer for them: not mapped, not waited for. Returning OK (not
 * GST_BASE_TRANSFORM_FLOW_DROPPED) keeps the base class from marking the
 * next thumbnail DISCONT: a thinned stream is not a broken one. */
static GstFlowReturn
gst_zc_thumbnail_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * input)
{
  GstZcThumbnail *self = GST_ZC_THUMBNAIL (trans);
  gboolean due = is_due (self, input);

  GST_OBJECT_LOCK (self);
  self->stats.frames++;
  self->stats.dropped += !due;
  GST_OBJECT_UNLOCK (self);

  if (!due) {
    GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT " is not due",
        self->frame_count - 1);
    gst_buffer_unref (input);
    return GST_FLOW_OK;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->submit_input_buffer (trans,
      is_discont, input);
}

static gboolean
wait_for_device (GstZcThumbnail * self, GstBuffer * buf)
{
  GstClockTime timeout;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  timeout = self->timeout;
  GST_OBJECT_UNLOCK (self);

  if (gst_zc_fence_wait_buffer (buf, GST_MAP_READ, timeout, &err))
    return TRUE;

  GST_ELEMENT_WARNING (self, RESOURCE, READ,
      ("Thumbnail of frame %" G_GUINT64_FORMAT " skipped: the frame was not "
          "ready to read.", self->frame_count - 1), ("%s", err->message));
  g_clear_error (&err);
  return FALSE;
}

/* Reads the samples of @inbuf into @target (the output, or the mid frame),
 * between the READ brackets of gst_zc_video_frame_map(). */
static gboolean
read_samples (GstZcThumbnail * self, GstBuffer * inbuf, GstVideoFrame * target)
{
  GstZcVideoFrame in;
  gboolean first;
  guint i;

  if (!gst_zc_video_frame_map (&in, &self->in_info, inbuf, GST_MAP_READ))
    goto unmappable;
  for (i = 0; i < self->n_groups; i++)
    sample_group (&self->groups[i], &in.frame, target, self->sums);
  gst_zc_video_frame_unmap (&in);
  return TRUE;

  /* ERRORS */
unmappable:
  /* Said once: a source of such memory gives nothing else. */
  GST_OBJECT_LOCK (self);
  first = self->stats.unmappable++ == 0;
  GST_OBJECT_UNLOCK (self);
  if (first)
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("Thumbnail of frame %" G_GUINT64_FORMAT " skipped: it cannot be "
            "mapped; such frames are counted, not reported again.",
            self->frame_count - 1),
        ("could not map %" GST_PTR_FORMAT " for reading", inbuf));
  return FALSE;
}

/* The output from what was read: borders, or conversion and placement. */
static void
finish_output (GstZcThumbnail * self, GstVideoFrame * out)
{
  if (!self->direct)
    gst_video_converter_frame (self->converter, &self->mid_frame, out);
  else if (has_borders (self))
    fill_borders (self, out);
}

static GstFlowReturn
gst_zc_thumbnail_transform (GstBaseTransform * trans, GstBuffer * inbuf,
    GstBuffer * outbuf)
{
  GstZcThumbnail *self = GST_ZC_THUMBNAIL (trans);
  GstVideoFrame out;

  if (!self->configured)
    return GST_FLOW_NOT_NEGOTIATED;
  if (!wait_for_device (self, inbuf))
    goto skipped;
  if (!gst_video_frame_map (&out, &self->out_info, outbuf, GST_MAP_WRITE))
    goto no_output;
  if (!read_samples (self, inbuf, self->direct ? &out : &self->mid_frame))
    goto unreadable;
  finish_output (self, &out);
  gst_video_frame_unmap (&out);

  GST_OBJECT_LOCK (self);
  self->stats.thumbnails++;
  self->stats.bytes_read += self->bytes_per_frame;
  GST_OBJECT_UNLOCK (self);
  return GST_FLOW_OK;

  /* ERRORS */
unreadable:
  gst_video_frame_unmap (&out);
skipped:
  STATS_ADD (self, skipped, 1);
  return GST_BASE_TRANSFORM_FLOW_DROPPED;
no_output:
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE, (NULL),
      ("Could not map output buffer %" GST_PTR_FORMAT, outbuf));
  return GST_FLOW_ERROR;
}

/* A new segment starts a new grid of interval-ns. */
static gboolean
gst_zc_thumbnail_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstZcThumbnail *self = GST_ZC_THUMBNAIL (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
    self->next_due = GST_CLOCK_TIME_NONE;

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* The device's fence of the source does not describe the thumbnail, a
 * new frame written by the CPU. */
static gboolean
gst_zc_thumbnail_transform_meta (GstBaseTransform * trans,
    GstBuffer * outbuf, GstMeta * meta, GstBuffer * inbuf)
{
  if (meta->info->api == GST_ZC_FENCE_META_API_TYPE)
    return FALSE;
  return GST_BASE_TRANSFORM_CLASS (parent_class)->transform_meta (trans,
      outbuf, meta, inbuf);
}

/* Allocation */

/* Upstream's frames are read through their GstVideoMeta: any strides and
 * plane offsets do. No pool is offered: the element reads, never writes,
 * its input. */
static gboolean
gst_zc_thumbnail_propose_allocation (GstBaseTransform * trans,
    GstQuery * decide_query, GstQuery * query)
{
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  return TRUE;
}

/* Thumbnails are system memory (the src caps say so): a dma-buf pool or
 * allocator downstream would make every write of the CPU a SYNC bracket
 * on memory that may be uncached. */
static void
remove_dmabuf_choices (GstQuery * query)
{
  guint i = 0;

  while (i < gst_query_get_n_allocation_pools (query)) {
    GstBufferPool *pool = NULL;

    gst_query_parse_nth_allocation_pool (query, i, &pool, NULL, NULL, NULL);
    if (pool && gst_zc_buffer_pool_is_dmabuf (pool))
      gst_query_remove_nth_allocation_pool (query, i);
    else
      i++;
    gst_clear_object (&pool);
  }
  i = 0;
  while (i < gst_query_get_n_allocation_params (query)) {
    GstAllocator *allocator = NULL;

    gst_query_parse_nth_allocation_param (query, i, &allocator, NULL);
    if (allocator && GST_IS_DMABUF_ALLOCATOR (allocator))
      gst_query_remove_nth_allocation_param (query, i);
    else
      i++;
    gst_clear_object (&allocator);
  }
}

static gboolean
gst_zc_thumbnail_decide_allocation (GstBaseTransform * trans, GstQuery * query)
{
  remove_dmabuf_choices (query);
  return GST_BASE_TRANSFORM_CLASS (parent_class)->decide_allocation (trans,
      query);
}

static gboolean
gst_zc_thumbnail_start (GstBaseTransform * trans)
{
  GstZcThumbnail *self = GST_ZC_THUMBNAIL (trans);

  self->frame_count = 0;
  self->next_due = GST_CLOCK_TIME_NONE;
  GST_OBJECT_LOCK (self);
  memset (&self->stats, 0, sizeof (self->stats));
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_zc_thumbnail_stop (GstBaseTransform * trans)
{
  clear_state (GST_ZC_THUMBNAIL (trans));
  return TRUE;
}

/* GObject */

static GstStructure *
get_stats (GstZcThumbnail * self)
{
  Stats *s = &self->stats;

  return gst_structure_new ("GstZcThumbnailStats",
      "frames", G_TYPE_UINT64, s->frames,
      "thumbnails", G_TYPE_UINT64, s->thumbnails,
      "dropped", G_TYPE_UINT64, s->dropped,
      "skipped", G_TYPE_UINT64, s->skipped,
      "unmappable", G_TYPE_UINT64, s->unmappable,
      "bytes-read", G_TYPE_UINT64, s->bytes_read, NULL);
}

static void
gst_zc_thumbnail_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcThumbnail *self = GST_ZC_THUMBNAIL (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_INTERVAL:
      self->interval = g_value_get_uint (value);
      break;
    case PROP_INTERVAL_NS:
      self->interval_ns = g_value_get_uint64 (value);
      break;
    case PROP_ADD_BORDERS:
      self->add_borders = g_value_get_boolean (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  /* The output frame rate follows the interval. */
  if (prop_id == PROP_INTERVAL || prop_id == PROP_INTERVAL_NS)
    gst_base_transform_reconfigure_src (GST_BASE_TRANSFORM (self));
}

static void
gst_zc_thumbnail_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstZcThumbnail *self = GST_ZC_THUMBNAIL (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_INTERVAL_NS:
      g_value_set_uint64 (value, self->interval_ns);
      break;
    case PROP_ADD_BORDERS:
      g_value_set_boolean (value, self->add_borders);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, self->timeout);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_zc_thumbnail_finalize (GObject * object)
{
  clear_state (GST_ZC_THUMBNAIL (object));

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_zc_thumbnail_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstZcThumbnail:interval:
   *
   * Make a thumbnail of every frame whose number (0 for the first frame
   * since the element started) is a multiple of this: 1 makes one of
   * every frame, 30 of frames 0, 30, 60... Not used while
   * #GstZcThumbnail:interval-ns is set.
   *
   * Since: 0.1
   */
  properties[PROP_INTERVAL] = g_param_spec_uint ("interval", "Interval",
      "Make a thumbnail of every frame whose number is a multiple of this "
      "(1 = every frame); not used while interval-ns is set", 1, G_MAXUINT,
      DEFAULT_INTERVAL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcThumbnail:interval-ns:
   *
   * When not 0, the period in nanoseconds of stream time between
   * thumbnails instead of #GstZcThumbnail:interval: the first frame at or
   * after each step of a grid anchored at the segment's first thumbnail.
   *
   * Since: 0.1
   */
  properties[PROP_INTERVAL_NS] = g_param_spec_uint64 ("interval-ns",
      "Interval (ns)", "Stream time between thumbnails in nanoseconds: the "
      "first frame at or after each step (0 = use interval)", 0, G_MAXUINT64,
      DEFAULT_INTERVAL_NS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcThumbnail:add-borders:
   *
   * Keep the picture's display aspect ratio, centred between black
   * borders; when %FALSE the picture fills the output, stretched.
   *
   * Since: 0.1
   */
  properties[PROP_ADD_BORDERS] = g_param_spec_boolean ("add-borders",
      "Add borders", "Keep the display aspect ratio with black borders; "
      "false stretches the picture over the whole thumbnail",
      DEFAULT_ADD_BORDERS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstZcThumbnail:timeout:
   *
   * How long to wait, in nanoseconds, for the device that writes a due
   * frame before skipping its thumbnail (with a warning). 0 only checks.
   * At most 60 s: the wait holds the streaming thread.
   *
   * Since: 0.1
   */
  properties[PROP_TIMEOUT] = g_param_spec_uint64 ("timeout", "Timeout",
      "How long to wait for the device writing a due frame, in "
      "nanoseconds, before skipping its thumbnail with a warning (0 = only "
      "check)",
      0, MAX_TIMEOUT, DEFAULT_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstZcThumbnail:stats:
   *
   * Counters since the element started, as a `GstZcThumbnailStats`
   * structure of #guint64 fields: `frames` (received), `thumbnails`
   * (made), `dropped` (not due: never read), `skipped` (due, but not
   * ready or not mappable), `unmappable` (those of `skipped` that could
   * not be mapped), `bytes-read` (an estimate of the source bytes read, in
   * whole 64-byte cache lines, rows assumed to start on one).
   *
   * Since: 0.1
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Counters since start (guint64): frames, thumbnails, dropped (not "
      "due), skipped (due but not ready or mappable), unmappable, "
      "bytes-read (estimate)",
      GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);
}

static void
gst_zc_thumbnail_class_init (GstZcThumbnailClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_zc_thumbnail_set_property;
  gobject_class->get_property = gst_zc_thumbnail_get_property;
  gobject_class->finalize = gst_zc_thumbnail_finalize;
  gst_zc_thumbnail_install_properties (gobject_class);

  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_zc_thumbnail_transform_caps);
  trans_class->fixate_caps = GST_DEBUG_FUNCPTR (gst_zc_thumbnail_fixate_caps);
  trans_class->transform_size =
      GST_DEBUG_FUNCPTR (gst_zc_thumbnail_transform_size);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_zc_thumbnail_set_caps);
  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_zc_thumbnail_submit_input_buffer);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_zc_thumbnail_transform);
  trans_class->transform_meta =
      GST_DEBUG_FUNCPTR (gst_zc_thumbnail_transform_meta);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_zc_thumbnail_sink_event);
  trans_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_zc_thumbnail_propose_allocation);
  trans_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_zc_thumbnail_decide_allocation);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_zc_thumbnail_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_zc_thumbnail_stop);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Zero-copy thumbnails", "Filter/Converter/Video/Scaler",
      "Makes small system-memory frames of some frames, reading only the "
      "samples it needs between SYNC READ brackets", "gst-zerocopy developers");
}

static void
gst_zc_thumbnail_init (GstZcThumbnail * self)
{
  self->interval = DEFAULT_INTERVAL;
  self->interval_ns = DEFAULT_INTERVAL_NS;
  self->add_borders = DEFAULT_ADD_BORDERS;
  self->timeout = DEFAULT_TIMEOUT;
  self->next_due = GST_CLOCK_TIME_NONE;
}
