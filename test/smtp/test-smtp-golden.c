/*
 * test-smtp-golden.c: golden transcripts. Each golden/NAME.in holds raw bytes a client
 * sends (pipelined commands, DATA and BDAT content, AUTH lines); golden/NAME.ref holds the
 * transcript the session model must produce (see smtp-test-util.h, message size limit
 * GOLDEN_MAX_SIZE; the strict policy, or for a NAME starting "normalize-" the default one,
 * smtp.bare_newlines normalize). Every input is run fed whole, byte by byte and in random reads; all
 * must equal the reference. On a mismatch the actual transcript is written to
 * NAME.actual in the current directory (the build directory under ctest) for review.
 */
#include "pb-test.h"
#include "smtp-test-util.h"

#include <stdlib.h>

#define GOLDEN_MAX_SIZE 2000

#ifndef SMTP_GOLDEN_DIR
#define SMTP_GOLDEN_DIR "golden"
#endif

static void check_golden(const char *dir, const char *name)
{
	struct pb_buf in, ref, got;
	char *in_path = xasprintf("%s/%s.in", dir, name);
	char *ref_path = xasprintf("%s/%s.ref", dir, name);

	pb_buf_init(&in);
	pb_buf_init(&ref);
	pb_buf_init(&got);
	CHECK_INT(pb_test_read_file(in_path, &in), 0);
	CHECK_INT(pb_test_read_file(ref_path, &ref), 0);
	struct smtp_body_policy policy = strncmp(name, "normalize-", 10) == 0
						 ? smtp_test_normalize(GOLDEN_MAX_SIZE, SMTP_DATA_LINE_MAX)
						 : smtp_test_strict(GOLDEN_MAX_SIZE);
	for (int mode = 0; mode < 5; mode++) {
		uint64_t seed = 0x2545f4914f6cdd1du * (uint64_t)(mode + 1);
		pb_buf_reset(&got);
		smtp_test_transcript_policy(in.data != NULL ? in.data : "", in.len, &policy,
					    mode == 0   ? NULL
					    : mode == 1 ? pb_test_chunk_bytes
							: pb_test_chunk_random,
					    &seed, &got);
		if (ref.data == NULL || strcmp(got.data, ref.data) != 0) {
			fprintf(stderr, "  golden %s differs (feeding mode %d)\n", name, mode);
			pb_test_write_actual(name, &got);
			CHECK_STR(got.data, ref.data != NULL ? ref.data : "");
			break;
		}
	}
	pb_buf_deinit(&in);
	pb_buf_deinit(&ref);
	pb_buf_deinit(&got);
	free(in_path);
	free(ref_path);
}

static void test_goldens(void)
{
	const char *src = getenv("PB_SOURCE_DIR");
	char *dir = src != NULL ? xasprintf("%s/test/smtp/golden", src) : xstrdup(SMTP_GOLDEN_DIR);

	CHECK(pb_test_each_golden(dir, check_golden) >= 6);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{"goldens", test_goldens},
};

PB_TEST_MAIN(cases)
