/*
 * mailbox-sortidx.c: the folder sort index of mailbox-sortidx.h.
 * OWNS: the entries of each index. THREAD: the caller's (one shard).
 */
#include "mailbox-sortidx.h"

#include "pb-alloc.h"

#include <stdlib.h>
#include <string.h>

void mailbox_sort_key(const char *text, char key_r[MAILBOX_SORT_KEY_LEN])
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = 0;

	memset(key_r, 0, MAILBOX_SORT_KEY_LEN);
	while (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'')
		s++;
	while (*s != 0 && n < MAILBOX_SORT_KEY_LEN - 1) {
		size_t len = *s < 0x80 ? 1 : *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : 2;
		if (n + len > MAILBOX_SORT_KEY_LEN - 1 || strnlen((const char *)s, len) < len)
			break;
		for (size_t i = 0; i < len; i++)
			key_r[n++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]);
		s += len;
	}
}

int mailbox_sort_cmp(const struct mailbox_sort_ent *a, const struct mailbox_sort_ent *b)
{
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	int c = memcmp(a->key, b->key, MAILBOX_SORT_KEY_LEN);
	if (c != 0)
		return c;
	return (a->uid > b->uid) - (a->uid < b->uid);
}

static int cmp_void(const void *a, const void *b)
{
	return mailbox_sort_cmp(a, b);
}

void mailbox_sortidx_push(struct mailbox_sortidx *x, const struct mailbox_sort_ent *e)
{
	if (x->n == x->cap) {
		x->cap = x->cap > 0 ? 2 * x->cap : 256;
		x->v = xrealloc(x->v, x->cap * sizeof(*x->v));
	}
	x->v[x->n++] = *e;
}

void mailbox_sortidx_sort(struct mailbox_sortidx *x)
{
	if (x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), cmp_void);
}

/* The index of the first entry not before c (lower bound). */
static size_t lower_bound(const struct mailbox_sortidx *x, const struct mailbox_sort_ent *c)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mailbox_sort_cmp(&x->v[mid], c) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void mailbox_sortidx_insert(struct mailbox_sortidx *x, const struct mailbox_sort_ent *e)
{
	size_t pos = lower_bound(x, e);

	mailbox_sortidx_push(x, e);
	memmove(&x->v[pos + 1], &x->v[pos], (x->n - 1 - pos) * sizeof(*x->v));
	x->v[pos] = *e;
}

size_t mailbox_sortidx_seek(const struct mailbox_sortidx *x, const struct mailbox_sort_ent *c,
			    bool desc)
{
	if (c == NULL)
		return desc ? x->n : 0;
	size_t pos = lower_bound(x, c);
	if (desc)
		return pos; /* entries [0, pos) are before c */
	return pos < x->n && mailbox_sort_cmp(&x->v[pos], c) == 0 ? pos + 1 : pos;
}

void mailbox_sortidx_remove(struct mailbox_sortidx *x, size_t i)
{
	memmove(&x->v[i], &x->v[i + 1], (x->n - i - 1) * sizeof(*x->v));
	x->n--;
}

void mailbox_sortidx_deinit(struct mailbox_sortidx *x)
{
	free(x->v);
	*x = (struct mailbox_sortidx){ 0 };
}
