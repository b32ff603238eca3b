/*
 * test-imap-sort.c: RFC 5256 base subjects, Date: parsing, SORT orders and the THREAD
 * algorithms (ORDEREDSUBJECT, REFERENCES: parents from References, dummies pruned and
 * promoted, loops refused, threads gathered by subject, siblings by date).
 */
#include "imap-sort.h"
#include "pb-test.h"

#include <string.h>

static void check_base(const char *subject, const char *want, bool want_reply)
{
	struct pb_buf out;

	pb_buf_init(&out);
	bool reply = imap_sort_base_subject(subject, &out);
	pb_buf_append_c(&out, '\0');
	CHECK_STR(out.data, want);
	CHECK_INT(reply, want_reply);
	pb_buf_deinit(&out);
}

static void test_base_subject(void)
{
	check_base("Hello", "HELLO", false);
	check_base("Re: Hello", "HELLO", true);
	check_base("RE: re: Fwd: hello  world", "HELLO WORLD", true);
	check_base("Re[2]: hello", "HELLO", true);
	check_base("[list] Re: hello", "HELLO", true);
	check_base("[list] hello", "HELLO", false);
	check_base("[only a blob]", "[ONLY A BLOB]", false);
	check_base("hello (fwd)", "HELLO", true);
	check_base("hello (fwd) (FWD)  ", "HELLO", true);
	check_base("[Fwd: Re: hello]", "HELLO", true);
	check_base("Fw: \t hello\r\n there", "HELLO THERE", true);
	check_base("Re:", "", true);
	check_base("", "", false);
	check_base("Rerun: results", "RERUN: RESULTS", false);
	check_base("re : hello", "HELLO", true);
}

