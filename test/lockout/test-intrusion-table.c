/*
 * test-intrusion-table.c: intrusion protection's score with a fake clock (times are plain
 * numbers passed in): each event's weight, the threshold blocking through the guard's block
 * list (automatic, for block_ms, the reason naming the events), the leak over the period
 * (misbehaviour spread wider never blocks; counts forgotten once the score is zero), weight 0
 * and threshold 0 ignoring, never-block wins, an address already blocked is answered
 * blocked, a manual block list that is full, and the eviction bound.
 */
#include "intrusion-table.h"
#include "pb-alloc.h"
#include "pb-test.h"

#include <stdlib.h>
#include <string.h>

#define MIN 60000ULL
#define A "192.0.2.1"
#define B "198.51.100.7"

static struct intrusion_policy policy(void)
{
	return (struct intrusion_policy){
		.threshold = 100, .period_ms = 60 * MIN, .block_ms = 30 * MIN,
		.weight = { [INTRUSION_EARLY_TALK] = 50, [INTRUSION_PIPELINING] = 25,
			    [INTRUSION_UNKNOWN_RCPT] = 5, [INTRUSION_AUTH_FAILURE] = 0,
			    [INTRUSION_BARE_LF] = 1, [INTRUSION_BAD_COMMAND] = 10 },
	};
}

struct fixture {
	struct lockout_table *guard;
	struct intrusion_table *t;
};

static struct fixture fixture(uint32_t max_ips, uint32_t max_blocks, const char *never_block)
{
	struct lockout_limits lim = { 16, 16, max_blocks };
	struct lockout_policy lp = { 0 };
	struct intrusion_policy p = policy();
	char *error = NULL;

	if (pb_cidr_list_parse(never_block, &lp.never_block, &error) < 0)
		PANIC("never_block: %s", error);
	return (struct fixture){ lockout_table_create(&lim, &lp), intrusion_table_create(max_ips, &p) };
}

static void fixture_free(struct fixture *x)
{
	intrusion_table_destroy(&x->t);
	lockout_table_destroy(&x->guard);
	CHECK(x->t == NULL);
}

/* One report; returns the verdict (and checks blocked_now goes with a block entry). */
static struct lockout_verdict report(struct fixture *x, const char *ip, unsigned ev, uint32_t n,
				     uint64_t now)
{
	struct lockout_verdict v;
	const struct lockout_block *b;
	const char *error;

	if (intrusion_table_report(x->t, x->guard, ip, "smtp", ev, n, now, &v, &b, &error) < 0)
		PANIC("report: %s", error);
	CHECK(v.blocked_now == (b != NULL));
	return v;
}

static void test_weights_and_threshold(void)
{
	struct fixture x = fixture(16, 16, "");

	CHECK(!report(&x, A, INTRUSION_EARLY_TALK, 1, 1000).blocked);
	CHECK_INT(intrusion_table_score(x.t, A, 1000), 50);
	CHECK(!report(&x, A, INTRUSION_PIPELINING, 1, 1000).blocked);
	CHECK_INT(intrusion_table_score(x.t, A, 1000), 75);
	CHECK(!report(&x, A, INTRUSION_BARE_LF, 1, 1000).blocked);
	CHECK_INT(intrusion_table_score(x.t, A, 1000), 76);
	CHECK(!report(&x, A, INTRUSION_AUTH_FAILURE, 5, 1000).blocked); /* weight 0: ignored */
	CHECK_INT(intrusion_table_score(x.t, A, 1000), 76);
	CHECK(!report(&x, A, INTRUSION_BAD_COMMAND, 2, 1000).blocked);
	CHECK_INT(intrusion_table_score(x.t, A, 1000), 96);
	CHECK_INT(intrusion_table_score(x.t, B, 1000), 0); /* per address */
	struct lockout_verdict v = report(&x, A, INTRUSION_UNKNOWN_RCPT, 1, 1000);
	CHECK(v.blocked && v.blocked_now);
	CHECK_INT(v.until_ms, 1000 + 30 * MIN);
	/* the block is the guard's: listed with its reason, and what refuses the next connection */
	const struct lockout_block *b = lockout_table_blocked(x.guard, A, 2000);
	REQUIRE(b != NULL);
	CHECK(b->automatic);
	CHECK_STR(b->protocol, "smtp");
	CHECK_STR(b->reason,
		  "intrusion: early_talk x1 pipelining x1 unknown_rcpt x1 bare_lf x1 bad_command x2");
	CHECK(lockout_table_blocked(x.guard, B, 2000) == NULL);
	/* blocked: answered so, not scored */
	v = report(&x, A, INTRUSION_EARLY_TALK, 1, 2000);
	CHECK(v.blocked && !v.blocked_now);
	CHECK_INT(intrusion_table_score(x.t, A, 2000), 0);
	/* the block ends: the address starts from zero */
	CHECK(!report(&x, A, INTRUSION_EARLY_TALK, 1, 1000 + 30 * MIN).blocked);
	CHECK_INT(intrusion_table_score(x.t, A, 1000 + 30 * MIN), 50);
	fixture_free(&x);
}

