/*
 * imap-thread.c: THREAD's algorithms (RFC 5256 sections 3 and 4) over struct imap_sort_msg
 * (imap-sort.h). REFERENCES builds a forest of containers (one per message and per id it
 * references; a container without a message is a dummy) linked parent-child in doubly
 * linked sibling lists under one root, then prunes, sorts, merges by base subject and sorts
 * again. Ids and subjects are found through one open-addressed table of strings.
 * Tree depth is bounded by IMAP_THREAD_DEPTH_MAX (links are refused past it; the subject
 * merges add at most a level or two), so the recursive walks are bounded.
 * OWNS: nothing beyond each call. THREAD: any.
 */
#include "imap-sort.h"

#include "pb-alloc.h"

#include <string.h>

struct ctr {
	int msg; /* index into m, -1: dummy, -2: the root */
	int parent, child, prev, next;
	int64_t date; /* sort key: the message's, a dummy's first child's */
	uint32_t msn;
};

struct strtab {
	const char **key;
	int *val;
	size_t cap; /* a power of 2 */
};

struct forest {
	const struct imap_sort_msg *m;
	struct ctr *c;
	size_t n;
	struct strtab ids;
};

static void tab_init(struct strtab *t, size_t want)
{
	for (t->cap = 16; t->cap < 2 * want; t->cap *= 2)
		;
	t->key = xcalloc(t->cap, sizeof(*t->key));
	t->val = xcalloc(t->cap, sizeof(*t->val));
}

static void tab_deinit(struct strtab *t)
{
	free(t->key);
	free(t->val);
}

/* The slot of key: where it is, or the free one where it goes. */
static size_t tab_slot(const struct strtab *t, const char *key)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = key; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
		if (t->key[i] == NULL || strcmp(t->key[i], key) == 0)
			return i;
}

static int ctr_new(struct forest *f, int msg)
{
	struct ctr *c = &f->c[f->n];

	*c = (struct ctr){ msg, -1, -1, -1, -1, 0, 0 };
	if (msg >= 0) {
		c->date = f->m[msg].date;
		c->msn = f->m[msg].msn;
	}
	return (int)f->n++;
}

/* The container of id, a new dummy when there is none. */
static int id_ctr(struct forest *f, const char *id)
{
	size_t i = tab_slot(&f->ids, id);

	if (f->ids.key[i] == NULL) {
		f->ids.key[i] = id;
		f->ids.val[i] = ctr_new(f, -1);
	}
	return f->ids.val[i];
}

static void unlink_ctr(struct forest *f, int x)
{
	struct ctr *c = &f->c[x];

	if (c->parent < 0)
		return;
	if (c->prev >= 0)
		f->c[c->prev].next = c->next;
	else
		f->c[c->parent].child = c->next;
	if (c->next >= 0)
		f->c[c->next].prev = c->prev;
	c->parent = c->prev = c->next = -1;
}

static void link_ctr(struct forest *f, int parent, int x)
{
	struct ctr *c = &f->c[x];

	unlink_ctr(f, x);
	c->parent = parent;
	c->next = f->c[parent].child;
	if (c->next >= 0)
		f->c[c->next].prev = x;
	f->c[parent].child = x;
}

/* The height of x's subtree, counted up to limit (trees are kept within
 * IMAP_THREAD_DEPTH_MAX, so the recursion is bounded). */
static int height(const struct forest *f, int x, int limit)
{
	int h = 0;

	for (int k = f->c[x].child; k >= 0 && h < limit; k = f->c[k].next) {
		int hk = 1 + height(f, k, limit - 1);
		h = hk > h ? hk : h;
	}
	return h;
}

/* Whether x may become a child of p: no loop (x is not p nor above it), and the tree stays
 * within IMAP_THREAD_DEPTH_MAX. */
static bool can_link(const struct forest *f, int p, int x)
{
	int depth = 0;

	for (int a = p; a >= 0; a = f->c[a].parent, depth++)
		if (a == x || depth >= IMAP_THREAD_DEPTH_MAX)
			return false;
	return f->c[x].child < 0 || depth + height(f, x, IMAP_THREAD_DEPTH_MAX) < IMAP_THREAD_DEPTH_MAX;
}

