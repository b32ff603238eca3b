/*
 * pb-log-read.h: reading a log file back, newest first, a page at a time (GET
 * /api/logs/security): a bounded read from the end, lines parsed into time, module and the
 * key=value text (pb-log.h's format), filtered by whole fields.
 * OWNS: nothing (the caller's descriptor). THREAD: any that may block on a local file.
 */
#ifndef PB_LOG_READ_H
#define PB_LOG_READ_H

#include <stddef.h>
#include <stdint.h>

/* The most bytes one read looks at (a page may then hold fewer lines than asked; its next
 * offset goes on from there). */
#define PB_LOG_READ_MAX (1024 * 1024)

/* One line read back: where it starts in the file, its time (ms since the epoch, 0 when
 * unreadable), module and its key=value text (without the newline); pointers into the
 * reader's buffer. */
struct pb_log_read_line {
	uint64_t offset;
	int64_t time_ms;
	const char *module;
	size_t module_len;
	const char *text;
	size_t text_len;
};

/* What lines to keep: each non-NULL filter must be a whole field of the line — user: the
 * value of user=; ip: the value of ip= or peer=; module_prefix: the start of module= (the
 * security lines in the main log: "security."). Values compare as written by PB_LOGQ. */
struct pb_log_read_filter {
	const char *user, *ip, *module_prefix;
};

/* Calls fn for the lines that end at or before offset before (UINT64_MAX: the end of the
 * file) and pass f, newest first, at most limit of them, reading at most PB_LOG_READ_MAX bytes
 * of fd with pread. *next_r: the before of the next (older) page, 0 when none is left.
 * Returns 0, or -1 with error_r (static) when fd cannot be read. */
typedef void pb_log_read_fn(const struct pb_log_read_line *line, void *ctx);
int pb_log_read_back(int fd, uint64_t before, uint32_t limit, const struct pb_log_read_filter *f,
		     pb_log_read_fn *fn, void *ctx, uint64_t *next_r, const char **error_r);

#endif
