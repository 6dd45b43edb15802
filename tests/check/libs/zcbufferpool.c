/* Unit tests for GstZcBufferPool, the format table and allocation helpers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pool runs on the memfd backend here (the host has no dma-buf
 * exporter); the test bed runs the same pool on every real backend.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/zerocopy/zerocopy.h>

#include <drm_fourcc.h>
#include <sys/stat.h>

static GstAllocator *
memfd_allocator (void)
{
  GError *error = NULL;
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_MEMFD,
      NULL, &error);

  fail_unless (alloc != NULL, "%s", error ? error->message : "");
  return alloc;
}

/* A pool of @format @width x @height frames, min/max buffers, stride
 * alignment @align bytes (0: none), one dma-buf per plane if asked. */
static GstBufferPool *
make_pool (GstVideoFormat format, gint width, gint height, guint min,
    guint max, guint align, gboolean per_plane)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstAllocator *alloc = memfd_allocator ();
  GstVideoInfo info;
  GstCaps *caps;

  fail_unless (gst_video_info_set_format (&info, format, width, height));
  caps = gst_video_info_to_caps (&info);
  gst_buffer_pool_config_set_params (config, caps, info.size, min, max);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  if (align)
    gst_zc_buffer_pool_config_set_stride_align (config, align);
  if (per_plane)
    gst_buffer_pool_config_add_option (config,
        GST_ZC_BUFFER_POOL_OPTION_DMABUF_PER_PLANE);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));

  gst_caps_unref (caps);
  gst_object_unref (alloc);
  return pool;
}

static GstBuffer *
acquire (GstBufferPool * pool)
{
  GstBuffer *buf = NULL;

  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  return buf;
}

static void
destroy_pool (GstBufferPool * pool)
{
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
}

