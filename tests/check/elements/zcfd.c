/* Unit tests for zcfdsink and zcfdsrc: frames between two processes as memfds
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The host has no dma-buf exporter: frames come from a GstZcBufferPool on
 * the memfd backend (GST_ZC_BACKEND=memfd), which zcfdsrc takes as sealed
 * memfds. The receiving process is this program again, started with
 * RECEIVER_ARG (fork + exec of /proc/self/exe): it runs zcfdsrc in a
 * harness and prints what it saw on one line, which the test reads.
 * Everything that could hang (a child, a release, an error) is awaited
 * with a watchdog of WATCHDOG_S seconds that fails the test, never with
 * a timed expectation.
 *
 * Malicious and confused peers are raw SOCK_SEQPACKET sockets written
 * from the protocol header: a "receiver" talking to zcfdsink, and a
 * "sender" that zcfdsrc connects to.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/allocators/allocators.h>
#include <gst/base/gstbasesrc.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include "zctestutils.h"
/* the wire format, as both elements use it */
#include "../../../ext/ipc/gstzcfdprotocol.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#define RECEIVER_ARG "--zcfd-receiver"
#define WATCHDOG_S 60
#define WIDTH 64
#define HEIGHT 48
#define POOL_SIZE 4
#define FPS 30
#define FRAME_DURATION (GST_SECOND / FPS)
/* the receiver checks the pixels of every CHECK_EVERY-th frame */
#define CHECK_EVERY 50

/* ---- frames ---- */

static guint8
pattern (guint n, gint y, gint x)
{
  return (n * 7 + y * 3 + x) & 0xff;
}

static void
draw (GstVideoFrame * frame, guint n)
{
  guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  gint x, y;

  for (y = 0; y < GST_VIDEO_FRAME_HEIGHT (frame); y++)
    for (x = 0; x < GST_VIDEO_FRAME_WIDTH (frame) * 4; x++)
      data[y * stride + x] = pattern (n, y, x);
}

static gboolean
frame_is (GstVideoFrame * frame, guint n)
{
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  gint x, y;

  for (y = 0; y < GST_VIDEO_FRAME_HEIGHT (frame); y++)
    for (x = 0; x < GST_VIDEO_FRAME_WIDTH (frame) * 4; x++)
      if (data[y * stride + x] != pattern (n, y, x))
        return FALSE;
  return TRUE;
}

static guint64
inode_of (gint fd)
{
  struct stat st;

  if (fstat (fd, &st) < 0)
    return 0;
  return st.st_ino;
}

static void
add_inode (GHashTable * set, gint fd)
{
  guint64 ino = inode_of (fd);

  g_hash_table_add (set, g_memdup2 (&ino, sizeof (ino)));
}

static gchar *
new_socket_path (void)
{
  static gint n = 0;

  return g_strdup_printf ("%s/zcfd-%d-%d.sock", g_get_tmp_dir (), getpid (),
      g_atomic_int_add (&n, 1));
}

/* ---- the receiving process (RECEIVER_ARG) ---- */

typedef struct
{
  guint frames, checked, bad, readonly, fdmem;
  gint64 first, last;
  gboolean out_of_order;
  GHashTable *inodes;
} Seen;

static void
receiver_fail (const gchar * what)
{
  printf ("error %s\n", what);
  fflush (stdout);
  exit (1);
}

static void
look_at (GstBuffer * buf, GstCaps * caps, Seen * seen)
{
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);
  GstVideoFrame frame;
  GstVideoInfo info;
  gint64 n;

  if (!GST_BUFFER_PTS_IS_VALID (buf) || GST_BUFFER_DURATION (buf) !=
      FRAME_DURATION)
    receiver_fail ("timestamps");
  n = GST_BUFFER_PTS (buf) / FRAME_DURATION;
  if (seen->frames == 0)
    seen->first = n;
  else if (n <= seen->last)
    seen->out_of_order = TRUE;
  seen->last = n;
  seen->frames++;

  if (gst_buffer_n_memory (buf) == 1 && gst_is_fd_memory (mem)) {
    seen->fdmem++;
    add_inode (seen->inodes, gst_fd_memory_get_fd (mem));
  }
  if (GST_MEMORY_IS_READONLY (mem))
    seen->readonly++;
  if (n % CHECK_EVERY != 0)
    return;
  if (!gst_video_info_from_caps (&info, caps)
      || !gst_video_frame_map (&frame, &info, buf, GST_MAP_READ))
    receiver_fail ("map");
  seen->checked++;
  if (!frame_is (&frame, n))
    seen->bad++;
  gst_video_frame_unmap (&frame);
}

static void
print_result (Seen * seen, guint64 copied, guint fds_before, guint fds_after)
{
  GString *inodes = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, seen->inodes);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_string_append_printf (inodes, "%s%" G_GUINT64_FORMAT,
        inodes->len ? "," : "", *(guint64 *) key);
  printf ("result frames=%u checked=%u bad=%u readonly=%u fdmem=%u "
      "first=%" G_GINT64_FORMAT " last=%" G_GINT64_FORMAT " ordered=%d "
      "copied=%" G_GUINT64_FORMAT " fds_before=%u fds_after=%u inodes=%s\n",
      seen->frames, seen->checked, seen->bad, seen->readonly, seen->fdmem,
      seen->first, seen->last, !seen->out_of_order, copied, fds_before,
      fds_after, inodes->len ? inodes->str : "none");
  fflush (stdout);
  g_string_free (inodes, TRUE);
}

/* RECEIVER_ARG SOCKET eos: every frame until EOS, then the result line.
 * RECEIVER_ARG SOCKET hold N: takes N frames, keeps them, says "holding"
 * and waits to be killed. */
static int
run_receiver (gint argc, gchar ** argv)
{
  guint fds_before = zc_test_count_fds ();
  Seen seen = { 0, };
  GstElement *src;
  GstHarness *h;
  GstZcStats stats;
  GPtrArray *held;
  GstCaps *caps = NULL;
  guint hold = argc > 2 ? atoi (argv[2]) : 0;

  if (argc < 2)
    receiver_fail ("usage");
  seen.inodes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      NULL);
  held = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  src = gst_element_factory_make ("zcfdsrc", NULL);
  if (!src)
    receiver_fail ("no-zcfdsrc");
  g_object_set (src, "socket-path", argv[0], NULL);
  gst_util_set_object_arg (G_OBJECT (src), "timestamp-mode", "original");
  h = gst_harness_new_with_element (src, NULL, "src");
  gst_harness_play (h);

  while (TRUE) {
    GstBuffer *buf = NULL;

    if (!gst_harness_pull_until_eos (h, &buf))
      receiver_fail ("no-frame-within-the-harness-timeout");
    if (!buf)
      break;
    if (!caps)
      caps = gst_pad_get_current_caps (h->sinkpad);
    look_at (buf, caps, &seen);
    if (!g_str_equal (argv[1], "hold")) {
      gst_buffer_unref (buf);
      continue;
    }
    g_ptr_array_add (held, buf);
    if (held->len == hold) {
      printf ("holding %u\n", hold);
      fflush (stdout);
      while (TRUE)
        pause ();
    }
  }

  gst_zc_stats_get (src, &stats);
  gst_caps_unref (caps);
  gst_object_unref (src);
  gst_harness_teardown (h);
  g_ptr_array_unref (held);
  print_result (&seen, gst_zc_stats_get_bytes_copied (&stats), fds_before,
      zc_test_count_fds ());
  g_hash_table_unref (seen.inodes);
  return 0;
}

