/*
 * test-gw-hub.c: the real hub over loopback sockets and a real runtime — a session's call
 * reaches an actor and its reply runs the continuation; an event sent to "<hub>#<session>"
 * reaches that session only; a reply that matches no pending call is dropped and counted.
 */
#include "gw-hub.h"
#include "pb-settings-snapshot.h"
#include "pb-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

/* ---- an actor that answers TEST_PING_REQ with its text ---- */
static int t_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	*state_r = NULL;
	return 0;
}

static int t_ping(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_TEST_PING_REP);
	rep.u.test_ping_rep.text = xstrdup(m->u.test_ping_req.text);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* TEST_TICK_EVT: counted; the first one waits until the test opens the gate, so the small
 * inbox fills up behind it. */
static atomic_int ticks;
static sem_t gate;

static int t_tick(struct pb_actor *a, void *state, struct pb_msg *m)
{
	if (atomic_fetch_add(&ticks, 1) == 0)
		sem_wait(&gate);
	return 0;
}

static const struct pb_handler t_handlers[] = { { MSG_TEST_PING_REQ, t_ping },
						{ MSG_TEST_TICK_EVT, t_tick } };
static const struct pb_actor_def t_def = {
	.name = "test", .init = t_init, .handlers = t_handlers, .n_handlers = 2, .inbox_size = 2,
};

/* ---- a tiny line protocol: "call" pings the actor; events are written out ---- */
static void t_cont(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct gw_session *gs = session;
	gw_write_str(gs, rep != NULL && rep->type == MSG_TEST_PING_REP ? "reply " : "timeout ");
	gw_write_str(gs, rep != NULL ? rep->u.test_ping_rep.text : "-");
	gw_write_str(gs, "\r\n");
}

static void *p_open(struct gw_session *gs, void *server)
{
	char addr[64], line[96];
	gw_event_address(gs, addr, sizeof(addr));
	snprintf(line, sizeof(line), "addr %s\r\n", addr);
	gw_write_str(gs, line);
	return gs;
}

static void p_input(void *session, struct pb_buf *in)
{
	struct gw_session *gs = session;
	struct pb_msg m;
	const char *error;

	if (memmem(in->data, in->len, "cast", 4) != NULL) {
		for (int i = 0; i < 50; i++) {
			pb_msg_init(&m, MSG_TEST_TICK_EVT);
			m.u.test_tick_evt.seq = (uint64_t)i;
			if (gw_cast(gs, NULL, &m, &error) < 0)
				gw_write_str(gs, "lost\r\n");
			pb_msg_free(&m);
		}
		gw_write_str(gs, "cast\r\n");
	}
	if (memmem(in->data, in->len, "call", 4) != NULL) {
		pb_msg_init(&m, MSG_TEST_PING_REQ);
		m.u.test_ping_req.text = xstrdup("pong");
		if (gw_call(gs, NULL, &m, t_cont, 0, 5000, &error) < 0)
			gw_write_str(gs, "refused\r\n");
		pb_msg_free(&m);
	}
	pb_buf_reset(in);
}

static void p_event(void *session, struct pb_msg *m)
{
	char line[96];
	snprintf(line, sizeof(line), "event uid=%u\r\n", m->u.mbox_changed_evt.uid);
	gw_write_str(session, line);
}

static void p_timeout(void *session)
{
}

static void p_noop(void *session)
{
}

static uint32_t p_max(const struct pb_settings *s)
{
	return s->limits.pop3_max_connections;
}

static const struct gw_proto t_proto = {
	.name = "thub", .busy = "busy try later\r\n", .max_connections = p_max, .open = p_open, .input = p_input, .timeout = p_timeout,
	.event = p_event, .shutdown = p_noop, .close = p_noop,
};

static uint16_t free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	ASSERT(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ASSERT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

/* Reads one CRLF line (up to 5 s). */
static void read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	while (n + 1 < size && recv(fd, buf + n, 1, 0) == 1 && buf[n] != '\n')
		n++;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[n - 1] = '\0';
}