static guint
count_memfd_mappings (void)
{
  gchar *maps = NULL, **lines;
  guint i, n = 0;

  fail_unless (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  for (i = 0; lines[i]; i++)
    if (strstr (lines[i], "/memfd:gst-zerocopy"))
      n++;
  g_strfreev (lines);
  g_free (maps);
  return n;
}

static ino_t
inode_of (GstMemory * mem)
{
  struct stat st;

  fail_unless (fstat (gst_fd_memory_get_fd (mem), &st) == 0);
  return st.st_ino;
}

GST_START_TEST (test_format_table)
{
  guint i, n;
  const GstVideoFormat *formats = gst_zc_format_list (&n);

  fail_unless (n >= 24);
  for (i = 0; i < n; i++) {
    guint32 fourcc = gst_zc_format_to_drm_fourcc (formats[i]);

    fail_if (fourcc == DRM_FORMAT_INVALID, "%s has no fourcc",
        gst_video_format_to_string (formats[i]));
    fail_unless_equals_int (gst_zc_format_from_drm_fourcc (fourcc),
        formats[i]);
  }
  /* byte order: GStreamer names bytes in memory, DRM a little-endian word */
  fail_unless_equals_int (gst_zc_format_to_drm_fourcc (GST_VIDEO_FORMAT_BGRx),
      DRM_FORMAT_XRGB8888);
  fail_unless_equals_int (gst_zc_format_to_drm_fourcc (GST_VIDEO_FORMAT_RGBx),
      DRM_FORMAT_XBGR8888);
  fail_unless_equals_int (gst_zc_format_to_drm_fourcc (GST_VIDEO_FORMAT_RGB),
      DRM_FORMAT_BGR888);
  fail_unless_equals_int (gst_zc_format_to_drm_fourcc (GST_VIDEO_FORMAT_I420),
      DRM_FORMAT_YUV420);
  fail_unless_equals_int (gst_zc_format_to_drm_fourcc (GST_VIDEO_FORMAT_YUY2),
      DRM_FORMAT_YUYV);
  fail_unless_equals_int (gst_zc_format_to_drm_fourcc (GST_VIDEO_FORMAT_xBGR),
      DRM_FORMAT_RGBX8888);
  fail_unless_equals_int (gst_zc_format_to_drm_fourcc (GST_VIDEO_FORMAT_Y42B),
      DRM_FORMAT_YUV422);
  fail_unless_equals_int (gst_zc_format_to_drm_fourcc
      (GST_VIDEO_FORMAT_v308), DRM_FORMAT_INVALID);
  fail_unless_equals_int (gst_zc_format_from_drm_fourcc (DRM_FORMAT_C8),
      GST_VIDEO_FORMAT_UNKNOWN);
}

GST_END_TEST;

/* Every format of the table, at an odd size, with strides aligned to 64
 * bytes: the video meta describes planes that lie inside the buffer, do
 * not overlap, and have aligned strides wide enough for a row. */
GST_START_TEST (test_layout_every_format)
{
  guint f, n, p;
  const GstVideoFormat *formats = gst_zc_format_list (&n);

  for (f = 0; f < n; f++) {
    GstBufferPool *pool = make_pool (formats[f], 98, 50, 1, 2, 64, FALSE);
    GstBuffer *buf = acquire (pool);
    GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
    const gchar *name = gst_video_format_to_string (formats[f]);
    GstVideoInfo plain;
    gsize size = gst_buffer_get_size (buf);

    fail_unless (meta != NULL, "%s: no video meta", name);
    fail_unless_equals_int (gst_buffer_n_memory (buf), 1);
    gst_video_info_set_format (&plain, formats[f], 98, 50);
    fail_unless_equals_int (meta->n_planes, GST_VIDEO_INFO_N_PLANES (&plain));
    for (p = 0; p < meta->n_planes; p++) {
      gint rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (plain.finfo,
          GST_VIDEO_FORMAT_INFO_PLANE (plain.finfo, p) ? 1 : 0, 50);

      fail_unless (meta->stride[p] % 64 == 0, "%s plane %u: stride %d", name,
          p, meta->stride[p]);
      fail_unless (meta->stride[p] >= plain.stride[p], "%s plane %u", name, p);
      fail_unless (meta->offset[p] + (gsize) meta->stride[p] * rows <= size,
          "%s plane %u overruns the buffer", name, p);
      if (p > 0)
        fail_unless (meta->offset[p] >= meta->offset[p - 1] +
            (gsize) meta->stride[p - 1] * 1, "%s planes overlap", name);
    }
    gst_buffer_unref (buf);
    destroy_pool (pool);
  }
}

GST_END_TEST;

/* One dma-buf per plane: a memory per plane, each its own fd, and frames
 * written through gst_video_frame_map read back the same. */
GST_START_TEST (test_per_plane)
{
  GstBufferPool *pool = make_pool (GST_VIDEO_FORMAT_I420, 64, 48, 1, 2, 0,
      TRUE);
  GstBuffer *buf = acquire (pool);
  GstVideoInfo info;
  GstVideoFrame frame;
  guint p;

  fail_unless (gst_zc_buffer_pool_get_video_info (GST_ZC_BUFFER_POOL (pool),
          &info));
  fail_unless_equals_int (gst_buffer_n_memory (buf), 3);
  fail_if (inode_of (gst_buffer_peek_memory (buf, 0)) ==
      inode_of (gst_buffer_peek_memory (buf, 1)));
  fail_unless_equals_int (gst_buffer_peek_memory (buf, 0)->size, 64 * 48);
  fail_unless_equals_int (gst_buffer_peek_memory (buf, 1)->size, 32 * 24);

  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (p = 0; p < 3; p++)
    memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, p), 0x10 + p,
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p));
  gst_video_frame_unmap (&frame);

  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_READ));
  for (p = 0; p < 3; p++)
    fail_unless_equals_int (((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame,
                p))[0], 0x10 + p);
  gst_video_frame_unmap (&frame);

  gst_buffer_unref (buf);
  destroy_pool (pool);
}

GST_END_TEST;

