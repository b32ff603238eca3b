/*
 * test-router-spam-breaker.c: the rspamd client's circuit breaker (router-spam-breaker.h)
 * under a clock the test moves by hand: closed until K consecutive failures, open (nothing
 * asked) for the cool-down, one probe after it, closed again by an answer, kept open by a
 * failed probe; a success resets the count; each opening and closing reported once.
 */
#include "pb-test.h"
#include "router-spam-breaker.h"

#include <string.h>

#define K 3
#define COOL 30000

static enum router_spam_breaker_change fail_at(struct router_spam_breaker *b, uint64_t now)
{
	return router_spam_breaker_result(b, false, now, K, COOL);
}

static void test_opens_after_k(void)
{
	struct router_spam_breaker b;
	memset(&b, 0, sizeof(b));

	for (int i = 1; i < K; i++) {
		CHECK(router_spam_breaker_allow(&b, 1000));
		CHECK_INT(fail_at(&b, 1000), ROUTER_SPAM_BREAKER_SAME);
	}
	CHECK(router_spam_breaker_allow(&b, 1000));
	CHECK_INT(fail_at(&b, 1000), ROUTER_SPAM_BREAKER_OPENED);
	CHECK(!router_spam_breaker_allow(&b, 1000));
	CHECK(!router_spam_breaker_allow(&b, 1000 + COOL - 1));
	CHECK(router_spam_breaker_allow(&b, 1000 + COOL)); /* half-open: the probe */
}

static void test_success_resets(void)
{
	struct router_spam_breaker b;
	memset(&b, 0, sizeof(b));

	for (int round = 0; round < 5; round++) {
		for (int i = 1; i < K; i++)
			CHECK_INT(fail_at(&b, 5), ROUTER_SPAM_BREAKER_SAME);
		CHECK_INT(router_spam_breaker_result(&b, true, 5, K, COOL),
			  ROUTER_SPAM_BREAKER_SAME);
		CHECK(router_spam_breaker_allow(&b, 5));
	}
}

static void test_probe_closes(void)
{
	struct router_spam_breaker b;
	memset(&b, 0, sizeof(b));

	for (int i = 0; i < K; i++)
		fail_at(&b, 0);
	CHECK(!router_spam_breaker_allow(&b, COOL - 1));
	CHECK(router_spam_breaker_allow(&b, COOL));
	CHECK_INT(router_spam_breaker_result(&b, true, COOL, K, COOL),
		  ROUTER_SPAM_BREAKER_CLOSED);
	CHECK(router_spam_breaker_allow(&b, COOL));
	/* closed again: it takes K new failures to open */
	for (int i = 1; i < K; i++)
		CHECK_INT(fail_at(&b, COOL + 1), ROUTER_SPAM_BREAKER_SAME);
	CHECK(router_spam_breaker_allow(&b, COOL + 1));
	CHECK_INT(fail_at(&b, COOL + 1), ROUTER_SPAM_BREAKER_OPENED);
}

static void test_probe_fails(void)
{
	struct router_spam_breaker b;
	memset(&b, 0, sizeof(b));

	for (int i = 0; i < K; i++)
		fail_at(&b, 0);
	CHECK(router_spam_breaker_allow(&b, COOL));
	/* the probe fails: open for another cool-down, from the probe's time, no new report */
	CHECK_INT(fail_at(&b, COOL + 500), ROUTER_SPAM_BREAKER_SAME);
	CHECK(!router_spam_breaker_allow(&b, COOL + 500));
	CHECK(!router_spam_breaker_allow(&b, 2 * COOL + 499));
	CHECK(router_spam_breaker_allow(&b, 2 * COOL + 500));
}

static void test_limit_zero_is_one(void)
{
	struct router_spam_breaker b;
	memset(&b, 0, sizeof(b));

	CHECK_INT(router_spam_breaker_result(&b, false, 0, 0, COOL), ROUTER_SPAM_BREAKER_OPENED);
	CHECK(!router_spam_breaker_allow(&b, 1));
}

static const struct pb_test_case cases[] = {
	{ "opens_after_k", test_opens_after_k },
	{ "success_resets", test_success_resets },
	{ "probe_closes", test_probe_closes },
	{ "probe_fails", test_probe_fails },
	{ "limit_zero_is_one", test_limit_zero_is_one },
};

PB_TEST_MAIN(cases)
