/*
 * pb-alloc.h: allocation that aborts on out-of-memory, and small string helpers.
 * No caller checks for NULL after these. THREAD: any.
 */
#ifndef PB_ALLOC_H
#define PB_ALLOC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#define PB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PB_NORETURN __attribute__((noreturn))

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) PB_PRINTF(1, 2);

/* Internal invariant failures: log and abort. Never used for remote input. */
void pb_panic(const char *file, int line, const char *fmt, ...) PB_PRINTF(3, 4) PB_NORETURN;
#define PANIC(...) pb_panic(__FILE__, __LINE__, __VA_ARGS__)
#define ASSERT(cond)                                                                   \
	do {                                                                           \
		if (!(cond))                                                           \
			pb_panic(__FILE__, __LINE__, "assertion failed: %s", #cond);  \
	} while (0)

#define PB_N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

#endif
