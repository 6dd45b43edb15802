/* zc-bench: allocation, pool and CPU-access costs of each allocator backend
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For every backend this machine offers (dma-heap, udmabuf, drm on each
 * DRM node, memfd), in one run:
 *
 * - alloc/s: gst_allocator_alloc() + gst_memory_unref() of one frame, per
 *   second (a new dma-buf each time: what a pool saves);
 * - pool ns: gst_buffer_pool_acquire_buffer() + release of a warm
 *   GstZcBufferPool, nanoseconds per cycle;
 * - kept ns: one CPU access cycle the library's way: gst_memory_map()
 *   (SYNC_START, the mapping kept from the first map) + writing one byte
 *   per page + gst_memory_unmap() (SYNC_END), nanoseconds per cycle;
 * - raw ns: the same access with a mapping made for it: mmap() +
 *   SYNC_START + the same writes + SYNC_END + munmap() on the same dma-buf;
 * - raw/kept: how many times slower the raw cycle is.
 *
 * memfd is not a dma-buf: neither cycle issues SYNC there (the kernel
 * would answer ENOTTY). Every figure is the median of the iterations'
 * wall-clock times, after one warm-up cycle: under emulation (QEMU TCG)
 * a few cycles take many times longer than the others, which would
 * dominate a mean.
 *
 * Usage: zc-bench [--size WxH] [--iterations N]
 * Frames are BGRx, 4 bytes a pixel (default 1920x1080, 100 iterations).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <linux/dma-buf.h>
#include <xf86drm.h>

#define PAGE 4096

typedef struct
{
  gint width;
  gint height;
  gint iterations;
} Options;

typedef struct
{
  gdouble allocs_per_s;
  gdouble pool_ns;
  gdouble kept_ns;
  gdouble raw_ns;
} Figures;

static guint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * GST_SECOND + ts.tv_nsec;
}

static gboolean
parse_options (gint * argc, gchar *** argv, Options * opts)
{
  gchar *size = NULL;
  GOptionEntry entries[] = {
    {"size", 's', 0, G_OPTION_ARG_STRING, &size,
        "Frame size in pixels, BGRx (default 1920x1080)", "WxH"},
    {"iterations", 'n', 0, G_OPTION_ARG_INT, &opts->iterations,
        "Cycles per measurement (default 100)", "N"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- cost of the zero-copy "
      "allocator backends");
  GError *err = NULL;
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  ok = g_option_context_parse (ctx, argc, argv, &err);
  g_option_context_free (ctx);
  if (!ok) {
    g_printerr ("zc-bench: %s\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  if (size && sscanf (size, "%dx%d", &opts->width, &opts->height) != 2)
    opts->width = 0;
  g_free (size);
  if (opts->width < 1 || opts->height < 1 || opts->iterations < 1) {
    g_printerr ("zc-bench: --size takes WxH, --iterations a count, all "
        "positive\n");
    return FALSE;
  }
  return TRUE;
}

static gint
compare_u64 (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

/* The median of @n cycle times (ns); sorts @samples. */
static gdouble
median (guint64 * samples, gint n)
{
  qsort (samples, n, sizeof (guint64), compare_u64);
  return n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2.0;
}

static gdouble
bench_alloc (GstAllocator * alloc, gsize size, guint64 * t, gint n)
{
  guint64 start;
  gint i;

  for (i = -1; i < n; i++) {
    start = now_ns ();
    gst_memory_unref (gst_allocator_alloc (alloc, size, NULL));
    if (i >= 0)
      t[i] = now_ns () - start;
  }
  return GST_SECOND / median (t, n);
}

static GstBufferPool *
make_pool (GstAllocator * alloc, const GstVideoInfo * info)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_video_info_to_caps (info);

  gst_buffer_pool_config_set_params (config, caps, info->size, 2, 4);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  gst_caps_unref (caps);
  if (!gst_buffer_pool_set_config (pool, config)
      || !gst_buffer_pool_set_active (pool, TRUE)) {
    gst_object_unref (pool);
    return NULL;
  }
  return pool;
}

static gdouble
bench_pool (GstAllocator * alloc, const GstVideoInfo * info, guint64 * t,
    gint n)
{
  GstBufferPool *pool = make_pool (alloc, info);
  GstBuffer *buf;
  guint64 start;
  gint i;

  if (!pool)
    return -1;
  for (i = -1; i < n; i++) {
    start = now_ns ();
    if (gst_buffer_pool_acquire_buffer (pool, &buf, NULL) != GST_FLOW_OK)
      break;
    gst_buffer_unref (buf);
    if (i >= 0)
      t[i] = now_ns () - start;
  }
  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
  return i == n ? median (t, n) : -1;
}

static void
touch_pages (guint8 * data, gsize size, gint round)
{
  gsize off;

  for (off = 0; off < size; off += PAGE)
    data[off] = round;
}

/* The library's cycle: the mapping is made by the first map and kept. */
static gdouble
bench_kept (GstMemory * mem, guint64 * t, gint n)
{
  GstMapInfo info;
  guint64 start;
  gint i;

  for (i = -1; i < n; i++) {
    start = now_ns ();
    if (!gst_memory_map (mem, &info, GST_MAP_WRITE))
      return -1;
    touch_pages (info.data, info.size, i);
    gst_memory_unmap (mem, &info);
    if (i >= 0)
      t[i] = now_ns () - start;
  }
  return median (t, n);
}

