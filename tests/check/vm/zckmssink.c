/* Test bed tests of zckmssink: display, zero-copy, fallback, leaks, errors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs as root inside tests/vm (vivid, vgem, virtio-gpu; vkms with the
 * project's own kernel). What reached the screen is read back from the
 * CRTC's framebuffer (drmModeGetFB gives root a handle on it; virtio-gpu
 * buffers are dumb buffers that can be mapped) and, when a host-side
 * helper is attached (tests/check/vm/zckmssink-screendump.sh), from a
 * QEMU screendump of the virtual display itself.
 *
 * vivid's default pattern is 75% colour bars: eight vertical bars of equal
 * width, left to right white, yellow, cyan, green, magenta, red, blue,
 * black, lit channels at 191 (kernel drivers/media/common/v4l2-tpg).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"
#include <gst/check/gstharness.h>
#include <gst/allocators/allocators.h>
#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/videodev2.h>
#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <glib/gstdio.h>

#define WIDTH 640
#define HEIGHT 480
#define N_BARS 8
#define MAX_FB_ID 1024
/* Under TCG a frame takes a while: long enough for slow runs. */
#define WAIT_FRAMES_TIMEOUT (90 * G_USEC_PER_SEC)
#define SCREENDUMP_TIMEOUT (60 * G_USEC_PER_SEC)

/* Devices */

/* Opens @name's card without keeping DRM master: the first opener of a
 * node becomes master, and the sink must be able to. */
static gint
open_card (const gchar * name)
{
  gchar *path = zc_test_find_drm_card (name);
  gint fd;

  fail_unless (path != NULL, "no %s card (see vm/kernelfacts)", name);
  fd = open (path, O_RDWR | O_CLOEXEC);
  fail_unless (fd >= 0, "open %s: %s", path, g_strerror (errno));
  if (drmIsMaster (fd))
    drmDropMaster (fd);
  g_free (path);
  return fd;
}

static gchar *
find_vivid (void)
{
  gint i;

  for (i = 0; i < 64; i++) {
    gchar *path = g_strdup_printf ("/dev/video%d", i);
    gint fd = open (path, O_RDWR | O_CLOEXEC);
    struct v4l2_capability cap;
    gboolean ok;

    memset (&cap, 0, sizeof (cap));
    ok = fd >= 0 && ioctl (fd, VIDIOC_QUERYCAP, &cap) == 0
        && g_str_equal ((const gchar *) cap.driver, "vivid")
        && (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE);
    if (fd >= 0)
      close (fd);
    if (ok)
      return path;
    g_free (path);
  }
  fail ("no vivid capture node (see vm/kernelfacts)");
  return NULL;
}

/* vivid's timestamps: by default the end of the frame's exposure, which
 * vivid places 0.9 frame period after it starts filling the frame, that
 * is after it has handed the frame out: up to 30 ms in the future at
 * 30 fps, ahead of a fast flip, and the sink takes no latency sample from
 * a capture time after the flip. The tests switch vivid to the start of
 * exposure (the time it starts filling the frame), a capture time in the
 * past as a camera's, so that every flip is a sample; the previous
 * setting comes back after the tests. */
#define TSTAMP_SRC_CONTROL "Timestamp Source"
#define TSTAMP_SRC_SOE "Start of Exposure"

static gint tstamp_src_before = -1;

static guint32
find_control (gint fd, const gchar * name)
{
  struct v4l2_queryctrl q;

  memset (&q, 0, sizeof (q));
  q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
  while (ioctl (fd, VIDIOC_QUERYCTRL, &q) == 0) {
    if (g_str_equal ((const gchar *) q.name, name))
      return q.id;
    q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
  }
  return 0;
}

static gint
find_menu_item (gint fd, guint32 id, const gchar * name)
{
  struct v4l2_querymenu m;
  guint i;

  for (i = 0; i < 8; i++) {
    memset (&m, 0, sizeof (m));
    m.id = id;
    m.index = i;
    if (ioctl (fd, VIDIOC_QUERYMENU, &m) == 0
        && g_str_equal ((const gchar *) m.name, name))
      return i;
  }
  return -1;
}

/* Sets vivid's timestamp source to menu item @item (the start of
 * exposure when -1); returns the item it had. */
static gint
set_vivid_tstamp_src (gint item)
{
  gchar *vivid = find_vivid ();
  gint fd = open (vivid, O_RDWR | O_CLOEXEC);
  struct v4l2_control ctrl;
  gint before;

  fail_unless (fd >= 0, "open %s: %s", vivid, g_strerror (errno));
  memset (&ctrl, 0, sizeof (ctrl));
  ctrl.id = find_control (fd, TSTAMP_SRC_CONTROL);
  fail_unless (ctrl.id != 0, "vivid has no \"" TSTAMP_SRC_CONTROL "\"");
  fail_unless (ioctl (fd, VIDIOC_G_CTRL, &ctrl) == 0, "%s", g_strerror (errno));
  before = ctrl.value;
  ctrl.value = item >= 0 ? item : find_menu_item (fd, ctrl.id, TSTAMP_SRC_SOE);
  fail_unless (ctrl.value >= 0, "no \"" TSTAMP_SRC_SOE "\" item");
  fail_unless (ioctl (fd, VIDIOC_S_CTRL, &ctrl) == 0, "%s", g_strerror (errno));
  close (fd);
  g_free (vivid);
  return before;
}

static void
vivid_soe_setup (void)
{
  tstamp_src_before = set_vivid_tstamp_src (-1);
}

