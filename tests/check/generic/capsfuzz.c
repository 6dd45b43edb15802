/* Bad input: random but valid-looking caps and buffers for the elements
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ITERATIONS rounds, each a fresh GstHarness around one of zcaccel,
 * zcthumbnail, zcsnapshot and zcupload, fed caps with a random format of
 * the element's sink template and a random size (1x1, odd sizes, small
 * and HD sizes, 16384x16384), then one buffer that is one of:
 *  - as the caps say (system memory, the exact size),
 *  - smaller than the caps say (a random fraction, possibly 1 byte),
 *  - of the right size with a GstVideoMeta whose strides and plane
 *    offsets are bogus (negative or too small strides, offsets past the
 *    end, a wrong plane count).
 * Input is system memory, so that the ASan build of the suite catches any
 * read or write out of its bounds exactly (memfd or dma-buf mappings are
 * not instrumented).
 *
 * What must hold, every round: no crash and no sanitizer report; caps the
 * element refuses make the buffer come back not-negotiated; a flow error
 * after accepted caps comes with an ERROR message from the element on its
 * bus; every buffer the element makes maps as its caps say and the last
 * byte of each plane can be read; a bad input buffer it passes on
 * unchanged (zcsnapshot) comes with an ERROR or WARNING message.
 *
 * The PRNG seed is printed and can be set with ZC_CAPS_FUZZ_SEED (decimal)
 * to replay a run; the default seed keeps CI reproducible.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>

#include <stdlib.h>
#include <string.h>

#define ITERATIONS 240
#define DEFAULT_SEED 20240229
#define HUGE 16384

static const gchar *elements[] = {
  "zcaccel", "zcthumbnail", "zcsnapshot", "zcupload"
};

typedef enum
{
  BUF_EXACT,
  BUF_SHORT,
  BUF_BOGUS_META,
  N_BUF_KINDS
} BufKind;

static const gchar *buf_kind_names[] = { "exact", "short", "bogus-meta" };

static gchar *tmpdir;

/* ---- random caps ---- */

/* The formats listed in @name's sink template (system memory structure). */
static GPtrArray *
template_formats (const gchar * name)
{
  GstElementFactory *f = gst_element_factory_find (name);
  GPtrArray *formats = g_ptr_array_new_with_free_func (g_free);
  const GList *l;

  fail_unless (f != NULL, "%s is not in the registry", name);
  for (l = gst_element_factory_get_static_pad_templates (f); l; l = l->next) {
    GstStaticPadTemplate *t = l->data;
    GstCaps *caps;
    guint i;

    if (t->direction != GST_PAD_SINK)
      continue;
    caps = gst_static_caps_get (&t->static_caps);
    for (i = 0; i < gst_caps_get_size (caps); i++) {
      const GValue *list =
          gst_structure_get_value (gst_caps_get_structure (caps, i), "format");
      guint j;

      if (list && GST_VALUE_HOLDS_LIST (list) && formats->len == 0)
        for (j = 0; j < gst_value_list_get_size (list); j++)
          g_ptr_array_add (formats, g_value_dup_string
              (gst_value_list_get_value (list, j)));
    }
    gst_caps_unref (caps);
  }
  gst_object_unref (f);
  fail_unless (formats->len > 0, "%s: no formats in its sink template", name);
  return formats;
}

static gint
random_dimension (GRand * rand)
{
  switch (g_rand_int_range (rand, 0, 6)) {
    case 0:
      return 1;
    case 1:
      return g_rand_int_range (rand, 1, 8) * 2 + 1;     /* small, odd */
    case 2:
      return g_rand_int_range (rand, 1, 200);
    case 3:
      return g_rand_int_range (rand, 200, 700) | 1;     /* odd */
    case 4:
      return g_rand_boolean (rand) ? 1920 : 1080;
    default:
      return g_rand_int_range (rand, 2, 64);
  }
}

/* ---- the one buffer of a round ---- */

