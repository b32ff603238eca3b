/*
 * sasl-server.c: the exchange (sasl-server.h) — mechanism names, the response framing (base64,
 * "=", "*", limits) and the PLAIN and LOGIN mechanisms; SCRAM is in sasl-scram.c.
 * Part of pb_sasl. OWNS: each struct sasl_server. THREAD: one exchange, one thread at a time.
 */
#include "sasl-private.h"

#include "mime-charset.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const mech_names[] = {
	[SASL_MECH_PLAIN] = "PLAIN",
	[SASL_MECH_LOGIN] = "LOGIN",
	[SASL_MECH_SCRAM_SHA_256] = "SCRAM-SHA-256",
};

/* The largest decoded response: PLAIN's three fields and two NULs, or a SCRAM message. */
#define SASL_DECODED_MAX (SASL_SCRAM_MSG_MAX > 3 * SASL_FIELD_MAX + 2 ? SASL_SCRAM_MSG_MAX \
								       : 3 * SASL_FIELD_MAX + 2)

int sasl_mech_lookup(const char *name, enum sasl_mech *mech_r)
{
	for (size_t i = 0; i < sizeof(mech_names) / sizeof(mech_names[0]); i++) {
		if (strcasecmp(name, mech_names[i]) == 0) {
			*mech_r = (enum sasl_mech)i;
			return 0;
		}
	}
	return -1;
}

const char *sasl_mech_name(enum sasl_mech mech)
{
	return mech_names[mech];
}

bool sasl_mech_is_plaintext(enum sasl_mech mech)
{
	return mech == SASL_MECH_PLAIN || mech == SASL_MECH_LOGIN;
}

void sasl_set(char **field, const char *data, size_t len)
{
	if (*field != NULL) {
		explicit_bzero(*field, strlen(*field));
		free(*field);
	}
	*field = xstrndup(data, len);
}

struct sasl_server *sasl_server_create(enum sasl_mech mech)
{
	struct sasl_server *s = xcalloc(1, sizeof(*s));

	s->mech = mech;
	s->authcid = xstrdup("");
	s->password = xstrdup("");
	return s;
}

void sasl_server_destroy(struct sasl_server **sp)
{
	struct sasl_server *s = *sp;

	if (s == NULL)
		return;
	sasl_set(&s->authcid, "", 0);
	sasl_set(&s->password, "", 0);
	free(s->authcid);
	free(s->password);
	free(s->out);
	free(s->fixed_nonce);
	sasl_scram_clear(s);
	explicit_bzero(s, sizeof(*s));
	free(s);
	*sp = NULL;
}

void sasl_server_set_nonce(struct sasl_server *s, const char *nonce)
{
	free(s->fixed_nonce);
	s->fixed_nonce = xstrdup(nonce);
}

const char *sasl_server_authcid(const struct sasl_server *s)
{
	return s->authcid;
}

const char *sasl_server_password(const struct sasl_server *s)
{
	return s->state == SASL_ST_VERIFY ? s->password : "";
}

enum sasl_result sasl_challenge(struct sasl_server *s, const char *text, size_t len,
				const char **out_r)
{
	free(s->out);
	s->out = sasl_base64_encode(text, len);
	*out_r = s->out;
	return SASL_CHALLENGE;
}

enum sasl_result sasl_end(struct sasl_server *s, enum sasl_result result, const char *reason,
			  const char **error_r)
{
	s->state = SASL_ST_DONE;
	sasl_set(&s->password, "", 0);
	sasl_scram_clear(s);
	*error_r = reason;
	return result;
}

/* A field of PLAIN or LOGIN: at most SASL_FIELD_MAX bytes of UTF-8 without NUL. */
static bool field_ok(const char *p, size_t len)
{
	return len <= SASL_FIELD_MAX && memchr(p, '\0', len) == NULL && mime_utf8_is_valid(p, len);
}

/* RFC 4616: [authzid] NUL authcid NUL passwd. No proxy authentication: an authzid must be
 * empty or the authcid itself. */
static enum sasl_result plain_message(struct sasl_server *s, const struct pb_buf *msg,
				      const char **error_r)
{
	const char *zid = msg->data, *end = msg->data + msg->len;
	const char *cid = memchr(zid, '\0', msg->len);
	const char *pw = cid != NULL ? memchr(cid + 1, '\0', (size_t)(end - cid - 1)) : NULL;

	if (pw == NULL)
		return sasl_end(s, SASL_REFUSED, "PLAIN message without two NULs", error_r);
	size_t zlen = (size_t)(cid - zid), clen = (size_t)(pw - cid - 1);
	size_t plen = (size_t)(end - pw - 1);
	cid++;
	pw++;
	if (!field_ok(zid, zlen) || !field_ok(cid, clen) || !field_ok(pw, plen))
		return sasl_end(s, SASL_REFUSED, "PLAIN field too long, not UTF-8 or with a NUL",
				error_r);
	if (clen == 0 || plen == 0)
		return sasl_end(s, SASL_REFUSED, "PLAIN with an empty user name or password",
				error_r);
	if (zlen != 0 && (zlen != clen || memcmp(zid, cid, clen) != 0))
		return sasl_end(s, SASL_REFUSED, "PLAIN authzid other than the user (no proxy)",
				error_r);
	sasl_set(&s->authcid, cid, clen);
	sasl_set(&s->password, pw, plen);
	s->state = SASL_ST_VERIFY;
	return SASL_VERIFY_PASSWORD;
}

