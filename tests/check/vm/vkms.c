/* Test bed: vkms imports and scans out foreign dma-bufs (vivid's, the drm backend's on vgem); virtio-gpu refuses them
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A KMS display that can scan out a dma-buf made elsewhere is what makes
 * capture-to-display zero-copy. vkms (own kernel) can: PRIME import plus
 * an AddFB2 of the imported handle, and its writeback connector shows
 * what it scanned out, so the tests compare pixels. virtio-gpu (6.1)
 * cannot import a foreign dma-buf at all: DRM_IOCTL_PRIME_FD_TO_HANDLE
 * answers ENODEV, so a sink on it must offer its own buffers upstream or
 * copy.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "zctestutils.h"
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/videodev2.h>
#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#define WIDTH 640
#define HEIGHT 480
#define N_VIVID_BUFFERS 2

/* The /dev/dri/cardN whose driver is @name; fails the test if none. */
static gchar *
find_card (const gchar * name)
{
  gchar *path = zc_test_find_drm_card (name);

  fail_unless (path != NULL, "no DRM device of driver '%s' in /dev/dri "
      "(see vm/kernelfacts)", name);
  return path;
}

static gint
open_card (const gchar * name)
{
  gchar *path = find_card (name);
  gint fd = open (path, O_RDWR | O_CLOEXEC);

  fail_unless (fd >= 0, "open %s: %s", path, g_strerror (errno));
  g_free (path);
  return fd;
}

/* vivid's capture node, found by QUERYCAP rather than by number. */
static gint
open_vivid_capture (void)
{
  gint i;

  for (i = 0; i < 64; i++) {
    gchar *path = g_strdup_printf ("/dev/video%d", i);
    gint fd = open (path, O_RDWR | O_CLOEXEC);
    struct v4l2_capability cap;

    g_free (path);
    if (fd < 0)
      continue;
    memset (&cap, 0, sizeof (cap));
    if (ioctl (fd, VIDIOC_QUERYCAP, &cap) == 0 &&
        g_str_equal ((const gchar *) cap.driver, "vivid") &&
        (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE))
      return fd;
    close (fd);
  }
  fail ("no vivid capture node (see vm/kernelfacts)");
  return -1;
}

/* PRIME-imports @dmabuf on @card and makes an XRGB8888 framebuffer of it:
 * the two steps a KMS sink needs before it can scan the buffer out.
 * Returns the errno of the first step that failed, 0 on success. */
static gint
import_as_framebuffer (gint card, gint dmabuf, guint32 pitch)
{
  guint32 handles[4] = { 0, }, pitches[4] = { 0, }, offsets[4] = { 0, };
  guint32 fb = 0;
  gint err = 0;

  if (drmPrimeFDToHandle (card, dmabuf, &handles[0]) != 0)
    return errno;

  pitches[0] = pitch;
  if (drmModeAddFB2 (card, WIDTH, HEIGHT, DRM_FORMAT_XRGB8888, handles,
          pitches, offsets, &fb, 0) != 0)
    err = errno;
  else
    fail_unless (fb != 0);

  if (fb)
    drmModeRmFB (card, fb);
  drmCloseBufferHandle (card, handles[0]);
  return err;
}

static gint
xioctl (gint fd, gulong request, gpointer arg)
{
  gint ret;

  do {
    ret = ioctl (fd, request, arg);
  } while (ret < 0 && errno == EINTR);
  return ret;
}

/* 640x480 'XR24' (V4L2_PIX_FMT_XBGR32: B, G, R, X bytes) is DRM's
 * XRGB8888, the format every vkms plane takes. */
static guint32
set_vivid_format (gint video)
{
  struct v4l2_format fmt;

  memset (&fmt, 0, sizeof (fmt));
  fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  fmt.fmt.pix.width = WIDTH;
  fmt.fmt.pix.height = HEIGHT;
  fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_XBGR32;
  fmt.fmt.pix.field = V4L2_FIELD_NONE;
  fail_unless_equals_int (xioctl (video, VIDIOC_S_FMT, &fmt), 0);
  fail_unless_equals_int (fmt.fmt.pix.pixelformat, V4L2_PIX_FMT_XBGR32);
  fail_unless_equals_int (fmt.fmt.pix.width, WIDTH);
  fail_unless_equals_int (fmt.fmt.pix.height, HEIGHT);
  fail_unless (fmt.fmt.pix.bytesperline >= WIDTH * 4);

  return fmt.fmt.pix.bytesperline;
}

