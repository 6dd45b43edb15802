/* zckmssink: KMS framebuffers of imported dma-bufs, cached per dma-buf
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A pool hands the same few dma-bufs around again and again: importing
 * each once (PRIME import + AddFB2) and finding its framebuffer by the
 * dma-buf's inode afterwards makes a frame cost no ioctl but the flip.
 * A dma-buf stays alive while a framebuffer made of it exists (the
 * framebuffer holds its buffer objects, which hold the dma-buf), so its
 * inode cannot be reused by another dma-buf while it is cached.
 *
 * The cache is a short most-recently-used list: a producer that makes new
 * dma-bufs all the time (no pool) must not pin them all, so beyond
 * max_size the least recently used framebuffer is dropped. The one on
 * screen and the one about to be are the two most recently used, and the
 * sink holds references on them anyway.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzckmsfbcache.h"

#include <errno.h>
#include <string.h>
#include <xf86drmMode.h>

GST_DEBUG_CATEGORY_EXTERN (gst_zc_kms_sink_debug);
#define GST_CAT_DEFAULT gst_zc_kms_sink_debug

struct _GstZcKmsFbCache
{
  GQueue entries;               /* GstZcKmsFb, most recently used first */
  guint max_size;
};

GstZcKmsFb *
gst_zc_kms_fb_new (gint drm_fd, guint32 fb_id, const GstZcKmsFbKey * key)
{
  GstZcKmsFb *fb = g_new0 (GstZcKmsFb, 1);

  fb->refcount = 1;
  fb->drm_fd = drm_fd;
  fb->fb_id = fb_id;
  fb->key = *key;
  return fb;
}

GstZcKmsFb *
gst_zc_kms_fb_ref (GstZcKmsFb * fb)
{
  g_atomic_int_inc (&fb->refcount);
  return fb;
}

void
gst_zc_kms_fb_unref (GstZcKmsFb * fb)
{
  if (!fb)
    return;
  GST_TRACE ("framebuffer %u: %d references", fb->fb_id, fb->refcount - 1);
  if (!g_atomic_int_dec_and_test (&fb->refcount))
    return;

  /* On a device that went away this fails with ENODEV; the kernel frees
   * the framebuffer with the file then. */
  if (drmModeRmFB (fb->drm_fd, fb->fb_id) < 0)
    GST_WARNING ("drmModeRmFB (%u) failed: %s", fb->fb_id, g_strerror (errno));
  else
    GST_TRACE ("removed framebuffer %u", fb->fb_id);
  g_free (fb);
}

GstZcKmsFbCache *
gst_zc_kms_fb_cache_new (guint max_size)
{
  GstZcKmsFbCache *cache = g_new0 (GstZcKmsFbCache, 1);

  g_queue_init (&cache->entries);
  cache->max_size = MAX (max_size, 3);
  return cache;
}

void
gst_zc_kms_fb_cache_free (GstZcKmsFbCache * cache)
{
  if (!cache)
    return;
  gst_zc_kms_fb_cache_clear (cache);
  g_free (cache);
}

static gboolean
same_key (const GstZcKmsFbKey * a, const GstZcKmsFbKey * b)
{
  return memcmp (a, b, sizeof (*a)) == 0;
}

/* Returns: (transfer none) (nullable): the framebuffer made for @key, now
 * the most recently used. A cached framebuffer of the same first dma-buf
 * with another layout (the producer reused it for other caps) is dropped:
 * it will not be asked for again. */
GstZcKmsFb *
gst_zc_kms_fb_cache_lookup (GstZcKmsFbCache * cache, const GstZcKmsFbKey * key)
{
  GList *l;

  for (l = cache->entries.head; l; l = l->next) {
    GstZcKmsFb *fb = l->data;

    if (fb->key.inodes[0] != key->inodes[0])
      continue;
    g_queue_unlink (&cache->entries, l);
    if (!same_key (&fb->key, key)) {
      GST_DEBUG ("dma-buf %lu comes back with another layout: framebuffer "
          "%u dropped", (gulong) key->inodes[0], fb->fb_id);
      g_list_free (l);
      gst_zc_kms_fb_unref (fb);
      return NULL;
    }
    g_queue_push_head_link (&cache->entries, l);
    return fb;
  }
  return NULL;
}

/* Takes @fb (transfer full) as the most recently used entry. */
void
gst_zc_kms_fb_cache_insert (GstZcKmsFbCache * cache, GstZcKmsFb * fb)
{
  g_queue_push_head (&cache->entries, fb);
  while (cache->entries.length > cache->max_size) {
    GstZcKmsFb *old = g_queue_pop_tail (&cache->entries);

    GST_DEBUG ("cache full: framebuffer %u of dma-buf %lu dropped",
        old->fb_id, (gulong) old->key.inodes[0]);
    gst_zc_kms_fb_unref (old);
  }
}

/* Drops the cache's references: framebuffers nobody else holds are
 * removed now, the one on screen when the sink lets it go. */
void
gst_zc_kms_fb_cache_clear (GstZcKmsFbCache * cache)
{
  GstZcKmsFb *fb;

  while ((fb = g_queue_pop_head (&cache->entries)))
    gst_zc_kms_fb_unref (fb);
}

guint
gst_zc_kms_fb_cache_get_size (GstZcKmsFbCache * cache)
{
  return cache->entries.length;
}
