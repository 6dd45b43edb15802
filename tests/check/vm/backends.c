/* Test bed tests of every allocator backend the kernel offers (real dma-bufs)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs as root inside tests/vm. The backends are found from the kernel's
 * device nodes: dma-heap needs /dev/dma_heap/system, udmabuf /dev/udmabuf,
 * drm a DRM node of vgem, virtio_gpu or vkms (looked up by driver name).
 * Each backend must work exactly when its node exists, and fail naming the
 * node when it does not; the tests say on stdout which backends they
 * exercised. Debian's kernel has only drm (vgem, virtio_gpu); the
 * project's own test-bed kernel adds heaps, udmabuf and vkms.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/dma-buf.h>
#include <xf86drm.h>

#define WIDTH 640
#define HEIGHT 480
#define FRAME_SIZE (WIDTH * HEIGHT * 4)

/* One backend as this kernel may offer it. */
typedef struct
{
  const gchar *label;
  GstZcBackend backend;
  gchar *device;                /* drm: the node found; else NULL */
  gchar *node;                  /* what must exist for it to work */
  gboolean present;
} Backend;

static const gchar *drm_drivers[] = { "vgem", "virtio_gpu", "vkms" };

static void
backend_free (Backend * b)
{
  g_free (b->device);
  g_free (b->node);
  g_free (b);
}

static Backend *
backend_new (const gchar * label, GstZcBackend backend, const gchar * node)
{
  Backend *b = g_new0 (Backend, 1);

  b->label = label;
  b->backend = backend;
  b->node = g_strdup (node);
  b->present = g_file_test (node, G_FILE_TEST_EXISTS);
  return b;
}

/* Every dma-buf backend, present or not, in the order auto tries them. */
static GPtrArray *
list_backends (void)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify)
      backend_free);
  guint i;

  g_ptr_array_add (list, backend_new ("dma-heap", GST_ZC_BACKEND_DMA_HEAP,
          "/dev/dma_heap/system"));
  g_ptr_array_add (list, backend_new ("udmabuf", GST_ZC_BACKEND_UDMABUF,
          "/dev/udmabuf"));
  for (i = 0; i < G_N_ELEMENTS (drm_drivers); i++) {
    Backend *b = g_new0 (Backend, 1);

    b->label = drm_drivers[i];
    b->backend = GST_ZC_BACKEND_DRM;
    b->device = zc_test_find_drm_card (drm_drivers[i]);
    b->present = b->device != NULL;
    b->node = b->device ? g_strdup (b->device) :
        g_strdup_printf ("a DRM node of %s", drm_drivers[i]);
    g_ptr_array_add (list, b);
  }
  return list;
}

/* memfd needs nothing from the kernel but memfd_create(). */
static Backend *
memfd_backend (void)
{
  Backend *b = g_new0 (Backend, 1);

  b->label = "memfd";
  b->backend = GST_ZC_BACKEND_MEMFD;
  b->node = g_strdup ("memfd_create()");
  b->present = TRUE;
  return b;
}

static gchar *
describe (const Backend * b)
{
  return b->device ? g_strdup_printf ("drm (%s on %s)", b->label, b->device) :
      g_strdup (b->label);
}

static GstAllocator *
new_allocator (const Backend * b, GError ** error)
{
  return gst_zc_dmabuf_allocator_new (b->backend, b->device, error);
}

static GstAllocator *
open_allocator (const Backend * b)
{
  GError *error = NULL;
  GstAllocator *alloc = new_allocator (b, &error);

  fail_unless (alloc != NULL, "%s: %s", b->label, error ? error->message : "");
  fail_unless_equals_int (gst_zc_dmabuf_allocator_get_backend
      (GST_ZC_DMABUF_ALLOCATOR (alloc)), b->backend);
  return alloc;
}

typedef void (*BackendTest) (const Backend * b);

/* Runs @test on every present backend (memfd too if @with_memfd) and
 * says which ran. */
