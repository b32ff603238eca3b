/*
 * pb-log.c: log sinks. OWNS the two sink file descriptors, the copy-to-stderr flag and the
 * minimum level, set at start-up before threads run and only read afterwards; and the ring of
 * recent warning/error lines, under its mutex. THREAD: any (after pb_log_open).
 */
#include "pb-log.h"

#include <stdbool.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = STDERR_FILENO;
static int sec_fd = -1;
static char log_path[4096], sec_path_saved[4096]; /* "" when the sink is not a file */
static enum pb_log_level log_min = PB_LOG_INFO;
static bool copy_stderr;

/* The recent warning/error lines: a ring of PB_LOG_RECENT, next = where the next one goes. */
static pthread_mutex_t recent_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pb_log_recent recent[PB_LOG_RECENT];
static size_t recent_next, recent_n;

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

const char *pb_log_level_name(enum pb_log_level level)
{
	return (size_t)level < PB_N_ELEMENTS(level_names) ? level_names[level] : "unknown";
}

void pb_log_copy_to_stderr(bool on)
{
	copy_stderr = on;
}

bool pb_log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (js == NULL || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2 ||
	    fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* 0600: the logs name users and addresses, like everything in the data directory. */
static int open_sink(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
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

/* Formats one line (timestamp, level, module, the caller's text, newline) into line (size
 * bytes); returns its length (0 if nothing fits), and in *text_r where the caller's text starts. */
static PB_PRINTF(5, 0) size_t format_line(char *line, size_t size, const char *level,
					  const char *module, const char *fmt, va_list ap,
					  size_t *text_r, int64_t *ms_r)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	*ms_r = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	int n = snprintf(line, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s module=%s ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)(tv.tv_usec / 1000), level, module);
	if (n < 0 || (size_t)n >= size)
		return 0;
	int m = vsnprintf(line + n, size - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return 0;
	size_t len = (size_t)n + (size_t)m;
	if (len > size - 2)
		len = size - 2;
	line[len++] = '\n';
	*text_r = (size_t)n;
	return len;
}

static void write_all(int fd, const char *line, size_t len)
{
	ssize_t w;
	do {
		w = write(fd, line, len);
	} while (w < 0 && errno == EINTR);
}

/* Keeps a warning/error line (its text: line[text..len - 1], without the newline). */
static void remember(enum pb_log_level level, const char *module, int64_t ms, const char *text,
		     size_t len)
{
	pthread_mutex_lock(&recent_lock);
	struct pb_log_recent *r = &recent[recent_next];
	r->time_ms = ms;
	r->level = level;
	snprintf(r->module, sizeof(r->module), "%s", module);
	snprintf(r->text, sizeof(r->text), "%.*s", (int)len, text);
	recent_next = (recent_next + 1) % PB_LOG_RECENT;
	if (recent_n < PB_LOG_RECENT)
		recent_n++;
	pthread_mutex_unlock(&recent_lock);
}

size_t pb_log_recent(struct pb_log_recent *out, size_t max)
{
	pthread_mutex_lock(&recent_lock);
	size_t n = recent_n < max ? recent_n : max;
	/* the newest n, oldest first */
	for (size_t i = 0; i < n; i++)
		out[i] = recent[(recent_next + PB_LOG_RECENT - n + i) % PB_LOG_RECENT];
	pthread_mutex_unlock(&recent_lock);
	return n;
}

void pb_log_recent_clear(void)
{
	pthread_mutex_lock(&recent_lock);
	recent_n = 0;
	recent_next = 0;
	pthread_mutex_unlock(&recent_lock);
}

void pb_log(enum pb_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;
	char line[4096];
	size_t text;
	int64_t ms;

	if (level < log_min && level < PB_LOG_WARN)
		return;
	va_start(ap, fmt);
	size_t len = format_line(line, sizeof(line), level_names[level], module, fmt, ap, &text, &ms);
	va_end(ap);
	if (len == 0)
		return;
	if (level >= PB_LOG_WARN)
		remember(level, module, ms, line + text, len - 1 - text);
	if (level < log_min)
		return;
	write_all(log_fd, line, len);
	if (copy_stderr && log_fd != STDERR_FILENO)
		write_all(STDERR_FILENO, line, len);
}

const char *pb_log_security_file(bool *shared_r)
{
	*shared_r = sec_path_saved[0] == '\0';
	const char *path = *shared_r ? log_path : sec_path_saved;
	return path[0] != '\0' ? path : NULL;
}

void pb_log_security(const char *module, const char *fmt, ...)
{
	va_list ap;
	char mod[64], line[4096];
	size_t text;
	int64_t ms;

	snprintf(mod, sizeof(mod), "security.%s", module);
	va_start(ap, fmt);
	size_t len = format_line(line, sizeof(line), "notice", sec_fd >= 0 ? module : mod, fmt, ap,
				 &text, &ms);
	va_end(ap);
	if (len > 0)
		write_all(sec_fd >= 0 ? sec_fd : log_fd, line, len);
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
