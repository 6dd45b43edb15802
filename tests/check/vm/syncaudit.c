/* Test bed audit of DMA_BUF_IOCTL_SYNC: every CPU access bracketed, in the right direction
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs as root inside tests/vm (vivid loaded). The CPU's reads and writes
 * of a mapping cannot be traced, so the audit proves their structure:
 * this program defines ioctl(), which takes precedence over libc's for
 * the library and the plugins, and records every DMA_BUF_IOCTL_SYNC
 * (which dma-buf, by inode; which flags) before passing it on to the
 * kernel. Then, for real pipelines on vivid's dma-bufs:
 *
 * - every SYNC_START is matched by a SYNC_END with the same direction on
 *   the same dma-buf, never nested in the same direction, and none is
 *   left open at the end;
 * - snapshots and thumbnails read only (READ), uploads write only (WRITE);
 * - frames the thumbnailer drops cause no SYNC at all: interval=10 over
 *   50 frames is exactly 5 READ brackets, one per thumbnail, NV12's two
 *   planes in one dma-buf included;
 * - the zero-copy path itself (capture exporting or importing, handed on
 *   as dma-bufs) makes no SYNC call.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/dma-buf.h>

#include "zctestutils.h"

#define N_FRAMES 50
#define INTERVAL 10

/* ---- the recorder ---- */

typedef struct
{
  guint64 inode;
  guint64 flags;
} SyncCall;

G_LOCK_DEFINE_STATIC (calls);
static GArray *calls;

int ioctl (int fd, unsigned long request, ...);

int
ioctl (int fd, unsigned long request, ...)
{
  static int (*real_ioctl) (int, unsigned long, ...);
  va_list ap;
  void *arg;

  va_start (ap, request);
  arg = va_arg (ap, void *);
  va_end (ap);

  if (!real_ioctl)
    real_ioctl = dlsym (RTLD_NEXT, "ioctl");

  if (request == DMA_BUF_IOCTL_SYNC) {
    SyncCall call = { 0, ((struct dma_buf_sync *) arg)->flags };
    struct stat st;

    if (fstat (fd, &st) == 0)
      call.inode = st.st_ino;
    G_LOCK (calls);
    if (calls)
      g_array_append_val (calls, call);
    G_UNLOCK (calls);
  }
  return real_ioctl (fd, request, arg);
}

static void
recorder_start (void)
{
  G_LOCK (calls);
  calls = g_array_new (FALSE, FALSE, sizeof (SyncCall));
  G_UNLOCK (calls);
}

/* Returns: (transfer full): what was recorded since recorder_start(). */
static GArray *
recorder_stop (void)
{
  GArray *result;

  G_LOCK (calls);
  result = g_steal_pointer (&calls);
  G_UNLOCK (calls);
  return result;
}

typedef struct
{
  guint read_brackets;
  guint write_brackets;
  guint rw_brackets;
} Audit;

/* Open brackets of one dma-buf, per direction. */
typedef struct
{
  gint open[4];                 /* indexed by DMA_BUF_SYNC_RW bits */
} Open;

