/*
 * pb-tls.c: the TLS server context (policy, certificate chain and key) and the current context
 * a reload swaps. OWNS each pb_tls_ctx (its SSL_CTX) and the pb_tls_current holder.
 * THREAD: any; a context is immutable once built (its reference count is atomic), the current
 * pointer is guarded by the holder's mutex.
 */
#include "pb-tls.h"
#include "pb-tls-private.h"

#include "pb-alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Mozilla's "intermediate" TLS 1.2 list (OpenSSL names): ephemeral key exchange only, AEAD
 * only. TLS 1.3's suites are all ephemeral; OpenSSL's default order is kept. */
#define PB_TLS12_CIPHERS                                                                       \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                           \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"
#define PB_TLS_GROUPS "X25519:P-256:P-384"

struct pb_tls_ctx {
	atomic_int refs;
	SSL_CTX *ssl_ctx;
	struct pb_tls_cert_info info;
};

struct pb_tls_current {
	pthread_mutex_t lock;
	struct pb_tls_ctx *ctx;
};

/* The first (root) queued OpenSSL error as words; the queue (per thread) is emptied. */
const char *pb_tls_openssl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r != NULL ? r : "unknown error";
}

/* The file must be a regular file this process can open; a key file must not be open to
 * others. 0, or -1 with *error_r allocated. */
static int check_file(const char *path, const char *what, bool secret, char **error_r)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		*error_r = xasprintf("%s %s: cannot read: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		*error_r = xasprintf("%s %s: not a regular file", what, path);
		return -1;
	}
	if (secret && (st.st_mode & S_IRWXO) != 0) {
		*error_r = xasprintf("%s %s: open to other users (mode %04o); chmod 600 or 640",
				     what, path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The protocol policy of every context (see pb-tls.h). OpenSSL 3 already refuses a
 * client-initiated renegotiation; SSL_OP_NO_RENEGOTIATION says so explicitly (test-tls checks
 * it with SSL_OP_ALLOW_CLIENT_RENEGOTIATION as the counter-case). */
static int apply_policy(SSL_CTX *sc)
{
	SSL_CTX_set_options(sc, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(sc, 0);
	SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(sc, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_min_proto_version(sc, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(sc, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(sc, PB_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(sc, PB_TLS_GROUPS) != 1 || SSL_CTX_set_dh_auto(sc, 1) != 1)
		return -1;
	return 0;
}

static int load_files(SSL_CTX *sc, const char *cert_file, const char *key_file, char **error_r)
{
	if (check_file(cert_file, "certificate", false, error_r) < 0 ||
	    check_file(key_file, "key", true, error_r) < 0)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(sc, cert_file) != 1) {
		*error_r = xasprintf("certificate %s: %s", cert_file, pb_tls_openssl_reason());
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(sc, key_file, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_error()) != X509_R_KEY_VALUES_MISMATCH) {
		*error_r = xasprintf("key %s: %s", key_file, pb_tls_openssl_reason());
		return -1;
	}
	if (SSL_CTX_check_private_key(sc) != 1) {
		ERR_clear_error();
		*error_r = xasprintf("key %s does not match the certificate %s", key_file,
				     cert_file);
		return -1;
	}
	return 0;
}

/* Printable ASCII only: a configured certificate's names reach the status and the log. */
static void copy_printable(char *dst, size_t size, const unsigned char *src, size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;

	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[n] = '\0';
}

/* The subjectAltName DNS names, space separated, as far as they fit. */
static void fill_names(X509 *leaf, char *out, size_t size)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	size_t used = 0;
	char one[254];

	out[0] = '\0';
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS)
			continue;
		copy_printable(one, sizeof(one), ASN1_STRING_get0_data(g->d.dNSName),
			       (size_t)ASN1_STRING_length(g->d.dNSName));
		int n = snprintf(out + used, size - used, "%s%s", used > 0 ? " " : "", one);
		if (n < 0 || (size_t)n >= size - used)
			break; /* what fitted stays, cut at a name */
		used += (size_t)n;
	}
	out[used] = '\0';
	GENERAL_NAMES_free(gens);
}

/* The leaf's SHA-256 fingerprint as "AB:CD:...". */
static void fill_fingerprint(X509 *leaf, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (X509_digest(leaf, EVP_sha256(), md, &n) != 1)
		return;
	for (unsigned int i = 0; i < n && 3 * i + 3 <= size; i++)
		snprintf(out + 3 * i, size - 3 * i, i + 1 < n ? "%02X:" : "%02X", md[i]);
}

static void fill_info(struct pb_tls_ctx *ctx)
{
	X509 *leaf = SSL_CTX_get0_certificate(ctx->ssl_ctx);
	X509_NAME *name = leaf != NULL ? X509_get_subject_name(leaf) : NULL;
	struct pb_tls_cert_info *info = &ctx->info;
	char cn[128];
	struct tm tm;

	if (name != NULL && X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof(cn)) >= 0)
		copy_printable(info->subject, sizeof(info->subject), (unsigned char *)cn, strlen(cn));
	if (leaf == NULL)
		return;
	name = X509_get_issuer_name(leaf);
	if (name != NULL && X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof(cn)) >= 0)
		copy_printable(info->issuer, sizeof(info->issuer), (unsigned char *)cn, strlen(cn));
	fill_names(leaf, info->names, sizeof(info->names));
	fill_fingerprint(leaf, info->sha256, sizeof(info->sha256));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) == 1)
		info->not_after = (int64_t)timegm(&tm);
	info->self_signed = X509_self_signed(leaf, 0) == 1;
	ERR_clear_error();
}