static GstBuffer *
make_buffer (GRand * rand, const GstVideoInfo * info, BufKind kind)
{
  gsize size = GST_VIDEO_INFO_SIZE (info);
  GstBuffer *buf;
  GstMapInfo map;

  if (kind == BUF_SHORT)
    size = g_rand_boolean (rand) ? 1 : g_rand_int_range (rand, 1, MAX (2,
            size));
  buf = gst_buffer_new_allocate (NULL, size, NULL);
  fail_unless (buf != NULL);
  /* Content is irrelevant but defined (no uninitialised reads). */
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 0x5a, map.size);
  gst_buffer_unmap (buf, &map);

  if (kind == BUF_BOGUS_META) {
    gsize offset[GST_VIDEO_MAX_PLANES] = { 0, };
    gint stride[GST_VIDEO_MAX_PLANES] = { 0, };
    guint n = GST_VIDEO_INFO_N_PLANES (info);
    guint i;

    if (g_rand_int_range (rand, 0, 4) == 0)
      n = g_rand_int_range (rand, 1, GST_VIDEO_MAX_PLANES + 1);
    for (i = 0; i < GST_VIDEO_MAX_PLANES; i++) {
      gint s = GST_VIDEO_INFO_PLANE_STRIDE (info, i);

      switch (g_rand_int_range (rand, 0, 4)) {
        case 0:
          stride[i] = -g_rand_int_range (rand, 1, 4096);
          break;
        case 1:
          stride[i] = g_rand_int_range (rand, 0, MAX (1, s));
          break;
        case 2:
          stride[i] = s + g_rand_int_range (rand, 1, 65536);
          break;
        default:
          stride[i] = s;
      }
      offset[i] = g_rand_boolean (rand) ? GST_VIDEO_INFO_PLANE_OFFSET (info,
          i) : (gsize) g_rand_int_range (rand, 0, G_MAXINT32);
    }
    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info), n, offset, stride);
  }
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

/* Every output buffer maps as its caps say, to the last byte of every
 * plane. */
static void
check_output (GstHarness * h, GstBuffer * out)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  volatile guint8 sink = 0;
  GstVideoFrame frame;
  GstVideoInfo info;
  guint p;

  fail_unless (caps != NULL, "output without caps");
  fail_unless (gst_video_info_from_caps (&info, caps));
  if (!gst_video_frame_map (&frame, &info, out, GST_MAP_READ)) {
    gchar *s = gst_caps_to_string (caps);

    fail ("output buffer of %" G_GSIZE_FORMAT " bytes does not map as %s",
        gst_buffer_get_size (out), s);
    g_free (s);
  }
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gint rows;

    gst_video_format_info_component (info.finfo, p, comp);
    rows = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, comp[0]);
    sink ^= data[0];
    sink ^= data[(gsize) stride * (rows - 1) + ABS (stride) - 1];
  }
  (void) sink;
  gst_video_frame_unmap (&frame);
  gst_caps_unref (caps);
}

/* ---- one round ---- */