/* Exports vivid's MMAP buffers with VIDIOC_EXPBUF into @fds. */
static void
export_vivid_buffers (gint video, gint * fds, guint n)
{
  struct v4l2_requestbuffers req;
  guint i;

  memset (&req, 0, sizeof (req));
  req.count = n;
  req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  req.memory = V4L2_MEMORY_MMAP;
  fail_unless_equals_int (xioctl (video, VIDIOC_REQBUFS, &req), 0);
  fail_unless (req.count >= n, "vivid gave %u buffers", req.count);

  for (i = 0; i < n; i++) {
    struct v4l2_exportbuffer exp;

    memset (&exp, 0, sizeof (exp));
    exp.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    exp.index = i;
    exp.flags = O_RDWR | O_CLOEXEC;
    fail_unless (xioctl (video, VIDIOC_EXPBUF, &exp) == 0,
        "VIDIOC_EXPBUF %u: %s", i, g_strerror (errno));
    fds[i] = exp.fd;
  }
}

static void
release_vivid_buffers (gint video, gint * fds, guint n)
{
  struct v4l2_requestbuffers req;
  guint i;

  for (i = 0; i < n; i++)
    close (fds[i]);
  memset (&req, 0, sizeof (req));
  req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  req.memory = V4L2_MEMORY_MMAP;
  fail_unless_equals_int (xioctl (video, VIDIOC_REQBUFS, &req), 0);
}

static GstAllocator *
new_vgem_allocator (void)
{
  gchar *vgem = find_card ("vgem");
  GError *error = NULL;
  GstAllocator *alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_DRM,
      vgem, &error);

  fail_unless (alloc != NULL, "%s", error ? error->message : "");
  g_free (vgem);
  return alloc;
}

GST_START_TEST (test_vkms_imports_vivid_buffers)
{
  gint video = open_vivid_capture ();
  gint vkms = open_card ("vkms");
  gint fds[N_VIVID_BUFFERS];
  guint32 pitch;
  guint i;

  pitch = set_vivid_format (video);
  export_vivid_buffers (video, fds, N_VIVID_BUFFERS);

  for (i = 0; i < N_VIVID_BUFFERS; i++) {
    gint err = import_as_framebuffer (vkms, fds[i], pitch);

    fail_unless (err == 0, "vkms could not take vivid buffer %u: %s", i,
        g_strerror (err));
  }

  release_vivid_buffers (video, fds, N_VIVID_BUFFERS);
  close (vkms);
  close (video);
}

GST_END_TEST;

