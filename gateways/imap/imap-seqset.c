/*
 * imap-seqset.c: sequence sets (RFC 3501 9: 1,3:5,7:*) and the saved result "$" (RFC 5182),
 * and the dates of SEARCH and APPEND (RFC 3501 9 date, date-time).
 * OWNS nothing. THREAD: the parser's.
 */
#include "imap-parser-private.h"

#include <string.h>
#include <strings.h>

/* seq-number = nz-number / "*" */
static int seq_number(const char **s, uint64_t *n_r)
{
	uint64_t n = 0;
	const char *p = *s;

	if (*p == '*') {
		*n_r = IMAP_SEQ_STAR;
		*s = p + 1;
		return 0;
	}
	if (*p < '1' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > UINT32_MAX)
			return -1; /* nz-number is at most 4,294,967,295 */
	}
	*n_r = n;
	*s = p;
	return 0;
}

int imap_seqset_parse(const char *s, struct imap_arena *a, struct imap_seqset *set_r,
		      const char **error_r)
{
	unsigned n = 1;

	memset(set_r, 0, sizeof(*set_r));
	if (strcmp(s, "$") == 0) {
		set_r->saved = true;
		return 0;
	}
	for (const char *c = s; *c != '\0'; c++)
		n += *c == ',';
	struct imap_seq_range *r = imap_arena_alloc(a, n * sizeof(*r));
	if (r == NULL) {
		*error_r = "command too long";
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		if (seq_number(&s, &r[i].lo) < 0)
			goto invalid;
		r[i].hi = r[i].lo;
		if (*s == ':' && (s++, seq_number(&s, &r[i].hi) < 0))
			goto invalid;
		if (r[i].lo > r[i].hi) {
			uint64_t t = r[i].lo;
			r[i].lo = r[i].hi;
			r[i].hi = t;
		}
		if (*s != (i + 1 < n ? ',' : '\0'))
			goto invalid;
		s++;
	}
	set_r->n = n;
	set_r->ranges = r;
	return 0;
invalid:
	*error_r = "invalid sequence set";
	return -1;
}

/* ---- Dates ---------------------------------------------------------------------------- */

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dim[m - 1];
}

/* n digits exactly (or 1..n if `upto`) from *s. */
static int digits(const char **s, int n, bool upto, int *v_r)
{
	int v = 0, i = 0;

	for (; i < n && (*s)[i] >= '0' && (*s)[i] <= '9'; i++)
		v = v * 10 + ((*s)[i] - '0');
	if (i == 0 || (!upto && i != n))
		return -1;
	*s += i;
	*v_r = v;
	return 0;
}

/* day "-" month "-" year; `space_day`: date-time's " 7" form is allowed. */
static int day_month_year(const char **s, bool space_day, struct imap_date *d)
{
	if (space_day && **s == ' ')
		(*s)++;
	if (digits(s, 2, true, &d->day) < 0 || *(*s)++ != '-')
		return -1;
	d->month = 0;
	for (int i = 0; i < 12; i++) {
		if (strncasecmp(*s, months[i], 3) == 0)
			d->month = i + 1;
	}
	if (d->month == 0 || (*s)[3] != '-')
		return -1;
	*s += 4;
	if (digits(s, 4, false, &d->year) < 0 || d->year < 1)
		return -1;
	return d->day >= 1 && d->day <= days_in_month(d->year, d->month) ? 0 : -1;
}

int imap_date_parse(const char *s, struct imap_date *date_r)
{
	memset(date_r, 0, sizeof(*date_r));
	if (day_month_year(&s, false, date_r) < 0 || *s != '\0')
		return -1;
	date_r->unix_time = days_from_civil(date_r->year, date_r->month, date_r->day) * 86400;
	return 0;
}

int imap_datetime_parse(const char *s, struct imap_date *d)
{
	int zh, zm;

	memset(d, 0, sizeof(*d));
	if (day_month_year(&s, true, d) < 0 || *s++ != ' ' || digits(&s, 2, false, &d->hour) < 0 ||
	    *s++ != ':' || digits(&s, 2, false, &d->min) < 0 || *s++ != ':' ||
	    digits(&s, 2, false, &d->sec) < 0 || *s++ != ' ')
		return -1;
	char sign = *s++;
	if ((sign != '+' && sign != '-') || digits(&s, 2, false, &zh) < 0 ||
	    digits(&s, 2, false, &zm) < 0 || *s != '\0')
		return -1;
	if (d->hour > 23 || d->min > 59 || d->sec > 60 || zm > 59)
		return -1;
	d->zone_min = (sign == '-' ? -1 : 1) * (zh * 60 + zm);
	d->unix_time = days_from_civil(d->year, d->month, d->day) * 86400 + d->hour * 3600 +
		       d->min * 60 + d->sec - (int64_t)d->zone_min * 60;
	return 0;
}
