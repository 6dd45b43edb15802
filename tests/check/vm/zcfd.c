/* Test bed tests of zcfdsink and zcfdsrc: vivid's dma-bufs shared with another process
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs as root inside tests/vm (vivid). zcv4l2src exports vivid's 640x480
 * YUY2 frames as dma-bufs and zcfdsink sends them; this program again,
 * started with RECEIVER_ARG (fork + exec of /proc/self/exe), receives them
 * with zcfdsrc in a second process. For every frame, the receiver reports
 * whether its memory is a dma-buf (fstatfs f_type DMA_BUF_MAGIC), its
 * inode, and a checksum of its bytes read through the library importer's
 * SYNC-bracketed map; the sender took the same checksum before sending.
 * Same inodes (the same dma-bufs: identity is the inode, not the fd
 * number), same bytes, nothing copied on either side.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/allocators/allocators.h>
#include <gst/zerocopy/zerocopy.h>

#include "zctestutils.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

#define RECEIVER_ARG "--zcfd-receiver"
#define WATCHDOG_S 120
#define N_FRAMES 30
#define CAPS "video/x-raw(memory:DMABuf),format=YUY2,width=640,height=480"

static guint64
inode_of (gint fd)
{
  struct stat st;

  return fstat (fd, &st) == 0 ? st.st_ino : 0;
}

static gboolean
is_dmabuf (gint fd)
{
  struct statfs sfs;

  return fstatfs (fd, &sfs) == 0 && sfs.f_type == DMA_BUF_MAGIC;
}

/* FNV-1a over the frame's bytes, read with gst_buffer_map (READ): for a
 * dma-buf of the library's allocators, one SYNC READ bracket. */
static guint64
checksum (GstBuffer * buf)
{
  guint64 h = 0xcbf29ce484222325ull;
  GstMapInfo map;
  gsize i;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return 0;
  for (i = 0; i < map.size; i++)
    h = (h ^ map.data[i]) * 0x100000001b3ull;
  gst_buffer_unmap (buf, &map);
  return h;
}

/* ---- the receiving process ---- */

static void
receiver_fail (const gchar * what)
{
  printf ("error %s\n", what);
  fflush (stdout);
  exit (1);
}

/* RECEIVER_ARG SOCKET: every frame until EOS, then one result line. */
static int
run_receiver (const gchar * path)
{
  guint fds_before = zc_test_count_fds ();
  GString *inodes = g_string_new (NULL), *sums = g_string_new (NULL);
  guint frames = 0, dmabufs = 0, imported = 0, readonly = 0;
  GstZcStats stats, loose;
  GstElement *src;
  GstHarness *h;

  src = gst_element_factory_make ("zcfdsrc", NULL);
  if (!src)
    receiver_fail ("no-zcfdsrc");
  g_object_set (src, "socket-path", path, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "timestamp-mode", "original");
  h = gst_harness_new_with_element (src, NULL, "src");
  gst_harness_play (h);

  while (TRUE) {
    GstBuffer *buf = NULL;
    GstMemory *mem;
    gint fd;

    if (!gst_harness_pull_until_eos (h, &buf))
      receiver_fail ("no-frame-within-the-harness-timeout");
    if (!buf)
      break;
    mem = gst_buffer_peek_memory (buf, 0);
    if (!gst_is_dmabuf_memory (mem))
      receiver_fail ("not-dmabuf-memory");
    fd = gst_fd_memory_get_fd (mem);
    frames++;
    dmabufs += is_dmabuf (fd);
    imported += GST_IS_ZC_DMABUF_ALLOCATOR (mem->allocator);
    readonly += GST_MEMORY_IS_READONLY (mem);
    g_string_append_printf (inodes, "%s%" G_GUINT64_FORMAT,
        inodes->len ? "," : "", inode_of (fd));
    g_string_append_printf (sums, "%s%" G_GINT64_MODIFIER "x",
        sums->len ? "," : "", checksum (buf));
    gst_buffer_unref (buf);
  }

  gst_zc_stats_get (src, &stats);
  gst_zc_stats_get (NULL, &loose);
  gst_object_unref (src);
  gst_harness_teardown (h);
  printf ("result frames=%u dmabufs=%u imported=%u readonly=%u "
      "copied=%" G_GUINT64_FORMAT " syncs=%" G_GUINT64_FORMAT " fds_before=%u "
      "fds_after=%u inodes=%s sums=%s\n", frames, dmabufs, imported, readonly,
      gst_zc_stats_get_bytes_copied (&stats) +
      gst_zc_stats_get_bytes_copied (&loose), loose.sync_brackets, fds_before,
      zc_test_count_fds (), inodes->str, sums->str);
  fflush (stdout);
  g_string_free (inodes, TRUE);
  g_string_free (sums, TRUE);
  return 0;
}

