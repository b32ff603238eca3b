/*
 * pb-actor.c: the actor thread — receive, dispatch to the handler table, timers, supervision.
 * OWNS nothing beyond one struct pb_actor per thread: its state pointer, timers and current
 * message are touched only by that actor's thread (counters are atomics read by others).
 * MESSAGES: everything in the actor's handler table; RT_WAKE_EVT and RT_STOP_EVT internally.
 *
 * Why supervision keeps the inbox: a restart rebuilds the actor's state from the store, but the
 * messages already queued for it are still valid work; closing the inbox would lose them.
 */
#include "pb-runtime-private.h"

#include "pb-log.h"

#include <stdio.h>
#include <string.h>

#define INIT_RETRY_MIN_MS 100
#define INIT_RETRY_MAX_MS 5000

struct pb_runtime *pb_actor_runtime(struct pb_actor *a)
{
	return a->rt;
}

const char *pb_actor_name(struct pb_actor *a)
{
	return a->name;
}

struct pb_caller *pb_actor_caller(struct pb_actor *a)
{
	if (a->caller == NULL)
		a->caller = pb_caller_create(a->rt);
	return a->caller;
}

static int actor_send(void *ctx, const char *to, struct pb_msg *req, const char **error_r)
{
	struct pb_actor *a = ctx;

	req->corr = a->send_corr;
	pb_str_set(&req->reply_to, a->qname);
	return pb_send(a->rt, to, req, error_r);
}

struct pb_sender pb_actor_sender(struct pb_actor *a, uint64_t corr)
{
	a->send_corr = corr;
	return (struct pb_sender){ actor_send, a };
}

int pb_reply(struct pb_actor *a, const struct pb_msg *req, struct pb_msg *rep)
{
	const char *error;
	char to[PB_ADDR_MAX];

	if (a != NULL && req == a->cur)
		a->replied = true;
	if (req->reply_to == NULL || req->reply_to[0] == '\0' ||
	    pb_runtime_resolve(a->rt, req->reply_to, to, sizeof(to), &error) < 0)
		return -1;
	rep->corr = req->corr;
	free(rep->reply_to);
	rep->reply_to = NULL;
	/* Never block the actor on a slow caller: a reply port that is full or gone means the
	 * caller gave up (its call timed out), and the reply is dropped. */
	struct pb_buf b;
	pb_buf_init(&b);
	pb_msg_encode(rep, &b);
	int rc = pb_runtime_send_bytes(a->rt, to, b.data, b.len, true, &error);
	pb_buf_deinit(&b);
	return rc;
}

int pb_reply_status(struct pb_actor *a, const struct pb_msg *req, uint32_t code, const char *error)
{
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	rep.u.core_status_rep.code = code;
	rep.u.core_status_rep.error = xstrdup(error != NULL ? error : "");
	int rc = pb_reply(a, req, &rep);
	pb_msg_free(&rep);
	return rc;
}

void pb_actor_defer_reply(struct pb_actor *a)
{
	a->deferred = true;
}

void pb_actor_timer_set(struct pb_actor *a, uint32_t id, uint64_t delay_ms)
{
	struct pb_timer *free_slot = NULL;
	uint64_t due = pb_runtime_now_ms(a->rt) + delay_ms;

	for (size_t i = 0; i < PB_MAX_TIMERS; i++) {
		struct pb_timer *t = &a->timers[i];
		if (t->armed && t->id == id) {
			t->due_ms = due;
			return;
		}
		if (!t->armed && free_slot == NULL)
			free_slot = t;
	}
	ASSERT(free_slot != NULL);
	free_slot->id = id;
	free_slot->due_ms = due;
	free_slot->armed = true;
}

void pb_actor_timer_cancel(struct pb_actor *a, uint32_t id)
{
	for (size_t i = 0; i < PB_MAX_TIMERS; i++) {
		if (a->timers[i].armed && a->timers[i].id == id)
			a->timers[i].armed = false;
	}
}

/* Milliseconds until the next timer or init retry; -1 if none. */
static int next_wait_ms(struct pb_actor *a, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	if (!a->ready)
		next = a->next_init_ms;
	for (size_t i = 0; i < PB_MAX_TIMERS && a->ready; i++) {
		if (a->timers[i].armed && a->timers[i].due_ms < next)
			next = a->timers[i].due_ms;
	}
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	/* A fake clock does not advance while we sleep: cap the wait so wake-ups are cheap. */
	return next - now > 60000 ? 60000 : (int)(next - now);
}

