/*
 * bench-actor.c: messages per second through one actor hop (cast) and round trips per second
 * (call), with 1 and 4 sending threads. Prints a table; not a test.
 * Usage: bench-actor [seconds-per-case]
 */
#include "pb-runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_uint_fast64_t received;

static int on_tick(struct pb_actor *a, void *state, struct pb_msg *m)
{
	atomic_fetch_add(&received, 1);
	return 0;
}

static int on_ping(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_TEST_PING_REP);
	rep.u.test_ping_rep.seq = m->u.test_ping_req.seq;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler handlers[] = {
	{ MSG_TEST_TICK_EVT, on_tick },
	{ MSG_TEST_PING_REQ, on_ping },
};

static const struct pb_actor_def def = {
	.name = "test", .inbox_size = 8192, .handlers = handlers, .n_handlers = 2,
};

struct job {
	struct pb_runtime *rt;
	double seconds;
	bool call;
	uint64_t done, refused;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *sender(void *arg)
{
	struct job *j = arg;
	struct pb_caller *c = pb_caller_create(j->rt);
	double end = now_s() + j->seconds;
	struct pb_msg m, rep;
	const char *error;

	while (now_s() < end) {
		for (int i = 0; i < 256; i++) {
			if (j->call) {
				pb_msg_init(&m, MSG_TEST_PING_REQ);
				if (pb_call(c, "test", &m, &rep, 5000, &error) == 0) {
					j->done++;
					pb_msg_free(&rep);
				}
			} else {
				pb_msg_init(&m, MSG_TEST_TICK_EVT);
				if (pb_cast(j->rt, "test", &m, &error) == 0) {
					j->done++;
				} else {
					/* a full inbox: back off instead of spinning on the core the
					 * receiver needs (a real sender reports 4xx and moves on) */
					j->refused++;
					sched_yield();
				}
			}
			pb_msg_free(&m);
		}
	}
	pb_caller_destroy(&c);
	return NULL;
}

static void run_case(struct pb_runtime *rt, bool call, int threads, double seconds)
{
	struct job jobs[16];
	pthread_t th[16];
	uint64_t done = 0, refused = 0;
	uint64_t before = atomic_load(&received);
	double t0 = now_s();

	for (int i = 0; i < threads; i++) {
		jobs[i] = (struct job){ rt, seconds, call, 0, 0 };
		pthread_create(&th[i], NULL, sender, &jobs[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		done += jobs[i].done;
		refused += jobs[i].refused;
	}
	if (!call) {
		/* count only what the actor has handled */
		while (atomic_load(&received) - before < done)
			;
	}
	double dt = now_s() - t0;
	printf("%-6s %7d %14.0f %12llu\n", call ? "call" : "cast", threads, (double)done / dt,
	       (unsigned long long)refused);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	const char *error;
	struct pb_runtime *rt = pb_runtime_create("bench", NULL);

	if (pb_runtime_start(rt, &def, NULL, &error) < 0) {
		fprintf(stderr, "bench-actor: %s\n", error);
		return 1;
	}
	printf("%-6s %7s %14s %12s\n", "kind", "threads", "messages/s", "inbox-full");
	run_case(rt, false, 1, seconds);
	run_case(rt, false, 4, seconds);
	run_case(rt, true, 1, seconds);
	run_case(rt, true, 4, seconds);
	pb_runtime_destroy(&rt);
	return 0;
}
