/*
 * test-smtp-tls.c: STARTTLS through the session skeleton's TLS layer (gw-session.c) and the
 * fake transport, with an OpenSSL client over memory BIOs: the 220 is the only clear byte, the
 * plaintext pipelined after STARTTLS is never answered (CVE-2011-0411), the session starts over
 * after the handshake (EHLO again, no STARTTLS advertised), and implicit TLS holds the
 * greeting until the handshake ends.
 */
#include "gw-fake.h"
#include "pb-test.h"
#include "pb-test-tls.h"
#include "smtp-session-test.h"

#include <ftw.h>

static char dir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* A self-signed certificate in a new directory (removed by done()), and a client context. */
static struct pb_tls_current *make_current(SSL_CTX **cc_r)
{
	snprintf(dir, sizeof(dir), "/tmp/pb-test-smtp-tls-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	*cc_r = pb_test_tls_client_ctx(TLS1_2_VERSION, 0, NULL);
	char *cert = xasprintf("%s/c.crt", dir), *key = xasprintf("%s/c.key", dir), *error = NULL;
	struct pb_tls_ctx *ctx = NULL;

	if (pb_tls_selfsigned_write("mx.test", cert, key, &error) < 0 ||
	    pb_tls_ctx_create(cert, key, &ctx, &error) < 0)
		PANIC("certificate: %s", error);
	free(cert);
	free(key);
	return pb_tls_current_create(ctx);
}

static void done(SSL_CTX *cc, struct pb_tls_current *cur)
{
	SSL_CTX_free(cc);
	pb_tls_current_destroy(&cur);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

struct client {
	SSL *ssl;
	BIO *in, *out;
};

static void client_init(struct client *c, SSL_CTX *cc)
{
	c->ssl = SSL_new(cc);
	c->in = BIO_new(BIO_s_mem());
	c->out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(c->in, -1);
	SSL_set_bio(c->ssl, c->in, c->out);
	SSL_set_connect_state(c->ssl);
}

/* Moves the client's bytes to the session and the session's to the client. */
static void pump(struct client *c, struct gw_fake *f)
{
	char tmp[16384];
	int r;

	while ((r = BIO_read(c->out, tmp, sizeof(tmp))) > 0)
		gw_fake_input_bytes(f, tmp, (size_t)r);
	if (f->out.len > 0)
		BIO_write(c->in, f->out.data, (int)f->out.len);
	pb_buf_reset(&f->out);
}

static bool handshake(struct client *c, struct gw_fake *f)
{
	for (int i = 0; i < 20 && !SSL_is_init_finished(c->ssl); i++) {
		if (SSL_do_handshake(c->ssl) <= 0)
			ERR_clear_error(); /* wants to read: the pump brings the server's bytes */
		pump(c, f);
	}
	return SSL_is_init_finished(c->ssl);
}

/* Every record the session has sent, decrypted (static, NUL-terminated). */
static const char *answer(struct client *c, struct gw_fake *f)
{
	static char got[4096];
	size_t len = 0;
	int n;

	pump(c, f);
	while ((n = SSL_read(c->ssl, got + len, (int)(sizeof(got) - 1 - len))) > 0)
		len += (size_t)n;
	ERR_clear_error();
	got[len] = '\0';
	return got;
}

/* Sends text under TLS and returns what the session answered. */
static const char *say(struct client *c, struct gw_fake *f, const char *text)
{
	SSL_write(c->ssl, text, (int)strlen(text));
	pump(c, f);
	return answer(c, f);
}

/* A session of the fake transport with a certificate, and a client for it. */
struct tls_case {
	SSL_CTX *cc;
	struct pb_tls_current *cur;
	struct smtp_server srv;
	struct gw_fake f;
	struct client c;
};

static void case_open(struct tls_case *t, bool implicit)
{
	t->cur = make_current(&t->cc);
	server_init(&t->srv);
	gw_fake_open_tls(&t->f, &smtp_proto, &t->srv, t->cur, implicit);
	client_init(&t->c, t->cc);
}

static void case_close(struct tls_case *t)
{
	SSL_free(t->c.ssl);
	gw_fake_free(&t->f);
	done(t->cc, t->cur);
}

static void test_starttls_injection_and_reset(void)
{
	struct tls_case t;
	struct gw_fake *f = &t.f;

	case_open(&t, false);
	CHECK(gw_fake_expect(f, "220 mx.test ESMTP"));
	gw_fake_input(f, "EHLO client.test\r\n");
	char *ehlo = gw_fake_output(f);
	CHECK(strstr(ehlo, "250-STARTTLS\r\n") != NULL);
	free(ehlo);
	gw_fake_input(f, "MAIL FROM:<a@b.test>\r\nSTARTTLS\r\nRSET\r\n");
	char *clear = gw_fake_output(f);
	CHECK_STR(clear, "250 2.1.0 Ok\r\n220 2.0.0 Ready to start TLS\r\n");
	free(clear);
	CHECK(handshake(&t.c, f));
	/* the first answer under TLS is HELP's: RSET was dropped, not answered */
	CHECK(strncmp(say(&t.c, f, "HELP\r\n"), "214 ", 4) == 0);
	CHECK_STR(say(&t.c, f, "MAIL FROM:<a@b.test>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
	const char *again = say(&t.c, f, "EHLO client.test\r\n");
	CHECK(strncmp(again, "250-mx.test", 11) == 0 && strstr(again, "STARTTLS") == NULL);
	CHECK_STR(say(&t.c, f, "STARTTLS\r\n"), "503 5.5.1 Error: TLS already active\r\n");
	case_close(&t);
}

static void test_implicit_greeting_waits(void)
{
	struct tls_case t;

	case_open(&t, true);
	CHECK_INT(t.f.out.len, 0); /* nothing in clear, not even the greeting */
	CHECK(handshake(&t.c, &t.f));
	CHECK(strncmp(answer(&t.c, &t.f), "220 mx.test ESMTP", 17) == 0);
	CHECK(strstr(say(&t.c, &t.f, "EHLO client.test\r\n"), "STARTTLS") == NULL);
	case_close(&t);
}

static const struct pb_test_case cases[] = {
	{ "starttls_injection_and_reset", test_starttls_injection_and_reset },
	{ "implicit_greeting_waits", test_implicit_greeting_waits },
};
PB_TEST_MAIN(cases)
