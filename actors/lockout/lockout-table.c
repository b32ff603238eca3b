/*
 * lockout-table.c: the lockout guard's pure logic (see lockout-table.h): (user, ip) failure
 * counters and locks, per-address failure windows, the block list.
 * Lookups are linear scans over bounded arrays (a few thousand entries, a few microseconds per
 * login): simpler than a hash, and the bounds keep it cheap.
 * OWNS: struct lockout_table. THREAD: its owner's (the lockout actor).
 */
#include "lockout-table.h"

#include "pb-alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* A (user, ip) failure counter, and its lock. */
struct pair {
	char user[LOCKOUT_USER_MAX + 1];
	struct pb_cidr ip;
	uint32_t failures;
	uint64_t last_ms, locked_until_ms; /* locked while now < locked_until_ms */
	bool any_ip; /* an administrator's lock: for every address (ip unused) */
};

/* An address's recent failures: the times of the last LOCKOUT_WINDOW_MAX, a ring. */
struct window {
	struct pb_cidr ip;
	uint64_t times[LOCKOUT_WINDOW_MAX];
	uint32_t head, n; /* the next slot; how many are held */
	uint64_t last_ms;
};

struct lockout_table {
	struct lockout_limits lim;
	struct lockout_policy p;
	struct pair *pairs;
	size_t n_pairs;
	struct window *windows;
	size_t n_windows;
	struct lockout_block *blocks;
	size_t n_blocks;
};

struct lockout_table *lockout_table_create(const struct lockout_limits *lim,
					   const struct lockout_policy *p)
{
	struct lockout_table *t = xcalloc(1, sizeof(*t));

	t->lim = *lim;
	t->lim.pairs = t->lim.pairs > 0 ? t->lim.pairs : 1;
	t->lim.ips = t->lim.ips > 0 ? t->lim.ips : 1;
	t->lim.blocks = t->lim.blocks > 0 ? t->lim.blocks : 1;
	t->pairs = xcalloc(t->lim.pairs, sizeof(*t->pairs));
	t->windows = xcalloc(t->lim.ips, sizeof(*t->windows));
	t->blocks = xcalloc(t->lim.blocks, sizeof(*t->blocks));
	lockout_table_set_policy(t, p);
	return t;
}

void lockout_table_destroy(struct lockout_table **t)
{
	if (*t == NULL)
		return;
	free((*t)->pairs);
	free((*t)->windows);
	free((*t)->blocks);
	free(*t);
	*t = NULL;
}

void lockout_table_set_policy(struct lockout_table *t, const struct lockout_policy *p)
{
	t->p = *p;
	if (t->p.block_failures > LOCKOUT_WINDOW_MAX)
		t->p.block_failures = LOCKOUT_WINDOW_MAX;
}

void lockout_user_key(const char *user, char key_r[LOCKOUT_USER_MAX + 1])
{
	size_t i = 0;

	for (; user != NULL && user[i] != '\0' && i < LOCKOUT_USER_MAX; i++)
		key_r[i] = (char)tolower((unsigned char)user[i]);
	key_r[i] = '\0';
}

