/* GStreamer zero-copy library: export macros
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZEROCOPY_PRELUDE_H__
#define __GST_ZEROCOPY_PRELUDE_H__

#include <gst/gst.h>

#ifdef BUILDING_GST_ZEROCOPY
#define GST_ZEROCOPY_API GST_API_EXPORT
#else
#define GST_ZEROCOPY_API GST_API_IMPORT
#endif

#endif /* __GST_ZEROCOPY_PRELUDE_H__ */
