/*
 * pb-test-store.h: helpers for tests over a real store (store and actor tests): a fresh temporary database directory,
 * recursive removal, opening with REQUIRE-style checks, a body maker (with store-bodies.h).
 * OWNS: nothing. THREAD: the test's main thread.
 */
#ifndef PB_TEST_STORE_H
#define PB_TEST_STORE_H

#include "store-db.h"

#include "pb-alloc.h"
#include "pb-buf.h"
#include "pb-test.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int store_test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

/* Removes a directory tree (ignores errors: best effort cleanup). */
static inline void store_test_rmrf(const char *dir)
{
	nftw(dir, store_test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A new empty directory under $TMPDIR (or /tmp); the caller frees the string. */
static inline char *store_test_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char *dir = xasprintf("%s/pb-store-%s-XXXXXX", base, tag);

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return dir;
}

/* The end of a store test's fixture: closes *s, removes the directory *dir and frees it. */
static inline void store_test_done(struct pb_store **s, char **dir)
{
	pb_store_close(s);
	store_test_rmrf(*dir);
	free(*dir);
	*dir = NULL;
}

/* Opens (creating) the store in dir, or aborts the test program with the error. */
static inline struct pb_store *store_test_open(const char *dir)
{
	struct pb_store_options o = { .create_if_missing = true };
	struct pb_store *s = NULL;
	const char *err = NULL;

	if (pb_store_open(dir, &o, &s, &err) < 0) {
		fprintf(stderr, "open %s: %s\n", dir, err);
		abort();
	}
	return s;
}

/* Fills buf with len bytes derived from seed (distinct seeds give distinct bodies). */
static inline void store_test_body(char *buf, size_t len, unsigned seed)
{
	int n = snprintf(buf, len, "From: test%u\r\n\r\n", seed);
	for (size_t i = n > 0 ? (size_t)n : 0; i < len; i++)
		buf[i] = (char)('a' + (i * 7 + seed) % 26);
}

#ifdef PB_STORE_BODIES_H /* for tests that link pb_store_bodies (include store-bodies.h first) */
/* Puts a body made from seed; writes its key. Returns 0 / -1. */
static inline int store_test_put_body(struct pb_store *s, size_t len, unsigned seed,
				      char key_r[PB_BLOB_KEY_LEN + 1])
{
	char *buf = xmalloc(len + 1);
	const char *err = NULL;

	store_test_body(buf, len, seed);
	int ret = pb_store_blob_put(s, buf, len, key_r, &err);
	if (ret < 0)
		fprintf(stderr, "blob_put: %s\n", err);
	free(buf);
	return ret;
}
#endif

#endif
