/*
 * test-collector-pool.c: cwork's pool bookkeeping (collector-pool.h) — runs taken in the order
 * asked up to the limit; never two runs of one collector at once (a second run of a collector
 * on waits while others pass it); a tick's run not queued twice, a requested one always; a
 * stop request reaching the run on, else the next one waiting; a full queue refused.
 * OWNS: nothing. THREAD: main only.
 */
#include "collector-pool.h"
#include "pb-alloc.h"
#include "pb-test.h"

#include <stdio.h>
#include <string.h>

static int push(struct cwork_pool *p, const char *name, const char *reply_to)
{
	struct cwork_job j = { .reply_to = reply_to != NULL ? xstrdup(reply_to) : NULL };
	snprintf(j.name, sizeof(j.name), "%s", name);
	int rc = cwork_pool_push(p, &j);
	free(j.reply_to); /* NULL unless refused */
	return rc;
}

/* Takes one run: its name ("" none) and slot. */
static const char *take(struct cwork_pool *p, uint32_t limit, size_t *slot_r)
{
	static char name[PB_COLLECTOR_NAME_MAX + 1];
	struct cwork_job j;

	if (cwork_pool_take(p, limit, &j, slot_r) == 0)
		return "";
	snprintf(name, sizeof(name), "%s", j.name);
	free(j.reply_to);
	return name;
}

static void test_parallel_one_each(void)
{
	struct cwork_pool *p = xcalloc(1, sizeof(*p));
	size_t s1, s2, s3, s4;

	CHECK_INT(push(p, "imap", "cli/reply.1"), 1);
	CHECK_INT(push(p, "imap", "cli/reply.2"), 1); /* asked twice: both answered, in turn */
	CHECK_INT(push(p, "pop", "cli/reply.3"), 1);
	CHECK_INT(push(p, "other", NULL), 1);
	CHECK_STR(take(p, 2, &s1), "imap");
	CHECK_STR(take(p, 2, &s2), "pop"); /* passes the second imap run: that one is on */
	CHECK_STR(take(p, 2, &s3), "");    /* the limit */
	CHECK_INT((int)cwork_pool_running(p), 2);
	CHECK_STR(take(p, 3, &s3), "other");
	CHECK_STR(take(p, 4, &s4), "");    /* only imap waits, and imap is on */
	cwork_pool_done(p, s1);
	CHECK_STR(take(p, 4, &s4), "imap");
	CHECK_STR(take(p, 4, &s1), "");
	cwork_pool_done(p, s2);
	cwork_pool_done(p, s3);
	cwork_pool_done(p, s4);
	CHECK_INT((int)cwork_pool_running(p), 0);
	free(p);
}

static void test_tick_coalesced(void)
{
	struct cwork_pool *p = xcalloc(1, sizeof(*p));
	size_t s;

	CHECK_INT(push(p, "a", NULL), 1);
	CHECK_INT(push(p, "a", ""), 0); /* waits already */
	CHECK_STR(take(p, 1, &s), "a");
	CHECK_INT(push(p, "a", NULL), 0); /* on already */
	CHECK_INT(push(p, "a", "x/reply.9"), 1); /* someone waits for an answer: queued */
	cwork_pool_done(p, s);
	CHECK_STR(take(p, 1, &s), "a");
	cwork_pool_done(p, s);
	CHECK_STR(take(p, 1, &s), "");
	free(p);
}

static void test_stop(void)
{
	struct cwork_pool *p = xcalloc(1, sizeof(*p));
	size_t s1, s2;

	CHECK_INT(push(p, "a", NULL), 1);
	CHECK_INT(push(p, "b", NULL), 1);
	CHECK_STR(take(p, 1, &s1), "a");
	CHECK(!cwork_pool_stopping(p, "a"));
	cwork_pool_stop(p, "a");
	CHECK(cwork_pool_stopping(p, "a"));
	cwork_pool_stop(p, "b"); /* not on: the next run of b begins stopped */
	CHECK(!cwork_pool_stopping(p, "b"));
	cwork_pool_done(p, s1);
	CHECK(!cwork_pool_stopping(p, "a"));
	CHECK_STR(take(p, 1, &s2), "b");
	CHECK(cwork_pool_stopping(p, "b"));
	cwork_pool_done(p, s2);
	cwork_pool_stop(p, "nobody"); /* nothing */
	CHECK_INT((int)cwork_pool_running(p), 0);
	free(p);
}

static void test_full(void)
{
	struct cwork_pool *p = xcalloc(1, sizeof(*p));
	struct cwork_job j;
	char name[16];

	for (int i = 0; i < CWORK_QUEUE_MAX; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		CHECK_INT(push(p, name, "r"), 1);
	}
	CHECK_INT(push(p, "more", "r"), -1);
	int n = 0;
	while (cwork_pool_pop(p, &j) == 1) {
		free(j.reply_to);
		n++;
	}
	CHECK_INT(n, CWORK_QUEUE_MAX);
	free(p);
}

static const struct pb_test_case cases[] = {
	{ "parallel_one_each", test_parallel_one_each },
	{ "tick_coalesced", test_tick_coalesced },
	{ "stop", test_stop },
	{ "full", test_full },
};

PB_TEST_MAIN(cases)
