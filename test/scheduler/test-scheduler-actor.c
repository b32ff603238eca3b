/*
 * test-scheduler-actor.c: the scheduler over a real store and the real runtime, with a fake
 * clock (the runtime's and the wall clock move together) and small job actors of the test at
 * "collector" and "queue" that answer SCHED_RUN_REQ / SCHED_WAITING_REQ as the real ones will
 * (answer at once, fail, or stay silent): the default method is seeded and runs every 10
 * minutes; nobody at an address is "no such service"; pause and resume; connect now; a silent
 * job times out and is recorded, and meanwhile the method never runs twice; hang-up; the
 * "N messages waiting" rule skips and then runs; refusals; methods and outcomes survive a
 * restart, and a deleted default is not seeded again.
 */
#include "pb-settings-snapshot.h"
#include "pb-test-store.h"
#include "pb-test.h"
#include "scheduler-actor.h"
#include "scheduler-client.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define MIN 60000ULL
#define WALL0 1796029200000LL /* 2026-11-30 09:00 UTC */

static _Atomic uint64_t fake_now = 1000;

static uint64_t mono_clock(void *ctx)
{
	return atomic_load(&fake_now);
}

static uint64_t wall_clock(void *ctx)
{
	return (uint64_t)WALL0 + atomic_load(&fake_now) - 1000;
}

enum job_mode { JOB_OK, JOB_FAIL, JOB_SILENT };

/* What the job actors saw, and how they answer (shared with the test thread). */
struct jobs {
	atomic_int collects, sends, asked, hangups, mode;
	_Atomic uint64_t waiting;
};

