/* zc-main-job: the audit, the summary
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reads the zcaudit tracer's JSON report (see docs/zcaudit.md) and writes
 * into the output folder: audit.txt (the report as a table, main path
 * marked), summary.json and summary.txt.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "zcmainjob.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* The elements every displayed frame goes through. */
static const gchar *main_path[] = { ZC_MJ_SRC, ZC_MJ_CAPS, ZC_MJ_ACCEL,
  ZC_MJ_ACCEL_CAPS, ZC_MJ_TEE, ZC_MJ_DISPLAY_QUEUE, ZC_MJ_DISPLAY
};

static void
audit_row_free (ZcMjAuditRow * row)
{
  g_free (row->element);
  g_free (row->in);
  g_free (row->out);
  g_free (row);
}

/* A count of the report: a number, or -1 for null (unknown). */
static gint64
member_count (JsonObject * obj, const gchar * name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (!node || JSON_NODE_HOLDS_NULL (node))
    return -1;
  return json_node_get_int (node);
}

static gchar *
member_string (JsonObject * obj, const gchar * name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (!node || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  return g_strdup (json_node_get_string (node));
}

static ZcMjAuditRow *
audit_row_new (JsonObject * obj)
{
  ZcMjAuditRow *row = g_new0 (ZcMjAuditRow, 1);

  row->element = member_string (obj, "element");
  row->in = member_string (obj, "in");
  row->out = member_string (obj, "out");
  row->frames = member_count (obj, "frames");
  row->out_passthrough = member_count (obj, "out_passthrough");
  row->out_new = member_count (obj, "out_new");
  row->bytes_copied = member_count (obj, "bytes_copied");
  row->sync_brackets = member_count (obj, "sync_brackets");
  row->main_path = row->element && g_strv_contains (main_path, row->element);
  return row;
}

/**
 * zc_mj_read_audit:
 * @result: where the rows go (@result->audit)
 * @path: the tracer's JSON report (a list of one object per element)
 * @error: a #GError, or %NULL
 *
 * Returns: %FALSE with @error set when the file is missing or is not a
 * list of objects.
 */
gboolean
zc_mj_read_audit (ZcMjResult * result, const gchar * path, GError ** error)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *root;
  JsonArray *list;
  guint i;
  gboolean ok = FALSE;

  if (!json_parser_load_from_file (parser, path, error))
    goto out;
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_ARRAY (root))
    goto not_a_report;
  list = json_node_get_array (root);
  result->audit = g_ptr_array_new_with_free_func ((GDestroyNotify)
      audit_row_free);
  for (i = 0; i < json_array_get_length (list); i++) {
    JsonNode *node = json_array_get_element (list, i);

    if (!JSON_NODE_HOLDS_OBJECT (node))
      goto not_a_report;
    g_ptr_array_add (result->audit,
        audit_row_new (json_node_get_object (node)));
  }
  ok = TRUE;
  goto out;

not_a_report:
  g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
      "%s is not a list of one object per element", path);
out:
  g_object_unref (parser);
  return ok;
}

static const ZcMjAuditRow *
find_row (const ZcMjResult * result, const gchar * element)
{
  guint i;

  for (i = 0; result->audit && i < result->audit->len; i++) {
    const ZcMjAuditRow *row = g_ptr_array_index (result->audit, i);

    if (g_strcmp0 (row->element, element) == 0)
      return row;
  }
  return NULL;
}

/**
 * zc_mj_main_path_bytes_copied:
 * @result: a result with its audit read
 *
 * The bytes the CPU copied on the main path, capture to display. An
 * element that reports its copies (the project's) counts its report; one
 * that does not (capsfilter, tee, queue) counts 0 when every frame it sent
 * reused the memory it received (the audit's passthrough), and makes the
 * total unknown otherwise.
 *
 * Returns: the bytes, or -1 when unknown (no audit, an element missing
 * from it, or a new memory of unknown origin).
 */
gint64
zc_mj_main_path_bytes_copied (const ZcMjResult * result)
{
  gint64 total = 0;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (main_path); i++) {
    const ZcMjAuditRow *row = find_row (result, main_path[i]);

    if (!row)
      return -1;
    if (row->bytes_copied >= 0)
      total += row->bytes_copied;
    else if (row->out_new != 0)
      return -1;
  }
  return total;
}

/* audit.txt */

static gchar *
count_text (gint64 v)
{
  return v < 0 ? g_strdup ("unknown") : g_strdup_printf ("%" G_GINT64_FORMAT,
      v);
}

