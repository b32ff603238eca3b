/*
 * sasl-scram-creds.c: SCRAM-SHA-256 credentials — derivation (PBKDF2, HMAC and SHA-256 from
 * OpenSSL), the text form, fake credentials. Part of pb_sasl (see sasl-scram-creds.h).
 * OWNS nothing. THREAD: any.
 */
#include "sasl-private.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define CREDS_PREFIX "SCRAM-SHA-256$"

bool sasl_scram_password_ok(const char *password)
{
	size_t len = strlen(password);

	if (len == 0 || len > SASL_FIELD_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)password[i] < 0x20 || (unsigned char)password[i] > 0x7e)
			return false;
	return true;
}

/* out = HMAC-SHA-256(key, data). Returns 0 / -1. */
static int hmac(const unsigned char *key, size_t key_len, const void *data, size_t len,
		unsigned char out[SASL_SCRAM_KEY_LEN])
{
	unsigned int n = 0;

	return HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) != NULL &&
			       n == SASL_SCRAM_KEY_LEN
		       ? 0
		       : -1;
}

/* StoredKey and ServerKey from SaltedPassword (RFC 5802 §3). Returns 0 / -1. */
static int keys_from_salted(const unsigned char *salted, struct sasl_scram_creds *c)
{
	unsigned char client_key[SASL_SCRAM_KEY_LEN];
	unsigned int n = 0;
	int rc = -1;

	if (hmac(salted, SASL_SCRAM_KEY_LEN, "Client Key", 10, client_key) == 0 &&
	    EVP_Digest(client_key, sizeof(client_key), c->stored_key, &n, EVP_sha256(), NULL) &&
	    n == SASL_SCRAM_KEY_LEN &&
	    hmac(salted, SASL_SCRAM_KEY_LEN, "Server Key", 10, c->server_key) == 0)
		rc = 0;
	explicit_bzero(client_key, sizeof(client_key));
	return rc;
}

int sasl_scram_creds_derive(const char *password, const unsigned char *salt, size_t salt_len,
			    uint32_t iterations, struct sasl_scram_creds *creds_r,
			    const char **error_r)
{
	unsigned char salted[SASL_SCRAM_KEY_LEN];

	memset(creds_r, 0, sizeof(*creds_r));
	if (!sasl_scram_password_ok(password)) {
		*error_r = "the password is not printable ASCII (SASLprep is not applied)";
		return -1;
	}
	if (salt_len == 0 || salt_len > SASL_SCRAM_SALT_MAX || iterations < SASL_SCRAM_ITER_MIN ||
	    iterations > SASL_SCRAM_ITER_MAX) {
		*error_r = "SCRAM salt or iteration count out of range";
		return -1;
	}
	creds_r->iterations = iterations;
	creds_r->salt_len = salt_len;
	memcpy(creds_r->salt, salt, salt_len);
	int ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len,
				   (int)iterations, EVP_sha256(), sizeof(salted), salted) &&
		 keys_from_salted(salted, creds_r) == 0;
	explicit_bzero(salted, sizeof(salted));
	if (!ok) {
		*error_r = "OpenSSL failed to derive the SCRAM keys";
		return -1;
	}
	return 0;
}

char *sasl_scram_creds_new(const char *password, const char **error_r)
{
	unsigned char salt[SASL_SCRAM_SALT_LEN];
	struct sasl_scram_creds c;

	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		*error_r = "no random bytes for a SCRAM salt";
		return NULL;
	}
	if (sasl_scram_creds_derive(password, salt, sizeof(salt), SASL_SCRAM_ITER_DEFAULT, &c,
				    error_r) < 0)
		return NULL;
	char *text = sasl_scram_creds_format(&c);
	explicit_bzero(&c, sizeof(c));
	return text;
}

