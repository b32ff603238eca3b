/*
 * imap-sort.c: RFC 5256 base subjects, sent dates and SORT's ordering (imap-sort.h).
 * OWNS: nothing. THREAD: any.
 */
#include "imap-sort.h"

#include "pb-alloc.h"

#include <string.h>

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Length of a subj-blob ("[" *BLOBCHAR "]" *WSP) at s, 0 if none. */
static size_t blob_len(const char *s)
{
	size_t i = 1;

	if (s[0] != '[')
		return 0;
	while (s[i] != '\0' && s[i] != '[' && s[i] != ']')
		i++;
	if (s[i] != ']')
		return 0;
	for (i++; s[i] == ' '; i++)
		;
	return i;
}

/* Length of a subj-leader (*subj-blob subj-refwd, with leading spaces) at s, 0 if none. */
static size_t leader_len(const char *s)
{
	size_t i = 0, b;

	while (s[i] == ' ')
		i++;
	while ((b = blob_len(s + i)) > 0)
		i += b;
	if (strncmp(s + i, "RE", 2) == 0)
		i += 2;
	else if (strncmp(s + i, "FWD", 3) == 0)
		i += 3;
	else if (strncmp(s + i, "FW", 2) == 0)
		i += 2;
	else
		return 0;
	while (s[i] == ' ')
		i++;
	i += blob_len(s + i);
	return s[i] == ':' ? i + 1 : 0;
}

/* Steps 2 to 5 on s (collapsed, upper-cased) in place; whether a reply part went. */
static bool strip_once(char *s)
{
	size_t len = strlen(s), n;
	bool reply = false, changed = true;

	while (len > 0 && (s[len - 1] == ' ' || (len >= 5 && memcmp(s + len - 5, "(FWD)", 5) == 0))) {
		reply |= s[len - 1] != ' ';
		len -= s[len - 1] == ' ' ? 1 : 5;
	}
	s[len] = '\0';
	while (changed) {
		changed = false;
		for (n = 0; s[n] == ' '; n++)
			;
		if ((n = leader_len(s)) > 0) {
			reply = changed = true;
		} else if ((n = blob_len(s)) > 0 && s[n] != '\0') {
			changed = true;
		} else {
			for (n = 0; s[n] == ' '; n++)
				;
		}
		memmove(s, s + n, strlen(s + n) + 1);
	}
	return reply;
}

bool imap_sort_base_subject(const char *subject, struct pb_buf *out)
{
	size_t len = strlen(subject), n = 0;
	char *s = xmalloc(len + 1);
	bool reply = false;

	for (size_t i = 0; i < len; i++) { /* step 1: whitespace runs to one space */
		if (is_ws(subject[i])) {
			if (n == 0 || s[n - 1] != ' ')
				s[n++] = ' ';
		} else {
			s[n++] = upper(subject[i]);
		}
	}
	s[n] = '\0';
	for (;;) {
		reply |= strip_once(s);
		n = strlen(s);
		if (n < 6 || strncmp(s, "[FWD:", 5) != 0 || s[n - 1] != ']')
			break;
		s[n - 1] = '\0'; /* step 6: "[fwd:" subject "]" unwrapped, then again */
		memmove(s, s + 5, n - 5);
		reply = true;
	}
	pb_buf_append_str(out, s);
	free(s);
	return reply;
}

/* ---- dates ---- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

/* Reads a decimal of 1..max digits at *p. */
static int num(const char **p, int max, int *v_r)
{
	int v = 0, k = 0;

	while (k < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		k++;
	}
	*v_r = v;
	return k > 0 ? 0 : -1;
}

static const char *skip_ws(const char *p)
{
	while (is_ws(*p))
		p++;
	return p;
}

/* The zone at p in minutes east of UTC: +hhmm, -hhmm or an obsolete name (unknown: 0). */
static int zone_minutes(const char *p)
{
	static const struct { const char *name; int h; } zones[] = {
		{"EDT", -4}, {"EST", -5}, {"CDT", -5}, {"CST", -6},
		{"MDT", -6}, {"MST", -7}, {"PDT", -7}, {"PST", -8},
	};
	int v;

	if ((*p == '+' || *p == '-') && p[1] != '\0') {
		const char *q = p + 1;
		if (num(&q, 4, &v) == 0 && q - p == 5)
			return (*p == '-' ? -1 : 1) * (v / 100 * 60 + v % 100);
		return 0;
	}
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strncmp(p, zones[i].name, 3) == 0)
			return zones[i].h * 60;
	return 0;
}

