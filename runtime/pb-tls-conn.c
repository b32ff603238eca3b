/*
 * pb-tls-conn.c: one server-side TLS connection over two memory BIOs — ciphertext from the
 * peer is written into `in`, OpenSSL writes what goes to the peer into `out`. Nothing here
 * touches a socket: the gateway moves the bytes (see pb-tls.h for the bounds).
 * OWNS the SSL, its two BIOs and one reference to the context. THREAD: the owner's only.
 */
#include "pb-tls.h"
#include "pb-tls-private.h"

#include "pb-alloc.h"

#include <arpa/inet.h>
#include <limits.h>
#include <openssl/x509v3.h>
#include <openssl/err.h>
#include <stdio.h>

#define PB_TLS_RECORD_MAX 16384

struct pb_tls_conn {
	struct pb_tls_ctx *ctx;
	SSL *ssl;
	BIO *in, *out; /* owned by ssl */
	enum pb_tls_state state;
	char reason[192];
};

static struct pb_tls_conn *conn_new(struct pb_tls_ctx *ctx)
{
	struct pb_tls_conn *c = xcalloc(1, sizeof(*c));

	c->ctx = pb_tls_ctx_ref(ctx);
	c->ssl = SSL_new(pb_tls_ctx_ssl(ctx));
	c->in = BIO_new(BIO_s_mem());
	c->out = BIO_new(BIO_s_mem());
	if (c->ssl == NULL || c->in == NULL || c->out == NULL)
		PANIC("TLS: out of memory");
	BIO_set_mem_eof_return(c->in, -1); /* empty means "wait for more", not end of stream */
	SSL_set_bio(c->ssl, c->in, c->out);
	c->state = PB_TLS_HANDSHAKING;
	return c;
}

struct pb_tls_conn *pb_tls_conn_create(struct pb_tls_ctx *ctx)
{
	struct pb_tls_conn *c = conn_new(ctx);

	SSL_set_accept_state(c->ssl);
	return c;
}

static void step_handshake(struct pb_tls_conn *c);

struct pb_tls_conn *pb_tls_conn_create_client(struct pb_tls_ctx *ctx, const char *host)
{
	struct pb_tls_conn *c = conn_new(ctx);
	struct in6_addr a6;
	struct in_addr a4;
	bool literal = inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
	X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);

	SSL_set_connect_state(c->ssl);
	if (literal) {
		X509_VERIFY_PARAM_set1_ip_asc(vp, host);
	} else {
		SSL_set_tlsext_host_name(c->ssl, host);
		X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		X509_VERIFY_PARAM_set1_host(vp, host, 0);
	}
	ERR_clear_error();
	step_handshake(c); /* the ClientHello, waiting in out */
	return c;
}

void pb_tls_conn_destroy(struct pb_tls_conn **cp)
{
	struct pb_tls_conn *c = *cp;

	*cp = NULL;
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	pb_tls_ctx_unref(&c->ctx);
	free(c);
}

static const char *version_name(int v)
{
	switch (v) {
	case SSL3_VERSION: return "SSLv3";
	case TLS1_VERSION: return "TLSv1.0";
	case TLS1_1_VERSION: return "TLSv1.1";
	case TLS1_2_VERSION: return "TLSv1.2";
	case TLS1_3_VERSION: return "TLSv1.3";
	default: return "unknown";
	}
}

/* Turns the state to FAILED with OpenSSL's reason (err: SSL_get_error's verdict). */
static void fail(struct pb_tls_conn *c, int err)
{
	unsigned long e = ERR_peek_error();
	const char *what = c->state == PB_TLS_HANDSHAKING ? "handshake" : "record";

	if (err == SSL_ERROR_SSL && ERR_GET_REASON(e) == SSL_R_UNSUPPORTED_PROTOCOL)
		snprintf(c->reason, sizeof(c->reason),
			 "%s: unsupported protocol (client offers %s)", what,
			 version_name(SSL_client_version(c->ssl)));
	else if (err == SSL_ERROR_SSL)
		snprintf(c->reason, sizeof(c->reason), "%s: %s", what, pb_tls_openssl_reason());
	else
		snprintf(c->reason, sizeof(c->reason), "%s: unexpected error %d", what, err);
	ERR_clear_error();
	c->state = PB_TLS_FAILED;
}

