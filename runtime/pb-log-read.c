/*
 * pb-log-read.c: reading a log file back, newest first (pb-log-read.h).
 * OWNS: nothing beyond one call's buffer. THREAD: the caller's.
 */
#include "pb-log-read.h"

#include "pb-alloc.h"
#include "pb-log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Whether line (len bytes) holds the field " KEY=VALUE" whole (VALUE quoted as PB_LOGQ). */
static bool has_field(const char *line, size_t len, const char *key, const char *value)
{
	char q[PB_LOGQ_MAX], want[PB_LOGQ_MAX + 40];
	int n = snprintf(want, sizeof(want), " %s=%s", key, pb_log_quote(q, sizeof(q), value));
	size_t wl = (size_t)n;

	for (const char *p = line; n > 0 && (size_t)(p - line) + wl <= len; p++) {
		p = memmem(p, len - (size_t)(p - line), want, wl);
		if (p == NULL)
			return false;
		size_t end = (size_t)(p - line) + wl;
		if (end == len || line[end] == ' ')
			return true;
	}
	return false;
}

/* "2026-11-26T07:40:00.123Z" at p (len bytes at least 24) in ms since the epoch, 0 if not. */
static int64_t line_time_ms(const char *p, size_t len)
{
	struct tm tm = { 0 };
	int ms = 0;
	char buf[25];

	if (len < 24)
		return 0;
	memcpy(buf, p, 24);
	buf[24] = '\0';
	if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* Parses one line (without its newline) into l: 0, or -1 when it is not in the log format. */
static int parse_line(const char *p, size_t len, struct pb_log_read_line *l)
{
	const char *mod = memmem(p, len, " module=", 8);
	if (mod == NULL)
		return -1;
	l->time_ms = line_time_ms(p, len);
	l->module = mod + 8;
	const char *sp = memchr(l->module, ' ', len - (size_t)(l->module - p));
	l->module_len = sp != NULL ? (size_t)(sp - l->module) : len - (size_t)(l->module - p);
	l->text = sp != NULL ? sp + 1 : l->module + l->module_len;
	l->text_len = len - (size_t)(l->text - p);
	return 0;
}

static bool line_passes(const char *p, size_t len, const struct pb_log_read_line *l,
			const struct pb_log_read_filter *f)
{
	size_t pl = f->module_prefix != NULL ? strlen(f->module_prefix) : 0;

	if (pl > 0 && (l->module_len < pl || memcmp(l->module, f->module_prefix, pl) != 0))
		return false;
	if (f->user != NULL && !has_field(p, len, "user", f->user))
		return false;
	return f->ip == NULL || has_field(p, len, "ip", f->ip) || has_field(p, len, "peer", f->ip);
}

/* Reads [start, start + len) of fd into buf: 0 / -1. */
static int read_window(int fd, uint64_t start, char *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)(start + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* The lines of buf[first, stop) (whole lines), newest first, through the filter to fn; returns
 * where the oldest one looked at begins (first when every line was). */
static size_t walk_back(const char *buf, size_t first, size_t stop, uint64_t start,
			uint32_t limit, const struct pb_log_read_filter *f, pb_log_read_fn *fn,
			void *ctx)
{
	size_t e = stop;

	for (uint32_t n = 0; e > first && n < limit;) {
		size_t b = e - 1; /* its newline */
		while (b > first && buf[b - 1] != '\n')
			b--;
		struct pb_log_read_line l = { .offset = start + b };
		if (parse_line(buf + b, e - 1 - b, &l) == 0 && line_passes(buf + b, e - 1 - b, &l, f)) {
			fn(&l, ctx);
			n++;
		}
		e = b;
	}
	return e;
}

int pb_log_read_back(int fd, uint64_t before, uint32_t limit, const struct pb_log_read_filter *f,
		     pb_log_read_fn *fn, void *ctx, uint64_t *next_r, const char **error_r)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		*error_r = "cannot read the log file";
		return -1;
	}
	uint64_t end = before < (uint64_t)st.st_size ? before : (uint64_t)st.st_size;
	uint64_t start = end > PB_LOG_READ_MAX ? end - PB_LOG_READ_MAX : 0;
	size_t len = (size_t)(end - start);
	char *buf = xmalloc(len + 1);
	if (read_window(fd, start, buf, len) < 0) {
		free(buf);
		*error_r = "cannot read the log file";
		return -1;
	}
	size_t stop = len, first = 0;
	while (stop > 0 && buf[stop - 1] != '\n')
		stop--; /* a line being written, or the middle of one: not yet */
	if (start > 0) { /* the window's first line began before it */
		const char *nl = memchr(buf, '\n', stop);
		first = nl != NULL ? (size_t)(nl - buf) + 1 : stop;
	}
	size_t e = walk_back(buf, first, stop, start, limit, f, fn, ctx);
	free(buf);
	*next_r = e > first ? start + e : start > 0 && first > 0 ? start + first : 0;
	return 0;
}