static bool same_ip(const struct pb_cidr *a, const struct pb_cidr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* "bob" matches "bob" and "bob@anything" (the login as an address); key is lowercase. */
static bool user_matches(const char *key, const char *user)
{
	size_t len = strlen(user);

	return strncmp(key, user, len) == 0 && (key[len] == '\0' || key[len] == '@');
}

/* ---- the block list ---------------------------------------------------------------------- */

static bool block_live(const struct lockout_block *b, uint64_t now_ms)
{
	return b->until_ms == 0 || now_ms < b->until_ms;
}

static const struct lockout_block *find_block(const struct lockout_table *t,
					      const struct pb_cidr *ip, uint64_t now_ms)
{
	for (size_t i = 0; i < t->n_blocks; i++) {
		if (block_live(&t->blocks[i], now_ms) && pb_cidr_contains(&t->blocks[i].net, ip))
			return &t->blocks[i];
	}
	return NULL;
}

const struct lockout_block *lockout_table_blocked(const struct lockout_table *t, const char *ip,
						  uint64_t now_ms)
{
	struct pb_cidr host;

	if (pb_cidr_from_ip(ip, &host) < 0)
		return NULL;
	return find_block(t, &host, now_ms);
}

/* The slot for net: its entry, a free one, or the automatic block that expires soonest;
 * NULL if every entry is a manual block. */
static struct lockout_block *block_slot(struct lockout_table *t, const struct pb_cidr *net)
{
	struct lockout_block *victim = NULL;

	for (size_t i = 0; i < t->n_blocks; i++) {
		if (same_ip(&t->blocks[i].net, net))
			return &t->blocks[i];
	}
	if (t->n_blocks < t->lim.blocks)
		return &t->blocks[t->n_blocks++];
	for (size_t i = 0; i < t->n_blocks; i++) {
		struct lockout_block *b = &t->blocks[i];
		if (b->automatic && (victim == NULL || b->until_ms < victim->until_ms))
			victim = b;
	}
	return victim;
}

int lockout_table_block_add(struct lockout_table *t, const char *net, uint64_t created_ms,
			    uint64_t until_ms, bool automatic, const char *reason,
			    const char *protocol, const struct lockout_block **entry_r,
			    char **error_r)
{
	struct pb_cidr c;

	if (pb_cidr_parse_one(net, &c, error_r) < 0)
		return -1;
	struct lockout_block *b = block_slot(t, &c);
	if (b == NULL) {
		*error_r = xasprintf("the block list is full (%u manual blocks); remove one first",
				     t->lim.blocks);
		return -1;
	}
	memset(b, 0, sizeof(*b));
	b->net = c;
	pb_cidr_format(&c, b->text);
	b->created_ms = created_ms;
	b->until_ms = until_ms;
	b->automatic = automatic;
	snprintf(b->reason, sizeof(b->reason), "%s", reason != NULL ? reason : "");
	snprintf(b->protocol, sizeof(b->protocol), "%s", protocol != NULL ? protocol : "");
	*entry_r = b;
	return 0;
}

static void block_remove(struct lockout_table *t, size_t i)
{
	t->blocks[i] = t->blocks[--t->n_blocks];
}

int lockout_table_block_del(struct lockout_table *t, const char *net,
			    char text_r[PB_CIDR_TEXT_MAX], char **error_r)
{
	struct pb_cidr c;

	if (pb_cidr_parse_one(net, &c, error_r) < 0)
		return -1;
	pb_cidr_format(&c, text_r);
	for (size_t i = 0; i < t->n_blocks; i++) {
		if (same_ip(&t->blocks[i].net, &c)) {
			block_remove(t, i);
			return 1;
		}
	}
	return 0;
}

size_t lockout_table_n_blocks(const struct lockout_table *t)
{
	return t->n_blocks;
}

const struct lockout_block *lockout_table_block_at(const struct lockout_table *t, size_t i)
{
	return &t->blocks[i];
}

size_t lockout_table_expire(struct lockout_table *t, uint64_t now_ms,
			    void (*gone)(void *ctx, const struct lockout_block *b), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_blocks;) {
		if (block_live(&t->blocks[i], now_ms)) {
			i++;
			continue;
		}
		if (gone != NULL)
			gone(ctx, &t->blocks[i]);
		block_remove(t, i);
		n++;
	}
	return n;
}

/* ---- failure windows per address --------------------------------------------------------- */

/* The window of ip, made (evicting the least recently used) if it has none. */
static struct window *window_get(struct lockout_table *t, const struct pb_cidr *ip)
{
	size_t victim = 0;

	for (size_t i = 0; i < t->n_windows; i++) {
		if (same_ip(&t->windows[i].ip, ip))
			return &t->windows[i];
		if (t->windows[i].last_ms < t->windows[victim].last_ms)
			victim = i;
	}
	if (t->n_windows < t->lim.ips)
		victim = t->n_windows++;
	struct window *w = &t->windows[victim];
	memset(w, 0, sizeof(*w));
	w->ip = *ip;
	return w;
}

/* Adds a failure at now; true if the window now holds block_failures of them within the
 * period (it is then emptied). */
static bool window_fail(const struct lockout_policy *p, struct window *w, uint64_t now_ms)
{
	w->last_ms = now_ms;
	w->times[w->head] = now_ms;
	w->head = (w->head + 1) % LOCKOUT_WINDOW_MAX;
	if (w->n < LOCKOUT_WINDOW_MAX)
		w->n++;
	if (p->block_failures == 0 || w->n < p->block_failures)
		return false;
	/* the block_failures-th latest failure */
	uint32_t k = (w->head + LOCKOUT_WINDOW_MAX - p->block_failures) % LOCKOUT_WINDOW_MAX;
	if (now_ms - w->times[k] > p->block_period_ms)
		return false;
	w->n = 0;
	return true;
}

/* ---- (user, ip) counters and locks ------------------------------------------------------- */

static bool pair_locked(const struct pair *e, uint64_t now_ms)
{
	return e->locked_until_ms != 0 && now_ms < e->locked_until_ms;
}

