/*
 * test-tls.c: the TLS engine against a real OpenSSL client over memory BIOs — handshakes (1.3,
 * 1.2), data both ways byte at a time and in big chunks within the bounds, refusals (old
 * versions, no forward secrecy, compression, renegotiation), garbage and truncated input,
 * close_notify both ways, reload with a session open, the self-signed certificate and the
 * errors a bad certificate or key gives.
 */
#include "pb-test-tls.h"
#include "pb-test.h"

#include "pb-config.h"

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void dir_make(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pb-test-tls-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
}

static void dir_remove(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A self-signed certificate for host in dir as NAME.crt / NAME.key; returns a context. */
static struct pb_tls_ctx *make_ctx(const char *name, const char *host)
{
	char *cert = xasprintf("%s/%s.crt", dir, name), *key = xasprintf("%s/%s.key", dir, name);
	char *error = NULL;
	struct pb_tls_ctx *ctx = NULL;

	if (pb_tls_selfsigned_write(host, cert, key, &error) < 0 ||
	    pb_tls_ctx_create(cert, key, &ctx, &error) < 0) {
		fprintf(stderr, "  make_ctx: %s\n", error);
		free(error);
	}
	free(cert);
	free(key);
	return ctx;
}

/* The CN of the certificate the client was shown. */
static const char *peer_cn(SSL *cli, char *buf, size_t size)
{
	X509 *x = SSL_get0_peer_certificate(cli);
	buf[0] = '\0';
	if (x != NULL)
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)size);
	return buf;
}

/* A fresh directory, a server context for mail.example.test and one client pair. */
struct fix {
	struct pb_tls_ctx *ctx;
	SSL_CTX *cc;
	struct pb_test_tls_pair p;
};

static bool fix_open(struct fix *f, SSL_CTX *cc, size_t chunk)
{
	dir_make();
	f->cc = cc;
	f->ctx = make_ctx("a", "mail.example.test");
	if (f->ctx == NULL)
		return false;
	pb_test_tls_pair_init(&f->p, cc, f->ctx, chunk);
	return true;
}

static void fix_close(struct fix *f)
{
	pb_test_tls_pair_deinit(&f->p);
	SSL_CTX_free(f->cc);
	pb_tls_ctx_unref(&f->ctx);
	dir_remove();
}

static void handshake_with(int max_version, const char *want_version)
{
	struct fix f;
	char cn[64];

	REQUIRE(fix_open(&f, pb_test_tls_client_ctx(0, max_version, NULL), 16384));
	CHECK(pb_tls_state(f.p.srv) == PB_TLS_HANDSHAKING);
	CHECK(pb_test_tls_handshake(&f.p));
	CHECK_INT(pb_tls_state(f.p.srv), PB_TLS_OPEN);
	CHECK_STR(pb_tls_version(f.p.srv), want_version);
	const char *cipher = pb_tls_cipher(f.p.srv);
	CHECK(strstr(cipher, "GCM") != NULL || strstr(cipher, "CHACHA") != NULL);
	CHECK_STR(peer_cn(f.p.cli, cn, sizeof(cn)), "mail.example.test");
	CHECK(SSL_get_current_compression(f.p.cli) == NULL);
	fix_close(&f);
	CHECK(f.ctx == NULL);
}

static void test_handshake_tls13(void)
{
	handshake_with(TLS1_3_VERSION, "TLSv1.3");
}