/* Checks the structure of @rec and counts its brackets by direction. */
static void
audit (GArray * rec, Audit * a)
{
  GHashTable *open = g_hash_table_new_full (g_int64_hash, g_int64_equal,
      g_free, g_free);
  GHashTableIter iter;
  Open *o;
  guint i, dir;

  memset (a, 0, sizeof (*a));
  for (i = 0; i < rec->len; i++) {
    SyncCall *c = &g_array_index (rec, SyncCall, i);

    dir = c->flags & DMA_BUF_SYNC_RW;
    fail_unless (dir != 0, "SYNC without a direction (flags 0x%"
        G_GINT64_MODIFIER "x)", c->flags);
    fail_unless (c->inode != 0, "SYNC on an fd that could not be stat'ed");
    o = g_hash_table_lookup (open, &c->inode);
    if (!o) {
      o = g_new0 (Open, 1);
      g_hash_table_insert (open, g_memdup2 (&c->inode, sizeof (guint64)), o);
    }
    if (!(c->flags & DMA_BUF_SYNC_END)) {
      fail_unless (o->open[dir] == 0, "SYNC_START nested on inode %"
          G_GUINT64_FORMAT, c->inode);
      o->open[dir]++;
      continue;
    }
    fail_unless (o->open[dir] == 1, "SYNC_END (dir %u) without its START on "
        "inode %" G_GUINT64_FORMAT, dir, c->inode);
    o->open[dir]--;
    a->read_brackets += dir == DMA_BUF_SYNC_READ;
    a->write_brackets += dir == DMA_BUF_SYNC_WRITE;
    a->rw_brackets += dir == DMA_BUF_SYNC_RW;
  }

  g_hash_table_iter_init (&iter, open);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & o))
    for (dir = 1; dir < 4; dir++)
      fail_unless_equals_int (o->open[dir], 0);
  g_hash_table_unref (open);
}

/* ---- vivid ---- */

static gchar *vivid;

static void
setup (void)
{
  if (!vivid)
    vivid = zc_test_find_vivid_capture ();
  fail_unless (vivid != NULL, "no vivid capture node: is vivid loaded?");
}

/* @element fed by zcv4l2src (in @io_mode) in a harness of its own, whose
 * sink caps choose the frames: dma-bufs of @format, 640x480. */
static GstHarness *
fed_by_vivid (const gchar * element, const gchar * io_mode,
    const gchar * format)
{
  GstHarness *h = gst_harness_new (element);
  gchar *src = g_strdup_printf ("zcv4l2src device=%s io-mode=%s", vivid,
      io_mode);
  gchar *caps = g_strdup_printf ("video/x-raw(memory:DMABuf),format=%s,"
      "width=640,height=480", format);

  gst_harness_add_src_parse (h, src, FALSE);
  gst_harness_set_sink_caps_str (h->src_harness, caps);
  g_free (caps);
  g_free (src);
  return h;
}

/* Feeds @n frames, letting go of what comes out at once: the source has
 * only a few buffers. Returns: how many buffers came out. */
static guint
push_frames (GstHarness * h, guint n)
{
  GstBuffer *out;
  guint i, received = 0;

  for (i = 0; i < n; i++) {
    fail_unless_equals_int (gst_harness_push_from_src (h), GST_FLOW_OK);
    while ((out = gst_harness_try_pull (h))) {
      received++;
      gst_buffer_unref (out);
    }
  }
  return received;
}

/* Takes the harness down (the element finishes its work) and audits. */
static void
stop_and_audit (GstHarness * h, Audit * a)
{
  GArray *rec;

  gst_harness_teardown (h);
  rec = recorder_stop ();
  audit (rec, a);
  g_print ("%u SYNC calls: %u READ, %u WRITE, %u RW brackets\n", rec->len,
      a->read_brackets, a->write_brackets, a->rw_brackets);
  g_array_unref (rec);
}

/* ---- the audits ---- */

static void
audit_thumbnails (const gchar * format)
{
  GstHarness *h = fed_by_vivid ("zcthumbnail", "dmabuf-export", format);
  Audit a;

  g_object_set (h->element, "interval", INTERVAL, NULL);
  gst_harness_set_sink_caps_str (h, "video/x-raw,format=RGB,width=160,"
      "height=120");
  recorder_start ();
  fail_unless_equals_int (push_frames (h, N_FRAMES), N_FRAMES / INTERVAL);
  stop_and_audit (h, &a);

  /* One READ bracket per thumbnail: the 45 dropped frames none. */
  fail_unless_equals_int (a.read_brackets, N_FRAMES / INTERVAL);
  fail_unless_equals_int (a.write_brackets, 0);
  fail_unless_equals_int (a.rw_brackets, 0);
}

GST_START_TEST (test_thumbnail_yuy2)
{
  audit_thumbnails ("YUY2");
}

