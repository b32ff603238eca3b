/*
 * pb-tls-cert.c: the certificate a daemon starts with — the configured files, or a self-signed
 * certificate for the host generated into the data directory at first start and reused later
 * (regenerated when it has expired or names another host).
 *
 * Why EC P-256 and 825 days: an ECDSA P-256 handshake costs a fraction of an RSA 2048 one
 * (bench/RESULTS.md) and every current mail client speaks it; 825 days is the longest
 * validity Apple's clients accept for a TLS server certificate, and a self-signed certificate
 * is one users accept by hand, so it should not change often.
 * OWNS nothing beyond each call. THREAD: start-up and reload (any one thread at a time).
 */
#include "pb-tls.h"
#include "pb-tls-private.h"

#include "pb-alloc.h"
#include "pb-config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A host name a certificate can carry: 1-253 of letters, digits, '-', '.', '_'. */
static bool host_valid(const char *host)
{
	size_t n = strlen(host);

	if (n == 0 || n > 253)
		return false;
	return strspn(host, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") == n;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int set_serial(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	raw[0] &= 0x7f; /* positive */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

/* Fills a new certificate for host signed by pkey. 0 or -1 (OpenSSL's error queue says why). */
static int fill_cert(X509 *x, EVP_PKEY *pkey, const char *host)
{
	char san[300];
	X509_NAME *name = X509_get_subject_name(x);

	snprintf(san, sizeof(san), "DNS:%s", host);
	if (X509_set_version(x, X509_VERSION_3) != 1 || set_serial(x) < 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)PB_TLS_SELF_DAYS * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host, -1,
				       -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, pkey) != 1)
		return -1;
	if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
	    add_ext(x, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, NID_subject_alt_name, san) < 0)
		return -1;
	return X509_sign(x, pkey, EVP_sha256()) > 0 ? 0 : -1;
}

/* Writes path.tmp with mode 0600 through write_pem, syncs it and renames it to path. */
static int write_pem_file(const char *path, int (*write_pem)(FILE *, void *), void *obj,
			  char **error_r)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd, ok = 0;
	FILE *f;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f != NULL) {
		ok = write_pem(f, obj) == 1 && fflush(f) == 0 && fsync(fd) == 0;
		ok = fclose(f) == 0 && ok;
	} else if (fd >= 0) {
		close(fd);
	}
	if (ok && rename(tmp, path) == 0) {
		free(tmp);
		return 0;
	}
	*error_r = xasprintf("cannot write %s: %s", path, errno != 0 ? strerror(errno) : "?");
	unlink(tmp);
	free(tmp);
	return -1;
}

static int write_key(FILE *f, void *pkey)
{
	return PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
}

static int write_cert(FILE *f, void *x)
{
	return PEM_write_X509(f, x);
}

int pb_tls_selfsigned_write(const char *host, const char *cert_path, const char *key_path,
			    char **error_r)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	int ret = -1;

	errno = 0;
	if (!host_valid(host))
		*error_r = xasprintf("host name '%s' cannot name a certificate", host);
	else if (pkey == NULL || x == NULL || fill_cert(x, pkey, host) < 0)
		*error_r = xasprintf("self-signed certificate: %s", pb_tls_openssl_reason());
	else if (write_pem_file(key_path, write_key, pkey, error_r) == 0 &&
		 write_pem_file(cert_path, write_cert, x, error_r) == 0)
		ret = 0;
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ret;
}

/* True when cert_path holds a certificate for host that has not expired. */
static bool selfsigned_usable(const char *cert_path, const char *host)
{
	FILE *f = fopen(cert_path, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	bool ok = x != NULL && X509_cmp_current_time(X509_get0_notAfter(x)) > 0 &&
		  X509_check_host(x, host, 0, 0, NULL) == 1;

	if (f != NULL)
		fclose(f);
	X509_free(x);
	ERR_clear_error();
	return ok;
}

static int selfsigned_ctx(const char *data_dir, const char *host, struct pb_tls_ctx **ctx_r,
			  char **warning_r, char **error_r)
{
	char *cert = xasprintf("%s/cert.pem", data_dir), *key = xasprintf("%s/key.pem", data_dir);
	int ret = 0;

	if (access(key, F_OK) != 0 || !selfsigned_usable(cert, host))
		ret = pb_tls_selfsigned_write(host, cert, key, error_r);
	if (ret == 0)
		ret = pb_tls_ctx_create(cert, key, ctx_r, error_r);
	if (ret == 0) {
		pb_tls_ctx_mark_generated(*ctx_r);
		*warning_r = xasprintf("using a self-signed certificate for %s generated in %s: "
				       "mail clients will warn about it or refuse it; set "
				       "tls_certificate and tls_key in the bootstrap file",
				       host, cert);
	}
	free(cert);
	free(key);
	return ret;
}

/* The configured files (error without "PATH:LINE: "), or the self-signed certificate. */
static int ctx_for(const struct pb_config *cfg, struct pb_tls_ctx **ctx_r, char **warning_r,
		   char **error_r)
{
	const char *host = cfg->hostname;
	char name[256];

	if (cfg->tls_certificate != NULL && cfg->tls_key != NULL)
		return pb_tls_ctx_create(cfg->tls_certificate, cfg->tls_key, ctx_r, error_r);
	if (cfg->tls_certificate != NULL || cfg->tls_key != NULL) {
		*error_r = xstrdup(cfg->tls_certificate != NULL
					   ? "tls_certificate is set without tls_key"
					   : "tls_key is set without tls_certificate");
		return -1;
	}
	if (host == NULL) {
		if (gethostname(name, sizeof(name)) < 0) {
			*error_r = xasprintf("gethostname: %s", strerror(errno));
			return -1;
		}
		name[sizeof(name) - 1] = '\0';
		host = name;
	}
	return selfsigned_ctx(cfg->data_dir, host, ctx_r, warning_r, error_r);
}

/* error prefixed with the line of the file it names (the key first: a mismatch names both),
 * or of the one key set when it names no file. */
static char *error_at(const struct pb_config *cfg, const char *error)
{
	const char *at;

	if (cfg->tls_key != NULL && strstr(error, cfg->tls_key) != NULL)
		at = cfg->tls_key_at;
	else if (cfg->tls_certificate != NULL && strstr(error, cfg->tls_certificate) != NULL)
		at = cfg->tls_certificate_at;
	else
		at = cfg->tls_certificate_at != NULL ? cfg->tls_certificate_at : cfg->tls_key_at;
	return at != NULL ? xasprintf("%s: %s", at, error) : xstrdup(error);
}

int pb_tls_ctx_for_config(const struct pb_config *cfg, struct pb_tls_ctx **ctx_r,
			  char **warning_r, char **error_r)
{
	char *error = NULL;

	*ctx_r = NULL;
	*warning_r = NULL;
	if (ctx_for(cfg, ctx_r, warning_r, &error) == 0)
		return 0;
	*error_r = error_at(cfg, error);
	free(error);
	return -1;
}
