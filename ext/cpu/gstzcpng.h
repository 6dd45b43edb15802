/* zccpu plugin: PNG writer (libpng, 8-bit RGB)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_PNG_H__
#define __GST_ZC_PNG_H__

#include <gst/gst.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
gboolean gst_zc_png_write_rgb (const gchar * filename, const guint8 * pixels,
                               guint width, guint height, gsize stride,
                               GError ** error);

G_END_DECLS

#endif /* __GST_ZC_PNG_H__ */