/* RFC 5256 4 (1): the containers of message i and of its references, linked. */
static void add_message(struct forest *f, int i)
{
	const struct imap_sort_msg *m = &f->m[i];
	size_t first = m->n_refs > IMAP_THREAD_REFS_MAX ? m->n_refs - IMAP_THREAD_REFS_MAX : 0;
	int c = m->message_id != NULL ? id_ctr(f, m->message_id) : ctr_new(f, i), prev = -1;

	if (f->c[c].msg >= 0 && f->c[c].msg != i)
		c = ctr_new(f, i); /* a duplicate id: a message of its own */
	f->c[c].msg = i;
	f->c[c].date = m->date;
	f->c[c].msn = m->msn;
	for (size_t r = first; r < m->n_refs; r++) {
		int rc = id_ctr(f, m->refs[r]);
		if (prev >= 0 && f->c[rc].parent < 0 && can_link(f, prev, rc))
			link_ctr(f, prev, rc);
		prev = rc;
	}
	if (prev < 0)
		unlink_ctr(f, c);
	else if (f->c[c].parent != prev && can_link(f, prev, c))
		link_ctr(f, prev, c);
}

/* (4): dummies without children go; a dummy's children move up to its level, unless that
 * level is the root and it has several. */
static void prune(struct forest *f, int p)
{
	int x = f->c[p].child;

	while (x >= 0) {
		int next = f->c[x].next;
		prune(f, x);
		int kid = f->c[x].child;
		bool one = kid >= 0 && f->c[kid].next < 0;
		if (f->c[x].msg == -1 && (kid < 0 || f->c[p].msg != -2 || one)) {
			while ((kid = f->c[x].child) >= 0)
				link_ctr(f, p, kid);
			unlink_ctr(f, x);
		}
		x = next;
	}
}

static bool before(const struct ctr *a, const struct ctr *b)
{
	return a->date < b->date || (a->date == b->date && a->msn < b->msn);
}

