/*
 * sasl-base64.c: strict base64 for SASL responses (RFC 4648 §4, padded; no whitespace, no
 * characters outside the alphabet, "=" only as the final padding), over OpenSSL's block codec.
 * Part of pb_sasl. OWNS nothing. THREAD: any.
 */
#include "sasl-private.h"

#include <openssl/evp.h>
#include <string.h>

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* The number of padding characters if text is well-formed base64 of non-zero length, or -1. */
static int b64_check(const char *text, size_t len)
{
	if (len == 0 || len % 4 != 0)
		return -1;
	size_t pad = text[len - 1] == '=' ? (text[len - 2] == '=' ? 2 : 1) : 0;
	for (size_t i = 0; i < len - pad; i++)
		if (!b64_char(text[i]))
			return -1;
	return (int)pad;
}

int sasl_base64_decode(const char *text, size_t max, struct pb_buf *out)
{
	size_t len = strlen(text);

	if (len == 1 && text[0] == '=')
		len = 0;
	if (len > (max + 2) / 3 * 4)
		return -1;
	pb_buf_reserve(out, len / 4 * 3 + 1);
	out->len = 0;
	out->data[0] = '\0';
	if (len == 0)
		return 0;
	int pad = b64_check(text, len);
	if (pad < 0 || len / 4 * 3 - (size_t)pad > max)
		return -1;
	int n = EVP_DecodeBlock((unsigned char *)out->data, (const unsigned char *)text, (int)len);
	if (n < pad)
		return -1;
	out->len = (size_t)n - (size_t)pad;
	out->data[out->len] = '\0';
	return 0;
}

char *sasl_base64_encode(const void *data, size_t len)
{
	char *text = xmalloc((len + 2) / 3 * 4 + 1);

	EVP_EncodeBlock((unsigned char *)text, data, (int)len);
	return text;
}
