/* zcaudit: a tracer reporting, per element, memory kinds and copies
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:tracer-zcaudit
 * @title: zcaudit
 * @short_description: where a pipeline left the zero-copy path
 *
 * For every buffer pushed over a pad link, the tracer notes the kind of
 * its memory ("dma-buf", "fd" for fd memory that is not a dma-buf such as
 * the memfd backend's, or "system") on both sides, and whether each output
 * frame of an element reused memories that entered it (passthrough: same
 * inode, `fstat().st_ino`, for fd memory; same #GstMemory otherwise) or
 * carried new memory. Copies and `DMA_BUF_IOCTL_SYNC` brackets come from
 * the zero-copy library's counters (#GstZcStats): the project's elements
 * report their copies, and the tracer makes the receiving element the
 * thread's element around every push so that the library's helpers count
 * against it (see gst_zc_stats_set_thread_element() for the rule and its
 * limit). Of other elements only the helpers' counts are known: the rest
 * is reported as unknown, never guessed.
 *
 * When a top-level pipeline goes from PAUSED to READY, or when the tracer
 * is finalized, a table of its elements is printed on stderr and, with
 * `file=`, written as JSON (gst_zc_audit_format_json()).
 *
 * ## Example
 * |[
 * GST_TRACERS="zcaudit(file=audit.json)" gst-launch-1.0 \
 *     videotestsrc num-buffers=10 ! zcupload ! fakesink
 * ]|
 *
 * Limits: buffers pulled (pull mode) are not seen; an output frame counts
 * as passthrough only if its memories are among the last
 * %GST_ZC_AUDIT_RECENT that entered the element, and for system memory a
 * freed and reallocated #GstMemory at the same address looks the same.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstzcaudit.h"
#include "gstzcauditreport.h"

#include <errno.h>
#include <sys/stat.h>
#include <gst/allocators/allocators.h>

GST_DEBUG_CATEGORY_STATIC (gst_zc_audit_debug);
#define GST_CAT_DEFAULT gst_zc_audit_debug

struct _GstZcAudit
{
  GstTracer parent;

  GMutex lock;
  GHashTable *records;          /* live GstElement * -> GstZcAuditRecord * */
  guint64 next_order;
  GPtrArray *disposed;          /* records of disposed elements */
  gchar *file;                  /* JSON report, from params "file=" */
};

#define gst_zc_audit_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstZcAudit, gst_zc_audit, GST_TYPE_TRACER,
    GST_DEBUG_CATEGORY_INIT (gst_zc_audit_debug, "zcaudit", 0,
        "zero-copy audit tracer"));

/* Each thread's stack of the elements it worked for before the pushes it
 * is in, to restore when they return. */
static GPrivate push_stack = G_PRIVATE_INIT (NULL);

static void
record_free (GstZcAuditRecord * record)
{
  g_free (record->name);
  g_free (record);
}

static gconstpointer
top_of (GstElement * element)
{
  GstObject *obj = gst_object_ref (GST_OBJECT (element));
  GstObject *parent;

  while ((parent = gst_object_get_parent (obj))) {
    gst_object_unref (obj);
    obj = parent;
  }
  gst_object_unref (obj);
  return obj;
}

/* The counters must be read before the element's qdata goes away. */
static void
element_disposed (gpointer data, GObject * where_the_object_was)
{
  GstZcAudit *self = data;
  GstZcAuditRecord *record;

  g_mutex_lock (&self->lock);
  record = g_hash_table_lookup (self->records, where_the_object_was);
  if (record) {
    gst_zc_audit_record_read_stats (record);
    record->element = NULL;
    g_hash_table_steal (self->records, where_the_object_was);
    g_ptr_array_add (self->disposed, record);
  }
  g_mutex_unlock (&self->lock);
}

/* With the lock held. */
static GstZcAuditRecord *
get_record (GstZcAudit * self, GstElement * element)
{
  GstZcAuditRecord *record = g_hash_table_lookup (self->records, element);

  if (record)
    return record;

  record = g_new0 (GstZcAuditRecord, 1);
  record->element = element;
  record->order = self->next_order++;
  record->top = top_of (element);
  record->name = gst_object_get_name (GST_OBJECT (element));
  /* The project's elements, GstZc*, report all their copies. */
  record->ours = g_str_has_prefix (G_OBJECT_TYPE_NAME (element), "GstZc");
  g_hash_table_insert (self->records, element, record);
  g_object_weak_ref (G_OBJECT (element), element_disposed, self);
  return record;
}

/* The element a pad belongs to; NULL for a bin's ghost pad or its proxy
 * pad, whose buffers are seen again on the inner link. */
static GstElement *
element_of (GstPad * pad)
{
  GstObject *parent = GST_OBJECT_PARENT (pad);

  if (!GST_IS_ELEMENT (parent) || GST_IS_BIN (parent))
    return NULL;
  return GST_ELEMENT_CAST (parent);
}