/* Warm pool: the same dma-bufs come back, nothing is allocated or mapped */
GST_START_TEST (test_reuse)
{
  GstBufferPool *pool = make_pool (GST_VIDEO_FORMAT_NV12, 320, 240, 2, 4, 0,
      FALSE);
  GHashTable *inodes = g_hash_table_new (NULL, NULL);
  GstBuffer *held[3];
  guint i, j, allocated = 0, mappings = 0;

  for (i = 0; i < 100; i++) {
    for (j = 0; j < 3; j++) {
      GstMapInfo map;

      held[j] = acquire (pool);
      fail_unless (gst_buffer_map (held[j], &map, GST_MAP_WRITE));
      map.data[0] = i;
      gst_buffer_unmap (held[j], &map);
      g_hash_table_add (inodes,
          GSIZE_TO_POINTER (inode_of (gst_buffer_peek_memory (held[j], 0))));
    }
    for (j = 0; j < 3; j++)
      gst_buffer_unref (held[j]);
    if (i == 0) {
      allocated = gst_zc_buffer_pool_get_n_allocated (GST_ZC_BUFFER_POOL
          (pool));
      mappings = count_memfd_mappings ();
    }
  }

  fail_unless_equals_int (g_hash_table_size (inodes), 3);
  fail_unless_equals_int (gst_zc_buffer_pool_get_n_allocated
      (GST_ZC_BUFFER_POOL (pool)), allocated);
  fail_unless_equals_int (count_memfd_mappings (), mappings);

  g_hash_table_unref (inodes);
  destroy_pool (pool);
}

GST_END_TEST;

static gpointer
acquire_thread (gpointer data)
{
  GstBufferPool *pool = data;
  GstBuffer *buf = NULL;
  GstFlowReturn ret = gst_buffer_pool_acquire_buffer (pool, &buf, NULL);

  if (buf)
    gst_buffer_unref (buf);
  return GINT_TO_POINTER (ret);
}

/* At max buffers, acquire blocks until one comes back */
GST_START_TEST (test_blocks_at_max)
{
  GstBufferPool *pool = make_pool (GST_VIDEO_FORMAT_YUY2, 64, 48, 1, 2, 0,
      FALSE);
  GstBuffer *a = acquire (pool), *b = acquire (pool);
  GThread *thread = g_thread_new ("acquire", acquire_thread, pool);
  GstBufferPoolAcquireParams params = { 0, };
  GstBuffer *c = NULL;

  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &c, &params),
      GST_FLOW_EOS);
  g_usleep (100 * 1000);
  fail_unless_equals_int (gst_zc_buffer_pool_get_n_allocated
      (GST_ZC_BUFFER_POOL (pool)), 2);

  gst_buffer_unref (a);
  fail_unless_equals_int (GPOINTER_TO_INT (g_thread_join (thread)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_zc_buffer_pool_get_n_allocated
      (GST_ZC_BUFFER_POOL (pool)), 2);

  gst_buffer_unref (b);
  destroy_pool (pool);
}

GST_END_TEST;

/* A blocked acquire returns FLUSHING when the pool is set flushing */
GST_START_TEST (test_flush_unblocks)
{
  GstBufferPool *pool = make_pool (GST_VIDEO_FORMAT_YUY2, 64, 48, 1, 1, 0,
      FALSE);
  GstBuffer *a = acquire (pool);
  GThread *thread = g_thread_new ("acquire", acquire_thread, pool);

  g_usleep (100 * 1000);
  gst_buffer_pool_set_flushing (pool, TRUE);
  fail_unless_equals_int (GPOINTER_TO_INT (g_thread_join (thread)),
      GST_FLOW_FLUSHING);
  gst_buffer_pool_set_flushing (pool, FALSE);

  gst_buffer_unref (a);
  destroy_pool (pool);
}

GST_END_TEST;

