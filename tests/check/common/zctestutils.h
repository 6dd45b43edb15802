/* Helpers shared by the project's gst-check programs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __ZC_TEST_UTILS_H__
#define __ZC_TEST_UTILS_H__

#include <glib.h>

G_BEGIN_DECLS

guint   zc_test_count_fds (void);

gchar * zc_test_find_drm_card (const gchar * driver);

gchar * zc_test_find_vivid_capture (void);

void    zc_test_remove_dir (const gchar * dir);

void    zc_test_check_vivid_bar (guint bar, const guint rgb[3],
                                 const gchar * where);

void    zc_test_check_vivid_bars (const guint8 * rgb, guint width,
                                  guint height, gsize stride,
                                  const gchar * where);

G_END_DECLS

#endif /* __ZC_TEST_UTILS_H__ */
