/*
 * reader-envcache.c: the ENVELOPE answer cache (see reader-envcache.h). A chained hash table
 * (power-of-two buckets, doubled past one entry a bucket) and a doubly linked LRU list through
 * the same entries; one allocation an entry (the struct, then the ENVELOPE's octets).
 * OWNS: its entries and bucket array. THREAD: one.
 */
#include "reader-envcache.h"

#include "pb-alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ENVCACHE_KEY_LEN 64     /* a body's hex key (PB_BLOB_KEY_LEN) */
#define ENVCACHE_MALLOC_OVERHEAD 16
#define ENVCACHE_MIN_BUCKETS 64

struct env_entry {
	struct env_entry *hnext;       /* the bucket's chain */
	struct env_entry *prev, *next; /* LRU: prev toward the most recent */
	uint64_t hash;
	size_t charge;
	struct reader_env env;         /* env.envelope points into text */
	char key[ENVCACHE_KEY_LEN + 1];
	char text[];                   /* the ENVELOPE, NUL-terminated */
};

struct reader_envcache {
	struct env_entry **buckets;
	size_t nbuckets, count;
	uint64_t bytes;
	struct env_entry *head, *tail; /* most and least recently used */
};

/* FNV-1a over the key (a SHA-256 in hex: any 16 digits are 64 uniform bits already). */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; key[i] != '\0' && i < ENVCACHE_KEY_LEN; i++)
		h = (h ^ (uint8_t)key[i]) * 1099511628211ull;
	return h;
}

struct reader_envcache *reader_envcache_create(void)
{
	struct reader_envcache *c = xcalloc(1, sizeof(*c));

	c->nbuckets = ENVCACHE_MIN_BUCKETS;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	c->bytes = c->nbuckets * sizeof(*c->buckets);
	return c;
}

void reader_envcache_destroy(struct reader_envcache **cp)
{
	struct reader_envcache *c = *cp;

	if (c == NULL)
		return;
	for (struct env_entry *e = c->head, *next; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(c->buckets);
	free(c);
	*cp = NULL;
}

static struct env_entry **bucket_of(struct reader_envcache *c, uint64_t hash)
{
	return &c->buckets[hash & (c->nbuckets - 1)];
}

static void lru_unlink(struct reader_envcache *c, struct env_entry *e)
{
	*(e->prev != NULL ? &e->prev->next : &c->head) = e->next;
	*(e->next != NULL ? &e->next->prev : &c->tail) = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct reader_envcache *c, struct env_entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	*(c->head != NULL ? &c->head->prev : &c->tail) = e;
	c->head = e;
}

static struct env_entry *find(struct reader_envcache *c, const char *key, uint64_t hash)
{
	for (struct env_entry *e = *bucket_of(c, hash); e != NULL; e = e->hnext)
		if (e->hash == hash && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Takes e out of its bucket and the LRU list, frees it, uncharges it. */
static void remove_entry(struct reader_envcache *c, struct env_entry *e)
{
	struct env_entry **p = bucket_of(c, e->hash);

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	lru_unlink(c, e);
	c->bytes -= e->charge;
	c->count--;
	free(e);
}

const struct reader_env *reader_envcache_get(struct reader_envcache *c, const char *key)
{
	struct env_entry *e = find(c, key, key_hash(key));

	if (e == NULL)
		return NULL;
	if (e != c->head) {
		lru_unlink(c, e);
		lru_push_front(c, e);
	}
	return &e->env;
}

/* Doubles the bucket array once there are more entries than buckets. */
static void maybe_grow(struct reader_envcache *c)
{
	if (c->count <= c->nbuckets)
		return;
	size_t n = c->nbuckets * 2;
	struct env_entry **b = xcalloc(n, sizeof(*b));
	for (struct env_entry *e = c->head; e != NULL; e = e->next) {
		e->hnext = b[e->hash & (n - 1)];
		b[e->hash & (n - 1)] = e;
	}
	free(c->buckets);
	c->bytes += (n - c->nbuckets) * sizeof(*b);
	c->buckets = b;
	c->nbuckets = n;
}

void reader_envcache_trim(struct reader_envcache *c, uint64_t budget)
{
	while (c->tail != NULL && c->bytes > budget)
		remove_entry(c, c->tail);
}

void reader_envcache_put(struct reader_envcache *c, const char *key, const struct reader_env *e,
			 uint64_t budget)
{
	size_t klen = strlen(key), elen = strlen(e->envelope);
	uint64_t hash = key_hash(key);
	struct env_entry *old = find(c, key, hash);

	if (old != NULL)
		remove_entry(c, old);
	size_t charge = sizeof(struct env_entry) + elen + 1 + ENVCACHE_MALLOC_OVERHEAD;
	if (klen > ENVCACHE_KEY_LEN || charge + c->nbuckets * sizeof(*c->buckets) > budget) {
		reader_envcache_trim(c, budget);
		return;
	}
	struct env_entry *n = xmalloc(sizeof(*n) + elen + 1);
	memcpy(n->key, key, klen + 1);
	memcpy(n->text, e->envelope, elen + 1);
	n->env = *e;
	n->env.envelope = n->text;
	n->hash = hash;
	n->charge = charge;
	n->hnext = *bucket_of(c, hash);
	*bucket_of(c, hash) = n;
	lru_push_front(c, n);
	c->bytes += charge;
	c->count++;
	maybe_grow(c);
	reader_envcache_trim(c, budget);
}

uint64_t reader_envcache_bytes(const struct reader_envcache *c)
{
	return c->bytes;
}

size_t reader_envcache_count(const struct reader_envcache *c)
{
	return c->count;
}
