/*
 * gw-fake-tls.h: a TLS client for a session of the fake transport (gw-fake.h), so the
 * skeleton's TLS layer and a protocol's STARTTLS/STLS are tested in C: a self-signed
 * certificate in a temporary directory, the pb_tls_current a session gets, and an OpenSSL
 * client over memory BIOs whose bytes go through gw_fake_input_bytes. Header-only (needs
 * OpenSSL and pb_tls). OWNS its directory, context and client. THREAD: the test's.
 */
#ifndef GW_FAKE_TLS_H
#define GW_FAKE_TLS_H

#include "gw-fake.h"
#include "pb-test-tls.h"

#include <ftw.h>
#include <stdlib.h>

struct gw_fake_tls {
	char dir[64];
	struct pb_tls_current *cur; /* for gw_fake_open_tls */
	SSL_CTX *cc;
	SSL *ssl;
	BIO *in, *out; /* the client's (owned by ssl) */
	char got[8192];
};

static inline int gw_fake_tls_rm(const char *path, const struct stat *st, int flag,
				 struct FTW *ftw)
{
	return remove(path);
}

/* A certificate for host, its current context and a client (TLS 1.2 and up, no verification). */
static inline void gw_fake_tls_init(struct gw_fake_tls *t, const char *host)
{
	struct pb_tls_ctx *ctx = NULL;
	char *error = NULL;

	snprintf(t->dir, sizeof(t->dir), "/tmp/pb-test-fake-tls-XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		abort();
	char *cert = xasprintf("%s/c.crt", t->dir), *key = xasprintf("%s/c.key", t->dir);
	if (pb_tls_selfsigned_write(host, cert, key, &error) < 0 ||
	    pb_tls_ctx_create(cert, key, &ctx, &error) < 0)
		PANIC("certificate: %s", error);
	free(cert);
	free(key);
	t->cur = pb_tls_current_create(ctx);
	t->cc = pb_test_tls_client_ctx(TLS1_2_VERSION, 0, NULL);
	t->ssl = SSL_new(t->cc);
	t->in = BIO_new(BIO_s_mem());
	t->out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(t->in, -1);
	SSL_set_bio(t->ssl, t->in, t->out);
	SSL_set_connect_state(t->ssl);
}

static inline void gw_fake_tls_deinit(struct gw_fake_tls *t)
{
	SSL_free(t->ssl);
	SSL_CTX_free(t->cc);
	pb_tls_current_destroy(&t->cur);
	nftw(t->dir, gw_fake_tls_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* Moves the client's bytes to the session and what the session wrote to the client. */
static inline void gw_fake_tls_pump(struct gw_fake_tls *t, struct gw_fake *f)
{
	char tmp[16384];
	int r;

	while ((r = BIO_read(t->out, tmp, sizeof(tmp))) > 0)
		gw_fake_input_bytes(f, tmp, (size_t)r);
	if (f->out.len > 0)
		BIO_write(t->in, f->out.data, (int)f->out.len);
	pb_buf_reset(&f->out);
}

/* Runs the client's handshake with the session; true when it finished. */
static inline bool gw_fake_tls_handshake(struct gw_fake_tls *t, struct gw_fake *f)
{
	for (int i = 0; i < 20 && !SSL_is_init_finished(t->ssl); i++) {
		if (SSL_do_handshake(t->ssl) <= 0)
			ERR_clear_error(); /* wants to read: the pump brings the session's bytes */
		gw_fake_tls_pump(t, f);
	}
	return SSL_is_init_finished(t->ssl);
}

/* Everything the session has sent, decrypted (NUL-terminated, in t->got). */
static inline const char *gw_fake_tls_answer(struct gw_fake_tls *t, struct gw_fake *f)
{
	size_t len = 0;
	int n;

	gw_fake_tls_pump(t, f);
	while ((n = SSL_read(t->ssl, t->got + len, (int)(sizeof(t->got) - 1 - len))) > 0)
		len += (size_t)n;
	ERR_clear_error();
	t->got[len] = '\0';
	return t->got;
}

/* Sends text under TLS and returns the session's answer. */
static inline const char *gw_fake_tls_say(struct gw_fake_tls *t, struct gw_fake *f,
					  const char *text)
{
	SSL_write(t->ssl, text, (int)strlen(text));
	gw_fake_tls_pump(t, f);
	return gw_fake_tls_answer(t, f);
}

#endif
