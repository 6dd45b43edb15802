/* zcipc plugin: dma-buf and memfd frames between processes over a Unix socket
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcipcelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (zcfdsink, plugin);
  ret |= GST_ELEMENT_REGISTER (zcfdsrc, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, zcipc,
    "Zero-copy frames between processes: dma-buf and memfd fds over a Unix "
    "socket", plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME,
    GST_PACKAGE_ORIGIN)
