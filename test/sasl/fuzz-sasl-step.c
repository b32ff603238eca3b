/*
 * fuzz-sasl-step.c: libFuzzer target over whole SASL exchanges. The first octet picks the
 * mechanism, whether there is an initial response and how the verifications answer; the rest
 * is newline-separated response lines (the first may be the initial response). Every
 * verification and credentials request is answered (credentials: "pencil" with the RFC 7677
 * salt), so every state is reached. Nothing may crash, leak or read out of bounds; outputs
 * must be NUL-terminated base64. OWNS nothing. THREAD: libFuzzer's.
 */
#include "pb-alloc.h"
#include "sasl-scram-creds.h"
#include "sasl-server.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *creds;

static void check_out(const char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

	for (const char *p = out; p != NULL && *p != '\0'; p++)
		if (strchr(alphabet, *p) == NULL)
			abort();
}

/* Answers every non-challenge step until the exchange waits for a line or ends. */
static enum sasl_result settle(struct sasl_server *s, enum sasl_result r, uint8_t flags,
			       const char **out)
{
	const char *error;

	if (r == SASL_VERIFY_PASSWORD)
		r = sasl_server_password_checked(s, flags & 4, out, &error);
	if (r == SASL_NEED_CREDENTIALS)
		r = sasl_server_scram_credentials(s, creds, out, &error);
	check_out(r == SASL_CHALLENGE ? *out : NULL);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char salt[16] = { 0x5b, 0x6d, 0x99, 0x68 };
	const char *out, *error;

	if (creds == NULL) {
		struct sasl_scram_creds c;
		sasl_scram_creds_derive("pencil", salt, sizeof(salt), 4096, &c, &error);
		creds = sasl_scram_creds_format(&c);
	}
	if (size == 0)
		return 0;
	uint8_t flags = data[0];
	char *text = xstrndup((const char *)data + 1, size - 1), *save = NULL;
	struct sasl_server *s = sasl_server_create((enum sasl_mech)(flags % 3));
	if (flags & 8)
		sasl_server_set_nonce(s, "fixed");
	char *line = strtok_r(text, "\n", &save);
	enum sasl_result r = sasl_server_start(s, (flags & 16) ? line : NULL, &out, &error);
	if (flags & 16)
		line = strtok_r(NULL, "\n", &save);
	for (r = settle(s, r, flags, &out); r == SASL_CHALLENGE && line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		r = settle(s, sasl_server_step(s, line, &out, &error), flags, &out);
	(void)sasl_server_authcid(s);
	sasl_server_destroy(&s);
	free(text);
	return 0;
}
