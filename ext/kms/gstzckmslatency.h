/* zckmssink: capture-to-screen latency statistics
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_KMS_LATENCY_H__
#define __GST_ZC_KMS_LATENCY_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* The percentile is taken over this many of the latest samples: about
 * two minutes at 30 fps, 32 KiB. */
#define GST_ZC_KMS_LATENCY_WINDOW 4096

/* Latencies in nanoseconds: count, mean and maximum over every sample
 * since the last reset, the 99th percentile over the latest
 * GST_ZC_KMS_LATENCY_WINDOW. Not locked: the caller's lock guards it. */
typedef struct
{
  guint64 samples;
  guint64 total;
  guint64 max;
  guint64 window[GST_ZC_KMS_LATENCY_WINDOW];    /* a ring, oldest overwritten */
} GstZcKmsLatency;

G_GNUC_INTERNAL
void     gst_zc_kms_latency_reset (GstZcKmsLatency * latency);

G_GNUC_INTERNAL
void     gst_zc_kms_latency_add (GstZcKmsLatency * latency, guint64 ns);

G_GNUC_INTERNAL
guint64  gst_zc_kms_latency_percentile (const GstZcKmsLatency * latency,
                                        guint percent);

G_GNUC_INTERNAL
void     gst_zc_kms_latency_to_structure (const GstZcKmsLatency * latency,
                                          GstStructure * s);

G_END_DECLS

#endif /* __GST_ZC_KMS_LATENCY_H__ */
