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

G_END_DECLS

#endif /* __ZC_TEST_UTILS_H__ */
