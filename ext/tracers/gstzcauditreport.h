/* zcaudit: what the tracer knows of one element, and its report
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_AUDIT_REPORT_H__
#define __GST_ZC_AUDIT_REPORT_H__

#include <gst/gst.h>
#include <gst/zerocopy/zerocopy.h>

G_BEGIN_DECLS

/* Kinds of memory a buffer crossed a pad link in, as bits. */
typedef enum
{
  GST_ZC_AUDIT_DMABUF = 1 << 0,
  GST_ZC_AUDIT_FD = 1 << 1,     /* fd memory that is not a dma-buf (memfd) */
  GST_ZC_AUDIT_SYSTEM = 1 << 2,
} GstZcAuditKind;

/* How many memories that entered an element are remembered to tell its
 * output apart: more than any pool or queue in flight. */
#define GST_ZC_AUDIT_RECENT 64

typedef struct
{
  gboolean is_inode;
  guint64 id;                   /* st_ino, or the root GstMemory's address */
} GstZcAuditIdentity;

typedef struct
{
  GstElement *element;          /* weak: NULL once disposed */
  guint64 order;                /* when it was first seen */
  gconstpointer top;            /* the top-level bin, only compared */
  gchar *name;
  gboolean ours;                /* feeds the library's counters */
  guint in_kinds, out_kinds;
  guint64 frames_in, frames_out;
  guint64 out_passthrough, out_new;
  GstZcStats stats;             /* read when disposed, or at the report */
  gboolean counted;             /* the library counted anything */
  GstZcAuditIdentity recent[GST_ZC_AUDIT_RECENT];
  guint n_recent, next_recent;
} GstZcAuditRecord;

G_GNUC_INTERNAL
void gst_zc_audit_record_read_stats (GstZcAuditRecord * record);

G_GNUC_INTERNAL
gchar *gst_zc_audit_format_table (GPtrArray * records);

G_GNUC_INTERNAL
gchar *gst_zc_audit_format_json (GPtrArray * records);

G_END_DECLS

#endif /* __GST_ZC_AUDIT_REPORT_H__ */