static gboolean
raw_cycle (gint fd, gsize size, gboolean sync, gint round)
{
  guint8 *data = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

  if (data == MAP_FAILED)
    return FALSE;
  if (sync)
    gst_zc_dmabuf_sync (fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
  touch_pages (data, size, round);
  if (sync)
    gst_zc_dmabuf_sync (fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
  munmap (data, size);
  return TRUE;
}

/* The same access with a mapping made and dropped around it. */
static gdouble
bench_raw (GstMemory * mem, guint64 * t, gint n)
{
  gint fd = gst_fd_memory_get_fd (mem);
  gboolean sync = gst_is_dmabuf_memory (mem);
  guint64 start;
  gint i;

  for (i = -1; i < n; i++) {
    start = now_ns ();
    if (!raw_cycle (fd, mem->maxsize, sync, i))
      return -1;
    if (i >= 0)
      t[i] = now_ns () - start;
  }
  return median (t, n);
}

static void
bench_backend (GstAllocator * alloc, const GstVideoInfo * info, gint n,
    Figures * f)
{
  guint64 *t = g_new (guint64, n);
  GstMemory *mem;

  f->allocs_per_s = bench_alloc (alloc, info->size, t, n);
  f->pool_ns = bench_pool (alloc, info, t, n);
  mem = gst_allocator_alloc (alloc, info->size, NULL);
  f->kept_ns = mem ? bench_kept (mem, t, n) : -1;
  f->raw_ns = mem ? bench_raw (mem, t, n) : -1;
  if (mem)
    gst_memory_unref (mem);
  g_free (t);
}

static void
print_figures (const gchar * name, const Figures * f)
{
  g_print ("%-24s %10.0f %10.0f %12.0f %12.0f %9.1f\n", name, f->allocs_per_s,
      f->pool_ns, f->kept_ns, f->raw_ns, f->raw_ns / f->kept_ns);
}

static void
run_backend (const gchar * name, GstZcBackend backend, const gchar * device,
    const GstVideoInfo * info, gint n)
{
  GError *err = NULL;
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (backend, device, &err);
  Figures f;

  if (!alloc) {
    g_print ("%-24s unavailable: %s\n", name, err->message);
    g_clear_error (&err);
    return;
  }
  bench_backend (alloc, info, n, &f);
  print_figures (name, &f);
  gst_object_unref (alloc);
}

/* Every DRM node, named by its driver. */
static void
run_drm_nodes (const GstVideoInfo * info, gint n)
{
  gboolean any = FALSE;
  gint i;

  for (i = 0; i < 16; i++) {
    gchar *path = g_strdup_printf ("/dev/dri/card%d", i);
    gint fd = open (path, O_RDWR | O_CLOEXEC);
    drmVersion *v = fd >= 0 ? drmGetVersion (fd) : NULL;

    if (v) {
      gchar *name = g_strdup_printf ("drm (%s)", v->name);

      run_backend (name, GST_ZC_BACKEND_DRM, path, info, n);
      g_free (name);
      drmFreeVersion (v);
      any = TRUE;
    }
    if (fd >= 0)
      close (fd);
    g_free (path);
  }
  if (!any)
    run_backend ("drm", GST_ZC_BACKEND_DRM, NULL, info, n);
}

static gchar *
cpu_model (void)
{
  gchar *cpuinfo = NULL, *model = NULL, **lines;
  guint i;

  if (!g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL))
    return g_strdup ("unknown CPU");
  lines = g_strsplit (cpuinfo, "\n", -1);
  for (i = 0; lines[i] && !model; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      model = g_strdup (g_strstrip (strchr (lines[i], ':') + 1));
  g_strfreev (lines);
  g_free (cpuinfo);
  return model ? model : g_strdup ("unknown CPU");
}

static void
print_header (const GstVideoInfo * info, gint n)
{
  struct utsname u;
  gchar *model = cpu_model ();

  uname (&u);
  g_print ("zc-bench: %dx%d BGRx frames (%" G_GSIZE_FORMAT " bytes), "
      "medians of %d iterations\n", GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), info->size, n);
  g_print ("machine: %s %s %s, %ld CPUs, %s\n", u.sysname, u.release,
      u.machine, sysconf (_SC_NPROCESSORS_ONLN), model);
  g_print ("%-24s %10s %10s %12s %12s %9s\n", "backend", "alloc/s",
      "pool ns", "kept ns", "raw ns", "raw/kept");
  g_free (model);
}

int
main (int argc, char *argv[])
{
  Options opts = { 1920, 1080, 100 };
  GstVideoInfo info;

  if (!parse_options (&argc, &argv, &opts))
    return 2;
  gst_init (&argc, &argv);

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRx, opts.width,
      opts.height);
  print_header (&info, opts.iterations);
  run_backend ("dma-heap (system)", GST_ZC_BACKEND_DMA_HEAP, NULL, &info,
      opts.iterations);
  run_backend ("udmabuf", GST_ZC_BACKEND_UDMABUF, NULL, &info, opts.iterations);
  run_drm_nodes (&info, opts.iterations);
  run_backend ("memfd (not a dma-buf)", GST_ZC_BACKEND_MEMFD, NULL, &info,
      opts.iterations);

  gst_deinit ();
  return 0;
}
