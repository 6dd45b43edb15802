/* libFuzzer target: caps strings → video info → the zero-copy pool's layout
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: one byte choosing the pool's stride alignment (1 to 4096 bytes),
 * two the video format (any GstVideoFormat), four each the width and the
 * height (signed, as caps carry them), one the interlace mode. Caps that
 * GstVideoInfo accepts go through the library's DRM fourcc table and
 * configure a GstZcBufferPool (strides, offsets, size; no memory is
 * allocated). When the pool takes the configuration, its layout must keep
 * every plane inside the frame size and every stride aligned and at least
 * a row long: abort() otherwise, so that libFuzzer reports it.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* No device: the memfd backend, whatever the machine has. */
  g_setenv ("GST_ZC_BACKEND", "memfd", TRUE);
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_init (NULL, NULL);
  return 0;
}

static void
check_layout (const GstVideoInfo * info, guint align)
{
  guint p;

  for (p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    guint64 rows, row_bytes, end;
    gint stride = GST_VIDEO_INFO_PLANE_STRIDE (info, p);

    if (GST_VIDEO_FORMAT_INFO_IS_TILED (info->finfo))
      return;
    gst_video_format_info_component (info->finfo, p, comp);
    /* RGB8P's second plane is its palette, not a picture */
    if (comp[0] < 0 || (p > 0 && GST_VIDEO_FORMAT_INFO_HAS_PALETTE (info->finfo)))
      continue;
    rows = GST_VIDEO_INFO_COMP_HEIGHT (info, comp[0]);
    row_bytes = (guint64) GST_VIDEO_INFO_COMP_WIDTH (info, comp[0]) *
        GST_VIDEO_INFO_COMP_PSTRIDE (info, comp[0]);
    /* GstVideoInfo takes a width or height of 0: an empty plane */
    if (rows == 0 || row_bytes == 0)
      continue;
    if (stride <= 0 || (guint64) stride < row_bytes || stride % align != 0)
      abort ();
    end = GST_VIDEO_INFO_PLANE_OFFSET (info, p) + (rows - 1) * stride +
        row_bytes;
    if (end > GST_VIDEO_INFO_SIZE (info))
      abort ();
  }
}

static void
try_pool (GstCaps * caps, const GstVideoInfo * info, guint align)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstVideoInfo out;

  gst_buffer_pool_config_set_params (config, caps, info->size, 0, 0);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_zc_buffer_pool_config_set_stride_align (config, align);
  if (gst_buffer_pool_set_config (pool, config)
      && gst_zc_buffer_pool_get_video_info (GST_ZC_BUFFER_POOL (pool), &out))
    check_layout (&out, align);
  gst_object_unref (pool);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstVideoFormat format;
  GstVideoInfo info;
  GstCaps *caps;
  gint32 width, height;
  guint align;
  guint16 f;

  if (size < 12)
    return 0;
  align = 1u << (data[0] % 13);
  memcpy (&f, data + 1, 2);
  memcpy (&width, data + 3, 4);
  memcpy (&height, data + 7, 4);
  /* 1.22 has about 110 formats and no public count: numbers without a
   * name are skipped */
  format = 1 + f % 127;
  if (!gst_video_format_to_string (format))
    return 0;

  caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, gst_video_format_to_string (format),
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
      "interlace-mode", G_TYPE_STRING, (data[11] & 1) ? "alternate" :
      "progressive", "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
  if (gst_video_info_from_caps (&info, caps)) {
    guint32 fourcc = gst_zc_format_to_drm_fourcc (format);

    if (fourcc && gst_zc_format_from_drm_fourcc (fourcc) ==
        GST_VIDEO_FORMAT_UNKNOWN)
      abort ();
    try_pool (caps, &info, align);
  }
  gst_caps_unref (caps);
  return 0;
}
