/* zccpu plugin: image files written atomically, and the PNG writer (libpng)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_PNG_H__
#define __GST_ZC_PNG_H__

#include <stdio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* Writes an image into @file; on failure sets @error (G_FILE_ERROR). */
typedef gboolean (*GstZcImageEncodeFunc) (FILE * file, gpointer user_data,
                                          GError ** error);

G_GNUC_INTERNAL
gboolean gst_zc_image_write_file (const gchar * filename,
                                  GstZcImageEncodeFunc encode,
                                  gpointer user_data, GError ** error);

G_GNUC_INTERNAL
gboolean gst_zc_png_write_rgb (const gchar * filename, const guint8 * pixels,
                               guint width, guint height, gsize stride,
                               GError ** error);

G_END_DECLS

#endif /* __GST_ZC_PNG_H__ */
