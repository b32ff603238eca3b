/*
 * test-web-prom.c: the Prometheus families (web-prom.h) byte for byte — a head, one value, a
 * table read from a struct (a divided row), a labelled family from a record list (label values
 * escaped: backslash, double quote, newline), an empty one (the head alone).
 */
#include "pb-test.h"
#include "web-prom.h"

#include "pb-msg.h"

#include <stdlib.h>
#include <string.h>

/* out's text (NUL-terminated in place) compared with want; out emptied. */
static void check_text(struct pb_buf *out, const char *want)
{
	pb_buf_append(out, "", 1);
	CHECK_STR((const char *)out->data, want);
	pb_buf_deinit(out);
	pb_buf_init(out);
}

static void test_value_and_rows(void)
{
	struct pb_buf out;
	struct {
		uint64_t ms, n;
	} base = { 12345, 7 };
	static const struct web_prom_row rows[] = {
		{ "up_seconds", "gauge", "Up.", 0, 1000 },
		{ "n_total", "counter", "N.", sizeof(uint64_t), 1 },
	};

	pb_buf_init(&out);
	web_prom_value(&out, "x_total", "counter", "Xs.", 42);
	check_text(&out, "# HELP x_total Xs.\n# TYPE x_total counter\nx_total 42\n");
	web_prom_rows(&out, rows, PB_N_ELEMENTS(rows), &base);
	check_text(&out, "# HELP up_seconds Up.\n# TYPE up_seconds gauge\nup_seconds 12\n"
			 "# HELP n_total N.\n# TYPE n_total counter\nn_total 7\n");
	pb_buf_deinit(&out);
}

static void test_labelled(void)
{
	struct pb_buf out;
	struct pb_rec_refusal_list l = { 0 };

	pb_buf_init(&out);
	WEB_PROM_LIST(&out, "r_total", "counter", "Rs.", "reason", l, refusal, reason, count);
	check_text(&out, "# HELP r_total Rs.\n# TYPE r_total counter\n");
	struct pb_rec_refusal *r = pb_rec_refusal_push(&l);
	r->reason = strdup("plain");
	r->count = 3;
	r = pb_rec_refusal_push(&l);
	r->reason = strdup("a\"b\\c\nd");
	r->count = 18446744073709551615u;
	WEB_PROM_LIST(&out, "r_total", "counter", "Rs.", "reason", l, refusal, reason, count);
	check_text(&out, "# HELP r_total Rs.\n# TYPE r_total counter\n"
			 "r_total{reason=\"plain\"} 3\n"
			 "r_total{reason=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n");
	pb_rec_refusal_list_clear(&l);
	pb_buf_deinit(&out);
}

static const struct pb_test_case cases[] = {
	{ "value_and_rows", test_value_and_rows },
	{ "labelled", test_labelled },
};

PB_TEST_MAIN(cases)