static gchar *
format_audit (const ZcMjResult * result)
{
  GString *s = g_string_new (NULL);
  guint i;

  g_string_append_printf (s, "%-18s %-15s %-15s %7s %13s %13s %7s  %s\n",
      "element", "in", "out", "frames", "passthru/new", "bytes-copied",
      "syncs", "path");
  for (i = 0; i < result->audit->len; i++) {
    const ZcMjAuditRow *r = g_ptr_array_index (result->audit, i);
    gchar *reuse = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
        r->out_passthrough, r->out_new);
    gchar *bytes = count_text (r->bytes_copied);
    gchar *syncs = count_text (r->sync_brackets);

    g_string_append_printf (s, "%-18s %-15s %-15s %7" G_GINT64_FORMAT
        " %13s %13s %7s  %s\n", r->element, r->in ? r->in : "-",
        r->out ? r->out : "-", r->frames, reuse, bytes, syncs,
        r->main_path ? "main" : "");
    g_free (syncs);
    g_free (bytes);
    g_free (reuse);
  }
  return g_string_free (s, FALSE);
}

/* summary.json */

static void
add_count_or_null (JsonBuilder * b, const gchar * name, gint64 v)
{
  json_builder_set_member_name (b, name);
  if (v < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, v);
}

static void
add_string_or_null (JsonBuilder * b, const gchar * name, const gchar * v)
{
  json_builder_set_member_name (b, name);
  if (v)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_double (JsonBuilder * b, const gchar * name, gdouble v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, v);
}

static void
add_settings (JsonBuilder * b, const ZcMjResult * r)
{
  json_builder_set_member_name (b, "settings");
  json_builder_begin_object (b);
  add_string_or_null (b, "device", r->device);
  add_string_or_null (b, "display", r->display);
  add_string_or_null (b, "display_driver", r->display_driver);
  add_string_or_null (b, "format", r->format);
  add_count_or_null (b, "width", r->width);
  add_count_or_null (b, "height", r->height);
  add_count_or_null (b, "frames", r->frames_asked);
  add_double (b, "duration_s", r->duration_asked);
  add_count_or_null (b, "thumbnail_interval", r->interval);
  add_count_or_null (b, "snapshot_interval", r->snapshot_interval);
  json_builder_end_object (b);
}

static void
add_latency (JsonBuilder * b, const ZcMjResult * r)
{
  json_builder_set_member_name (b, "latency_us");
  if (!r->has_latency) {
    json_builder_add_null_value (b);
    return;
  }
  json_builder_begin_object (b);
  add_double (b, "avg", r->latency_avg_us);
  add_double (b, "p99", r->latency_p99_us);
  add_count_or_null (b, "samples", r->latency_samples);
  json_builder_end_object (b);
}

