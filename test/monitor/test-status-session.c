/*
 * test-status-session.c: a status session (monitor/status-session.c, status-login.c) through
 * the fake transport: its registration with the status hub is ended at the close whenever it
 * was sent — also when the client left before the hub's answer, or the answer came too late
 * (the hub's entry stayed behind for good then: enough of them fill its registry and every
 * later login hears "ERR Server busy") — and never for a session that did not log in; and
 * every line is UTF-8 (RFC 8259 8.1): a request that is not is refused, never echoed, and text
 * the server quotes that is not (an event's) goes with U+FFFD in place of the bad octets.
 */
#include "gw-fake.h"
#include "mime-charset.h"
#include "pb-test.h"
#include "status-session.h"

#include <string.h>

static struct pb_msg *last_of(struct gw_fake *f, enum pb_msg_type type)
{
	for (size_t i = f->n_sent; i > 0; i--) {
		if (f->sent[i - 1].type == type)
			return &f->sent[i - 1];
	}
	return NULL;
}

static void open_status(struct gw_fake *f, struct status_server *srv)
{
	*srv = (struct status_server){ .login_timeout_ms = 60000, .idle_timeout_ms = 1800000,
				       .output_budget = 256 * 1024, .allow_plaintext_auth = true };
	gw_fake_open(f, &status_proto, srv);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	CHECK(gw_fake_expect(f, "{\"event\":\"hello\""));
}

/* Logs in with an API key up to the hub's registration: sent, not answered. */
static void key_login_to_register(struct gw_fake *f)
{
	struct pb_msg rep;

	gw_fake_input(f, "{\"id\":1,\"op\":\"login\",\"api_key\":\"k\"}\n");
	struct pb_msg *q = last_of(f, MSG_STATUS_APIKEY_CHECK_REQ);
	CHECK(q != NULL);
	pb_msg_init(&rep, MSG_STATUS_APIKEY_CHECK_REP);
	rep.u.status_apikey_check_rep.error = xstrdup("");
	rep.u.status_apikey_check_rep.label = xstrdup("ops");
	rep.u.status_apikey_check_rep.permissions = xstrdup("all");
	CHECK_INT(gw_fake_reply(f, q->corr, &rep), 0);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_LOGIN_REQ, false, false), 0);
	CHECK(last_of(f, MSG_STATUS_SESSION_REQ) != NULL);
}

/* The session's close told the hub to forget the address it registered. */
static void check_ended(struct gw_fake *f)
{
	const struct pb_msg *reg = last_of(f, MSG_STATUS_SESSION_REQ);
	const struct pb_msg *end = last_of(f, MSG_STATUS_SESSION_END_EVT);

	CHECK(reg != NULL && end != NULL);
	if (reg != NULL && end != NULL)
		CHECK_STR(end->u.status_session_end_evt.addr, reg->u.status_session_req.addr);
}

static void test_registered_then_closed(void)
{
	struct status_server srv;
	struct gw_fake f;
	struct pb_msg rep;

	open_status(&f, &srv);
	key_login_to_register(&f);
	pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	rep.u.core_status_rep.error = xstrdup("");
	CHECK_INT(gw_fake_reply(&f, last_of(&f, MSG_STATUS_SESSION_REQ)->corr, &rep), 0);
	CHECK(gw_fake_expect(&f, "{\"id\":1,\"ok\":true,\"user\":\"apikey:ops\""));
	gw_fake_close_session(&f);
	check_ended(&f);
	gw_fake_free(&f);
}

static void test_gone_before_registered(void)
{
	struct status_server srv;
	struct gw_fake f;

	open_status(&f, &srv);
	key_login_to_register(&f);
	gw_fake_close_session(&f); /* the client left; the hub's answer is still on its way */
	check_ended(&f);
	gw_fake_free(&f);
}

static void test_registration_timed_out(void)
{
	struct status_server srv;
	struct gw_fake f;

	open_status(&f, &srv);
	key_login_to_register(&f);
	gw_fake_advance(&f, STATUS_CALL_TIMEOUT_MS + 1); /* the hub may still take it later */
	CHECK(gw_fake_expect(&f, "{\"id\":1,\"ok\":false,\"error\":\"ERR Server busy"));
	gw_fake_close_session(&f);
	check_ended(&f);
	gw_fake_free(&f);
}

static void test_not_logged_in(void)
{
	struct status_server srv;
	struct gw_fake f;

	open_status(&f, &srv);
	CHECK(gw_fake_say(&f, "{\"id\":1,\"op\":\"ping\"}\n", "{\"id\":1,\"ok\":true}"));
	gw_fake_close_session(&f);
	CHECK(last_of(&f, MSG_STATUS_SESSION_END_EVT) == NULL);
	gw_fake_free(&f);
}

/* Logs in with an API key and lets the hub answer the registration. */
static void key_login(struct gw_fake *f)
{
	struct pb_msg rep;

	key_login_to_register(f);
	pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	rep.u.core_status_rep.error = xstrdup("");
	CHECK_INT(gw_fake_reply(f, last_of(f, MSG_STATUS_SESSION_REQ)->corr, &rep), 0);
	CHECK(gw_fake_expect(f, "{\"id\":1,\"ok\":true,\"user\":\"apikey:ops\""));
}

static void test_utf8_only(void)
{
	struct status_server srv;
	struct gw_fake f;
	struct pb_msg ev;

	open_status(&f, &srv);
	CHECK(gw_fake_say(&f, "{\"id\":\"\xff\xfe\",\"op\":\"ping\"}\n",
			  "{\"id\":null,\"ok\":false,\"error\":\"a request is UTF-8 text\"}\n"));
	CHECK(gw_fake_say(&f, "{\"id\":\"caf\xc3\xa9\",\"op\":\"ping\"}\n",
			  "{\"id\":\"caf\xc3\xa9\",\"ok\":true}\n"));
	key_login(&f);
	/* an activity line quoting a remote server's 8-bit reply */
	pb_msg_init(&ev, MSG_STATUS_PUSH_EVT);
	ev.u.status_push_evt.topic = xstrdup("activity");
	ev.u.status_push_evt.json = xstrdup("{\"event\":\"activity\",\"text\":\"550 \xe9t\xe9 \xc3\"}");
	CHECK_INT(gw_fake_reply(&f, f.gs.id, &ev), 0);
	char *out = gw_fake_output(&f);
	CHECK(mime_utf8_is_valid(out, strlen(out)));
	CHECK(strncmp(out, "{\"event\":\"activity\",\"text\":\"550 \xef\xbf\xbdt", 36) == 0);
	CHECK(strstr(out, "\"}\n") != NULL);
	free(out);
	gw_fake_free(&f);
}

static const struct pb_test_case cases[] = {
	{ "utf8_only", test_utf8_only },
	{ "registered_then_closed", test_registered_then_closed },
	{ "gone_before_registered", test_gone_before_registered },
	{ "registration_timed_out", test_registration_timed_out },
	{ "not_logged_in", test_not_logged_in },
};

PB_TEST_MAIN(cases)