static void test_score_leaks_over_the_period(void)
{
	struct fixture x = fixture(16, 16, "");

	report(&x, A, INTRUSION_EARLY_TALK, 1, 0);
	CHECK_INT(intrusion_table_score(x.t, A, 15 * MIN), 25); /* 100 points leak per hour */
	CHECK_INT(intrusion_table_score(x.t, A, 30 * MIN), 0);
	CHECK_INT(intrusion_table_score(x.t, A, 90 * MIN), 0);
	/* 19 unknown recipients every 12 minutes (95 points, 20 leaked meanwhile): never blocked */
	for (uint64_t t = 60 * MIN, i = 0; i < 20; i++, t += 60 * MIN) {
		CHECK(!report(&x, B, INTRUSION_UNKNOWN_RCPT, 19, t).blocked);
		CHECK(!report(&x, B, INTRUSION_PIPELINING, 0, t).blocked); /* count 0: nothing */
	}
	/* the same faster: blocked */
	CHECK(report(&x, A, INTRUSION_UNKNOWN_RCPT, 19, 100 * MIN).blocked == false);
	CHECK(report(&x, A, INTRUSION_UNKNOWN_RCPT, 1, 100 * MIN).blocked);
	fixture_free(&x);
}

static void test_counts_forgotten_with_the_score(void)
{
	struct fixture x = fixture(16, 16, "");

	report(&x, A, INTRUSION_BAD_COMMAND, 5, 0);
	CHECK(report(&x, A, INTRUSION_EARLY_TALK, 2, 2 * 60 * MIN).blocked);
	CHECK_STR(lockout_table_blocked(x.guard, A, 2 * 60 * MIN)->reason, "intrusion: early_talk x2");
	fixture_free(&x);
}

static void test_off_and_never_block(void)
{
	struct fixture x = fixture(16, 16, "192.0.2.0/24");
	struct intrusion_policy p = policy();

	/* never-block wins: not even scored */
	CHECK(!report(&x, A, INTRUSION_EARLY_TALK, 10, 0).blocked);
	CHECK_INT(intrusion_table_score(x.t, A, 0), 0);
	CHECK(lockout_table_blocked(x.guard, A, 0) == NULL);
	/* loopback is not scored unless the policy says so */
	CHECK(!report(&x, "127.0.0.2", INTRUSION_EARLY_TALK, 2, 0).blocked);
	CHECK_INT(intrusion_table_score(x.t, "127.0.0.2", 0), 0);
	CHECK(!report(&x, "::1", INTRUSION_EARLY_TALK, 2, 0).blocked);
	p.score_loopback = true;
	intrusion_table_set_policy(x.t, &p);
	CHECK(report(&x, "127.0.0.2", INTRUSION_EARLY_TALK, 2, 0).blocked);
	/* threshold 0: off */
	p.threshold = 0;
	intrusion_table_set_policy(x.t, &p);
	CHECK(!report(&x, B, INTRUSION_EARLY_TALK, 10, 0).blocked);
	CHECK_INT(intrusion_table_score(x.t, B, 0), 0);
	/* bad input */
	struct lockout_verdict v;
	const struct lockout_block *b;
	const char *error;
	CHECK_INT(intrusion_table_report(x.t, x.guard, "nonsense", "smtp", 0, 1, 0, &v, &b, &error), -1);
	CHECK_STR(error, "not an IP address");
	CHECK_INT(intrusion_table_report(x.t, x.guard, B, "smtp", INTRUSION_N_EVENTS, 1, 0, &v, &b,
					 &error), -1);
	CHECK_STR(error, "unknown intrusion event");
	CHECK(intrusion_event_name(INTRUSION_N_EVENTS) == NULL);
	CHECK_STR(intrusion_event_name(INTRUSION_BARE_LF), "bare_lf");
	fixture_free(&x);
}

static void test_block_list_full_of_manual_blocks(void)
{
	struct fixture x = fixture(16, 1, "");
	const struct lockout_block *b;
	char *error = NULL;

	CHECK_INT(lockout_table_block_add(x.guard, "203.0.113.0/24", 0, 0, false, "manual", "admin",
					  &b, &error), 0);
	CHECK(!report(&x, A, INTRUSION_EARLY_TALK, 3, 0).blocked);
	CHECK_INT(intrusion_table_score(x.t, A, 0), 100); /* waits at the threshold */
	CHECK_INT(lockout_table_block_del(x.guard, "203.0.113.0/24", (char[PB_CIDR_TEXT_MAX]){ 0 },
					  &error), 1);
	CHECK(report(&x, A, INTRUSION_BARE_LF, 1, 1).blocked);
	fixture_free(&x);
}

static void test_eviction_bound(void)
{
	struct fixture x = fixture(2, 16, "");

	report(&x, A, INTRUSION_EARLY_TALK, 1, 1);
	report(&x, B, INTRUSION_EARLY_TALK, 1, 2);
	report(&x, "203.0.113.9", INTRUSION_EARLY_TALK, 1, 3); /* A, the least recently seen, goes */
	CHECK_INT(intrusion_table_score(x.t, A, 3), 0);
	CHECK_INT(intrusion_table_score(x.t, B, 2), 50);
	CHECK_INT(intrusion_table_score(x.t, "203.0.113.9", 3), 50);
	CHECK(!report(&x, A, INTRUSION_EARLY_TALK, 1, 4).blocked); /* from zero again */
	CHECK(report(&x, "203.0.113.9", INTRUSION_EARLY_TALK, 1, 5).blocked);
	fixture_free(&x);
}

static const struct pb_test_case cases[] = {
	{ "weights_and_threshold", test_weights_and_threshold },
	{ "score_leaks_over_the_period", test_score_leaks_over_the_period },
	{ "counts_forgotten_with_the_score", test_counts_forgotten_with_the_score },
	{ "off_and_never_block", test_off_and_never_block },
	{ "block_list_full_of_manual_blocks", test_block_list_full_of_manual_blocks },
	{ "eviction_bound", test_eviction_bound },
};

PB_TEST_MAIN(cases)
