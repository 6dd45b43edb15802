/* GStreamer zero-copy library: umbrella header
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZEROCOPY_H__
#define __GST_ZEROCOPY_H__

#include <gst/zerocopy/zerocopy-prelude.h>
#include <gst/zerocopy/gstzcaccel.h>
#include <gst/zerocopy/gstzcallocation.h>
#include <gst/zerocopy/gstzcbufferpool.h>
#include <gst/zerocopy/gstzccapturetime.h>
#include <gst/zerocopy/gstzccontext.h>
#include <gst/zerocopy/gstzccpuaccess.h>
#include <gst/zerocopy/gstzcdmabufallocator.h>
#include <gst/zerocopy/gstzcfence.h>
#include <gst/zerocopy/gstzcfencemeta.h>
#include <gst/zerocopy/gstzcformat.h>
#include <gst/zerocopy/gstzcstats.h>
#include <gst/zerocopy/gstzcupload.h>

#endif /* __GST_ZEROCOPY_H__ */