static void test_handshake_tls12(void)
{
	handshake_with(TLS1_2_VERSION, "TLSv1.2");
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Sends n pattern bytes each way, `chunk` bytes per engine call, and checks them. */
static void exchange(struct pb_test_tls_pair *p, size_t n, size_t chunk)
{
	char *out = xmalloc(n), *in = xmalloc(n);
	size_t sent_c = 0, got_s = 0, sent_s = 0, got_c = 0, r;
	int cr;

	for (size_t i = 0; i < n; i++)
		out[i] = (char)(i * 7 + i / 251);
	while (got_s < n || got_c < n) {
		size_t before = sent_c + got_s + sent_s + got_c;
		if (sent_c < n) {
			cr = SSL_write(p->cli, out + sent_c, (int)min_size(n - sent_c, chunk));
			sent_c += cr > 0 ? (size_t)cr : 0;
		}
		if (sent_s < n)
			sent_s += pb_tls_write(p->srv, out + sent_s, min_size(n - sent_s, chunk));
		CHECK(pb_tls_pending_out(p->srv) <= PB_TLS_OUT_MAX + 17 * 1024);
		pb_test_tls_pump(p);
		while (got_s < n &&
		       (r = pb_tls_read(p->srv, in + got_s, min_size(chunk, n - got_s))) > 0) {
			CHECK(memcmp(in + got_s, out + got_s, r) == 0);
			got_s += r;
		}
		while (got_c < n && (cr = SSL_read(p->cli, in + got_c, (int)(n - got_c))) > 0) {
			CHECK(memcmp(in + got_c, out + got_c, (size_t)cr) == 0);
			got_c += (size_t)cr;
		}
		if (sent_c + got_s + sent_s + got_c == before)
			break;
	}
	CHECK(got_s == n && got_c == n);
	CHECK_INT(pb_tls_state(p->srv), PB_TLS_OPEN);
	free(out);
	free(in);
}

static void data_test(size_t n, size_t chunk, int max_version)
{
	struct fix f;

	REQUIRE(fix_open(&f, pb_test_tls_client_ctx(0, max_version, NULL), chunk));
	REQUIRE(pb_test_tls_handshake(&f.p));
	exchange(&f.p, n, chunk);
	fix_close(&f);
}

static void test_data_byte_at_a_time(void)
{
	data_test(3000, 1, TLS1_3_VERSION);
	data_test(3000, 1, TLS1_2_VERSION);
}

static void test_data_big_chunks(void)
{
	data_test(4 * 1024 * 1024, 1024 * 1024, TLS1_3_VERSION);
	data_test(1024 * 1024, 200000, TLS1_2_VERSION);
}

/* The engine takes no more ciphertext than PB_TLS_IN_MAX while its plaintext is not read,
 * and no more plaintext to send than PB_TLS_OUT_MAX of ciphertext not taken. */
static void test_bounds(void)
{
	struct fix f;
	static char big[1024 * 1024];
	char rec[20000];

	REQUIRE(fix_open(&f, pb_test_tls_client_ctx(0, 0, NULL), sizeof(big)));
	REQUIRE(pb_test_tls_handshake(&f.p));
	for (size_t i = 0; i < sizeof(big); i += 16384)
		SSL_write(f.p.cli, big + i, 16384);
	int r;
	struct pb_buf cipher;
	pb_buf_init(&cipher);
	while ((r = BIO_read(f.p.cout, rec, sizeof(rec))) > 0)
		pb_buf_append(&cipher, rec, (size_t)r);
	size_t took = pb_tls_feed(f.p.srv, cipher.data, cipher.len);
	CHECK(took <= PB_TLS_IN_MAX && took > 0);
	CHECK_INT(pb_tls_feed(f.p.srv, cipher.data + took, cipher.len - took), 0);
	CHECK(pb_tls_read(f.p.srv, rec, sizeof(rec)) > 0); /* reading makes room again */
	CHECK(pb_tls_feed(f.p.srv, cipher.data + took, cipher.len - took) > 0);
	size_t wrote = pb_tls_write(f.p.srv, big, sizeof(big));
	CHECK(wrote < sizeof(big) && wrote >= PB_TLS_OUT_MAX / 2);
	CHECK(pb_tls_pending_out(f.p.srv) <= PB_TLS_OUT_MAX + 17 * 1024);
	CHECK_INT(pb_tls_write(f.p.srv, big, sizeof(big)), 0);
	pb_buf_deinit(&cipher);
	fix_close(&f);
}

/* A client whose handshake the server must refuse; returns the server's reason. */
static void refused(SSL_CTX *cc, const char *want_reason)
{
	struct fix f;

	REQUIRE(fix_open(&f, cc, 16384));
	CHECK(!pb_test_tls_handshake(&f.p));
	CHECK_INT(pb_tls_state(f.p.srv), PB_TLS_FAILED);
	if (strstr(pb_tls_reason(f.p.srv), want_reason) == NULL)
		fprintf(stderr, "  reason: %s (want %s)\n", pb_tls_reason(f.p.srv), want_reason);
	CHECK(strstr(pb_tls_reason(f.p.srv), want_reason) != NULL);
	CHECK_STR(pb_tls_version(f.p.srv), "");
	CHECK_INT(pb_tls_feed(f.p.srv, "x", 1), 0);
	fix_close(&f);
}

static void test_old_versions_refused(void)
{
	refused(pb_test_tls_client_ctx(TLS1_1_VERSION, TLS1_1_VERSION, NULL),
		"unsupported protocol (client offers TLSv1.1)");
	refused(pb_test_tls_client_ctx(TLS1_VERSION, TLS1_VERSION, NULL),
		"unsupported protocol (client offers TLSv1.0)");
}

static void test_no_forward_secrecy_refused(void)
{
	refused(pb_test_tls_client_ctx(TLS1_2_VERSION, TLS1_2_VERSION,
				       "AES128-GCM-SHA256:AES256-SHA"),
		"no shared cipher");
}

/* The compression methods of the client's first flight are replaced by DEFLATE alone (same
 * length): the server must refuse, as it offers only the null method. */
static void test_compression_refused(void)
{
	struct fix f;
	unsigned char hello[4096];

	REQUIRE(fix_open(&f, pb_test_tls_client_ctx(0, TLS1_2_VERSION, NULL), 16384));
	SSL_do_handshake(f.p.cli);
	int n = BIO_read(f.p.cout, hello, sizeof(hello));
	REQUIRE(n > 50);
	/* record(5) handshake(4) version(2) random(32) session id, cipher suites, compression */
	size_t at = 5 + 4 + 2 + 32;
	at += 1 + hello[at];
	at += 2 + ((size_t)hello[at] << 8 | hello[at + 1]);
	REQUIRE(at + 1 < (size_t)n && hello[at] == 1 && hello[at + 1] == 0);
	hello[at + 1] = 1; /* DEFLATE */
	pb_tls_feed(f.p.srv, hello, (size_t)n);
	CHECK_INT(pb_tls_state(f.p.srv), PB_TLS_FAILED);
	CHECK(strstr(pb_tls_reason(f.p.srv), "compression") != NULL);
	CHECK(pb_tls_pending_out(f.p.srv) > 0); /* the alert */
	fix_close(&f);
}

static void test_renegotiation_refused(void)
{
	struct fix f;
	char buf[64];

	REQUIRE(fix_open(&f, pb_test_tls_client_ctx(0, TLS1_2_VERSION, NULL), 16384));
	REQUIRE(pb_test_tls_handshake(&f.p));
	REQUIRE(SSL_renegotiate(f.p.cli) == 1);
	bool client_failed = false;
	int r = SSL_do_handshake(f.p.cli);
	for (int i = 0; i < 20 && !client_failed; i++) {
		pb_test_tls_pump(&f.p);
		pb_tls_read(f.p.srv, buf, sizeof(buf));
		pb_test_tls_pump(&f.p);
		r = SSL_read(f.p.cli, buf, sizeof(buf));
		client_failed = r <= 0 && SSL_get_error(f.p.cli, r) != SSL_ERROR_WANT_READ;
	}
	ERR_clear_error();
	/* the client's renegotiation never completed: still pending, or refused outright */
	CHECK(SSL_renegotiate_pending(f.p.cli) == 1 || client_failed);
	CHECK(pb_tls_state(f.p.srv) != PB_TLS_HANDSHAKING);
	fix_close(&f);
}

/* Not a ClientHello: FAILED with a reason, whatever the split. */
static void test_garbage(void)
{
	static const char *inputs[] = {
		"EHLO client.example\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"\x16\x03\x01\x00\x05\x01\x00\x00\x01\xff",
		"\x16\x03\x01\xff\xff",
	};
	dir_make();
	struct pb_tls_ctx *ctx = make_ctx("a", "mail.example.test");
	REQUIRE(ctx != NULL);
	for (size_t i = 0; i < PB_N_ELEMENTS(inputs); i++) {
		for (size_t chunk = 1; chunk <= 64; chunk *= 64) {
			struct pb_tls_conn *c = pb_tls_conn_create(ctx);
			const char *s = inputs[i];
			size_t len = i == 2 ? 10 : strlen(s);
			for (size_t at = 0; at < len; at += chunk)
				pb_tls_feed(c, s + at, len - at < chunk ? len - at : chunk);
			CHECK_INT(pb_tls_state(c), PB_TLS_FAILED);
			CHECK(pb_tls_reason(c)[0] != '\0');
			pb_tls_conn_destroy(&c);
		}
	}
	pb_tls_ctx_unref(&ctx);
	dir_remove();
}

/* Half a ClientHello and nothing more: still handshaking, closable, no leak. */
static void test_truncated_handshake(void)
{
	struct fix f;
	char hello[4096];

	REQUIRE(fix_open(&f, pb_test_tls_client_ctx(0, 0, NULL), 16384));
	SSL_do_handshake(f.p.cli);
	int n = BIO_read(f.p.cout, hello, sizeof(hello));
	REQUIRE(n > 10);
	CHECK_INT(pb_tls_feed(f.p.srv, hello, (size_t)n / 2), (size_t)n / 2);
	CHECK_INT(pb_tls_state(f.p.srv), PB_TLS_HANDSHAKING);
	CHECK_INT(pb_tls_pending_out(f.p.srv), 0);
	CHECK_INT(pb_tls_read(f.p.srv, hello, sizeof(hello)), 0);
	CHECK_INT(pb_tls_write(f.p.srv, "x", 1), 0);
	pb_tls_close(f.p.srv);
	CHECK_INT(pb_tls_state(f.p.srv), PB_TLS_CLOSED);
	fix_close(&f);
}

static void test_close_notify(void)
{
	struct fix f;
	char buf[64];

	REQUIRE(fix_open(&f, pb_test_tls_client_ctx(0, 0, NULL), 16384));
	/* the server closes: the client reads the end of the stream */
	REQUIRE(pb_test_tls_handshake(&f.p));
	pb_tls_close(f.p.srv);
	CHECK_INT(pb_tls_state(f.p.srv), PB_TLS_CLOSED);
	CHECK(pb_tls_pending_out(f.p.srv) > 0);
	CHECK_INT(pb_tls_write(f.p.srv, "x", 1), 0);
	pb_test_tls_pump(&f.p);
	int r = SSL_read(f.p.cli, buf, sizeof(buf));
	CHECK(r == 0 && SSL_get_error(f.p.cli, r) == SSL_ERROR_ZERO_RETURN);
	pb_test_tls_pair_deinit(&f.p);
	/* client closes: the server reads end of stream and answers with its close_notify */
	pb_test_tls_pair_init(&f.p, f.cc, f.ctx, 1);
	REQUIRE(pb_test_tls_handshake(&f.p));
	CHECK_INT(SSL_shutdown(f.p.cli), 0);
	pb_test_tls_pump(&f.p);
	CHECK_INT(pb_tls_read(f.p.srv, buf, sizeof(buf)), 0);
	CHECK_INT(pb_tls_state(f.p.srv), PB_TLS_CLOSED);
	pb_test_tls_pump(&f.p);
	CHECK_INT(SSL_shutdown(f.p.cli), 1); /* the server's close_notify arrived */
	fix_close(&f);
}

/* A reload while a session is open: the session goes on with the old certificate, a new one
 * gets the new certificate; a failed reload keeps the current one and names the file. */
static void test_reload(void)
{
	dir_make();
	struct pb_tls_ctx *a = make_ctx("a", "old.example.test");
	struct pb_tls_ctx *b = make_ctx("b", "new.example.test");
	SSL_CTX *cc = pb_test_tls_client_ctx(0, 0, NULL);
	struct pb_test_tls_pair p1, p2;
	char cn[64], *error = NULL;

	REQUIRE(a != NULL && b != NULL);
	pb_tls_ctx_unref(&b); /* its files stay: the reload reads them */
	struct pb_tls_current *cur = pb_tls_current_create(a);
	struct pb_tls_ctx *got = pb_tls_current_get(cur);
	pb_test_tls_pair_init(&p1, cc, got, 16384);
	pb_tls_ctx_unref(&got);
	REQUIRE(pb_test_tls_handshake(&p1));
	char *bc = xasprintf("%s/b.crt", dir), *bk = xasprintf("%s/b.key", dir);
	CHECK_INT(pb_tls_current_reload(cur, bc, bk, &error), 0);
	got = pb_tls_current_get(cur);
	pb_test_tls_pair_init(&p2, cc, got, 16384);
	pb_tls_ctx_unref(&got);
	REQUIRE(pb_test_tls_handshake(&p2));
	CHECK_STR(peer_cn(p1.cli, cn, sizeof(cn)), "old.example.test");
	CHECK_STR(peer_cn(p2.cli, cn, sizeof(cn)), "new.example.test");
	exchange(&p1, 100000, 4096);
	exchange(&p2, 100000, 4096);
	/* a failed reload */
	CHECK_INT(pb_tls_current_reload(cur, "/nonexistent/c.pem", bk, &error), -1);
	CHECK(error != NULL && strstr(error, "/nonexistent/c.pem") != NULL);
	free(error);
	got = pb_tls_current_get(cur);
	CHECK_STR(pb_tls_ctx_subject(got), "new.example.test");
	pb_tls_ctx_unref(&got);
	pb_tls_current_destroy(&cur);
	CHECK(cur == NULL);
	exchange(&p1, 1000, 100); /* still alive with only the connections' references */
	pb_test_tls_pair_deinit(&p1);
	pb_test_tls_pair_deinit(&p2);
	free(bc);
	free(bk);
	SSL_CTX_free(cc);
	dir_remove();
}

static int file_mode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* The certificate in path, read back. */
static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f != NULL)
		fclose(f);
	return x;
}