GST_END_TEST;

/* Two planes, one dma-buf: still one bracket per thumbnail. */
GST_START_TEST (test_thumbnail_nv12)
{
  audit_thumbnails ("NV12");
}

GST_END_TEST;

GST_START_TEST (test_snapshot)
{
  GstHarness *h = fed_by_vivid ("zcsnapshot", "dmabuf-export", "NV12");
  gchar *dir = g_dir_make_tmp ("syncaudit-XXXXXX", NULL);
  gchar *location = g_build_filename (dir, "snap-%02d.jpg", NULL);
  GDir *d;
  const gchar *name;
  guint files = 0;
  Audit a;

  g_object_set (h->element, "interval", INTERVAL, "location", location, NULL);
  recorder_start ();
  /* Passthrough: every frame goes on. */
  fail_unless_equals_int (push_frames (h, N_FRAMES), N_FRAMES);
  stop_and_audit (h, &a);

  fail_unless_equals_int (a.read_brackets, N_FRAMES / INTERVAL);
  fail_unless_equals_int (a.write_brackets, 0);
  fail_unless_equals_int (a.rw_brackets, 0);

  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);

    files++;
    g_unlink (path);
    g_free (path);
  }
  g_dir_close (d);
  fail_unless_equals_int (files, N_FRAMES / INTERVAL);
  g_rmdir (dir);
  g_free (location);
  g_free (dir);
}

GST_END_TEST;

/* Capture handed on as dma-bufs, exported (the driver's) or imported
 * (into a pool of the element's own): no SYNC at all. */
static void
audit_capture (const gchar * io_mode)
{
  GstHarness *h = gst_harness_new ("zcv4l2src");
  Audit a;
  guint i;

  g_object_set (h->element, "device", vivid, NULL);
  gst_util_set_object_arg (G_OBJECT (h->element), "io-mode", io_mode);
  gst_harness_set_sink_caps_str (h, "video/x-raw(memory:DMABuf),"
      "format=YUY2,width=640,height=480");
  recorder_start ();
  gst_harness_play (h);
  for (i = 0; i < 20; i++)
    gst_buffer_unref (gst_harness_pull (h));
  stop_and_audit (h, &a);
  fail_unless_equals_int (a.read_brackets + a.write_brackets + a.rw_brackets,
      0);
}

GST_START_TEST (test_zero_copy_export)
{
  audit_capture ("dmabuf-export");
}

GST_END_TEST;

GST_START_TEST (test_zero_copy_import)
{
  audit_capture ("dmabuf-import");
}

GST_END_TEST;

/* System-memory frames uploaded into dma-bufs: WRITE brackets only, one
 * per frame. */
GST_START_TEST (test_upload)
{
  GstHarness *h;
  GstVideoInfo info;
  Audit a;
  guint i;

  if (!gst_element_factory_find ("zcupload")) {
    g_print ("no zcupload built: uploads not audited\n");
    return;
  }
  h = gst_harness_new ("zcupload");
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_NV12, 640, 480);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  recorder_start ();
  for (i = 0; i < 10; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, info.size, NULL);

    gst_buffer_memset (buf, 0, 0x80, info.size);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
  stop_and_audit (h, &a);
  fail_unless_equals_int (a.write_brackets, 10);
  fail_unless_equals_int (a.read_brackets, 0);
  fail_unless_equals_int (a.rw_brackets, 0);
}

GST_END_TEST;

static Suite *
syncaudit_suite (void)
{
  Suite *s = suite_create ("syncaudit");
  TCase *tc = tcase_create ("vivid");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_test (tc, test_thumbnail_yuy2);
  tcase_add_test (tc, test_thumbnail_nv12);
  tcase_add_test (tc, test_snapshot);
  tcase_add_test (tc, test_zero_copy_export);
  tcase_add_test (tc, test_zero_copy_import);
  tcase_add_test (tc, test_upload);

  return s;
}

GST_CHECK_MAIN (syncaudit);
