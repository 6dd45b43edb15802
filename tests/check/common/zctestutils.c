/* Helpers shared by the project's gst-check programs
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "zctestutils.h"

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
