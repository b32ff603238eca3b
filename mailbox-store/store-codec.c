/*
 * store-codec.c: value encoding for the store (big-endian integers, length-prefixed
 * strings), a bounds-checked reader, hex keys and lowercasing. Part of pb_store_db.
 * OWNS: nothing. THREAD: any (pure functions).
 */
#include "store-internal.h"

#include <stdlib.h>

#define STORE_STR_NULL 0xffffffffu

void store_enc_u8(struct pb_buf *b, uint8_t v)
{
	pb_buf_append(b, &v, 1);
}

void store_enc_u32(struct pb_buf *b, uint32_t v)
{
	uint8_t p[4];

	store_be32_put(p, v);
	pb_buf_append(b, p, sizeof(p));
}

void store_enc_u64(struct pb_buf *b, uint64_t v)
{
	uint8_t p[8];

	store_be64_put(p, v);
	pb_buf_append(b, p, sizeof(p));
}

void store_enc_str(struct pb_buf *b, const char *s)
{
	if (s == NULL) {
		store_enc_u32(b, STORE_STR_NULL);
		return;
	}
	size_t len = strlen(s);
	ASSERT(len < STORE_STR_NULL);
	store_enc_u32(b, (uint32_t)len);
	pb_buf_append(b, s, len);
}

void store_rd_init(struct store_rd *r, const void *data, size_t len)
{
	r->p = data;
	r->left = len;
	r->bad = false;
}

/* Returns a pointer to the next n bytes and skips them, or NULL (and bad) on overrun. */
static const uint8_t *store_rd_take(struct store_rd *r, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t store_rd_u8(struct store_rd *r)
{
	const uint8_t *p = store_rd_take(r, 1);
	return p != NULL ? p[0] : 0;
}

uint32_t store_rd_u32(struct store_rd *r)
{
	const uint8_t *p = store_rd_take(r, 4);
	return p != NULL ? store_be32_get(p) : 0;
}

uint64_t store_rd_u64(struct store_rd *r)
{
	const uint8_t *p = store_rd_take(r, 8);
	return p != NULL ? store_be64_get(p) : 0;
}

char *store_rd_str(struct store_rd *r)
{
	uint32_t len = store_rd_u32(r);

	if (r->bad || len == STORE_STR_NULL)
		return NULL;
	const uint8_t *p = store_rd_take(r, len);
	if (p == NULL)
		return NULL;
	return xstrndup((const char *)p, len);
}

void store_rd_bytes(struct store_rd *r, void *dst, size_t n)
{
	const uint8_t *p = store_rd_take(r, n);

	if (p != NULL)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

bool store_rd_ok(const struct store_rd *r)
{
	return !r->bad && r->left == 0;
}

void store_hex_from_raw(const uint8_t raw[32], char hex_r[PB_BLOB_KEY_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex_r[2 * i] = digits[raw[i] >> 4];
		hex_r[2 * i + 1] = digits[raw[i] & 15];
	}
	hex_r[PB_BLOB_KEY_LEN] = '\0';
}

/* Hex digit values by octet, -1 for a non-digit (built once: store_hex_to_raw is on every
 * FETCH meta's path, 64 digits a key). */
static int8_t store_hex_values[256];
static pthread_once_t store_hex_once = PTHREAD_ONCE_INIT;

static void store_hex_init(void)
{
	memset(store_hex_values, -1, sizeof(store_hex_values));
	for (int i = 0; i < 10; i++)
		store_hex_values['0' + i] = (int8_t)i;
	for (int i = 0; i < 6; i++)
		store_hex_values['a' + i] = store_hex_values['A' + i] = (int8_t)(10 + i);
}

int store_hex_to_raw(const char *hex, uint8_t raw_r[32])
{
	int bad = 0;

	pthread_once(&store_hex_once, store_hex_init);
	if (hex == NULL || strnlen(hex, PB_BLOB_KEY_LEN + 1) != PB_BLOB_KEY_LEN)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = store_hex_values[(uint8_t)hex[2 * i]];
		int lo = store_hex_values[(uint8_t)hex[2 * i + 1]];
		bad |= hi | lo; /* negative once any is not a digit */
		raw_r[i] = (uint8_t)((hi & 15) << 4 | (lo & 15));
	}
	return bad < 0 ? -1 : 0;
}

int store_lower_copy(const char *s, char *dst, size_t dstsize)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len >= dstsize)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		dst[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	dst[len] = '\0';
	return 0;
}

void store_seen_encode(uint8_t state, int64_t first_ms, uint8_t v[STORE_SEEN_LEN])
{
	v[0] = STORE_V1;
	v[1] = state;
	store_be64_put(v + 2, (uint64_t)first_ms);
}

int store_seen_decode(const void *v, size_t len, uint8_t *state_r, int64_t *first_ms_r)
{
	const uint8_t *p = v;

	if (len != STORE_SEEN_LEN || p[0] != STORE_V1)
		return -1;
	*state_r = p[1];
	*first_ms_r = (int64_t)store_be64_get(p + 2);
	return 0;
}
