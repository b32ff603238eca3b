/*
 * pb-log.c: log sinks. OWNS the two sink file descriptors and the minimum level, set at
 * start-up before threads run and only read afterwards. THREAD: any (after pb_log_open).
 */
#include "pb-log.h"

#include <stdbool.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = STDERR_FILENO;
static int sec_fd = -1;
static char log_path[4096], sec_path_saved[4096]; /* "" when the sink is not a file */
static enum pb_log_level log_min = PB_LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int pb_log_level_parse(const char *s, enum pb_log_level *level_r)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*level_r = (enum pb_log_level)i;
			return 0;
		}
	}
	return -1;
}

static int open_sink(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

int pb_log_open(const char *path, const char *sec_path, enum pb_log_level min_level,
		const char **error_r)
{
	pb_log_close();
	log_min = min_level;
	snprintf(log_path, sizeof(log_path), "%s", path != NULL ? path : "");
	snprintf(sec_path_saved, sizeof(sec_path_saved), "%s", sec_path != NULL ? sec_path : "");
	if (path != NULL && (log_fd = open_sink(path)) < 0) {
		log_fd = STDERR_FILENO;
		*error_r = "cannot open the log file";
		return -1;
	}
	if (sec_path != NULL && (sec_fd = open_sink(sec_path)) < 0) {
		*error_r = "cannot open the security log file";
		return -1;
	}
	return 0;
}

static int reopen_one(const char *path, int fd)
{
	if (path[0] == '\0' || fd < 0)
		return 0;
	int nfd = open_sink(path);
	if (nfd < 0)
		return -1;
	int rc = dup2(nfd, fd) < 0 ? -1 : 0;
	close(nfd);
	return rc;
}

int pb_log_reopen(const char **error_r)
{
	if (reopen_one(log_path, log_path[0] != '\0' ? log_fd : -1) < 0) {
		*error_r = "cannot reopen the log file";
		return -1;
	}
	if (reopen_one(sec_path_saved, sec_fd) < 0) {
		*error_r = "cannot reopen the security log file";
		return -1;
	}
	return 0;
}

void pb_log_close(void)
{
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	if (sec_fd >= 0)
		close(sec_fd);
	log_fd = STDERR_FILENO;
	sec_fd = -1;
}

static PB_PRINTF(4, 0) void write_line(int fd, const char *level, const char *module, const char *fmt,
		       va_list ap)
{
	char line[4096];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
			 "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s module=%s ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)(tv.tv_usec / 1000), level, module);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t w;
	do {
		w = write(fd, line, len);
	} while (w < 0 && errno == EINTR);
}

void pb_log(enum pb_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	write_line(log_fd, level_names[level], module, fmt, ap);
	va_end(ap);
}

void pb_log_security(const char *module, const char *fmt, ...)
{
	va_list ap;
	char mod[64];

	va_start(ap, fmt);
	if (sec_fd >= 0) {
		write_line(sec_fd, "notice", module, fmt, ap);
	} else {
		snprintf(mod, sizeof(mod), "security.%s", module);
		write_line(log_fd, "notice", mod, fmt, ap);
	}
	va_end(ap);
}

/* The length of the well-formed UTF-8 sequence at p (2-4) if it is not a C1 control, else 0
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
						: p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	else if (p[0] == 0xc2)
		lo = 0xa0; /* U+0080..U+009F are C1 controls */
	for (size_t i = 1; i < n; i++) {
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return n;
}

/* Encodes the unit at p (one octet, or a UTF-8 sequence) into out (>= 5 bytes) as it goes
 * between quotes; returns its length in s and sets *out_len. *plain: whether it may stand
 * unquoted. */
static size_t quote_unit(const unsigned char *p, char *out, size_t *out_len, bool *plain)
{
	static const char esc[] = { '"', '"', '\\', '\\', '\n', 'n', '\r', 'r', '\t', 't' };
	size_t n = p[0] >= 0x80 ? utf8_len(p) : 0;

	*plain = n > 0 || (p[0] > ' ' && p[0] < 0x7f && p[0] != '"' && p[0] != '\\' && p[0] != '=');
	if (n > 0) {
		memcpy(out, p, n);
		*out_len = n;
		return n;
	}
	for (size_t i = 0; i < sizeof(esc); i += 2) {
		if (p[0] == (unsigned char)esc[i]) {
			out[0] = '\\';
			out[1] = esc[i + 1];
			*out_len = 2;
			return 1;
		}
	}
	if (p[0] < ' ' || p[0] >= 0x7f) {
		*out_len = (size_t)snprintf(out, 5, "\\x%02x", p[0]);
	} else {
		out[0] = (char)p[0];
		*out_len = 1;
	}
	return 1;
}

const char *pb_log_quote(char *buf, size_t size, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), quoted_len = 2, o = 1, n;
	bool plain = len > 0, unit_plain;
	char unit[5];

	for (size_t i = 0; i < len;) {
		i += quote_unit(p + i, unit, &n, &unit_plain);
		plain = plain && unit_plain;
		quoted_len += n;
	}
	if (plain && len < size) {
		memcpy(buf, p, len + 1);
		return buf;
	}
	buf[0] = '"';
	for (size_t i = 0; i < len;) {
		size_t used = quote_unit(p + i, unit, &n, &unit_plain);
		if (quoted_len >= size && o + n + 5 > size) { /* keep room for `..."` and the NUL */
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, unit, n);
		o += n;
		i += used;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
