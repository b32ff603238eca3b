/*
 * lockout-actor.c: the lockout guard's loop glue, one handler per message (see
 * lockout-actor.h; the policy is lockout-table.c).
 * OWNS struct lockout: the table, the login history, the intrusion scores (intrusion-table.c),
 * the login counts since it started (LOCKOUT_STATS_REQ), the store handle (borrowed).
 * THREAD: its actor thread.
 */
#include "lockout-actor.h"

#include "intrusion-table.h"
#include "lockout-client.h"
#include "lockout-history.h"
#include "lockout-table.h"
#include "pb-log.h"
#include "statushub-client.h"
#include "pb-settings-snapshot.h"
#include "store-history-as.h"
#include "store-lockout.h"

#include <stdio.h>
#include <string.h>

#define LOCKOUT_TIMER_EXPIRE 1
#define LOCKOUT_EXPIRE_EVERY_MS 60000
#define LOCKOUT_PAIRS 4096
#define LOCKOUT_IPS 4096
#define LOCKOUT_BLOCKS 1024
#define LOCKOUT_HISTORY_USERS 1024
#define LOCKOUT_LIST_MAX 4096
#define LOCKOUT_SUSPECTS 4096
#define LOCKOUT_STATS_PROTOCOLS 15 /* then "other" */

/* The events of the client stub are the table's. */
_Static_assert(LOCKOUT_INTRUSION_EARLY_TALK == INTRUSION_EARLY_TALK &&
		       LOCKOUT_INTRUSION_PIPELINING == INTRUSION_PIPELINING &&
		       LOCKOUT_INTRUSION_UNKNOWN_RCPT == INTRUSION_UNKNOWN_RCPT &&
		       LOCKOUT_INTRUSION_AUTH_FAILURE == INTRUSION_AUTH_FAILURE &&
		       LOCKOUT_INTRUSION_BARE_LF == INTRUSION_BARE_LF &&
		       LOCKOUT_INTRUSION_BAD_COMMAND == INTRUSION_BAD_COMMAND,
	       "LOCKOUT_INTRUSION_* differ from enum intrusion_event");

/* Logins reported over one protocol since the guard started. */
struct lockout_login_count {
	char protocol[16];
	uint64_t ok, failed;
};

struct lockout {
	struct lockout_login_count logins[LOCKOUT_STATS_PROTOCOLS + 1];
	size_t n_logins;
	uint64_t locks, blocks; /* accounts locked, addresses blocked automatically */
	struct pb_store *store;
	struct lockout_table *table;
	struct lockout_history *history;
	struct intrusion_table *intrusion;
};

/* ---- clocks: the table's (the runtime's) and the wall clock of records and answers ------ */

static uint64_t now_ms(struct pb_actor *a)
{
	return pb_runtime_now_ms(pb_actor_runtime(a));
}

/* A table time as wall-clock ms (0, forever, stays 0). */
static int64_t to_wall(struct pb_actor *a, uint64_t t)
{
	return t == 0 ? 0 : (int64_t)t - (int64_t)now_ms(a) + (int64_t)pb_clock_wall_ms();
}

/* A wall-clock time as a table time (0 stays 0; one already past becomes 1: expired). */
static uint64_t to_table(struct pb_actor *a, int64_t wall)
{
	if (wall == 0)
		return 0;
	int64_t t = wall - (int64_t)pb_clock_wall_ms() + (int64_t)now_ms(a);
	return t > 0 ? (uint64_t)t : 1;
}

/* The policy in effect: the settings snapshot's security document. */
static void policy_refresh(struct pb_actor *a, struct lockout *lo)
{
	const struct pb_settings *s = pb_settings_acquire(pb_actor_runtime(a));
	const struct pb_settings_security *sec = &s->security;
	struct lockout_policy p = {
		.lock_after = sec->lock_after_failures,
		.lock_ms = (uint64_t)sec->lock_minutes * 60000,
		.block_failures = sec->ip_block_failures,
		.block_period_ms = (uint64_t)sec->ip_block_period_minutes * 60000,
		.block_ms = (uint64_t)sec->ip_block_minutes * 60000,
		.lock_loopback_admin = sec->lock_loopback_admin != 0,
		.never_block = sec->never_block.list,
	};
	struct intrusion_policy ip = {
		.threshold = sec->intrusion_threshold,
		.period_ms = (uint64_t)sec->intrusion_period_minutes * 60000,
		.block_ms = (uint64_t)sec->intrusion_block_minutes * 60000,
		.weight = { [INTRUSION_EARLY_TALK] = sec->intrusion_early_talk,
			    [INTRUSION_PIPELINING] = sec->intrusion_pipelining,
			    [INTRUSION_UNKNOWN_RCPT] = sec->intrusion_unknown_rcpt,
			    [INTRUSION_AUTH_FAILURE] = sec->intrusion_auth_failure,
			    [INTRUSION_BARE_LF] = sec->intrusion_bare_lf,
			    [INTRUSION_BAD_COMMAND] = sec->intrusion_bad_command },
		.score_loopback = sec->intrusion_score_loopback != 0,
	};
	pb_settings_release(pb_actor_runtime(a), s);
	lockout_table_set_policy(lo->table, &p);
	intrusion_table_set_policy(lo->intrusion, &ip);
}