static void
vivid_soe_teardown (void)
{
  if (tstamp_src_before >= 0)
    set_vivid_tstamp_src (tstamp_src_before);
}

/* The framebuffers that exist on @fd's device, as a bit set of ids: a
 * framebuffer the sink forgot to remove stays in it. */
static GArray *
list_framebuffers (gint fd)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint32 id;

  for (id = 1; id < MAX_FB_ID; id++) {
    drmModeFB *fb = drmModeGetFB (fd, id);

    if (!fb)
      continue;
    if (fb->handle)
      drmCloseBufferHandle (fd, fb->handle);
    drmModeFreeFB (fb);
    g_array_append_val (ids, id);
  }
  return ids;
}

/* The framebuffers of @fd are those of @before, no more. */
static void
check_same_framebuffers (gint fd, GArray * before)
{
  GArray *after = list_framebuffers (fd);
  guint i;

  for (i = 0; i < after->len; i++)
    GST_INFO ("framebuffer %u exists", g_array_index (after, guint32, i));
  fail_unless_equals_int (after->len, before->len);
  fail_unless (memcmp (after->data, before->data,
          before->len * sizeof (guint32)) == 0);
  g_array_unref (after);
}

/* The CRTC of @fd's first connected connector, as it is now. */
static drmModeCrtc *
get_crtc (gint fd)
{
  drmModeRes *res = drmModeGetResources (fd);
  drmModeCrtc *crtc;

  fail_unless (res != NULL && res->count_crtcs > 0);
  /* virtio-gpu and vkms have one CRTC. */
  crtc = drmModeGetCrtc (fd, res->crtcs[0]);
  drmModeFreeResources (res);
  fail_unless (crtc != NULL);
  return crtc;
}

/* The framebuffer the CRTC scans out, 0 when it is off. */
static guint32
crtc_fb (gint fd)
{
  drmModeCrtc *crtc = get_crtc (fd);
  guint32 fb = crtc->buffer_id;

  drmModeFreeCrtc (crtc);
  return fb;
}

/* Reading what is on screen */

typedef struct
{
  guint width, height, pitch;
  guint8 *pixels;               /* XRGB8888 rows: B, G, R, X bytes */
} Screen;

/* Copies the framebuffer the CRTC of @fd scans out (XRGB8888). */
static void
read_screen (gint fd, Screen * screen)
{
  drmModeCrtc *crtc = get_crtc (fd);
  drmModeFB *fb;
  struct drm_mode_map_dumb map;
  guint8 *data;
  gsize size;

  fail_unless (crtc->buffer_id != 0, "the CRTC shows nothing");
  fb = drmModeGetFB (fd, crtc->buffer_id);
  fail_unless (fb != NULL && fb->handle, "no handle on framebuffer %u",
      crtc->buffer_id);
  fail_unless_equals_int (fb->bpp, 32);
  memset (&map, 0, sizeof (map));
  map.handle = fb->handle;
  fail_unless (drmIoctl (fd, DRM_IOCTL_MODE_MAP_DUMB, &map) == 0, "%s",
      g_strerror (errno));
  size = (gsize) fb->pitch * fb->height;
  data = mmap (NULL, size, PROT_READ, MAP_SHARED, fd, map.offset);
  fail_unless (data != MAP_FAILED, "%s", g_strerror (errno));

  screen->width = fb->width;
  screen->height = fb->height;
  screen->pitch = fb->pitch;
  screen->pixels = g_memdup2 (data, size);
  munmap (data, size);
  drmCloseBufferHandle (fd, fb->handle);
  drmModeFreeFB (fb);
  drmModeFreeCrtc (crtc);
}

static guint32
screen_pixel (const Screen * screen, guint x, guint y)
{
  const guint8 *p = screen->pixels + y * screen->pitch + x * 4;

  return p[0] | (p[1] << 8) | (p[2] << 16);
}

/* Frames the tests push: BGRx (XRGB8888), left half @left, right half
 * @right (0xRRGGBB). */
static void
fill_frame (GstBuffer * buf, const GstVideoInfo * info, guint32 left,
    guint32 right)
{
  GstVideoFrame frame;
  gint x, y, width;

  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE));
  width = GST_VIDEO_FRAME_WIDTH (&frame);
  for (y = 0; y < GST_VIDEO_FRAME_HEIGHT (&frame); y++) {
    guint32 *row = (guint32 *) ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame,
            0) + y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0));

    for (x = 0; x < width; x++)
      row[x] = x < width / 2 ? left : right;
  }
  gst_video_frame_unmap (&frame);
}

/* The sink */

static guint64
get_stat (GstElement * sink, const gchar * name)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (sink, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, name, &v), "no %s in stats", name);
  gst_structure_free (s);
  return v;
}

static void
fail_on_error (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL;

  if (!msg)
    return;
  gst_message_parse_error (msg, &err, &debug);
  fail ("error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
      err->message, GST_STR_NULL (debug));
}

/* A harness on zckmssink, not syncing to the clock (the frames come as
 * fast as the test makes them), with @caps_str. */
static GstHarness *
new_sink_harness (const gchar * props, const gchar * caps_str, GstBus ** bus)
{
  gchar *desc = g_strdup_printf ("zckmssink sync=false %s", props);
  GstHarness *h = gst_harness_new_parse (desc);

  *bus = gst_bus_new ();
  gst_element_set_bus (h->element, *bus);
  gst_harness_set_src_caps_str (h, caps_str);
  g_free (desc);
  return h;
}

static GstElement *
harness_sink (GstHarness * h)
{
  return gst_harness_find_element (h, "zckmssink");
}

