/*
 * pb-log.h: logging with levels and key=value fields, and a separate security log.
 *
 * A line reads: `2026-11-26T07:40:00.123Z level=info module=smtp event=accept ip=127.0.0.1`.
 * The message part is the caller's key=value text. Every value that may come from a client,
 * an administrator or the disk (user names, addresses, settings, error texts) goes through
 * PB_LOGQ(), so a line always parses back into the fields its format wrote:
 *   pb_info("pop3", "event=login user=%s reason=%s", PB_LOGQ(user), PB_LOGQ(error));
 * Reasons are words (reason=unknown_user), not numbers. Secrets are never passed here.
 * The sinks are configured once at start-up, before any thread is started (pb_log_open);
 * after that, logging is THREAD-safe (each line is one write(2) on an O_APPEND fd).
 * The last PB_LOG_RECENT warning and error lines are also kept in memory (pb_log_recent), for
 * `pillarbox status`: a small ring under a mutex, bounded in count and line length.
 */
#ifndef PB_LOG_H
#define PB_LOG_H

#include "pb-alloc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_log_level { PB_LOG_DEBUG, PB_LOG_INFO, PB_LOG_WARN, PB_LOG_ERROR };

/* Opens the sinks: main log to path (NULL: stderr), security log to sec_path (NULL: the main
 * log, with module=security). Returns 0, or -1 with error_r (static text) if a file cannot be
 * opened. May be called again to reopen (log rotation) only while no thread logs. */
int pb_log_open(const char *path, const char *sec_path, enum pb_log_level min_level,
		const char **error_r);
void pb_log_close(void);
/* Also writes every main-log line to stderr (the journal, when systemd runs the daemon) besides
 * the log file; no effect when the main log is stderr itself. Call before threads start. */
void pb_log_copy_to_stderr(bool on);
/* Whether stderr is the journal: JOURNAL_STREAM ("DEV:INODE", systemd.exec(5)) names the
 * device and inode stderr is open on. */
bool pb_log_stderr_is_journal(void);
/* Reopens the log files at their paths (after logrotate moved them). Safe while other threads
 * log: each new file is dup2()ed onto the descriptor number in use, which changes atomically.
 * Returns 0, or -1 with error_r if a file cannot be opened (the old one stays in use). */
int pb_log_reopen(const char **error_r);
/* Parses "debug", "info", "warn", "error". Returns 0 or -1. */
int pb_log_level_parse(const char *s, enum pb_log_level *level_r);

void pb_log(enum pb_log_level level, const char *module, const char *fmt, ...) PB_PRINTF(3, 4);
/* Writes to the security log: logins, lockouts, blocks, administrative changes. */
void pb_log_security(const char *module, const char *fmt, ...) PB_PRINTF(2, 3);

/* The file the security log lines go to: its own, or the main log's (*shared_r true: its lines
 * there have module=security.*); NULL when neither is a file (stderr). THREAD: any. */
const char *pb_log_security_file(bool *shared_r);

/* The last warning and error lines (newest last), kept whatever the sinks. */
#define PB_LOG_RECENT 8
#define PB_LOG_RECENT_LINE 240
struct pb_log_recent {
	int64_t time_ms; /* wall clock, ms since the epoch */
	enum pb_log_level level;
	char module[24];
	char text[PB_LOG_RECENT_LINE]; /* the line's key=value part, cut at PB_LOG_RECENT_LINE - 1 */
};
/* Copies up to max of the most recent warning/error lines into out, oldest first; returns how
 * many (at most PB_LOG_RECENT). THREAD: any. */
size_t pb_log_recent(struct pb_log_recent *out, size_t max);
/* Forgets the recent lines (tests). */
void pb_log_recent_clear(void);
/* "debug", "info", "warn", "error". */
const char *pb_log_level_name(enum pb_log_level level);

/* Renders s as one log value into buf (size bytes, at least 8) and returns buf. s is
 * written as it is when it is a non-empty run of printable ASCII other than space, '"', '\\'
 * and '=', and of well-formed UTF-8 (which passes through, so names stay readable); otherwise
 * in double quotes, with \" \\ \n \r \t for those octets and \xHH for every other control
 * octet, DEL, C1 control and malformed UTF-8 octet. A value that does not fit ends in `..."`
 * (escapes and UTF-8 sequences are never cut). NULL is written as "". */
const char *pb_log_quote(char *buf, size_t size, const char *s);

/* The bound of a quoted value, and PB_LOGQ(s): s quoted into a buffer that lives until the end
 * of the enclosing full expression's block — use it inside a log call's argument list. */
#define PB_LOGQ_MAX 512
#define PB_LOGQ(s) pb_log_quote((char[PB_LOGQ_MAX]){ 0 }, PB_LOGQ_MAX, (s))

#define pb_debug(module, ...) pb_log(PB_LOG_DEBUG, module, __VA_ARGS__)
#define pb_info(module, ...) pb_log(PB_LOG_INFO, module, __VA_ARGS__)
#define pb_warn(module, ...) pb_log(PB_LOG_WARN, module, __VA_ARGS__)
#define pb_error(module, ...) pb_log(PB_LOG_ERROR, module, __VA_ARGS__)

#endif