/* Writes entry b to the store. 0 / -1 with error_r. */
static int block_store(struct pb_actor *a, struct lockout *lo, const struct lockout_block *b,
		       const char **error_r)
{
	struct pb_store_block rec = {
		.net = (char *)b->text,
		.created_ms = to_wall(a, b->created_ms),
		.until_ms = to_wall(a, b->until_ms),
		.automatic = b->automatic,
		.reason = (char *)b->reason,
		.protocol = (char *)b->protocol,
	};
	return pb_store_block_put(lo->store, &rec, error_r);
}

/* Loads the stored block list into the table; expired entries are deleted instead. */
static int blocks_load(struct pb_actor *a, struct lockout *lo, const char **error_r)
{
	struct pb_store_block *v;
	size_t n, bad;
	const struct lockout_block *b;
	char *problem = NULL;

	if (pb_store_block_list(lo->store, &v, &n, &bad, error_r) < 0)
		return -1;
	if (bad > 0)
		pb_warn("lockout", "event=bad_block_records skipped=%zu", bad);
	for (size_t i = 0; i < n; i++) {
		uint64_t until = to_table(a, v[i].until_ms);
		if ((until != 0 && until <= now_ms(a)) ||
		    lockout_table_block_add(lo->table, v[i].net, to_table(a, v[i].created_ms), until,
					    v[i].automatic, v[i].reason, v[i].protocol, &b,
					    &problem) < 0) {
			(void)pb_store_block_delete(lo->store, v[i].net, error_r);
			free(problem);
			problem = NULL;
		}
	}
	pb_store_block_list_free(v, n);
	return 0;
}

static int lockout_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct lockout *lo = xcalloc(1, sizeof(*lo));
	struct lockout_limits lim = { LOCKOUT_PAIRS, LOCKOUT_IPS, LOCKOUT_BLOCKS };
	struct lockout_policy p = { 0 };

	lo->store = arg;
	lo->table = lockout_table_create(&lim, &p);
	lo->history = lockout_history_create(LOCKOUT_HISTORY_USERS);
	lo->intrusion = intrusion_table_create(LOCKOUT_SUSPECTS, &(struct intrusion_policy){ 0 });
	policy_refresh(a, lo);
	if (blocks_load(a, lo, error_r) < 0) {
		lockout_table_destroy(&lo->table);
		lockout_history_destroy(&lo->history);
		intrusion_table_destroy(&lo->intrusion);
		free(lo);
		return -1;
	}
	pb_actor_timer_set(a, LOCKOUT_TIMER_EXPIRE, LOCKOUT_EXPIRE_EVERY_MS);
	*state_r = lo;
	return 0;
}

static void lockout_deinit(struct pb_actor *a, void *state)
{
	struct lockout *lo = state;

	lockout_table_destroy(&lo->table);
	lockout_history_destroy(&lo->history);
	intrusion_table_destroy(&lo->intrusion);
	free(lo);
}

struct expire_ctx {
	struct lockout *lo;
};

static void block_gone(void *ctx, const struct lockout_block *b)
{
	struct expire_ctx *x = ctx;
	const char *error;

	if (pb_store_block_delete(x->lo->store, b->text, &error) < 0)
		pb_warn("lockout", "event=unblock_not_stored net=%s error=%s", b->text, PB_LOGQ(error));
	pb_log_security("lockout", "event=ip_unblocked net=%s protocol=%s reason=expired", b->text,
			PB_LOGQ(b->protocol));
}

static void lockout_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct expire_ctx x = { state };

	lockout_table_expire(x.lo->table, now, block_gone, &x);
	pb_actor_timer_set(a, LOCKOUT_TIMER_EXPIRE, LOCKOUT_EXPIRE_EVERY_MS);
}

