/* zc-main-job: the parts shared by its source files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __ZC_MAIN_JOB_H__
#define __ZC_MAIN_JOB_H__

#include <gst/gst.h>
#include <stdio.h>

G_BEGIN_DECLS

/* Element names of the pipeline; the main path is capture to display. */
#define ZC_MJ_SRC "src"
#define ZC_MJ_CAPS "capture-caps"
#define ZC_MJ_ACCEL "accel"
#define ZC_MJ_ACCEL_CAPS "accel-caps"
#define ZC_MJ_TEE "t"
#define ZC_MJ_DISPLAY_QUEUE "display-queue"
#define ZC_MJ_DISPLAY "display"

/* How the display was read at the end of the run. */
typedef enum
{
  ZC_MJ_SCREENSHOT_AUTO,
  ZC_MJ_SCREENSHOT_QEMU,
  ZC_MJ_SCREENSHOT_KMS,
  ZC_MJ_SCREENSHOT_NONE,
} ZcMjScreenshotMode;

/* One element's row of the zcaudit report (its JSON, see
 * gst_zc_audit_format_json()); -1 where the report says null. */
typedef struct
{
  gchar *element;
  gchar *in;
  gchar *out;
  gint64 frames;
  gint64 out_passthrough;
  gint64 out_new;
  gint64 bytes_copied;
  gint64 sync_brackets;
  gboolean main_path;
} ZcMjAuditRow;

/* What a run produced; the summary is written from it. */
typedef struct
{
  /* settings */
  gchar *out_dir;
  gchar *device;
  gchar *display;
  gchar *format;
  gint width, height;
  guint frames_asked;
  gdouble duration_asked;       /* seconds, 0: none */
  guint interval, snapshot_interval;

  /* measured */
  guint64 frames_captured;
  guint64 frames_shown;
  gdouble elapsed;              /* seconds from PLAYING to the end */
  gdouble streaming;            /* seconds from the first frame to the end */
  gchar *display_driver;
  /* capture -> scanout latency from zckmssink's stats, microseconds;
   * has_latency is FALSE when the sink does not report it */
  gboolean has_latency;
  gdouble latency_avg_us, latency_p99_us;
  guint64 latency_samples;
  GstStructure *display_stats;

  gchar *screenshot;            /* file name in out_dir, NULL: none */
  const gchar *screenshot_source;
  gchar *screenshot_error;

  GPtrArray *audit;             /* ZcMjAuditRow *, NULL: no report */
  gchar *audit_error;
  guint n_thumbnails, n_snapshots;
  gchar *error;                 /* the pipeline's error, NULL: none */
} ZcMjResult;

gboolean zc_mj_screenshot_qemu (const gchar * png_path, GError ** error);

gboolean zc_mj_screenshot_kms (const gchar * card, gint connector_id,
    const gchar * png_path, GError ** error);

gboolean zc_mj_read_audit (ZcMjResult * result, const gchar * path,
    GError ** error);

gint64 zc_mj_main_path_bytes_copied (const ZcMjResult * result);

gboolean zc_mj_write_reports (ZcMjResult * result, GError ** error);

void zc_mj_result_clear (ZcMjResult * result);

gboolean zc_mj_write_sample (FILE * out, gdouble elapsed, guint64 captured,
    const GstStructure * display_stats);

G_END_DECLS

#endif /* __ZC_MAIN_JOB_H__ */
