/*
 * test-sched-calc.c: next-due times of connection methods, table-driven, in Europe/Berlin
 * (CET/CEST; 2026: clocks forward on 29 March at 02:00, back on 25 October at 03:00):
 * never run, intervals, overdue runs, windows (closing, opening later, on other days,
 * crossing midnight, ending at 24:00), days of the week, the clock jumping backwards, DST in
 * both directions (intervals in real time, windows on the local clock, an opening inside the
 * skipped hour), several rules; parsing of times and days, rule checks and texts.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "sched-calc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "L 2026-11-30 08:00" local (Europe/Berlin) or "U 2026-10-25 00:55" UTC; "" is 0 (never). */
static int64_t when(const char *s)
{
	struct tm tm = { 0 };
	char zone;

	if (s[0] == '\0')
		return 0;
	if (sscanf(s, "%c %d-%d-%d %d:%d", &zone, &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min) != 6)
		abort(); /* a bad time in the table */
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	return (int64_t)(zone == 'U' ? timegm(&tm) : mktime(&tm)) * 1000;
}

static void show(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == SCHED_NEVER) {
		snprintf(buf, size, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, size, "U %Y-%m-%d %H:%M", &tm);
}

#define ALL SCHED_DAYS_ALL
#define MON_FRI 0x1f
#define FRI 0x10
#define SAT_SUN 0x60

struct next_case {
	const char *name;
	struct sched_rule rule;
	const char *last, *now, *due;
};

/* 2026-11-30 is a Monday. */
static const struct next_case next_cases[] = {
	{ "never run: due now", { 10, 0, 0, ALL, 0 }, "", "L 2026-11-30 10:00", "L 2026-11-30 10:00" },
	{ "one interval after the last run", { 10, 0, 0, ALL, 0 }, "L 2026-11-30 10:00",
	  "L 2026-11-30 10:03", "L 2026-11-30 10:10" },
	{ "overdue runs once, now", { 10, 0, 0, ALL, 0 }, "L 2026-11-30 09:00", "L 2026-11-30 10:03",
	  "L 2026-11-30 10:03" },
	{ "window closed: next morning", { 10, 480, 1080, ALL, 0 }, "L 2026-11-30 17:55",
	  "L 2026-11-30 17:56", "L 2026-12-01 08:00" },
	{ "window end is exclusive", { 10, 480, 1080, ALL, 0 }, "L 2026-11-30 17:50",
	  "L 2026-11-30 17:51", "L 2026-12-01 08:00" },
	{ "before the window: at its opening", { 10, 480, 1080, ALL, 0 }, "", "L 2026-11-30 06:00",
	  "L 2026-11-30 08:00" },
	{ "friday evening: monday morning", { 10, 480, 1080, MON_FRI, 0 }, "L 2026-12-04 17:55",
	  "L 2026-12-04 17:58", "L 2026-12-07 08:00" },
	{ "weekend only, asked on wednesday", { 30, 0, 0, SAT_SUN, 0 }, "", "L 2026-12-02 12:00",
	  "L 2026-12-05 00:00" },
	{ "midnight window open after midnight of its day", { 10, 1320, 360, FRI, 0 }, "",
	  "L 2026-12-05 03:00", "L 2026-12-05 03:00" },
	{ "midnight window: thursday's night is not friday's", { 10, 1320, 360, FRI, 0 }, "",
	  "L 2026-12-04 03:00", "L 2026-12-04 22:00" },
	{ "midnight window closed: next friday", { 10, 1320, 360, FRI, 0 }, "L 2026-12-05 05:55",
	  "L 2026-12-05 05:56", "L 2026-12-11 22:00" },
	{ "window to 24:00", { 10, 480, 0, ALL, 0 }, "L 2026-11-30 23:50", "L 2026-11-30 23:51",
	  "L 2026-12-01 08:00" },
	{ "window to 24:00, open late", { 10, 480, 0, ALL, 0 }, "L 2026-11-30 23:40",
	  "L 2026-11-30 23:41", "L 2026-11-30 23:50" },
	{ "clock went back: one interval from now", { 10, 0, 0, ALL, 0 }, "L 2026-11-30 12:00",
	  "L 2026-11-30 10:00", "L 2026-11-30 10:10" },
	{ "clock went back a day", { 60, 0, 0, ALL, 0 }, "L 2026-12-01 10:00", "L 2026-11-30 10:00",
	  "L 2026-11-30 11:00" },
	{ "autumn DST: 10 minutes stay 10 minutes", { 10, 0, 0, ALL, 0 }, "U 2026-10-25 00:55",
	  "U 2026-10-25 00:56", "U 2026-10-25 01:05" },
	{ "spring DST: an hour is an hour", { 60, 0, 0, ALL, 0 }, "U 2026-03-29 00:30",
	  "U 2026-03-29 00:31", "U 2026-03-29 01:30" },
	{ "spring DST: an opening in the skipped hour", { 10, 150, 300, ALL, 0 }, "",
	  "U 2026-03-29 00:00", "U 2026-03-29 01:00" },
	{ "autumn DST: a 02:00-03:00 window is open twice", { 60, 120, 180, ALL, 0 },
	  "U 2026-10-25 00:10", "U 2026-10-25 00:11", "U 2026-10-25 01:10" },
	{ "autumn DST: opening the day after", { 60, 480, 1080, ALL, 0 }, "L 2026-10-24 17:30",
	  "L 2026-10-24 17:31", "L 2026-10-25 08:00" },
	{ "a week's interval", { 10080, 0, 0, ALL, 0 }, "L 2026-11-30 10:00", "L 2026-11-30 10:01",
	  "L 2026-12-07 10:00" },
	{ "waiting count does not change the time", { 10, 0, 0, ALL, 5 }, "L 2026-11-30 10:00",
	  "L 2026-11-30 10:01", "L 2026-11-30 10:10" },
};

