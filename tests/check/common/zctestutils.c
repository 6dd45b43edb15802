/* Helpers shared by the project's gst-check programs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "zctestutils.h"

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>
#include <xf86drm.h>

/* Open file descriptors of this process: entries of /proc/self/fd (the
 * directory's own fd while it is read included, so compare counts taken
 * the same way). */
guint
zc_test_count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

/* The first /dev/dri/cardN whose driver (drmGetVersion name) is @driver,
 * or NULL: the test bed has no udev, and card numbers change with the
 * kernel, so devices are found by driver. */
gchar *
zc_test_find_drm_card (const gchar * driver)
{
  gint i;

  for (i = 0; i < 16; i++) {
    gchar *path = g_strdup_printf ("/dev/dri/card%d", i);
    gint fd = open (path, O_RDWR | O_CLOEXEC);
    drmVersion *v = fd >= 0 ? drmGetVersion (fd) : NULL;
    gboolean found = v && g_str_equal (v->name, driver);

    if (v)
      drmFreeVersion (v);
    if (fd >= 0)
      close (fd);
    if (found)
      return path;
    g_free (path);
  }
  return NULL;
}

/* vivid's video capture node, found by VIDIOC_QUERYCAP (driver "vivid",
 * V4L2_CAP_VIDEO_CAPTURE), or NULL. */
gchar *
zc_test_find_vivid_capture (void)
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
  return NULL;
}

/* vivid's default test pattern, 75% colour bars: eight vertical bars of
 * equal width, left to right white, yellow, cyan, green, magenta, red,
 * blue, black, lit channels at 191 (kernel drivers/media/common/v4l2-tpg);
 * the ranges leave room for format conversion and scaling. */
#define ZC_TEST_N_BARS 8
#define LIT_MIN 150
#define LIT_MAX 230
#define DARK_MAX 50

static const gboolean vivid_bars[ZC_TEST_N_BARS][3] = {
  {TRUE, TRUE, TRUE}, {TRUE, TRUE, FALSE}, {FALSE, TRUE, TRUE},
  {FALSE, TRUE, FALSE}, {TRUE, FALSE, TRUE}, {TRUE, FALSE, FALSE},
  {FALSE, FALSE, TRUE}, {FALSE, FALSE, FALSE},
};

static const gchar *vivid_bar_names[ZC_TEST_N_BARS] = { "white", "yellow",
  "cyan", "green", "magenta", "red", "blue", "black"
};

/* Fails the test unless @rgb (R, G, B) is bar @bar (0-7) of vivid's
 * pattern: lit channels in [150, 230], the others at most 50. @where names
 * the picture in the failure message. */
void
zc_test_check_vivid_bar (guint bar, const guint rgb[3], const gchar * where)
{
  guint c;

  fail_unless (bar < ZC_TEST_N_BARS);
  GST_INFO ("%s: %s bar %u,%u,%u", where, vivid_bar_names[bar], rgb[0],
      rgb[1], rgb[2]);
  for (c = 0; c < 3; c++) {
    if (vivid_bars[bar][c])
      fail_unless (rgb[c] >= LIT_MIN && rgb[c] <= LIT_MAX, "%s: %s bar is "
          "%u,%u,%u", where, vivid_bar_names[bar], rgb[0], rgb[1], rgb[2]);
    else
      fail_unless (rgb[c] <= DARK_MAX, "%s: %s bar is %u,%u,%u", where,
          vivid_bar_names[bar], rgb[0], rgb[1], rgb[2]);
  }
}

/* Fails the test unless the picture @rgb (@width x @height pixels, 3 bytes
 * R, G, B each, rows @stride bytes apart) shows vivid's eight bars across
 * its whole width, sampled in the middle of each bar at half height (below
 * vivid's text). */
void
zc_test_check_vivid_bars (const guint8 * rgb, guint width, guint height,
    gsize stride, const gchar * where)
{
  guint bar;

  fail_unless (width >= ZC_TEST_N_BARS * 2 && height > 0);
  for (bar = 0; bar < ZC_TEST_N_BARS; bar++) {
    const guint8 *p = rgb + (height / 2) * stride +
        ((2 * bar + 1) * width / (2 * ZC_TEST_N_BARS)) * 3;
    guint px[3] = { p[0], p[1], p[2] };

    zc_test_check_vivid_bar (bar, px, where);
  }
}

/* Removes @dir and the files in it (not below: the tests make flat
 * directories). */
void
zc_test_remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}
