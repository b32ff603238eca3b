/*
 * test-actor.c: the actor runtime — cast, call, timeouts, supervision (restart from durable
 * state, failing init retried), timers under a fake clock, bounded inboxes, draining stop,
 * malformed input, unhandled messages, shard routing, the on_idle hook.
 */
#include "pb-runtime-private.h"
#include "pb-test.h"

#include <semaphore.h>
#include <string.h>
#include <time.h>

/* What the test actor's "durable state" is: this env, which outlives restarts. */
struct env {
	atomic_int inits, deinits, ticks, handled_casts;
	atomic_int fail_inits; /* init fails while > 0 (decremented each try) */
	sem_t gate;            /* a TEST_PING with flag=2 waits on it */
	bool use_gate;
	/* on_idle: calls, messages since the last call, the most between two, at deinit */
	atomic_int idles, since_idle, most_between, since_at_deinit;
};

struct state {
	struct env *env;
	uint64_t pings;
};

static int t_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct env *env = arg;
	atomic_fetch_add(&env->inits, 1);
	if (atomic_load(&env->fail_inits) > 0) {
		atomic_fetch_sub(&env->fail_inits, 1);
		*error_r = "store not ready";
		return -1;
	}
	struct state *s = xcalloc(1, sizeof(*s));
	s->env = env;
	*state_r = s;
	pb_actor_timer_set(a, 1, 1000);
	return 0;
}

static void t_deinit(struct pb_actor *a, void *state)
{
	struct state *s = state;
	atomic_store(&s->env->since_at_deinit, atomic_load(&s->env->since_idle));
	atomic_fetch_add(&s->env->deinits, 1);
	free(s);
}

static int t_ping(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct state *s = state;
	struct msg_test_ping_req *q = &m->u.test_ping_req;
	struct pb_msg rep;

	if (q->flag == 1)
		return 0; /* "forgets" to answer: the runtime must answer for it */
	if (q->flag == 2)
		sem_wait(&s->env->gate);
	if (q->flag == 3) {
		pb_actor_defer_reply(a); /* never answers: the caller must time out */
		return 0;
	}
	s->pings++;
	pb_msg_init(&rep, MSG_TEST_PING_REP);
	rep.u.test_ping_rep.seq = q->seq + 1;
	/* flag 4: the answer's text is the request's reply_to (what the sender wrote) */
	rep.u.test_ping_rep.text = xstrdup(q->flag == 4 ? m->reply_to : q->text ? q->text : "");
	rep.u.test_ping_rep.n32 = (uint32_t)s->pings;
	rep.u.test_ping_rep.nums = q->nums; /* steal the vector */
	q->nums.v = NULL;
	q->nums.n = 0;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int t_tick(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct state *s = state;
	atomic_fetch_add(&s->env->handled_casts, 1);
	atomic_fetch_add(&s->env->since_idle, 1);
	return 0;
}

static void t_idle(struct pb_actor *a, void *state)
{
	struct env *env = ((struct state *)state)->env;
	int since = atomic_exchange(&env->since_idle, 0);

	if (since > atomic_load(&env->most_between))
		atomic_store(&env->most_between, since);
	atomic_fetch_add(&env->idles, 1);
}

static int t_crash(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return -1;
}

static void t_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct state *s = state;
	atomic_fetch_add(&s->env->ticks, 1);
	pb_actor_timer_set(a, 1, 1000);
}

static const struct pb_handler t_handlers[] = {
	{ MSG_TEST_PING_REQ, t_ping },
	{ MSG_TEST_TICK_EVT, t_tick },
	{ MSG_TEST_CRASH_REQ, t_crash },
};

static struct pb_actor_def t_def = {
	.name = "test",
	.inbox_size = 0,
	.init = t_init,
	.deinit = t_deinit,
	.handlers = t_handlers,
	.n_handlers = PB_N_ELEMENTS(t_handlers),
	.on_timer = t_timer,
};

/* a fake clock the test moves */
static atomic_uint_fast64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
	return atomic_load(&fake_now);
}

