/* zc-main-job: a PNG of what the display shows
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two sources:
 *  - in the test bed, QEMU's own screendump of the virtual display, asked
 *    for through tests/vm/run.sh's request file (the guest cannot reach
 *    QEMU's monitor; see tests/vm/README.md, "Screenshots");
 *  - on a machine with a display, the framebuffer the CRTC scans out,
 *    read through KMS: drmModeGetFB2() gives root (CAP_SYS_ADMIN) a GEM
 *    handle on it, PRIME exports that as a dma-buf, and the CPU reads the
 *    dma-buf's mapping inside a DMA_BUF_IOCTL_SYNC START|READ ... END|READ
 *    bracket (kernel dma-buf docs, "CPU Access to DMA Buffer Objects").
 * Either way the picture is written as 8-bit RGB PNG with libpng.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "zcmainjob.h"

#include <gst/video/video.h>
#include <gst/zerocopy/zerocopy.h>

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>
#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <glib/gstdio.h>

/* Under TCG QEMU answers within a second or two; this is generous. */
#define SCREENDUMP_TIMEOUT (60 * G_USEC_PER_SEC)

static gboolean
write_png (const gchar * path, const guint8 * rgb, guint width, guint height,
    gsize stride, GError ** error)
{
  png_image image;

  memset (&image, 0, sizeof (image));
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = PNG_FORMAT_RGB;
  if (!png_image_write_to_file (&image, path, 0, rgb, stride, NULL)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "cannot write %s: %s", path, image.message);
    png_image_free (&image);
    return FALSE;
  }
  return TRUE;
}

/* QEMU's screendump */

/* A binary PPM (P6, maxval 255), as QEMU writes it, into a PNG. */
static gboolean
ppm_to_png (const gchar * ppm, const gchar * png_path, GError ** error)
{
  gchar *data = NULL;
  gsize len = 0;
  guint width = 0, height = 0, maxval = 0;
  gint header = 0;
  gboolean ok = FALSE;

  if (!g_file_get_contents (ppm, &data, &len, error))
    return FALSE;
  if (sscanf (data, "P6 %u %u %u%n", &width, &height, &maxval, &header) != 3
      || maxval != 255 || width == 0 || height == 0
      || len < (gsize) header + 1 + (gsize) width * height * 3) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s is not a binary PPM of 8-bit samples", ppm);
    goto done;
  }
  /* One whitespace character ends the header. */
  ok = write_png (png_path, (guint8 *) data + header + 1, width, height,
      (gsize) width * 3, error);

done:
  g_free (data);
  return ok;
}

/* The test bed's run.sh serves one request at a time: the PPM's path in
 * $ZC_VM_SCREENDUMP_DIR/request (written whole by a rename), answered by
 * creating .../done. The path must lie in the share, $ZC_VM_SHARE. */
static gboolean
request_screendump (const gchar * dir, const gchar * ppm, GError ** error)
{
  gchar *request = g_build_filename (dir, "request", NULL);
  gchar *tmp = g_build_filename (dir, "request.tmp", NULL);
  gchar *done = g_build_filename (dir, "done", NULL);
  gint64 deadline = g_get_monotonic_time () + SCREENDUMP_TIMEOUT;
  gboolean ok = FALSE;

  g_unlink (done);
  if (!g_file_set_contents (tmp, ppm, -1, error))
    goto out;
  if (g_rename (tmp, request) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "rename %s: %s", tmp, g_strerror (errno));
    goto out;
  }
  while (!g_file_test (done, G_FILE_TEST_EXISTS)) {
    if (g_get_monotonic_time () > deadline) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "no answer "
          "to the screendump request in %s", dir);
      goto out;
    }
    g_usleep (100 * 1000);
  }
  g_unlink (done);
  ok = g_file_test (ppm, G_FILE_TEST_IS_REGULAR);
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "QEMU made no "
        "screendump (see run.sh's messages)");

out:
  g_free (done);
  g_free (tmp);
  g_free (request);
  return ok;
}

/**
 * zc_mj_screenshot_qemu:
 * @png_path: where to write the PNG
 * @error: a #GError, or %NULL
 *
 * Inside the test bed (tests/vm/run.sh sets `ZC_VM_SCREENDUMP_DIR` and
 * `ZC_VM_SHARE`), writes what QEMU's virtual display shows now as PNG.
 *
 * Returns: %FALSE with @error set outside the test bed, when no
 * screendump came within 60 s, or when a file could not be written.
 */
