/*
 * test-web-events.c: the status stream (GET /api/status/events, web-events.c) through the fake
 * transport (test/net/gw-fake.h): no sockets, no actors, a fake clock. An administrator's
 * request registers with the status hub (STATUS_SESSION_REQ with the session's event address
 * and the topics activity, connection, queue); the hub's answer starts the stream (200,
 * text/event-stream, no Content-Length, the "ready" event); each STATUS_PUSH_EVT is written as
 * "event: NAME\ndata: JSON\n\n"; every web.events_ping_s a comment; a reader leaving more than
 * WEB_EVENTS_BUFFER_MAX unread is dropped (the connection closed, the hub told); a login that
 * ended ends the stream at the next ping; past WEB_EVENTS_MAX streams: 503.
 */
#include "gw-fake.h"
#include "pb-test.h"
#include "web-auth.h"
#include "web-session.h"

#include <stdio.h>
#include <string.h>

struct fixture {
	struct web_server srv;
	struct gw_fake f;
	char cookie[WEB_TOKEN_HEX + 16];
	const struct web_login *login;
};

static void fixture_init(struct fixture *x)
{
	memset(x, 0, sizeof(*x));
	x->srv.auth = web_auth_new();
	x->srv.limits = (struct http_limits){ .max_head = 16384, .max_body = 65536 };
	x->srv.request_timeout_ms = x->srv.keepalive_timeout_ms = 60000;
	x->srv.events_ping_ms = 15000;
	x->srv.login_idle_ms = 30 * 60000;
	x->srv.login_max_ms = 12 * 3600000;
	x->srv.allow_plaintext_auth = true;
	const struct web_auth_limits lim = { .per_account = 16, .idle_ms = x->srv.login_idle_ms,
					     .max_ms = x->srv.login_max_ms };
	const char *error = NULL;
	x->login = web_auth_add(x->srv.auth, "admin", 1, true, 1000000, &lim, &error);
	REQUIRE(x->login != NULL);
	snprintf(x->cookie, sizeof(x->cookie), "pb_session=%s", x->login->token);
}

static void fixture_deinit(struct fixture *x)
{
	web_auth_free(&x->srv.auth);
}

/* Opens a session and asks for the stream with the fixture's cookie. */
static void ask(struct fixture *x, struct gw_fake *f)
{
	char req[256];

	gw_fake_open(f, &web_proto, &x->srv);
	snprintf(req, sizeof(req), "GET /api/status/events HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n\r\n",
		 x->cookie);
	gw_fake_input(f, req);
}

/* Answers the registration the session sent (code) as the hub would. */
static void hub_answers(struct gw_fake *f, uint32_t code)
{
	struct pb_msg *q = gw_fake_sent(f, f->n_sent - 1), rep;

	REQUIRE(q != NULL && q->type == MSG_STATUS_SESSION_REQ);
	pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	rep.u.core_status_rep.code = code;
	rep.u.core_status_rep.error = xstrdup(code == PB_OK ? "" : "too many sessions");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
}

static void push(struct gw_fake *f, const char *json)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_STATUS_PUSH_EVT);
	m.u.status_push_evt.topic = xstrdup("activity");
	m.u.status_push_evt.json = xstrdup(json);
	web_proto.event(f->gs.session, &m);
	pb_msg_free(&m);
}

