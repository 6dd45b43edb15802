/* zccpu plugin: image files written atomically, and the PNG writer (libpng)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcpng.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <png.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_png_debug);
#define GST_CAT_DEFAULT gst_zc_png_debug

/* zlib's Z_BEST_SPEED: a snapshot being encoded holds a full-size RGB
 * copy of the frame, so speed matters more than a few percent of file
 * size. */
#define PNG_COMPRESSION_LEVEL 1

typedef struct
{
  gchar message[256];
} PngErrorContext;

static void
on_png_error (png_structp png, png_const_charp message)
{
  PngErrorContext *ctx = png_get_error_ptr (png);

  g_strlcpy (ctx->message, message, sizeof (ctx->message));
  /* libpng's error callback must not return. */
  png_longjmp (png, 1);
}

static void
on_png_warning (png_structp png, png_const_charp message)
{
  /* Warnings are about the image's metadata, never a failed write. */
  GST_WARNING ("libpng: %s", message);
}

static void
write_rows (png_structp png, const guint8 * pixels, guint height, gsize stride)
{
  guint y;

  for (y = 0; y < height; y++)
    png_write_row (png, pixels + y * stride);
}

/* Everything that may longjmp lives in this function, and none of its
 * locals changes after setjmp: they are valid again in the error path. */
static gboolean
write_png_stream (FILE * file, const guint8 * pixels, guint width,
    guint height, gsize stride, GError ** error)
{
  PngErrorContext ctx = { "" };
  png_structp png;
  png_infop info;

  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &ctx, on_png_error,
      on_png_warning);
  if (!png)
    goto no_memory;
  info = png_create_info_struct (png);
  if (!info)
    goto no_info;

  if (setjmp (png_jmpbuf (png)))
    goto encode_failed;

  png_init_io (png, file);
  png_set_compression_level (png, PNG_COMPRESSION_LEVEL);
  /* One cheap filter instead of libpng's default adaptive choice among
   * all five for every row: half the time for a 1080p frame, and smaller
   * files than pngenc's PNG_FILTER_NONE (docs/performance.md). */
  png_set_filter (png, 0, PNG_FILTER_SUB);
  png_set_IHDR (png, info, width, height, 8, PNG_COLOR_TYPE_RGB,
      PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
      PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  write_rows (png, pixels, height, stride);
  png_write_end (png, NULL);

  png_destroy_write_struct (&png, &info);
  return TRUE;

  /* ERRORS */
no_info:
  png_destroy_write_struct (&png, NULL);
no_memory:
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
      "libpng: out of memory");
  return FALSE;
encode_failed:
  png_destroy_write_struct (&png, &info);
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "libpng: %s",
      ctx.message);
  return FALSE;
}

static void
set_errno_error (GError ** error, gint err, const gchar * what,
    const gchar * filename)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
      "%s \"%s\": %s", what, filename, g_strerror (err));
}

static void
ensure_debug_category (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_zc_png_debug, "zcpng", 0,
        "zccpu plugin: PNG writer");
    g_once_init_leave (&done, 1);
  }
}

/* A hidden name in the same directory: rename() within one file system is
 * atomic, and globs such as snap-*.png do not match it. */
static gchar *
temp_name_for (const gchar * filename)
{
  gchar *dir = g_path_get_dirname (filename);
  gchar *base = g_path_get_basename (filename);
  gchar *tmpl = g_strdup_printf (".%s.XXXXXX", base);
  gchar *tmp_name = g_build_filename (dir, tmpl, NULL);

  g_free (tmpl);
  g_free (base);
  g_free (dir);
  return tmp_name;
}

/**
 * gst_zc_image_write_file:
 * @filename: the file to write (replaced if it exists)
 * @encode: writes the image into the stream it is given
 * @user_data: for @encode
 * @error: return location for a #GError (domain %G_FILE_ERROR)
 *
 * Runs @encode on a temporary file beside @filename, then renames it to
 * @filename: a reader sees either the old file, no file, or the whole new
 * one. There is no fsync: the guarantee is for concurrent readers, not
 * for a power cut. On failure the temporary file is removed and every
 * descriptor closed.
 *
 * Returns: %TRUE when @filename holds the new image; %FALSE with @error
 * set from errno (directory missing, permission denied, disk full) or by
 * @encode.
 */
gboolean
gst_zc_image_write_file (const gchar * filename, GstZcImageEncodeFunc encode,
    gpointer user_data, GError ** error)
{
  gchar *tmp_name;
  FILE *file;
  gint fd, err;

  ensure_debug_category ();

  tmp_name = temp_name_for (filename);
  /* 0666 lets the umask decide, as for any file a program creates. */
  fd = g_mkstemp_full (tmp_name, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    goto create_failed;
  file = fdopen (fd, "wb");
  if (!file)
    goto fdopen_failed;
  errno = 0;
  if (!encode (file, user_data, error))
    goto encode_failed;
  /* fclose flushes: a full disk shows up here. */
  if (fclose (file) != 0)
    goto close_failed;
  if (g_rename (tmp_name, filename) < 0)
    goto rename_failed;

  g_free (tmp_name);
  return TRUE;

  /* ERRORS */
create_failed:
  set_errno_error (error, errno, "Could not create", tmp_name);
  g_free (tmp_name);
  return FALSE;
fdopen_failed:
  set_errno_error (error, errno, "Could not open", tmp_name);
  close (fd);
  goto remove_temp;
encode_failed:
  /* A full disk fails the encoder's fwrite(), and the encoder only says
   * "Write Error": the errno says why. */
  err = errno;
  if (ferror (file) && err != 0) {
    g_clear_error (error);
    set_errno_error (error, err, "Could not write", tmp_name);
  }
  fclose (file);
  goto remove_temp;
close_failed:
  set_errno_error (error, errno, "Could not write", tmp_name);
  goto remove_temp;
rename_failed:
  set_errno_error (error, errno, "Could not rename the new image to", filename);
remove_temp:
  g_unlink (tmp_name);
  g_free (tmp_name);
  return FALSE;
}

typedef struct
{
  const guint8 *pixels;
  guint width, height;
  gsize stride;
} PngImage;

static gboolean
encode_png (FILE * file, gpointer user_data, GError ** error)
{
  const PngImage *image = user_data;

  return write_png_stream (file, image->pixels, image->width, image->height,
      image->stride, error);
}

/**
 * gst_zc_png_write_rgb:
 * @filename: the file to write (replaced if it exists)
 * @pixels: packed 8-bit RGB, @height rows of @stride bytes
 * @width: in pixels
 * @height: in pixels
 * @stride: bytes from one row to the next (at least 3 * @width)
 * @error: return location for a #GError (domain %G_FILE_ERROR)
 *
 * Encodes a PNG (8-bit RGB, no interlacing, zlib level 1) into @filename
 * through gst_zc_image_write_file().
 *
 * Returns: %TRUE when @filename holds the new image; %FALSE with @error
 * set as gst_zc_image_write_file() does, or from libpng's message.
 */
gboolean
gst_zc_png_write_rgb (const gchar * filename, const guint8 * pixels,
    guint width, guint height, gsize stride, GError ** error)
{
  PngImage image = { pixels, width, height, stride };

  return gst_zc_image_write_file (filename, encode_png, &image, error);
}
