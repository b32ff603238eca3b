/*
 * sched-calc.c: next-due computation of connection methods (see sched-calc.h for the rules on
 * DST and clock jumps).
 * OWNS nothing. THREAD: any.
 */
#include "sched-calc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MINUTE_MS 60000LL
#define DAY_MIN 1440
/* The longest DST gap is an hour (a few zones: 30 minutes): minutes searched around it. */
#define GAP_SEARCH_MIN 240

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

void sched_rule_default(struct sched_rule *r_r)
{
	*r_r = (struct sched_rule){ .every_min = 10, .days = SCHED_DAYS_ALL };
}

int sched_rule_check(const struct sched_rule *r, const char **error_r)
{
	if (r->every_min < 1 || r->every_min > SCHED_EVERY_MAX)
		*error_r = "the interval must be 1 to 10080 minutes";
	else if (r->from_min >= DAY_MIN || r->to_min >= DAY_MIN)
		*error_r = "a window time must be 00:00 to 23:59";
	else if (r->days == 0 || (r->days & ~SCHED_DAYS_ALL) != 0)
		*error_r = "no day of the week given";
	else if (r->min_waiting > SCHED_WAITING_MAX)
		*error_r = "the number of waiting messages must be 0 to 1000000";
	else
		return 0;
	return -1;
}

/* t_ms as local time: minutes after midnight and the weekday (0 Monday). */
static void local_parts(int64_t t_ms, int *tod_r, int *wday_r)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	*tod_r = tm.tm_hour * 60 + tm.tm_min;
	*wday_r = (tm.tm_wday + 6) % 7;
}

static bool day_on(uint8_t days, int wday)
{
	return (days & (1u << wday)) != 0;
}

bool sched_rule_open(const struct sched_rule *r, int64_t t_ms)
{
	int tod, wday;

	local_parts(t_ms, &tod, &wday);
	if (r->from_min == r->to_min)
		return day_on(r->days, wday);
	if (r->from_min < r->to_min)
		return tod >= r->from_min && tod < r->to_min && day_on(r->days, wday);
	if (tod >= r->from_min)
		return day_on(r->days, wday);
	/* before TO of a window crossing midnight: it opened the day before */
	return tod < r->to_min && day_on(r->days, (wday + 6) % 7);
}

/* The local time FROM on the day `plus` days after t_ms's local date, in ms. */
static int64_t opening_on(const struct sched_rule *r, int64_t t_ms, int plus)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday += plus;
	tm.tm_hour = r->from_min / 60;
	tm.tm_min = r->from_min % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1; /* whatever is in force on that day */
	return (int64_t)mktime(&tm) * 1000;
}

/* The first time after t_ms at which r's window opens (on one of its days). An opening that
 * falls into a DST gap moves to the first open minute after it. */
static int64_t next_opening(const struct sched_rule *r, int64_t t_ms)
{
	for (int plus = -1; plus <= 8; plus++) {
		int64_t o = opening_on(r, t_ms, plus);
		int tod, wday;
		local_parts(o, &tod, &wday);
		if (tod != r->from_min) {
			/* FROM does not exist that day (a DST gap; mktime may have moved either way):
			 * the first minute the clock reads inside the window */
			o = (o / MINUTE_MS - GAP_SEARCH_MIN / 2) * MINUTE_MS;
			for (int i = 0; i < GAP_SEARCH_MIN && !sched_rule_open(r, o); i++)
				o += MINUTE_MS;
		}
		if (o > t_ms && sched_rule_open(r, o))
			return o;
	}
	return SCHED_NEVER;
}

int64_t sched_rule_next(const struct sched_rule *r, int64_t last_ms, int64_t now_ms)
{
	if (r->days == 0 || r->every_min == 0)
		return SCHED_NEVER;
	if (last_ms > now_ms)
		last_ms = now_ms; /* the clock went back: one interval from now */
	int64_t t = last_ms == 0 ? now_ms : last_ms + (int64_t)r->every_min * MINUTE_MS;
	if (t < now_ms)
		t = now_ms; /* missed: once, now */
	return sched_rule_open(r, t) ? t : next_opening(r, t);
}

int64_t sched_next_due(const struct sched_rule *rules, size_t n, int64_t last_ms, int64_t now_ms,
		       size_t *rule_r)
{
	int64_t best = SCHED_NEVER;
	size_t best_i = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t t = sched_rule_next(&rules[i], last_ms, now_ms);
		if (t < best) {
			best = t;
			best_i = i;
		}
	}
	if (rule_r != NULL)
		*rule_r = best_i;
	return best;
}

int sched_parse_hhmm(const char *text, uint16_t *min_r)
{
	unsigned h, m;
	int used = 0;

	if (strlen(text) != 5 || sscanf(text, "%2u:%2u%n", &h, &m, &used) != 2 || used != 5 ||
	    text[0] < '0' || text[0] > '9' || text[3] < '0' || text[3] > '9')
		return -1;
	if (h == 24 && m == 0)
		h = 0; /* midnight as the end of a window */
	if (h > 23 || m > 59)
		return -1;
	*min_r = (uint16_t)(h * 60 + m);
	return 0;
}

static int day_index(const char *s, size_t len)
{
	for (int i = 0; i < 7; i++) {
		if (len == 3 && strncmp(s, day_names[i], 3) == 0)
			return i;
	}
	return -1;
}

/* One item "mon" or "mon-fri" (wrapping: "fri-mon") into *days. 0 / -1. */
static int days_item(const char *s, size_t len, uint8_t *days)
{
	const char *dash = memchr(s, '-', len);
	int a = day_index(s, dash != NULL ? (size_t)(dash - s) : len);
	int b = dash != NULL ? day_index(dash + 1, len - (size_t)(dash - s) - 1) : a;

	if (a < 0 || b < 0)
		return -1;
	for (int d = a;; d = (d + 1) % 7) {
		*days |= (uint8_t)(1u << d);
		if (d == b)
			break;
	}
	return 0;
}

int sched_parse_days(const char *text, uint8_t *days_r, const char **error_r)
{
	uint8_t days = 0;

	if (strcmp(text, "all") == 0) {
		*days_r = SCHED_DAYS_ALL;
		return 0;
	}
	for (const char *p = text;;) {
		size_t len = strcspn(p, ",");
		if (days_item(p, len, &days) < 0) {
			*error_r = "days are mon,tue,wed,thu,fri,sat,sun, ranges like mon-fri, or all";
			return -1;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*days_r = days;
	return 0;
}

void sched_days_text(uint8_t days, char *buf, size_t size)
{
	size_t used = 0;

	if ((days & SCHED_DAYS_ALL) == SCHED_DAYS_ALL) {
		snprintf(buf, size, "all");
		return;
	}
	if (days == 0x1f) {
		snprintf(buf, size, "mon-fri");
		return;
	}
	buf[0] = '\0';
	for (int d = 0; d < 7 && used < size; d++) {
		if (day_on(days, d))
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "",
						 day_names[d]);
	}
}

void sched_rule_text(const struct sched_rule *r, char *buf, size_t size)
{
	char days[32], window[16] = "all day", waiting[32] = "";

	sched_days_text(r->days, days, sizeof(days));
	if (r->from_min != r->to_min)
		snprintf(window, sizeof(window), "%02u:%02u-%02u:%02u", r->from_min / 60u,
			 r->from_min % 60u, r->to_min / 60u, r->to_min % 60u);
	if (r->min_waiting > 0)
		snprintf(waiting, sizeof(waiting), ", if %u+ waiting", r->min_waiting);
	snprintf(buf, size, "every %u min, %s, %s%s", r->every_min, window, days, waiting);
}