/* ---- the receiving process, seen from the test ---- */

typedef struct
{
  GPid pid;
  gint out;
  GString *text;
} Child;

static void
child_spawn (Child * c, const gchar * path, const gchar * mode,
    const gchar * count)
{
  gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  const gchar *argv[] = { self, RECEIVER_ARG, path, mode, count, NULL };
  GError *err = NULL;

  fail_unless (self != NULL);
  fail_unless (g_spawn_async_with_pipes (NULL, (gchar **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &c->pid, NULL, &c->out, NULL,
          &err), "spawning the receiver: %s", err ? err->message : "");
  c->text = g_string_new (NULL);
  g_free (self);
}

/* Reads what the child printed up to a newline (or to EOF); fails after
 * WATCHDOG_S seconds without it. */
static gchar *
child_read_line (Child * c)
{
  gchar *nl;

  while (!(nl = strchr (c->text->str, '\n'))) {
    struct pollfd pfd = { c->out, POLLIN, 0 };
    gchar chunk[256];
    gssize n;

    fail_unless (poll (&pfd, 1, WATCHDOG_S * 1000) == 1,
        "watchdog: the receiver said nothing in %d s (so far: %s)",
        WATCHDOG_S, c->text->str);
    n = read (c->out, chunk, sizeof (chunk));
    if (n <= 0)
      break;
    g_string_append_len (c->text, chunk, n);
  }
  if (!nl)
    return g_string_free (g_string_new (c->text->str), FALSE);
  {
    gchar *line = g_strndup (c->text->str, nl - c->text->str);

    g_string_erase (c->text, 0, nl - c->text->str + 1);
    return line;
  }
}

static gint
child_reap (Child * c)
{
  gint status = 0;

  fail_unless (waitpid (c->pid, &status, 0) == c->pid);
  g_spawn_close_pid (c->pid);
  close (c->out);
  g_string_free (c->text, TRUE);
  return status;
}

static void
child_kill (Child * c)
{
  gint status;

  fail_unless (kill (c->pid, SIGKILL) == 0);
  status = child_reap (c);
  fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
}

/* The child's result line as key=value pairs; the child must exit 0. */
static GHashTable *
child_result (Child * c)
{
  gchar *line = child_read_line (c);
  GHashTable *result = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, g_free);
  gchar **words;
  guint i;
  gint status;

  GST_INFO ("receiver: %s", line);
  fail_unless (g_str_has_prefix (line, "result "), "receiver: %s", line);
  words = g_strsplit (line + strlen ("result "), " ", -1);
  for (i = 0; words[i]; i++) {
    gchar **kv = g_strsplit (words[i], "=", 2);

    if (kv[0] && kv[1])
      g_hash_table_insert (result, g_strdup (kv[0]), g_strdup (kv[1]));
    g_strfreev (kv);
  }
  g_strfreev (words);
  g_free (line);
  status = child_reap (c);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "receiver status %d", status);
  return result;
}

static gint64
result_int (GHashTable * result, const gchar * key)
{
  const gchar *v = g_hash_table_lookup (result, key);

  fail_unless (v != NULL, "no %s in the receiver's result", key);
  return g_ascii_strtoll (v, NULL, 10);
}

/* ---- the sending side: a harness around zcfdsink, a memfd pool ---- */

typedef struct
{
  GstHarness *h;
  GstElement *sink;
  GstBus *bus;
  GstBufferPool *pool;
  GstVideoInfo info;
  gchar *path;
  GHashTable *inodes;           /* of the pool's memfds */
  guint pushed;
} Sender;

static void
sender_start (Sender * s, const gchar * on_disconnect, guint pool_size)
{
  GstStructure *config;
  GstCaps *caps;

  s->path = new_socket_path ();
  s->sink = gst_element_factory_make ("zcfdsink", NULL);
  fail_unless (s->sink != NULL, "zcfdsink not found: plugin not built?");
  g_object_set (s->sink, "socket-path", s->path, "sync", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (s->sink), "on-disconnect", on_disconnect);
  s->bus = gst_bus_new ();
  gst_element_set_bus (s->sink, s->bus);
  s->h = gst_harness_new_with_element (s->sink, "sink", NULL);

  gst_video_info_set_format (&s->info, GST_VIDEO_FORMAT_BGRx, WIDTH, HEIGHT);
  GST_VIDEO_INFO_FPS_N (&s->info) = FPS;
  caps = gst_video_info_to_caps (&s->info);
  gst_harness_set_src_caps (s->h, gst_caps_ref (caps));
  s->pool = gst_zc_buffer_pool_new ();
  config = gst_buffer_pool_get_config (s->pool);
  gst_buffer_pool_config_set_params (config, caps, s->info.size, pool_size,
      pool_size);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  fail_unless (gst_buffer_pool_set_config (s->pool, config));
  fail_unless (gst_buffer_pool_set_active (s->pool, TRUE));
  gst_caps_unref (caps);
  s->inodes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  s->pushed = 0;
}

/* Frame @n of the pool, drawn and timestamped; NULL when the pool is
 * flushing. */
static GstBuffer *
sender_frame (Sender * s, guint n)
{
  GstVideoFrame frame;
  GstBuffer *buf = NULL;
  GstMemory *mem;

  if (gst_buffer_pool_acquire_buffer (s->pool, &buf, NULL) != GST_FLOW_OK)
    return NULL;
  fail_unless (gst_video_frame_map (&frame, &s->info, buf, GST_MAP_WRITE));
  draw (&frame, n);
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = n * FRAME_DURATION;
  GST_BUFFER_DURATION (buf) = FRAME_DURATION;
  mem = gst_buffer_peek_memory (buf, 0);
  add_inode (s->inodes, gst_fd_memory_get_fd (mem));
  return buf;
}

/* Pushes frames @from..@to-1 (then EOS when @eos); the first push that
 * does not return OK ends it. Returns that push's result. */
static GstFlowReturn
sender_push (Sender * s, guint from, guint to, gboolean eos)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint n;

  for (n = from; n < to && ret == GST_FLOW_OK; n++) {
    GstBuffer *buf = sender_frame (s, n);

    if (!buf)
      return GST_FLOW_FLUSHING;
    ret = gst_harness_push (s->h, buf);
    if (ret == GST_FLOW_OK)
      s->pushed++;
  }
  if (ret == GST_FLOW_OK && eos)
    fail_unless (gst_harness_push_event (s->h, gst_event_new_eos ()));
  return ret;
}

