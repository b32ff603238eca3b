/*
 * sched-calc.h: the pure schedule of a connection method — when is it next due, given its
 * rules, when it last ran and the time now. No clock, no nng, no store: time in, time out, so
 * the table-driven tests set every instant.
 *
 * A rule is "every N minutes, between FROM and TO local time, on these days of the week, if at
 * least M messages are waiting to be sent" (M = 0: always). A method's next due time is the
 * earliest of its rules'. Times are wall-clock milliseconds since the epoch (UTC); windows and
 * days are read on the local clock of the process's time zone (TZ, localtime_r/mktime).
 *
 * How time oddities are handled:
 *  - intervals are real elapsed time: "every 10 minutes" stays 10 minutes across a DST change
 *    (no run doubled or skipped because the wall clock moved an hour);
 *  - windows are local clock readings: on the night the clocks go back a 02:00–03:00 window is
 *    open for both passes of that hour; a window that opens inside the hour skipped in spring
 *    opens at the first minute after the gap at which the window is open;
 *  - a window with FROM later than TO crosses midnight; it belongs to the day it opens on
 *    (a Friday 22:00–06:00 window is open early on Saturday, not early on Friday);
 *  - the clock jumping backwards: a last run later than now is taken as now, so the method waits
 *    one interval, not the length of the jump;
 *  - the clock jumping forwards (or the daemon down for a while): a due time already past is
 *    now — the method runs once, missed runs are not caught up.
 * THREAD: any (pure; localtime_r and mktime read TZ, which nobody changes while running).
 */
#ifndef SCHED_CALC_H
#define SCHED_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_RULES_MAX 8
#define SCHED_EVERY_MAX 10080 /* minutes: one week */
#define SCHED_WAITING_MAX 1000000
#define SCHED_DAYS_ALL 0x7f /* bit 0 Monday ... bit 6 Sunday */
#define SCHED_NEVER INT64_MAX
#define SCHED_RULE_TEXT_MAX 96

struct sched_rule {
	uint32_t every_min;        /* 1..SCHED_EVERY_MAX */
	uint16_t from_min, to_min; /* minutes after local midnight, 0..1439; equal: all day */
	uint8_t days;              /* day bits, not 0 */
	uint32_t min_waiting;      /* run only if at least this many messages wait; 0: always */
};

/* The default rule: every 10 minutes, all day, every day, always. */
void sched_rule_default(struct sched_rule *r_r);
/* Checks a rule's ranges. 0, or -1 with error_r (static text naming the field). */
int sched_rule_check(const struct sched_rule *r, const char **error_r);
/* True if local time t_ms falls inside r's window on one of its days. */
bool sched_rule_open(const struct sched_rule *r, int64_t t_ms);
/* When r is next due: last_ms the start of the method's last run (0: never; runs at once if
 * the window is open), now_ms the time now. Returns a time >= now_ms, or SCHED_NEVER. */
int64_t sched_rule_next(const struct sched_rule *r, int64_t last_ms, int64_t now_ms);
/* The earliest next due time of rules[0..n) and the index of the rule giving it in *rule_r
 * (may be NULL). SCHED_NEVER when n is 0. */
int64_t sched_next_due(const struct sched_rule *rules, size_t n, int64_t last_ms, int64_t now_ms,
		       size_t *rule_r);

/* "HH:MM" (00:00..23:59; also "24:00" as TO, meaning midnight) into minutes. 0 / -1. */
int sched_parse_hhmm(const char *text, uint16_t *min_r);
/* Days as "mon,tue,sat", ranges "mon-fri" (also "fri-mon"), or "all". 0, or -1 with
 * error_r (static text). */
int sched_parse_days(const char *text, uint8_t *days_r, const char **error_r);
/* Days as text: "all", "mon-fri", or a list "mon,wed,sat". */
void sched_days_text(uint8_t days, char *buf, size_t size);
/* A rule as one line: "every 10 min, 08:00-18:00, mon-fri, if 5+ waiting". */
void sched_rule_text(const struct sched_rule *r, char *buf, size_t size);

#endif
