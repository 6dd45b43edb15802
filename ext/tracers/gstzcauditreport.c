/* zcaudit: the per-element report, as a table and as JSON
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcauditreport.h"

/* Called with the tracer's lock held, on a live element: a disposed one
 * had its counters read by the weak notify. */
void
gst_zc_audit_record_read_stats (GstZcAuditRecord * record)
{
  if (record->element)
    record->counted = gst_zc_stats_get (record->element, &record->stats);
}

static const gchar *
kinds_to_string (guint kinds)
{
  static const gchar *names[] = {
    NULL, "dma-buf", "fd", "dma-buf+fd", "system", "dma-buf+system",
    "fd+system", "dma-buf+fd+system",
  };

  return names[kinds & 7];
}

static guint64
frames_of (const GstZcAuditRecord * r)
{
  /* A sink has no output: what it received is what it handled. */
  return r->frames_out > 0 ? r->frames_out : r->frames_in;
}

/* The project's elements report every copy, so 0 means none; of other
 * elements only what went through the library's helpers is known. */
static gboolean
bytes_known (const GstZcAuditRecord * r)
{
  return r->ours || r->stats.copies > 0 || r->stats.helper_copies > 0;
}

static gboolean
syncs_known (const GstZcAuditRecord * r)
{
  return r->ours || r->stats.sync_brackets > 0;
}

static void
append_count (GString * s, gboolean known, guint64 value, const gchar * fmt,
    const gchar * unknown)
{
  if (known)
    g_string_append_printf (s, fmt, value);
  else
    g_string_append (s, unknown);
}

static void
append_table_row (GString * s, const GstZcAuditRecord * r)
{
  const gchar *in = kinds_to_string (r->in_kinds);
  const gchar *out = kinds_to_string (r->out_kinds);
  gchar *reuse = g_strdup_printf ("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
      r->out_passthrough, r->out_new);

  g_string_append_printf (s, "%-24s %-15s %-15s %8" G_GUINT64_FORMAT
      " %13s ", r->name, in ? in : "-", out ? out : "-", frames_of (r), reuse);
  append_count (s, bytes_known (r), gst_zc_stats_get_bytes_copied (&r->stats),
      "%13" G_GUINT64_FORMAT " ", "      unknown ");
  append_count (s, syncs_known (r), r->stats.sync_brackets,
      "%7" G_GUINT64_FORMAT "\n", "unknown\n");
  g_free (reuse);
}

/**
 * gst_zc_audit_format_table:
 * @records: the #GstZcAuditRecord of each element, in report order
 *
 * One row per element: the memory kinds it received and sent, frames,
 * output frames that reused an input memory / carried new memory, bytes
 * copied by the CPU and SYNC brackets ("unknown" where nothing can tell),
 * then the counts no element could be held responsible for.
 *
 * Returns: (transfer full): the table, lines ending in '\n'.
 */
gchar *
gst_zc_audit_format_table (GPtrArray * records)
{
  GString *s = g_string_new (NULL);
  GstZcStats none;
  guint i;

  g_string_append_printf (s, "%-24s %-15s %-15s %8s %13s %13s %7s\n",
      "element", "in", "out", "frames", "passthru/new", "bytes-copied",
      "syncs");
  for (i = 0; i < records->len; i++)
    append_table_row (s, g_ptr_array_index (records, i));

  gst_zc_stats_get (NULL, &none);
  g_string_append_printf (s, "unattributed: %" G_GUINT64_FORMAT
      " bytes copied by helpers, %" G_GUINT64_FORMAT " SYNC brackets\n",
      none.helper_bytes_copied, none.sync_brackets);
  return g_string_free (s, FALSE);
}

/* RFC 8259 string: quotes, backslashes and control characters escaped;
 * element names are UTF-8 already. */
static void
append_json_string (GString * s, const gchar * str)
{
  const gchar *p;

  if (!str) {
    g_string_append (s, "null");
    return;
  }
  g_string_append_c (s, '"');
  for (p = str; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf (s, "\\%c", *p);
    else if ((guchar) * p < 0x20)
      g_string_append_printf (s, "\\u%04x", (guint) (guchar) * p);
    else
      g_string_append_c (s, *p);
  }
  g_string_append_c (s, '"');
}

static void
append_json_count (GString * s, const gchar * key, gboolean known,
    guint64 value)
{
  g_string_append_printf (s, ", \"%s\": ", key);
  if (known)
    g_string_append_printf (s, "%" G_GUINT64_FORMAT, value);
  else
    g_string_append (s, "null");
}

static void
append_json_object (GString * s, const GstZcAuditRecord * r)
{
  g_string_append (s, "  {\"element\": ");
  append_json_string (s, r->name);
  g_string_append (s, ", \"in\": ");
  append_json_string (s, kinds_to_string (r->in_kinds));
  g_string_append (s, ", \"out\": ");
  append_json_string (s, kinds_to_string (r->out_kinds));
  append_json_count (s, "frames", TRUE, frames_of (r));
  append_json_count (s, "frames_in", TRUE, r->frames_in);
  append_json_count (s, "frames_out", TRUE, r->frames_out);
  append_json_count (s, "out_passthrough", TRUE, r->out_passthrough);
  append_json_count (s, "out_new", TRUE, r->out_new);
  append_json_count (s, "bytes_copied", bytes_known (r),
      gst_zc_stats_get_bytes_copied (&r->stats));
  append_json_count (s, "sync_brackets", syncs_known (r),
      r->stats.sync_brackets);
  g_string_append (s, "}");
}

/**
 * gst_zc_audit_format_json:
 * @records: the #GstZcAuditRecord of each element, in report order
 *
 * A JSON list with one object per element: `element` (its name), `in` and
 * `out` (memory kinds: "dma-buf", "fd", "system", joined by '+' when
 * mixed; null when no buffer crossed), `frames`, `frames_in`, `frames_out`,
 * `out_passthrough` and `out_new` (output frames whose memories all
 * entered the element / did not), `bytes_copied` and `sync_brackets`
 * (null when unknown).
 *
 * Returns: (transfer full): the JSON text, ending in '\n'.
 */
gchar *
gst_zc_audit_format_json (GPtrArray * records)
{
  GString *s = g_string_new ("[\n");
  guint i;

  for (i = 0; i < records->len; i++) {
    append_json_object (s, g_ptr_array_index (records, i));
    g_string_append (s, i + 1 < records->len ? ",\n" : "\n");
  }
  g_string_append (s, "]\n");
  return g_string_free (s, FALSE);
}