/* The pair slot to reuse when full: the least recently used unlocked one, else the least
 * recently used of all. */
static size_t pair_victim(const struct lockout_table *t, uint64_t now_ms)
{
	size_t any = 0, open = SIZE_MAX;

	for (size_t i = 0; i < t->n_pairs; i++) {
		const struct pair *e = &t->pairs[i];
		if (e->last_ms < t->pairs[any].last_ms)
			any = i;
		if (!pair_locked(e, now_ms) && (open == SIZE_MAX || e->last_ms < t->pairs[open].last_ms))
			open = i;
	}
	return open != SIZE_MAX ? open : any;
}

static struct pair *pair_find(struct lockout_table *t, const char *user, const struct pb_cidr *ip)
{
	for (size_t i = 0; i < t->n_pairs; i++) {
		if (!t->pairs[i].any_ip && strcmp(t->pairs[i].user, user) == 0 &&
		    same_ip(&t->pairs[i].ip, ip))
			return &t->pairs[i];
	}
	return NULL;
}

static struct pair *pair_get(struct lockout_table *t, const char *user, const struct pb_cidr *ip,
			     uint64_t now_ms)
{
	struct pair *e = pair_find(t, user, ip);

	if (e != NULL)
		return e;
	e = &t->pairs[t->n_pairs < t->lim.pairs ? t->n_pairs++ : pair_victim(t, now_ms)];
	memset(e, 0, sizeof(*e));
	snprintf(e->user, sizeof(e->user), "%s", user);
	e->ip = *ip;
	return e;
}

static void pair_remove(struct lockout_table *t, struct pair *e)
{
	*e = t->pairs[--t->n_pairs];
}

/* The administrator's lock covering user (a login name's key) at now, or NULL. */
static const struct pair *manual_lock(const struct lockout_table *t, const char *user,
				      uint64_t now_ms)
{
	for (size_t i = 0; i < t->n_pairs; i++) {
		const struct pair *e = &t->pairs[i];
		if (e->any_ip && pair_locked(e, now_ms) && user_matches(user, e->user))
			return e;
	}
	return NULL;
}

/* The account side of a report: counts, locks, refuses. */
static void account_report(struct lockout_table *t, const char *user, const struct pb_cidr *ip,
			   bool failed, uint64_t now_ms, struct lockout_verdict *v)
{
	struct pair *e = failed ? pair_get(t, user, ip, now_ms) : pair_find(t, user, ip);

	if (e == NULL)
		return;
	if (e->locked_until_ms != 0 && !pair_locked(e, now_ms)) {
		e->locked_until_ms = 0; /* the lock ran out: counting starts again */
		e->failures = 0;
	}
	e->last_ms = now_ms;
	if (pair_locked(e, now_ms)) {
		if (failed)
			e->locked_until_ms = now_ms + t->p.lock_ms;
		v->locked = true;
		v->until_ms = e->locked_until_ms;
		return;
	}
	if (!failed) {
		pair_remove(t, e);
		return;
	}
	e->failures++;
	if (t->p.lock_after > 0 && e->failures >= t->p.lock_after) {
		e->locked_until_ms = now_ms + t->p.lock_ms;
		v->locked = v->locked_now = true;
		v->until_ms = e->locked_until_ms;
	}
}

bool lockout_table_never_blocks(const struct lockout_table *t, const struct pb_cidr *host)
{
	for (uint32_t i = 0; i < t->p.never_block.n; i++) {
		if (pb_cidr_contains(&t->p.never_block.entries[i], host))
			return true;
	}
	return false;
}

bool lockout_table_exempt(const struct lockout_table *t, const struct pb_cidr *host,
			  const char *protocol)
{
	bool admin = protocol != NULL && (strcmp(protocol, "web") == 0 || strcmp(protocol, "admin") == 0);

	return admin && pb_cidr_is_loopback(host) && !t->p.lock_loopback_admin;
}

/* The address side of a failure: may block it (unless never-blocked). */
static void address_failure(struct lockout_table *t, const struct pb_cidr *ip, const char *protocol,
			    uint64_t now_ms, struct lockout_verdict *v,
			    const struct lockout_block **blocked_r)
{
	char text[PB_CIDR_TEXT_MAX], reason[LOCKOUT_REASON_MAX], *error = NULL;
	const struct lockout_block *b;

	if (!window_fail(&t->p, window_get(t, ip), now_ms) || lockout_table_never_blocks(t, ip))
		return;
	pb_cidr_format(ip, text);
	snprintf(reason, sizeof(reason), "%u failed logins within %llu minutes",
		 t->p.block_failures, (unsigned long long)(t->p.block_period_ms / 60000));
	if (lockout_table_block_add(t, text, now_ms, now_ms + t->p.block_ms, true, reason, protocol,
				    &b, &error) < 0) {
		free(error); /* the list is full of manual blocks: this one cannot be kept */
		return;
	}
	v->blocked = v->blocked_now = true;
	v->until_ms = b->until_ms;
	*blocked_r = b;
}

