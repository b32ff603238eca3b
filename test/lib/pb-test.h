/*
 * pb-test.h: the tiny unit-test harness every C test executable uses.
 * A test file defines its cases as functions, lists them in a table at the end and
 * calls PB_TEST_MAIN(table). Checks record a failure and go on; the process exits 1 if
 * any case failed, and prints "N passed, N failed" as its last line.
 * THREAD: checks may be called from any thread (the counter is atomic).
 */
#ifndef PB_TEST_H
#define PB_TEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pb_test_case {
	const char *name;
	void (*fn)(void);
};

static atomic_int pb_test_failures;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			atomic_fetch_add(&pb_test_failures, 1);                        \
		}                                                                      \
	} while (0)

#define CHECK_INT(a, b)                                                                \
	do {                                                                           \
		long long pb_a_ = (long long)(a), pb_b_ = (long long)(b);              \
		if (pb_a_ != pb_b_) {                                                  \
			fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n",     \
				__FILE__, __LINE__, #a, #b, pb_a_, pb_b_);              \
			atomic_fetch_add(&pb_test_failures, 1);                        \
		}                                                                      \
	} while (0)

#define CHECK_STR(a, b)                                                                \
	do {                                                                           \
		const char *pb_a_ = (a), *pb_b_ = (b);                                 \
		if (pb_a_ == NULL || pb_b_ == NULL || strcmp(pb_a_, pb_b_) != 0) {     \
			fprintf(stderr, "  FAIL %s:%d: %s == %s (\"%s\" != \"%s\")\n", \
				__FILE__, __LINE__, #a, #b, pb_a_ ? pb_a_ : "(null)",  \
				pb_b_ ? pb_b_ : "(null)");                               \
			atomic_fetch_add(&pb_test_failures, 1);                        \
		}                                                                      \
	} while (0)

/* Stop the current case: a check whose failure makes the rest meaningless. */
#define REQUIRE(cond)                                                                  \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "  FAIL %s:%d: %s (required)\n", __FILE__,     \
				__LINE__, #cond);                                       \
			atomic_fetch_add(&pb_test_failures, 1);                        \
			return;                                                        \
		}                                                                      \
	} while (0)

/* The deadline for a condition a test waits for: generous, so a loaded machine running the
 * sanitizer build (load 17 on 2 cores has been seen) is slow, not failing; a broken condition
 * still fails, a minute later. */
#define PB_TEST_WAIT_MS 60000

static inline uint64_t pb_test_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits until cond(ctx) holds, checking every millisecond for up to timeout_ms (measured on the
 * monotonic clock, so a slow check does not stretch the deadline). Returns whether it held. */
static inline bool pb_test_wait(bool (*cond)(void *ctx), void *ctx, uint32_t timeout_ms)
{
	uint64_t deadline = pb_test_now_ms() + timeout_ms;

	for (;;) {
		if (cond(ctx))
			return true;
		if (pb_test_now_ms() >= deadline)
			return false;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
}

static inline int pb_test_run(const struct pb_test_case *cases, size_t n)
{
	int passed = 0, failed = 0;
	const char *only = getenv("PB_TEST_ONLY");

	for (size_t i = 0; i < n; i++) {
		if (only != NULL && strcmp(only, cases[i].name) != 0)
			continue;
		int before = atomic_load(&pb_test_failures);
		cases[i].fn();
		if (atomic_load(&pb_test_failures) == before) {
			printf("ok   %s\n", cases[i].name);
			passed++;
		} else {
			printf("FAIL %s\n", cases[i].name);
			failed++;
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}

#define PB_TEST_MAIN(table)                                                            \
	int main(void)                                                                 \
	{                                                                              \
		return pb_test_run(table, sizeof(table) / sizeof((table)[0]));          \
	}

#endif