static void
add_main_path (JsonBuilder * b, const ZcMjResult * r)
{
  guint i;

  json_builder_set_member_name (b, "main_path");
  json_builder_begin_object (b);
  add_count_or_null (b, "bytes_copied", zc_mj_main_path_bytes_copied (r));
  json_builder_set_member_name (b, "elements");
  json_builder_begin_array (b);
  for (i = 0; i < G_N_ELEMENTS (main_path); i++)
    json_builder_add_string_value (b, main_path[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
add_outputs (JsonBuilder * b, const ZcMjResult * r)
{
  add_count_or_null (b, "thumbnails", r->n_thumbnails);
  add_count_or_null (b, "snapshots", r->n_snapshots);
  add_string_or_null (b, "screenshot", r->screenshot);
  add_string_or_null (b, "screenshot_source", r->screenshot_source);
  add_string_or_null (b, "screenshot_error", r->screenshot_error);
  add_string_or_null (b, "audit", r->audit ? "audit.json" : NULL);
  add_string_or_null (b, "audit_error", r->audit_error);
  add_string_or_null (b, "error", r->error);
}

static void
add_display_stats (JsonBuilder * b, const ZcMjResult * r)
{
  gchar *text = r->display_stats ?
      gst_structure_to_string (r->display_stats) : NULL;

  add_string_or_null (b, "display_stats", text);
  g_free (text);
}

static gdouble
rate (guint64 frames, gdouble seconds)
{
  return seconds > 0 ? frames / seconds : 0;
}

static gchar *
format_json (const ZcMjResult * r)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root;
  gchar *text;

  json_builder_begin_object (b);
  add_settings (b, r);
  add_count_or_null (b, "frames_captured", r->frames_captured);
  add_count_or_null (b, "frames_shown", r->frames_shown);
  add_double (b, "elapsed_s", r->elapsed);
  add_double (b, "streaming_s", r->streaming);
  add_double (b, "average_fps", rate (r->frames_captured, r->streaming));
  add_double (b, "average_fps_shown", rate (r->frames_shown, r->streaming));
  add_latency (b, r);
  add_main_path (b, r);
  add_outputs (b, r);
  add_display_stats (b, r);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return text;
}

/* summary.txt */

static void
append_latency (GString * s, const ZcMjResult * r)
{
  if (r->has_latency)
    g_string_append_printf (s, "latency capture->scanout: avg %.1f ms, p99 "
        "%.1f ms (%" G_GUINT64_FORMAT " frames)\n", r->latency_avg_us / 1000,
        r->latency_p99_us / 1000, r->latency_samples);
  else
    g_string_append (s, "latency capture->scanout: n/a (the display sink "
        "does not report it)\n");
}

static void
append_copies (GString * s, const ZcMjResult * r)
{
  gint64 bytes = zc_mj_main_path_bytes_copied (r);

  if (bytes >= 0)
    g_string_append_printf (s, "bytes copied on the main path: %"
        G_GINT64_FORMAT "%s\n", bytes, bytes ? "" : " (zero copy)");
  else
    g_string_append_printf (s, "bytes copied on the main path: unknown "
        "(%s)\n", r->audit ? "see audit.txt" : "no audit report");
}

static gchar *
format_text (const ZcMjResult * r)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "camera %s, %dx%d %s -> display %s (%s)\n",
      GST_STR_NULL (r->device), r->width, r->height, r->format,
      GST_STR_NULL (r->display), GST_STR_NULL (r->display_driver));
  g_string_append_printf (s, "frames captured: %" G_GUINT64_FORMAT
      ", shown: %" G_GUINT64_FORMAT " in %.1f s\n", r->frames_captured,
      r->frames_shown, r->streaming);
  g_string_append_printf (s, "average fps: %.1f captured, %.1f shown\n",
      rate (r->frames_captured, r->streaming),
      rate (r->frames_shown, r->streaming));
  append_latency (s, r);
  append_copies (s, r);
  g_string_append_printf (s, "thumbnails: %u (1 in %u frames), snapshots: "
      "%u (1 in %u)\n", r->n_thumbnails, r->interval, r->n_snapshots,
      r->snapshot_interval);
  if (r->screenshot)
    g_string_append_printf (s, "screenshot: %s (%s)\n", r->screenshot,
        r->screenshot_source);
  else
    g_string_append_printf (s, "screenshot: none (%s)\n",
        GST_STR_NULL (r->screenshot_error));
  if (r->error)
    g_string_append_printf (s, "error: %s\n", r->error);
  return g_string_free (s, FALSE);
}

static gboolean
write_file (const ZcMjResult * r, const gchar * name, gchar * text,
    GError ** error)
{
  gchar *path = g_build_filename (r->out_dir, name, NULL);
  gboolean ok = g_file_set_contents (path, text, -1, error);

  g_free (path);
  g_free (text);
  return ok;
}

/**
 * zc_mj_write_reports:
 * @result: a finished run
 * @error: a #GError, or %NULL
 *
 * Writes audit.txt (when the audit was read), summary.json and
 * summary.txt into @result->out_dir, and prints the summary.
 *
 * Returns: %FALSE with @error set when a file could not be written.
 */
gboolean
zc_mj_write_reports (ZcMjResult * result, GError ** error)
{
  gchar *text;

  if (result->audit && !write_file (result, "audit.txt",
          format_audit (result), error))
    return FALSE;
  if (!write_file (result, "summary.json", format_json (result), error))
    return FALSE;
  text = format_text (result);
  g_print ("%s", text);
  return write_file (result, "summary.txt", text, error);
}

void
zc_mj_result_clear (ZcMjResult * r)
{
  g_free (r->out_dir);
  g_free (r->device);
  g_free (r->display);
  g_free (r->format);
  g_free (r->display_driver);
  if (r->display_stats)
    gst_structure_free (r->display_stats);
  g_free (r->screenshot);
  g_free (r->screenshot_error);
  if (r->audit)
    g_ptr_array_unref (r->audit);
  g_free (r->audit_error);
  g_free (r->error);
  memset (r, 0, sizeof (*r));
}