static struct pb_runtime *start_def(struct env *env, uint32_t inbox_size,
				    const struct pb_actor_def *base)
{
	struct pb_clock clock = { fake_clock, NULL };
	const char *error;
	struct pb_actor_def def = *base;

	memset(env, 0, sizeof(*env));
	sem_init(&env->gate, 0, 0);
	atomic_store(&fake_now, 1000000);
	struct pb_runtime *rt = pb_runtime_create("test-node", &clock);
	def.inbox_size = inbox_size;
	if (pb_runtime_start(rt, &def, env, &error) < 0)
		PANIC("start: %s", error);
	return rt;
}

static struct pb_runtime *start(struct env *env, uint32_t inbox_size)
{
	return start_def(env, inbox_size, &t_def);
}

static int ping(struct pb_caller *c, uint8_t flag, uint64_t seq, struct pb_msg *rep_r,
		uint32_t timeout_ms, const char **error_r)
{
	struct pb_msg req;
	pb_msg_init(&req, MSG_TEST_PING_REQ);
	req.u.test_ping_req.flag = flag;
	req.u.test_ping_req.seq = seq;
	req.u.test_ping_req.text = xstrdup("hello");
	pb_u64v_push(&req.u.test_ping_req.nums, 42);
	int rc = pb_call(c, NULL, &req, rep_r, timeout_ms, error_r);
	pb_msg_free(&req);
	return rc;
}

