/*
 * test-pop3-tls.c: STLS (RFC 2595) and implicit TLS (995) through the session skeleton's TLS
 * layer and the fake transport, with an OpenSSL client (gw-fake-tls.h): STLS in CAPA before
 * TLS only, the +OK is the only clear answer, the plaintext pipelined after STLS is never
 * answered (CVE-2011-0411), a USER given in clear is forgotten, and implicit TLS holds the
 * greeting until the handshake ends. A handshake that does not end within its bound
 * (GW_FAKE_TLS_HANDSHAKE_MS, the setting's default) closes the connection without a word,
 * after STLS as on 995; once it ended, the 600 s idle time is back.
 */
#include "gw-fake-tls.h"
#include "pb-test.h"
#include "pop3-session.h"

static void open_pop3(struct gw_fake *f, struct pop3_server *srv, struct gw_fake_tls *t,
		      bool implicit)
{
	memset(srv, 0, sizeof(*srv));
	snprintf(srv->hostname, sizeof(srv->hostname), "pop.test");
	srv->allow_plaintext_auth = true; /* USER in clear, to be forgotten after STLS */
	gw_fake_tls_init(t, "pop.test");
	gw_fake_open_tls(f, &pop3_proto, srv, t->cur, implicit);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
}

static void test_stls_injection_and_reset(void)
{
	struct gw_fake_tls t;
	struct pop3_server srv;
	struct gw_fake f;

	open_pop3(&f, &srv, &t, false);
	CHECK(gw_fake_expect(&f, "+OK Pillarbox POP3 server ready\r\n"));
	gw_fake_input(&f, "CAPA\r\n");
	char *capa = gw_fake_output(&f);
	CHECK(strstr(capa, "\r\nSTLS\r\n") != NULL);
	free(capa);
	gw_fake_input(&f, "USER alice\r\nSTLS\r\nCAPA\r\n");
	char *clear = gw_fake_output(&f);
	CHECK_STR(clear, "+OK\r\n+OK Begin TLS negotiation\r\n");
	free(clear);
	CHECK(gw_fake_tls_handshake(&t, &f));
	/* the first answer under TLS is PASS's: CAPA was dropped; USER was forgotten */
	CHECK_STR(gw_fake_tls_say(&t, &f, "PASS secret\r\n"), "-ERR No username given\r\n");
	const char *capa_tls = gw_fake_tls_say(&t, &f, "CAPA\r\n");
	CHECK(strncmp(capa_tls, "+OK Capability list follows\r\n", 29) == 0);
	CHECK(strstr(capa_tls, "STLS") == NULL);
	CHECK_STR(gw_fake_tls_say(&t, &f, "STLS\r\n"),
		  "-ERR Command not permitted when TLS active\r\n");
	gw_fake_free(&f);
	gw_fake_tls_deinit(&t);
}

static void test_implicit_greeting_waits(void)
{
	struct gw_fake_tls t;
	struct pop3_server srv;
	struct gw_fake f;

	open_pop3(&f, &srv, &t, true);
	CHECK_INT(f.out.len, 0); /* nothing in clear, not even the greeting */
	CHECK(gw_fake_tls_handshake(&t, &f));
	CHECK_STR(gw_fake_tls_answer(&t, &f), "+OK Pillarbox POP3 server ready\r\n");
	CHECK(strstr(gw_fake_tls_say(&t, &f, "CAPA\r\n"), "STLS") == NULL);
	gw_fake_free(&f);
	gw_fake_tls_deinit(&t);
}

static void test_implicit_handshake_timeout(void)
{
	struct gw_fake_tls t;
	struct pop3_server srv;
	struct gw_fake f;

	open_pop3(&f, &srv, &t, true);
	gw_fake_advance(&f, GW_FAKE_TLS_HANDSHAKE_MS - 1);
	CHECK(!f.closed);
	gw_fake_advance(&f, 1);
	CHECK(f.closed); /* not the 600 s idle time */
	CHECK_INT(f.out.len, 0); /* nothing said: there is no channel to say it on */
	gw_fake_free(&f);
	gw_fake_tls_deinit(&t);
}

static void test_stls_handshake_timeout(void)
{
	struct gw_fake_tls t;
	struct pop3_server srv;
	struct gw_fake f;

	open_pop3(&f, &srv, &t, false);
	CHECK(gw_fake_say(&f, "STLS\r\n", "+OK Pillarbox POP3 server ready\r\n+OK Begin TLS"));
	gw_fake_advance(&f, GW_FAKE_TLS_HANDSHAKE_MS);
	CHECK(f.closed);
	CHECK_INT(f.out.len, 0);
	gw_fake_free(&f);
	gw_fake_tls_deinit(&t);
}

static void test_handshake_done_idle_time_back(void)
{
	struct gw_fake_tls t;
	struct pop3_server srv;
	struct gw_fake f;

	open_pop3(&f, &srv, &t, true);
	gw_fake_advance(&f, GW_FAKE_TLS_HANDSHAKE_MS / 2);
	CHECK(gw_fake_tls_handshake(&t, &f));
	CHECK_STR(gw_fake_tls_answer(&t, &f), "+OK Pillarbox POP3 server ready\r\n");
	gw_fake_advance(&f, GW_FAKE_TLS_HANDSHAKE_MS);
	CHECK(!f.closed); /* the handshake's bound is gone with the handshake */
	gw_fake_advance(&f, POP3_IDLE_TIMEOUT_S * 1000ull);
	CHECK_STR(gw_fake_tls_answer(&t, &f), "-ERR Autologout; idle for too long\r\n");
	gw_fake_free(&f);
	gw_fake_tls_deinit(&t);
}

static const struct pb_test_case cases[] = {
	{ "implicit_handshake_timeout", test_implicit_handshake_timeout },
	{ "stls_handshake_timeout", test_stls_handshake_timeout },
	{ "handshake_done_idle_time_back", test_handshake_done_idle_time_back },
	{ "stls_injection_and_reset", test_stls_injection_and_reset },
	{ "implicit_greeting_waits", test_implicit_greeting_waits },
};
PB_TEST_MAIN(cases)