static void
sender_stop (Sender * s)
{
  gst_harness_teardown (s->h);
  gst_buffer_pool_set_active (s->pool, FALSE);
  gst_object_unref (s->pool);
  gst_element_set_bus (s->sink, NULL);
  gst_object_unref (s->sink);
  gst_object_unref (s->bus);
  g_hash_table_unref (s->inodes);
  fail_if (g_file_test (s->path, G_FILE_TEST_EXISTS),
      "the sink left its socket behind");
  g_free (s->path);
}

/* The sink has @n receivers now, or will within WATCHDOG_S seconds. */
typedef struct
{
  GMutex lock;
  GCond cond;
} Waiter;

static void
on_receivers (GObject * sink, GParamSpec * pspec, Waiter * w)
{
  g_mutex_lock (&w->lock);
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

static guint
receivers (GstElement * sink)
{
  guint n;

  g_object_get (sink, "receivers", &n, NULL);
  return n;
}

static void
wait_receivers (GstElement * sink, guint n)
{
  gint64 end = g_get_monotonic_time () + WATCHDOG_S * G_TIME_SPAN_SECOND;
  Waiter w;
  gulong id;

  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  id = g_signal_connect (sink, "notify::receivers", G_CALLBACK (on_receivers),
      &w);
  g_mutex_lock (&w.lock);
  while (receivers (sink) != n && g_cond_wait_until (&w.cond, &w.lock, end));
  g_mutex_unlock (&w.lock);
  g_signal_handler_disconnect (sink, id);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  fail_unless_equals_int (receivers (sink), n);
}

/* The first message of @type on @bus within the watchdog; its debug
 * string must hold @debug. */
static void
expect_message (GstBus * bus, GstMessageType type, GQuark domain, gint code,
    const gchar * debug)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus,
      WATCHDOG_S * GST_SECOND, type);
  GError *err = NULL;
  gchar *dbg = NULL;

  fail_unless (msg != NULL, "watchdog: no %s within %d s (expected \"%s\")",
      gst_message_type_get_name (type), WATCHDOG_S, debug);
  if (type == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, &dbg);
  else
    gst_message_parse_warning (msg, &err, &dbg);
  GST_INFO ("%s: %s (%s)", gst_message_type_get_name (type), err->message, dbg);
  fail_unless (err->domain == domain && err->code == code,
      "%s %s/%d: %s", gst_message_type_get_name (type),
      g_quark_to_string (err->domain), err->code, err->message);
  fail_unless (dbg && strstr (dbg, debug), "debug \"%s\" lacks \"%s\"", dbg,
      debug);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
}

static void
drain (GstBus * bus)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop (bus)))
    gst_message_unref (msg);
}

/* Frames pushed from a thread of their own, so that the test can kill
 * and spawn receivers meanwhile; push_finish() bounds the wait. */
typedef struct
{
  Sender *s;
  guint from, to;
  GstFlowReturn ret;
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean done;
} PushJob;

static gpointer
push_thread (gpointer data)
{
  PushJob *job = data;
  GstFlowReturn ret = sender_push (job->s, job->from, job->to, TRUE);

  g_mutex_lock (&job->lock);
  job->ret = ret;
  job->done = TRUE;
  g_cond_signal (&job->cond);
  g_mutex_unlock (&job->lock);
  return NULL;
}

static void
push_start (PushJob * job, Sender * s, guint from, guint to)
{
  job->s = s;
  job->from = from;
  job->to = to;
  job->ret = GST_FLOW_CUSTOM_ERROR;
  job->done = FALSE;
  g_mutex_init (&job->lock);
  g_cond_init (&job->cond);
  job->thread = g_thread_new ("push", push_thread, job);
}

/* The pushing thread's result; a push still blocked after WATCHDOG_S
 * seconds (in the pool, or in the sink) is flushed out and fails. */
static GstFlowReturn
push_finish (PushJob * job)
{
  gint64 end = g_get_monotonic_time () + WATCHDOG_S * G_TIME_SPAN_SECOND;
  gboolean done;

  g_mutex_lock (&job->lock);
  while (!job->done && g_cond_wait_until (&job->cond, &job->lock, end));
  done = job->done;
  g_mutex_unlock (&job->lock);
  if (!done) {
    gst_buffer_pool_set_flushing (job->s->pool, TRUE);
    gst_pad_push_event (job->s->h->srcpad, gst_event_new_flush_start ());
  }
  g_thread_join (job->thread);
  g_mutex_clear (&job->lock);
  g_cond_clear (&job->cond);
  fail_unless (done, "watchdog: pushing still blocked after %d s (%u "
      "frames pushed)", WATCHDOG_S, job->s->pushed);
  return job->ret;
}

/* ---- two processes ---- */

static void
check_inodes_are_the_pools (GHashTable * result, Sender * s)
{
  gchar **inodes = g_strsplit (g_hash_table_lookup (result, "inodes"), ",",
      -1);
  guint i;

  fail_unless_equals_int (g_strv_length (inodes),
      g_hash_table_size (s->inodes));
  for (i = 0; inodes[i]; i++) {
    guint64 ino = g_ascii_strtoull (inodes[i], NULL, 10);

    fail_unless (g_hash_table_contains (s->inodes, &ino),
        "the receiver saw memfd %" G_GUINT64_FORMAT ", not one of the pool's",
        ino);
  }
  g_strfreev (inodes);
}

GST_START_TEST (test_two_processes_1000_frames)
{
  guint fds_before = zc_test_count_fds ();
  GHashTable *result;
  GstZcStats stats;
  PushJob job;
  Sender s;
  Child c;

  sender_start (&s, "wait", POOL_SIZE);
  child_spawn (&c, s.path, "eos", "0");
  push_start (&job, &s, 0, 1000);
  result = child_result (&c);
  fail_unless_equals_int (push_finish (&job), GST_FLOW_OK);

  fail_unless_equals_int (result_int (result, "frames"), 1000);
  fail_unless_equals_int (result_int (result, "first"), 0);
  fail_unless_equals_int (result_int (result, "last"), 999);
  fail_unless_equals_int (result_int (result, "ordered"), 1);
  fail_unless_equals_int (result_int (result, "checked"), 1000 / CHECK_EVERY);
  fail_unless_equals_int (result_int (result, "bad"), 0);
  /* the same memfds, read-only on the receiving side: nothing copied */
  fail_unless_equals_int (result_int (result, "fdmem"), 1000);
  fail_unless_equals_int (result_int (result, "readonly"), 1000);
  fail_unless_equals_int (result_int (result, "copied"), 0);
  check_inodes_are_the_pools (result, &s);
  /* buffers went round: the pool never grew past its size */
  fail_unless (gst_zc_buffer_pool_get_n_allocated (GST_ZC_BUFFER_POOL
          (s.pool)) <= POOL_SIZE);
  fail_unless (g_hash_table_size (s.inodes) <= POOL_SIZE);
  fail_unless_equals_int (result_int (result, "fds_after"),
      result_int (result, "fds_before"));
  gst_zc_stats_get (s.sink, &stats);
  fail_unless_equals_int (gst_zc_stats_get_bytes_copied (&stats), 0);
  g_hash_table_unref (result);

  sender_stop (&s);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
}

