/*
 * test-mq.c: the in-process message queue (runtime/pb-mq.h) — order, the capacity bound and its
 * count, timeouts, a blocking push that waits for room, closing that wakes a waiting receiver,
 * and the eventfd that is readable exactly while a message is queued.
 */
#include "pb-mq.h"
#include "pb-test.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

static int pop_text(struct pb_mq *q, int timeout_ms, char *out, size_t size)
{
	void *data;
	size_t len;
	int rc = pb_mq_pop(q, timeout_ms, &data, &len);
	if (rc == 1) {
		snprintf(out, size, "%.*s", (int)len, (const char *)data);
		free(data);
	}
	return rc;
}

static void test_order_and_bound(void)
{
	struct pb_mq *q = pb_mq_create(3, false);
	char text[16];

	CHECK_INT(pb_mq_fd(q), -1);
	CHECK_INT(pb_mq_push(q, "a", 1, true), PB_MQ_OK);
	CHECK_INT(pb_mq_push(q, "bb", 2, true), PB_MQ_OK);
	CHECK_INT(pb_mq_push(q, "", 0, true), PB_MQ_OK);
	CHECK_INT(pb_mq_push(q, "d", 1, true), PB_MQ_FULL);
	CHECK_INT(pb_mq_push(q, "e", 1, true), PB_MQ_FULL);
	CHECK(pb_mq_full_count(q) == 2);
	CHECK_INT(pb_mq_depth(q), 3);
	CHECK_INT(pop_text(q, 0, text, sizeof(text)), 1);
	CHECK_STR(text, "a");
	CHECK_INT(pb_mq_push(q, "f", 1, true), PB_MQ_OK); /* wraps around the ring */
	CHECK_INT(pop_text(q, 0, text, sizeof(text)), 1);
	CHECK_STR(text, "bb");
	CHECK_INT(pop_text(q, 0, text, sizeof(text)), 1);
	CHECK_STR(text, "");
	CHECK_INT(pop_text(q, 0, text, sizeof(text)), 1);
	CHECK_STR(text, "f");
	CHECK_INT(pop_text(q, 0, text, sizeof(text)), 0);
	pb_mq_push(q, "left", 4, true); /* freed with the queue */
	pb_mq_unref(q);
}

static void test_timeout(void)
{
	struct pb_mq *q = pb_mq_create(1, false);
	struct timespec a, b;
	char text[4];

	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(pop_text(q, 50, text, sizeof(text)), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 49 && ms < 5000);
	pb_mq_unref(q);
}

struct pusher {
	struct pb_mq *q;
	int rc;
};

static void *push_blocking(void *arg)
{
	struct pusher *p = arg;
	p->rc = pb_mq_push(p->q, "late", 4, false);
	return NULL;
}

static void *pop_forever(void *arg)
{
	struct pusher *p = arg;
	char text[8];
	p->rc = pop_text(p->q, -1, text, sizeof(text));
	return NULL;
}

/* A blocking push into a full queue waits until a pop makes room. */
static void test_blocking_push(void)
{
	struct pb_mq *q = pb_mq_create(1, false);
	struct pusher p = { q, 99 };
	pthread_t t;
	char text[8];

	CHECK_INT(pb_mq_push(q, "one", 3, true), PB_MQ_OK);
	REQUIRE(pthread_create(&t, NULL, push_blocking, &p) == 0);
	CHECK_INT(pop_text(q, 0, text, sizeof(text)), 1);
	CHECK_STR(text, "one");
	CHECK_INT(pop_text(q, 10000, text, sizeof(text)), 1);
	CHECK_STR(text, "late");
	pthread_join(t, NULL);
	CHECK_INT(p.rc, PB_MQ_OK);
	pb_mq_unref(q);
}

/* Closing wakes a receiver waiting forever and a pusher waiting for room; both fail after. */
static void test_close(void)
{
	struct pb_mq *q = pb_mq_create(1, false), *full = pb_mq_create(1, false);
	struct pusher r = { q, 99 }, p = { full, 99 };
	pthread_t rt, pt;

	REQUIRE(pb_mq_push(full, "x", 1, true) == PB_MQ_OK);
	REQUIRE(pthread_create(&rt, NULL, pop_forever, &r) == 0);
	REQUIRE(pthread_create(&pt, NULL, push_blocking, &p) == 0);
	pb_mq_close(q);
	pb_mq_close(full);
	pthread_join(rt, NULL);
	pthread_join(pt, NULL);
	CHECK_INT(r.rc, -1);
	CHECK_INT(p.rc, PB_MQ_CLOSED);
	CHECK_INT(pb_mq_push(q, "y", 1, true), PB_MQ_CLOSED);
	pb_mq_unref(q);
	pb_mq_unref(full);
}

/* The eventfd is readable while, and only while, the queue holds a message. */
static void test_pollable(void)
{
	struct pb_mq *q = pb_mq_create(4, true);
	char text[4];

	REQUIRE(pb_mq_fd(q) >= 0);
	CHECK(!fd_readable(pb_mq_fd(q)));
	pb_mq_push(q, "1", 1, true);
	pb_mq_push(q, "2", 1, true);
	CHECK(fd_readable(pb_mq_fd(q)));
	CHECK_INT(pop_text(q, 0, text, sizeof(text)), 1);
	CHECK(fd_readable(pb_mq_fd(q)));
	CHECK_INT(pop_text(q, 0, text, sizeof(text)), 1);
	CHECK(!fd_readable(pb_mq_fd(q)));
	pb_mq_push(q, "3", 1, true);
	CHECK(fd_readable(pb_mq_fd(q)));
	pb_mq_unref(q);
}

static const struct pb_test_case cases[] = {
	{ "order_and_bound", test_order_and_bound },
	{ "timeout", test_timeout },
	{ "blocking_push", test_blocking_push },
	{ "close", test_close },
	{ "pollable", test_pollable },
};

PB_TEST_MAIN(cases)