static GstElement *
peer_element_of (GstPad * pad)
{
  GstPad *peer = GST_PAD_PEER (pad);

  return peer ? element_of (peer) : NULL;
}

static GstZcAuditIdentity
identity_of (GstMemory * mem, guint * kind)
{
  GstZcAuditIdentity id = { FALSE, 0 };
  struct stat st;

  while (mem->parent)
    mem = mem->parent;
  *kind = gst_is_dmabuf_memory (mem) ? GST_ZC_AUDIT_DMABUF :
      gst_is_fd_memory (mem) ? GST_ZC_AUDIT_FD : GST_ZC_AUDIT_SYSTEM;
  if (*kind != GST_ZC_AUDIT_SYSTEM
      && fstat (gst_fd_memory_get_fd (mem), &st) == 0) {
    id.is_inode = TRUE;
    id.id = st.st_ino;
  } else {
    id.id = GPOINTER_TO_SIZE (mem);
  }
  return id;
}

static gboolean
entered (const GstZcAuditRecord * r, const GstZcAuditIdentity * id)
{
  guint i;

  for (i = 0; i < r->n_recent; i++)
    if (r->recent[i].is_inode == id->is_inode && r->recent[i].id == id->id)
      return TRUE;
  return FALSE;
}

static void
remember (GstZcAuditRecord * r, const GstZcAuditIdentity * id)
{
  if (entered (r, id))
    return;
  r->recent[r->next_recent] = *id;
  r->next_recent = (r->next_recent + 1) % GST_ZC_AUDIT_RECENT;
  r->n_recent = MIN (r->n_recent + 1, GST_ZC_AUDIT_RECENT);
}

/* With the lock held: one buffer leaving @out (may be NULL) for @in (may
 * be NULL). */
static void
audit_buffer (GstZcAudit * self, GstZcAuditRecord * out,
    GstZcAuditRecord * in, GstBuffer * buffer)
{
  guint i, n = gst_buffer_n_memory (buffer), kinds = 0, kind;
  gboolean reused = n > 0;

  for (i = 0; i < n; i++) {
    GstZcAuditIdentity id =
        identity_of (gst_buffer_peek_memory (buffer, i), &kind);

    kinds |= kind;
    if (out)
      reused &= entered (out, &id);
    if (in)
      remember (in, &id);
  }
  if (out) {
    out->out_kinds |= kinds;
    out->frames_out++;
    if (reused)
      out->out_passthrough++;
    else
      out->out_new++;
  }
  if (in) {
    in->in_kinds |= kinds;
    in->frames_in++;
  }
}

static void
audit_push (GstZcAudit * self, GstPad * pad, GstBuffer * buffer)
{
  GstElement *from = element_of (pad), *to = peer_element_of (pad);
  GstZcAuditRecord *out = NULL, *in = NULL;

  if (!from && !to)
    return;
  g_mutex_lock (&self->lock);
  /* Upstream first, for the report's order. */
  if (from)
    out = get_record (self, from);
  if (to)
    in = get_record (self, to);
  audit_buffer (self, out, in, buffer);
  g_mutex_unlock (&self->lock);
}

/* The receiving element works on this thread until the push returns. */
static void
enter_push (GstPad * pad)
{
  GSList *stack = g_private_get (&push_stack);
  GstElement *to = peer_element_of (pad);

  stack = g_slist_prepend (stack, gst_zc_stats_get_thread_element ());
  g_private_set (&push_stack, stack);
  if (to)
    gst_zc_stats_set_thread_element (to);
}

/* Back from the outermost push, the thread is the pushing element's own
 * (a source's or a queue's streaming thread): its work between pushes is
 * counted against it. */
static void
leave_push (GstPad * pad)
{
  GSList *stack = g_private_get (&push_stack);
  GstElement *previous, *from = element_of (pad);

  if (!stack)
    return;
  previous = stack->data;
  stack = g_slist_delete_link (stack, stack);
  g_private_set (&push_stack, stack);
  if (stack || !from)
    gst_zc_stats_set_thread_element (previous);
  else
    gst_zc_stats_set_thread_element (from);
  gst_clear_object (&previous);
}

static void
do_push_buffer_pre (GstZcAudit * self, GstClockTime ts, GstPad * pad,
    GstBuffer * buffer)
{
  audit_push (self, pad, buffer);
  enter_push (pad);
}

static void
do_push_list_pre (GstZcAudit * self, GstClockTime ts, GstPad * pad,
    GstBufferList * list)
{
  guint i, n = gst_buffer_list_length (list);

  for (i = 0; i < n; i++)
    audit_push (self, pad, gst_buffer_list_get (list, i));
  enter_push (pad);
}

static void
do_push_post (GstZcAudit * self, GstClockTime ts, GstPad * pad,
    GstFlowReturn res)
{
  leave_push (pad);
}

