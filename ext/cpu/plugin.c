/* zccpu plugin: CPU-fallback elements reading dma-bufs between SYNC brackets
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzccpuelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (zcsnapshot, plugin);
  ret |= GST_ELEMENT_REGISTER (zcthumbnail, plugin);
  ret |= GST_ELEMENT_REGISTER (zcupload, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, zccpu,
    "Zero-copy CPU-fallback elements: snapshots, thumbnails, uploads",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