/* Stops the sink (to READY: its device stays open) and checks that it
 * removed its framebuffers itself: closing the device would remove them
 * all and hide a leak. */
static void
stop_and_check_framebuffers (GstElement * element, gint card, GArray * before)
{
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  check_same_framebuffers (card, before);
}

static void
teardown_harness (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

/* The pool zckmssink proposes for @caps. */
static GstBufferPool *
proposed_pool (GstHarness * h, GstCaps * caps)
{
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  GstBufferPool *pool = NULL;
  GstAllocator *allocator;

  fail_unless (gst_pad_peer_query (h->srcpad, query));
  fail_unless (gst_query_get_n_allocation_pools (query) > 0,
      "the sink proposed no pool");
  gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
  fail_unless (GST_IS_ZC_BUFFER_POOL (pool));
  allocator = gst_zc_buffer_pool_get_allocator (GST_ZC_BUFFER_POOL (pool));
  fail_unless_equals_int (gst_zc_dmabuf_allocator_get_backend
      (GST_ZC_DMABUF_ALLOCATOR (allocator)), GST_ZC_BACKEND_DRM);
  gst_object_unref (allocator);
  gst_query_unref (query);
  return pool;
}

static const gchar *bgrx_caps = "video/x-raw(memory:DMABuf), format=BGRx, "
    "width=640, height=480, framerate=30/1";
static const gchar *bgrx_sysmem_caps = "video/x-raw, format=BGRx, "
    "width=640, height=480, framerate=30/1";

/* Pushes @n frames from the sink's own pool; returns the pool's size. */
static guint
push_pool_frames (GstHarness * h, GstBus * bus, guint n)
{
  GstCaps *caps = gst_caps_from_string (bgrx_caps);
  GstBufferPool *pool = proposed_pool (h, caps);
  GstVideoInfo info;
  guint i, allocated;

  gst_video_info_from_caps (&info, caps);
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  for (i = 0; i < n; i++) {
    GstBuffer *buf = NULL;

    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf,
            NULL), GST_FLOW_OK);
    fail_unless (gst_is_dmabuf_memory (gst_buffer_peek_memory (buf, 0)));
    fill_frame (buf, &info, 0xff0000, 0x0000ff);
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    if (gst_harness_push (h, buf) != GST_FLOW_OK)
      fail_on_error (bus);
  }
  allocated = gst_zc_buffer_pool_get_n_allocated (GST_ZC_BUFFER_POOL (pool));
  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
  gst_caps_unref (caps);
  return allocated;
}

static void
check_red_blue_screen (gint card, guint width, guint height)
{
  Screen screen;

  read_screen (card, &screen);
  fail_unless_equals_int (screen.width, width);
  fail_unless_equals_int (screen.height, height);
  fail_unless_equals_int (screen_pixel (&screen, 10, height / 2), 0xff0000);
  fail_unless_equals_int (screen_pixel (&screen, width - 10, height / 2),
      0x0000ff);
  g_free (screen.pixels);
}

/* Frames written into the sink's own scanout buffers are shown without a
 * copy, on virtio-gpu, which imports no foreign dma-buf; each pool buffer
 * is imported once, then found in the cache. */
static void
own_pool_zero_copy (const gchar * atomic)
{
  gint card = open_card ("virtio_gpu");
  GArray *fbs_before = list_framebuffers (card);
  guint32 crtc_before = crtc_fb (card);
  guint fds_before = zc_test_count_fds (), pool_size;
  gchar *props = g_strdup_printf ("driver-name=virtio_gpu atomic=%s", atomic);
  GstHarness *h;
  GstElement *sink;
  GstBus *bus;

  h = new_sink_harness (props, bgrx_caps, &bus);
  sink = harness_sink (h);
  pool_size = push_pool_frames (h, bus, 20);
  fail_on_error (bus);

  fail_unless_equals_uint64 (get_stat (sink, "frames-shown"), 20);
  fail_unless_equals_uint64 (get_stat (sink, "copies"), 0);
  fail_unless_equals_uint64 (get_stat (sink, "bytes-copied"), 0);
  fail_unless (pool_size >= 2 && pool_size <= 4, "pool of %u", pool_size);
  fail_unless_equals_uint64 (get_stat (sink, "imports"), pool_size);
  fail_unless_equals_uint64 (get_stat (sink, "cache-hits"), 20 - pool_size);
  fail_unless (get_stat (sink, "flips") >= 19);
  check_red_blue_screen (card, WIDTH, HEIGHT);
  g_print ("own pool (atomic=%s): 20 frames, %u buffers imported once, "
      "0 copies\n", atomic, pool_size);

  /* Stopped: framebuffers removed, CRTC back as it was (the kernel's
   * fbdev console, or off), nothing left open. */
  stop_and_check_framebuffers (h->element, card, fbs_before);
  gst_object_unref (sink);
  teardown_harness (h, bus);
  check_same_framebuffers (card, fbs_before);
  fail_unless_equals_int (crtc_fb (card), crtc_before);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
  g_array_unref (fbs_before);
  g_free (props);
  close (card);
}

GST_START_TEST (test_own_pool_zero_copy_atomic)
{
  own_pool_zero_copy ("true");
}

GST_END_TEST;

GST_START_TEST (test_own_pool_zero_copy_legacy)
{
  own_pool_zero_copy ("false");
}

GST_END_TEST;

/* A producer of ever new dma-bufs (here: 40 buffers of the sink's pool,
 * all kept alive) does not pin a framebuffer for each: the cache keeps the
 * most recent ones (16) and removes the others. */