/* Report order: the order in which elements were first seen, which for a
 * pipeline's data flow is upstream first. */
static gint
compare_order (gconstpointer a, gconstpointer b)
{
  const GstZcAuditRecord *ra = *(GstZcAuditRecord **) a;
  const GstZcAuditRecord *rb = *(GstZcAuditRecord **) b;

  return ra->order < rb->order ? -1 : ra->order > rb->order;
}

/* With the lock held: the records of @top's elements (all for NULL), taken
 * out of the tracer with their counters read. */
static GPtrArray *
take_records (GstZcAudit * self, gconstpointer top)
{
  GPtrArray *taken = g_ptr_array_new_with_free_func ((GDestroyNotify)
      record_free);
  GHashTableIter iter;
  GstZcAuditRecord *r;
  guint i = 0;

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & r)) {
    if (top && r->top != top)
      continue;
    gst_zc_audit_record_read_stats (r);
    g_object_weak_unref (G_OBJECT (r->element), element_disposed, self);
    g_hash_table_iter_steal (&iter);
    g_ptr_array_add (taken, r);
  }
  while (i < self->disposed->len) {
    r = g_ptr_array_index (self->disposed, i);
    if (top && r->top != top)
      i++;
    else
      g_ptr_array_add (taken, g_ptr_array_steal_index (self->disposed, i));
  }
  g_ptr_array_sort (taken, compare_order);
  return taken;
}

static void
write_json (GstZcAudit * self, const gchar * json)
{
  GError *err = NULL;

  if (!g_file_set_contents (self->file, json, -1, &err)) {
    GST_WARNING_OBJECT (self, "could not write the report: %s",
        err->message);
    g_clear_error (&err);
  }
}

static void
report (GstZcAudit * self, gconstpointer top)
{
  GPtrArray *records;
  gchar *table, *json = NULL;

  g_mutex_lock (&self->lock);
  records = take_records (self, top);
  g_mutex_unlock (&self->lock);
  if (records->len == 0)
    goto done;

  table = gst_zc_audit_format_table (records);
  g_printerr ("zcaudit report:\n%s", table);
  g_free (table);
  if (self->file) {
    json = gst_zc_audit_format_json (records);
    write_json (self, json);
    g_free (json);
  }

done:
  g_ptr_array_unref (records);
}

static void
do_change_state_post (GstZcAudit * self, GstClockTime ts,
    GstElement * element, GstStateChange transition,
    GstStateChangeReturn result)
{
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      && GST_IS_PIPELINE (element) && !GST_OBJECT_PARENT (element))
    report (self, element);
}

/* params: "file=PATH" */
static void
read_params (GstZcAudit * self)
{
  gchar *params = NULL, *text;
  GstStructure *s;

  g_object_get (self, "params", &params, NULL);
  if (!params)
    return;
  text = g_strdup_printf ("zcaudit,%s", params);
  s = gst_structure_from_string (text, NULL);
  if (!s)
    goto bad_params;
  self->file = g_strdup (gst_structure_get_string (s, "file"));
  gst_structure_free (s);
  g_free (text);
  g_free (params);
  return;

  /* ERRORS */
bad_params:
  GST_WARNING_OBJECT (self, "cannot parse params '%s': expected "
      "'file=PATH'", params);
  g_free (text);
  g_free (params);
}

static void
gst_zc_audit_constructed (GObject * object)
{
  GstZcAudit *self = GST_ZC_AUDIT (object);

  G_OBJECT_CLASS (parent_class)->constructed (object);
  read_params (self);
}

static void
gst_zc_audit_finalize (GObject * object)
{
  GstZcAudit *self = GST_ZC_AUDIT (object);

  report (self, NULL);
  g_hash_table_unref (self->records);
  g_ptr_array_unref (self->disposed);
  g_free (self->file);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_zc_audit_class_init (GstZcAuditClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->constructed = gst_zc_audit_constructed;
  gobject_class->finalize = gst_zc_audit_finalize;
}

static void
gst_zc_audit_init (GstZcAudit * self)
{
  GstTracer *tracer = GST_TRACER (self);

  g_mutex_init (&self->lock);
  self->records = g_hash_table_new (NULL, NULL);
  self->disposed = g_ptr_array_new_with_free_func ((GDestroyNotify)
      record_free);

  gst_tracing_register_hook (tracer, "pad-push-pre",
      G_CALLBACK (do_push_buffer_pre));
  gst_tracing_register_hook (tracer, "pad-push-post",
      G_CALLBACK (do_push_post));
  gst_tracing_register_hook (tracer, "pad-push-list-pre",
      G_CALLBACK (do_push_list_pre));
  gst_tracing_register_hook (tracer, "pad-push-list-post",
      G_CALLBACK (do_push_post));
  gst_tracing_register_hook (tracer, "element-change-state-post",
      G_CALLBACK (do_change_state_post));
}
