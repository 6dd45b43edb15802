/* GStreamer zero-copy library: dma-buf allocator
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:gstzcdmabufallocator
 * @title: GstZcDmabufAllocator
 * @short_description: dma-buf memory from a DRM device, or memfd memory
 *
 * A #GstDmaBufAllocator whose memory comes from one of several backends
 * (#GstZcBackend), chosen when the allocator is made:
 *
 * - `dma-heap`: the kernel's dma-buf heaps (`/dev/dma_heap/system`, or a
 *   CMA heap for physically contiguous memory).
 * - `udmabuf`: memfd pages turned into a dma-buf by `/dev/udmabuf`.
 * - `drm`: a dumb buffer on a DRM node exported as a dma-buf with PRIME;
 *   works on render-less drivers such as vgem as well as on displays.
 * - `memfd`: the fallback where nothing exports dma-bufs. Its memory is fd
 *   memory (gst_is_fd_memory() is %TRUE) but not dma-buf memory
 *   (gst_is_dmabuf_memory() is %FALSE): no device can import it.
 *
 * Every memory is mapped once, for its lifetime
 * (%GST_FD_MEMORY_FLAG_KEEP_MAPPED), and every gst_memory_map() /
 * gst_memory_unmap() of a dma-buf brackets the access with
 * `DMA_BUF_IOCTL_SYNC` through gst_zc_cpu_access_begin() and
 * gst_zc_cpu_access_end() (direction from the #GstMapFlags, restarted on
 * EINTR/EAGAIN). The memfd backend skips the ioctl by design: it is not a
 * dma-buf.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcdmabufallocator.h"
#include "gstzcbackend.h"
#include "gstzccpuaccess.h"
#include "gstzcprivate.h"

#include <gio/gio.h>
#include <unistd.h>

#define GST_CAT_DEFAULT gst_zc_allocator_debug

enum
{
  PROP_0,
  PROP_BACKEND,
  PROP_DEVICE,
  PROP_HEAP_NAME,
  PROP_ACTIVE_BACKEND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _GstZcDmabufAllocator
{
  GstDmaBufAllocator parent;

  GstZcBackend backend;         /* as asked for */
  gchar *device;
  gchar *heap_name;

  const GstZcBackendOps *ops;   /* as opened; NULL for import only */
  gpointer state;
  GstAllocator *fd_allocator;   /* hands out memfd memory; memfd only */
};

static void gst_zc_dmabuf_allocator_initable_iface_init (GInitableIface *
    iface);

G_DEFINE_TYPE_WITH_CODE (GstZcDmabufAllocator, gst_zc_dmabuf_allocator,
    GST_TYPE_DMABUF_ALLOCATOR,
    G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
        gst_zc_dmabuf_allocator_initable_iface_init);
    gst_zc_debug_init ());

/**
 * gst_zc_backend_get_type:
 *
 * Returns: the #GType of #GstZcBackend.
 *
 * Since: 0.1
 */
GType
gst_zc_backend_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_ZC_BACKEND_AUTO, "The first backend that works", "auto"},
    {GST_ZC_BACKEND_IMPORT, "Import only: allocates nothing", "import"},
    {GST_ZC_BACKEND_MEMFD, "memfd: fd memory, not a dma-buf", "memfd"},
    {GST_ZC_BACKEND_DRM, "DRM dumb buffer exported with PRIME", "drm"},
    {GST_ZC_BACKEND_DMA_HEAP, "dma-buf heap", "dma-heap"},
    {GST_ZC_BACKEND_UDMABUF, "memfd made a dma-buf by udmabuf", "udmabuf"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstZcBackend",
            values));
  return type;
}

/**
 * gst_zc_backend_get_nick:
 * @backend: a #GstZcBackend
 *
 * Returns: the backend's short name ("drm", "memfd", ...), as accepted by
 * the `backend` property; "unknown" for a value out of range.
 *
 * Since: 0.1
 */