/* pb_tls_ctx_for_config with these keys set (NULL: not set); the error goes to *error_r, or
 * is printed when error_r is NULL. */
static int for_config(const char *cert, const char *key, const char *data_dir, const char *host,
		      struct pb_tls_ctx **ctx_r, char **warning_r, char **error_r)
{
	struct pb_config cfg;
	char *error = NULL;

	pb_config_defaults(&cfg, 0);
	if ((cert != NULL && pb_config_set(&cfg, "tls_certificate", cert, &error) < 0) ||
	    (key != NULL && pb_config_set(&cfg, "tls_key", key, &error) < 0) ||
	    (host != NULL && pb_config_set(&cfg, "hostname", host, &error) < 0) ||
	    pb_config_set(&cfg, "data_dir", data_dir, &error) < 0)
		abort();
	int ret = pb_tls_ctx_for_config(&cfg, ctx_r, warning_r, &error);
	if (ret < 0 && error_r == NULL)
		fprintf(stderr, "  for_config: %s\n", error);
	if (error_r != NULL)
		*error_r = error;
	else
		free(error);
	pb_config_deinit(&cfg);
	return ret;
}

static void test_selfsigned(void)
{
	dir_make();
	char *cert = xasprintf("%s/cert.pem", dir), *key = xasprintf("%s/key.pem", dir);
	struct pb_tls_ctx *ctx = NULL;
	char *warning = NULL;

	CHECK_INT(for_config(NULL, NULL, dir, "mx.example.test", &ctx, &warning, NULL), 0);
	REQUIRE(ctx != NULL && warning != NULL);
	CHECK(strstr(warning, "self-signed certificate for mx.example.test") != NULL);
	CHECK(strstr(warning, "tls_certificate and tls_key") != NULL);
	CHECK_INT(file_mode(cert), 0600);
	CHECK_INT(file_mode(key), 0600);
	X509 *first = read_cert(cert);
	REQUIRE(first != NULL);
	CHECK_INT(X509_check_host(first, "mx.example.test", 0, 0, NULL), 1);
	CHECK_INT(X509_check_host(first, "other.example.test", 0, 0, NULL), 0);
	CHECK(EVP_PKEY_is_a(X509_get0_pubkey(first), "EC"));
	CHECK(X509_cmp_time(X509_get0_notAfter(first), &(time_t){ time(NULL) + 800L * 86400 }) > 0);
	CHECK_STR(pb_tls_ctx_subject(ctx), "mx.example.test");
	pb_tls_ctx_unref(&ctx);
	free(warning);
	/* the next start reuses it */
	CHECK_INT(for_config(NULL, NULL, dir, "mx.example.test", &ctx, &warning, NULL), 0);
	X509 *again = read_cert(cert);
	REQUIRE(again != NULL);
	CHECK_INT(X509_cmp(first, again), 0);
	pb_tls_ctx_unref(&ctx);
	free(warning);
	X509_free(again);
	/* another host name: a new certificate */
	CHECK_INT(for_config(NULL, NULL, dir, "mail2.example.test", &ctx, &warning, NULL), 0);
	again = read_cert(cert);
	CHECK(again != NULL && X509_cmp(first, again) != 0);
	CHECK_INT(X509_check_host(again, "mail2.example.test", 0, 0, NULL), 1);
	pb_tls_ctx_unref(&ctx);
	free(warning);
	X509_free(again);
	X509_free(first);
	/* the configured files win, without a warning */
	CHECK_INT(for_config(cert, key, "/nonexistent", NULL, &ctx, &warning, NULL), 0);
	CHECK(ctx != NULL && warning == NULL);
	pb_tls_ctx_unref(&ctx);
	/* no host given: gethostname() */
	char host[256];
	REQUIRE(gethostname(host, sizeof(host)) == 0);
	unlink(cert);
	CHECK_INT(for_config(NULL, NULL, dir, NULL, &ctx, &warning, NULL), 0);
	CHECK(warning != NULL && strstr(warning, host) != NULL);
	pb_tls_ctx_unref(&ctx);
	free(warning);
	free(cert);
	free(key);
	dir_remove();
}