static void step_handshake(struct pb_tls_conn *c)
{
	int r = SSL_do_handshake(c->ssl);

	if (r == 1) {
		c->state = PB_TLS_OPEN;
		return;
	}
	int err = SSL_get_error(c->ssl, r);
	if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
		fail(c, err);
}

size_t pb_tls_feed(struct pb_tls_conn *c, const void *data, size_t len)
{
	size_t waiting = BIO_ctrl_pending(c->in);

	if (c->state == PB_TLS_CLOSED || c->state == PB_TLS_FAILED || waiting >= PB_TLS_IN_MAX)
		return 0;
	if (len > PB_TLS_IN_MAX - waiting)
		len = PB_TLS_IN_MAX - waiting;
	if (len > 0 && BIO_write(c->in, data, (int)len) != (int)len)
		PANIC("TLS: memory BIO write failed");
	if (c->state == PB_TLS_HANDSHAKING)
		step_handshake(c);
	return len;
}

/* The peer closed (close_notify): answer with ours, once. */
static void peer_closed(struct pb_tls_conn *c)
{
	c->state = PB_TLS_CLOSED;
	if (SSL_shutdown(c->ssl) < 0)
		ERR_clear_error();
}

size_t pb_tls_read(struct pb_tls_conn *c, void *buf, size_t size)
{
	if (c->state == PB_TLS_HANDSHAKING)
		step_handshake(c);
	if (c->state != PB_TLS_OPEN || size == 0)
		return 0;
	int r = SSL_read(c->ssl, buf, size > INT_MAX ? INT_MAX : (int)size);
	if (r > 0)
		return (size_t)r;
	int err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_ZERO_RETURN)
		peer_closed(c);
	else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
		fail(c, err);
	return 0;
}

size_t pb_tls_write(struct pb_tls_conn *c, const void *data, size_t len)
{
	const char *p = data;
	size_t done = 0;

	while (c->state == PB_TLS_OPEN && done < len && BIO_ctrl_pending(c->out) < PB_TLS_OUT_MAX) {
		size_t n = len - done > PB_TLS_RECORD_MAX ? PB_TLS_RECORD_MAX : len - done;
		int r = SSL_write(c->ssl, p + done, (int)n);
		if (r <= 0) {
			fail(c, SSL_get_error(c->ssl, r));
			break;
		}
		done += (size_t)r;
	}
	return done;
}

size_t pb_tls_pending_out(const struct pb_tls_conn *c)
{
	return BIO_ctrl_pending(c->out);
}

size_t pb_tls_take_out(struct pb_tls_conn *c, void *buf, size_t size)
{
	if (size == 0 || BIO_ctrl_pending(c->out) == 0)
		return 0;
	int r = BIO_read(c->out, buf, size > INT_MAX ? INT_MAX : (int)size);
	return r > 0 ? (size_t)r : 0;
}

void pb_tls_close(struct pb_tls_conn *c)
{
	if (c->state == PB_TLS_CLOSED || c->state == PB_TLS_FAILED)
		return;
	/* During the handshake OpenSSL sends nothing ("shutdown while in init"): just stop. */
	if (c->state == PB_TLS_OPEN && SSL_shutdown(c->ssl) < 0)
		ERR_clear_error();
	c->state = PB_TLS_CLOSED;
}

enum pb_tls_state pb_tls_state(const struct pb_tls_conn *c)
{
	return c->state;
}

const char *pb_tls_reason(const struct pb_tls_conn *c)
{
	return c->reason;
}

/* True once a handshake completed (the version and cipher are known). */
static bool negotiated(const struct pb_tls_conn *c)
{
	return c->state != PB_TLS_HANDSHAKING && c->state != PB_TLS_FAILED &&
	       SSL_is_init_finished(c->ssl);
}

const char *pb_tls_version(const struct pb_tls_conn *c)
{
	return negotiated(c) ? SSL_get_version(c->ssl) : "";
}

const char *pb_tls_cipher(const struct pb_tls_conn *c)
{
	const char *name = SSL_get_cipher_name(c->ssl);

	return negotiated(c) && name != NULL ? name : "";
}