static int on_check_ip(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	const struct lockout_block *b = lockout_table_blocked(lo->table, m->u.lockout_check_ip_req.ip,
							      now_ms(a));
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_LOCKOUT_CHECK_IP_REP);
	rep.u.lockout_check_ip_rep.error = xstrdup("");
	rep.u.lockout_check_ip_rep.blocked = b != NULL;
	rep.u.lockout_check_ip_rep.until_ms = b != NULL ? to_wall(a, b->until_ms) : 0;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* An automatic block just made: stored, and its security log line (its reason names why). */
static void block_record(struct pb_actor *a, struct lockout *lo, const struct lockout_block *blocked,
			 const char *protocol)
{
	const char *error;

	lo->blocks++;
	if (block_store(a, lo, blocked, &error) < 0)
		pb_warn("lockout", "event=block_not_stored net=%s error=%s", blocked->text,
			PB_LOGQ(error));
	pb_log_security("lockout", "event=ip_blocked ip=%s protocol=%s reason=%s minutes=%llu",
			blocked->text, PB_LOGQ(protocol), PB_LOGQ(blocked->reason),
			(unsigned long long)((blocked->until_ms - blocked->created_ms) / 60000));
	statushub_client_activity(pb_actor_runtime(a), "Blocked %s for %llu minutes (%s, %s)",
				  blocked->text,
				  (unsigned long long)((blocked->until_ms - blocked->created_ms) / 60000),
				  protocol, blocked->reason);
}

/* Counts a login over protocol (the last slot is "other", for protocols past the table's). */
static void login_count(struct lockout *lo, const char *protocol, bool ok)
{
	size_t i;

	for (i = 0; i < lo->n_logins; i++)
		if (strcmp(lo->logins[i].protocol, protocol) == 0)
			break;
	if (i == lo->n_logins) {
		if (i == LOCKOUT_STATS_PROTOCOLS)
			protocol = "other";
		else
			lo->n_logins++;
		snprintf(lo->logins[i].protocol, sizeof(lo->logins[i].protocol), "%s", protocol);
	}
	if (ok)
		lo->logins[i].ok++;
	else
		lo->logins[i].failed++;
}

/* The security log and the user's history for one login report and its verdict. */
static void login_record(struct pb_actor *a, struct lockout *lo, const struct msg_lockout_login_req *q,
			 const struct lockout_verdict *v, const struct lockout_block *blocked)
{
	login_count(lo, q->protocol, q->result == LOCKOUT_SUCCESS && !v->locked && !v->blocked);
	lo->locks += v->locked_now ? 1 : 0;
	if (v->blocked_now)
		block_record(a, lo, blocked, q->protocol);
	if (v->locked_now)
		pb_log_security("lockout", "event=account_locked user=%s ip=%s protocol=%s",
				PB_LOGQ(q->user), PB_LOGQ(q->ip), PB_LOGQ(q->protocol));
	if ((v->locked || v->blocked) && q->result == LOCKOUT_SUCCESS)
		pb_log_security("lockout", "event=login_refused user=%s ip=%s protocol=%s why=%s",
				PB_LOGQ(q->user), PB_LOGQ(q->ip), PB_LOGQ(q->protocol),
				v->blocked ? "ip_blocked" : "account_locked");
	if (q->result == LOCKOUT_UNKNOWN_USER)
		return; /* no account to keep a history for */
	struct lockout_event ev = { .time_ms = pb_clock_wall_ms(), .result = q->result,
				    .refused = v->locked || v->blocked };
	snprintf(ev.ip, sizeof(ev.ip), "%s", q->ip);
	snprintf(ev.protocol, sizeof(ev.protocol), "%s", q->protocol);
	lockout_history_add(lo->history, q->user, &ev);
}