/* What the status shows of a context: the names, expiry and fingerprint of its certificate,
 * self-signed, and generated only when it came from the data directory. */
static void test_cert_info(void)
{
	dir_make();
	char *cert = xasprintf("%s/cert.pem", dir), *key = xasprintf("%s/key.pem", dir);
	struct pb_tls_cert_info info;
	struct pb_tls_ctx *ctx = NULL;
	char *warning = NULL, want[96] = "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct tm tm;

	REQUIRE(for_config(NULL, NULL, dir, "mx.example.test", &ctx, &warning, NULL) == 0);
	pb_tls_ctx_info(ctx, &info);
	CHECK_STR(info.subject, "mx.example.test");
	CHECK_STR(info.issuer, "mx.example.test"); /* self-signed: its own issuer */
	CHECK_STR(info.names, "mx.example.test");
	CHECK(info.self_signed && info.generated);
	X509 *x = read_cert(cert);
	REQUIRE(x != NULL && X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32);
	for (unsigned int i = 0; i < n; i++)
		snprintf(want + 3 * i, sizeof(want) - 3 * i, i + 1 < n ? "%02X:" : "%02X", md[i]);
	CHECK_STR(info.sha256, want);
	REQUIRE(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1);
	CHECK_INT(info.not_after, (int64_t)timegm(&tm));
	CHECK(info.not_after > (int64_t)time(NULL) + 824L * 86400);
	pb_tls_ctx_unref(&ctx);
	free(warning);
	/* the same files configured: self-signed still, not generated */
	REQUIRE(for_config(cert, key, "/nonexistent", NULL, &ctx, &warning, NULL) == 0);
	pb_tls_ctx_info(ctx, &info);
	CHECK(info.self_signed && !info.generated);
	CHECK_STR(info.sha256, want);
	pb_tls_ctx_unref(&ctx);
	X509_free(x);
	free(cert);
	free(key);
	dir_remove();
}