static void
for_each_present (const gchar * what, BackendTest test, gboolean with_memfd)
{
  GPtrArray *list = list_backends ();
  GString *ran = g_string_new (NULL), *absent = g_string_new (NULL);
  guint i;

  if (with_memfd)
    g_ptr_array_add (list, memfd_backend ());

  for (i = 0; i < list->len; i++) {
    Backend *b = g_ptr_array_index (list, i);
    gchar *name = describe (b);

    if (b->present) {
      test (b);
      g_string_append_printf (ran, " %s", name);
    } else {
      g_string_append_printf (absent, " %s", b->label);
    }
    g_free (name);
  }
  g_print ("%s: exercised%s; not in this kernel:%s\n", what,
      ran->len ? ran->str : " nothing", absent->len ? absent->str : " none");
  /* The test bed always has vgem and virtio-gpu. */
  fail_unless (strstr (ran->str, "vgem") && strstr (ran->str, "virtio_gpu"),
      "the test bed lacks vgem or virtio-gpu");

  g_string_free (ran, TRUE);
  g_string_free (absent, TRUE);
  g_ptr_array_unref (list);
}

static gboolean
is_dmabuf_fd (gint fd)
{
  gchar *link = g_strdup_printf ("/proc/self/fd/%d", fd);
  gchar *target = g_file_read_link (link, NULL);
  gboolean ret = target && strstr (target, "dmabuf") != NULL;

  g_free (target);
  g_free (link);
  return ret;
}

static ino_t
inode_of (GstMemory * mem)
{
  struct stat st;

  fail_unless (fstat (gst_fd_memory_get_fd (mem), &st) == 0);
  return st.st_ino;
}

static guint8
pattern (gsize i, guint seed)
{
  return (i * 7 + (i >> 12) + seed) & 0xff;
}

/* ---- availability ---- */

/* Each backend opens exactly when its node exists; otherwise the error
 * names the node. */
static void
check_availability (const Backend * b)
{
  GError *error = NULL;
  GstAllocator *alloc = new_allocator (b, &error);

  g_print ("  %-10s %-24s %s\n", b->label, b->node,
      b->present ? "present" : "absent");
  if (b->present) {
    fail_unless (alloc != NULL, "%s exists but %s fails: %s", b->node,
        b->label, error ? error->message : "");
    fail_unless (gst_zc_dmabuf_allocator_is_dmabuf (GST_ZC_DMABUF_ALLOCATOR
            (alloc)));
    gst_object_unref (alloc);
  } else if (b->backend != GST_ZC_BACKEND_DRM) {
    fail_unless (alloc == NULL, "%s works without %s", b->label, b->node);
    fail_unless (strstr (error->message, b->node) != NULL,
        "%s: error does not name %s: %s", b->label, b->node, error->message);
    g_clear_error (&error);
  }
}

GST_START_TEST (test_availability)
{
  GPtrArray *list = list_backends ();
  guint i;

  g_print ("backends of kernel %s:\n", g_getenv ("ZC_VM") ? "(test bed)" :
      "(host)");
  for (i = 0; i < list->len; i++)
    check_availability (g_ptr_array_index (list, i));
  g_ptr_array_unref (list);
}

GST_END_TEST;

/* A missing heap or DRM node is named in the error. */
GST_START_TEST (test_missing_nodes_named)
{
  GError *error = NULL;
  GstAllocator *alloc;

  alloc = g_initable_new (GST_TYPE_ZC_DMABUF_ALLOCATOR, NULL, &error,
      "backend", GST_ZC_BACKEND_DMA_HEAP, "heap-name", "no-such-heap", NULL);
  fail_unless (alloc == NULL);
  fail_unless (strstr (error->message, "/dev/dma_heap/no-such-heap") != NULL,
      "%s", error->message);
  g_clear_error (&error);

  alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_DRM, "/dev/dri/card99",
      &error);
  fail_unless (alloc == NULL);
  fail_unless (strstr (error->message, "/dev/dri/card99") != NULL, "%s",
      error->message);
  g_clear_error (&error);
}

GST_END_TEST;

/* ---- allocation, CPU access, SYNC ---- */

