/*
 * pb-test-spool.h: a spool record for tests that store messages through the spool
 * (store-spool.h): sender a@b.c, one recipient u@local of user id 5, received at 1234 ms.
 * OWNS: nothing (the record is the caller's: pb_spool_rec_free). THREAD: the test's.
 */
#ifndef PB_TEST_SPOOL_H
#define PB_TEST_SPOOL_H

#include "pb-alloc.h"
#include "store-spool.h"

#include <string.h>

static inline struct pb_spool_rec store_test_spool_rec(void)
{
	struct pb_spool_rec r;

	memset(&r, 0, sizeof(r));
	r.sender = xstrdup("a@b.c");
	r.rcpts = xcalloc(1, sizeof(char *));
	r.rcpts[0] = xstrdup("u@local");
	r.rcpt_ids = xcalloc(1, sizeof(uint64_t));
	r.rcpt_ids[0] = 5;
	r.n_rcpts = 1;
	r.received_ms = 1234;
	return r;
}

#endif
