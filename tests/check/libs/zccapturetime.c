/* Host tests of the capture time carried on buffers (CLOCK_MONOTONIC meta)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/zerocopy/zerocopy.h>

/* A time no test computes by accident: 1 h 2 min 3.456789012 s. */
#define T1 (3723 * GST_SECOND + 456789012)
#define T2 (T1 + 33 * GST_MSECOND)

static guint
n_reference_metas (GstBuffer * buf)
{
  return gst_buffer_get_n_meta (buf, GST_REFERENCE_TIMESTAMP_META_API_TYPE);
}

GST_START_TEST (test_absent)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);

  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (buf),
      GST_CLOCK_TIME_NONE);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* The meta is GStreamer's reference timestamp, under the documented caps,
 * readable without this library. */
GST_START_TEST (test_add_get)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);
  GstCaps *reference = gst_caps_from_string ("timestamp/x-linux-monotonic");
  GstCaps *lib_reference = gst_zc_capture_time_get_reference ();
  GstReferenceTimestampMeta *meta;

  fail_unless (gst_caps_is_equal (reference, lib_reference));
  gst_zc_buffer_add_capture_time (buf, T1);
  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (buf), T1);

  meta = gst_buffer_get_reference_timestamp_meta (buf, reference);
  fail_unless (meta != NULL);
  fail_unless_equals_uint64 (meta->timestamp, T1);
  fail_unless_equals_uint64 (meta->duration, GST_CLOCK_TIME_NONE);
  fail_unless (gst_caps_is_equal (meta->reference, reference));
  /* The buffer's own timestamps are not touched. */
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), GST_CLOCK_TIME_NONE);

  gst_caps_unref (lib_reference);
  gst_caps_unref (reference);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* A pool buffer stamped again carries one capture time, the new one. */
GST_START_TEST (test_add_replaces)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);

  gst_zc_buffer_add_capture_time (buf, T1);
  gst_zc_buffer_add_capture_time (buf, T2);
  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (buf), T2);
  fail_unless_equals_int (n_reference_metas (buf), 1);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* Other reference clocks (NTP, PTP) live beside it and are not taken for
 * it. */
GST_START_TEST (test_other_references)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);
  GstCaps *ntp = gst_caps_from_string ("timestamp/x-ntp");
  GstReferenceTimestampMeta *meta;

  gst_buffer_add_reference_timestamp_meta (buf, ntp, 5 * GST_SECOND,
      GST_CLOCK_TIME_NONE);
  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (buf),
      GST_CLOCK_TIME_NONE);

  gst_zc_buffer_add_capture_time (buf, T1);
  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (buf), T1);
  fail_unless_equals_int (n_reference_metas (buf), 2);
  meta = gst_buffer_get_reference_timestamp_meta (buf, ntp);
  fail_unless (meta != NULL);
  fail_unless_equals_uint64 (meta->timestamp, 5 * GST_SECOND);

  gst_caps_unref (ntp);
  gst_buffer_unref (buf);
}

GST_END_TEST;

/* Copies of the frame, whole or a region, keep when it was captured. */
GST_START_TEST (test_survives_copies)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);
  GstBuffer *copy, *deep, *region;

  gst_zc_buffer_add_capture_time (buf, T1);
  copy = gst_buffer_copy (buf);
  deep = gst_buffer_copy_deep (buf);
  region = gst_buffer_copy_region (buf, GST_BUFFER_COPY_ALL, 4, 8);
  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (copy), T1);
  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (deep), T1);
  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (region), T1);

  /* Each copy has its own meta. */
  gst_zc_buffer_add_capture_time (copy, T2);
  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (buf), T1);

  gst_buffer_unref (region);
  gst_buffer_unref (deep);
  gst_buffer_unref (copy);
  gst_buffer_unref (buf);
}

GST_END_TEST;

static guint n_criticals;

static void
count_critical (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  n_criticals++;
}

/* The library logs in its own domain, which gst-check's ASSERT_CRITICAL
 * does not watch: count its criticals here. */
GST_START_TEST (test_programming_errors)
{
  guint handler = g_log_set_handler ("GStreamer-ZeroCopy",
      G_LOG_LEVEL_CRITICAL, count_critical, NULL);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);
  GstBuffer *shared;

  n_criticals = 0;
  /* No time is not a capture time. */
  gst_zc_buffer_add_capture_time (buf, GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (n_reference_metas (buf), 0);
  /* A buffer someone else holds is not changed under them. */
  shared = gst_buffer_ref (buf);
  gst_zc_buffer_add_capture_time (buf, T1);
  fail_unless_equals_int (n_reference_metas (buf), 0);
  gst_buffer_unref (shared);
  fail_unless_equals_uint64 (gst_zc_buffer_get_capture_time (NULL),
      GST_CLOCK_TIME_NONE);
  fail_unless_equals_int (n_criticals, 3);

  g_log_remove_handler ("GStreamer-ZeroCopy", handler);
  gst_buffer_unref (buf);
}

GST_END_TEST;

static Suite *
zccapturetime_suite (void)
{
  Suite *s = suite_create ("zccapturetime");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_absent);
  tcase_add_test (tc, test_add_get);
  tcase_add_test (tc, test_add_replaces);
  tcase_add_test (tc, test_other_references);
  tcase_add_test (tc, test_survives_copies);
  tcase_add_test (tc, test_programming_errors);

  return s;
}

GST_CHECK_MAIN (zccapturetime);