GST_START_TEST (test_cache_bounded)
{
  gint card = open_card ("virtio_gpu");
  GArray *fbs_before = list_framebuffers (card), *fbs;
  GstCaps *caps = gst_caps_from_string (bgrx_caps);
  GstBuffer *bufs[40];
  GstBufferPool *pool;
  GstHarness *h;
  GstElement *sink;
  GstBus *bus;
  GstVideoInfo info;
  guint i;

  h = new_sink_harness ("", bgrx_caps, &bus);
  sink = harness_sink (h);
  pool = proposed_pool (h, caps);
  gst_video_info_from_caps (&info, caps);
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  for (i = 0; i < G_N_ELEMENTS (bufs); i++) {
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &bufs[i],
            NULL), GST_FLOW_OK);
    fill_frame (bufs[i], &info, 0xff0000, 0x0000ff);
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (bufs[i])),
        GST_FLOW_OK);
  }
  fail_on_error (bus);
  fail_unless_equals_uint64 (get_stat (sink, "imports"), 40);
  fail_unless_equals_uint64 (get_stat (sink, "copies"), 0);
  fbs = list_framebuffers (card);
  fail_unless (fbs->len <= fbs_before->len + 16 + 1, "%u framebuffers",
      fbs->len);
  g_array_unref (fbs);

  stop_and_check_framebuffers (h->element, card, fbs_before);
  for (i = 0; i < G_N_ELEMENTS (bufs); i++)
    gst_buffer_unref (bufs[i]);
  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
  gst_caps_unref (caps);
  gst_object_unref (sink);
  teardown_harness (h, bus);
  g_array_unref (fbs_before);
  close (card);
}

GST_END_TEST;

/* System memory: the counted fallback, into the sink's own buffers. */
static void
system_memory_fallback (const gchar * atomic)
{
  gint card = open_card ("virtio_gpu");
  gchar *props = g_strdup_printf ("atomic=%s", atomic);
  GstVideoInfo info;
  GstHarness *h;
  GstElement *sink;
  GstBus *bus;
  guint i;

  h = new_sink_harness (props, bgrx_sysmem_caps, &bus);
  sink = harness_sink (h);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRx, WIDTH, HEIGHT);
  for (i = 0; i < 10; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, info.size, NULL);

    fill_frame (buf, &info, 0xff0000, 0x0000ff);
    if (gst_harness_push (h, buf) != GST_FLOW_OK)
      fail_on_error (bus);
  }
  fail_on_error (bus);
  fail_unless_equals_uint64 (get_stat (sink, "frames-shown"), 10);
  fail_unless_equals_uint64 (get_stat (sink, "copies"), 10);
  fail_unless_equals_uint64 (get_stat (sink, "bytes-copied"),
      10 * WIDTH * HEIGHT * 4);
  /* The copies go into a few scanout buffers, imported once each. */
  fail_unless (get_stat (sink, "imports") <= 4);
  check_red_blue_screen (card, WIDTH, HEIGHT);

  gst_object_unref (sink);
  teardown_harness (h, bus);
  g_free (props);
  close (card);
}

GST_START_TEST (test_system_memory_fallback_atomic)
{
  system_memory_fallback ("true");
}

GST_END_TEST;

GST_START_TEST (test_system_memory_fallback_legacy)
{
  system_memory_fallback ("false");
}

GST_END_TEST;

/* A mode larger than the frames on a plane that can neither scale nor
 * place (virtio-gpu's primary): the frame is centred on black, not
 * refused. */
static void
centred_in_larger_mode (const gchar * atomic)
{
  gint card = open_card ("virtio_gpu");
  gchar *props = g_strdup_printf ("mode=800x600 atomic=%s", atomic);
  GstHarness *h;
  GstElement *sink;
  GstBus *bus;
  Screen screen;
  drmModeCrtc *crtc;

  h = new_sink_harness (props, bgrx_caps, &bus);
  sink = harness_sink (h);
  push_pool_frames (h, bus, 5);
  fail_on_error (bus);
  fail_unless_equals_uint64 (get_stat (sink, "frames-shown"), 5);

  crtc = get_crtc (card);
  fail_unless (crtc->mode_valid);
  fail_unless_equals_int (crtc->mode.hdisplay, 800);
  fail_unless_equals_int (crtc->mode.vdisplay, 600);
  drmModeFreeCrtc (crtc);
  read_screen (card, &screen);
  fail_unless_equals_int (screen.width, 800);
  /* 640x480 at (80, 60): black around it. */
  fail_unless_equals_int (screen_pixel (&screen, 40, 300), 0);
  fail_unless_equals_int (screen_pixel (&screen, 400, 30), 0);
  fail_unless_equals_int (screen_pixel (&screen, 760, 300), 0);
  fail_unless_equals_int (screen_pixel (&screen, 90, 300), 0xff0000);
  fail_unless_equals_int (screen_pixel (&screen, 710, 300), 0x0000ff);
  g_free (screen.pixels);
  /* Composing copies (the frame, not the borders), and says so. */
  fail_unless_equals_uint64 (get_stat (sink, "copies"), 5);
  fail_unless_equals_uint64 (get_stat (sink, "bytes-copied"),
      5 * WIDTH * HEIGHT * 4);

  gst_object_unref (sink);
  teardown_harness (h, bus);
  g_free (props);
  close (card);
}

GST_START_TEST (test_centred_in_larger_mode_atomic)
{
  centred_in_larger_mode ("true");
}

GST_END_TEST;

GST_START_TEST (test_centred_in_larger_mode_legacy)
{
  centred_in_larger_mode ("false");
}

GST_END_TEST;

