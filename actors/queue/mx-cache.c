/*
 * mx-cache.c: MX answers kept for their TTL (see mx-cache.h).
 * OWNS: struct mx_cache and its entries. THREAD: its owner's.
 */
#include "mx-cache.h"

#include "pb-alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mx_cache_entry {
	char *domain;
	struct mx_result result;
	int64_t expires_ms, used_ms;
};

struct mx_cache {
	struct mx_cache_entry *v;
	size_t n, max;
};

struct mx_cache *mx_cache_new(size_t max)
{
	struct mx_cache *c = xcalloc(1, sizeof(*c));

	c->max = max != 0 ? max : MX_CACHE_DEFAULT_MAX;
	c->v = xcalloc(c->max, sizeof(*c->v));
	return c;
}

static void entry_clear(struct mx_cache_entry *e)
{
	free(e->domain);
	mx_result_deinit(&e->result);
	memset(e, 0, sizeof(*e));
}

void mx_cache_free(struct mx_cache **c)
{
	if (*c == NULL)
		return;
	for (size_t i = 0; i < (*c)->n; i++)
		entry_clear(&(*c)->v[i]);
	free((*c)->v);
	free(*c);
	*c = NULL;
}

size_t mx_cache_size(const struct mx_cache *c)
{
	return c->n;
}

/* Equal, without case and a trailing dot. */
static bool same_domain(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	la -= la > 1 && a[la - 1] == '.';
	lb -= lb > 1 && b[lb - 1] == '.';
	return la == lb && strncasecmp(a, b, la) == 0;
}

static void copy_result(const struct mx_result *from, struct mx_result *to)
{
	*to = *from;
	to->targets = xcalloc(from->n_targets > 0 ? from->n_targets : 1, sizeof(*to->targets));
	for (size_t i = 0; i < from->n_targets; i++) {
		const struct mx_target *t = &from->targets[i];
		to->targets[i] = *t;
		to->targets[i].host = xstrdup(t->host);
		to->targets[i].addrs = xmalloc(t->n_addrs * sizeof(*t->addrs));
		memcpy(to->targets[i].addrs, t->addrs, t->n_addrs * sizeof(*t->addrs));
	}
}

/* Shuffles each run of equal preference (the targets are sorted by preference). */
static void reshuffle(struct mx_result *r)
{
	for (size_t at = 0; at < r->n_targets;) {
		size_t end = at + 1;
		while (end < r->n_targets && r->targets[end].preference == r->targets[at].preference)
			end++;
		for (size_t i = end - 1; i > at; i--) {
			size_t k = at + arc4random_uniform((uint32_t)(i - at + 1));
			struct mx_target t = r->targets[i];
			r->targets[i] = r->targets[k];
			r->targets[k] = t;
		}
		at = end;
	}
}

bool mx_cache_get(struct mx_cache *c, const char *domain, int64_t now_ms,
		  struct mx_result *result_r)
{
	for (size_t i = 0; i < c->n; i++) {
		struct mx_cache_entry *e = &c->v[i];
		if (!same_domain(e->domain, domain) || now_ms >= e->expires_ms)
			continue;
		e->used_ms = now_ms;
		copy_result(&e->result, result_r);
		reshuffle(result_r);
		return true;
	}
	return false;
}

/* The slot for a new entry: domain's own, a free one, the first expired, else the least
 * recently used (cleared). */
static struct mx_cache_entry *slot(struct mx_cache *c, const char *domain, int64_t now_ms)
{
	struct mx_cache_entry *lru = NULL;

	for (size_t i = 0; i < c->n; i++)
		if (same_domain(c->v[i].domain, domain) || now_ms >= c->v[i].expires_ms) {
			entry_clear(&c->v[i]);
			return &c->v[i];
		}
	if (c->n < c->max)
		return &c->v[c->n++];
	for (size_t i = 0; i < c->n; i++)
		if (lru == NULL || c->v[i].used_ms < lru->used_ms)
			lru = &c->v[i];
	entry_clear(lru);
	return lru;
}

void mx_cache_put(struct mx_cache *c, const char *domain, const struct mx_result *result,
		  uint32_t ttl_s, int64_t now_ms)
{
	if (ttl_s == 0 || result->status != MX_OK || result->n_targets == 0)
		return;
	if (ttl_s > MX_CACHE_TTL_MAX_S)
		ttl_s = MX_CACHE_TTL_MAX_S;
	struct mx_cache_entry *e = slot(c, domain, now_ms);
	e->domain = xstrdup(domain);
	copy_result(result, &e->result);
	e->expires_ms = now_ms + (int64_t)ttl_s * 1000;
	e->used_ms = now_ms;
}