int pb_tls_ctx_create(const char *cert_file, const char *key_file, struct pb_tls_ctx **ctx_r,
		      char **error_r)
{
	SSL_CTX *sc = SSL_CTX_new(TLS_server_method());

	*ctx_r = NULL;
	if (sc == NULL || apply_policy(sc) < 0) {
		*error_r = xasprintf("TLS context: %s", pb_tls_openssl_reason());
		SSL_CTX_free(sc);
		return -1;
	}
	if (load_files(sc, cert_file, key_file, error_r) < 0) {
		SSL_CTX_free(sc);
		return -1;
	}
	struct pb_tls_ctx *ctx = xcalloc(1, sizeof(*ctx));
	atomic_init(&ctx->refs, 1);
	ctx->ssl_ctx = sc;
	fill_info(ctx);
	*ctx_r = ctx;
	return 0;
}

int pb_tls_client_ctx_create(const char *ca_file, bool verify, struct pb_tls_ctx **ctx_r,
			     char **error_r)
{
	SSL_CTX *sc = SSL_CTX_new(TLS_client_method());

	*ctx_r = NULL;
	if (sc == NULL || apply_policy(sc) < 0) {
		*error_r = xasprintf("TLS client context: %s", pb_tls_openssl_reason());
		SSL_CTX_free(sc);
		return -1;
	}
	SSL_CTX_set_verify(sc, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	int loaded = ca_file != NULL && ca_file[0] != '\0'
			     ? SSL_CTX_load_verify_locations(sc, ca_file, NULL)
			     : SSL_CTX_set_default_verify_paths(sc);
	if (verify && loaded != 1) {
		*error_r = xasprintf("CA file %s: %s", ca_file != NULL && ca_file[0] != '\0'
							  ? ca_file : "(system)", pb_tls_openssl_reason());
		SSL_CTX_free(sc);
		return -1;
	}
	ERR_clear_error();
	struct pb_tls_ctx *ctx = xcalloc(1, sizeof(*ctx));
	atomic_init(&ctx->refs, 1);
	ctx->ssl_ctx = sc;
	*ctx_r = ctx;
	return 0;
}

struct pb_tls_ctx *pb_tls_ctx_ref(struct pb_tls_ctx *ctx)
{
	atomic_fetch_add(&ctx->refs, 1);
	return ctx;
}

void pb_tls_ctx_unref(struct pb_tls_ctx **ctxp)
{
	struct pb_tls_ctx *ctx = *ctxp;

	*ctxp = NULL;
	if (ctx == NULL || atomic_fetch_sub(&ctx->refs, 1) != 1)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

const char *pb_tls_ctx_subject(const struct pb_tls_ctx *ctx)
{
	return ctx->info.subject;
}

void pb_tls_ctx_info(const struct pb_tls_ctx *ctx, struct pb_tls_cert_info *info_r)
{
	*info_r = ctx->info;
}

void pb_tls_ctx_mark_generated(struct pb_tls_ctx *ctx)
{
	ctx->info.generated = true;
}

SSL_CTX *pb_tls_ctx_ssl(const struct pb_tls_ctx *ctx)
{
	return ctx->ssl_ctx;
}

struct pb_tls_current *pb_tls_current_create(struct pb_tls_ctx *ctx)
{
	struct pb_tls_current *cur = xcalloc(1, sizeof(*cur));

	pthread_mutex_init(&cur->lock, NULL);
	cur->ctx = ctx;
	return cur;
}

void pb_tls_current_destroy(struct pb_tls_current **curp)
{
	struct pb_tls_current *cur = *curp;

	*curp = NULL;
	if (cur == NULL)
		return;
	pb_tls_ctx_unref(&cur->ctx);
	pthread_mutex_destroy(&cur->lock);
	free(cur);
}

struct pb_tls_ctx *pb_tls_current_get(struct pb_tls_current *cur)
{
	pthread_mutex_lock(&cur->lock);
	struct pb_tls_ctx *ctx = pb_tls_ctx_ref(cur->ctx);
	pthread_mutex_unlock(&cur->lock);
	return ctx;
}

void pb_tls_current_set(struct pb_tls_current *cur, struct pb_tls_ctx *ctx)
{
	pthread_mutex_lock(&cur->lock);
	struct pb_tls_ctx *old = cur->ctx;
	cur->ctx = ctx;
	pthread_mutex_unlock(&cur->lock);
	pb_tls_ctx_unref(&old);
}

int pb_tls_current_reload(struct pb_tls_current *cur, const char *cert_file,
			  const char *key_file, char **error_r)
{
	struct pb_tls_ctx *ctx;

	if (pb_tls_ctx_create(cert_file, key_file, &ctx, error_r) < 0)
		return -1;
	pb_tls_current_set(cur, ctx);
	return 0;
}