static void try_init(struct pb_actor *a, uint64_t now)
{
	const char *error = "unknown error";

	if (a->ready || now < a->next_init_ms)
		return;
	a->state = NULL;
	if (a->def.init == NULL || a->def.init(a, a->arg, &a->state, &error) == 0) {
		a->ready = true;
		a->init_failures = 0;
		atomic_store(&a->running, true);
		return;
	}
	uint64_t backoff = (uint64_t)INIT_RETRY_MIN_MS << (a->init_failures < 6 ? a->init_failures : 6);
	a->init_failures++;
	a->next_init_ms = now + (backoff > INIT_RETRY_MAX_MS ? INIT_RETRY_MAX_MS : backoff);
	pb_error("runtime", "event=actor_init_failed actor=%s failures=%u reason=%s", a->name,
		 a->init_failures, PB_LOGQ(error));
}

static void fail_actor(struct pb_actor *a, const char *why)
{
	atomic_fetch_add(&a->restarts, 1);
	atomic_store(&a->running, false);
	pb_error("runtime", "event=actor_restart actor=%s reason=%s", a->name, PB_LOGQ(why));
	if (a->def.deinit != NULL)
		a->def.deinit(a, a->state);
	a->state = NULL;
	a->ready = false;
	a->next_init_ms = 0;
	memset(a->timers, 0, sizeof(a->timers));
	try_init(a, pb_runtime_now_ms(a->rt));
}

static void run_timers(struct pb_actor *a)
{
	uint64_t now = pb_runtime_now_ms(a->rt);

	try_init(a, now);
	for (size_t i = 0; i < PB_MAX_TIMERS && a->ready; i++) {
		struct pb_timer *t = &a->timers[i];
		if (!t->armed || t->due_ms > now)
			continue;
		t->armed = false;
		if (a->def.on_timer != NULL)
			a->def.on_timer(a, a->state, t->id, now);
	}
}

static void dispatch(struct pb_actor *a, struct pb_msg *m)
{
	int (*fn)(struct pb_actor *, void *, struct pb_msg *) = a->by_type[m->type];
	bool is_req = pb_msg_kind(m->type) == PB_MSG_REQ;

	atomic_fetch_add(&a->handled, 1);
	if (!a->ready) {
		if (is_req)
			pb_reply_status(a, m, PB_ERR_TEMP, "service is starting, try again");
		return;
	}
	if (fn == NULL) {
		if (is_req)
			pb_reply_status(a, m, PB_ERR_REFUSED, "message not handled by this actor");
		pb_warn("runtime", "event=unhandled actor=%s type=%s", a->name, pb_msg_name(m->type));
		return;
	}
	a->cur = m;
	a->replied = a->deferred = false;
	int rc = fn(a, a->state, m);
	if (is_req && !a->replied && !a->deferred)
		pb_reply_status(a, m, PB_ERR_INTERNAL, "request failed inside the server");
	a->cur = NULL;
	if (rc < 0)
		fail_actor(a, pb_msg_name(m->type));
}

/* Runs on_idle when messages were handled and the inbox is empty, or every
 * PB_ACTOR_IDLE_EVERY messages. */
static void maybe_idle(struct pb_actor *a)
{
	if (a->since_idle == 0 || a->def.on_idle == NULL || !a->ready)
		return;
	if (a->since_idle < PB_ACTOR_IDLE_EVERY && pb_mq_depth(a->inbox) > 0)
		return;
	a->since_idle = 0;
	a->def.on_idle(a, a->state);
}

void *pb_actor_thread(void *arg)
{
	struct pb_actor *a = arg;
	struct pb_msg m;
	char tname[16];

	snprintf(tname, sizeof(tname), "%.15s", a->name); /* ps, top and perf show actor names */
	pthread_setname_np(pthread_self(), tname);
	try_init(a, pb_runtime_now_ms(a->rt));
	for (;;) {
		int wait = next_wait_ms(a, pb_runtime_now_ms(a->rt));
		int rc = wait == 0 ? 0 : pb_mq_recv_msg(a->inbox, wait, &m, &a->bad_messages);
		if (rc < 0)
			break;
		if (rc == 1 && m.type == MSG_RT_STOP_EVT) {
			pb_msg_free(&m);
			break;
		}
		if (rc == 1 && m.type != MSG_RT_WAKE_EVT) {
			dispatch(a, &m);
			a->since_idle++;
		}
		if (rc == 1)
			pb_msg_free(&m);
		run_timers(a);
		maybe_idle(a);
	}
	a->since_idle = a->since_idle > 0 ? PB_ACTOR_IDLE_EVERY : 0;
	maybe_idle(a); /* what was gathered is finished before deinit */
	if (a->ready && a->def.deinit != NULL)
		a->def.deinit(a, a->state);
	a->ready = false;
	atomic_store(&a->running, false);
	pb_caller_destroy(&a->caller);
	return NULL;
}