const gchar *
gst_zc_backend_get_nick (GstZcBackend backend)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_ZC_BACKEND);
  GEnumValue *value = g_enum_get_value (klass, backend);

  g_type_class_unref (klass);
  return value ? value->value_nick : "unknown";
}

static gpointer
gst_zc_dmabuf_mem_map_full (GstMemory * mem, GstMapInfo * info, gsize maxsize)
{
  /* mem_map is GstFdAllocator's mmap, kept mapped for the memory's life. */
  gpointer data = mem->allocator->mem_map (mem, maxsize, info->flags);

  /* A failed SYNC_START is logged with its errno by the helper; the
   * mapping itself is valid, so the access goes on as upstream's does. */
  if (data)
    gst_zc_cpu_access_begin (gst_fd_memory_get_fd (mem), info->flags);

  return data;
}

static void
gst_zc_dmabuf_mem_unmap_full (GstMemory * mem, GstMapInfo * info)
{
  gst_zc_cpu_access_end (gst_fd_memory_get_fd (mem), info->flags);
  mem->allocator->mem_unmap (mem);
}

/* The bytes a request needs (prefix + size + padding), or 0 with @error
 * set when there is nothing to allocate, the sum overflows, or it exceeds
 * the machine's memory: backends would hand out a sparse memfd that fails
 * later, or let the kernel allocate pages until the OOM killer steps in. */
static gsize
checked_total (gsize size, const GstAllocationParams * params,
    GError ** error)
{
  guint64 ram = (guint64) sysconf (_SC_PHYS_PAGES) * sysconf (_SC_PAGESIZE);
  gsize total;

  if (size == 0)
    goto empty;
  if (!g_size_checked_add (&total, size, params->prefix)
      || !g_size_checked_add (&total, total, params->padding))
    goto too_large;
  if (total > ram)
    goto too_large;
  return total;

  /* ERRORS */
empty:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "a memory of 0 bytes was asked for");
  return 0;
too_large:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
      "%" G_GSIZE_FORMAT " bytes (+%" G_GSIZE_FORMAT " prefix, +%"
      G_GSIZE_FORMAT " padding) is more than this machine's %"
      G_GUINT64_FORMAT " bytes of memory", size, params->prefix,
      params->padding, ram);
  return 0;
}

static GstMemory *
gst_zc_dmabuf_allocator_alloc (GstAllocator * allocator, gsize size,
    GstAllocationParams * params)
{
  GstZcDmabufAllocator *self = GST_ZC_DMABUF_ALLOCATOR (allocator);
  GError *error = NULL;
  GstAllocator *owner;
  GstMemory *mem;
  gsize total, alloc_size = 0;
  gint fd;

  if (!self->ops)
    goto import_only;

  total = checked_total (size, params, &error);
  if (total == 0)
    goto alloc_failed;
  fd = self->ops->alloc (self->state, total, &alloc_size, &error);
  if (fd < 0)
    goto alloc_failed;
  if (alloc_size < total)
    goto short_memory;

  owner = self->ops->is_dmabuf ? allocator : self->fd_allocator;
  mem = gst_fd_allocator_alloc (owner, fd, alloc_size,
      GST_FD_MEMORY_FLAG_KEEP_MAPPED);
  gst_memory_resize (mem, params->prefix, size);

  GST_TRACE_OBJECT (self, "allocated %" G_GSIZE_FORMAT " bytes (fd %d)",
      alloc_size, fd);
  return mem;

  /* ERRORS */
import_only:
  GST_ERROR_OBJECT (self, "this allocator only imports dma-bufs");
  return NULL;
alloc_failed:
  GST_ERROR_OBJECT (self, "allocating %" G_GSIZE_FORMAT " bytes failed: %s",
      size, error->message);
  g_clear_error (&error);
  return NULL;
short_memory:
  GST_ERROR_OBJECT (self, "backend %s gave %" G_GSIZE_FORMAT " bytes for a "
      "request of %" G_GSIZE_FORMAT, self->ops->describe (self->state),
      alloc_size, total);
  close (fd);
  return NULL;
}