GST_END_TEST;

/* A receiver SIGKILLed while it holds every frame of the pool: the sink
 * gives the frames back to the pool (or the blocked push would never
 * return) and posts the error. */
GST_START_TEST (test_receiver_killed_error)
{
  guint fds_before = zc_test_count_fds ();
  PushJob job;
  gchar *line;
  Sender s;
  Child c;

  sender_start (&s, "error", POOL_SIZE);
  child_spawn (&c, s.path, "hold", "3");
  push_start (&job, &s, 0, 100);
  line = child_read_line (&c);
  fail_unless (g_str_has_prefix (line, "holding"), "receiver: %s", line);
  g_free (line);

  child_kill (&c);
  expect_message (s.bus, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_WRITE, "on-disconnect=error");
  fail_unless_equals_int (push_finish (&job), GST_FLOW_ERROR);
  fail_unless (s.pushed < 100);
  fail_unless (gst_zc_buffer_pool_get_n_allocated (GST_ZC_BUFFER_POOL
          (s.pool)) <= POOL_SIZE);

  sender_stop (&s);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
}

GST_END_TEST;

/* on-disconnect=wait: the frames of a killed receiver go back to the
 * pool, rendering waits, and a new receiver gets every frame from then
 * on, to EOS. */
GST_START_TEST (test_receiver_killed_reconnect)
{
  guint fds_before = zc_test_count_fds ();
  GHashTable *result;
  PushJob job;
  gchar *line;
  Sender s;
  Child c;

  sender_start (&s, "wait", POOL_SIZE);
  child_spawn (&c, s.path, "hold", "2");
  push_start (&job, &s, 0, 60);
  line = child_read_line (&c);
  fail_unless (g_str_has_prefix (line, "holding"), "receiver: %s", line);
  g_free (line);

  child_kill (&c);
  /* with max-receivers=1, the next one is accepted once this one is out */
  wait_receivers (s.sink, 0);
  fail_unless (gst_bus_pop_filtered (s.bus, GST_MESSAGE_ERROR) == NULL);

  child_spawn (&c, s.path, "eos", "0");
  result = child_result (&c);
  fail_unless_equals_int (push_finish (&job), GST_FLOW_OK);
  fail_unless_equals_int (s.pushed, 60);
  fail_unless_equals_int (result_int (result, "last"), 59);
  fail_unless_equals_int (result_int (result, "ordered"), 1);
  /* none lost after the new receiver connected */
  fail_unless_equals_int (result_int (result, "frames"),
      60 - result_int (result, "first"));
  fail_unless_equals_int (result_int (result, "bad"), 0);
  fail_unless (gst_zc_buffer_pool_get_n_allocated (GST_ZC_BUFFER_POOL
          (s.pool)) <= POOL_SIZE);
  g_hash_table_unref (result);

  sender_stop (&s);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
}

GST_END_TEST;

/* ---- zcfdsink alone ---- */

GST_START_TEST (test_sink_drops_without_receiver)
{
  guint fds_before = zc_test_count_fds ();
  Sender s;
  guint n;

  sender_start (&s, "drop", 1);
  for (n = 0; n < 5; n++) {
    GstBuffer *buf = sender_frame (&s, n);

    gst_buffer_ref (buf);
    fail_unless_equals_int (gst_harness_push (s.h, buf), GST_FLOW_OK);
    /* not held: nobody to release it */
    ASSERT_MINI_OBJECT_REFCOUNT (buf, "frame", 1);
    gst_buffer_unref (buf);
  }
  sender_stop (&s);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
}

GST_END_TEST;

GST_START_TEST (test_sink_refuses_system_memory)
{
  Sender s;
  GstBuffer *buf;

  sender_start (&s, "drop", 1);
  buf = gst_buffer_new_allocate (NULL, s.info.size, NULL);
  fail_unless_equals_int (gst_harness_push (s.h, buf), GST_FLOW_ERROR);
  expect_message (s.bus, GST_MESSAGE_ERROR, GST_STREAM_ERROR,
      GST_STREAM_ERROR_FORMAT, "has no fd");
  sender_stop (&s);
}

GST_END_TEST;

GST_START_TEST (test_sink_socket_path_errors)
{
  GstElement *sink = gst_element_factory_make ("zcfdsink", NULL);
  gchar *file = new_socket_path ();
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (sink, bus);
  /* no path */
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  expect_message (bus, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND, "socket-path is not set");
  gst_element_set_state (sink, GST_STATE_NULL);
  /* the base class's own "failed to start" */
  drain (bus);

  /* a regular file is not replaced */
  fail_unless (g_file_set_contents (file, "keep", -1, NULL));
  g_object_set (sink, "socket-path", file, NULL);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  expect_message (bus, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_WRITE, "is not a socket");
  gst_element_set_state (sink, GST_STATE_NULL);
  fail_unless (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  unlink (file);

  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  g_free (file);
}

GST_END_TEST;

/* ---- raw peers ---- */

static gint
raw_connect (const gchar * path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  gint fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

  g_strlcpy (addr.sun_path, path, sizeof (addr.sun_path));
  fail_unless (fd >= 0);
  fail_unless (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0,
      "connect: %s", g_strerror (errno));
  return fd;
}

static gint
raw_listen (const gchar * path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  gint fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

  g_strlcpy (addr.sun_path, path, sizeof (addr.sun_path));
  fail_unless (fd >= 0);
  fail_unless (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0);
  fail_unless (listen (fd, 1) == 0);
  return fd;
}

#define MAX_RAW_FDS 24

/* Sends @size bytes as one message, with @fds as SCM_RIGHTS. */
static void
raw_send (gint sock, gconstpointer data, gsize size, const gint * fds,
    guint n_fds)
{
  union
  {
    struct cmsghdr align;
    gchar buf[CMSG_SPACE (sizeof (gint) * MAX_RAW_FDS)];
  } control;
  struct iovec iov = { (gpointer) data, size };
  struct msghdr mh = { 0 };

  g_assert (n_fds <= MAX_RAW_FDS);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (n_fds > 0) {
    struct cmsghdr *cmsg;

    memset (&control, 0, sizeof (control));
    mh.msg_control = control.buf;
    mh.msg_controllen = CMSG_SPACE (sizeof (gint) * n_fds);
    cmsg = CMSG_FIRSTHDR (&mh);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN (sizeof (gint) * n_fds);
    memcpy (CMSG_DATA (cmsg), fds, sizeof (gint) * n_fds);
  }
  fail_unless (sendmsg (sock, &mh, MSG_NOSIGNAL) == (gssize) size,
      "sendmsg: %s", g_strerror (errno));
}

/* Header + @payload into @out; returns the message's size. */
static gsize
raw_message (guint8 * out, guint16 type, gconstpointer payload, gsize size,
    guint n_fds)
{
  ZcFdHeader h = { ZC_FD_MAGIC, ZC_FD_VERSION, type, size, n_fds };

  memcpy (out, &h, sizeof (h));
  if (size)
    memcpy (out + sizeof (h), payload, size);
  return sizeof (h) + size;
}

/* Receives one message within the watchdog; returns its size (0: the
 * peer closed) and closes any fds, after noting the first one's inode. */
static gssize
raw_recv (gint sock, guint8 * data, gsize capacity, guint * n_fds,
    guint64 * first_inode)
{
  union
  {
    struct cmsghdr align;
    gchar buf[CMSG_SPACE (sizeof (gint) * MAX_RAW_FDS)];
  } control;
  struct iovec iov = { data, capacity };
  struct msghdr mh = { 0 };
  struct pollfd pfd = { sock, POLLIN, 0 };
  struct cmsghdr *cmsg;
  gssize n;

  fail_unless (poll (&pfd, 1, WATCHDOG_S * 1000) == 1,
      "watchdog: nothing to read in %d s", WATCHDOG_S);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof (control.buf);
  n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0 && errno == ECONNRESET)
    n = 0;
  fail_unless (n >= 0, "recvmsg: %s", g_strerror (errno));
  if (n_fds)
    *n_fds = 0;
  for (cmsg = CMSG_FIRSTHDR (&mh); cmsg; cmsg = CMSG_NXTHDR (&mh, cmsg)) {
    guint i, count = (cmsg->cmsg_len - CMSG_LEN (0)) / sizeof (gint);

    for (i = 0; i < count; i++) {
      gint fd;

      memcpy (&fd, CMSG_DATA (cmsg) + i * sizeof (gint), sizeof (gint));
      if (n_fds && (*n_fds)++ == 0 && first_inode)
        *first_inode = inode_of (fd);
      close (fd);
    }
  }
  return n;
}

