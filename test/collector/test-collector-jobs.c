/*
 * test-collector-jobs.c: the "collector" actor's side of the connection methods, over a real
 * store and the real runtime with "collector" and "cwork" (collector-jobs.h): a collect job
 * for an unknown collector or of another kind is refused by name; a run's failure is the
 * job's answer; two methods asking for one collector at once share one collection (cwork runs
 * once, both get its result); and cwork's own tick runs a collector with interval_min only
 * when no connection method lists it. The ISP is a listening socket of the test.
 */
#include "collector-actor.h"
#include "collector-client.h"
#include "pb-test-store.h"
#include "pb-test.h"
#include "scheduler-client.h"
#include "store-collector.h"
#include "store-connections.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static _Atomic uint64_t fake_now = 1000;

static uint64_t mono_clock(void *ctx)
{
	return atomic_load(&fake_now);
}

struct fixture {
	char *dir, *store_dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
	struct pb_sync t;
};

static void setup(struct fixture *f)
{
	struct pb_clock clock = { mono_clock, NULL };
	const char *error;

	memset(f, 0, sizeof(*f));
	f->dir = store_test_tmpdir("cjobs");
	f->store_dir = xasprintf("%s/store", f->dir); /* the data directory: f->dir (secret.key) */
	f->store = store_test_open(f->store_dir);
	f->rt = pb_runtime_create("t", &clock);
	REQUIRE(pb_runtime_start(f->rt, &collector_actor_def, f->store, &error) == 0);
	REQUIRE(pb_runtime_start(f->rt, &cwork_actor_def, f->store, &error) == 0);
	f->c = pb_caller_create(f->rt);
	pb_sync_init_caller(&f->t, f->c, 10000);
}

static void teardown(struct fixture *f)
{
	pb_caller_destroy(&f->c);
	pb_runtime_destroy(&f->rt);
	pb_store_close(&f->store);
	store_test_rmrf(f->dir);
	free(f->dir);
	free(f->store_dir);
}

/* A listening loopback socket (its port in *port_r); closed at once: a port nobody serves. */
static int isp_listen(uint16_t *port_r, bool keep)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		PANIC("listen: %s", strerror(errno));
	*port_r = ntohs(sin.sin_port);
	if (!keep) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void add_collector(struct fixture *f, const char *name, uint16_t port, const char *extra)
{
	char port_arg[32];
	const char *args[] = { "server=127.0.0.1", port_arg, "user=office", "password=pw",
			       "route=user", "target=bob", extra };
	const char *error;
	uint32_t code = 99;

	snprintf(port_arg, sizeof(port_arg), "port=%u", port);
	REQUIRE(collector_client_op(&f->t, "add", name, args, PB_N_ELEMENTS(args) - (extra == NULL),
				    &code, &error) == 0);
	CHECK(code == PB_OK);
}

/* One collect (or other kind) job through caller c: its code, its error copied into buf. */
static uint32_t run_job(struct pb_caller *c, const char *method, const char *kind,
			const char *job, char *buf, size_t size)
{
	struct pb_msg req, rep;
	const char *error, *summary;

	pb_msg_init(&req, MSG_SCHED_RUN_REQ);
	req.u.sched_run_req.method = xstrdup(method);
	req.u.sched_run_req.kind = xstrdup(kind);
	req.u.sched_run_req.job = xstrdup(job);
	req.u.sched_run_req.deadline_ms = 60000;
	int rc = pb_call(c, "collector", &req, &rep, 70000, &error);
	pb_msg_free(&req);
	if (rc < 0)
		PANIC("collect job: %s", error);
	uint32_t code = scheduler_client_run_reply(&rep, &summary, &error);
	snprintf(buf, size, "%s", error != NULL ? error : "");
	pb_msg_free(&rep);
	return code;
}

static void test_refusals_named(void)
{
	struct fixture f;
	char error[256];

	setup(&f);
	CHECK(run_job(f.c, "m", SCHED_JOB_COLLECT, "nosuch", error, sizeof(error)) ==
	      PB_ERR_NOTFOUND);
	CHECK_STR(error, "no such collector");
	CHECK(run_job(f.c, "m", SCHED_JOB_SEND, "", error, sizeof(error)) == PB_ERR_REFUSED);
	CHECK_STR(error, "the collector actor runs collect jobs only");
	CHECK(run_job(f.c, "m", SCHED_JOB_COLLECT, "a/b", error, sizeof(error)) == PB_ERR_REFUSED);
	teardown(&f);
}

