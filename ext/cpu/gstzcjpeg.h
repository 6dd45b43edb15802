/* zccpu plugin: JPEG writer (libjpeg-turbo, 8-bit RGB in, YCbCr 4:2:0 out)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_JPEG_H__
#define __GST_ZC_JPEG_H__

#include <gst/gst.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
gboolean gst_zc_jpeg_write_rgb (const gchar * filename, const guint8 * pixels,
                                guint width, guint height, gsize stride,
                                guint quality, GError ** error);

G_END_DECLS

#endif /* __GST_ZC_JPEG_H__ */