static void
fuzz_round (GRand * rand, guint round)
{
  const gchar *name = elements[g_rand_int_range (rand, 0,
          G_N_ELEMENTS (elements))];
  GPtrArray *formats = template_formats (name);
  const gchar *format = g_ptr_array_index (formats,
      g_rand_int_range (rand, 0, formats->len));
  BufKind kind = g_rand_int_range (rand, 0, N_BUF_KINDS);
  gboolean huge = g_rand_int_range (rand, 0, 12) == 0;
  gint width = huge ? HUGE : random_dimension (rand);
  gint height = huge ? HUGE : random_dimension (rand);
  gboolean caps_ok;
  GstFlowReturn ret;
  GstVideoInfo info;
  GstHarness *h;
  GstCaps *caps;
  GstBus *bus;
  GstMessage *err, *warn, *msg;
  GstBuffer *in, *out;
  GstSegment segment;

  /* A 16384x16384 frame that is all there is only cheap to feed to the
   * thumbnailer (bounded sampling); the others get it short. */
  if (huge && kind == BUF_EXACT && !g_str_equal (name, "zcthumbnail"))
    kind = BUF_SHORT;
  /* PNG-encoding big frames under ASan is slow, and not the point. */
  if (g_str_equal (name, "zcsnapshot") && kind == BUF_EXACT) {
    width = MIN (width, 256);
    height = MIN (height, 256);
  }

  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, format,
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
      "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
  GST_INFO ("round %u: %s, %" GST_PTR_FORMAT ", %s buffer", round, name,
      caps, buf_kind_names[kind]);
  fail_unless (gst_video_info_from_caps (&info, caps), "caps %s",
      format);

  h = gst_harness_new (name);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  if (g_str_equal (name, "zcsnapshot")) {
    gchar *loc = g_build_filename (tmpdir, "fuzz-%05d.png", NULL);

    g_object_set (h->element, "location", loc, "interval", 1, NULL);
    g_free (loc);
  }

  fail_unless (gst_harness_push_event (h,
          gst_event_new_stream_start ("capsfuzz")));
  caps_ok = gst_harness_push_event (h, gst_event_new_caps (caps));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));

  in = make_buffer (rand, &info, kind);
  ret = gst_harness_push (h, gst_buffer_ref (in));
  err = warn = NULL;
  /* (gst_bus_pop_filtered() drops what does not match) */
  while ((msg = gst_bus_pop_filtered (bus,
              GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
    GstMessage **slot = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR ?
        &err : &warn;

    if (*slot)
      gst_message_unref (msg);
    else
      *slot = msg;
  }
  GST_INFO ("round %u: caps %s, flow %s, %s%s", round,
      caps_ok ? "accepted" : "refused", gst_flow_get_name (ret),
      err ? "error posted" : "no error", warn ? ", warning posted" : "");

  if (!caps_ok)
    fail_unless (ret == GST_FLOW_NOT_NEGOTIATED || ret < GST_FLOW_EOS,
        "round %u: %s refused the caps but took a buffer (%s)", round,
        name, gst_flow_get_name (ret));
  else if (ret < GST_FLOW_EOS && ret != GST_FLOW_FLUSHING)
    fail_unless (err != NULL, "round %u: %s returned %s without an error "
        "message", round, name, gst_flow_get_name (ret));
  if (err) {
    fail_unless (GST_MESSAGE_SRC (err) == GST_OBJECT (h->element));
    gst_message_unref (err);
  }
  if (warn)
    gst_message_unref (warn);
  /* What the element made must be a whole frame; what it let through
   * (zcsnapshot passes frames on) is the input, and a bad input it let
   * through must have been reported. */
  while ((out = gst_harness_try_pull (h))) {
    if (out != in)
      check_output (h, out);
    else if (kind != BUF_EXACT)
      fail_unless (err || warn, "round %u: %s let a %s buffer through "
          "without a word", round, name, buf_kind_names[kind]);
    gst_buffer_unref (out);
  }
  gst_buffer_unref (in);

  gst_element_set_bus (h->element, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  gst_caps_unref (caps);
  g_ptr_array_unref (formats);
}

GST_START_TEST (test_caps_fuzz)
{
  const gchar *env = g_getenv ("ZC_CAPS_FUZZ_SEED");
  guint32 seed = env ? (guint32) g_ascii_strtoull (env, NULL, 10) :
      DEFAULT_SEED;
  GRand *rand = g_rand_new_with_seed (seed);
  guint i;

  g_print ("capsfuzz: seed %u, %u rounds (ZC_CAPS_FUZZ_SEED=%u replays)\n",
      seed, ITERATIONS, seed);
  for (i = 0; i < ITERATIONS; i++)
    fuzz_round (rand, i);
  g_rand_free (rand);
}

GST_END_TEST;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("zc-capsfuzz-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
teardown (void)
{
  zc_test_remove_dir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static Suite *
capsfuzz_suite (void)
{
  Suite *s = suite_create ("capsfuzz");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_caps_fuzz);
  return s;
}

int
main (int argc, char **argv)
{
  /* zcaccel's and zcupload's own pools use memfds: no dma-buf exporter
   * here. */
  g_setenv ("GST_ZC_BACKEND", "memfd", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (capsfuzz_suite (), "capsfuzz", __FILE__);
}
