/*
 * test-sasl-scram.c: SCRAM-SHA-256 — RFC 7677 §3's exchange reproduced byte for byte (server
 * nonce and salt injected), a client written here with OpenSSL against random nonces, a wrong
 * password and fake credentials failing at the same step, malformed client messages (gs2
 * header, channel binding, authzid, saslname, nonce mismatch, proof), a replayed final, cancel;
 * the credentials' text form, derivation limits and fake credentials.
 */
#include "pb-alloc.h"
#include "pb-buf.h"
#include "pb-test.h"
#include "sasl-scram-creds.h"
#include "sasl-server.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_C "rOprNGfwEbeRWgbNEkqO"
#define NONCE_S "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define SALT_B64 "W22ZaJ0SNY7soEsUEjb6gQ=="
static const unsigned char rfc_salt[16] = { 0x5b, 0x6d, 0x99, 0x68, 0x9d, 0x12, 0x35, 0x8e,
					    0xec, 0xa0, 0x4b, 0x14, 0x12, 0x36, 0xfa, 0x81 };

/* OpenSSL's base64, to build client messages independently of pb_sasl. */
static char *enc(const void *data, size_t len)
{
	char *t = xmalloc((len + 2) / 3 * 4 + 1);
	EVP_EncodeBlock((unsigned char *)t, data, (int)len);
	return t;
}

static char *enc_str(const char *s)
{
	return enc(s, strlen(s));
}

static char *dec_str(const char *b64)
{
	size_t len = strlen(b64);
	char *t = xcalloc(1, len + 1);
	int n = EVP_DecodeBlock((unsigned char *)t, (const unsigned char *)b64, (int)len);
	if (n < 0)
		n = 0;
	while (len > 0 && b64[--len] == '=')
		n--;
	t[n] = '\0';
	return t;
}

static char *rfc_creds(const char *password)
{
	struct sasl_scram_creds c;
	const char *error;

	if (sasl_scram_creds_derive(password, rfc_salt, sizeof(rfc_salt), 4096, &c, &error) < 0)
		return NULL;
	return sasl_scram_creds_format(&c);
}

/* A SCRAM client's proof: ClientKey XOR HMAC(H(ClientKey), AuthMessage). */
static char *client_proof(const char *password, const unsigned char *salt, size_t salt_len,
			  int iter, const char *auth_message)
{
	unsigned char salted[32], ckey[32], stored[32], sig[32], proof[32];
	unsigned int n;

	PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iter,
			  EVP_sha256(), 32, salted);
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key", 10, ckey, &n);
	EVP_Digest(ckey, 32, stored, &n, EVP_sha256(), NULL);
	HMAC(EVP_sha256(), stored, 32, (const unsigned char *)auth_message, strlen(auth_message),
	     sig, &n);
	for (int i = 0; i < 32; i++)
		proof[i] = ckey[i] ^ sig[i];
	return enc(proof, 32);
}

/* RFC 7677's client messages (base64) and the credentials of "pencil" with its salt. */
struct rfc_msgs {
	char *creds, *first, *final;
};