/* out = HMAC(secret, label NUL lowercased-name). */
static void fake_part(const unsigned char *secret, size_t secret_len, const char *label,
		      const char *name, unsigned char out[SASL_SCRAM_KEY_LEN])
{
	struct pb_buf b;

	pb_buf_init(&b);
	pb_buf_append(&b, label, strlen(label) + 1);
	for (const char *p = name; *p != '\0'; p++)
		pb_buf_append_c(&b, (char)tolower((unsigned char)*p));
	if (hmac(secret, secret_len, b.data, b.len, out) < 0)
		memset(out, 0, SASL_SCRAM_KEY_LEN); /* never: HMAC-SHA-256 of memory cannot fail */
	pb_buf_deinit(&b);
}

char *sasl_scram_creds_fake(const unsigned char *secret, size_t secret_len, const char *name)
{
	struct sasl_scram_creds c;
	unsigned char salt[SASL_SCRAM_KEY_LEN];

	memset(&c, 0, sizeof(c));
	c.iterations = SASL_SCRAM_ITER_DEFAULT;
	c.salt_len = SASL_SCRAM_SALT_LEN;
	fake_part(secret, secret_len, "salt", name, salt);
	memcpy(c.salt, salt, SASL_SCRAM_SALT_LEN);
	fake_part(secret, secret_len, "stored-key", name, c.stored_key);
	fake_part(secret, secret_len, "server-key", name, c.server_key);
	char *text = sasl_scram_creds_format(&c);
	explicit_bzero(&c, sizeof(c));
	return text;
}

char *sasl_scram_creds_format(const struct sasl_scram_creds *c)
{
	char *salt = sasl_base64_encode(c->salt, c->salt_len);
	char *stored = sasl_base64_encode(c->stored_key, SASL_SCRAM_KEY_LEN);
	char *server = sasl_base64_encode(c->server_key, SASL_SCRAM_KEY_LEN);
	char *text = xasprintf(CREDS_PREFIX "%u:%s$%s:%s", c->iterations, salt, stored, server);

	free(salt);
	free(stored);
	free(server);
	return text;
}

/* Decodes base64 text[0..len) into out: exactly want bytes (want 0: 1..max). Returns 0 / -1. */
static int decode_part(const char *text, size_t len, unsigned char *out, size_t want, size_t max,
		       size_t *len_r)
{
	char *part = xstrndup(text, len);
	struct pb_buf b;

	pb_buf_init(&b);
	int rc = sasl_base64_decode(part, max, &b);
	if (rc == 0 && (want != 0 ? b.len != want : b.len == 0))
		rc = -1;
	if (rc == 0) {
		memcpy(out, b.data, b.len);
		*len_r = b.len;
	}
	free(part);
	pb_buf_deinit(&b);
	return rc;
}

int sasl_scram_creds_parse(const char *text, struct sasl_scram_creds *c_r, const char **error_r)
{
	const char *p = text + strlen(CREDS_PREFIX);
	char *end;
	size_t n;

	memset(c_r, 0, sizeof(*c_r));
	*error_r = "malformed SCRAM credentials";
	if (strncmp(text, CREDS_PREFIX, strlen(CREDS_PREFIX)) != 0 || !isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	unsigned long iter = strtoul(p, &end, 10);
	const char *dollar = *end == ':' ? strchr(end, '$') : NULL;
	const char *colon = dollar != NULL ? strchr(dollar, ':') : NULL;
	if (errno != 0 || colon == NULL || iter < SASL_SCRAM_ITER_MIN || iter > SASL_SCRAM_ITER_MAX)
		return -1;
	c_r->iterations = (uint32_t)iter;
	if (decode_part(end + 1, (size_t)(dollar - end - 1), c_r->salt, 0, SASL_SCRAM_SALT_MAX,
			&c_r->salt_len) < 0 ||
	    decode_part(dollar + 1, (size_t)(colon - dollar - 1), c_r->stored_key,
			SASL_SCRAM_KEY_LEN, SASL_SCRAM_KEY_LEN, &n) < 0 ||
	    decode_part(colon + 1, strlen(colon + 1), c_r->server_key, SASL_SCRAM_KEY_LEN,
			SASL_SCRAM_KEY_LEN, &n) < 0) {
		memset(c_r, 0, sizeof(*c_r));
		return -1;
	}
	return 0;
}