static void test_next_due_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(next_cases); i++) {
		const struct next_case *c = &next_cases[i];
		char got[32], want[32];
		const char *error;
		REQUIRE(sched_rule_check(&c->rule, &error) == 0);
		int64_t t = sched_rule_next(&c->rule, when(c->last), when(c->now));
		show(t, got, sizeof(got));
		show(when(c->due), want, sizeof(want));
		if (strcmp(got, want) != 0)
			fprintf(stderr, "  case '%s': got %s, want %s\n", c->name, got, want);
		CHECK_STR(got, want);
		CHECK(t == SCHED_NEVER || t >= when(c->now));
	}
}

static void test_several_rules_earliest_wins(void)
{
	struct sched_rule r[2] = { { 90, 0, 0, ALL, 0 }, { 5, 480, 1080, MON_FRI, 0 } };
	size_t which = 99;

	int64_t t = sched_next_due(r, 2, when("L 2026-11-30 07:00"), when("L 2026-11-30 07:01"),
				   &which);
	CHECK(t == when("L 2026-11-30 08:00"));
	CHECK_INT(which, 1);
	t = sched_next_due(r, 2, when("L 2026-12-05 07:00"), when("L 2026-12-05 07:01"), &which);
	CHECK(t == when("L 2026-12-05 08:30")); /* saturday: the 90-minute rule */
	CHECK_INT(which, 0);
	CHECK(sched_next_due(r, 0, 0, when("L 2026-11-30 07:00"), NULL) == SCHED_NEVER);
}

static void test_open_windows(void)
{
	struct sched_rule night = { 10, 1320, 360, FRI, 0 };

	CHECK(sched_rule_open(&night, when("L 2026-12-04 22:00")));
	CHECK(sched_rule_open(&night, when("L 2026-12-05 05:59")));
	CHECK(!sched_rule_open(&night, when("L 2026-12-05 06:00")));
	CHECK(!sched_rule_open(&night, when("L 2026-12-04 21:59")));
	CHECK(!sched_rule_open(&night, when("L 2026-12-05 22:00")));
}

