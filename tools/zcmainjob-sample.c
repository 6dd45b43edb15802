/* zc-main-job: periodic samples of the process and the display, for soak runs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One JSON object per line (JSON Lines), appended to the file and flushed
 * at once so a run that dies still leaves every sample taken:
 *
 *   {"elapsed-s": 60.0, "captured": 1234, "shown": 1230, "fds": 41,
 *    "maps": 512, "rss-kb": 61234, "pss-kb": 58000,
 *    "latency-samples": 1230, "latency-avg-us": 41000.5,
 *    "latency-p99-us": 80000.0}
 *
 * fds: entries of /proc/self/fd (the directory's own fd included, the same
 * in every sample); maps: lines of /proc/self/maps; rss-kb: VmRSS of
 * /proc/self/status; pss-kb: Pss of /proc/self/smaps_rollup (Linux 4.14+,
 * -1 where absent). The latency fields are zckmssink's `stats` as they are
 * (mean since start, 99th percentile over its latest frames), null where
 * the sink does not report them.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "zcmainjob.h"

#include <stdio.h>
#include <string.h>

static gint64
count_entries (const gchar * dir_path)
{
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  gint64 n = 0;

  if (!dir)
    return -1;
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

static gint64
count_lines (const gchar * path)
{
  gchar *text = NULL;
  gint64 n = 0;
  gchar *p;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  for (p = text; *p; p++)
    n += *p == '\n';
  g_free (text);
  return n;
}

/* The value in kB of a "Name:   1234 kB" line, -1 when absent. */
static gint64
read_kb (const gchar * path, const gchar * name)
{
  gchar *text = NULL, *line;
  gint64 kb = -1;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  for (line = text; line; line = strchr (line, '\n')) {
    if (*line == '\n')
      line++;
    if (g_str_has_prefix (line, name) && line[strlen (name)] == ':') {
      kb = g_ascii_strtoll (line + strlen (name) + 1, NULL, 10);
      break;
    }
  }
  g_free (text);
  return kb;
}

static void
append_double (GString * s, const GstStructure * stats, const gchar * field)
{
  const GValue *v = stats ? gst_structure_get_value (stats, field) : NULL;
  GValue d = G_VALUE_INIT;
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!v || !g_value_type_transformable (G_VALUE_TYPE (v), G_TYPE_DOUBLE)) {
    g_string_append_printf (s, ", \"%s\": null", field);
    return;
  }
  g_value_init (&d, G_TYPE_DOUBLE);
  g_value_transform (v, &d);
  g_string_append_printf (s, ", \"%s\": %s", field,
      g_ascii_formatd (buf, sizeof (buf), "%.1f", g_value_get_double (&d)));
}

/**
 * zc_mj_write_sample:
 * @out: the JSON Lines file, open for appending
 * @elapsed: seconds since the pipeline started
 * @captured: frames captured so far
 * @display_stats: (nullable): zckmssink's `stats`
 *
 * Appends one sample line (see the file's header) and flushes it.
 *
 * Returns: FALSE when the line could not be written (errno set).
 */
gboolean
zc_mj_write_sample (FILE * out, gdouble elapsed, guint64 captured,
    const GstStructure * display_stats)
{
  GString *s = g_string_new (NULL);
  guint64 shown = 0;
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  gboolean ok;

  if (display_stats)
    gst_structure_get_uint64 (display_stats, "frames-shown", &shown);
  g_string_append_printf (s, "{\"elapsed-s\": %s, \"captured\": %"
      G_GUINT64_FORMAT ", \"shown\": %" G_GUINT64_FORMAT ", \"fds\": %"
      G_GINT64_FORMAT ", \"maps\": %" G_GINT64_FORMAT ", \"rss-kb\": %"
      G_GINT64_FORMAT ", \"pss-kb\": %" G_GINT64_FORMAT,
      g_ascii_formatd (buf, sizeof (buf), "%.1f", elapsed), captured, shown,
      count_entries ("/proc/self/fd"), count_lines ("/proc/self/maps"),
      read_kb ("/proc/self/status", "VmRSS"),
      read_kb ("/proc/self/smaps_rollup", "Pss"));
  if (display_stats && gst_structure_has_field (display_stats,
          "latency-samples")) {
    guint64 samples = 0;

    gst_structure_get_uint64 (display_stats, "latency-samples", &samples);
    g_string_append_printf (s, ", \"latency-samples\": %" G_GUINT64_FORMAT,
        samples);
  } else {
    g_string_append (s, ", \"latency-samples\": null");
  }
  append_double (s, display_stats, "latency-avg-us");
  append_double (s, display_stats, "latency-p99-us");
  g_string_append (s, "}\n");

  ok = fputs (s->str, out) >= 0 && fflush (out) == 0;
  g_string_free (s, TRUE);
  return ok;
}