static void
check_alloc_map_sync (const Backend * b)
{
  GstAllocator *alloc = open_allocator (b);
  GstMemory *mem = gst_allocator_alloc (alloc, FRAME_SIZE, NULL);
  GstMapInfo info;
  guint8 *mapping;
  gsize i;
  gint fd;

  fail_unless (mem != NULL, "%s: allocation failed", b->label);
  fail_unless (gst_is_dmabuf_memory (mem), "%s: not dma-buf memory", b->label);
  fail_unless (gst_memory_get_sizes (mem, NULL, NULL) == FRAME_SIZE);
  fd = gst_dmabuf_memory_get_fd (mem);
  fail_unless (is_dmabuf_fd (fd), "%s: fd %d is not a dma-buf", b->label, fd);
  fail_unless (fcntl (fd, F_GETFL) & O_RDWR, "%s: not writable", b->label);
  fail_unless (fcntl (fd, F_GETFD) & FD_CLOEXEC);

  fail_unless (gst_memory_map (mem, &info, GST_MAP_WRITE));
  for (i = 0; i < FRAME_SIZE; i++)
    info.data[i] = pattern (i, b->backend);
  gst_memory_unmap (mem, &info);

  /* One check for the whole frame: a check call per byte takes minutes
   * under emulation. */
  fail_unless (gst_memory_map (mem, &info, GST_MAP_READ));
  for (i = 0; i < FRAME_SIZE && info.data[i] == pattern (i, b->backend); i++);
  fail_unless (i == FRAME_SIZE, "%s: byte %" G_GSIZE_FORMAT " lost",
      b->label, i);
  gst_memory_unmap (mem, &info);

  /* The bytes are in the dma-buf itself: a mapping of our own sees them. */
  mapping = mmap (NULL, FRAME_SIZE, PROT_READ, MAP_SHARED, fd, 0);
  fail_unless (mapping != MAP_FAILED, "%s: mmap: %s", b->label,
      g_strerror (errno));
  fail_unless (gst_zc_dmabuf_sync (fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
  for (i = 0; i < FRAME_SIZE; i += 4093)
    fail_unless (mapping[i] == pattern (i, b->backend));
  fail_unless (gst_zc_dmabuf_sync (fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
  munmap (mapping, FRAME_SIZE);

  /* every direction of the bracket is accepted by the real kernel */
  fail_unless (gst_zc_cpu_access_begin (fd, GST_MAP_WRITE));
  fail_unless (gst_zc_cpu_access_end (fd, GST_MAP_WRITE));
  fail_unless (gst_zc_cpu_access_begin (fd, GST_MAP_READWRITE));
  fail_unless (gst_zc_cpu_access_end (fd, GST_MAP_READWRITE));

  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_START_TEST (test_alloc_map_sync)
{
  for_each_present ("alloc/map/sync", check_alloc_map_sync, FALSE);
}

GST_END_TEST;

/* ---- the pool on each backend ---- */

static GstBufferPool *
make_pool (GstAllocator * alloc, guint n)
{
  GstBufferPool *pool = gst_zc_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstVideoInfo info;
  GstCaps *caps;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  caps = gst_video_info_to_caps (&info);
  gst_buffer_pool_config_set_params (config, caps, info.size, n, n);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  gst_caps_unref (caps);
  return pool;
}

/* Acquires @n buffers, records (or checks against) their inodes. */
static void
acquire_all (GstBufferPool * pool, GstBuffer ** bufs, guint n,
    GHashTable * inodes, gboolean record)
{
  guint i;

  for (i = 0; i < n; i++) {
    GstMemory *mem;
    ino_t ino;

    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &bufs[i],
            NULL), GST_FLOW_OK);
    mem = gst_buffer_peek_memory (bufs[i], 0);
    fail_unless (gst_is_dmabuf_memory (mem));
    fail_unless (gst_buffer_get_video_meta (bufs[i]) != NULL);
    ino = inode_of (mem);
    if (record)
      g_hash_table_add (inodes, GSIZE_TO_POINTER (ino));
    else
      fail_unless (g_hash_table_contains (inodes, GSIZE_TO_POINTER (ino)),
          "a buffer of a new dma-buf came back");
  }
}

static void
check_pool_reuse (const Backend * b)
{
  GstAllocator *alloc = open_allocator (b);
  GstBufferPool *pool = make_pool (alloc, 3);
  GHashTable *inodes = g_hash_table_new (NULL, NULL);
  GstBuffer *bufs[3];
  guint round, i;

  for (round = 0; round < 3; round++) {
    acquire_all (pool, bufs, 3, inodes, round == 0);
    for (i = 0; i < 3; i++)
      gst_buffer_unref (bufs[i]);
  }
  fail_unless_equals_int (g_hash_table_size (inodes), 3);
  fail_unless_equals_int (gst_zc_buffer_pool_get_n_allocated
      (GST_ZC_BUFFER_POOL (pool)), 3);

  g_hash_table_unref (inodes);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_START_TEST (test_pool_reuse)
{
  for_each_present ("pool reuse", check_pool_reuse, FALSE);
}

GST_END_TEST;

/* ---- bad input ---- */

static guint n_alloc_errors;

static void
count_alloc_errors (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (level == GST_LEVEL_ERROR
      && g_str_equal (gst_debug_category_get_name (category), "zcallocator"))
    n_alloc_errors++;
}

/* How a child's allocation of a bad size ended (its exit status). */
enum
{
  REFUSED = 0,
  GAVE_MEMORY,
  REFUSED_SILENTLY,
  RAISED_CRITICAL,
  FDS_LEAKED,
  FAILED_TO_START,
};

static const gchar *refusal_problems[] = {
  [GAVE_MEMORY] = "returned a memory",
  [REFUSED_SILENTLY] = "failed without an error in the log",
  [RAISED_CRITICAL] = "raised a GLib critical",
  [FDS_LEAKED] = "left an fd open",
  [FAILED_TO_START] = "was not tried: cannot set the child's oom_score_adj",
};

static gint
try_bad_size (const Backend * b, guint64 size)
{
  GstAllocator *alloc = open_allocator (b);
  guint fds = zc_test_count_fds ();
  GstMemory *mem;

  gst_debug_set_threshold_for_name ("zcallocator", GST_LEVEL_ERROR);
  gst_debug_add_log_function (count_alloc_errors, NULL, NULL);
  /* recorded, not fatal: the parent reports it */
  _gst_check_expecting_log = TRUE;
  mem = gst_allocator_alloc (alloc, size, NULL);
  if (_gst_check_raised_critical)
    return RAISED_CRITICAL;
  if (mem) {
    g_print ("%s: %" G_GUINT64_FORMAT " bytes asked, a memory of %"
        G_GSIZE_FORMAT " bytes given\n", b->label, size, mem->maxsize);
    return GAVE_MEMORY;
  }
  if (n_alloc_errors == 0)
    return REFUSED_SILENTLY;
  return zc_test_count_fds () == fds ? REFUSED : FDS_LEAKED;
}

/* What went wrong with bad sizes, over all backends, so that one run
 * reports every backend. */
static GString *problems;

/* Allocating @size bytes fails cleanly, with an error in the log. Tried
 * in a child that the OOM killer takes first and that has a minute: a
 * backend that hands an absurd size to the kernel may have it allocate
 * until memory runs out. */
static void
check_refused (const Backend * b, guint64 size)
{
  pid_t pid = fork ();
  gint status;

  fail_unless (pid >= 0);
  if (pid == 0) {
    gint adj = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

    if (adj < 0 || write (adj, "1000", 4) != 4)
      _exit (FAILED_TO_START);
    close (adj);
    alarm (60);
    _exit (try_bad_size (b, size));
  }
  fail_unless (waitpid (pid, &status, 0) == pid);
  if (WIFSIGNALED (status))
    g_string_append_printf (problems, "\n  %s: allocating %" G_GUINT64_FORMAT
        " bytes killed the process (%s): the size reached the kernel, which "
        "allocated until memory ran out", b->label, size,
        g_strsignal (WTERMSIG (status)));
  else if (WEXITSTATUS (status) != REFUSED)
    g_string_append_printf (problems, "\n  %s: allocating %" G_GUINT64_FORMAT
        " bytes %s", b->label, size,
        WEXITSTATUS (status) < G_N_ELEMENTS (refusal_problems) ?
        refusal_problems[WEXITSTATUS (status)] : "failed in the child");
}

static void
run_bad_size_test (const gchar * what, BackendTest test)
{
  problems = g_string_new (NULL);
  for_each_present (what, test, TRUE);
  fail_unless (problems->len == 0, "%s:%s", what, problems->str);
  g_string_free (problems, TRUE);
}

/* Nothing (0 bytes) and more than any machine has (1 PiB). */
static void
check_bad_sizes (const Backend * b)
{
  check_refused (b, 0);
  check_refused (b, G_GUINT64_CONSTANT (1) << 50);
}

/* Sizes whose arithmetic overflows: a row count beyond 32 bits (drm
 * dumb buffers are 4096-byte rows), a size that wraps when rounded up. */
static void
check_overflowing_sizes (const Backend * b)
{
  check_refused (b, (G_GUINT64_CONSTANT (1) << 44) + 4096);
  check_refused (b, G_MAXSIZE);
}

GST_START_TEST (test_bad_sizes)
{
  run_bad_size_test ("bad sizes", check_bad_sizes);
}

GST_END_TEST;

GST_START_TEST (test_overflowing_sizes)
{
  run_bad_size_test ("overflowing sizes", check_overflowing_sizes);
}

GST_END_TEST;

/* Out of fds (EMFILE) in a child process: allocation stops with a clean
 * NULL, nothing leaks, and works again once fds are back. */
static void
exhaust_fds (const Backend * b)
{
  GstAllocator *alloc = open_allocator (b);
  GPtrArray *mems = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_memory_unref);
  struct rlimit saved, low;
  guint fds = zc_test_count_fds (), i;
  GstMemory *mem;

  fail_unless (getrlimit (RLIMIT_NOFILE, &saved) == 0);
  low = saved;
  low.rlim_cur = fds + 2;
  fail_unless (setrlimit (RLIMIT_NOFILE, &low) == 0);

  for (i = 0; i < 64 && (mem = gst_allocator_alloc (alloc, 65536, NULL)); i++)
    g_ptr_array_add (mems, mem);
  /* count_fds() counted its own directory fd: 3 numbers are free, fewer if
   * an open fd is above the limit */
  fail_unless (i >= 1 && i <= 3, "%s: %u allocations with 3 free fds",
      b->label, i);

  g_ptr_array_unref (mems);
  fail_unless (setrlimit (RLIMIT_NOFILE, &saved) == 0);
  fail_unless_equals_int (zc_test_count_fds (), fds);
  mem = gst_allocator_alloc (alloc, 65536, NULL);
  fail_unless (mem != NULL, "%s: no recovery after EMFILE", b->label);
  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

static void
check_emfile (const Backend * b)
{
  pid_t pid = fork ();
  gint status;

  fail_unless (pid >= 0);
  if (pid == 0) {
    /* fail_unless in the child exits it with a failure status */
    exhaust_fds (b);
    _exit (0);
  }
  fail_unless (waitpid (pid, &status, 0) == pid);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "%s: the EMFILE child failed (status 0x%x)", b->label, status);
}

GST_START_TEST (test_emfile)
{
  for_each_present ("EMFILE", check_emfile, TRUE);
}

GST_END_TEST;

static Suite *
vm_backends_suite (void)
{
  Suite *s = suite_create ("vm-backends");
  TCase *tc = tcase_create ("backends");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_availability);
  tcase_add_test (tc, test_missing_nodes_named);
  tcase_add_test (tc, test_alloc_map_sync);
  tcase_add_test (tc, test_pool_reuse);
  tcase_add_test (tc, test_bad_sizes);
  tcase_add_test (tc, test_overflowing_sizes);
  tcase_add_test (tc, test_emfile);

  return s;
}

GST_CHECK_MAIN (vm_backends);
