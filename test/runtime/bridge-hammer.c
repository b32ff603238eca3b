/*
 * bridge-hammer.c: a CLI hammering a daemon's bridge, for test-bridge's stop_under_calls — a
 * separate process, as the pillarbox CLI is. It calls TEST_PING_REQ on the url given, one
 * pb_remote_call after another (each its own req0 socket, as the CLI makes one per command),
 * until its standard input reaches end of file (the test closes the pipe), then exits 0.
 * OWNS: nothing beyond each call's socket. THREAD: main only.
 *
 * Why a process and not a thread of the test: with both ends of the IPC connections in one
 * process, nng 1.5's single reaper tears down the CLI's pipes and the bridge's together, and
 * nng_close of the bridge's socket could wait forever on it (it hung under load). The daemon
 * never shares a process with its CLI, so that hang was the test's, not the bridge's.
 */
#include "pb-runtime.h"

#include <poll.h>
#include <stdio.h>
#include <unistd.h>

/* Whether the test closed our standard input (or it was never a pipe). */
static bool told_to_stop(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return false;
	return read(0, &c, 1) <= 0;
}

int main(int argc, char **argv)
{
	const char *error;
	struct pb_msg req, rep;

	if (argc != 2) {
		fprintf(stderr, "usage: bridge-hammer URL\n");
		return 2;
	}
	for (uint64_t seq = 1; !told_to_stop(); seq++) {
		pb_msg_init(&req, MSG_TEST_PING_REQ);
		req.u.test_ping_req.seq = seq;
		if (pb_remote_call(argv[1], &req, &rep, 1000, &error) == 0)
			pb_msg_free(&rep);
		pb_msg_free(&req);
	}
	return 0;
}
