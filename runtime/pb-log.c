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

const char *pb_log_value(const char *s, char *buf, size_t bufsize)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p != '\0' && plain; p++)
		plain = (unsigned char)*p > ' ' && *p != '"' && *p != '\\' && *p != '=';
	if (plain) {
		snprintf(buf, bufsize, "%s", s);
		return buf;
	}
	size_t o = 0;
	if (bufsize < 3)
		return "\"\"";
	buf[o++] = '"';
	for (const char *p = s; *p != '\0' && o + 5 < bufsize; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < ' ' || c == 0x7f) {
			o += (size_t)snprintf(buf + o, bufsize - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
