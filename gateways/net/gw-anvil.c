/*
 * gw-anvil.c: per-IP accounting (see gw-anvil.h) in an open-addressing table keyed by the
 * address text. Entries are removed only by the sweep, which rebuilds the table from the
 * live entries, so lookups need no tombstones.
 * OWNS: struct gw_anvil. THREAD: one.
 */
#include "gw-anvil.h"

#include "pb-alloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define GW_ANVIL_IP_MAX 64

struct anvil_entry {
	char ip[GW_ANVIL_IP_MAX]; /* "" : empty slot */
	uint32_t open;
	uint32_t window_count;
	uint64_t window_start;
};

struct gw_anvil {
	struct anvil_entry *slots;
	size_t mask, n, max;
};

static size_t hash_ip(const char *ip)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *ip != '\0'; ip++)
		h = (h ^ (uint8_t)*ip) * 1099511628211ull;
	return (size_t)h;
}

struct gw_anvil *gw_anvil_create(size_t max_ips)
{
	struct gw_anvil *a = xcalloc(1, sizeof(*a));
	size_t cap = 16;

	while (cap < 2 * max_ips)
		cap *= 2;
	a->slots = xcalloc(cap, sizeof(*a->slots));
	a->mask = cap - 1;
	a->max = max_ips;
	return a;
}

void gw_anvil_destroy(struct gw_anvil **ap)
{
	struct gw_anvil *a = *ap;
	if (a == NULL)
		return;
	free(a->slots);
	free(a);
	*ap = NULL;
}

/* The slot of ip, or the empty slot where it would go. */
static struct anvil_entry *slot_of(const struct gw_anvil *a, const char *ip)
{
	size_t i = hash_ip(ip) & a->mask;
	while (a->slots[i].ip[0] != '\0' && strcmp(a->slots[i].ip, ip) != 0)
		i = (i + 1) & a->mask;
	return &a->slots[i];
}

enum gw_anvil_verdict gw_anvil_connect(struct gw_anvil *a, const char *ip, uint64_t now_ms,
				       uint32_t max_conns, uint32_t max_per_minute)
{
	struct anvil_entry *e = slot_of(a, ip);

	if (e->ip[0] == '\0') {
		if (a->n >= a->max)
			return GW_ANVIL_FULL;
		snprintf(e->ip, sizeof(e->ip), "%s", ip);
		e->window_start = now_ms;
		a->n++;
	}
	if (now_ms >= e->window_start + GW_ANVIL_WINDOW_MS) {
		e->window_start = now_ms;
		e->window_count = 0;
	}
	if (max_conns != 0 && e->open >= max_conns)
		return GW_ANVIL_TOO_MANY;
	if (max_per_minute != 0 && e->window_count >= max_per_minute)
		return GW_ANVIL_TOO_FAST;
	e->open++;
	e->window_count++;
	return GW_ANVIL_OK;
}

void gw_anvil_disconnect(struct gw_anvil *a, const char *ip)
{
	struct anvil_entry *e = slot_of(a, ip);
	if (e->ip[0] != '\0' && e->open > 0)
		e->open--;
}

void gw_anvil_sweep(struct gw_anvil *a, uint64_t now_ms)
{
	struct anvil_entry *old = a->slots;

	a->slots = xcalloc(a->mask + 1, sizeof(*a->slots));
	a->n = 0;
	for (size_t i = 0; i <= a->mask; i++) {
		struct anvil_entry *e = &old[i];
		if (e->ip[0] == '\0' ||
		    (e->open == 0 && now_ms >= e->window_start + GW_ANVIL_WINDOW_MS))
			continue;
		*slot_of(a, e->ip) = *e;
		a->n++;
	}
	free(old);
}

uint32_t gw_anvil_open(const struct gw_anvil *a, const char *ip)
{
	const struct anvil_entry *e = slot_of(a, ip);
	return e->ip[0] != '\0' ? e->open : 0;
}

size_t gw_anvil_count(const struct gw_anvil *a)
{
	return a->n;
}

const char *gw_anvil_verdict_name(enum gw_anvil_verdict v)
{
	switch (v) {
	case GW_ANVIL_OK: return "ok";
	case GW_ANVIL_TOO_MANY: return "ip_connection_limit";
	case GW_ANVIL_TOO_FAST: return "ip_rate_limit";
	case GW_ANVIL_FULL: return "ip_table_full";
	}
	return "unknown";
}