/* ---- the test: the sending process ---- */

/* The child's whole output, read within WATCHDOG_S seconds; its exit
 * status must be 0. */
static gchar *
child_output (GPid pid, gint out)
{
  GString *text = g_string_new (NULL);
  gint status = 0;

  while (TRUE) {
    struct pollfd pfd = { out, POLLIN, 0 };
    gchar chunk[4096];
    gssize n;

    fail_unless (poll (&pfd, 1, WATCHDOG_S * 1000) == 1,
        "watchdog: the receiver said nothing in %d s (so far: %s)",
        WATCHDOG_S, text->str);
    n = read (out, chunk, sizeof (chunk));
    if (n <= 0)
      break;
    g_string_append_len (text, chunk, n);
  }
  close (out);
  fail_unless (waitpid (pid, &status, 0) == pid);
  g_spawn_close_pid (pid);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "receiver status %d: %s", status, text->str);
  return g_string_free (text, FALSE);
}

static const gchar *
field (gchar ** words, const gchar * key)
{
  gsize len = strlen (key);
  guint i;

  for (i = 0; words[i]; i++)
    if (g_str_has_prefix (words[i], key) && words[i][len] == '=')
      return words[i] + len + 1;
  fail ("no %s in the receiver's result", key);
  return NULL;
}

static guint
field_uint (gchar ** words, const gchar * key)
{
  return g_ascii_strtoull (field (words, key), NULL, 10);
}

typedef struct
{
  GHashTable *inodes;           /* every dma-buf the capture exported */
  GString *sums;                /* checksum of each frame sent, in order */
} Sent;

static void
check_result (const gchar * output, Sent * sent)
{
  gchar *line = g_strstrip (g_strdup (output));
  gchar **words, **inodes;
  guint i;

  GST_INFO ("receiver: %s", line);
  fail_unless (g_str_has_prefix (line, "result "), "receiver: %s", line);
  words = g_strsplit (line, " ", -1);
  fail_unless_equals_int (field_uint (words, "frames"), N_FRAMES);
  /* real dma-bufs, wrapped by the library's importer, read-only */
  fail_unless_equals_int (field_uint (words, "dmabufs"), N_FRAMES);
  fail_unless_equals_int (field_uint (words, "imported"), N_FRAMES);
  fail_unless_equals_int (field_uint (words, "readonly"), N_FRAMES);
  fail_unless_equals_int (field_uint (words, "copied"), 0);
  /* every read bracketed with DMA_BUF_IOCTL_SYNC */
  fail_unless (field_uint (words, "syncs") >= N_FRAMES);
  fail_unless_equals_int (field_uint (words, "fds_after"),
      field_uint (words, "fds_before"));
  /* the capture's own dma-bufs, with the bytes the capture wrote */
  inodes = g_strsplit (field (words, "inodes"), ",", -1);
  fail_unless_equals_int (g_strv_length (inodes), N_FRAMES);
  for (i = 0; inodes[i]; i++) {
    guint64 ino = g_ascii_strtoull (inodes[i], NULL, 10);

    fail_unless (g_hash_table_contains (sent->inodes, &ino),
        "frame %u arrived in dma-buf %" G_GUINT64_FORMAT ", not one the "
        "capture exported", i, ino);
  }
  fail_unless_equals_string (field (words, "sums"), sent->sums->str);
  g_strfreev (inodes);
  g_strfreev (words);
  g_free (line);
}

