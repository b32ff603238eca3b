/*
 * send-counter.c: the sending limits' counters (see send-counter.h).
 * OWNS: the table. THREAD: its owner's.
 */
#include "send-counter.h"

#include "pb-alloc.h"

#include <stdlib.h>
#include <string.h>

#define MINUTE_MS 60000ull
#define HOUR_MS (60 * MINUTE_MS)
#define MINUTES 60
#define HOURS 24

/* A ring of buckets: count[i] holds bucket number `latest - k` at i = (latest - k) % n. */
struct ring {
	uint64_t latest; /* the newest bucket's number (time / width) */
	uint32_t count[MINUTES];
};

struct entry {
	uint64_t user; /* 0: free */
	uint64_t last_ms; /* its last message (eviction) */
	struct ring minutes, hours;
};

struct send_counter {
	struct entry *v;
	uint32_t n;
};

struct send_counter *send_counter_create(uint32_t users)
{
	struct send_counter *c = xcalloc(1, sizeof(*c));

	c->n = users > 0 ? users : 1;
	c->v = xcalloc(c->n, sizeof(*c->v));
	return c;
}

void send_counter_destroy(struct send_counter **c)
{
	if (*c == NULL)
		return;
	free((*c)->v);
	free(*c);
	*c = NULL;
}

/* Moves r on to bucket `now` of a ring of n buckets: the buckets it passes are emptied. */
static void ring_advance(struct ring *r, uint32_t n, uint64_t now)
{
	if (now <= r->latest)
		return;
	if (now - r->latest >= n) {
		memset(r->count, 0, sizeof(r->count));
	} else {
		for (uint64_t b = r->latest + 1; b <= now; b++)
			r->count[b % n] = 0;
	}
	r->latest = now;
}

static uint32_t ring_sum(const struct ring *r, uint32_t n)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += r->count[i];
	return sum;
}

static void entry_advance(struct entry *e, uint64_t now_ms)
{
	ring_advance(&e->minutes, MINUTES, now_ms / MINUTE_MS);
	ring_advance(&e->hours, HOURS, now_ms / HOUR_MS);
}

static struct entry *find(struct send_counter *c, uint64_t user)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->v[i].user == user && user != 0)
			return &c->v[i];
	return NULL;
}

/* user's entry, made (a free one, else the one whose last message is oldest) if absent. */
static struct entry *find_or_add(struct send_counter *c, uint64_t user, uint64_t now_ms)
{
	struct entry *e = find(c, user), *oldest = &c->v[0];

	if (e != NULL)
		return e;
	for (uint32_t i = 0; i < c->n && oldest->user != 0; i++)
		if (c->v[i].user == 0 || c->v[i].last_ms < oldest->last_ms)
			oldest = &c->v[i];
	memset(oldest, 0, sizeof(*oldest));
	oldest->user = user;
	oldest->last_ms = now_ms;
	oldest->minutes.latest = now_ms / MINUTE_MS;
	oldest->hours.latest = now_ms / HOUR_MS;
	return oldest;
}

uint32_t send_counter_hour(struct send_counter *c, uint64_t user, uint64_t now_ms)
{
	struct entry *e = find(c, user);
	if (e == NULL)
		return 0;
	entry_advance(e, now_ms);
	return ring_sum(&e->minutes, MINUTES);
}

uint32_t send_counter_day(struct send_counter *c, uint64_t user, uint64_t now_ms)
{
	struct entry *e = find(c, user);
	if (e == NULL)
		return 0;
	entry_advance(e, now_ms);
	return ring_sum(&e->hours, HOURS);
}

enum send_counter_verdict send_counter_check(struct send_counter *c, uint64_t user,
					     uint32_t per_hour, uint32_t per_day, uint64_t now_ms)
{
	if (per_hour != 0 && send_counter_hour(c, user, now_ms) >= per_hour)
		return SEND_COUNTER_HOUR;
	if (per_day != 0 && send_counter_day(c, user, now_ms) >= per_day)
		return SEND_COUNTER_DAY;
	return SEND_COUNTER_OK;
}

void send_counter_add(struct send_counter *c, uint64_t user, uint64_t now_ms)
{
	struct entry *e = find_or_add(c, user, now_ms);

	entry_advance(e, now_ms);
	e->minutes.count[e->minutes.latest % MINUTES]++;
	e->hours.count[e->hours.latest % HOURS]++;
	if (now_ms > e->last_ms)
		e->last_ms = now_ms;
}