static const GstZcBackendOps *
backend_ops (GstZcBackend backend)
{
  switch (backend) {
    case GST_ZC_BACKEND_DRM:
      return &gst_zc_backend_drm;
    case GST_ZC_BACKEND_MEMFD:
      return &gst_zc_backend_memfd;
    case GST_ZC_BACKEND_DMA_HEAP:
      return &gst_zc_backend_dma_heap;
    case GST_ZC_BACKEND_UDMABUF:
      return &gst_zc_backend_udmabuf;
    default:
      return NULL;
  }
}

static gboolean
open_backend (GstZcDmabufAllocator * self, const GstZcBackendOps * ops,
    GError ** error)
{
  GstZcBackendParams params = { self->device, self->heap_name };

  self->state = ops->open (&params, error);
  if (!self->state)
    return FALSE;
  self->ops = ops;
  return TRUE;
}

/* auto: the first backend that opens, dma-buf exporters before memfd;
 * heaps and udmabuf first because they need no device that a display or
 * another process might want. A device names a DRM node: drm only. */
static gboolean
open_auto (GstZcDmabufAllocator * self, GError ** error)
{
  static const GstZcBackend order[] = { GST_ZC_BACKEND_DMA_HEAP,
    GST_ZC_BACKEND_UDMABUF, GST_ZC_BACKEND_DRM
  };
  GError *err = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (order); i++) {
    if (self->device && order[i] != GST_ZC_BACKEND_DRM)
      continue;
    if (open_backend (self, backend_ops (order[i]), &err))
      return TRUE;
    GST_DEBUG_OBJECT (self, "backend %s unavailable: %s",
        gst_zc_backend_get_nick (order[i]), err->message);
    g_clear_error (&err);
  }

  /* memfd takes no device: a device that did not work is an error. */
  if (self->device) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no backend could use device %s", self->device);
    return FALSE;
  }
  return open_backend (self, &gst_zc_backend_memfd, error);
}

/* GST_ZC_BACKEND=<nick> turns auto into that backend, so that a whole
 * pipeline can be moved to another backend without changing it. */
static gboolean
apply_env_override (GstZcDmabufAllocator * self, GError ** error)
{
  const gchar *nick = g_getenv (GST_ZC_BACKEND_ENV);
  GEnumClass *klass;
  GEnumValue *value;

  if (!nick || !*nick || self->backend != GST_ZC_BACKEND_AUTO)
    return TRUE;

  klass = g_type_class_ref (GST_TYPE_ZC_BACKEND);
  value = g_enum_get_value_by_nick (klass, nick);
  g_type_class_unref (klass);
  if (!value || !backend_ops (value->value))
    goto bad_nick;

  GST_INFO_OBJECT (self, GST_ZC_BACKEND_ENV "=%s chooses the backend", nick);
  self->backend = value->value;
  return TRUE;

  /* ERRORS */
bad_nick:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      GST_ZC_BACKEND_ENV "=%s is not a backend (dma-heap, udmabuf, drm, "
      "memfd)", nick);
  return FALSE;
}