static int month_of(const char *p)
{
	static const char months[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
	char m[3] = { upper(p[0]), p[0] ? upper(p[1]) : 0, p[0] && p[1] ? upper(p[2]) : 0 };

	for (int i = 0; i < 12; i++)
		if (memcmp(months + 3 * i, m, 3) == 0)
			return i + 1;
	return 0;
}

/* The date-time of value as its own wall clock (seconds since 1970 as if UTC) and its zone
 * (minutes east of UTC). 0, or -1 when it is not a date. */
static int date_local(const char *value, int64_t *local_r, int *zone_r)
{
	const char *p = skip_ws(value), *comma = strchr(p, ',');
	int day, mon, year, h, mi, sec = 0;

	if (comma != NULL)
		p = skip_ws(comma + 1);
	if (num(&p, 2, &day) < 0 || (mon = month_of(skip_ws(p))) == 0)
		return -1;
	p = skip_ws(skip_ws(p) + 3);
	const char *y0 = p;
	if (num(&p, 4, &year) < 0)
		return -1;
	if (p - y0 <= 2) /* obsolete two-digit years (RFC 5322 4.3) */
		year += year < 50 ? 2000 : 1900;
	p = skip_ws(p);
	if (num(&p, 2, &h) < 0 || *p++ != ':' || num(&p, 2, &mi) < 0)
		return -1;
	if (*p == ':' && (p++, num(&p, 2, &sec) < 0))
		return -1;
	if (day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	*local_r = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + h * 3600 +
		   mi * 60 + sec;
	*zone_r = zone_minutes(skip_ws(p));
	return 0;
}

int imap_sort_date_parse(const char *value, int64_t *time_r)
{
	int64_t local;
	int zone;

	if (date_local(value, &local, &zone) < 0)
		return -1;
	*time_r = local - zone * 60;
	return 0;
}

int64_t imap_sent_day(const char *value)
{
	int64_t local;
	int zone;

	if (value == NULL || date_local(value, &local, &zone) < 0)
		return 0;
	return local / 86400 - (local % 86400 < 0);
}

/* ---- SORT ---- */

/* i;ascii-casemap ordering. */
static int casemap_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)upper(*a), y = (unsigned char)upper(*b);
		if (x != y || x == '\0')
			return (x > y) - (x < y);
	}
}

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_key(const struct imap_sort_msg *a, const struct imap_sort_msg *b,
		   enum imap_sort_key key)
{
	switch (key) {
	case IMAP_SORT_ARRIVAL: return cmp_i64(a->arrival, b->arrival);
	case IMAP_SORT_CC: return casemap_cmp(a->cc, b->cc);
	case IMAP_SORT_DATE: return cmp_i64(a->date, b->date);
	case IMAP_SORT_FROM: return casemap_cmp(a->from, b->from);
	case IMAP_SORT_SIZE: return (a->size > b->size) - (a->size < b->size);
	case IMAP_SORT_SUBJECT: return casemap_cmp(a->subject, b->subject);
	case IMAP_SORT_TO: return casemap_cmp(a->to, b->to);
	case IMAP_SORT_DISPLAYFROM: return casemap_cmp(a->display_from, b->display_from);
	case IMAP_SORT_DISPLAYTO: return casemap_cmp(a->display_to, b->display_to);
	default: return 0;
	}
}

static int cmp_msgs(const struct imap_sort_msg *a, const struct imap_sort_msg *b,
		    const struct imap_sort_crit *crit, unsigned n_crit)
{
	for (unsigned i = 0; i < n_crit; i++) {
		int c = cmp_key(a, b, crit[i].key);
		if (c != 0)
			return crit[i].reverse ? -c : c;
	}
	return (a->msn > b->msn) - (a->msn < b->msn);
}

void imap_sort_run(struct imap_sort_msg *m, size_t n, const struct imap_sort_crit *crit,
		   unsigned n_crit)
{
	struct imap_sort_msg *tmp = xmalloc((n + 1) * sizeof(*tmp));

	/* bottom-up merge sort: a comparison with context, stable, n log n */
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid || j < hi) {
				bool left = j >= hi || (i < mid && cmp_msgs(&m[i], &m[j], crit, n_crit) <= 0);
				tmp[k++] = left ? m[i++] : m[j++];
			}
		}
		memcpy(m, tmp, n * sizeof(*m));
	}
	free(tmp);
}
