/*
 * gw-calls.c: pending calls in an open-addressing hash table (linear probing, backward-shift
 * deletion, so there are no tombstones and a lookup stops at the first empty slot).
 * OWNS: struct gw_calls. THREAD: one.
 */
#include "gw-calls.h"

#include "pb-alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct gw_calls {
	struct gw_call *slots; /* corr 0: empty */
	size_t mask;           /* capacity - 1 (capacity a power of two, >= 2 * max) */
	size_t n, max;
	uint64_t next_corr;
	uint64_t strays;
	uint64_t earliest; /* no deadline before it (a lower bound: taking a call keeps it) */
};

static size_t home(const struct gw_calls *t, uint64_t corr)
{
	return (size_t)((corr * 0x9E3779B97F4A7C15ull) >> 17) & t->mask;
}

struct gw_calls *gw_calls_create(size_t max)
{
	struct gw_calls *t = xcalloc(1, sizeof(*t));
	size_t cap = 2;

	ASSERT(max >= 1);
	while (cap < 2 * max)
		cap *= 2;
	t->slots = xcalloc(cap, sizeof(*t->slots));
	t->mask = cap - 1;
	t->max = max;
	t->earliest = UINT64_MAX;
	return t;
}

void gw_calls_destroy(struct gw_calls **tp)
{
	struct gw_calls *t = *tp;
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
	*tp = NULL;
}

uint64_t gw_calls_add(struct gw_calls *t, uint64_t session_id, uint64_t deadline_ms,
		      gw_cont_fn *cont, uint64_t arg)
{
	if (t->n >= t->max)
		return 0;
	uint64_t corr = ++t->next_corr;
	size_t i = home(t, corr);
	while (t->slots[i].corr != 0)
		i = (i + 1) & t->mask;
	t->slots[i] = (struct gw_call){ corr, session_id, deadline_ms, cont, arg };
	t->n++;
	if (deadline_ms < t->earliest)
		t->earliest = deadline_ms;
	return corr;
}

/* Empties slot i and moves later entries of its probe run back so lookups still find them. */
static void remove_at(struct gw_calls *t, size_t i)
{
	size_t j = i;

	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j].corr == 0)
			break;
		size_t h = home(t, t->slots[j].corr);
		/* j's entry may move to i only if its home is not in (i, j] (cyclically) */
		bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
		if (!stays) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->n--;
}

static size_t find(const struct gw_calls *t, uint64_t corr)
{
	size_t i = home(t, corr);
	while (t->slots[i].corr != 0) {
		if (t->slots[i].corr == corr)
			return i;
		i = (i + 1) & t->mask;
	}
	return SIZE_MAX;
}

int gw_calls_take(struct gw_calls *t, uint64_t corr, struct gw_call *call_r)
{
	size_t i = corr == 0 ? SIZE_MAX : find(t, corr);
	if (i == SIZE_MAX) {
		t->strays++;
		return 0;
	}
	*call_r = t->slots[i];
	remove_at(t, i);
	return 1;
}

size_t gw_calls_take_expired(struct gw_calls *t, uint64_t now, struct gw_call *out, size_t max)
{
	size_t n = 0, i;
	uint64_t earliest = UINT64_MAX;

	if (now < t->earliest)
		return 0; /* nothing due: no scan of the whole table every round */
	for (i = 0; i <= t->mask && n < max; i++) {
		if (t->slots[i].corr != 0 && t->slots[i].deadline_ms <= now)
			out[n++] = t->slots[i];
		else if (t->slots[i].corr != 0 && t->slots[i].deadline_ms < earliest)
			earliest = t->slots[i].deadline_ms;
	}
	t->earliest = i > t->mask ? earliest : now; /* stopped at max: the rest next round */
	/* removed after the scan: backward shifts would move entries under the scan */
	for (size_t k = 0; k < n; k++)
		remove_at(t, find(t, out[k].corr));
	return n;
}

size_t gw_calls_count(const struct gw_calls *t)
{
	return t->n;
}

uint64_t gw_calls_strays(const struct gw_calls *t)
{
	return t->strays;
}
