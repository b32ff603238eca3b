/*
 * sasl-scram.c: SCRAM-SHA-256, server side (RFC 5802 §5, §7; RFC 7677). No channel binding:
 * we never advertise SCRAM-SHA-256-PLUS, so a client's "p=" is refused and "y" (the client
 * could bind but thinks we cannot) is accepted (RFC 5802 §6). An authzid other than the user
 * name is refused (no proxy authentication); a mandatory extension ("m=") is refused.
 * The server never sees the password: the proof is checked against StoredKey, and ServerKey
 * signs the answer. Part of pb_sasl. OWNS: the SCRAM part of struct sasl_server.
 * THREAD: one exchange, one thread at a time.
 */
#include "sasl-private.h"

#include "mime-charset.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define SCRAM_SERVER_NONCE_BYTES 24
#define SCRAM_NONCE_MAX 512

static void wipe_free(char **p)
{
	if (*p != NULL) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

void sasl_scram_clear(struct sasl_server *s)
{
	wipe_free(&s->gs2_header);
	wipe_free(&s->client_first_bare);
	wipe_free(&s->nonce);
	wipe_free(&s->server_first);
	explicit_bzero(&s->creds, sizeof(s->creds));
}

/* If *p (before end) starts with "<name>=", sets the value span (up to ',' or end), moves *p
 * past it and returns true. */
static bool attr(const char **p, const char *end, char name, const char **val_r, size_t *len_r)
{
	const char *q = *p;

	if (end - q < 2 || q[0] != name || q[1] != '=')
		return false;
	q += 2;
	const char *comma = memchr(q, ',', (size_t)(end - q));
	*val_r = q;
	*len_r = (size_t)((comma != NULL ? comma : end) - q);
	*p = q + *len_r;
	return true;
}

/* Skips one ',' at *p. Returns false if there is none. */
static bool comma(const char **p, const char *end)
{
	if (*p >= end || **p != ',')
		return false;
	(*p)++;
	return true;
}

/* Decodes a saslname ("=2C" is ',', "=3D" is '='; any other '=' is an error) into a newly
 * allocated string. Returns NULL if malformed, empty, too long, not UTF-8 or with a NUL. */
static char *saslname(const char *v, size_t len)
{
	struct pb_buf b;

	pb_buf_init(&b);
	pb_buf_reserve(&b, len + 1);
	for (size_t i = 0; i < len; i++) {
		if (v[i] != '=') {
			pb_buf_append_c(&b, v[i]);
		} else if (len - i >= 3 &&
			   (memcmp(v + i, "=2C", 3) == 0 || memcmp(v + i, "=3D", 3) == 0)) {
			pb_buf_append_c(&b, v[i + 1] == '2' ? ',' : '=');
			i += 2;
		} else {
			pb_buf_deinit(&b);
			return NULL;
		}
	}
	if (b.len == 0 || b.len > SASL_FIELD_MAX || memchr(b.data, '\0', b.len) != NULL ||
	    !mime_utf8_is_valid(b.data, b.len)) {
		pb_buf_deinit(&b);
		return NULL;
	}
	return pb_buf_steal(&b, NULL);
}

/* True if v is a nonce: 1..SCRAM_NONCE_MAX printable characters other than ','. */
static bool nonce_ok(const char *v, size_t len)
{
	if (len == 0 || len > SCRAM_NONCE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x21 || v[i] > 0x7e || v[i] == ',')
			return false;
	return true;
}

/* gs2-header: ("n" / "y") "," ["a=" saslname] ",". Sets *authzid_r (NULL if none, else
 * allocated) and moves *p past it. Returns NULL or the reason it is refused. */
static const char *gs2_header(const char **p, const char *end, char **authzid_r)
{
	const char *v;
	size_t len;

	*authzid_r = NULL;
	if (end - *p >= 2 && (*p)[0] == 'p' && (*p)[1] == '=')
		return "SCRAM: channel binding requested (no -PLUS here)";
	if (end - *p < 2 || ((*p)[0] != 'n' && (*p)[0] != 'y') || (*p)[1] != ',')
		return "SCRAM: malformed gs2 header";
	*p += 2;
	if (attr(p, end, 'a', &v, &len) && (*authzid_r = saslname(v, len)) == NULL)
		return "SCRAM: malformed authzid";
	if (!comma(p, end))
		return "SCRAM: malformed gs2 header";
	return NULL;
}

/* client-first-message-bare: ["m=" ...] "n=" saslname "," "r=" nonce ["," extensions]. Sets
 * s->authcid and s->nonce (the client's part). Returns NULL or the reason it is refused. */
static const char *client_first_bare(struct sasl_server *s, const char *p, const char *end)
{
	const char *v;
	size_t len;

	if (end - p >= 2 && p[0] == 'm' && p[1] == '=')
		return "SCRAM: unsupported mandatory extension";
	if (!attr(&p, end, 'n', &v, &len))
		return "SCRAM: no user name";
	char *user = saslname(v, len);
	if (user == NULL)
		return "SCRAM: malformed user name";
	sasl_set(&s->authcid, user, strlen(user));
	free(user);
	if (!comma(&p, end) || !attr(&p, end, 'r', &v, &len) || !nonce_ok(v, len))
		return "SCRAM: malformed client nonce";
	if (p != end && *p != ',')
		return "SCRAM: malformed client-first message";
	sasl_set(&s->nonce, v, len);
	return NULL;
}

enum sasl_result sasl_scram_client_first(struct sasl_server *s, const struct pb_buf *msg,
					 const char **out_r, const char **error_r)
{
	const char *p = msg->data, *end = msg->data + msg->len;
	char *authzid = NULL;

	if (msg->len == 0 || msg->len > SASL_SCRAM_MSG_MAX || memchr(p, '\0', msg->len) != NULL)
		return sasl_end(s, SASL_REFUSED, "SCRAM: empty, overlong or NUL in client-first",
				error_r);
	const char *why = gs2_header(&p, end, &authzid);
	if (why == NULL) {
		sasl_set(&s->gs2_header, msg->data, (size_t)(p - msg->data));
		sasl_set(&s->client_first_bare, p, (size_t)(end - p));
		why = client_first_bare(s, p, end);
	}
	if (why == NULL && authzid != NULL && strcmp(authzid, s->authcid) != 0)
		why = "SCRAM: authzid other than the user (no proxy)";
	free(authzid);
	if (why != NULL)
		return sasl_end(s, SASL_REFUSED, why, error_r);
	s->state = SASL_ST_SCRAM_CREDS;
	return SASL_NEED_CREDENTIALS;
}

/* Appends the server's part of the nonce: the fixed one, or 24 random bytes in base64. */
static int server_nonce(struct sasl_server *s, struct pb_buf *nonce)
{
	unsigned char rnd[SCRAM_SERVER_NONCE_BYTES];

	if (s->fixed_nonce != NULL) {
		pb_buf_append_str(nonce, s->fixed_nonce);
		return 0;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	char *text = sasl_base64_encode(rnd, sizeof(rnd));
	pb_buf_append_str(nonce, text);
	free(text);
	return 0;
}

enum sasl_result sasl_scram_server_first(struct sasl_server *s, const char *creds,
					 const char **out_r, const char **error_r)
{
	struct pb_buf nonce;
	const char *error;

	if (sasl_scram_creds_parse(creds, &s->creds, &error) < 0)
		return sasl_end(s, SASL_TEMPFAIL, "SCRAM: unreadable credentials", error_r);
	pb_buf_init(&nonce);
	pb_buf_append_str(&nonce, s->nonce);
	if (server_nonce(s, &nonce) < 0) {
		pb_buf_deinit(&nonce);
		return sasl_end(s, SASL_TEMPFAIL, "SCRAM: no random bytes for a nonce", error_r);
	}
	char *salt = sasl_base64_encode(s->creds.salt, s->creds.salt_len);
	wipe_free(&s->server_first);
	s->server_first = xasprintf("r=%s,s=%s,i=%u", nonce.data, salt, s->creds.iterations);
	sasl_set(&s->nonce, nonce.data, nonce.len);
	free(salt);
	pb_buf_deinit(&nonce);
	s->state = SASL_ST_SCRAM_FINAL;
	return sasl_challenge(s, s->server_first, strlen(s->server_first), out_r);
}

/* client-final-message-without-proof: "c=" base64(gs2-header) "," "r=" nonce ["," ext].
 * Returns NULL or the reason it is refused. */
static const char *client_final_head(const struct sasl_server *s, const char *p, const char *end)
{
	const char *v;
	size_t len;

	char *cb = sasl_base64_encode(s->gs2_header, strlen(s->gs2_header));
	bool cb_ok = attr(&p, end, 'c', &v, &len) && len == strlen(cb) && memcmp(v, cb, len) == 0;
	free(cb);
	if (!cb_ok)
		return "SCRAM: channel binding data does not match the gs2 header";
	if (!comma(&p, end) || !attr(&p, end, 'r', &v, &len))
		return "SCRAM: malformed client-final message";
	if (len != strlen(s->nonce) || CRYPTO_memcmp(v, s->nonce, len) != 0)
		return "SCRAM: nonce mismatch";
	if (p != end && *p != ',')
		return "SCRAM: malformed client-final message";
	return NULL;
}

/* Checks proof for auth_message; on success fills signature_r with the ServerSignature. */
static bool proof_ok(const struct sasl_scram_creds *c, const char *auth_message,
		     const unsigned char *proof, unsigned char signature_r[SASL_SCRAM_KEY_LEN])
{
	unsigned char sig[SASL_SCRAM_KEY_LEN], key[SASL_SCRAM_KEY_LEN], h[SASL_SCRAM_KEY_LEN];
	unsigned int n = 0, m = 0, k = 0;
	size_t len = strlen(auth_message);
	bool ok = HMAC(EVP_sha256(), c->stored_key, SASL_SCRAM_KEY_LEN, (const void *)auth_message,
		       len, sig, &n) != NULL && n == SASL_SCRAM_KEY_LEN;

	for (size_t i = 0; i < SASL_SCRAM_KEY_LEN; i++)
		key[i] = proof[i] ^ sig[i];
	ok = ok && EVP_Digest(key, sizeof(key), h, &m, EVP_sha256(), NULL) &&
	     m == SASL_SCRAM_KEY_LEN && CRYPTO_memcmp(h, c->stored_key, sizeof(h)) == 0;
	ok = ok && HMAC(EVP_sha256(), c->server_key, SASL_SCRAM_KEY_LEN,
			(const void *)auth_message, len, signature_r, &k) != NULL &&
	     k == SASL_SCRAM_KEY_LEN;
	explicit_bzero(sig, sizeof(sig));
	explicit_bzero(key, sizeof(key));
	return ok;
}

/* Splits client-final at its last attribute, which must be "p=" with a 32-byte proof. Returns
 * the length of the part before it, or 0 if there is no such proof. */
static size_t split_proof(const struct pb_buf *msg, unsigned char proof_r[SASL_SCRAM_KEY_LEN])
{
	const char *last = memrchr(msg->data, ',', msg->len);
	struct pb_buf b;
	size_t head = 0;

	if (last == NULL || strncmp(last + 1, "p=", 2) != 0)
		return 0;
	pb_buf_init(&b);
	if (sasl_base64_decode(last + 3, SASL_SCRAM_KEY_LEN, &b) == 0 &&
	    b.len == SASL_SCRAM_KEY_LEN) {
		memcpy(proof_r, b.data, SASL_SCRAM_KEY_LEN);
		head = (size_t)(last - msg->data);
	}
	pb_buf_deinit(&b);
	return head;
}

enum sasl_result sasl_scram_client_final(struct sasl_server *s, const struct pb_buf *msg,
					 const char **out_r, const char **error_r)
{
	unsigned char proof[SASL_SCRAM_KEY_LEN], signature[SASL_SCRAM_KEY_LEN];

	if (msg->len == 0 || msg->len > SASL_SCRAM_MSG_MAX || memchr(msg->data, '\0', msg->len))
		return sasl_end(s, SASL_REFUSED, "SCRAM: empty, overlong or NUL in client-final",
				error_r);
	size_t head = split_proof(msg, proof);
	if (head == 0)
		return sasl_end(s, SASL_REFUSED, "SCRAM: no client proof", error_r);
	const char *why = client_final_head(s, msg->data, msg->data + head);
	if (why != NULL)
		return sasl_end(s, SASL_REFUSED, why, error_r);
	char *auth_message = xasprintf("%s,%s,%.*s", s->client_first_bare, s->server_first,
				       (int)head, msg->data);
	bool ok = proof_ok(&s->creds, auth_message, proof, signature);
	free(auth_message);
	if (!ok)
		return sasl_end(s, SASL_FAILED, "authentication failed", error_r);
	char *b64 = sasl_base64_encode(signature, sizeof(signature));
	char *final = xasprintf("v=%s", b64);
	free(b64);
	sasl_scram_clear(s);
	s->state = SASL_ST_SCRAM_ACK;
	enum sasl_result r = sasl_challenge(s, final, strlen(final), out_r);
	free(final);
	return r;
}
