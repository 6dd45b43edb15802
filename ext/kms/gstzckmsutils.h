/* zckmssink: device-independent helpers (mode strings, caps, frame layout)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_KMS_UTILS_H__
#define __GST_ZC_KMS_UTILS_H__

#include <gst/video/video.h>

G_BEGIN_DECLS

/* A mode as the user names it: "1280x720" or "1280x720@60". */
typedef struct
{
  guint width;                  /* pixels */
  guint height;                 /* lines */
  guint refresh;                /* Hz, 0 = any */
} GstZcKmsModeSpec;

/* A rectangle in pixels. */
typedef struct
{
  gint x;
  gint y;
  guint width;
  guint height;
} GstZcKmsRect;

/* Upper bounds of what a mode string may ask for: DRM's own limits are
 * 16 bits for sizes, and no display refreshes at 1000 Hz. */
#define GST_ZC_KMS_MAX_MODE_SIZE 65535
#define GST_ZC_KMS_MAX_REFRESH 1000

G_GNUC_INTERNAL
gboolean  gst_zc_kms_parse_mode (const gchar * str, GstZcKmsModeSpec * spec);

G_GNUC_INTERNAL
GstCaps * gst_zc_kms_caps_from_fourccs (const guint32 * fourccs,
                                        guint n_fourccs, guint width,
                                        guint height, guint max_width,
                                        guint max_height);

G_GNUC_INTERNAL
void      gst_zc_kms_place (guint src_width, guint src_height,
                            guint dst_width, guint dst_height,
                            gboolean scale, GstZcKmsRect * src,
                            GstZcKmsRect * dst);

G_GNUC_INTERNAL
gsize     gst_zc_kms_rect_bytes (const GstVideoFormatInfo * finfo,
                                 guint width, guint height);

G_END_DECLS

#endif /* __GST_ZC_KMS_UTILS_H__ */