static char *rfc_msgs_init(struct rfc_msgs *m)
{
	m->creds = rfc_creds("pencil");
	m->first = enc_str("n,,n=user,r=" NONCE_C);
	m->final = enc_str("c=biws,r=" NONCE_C NONCE_S
			   ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	return m->creds;
}

static void rfc_msgs_free(struct rfc_msgs *m)
{
	free(m->creds);
	free(m->first);
	free(m->final);
}

static void test_rfc7677_vector(void)
{
	struct sasl_server *s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
	const char *out, *error;
	struct rfc_msgs m;
	char *creds = rfc_msgs_init(&m), *first = m.first, *final = m.final;

	REQUIRE(creds != NULL);
	sasl_server_set_nonce(s, NONCE_S);
	CHECK_INT(sasl_server_start(s, first, &out, &error), SASL_NEED_CREDENTIALS);
	CHECK_STR(sasl_server_authcid(s), "user");
	CHECK_INT(sasl_server_scram_credentials(s, creds, &out, &error), SASL_CHALLENGE);
	char *sf = dec_str(out);
	CHECK_STR(sf, "r=" NONCE_C NONCE_S ",s=" SALT_B64 ",i=4096");
	free(sf);
	CHECK_INT(sasl_server_step(s, final, &out, &error), SASL_CHALLENGE);
	char *v = dec_str(out);
	CHECK_STR(v, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
	free(v);
	/* replaying the client-final where the empty acknowledgement is due */
	CHECK_INT(sasl_server_step(s, final, &out, &error), SASL_REFUSED);
	sasl_server_destroy(&s);

	/* the same, acknowledged: success only then */
	s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
	sasl_server_set_nonce(s, NONCE_S);
	CHECK_INT(sasl_server_start(s, NULL, &out, &error), SASL_CHALLENGE);
	CHECK_STR(out, "");
	CHECK_INT(sasl_server_step(s, first, &out, &error), SASL_NEED_CREDENTIALS);
	CHECK_INT(sasl_server_scram_credentials(s, creds, &out, &error), SASL_CHALLENGE);
	CHECK_INT(sasl_server_step(s, final, &out, &error), SASL_CHALLENGE);
	CHECK_INT(sasl_server_step(s, "", &out, &error), SASL_SUCCESS);
	CHECK_STR(sasl_server_authcid(s), "user");
	CHECK_INT(sasl_server_step(s, "", &out, &error), SASL_REFUSED);
	sasl_server_destroy(&s);
	rfc_msgs_free(&m);
}

/* One exchange with a random server nonce, the client computing its proof with password
 * against creds. Returns the result of the client-final step; *error_r its reason. */
static enum sasl_result exchange(const char *gs2, const char *user, const char *password,
				 const char *creds, const char **error_r)
{
	struct sasl_server *s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
	const char *out;
	char *bare = xasprintf("n=%s,r=abcdefghijklmnop", user);
	char *first_raw = xasprintf("%s%s", gs2, bare);
	char *first = enc_str(first_raw);
	enum sasl_result r = sasl_server_start(s, first, &out, error_r);

	if (r == SASL_NEED_CREDENTIALS)
		r = sasl_server_scram_credentials(s, creds, &out, error_r);
	if (r == SASL_CHALLENGE) {
		char *sf = dec_str(out);
		const char *nonce = sf + 2, *comma = strchr(sf, ',');
		struct sasl_scram_creds c;
		sasl_scram_creds_parse(creds, &c, error_r);
		char *cb = enc_str(gs2);
		char *head = xasprintf("c=%s,r=%.*s", cb, (int)(comma - nonce), nonce);
		char *am = xasprintf("%s,%s,%s", bare, sf, head);
		char *proof = client_proof(password, c.salt, c.salt_len, (int)c.iterations, am);
		char *fin_raw = xasprintf("%s,p=%s", head, proof);
		char *fin = enc_str(fin_raw);
		r = sasl_server_step(s, fin, &out, error_r);
		if (r == SASL_CHALLENGE)
			r = sasl_server_step(s, "=", &out, error_r);
		free(sf), free(cb), free(head), free(am), free(proof), free(fin_raw), free(fin);
	}
	sasl_server_destroy(&s);
	free(bare), free(first_raw), free(first);
	return r;
}

static void test_random_nonce_client(void)
{
	char *creds = sasl_scram_creds_new("correct horse", &(const char *){ NULL });
	const char *error;

	REQUIRE(creds != NULL);
	CHECK_INT(exchange("n,,", "bob", "correct horse", creds, &error), SASL_SUCCESS);
	CHECK_INT(exchange("y,,", "bob", "correct horse", creds, &error), SASL_SUCCESS);
	CHECK_INT(exchange("n,a=bob,", "bob", "correct horse", creds, &error), SASL_SUCCESS);
	CHECK_INT(exchange("n,,", "b=2Cob=3D", "correct horse", creds, &error), SASL_SUCCESS);
	/* a wrong password fails at client-final ... */
	CHECK_INT(exchange("n,,", "bob", "wrong horse", creds, &error), SASL_FAILED);
	CHECK_STR(error, "authentication failed");
	/* ... and so does an unknown user's fake credentials, with the same reason */
	static const unsigned char secret[32] = { 1, 2, 3 };
	char *fake = sasl_scram_creds_fake(secret, sizeof(secret), "nobody");
	CHECK_INT(exchange("n,,", "nobody", "correct horse", fake, &error), SASL_FAILED);
	CHECK_STR(error, "authentication failed");
	/* refused before any credentials: proxy, channel binding, bad names */
	CHECK_INT(exchange("n,a=alice,", "bob", "correct horse", creds, &error), SASL_REFUSED);
	CHECK(strstr(error, "proxy") != NULL);
	CHECK_INT(exchange("p=tls-unique,,", "bob", "correct horse", creds, &error), SASL_REFUSED);
	CHECK(strstr(error, "channel binding") != NULL);
	CHECK_INT(exchange("n,,", "b=2Xob", "correct horse", creds, &error), SASL_REFUSED);
	CHECK_INT(exchange("n,,", "", "correct horse", creds, &error), SASL_REFUSED);
	CHECK_INT(exchange("x,,", "bob", "correct horse", creds, &error), SASL_REFUSED);
	CHECK_INT(exchange("n,", "bob", "correct horse", creds, &error), SASL_REFUSED);
	free(fake);
	free(creds);
}

struct first_case {
	const char *first; /* decoded client-first */
	const char *why;
};

static const struct first_case first_cases[] = {
	{ "n,,m=ext,n=user,r=abc", "mandatory extension" },
	{ "n,,r=abc,n=user", "no user name" },
	{ "n,,n=user", "nonce" },
	{ "n,,n=user,r=", "nonce" },
	{ "n,,n=user,r=a b", "nonce" },
	{ "n,,n=user,rr=abc", "nonce" },
	{ "n,,n=user,r=abc,", "" }, /* an empty extension list is tolerated below */
	{ "n,,n=us=er,r=abc", "user name" },
	{ "n,,n=\xff,r=abc", "user name" },
	{ "n,a=,n=user,r=abc", "authzid" },
	{ "n", "gs2" },
	{ "", "empty" },
};

static void test_client_first_malformed(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(first_cases); i++) {
		struct sasl_server *s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
		const char *out, *error = "";
		char *b = enc_str(first_cases[i].first);
		enum sasl_result r = sasl_server_start(s, b, &out, &error);
		if (first_cases[i].why[0] == '\0') {
			CHECK_INT(r, SASL_NEED_CREDENTIALS);
		} else {
			if (r != SASL_REFUSED || strstr(error, first_cases[i].why) == NULL)
				fprintf(stderr, "  case %zu: %d %s\n", i, r, error);
			CHECK_INT(r, SASL_REFUSED);
			CHECK(strstr(error, first_cases[i].why) != NULL);
		}
		sasl_server_destroy(&s);
		free(b);
	}
}

/* Client-final messages for the RFC exchange, each wrong in one way. */
static const struct first_case final_cases[] = {
	{ "c=eSws,r=" NONCE_C NONCE_S ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	  "channel binding" },
	{ "c=biws,r=" NONCE_C "X,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "nonce" },
	{ "c=biws,r=" NONCE_C ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "nonce" },
	{ "c=biws,r=" NONCE_C NONCE_S, "proof" },
	{ "c=biws,r=" NONCE_C NONCE_S ",p=dHzbZapW", "proof" },
	{ "c=biws,r=" NONCE_C NONCE_S ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ", "proof" },
	{ "r=" NONCE_C NONCE_S ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "channel" },
	{ "c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "malformed" },
	{ "c=biws,r=" NONCE_C NONCE_S ",p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	  "authentication failed" },
	{ "", "empty" },
};

static void test_client_final_malformed(void)
{
	char *creds = rfc_creds("pencil");
	char *first = enc_str("n,,n=user,r=" NONCE_C);

	for (size_t i = 0; i < PB_N_ELEMENTS(final_cases); i++) {
		struct sasl_server *s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
		const char *out, *error = "";
		char *b = enc_str(final_cases[i].first);
		sasl_server_set_nonce(s, NONCE_S);
		CHECK_INT(sasl_server_start(s, first, &out, &error), SASL_NEED_CREDENTIALS);
		CHECK_INT(sasl_server_scram_credentials(s, creds, &out, &error), SASL_CHALLENGE);
		enum sasl_result r = sasl_server_step(s, b, &out, &error);
		enum sasl_result want = strcmp(final_cases[i].why, "authentication failed") == 0
						? SASL_FAILED : SASL_REFUSED;
		if (r != want || strstr(error, final_cases[i].why) == NULL)
			fprintf(stderr, "  case %zu: %d %s\n", i, r, error);
		CHECK_INT(r, want);
		CHECK(strstr(error, final_cases[i].why) != NULL);
		sasl_server_destroy(&s);
		free(b);
	}
	free(creds);
	free(first);
}

/* The RFC's client-final replayed into a new exchange: its server nonce differs. */
static void test_replay_new_exchange(void)
{
	struct sasl_server *s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
	const char *out, *error;
	struct rfc_msgs m;
	char *creds = rfc_msgs_init(&m), *first = m.first, *final = m.final;

	CHECK_INT(sasl_server_start(s, first, &out, &error), SASL_NEED_CREDENTIALS);
	CHECK_INT(sasl_server_scram_credentials(s, creds, &out, &error), SASL_CHALLENGE);
	CHECK_INT(sasl_server_step(s, final, &out, &error), SASL_REFUSED);
	CHECK_STR(error, "SCRAM: nonce mismatch");
	sasl_server_destroy(&s);

	s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
	CHECK_INT(sasl_server_start(s, first, &out, &error), SASL_NEED_CREDENTIALS);
	CHECK_INT(sasl_server_step(s, final, &out, &error), SASL_REFUSED); /* creds awaited */
	sasl_server_destroy(&s);

	s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
	CHECK_INT(sasl_server_start(s, first, &out, &error), SASL_NEED_CREDENTIALS);
	CHECK_INT(sasl_server_scram_credentials(s, "SCRAM-SHA-256$1:x$y:z", &out, &error),
		  SASL_TEMPFAIL);
	sasl_server_destroy(&s);

	s = sasl_server_create(SASL_MECH_SCRAM_SHA_256);
	CHECK_INT(sasl_server_start(s, first, &out, &error), SASL_NEED_CREDENTIALS);
	CHECK_INT(sasl_server_scram_credentials(s, creds, &out, &error), SASL_CHALLENGE);
	CHECK_INT(sasl_server_step(s, "*", &out, &error), SASL_REFUSED);
	CHECK_STR(error, "authentication cancelled");
	sasl_server_destroy(&s);
	rfc_msgs_free(&m);
}

static void test_creds_text(void)
{
	struct sasl_scram_creds c, d;
	const char *error;

	REQUIRE(sasl_scram_creds_derive("pencil", rfc_salt, 16, 4096, &c, &error) == 0);
	char *t = sasl_scram_creds_format(&c);
	CHECK(strncmp(t, "SCRAM-SHA-256$4096:" SALT_B64 "$", 19 + strlen(SALT_B64) + 1) == 0);
	CHECK_INT(sasl_scram_creds_parse(t, &d, &error), 0);
	CHECK_INT(d.iterations, 4096);
	CHECK_INT(d.salt_len, 16);
	CHECK(memcmp(&c, &d, sizeof(c)) == 0);
	free(t);
	static const char *const bad[] = {
		"", "SCRAM-SHA-256$", "SCRAM-SHA-1$4096:" SALT_B64 "$AAAA:AAAA",
		"SCRAM-SHA-256$4095:" SALT_B64 "$AAAA:AAAA",
		"SCRAM-SHA-256$4096:" SALT_B64 "$AAAA:AAAA",
		"SCRAM-SHA-256$4096:" SALT_B64, "SCRAM-SHA-256$x:" SALT_B64 "$AAAA:AAAA",
		"SCRAM-SHA-256$99999999999999999999:" SALT_B64 "$AAAA:AAAA",
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++)
		CHECK_INT(sasl_scram_creds_parse(bad[i], &d, &error), -1);
	/* what SASLprep would change, and bad parameters, are refused */
	CHECK_INT(sasl_scram_creds_derive("p\xc3\xa4ss", rfc_salt, 16, 4096, &c, &error), -1);
	CHECK_INT(sasl_scram_creds_derive("p\tss", rfc_salt, 16, 4096, &c, &error), -1);
	CHECK_INT(sasl_scram_creds_derive("", rfc_salt, 16, 4096, &c, &error), -1);
	CHECK_INT(sasl_scram_creds_derive("pencil", rfc_salt, 16, 4095, &c, &error), -1);
	CHECK_INT(sasl_scram_creds_derive("pencil", rfc_salt, 0, 4096, &c, &error), -1);
	CHECK(sasl_scram_creds_new("p\xc3\xa4ss", &error) == NULL);
	/* fresh credentials: new salt each time, default iterations */
	char *a = sasl_scram_creds_new("pencil", &error);
	char *b = sasl_scram_creds_new("pencil", &error);
	REQUIRE(a != NULL && b != NULL);
	CHECK(strcmp(a, b) != 0);
	CHECK(strncmp(a, "SCRAM-SHA-256$4096:", 19) == 0);
	free(a);
	free(b);
}

static void test_fake_creds(void)
{
	static const unsigned char s1[32] = { 1 }, s2[32] = { 2 };
	char *a = sasl_scram_creds_fake(s1, 32, "Nobody");
	char *b = sasl_scram_creds_fake(s1, 32, "nobody");
	char *c = sasl_scram_creds_fake(s1, 32, "someone");
	char *d = sasl_scram_creds_fake(s2, 32, "nobody");
	struct sasl_scram_creds x;
	const char *error;

	CHECK_STR(a, b); /* deterministic, any case */
	CHECK(strcmp(a, c) != 0);
	CHECK(strcmp(a, d) != 0);
	CHECK_INT(sasl_scram_creds_parse(a, &x, &error), 0);
	CHECK_INT(x.iterations, SASL_SCRAM_ITER_DEFAULT);
	CHECK_INT(x.salt_len, SASL_SCRAM_SALT_LEN);
	/* shaped like a real account's: same length of text */
	char *real = sasl_scram_creds_new("pencil", &error);
	REQUIRE(real != NULL);
	CHECK_INT(strlen(a), strlen(real));
	free(real);
	free(a), free(b), free(c), free(d);
}

static const struct pb_test_case cases[] = {
	{ "rfc7677_vector", test_rfc7677_vector },
	{ "random_nonce_client", test_random_nonce_client },
	{ "client_first_malformed", test_client_first_malformed },
	{ "client_final_malformed", test_client_final_malformed },
	{ "replay_new_exchange", test_replay_new_exchange },
	{ "creds_text", test_creds_text },
	{ "fake_creds", test_fake_creds },
};

PB_TEST_MAIN(cases)
