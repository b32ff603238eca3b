/*
 * pb-test-tls.h: a TLS client (plain OpenSSL over memory BIOs) talking to a pb_tls_conn in the
 * same thread, for the engine's tests, fuzz target and handshake benchmark. Header-only; needs
 * pb_tls and OpenSSL. OWNS the client side of each pair. THREAD: the test's.
 */
#ifndef PB_TEST_TLS_H
#define PB_TEST_TLS_H

#include "pb-buf.h"
#include "pb-tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>

struct pb_test_tls_pair {
	SSL *cli;
	BIO *cin, *cout;       /* the client's input and output (owned by cli) */
	struct pb_buf c2s;     /* client bytes the server has not taken yet (its input bound) */
	struct pb_tls_conn *srv;
	size_t chunk;          /* bytes moved per feed / BIO write (1: byte at a time) */
};

/* A client context speaking versions min..max (0: OpenSSL's bound) with ciphers (NULL: default;
 * "@SECLEVEL=0" is added so TLS 1.0/1.1 can be offered at all). Verification is off. */
static inline SSL_CTX *pb_test_tls_client_ctx(int min, int max, const char *ciphers)
{
	SSL_CTX *cc = SSL_CTX_new(TLS_client_method());
	char list[256];

	SSL_CTX_set_min_proto_version(cc, min);
	SSL_CTX_set_max_proto_version(cc, max);
	snprintf(list, sizeof(list), "%s:@SECLEVEL=0", ciphers != NULL ? ciphers : "DEFAULT");
	SSL_CTX_set_cipher_list(cc, list);
	SSL_CTX_set_verify(cc, SSL_VERIFY_NONE, NULL);
	return cc;
}

static inline void pb_test_tls_pair_init(struct pb_test_tls_pair *p, SSL_CTX *cc,
					 struct pb_tls_ctx *sctx, size_t chunk)
{
	p->cli = SSL_new(cc);
	p->cin = BIO_new(BIO_s_mem());
	p->cout = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p->cin, -1);
	SSL_set_bio(p->cli, p->cin, p->cout);
	SSL_set_connect_state(p->cli);
	pb_buf_init(&p->c2s);
	p->srv = pb_tls_conn_create(sctx);
	p->chunk = chunk;
}

static inline void pb_test_tls_pair_deinit(struct pb_test_tls_pair *p)
{
	SSL_free(p->cli);
	pb_buf_deinit(&p->c2s);
	pb_tls_conn_destroy(&p->srv);
}

/* Moves bytes both ways, chunk at a time, as far as each side takes them. Returns the count. */
static inline size_t pb_test_tls_pump(struct pb_test_tls_pair *p)
{
	char tmp[16384];
	size_t moved = 0, n;
	int r;

	while ((r = BIO_read(p->cout, tmp, sizeof(tmp))) > 0)
		pb_buf_append(&p->c2s, tmp, (size_t)r);
	while (p->c2s.len > 0) {
		size_t want = p->c2s.len < p->chunk ? p->c2s.len : p->chunk;
		n = pb_tls_feed(p->srv, p->c2s.data, want);
		pb_buf_consume(&p->c2s, n);
		moved += n;
		if (n < want)
			break;
	}
	size_t out_chunk = p->chunk < sizeof(tmp) ? p->chunk : sizeof(tmp);
	while ((n = pb_tls_take_out(p->srv, tmp, out_chunk)) > 0) {
		BIO_write(p->cin, tmp, (int)n);
		moved += n;
	}
	return moved;
}

/* Runs the handshake to its end. Returns true when both sides finished it. */
static inline bool pb_test_tls_handshake(struct pb_test_tls_pair *p)
{
	for (;;) {
		int r = SSL_do_handshake(p->cli);
		if (r <= 0 && SSL_get_error(p->cli, r) != SSL_ERROR_WANT_READ) {
			ERR_clear_error();
			pb_test_tls_pump(p); /* the client's alert reaches the server */
			return false;
		}
		size_t moved = pb_test_tls_pump(p);
		if (r == 1 && pb_tls_state(p->srv) == PB_TLS_OPEN)
			return true;
		if (pb_tls_state(p->srv) == PB_TLS_FAILED || moved == 0)
			return false;
	}
}

#endif