/* ctx creation must fail with an error containing each of want[]. */
static void bad(const char *cert, const char *key, const char *want1, const char *want2)
{
	struct pb_tls_ctx *ctx = NULL;
	char *error = NULL;

	CHECK_INT(pb_tls_ctx_create(cert, key, &ctx, &error), -1);
	CHECK(ctx == NULL);
	REQUIRE(error != NULL);
	if (strstr(error, want1) == NULL || strstr(error, want2) == NULL)
		fprintf(stderr, "  error: %s (want %s, %s)\n", error, want1, want2);
	CHECK(strstr(error, want1) != NULL && strstr(error, want2) != NULL);
	free(error);
}

static void test_bad_files(void)
{
	dir_make();
	struct pb_tls_ctx *a = make_ctx("a", "a.example.test");
	struct pb_tls_ctx *b = make_ctx("b", "b.example.test");
	char *ac = xasprintf("%s/a.crt", dir), *ak = xasprintf("%s/a.key", dir);
	char *bk = xasprintf("%s/b.key", dir), *junk = xasprintf("%s/junk.pem", dir);
	char *missing = xasprintf("%s/missing.pem", dir);

	REQUIRE(a != NULL && b != NULL);
	bad(missing, ak, missing, "No such file");
	bad(ac, missing, missing, "No such file");
	bad(dir, ak, dir, "not a regular file");
	bad(ac, bk, bk, "does not match");
	FILE *f = fopen(junk, "w");
	REQUIRE(f != NULL);
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	chmod(junk, 0600);
	bad(junk, ak, junk, "certificate");
	bad(ac, junk, junk, "key");
	chmod(ak, 0644);
	bad(ac, ak, ak, "open to other users (mode 0644)");
	chmod(ak, 0640); /* group-readable is allowed (Debian's ssl-cert group) */
	struct pb_tls_ctx *ok = NULL;
	char *error = NULL;
	CHECK_INT(pb_tls_ctx_create(ac, ak, &ok, &error), 0);
	pb_tls_ctx_unref(&ok);
	if (geteuid() != 0) { /* root reads anything */
		chmod(ak, 0000);
		bad(ac, ak, ak, "Permission denied");
	}
	struct pb_tls_ctx *ctx = NULL;
	char *warning = NULL;
	CHECK_INT(for_config(ac, NULL, dir, NULL, &ctx, &warning, &error), -1);
	CHECK(error != NULL && strstr(error, "tls_certificate is set without tls_key") != NULL);
	free(error);
	CHECK_INT(for_config(NULL, ak, dir, NULL, &ctx, &warning, &error), -1);
	CHECK(error != NULL && strstr(error, "tls_key is set without tls_certificate") != NULL);
	free(error);
	CHECK_INT(pb_tls_selfsigned_write("bad host,DNS:evil", ac, ak, &error), -1);
	free(error);
	pb_tls_ctx_unref(&a);
	pb_tls_ctx_unref(&b);
	free(ac); free(ak); free(bk); free(junk); free(missing);
	dir_remove();
}