static void
push_system_frames (GstHarness * h, GstBus * bus, guint width, guint height,
    guint n)
{
  GstVideoInfo info;
  guint i;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRx, width, height);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, info.size, NULL);

    fill_frame (buf, &info, 0xff0000, 0x0000ff);
    if (gst_harness_push (h, buf) != GST_FLOW_OK)
      fail_on_error (bus);
  }
  fail_on_error (bus);
}

/* New caps in the middle of the stream: a new layout (here a new mode of
 * the new size), the old framebuffers go, none is left at the end. */
GST_START_TEST (test_caps_change)
{
  gint card = open_card ("virtio_gpu");
  GArray *fbs_before = list_framebuffers (card);
  guint32 crtc_before = crtc_fb (card);
  GstHarness *h;
  GstElement *sink;
  GstBus *bus;
  drmModeCrtc *crtc;

  h = new_sink_harness ("", bgrx_sysmem_caps, &bus);
  sink = harness_sink (h);
  push_system_frames (h, bus, WIDTH, HEIGHT, 3);
  check_red_blue_screen (card, WIDTH, HEIGHT);
  push_system_frames (h, bus, 800, 600, 3);
  check_red_blue_screen (card, 800, 600);
  crtc = get_crtc (card);
  fail_unless_equals_int (crtc->mode.hdisplay, 800);
  drmModeFreeCrtc (crtc);
  fail_unless_equals_uint64 (get_stat (sink, "frames-shown"), 6);
  fail_unless_equals_uint64 (get_stat (sink, "bytes-copied"),
      3 * WIDTH * HEIGHT * 4 + 3 * 800 * 600 * 4);

  stop_and_check_framebuffers (h->element, card, fbs_before);
  gst_object_unref (sink);
  teardown_harness (h, bus);
  check_same_framebuffers (card, fbs_before);
  fail_unless_equals_int (crtc_fb (card), crtc_before);
  g_array_unref (fbs_before);
  close (card);
}

GST_END_TEST;

/* Pipelines with vivid */

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  GstBus *bus;
} Pipeline;

/* zcv4l2src on vivid followed by @more (its properties, or links to
 * elements in between), then zckmssink with @sink_props. */
static void
start_vivid_with (Pipeline * p, const gchar * more, const gchar * sink_props)
{
  gchar *vivid = find_vivid ();
  gchar *desc = g_strdup_printf ("zcv4l2src device=%s %s ! zckmssink "
      "name=sink %s", vivid, more, sink_props);
  GError *error = NULL;

  p->pipeline = gst_parse_launch (desc, &error);
  fail_unless (p->pipeline != NULL, "%s", error ? error->message : "");
  p->sink = gst_bin_get_by_name (GST_BIN (p->pipeline), "sink");
  p->bus = gst_element_get_bus (p->pipeline);
  fail_if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  g_free (desc);
  g_free (vivid);
}

static void
start_vivid (Pipeline * p, const gchar * sink_props)
{
  start_vivid_with (p, "", sink_props);
}

static void
wait_frames (Pipeline * p, guint64 n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_FRAMES_TIMEOUT;

  while (get_stat (p->sink, "frames-shown") < n) {
    fail_on_error (p->bus);
    fail_unless (g_get_monotonic_time () < deadline, "only %" G_GUINT64_FORMAT
        " frames shown", get_stat (p->sink, "frames-shown"));
    g_usleep (50 * 1000);
  }
}

