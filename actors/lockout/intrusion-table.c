/*
 * intrusion-table.c: the suspicion score per address (see intrusion-table.h).
 * Scores are kept in thousandths of a point, so a leak of less than a point per millisecond
 * is not lost to rounding. Lookups are linear scans over a bounded array, as in
 * lockout-table.c.
 * OWNS: struct intrusion_table. THREAD: its owner's (the lockout actor).
 */
#include "intrusion-table.h"

#include "pb-alloc.h"

#include <stdio.h>
#include <string.h>

#define MILLI 1000u

/* An address's score (in thousandths) as of last_ms, and the events behind it. */
struct suspect {
	struct pb_cidr ip;
	uint64_t score, last_ms;
	uint32_t counts[INTRUSION_N_EVENTS];
};

struct intrusion_table {
	uint32_t max;
	struct intrusion_policy p;
	struct suspect *v;
	size_t n;
};

static const char *const event_names[INTRUSION_N_EVENTS] = {
	"early_talk", "pipelining", "unknown_rcpt", "auth_failure", "bare_lf", "bad_command",
};

const char *intrusion_event_name(unsigned event)
{
	return event < INTRUSION_N_EVENTS ? event_names[event] : NULL;
}

struct intrusion_table *intrusion_table_create(uint32_t max_ips, const struct intrusion_policy *p)
{
	struct intrusion_table *t = xcalloc(1, sizeof(*t));

	t->max = max_ips > 0 ? max_ips : 1;
	t->v = xcalloc(t->max, sizeof(*t->v));
	intrusion_table_set_policy(t, p);
	return t;
}

void intrusion_table_destroy(struct intrusion_table **t)
{
	if (*t == NULL)
		return;
	free((*t)->v);
	free(*t);
	*t = NULL;
}

void intrusion_table_set_policy(struct intrusion_table *t, const struct intrusion_policy *p)
{
	t->p = *p;
	if (t->p.period_ms == 0)
		t->p.period_ms = 1;
}

static struct suspect *find(const struct intrusion_table *t, const struct pb_cidr *host)
{
	for (size_t i = 0; i < t->n; i++) {
		if (pb_cidr_contains(&t->v[i].ip, host)) /* both hosts: the same address */
			return &t->v[i];
	}
	return NULL;
}

/* The score of e at now: what it was, less threshold points per period since last_ms. */
static uint64_t leaked(const struct intrusion_policy *p, const struct suspect *e, uint64_t now_ms)
{
	uint64_t elapsed = now_ms > e->last_ms ? now_ms - e->last_ms : 0;

	if (elapsed >= p->period_ms)
		return 0; /* a score stays below the threshold: a whole period leaks it all */
	/* elapsed < period (at most 10080 minutes) times threshold and MILLI fits in 64 bits */
	uint64_t leak = elapsed * p->threshold * MILLI / p->period_ms;
	return e->score > leak ? e->score - leak : 0;
}

/* Brings e to now: the leak, and the counts forgotten once nothing is left. */
static void bring_to(const struct intrusion_policy *p, struct suspect *e, uint64_t now_ms)
{
	e->score = leaked(p, e, now_ms);
	if (e->score == 0)
		memset(e->counts, 0, sizeof(e->counts));
	e->last_ms = now_ms;
}

/* The entry of host, made (reusing the least recently seen when full) if it has none. */
static struct suspect *get(struct intrusion_table *t, const struct pb_cidr *host, uint64_t now_ms)
{
	struct suspect *e = find(t, host);
	size_t victim = 0;

	if (e != NULL)
		return e;
	if (t->n < t->max) {
		victim = t->n++;
	} else {
		for (size_t i = 1; i < t->n; i++) {
			if (t->v[i].last_ms < t->v[victim].last_ms)
				victim = i;
		}
	}
	e = &t->v[victim];
	memset(e, 0, sizeof(*e));
	e->ip = *host;
	e->last_ms = now_ms;
	return e;
}