GST_START_TEST (test_vkms_imports_drm_backend_buffers)
{
  GstAllocator *alloc = new_vgem_allocator ();
  GstMemory *mem = gst_allocator_alloc (alloc, WIDTH * HEIGHT * 4, NULL);
  gint vkms = open_card ("vkms");
  gint err;

  fail_unless (mem != NULL);
  fail_unless (gst_is_dmabuf_memory (mem));
  err = import_as_framebuffer (vkms, gst_dmabuf_memory_get_fd (mem), WIDTH * 4);
  fail_unless (err == 0, "vkms could not take the vgem buffer: %s",
      g_strerror (err));

  close (vkms);
  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* A framebuffer larger than the buffer is refused: the successful imports
 * above really were checked against the dma-buf's size. */
GST_START_TEST (test_vkms_checks_imported_size)
{
  GstAllocator *alloc = new_vgem_allocator ();
  GstMemory *mem = gst_allocator_alloc (alloc, WIDTH * 4 * 16, NULL);
  gint vkms = open_card ("vkms");

  fail_unless (mem != NULL);
  fail_unless_equals_int (import_as_framebuffer (vkms,
          gst_dmabuf_memory_get_fd (mem), WIDTH * 4), EINVAL);

  close (vkms);
  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* The id of the property @name of a KMS object; fails the test if none. */
static guint32
prop_id (gint fd, guint32 obj, guint32 type, const gchar * name)
{
  drmModeObjectProperties *props = drmModeObjectGetProperties (fd, obj, type);
  guint32 id = 0, i;

  fail_unless (props != NULL, "no properties on KMS object %u", obj);
  for (i = 0; i < props->count_props && !id; i++) {
    drmModePropertyRes *p = drmModeGetProperty (fd, props->props[i]);

    if (p && g_str_equal (p->name, name))
      id = p->prop_id;
    drmModeFreeProperty (p);
  }
  drmModeFreeObjectProperties (props);
  fail_unless (id != 0, "KMS object %u has no property %s", obj, name);
  return id;
}

/* What a writeback commit needs: vkms's CRTC, its primary plane, the
 * writeback connector and a 640x480 mode of it. */
typedef struct
{
  guint32 crtc;
  guint32 plane;
  guint32 writeback;
  guint32 other;
  drmModeModeInfo mode;
} Pipe;

/* Also sets @other to vkms's other (virtual) connector. */
static guint32
find_writeback (gint fd, drmModeRes * res, drmModeModeInfo * mode,
    guint32 * other)
{
  guint32 found = 0;
  gint i, m;

  for (i = 0; i < res->count_connectors; i++) {
    drmModeConnector *c = drmModeGetConnector (fd, res->connectors[i]);

    if (c && c->connector_type != DRM_MODE_CONNECTOR_WRITEBACK)
      *other = c->connector_id;
    if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
      for (m = 0; m < c->count_modes && !found; m++) {
        if (c->modes[m].hdisplay == WIDTH && c->modes[m].vdisplay == HEIGHT) {
          *mode = c->modes[m];
          found = c->connector_id;
        }
      }
    }
    drmModeFreeConnector (c);
  }
  fail_unless (found != 0, "vkms offers no %dx%d writeback connector",
      WIDTH, HEIGHT);
  return found;
}

static guint32
find_primary_plane (gint fd)
{
  drmModePlaneRes *planes = drmModeGetPlaneResources (fd);
  guint32 found = 0, i;

  fail_unless (planes != NULL);
  for (i = 0; i < planes->count_planes && !found; i++) {
    drmModeObjectProperties *props = drmModeObjectGetProperties (fd,
        planes->planes[i], DRM_MODE_OBJECT_PLANE);
    guint32 type = prop_id (fd, planes->planes[i], DRM_MODE_OBJECT_PLANE,
        "type");
    guint32 j;

    for (j = 0; j < props->count_props; j++) {
      if (props->props[j] == type &&
          props->prop_values[j] == DRM_PLANE_TYPE_PRIMARY)
        found = planes->planes[i];
    }
    drmModeFreeObjectProperties (props);
  }
  drmModeFreePlaneResources (planes);
  fail_unless (found != 0, "vkms has no primary plane");
  return found;
}

static void
find_pipe (gint fd, Pipe * pipe)
{
  drmModeRes *res;

  /* writeback connectors are only shown to atomic clients that ask */
  fail_unless_equals_int (drmSetClientCap (fd, DRM_CLIENT_CAP_ATOMIC, 1), 0);
  fail_unless_equals_int (drmSetClientCap (fd,
          DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1), 0);
  res = drmModeGetResources (fd);
  fail_unless (res != NULL && res->count_crtcs > 0);
  pipe->crtc = res->crtcs[0];
  pipe->writeback = find_writeback (fd, res, &pipe->mode, &pipe->other);
  fail_unless (pipe->other != 0, "vkms has no virtual connector");
  pipe->plane = find_primary_plane (fd);
  drmModeFreeResources (res);
}

static guint32
add_framebuffer (gint card, gint dmabuf, guint32 pitch)
{
  guint32 handles[4] = { 0, }, pitches[4] = { 0, }, offsets[4] = { 0, };
  guint32 fb = 0;

  fail_unless_equals_int (drmPrimeFDToHandle (card, dmabuf, &handles[0]), 0);
  pitches[0] = pitch;
  fail_unless (drmModeAddFB2 (card, WIDTH, HEIGHT, DRM_FORMAT_XRGB8888,
          handles, pitches, offsets, &fb, 0) == 0, "AddFB2: %s",
      g_strerror (errno));
  return fb;
}

/* One atomic commit that scans @src_fb out on the CRTC and has the
 * writeback connector write the composed frame into @dst_fb; returns the
 * writeback's out-fence (a sync_file). */
static gint
commit_writeback (gint fd, Pipe * pipe, guint32 src_fb, guint32 dst_fb)
{
  drmModeAtomicReq *req = drmModeAtomicAlloc ();
  guint32 plane = pipe->plane, crtc = pipe->crtc, wb = pipe->writeback;
  gint32 out_fence = -1;
  guint32 blob = 0;
  gint ret;

  fail_unless_equals_int (drmModeCreatePropertyBlob (fd, &pipe->mode,
          sizeof (pipe->mode), &blob), 0);
#define ADD(obj, type, name, value) \
  fail_unless (drmModeAtomicAddProperty (req, obj, \
          prop_id (fd, obj, type, name), value) > 0)
  ADD (crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", blob);
  ADD (crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "FB_ID", src_fb);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID", crtc);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "SRC_X", 0);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "SRC_Y", 0);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "SRC_W", WIDTH << 16);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "SRC_H", HEIGHT << 16);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "CRTC_X", 0);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "CRTC_Y", 0);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "CRTC_W", WIDTH);
  ADD (plane, DRM_MODE_OBJECT_PLANE, "CRTC_H", HEIGHT);
  /* fbdev emulation drives the CRTC through the virtual connector, and
   * the writeback encoder cannot be its clone */
  ADD (pipe->other, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", 0);
  ADD (wb, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", crtc);
  ADD (wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID", dst_fb);
  ADD (wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_OUT_FENCE_PTR",
      (guint64) (guintptr) & out_fence);
#undef ADD

  ret = drmModeAtomicCommit (fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
  fail_unless (ret == 0, "atomic commit: %s", g_strerror (errno));
  fail_unless (out_fence >= 0, "no writeback out-fence");

  drmModeAtomicFree (req);
  drmModeDestroyPropertyBlob (fd, blob);
  return out_fence;
}

/* Scans @src (an imported dma-buf, XRGB8888 rows of @pitch bytes) out on
 * vkms and has the writeback connector copy the composed frame into a
 * fresh buffer of the library's drm backend; every pixel must equal
 * @expected (rows of @pitch bytes). vkms composes with the CPU from the
 * imported pages, so this shows that it read the dma-buf's real pixels,
 * not just that the import was accepted. */
static void
assert_scanout_shows (gint vkms, GstAllocator * alloc, gint src,
    guint32 pitch, const guint8 * expected)
{
  GstMemory *dst = gst_allocator_alloc (alloc, WIDTH * HEIGHT * 4, NULL);
  guint32 src_fb, dst_fb, *px;
  GError *error = NULL;
  GstMapInfo info;
  Pipe pipe;
  gint fence;
  guint x, y;

  fail_unless (dst != NULL);
  fail_unless (gst_memory_map (dst, &info, GST_MAP_WRITE));
  memset (info.data, 0, info.size);
  gst_memory_unmap (dst, &info);

  find_pipe (vkms, &pipe);
  src_fb = add_framebuffer (vkms, src, pitch);
  dst_fb = add_framebuffer (vkms, gst_dmabuf_memory_get_fd (dst), WIDTH * 4);
  fence = commit_writeback (vkms, &pipe, src_fb, dst_fb);

  /* the out-fence signals once the frame is in dst */
  fail_unless (gst_zc_fence_wait_fd (fence, GST_MAP_READ, 5 * GST_SECOND,
          &error), "%s", error ? error->message : "");
  fail_unless (gst_memory_map (dst, &info, GST_MAP_READ));
  for (y = 0; y < HEIGHT; y++) {
    const guint32 *want = (const guint32 *) (expected + y * pitch);

    px = (guint32 *) (info.data + y * WIDTH * 4);
    for (x = 0; x < WIDTH; x++) {
      /* XRGB8888 is written back with X = 0xff */
      guint32 w = (want[x] & 0xffffff) | 0xff000000u;

      if (px[x] != w)
        fail ("written-back pixel (%u,%u) is 0x%08x, expected 0x%08x", x, y,
            px[x], w);
    }
  }
  gst_memory_unmap (dst, &info);

  close (fence);
  gst_memory_unref (dst);
}

static guint32
pattern (guint x, guint y)
{
  return ((x * 7) & 0xff) << 16 | ((y * 5) & 0xff) << 8 | ((x + y) & 0xff);
}

GST_START_TEST (test_vkms_scans_out_drm_backend_buffer)
{
  GstAllocator *alloc = new_vgem_allocator ();
  GstMemory *src = gst_allocator_alloc (alloc, WIDTH * HEIGHT * 4, NULL);
  gint vkms = open_card ("vkms");
  guint32 *expected = g_new (guint32, WIDTH * HEIGHT);
  GstMapInfo info;
  guint x, y;

  for (y = 0; y < HEIGHT; y++)
    for (x = 0; x < WIDTH; x++)
      expected[y * WIDTH + x] = pattern (x, y);
  fail_unless (src != NULL);
  fail_unless (gst_memory_map (src, &info, GST_MAP_WRITE));
  memcpy (info.data, expected, WIDTH * HEIGHT * 4);
  gst_memory_unmap (src, &info);

  assert_scanout_shows (vkms, alloc, gst_dmabuf_memory_get_fd (src),
      WIDTH * 4, (const guint8 *) expected);

  g_free (expected);
  close (vkms);
  gst_memory_unref (src);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* Captures one frame from vivid and waits for it: returns its index. */
static guint
capture_one_frame (gint video)
{
  struct v4l2_buffer buf;
  enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  struct pollfd pfd = { video, POLLIN, 0 };
  guint i;

  for (i = 0; i < N_VIVID_BUFFERS; i++) {
    memset (&buf, 0, sizeof (buf));
    buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buf.memory = V4L2_MEMORY_MMAP;
    buf.index = i;
    fail_unless_equals_int (xioctl (video, VIDIOC_QBUF, &buf), 0);
  }
  fail_unless_equals_int (xioctl (video, VIDIOC_STREAMON, &type), 0);
  fail_unless (poll (&pfd, 1, 10000) == 1, "vivid gave no frame in 10 s");

  memset (&buf, 0, sizeof (buf));
  buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  buf.memory = V4L2_MEMORY_MMAP;
  fail_unless_equals_int (xioctl (video, VIDIOC_DQBUF, &buf), 0);
  fail_unless (buf.bytesused >= WIDTH * HEIGHT * 4);
  fail_unless_equals_int (xioctl (video, VIDIOC_STREAMOFF, &type), 0);

  return buf.index;
}

/* The display half of the main job: a captured vivid frame, shared as a
 * dma-buf, is what vkms scans out. */
GST_START_TEST (test_vkms_scans_out_vivid_frame)
{
  GstAllocator *alloc = new_vgem_allocator ();
  gint video = open_vivid_capture ();
  gint vkms = open_card ("vkms");
  gint fds[N_VIVID_BUFFERS];
  guint32 pitch;
  guint8 *pixels, *copy;
  gsize size;
  guint index;

  pitch = set_vivid_format (video);
  export_vivid_buffers (video, fds, N_VIVID_BUFFERS);
  index = capture_one_frame (video);

  /* what the CPU sees in the exported dma-buf, SYNC-bracketed */
  size = pitch * (gsize) HEIGHT;
  pixels = mmap (NULL, size, PROT_READ, MAP_SHARED, fds[index], 0);
  fail_unless (pixels != MAP_FAILED, "mmap: %s", g_strerror (errno));
  fail_unless (gst_zc_cpu_access_begin (fds[index], GST_MAP_READ));
  copy = g_memdup2 (pixels, size);
  fail_unless (gst_zc_cpu_access_end (fds[index], GST_MAP_READ));
  munmap (pixels, size);
  /* colour bars, not an empty buffer */
  fail_if (copy[0] == copy[size / 2] && copy[size / 2] == copy[size - 4]);

  assert_scanout_shows (vkms, alloc, fds[index], pitch, copy);

  g_free (copy);
  release_vivid_buffers (video, fds, N_VIVID_BUFFERS);
  close (vkms);
  close (video);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* A documented fact of virtio-gpu in Linux 6.1: it imports no foreign
 * dma-buf (its prime_import_sg_table returns -ENODEV). If this starts
 * failing, a newer kernel learnt to import and the sink may use it. */
GST_START_TEST (test_virtio_gpu_refuses_foreign_dmabufs)
{
  GstAllocator *alloc = new_vgem_allocator ();
  GstMemory *mem = gst_allocator_alloc (alloc, WIDTH * HEIGHT * 4, NULL);
  gint virtio = open_card ("virtio_gpu");
  gint video = open_vivid_capture ();
  gint fds[N_VIVID_BUFFERS];
  guint32 pitch;

  fail_unless (mem != NULL);
  fail_unless_equals_int (import_as_framebuffer (virtio,
          gst_dmabuf_memory_get_fd (mem), WIDTH * 4), ENODEV);

  pitch = set_vivid_format (video);
  export_vivid_buffers (video, fds, N_VIVID_BUFFERS);
  fail_unless_equals_int (import_as_framebuffer (virtio, fds[0], pitch),
      ENODEV);
  release_vivid_buffers (video, fds, N_VIVID_BUFFERS);

  close (video);
  close (virtio);
  gst_memory_unref (mem);
  gst_object_unref (alloc);
}

GST_END_TEST;

static Suite *
vm_vkms_suite (void)
{
  Suite *s = suite_create ("vm-vkms");
  TCase *tc = tcase_create ("prime-import");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vkms_imports_vivid_buffers);
  tcase_add_test (tc, test_vkms_imports_drm_backend_buffers);
  tcase_add_test (tc, test_vkms_checks_imported_size);
  tcase_add_test (tc, test_vkms_scans_out_drm_backend_buffer);
  tcase_add_test (tc, test_vkms_scans_out_vivid_frame);
  tcase_add_test (tc, test_virtio_gpu_refuses_foreign_dmabufs);

  return s;
}

GST_CHECK_MAIN (vm_vkms);
