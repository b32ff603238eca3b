/*
 * imap-view-share.c: one listing shared by every view that was told the same messages.
 *
 * Why: a folder's listing costs ~128 octets a message (imap-view.h), and clients keep many
 * sessions on one folder (a phone, a laptop, a webmail, each with an IDLE connection, and the
 * same in thousands of accounts' benchmarks): 10,000 sessions on a 10,000-message INBOX held
 * 1.25 GB of identical copies. A view's listing is exactly what its client was told (message
 * numbers, UIDs, flags); changes not yet told wait in view->pending (the small delta of each
 * view), so two views told the same things hold equal listings, and one copy serves them.
 *
 * How: listings are immutable while shared. A view that must change its own (a STORE's reply,
 * FETCH setting \Seen, an expunge or flags told) takes it with imap_view_entry_w/imap_view_edit:
 * a deep copy when another view holds it too (copy on write), else the same one taken out of
 * the registry. imap_view_settle puts a private listing back: when the registry holds an equal
 * one (same user, folder, count and content hash, then compared field by field) the view takes
 * that and the private copy is freed, else the private one is registered. Sharing is thus by
 * content only: it cannot make two views' message numbers differ from what each was told.
 *
 * The registry is a hash table of the hub (srv->listings, one thread: no locks), created with
 * its first listing and freed with its last, so a hub with no selected folder holds nothing.
 * OWNS: struct imap_listings and every struct imap_listing. THREAD: the hub's.
 */
#include "imap-view.h"

#include <string.h>

struct imap_listings {
	struct imap_listing **buckets;
	size_t n_buckets; /* a power of two */
	size_t n;	  /* registered listings */
	struct imap_listings **home; /* the server's pointer, cleared when the last one goes */
};

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s != NULL ? s : "", s != NULL ? strlen(s) + 1 : 1);
}

/* The hash of user, folder and every field of every entry. */
static uint64_t listing_hash(const struct imap_listing *l)
{
	uint64_t h = fnv_str(fnv(14695981039346656037ull, &l->user_id, sizeof(l->user_id)),
			     l->folder);

	for (uint32_t i = 0; i < l->entries.n; i++) {
		const struct pb_rec_mbox_entry *e = &l->entries.v[i];
		uint64_t nums[] = { e->uid, e->size, e->flags, e->modseq, (uint64_t)e->internal_date_ms };
		h = fnv_str(fnv_str(fnv(h, nums, sizeof(nums)), e->blob_key), e->keywords);
	}
	return h;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static bool listing_eq(const struct imap_listing *a, const struct imap_listing *b)
{
	if (a->hash != b->hash || a->user_id != b->user_id || a->entries.n != b->entries.n ||
	    strcmp(a->folder, b->folder) != 0)
		return false;
	for (uint32_t i = 0; i < a->entries.n; i++) {
		const struct pb_rec_mbox_entry *x = &a->entries.v[i], *y = &b->entries.v[i];
		if (x->uid != y->uid || x->size != y->size || x->flags != y->flags ||
		    x->modseq != y->modseq || x->internal_date_ms != y->internal_date_ms ||
		    !str_eq(x->blob_key, y->blob_key) || !str_eq(x->keywords, y->keywords))
			return false;
	}
	return true;
}

/* ---- the registry ---- */

static struct imap_listing **bucket_of(struct imap_listings *r, uint64_t hash)
{
	return &r->buckets[hash & (r->n_buckets - 1)];
}

static void registry_grow(struct imap_listings *r)
{
	struct imap_listing **old = r->buckets;
	size_t n_old = r->n_buckets;

	r->n_buckets = n_old == 0 ? 16 : 2 * n_old;
	r->buckets = xcalloc(r->n_buckets, sizeof(*r->buckets));
	for (size_t i = 0; i < n_old; i++) {
		for (struct imap_listing *l = old[i], *next; l != NULL; l = next) {
			next = l->next;
			struct imap_listing **b = bucket_of(r, l->hash);
			l->next = *b;
			*b = l;
		}
	}
	free(old);
}

static void registry_add(struct imap_listings **home, struct imap_listing *l)
{
	struct imap_listings *r = *home;

	if (r == NULL) {
		r = *home = xcalloc(1, sizeof(*r));
		r->home = home;
	}
	if (r->n >= r->n_buckets)
		registry_grow(r);
	struct imap_listing **b = bucket_of(r, l->hash);
	l->next = *b;
	*b = l;
	l->reg = r;
	r->n++;
}

/* Takes l out of its registry (the registry freed with its last listing). */
static void registry_remove(struct imap_listing *l)
{
	struct imap_listings *r = l->reg;

	if (r == NULL)
		return;
	struct imap_listing **p = bucket_of(r, l->hash);
	while (*p != l)
		p = &(*p)->next;
	*p = l->next;
	l->next = NULL;
	l->reg = NULL;
	if (--r->n == 0) {
		*r->home = NULL;
		free(r->buckets);
		free(r);
	}
}

static struct imap_listing *registry_find(struct imap_listings *r, const struct imap_listing *l)
{
	if (r == NULL)
		return NULL;
	for (struct imap_listing *c = *bucket_of(r, l->hash); c != NULL; c = c->next)
		if (listing_eq(c, l))
			return c;
	return NULL;
}

/* ---- listings ---- */

static void listing_unref(struct imap_listing **lp)
{
	struct imap_listing *l = *lp;

	*lp = NULL;
	if (l == NULL || --l->refs > 0)
		return;
	registry_remove(l);
	pb_rec_mbox_entry_list_clear(&l->entries);
	free(l->folder);
	free(l);
}

static struct imap_listing *listing_new(uint64_t user_id, const char *folder)
{
	struct imap_listing *l = xcalloc(1, sizeof(*l));

	l->refs = 1;
	l->user_id = user_id;
	l->folder = xstrdup(folder);
	return l;
}

/* A private deep copy of l's entries. */
static struct imap_listing *listing_copy(const struct imap_listing *l)
{
	struct imap_listing *c = listing_new(l->user_id, l->folder);

	c->entries.v = xmalloc((l->entries.n + 1) * sizeof(*c->entries.v));
	c->entries.cap = l->entries.n + 1;
	for (uint32_t i = 0; i < l->entries.n; i++) {
		struct pb_rec_mbox_entry *e = &c->entries.v[i];
		*e = l->entries.v[i];
		e->blob_key = e->blob_key != NULL ? xstrdup(e->blob_key) : NULL;
		e->keywords = e->keywords != NULL ? xstrdup(e->keywords) : NULL;
	}
	c->entries.n = l->entries.n;
	return c;
}

static void unpin(struct imap_view *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n_pins; i++)
		listing_unref(&v->pins[i]);
	free(v->pins);
	v->pins = NULL;
	v->n_pins = 0;
}