int lockout_table_login(struct lockout_table *t, const char *ip, const char *user,
			const char *protocol, enum lockout_result result, uint64_t now_ms,
			struct lockout_verdict *v_r, const struct lockout_block **blocked_r,
			const char **error_r)
{
	char key[LOCKOUT_USER_MAX + 1];
	struct pb_cidr host;
	bool failed = result != LOCKOUT_SUCCESS;

	memset(v_r, 0, sizeof(*v_r));
	*blocked_r = NULL;
	if (pb_cidr_from_ip(ip, &host) < 0) {
		*error_r = "not an IP address";
		return -1;
	}
	const struct lockout_block *b = find_block(t, &host, now_ms);
	if (b != NULL) {
		v_r->blocked = true;
		v_r->until_ms = b->until_ms;
		return 0;
	}
	lockout_user_key(user, key);
	const struct pair *m = manual_lock(t, key, now_ms);
	if (m != NULL) { /* the administrator's: from every address, loopback included */
		v_r->locked = true;
		v_r->until_ms = m->locked_until_ms == UINT64_MAX ? 0 : m->locked_until_ms;
		return 0;
	}
	if (lockout_table_exempt(t, &host, protocol))
		return 0;
	account_report(t, key, &host, failed, now_ms, v_r);
	if (failed)
		address_failure(t, &host, protocol, now_ms, v_r, blocked_r);
	return 0;
}

size_t lockout_table_locks(const struct lockout_table *t, const char *user, uint64_t now_ms,
			   struct lockout_lock *out, size_t max)
{
	char key[LOCKOUT_USER_MAX + 1];
	size_t n = 0;

	lockout_user_key(user, key);
	for (size_t i = 0; i < t->n_pairs; i++) {
		const struct pair *e = &t->pairs[i];
		if (!pair_locked(e, now_ms) || (user != NULL && !user_matches(e->user, key)))
			continue;
		if (n < max) {
			struct lockout_lock *l = &out[n];
			snprintf(l->user, sizeof(l->user), "%s", e->user);
			if (e->any_ip)
				snprintf(l->ip, sizeof(l->ip), "%s", LOCKOUT_ANY_IP);
			else
				pb_cidr_format(&e->ip, l->ip);
			l->failures = e->failures;
			l->until_ms = e->locked_until_ms == UINT64_MAX ? 0 : e->locked_until_ms;
		}
		n++;
	}
	return n;
}

size_t lockout_table_unlock(struct lockout_table *t, const char *user, const char *ip,
			    uint64_t now_ms)
{
	char key[LOCKOUT_USER_MAX + 1];
	struct pb_cidr host;
	size_t n = 0;

	if (ip != NULL && pb_cidr_from_ip(ip, &host) < 0)
		return 0;
	lockout_user_key(user, key);
	for (size_t i = 0; i < t->n_pairs;) {
		struct pair *e = &t->pairs[i];
		if (user_matches(e->user, key) && (ip == NULL || (!e->any_ip && same_ip(&e->ip, &host)))) {
			n += pair_locked(e, now_ms);
			pair_remove(t, e);
		} else {
			i++;
		}
	}
	return n;
}

int lockout_table_lock(struct lockout_table *t, const char *user, uint64_t until_ms,
		       uint64_t now_ms)
{
	char key[LOCKOUT_USER_MAX + 1];
	struct pair *e = NULL;

	lockout_user_key(user, key);
	if (key[0] == '\0')
		return -1;
	for (size_t i = 0; i < t->n_pairs && e == NULL; i++) {
		if (t->pairs[i].any_ip && strcmp(t->pairs[i].user, key) == 0)
			e = &t->pairs[i];
	}
	if (e == NULL) {
		e = &t->pairs[t->n_pairs < t->lim.pairs ? t->n_pairs++ : pair_victim(t, now_ms)];
		memset(e, 0, sizeof(*e));
		snprintf(e->user, sizeof(e->user), "%s", key);
		e->any_ip = true;
	}
	e->last_ms = now_ms;
	e->locked_until_ms = until_ms != 0 ? until_ms : UINT64_MAX;
	return 0;
}
