/* zckmssink: KMS framebuffers of imported dma-bufs, cached per dma-buf
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_ZC_KMS_FB_CACHE_H__
#define __GST_ZC_KMS_FB_CACHE_H__

#include <gst/gst.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define GST_ZC_KMS_MAX_PLANES 4

/* What makes a framebuffer: the dma-bufs (by inode: an fd number says
 * nothing, the same dma-buf comes back under other numbers) and the layout
 * read from the buffer's GstVideoMeta. */
typedef struct
{
  ino_t inodes[GST_ZC_KMS_MAX_PLANES];
  guint32 fourcc;
  guint32 width;
  guint32 height;
  guint32 pitches[GST_ZC_KMS_MAX_PLANES];
  guint32 offsets[GST_ZC_KMS_MAX_PLANES];
} GstZcKmsFbKey;

/* A framebuffer (drmModeAddFB2), reference counted: the cache holds one
 * reference, and so does the sink for as long as it is on screen or
 * about to be, so that clearing the cache never removes a framebuffer
 * that is being scanned out. The last unref removes it (drmModeRmFB). */
typedef struct
{
  gint refcount;
  gint drm_fd;                  /* not owned: the device outlives its fbs */
  guint32 fb_id;
  GstZcKmsFbKey key;
} GstZcKmsFb;

typedef struct _GstZcKmsFbCache GstZcKmsFbCache;

G_GNUC_INTERNAL
GstZcKmsFb *      gst_zc_kms_fb_new (gint drm_fd, guint32 fb_id,
                                     const GstZcKmsFbKey * key);
G_GNUC_INTERNAL
GstZcKmsFb *      gst_zc_kms_fb_ref (GstZcKmsFb * fb);
G_GNUC_INTERNAL
void              gst_zc_kms_fb_unref (GstZcKmsFb * fb);

G_GNUC_INTERNAL
GstZcKmsFbCache * gst_zc_kms_fb_cache_new (guint max_size);
G_GNUC_INTERNAL
void              gst_zc_kms_fb_cache_free (GstZcKmsFbCache * cache);
G_GNUC_INTERNAL
GstZcKmsFb *      gst_zc_kms_fb_cache_lookup (GstZcKmsFbCache * cache,
                                              const GstZcKmsFbKey * key);
G_GNUC_INTERNAL
void              gst_zc_kms_fb_cache_insert (GstZcKmsFbCache * cache,
                                              GstZcKmsFb * fb);
G_GNUC_INTERNAL
void              gst_zc_kms_fb_cache_clear (GstZcKmsFbCache * cache);
G_GNUC_INTERNAL
guint             gst_zc_kms_fb_cache_get_size (GstZcKmsFbCache * cache);

G_END_DECLS

#endif /* __GST_ZC_KMS_FB_CACHE_H__ */