struct pb_rec_mbox_entry_list *imap_view_edit(struct imap_view *v)
{
	struct imap_listing *l = v->msgs;

	if (l->refs > 1) {
		/* held, not let go: the command under way may point into it (FETCH's blob keys);
		 * let go at the next settle, where no command is under way */
		v->pins = xrealloc(v->pins, (v->n_pins + 1) * sizeof(*v->pins));
		v->pins[v->n_pins++] = l;
		v->msgs = listing_copy(l);
	} else {
		registry_remove(l);
	}
	return &v->msgs->entries;
}

struct pb_rec_mbox_entry *imap_view_entry_w(struct imap_view *v, size_t msn)
{
	return &imap_view_edit(v)->v[msn - 1];
}

void imap_view_settle(struct imap_session *s)
{
	struct imap_view *v = s->view;
	struct imap_listing *l = v != NULL ? v->msgs : NULL;

	unpin(v);
	if (l == NULL || l->reg != NULL)
		return; /* shared already */
	l->hash = listing_hash(l);
	struct imap_listing *same = registry_find(s->srv->listings, l);
	if (same == NULL) {
		registry_add(&s->srv->listings, l);
		return;
	}
	same->refs++;
	listing_unref(&v->msgs);
	v->msgs = same;
}

void imap_view_adopt(struct imap_session *s, struct pb_rec_mbox_entry_list *entries)
{
	struct imap_view *v = s->view;

	listing_unref(&v->msgs);
	v->msgs = listing_new(s->user_id, v->folder);
	pb_rec_mbox_entry_list_move(&v->msgs->entries, entries);
	imap_view_settle(s);
}

void imap_view_drop_listing(struct imap_view *v)
{
	unpin(v);
	listing_unref(&v->msgs);
}

size_t imap_view_shared_by(const struct imap_view *v)
{
	return v->msgs != NULL && v->msgs->reg != NULL ? v->msgs->refs : 0;
}
