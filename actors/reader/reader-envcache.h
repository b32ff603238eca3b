/*
 * reader-envcache.h: a reader shard's cache of ENVELOPE-only FETCH answers (READER_META_REQ
 * envelope_only): a body's sizes and rendered ENVELOPE by its key, least recently used first
 * out, within a byte budget. Bodies are immutable and content-addressed, so an entry never goes
 * stale: it only leaves for room (or when its body is collected and the key never asked again).
 * Each entry is charged its struct, its key and ENVELOPE octets and 16 octets of allocator
 * overhead; the hash table's bucket array is charged too. Budget 0: nothing is kept.
 * Pure: no store, no nng (unit-tested in test/reader/test-reader-envcache.c).
 * OWNS: its entries. THREAD: one (the shard's).
 */
#ifndef READER_ENVCACHE_H
#define READER_ENVCACHE_H

#include <stddef.h>
#include <stdint.h>

/* What FETCH (FLAGS ENVELOPE ...) needs of a body: READER_META_REP's fields but the
 * BODYSTRUCTURE, BODY and part tree. */
struct reader_env {
	uint64_t size, virtual_size, header_size, header_virtual_size, body_virtual_size,
		body_lines;
	const char *envelope; /* NUL-terminated */
};

struct reader_envcache;

struct reader_envcache *reader_envcache_create(void);
void reader_envcache_destroy(struct reader_envcache **c);
/* The answer for key (a body's hex key), made the most recently used; NULL if absent. The
 * envelope is the cache's: valid until the next put or budget change. */
const struct reader_env *reader_envcache_get(struct reader_envcache *c, const char *key);
/* Keeps a copy of e under key (replacing any), then evicts least recently used entries until
 * the cache is within budget octets; an entry larger than the budget by itself is not kept. */
void reader_envcache_put(struct reader_envcache *c, const char *key, const struct reader_env *e,
			 uint64_t budget);
/* Evicts until within budget (a lowered setting). */
void reader_envcache_trim(struct reader_envcache *c, uint64_t budget);
/* Octets charged now, and entries held. */
uint64_t reader_envcache_bytes(const struct reader_envcache *c);
size_t reader_envcache_count(const struct reader_envcache *c);

#endif
