/* zckmssink: capture-to-screen latency statistics
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The sink measures each frame once, when its flip completes: the flip
 * event's time minus the frame's capture time (gstzccapturetime.h), both
 * CLOCK_MONOTONIC. The mean and maximum cover the whole stream; the 99th
 * percentile is exact, by rank over the latest samples kept in a fixed
 * ring, so memory stays bounded however long the sink runs. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzckmslatency.h"

#include <stdlib.h>
#include <string.h>

void
gst_zc_kms_latency_reset (GstZcKmsLatency * latency)
{
  latency->samples = 0;
  latency->total = 0;
  latency->max = 0;
}

void
gst_zc_kms_latency_add (GstZcKmsLatency * latency, guint64 ns)
{
  latency->window[latency->samples % GST_ZC_KMS_LATENCY_WINDOW] = ns;
  latency->samples++;
  latency->total += ns;
  latency->max = MAX (latency->max, ns);
}

static gint
compare_u64 (const void *a, const void *b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of the window: the smallest sample that at
 * least @percent % of the samples do not exceed (the rank is
 * ceil (percent / 100 * n)). 0 without samples. */
guint64
gst_zc_kms_latency_percentile (const GstZcKmsLatency * latency, guint percent)
{
  guint64 n = MIN (latency->samples, GST_ZC_KMS_LATENCY_WINDOW);
  guint64 *sorted, value, rank;

  g_return_val_if_fail (percent >= 1 && percent <= 100, 0);

  if (n == 0)
    return 0;
  sorted = g_memdup2 (latency->window, n * sizeof (guint64));
  qsort (sorted, n, sizeof (guint64), compare_u64);
  rank = (n * percent + 99) / 100;
  value = sorted[rank - 1];
  g_free (sorted);
  return value;
}

/* The `latency-*` fields of the sink's statistics: the sample count
 * (guint64) and the mean, 99th percentile and maximum in microseconds
 * (gdouble), all 0 without samples. */
void
gst_zc_kms_latency_to_structure (const GstZcKmsLatency * latency,
    GstStructure * s)
{
  gdouble avg = latency->samples ?
      (gdouble) latency->total / latency->samples : 0;

  gst_structure_set (s, "latency-samples", G_TYPE_UINT64, latency->samples,
      "latency-avg-us", G_TYPE_DOUBLE, avg / GST_USECOND,
      "latency-p99-us", G_TYPE_DOUBLE,
      (gdouble) gst_zc_kms_latency_percentile (latency, 99) / GST_USECOND,
      "latency-max-us", G_TYPE_DOUBLE, (gdouble) latency->max / GST_USECOND,
      NULL);
}