static void
stop_pipeline (Pipeline * p)
{
  fail_on_error (p->bus);
  fail_unless_equals_int (gst_element_set_state (p->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (p->sink);
  gst_object_unref (p->bus);
  gst_object_unref (p->pipeline);
}

/* Latency stays under this even under TCG; a clock mix-up (capture times
 * of another clock) would be off by far more. */
#define MAX_LATENCY_US (5.0 * G_USEC_PER_SEC)

/* Every frame vivid captured carries its capture time, in the past
 * (vivid_soe_setup()), so every completed flip is a latency sample; the
 * figures are ordered and sane. Returns the mean in microseconds. */
static gdouble
check_latency (GstElement * sink, const gchar * what)
{
  GstStructure *s;
  guint64 samples = 0, flips = 0;
  gdouble avg = 0, p99 = 0, max = 0;

  g_object_get (sink, "stats", &s, NULL);
  fail_unless (gst_structure_get (s, "latency-samples", G_TYPE_UINT64,
          &samples, "flips", G_TYPE_UINT64, &flips, "latency-avg-us",
          G_TYPE_DOUBLE, &avg, "latency-p99-us", G_TYPE_DOUBLE, &p99,
          "latency-max-us", G_TYPE_DOUBLE, &max, NULL), "no latency in %"
      GST_PTR_FORMAT, s);
  gst_structure_free (s);

  fail_unless (samples > 0, "%s: no latency sample", what);
  fail_unless_equals_uint64 (samples, flips);
  fail_unless (avg > 0 && avg <= p99 && p99 <= max, "%s: latency avg %.0f "
      "p99 %.0f max %.0f us", what, avg, p99, max);
  fail_unless (max < MAX_LATENCY_US, "%s: latency max %.0f us", what, max);
  g_print ("%s: capture-to-flip latency over %" G_GUINT64_FORMAT " frames: "
      "avg %.1f ms, p99 %.1f ms, max %.1f ms\n", what, samples, avg / 1000,
      p99 / 1000, max / 1000);
  return avg;
}

static gchar *
sink_string (GstElement * sink, const gchar * name)
{
  gchar *value = NULL;

  g_object_get (sink, name, &value, NULL);
  return value;
}

static void
check_screen_bars (gint card)
{
  Screen screen;
  guint bar;

  read_screen (card, &screen);
  fail_unless_equals_int (screen.width, WIDTH);
  fail_unless_equals_int (screen.height, HEIGHT);
  for (bar = 0; bar < N_BARS; bar++) {
    guint32 px = screen_pixel (&screen, (2 * bar + 1) * WIDTH / (2 * N_BARS),
        HEIGHT / 2);
    guint rgb[3] = { (px >> 16) & 0xff, (px >> 8) & 0xff, px & 0xff };

    zc_test_check_vivid_bar (bar, rgb, "scanout buffer");
  }
  g_free (screen.pixels);
}

/* Screendump: run.sh reads QEMU's display on the host */

/* A binary PPM (P6, maxval 255) as RGB bytes; fails on anything else. */
static guint8 *
read_ppm (const gchar * path, guint * width, guint * height)
{
  gchar *data = NULL;
  gsize len = 0;
  guint maxval = 0;
  gint header = 0;
  guint8 *pixels;

  fail_unless (g_file_get_contents (path, &data, &len, NULL), "cannot read "
      "%s", path);
  fail_unless (sscanf (data, "P6 %u %u %u%n", width, height, &maxval,
          &header) == 3, "%s is not a binary PPM", path);
  fail_unless_equals_int (maxval, 255);
  header++;                     /* the single whitespace after maxval */
  fail_unless (len >= header + (gsize) * width * *height * 3);
  pixels = g_memdup2 (data + header, (gsize) * width * *height * 3);
  g_free (data);
  return pixels;
}

/* Asks the test bed's run.sh for a QEMU screendump of the running display
 * (a request file in the share), waits for it and checks the bars in it. */
static void
check_screendump (const gchar * dir)
{
  gchar *request = g_build_filename (dir, "request", NULL);
  gchar *tmp = g_build_filename (dir, "request.tmp", NULL);
  gchar *ppm = g_build_filename (dir, "screen.ppm", NULL);
  gchar *done = g_build_filename (dir, "done", NULL);
  gint64 deadline = g_get_monotonic_time () + SCREENDUMP_TIMEOUT;
  guint width, height;
  guint8 *pixels;

  g_unlink (done);
  fail_unless (g_file_set_contents (tmp, ppm, -1, NULL));
  fail_unless (g_rename (tmp, request) == 0);
  while (!g_file_test (done, G_FILE_TEST_EXISTS)) {
    fail_unless (g_get_monotonic_time () < deadline, "no screendump came "
        "(does tests/vm/run.sh serve ZC_VM_SCREENDUMP_DIR?)");
    g_usleep (100 * 1000);
  }

  pixels = read_ppm (ppm, &width, &height);
  fail_unless_equals_int (width, WIDTH);
  fail_unless_equals_int (height, HEIGHT);
  zc_test_check_vivid_bars (pixels, width, height, width * 3,
      "QEMU screendump");
  g_print ("QEMU screendump %ux%u shows vivid's eight colour bars\n", width,
      height);
  g_free (pixels);
  g_free (done);
  g_free (ppm);
  g_free (tmp);
  g_free (request);
}

/* zcv4l2src ! zckmssink, nothing set: the display found is virtio-gpu,
 * vivid's bars reach the screen, and since virtio-gpu imports no foreign
 * dma-buf every frame went through the counted copy. */
GST_START_TEST (test_default_display)
{
  const gchar *dump_dir = g_getenv ("ZC_VM_SCREENDUMP_DIR");
  gint card = open_card ("virtio_gpu");
  GArray *fbs_before = list_framebuffers (card);
  guint32 crtc_before = crtc_fb (card);
  guint fds_before = zc_test_count_fds ();
  GstStructure *stats;
  guint64 shown, copies, bytes;
  gchar *driver, *text;
  Pipeline p;

  start_vivid (&p, "");
  wait_frames (&p, 20);
  driver = sink_string (p.sink, "driver-name");
  fail_unless_equals_string (driver, "virtio_gpu");
  check_screen_bars (card);
  if (dump_dir)
    check_screendump (dump_dir);
  else
    g_print ("no screendump helper attached: the display was checked from "
        "its scanout buffer only\n");

  g_object_get (p.sink, "stats", &stats, NULL);
  fail_unless (gst_structure_get (stats, "frames-shown", G_TYPE_UINT64,
          &shown, "copies", G_TYPE_UINT64, &copies, "bytes-copied",
          G_TYPE_UINT64, &bytes, NULL));
  fail_unless_equals_uint64 (copies, shown);
  fail_unless_equals_uint64 (bytes, shown * WIDTH * HEIGHT * 4);
  fail_unless (get_stat (p.sink, "imports") <= 4);
  /* The copies carry their frames' capture times. */
  check_latency (p.sink, "vivid -> virtio-gpu (copied)");
  text = gst_structure_to_string (stats);
  g_print ("vivid -> virtio-gpu: %" G_GUINT64_FORMAT " frames, %"
      G_GUINT64_FORMAT " copies (%s)\n", shown, copies, text);
  g_free (text);
  gst_structure_free (stats);
  stop_and_check_framebuffers (p.pipeline, card, fbs_before);
  stop_pipeline (&p);

  check_same_framebuffers (card, fbs_before);
  fail_unless_equals_int (crtc_fb (card), crtc_before);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
  g_array_unref (fbs_before);
  g_free (driver);
  close (card);
}

GST_END_TEST;

/* vkms imports vivid's dma-bufs: zero copies, each buffer imported once. */
GST_START_TEST (test_vkms_imports_vivid)
{
  gchar *vkms = zc_test_find_drm_card ("vkms");
  guint64 imports, hits;
  Pipeline p;

  if (!vkms) {
    g_print ("no vkms in this kernel: direct import not tested\n");
    return;
  }
  start_vivid (&p, "driver-name=vkms");
  wait_frames (&p, 20);
  imports = get_stat (p.sink, "imports");
  hits = get_stat (p.sink, "cache-hits");
  fail_unless_equals_uint64 (get_stat (p.sink, "copies"), 0);
  /* zcv4l2src's buffers: a handful, each imported once. */
  fail_unless (imports >= 2 && imports <= 8, "%" G_GUINT64_FORMAT, imports);
  fail_unless (hits >= 20 - imports);
  wait_frames (&p, 30);
  fail_unless_equals_uint64 (get_stat (p.sink, "imports"), imports);
  fail_unless (get_stat (p.sink, "cache-hits") > hits);
  check_latency (p.sink, "vivid -> vkms (imported)");
  g_print ("vivid -> vkms: %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
      " imports, 0 copies\n", get_stat (p.sink, "frames-shown"), imports);
  stop_pipeline (&p);
  g_free (vkms);
}

GST_END_TEST;

/* Capture-to-flip latency where no frame is copied: vivid captures into
 * the display's scanout buffers (io-mode=dmabuf-import), and zcaccel
 * writes into them; the capture time crosses zcaccel. The stats start
 * again from zero when the sink starts again. */
GST_START_TEST (test_latency_zero_copy)
{
  GstElementFactory *accel = gst_element_factory_find ("zcaccel");
  guint64 samples = 1, shown = 1;
  GstStructure *stats;
  GstCaps *caps;
  GstPad *pad;
  gchar *text;
  Pipeline p;

  start_vivid_with (&p, "io-mode=dmabuf-import", "");
  wait_frames (&p, 30);
  fail_unless_equals_uint64 (get_stat (p.sink, "copies"), 0);
  check_latency (p.sink, "vivid -> virtio-gpu (captured into scanout)");
  /* Started again (a live source sends nothing in PAUSED): nothing. */
  fail_unless_equals_int (gst_element_set_state (p.pipeline,
          GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  fail_if (gst_element_set_state (p.pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  g_object_get (p.sink, "stats", &stats, NULL);
  fail_unless (gst_structure_get (stats, "latency-samples", G_TYPE_UINT64,
          &samples, "frames-shown", G_TYPE_UINT64, &shown, NULL));
  fail_unless_equals_uint64 (samples, 0);
  fail_unless_equals_uint64 (shown, 0);
  gst_structure_free (stats);
  stop_pipeline (&p);

  if (!accel) {
    g_print ("no zcaccel built: latency through it not tested\n");
    return;
  }
  gst_object_unref (accel);
  /* No caps filter: the test runs without the system's plugins. */
  start_vivid_with (&p, "! zcaccel", "");
  wait_frames (&p, 30);
  fail_unless_equals_uint64 (get_stat (p.sink, "copies"), 0);
  pad = gst_element_get_static_pad (p.sink, "sink");
  caps = gst_pad_get_current_caps (pad);
  text = gst_caps_to_string (caps);
  g_print ("zcaccel -> zckmssink: %s\n", text);
  check_latency (p.sink, "vivid -> zcaccel -> virtio-gpu");
  g_free (text);
  gst_caps_unref (caps);
  gst_object_unref (pad);
  stop_pipeline (&p);
}

GST_END_TEST;

/* PLAYING to NULL again and again leaks no fd, framebuffer or CRTC. */
GST_START_TEST (test_play_stop_loops)
{
  gint card = open_card ("virtio_gpu");
  GArray *fbs_before = list_framebuffers (card);
  guint32 crtc_before = crtc_fb (card);
  guint fds_before = 0, i;
  Pipeline p;

  for (i = 0; i < 4; i++) {
    start_vivid (&p, "");
    wait_frames (&p, 3);
    fail_unless (crtc_fb (card) != crtc_before);
    stop_and_check_framebuffers (p.pipeline, card, fbs_before);
    stop_pipeline (&p);
    fail_unless_equals_int (crtc_fb (card), crtc_before);
    check_same_framebuffers (card, fbs_before);
    /* The first round loads plugins and opens the registry. */
    if (i == 0)
      fds_before = zc_test_count_fds ();
    else
      fail_unless_equals_int (zc_test_count_fds (), fds_before);
  }
  g_array_unref (fbs_before);
  close (card);
}

GST_END_TEST;

/* Errors */

static gchar *
ready_fails (const gchar * props, gint code)
{
  gchar *desc = g_strdup_printf ("zckmssink %s", props);
  GstElement *sink = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless (sink != NULL);
  gst_element_set_bus (sink, bus);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error on the bus", props);
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (err->domain == GST_RESOURCE_ERROR, "%s", err->message);
  fail_unless_equals_int (err->code, code);
  g_print ("%s: \"%s\" (%s)\n", props, err->message, debug);

  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  g_free (desc);
  return debug;
}

GST_START_TEST (test_errors)
{
  guint fds_before = zc_test_count_fds ();
  gchar *debug;

  debug = ready_fails ("connector-id=9999", GST_RESOURCE_ERROR_SETTINGS);
  fail_unless (strstr (debug, "9999") && strstr (debug, "connected"), "%s",
      debug);
  g_free (debug);
  debug = ready_fails ("mode=1234x567", GST_RESOURCE_ERROR_SETTINGS);
  /* The modes that exist are listed. */
  fail_unless (strstr (debug, "640x480") != NULL, "%s", debug);
  g_free (debug);
  debug = ready_fails ("mode=1280x800@7", GST_RESOURCE_ERROR_SETTINGS);
  g_free (debug);
  debug = ready_fails ("mode=huge", GST_RESOURCE_ERROR_SETTINGS);
  g_free (debug);
  debug = ready_fails ("plane-id=9999", GST_RESOURCE_ERROR_SETTINGS);
  g_free (debug);
  /* vgem has no display. */
  debug = ready_fails ("driver-name=vgem", GST_RESOURCE_ERROR_NOT_FOUND);
  g_free (debug);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);
}

GST_END_TEST;

/* The virtio device virtio-gpu drives ("virtio0"), from sysfs. */
static gchar *
virtio_gpu_device (void)
{
  GDir *dir = g_dir_open ("/sys/bus/virtio/drivers/virtio_gpu", 0, NULL);
  const gchar *name;
  gchar *found = NULL;

  fail_unless (dir != NULL, "no virtio_gpu driver in sysfs");
  while ((name = g_dir_read_name (dir)) && !found)
    if (g_str_has_prefix (name, "virtio"))
      found = g_strdup (name);
  g_dir_close (dir);
  fail_unless (found != NULL, "virtio_gpu drives no device");
  return found;
}

/* sysfs attributes take one write(): no temporary file and rename. */
static void
write_sysfs (const gchar * path, const gchar * value)
{
  gint fd = open (path, O_WRONLY | O_CLOEXEC);

  fail_unless (fd >= 0, "%s: %s", path, g_strerror (errno));
  fail_unless (write (fd, value, strlen (value)) == (gssize) strlen (value),
      "%s: %s", path, g_strerror (errno));
  close (fd);
}

/* The display unplugged while playing (the driver unbound): an error on
 * the bus, no crash, and a clean stop. Last of the suite: it takes
 * virtio-gpu away and binds it again. */
GST_START_TEST (test_device_goes_away)
{
  gchar *device = virtio_gpu_device (), *path;
  guint fds_before = zc_test_count_fds (), i;
  GstFlowReturn ret = GST_FLOW_OK;
  GstVideoInfo info;
  GstHarness *h;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  h = new_sink_harness ("driver-name=virtio_gpu", bgrx_sysmem_caps, &bus);
  push_system_frames (h, bus, WIDTH, HEIGHT, 3);
  write_sysfs ("/sys/bus/virtio/drivers/virtio_gpu/unbind", device);

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRx, WIDTH, HEIGHT);
  for (i = 0; i < 10 && ret == GST_FLOW_OK; i++)
    ret = gst_harness_push (h, gst_buffer_new_allocate (NULL, info.size, NULL));
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_WRITE), "%s", err->message);
  fail_unless (strstr (err->message, "went away") != NULL, "%s", err->message);
  g_print ("display unplugged: \"%s\"\n", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  teardown_harness (h, bus);
  fail_unless_equals_int (zc_test_count_fds (), fds_before);

  write_sysfs ("/sys/bus/virtio/drivers/virtio_gpu/bind", device);
  for (i = 0; i < 50 && !(path = zc_test_find_drm_card ("virtio_gpu")); i++)
    g_usleep (100 * 1000);
  fail_unless (path != NULL, "virtio-gpu did not come back");
  g_free (path);
  g_free (device);
}

GST_END_TEST;

/* Caps offer what the plane scans out: virtio-gpu takes only XRGB8888. */
GST_START_TEST (test_caps_from_plane)
{
  GstElement *sink = gst_element_factory_make ("zckmssink", NULL);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstCaps *caps, *nv12;

  g_object_set (sink, "driver-name", "virtio_gpu", NULL);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  caps = gst_pad_query_caps (pad, NULL);
  GST_INFO ("virtio-gpu caps %" GST_PTR_FORMAT, caps);
  fail_unless_equals_int (gst_caps_get_size (caps), 4);
  fail_unless_equals_string (gst_structure_get_string (gst_caps_get_structure
          (caps, 0), "format"), "BGRx");
  nv12 = gst_caps_from_string ("video/x-raw, format=NV12");
  fail_if (gst_caps_can_intersect (caps, nv12));
  gst_caps_unref (nv12);
  gst_caps_unref (caps);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

GST_END_TEST;

static Suite *
zckmssink_vm_suite (void)
{
  Suite *s = suite_create ("zckmssink-vm");
  TCase *tc = tcase_create ("display");

  suite_add_tcase (s, tc);
  tcase_add_unchecked_fixture (tc, vivid_soe_setup, vivid_soe_teardown);
  tcase_add_test (tc, test_default_display);
  tcase_add_test (tc, test_vkms_imports_vivid);
  tcase_add_test (tc, test_own_pool_zero_copy_atomic);
  tcase_add_test (tc, test_own_pool_zero_copy_legacy);
  tcase_add_test (tc, test_cache_bounded);
  tcase_add_test (tc, test_system_memory_fallback_atomic);
  tcase_add_test (tc, test_system_memory_fallback_legacy);
  tcase_add_test (tc, test_centred_in_larger_mode_atomic);
  tcase_add_test (tc, test_centred_in_larger_mode_legacy);
  tcase_add_test (tc, test_caps_change);
  tcase_add_test (tc, test_play_stop_loops);
  tcase_add_test (tc, test_latency_zero_copy);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_caps_from_plane);
  tcase_add_test (tc, test_device_goes_away);
  return s;
}

GST_CHECK_MAIN (zckmssink_vm);
