/*
 * pb-test-port.h: an asynchronous request port for tests of the typed client stubs' *_send and
 * *_reply: a struct pb_sender whose replies land in an inbox the test thread reads, as a
 * gateway's do. Header-only (static functions) so a test links nothing more.
 * THREAD: the test thread.
 */
#ifndef PB_TEST_PORT_H
#define PB_TEST_PORT_H

#include "pb-runtime.h"
#include "pb-test.h"

#include <stdio.h>

struct test_port {
	struct pb_runtime *rt;
	struct pb_inbox *in;
	char name[64];
	uint64_t last_corr; /* the corr of the last request sent */
};

static int test_port_send(void *ctx, const char *to, struct pb_msg *req, const char **error_r)
{
	struct test_port *p = ctx;

	req->corr = ++p->last_corr;
	pb_str_set(&req->reply_to, p->name);
	return pb_send(p->rt, to, req, error_r);
}

static inline void test_port_open(struct test_port *p, struct pb_runtime *rt, const char *name)
{
	const char *error;

	p->rt = rt;
	p->last_corr = 1000;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (pb_inbox_open(rt, name, 64, &p->in, &error) < 0)
		PANIC("cannot open the test port: %s", error);
}

static inline struct pb_sender test_port_sender(struct test_port *p)
{
	return (struct pb_sender){ test_port_send, p };
}

/* Waits up to PB_TEST_WAIT_MS for the next reply; 1 got one (caller frees), 0 none. */
static inline int test_port_recv(struct test_port *p, struct pb_msg *rep_r)
{
	return pb_inbox_recv(p->in, rep_r, PB_TEST_WAIT_MS) == 1;
}

static inline void test_port_close(struct test_port *p)
{
	pb_inbox_close(&p->in);
}

#endif