/* One LOGIN answer: the user name (then "Password:") or the password (then verification). */
static enum sasl_result login_message(struct sasl_server *s, const struct pb_buf *msg,
				      const char **out_r, const char **error_r)
{
	if (msg->len == 0 || !field_ok(msg->data, msg->len))
		return sasl_end(s, SASL_REFUSED, "LOGIN field empty, too long or not UTF-8",
				error_r);
	if (s->state == SASL_ST_LOGIN_USER) {
		sasl_set(&s->authcid, msg->data, msg->len);
		s->state = SASL_ST_LOGIN_PASS;
		return sasl_challenge(s, "Password:", 9, out_r);
	}
	sasl_set(&s->password, msg->data, msg->len);
	s->state = SASL_ST_VERIFY;
	return SASL_VERIFY_PASSWORD;
}

/* The SCRAM ack: server-final was sent, the client answers with an empty response. */
static enum sasl_result scram_ack(struct sasl_server *s, const struct pb_buf *msg,
				  const char **error_r)
{
	if (msg->len != 0)
		return sasl_end(s, SASL_REFUSED, "SCRAM: data after the server-final message",
				error_r);
	s->state = SASL_ST_DONE;
	sasl_scram_clear(s);
	return SASL_SUCCESS;
}

/* Hands a decoded response to the mechanism's state. */
static enum sasl_result dispatch(struct sasl_server *s, const struct pb_buf *msg,
				 const char **out_r, const char **error_r)
{
	switch (s->state) {
	case SASL_ST_PLAIN:
		return plain_message(s, msg, error_r);
	case SASL_ST_LOGIN_USER:
	case SASL_ST_LOGIN_PASS:
		return login_message(s, msg, out_r, error_r);
	case SASL_ST_SCRAM_FIRST:
		return sasl_scram_client_first(s, msg, out_r, error_r);
	case SASL_ST_SCRAM_FINAL:
		return sasl_scram_client_final(s, msg, out_r, error_r);
	case SASL_ST_SCRAM_ACK:
		return scram_ack(s, msg, error_r);
	default:
		return sasl_end(s, SASL_REFUSED, "no response expected now", error_r);
	}
}

/* Frames one response line: cancel, length, base64; then dispatches it. */
static enum sasl_result response(struct sasl_server *s, const char *line, const char **out_r,
				 const char **error_r)
{
	struct pb_buf msg;

	*out_r = NULL;
	if (strcmp(line, "*") == 0)
		return sasl_end(s, SASL_REFUSED, "authentication cancelled", error_r);
	if (strlen(line) > SASL_RESPONSE_MAX)
		return sasl_end(s, SASL_REFUSED, "response too long", error_r);
	pb_buf_init(&msg);
	enum sasl_result r;
	if (sasl_base64_decode(line, SASL_DECODED_MAX, &msg) < 0)
		r = sasl_end(s, SASL_REFUSED, "response is not base64 or too long", error_r);
	else
		r = dispatch(s, &msg, out_r, error_r);
	if (msg.data != NULL)
		explicit_bzero(msg.data, msg.cap);
	pb_buf_deinit(&msg);
	return r;
}

enum sasl_result sasl_server_start(struct sasl_server *s, const char *initial,
				   const char **out_r, const char **error_r)
{
	*out_r = NULL;
	if (s->state != SASL_ST_START)
		return sasl_end(s, SASL_REFUSED, "the exchange has already started", error_r);
	s->state = s->mech == SASL_MECH_PLAIN   ? SASL_ST_PLAIN
		   : s->mech == SASL_MECH_LOGIN ? SASL_ST_LOGIN_USER
						: SASL_ST_SCRAM_FIRST;
	if (initial != NULL)
		return response(s, initial, out_r, error_r);
	if (s->mech == SASL_MECH_LOGIN)
		return sasl_challenge(s, "Username:", 9, out_r);
	return sasl_challenge(s, "", 0, out_r);
}

enum sasl_result sasl_server_step(struct sasl_server *s, const char *response_line,
				  const char **out_r, const char **error_r)
{
	*out_r = NULL;
	if (s->state == SASL_ST_START || s->state == SASL_ST_VERIFY ||
	    s->state == SASL_ST_SCRAM_CREDS || s->state == SASL_ST_DONE)
		return sasl_end(s, SASL_REFUSED, "no response expected now", error_r);
	return response(s, response_line, out_r, error_r);
}

enum sasl_result sasl_server_password_checked(struct sasl_server *s, bool ok,
					      const char **out_r, const char **error_r)
{
	*out_r = NULL;
	if (s->state != SASL_ST_VERIFY)
		return sasl_end(s, SASL_REFUSED, "no password check was awaited", error_r);
	sasl_set(&s->password, "", 0);
	s->state = SASL_ST_DONE;
	if (!ok)
		return sasl_end(s, SASL_FAILED, "authentication failed", error_r);
	return SASL_SUCCESS;
}

enum sasl_result sasl_server_scram_credentials(struct sasl_server *s, const char *creds,
					       const char **out_r, const char **error_r)
{
	*out_r = NULL;
	if (s->state != SASL_ST_SCRAM_CREDS)
		return sasl_end(s, SASL_REFUSED, "no credentials were awaited", error_r);
	return sasl_scram_server_first(s, creds, out_r, error_r);
}