static void test_calls_events_strays(void)
{
	struct pb_runtime *rt = pb_runtime_create("test", NULL);
	struct pb_binding b = { "127.0.0.1", free_port() };
	struct gw_listen ls = { &b, 1, NULL, "thub", NULL, false, false };
	struct gw_hub *hub;
	char *error = NULL, line[128], addr_a[64], addr_b[64];
	const char *err;
	struct pb_msg m;

	REQUIRE(pb_runtime_start(rt, &t_def, NULL, &err) == 0);
	REQUIRE(gw_hub_start(rt, &t_proto, &ls, 1, NULL, &hub, &error) == 0);
	int a = connect_to(b.port), c = connect_to(b.port);
	read_line(a, line, sizeof(line));
	REQUIRE(sscanf(line, "addr %63s", addr_a) == 1);
	read_line(c, line, sizeof(line));
	REQUIRE(sscanf(line, "addr %63s", addr_b) == 1);
	CHECK(strcmp(addr_a, addr_b) != 0);
	CHECK(strncmp(addr_a, "test/thub#", 10) == 0); /* qualified by the node */

	/* a call and its reply */
	CHECK(send(a, "call\r\n", 6, 0) == 6);
	read_line(a, line, sizeof(line));
	CHECK_STR(line, "reply pong");

	/* an event for b reaches b, not a */
	pb_msg_init(&m, MSG_MBOX_CHANGED_EVT);
	m.u.mbox_changed_evt.uid = 42;
	CHECK_INT(pb_cast(rt, addr_b, &m, &err), 0);
	pb_msg_free(&m);
	read_line(c, line, sizeof(line));
	CHECK_STR(line, "event uid=42");

	/* a reply nobody asked for is dropped and counted */
	pb_msg_init(&m, MSG_TEST_PING_REP);
	m.corr = 987654321;
	CHECK_INT(pb_send(rt, "thub", &m, &err), 0);
	pb_msg_free(&m);
	/* an event for a session id that does not exist is dropped too */
	pb_msg_init(&m, MSG_MBOX_CHANGED_EVT);
	CHECK_INT(pb_cast(rt, "thub#70000", &m, &err), 0);
	pb_msg_free(&m);
	for (int i = 0; i < 500 && gw_hub_strays(hub) < 2; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	CHECK_INT(gw_hub_strays(hub), 2);

	/* a still answers calls; it got no event */
	CHECK(send(a, "call\r\n", 6, 0) == 6);
	read_line(a, line, sizeof(line));
	CHECK_STR(line, "reply pong");
	close(a);
	close(c);
	gw_hub_stop(&hub);
	pb_runtime_destroy(&rt);
}

/* The service's cap: the connection past it hears the busy line; a place frees, one comes in. */
static void test_service_cap(void)
{
	struct pb_runtime *rt = pb_runtime_create("test", NULL);
	struct pb_binding b = { "127.0.0.1", free_port() };
	struct gw_listen ls = { &b, 1, NULL, "thub", NULL, false, false };
	struct pb_settings s;
	struct gw_hub *hub;
	char *error = NULL, line[128];
	int fds[3];

	pb_settings_defaults(&s);
	s.limits.pop3_max_connections = 2;
	pb_settings_publish(rt, &s);
	REQUIRE(gw_hub_start(rt, &t_proto, &ls, 1, NULL, &hub, &error) == 0);
	for (int i = 0; i < 3; i++) {
		fds[i] = connect_to(b.port);
		read_line(fds[i], line, sizeof(line));
		CHECK(strncmp(line, i < 2 ? "addr " : "busy ", 5) == 0);
	}
	close(fds[2]);
	close(fds[0]);
	/* the hub sees the close, then takes a new one */
	bool served = false;
	for (int i = 0; i < 100 && !served; i++) {
		fds[0] = connect_to(b.port);
		read_line(fds[0], line, sizeof(line));
		served = strncmp(line, "addr ", 5) == 0;
		close(fds[0]);
		if (!served)
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	CHECK(served);
	close(fds[1]);
	gw_hub_stop(&hub);
	pb_runtime_destroy(&rt);
}

/* The process's cap (gw_hub_set_fd_cap) holds for all hubs together, and any one hub may take
 * it all: three connections to one hub leave none to the other until one closes. */
static void test_process_cap(void)
{
	struct pb_runtime *rt = pb_runtime_create("test", NULL);
	struct pb_binding b1 = { "127.0.0.1", free_port() }, b2 = { "127.0.0.1", free_port() };
	struct gw_listen ls1 = { &b1, 1, NULL, "thub", NULL, false, false };
	struct gw_listen ls2 = { &b2, 1, NULL, "thub2", NULL, false, false };
	struct gw_proto p2 = t_proto;
	struct pb_settings s;
	struct gw_hub *h1, *h2;
	char *error = NULL, line[128];
	int fds[3], fd;

	p2.name = "thub2";
	pb_settings_defaults(&s);
	s.limits.pop3_max_connections = 100;
	pb_settings_publish(rt, &s);
	gw_hub_set_fd_cap(3);
	REQUIRE(gw_hub_start(rt, &t_proto, &ls1, 1, NULL, &h1, &error) == 0);
	REQUIRE(gw_hub_start(rt, &p2, &ls2, 1, NULL, &h2, &error) == 0);
	for (int i = 0; i < 3; i++) {
		fds[i] = connect_to(b1.port);
		read_line(fds[i], line, sizeof(line));
		CHECK(strncmp(line, "addr ", 5) == 0);
	}
	fd = connect_to(b2.port);
	read_line(fd, line, sizeof(line));
	CHECK_STR(line, "busy try later");
	close(fd);
	close(fds[0]);
	bool served = false; /* once h1 saw the close, h2 takes one */
	for (int i = 0; i < 100 && !served; i++) {
		fd = connect_to(b2.port);
		read_line(fd, line, sizeof(line));
		served = strncmp(line, "addr ", 5) == 0;
		close(fd);
		if (!served)
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	CHECK(served);
	close(fds[1]);
	close(fds[2]);
	gw_hub_stop(&h2);
	gw_hub_stop(&h1);
	gw_hub_set_fd_cap(UINT32_MAX);
	pb_runtime_destroy(&rt);
}

/* Connects n times and returns how many were served (the others heard the busy line). */
static int served_of(uint16_t port, int n, int *fds)
{
	char line[128];
	int served = 0;

	for (int i = 0; i < n; i++) {
		fds[i] = connect_to(port);
		read_line(fds[i], line, sizeof(line));
		if (strncmp(line, "addr ", 5) == 0)
			served++;
		else
			CHECK_STR(line, "busy try later");
	}
	return served;
}

/* Per-IP limits: concurrent and per minute, unless the address is trusted. */
static void test_ip_limits_and_trusted(void)
{
	struct pb_runtime *rt = pb_runtime_create("test", NULL);
	struct pb_binding b = { "127.0.0.1", free_port() };
	struct gw_listen ls = { &b, 1, NULL, "thub", NULL, false, false };
	struct pb_settings s;
	struct gw_hub *hub;
	char *error = NULL;
	int fds[8];

	pb_settings_defaults(&s);
	s.limits.trusted_networks.text[0] = '\0'; /* nobody is trusted */
	s.limits.ip_max_connections = 2;
	s.limits.ip_connections_per_minute = 3;
	pb_settings_publish(rt, &s);
	REQUIRE(gw_hub_start(rt, &t_proto, &ls, 1, NULL, &hub, &error) == 0);
	CHECK_INT(served_of(b.port, 3, fds), 2); /* two at once */
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	/* the third of the minute may come once the others closed; the fourth may not */
	int served = 0;
	for (int i = 0; i < 100 && served == 0; i++) {
		served = served_of(b.port, 1, fds);
		close(fds[0]);
		if (served == 0)
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	CHECK_INT(served, 1);
	CHECK_INT(served_of(b.port, 1, fds), 0);
	close(fds[0]);
	gw_hub_stop(&hub);

	/* the same with loopback trusted: no limit applies */
	snprintf(s.limits.trusted_networks.text, sizeof(s.limits.trusted_networks.text), "127.0.0.0/8");
	pb_settings_publish(rt, &s);
	b.port = free_port();
	REQUIRE(gw_hub_start(rt, &t_proto, &ls, 1, NULL, &hub, &error) == 0);
	CHECK_INT(served_of(b.port, 6, fds), 6);
	for (int i = 0; i < 6; i++)
		close(fds[i]);
	gw_hub_stop(&hub);
	pb_runtime_destroy(&rt);
}

/* One-way messages to a full inbox are not lost: the hub sends them again on its ticks. */
static void test_casts_survive_a_full_inbox(void)
{
	struct pb_runtime *rt = pb_runtime_create("test", NULL);
	struct pb_binding b = { "127.0.0.1", free_port() };
	struct gw_listen ls = { &b, 1, NULL, "thub", NULL, false, false };
	struct gw_hub *hub;
	char *error = NULL, line[128];
	const char *err;

	atomic_store(&ticks, 0);
	sem_init(&gate, 0, 0);
	REQUIRE(pb_runtime_start(rt, &t_def, NULL, &err) == 0);
	REQUIRE(gw_hub_start(rt, &t_proto, &ls, 1, NULL, &hub, &error) == 0);
	int fd = connect_to(b.port);
	read_line(fd, line, sizeof(line));
	CHECK(send(fd, "cast\r\n", 6, 0) == 6);
	read_line(fd, line, sizeof(line));
	CHECK_STR(line, "cast"); /* none reported lost */
	sem_post(&gate);
	for (int i = 0; i < 500 && atomic_load(&ticks) < 50; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	CHECK_INT(atomic_load(&ticks), 50);
	close(fd);
	gw_hub_stop(&hub);
	pb_runtime_destroy(&rt);
	sem_destroy(&gate);
}

static const struct pb_test_case cases[] = {
	{ "casts_survive_a_full_inbox", test_casts_survive_a_full_inbox },
	{ "ip_limits_and_trusted", test_ip_limits_and_trusted },
	{ "service_cap", test_service_cap },
	{ "process_cap", test_process_cap },
	{ "calls_events_strays", test_calls_events_strays },
};
PB_TEST_MAIN(cases)