gboolean
zc_mj_screenshot_qemu (const gchar * png_path, GError ** error)
{
  const gchar *dir = g_getenv ("ZC_VM_SCREENDUMP_DIR");
  const gchar *share = g_getenv ("ZC_VM_SHARE");
  gchar *name, *ppm;
  gboolean ok;

  if (!dir || !share) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "not in the test "
        "bed: ZC_VM_SCREENDUMP_DIR and ZC_VM_SHARE are not set");
    return FALSE;
  }
  name = g_strdup_printf (".zc-main-job-%d.ppm", (gint) getpid ());
  ppm = g_build_filename (share, name, NULL);
  ok = request_screendump (dir, ppm, error)
      && ppm_to_png (ppm, png_path, error);
  g_unlink (ppm);
  g_free (ppm);
  g_free (name);
  return ok;
}

/* KMS */

/* The CRTC that drives @connector_id now, 0 when it is off. */
static guint32
connector_crtc (gint fd, guint32 connector_id)
{
  drmModeConnector *conn = drmModeGetConnector (fd, connector_id);
  drmModeEncoder *enc;
  guint32 crtc = 0;

  if (!conn)
    return 0;
  enc = conn->encoder_id ? drmModeGetEncoder (fd, conn->encoder_id) : NULL;
  if (enc)
    crtc = enc->crtc_id;
  drmModeFreeEncoder (enc);
  drmModeFreeConnector (conn);
  return crtc;
}

/* The first connected connector's CRTC, for a display the caller did not
 * name a connector of. */
static guint32
first_active_crtc (gint fd)
{
  drmModeRes *res = drmModeGetResources (fd);
  guint32 crtc = 0;
  gint i;

  if (!res)
    return 0;
  for (i = 0; i < res->count_connectors && !crtc; i++)
    crtc = connector_crtc (fd, res->connectors[i]);
  drmModeFreeResources (res);
  return crtc;
}

/* The framebuffer's layout as a GstVideoInfo, from its fourcc, pitches
 * and offsets (linear layouts only: the format table is linear). */
static gboolean
fb_video_info (const drmModeFB2 * fb, GstVideoInfo * info, GError ** error)
{
  GstVideoFormat format = gst_zc_format_from_drm_fourcc (fb->pixel_format);
  guint i;

  if (format == GST_VIDEO_FORMAT_UNKNOWN) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "framebuffer %u "
        "has fourcc %.4s, which the format table does not know", fb->fb_id,
        (const gchar *) &fb->pixel_format);
    return FALSE;
  }
  if ((fb->flags & DRM_MODE_FB_MODIFIERS)
      && fb->modifier != DRM_FORMAT_MOD_LINEAR) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "framebuffer %u "
        "is not linear (modifier 0x%" G_GINT64_MODIFIER "x)", fb->fb_id,
        (guint64) fb->modifier);
    return FALSE;
  }
  gst_video_info_set_format (info, format, fb->width, fb->height);
  for (i = 0; i < GST_VIDEO_INFO_N_PLANES (info); i++) {
    if (fb->handles[i] != fb->handles[0]) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "framebuffer %u "
          "has its planes in several buffers", fb->fb_id);
      return FALSE;
    }
    info->stride[i] = fb->pitches[i];
    info->offset[i] = fb->offsets[i];
  }
  return TRUE;
}

/* Converts the mapped framebuffer @data (@size bytes, laid out as @info)
 * into a PNG. The caller holds the SYNC READ bracket. */
static gboolean
mapped_to_png (guint8 * data, gsize size, const GstVideoInfo * info,
    const gchar * png_path, GError ** error)
{
  GstBuffer *src = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY,
      data, size, 0, size, NULL, NULL);
  GstBuffer *dst;
  GstVideoInfo rgb;
  GstVideoFrame in, out;
  GstVideoConverter *conv;
  gboolean ok = FALSE;

  gst_video_info_set_format (&rgb, GST_VIDEO_FORMAT_RGB, info->width,
      info->height);
  dst = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&rgb), NULL);
  if (!gst_video_frame_map (&in, info, src, GST_MAP_READ))
    goto too_small;
  gst_video_frame_map (&out, &rgb, dst, GST_MAP_WRITE);
  conv = gst_video_converter_new (info, &rgb, NULL);
  gst_video_converter_frame (conv, &in, &out);
  gst_video_converter_free (conv);
  ok = write_png (png_path, GST_VIDEO_FRAME_PLANE_DATA (&out, 0),
      info->width, info->height, GST_VIDEO_FRAME_PLANE_STRIDE (&out, 0), error);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  goto done;

too_small:
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the framebuffer's "
      "buffer (%" G_GSIZE_FORMAT " bytes) is smaller than its layout", size);
done:
  gst_buffer_unref (dst);
  gst_buffer_unref (src);
  return ok;
}

