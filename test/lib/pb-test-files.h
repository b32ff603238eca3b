/*
 * pb-test-files.h: what the golden-file and feeding tests of the protocol parsers share —
 * reading a file, chunking functions for "any split gives the same result" checks, and a
 * runner over every NAME.in of a golden directory. Header-only; needs pb_base.
 * OWNS nothing. THREAD: the test's.
 */
#ifndef PB_TEST_FILES_H
#define PB_TEST_FILES_H

#include "pb-alloc.h"
#include "pb-buf.h"
#include "pb-test.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends the whole file to out. Returns 0 or -1. */
static inline int pb_test_read_file(const char *path, struct pb_buf *out)
{
	FILE *f = fopen(path, "rb");
	char tmp[4096];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		pb_buf_append(out, tmp, n);
	int ret = ferror(f) ? -1 : 0;
	fclose(f);
	return ret;
}

/* Chunk sizes for feeding tests: one byte at a time, or 1..97 bytes from an xorshift state
 * (ctx: a uint64_t seed). */
static inline size_t pb_test_chunk_bytes(size_t i, void *ctx)
{
	return 1;
}

static inline size_t pb_test_chunk_random(size_t i, void *ctx)
{
	uint64_t *x = ctx;

	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return 1 + (size_t)(*x % 97);
}

/* Writes what a golden test produced to NAME.actual in the working directory (for review). */
static inline void pb_test_write_actual(const char *name, const struct pb_buf *got)
{
	char *path = xasprintf("%s.actual", name);
	FILE *f = fopen(path, "wb");

	if (f != NULL) {
		fwrite(got->data, 1, got->len, f);
		fclose(f);
		fprintf(stderr, "  wrote %s\n", path);
	}
	free(path);
}

static inline int pb_test_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls check(dir, NAME) for every NAME.in in dir, in name order. Returns how many. */
static inline size_t pb_test_each_golden(const char *dir,
					 void (*check)(const char *dir, const char *name))
{
	DIR *d = opendir(dir);
	char *names[256];
	size_t n = 0;
	struct dirent *e;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < PB_N_ELEMENTS(names)) {
		size_t len = strlen(e->d_name);
		if (len > 3 && strcmp(e->d_name + len - 3, ".in") == 0)
			names[n++] = xstrndup(e->d_name, len - 3);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), pb_test_name_cmp);
	for (size_t i = 0; i < n; i++) {
		printf("     golden %s\n", names[i]);
		check(dir, names[i]);
		free(names[i]);
	}
	return n;
}

/* A protocol test's transcript of in[0..len) read in chunks sized by chunker (NULL: whole). */
typedef void pb_test_transcript_fn(const char *in, size_t len, size_t (*chunker)(size_t, void *),
				   void *ctx, struct pb_buf *out);

static inline bool pb_test_same(const struct pb_buf *a, const struct pb_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* The fuzz targets' invariant: the transcript is the same fed whole, in random reads and (up
 * to 4 KiB of input) byte by byte; abort() otherwise. */
static inline void pb_test_fuzz_splits(pb_test_transcript_fn *transcript, const char *in,
				       size_t size)
{
	struct pb_buf whole, split;
	uint64_t seed = 0x9e3779b97f4a7c15u ^ (size > 0 ? (unsigned char)in[0] : 0) ^ size;

	pb_buf_init(&whole);
	pb_buf_init(&split);
	transcript(in, size, NULL, NULL, &whole);
	transcript(in, size, pb_test_chunk_random, &seed, &split);
	if (!pb_test_same(&whole, &split))
		abort();
	if (size <= 4096) {
		pb_buf_reset(&split);
		transcript(in, size, pb_test_chunk_bytes, NULL, &split);
		if (!pb_test_same(&whole, &split))
			abort();
	}
	pb_buf_deinit(&whole);
	pb_buf_deinit(&split);
}

#endif
