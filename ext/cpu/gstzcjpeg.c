/* zccpu plugin: JPEG writer (libjpeg-turbo, 8-bit RGB in, YCbCr 4:2:0 out)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcjpeg.h"
#include "gstzcpng.h"

#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

typedef struct
{
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
  gchar message[JMSG_LENGTH_MAX];
} JpegErrorContext;

typedef struct
{
  const guint8 *pixels;
  guint width, height;
  gsize stride;
  guint quality;
} JpegImage;

static void
on_jpeg_error (j_common_ptr cinfo)
{
  JpegErrorContext *ctx = (JpegErrorContext *) cinfo->err;

  cinfo->err->format_message (cinfo, ctx->message);
  /* libjpeg's error_exit must not return. */
  longjmp (ctx->jump, 1);
}

static void
on_jpeg_message (j_common_ptr cinfo, int level)
{
  /* Warnings (level -1) are about corrupt input, which an encoder of
   * in-memory pixels never reads; trace messages are not wanted. */
}

static void
write_rows (struct jpeg_compress_struct *cinfo, const JpegImage * image)
{
  JSAMPROW row;

  while (cinfo->next_scanline < cinfo->image_height) {
    row = (JSAMPROW) (image->pixels + cinfo->next_scanline * image->stride);
    jpeg_write_scanlines (cinfo, &row, 1);
  }
}

/* Everything that may longjmp lives in this function, and none of its
 * locals changes after setjmp: they are valid again in the error path. */
static gboolean
encode_jpeg (FILE * file, gpointer user_data, GError ** error)
{
  const JpegImage *image = user_data;
  struct jpeg_compress_struct cinfo;
  JpegErrorContext ctx;

  cinfo.err = jpeg_std_error (&ctx.mgr);
  ctx.mgr.error_exit = on_jpeg_error;
  ctx.mgr.emit_message = on_jpeg_message;
  ctx.message[0] = '\0';
  jpeg_create_compress (&cinfo);
  if (setjmp (ctx.jump))
    goto encode_failed;

  jpeg_stdio_dest (&cinfo, file);
  cinfo.image_width = image->width;
  cinfo.image_height = image->height;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  /* libjpeg's defaults: YCbCr, 4:2:0, accurate integer DCT, Huffman
   * tables of the standard (no extra pass to optimise them). */
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, image->quality, TRUE);
  jpeg_start_compress (&cinfo, TRUE);
  write_rows (&cinfo, image);
  jpeg_finish_compress (&cinfo);

  jpeg_destroy_compress (&cinfo);
  return TRUE;

  /* ERRORS */
encode_failed:
  jpeg_destroy_compress (&cinfo);
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "libjpeg: %s",
      ctx.message);
  return FALSE;
}

/**
 * gst_zc_jpeg_write_rgb:
 * @filename: the file to write (replaced if it exists)
 * @pixels: packed 8-bit RGB, @height rows of @stride bytes
 * @width: in pixels
 * @height: in pixels
 * @stride: bytes from one row to the next (at least 3 * @width)
 * @quality: libjpeg's quality scale, 1 (smallest) to 100 (best)
 * @error: return location for a #GError (domain %G_FILE_ERROR)
 *
 * Encodes a baseline JFIF JPEG (YCbCr 4:2:0, the standard's Huffman
 * tables, quantisation tables scaled by @quality as libjpeg's
 * jpeg_set_quality() does) into @filename through
 * gst_zc_image_write_file().
 *
 * Returns: %TRUE when @filename holds the new image; %FALSE with @error
 * set as gst_zc_image_write_file() does, or from libjpeg's message.
 */
gboolean
gst_zc_jpeg_write_rgb (const gchar * filename, const guint8 * pixels,
    guint width, guint height, gsize stride, guint quality, GError ** error)
{
  JpegImage image = { pixels, width, height, stride, CLAMP (quality, 1, 100) };

  return gst_zc_image_write_file (filename, encode_jpeg, &image, error);
}