static gboolean
gst_zc_dmabuf_allocator_initable_init (GInitable * initable,
    GCancellable * cancellable, GError ** error)
{
  GstZcDmabufAllocator *self = GST_ZC_DMABUF_ALLOCATOR (initable);
  GError *err = NULL;
  gboolean ok;

  if (self->backend == GST_ZC_BACKEND_IMPORT)
    return TRUE;
  if (!apply_env_override (self, error))
    return FALSE;

  if (self->backend == GST_ZC_BACKEND_AUTO)
    ok = open_auto (self, &err);
  else
    ok = open_backend (self, backend_ops (self->backend), &err);

  if (!ok) {
    g_propagate_prefixed_error (error, err, "dma-buf allocator backend %s: ",
        gst_zc_backend_get_nick (self->backend));
    return FALSE;
  }

  /* memfd memory is handed out by a plain fd allocator: not a dma-buf. */
  if (!self->ops->is_dmabuf) {
    self->fd_allocator = gst_fd_allocator_new ();
    GST_OBJECT_FLAG_UNSET (self->fd_allocator,
        GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
  }

  if (self->ops->is_dmabuf)
    GST_INFO_OBJECT (self, "using backend %s",
        self->ops->describe (self->state));
  else
    GST_INFO_OBJECT (self, "using backend %s: no dma-buf exporter is in "
        "use, devices cannot import this memory",
        self->ops->describe (self->state));

  return TRUE;
}

static void
gst_zc_dmabuf_allocator_initable_iface_init (GInitableIface * iface)
{
  iface->init = gst_zc_dmabuf_allocator_initable_init;
}

static void
gst_zc_dmabuf_allocator_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstZcDmabufAllocator *self = GST_ZC_DMABUF_ALLOCATOR (object);

  switch (prop_id) {
    case PROP_BACKEND:
      self->backend = g_value_get_enum (value);
      break;
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_HEAP_NAME:
      g_free (self->heap_name);
      self->heap_name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_zc_dmabuf_allocator_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstZcDmabufAllocator *self = GST_ZC_DMABUF_ALLOCATOR (object);

  switch (prop_id) {
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_HEAP_NAME:
      g_value_set_string (value, self->heap_name);
      break;
    case PROP_ACTIVE_BACKEND:
      g_value_set_enum (value, gst_zc_dmabuf_allocator_get_backend (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_zc_dmabuf_allocator_finalize (GObject * object)
{
  GstZcDmabufAllocator *self = GST_ZC_DMABUF_ALLOCATOR (object);

  if (self->ops)
    self->ops->close (self->state);
  gst_clear_object (&self->fd_allocator);
  g_free (self->device);
  g_free (self->heap_name);

  G_OBJECT_CLASS (gst_zc_dmabuf_allocator_parent_class)->finalize (object);
}

static void
gst_zc_dmabuf_allocator_class_init (GstZcDmabufAllocatorClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstAllocatorClass *allocator_class = GST_ALLOCATOR_CLASS (klass);

  gobject_class->set_property = gst_zc_dmabuf_allocator_set_property;
  gobject_class->get_property = gst_zc_dmabuf_allocator_get_property;
  gobject_class->finalize = gst_zc_dmabuf_allocator_finalize;
  allocator_class->alloc = gst_zc_dmabuf_allocator_alloc;

  /**
   * GstZcDmabufAllocator:backend:
   *
   * The backend asked for at construction.
   *
   * Since: 0.1
   */
  properties[PROP_BACKEND] = g_param_spec_enum ("backend", "Backend",
      "Where memory comes from", GST_TYPE_ZC_BACKEND, GST_ZC_BACKEND_AUTO,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcDmabufAllocator:device:
   *
   * The device node the backend uses (a DRM node such as
   * `/dev/dri/card0` for `drm`), or %NULL to choose one.
   *
   * Since: 0.1
   */
  properties[PROP_DEVICE] = g_param_spec_string ("device", "Device",
      "Device node of the backend (NULL: choose one)", NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcDmabufAllocator:heap-name:
   *
   * The dma-buf heap the `dma-heap` backend allocates from, a name in
   * `/dev/dma_heap/`: `system` (default), or `linux,cma` / `reserved`
   * where a device needs physically contiguous memory.
   *
   * Since: 0.1
   */
  properties[PROP_HEAP_NAME] = g_param_spec_string ("heap-name", "Heap name",
      "dma-buf heap of the dma-heap backend", "system",
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * GstZcDmabufAllocator:active-backend:
   *
   * The backend in use, as `auto` resolved it.
   *
   * Since: 0.1
   */
  properties[PROP_ACTIVE_BACKEND] = g_param_spec_enum ("active-backend",
      "Active backend", "The backend in use", GST_TYPE_ZC_BACKEND,
      GST_ZC_BACKEND_IMPORT, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);
}

static void
gst_zc_dmabuf_allocator_init (GstZcDmabufAllocator * self)
{
  GstAllocator *alloc = GST_ALLOCATOR_CAST (self);

  /* Replaces GstDmaBufAllocator's map, whose SYNC is not restarted on
   * EINTR/EAGAIN; mem_map/mem_unmap stay GstFdAllocator's mmap. */
  alloc->mem_map_full = gst_zc_dmabuf_mem_map_full;
  alloc->mem_unmap_full = gst_zc_dmabuf_mem_unmap_full;
  /* Unlike a plain fd allocator, this one implements alloc(): any pool or
   * element may allocate from it. */
  GST_OBJECT_FLAG_UNSET (self, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

/**
 * gst_zc_dmabuf_allocator_new:
 * @backend: the backend to use, or %GST_ZC_BACKEND_AUTO
 * @device: (nullable): the backend's device node (for `drm`, a DRM primary
 *   node such as `/dev/dri/card0`), or %NULL to choose one
 * @error: return location for a #GError
 *
 * Makes an allocator and opens its backend. `auto` tries `dma-heap` (the
 * `system` heap), `udmabuf`, `drm` (the first DRM node that can create
 * dumb buffers and export them, preferring nodes without KMS), then
 * `memfd`; or, when the environment variable %GST_ZC_BACKEND_ENV is set,
 * the backend it names. Use g_initable_new() with the `heap-name`
 * property for another heap.
 *
 * Returns: (transfer full) (nullable): the allocator, or %NULL with @error
 * set (domain %G_IO_ERROR) naming what is missing: no `/dev/dma_heap/...`,
 * no `/dev/udmabuf`, no DRM device, no dumb-buffer or PRIME export
 * capability, a device that cannot be opened, a bad %GST_ZC_BACKEND_ENV.
 *
 * Since: 0.1
 */
GstAllocator *
gst_zc_dmabuf_allocator_new (GstZcBackend backend, const gchar * device,
    GError ** error)
{
  GstAllocator *alloc;

  alloc = g_initable_new (GST_TYPE_ZC_DMABUF_ALLOCATOR, NULL, error,
      "backend", backend, "device", device, NULL);
  if (alloc)
    gst_object_ref_sink (alloc);

  return alloc;
}

/**
 * gst_zc_dmabuf_allocator_get_importer:
 *
 * The process-wide import-only allocator: it allocates nothing, and wraps
 * dma-bufs exported elsewhere (V4L2 EXPBUF, another process) so that their
 * CPU access goes through the project's SYNC brackets.
 *
 * Returns: (transfer none): the importer; do not unref it.
 *
 * Since: 0.1
 */
GstAllocator *
gst_zc_dmabuf_allocator_get_importer (void)
{
  static GstAllocator *importer = NULL;

  if (g_once_init_enter (&importer)) {
    GstAllocator *alloc = gst_zc_dmabuf_allocator_new (GST_ZC_BACKEND_IMPORT,
        NULL, NULL);

    GST_OBJECT_FLAG_SET (alloc, GST_OBJECT_FLAG_MAY_BE_LEAKED);
    g_once_init_leave (&importer, alloc);
  }
  return importer;
}

/**
 * gst_zc_dmabuf_allocator_get_backend:
 * @self: a #GstZcDmabufAllocator
 *
 * Returns: the backend in use (never %GST_ZC_BACKEND_AUTO: what `auto`
 * chose); %GST_ZC_BACKEND_IMPORT for an import-only allocator.
 *
 * Since: 0.1
 */
GstZcBackend
gst_zc_dmabuf_allocator_get_backend (GstZcDmabufAllocator * self)
{
  g_return_val_if_fail (GST_IS_ZC_DMABUF_ALLOCATOR (self),
      GST_ZC_BACKEND_IMPORT);

  return self->ops ? self->ops->id : GST_ZC_BACKEND_IMPORT;
}

/**
 * gst_zc_dmabuf_allocator_is_dmabuf:
 * @self: a #GstZcDmabufAllocator
 *
 * Returns: %TRUE when the memory this allocator hands out is dma-buf
 * memory that devices can import; %FALSE for the memfd backend.
 *
 * Since: 0.1
 */
gboolean
gst_zc_dmabuf_allocator_is_dmabuf (GstZcDmabufAllocator * self)
{
  g_return_val_if_fail (GST_IS_ZC_DMABUF_ALLOCATOR (self), FALSE);

  return !self->ops || self->ops->is_dmabuf;
}

/**
 * gst_zc_dmabuf_allocator_import:
 * @allocator: a #GstZcDmabufAllocator (any backend, or the importer)
 * @fd: (transfer full): a dma-buf file descriptor; the memory owns it and
 *   closes it when freed
 * @size: the dma-buf's size in bytes (e.g. V4L2 `length`, dumb `size`)
 *
 * Wraps an existing dma-buf as #GstMemory of this allocator: mapped once
 * for its lifetime, every map/unmap bracketed with `DMA_BUF_IOCTL_SYNC`.
 * The fd is not checked; an fd that is not a dma-buf makes every SYNC fail
 * with `ENOTTY` (logged).
 *
 * Returns: (transfer full): the memory; gst_is_dmabuf_memory() is %TRUE.
 *
 * Since: 0.1
 */
GstMemory *
gst_zc_dmabuf_allocator_import (GstAllocator * allocator, gint fd, gsize size)
{
  g_return_val_if_fail (GST_IS_ZC_DMABUF_ALLOCATOR (allocator), NULL);
  g_return_val_if_fail (fd >= 0, NULL);

  return gst_fd_allocator_alloc (allocator, fd, size,
      GST_FD_MEMORY_FLAG_KEEP_MAPPED);
}

/**
 * gst_zc_dmabuf_allocator_alloc_dumb:
 * @allocator: a #GstZcDmabufAllocator using the `drm` backend
 * @width: width in pixels
 * @height: height in rows
 * @bpp: bits per pixel (32 for XRGB8888-like formats; some drivers, such
 *   as virtio-gpu, accept nothing else)
 * @pitch: (out): the driver's row pitch in bytes
 * @error: return location for a #GError
 *
 * A dumb buffer shaped as an image (`DRM_IOCTL_MODE_CREATE_DUMB` with
 * @width, @height, @bpp) exported as a dma-buf, for memory a display will
 * scan out: drivers such as virtio-gpu size their host resource from the
 * shape, so a scanout buffer must be made with the shape the
 * framebuffer will have, and its pitch used as the stride.
 *
 * Returns: (transfer full) (nullable): the memory (its size is the
 * driver's buffer size in bytes, at least @pitch x @height), or %NULL with
 * @error set when the backend is not `drm` or the driver refused.
 *
 * Since: 0.1
 */
GstMemory *
gst_zc_dmabuf_allocator_alloc_dumb (GstAllocator * allocator, guint width,
    guint height, guint bpp, guint * pitch, GError ** error)
{
  GstZcDmabufAllocator *self;
  guint32 drm_pitch = 0;
  gsize size = 0;
  gint fd;

  g_return_val_if_fail (GST_IS_ZC_DMABUF_ALLOCATOR (allocator), NULL);
  g_return_val_if_fail (pitch != NULL, NULL);
  self = GST_ZC_DMABUF_ALLOCATOR (allocator);

  if (self->ops != &gst_zc_backend_drm)
    goto not_drm;

  fd = gst_zc_backend_drm_alloc_dumb (self->state, width, height, bpp,
      &drm_pitch, &size, error);
  if (fd < 0)
    return NULL;

  *pitch = drm_pitch;
  return gst_fd_allocator_alloc (allocator, fd, size,
      GST_FD_MEMORY_FLAG_KEEP_MAPPED);

  /* ERRORS */
not_drm:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
      "shaped dumb buffers need the drm backend (this allocator uses %s)",
      gst_zc_backend_get_nick (gst_zc_dmabuf_allocator_get_backend (self)));
  return NULL;
}