static void test_date(void)
{
	int64_t t = 0;

	CHECK_INT(imap_sort_date_parse("Thu, 01 Jan 1970 00:00:00 +0000", &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(imap_sort_date_parse("1 Jan 1970 01:00 +0100", &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(imap_sort_date_parse("Fri, 21 Nov 1997 09:55:06 -0600", &t), 0);
	CHECK_INT(t, 880127706);
	CHECK_INT(imap_sort_date_parse("21 Nov 97 09:55:06 CST", &t), 0);
	CHECK_INT(t, 880127706);
	CHECK_INT(imap_sort_date_parse("Sat, 29 Feb 2020 23:59:59 GMT", &t), 0);
	CHECK_INT(t, 1583020799);
	CHECK_INT(imap_sort_date_parse("yesterday", &t), -1);
	CHECK_INT(imap_sort_date_parse("", &t), -1);
	CHECK_INT(imap_sort_date_parse("12 Foo 2020 10:00 +0000", &t), -1);
	CHECK_INT(imap_sort_date_parse("12 Jan 2020 25:00 +0000", &t), -1);
}

/* SENT* keys: the day written in the header, whatever its zone; none or garbage is day 0. */
static void test_sent_day(void)
{
	CHECK_INT(imap_sent_day("Mon, 2 Jan 2023 23:30:00 -0800"), 19359); /* UTC: 3 Jan */
	CHECK_INT(imap_sent_day("Tue, 10 Jan 2023 01:00:00 +0900"), 19367); /* UTC: 9 Jan */
	CHECK_INT(imap_sent_day("Sat, 29 Feb 2020 00:00:00 GMT"), 18321);
	CHECK_INT(imap_sent_day("31 Dec 1969 23:59:59 +0000"), -1);
	CHECK_INT(imap_sent_day("not a date"), 0);
	CHECK_INT(imap_sent_day(NULL), 0);
}

#define MSG(n, subj_, from_, date_, size_) \
	{ .msn = n, .uid = 100 + n, .size = size_, .arrival = 1000 - n, .date = date_, \
	  .subject = subj_, .from = from_, .to = "", .cc = "" }

static void sort_check(struct imap_sort_msg *m, size_t n, const struct imap_sort_crit *c,
		       unsigned nc, const char *want)
{
	struct pb_buf out;

	pb_buf_init(&out);
	imap_sort_run(m, n, c, nc);
	for (size_t i = 0; i < n; i++)
		pb_buf_printf(&out, "%s%u", i ? " " : "", m[i].msn);
	pb_buf_append_c(&out, '\0');
	CHECK_STR(out.data, want);
	pb_buf_deinit(&out);
}

static void test_sort(void)
{
	struct imap_sort_msg m[] = {
		MSG(1, "B", "carol", 30, 10), MSG(2, "a", "Bob", 10, 30),
		MSG(3, "A", "alice", 20, 20), MSG(4, "", "", 10, 20),
	};
	const struct imap_sort_crit subject[] = { { IMAP_SORT_SUBJECT, false } };
	const struct imap_sort_crit rdate[] = { { IMAP_SORT_DATE, true } };
	const struct imap_sort_crit size_from[] = { { IMAP_SORT_SIZE, false },
						    { IMAP_SORT_FROM, true } };
	const struct imap_sort_crit arrival[] = { { IMAP_SORT_ARRIVAL, false } };

	sort_check(m, 4, subject, 1, "4 2 3 1"); /* a and A equal: the number decides */
	sort_check(m, 4, rdate, 1, "1 3 2 4");	 /* REVERSE is one key's: ties by number */
	sort_check(m, 4, size_from, 2, "1 3 4 2");
	sort_check(m, 4, arrival, 1, "4 3 2 1");
}

/* SORT=DISPLAY (RFC 5957): by the display names the session worked out. */
static void test_sort_display(void)
{
	struct imap_sort_msg m[] = {
		{ .msn = 1, .from = "aaa", .display_from = "Zed Alpha", .display_to = "b" },
		{ .msn = 2, .from = "zzz", .display_from = "bob", .display_to = "a" },
		{ .msn = 3, .from = "mmm", .display_from = "MMM@example.org", .display_to = "c" },
	};
	const struct imap_sort_crit dfrom[] = { { IMAP_SORT_DISPLAYFROM, false } };
	const struct imap_sort_crit dto[] = { { IMAP_SORT_DISPLAYTO, true } };

	for (size_t i = 0; i < 3; i++)
		m[i].subject = m[i].to = m[i].cc = "";
	sort_check(m, 3, dfrom, 1, "2 3 1");
	sort_check(m, 3, dto, 1, "3 1 2");
}

static void thread_check(const struct imap_sort_msg *m, size_t n, enum imap_thread_alg alg,
			 const char *want)
{
	struct pb_buf out;

	pb_buf_init(&out);
	imap_thread_run(m, n, alg, false, &out);
	pb_buf_append_c(&out, '\0');
	CHECK_STR(out.data, want);
	pb_buf_deinit(&out);
}

static void test_orderedsubject(void)
{
	struct imap_sort_msg m[] = {
		MSG(1, "X", "", 50, 1), MSG(2, "Y", "", 10, 1), MSG(3, "X", "", 60, 1),
		MSG(4, "Y", "", 40, 1), MSG(5, "Z", "", 5, 1),	MSG(6, "X", "", 55, 1),
		MSG(7, "W", "", 70, 1),
	};

	thread_check(m, 7, IMAP_THREAD_ORDEREDSUBJECT, "(5)(2 4)(1 (6)(3))(7)");
	thread_check(m, 0, IMAP_THREAD_ORDEREDSUBJECT, "");
}

#define REF(n, subj_, reply_, date_, id_, ...) \
	{ .msn = n, .uid = 100 + n, .date = date_, .subject = subj_, .reply = reply_, \
	  .from = "", .to = "", .cc = "", .message_id = id_, \
	  .refs = (const char *const[]){ __VA_ARGS__ }, \
	  .n_refs = sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *) }

static void test_references(void)
{
	/* 1 <- 2 <- 3, 1 <- 4; 5 replies to a missing <m> that 6 also answers (a dummy at the
	 * root with two children stays); 7 answers a missing <n> alone (promoted); 8 is a
	 * "Re:" of 9's subject with no references (made its child); 10 and 11 share a subject
	 * and neither is a reply (siblings under a dummy). */
	struct imap_sort_msg m[] = {
		REF(1, "A", false, 10, "<a>", NULL),
		REF(2, "A", true, 20, "<b>", "<a>"),
		REF(3, "A", true, 30, "<c>", "<a>", "<b>"),
		REF(4, "A", true, 15, "<d>", "<a>"),
		REF(5, "M", true, 50, "<e>", "<m>"),
		REF(6, "M", true, 40, "<f>", "<m>"),
		REF(7, "N", true, 5, "<g>", "<n>"),
		REF(8, "P", true, 80, "<h>", NULL),
		REF(9, "P", false, 70, "<i>", NULL),
		REF(10, "Q", false, 90, "<j>", NULL),
		REF(11, "Q", false, 95, "<k>", NULL),
	};
	for (size_t i = 0; i < 11; i++)
		if (m[i].refs[0] == NULL)
			m[i].n_refs = 0;
	thread_check(m, 11, IMAP_THREAD_REFERENCES,
		     "(7)(1 (4)(2 3))((6)(5))(9 8)((10)(11))");
}

static void test_references_loops(void)
{
	/* 1 says it answers 2, 2 says it answers 1: one link is refused; a message referring
	 * to itself; duplicate Message-IDs are two messages. */
	struct imap_sort_msg m[] = {
		REF(1, "A", false, 10, "<a>", "<b>"),
		REF(2, "B", false, 20, "<b>", "<a>"),
		REF(3, "C", false, 30, "<c>", "<c>"),
		REF(4, "D", false, 40, "<d>", NULL),
		REF(5, "E", false, 50, "<d>", NULL),
	};
	m[3].n_refs = m[4].n_refs = 0;
	thread_check(m, 5, IMAP_THREAD_REFERENCES, "(2 1)(3)(4)(5)");
}

static void test_references_deep(void)
{
	enum { N = 2000 };
	static struct imap_sort_msg m[N];
	static char ids[N][16];
	static const char *refs[N];
	struct pb_buf out;

	for (int i = 0; i < N; i++) { /* each answers the one before: a chain N deep */
		snprintf(ids[i], sizeof(ids[i]), "<%d>", i);
		m[i] = (struct imap_sort_msg){ .msn = (uint32_t)i + 1, .date = i, .subject = "S",
					       .from = "", .to = "", .cc = "",
					       .message_id = ids[i] };
		if (i > 0) {
			refs[i] = ids[i - 1];
			m[i].refs = &refs[i];
			m[i].n_refs = 1;
		}
	}
	pb_buf_init(&out);
	imap_thread_run(m, N, IMAP_THREAD_REFERENCES, false, &out);
	CHECK(out.len > 0 && out.data[0] == '(');
	pb_buf_deinit(&out);
}

static const struct pb_test_case tests[] = {
	{"base_subject", test_base_subject},
	{"date", test_date},
	{"sent_day", test_sent_day},
	{"sort", test_sort},
	{"sort_display", test_sort_display},
	{"orderedsubject", test_orderedsubject},
	{"references", test_references},
	{"references_loops", test_references_loops},
	{"references_deep", test_references_deep},
};

PB_TEST_MAIN(tests)