/* Waits (watchdog) until @pool can hand out a buffer again: the frame a
 * sink held came back. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  GstBufferPool *pool;
} PoolWatchdog;

static gpointer
pool_watchdog (gpointer data)
{
  PoolWatchdog *w = data;
  gint64 end = g_get_monotonic_time () + WATCHDOG_S * G_TIME_SPAN_SECOND;

  g_mutex_lock (&w->lock);
  while (!w->done && g_cond_wait_until (&w->cond, &w->lock, end));
  if (!w->done)
    gst_buffer_pool_set_flushing (w->pool, TRUE);
  g_mutex_unlock (&w->lock);
  return NULL;
}

static void
wait_frame_back (GstBufferPool * pool)
{
  PoolWatchdog w = { 0, };
  GstBuffer *buf = NULL;
  GstFlowReturn ret;
  GThread *thread;

  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  w.pool = pool;
  thread = g_thread_new ("watchdog", pool_watchdog, &w);
  ret = gst_buffer_pool_acquire_buffer (pool, &buf, NULL);
  g_mutex_lock (&w.lock);
  w.done = TRUE;
  g_cond_signal (&w.cond);
  g_mutex_unlock (&w.lock);
  g_thread_join (thread);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  fail_unless_equals_int (ret, GST_FLOW_OK);
  gst_buffer_unref (buf);
}

/* A raw receiver gets the caps, then the frame with its memfd, releases
 * it, and the frame is back in the pool. Returns the frame's id. */
static guint64
raw_receive_frame (gint sock, Sender * s, guint n)
{
  guint8 data[ZC_FD_MAX_MESSAGE];
  const ZcFdHeader *h = (const ZcFdHeader *) data;
  const ZcFdBufferMsg *m = (const ZcFdBufferMsg *) (data + sizeof (*h));
  guint64 inode = 0, pool_inode;
  GstBuffer *buf;
  guint n_fds;

  buf = sender_frame (s, n);
  pool_inode = inode_of (gst_fd_memory_get_fd (gst_buffer_peek_memory (buf,
              0)));
  fail_unless_equals_int (gst_harness_push (s->h, buf), GST_FLOW_OK);

  if (n == 0) {
    GstCaps *caps, *want = gst_video_info_to_caps (&s->info);

    fail_unless (raw_recv (sock, data, sizeof (data), &n_fds, NULL) > 0);
    fail_unless_equals_int (h->type, ZC_FD_MSG_CAPS);
    caps = gst_caps_from_string ((const gchar *) data + sizeof (*h));
    fail_unless (caps && gst_caps_is_equal (caps, want));
    gst_caps_unref (caps);
    gst_caps_unref (want);
  }
  fail_unless_equals_int (raw_recv (sock, data, sizeof (data), &n_fds,
          &inode), sizeof (*h) + sizeof (*m));
  fail_unless_equals_int (h->magic, ZC_FD_MAGIC);
  fail_unless_equals_int (h->version, ZC_FD_VERSION);
  fail_unless_equals_int (h->type, ZC_FD_MSG_BUFFER);
  fail_unless_equals_int (n_fds, 1);
  fail_unless_equals_int (h->n_fds, 1);
  fail_unless_equals_int (m->n_memories, 1);
  fail_unless_equals_uint64 (m->memories[0].size, s->info.size);
  fail_unless_equals_uint64 (m->pts, n * FRAME_DURATION);
  fail_unless_equals_uint64 (m->duration, FRAME_DURATION);
  fail_unless_equals_int (m->has_video_meta, 1);
  fail_unless_equals_int (m->format, GST_VIDEO_FORMAT_BGRx);
  fail_unless_equals_int (m->width, WIDTH);
  fail_unless_equals_int (m->strides[0], s->info.stride[0]);
  /* the pool's own memfd, not a copy */
  fail_unless_equals_uint64 (inode, pool_inode);
  return m->id;
}

static void
raw_release (gint sock, guint64 id)
{
  ZcFdReleaseMsg rel = { id };
  guint8 data[64];

  raw_send (sock, data, raw_message (data, ZC_FD_MSG_RELEASE, &rel,
          sizeof (rel), 0), NULL, 0);
}

GST_START_TEST (test_sink_raw_receiver)
{
  guint fds_before = zc_test_count_fds ();
  guint8 data[64];
  gint sock, other;
  Sender s;
  guint n;

  sender_start (&s, "wait", 1);
  sock = raw_connect (s.path);
  /* the pool has one frame: each comes back only when released */
  for (n = 0; n < 3; n++) {
    raw_release (sock, raw_receive_frame (sock, &s, n));
    wait_frame_back (s.pool);
  }

  /* max-receivers=1: a second one is closed at once */
  wait_receivers (s.sink, 1);
  other = raw_connect (s.path);
  fail_unless_equals_int (raw_recv (other, data, sizeof (data), NULL, NULL),
      0);
  close (other);
  fail_unless_equals_int (receivers (s.sink), 1);

  close (sock);
  wait_receivers (s.sink, 0);
  sender_stop (&s);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
}

GST_END_TEST;

typedef enum
{
  BAD_SHORT,
  BAD_MAGIC,
  BAD_VERSION,
  BAD_SIZE,
  BAD_TYPE,
  BAD_RELEASE_SIZE,
  BAD_UNKNOWN_ID,
  BAD_RELEASE_WITH_FD,
  BAD_TOO_MANY_FDS,
  BAD_TOO_LONG,
  N_BAD_RECEIVERS
} BadReceiver;