static void test_stream(void)
{
	struct fixture x;
	char *out;

	fixture_init(&x);
	ask(&x, &x.f);
	struct pb_msg *q = gw_fake_sent(&x.f, 0);
	REQUIRE(q != NULL && q->type == MSG_STATUS_SESSION_REQ);
	CHECK_STR(q->u.status_session_req.addr, "web#65543");
	CHECK_STR(q->u.status_session_req.user, "admin");
	CHECK_INT(q->u.status_session_req.topics.n, 3);
	CHECK_STR(q->u.status_session_req.topics.v[0], "activity");
	push(&x.f, "{\"event\":\"activity\",\"time\":1,\"text\":\"early\"}"); /* not registered yet */
	CHECK(gw_fake_expect(&x.f, ""));
	hub_answers(&x.f, PB_OK);
	out = gw_fake_output(&x.f);
	CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(out, "Content-Type: text/event-stream\r\n") != NULL);
	CHECK(strstr(out, "Content-Length") == NULL);
	CHECK(strstr(out, "Connection: close\r\n") != NULL);
	CHECK(strstr(out, "\r\n\r\nevent: ready\ndata: {\"topics\":[\"activity\",\"connection\",\"queue\"]}\n\n") != NULL);
	free(out);
	push(&x.f, "{\"event\":\"activity\",\"time\":2,\"text\":\"Delivered message 1 to bob\"}");
	CHECK(gw_fake_expect(&x.f, "event: activity\ndata: {\"event\":\"activity\",\"time\":2,"
				   "\"text\":\"Delivered message 1 to bob\"}\n\n"));
	push(&x.f, "{\"event\":\"bad\\nname\"}"); /* would break the framing: not sent */
	push(&x.f, "not json");
	CHECK(gw_fake_expect(&x.f, ""));
	gw_fake_input(&x.f, "GET / HTTP/1.1\r\n\r\n"); /* read and dropped */
	CHECK(gw_fake_expect(&x.f, ""));
	CHECK(!x.f.paused);
	gw_fake_advance(&x.f, x.srv.events_ping_ms);
	CHECK(gw_fake_expect(&x.f, ": ping\n\n"));
	CHECK(!x.f.closed);
	web_auth_end(x.srv.auth, x.login); /* logged out: the next check ends it */
	gw_fake_advance(&x.f, x.srv.events_ping_ms);
	CHECK(gw_fake_expect(&x.f, ""));
	CHECK(x.f.closed);
	CHECK_INT(x.srv.events_n, 1);
	gw_fake_free(&x.f);
	CHECK_INT(x.srv.events_n, 0);
	fixture_deinit(&x);
}

static void test_slow_reader_dropped(void)
{
	struct fixture x;

	fixture_init(&x);
	ask(&x, &x.f);
	hub_answers(&x.f, PB_OK);
	free(gw_fake_output(&x.f));
	x.f.backlog = WEB_EVENTS_BUFFER_MAX - 50; /* the event is longer than that */
	push(&x.f, "{\"event\":\"queue\",\"out_queue\":1,\"held\":0,\"sending\":0}");
	CHECK(gw_fake_expect(&x.f, ""));
	CHECK(x.f.closed);
	size_t before = x.f.n_sent;
	gw_fake_close_session(&x.f); /* the hub is told the session ended */
	CHECK_INT(x.f.n_sent, before + 1);
	CHECK_INT(x.f.sent[before].type, MSG_STATUS_SESSION_END_EVT);
	CHECK_STR(x.f.sent[before].u.status_session_end_evt.addr, "web#65543");
	CHECK_INT(x.srv.events_n, 0);
	gw_fake_free(&x.f);
	fixture_deinit(&x);
}

static void test_bounds_and_refusals(void)
{
	struct fixture x;
	static struct gw_fake many[WEB_EVENTS_MAX];

	fixture_init(&x);
	for (size_t i = 0; i < WEB_EVENTS_MAX; i++) {
		ask(&x, &many[i]);
		hub_answers(&many[i], PB_OK);
	}
	CHECK_INT(x.srv.events_n, WEB_EVENTS_MAX);
	ask(&x, &x.f);
	CHECK(gw_fake_expect(&x.f, "HTTP/1.1 503 "));
	CHECK_INT(x.f.n_sent, 0);
	gw_fake_free(&x.f);
	for (size_t i = 0; i < WEB_EVENTS_MAX; i++)
		gw_fake_free(&many[i]);
	CHECK_INT(x.srv.events_n, 0);
	ask(&x, &x.f); /* the hub refuses: 503, the place given back */
	hub_answers(&x.f, PB_ERR_REFUSED);
	CHECK(gw_fake_expect(&x.f, "HTTP/1.1 503 "));
	CHECK_INT(x.srv.events_n, 0);
	gw_fake_free(&x.f);
	fixture_deinit(&x);
}

static const struct pb_test_case cases[] = {
	{ "stream", test_stream },
	{ "slow_reader_dropped", test_slow_reader_dropped },
	{ "bounds_and_refusals", test_bounds_and_refusals },
};

PB_TEST_MAIN(cases)