static int on_login(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	const struct msg_lockout_login_req *q = &m->u.lockout_login_req;
	struct lockout_verdict v;
	const struct lockout_block *blocked;
	const char *error;
	struct pb_msg rep;

	if (q->result > LOCKOUT_UNKNOWN_USER)
		return pb_reply_status(a, m, PB_ERR_REFUSED, "unknown login result"), 0;
	policy_refresh(a, lo);
	if (lockout_table_login(lo->table, q->ip, q->user, q->protocol, q->result, now_ms(a), &v,
				&blocked, &error) < 0)
		return pb_reply_status(a, m, PB_ERR_REFUSED, error), 0;
	login_record(a, lo, q, &v, blocked);
	pb_msg_init(&rep, MSG_LOCKOUT_LOGIN_REP);
	struct msg_lockout_login_rep *r = &rep.u.lockout_login_rep;
	r->error = xstrdup("");
	r->locked = v.locked;
	r->blocked = v.blocked;
	r->until_ms = v.locked || v.blocked ? to_wall(a, v.until_ms) : 0;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Suspicious behaviour reported by a gateway: scored; past the threshold the address is blocked.
 * The answer says whether it is blocked now. */
static int on_intrusion(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	const struct msg_lockout_intrusion_req *q = &m->u.lockout_intrusion_req;
	struct lockout_verdict v;
	const struct lockout_block *blocked;
	const char *error;
	struct pb_msg rep;

	policy_refresh(a, lo);
	if (intrusion_table_report(lo->intrusion, lo->table, q->ip, q->protocol, q->event, q->count,
				   now_ms(a), &v, &blocked, &error) < 0)
		return pb_reply_status(a, m, PB_ERR_REFUSED, error), 0;
	pb_debug("lockout", "event=intrusion ip=%s protocol=%s what=%s count=%u blocked=%d",
		 PB_LOGQ(q->ip), PB_LOGQ(q->protocol), intrusion_event_name(q->event), q->count,
		 v.blocked);
	if (v.blocked_now)
		block_record(a, lo, blocked, q->protocol);
	pb_msg_init(&rep, MSG_LOCKOUT_INTRUSION_REP);
	rep.u.lockout_intrusion_rep.error = xstrdup("");
	rep.u.lockout_intrusion_rep.blocked = v.blocked;
	rep.u.lockout_intrusion_rep.until_ms = v.blocked ? to_wall(a, v.until_ms) : 0;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Appends the account locks of user (NULL: all) to list. */
static void locks_fill(struct pb_actor *a, struct lockout *lo, const char *user,
		       struct pb_rec_lockout_lock_list *list)
{
	struct lockout_lock *v = xcalloc(LOCKOUT_LIST_MAX, sizeof(*v));
	size_t n = lockout_table_locks(lo->table, user, now_ms(a), v, LOCKOUT_LIST_MAX);

	for (size_t i = 0; i < n && i < LOCKOUT_LIST_MAX; i++) {
		struct pb_rec_lockout_lock *e = pb_rec_lockout_lock_push(list);
		e->user = xstrdup(v[i].user);
		e->ip = xstrdup(v[i].ip);
		e->failures = v[i].failures;
		e->until_ms = to_wall(a, v[i].until_ms);
	}
	free(v);
}

static int on_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	struct pb_msg rep;

	lockout_table_expire(lo->table, now_ms(a), block_gone, &(struct expire_ctx){ lo });
	pb_msg_init(&rep, MSG_LOCKOUT_LIST_REP);
	rep.u.lockout_list_rep.error = xstrdup("");
	locks_fill(a, lo, NULL, &rep.u.lockout_list_rep.locks);
	for (size_t i = 0; i < lockout_table_n_blocks(lo->table); i++) {
		const struct lockout_block *b = lockout_table_block_at(lo->table, i);
		struct pb_rec_lockout_block *e = pb_rec_lockout_block_push(&rep.u.lockout_list_rep.blocks);
		e->net = xstrdup(b->text);
		e->reason = xstrdup(b->reason);
		e->protocol = xstrdup(b->protocol);
		e->automatic = b->automatic;
		e->created_ms = to_wall(a, b->created_ms);
		e->until_ms = to_wall(a, b->until_ms);
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_unlock(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	const struct msg_lockout_unlock_req *q = &m->u.lockout_unlock_req;
	const char *ip = q->ip[0] != '\0' ? q->ip : NULL;

	size_t n = lockout_table_unlock(lo->table, q->user, ip, now_ms(a));
	if (n == 0)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND,
				       ip != NULL ? "no lock for this user and address"
						  : "no lock for this user"),
		       0;
	pb_log_security("lockout", "event=account_unlocked user=%s ip=%s locks=%zu by=admin",
			PB_LOGQ(q->user), ip != NULL ? PB_LOGQ(ip) : "all", n);
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

/* An administrator's lock of a user for every address (the guide's padlock, set by hand). */
static int on_lock(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	const struct msg_lockout_lock_req *q = &m->u.lockout_lock_req;
	uint64_t now = now_ms(a);

	if (lockout_table_lock(lo->table, q->user,
			       q->minutes > 0 ? now + (uint64_t)q->minutes * 60000 : 0, now) < 0)
		return pb_reply_status(a, m, PB_ERR_REFUSED, "no user to lock"), 0;
	lo->locks++;
	pb_log_security("lockout", "event=account_locked user=%s ip=all minutes=%u by=admin",
			PB_LOGQ(q->user), q->minutes);
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

static int block_add_handle(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	const struct msg_lockout_block_add_req *q = &m->u.lockout_block_add_req;
	const struct lockout_block *b;
	const char *serror;
	char *error = NULL;
	uint64_t now = now_ms(a);

	if (lockout_table_block_add(lo->table, q->net, now,
				    q->minutes > 0 ? now + (uint64_t)q->minutes * 60000 : 0, false,
				    q->reason[0] != '\0' ? q->reason : "added by the administrator",
				    "admin", &b, &error) < 0) {
		pb_reply_status(a, m, PB_ERR_REFUSED, error);
		free(error);
		return 0;
	}
	if (block_store(a, lo, b, &serror) < 0)
		return pb_reply_status(a, m, PB_ERR_INTERNAL, serror), 0;
	pb_log_security("lockout", "event=ip_blocked net=%s protocol=admin reason=%s minutes=%u",
			b->text, PB_LOGQ(b->reason), q->minutes);
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

static int block_del_handle(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	char text[PB_CIDR_TEXT_MAX], *error = NULL;
	const char *serror;

	int r = lockout_table_block_del(lo->table, m->u.lockout_block_del_req.net, text, &error);
	if (r < 0) {
		pb_reply_status(a, m, PB_ERR_REFUSED, error);
		free(error);
		return 0;
	}
	if (r == 0)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such block"), 0;
	if (pb_store_block_delete(lo->store, text, &serror) < 0)
		return pb_reply_status(a, m, PB_ERR_INTERNAL, serror), 0;
	pb_log_security("lockout", "event=ip_unblocked net=%s protocol=admin reason=removed", text);
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

static int on_user(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	const char *user = m->u.lockout_user_req.user;
	struct lockout_event ev[LOCKOUT_HISTORY_PER_USER];
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_LOCKOUT_USER_REP);
	struct msg_lockout_user_rep *r = &rep.u.lockout_user_rep;
	r->error = xstrdup("");
	locks_fill(a, lo, user, &r->locks);
	size_t n = lockout_history_get(lo->history, user, ev, PB_N_ELEMENTS(ev));
	for (size_t i = 0; i < n; i++) {
		struct pb_rec_login_event *e = pb_rec_login_event_push(&r->logins);
		e->time_ms = (int64_t)ev[i].time_ms;
		e->ip = xstrdup(ev[i].ip);
		e->protocol = xstrdup(ev[i].protocol);
		e->result = xstrdup(lockout_result_name(ev[i].result));
		e->refused = ev[i].refused;
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_stats(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct lockout *lo = state;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_LOCKOUT_STATS_REP);
	struct msg_lockout_stats_rep *r = &rep.u.lockout_stats_rep;
	r->error = xstrdup("");
	for (size_t i = 0; i < lo->n_logins + (lo->logins[lo->n_logins].protocol[0] != 0); i++) {
		struct pb_rec_login_stat *st = pb_rec_login_stat_push(&r->logins);
		st->protocol = xstrdup(lo->logins[i].protocol);
		st->ok = lo->logins[i].ok;
		st->failed = lo->logins[i].failed;
	}
	r->locks = lo->locks;
	r->blocks = lo->blocks;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* LOCKOUT_BLOCK_ADD_REQ, its changes recorded in the history as by who asked (store-db.h). */
static int on_block_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return pb_store_history_as(a, state, m, m->u.lockout_block_add_req.by, block_add_handle);
}

/* LOCKOUT_BLOCK_DEL_REQ, its changes recorded in the history as by who asked (store-db.h). */
static int on_block_del(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return pb_store_history_as(a, state, m, m->u.lockout_block_del_req.by, block_del_handle);
}

static const struct pb_handler lockout_handlers[] = {
	{ MSG_LOCKOUT_CHECK_IP_REQ, on_check_ip },   { MSG_LOCKOUT_LOGIN_REQ, on_login },
	{ MSG_LOCKOUT_LIST_REQ, on_list },	     { MSG_LOCKOUT_UNLOCK_REQ, on_unlock },
	{ MSG_LOCKOUT_LOCK_REQ, on_lock },
	{ MSG_LOCKOUT_BLOCK_ADD_REQ, on_block_add }, { MSG_LOCKOUT_BLOCK_DEL_REQ, on_block_del },
	{ MSG_LOCKOUT_USER_REQ, on_user },
	{ MSG_LOCKOUT_INTRUSION_REQ, on_intrusion },
	{ MSG_LOCKOUT_STATS_REQ, on_stats },
};

const struct pb_actor_def lockout_actor_def = {
	.name = "lockout",
	.inbox_size = 256,
	.init = lockout_init,
	.deinit = lockout_deinit,
	.handlers = lockout_handlers,
	.n_handlers = PB_N_ELEMENTS(lockout_handlers),
	.on_timer = lockout_timer,
};