static const gchar *bad_receiver_debug[N_BAD_RECEIVERS] = {
  "short message",
  "bad magic",
  "protocol version",
  "payload bytes",
  "sends only releases",
  "release of",
  "which it does not hold",
  "a release came with 1 fds",
  "more than 16 fds",
  "message longer than the 64 bytes expected",
};

static void
send_bad_release (gint sock, BadReceiver bad, guint64 id)
{
  guint8 data[256] = { 0, };
  ZcFdHeader *h = (ZcFdHeader *) data;
  ZcFdReleaseMsg rel = { id };
  gint fds[MAX_RAW_FDS];
  gsize size = raw_message (data, ZC_FD_MSG_RELEASE, &rel, sizeof (rel), 0);
  guint i, n_fds = 0;

  switch (bad) {
    case BAD_SHORT:
      size = 8;
      break;
    case BAD_MAGIC:
      h->magic = 0x12345678;
      break;
    case BAD_VERSION:
      h->version = ZC_FD_VERSION + 1;
      break;
    case BAD_SIZE:
      h->size = 100;
      break;
    case BAD_TYPE:
      h->type = ZC_FD_MSG_CAPS;
      break;
    case BAD_RELEASE_SIZE:
      h->size = 4;
      size = sizeof (*h) + 4;
      break;
    case BAD_UNKNOWN_ID:
      rel.id = id + 1000;
      memcpy (data + sizeof (*h), &rel, sizeof (rel));
      break;
    case BAD_RELEASE_WITH_FD:
      fail_unless (pipe2 (fds, O_CLOEXEC) == 0);
      close (fds[1]);
      h->n_fds = n_fds = 1;
      break;
    case BAD_TOO_MANY_FDS:
      for (i = 0; i < 20; i++)
        fds[i] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      h->n_fds = n_fds = 20;
      break;
    case BAD_TOO_LONG:
      h->size = 200;
      size = sizeof (*h) + 200;
      break;
    default:
      g_assert_not_reached ();
  }
  raw_send (sock, data, size, fds, n_fds);
  for (i = 0; i < n_fds; i++)
    close (fds[i]);
}

/* A receiver that breaks the protocol is disconnected with a warning, the
 * frame it held goes back to the pool, and the sink serves the next one. */
GST_START_TEST (test_sink_bad_receivers)
{
  guint fds_before = zc_test_count_fds ();
  guint8 data[64];
  Sender s;
  gint bad;

  sender_start (&s, "wait", 1);
  for (bad = 0; bad < N_BAD_RECEIVERS; bad++) {
    gint sock = raw_connect (s.path);
    guint64 id = raw_receive_frame (sock, &s, 0);

    GST_INFO ("bad receiver %d: %s", bad, bad_receiver_debug[bad]);
    send_bad_release (sock, bad, id);
    expect_message (s.bus, GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_READ, bad_receiver_debug[bad]);
    /* disconnected, and its frame given back */
    fail_unless_equals_int (raw_recv (sock, data, sizeof (data), NULL, NULL),
        0);
    wait_frame_back (s.pool);
    close (sock);
    wait_receivers (s.sink, 0);
  }
  fail_unless (gst_bus_pop_filtered (s.bus, GST_MESSAGE_ERROR) == NULL);

  sender_stop (&s);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
}

GST_END_TEST;

/* ---- zcfdsrc against a raw sender ---- */

#define RAW_WIDTH 16
#define RAW_HEIGHT 8
#define RAW_CAPS "video/x-raw,format=BGRx,width=16,height=8,framerate=30/1"
#define RAW_SIZE (RAW_WIDTH * RAW_HEIGHT * 4)

typedef struct
{
  gchar *path;
  gint listen, sock;
  GstElement *src;
  GstBus *bus;
  GstHarness *h;
} RawSender;

static void
raw_sender_start (RawSender * r, const gchar * timestamp_mode)
{
  r->path = new_socket_path ();
  r->listen = raw_listen (r->path);
  r->src = gst_element_factory_make ("zcfdsrc", NULL);
  fail_unless (r->src != NULL, "zcfdsrc not found: plugin not built?");
  g_object_set (r->src, "socket-path", r->path, NULL);
  gst_util_set_object_arg (G_OBJECT (r->src), "timestamp-mode",
      timestamp_mode);
  r->bus = gst_bus_new ();
  gst_element_set_bus (r->src, r->bus);
  r->h = gst_harness_new_with_element (r->src, NULL, "src");
  gst_harness_play (r->h);
  /* the source connected when it started */
  r->sock = accept4 (r->listen, NULL, NULL, SOCK_CLOEXEC);
  fail_unless (r->sock >= 0);
}

static void
raw_sender_stop (RawSender * r)
{
  gst_harness_teardown (r->h);
  gst_element_set_bus (r->src, NULL);
  gst_object_unref (r->src);
  gst_object_unref (r->bus);
  close (r->sock);
  close (r->listen);
  unlink (r->path);
  g_free (r->path);
}

static void
raw_send_caps (RawSender * r, const gchar * caps)
{
  guint8 data[512];

  raw_send (r->sock, data, raw_message (data, ZC_FD_MSG_CAPS, caps,
          strlen (caps) + 1, 0), NULL, 0);
}

/* A memfd of @size bytes, pattern-filled, sealed against shrinking
 * (and growing) when @sealed. */
