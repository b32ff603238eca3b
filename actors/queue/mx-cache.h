/*
 * mx-cache.h: the answers of mx_resolve kept for their DNS TTL, so a queue sending many
 * messages to one domain asks the DNS once per TTL, not once per transaction (Postfix leaves
 * this to a local caching resolver; we have none to count on). Only MX_OK answers found in
 * MX records are kept (an implicit MX or a failure is asked again), for the smallest TTL of
 * the MX and address records that made them, at most MX_CACHE_TTL_MAX_S; a TTL of 0 is not
 * kept. Bounded: past max entries the expired ones go, then the least recently used. Each
 * copy handed out has its equal preferences shuffled again (RFC 5321 5.1).
 * Pure: time is passed in. OWNS: its entries (copies of the results). THREAD: its owner's (one
 * per resolver, which is one per sender thread).
 */
#ifndef MX_CACHE_H
#define MX_CACHE_H

#include "mx-resolve.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MX_CACHE_DEFAULT_MAX 256
#define MX_CACHE_TTL_MAX_S 3600

struct mx_cache;

/* A cache of at most max entries (0: MX_CACHE_DEFAULT_MAX). */
struct mx_cache *mx_cache_new(size_t max);
/* Frees it and its entries; sets *c NULL. NULL is fine. */
void mx_cache_free(struct mx_cache **c);
/* domain's answer (compared without case, a trailing dot ignored) when kept and now_ms is
 * before its expiry: true, *result_r a copy (the caller's, mx_result_deinit). Else false and
 * *result_r untouched. */
bool mx_cache_get(struct mx_cache *c, const char *domain, int64_t now_ms,
		  struct mx_result *result_r);
/* Keeps a copy of result (MX_OK) for domain until now_ms + ttl_s (capped). */
void mx_cache_put(struct mx_cache *c, const char *domain, const struct mx_result *result,
		  uint32_t ttl_s, int64_t now_ms);
/* The entries kept (expired ones included until they make room). */
size_t mx_cache_size(const struct mx_cache *c);

#endif