GST_START_TEST (test_rejects_other_allocator)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstAllocator *sysmem = gst_allocator_find (NULL);
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=NV12,width=64,"
      "height=48,framerate=30/1");

  gst_buffer_pool_config_set_params (config, caps, 64 * 48 * 3 / 2, 1, 2);
  gst_buffer_pool_config_set_allocator (config, sysmem, NULL);
  fail_if (gst_buffer_pool_set_config (pool, config));

  /* and a config without video caps */
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, NULL, 100, 1, 2);
  fail_if (gst_buffer_pool_set_config (pool, config));

  gst_caps_unref (caps);
  gst_object_unref (sysmem);
  gst_object_unref (pool);
}

GST_END_TEST;

static GstQuery *
allocation_query (void)
{
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=BGRx,width=64,"
      "height=48,framerate=30/1");
  GstQuery *query = gst_query_new_allocation (caps, TRUE);

  gst_caps_unref (caps);
  return query;
}

GST_START_TEST (test_propose_allocation)
{
  GstQuery *query = allocation_query ();
  GstBufferPool *pool = NULL;
  guint size, min, max;

  fail_unless (gst_zc_propose_allocation (NULL, query, 2, 6));
  fail_unless (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE,
          NULL));
  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 1);
  gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
  fail_unless (GST_IS_ZC_BUFFER_POOL (pool));
  fail_unless_equals_int (size, 64 * 48 * 4);
  fail_unless_equals_int (min, 2);
  fail_unless_equals_int (max, 6);

  gst_object_unref (pool);
  gst_query_unref (query);
}

GST_END_TEST;

/* A downstream pool of system memory is replaced by a zero-copy pool; a
 * downstream pool configured with a dma-buf allocator is kept. */
GST_START_TEST (test_decide_allocation)
{
  GstQuery *query = allocation_query ();
  GstBufferPool *sys_pool = gst_buffer_pool_new (), *dmabuf_pool, *pool;
  GstAllocator *dmabuf_alloc = gst_dmabuf_allocator_new ();
  GstStructure *config;

  GstAllocator *memfd = memfd_allocator (), *used;

  gst_query_add_allocation_pool (query, sys_pool, 64 * 48 * 4, 2, 0);
  /* the element's own allocator, as the query's first param, is used */
  gst_query_add_allocation_param (query, memfd, NULL);
  fail_unless (gst_zc_decide_allocation (NULL, query, 2));
  gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
  fail_unless (GST_IS_ZC_BUFFER_POOL (pool));
  used = gst_zc_buffer_pool_get_allocator (GST_ZC_BUFFER_POOL (pool));
  fail_unless (used == memfd);
  gst_object_unref (used);
  gst_object_unref (pool);
  gst_query_unref (query);
  gst_object_unref (memfd);

  dmabuf_pool = gst_buffer_pool_new ();
  config = gst_buffer_pool_get_config (dmabuf_pool);
  gst_buffer_pool_config_set_allocator (config, dmabuf_alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (dmabuf_pool, config));
  fail_unless (gst_zc_buffer_pool_is_dmabuf (dmabuf_pool));
  fail_if (gst_zc_buffer_pool_is_dmabuf (sys_pool));

  query = allocation_query ();
  gst_query_add_allocation_pool (query, dmabuf_pool, 64 * 48 * 4, 2, 0);
  fail_unless (gst_zc_decide_allocation (NULL, query, 2));
  gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
  fail_unless (pool == dmabuf_pool);
  gst_object_unref (pool);
  gst_query_unref (query);

  gst_object_unref (dmabuf_pool);
  gst_object_unref (dmabuf_alloc);
  gst_object_unref (sys_pool);
}

GST_END_TEST;

static Suite *
zcbufferpool_suite (void)
{
  Suite *s = suite_create ("zcbufferpool");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_format_table);
  tcase_add_test (tc, test_layout_every_format);
  tcase_add_test (tc, test_per_plane);
  tcase_add_test (tc, test_reuse);
  tcase_add_test (tc, test_blocks_at_max);
  tcase_add_test (tc, test_flush_unblocks);
  tcase_add_test (tc, test_rejects_other_allocator);
  tcase_add_test (tc, test_propose_allocation);
  tcase_add_test (tc, test_decide_allocation);

  return s;
}

GST_CHECK_MAIN (zcbufferpool);
