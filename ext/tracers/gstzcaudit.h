/* zcaudit: a tracer reporting, per element, memory kinds and copies
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_AUDIT_H__
#define __GST_ZC_AUDIT_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ZC_AUDIT (gst_zc_audit_get_type ())
G_DECLARE_FINAL_TYPE (GstZcAudit, gst_zc_audit, GST, ZC_AUDIT, GstTracer)

G_END_DECLS

#endif /* __GST_ZC_AUDIT_H__ */
