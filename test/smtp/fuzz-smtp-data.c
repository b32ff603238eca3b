/*
 * fuzz-smtp-data.c: libFuzzer target for the DATA decoder and the BDAT reader.
 * The first input byte picks the decoder, the limits and the bare-newline policy; the rest
 * is content. Checks:
 *  - the result (end found, bytes used, verdict, size, output) is the same fed whole,
 *    byte by byte and in random pieces;
 *  - accepted content has only CR LF line ends, lines within the policy's limit, and
 *    respects the size limit; output never exceeds the input used (normalize: twice it);
 *  - DATA ends exactly at the first real "\r\n.\r\n" (or a leading ".\r\n"), in both
 *    policies: no bare CR or LF ever ends the data (SMTP smuggling).
 */
#include "smtp-data.h"
#include "smtp-test-util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct result {
	int ret;
	size_t used;
	enum smtp_data_status status;
	uint64_t size;
	struct pb_buf out;
};

#define CHECK_OR_ABORT(c)                                                              \
	do {                                                                           \
		if (!(c))                                                              \
			abort();                                                       \
	} while (0)

/* DATA: feeds in pieces of 1..step bytes (step 0: all at once). */
static void run_data(const char *in, size_t len, const struct smtp_body_policy *p, size_t step,
		     uint64_t *seed, struct result *r)
{
	struct smtp_data d;
	size_t pos = 0;

	smtp_data_init(&d, p);
	r->ret = 0;
	r->used = 0;
	while (pos < len && r->ret == 0) {
		size_t n = step == 0 ? len - pos : step == 1 ? 1 : pb_test_chunk_random(0, seed);
		size_t used;
		if (n > len - pos)
			n = len - pos;
		r->ret = smtp_data_feed(&d, in + pos, n, &r->out, &used);
		CHECK_OR_ABORT(used <= n && (r->ret == 1 || used == n));
		r->used += used;
		pos += n;
	}
	r->status = smtp_data_status(&d);
	r->size = smtp_data_size(&d);
}

/* BDAT: the content is cut into chunks of sizes taken from the seed; each chunk is fed in
 * pieces as for DATA. */
static void run_bdat(const char *in, size_t len, const struct smtp_body_policy *p, bool binary,
		     size_t step, uint64_t *seed, uint64_t chunk_seed, struct result *r)
{
	struct smtp_bdat b;
	size_t pos = 0;

	smtp_bdat_init(&b, p, binary);
	r->ret = 0;
	r->used = 0;
	do {
		size_t chunk = pb_test_chunk_random(0, &chunk_seed) * 3;
		if (chunk > len - pos)
			chunk = len - pos;
		smtp_bdat_chunk(&b, chunk, pos + chunk == len);
		size_t end = pos + chunk;
		int ret = chunk == 0 ? smtp_bdat_feed(&b, "", 0, &r->out, &(size_t){0}) : 0;
		while (pos < end) {
			size_t n = step == 0 ? len - pos : step == 1 ? 1 : pb_test_chunk_random(0, seed);
			size_t used;
			if (n > len - pos)
				n = len - pos;
			ret = smtp_bdat_feed(&b, in + pos, n, &r->out, &used);
			CHECK_OR_ABORT(used <= end - pos && (ret == 1 || used == n));
			pos += used;
			r->used += used;
		}
		CHECK_OR_ABORT(ret == 1);
	} while (pos < len);
	r->ret = 1;
	r->status = smtp_bdat_status(&b);
	r->size = b.check.size;
}

static void same(const struct result *a, const struct result *b)
{
	CHECK_OR_ABORT(a->ret == b->ret && a->used == b->used && a->status == b->status &&
		       a->size == b->size && a->out.len == b->out.len);
	CHECK_OR_ABORT(a->out.len == 0 || memcmp(a->out.data, b->out.data, a->out.len) == 0);
}

/* Accepted text content: CR LF line ends only, lines and size within the policy's limits. */
static void check_accepted(const struct result *r, const struct smtp_body_policy *p, bool text)
{
	uint64_t max = p->max_size, line = 0;

	if (r->status != SMTP_DATA_OK)
		return;
	CHECK_OR_ABORT(r->out.len == r->size && (max == 0 || r->size <= max));
	for (size_t i = 0; text && i < r->out.len; i++) {
		char c = r->out.data[i];
		line++;
		if (c == '\r')
			CHECK_OR_ABORT(i + 1 == r->out.len || r->out.data[i + 1] == '\n');
		if (c == '\n') {
			CHECK_OR_ABORT(i > 0 && r->out.data[i - 1] == '\r');
			CHECK_OR_ABORT(p->max_line == 0 || line <= p->max_line);
			line = 0;
		}
	}
}

/* DATA: where the end of data is, whatever the policy: after a leading ".\r\n" or the first
 * "\r\n.\r\n"; 0 if the input holds neither. */
static size_t real_end(const char *in, size_t len)
{
	if (len >= 3 && memcmp(in, ".\r\n", 3) == 0)
		return 3;
	const char *p = memmem(in, len, "\r\n.\r\n", 5);
	return p != NULL ? (size_t)(p - in) + 5 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t limits[] = {0, 16, 300, 5000};
	static const uint64_t lines[] = {SMTP_DATA_LINE_MAX, 0, 7, 2000};
	struct result r[3];

	if (size < 1 || size > 1 << 20)
		return 0;
	unsigned mode = data[0] & 3; /* 0,1: DATA; 2: BDAT text; 3: BDAT binary */
	/* bit 4: normalize bare LF; bits 5-6: the line limit */
	struct smtp_body_policy policy = { limits[(data[0] >> 2) & 3], lines[(data[0] >> 5) & 3],
					   (data[0] & 0x10) != 0 };
	uint64_t chunk_seed = 0x1234567u + data[0];
	const char *in = (const char *)data + 1;
	size_t len = size - 1;

	for (size_t k = 0; k < 3; k++) {
		uint64_t seed = 0x9e3779b97f4a7c15u ^ len;
		size_t step = k == 0 ? 0 : k == 1 ? 1 : 2;
		pb_buf_init(&r[k].out);
		if (k == 1 && len > 65536)
			step = 2;
		if (mode < 2)
			run_data(in, len, &policy, step, &seed, &r[k]);
		else
			run_bdat(in, len, &policy, mode == 3, step, &seed, chunk_seed, &r[k]);
		CHECK_OR_ABORT(r[k].out.len <= r[k].used * (policy.normalize_lf ? 2 : 1));
	}
	same(&r[0], &r[1]);
	same(&r[0], &r[2]);
	check_accepted(&r[0], &policy, mode != 3);
	if (mode < 2)
		CHECK_OR_ABORT(r[0].ret == 1 ? r[0].used == real_end(in, len) : real_end(in, len) == 0);
	for (size_t k = 0; k < 3; k++)
		pb_buf_deinit(&r[k].out);
	return 0;
}
