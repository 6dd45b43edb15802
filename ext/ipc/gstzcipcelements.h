/* zcipc plugin: the elements it registers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_IPC_ELEMENTS_H__
#define __GST_ZC_IPC_ELEMENTS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE (zcfdsink);
GST_ELEMENT_REGISTER_DECLARE (zcfdsrc);

G_END_DECLS

#endif /* __GST_ZC_IPC_ELEMENTS_H__ */
