/*
 * sasl-private.h: what the files of pb_sasl share — the exchange state, strict base64 and the
 * mechanism steps. Not for other modules (they include sasl-server.h).
 * OWNS: see struct sasl_server. THREAD: one exchange, one thread at a time.
 */
#ifndef SASL_PRIVATE_H
#define SASL_PRIVATE_H

#include "pb-buf.h"
#include "sasl-scram-creds.h"
#include "sasl-server.h"

enum sasl_state {
	SASL_ST_START,
	SASL_ST_PLAIN,        /* awaiting the PLAIN message */
	SASL_ST_LOGIN_USER,   /* awaiting the LOGIN user name */
	SASL_ST_LOGIN_PASS,   /* awaiting the LOGIN password */
	SASL_ST_VERIFY,       /* awaiting sasl_server_password_checked */
	SASL_ST_SCRAM_FIRST,  /* awaiting client-first */
	SASL_ST_SCRAM_CREDS,  /* awaiting sasl_server_scram_credentials */
	SASL_ST_SCRAM_FINAL,  /* awaiting client-final */
	SASL_ST_SCRAM_ACK,    /* server-final sent, awaiting the empty response */
	SASL_ST_DONE,
};

struct sasl_server {
	enum sasl_mech mech;
	enum sasl_state state;
	char *authcid;           /* "" until known */
	char *password;          /* "" unless VERIFY_PASSWORD; wiped */
	char *out;               /* the last challenge, base64 */
	char *fixed_nonce;       /* tests: the server nonce part, or NULL */
	/* SCRAM */
	char *gs2_header;        /* "n,," / "y,," with an authzid, as the client sent it */
	char *client_first_bare;
	char *nonce;             /* client nonce + server nonce */
	char *server_first;
	struct sasl_scram_creds creds;
};

/* Decodes strict base64 (RFC 4648, padded, no whitespace; "" and "=" are empty) into out
 * (cleared first; NUL-terminated after len). Returns 0, or -1 if malformed or longer than max
 * decoded bytes. */
int sasl_base64_decode(const char *text, size_t max, struct pb_buf *out);
/* Base64 of data, newly allocated. */
char *sasl_base64_encode(const void *data, size_t len);

/* Sets s->out to the base64 of text and returns CHALLENGE with *out_r. */
enum sasl_result sasl_challenge(struct sasl_server *s, const char *text, size_t len,
				const char **out_r);
/* Ends the exchange with result (FAILED, REFUSED, TEMPFAIL) and *error_r = reason. */
enum sasl_result sasl_end(struct sasl_server *s, enum sasl_result result, const char *reason,
			  const char **error_r);
/* Replaces *field with a copy of len bytes (wiping the old). */
void sasl_set(char **field, const char *data, size_t len);

/* SCRAM steps (sasl-scram.c): the decoded client-first and client-final messages. */
enum sasl_result sasl_scram_client_first(struct sasl_server *s, const struct pb_buf *msg,
					 const char **out_r, const char **error_r);
enum sasl_result sasl_scram_client_final(struct sasl_server *s, const struct pb_buf *msg,
					 const char **out_r, const char **error_r);
enum sasl_result sasl_scram_server_first(struct sasl_server *s, const char *creds,
					 const char **out_r, const char **error_r);
/* Wipes and frees the SCRAM state. */
void sasl_scram_clear(struct sasl_server *s);

#endif