static gint
new_memfd (gsize size, gboolean sealed)
{
  gint fd = memfd_create ("zcfd-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  guint8 *bytes = g_malloc (size);
  gsize i;

  for (i = 0; i < size; i++)
    bytes[i] = i * 13;
  fail_unless (fd >= 0);
  fail_unless (write (fd, bytes, size) == (gssize) size);
  if (sealed)
    fail_unless (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
  g_free (bytes);
  return fd;
}

static ZcFdBufferMsg
frame_message (guint64 id, guint n_memories)
{
  ZcFdBufferMsg m = { 0, };
  guint i;

  m.id = id;
  m.pts = id * FRAME_DURATION;
  m.dts = GST_CLOCK_TIME_NONE;
  m.duration = FRAME_DURATION;
  m.pts_clock = m.dts_clock = GST_CLOCK_TIME_NONE;
  m.flags = GST_BUFFER_FLAG_DISCONT | GST_BUFFER_FLAG_DELTA_UNIT |
      GST_BUFFER_FLAG_TAG_MEMORY;
  m.n_memories = n_memories;
  for (i = 0; i < n_memories; i++) {
    m.memories[i].offset = 0;
    m.memories[i].size = RAW_SIZE / n_memories;
  }
  m.has_video_meta = 1;
  m.format = GST_VIDEO_FORMAT_BGRx;
  m.width = RAW_WIDTH;
  m.height = RAW_HEIGHT;
  m.n_planes = 1;
  m.strides[0] = RAW_WIDTH * 4;
  return m;
}

static void
raw_send_frame (RawSender * r, const ZcFdBufferMsg * m, const gint * fds,
    guint n_fds)
{
  guint8 data[512];

  raw_send (r->sock, data, raw_message (data, ZC_FD_MSG_BUFFER, m,
          sizeof (*m), n_fds), fds, n_fds);
}

/* The release of @id arrives within the watchdog. */
static void
expect_release (RawSender * r, guint64 id)
{
  guint8 data[64];
  const ZcFdHeader *h = (const ZcFdHeader *) data;
  const ZcFdReleaseMsg *rel = (const ZcFdReleaseMsg *) (data + sizeof (*h));
  guint n_fds;

  fail_unless_equals_int (raw_recv (r->sock, data, sizeof (data), &n_fds,
          NULL), sizeof (*h) + sizeof (*rel));
  fail_unless_equals_int (h->magic, ZC_FD_MAGIC);
  fail_unless_equals_int (h->type, ZC_FD_MSG_RELEASE);
  fail_unless_equals_int (n_fds, 0);
  fail_unless_equals_uint64 (rel->id, id);
}

static gboolean
nothing_to_read (gint sock)
{
  struct pollfd pfd = { sock, POLLIN, 0 };

  return poll (&pfd, 1, 0) == 0;
}

GST_START_TEST (test_src_raw_sender)
{
  guint fds_before = zc_test_count_fds ();
  ZcFdBufferMsg m = frame_message (7, 1);
  GstVideoMeta *meta;
  GstMapInfo map;
  GstMemory *mem;
  GstBuffer *buf;
  RawSender r;
  GstEvent *ev;
  gint fd;
  guint i;

  raw_sender_start (&r, "original");
  raw_send_caps (&r, RAW_CAPS);
  fd = new_memfd (RAW_SIZE, TRUE);
  raw_send_frame (&r, &m, &fd, 1);
  buf = gst_harness_pull (r.h);
  fail_unless (buf != NULL);

  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 7 * FRAME_DURATION);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), FRAME_DURATION);
  fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT));
  /* not a flag that travels */
  fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_TAG_MEMORY));
  meta = gst_buffer_get_video_meta (buf);
  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->stride[0], RAW_WIDTH * 4);
  fail_unless_equals_int (meta->width, RAW_WIDTH);
  mem = gst_buffer_peek_memory (buf, 0);
  fail_unless (gst_is_fd_memory (mem));
  fail_if (gst_is_dmabuf_memory (mem));
  fail_unless (GST_MEMORY_IS_READONLY (mem));
  fail_unless_equals_uint64 (inode_of (gst_fd_memory_get_fd (mem)),
      inode_of (fd));
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i < RAW_SIZE; i++)
    fail_unless_equals_int (map.data[i], (guint8) (i * 13));
  gst_buffer_unmap (buf, &map);

  /* released when the frame is freed, not before */
  fail_unless (nothing_to_read (r.sock));
  gst_buffer_unref (buf);
  expect_release (&r, 7);
  close (fd);

  /* two memories: released when the last one goes */
  {
    ZcFdBufferMsg m2 = frame_message (8, 2);
    gint fds[2] = { new_memfd (RAW_SIZE / 2, TRUE),
      new_memfd (RAW_SIZE / 2, TRUE)
    };
    GstMemory *kept;

    raw_send_frame (&r, &m2, fds, 2);
    buf = gst_harness_pull (r.h);
    fail_unless (buf != NULL);
    fail_unless_equals_int (gst_buffer_n_memory (buf), 2);
    kept = gst_buffer_get_memory (buf, 1);
    gst_buffer_unref (buf);
    fail_unless (nothing_to_read (r.sock));
    gst_memory_unref (kept);
    expect_release (&r, 8);
    close (fds[0]);
    close (fds[1]);
  }

  {
    guint8 eos[64];

    raw_send (r.sock, eos, raw_message (eos, ZC_FD_MSG_EOS, NULL, 0, 0),
        NULL, 0);
  }
  while ((ev = gst_harness_pull_event (r.h))) {
    gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;

    gst_event_unref (ev);
    if (eos)
      break;
  }
  fail_unless (gst_bus_pop_filtered (r.bus, GST_MESSAGE_ERROR) == NULL);
  raw_sender_stop (&r);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
}

GST_END_TEST;

/* timestamp-mode=clock: the sender's monotonic presentation instant
 * becomes this pipeline's running time. */
GST_START_TEST (test_src_clock_timestamps)
{
  ZcFdBufferMsg m = frame_message (1, 1);
  GstClockTime base;
  GstBuffer *buf;
  RawSender r;
  gint fd;

  raw_sender_start (&r, "clock");
  gst_harness_use_systemclock (r.h);
  fail_unless (gst_base_src_is_live (GST_BASE_SRC (r.src)));
  raw_send_caps (&r, RAW_CAPS);
  base = gst_element_get_base_time (r.src);
  m.pts_clock = base + 5 * GST_SECOND;
  m.dts_clock = base + 4 * GST_SECOND;
  fd = new_memfd (RAW_SIZE, TRUE);
  raw_send_frame (&r, &m, &fd, 1);
  buf = gst_harness_pull (r.h);
  fail_unless (buf != NULL);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 5 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), 4 * GST_SECOND);
  gst_buffer_unref (buf);
  close (fd);
  raw_sender_stop (&r);
}

GST_END_TEST;

typedef enum
{
  EVIL_SHORT,
  EVIL_MAGIC,
  EVIL_VERSION,
  EVIL_SIZE,
  EVIL_FRAME_BEFORE_CAPS,
  EVIL_CAPS_NOT_STRING,
  EVIL_CAPS_NOT_FIXED,
  EVIL_CAPS_WITH_FD,
  EVIL_EXTRA_FDS,
  EVIL_MISSING_FD,
  EVIL_FLOOD_OF_FDS,
  EVIL_MEMORIES,
  EVIL_PIPE,
  EVIL_REGULAR_FILE,
  EVIL_UNSEALED_MEMFD,
  EVIL_OUTSIDE_FD,
  EVIL_MEMFD_FOR_DMABUF,
  EVIL_STRIDE,
  EVIL_PLANE_OUTSIDE,
  EVIL_META_FORMAT,
  EVIL_FRAME_SIZE,
  EVIL_TYPE,
  EVIL_EOS_PAYLOAD,
  EVIL_HANG_UP,
  N_EVIL
} EvilSender;

static const gchar *evil_debug[N_EVIL] = {
  "short message",
  "bad magic",
  "protocol version",
  "payload bytes",
  "a frame before any caps",
  "not one NUL-terminated string",
  "are not fixed caps",
  "caps came with 1 fds",
  "3 fds for 1 memories",
  "1 fds for 2 memories",
  "more than 16 fds",
  "a frame of 5 memories",
  "a pipe, neither a dma-buf nor a memfd",
  "a regular file, neither a dma-buf nor a memfd",
  "without F_SEAL_SHRINK",
  "do not lie within its memfd",
  "the caps say memory:DMABuf",
  "stride 8 is less than a row",
  "do not lie within the frame",
  "does not match the caps",
  "the caps' frames are 512",
  "message of type 4",
  "EOS with 4 payload bytes",
  "before any caps (the sink may have its max-receivers",
};

