/*
 * test-statushub-log.c: the status hub's activity log — oldest first, the last 100 kept
 * (the 101st drops the first), texts cut at STATUSHUB_TEXT_MAX on a character boundary and
 * control characters made spaces.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "statushub-log.h"

#include <stdio.h>

static void test_order_and_wrap(void)
{
	struct statushub_log l;
	char text[32];

	statushub_log_init(&l);
	for (int i = 0; i < 250; i++) {
		snprintf(text, sizeof(text), "item %d", i);
		statushub_log_add(&l, 1000 + i, text);
		CHECK_INT(l.n, i + 1 < STATUSHUB_LOG_MAX ? i + 1 : STATUSHUB_LOG_MAX);
	}
	REQUIRE(l.n == STATUSHUB_LOG_MAX);
	CHECK_STR(statushub_log_at(&l, 0)->text, "item 150");
	CHECK_INT(statushub_log_at(&l, 0)->time_ms, 1150);
	CHECK_STR(statushub_log_at(&l, 99)->text, "item 249");
	for (size_t i = 1; i < l.n; i++)
		CHECK(statushub_log_at(&l, i)->time_ms == statushub_log_at(&l, i - 1)->time_ms + 1);
	statushub_log_deinit(&l);
}

static void test_text_cleaned(void)
{
	struct statushub_log l;
	char big[STATUSHUB_TEXT_MAX + 10];

	statushub_log_init(&l);
	CHECK_STR(statushub_log_add(&l, 1, "a\r\nb\tc\x1b")->text, "a  b c ");
	CHECK_STR(statushub_log_add(&l, 2, NULL)->text, "");
	/* "é" (2 octets) across the limit is not cut in half */
	memset(big, 'x', sizeof(big));
	big[STATUSHUB_TEXT_MAX - 1] = (char)0xc3;
	big[STATUSHUB_TEXT_MAX] = (char)0xa9;
	big[sizeof(big) - 1] = '\0';
	const char *kept = statushub_log_add(&l, 3, big)->text;
	CHECK_INT(strlen(kept), STATUSHUB_TEXT_MAX - 1);
	CHECK_INT(l.n, 3);
	statushub_log_deinit(&l);
}

static const struct pb_test_case cases[] = {
	{ "order_and_wrap", test_order_and_wrap },
	{ "text_cleaned", test_text_cleaned },
};

int main(void)
{
	return pb_test_run(cases, PB_N_ELEMENTS(cases));
}