static void test_parse_hhmm(void)
{
	static const struct {
		const char *text;
		int ok;
		uint16_t min;
	} cases[] = { { "00:00", 0, 0 },   { "08:30", 0, 510 }, { "23:59", 0, 1439 },
		      { "24:00", 0, 0 },   { "24:01", -1, 0 },  { "8:30", -1, 0 },
		      { "08:60", -1, 0 },  { "0830", -1, 0 },   { "08:30x", -1, 0 },
		      { "", -1, 0 },       { "-1:00", -1, 0 },  { "ab:cd", -1, 0 } };

	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		uint16_t m = 9999;
		CHECK_INT(sched_parse_hhmm(cases[i].text, &m), cases[i].ok);
		if (cases[i].ok == 0)
			CHECK_INT(m, cases[i].min);
	}
}

static void test_parse_days(void)
{
	static const struct {
		const char *text;
		int ok;
		uint8_t days;
		const char *back;
	} cases[] = { { "all", 0, ALL, "all" },
		      { "mon-fri", 0, MON_FRI, "mon-fri" },
		      { "mon,tue", 0, 0x03, "mon,tue" },
		      { "sat,sun", 0, SAT_SUN, "sat,sun" },
		      { "fri-mon", 0, 0x71, "mon,fri,sat,sun" },
		      { "mon-sun", 0, ALL, "all" },
		      { "wed,mon-tue", 0, 0x07, "mon,tue,wed" },
		      { "", -1, 0, NULL },
		      { "monday", -1, 0, NULL },
		      { "mon,", -1, 0, NULL },
		      { "mon-", -1, 0, NULL },
		      { "Mon", -1, 0, NULL } };

	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		uint8_t d = 0;
		const char *error = NULL;
		char back[64];
		CHECK_INT(sched_parse_days(cases[i].text, &d, &error), cases[i].ok);
		if (cases[i].ok < 0) {
			CHECK(error != NULL && strstr(error, "mon-fri") != NULL);
			continue;
		}
		CHECK_INT(d, cases[i].days);
		sched_days_text(d, back, sizeof(back));
		CHECK_STR(back, cases[i].back);
	}
}

static void test_rule_check_and_text(void)
{
	static const struct {
		struct sched_rule r;
		const char *error, *text;
	} cases[] = {
		{ { 10, 0, 0, ALL, 0 }, NULL, "every 10 min, all day, all" },
		{ { 5, 480, 1080, MON_FRI, 3 }, NULL, "every 5 min, 08:00-18:00, mon-fri, if 3+ waiting" },
		{ { 0, 0, 0, ALL, 0 }, "interval", NULL },
		{ { 10081, 0, 0, ALL, 0 }, "interval", NULL },
		{ { 10, 1440, 0, ALL, 0 }, "window", NULL },
		{ { 10, 0, 0, 0, 0 }, "day", NULL },
		{ { 10, 0, 0, 0x80, 0 }, "day", NULL },
		{ { 10, 0, 0, ALL, 1000001 }, "waiting", NULL },
	};
	struct sched_rule def;

	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		const char *error = NULL;
		char text[SCHED_RULE_TEXT_MAX];
		int rc = sched_rule_check(&cases[i].r, &error);
		if (cases[i].error != NULL) {
			CHECK_INT(rc, -1);
			CHECK(error != NULL && strstr(error, cases[i].error) != NULL);
			continue;
		}
		CHECK_INT(rc, 0);
		sched_rule_text(&cases[i].r, text, sizeof(text));
		CHECK_STR(text, cases[i].text);
	}
	sched_rule_default(&def);
	CHECK_INT(def.every_min, 10);
	CHECK_INT(def.days, ALL);
	CHECK_INT(def.min_waiting, 0);
	CHECK_INT(def.from_min, def.to_min);
}

static const struct pb_test_case cases[] = {
	{ "next_due_table", test_next_due_table },
	{ "several_rules_earliest_wins", test_several_rules_earliest_wins },
	{ "open_windows", test_open_windows },
	{ "parse_hhmm", test_parse_hhmm },
	{ "parse_days", test_parse_days },
	{ "rule_check_and_text", test_rule_check_and_text },
};

int main(void)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	return pb_test_run(cases, PB_N_ELEMENTS(cases));
}