static int on_run(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct jobs *j = state;
	struct pb_msg rep;
	bool collect = strcmp(m->u.sched_run_req.kind, SCHED_JOB_COLLECT) == 0;

	atomic_fetch_add(collect ? &j->collects : &j->sends, 1);
	if (atomic_load(&j->mode) == JOB_SILENT) {
		pb_actor_defer_reply(a);
		return 0;
	}
	if (atomic_load(&j->mode) == JOB_FAIL)
		scheduler_job_run_answer(&rep, PB_ERR_TEMP, "the ISP said no", "");
	else
		scheduler_job_run_answer(&rep, PB_OK, "", "done");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_waiting(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct jobs *j = state;
	struct pb_msg rep;

	atomic_fetch_add(&j->asked, 1);
	scheduler_job_waiting_answer(&rep, PB_OK, "", atomic_load(&j->waiting));
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_hangup(struct pb_actor *a, void *state, struct pb_msg *m)
{
	atomic_fetch_add(&((struct jobs *)state)->hangups, 1);
	return 0;
}

static int jobs_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	*state_r = arg;
	return 0;
}

static const struct pb_handler job_handlers[] = {
	{ MSG_SCHED_RUN_REQ, on_run },
	{ MSG_SCHED_WAITING_REQ, on_waiting },
	{ MSG_SCHED_HANGUP_EVT, on_hangup },
};
static const struct pb_actor_def collector_def = {
	.name = "collector", .inbox_size = 64, .init = jobs_init, .handlers = job_handlers,
	.n_handlers = PB_N_ELEMENTS(job_handlers)
};
static const struct pb_actor_def queue_def = {
	.name = "queue", .inbox_size = 64, .init = jobs_init, .handlers = job_handlers,
	.n_handlers = PB_N_ELEMENTS(job_handlers)
};

struct fixture {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
	struct pb_sync t;
	struct sched_actor_args args;
	struct jobs jobs;
};

/* Starts the runtime: the job actors named (bit 1 collector, bit 2 queue), then the scheduler. */
static void start(struct fixture *f, int with)
{
	struct pb_clock clock = { mono_clock, NULL };
	const char *error;

	f->rt = pb_runtime_create("t", &clock);
	if ((with & 1) != 0)
		REQUIRE(pb_runtime_start(f->rt, &collector_def, &f->jobs, &error) == 0);
	if ((with & 2) != 0)
		REQUIRE(pb_runtime_start(f->rt, &queue_def, &f->jobs, &error) == 0);
	f->args = (struct sched_actor_args){ f->store, { wall_clock, NULL } };
	REQUIRE(pb_runtime_start(f->rt, &scheduler_actor_def, &f->args, &error) == 0);
	f->c = pb_caller_create(f->rt);
	pb_sync_init_caller(&f->t, f->c, 10000);
}

static void stop(struct fixture *f)
{
	pb_caller_destroy(&f->c);
	pb_runtime_destroy(&f->rt);
}

static void setup_mode(struct fixture *f, int with, enum job_mode mode)
{
	memset(f, 0, sizeof(*f));
	atomic_store(&f->jobs.mode, mode);
	atomic_store(&fake_now, 1000);
	f->dir = store_test_tmpdir("sched");
	f->store = store_test_open(f->dir);
	start(f, with);
}

static void setup(struct fixture *f, int with)
{
	setup_mode(f, with, JOB_OK);
}

static void teardown(struct fixture *f)
{
	stop(f);
	store_test_done(&f->store, &f->dir);
}

static void advance(struct fixture *f, uint64_t ms)
{
	atomic_fetch_add(&fake_now, ms);
	pb_runtime_wake_all(f->rt);
}

/* The state of method name (the caller clears *l); l->v[0] is it. */
static void get(struct fixture *f, const char *name, struct pb_rec_sched_method_list *l)
{
	const char *error;
	uint32_t code = 99;

	memset(l, 0, sizeof(*l));
	REQUIRE(scheduler_client_list(&f->t, name, &code, l, &error) == 0);
	REQUIRE(code == PB_OK && l->n == 1);
}

/* Waits (up to 10 s of real time) until method name's last result is result and no run is on. */
static bool wait_result(struct fixture *f, const char *name, const char *result)
{
	for (int i = 0; i < 10000; i++) {
		struct pb_rec_sched_method_list l;
		get(f, name, &l);
		bool done = !l.v[0].running && strcmp(l.v[0].last_result, result) == 0;
		pb_rec_sched_method_list_clear(&l);
		if (done)
			return true;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return false;
}

/* Waits (up to 10 s of real time) until method name's last failure is error. */
static bool wait_error(struct fixture *f, const char *name, const char *error)
{
	for (int i = 0; i < 10000; i++) {
		struct pb_rec_sched_method_list l;
		get(f, name, &l);
		bool done = strcmp(l.v[0].last_error, error) == 0;
		pb_rec_sched_method_list_clear(&l);
		if (done)
			return true;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return false;
}

static bool wait_count(atomic_int *v, int want)
{
	for (int i = 0; i < 10000 && atomic_load(v) < want; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	return atomic_load(v) == want;
}

static uint32_t control(struct fixture *f, const char *name, uint8_t what)
{
	const char *error;
	uint32_t code = 99;

	if (scheduler_client_control(&f->t, name, what, &code, &error) < 0)
		PANIC("control: %s", error);
	return code;
}

static uint32_t add(struct fixture *f, const char *name, bool send, const char *collector,
		    struct pb_rec_sched_rule r, const char **error_r)
{
	struct pb_rec_sched_rule_list rules = { 0 };
	struct pb_strv coll = { 0 };
	uint32_t code = 99;

	*pb_rec_sched_rule_push(&rules) = r;
	if (collector != NULL)
		pb_strv_push(&coll, collector);
	if (scheduler_client_add(&f->t, name, send, &coll, &rules, &code, error_r) < 0)
		PANIC("add: %s", *error_r);
	pb_rec_sched_rule_list_clear(&rules);
	pb_strv_clear(&coll);
	return code;
}

static uint32_t del(struct fixture *f, const char *name)
{
	const char *error;
	uint32_t code = 99;

	if (scheduler_client_del(&f->t, name, &code, &error) < 0)
		PANIC("del: %s", error);
	return code;
}

static void test_default_runs_every_ten_minutes(void)
{
	struct fixture f;
	struct pb_rec_sched_method_list l;

	setup(&f, 2);
	REQUIRE(wait_result(&f, "default", "ok")); /* never ran: due at once */
	CHECK_INT(atomic_load(&f.jobs.sends), 1);
	get(&f, "default", &l);
	CHECK(l.v[0].send && !l.v[0].paused && l.v[0].collectors.n == 0);
	REQUIRE(l.v[0].rules.n == 1);
	CHECK_INT(l.v[0].rules.v[0].every_min, 10);
	CHECK_INT(l.v[0].rules.v[0].days, 0x7f);
	CHECK(l.v[0].last_start_ms == WALL0);
	CHECK(l.v[0].next_due_ms == WALL0 + (int64_t)(10 * MIN));
	CHECK_STR(l.v[0].last_error, "");
	pb_rec_sched_method_list_clear(&l);

	advance(&f, 9 * MIN); /* not due yet: the wake-up and the list are handled in order */
	get(&f, "default", &l);
	CHECK(!l.v[0].running && l.v[0].last_start_ms == WALL0);
	pb_rec_sched_method_list_clear(&l);
	CHECK_INT(atomic_load(&f.jobs.sends), 1);
	advance(&f, 1 * MIN);
	REQUIRE(wait_count(&f.jobs.sends, 2));
	REQUIRE(wait_result(&f, "default", "ok"));
	get(&f, "default", &l);
	CHECK(l.v[0].last_start_ms == WALL0 + (int64_t)(10 * MIN));
	CHECK(l.v[0].next_due_ms == WALL0 + (int64_t)(20 * MIN));
	pb_rec_sched_method_list_clear(&l);
	teardown(&f);
}

static void test_nobody_there_is_no_such_service(void)
{
	struct fixture f;
	struct pb_rec_sched_method_list l;
	const char *error;

	setup(&f, 0);
	REQUIRE(wait_result(&f, "default", "failed"));
	get(&f, "default", &l);
	CHECK_STR(l.v[0].last_error, "send: no such service");
	CHECK(l.v[0].last_error_ms == WALL0);
	pb_rec_sched_method_list_clear(&l);
	CHECK_INT(add(&f, "isp", false, "pop-isp", (struct pb_rec_sched_rule){ 60, 0, 0, 0x7f, 0 },
		      &error),
		  PB_OK);
	REQUIRE(wait_result(&f, "isp", "failed"));
	get(&f, "isp", &l);
	CHECK_STR(l.v[0].last_error, "collect pop-isp: no such service");
	pb_rec_sched_method_list_clear(&l);
	teardown(&f);
}

static void test_pause_and_resume(void)
{
	struct fixture f;
	struct pb_rec_sched_method_list l;

	setup(&f, 2);
	REQUIRE(wait_result(&f, "default", "ok"));
	CHECK_INT(control(&f, "default", SCHED_CONTROL_PAUSE), PB_OK);
	get(&f, "default", &l);
	CHECK(l.v[0].paused && l.v[0].next_due_ms == 0);
	pb_rec_sched_method_list_clear(&l);
	advance(&f, 30 * MIN);
	get(&f, "default", &l); /* after the wake-up */
	CHECK(!l.v[0].running);
	pb_rec_sched_method_list_clear(&l);
	CHECK_INT(atomic_load(&f.jobs.sends), 1);
	CHECK_INT(control(&f, "default", SCHED_CONTROL_RESUME), PB_OK);
	REQUIRE(wait_count(&f.jobs.sends, 2)); /* overdue: at once */
	REQUIRE(wait_result(&f, "default", "ok"));
	get(&f, "default", &l);
	CHECK(!l.v[0].paused && l.v[0].last_start_ms == WALL0 + (int64_t)(30 * MIN));
	pb_rec_sched_method_list_clear(&l);
	teardown(&f);
}

static void test_silent_job_times_out_and_never_runs_twice(void)
{
	struct fixture f;
	struct pb_rec_sched_method_list l;

	setup_mode(&f, 3, JOB_SILENT);
	REQUIRE(wait_count(&f.jobs.sends, 1)); /* the first run, never answered */
	int sends = atomic_load(&f.jobs.sends);
	get(&f, "default", &l);
	CHECK(l.v[0].running);
	CHECK_INT(l.v[0].jobs_left, 1);
	pb_rec_sched_method_list_clear(&l);
	CHECK_INT(control(&f, "default", SCHED_CONTROL_NOW), PB_ERR_REFUSED);
	advance(&f, 20 * MIN); /* due twice over, but running */
	get(&f, "default", &l);
	CHECK(l.v[0].running);
	pb_rec_sched_method_list_clear(&l);
	CHECK_INT(atomic_load(&f.jobs.sends), sends);
	advance(&f, 10 * MIN + 1000); /* past connections.job_timeout_s (1800) */
	REQUIRE(wait_error(&f, "default", "send: no answer within its deadline"));
	get(&f, "default", &l);
	CHECK(l.v[0].last_error_ms == WALL0 + (int64_t)(30 * MIN + 1000));
	pb_rec_sched_method_list_clear(&l);
	/* overdue by then: the next run starts at once (and is silent too); hang it up */
	REQUIRE(wait_count(&f.jobs.sends, sends + 1));
	CHECK_INT(control(&f, "default", SCHED_CONTROL_HANGUP), PB_OK);
	REQUIRE(wait_result(&f, "default", "hung up"));
	atomic_store(&f.jobs.mode, JOB_FAIL);
	CHECK_INT(control(&f, "default", SCHED_CONTROL_NOW), PB_OK);
	REQUIRE(wait_result(&f, "default", "failed"));
	get(&f, "default", &l);
	CHECK_STR(l.v[0].last_error, "send: the ISP said no");
	pb_rec_sched_method_list_clear(&l);
	atomic_store(&f.jobs.mode, JOB_OK);
	CHECK_INT(control(&f, "default", SCHED_CONTROL_NOW), PB_OK);
	REQUIRE(wait_result(&f, "default", "ok"));
	get(&f, "default", &l);
	CHECK_STR(l.v[0].last_error, "send: the ISP said no"); /* kept, with its time */
	pb_rec_sched_method_list_clear(&l);
	teardown(&f);
}

static void test_hangup(void)
{
	struct fixture f;
	const char *error;

	setup(&f, 3);
	REQUIRE(wait_result(&f, "default", "ok"));
	CHECK_INT(control(&f, "default", SCHED_CONTROL_HANGUP), PB_ERR_REFUSED); /* not running */
	atomic_store(&f.jobs.mode, JOB_SILENT);
	CHECK_INT(add(&f, "isp", true, "pop-isp", (struct pb_rec_sched_rule){ 60, 0, 0, 0x7f, 0 },
		      &error),
		  PB_OK);
	REQUIRE(wait_count(&f.jobs.collects, 1));
	REQUIRE(wait_count(&f.jobs.sends, 2));
	CHECK_INT(control(&f, "isp", SCHED_CONTROL_HANGUP), PB_OK);
	REQUIRE(wait_count(&f.jobs.hangups, 2)); /* collector and queue told */
	REQUIRE(wait_result(&f, "isp", "hung up"));
	CHECK_INT(control(&f, "isp", SCHED_CONTROL_NOW), PB_OK); /* free to run again */
	REQUIRE(wait_count(&f.jobs.collects, 2));
	CHECK_INT(del(&f, "isp"), PB_OK); /* deleting a running method hangs it up */
	REQUIRE(wait_count(&f.jobs.hangups, 4));
	teardown(&f);
}

static void test_minimum_waiting(void)
{
	struct fixture f;
	const char *error;
	struct pb_rec_sched_method_list l;

	setup(&f, 3);
	REQUIRE(wait_result(&f, "default", "ok"));
	CHECK_INT(del(&f, "default"), PB_OK);
	atomic_store(&f.jobs.sends, 0);
	atomic_store(&f.jobs.waiting, 1);
	CHECK_INT(add(&f, "bulk", true, NULL, (struct pb_rec_sched_rule){ 5, 0, 0, 0x7f, 3 }, &error),
		  PB_OK);
	REQUIRE(wait_count(&f.jobs.asked, 1));
	REQUIRE(wait_result(&f, "bulk", "skipped"));
	CHECK_INT(atomic_load(&f.jobs.sends), 0);
	get(&f, "bulk", &l);
	CHECK_STR(l.v[0].last_error, "");
	CHECK(l.v[0].next_due_ms == WALL0 + (int64_t)(5 * MIN));
	pb_rec_sched_method_list_clear(&l);
	atomic_store(&f.jobs.waiting, 3);
	advance(&f, 5 * MIN);
	REQUIRE(wait_count(&f.jobs.asked, 2));
	REQUIRE(wait_count(&f.jobs.sends, 1));
	REQUIRE(wait_result(&f, "bulk", "ok"));
	atomic_store(&f.jobs.waiting, 0);
	CHECK_INT(control(&f, "bulk", SCHED_CONTROL_NOW), PB_OK); /* now: no minimum */
	REQUIRE(wait_count(&f.jobs.sends, 2));
	CHECK_INT(atomic_load(&f.jobs.asked), 2);
	teardown(&f);
}

static void test_refusals_and_restart(void)
{
	struct fixture f;
	const char *error;
	struct pb_rec_sched_method_list l = { 0 };
	uint32_t code = 99;

	setup(&f, 2);
	REQUIRE(wait_result(&f, "default", "ok"));
	struct pb_rec_sched_rule ok = { 15, 480, 1080, 0x1f, 0 };
	CHECK_INT(add(&f, "bad name", true, NULL, ok, &error), PB_ERR_REFUSED);
	CHECK(strstr(error, "connection name") != NULL);
	CHECK_INT(add(&f, "default", true, NULL, ok, &error), PB_ERR_EXISTS);
	CHECK_INT(add(&f, "x", true, NULL, (struct pb_rec_sched_rule){ 0, 0, 0, 0x7f, 0 }, &error),
		  PB_ERR_REFUSED);
	CHECK(strstr(error, "interval") != NULL);
	CHECK_INT(add(&f, "x", true, "a b", ok, &error), PB_ERR_REFUSED);
	CHECK(strstr(error, "collector name") != NULL);
	CHECK_INT(add(&f, "office", false, "isp1", ok, &error), PB_OK);
	CHECK_INT(del(&f, "nosuch"), PB_ERR_NOTFOUND);
	CHECK_INT(control(&f, "nosuch", SCHED_CONTROL_NOW), PB_ERR_NOTFOUND);
	CHECK_INT(control(&f, "office", 9), PB_ERR_REFUSED);
	REQUIRE(scheduler_client_list(&f.t, "nosuch", &code, &l, &error) == 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	CHECK_INT(control(&f, "office", SCHED_CONTROL_PAUSE), PB_OK);
	CHECK_INT(del(&f, "default"), PB_OK);

	stop(&f);
	start(&f, 2);
	REQUIRE(scheduler_client_list(&f.t, "", &code, &l, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(l.n == 1); /* the deleted default is not seeded again */
	CHECK_STR(l.v[0].name, "office");
	CHECK(l.v[0].paused && !l.v[0].send);
	REQUIRE(l.v[0].collectors.n == 1);
	CHECK_STR(l.v[0].collectors.v[0], "isp1");
	CHECK_INT(l.v[0].rules.v[0].from_min, 480);
	CHECK_INT(l.v[0].rules.v[0].to_min, 1080);
	CHECK_INT(l.v[0].rules.v[0].days, 0x1f);
	CHECK_INT(l.v[0].rules.v[0].every_min, 15);
	pb_rec_sched_method_list_clear(&l);
	teardown(&f);
}

static const struct pb_test_case cases[] = {
	{ "default_runs_every_ten_minutes", test_default_runs_every_ten_minutes },
	{ "nobody_there_is_no_such_service", test_nobody_there_is_no_such_service },
	{ "pause_and_resume", test_pause_and_resume },
	{ "silent_job_times_out_and_never_runs_twice",
	  test_silent_job_times_out_and_never_runs_twice },
	{ "hangup", test_hangup },
	{ "minimum_waiting", test_minimum_waiting },
	{ "refusals_and_restart", test_refusals_and_restart },
};

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	return pb_test_run(cases, PB_N_ELEMENTS(cases));
}