static GstHarness *
start_sender (const gchar * device, const gchar * path, GstElement ** sink)
{
  gchar *launch = g_strdup_printf ("zcv4l2src device=%s io-buffers=6",
      device);
  GstHarness *h;

  *sink = gst_element_factory_make ("zcfdsink", NULL);
  fail_unless (*sink != NULL, "zcfdsink not found: plugin not built?");
  g_object_set (*sink, "socket-path", path, "sync", FALSE, NULL);
  h = gst_harness_new_with_element (*sink, "sink", NULL);
  /* the capture in a harness of its own, its caps chosen by the harness */
  gst_harness_add_src_parse (h, launch, FALSE);
  gst_harness_set_sink_caps_str (h->src_harness, CAPS);
  gst_harness_use_systemclock (h->src_harness);
  gst_harness_play (h->src_harness);
  g_free (launch);
  return h;
}

/* Frames from the capture, checked and summed, into zcfdsink. */
static void
send_frames (GstHarness * h, Sent * sent)
{
  guint i;

  for (i = 0; i < N_FRAMES; i++) {
    GstBuffer *buf = gst_harness_pull (h->src_harness);
    GstMemory *mem;
    guint64 ino;

    fail_unless (buf != NULL, "no frame from zcv4l2src");
    mem = gst_buffer_peek_memory (buf, 0);
    fail_unless (gst_is_dmabuf_memory (mem));
    ino = inode_of (gst_fd_memory_get_fd (mem));
    g_hash_table_add (sent->inodes, g_memdup2 (&ino, sizeof (ino)));
    g_string_append_printf (sent->sums, "%s%" G_GINT64_MODIFIER "x",
        sent->sums->len ? "," : "", checksum (buf));
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
}

GST_START_TEST (test_vivid_to_another_process)
{
  gchar *device = zc_test_find_vivid_capture ();
  gchar *path = g_strdup_printf ("/tmp/zcfd-vm-%d.sock", getpid ());
  gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  const gchar *argv[] = { self, RECEIVER_ARG, path, NULL };
  Sent sent = { g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
        NULL), g_string_new (NULL)
  };
  GError *err = NULL;
  GstElement *sink;
  GstZcStats stats;
  GstHarness *h;
  gchar *output;
  GPid pid;
  gint out;

  fail_unless (device != NULL, "no vivid capture node: is vivid loaded?");
  h = start_sender (device, path, &sink);
  fail_unless (g_spawn_async_with_pipes (NULL, (gchar **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL, &out, NULL,
          &err), "spawning the receiver: %s", err ? err->message : "");
  /* rendering waits for the receiver: it gets every frame */
  send_frames (h, &sent);
  output = child_output (pid, out);
  check_result (output, &sent);
  /* the capture's dma-bufs went round, none was copied into another */
  fail_unless (g_hash_table_size (sent.inodes) <= 6);
  gst_zc_stats_get (sink, &stats);
  fail_unless_equals_int (gst_zc_stats_get_bytes_copied (&stats), 0);

  gst_harness_teardown (h);
  gst_object_unref (sink);
  g_hash_table_unref (sent.inodes);
  g_string_free (sent.sums, TRUE);
  g_free (output);
  g_free (self);
  g_free (path);
  g_free (device);
}

GST_END_TEST;

static Suite *
zcfd_vm_suite (void)
{
  Suite *s = suite_create ("zcfd-vm");
  TCase *tc = tcase_create ("vivid");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vivid_to_another_process);
  return s;
}

/* GST_CHECK_MAIN, and the receiving process's entry point. */
int
main (int argc, char **argv)
{
  if (argc > 2 && g_str_equal (argv[1], RECEIVER_ARG)) {
    gst_check_init (NULL, NULL);
    return run_receiver (argv[2]);
  }
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (zcfd_vm_suite (), "zcfd-vm", __FILE__);
}
