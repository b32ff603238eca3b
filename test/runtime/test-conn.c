/*
 * test-conn.c: pb_conn against a loopback listener of the test: lines, then a literal read by
 * byte count that never takes the line after it (pb_conn_read), and pb_conn_poll — 0 while
 * nothing comes (the connection still usable), 1 once something is there or buffered.
 * OWNS: its sockets. THREAD: main only.
 */
#include "pb-conn.h"
#include "pb-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A listener on 127.0.0.1 (any port): its fd and port. */
static int listener(uint16_t *port_r)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(listen(fd, 1), 0);
	CHECK_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port_r = ntohs(a.sin_port);
	return fd;
}

static void say(int fd, const char *s)
{
	CHECK((size_t)write(fd, s, strlen(s)) == strlen(s));
}

static void test_literal_and_poll(void)
{
	struct pb_conn *c = NULL;
	const char *error;
	char line[64], lit[32];
	uint16_t port;
	size_t n, got = 0;

	int l = listener(&port);
	CHECK_INT(pb_conn_open("127.0.0.1", port, 5000, &c, &error), 0);
	int peer = accept(l, NULL, NULL);
	CHECK_INT(pb_conn_poll(c, 50, &error), 0); /* nothing yet */
	say(peer, "* 1 FETCH (BODY[] {12}\r\nLITERAL\r\n345)\r\n");
	CHECK_INT(pb_conn_poll(c, 5000, &error), 1);
	CHECK_INT(pb_conn_read_line(c, line, sizeof(line), 5000, &error), 0);
	CHECK_STR(line, "* 1 FETCH (BODY[] {12}");
	while (got < 12) {
		CHECK_INT(pb_conn_read(c, lit + got, 12 - got, 5000, &n, &error), 0);
		CHECK(n > 0 && n <= 12 - got);
		got += n;
	}
	CHECK(memcmp(lit, "LITERAL\r\n345", 12) == 0);
	CHECK_INT(pb_conn_poll(c, 0, &error), 1); /* ")" still buffered */
	CHECK_INT(pb_conn_read_line(c, line, sizeof(line), 5000, &error), 0);
	CHECK_STR(line, ")");
	CHECK_INT(pb_conn_poll(c, 30, &error), 0);
	close(peer);
	CHECK_INT(pb_conn_read(c, lit, sizeof(lit), 5000, &n, &error), -1); /* closed */
	pb_conn_close(&c);
	close(l);
}

static const struct pb_test_case cases[] = {
	{ "literal_and_poll", test_literal_and_poll },
};

PB_TEST_MAIN(cases)
