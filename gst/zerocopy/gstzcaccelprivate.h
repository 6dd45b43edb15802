/* GStreamer zero-copy library: the simulated accelerator's internals
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_ACCEL_PRIVATE_H__
#define __GST_ZC_ACCEL_PRIVATE_H__

#include "gstzcaccel.h"
#include "gstzcfencemeta.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_zc_accel_debug);

/* ---- jobs (gstzcacceljob.c) ---- */

struct _GstZcAccelJob
{
  /* set at submit, then read-only */
  GstBuffer *output;            /* kept until the job is freed */
  GstVideoInfo in_info;
  GstVideoInfo out_info;
  GstVideoRectangle crop;       /* source rectangle, in input pixels */
  GstVideoOrientationMethod method;
  gboolean bounce;              /* input strides misaligned: copy it first */
  guint64 pixels;               /* what the throughput model charges */
  GstZcFenceMeta *fence;        /* on output, signalled when the job ends */

  /* the worker's until the job ends */
  GstBuffer *input;
  guint32 kernel_fences[GST_VIDEO_MAX_PLANES];
  guint n_kernel_fences;

  /* under the device's lock */
  gboolean cancelled;

  /* under the job's lock */
  GMutex lock;
  GCond cond;
  GstZcAccelJobState state;
  gboolean has_kernel_fence;
  GError *error;
};

G_GNUC_INTERNAL
GstZcAccelJob * gst_zc_accel_job_new (GstBuffer * input,
    const GstVideoInfo * in_info, const GstVideoRectangle * crop,
    GstBuffer * output, const GstVideoInfo * out_info,
    GstVideoOrientationMethod method, gboolean bounce);

G_GNUC_INTERNAL
void gst_zc_accel_job_set_running (GstZcAccelJob * job,
    gboolean has_kernel_fence);

G_GNUC_INTERNAL
void gst_zc_accel_job_finish (GstZcAccelJob * job, GstZcAccelJobState state,
    const GError * error);

/* ---- the operation: conversion, scaling, orientation (gstzcaccelops.c) */

typedef struct _GstZcAccelPlan GstZcAccelPlan;

G_GNUC_INTERNAL
GstZcAccelPlan * gst_zc_accel_plan_new (const GstVideoInfo * in_info,
    const GstVideoRectangle * crop, const GstVideoInfo * out_info,
    GstVideoOrientationMethod method, GError ** error);

G_GNUC_INTERNAL
gboolean gst_zc_accel_plan_matches (GstZcAccelPlan * plan,
    const GstVideoInfo * in_info, const GstVideoRectangle * crop,
    const GstVideoInfo * out_info, GstVideoOrientationMethod method);

G_GNUC_INTERNAL
gboolean gst_zc_accel_plan_run (GstZcAccelPlan * plan,
    const GstVideoFrame * in, GstVideoFrame * out);

G_GNUC_INTERNAL
void gst_zc_accel_plan_free (GstZcAccelPlan * plan);

G_GNUC_INTERNAL
gboolean gst_zc_accel_method_swaps_axes (GstVideoOrientationMethod method);

/* ---- kernel fences through vgem (gstzcaccelvgem.c) ---- */

typedef struct _GstZcAccelVgem GstZcAccelVgem;

G_GNUC_INTERNAL
GstZcAccelVgem * gst_zc_accel_vgem_open (GError ** error);

G_GNUC_INTERNAL
gboolean gst_zc_accel_vgem_attach (GstZcAccelVgem * vgem, gint dmabuf_fd,
    guint32 * fence, GError ** error);

G_GNUC_INTERNAL
void gst_zc_accel_vgem_signal (GstZcAccelVgem * vgem, guint32 fence);

G_GNUC_INTERNAL
void gst_zc_accel_vgem_close (GstZcAccelVgem * vgem);

/* ---- constraints checked on submission (gstzcaccelcheck.c) ---- */

typedef struct
{
  guint stride_align;
  guint max_width;
  guint max_height;
  gboolean fallback;
} GstZcAccelConstraints;

G_GNUC_INTERNAL
gboolean gst_zc_accel_check_frame (const GstZcAccelConstraints * c,
    GstBuffer * buffer, const GstVideoInfo * info, gboolean output,
    gboolean * bounce, GError ** error);

G_GNUC_INTERNAL
gboolean gst_zc_accel_get_crop (GstBuffer * input, const GstVideoInfo * info,
    GstVideoRectangle * crop, GError ** error);

/* ---- the device (gstzcaccel.c) and its worker (gstzcaccelworker.c) ---- */

typedef struct
{
  guint64 jobs;                 /* completed */
  guint64 pixels;
  GstClockTime job_time_total;  /* start to completion, completed jobs */
  GstClockTime job_time_max;
  guint queue_high_water;       /* most jobs pending at once */
  guint64 cancelled;
  guint64 failed;
  guint64 fallbacks;            /* inputs bounced for their strides */
  guint64 bytes_copied;         /* by the bounces */
  guint64 kernel_fenced;        /* jobs whose output had a kernel fence */
} GstZcAccelStats;

struct _GstZcAccelDevice
{
  GstObject parent;

  GMutex lock;                  /* everything below but the worker's */
  GCond cond;                   /* any change of the queue or a job */

  /* properties */
  guint queue_depth;
  guint64 pixel_rate;
  GstClockTime latency;
  guint stride_align;
  guint max_width;
  guint max_height;
  gboolean fallback;
  gboolean kernel_fences;

  GQueue queue;                 /* of GstZcAccelJob, waiting */
  GstZcAccelJob *current;       /* the worker's job */
  guint n_pending;              /* queued + current */
  gboolean flushing;
  gboolean quit;
  GstZcAccelStats stats;

  GThread *worker;
  GWeakRef element;             /* the worker's thread element, if any */

  /* the worker thread's only */
  GstZcAccelPlan *plan;
  GstZcAccelVgem *vgem;
  gboolean vgem_tried;
  guint vgem_failures;
};

G_GNUC_INTERNAL
gpointer gst_zc_accel_device_worker (gpointer data);

G_GNUC_INTERNAL
GstClockTime gst_zc_accel_model_duration (guint64 pixels,
    guint64 pixel_rate, GstClockTime latency);

G_END_DECLS

#endif /* __GST_ZC_ACCEL_PRIVATE_H__ */