/* (5), (7): every sibling list under p by sent date (a dummy: its first child's). */
static void sort_level(struct forest *f, int p)
{
	size_t k = 0, n = 0;

	for (int x = f->c[p].child; x >= 0; x = f->c[x].next, n++)
		sort_level(f, x);
	int *v = xmalloc((n + 1) * sizeof(*v));
	for (int x = f->c[p].child; x >= 0; x = f->c[x].next) {
		size_t j = k++; /* insertion, from a list mostly in order */
		while (j > 0 && before(&f->c[x], &f->c[v[j - 1]])) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	for (size_t i = n; i-- > 0;)
		link_ctr(f, p, v[i]);
	if (n > 0 && f->c[p].msg == -1) {
		f->c[p].date = f->c[v[0]].date;
		f->c[p].msn = f->c[v[0]].msn;
	}
	free(v);
}

/* The message that names container x's subject: its own, else its first child's. */
static const struct imap_sort_msg *subject_msg(const struct forest *f, int x)
{
	while (f->c[x].msg < 0 && f->c[x].child >= 0)
		x = f->c[x].child;
	return f->c[x].msg >= 0 ? &f->m[f->c[x].msg] : NULL;
}

/* (6 C): root container x joins e, the one the subject table holds; returns what the table
 * holds now. */
static int merge(struct forest *f, int root, int e, int x)
{
	bool de = f->c[e].msg == -1, dx = f->c[x].msg == -1;
	bool re = subject_msg(f, e)->reply, rx = subject_msg(f, x)->reply;
	int kid, d;

	if (de && dx) {
		while ((kid = f->c[x].child) >= 0)
			link_ctr(f, e, kid);
		unlink_ctr(f, x);
	} else if (de || (!dx && !re && rx)) {
		link_ctr(f, e, x);
	} else if (dx || (!de && re && !rx)) {
		link_ctr(f, x, e);
		return x;
	} else {
		d = ctr_new(f, -1);
		link_ctr(f, root, d);
		link_ctr(f, d, e);
		link_ctr(f, d, x);
		return d;
	}
	return e;
}

/* (6): root threads with one base subject are gathered. */
static void group_subjects(struct forest *f, int root)
{
	size_t n = 0, k = 0;
	struct strtab t;

	for (int x = f->c[root].child; x >= 0; x = f->c[x].next)
		n++;
	int *v = xmalloc((n + 1) * sizeof(*v));
	for (int x = f->c[root].child; x >= 0; x = f->c[x].next)
		v[k++] = x;
	tab_init(&t, n);
	for (size_t i = 0; i < n; i++) {
		const struct imap_sort_msg *m = subject_msg(f, v[i]);
		if (m == NULL || m->subject[0] == '\0')
			continue;
		size_t s = tab_slot(&t, m->subject);
		if (t.key[s] == NULL) {
			t.key[s] = m->subject;
			t.val[s] = v[i];
		} else if (f->c[v[i]].msg == -1 ? f->c[t.val[s]].msg != -1
			   : subject_msg(f, t.val[s])->reply && !m->reply) {
			t.val[s] = v[i];
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct imap_sort_msg *m = subject_msg(f, v[i]);
		if (f->c[v[i]].parent != root || m == NULL || m->subject[0] == '\0')
			continue;
		size_t s = tab_slot(&t, m->subject);
		if (t.val[s] != v[i])
			t.val[s] = merge(f, root, t.val[s], v[i]);
	}
	tab_deinit(&t);
	free(v);
}

/* One thread's text from container x (no outer parentheses). */
static void print_thread(const struct forest *f, int x, bool uid, bool space, struct pb_buf *out)
{
	for (;;) {
		const struct ctr *c = &f->c[x];
		if (c->msg >= 0) {
			pb_buf_printf(out, "%s%u", space ? " " : "", uid ? f->m[c->msg].uid : c->msn);
			space = true;
		}
		if (c->child < 0)
			return;
		if (f->c[c->child].next < 0) {
			x = c->child;
			continue;
		}
		if (space)
			pb_buf_append_c(out, ' ');
		for (int k = c->child; k >= 0; k = f->c[k].next) {
			pb_buf_append_c(out, '(');
			print_thread(f, k, uid, false, out);
			pb_buf_append_c(out, ')');
		}
		return;
	}
}

static void thread_references(const struct imap_sort_msg *m, size_t n, bool uid,
			      struct pb_buf *out)
{
	size_t max = 2 * n + 1;
	struct forest f = { .m = m, .n = 0 };

	for (size_t i = 0; i < n; i++)
		max += m[i].n_refs < IMAP_THREAD_REFS_MAX ? m[i].n_refs : IMAP_THREAD_REFS_MAX;
	f.c = xmalloc(max * sizeof(*f.c));
	tab_init(&f.ids, max);
	for (size_t i = 0; i < n; i++)
		add_message(&f, (int)i);
	int root = ctr_new(&f, -2);
	for (int x = 0; x < root; x++)
		if (f.c[x].parent < 0)
			link_ctr(&f, root, x);
	prune(&f, root);
	sort_level(&f, root);
	group_subjects(&f, root);
	sort_level(&f, root);
	for (int x = f.c[root].child; x >= 0; x = f.c[x].next) {
		pb_buf_append_c(out, '(');
		print_thread(&f, x, uid, false, out);
		pb_buf_append_c(out, ')');
	}
	tab_deinit(&f.ids);
	free(f.c);
}

/* RFC 5256 3: by base subject then sent date; each subject's first message is the parent
 * of the others; the threads ordered by their first message's date. */
static void thread_orderedsubject(const struct imap_sort_msg *m, size_t n, bool uid,
				  struct pb_buf *out)
{
	static const struct imap_sort_crit by[] = { { IMAP_SORT_SUBJECT, false },
						    { IMAP_SORT_DATE, false } };
	struct forest f = { .m = m, .n = 0 };
	struct imap_sort_msg *s = xmalloc((n + 1) * sizeof(*s));

	memcpy(s, m, n * sizeof(*s));
	imap_sort_run(s, n, by, 2);
	f.m = s;
	f.c = xmalloc((n + 1) * sizeof(*f.c));
	int root = ctr_new(&f, -2);
	for (size_t i = 0, first = 0; i < n; i++) {
		int x = ctr_new(&f, (int)i);
		if (i > 0 && strcmp(s[i].subject, s[first].subject) == 0) {
			link_ctr(&f, (int)first + 1, x);
			continue;
		}
		first = i;
		link_ctr(&f, root, x);
	}
	sort_level(&f, root);
	for (int x = f.c[root].child; x >= 0; x = f.c[x].next) {
		pb_buf_append_c(out, '(');
		print_thread(&f, x, uid, false, out);
		pb_buf_append_c(out, ')');
	}
	free(f.c);
	free(s);
}

void imap_thread_run(const struct imap_sort_msg *m, size_t n, enum imap_thread_alg alg,
		     bool uid, struct pb_buf *out)
{
	if (alg == IMAP_THREAD_ORDEREDSUBJECT)
		thread_orderedsubject(m, n, uid, out);
	else
		thread_references(m, n, uid, out);
}