static void test_failure_is_the_answer(void)
{
	struct fixture f;
	char error[256];
	uint16_t port;

	setup(&f);
	isp_listen(&port, false);
	add_collector(&f, "dead", port, NULL);
	CHECK(run_job(f.c, "m", SCHED_JOB_COLLECT, "dead", error, sizeof(error)) == PB_ERR_TEMP);
	CHECK(strstr(error, "cannot connect") != NULL);
	teardown(&f);
}

/* A second method's job, on a thread of its own (a pb_caller per thread). */
struct second {
	struct pb_runtime *rt;
	uint32_t code;
	char error[256];
};

static void *second_job(void *arg)
{
	struct second *s = arg;
	struct pb_caller *c = pb_caller_create(s->rt);

	s->code = run_job(c, "m2", SCHED_JOB_COLLECT, "shared", s->error, sizeof(s->error));
	pb_caller_destroy(&c);
	return NULL;
}

static uint64_t handled(struct fixture *f, const char *name)
{
	struct pb_actor_stats st[8];
	size_t n = pb_runtime_stats(f->rt, st, PB_N_ELEMENTS(st));

	for (size_t i = 0; i < n && i < PB_N_ELEMENTS(st); i++)
		if (strcmp(st[i].name, name) == 0)
			return st[i].handled;
	return 0;
}

/* Waits (up to 10 s) until actor name has handled want messages. */
static bool wait_handled(struct fixture *f, const char *name, uint64_t want)
{
	for (int i = 0; i < 10000 && handled(f, name) < want; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	return handled(f, name) >= want;
}

static void test_two_methods_share_one_run(void)
{
	struct fixture f;
	struct second a, b;
	pthread_t ta, tb;
	uint16_t port;

	setup(&f);
	int lfd = isp_listen(&port, true);
	add_collector(&f, "shared", port, NULL);
	uint64_t base = handled(&f, "collector");
	a = (struct second){ .rt = f.rt };
	b = (struct second){ .rt = f.rt };
	REQUIRE(pthread_create(&ta, NULL, second_job, &a) == 0);
	int conn = accept(lfd, NULL, NULL); /* the run is on */
	REQUIRE(conn >= 0);
	REQUIRE(pthread_create(&tb, NULL, second_job, &b) == 0);
	CHECK(wait_handled(&f, "collector", base + 2)); /* both jobs are in */
	const char no[] = "-ERR the ISP is busy\r\n";
	CHECK(write(conn, no, sizeof(no) - 1) == (ssize_t)(sizeof(no) - 1));
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK(a.code == PB_ERR_TEMP && b.code == PB_ERR_TEMP);
	CHECK(strstr(a.error, "the ISP is busy") != NULL);
	CHECK_STR(a.error, b.error);
	CHECK(handled(&f, "cwork") == 1); /* one collection */
	close(conn);
	close(lfd);
	teardown(&f);
}

static void test_interval_only_when_no_method_lists_it(void)
{
	struct fixture f;
	uint16_t port;
	const char *error;
	char *status = NULL;

	setup(&f);
	isp_listen(&port, false);
	add_collector(&f, "a-listed", port, "interval_min=1");
	add_collector(&f, "b-free", port, "interval_min=1");
	char *names[] = { "a-listed" };
	struct pb_store_conn m = { .name = "office", .send = true, .collectors = names,
				   .n_collectors = 1, .n_rules = 1 };
	m.rules[0] = (struct pb_store_conn_rule){ 10, 0, 1440, 0x7f, 0 };
	REQUIRE(pb_store_conn_put(f.store, &m, &error) == 0);
	atomic_fetch_add(&fake_now, 10001); /* cwork's tick */
	pb_runtime_wake_all(f.rt);
	int found = 0;
	for (int i = 0; i < 10000 && found != 1; i++) {
		found = pb_store_collector_status_get(f.store, "b-free", &status, &error);
		if (found != 1)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	CHECK(found == 1); /* run by its interval (and failed: nobody listens) */
	CHECK(status != NULL && strstr(status, "cannot connect") != NULL);
	free(status);
	status = NULL;
	/* the same tick passed a-listed first (name order): a method lists it */
	CHECK(pb_store_collector_status_get(f.store, "a-listed", &status, &error) == 0);
	free(status);
	teardown(&f);
}

static const struct pb_test_case cases[] = {
	{ "refusals_named", test_refusals_named },
	{ "failure_is_the_answer", test_failure_is_the_answer },
	{ "two_methods_share_one_run", test_two_methods_share_one_run },
	{ "interval_only_when_no_method_lists_it", test_interval_only_when_no_method_lists_it },
};

PB_TEST_MAIN(cases)