/* Waits up to 5 s for *v to reach want. */
static bool wait_for(atomic_int *v, int want)
{
	for (int i = 0; i < 5000; i++) {
		if (atomic_load(v) >= want)
			return true;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_call_round_trip(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg rep;
	const char *error;

	for (uint64_t i = 0; i < 100; i++) {
		REQUIRE(ping(c, 0, i, &rep, 2000, &error) == 0);
		CHECK_INT(rep.type, MSG_TEST_PING_REP);
		CHECK(rep.u.test_ping_rep.seq == i + 1);
		CHECK_STR(rep.u.test_ping_rep.text, "hello");
		CHECK(rep.u.test_ping_rep.nums.n == 1 && rep.u.test_ping_rep.nums.v[0] == 42);
		CHECK_INT(rep.u.test_ping_rep.n32, i + 1);
		pb_msg_free(&rep);
	}
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
	CHECK_INT(atomic_load(&env.deinits), 1);
}

static void test_cast_and_draining_stop(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 4096);
	const char *error;

	for (int i = 0; i < 3000; i++) {
		struct pb_msg m;
		pb_msg_init(&m, MSG_TEST_TICK_EVT);
		m.u.test_tick_evt.seq = (uint64_t)i;
		CHECK(pb_cast(rt, "test", &m, &error) == 0);
		pb_msg_free(&m);
	}
	/* stop handles everything already queued before deinit */
	pb_runtime_stop(rt);
	CHECK_INT(atomic_load(&env.handled_casts), 3000);
	CHECK_INT(atomic_load(&env.deinits), 1);
	pb_runtime_destroy(&rt);
}

static void test_call_timeout_and_late_reply_dropped(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg rep;
	const char *error;

	CHECK(ping(c, 3, 1, &rep, 100, &error) == -1);
	CHECK_STR(error, "timed out");
	/* the next call on the same caller gets its own reply, not a stale one */
	REQUIRE(ping(c, 0, 7, &rep, 2000, &error) == 0);
	CHECK(rep.u.test_ping_rep.seq == 8);
	pb_msg_free(&rep);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

static void test_unreachable_address(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg req, rep;
	const char *error;

	pb_msg_init(&req, MSG_TEST_PING_REQ);
	CHECK(pb_call(c, "nobody", &req, &rep, 500, &error) == -1);
	CHECK_STR(error, "unreachable");
	pb_msg_free(&req);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

/* Sends a TEST_PING (seq) to the actor with reply_to as given, as a remote sender would. */
static void ping_from(struct pb_runtime *rt, const char *reply_to, uint64_t seq)
{
	struct pb_msg req;
	const char *error;

	pb_msg_init(&req, MSG_TEST_PING_REQ);
	req.u.test_ping_req.seq = seq;
	req.reply_to = xstrdup(reply_to);
	REQUIRE(pb_send(rt, "test", &req, &error) == 0);
	pb_msg_free(&req);
}

static void test_node_qualified_addresses(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_inbox *probe;
	struct pb_msg req, rep;
	const char *error;
	char addr[PB_MSG_MAX_ADDR];

	pb_runtime_address(rt, "smtp#12", addr, sizeof(addr));
	CHECK_STR(addr, "test-node/smtp#12");
	/* the reply_to a call writes names this node */
	pb_msg_init(&req, MSG_TEST_PING_REQ);
	req.u.test_ping_req.flag = 4;
	REQUIRE(pb_call(c, "test-node/test", &req, &rep, 2000, &error) == 0);
	CHECK(strncmp(rep.u.test_ping_rep.text, "test-node/reply.", 16) == 0);
	pb_msg_free(&rep);
	/* another node's address is unreachable (no cluster transport yet), as is a bad one */
	CHECK(pb_call(c, "node2/test", &req, &rep, 500, &error) == -1);
	CHECK_STR(error, "unreachable");
	CHECK(pb_call(c, "bad node/test", &req, &rep, 500, &error) == -1);
	CHECK(pb_call(c, "test-node/", &req, &rep, 500, &error) == -1);
	pb_msg_free(&req);
	/* an answer goes back to a qualified reply_to of this node, never to another node's */
	REQUIRE(pb_inbox_open(rt, "probe", 16, &probe, &error) == 0);
	ping_from(rt, "node2/probe", 1);
	ping_from(rt, "test-node/probe", 2);
	ping_from(rt, "probe", 3);
	REQUIRE(pb_inbox_recv(probe, &rep, 5000) == 1);
	CHECK_INT(rep.u.test_ping_rep.seq, 3); /* seq 1's answer never came: it is handled first */
	pb_msg_free(&rep);
	REQUIRE(pb_inbox_recv(probe, &rep, 5000) == 1);
	CHECK_INT(rep.u.test_ping_rep.seq, 4);
	pb_msg_free(&rep);
	pb_inbox_close(&probe);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

static void test_unanswered_and_unhandled_requests_get_errors(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg req, rep;
	const char *error;

	REQUIRE(ping(c, 1, 1, &rep, 2000, &error) == 0);
	CHECK_INT(rep.type, MSG_CORE_STATUS_REP);
	CHECK_INT(rep.u.core_status_rep.code, PB_ERR_INTERNAL);
	pb_msg_free(&rep);

	pb_msg_init(&req, MSG_SYS_STATUS_REQ);
	REQUIRE(pb_call(c, "test", &req, &rep, 2000, &error) == 0);
	CHECK_INT(rep.u.core_status_rep.code, PB_ERR_REFUSED);
	pb_msg_free(&rep);
	pb_msg_free(&req);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

static void test_restart_after_failure(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg req, rep;
	const char *error;
	struct pb_actor_stats st[4];

	REQUIRE(ping(c, 0, 1, &rep, 2000, &error) == 0);
	CHECK_INT(rep.u.test_ping_rep.n32, 1);
	pb_msg_free(&rep);

	pb_msg_init(&req, MSG_TEST_CRASH_REQ);
	REQUIRE(pb_call(c, NULL, &req, &rep, 2000, &error) == 0);
	CHECK_INT(rep.u.core_status_rep.code, PB_ERR_INTERNAL);
	pb_msg_free(&rep);
	pb_msg_free(&req);

	/* state was rebuilt: the in-memory ping count starts again */
	REQUIRE(ping(c, 0, 2, &rep, 2000, &error) == 0);
	CHECK_INT(rep.u.test_ping_rep.n32, 1);
	pb_msg_free(&rep);
	CHECK_INT(atomic_load(&env.inits), 2);
	CHECK_INT(atomic_load(&env.deinits), 1);
	CHECK_INT(pb_runtime_stats(rt, st, 4), 1);
	CHECK(st[0].restarts == 1);
	CHECK(st[0].running);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

static void test_failing_init_is_retried(void)
{
	struct env env;
	struct pb_clock clock = { fake_clock, NULL };
	const char *error;
	struct pb_msg rep;

	memset(&env, 0, sizeof(env));
	atomic_store(&env.fail_inits, 2);
	atomic_store(&fake_now, 5000);
	struct pb_runtime *rt = pb_runtime_create("n", &clock);
	REQUIRE(pb_runtime_start(rt, &t_def, &env, &error) == 0);
	struct pb_caller *c = pb_caller_create(rt);
	REQUIRE(wait_for(&env.inits, 1));
	/* while init fails, requests get a temporary failure */
	REQUIRE(ping(c, 0, 1, &rep, 2000, &error) == 0);
	CHECK_INT(rep.type, MSG_CORE_STATUS_REP);
	CHECK_INT(rep.u.core_status_rep.code, PB_ERR_TEMP);
	pb_msg_free(&rep);
	/* move time past the back-off twice: the third init succeeds */
	for (int i = 2; i <= 3; i++) {
		atomic_fetch_add(&fake_now, 10000);
		pb_runtime_wake_all(rt);
		REQUIRE(wait_for(&env.inits, i));
	}
	REQUIRE(ping(c, 0, 1, &rep, 2000, &error) == 0);
	CHECK_INT(rep.type, MSG_TEST_PING_REP);
	pb_msg_free(&rep);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

static void test_timers_follow_the_clock(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg rep;
	const char *error;

	/* a round trip proves init ran; no tick yet because the clock has not moved */
	REQUIRE(ping(c, 0, 1, &rep, 2000, &error) == 0);
	pb_msg_free(&rep);
	CHECK_INT(atomic_load(&env.ticks), 0);
	atomic_fetch_add(&fake_now, 999);
	pb_runtime_wake_all(rt);
	REQUIRE(ping(c, 0, 1, &rep, 2000, &error) == 0);
	pb_msg_free(&rep);
	CHECK_INT(atomic_load(&env.ticks), 0);
	for (int i = 1; i <= 3; i++) {
		atomic_fetch_add(&fake_now, 1000);
		pb_runtime_wake_all(rt);
		CHECK(wait_for(&env.ticks, i));
	}
	CHECK_INT(atomic_load(&env.ticks), 3);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

static void test_full_inbox_is_a_counted_temporary_failure(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 8);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg m;
	const char *error;
	int failed = 0;
	struct pb_actor_stats st[1];

	/* block the actor inside a handler, then flood it */
	pb_msg_init(&m, MSG_TEST_PING_REQ);
	m.u.test_ping_req.flag = 2;
	m.reply_to = xstrdup("nobody");
	REQUIRE(pb_send(rt, "test", &m, &error) == 0);
	pb_msg_free(&m);
	for (int i = 0; i < 500; i++) {
		pb_msg_init(&m, MSG_TEST_TICK_EVT);
		if (pb_cast(rt, "test", &m, &error) < 0) {
			failed++;
			CHECK_STR(error, "inbox full");
		}
		pb_msg_free(&m);
	}
	CHECK(failed > 0);
	CHECK(failed < 500);
	pb_runtime_stats(rt, st, 1);
	CHECK(st[0].inbox_full == (uint64_t)failed);
	sem_post(&env.gate);
	pb_runtime_stop(rt);
	CHECK_INT(atomic_load(&env.handled_casts), 500 - failed);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

/* pb_inbox_stats lists the event loops' inboxes alone (not an actor's, not a caller's), each
 * with the messages waiting and the sends refused because it was full; a closed one is gone. */
static void test_inbox_stats_name_the_event_loops(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_inbox *in;
	struct pb_inbox_stats st[4];
	struct pb_msg m;
	const char *error;
	int failed = 0;

	REQUIRE(pb_inbox_open(rt, "hub", 2, &in, &error) == 0);
	REQUIRE(pb_inbox_stats(rt, st, 4) == 1);
	CHECK_STR(st[0].name, "hub");
	CHECK_INT(st[0].queued, 0);
	for (int i = 0; i < 3; i++) {
		pb_msg_init(&m, MSG_TEST_TICK_EVT);
		failed += pb_cast(rt, "hub", &m, &error) < 0;
		pb_msg_free(&m);
	}
	CHECK_INT(failed, 1);
	REQUIRE(pb_inbox_stats(rt, st, 4) == 1);
	CHECK_INT(st[0].queued, 2);
	CHECK_INT(st[0].inbox_full, 1);
	REQUIRE(pb_inbox_recv(in, &m, 5000) == 1);
	pb_msg_free(&m);
	REQUIRE(pb_inbox_stats(rt, st, 4) == 1);
	CHECK_INT(st[0].queued, 1);
	pb_inbox_close(&in);
	CHECK_INT(pb_inbox_stats(rt, st, 4), 0);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

static void test_malformed_bytes_are_counted_and_skipped(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg rep;
	const char *error;
	struct pb_actor_stats st[1];

	CHECK(pb_runtime_send_bytes(rt, "test", "\x01\x02garbage", 9, true, &error) == 0);
	REQUIRE(ping(c, 0, 1, &rep, 2000, &error) == 0);
	CHECK_INT(rep.type, MSG_TEST_PING_REP);
	pb_msg_free(&rep);
	pb_runtime_stats(rt, st, 1);
	CHECK(st[0].bad_messages == 1);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

/* A field over the message bound (64 MiB) neither aborts the encoder nor travels: the send
 * fails with "message too large", the actor is untouched and still answers. */
static void test_oversized_message_refused(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg req, rep;
	const char *error = NULL;
	size_t big = PB_MSG_MAX_SIZE + 10;

	pb_msg_init(&req, MSG_TEST_PING_REQ);
	req.u.test_ping_req.text = xmalloc(big + 1);
	memset(req.u.test_ping_req.text, 'x', big);
	req.u.test_ping_req.text[big] = '\0';
	CHECK(pb_call(c, "test", &req, &rep, 2000, &error) == -1);
	CHECK_STR(error, "message too large");
	pb_msg_free(&req);
	REQUIRE(ping(c, 0, 1, &rep, 2000, &error) == 0);
	CHECK_INT(rep.type, MSG_TEST_PING_REP);
	pb_msg_free(&rep);
	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
}

static void test_shard_routing(void)
{
	struct pb_runtime *rt = pb_runtime_create("n", NULL);
	struct pb_msg m;
	char addr[64], again[64];
	int used[4] = { 0 };

	pb_runtime_set_shards(rt, "mailbox", 4);
	pb_msg_init(&m, MSG_MBOX_LIST_REQ);
	/* keys that differ only above bit 16 (connection ids) still use every shard, and a key
	 * always goes to the same shard */
	for (uint64_t g = 1; g <= 64; g++) {
		m.u.mbox_list_req.user_id = g << 16;
		pb_route(rt, &m, addr, sizeof(addr));
		pb_route(rt, &m, again, sizeof(again));
		CHECK_STR(addr, again);
		REQUIRE(strncmp(addr, "mailbox.", 8) == 0 && addr[8] >= '0' && addr[8] <= '3');
		used[addr[8] - '0']++;
	}
	for (int i = 0; i < 4; i++)
		CHECK(used[i] > 0);
	pb_msg_init(&m, MSG_DIR_USER_LIST_REQ);
	pb_route(rt, &m, addr, sizeof(addr));
	CHECK_STR(addr, "directory");
	pb_runtime_destroy(&rt);
}

static void *concurrent_caller(void *arg)
{
	struct pb_runtime *rt = arg;
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg rep;
	const char *error;
	for (uint64_t i = 0; i < 200; i++) {
		if (ping(c, 0, i, &rep, 5000, &error) < 0 || rep.u.test_ping_rep.seq != i + 1)
			CHECK(!"concurrent call failed");
		else
			pb_msg_free(&rep);
	}
	pb_caller_destroy(&c);
	return NULL;
}

static void test_concurrent_callers(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	pthread_t th[8];

	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, concurrent_caller, rt);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	pb_runtime_destroy(&rt);
}

/* The actor blocked in a handler while 100 ticks queue up: on_idle runs every
 * PB_ACTOR_IDLE_EVERY messages under the stream and once more when the inbox runs empty. */
static void test_on_idle_every_n_and_when_empty(void)
{
	struct env env;
	struct pb_actor_def def = t_def;
	def.on_idle = t_idle;
	struct pb_runtime *rt = start_def(&env, 4096, &def);
	struct pb_msg m;
	const char *error;

	pb_msg_init(&m, MSG_TEST_PING_REQ);
	m.u.test_ping_req.flag = 2; /* waits on the gate */
	m.reply_to = xstrdup("nobody");
	REQUIRE(pb_send(rt, "test", &m, &error) == 0);
	pb_msg_free(&m);
	for (int i = 0; i < 100; i++) {
		pb_msg_init(&m, MSG_TEST_TICK_EVT);
		REQUIRE(pb_cast(rt, "test", &m, &error) == 0);
		pb_msg_free(&m);
	}
	CHECK_INT(atomic_load(&env.idles), 0);
	sem_post(&env.gate);
	CHECK(wait_for(&env.idles, 4));
	CHECK_INT(atomic_load(&env.handled_casts), 100);
	CHECK_INT(atomic_load(&env.since_idle), 0);
	CHECK(atomic_load(&env.most_between) <= PB_ACTOR_IDLE_EVERY);
	pb_runtime_stop(rt);
	CHECK_INT(atomic_load(&env.idles), 4); /* 1 + 31 ticks, 32, 32, then 5 and empty */
	pb_runtime_destroy(&rt);
}

/* Stopping runs on_idle for what was handled since, before deinit. */
static void test_on_idle_before_deinit(void)
{
	struct env env;
	struct pb_actor_def def = t_def;
	def.on_idle = t_idle;
	struct pb_runtime *rt = start_def(&env, 4096, &def);
	const char *error;

	for (int i = 0; i < 50; i++) {
		struct pb_msg m;
		pb_msg_init(&m, MSG_TEST_TICK_EVT);
		CHECK(pb_cast(rt, "test", &m, &error) == 0);
		pb_msg_free(&m);
	}
	pb_runtime_stop(rt);
	CHECK_INT(atomic_load(&env.handled_casts), 50);
	CHECK_INT(atomic_load(&env.since_at_deinit), 0);
	CHECK(atomic_load(&env.idles) >= 1);
	pb_runtime_destroy(&rt);
}

static void test_duplicate_name_refused(void)
{
	struct env env;
	struct pb_runtime *rt = start(&env, 0);
	const char *error;
	CHECK(pb_runtime_start(rt, &t_def, &env, &error) == -1);
	pb_runtime_destroy(&rt);
}

static const struct pb_test_case cases[] = {
	{ "call_round_trip", test_call_round_trip },
	{ "oversized_message_refused", test_oversized_message_refused },
	{ "cast_and_draining_stop", test_cast_and_draining_stop },
	{ "call_timeout_and_late_reply_dropped", test_call_timeout_and_late_reply_dropped },
	{ "unreachable_address", test_unreachable_address },
	{ "node_qualified_addresses", test_node_qualified_addresses },
	{ "unanswered_and_unhandled_requests_get_errors",
	  test_unanswered_and_unhandled_requests_get_errors },
	{ "restart_after_failure", test_restart_after_failure },
	{ "failing_init_is_retried", test_failing_init_is_retried },
	{ "timers_follow_the_clock", test_timers_follow_the_clock },
	{ "full_inbox_is_a_counted_temporary_failure", test_full_inbox_is_a_counted_temporary_failure },
	{ "malformed_bytes_are_counted_and_skipped", test_malformed_bytes_are_counted_and_skipped },
	{ "inbox_stats_name_the_event_loops", test_inbox_stats_name_the_event_loops },
	{ "shard_routing", test_shard_routing },
	{ "concurrent_callers", test_concurrent_callers },
	{ "duplicate_name_refused", test_duplicate_name_refused },
	{ "on_idle_every_n_and_when_empty", test_on_idle_every_n_and_when_empty },
	{ "on_idle_before_deinit", test_on_idle_before_deinit },
};

PB_TEST_MAIN(cases)
