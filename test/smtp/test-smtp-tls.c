/*
 * test-smtp-tls.c: STARTTLS and implicit TLS through the session skeleton's TLS layer
 * (gw-session.c) and the fake transport, with an OpenSSL client (gw-fake-tls.h): the 220 is the
 * only clear byte, the plaintext pipelined after STARTTLS is never answered (CVE-2011-0411),
 * the session starts over after the handshake (EHLO again, no STARTTLS advertised), and
 * implicit TLS holds the greeting until the handshake ends.
 */
#include "gw-fake-tls.h"
#include "pb-test.h"
#include "smtp-session-test.h"

static void open_smtp(struct gw_fake *f, struct smtp_server *srv, struct gw_fake_tls *t,
		      bool implicit)
{
	gw_fake_tls_init(t, "mx.test");
	server_init(srv);
	gw_fake_open_tls(f, &smtp_proto, mx_port(srv), t->cur, implicit);
	CHECK_INT(gw_fake_guard(f, MSG_LOCKOUT_CHECK_IP_REQ, false, false), 0);
	gw_fake_forget_sent(f);
}

static void close_smtp(struct gw_fake *f, struct gw_fake_tls *t)
{
	gw_fake_free(f);
	gw_fake_tls_deinit(t);
}

static void test_starttls_injection_and_reset(void)
{
	struct gw_fake_tls t;
	struct smtp_server srv;
	struct gw_fake f;

	open_smtp(&f, &srv, &t, false);
	CHECK(gw_fake_expect(&f, "220 mx.test ESMTP"));
	gw_fake_input(&f, "EHLO client.test\r\n");
	char *ehlo = gw_fake_output(&f);
	CHECK(strstr(ehlo, "250-STARTTLS\r\n") != NULL);
	free(ehlo);
	gw_fake_input(&f, "MAIL FROM:<a@b.test>\r\nSTARTTLS\r\nRSET\r\n");
	char *clear = gw_fake_output(&f);
	CHECK_STR(clear, "250 2.1.0 Ok\r\n220 2.0.0 Ready to start TLS\r\n");
	free(clear);
	CHECK(gw_fake_tls_handshake(&t, &f));
	/* the first answer under TLS is HELP's: RSET was dropped, not answered */
	CHECK(strncmp(gw_fake_tls_say(&t, &f, "HELP\r\n"), "214 ", 4) == 0);
	CHECK_STR(gw_fake_tls_say(&t, &f, "MAIL FROM:<a@b.test>\r\n"),
		  "503 5.5.1 Error: send HELO/EHLO first\r\n");
	const char *again = gw_fake_tls_say(&t, &f, "EHLO client.test\r\n");
	CHECK(strncmp(again, "250-mx.test", 11) == 0 && strstr(again, "STARTTLS") == NULL);
	CHECK_STR(gw_fake_tls_say(&t, &f, "STARTTLS\r\n"), "503 5.5.1 Error: TLS already active\r\n");
	close_smtp(&f, &t);
}

static void test_implicit_greeting_waits(void)
{
	struct gw_fake_tls t;
	struct smtp_server srv;
	struct gw_fake f;

	open_smtp(&f, &srv, &t, true);
	CHECK_INT(f.out.len, 0); /* nothing in clear, not even the greeting */
	CHECK(gw_fake_tls_handshake(&t, &f));
	CHECK(strncmp(gw_fake_tls_answer(&t, &f), "220 mx.test ESMTP", 17) == 0);
	CHECK(strstr(gw_fake_tls_say(&t, &f, "EHLO client.test\r\n"), "STARTTLS") == NULL);
	close_smtp(&f, &t);
}

/* A client that never finishes the handshake hears nothing and is closed at the deadline. */
static void test_handshake_times_out(void)
{
	struct gw_fake_tls t;
	struct smtp_server srv;
	struct gw_fake f;

	open_smtp(&f, &srv, &t, true);
	gw_fake_advance(&f, srv.settings.command_timeout_s * 1000ull);
	CHECK(f.closed);
	CHECK_INT(f.out.len, 0);
	close_smtp(&f, &t);
}

static const struct pb_test_case cases[] = {
	{ "starttls_injection_and_reset", test_starttls_injection_and_reset },
	{ "implicit_greeting_waits", test_implicit_greeting_waits },
	{ "handshake_times_out", test_handshake_times_out },
};
PB_TEST_MAIN(cases)