static void forget(struct intrusion_table *t, struct suspect *e)
{
	*e = t->v[--t->n];
}

/* "intrusion: early_talk x1 unknown_rcpt x10": the events behind e's score. */
static void reason_of(const struct suspect *e, char reason[LOCKOUT_REASON_MAX])
{
	size_t len = (size_t)snprintf(reason, LOCKOUT_REASON_MAX, "intrusion:");

	for (unsigned i = 0; i < INTRUSION_N_EVENTS && len < LOCKOUT_REASON_MAX; i++) {
		if (e->counts[i] > 0)
			len += (size_t)snprintf(reason + len, LOCKOUT_REASON_MAX - len, " %s x%u",
						event_names[i], e->counts[i]);
	}
}

/* The score reached the threshold: host goes on guard's block list (unless it is full of
 * manual blocks: then the score waits at the threshold and the next event tries again). */
static void block(struct intrusion_table *t, struct lockout_table *guard, struct suspect *e,
		  const char *protocol, uint64_t now_ms, struct lockout_verdict *v,
		  const struct lockout_block **blocked_r)
{
	char text[PB_CIDR_TEXT_MAX], reason[LOCKOUT_REASON_MAX], *error = NULL;
	const struct lockout_block *b;

	pb_cidr_format(&e->ip, text);
	reason_of(e, reason);
	if (lockout_table_block_add(guard, text, now_ms, now_ms + t->p.block_ms, true, reason,
				    protocol, &b, &error) < 0) {
		free(error);
		e->score = (uint64_t)t->p.threshold * MILLI;
		return;
	}
	v->blocked = v->blocked_now = true;
	v->until_ms = b->until_ms;
	*blocked_r = b;
	forget(t, e); /* the block holds it now; when it ends, the address starts from zero */
}

int intrusion_table_report(struct intrusion_table *t, struct lockout_table *guard, const char *ip,
			   const char *protocol, unsigned event, uint32_t count, uint64_t now_ms,
			   struct lockout_verdict *v_r, const struct lockout_block **blocked_r,
			   const char **error_r)
{
	struct pb_cidr host;

	memset(v_r, 0, sizeof(*v_r));
	*blocked_r = NULL;
	if (pb_cidr_from_ip(ip, &host) < 0 || event >= INTRUSION_N_EVENTS) {
		*error_r = event >= INTRUSION_N_EVENTS ? "unknown intrusion event" : "not an IP address";
		return -1;
	}
	const struct lockout_block *b = lockout_table_blocked(guard, ip, now_ms);
	if (b != NULL) {
		v_r->blocked = true;
		v_r->until_ms = b->until_ms;
		return 0;
	}
	uint32_t weight = t->p.weight[event];
	if (t->p.threshold == 0 || weight == 0 || count == 0 ||
	    lockout_table_exempt(guard, &host, protocol) || lockout_table_never_blocks(guard, &host) ||
	    (!t->p.score_loopback && pb_cidr_is_loopback(&host)))
		return 0;
	struct suspect *e = get(t, &host, now_ms);
	bring_to(&t->p, e, now_ms);
	count = count < INTRUSION_COUNT_MAX ? count : INTRUSION_COUNT_MAX;
	e->counts[event] += count;
	e->score += (uint64_t)weight * count * MILLI;
	if (e->score >= (uint64_t)t->p.threshold * MILLI)
		block(t, guard, e, protocol, now_ms, v_r, blocked_r);
	return 0;
}

uint32_t intrusion_table_score(const struct intrusion_table *t, const char *ip, uint64_t now_ms)
{
	struct pb_cidr host;
	const struct suspect *e;

	if (pb_cidr_from_ip(ip, &host) < 0 || (e = find(t, &host)) == NULL)
		return 0;
	return (uint32_t)(leaked(&t->p, e, now_ms) / MILLI);
}
