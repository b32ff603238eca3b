/*
 * pb-log.h: logging with levels and key=value fields, and a separate security log.
 *
 * A line reads: `2026-11-26T07:40:00.123Z level=info module=smtp event=accept ip=127.0.0.1`.
 * The message part is the caller's key=value text; values with spaces are quoted by
 * pb_log_value(). Secrets are never passed here.
 * The sinks are configured once at start-up, before any thread is started (pb_log_open);
 * after that, logging is THREAD-safe (each line is one write(2) on an O_APPEND fd).
 */
#ifndef PB_LOG_H
#define PB_LOG_H

#include "pb-alloc.h"

#include <stddef.h>

enum pb_log_level { PB_LOG_DEBUG, PB_LOG_INFO, PB_LOG_WARN, PB_LOG_ERROR };

/* Opens the sinks: main log to path (NULL: stderr), security log to sec_path (NULL: the main
 * log, with module=security). Returns 0, or -1 with error_r (static text) if a file cannot be
 * opened. May be called again to reopen (log rotation) only while no thread logs. */
int pb_log_open(const char *path, const char *sec_path, enum pb_log_level min_level,
		const char **error_r);
void pb_log_close(void);
/* Reopens the log files at their paths (after logrotate moved them). Safe while other threads
 * log: each new file is dup2()ed onto the descriptor number in use, which changes atomically.
 * Returns 0, or -1 with error_r if a file cannot be opened (the old one stays in use). */
int pb_log_reopen(const char **error_r);
/* Parses "debug", "info", "warn", "error". Returns 0 or -1. */
int pb_log_level_parse(const char *s, enum pb_log_level *level_r);

void pb_log(enum pb_log_level level, const char *module, const char *fmt, ...) PB_PRINTF(3, 4);
/* Writes to the security log: logins, lockouts, blocks, administrative changes. */
void pb_log_security(const char *module, const char *fmt, ...) PB_PRINTF(2, 3);

/* Renders s as a log value into buf (quoted and escaped when it has spaces, quotes,
 * control bytes or is empty; truncated to bufsize). Returns buf. */
const char *pb_log_value(const char *s, char *buf, size_t bufsize);

#define pb_debug(module, ...) pb_log(PB_LOG_DEBUG, module, __VA_ARGS__)
#define pb_info(module, ...) pb_log(PB_LOG_INFO, module, __VA_ARGS__)
#define pb_warn(module, ...) pb_log(PB_LOG_WARN, module, __VA_ARGS__)
#define pb_error(module, ...) pb_log(PB_LOG_ERROR, module, __VA_ARGS__)

#endif