/* Sends @evil's message; fills @fds with the ones it sent (to close). */
static guint
send_evil (RawSender * r, EvilSender evil, gint * fds)
{
  ZcFdBufferMsg m = frame_message (1, 1);
  guint8 data[512] = { 0, };
  ZcFdHeader *h = (ZcFdHeader *) data;
  gsize size;
  guint i, n_fds = 1;

  if (evil != EVIL_FRAME_BEFORE_CAPS && evil != EVIL_HANG_UP &&
      evil != EVIL_CAPS_NOT_STRING && evil != EVIL_CAPS_NOT_FIXED &&
      evil != EVIL_CAPS_WITH_FD)
    raw_send_caps (r, evil == EVIL_MEMFD_FOR_DMABUF ?
        "video/x-raw(memory:DMABuf),format=BGRx,width=16,height=8,"
        "framerate=30/1" : RAW_CAPS);
  fds[0] = new_memfd (RAW_SIZE, TRUE);

  switch (evil) {
    case EVIL_EXTRA_FDS:
      fds[1] = new_memfd (RAW_SIZE, TRUE);
      fds[2] = new_memfd (RAW_SIZE, TRUE);
      n_fds = 3;
      break;
    case EVIL_MISSING_FD:
      m = frame_message (1, 2);
      break;
    case EVIL_FLOOD_OF_FDS:
      for (i = 1; i < 20; i++)
        fds[i] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      n_fds = 20;
      break;
    case EVIL_MEMORIES:
      m.n_memories = 5;
      break;
    case EVIL_PIPE:
      close (fds[0]);
      fail_unless (pipe2 (fds, O_CLOEXEC) == 0);
      n_fds = 2;
      m.n_memories = 2;
      break;
    case EVIL_REGULAR_FILE:{
      gchar *file = new_socket_path ();

      close (fds[0]);
      fds[0] = open (file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      fail_unless (fds[0] >= 0);
      fail_unless (ftruncate (fds[0], RAW_SIZE) == 0);
      unlink (file);
      g_free (file);
      break;
    }
    case EVIL_UNSEALED_MEMFD:
      close (fds[0]);
      fds[0] = new_memfd (RAW_SIZE, FALSE);
      break;
    case EVIL_OUTSIDE_FD:
      m.memories[0].offset = 16;
      break;
    case EVIL_STRIDE:
      m.strides[0] = 8;
      break;
    case EVIL_PLANE_OUTSIDE:
      m.offsets[0] = G_MAXUINT64 - 4;
      break;
    case EVIL_META_FORMAT:
      m.format = GST_VIDEO_FORMAT_NV12;
      break;
    case EVIL_FRAME_SIZE:
      m.has_video_meta = 0;
      m.memories[0].size = RAW_SIZE / 2;
      break;
    default:
      break;
  }

  switch (evil) {
    case EVIL_SHORT:
      size = 6;
      break;
    case EVIL_CAPS_NOT_STRING:
      size = raw_message (data, ZC_FD_MSG_CAPS, "video/x-raw", 11, 0);
      n_fds = 0;
      break;
    case EVIL_CAPS_NOT_FIXED:{
      const gchar *caps = "video/x-raw,format=(string){ BGRx, RGBx }";

      size = raw_message (data, ZC_FD_MSG_CAPS, caps, strlen (caps) + 1, 0);
      n_fds = 0;
      break;
    }
    case EVIL_CAPS_WITH_FD:
      size = raw_message (data, ZC_FD_MSG_CAPS, RAW_CAPS,
          strlen (RAW_CAPS) + 1, 1);
      break;
    case EVIL_TYPE:
      size = raw_message (data, ZC_FD_MSG_RELEASE, &m.id, 8, 0);
      n_fds = 0;
      break;
    case EVIL_EOS_PAYLOAD:
      size = raw_message (data, ZC_FD_MSG_EOS, &m.id, 4, 0);
      n_fds = 0;
      break;
    case EVIL_HANG_UP:
      close (fds[0]);
      shutdown (r->sock, SHUT_RDWR);
      return 0;
    default:
      size = raw_message (data, ZC_FD_MSG_BUFFER, &m, sizeof (m), n_fds);
      break;
  }
  if (evil == EVIL_MAGIC)
    h->magic = 0x44434646;
  if (evil == EVIL_VERSION)
    h->version = 0;
  if (evil == EVIL_SIZE)
    h->size += 8;
  raw_send (r->sock, data, size, fds, n_fds);
  if (n_fds == 0)
    close (fds[0]);
  return n_fds;
}

/* Every kind of bad message: a RESOURCE READ error naming the fault, no
 * crash, and every fd that came with it closed. */
GST_START_TEST (test_src_evil_senders)
{
  guint fds_before = zc_test_count_fds ();
  gint evil;

  for (evil = 0; evil < N_EVIL; evil++) {
    gint fds[MAX_RAW_FDS];
    RawSender r;
    guint i, n;

    GST_INFO ("evil sender %d: %s", evil, evil_debug[evil]);
    raw_sender_start (&r, "original");
    n = send_evil (&r, evil, fds);
    expect_message (r.bus, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_READ, evil_debug[evil]);
    fail_unless_equals_int (gst_harness_buffers_received (r.h), 0);
    raw_sender_stop (&r);
    for (i = 0; i < n; i++)
      close (fds[i]);
    /* what the source received, it closed */
    fail_unless_equals_int (zc_test_count_fds (), fds_before);
  }
}

GST_END_TEST;

GST_START_TEST (test_src_no_sink)
{
  GstElement *src = gst_element_factory_make ("zcfdsrc", NULL);
  gchar *path = new_socket_path ();
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (src, bus);
  g_object_set (src, "socket-path", path, NULL);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  expect_message (bus, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "No such file");
  gst_element_set_state (src, GST_STATE_NULL);
  gst_element_set_bus (src, NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  g_free (path);
}

GST_END_TEST;

static Suite *
zcfd_suite (void)
{
  Suite *s = suite_create ("zcfd");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_two_processes_1000_frames);
  tcase_add_test (tc, test_receiver_killed_error);
  tcase_add_test (tc, test_receiver_killed_reconnect);
  tcase_add_test (tc, test_sink_drops_without_receiver);
  tcase_add_test (tc, test_sink_refuses_system_memory);
  tcase_add_test (tc, test_sink_socket_path_errors);
  tcase_add_test (tc, test_sink_raw_receiver);
  tcase_add_test (tc, test_sink_bad_receivers);
  tcase_add_test (tc, test_src_raw_sender);
  tcase_add_test (tc, test_src_clock_timestamps);
  tcase_add_test (tc, test_src_evil_senders);
  tcase_add_test (tc, test_src_no_sink);
  return s;
}

/* GST_CHECK_MAIN, and the receiving process's entry point. */
int
main (int argc, char **argv)
{
  g_setenv (GST_ZC_BACKEND_ENV, "memfd", TRUE);
  if (argc > 1 && g_str_equal (argv[1], RECEIVER_ARG)) {
    gst_check_init (NULL, NULL);
    return run_receiver (argc - 2, argv + 2);
  }
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (zcfd_suite (), "zcfd", __FILE__);
}