/* Maps the dma-buf @dmabuf and writes it as PNG inside one READ bracket. */
static gboolean
dmabuf_to_png (gint dmabuf, const GstVideoInfo * info,
    const gchar * png_path, GError ** error)
{
  off_t size = lseek (dmabuf, 0, SEEK_END);
  guint8 *data;
  gboolean ok;

  if (size <= 0)
    goto map_failed;
  data = mmap (NULL, size, PROT_READ, MAP_SHARED, dmabuf, 0);
  if (data == MAP_FAILED)
    goto map_failed;
  if (!gst_zc_dmabuf_sync (dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ)) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "DMA_BUF_IOCTL_SYNC START|READ: %s", g_strerror (errno));
    munmap (data, size);
    return FALSE;
  }
  ok = mapped_to_png (data, size, info, png_path, error);
  gst_zc_dmabuf_sync (dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
  munmap (data, size);
  return ok;

map_failed:
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
      "cannot map the framebuffer's dma-buf: %s", g_strerror (errno));
  return FALSE;
}

/* GETFB2 made the handles for this open file: they are ours to close,
 * each once even when planes share one. */
static void
close_fb_handles (gint fd, const drmModeFB2 * fb)
{
  guint i, j;

  for (i = 0; fb && i < G_N_ELEMENTS (fb->handles); i++) {
    gboolean seen = FALSE;

    for (j = 0; j < i; j++)
      seen |= fb->handles[j] == fb->handles[i];
    if (fb->handles[i] && !seen)
      drmCloseBufferHandle (fd, fb->handles[i]);
  }
}

/* The framebuffer @crtc_id scans out, as PNG. */
static gboolean
crtc_to_png (gint fd, guint32 crtc_id, const gchar * png_path, GError ** error)
{
  drmModeCrtc *crtc = drmModeGetCrtc (fd, crtc_id);
  drmModeFB2 *fb = NULL;
  GstVideoInfo info;
  gint dmabuf = -1;
  gboolean ok = FALSE;

  if (!crtc || !crtc->buffer_id) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "CRTC %u shows "
        "nothing", crtc_id);
    goto out;
  }
  fb = drmModeGetFB2 (fd, crtc->buffer_id);
  if (!fb || !fb->handles[0]) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM, "no handle on "
        "framebuffer %u (reading another client's framebuffer needs "
        "CAP_SYS_ADMIN): %s", crtc->buffer_id, g_strerror (errno));
    goto out;
  }
  if (!fb_video_info (fb, &info, error))
    goto out;
  if (drmPrimeHandleToFD (fd, fb->handles[0], DRM_CLOEXEC, &dmabuf) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "PRIME export of framebuffer %u: %s", fb->fb_id, g_strerror (errno));
    goto out;
  }
  ok = dmabuf_to_png (dmabuf, &info, png_path, error);

out:
  if (dmabuf >= 0)
    close (dmabuf);
  close_fb_handles (fd, fb);
  drmModeFreeFB2 (fb);
  drmModeFreeCrtc (crtc);
  return ok;
}

/**
 * zc_mj_screenshot_kms:
 * @card: the DRM node the display is on, e.g. `/dev/dri/card0`
 * @connector_id: the connector showing the video, or -1 for the first
 *   connected one that has a CRTC
 * @png_path: where to write the PNG
 * @error: a #GError, or %NULL
 *
 * Writes the framebuffer that the connector's CRTC scans out now as an
 * RGB PNG of the framebuffer's size (the whole screen, not only the
 * video's rectangle). Linear framebuffers of any format of the library's
 * table, planes in one buffer. Needs CAP_SYS_ADMIN (root): the kernel
 * hands out handles on other clients' framebuffers only then. The CPU
 * reads the mapping inside a `DMA_BUF_IOCTL_SYNC` START|READ / END|READ
 * bracket; every handle, fd and mapping is released before returning.
 *
 * Returns: %FALSE with @error set when the card cannot be opened, the
 * CRTC is off, the framebuffer is unreadable or of an unknown layout, or
 * the PNG cannot be written.
 */
gboolean
zc_mj_screenshot_kms (const gchar * card, gint connector_id,
    const gchar * png_path, GError ** error)
{
  gint fd = open (card, O_RDWR | O_CLOEXEC);
  guint32 crtc;
  gboolean ok;

  if (fd < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot open %s: %s", card, g_strerror (errno));
    return FALSE;
  }
  crtc = connector_id >= 0 ? connector_crtc (fd, connector_id) :
      first_active_crtc (fd);
  if (crtc) {
    ok = crtc_to_png (fd, crtc, png_path, error);
  } else {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no active CRTC "
        "drives connector %d of %s", connector_id, card);
    ok = FALSE;
  }
  close (fd);
  return ok;
}