/* An error about a file named in the configuration file points at its line. */
static void test_config_lines(void)
{
	dir_make();
	struct pb_tls_ctx *a = make_ctx("a", "a.example.test");
	struct pb_tls_ctx *b = make_ctx("b", "b.example.test");
	char *conf = xasprintf("%s/pillarbox.conf", dir), *error = NULL, *warning = NULL;
	struct pb_tls_ctx *ctx = NULL;
	struct pb_config cfg;

	REQUIRE(a != NULL && b != NULL);
	FILE *f = fopen(conf, "w");
	REQUIRE(f != NULL);
	fprintf(f, "# test\ntls_certificate = %s/missing.crt\ntls_key = %s/a.key\n", dir, dir);
	fclose(f);
	pb_config_defaults(&cfg, 0);
	REQUIRE(pb_config_load(&cfg, conf, &error) == 0);
	CHECK_INT(pb_tls_ctx_for_config(&cfg, &ctx, &warning, &error), -1);
	char *want = xasprintf("%s:2: certificate %s/missing.crt: cannot read", conf, dir);
	CHECK(error != NULL && strncmp(error, want, strlen(want)) == 0);
	free(want);
	free(error);
	/* a key that does not match: the key's line */
	char *bk = xasprintf("%s/b.key", dir), *ac = xasprintf("%s/a.crt", dir);
	f = fopen(conf, "w");
	REQUIRE(f != NULL);
	fprintf(f, "tls_certificate = %s\n\n\ntls_key = %s\n", ac, bk);
	fclose(f);
	REQUIRE(pb_config_load(&cfg, conf, &error) == 0);
	CHECK_INT(pb_tls_ctx_for_config(&cfg, &ctx, &warning, &error), -1);
	want = xasprintf("%s:4: key %s does not match", conf, bk);
	CHECK(error != NULL && strncmp(error, want, strlen(want)) == 0);
	free(want);
	free(error);
	/* set on the command line: no line to name */
	CHECK_INT(pb_config_set(&cfg, "tls_key", bk, &error), 0);
	CHECK_INT(pb_tls_ctx_for_config(&cfg, &ctx, &warning, &error), -1);
	CHECK(error != NULL && strncmp(error, "key ", 4) == 0);
	free(error);
	pb_config_deinit(&cfg);
	pb_tls_ctx_unref(&a);
	pb_tls_ctx_unref(&b);
	free(conf);
	free(bk);
	free(ac);
	dir_remove();
}

static const struct pb_test_case cases[] = {
	{ "handshake_tls13", test_handshake_tls13 },
	{ "handshake_tls12", test_handshake_tls12 },
	{ "data_byte_at_a_time", test_data_byte_at_a_time },
	{ "data_big_chunks", test_data_big_chunks },
	{ "bounds", test_bounds },
	{ "old_versions_refused", test_old_versions_refused },
	{ "no_forward_secrecy_refused", test_no_forward_secrecy_refused },
	{ "compression_refused", test_compression_refused },
	{ "renegotiation_refused", test_renegotiation_refused },
	{ "garbage", test_garbage },
	{ "truncated_handshake", test_truncated_handshake },
	{ "close_notify", test_close_notify },
	{ "reload", test_reload },
	{ "selfsigned", test_selfsigned },
	{ "cert_info", test_cert_info },
	{ "bad_files", test_bad_files },
	{ "config_lines", test_config_lines },
};

PB_TEST_MAIN(cases)
