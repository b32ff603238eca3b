/*
 * test-mime-edit.c: a header edited for the message rules' "Modify headers" action
 * (mime-edit.h: set replaces every field of the name and adds one at the top, a bare name
 * removes, continuation lines go with their field, the body untouched, the message's line
 * ending kept), and HTML to text for Body conditions (mime-html.h).
 */
#include "mime-edit.h"
#include "mime-html.h"
#include "pb-test.h"

#include <string.h>

static void test_header_edit(void)
{
	static const struct {
		const char *message, *edits, *want;
		size_t applied;
	} table[] = {
		{ "Subject: a\r\n\r\nbody\r\n", "X-Rule: hit\n",
		  "X-Rule: hit\r\nSubject: a\r\n\r\nbody\r\n", 1 },
		{ "Subject: a\r\nx-rule: old\r\n  folded\r\nTo: b\r\n\r\nX-Rule: in body\r\n",
		  "X-Rule:   new\n", "X-Rule: new\r\nSubject: a\r\nTo: b\r\n\r\nX-Rule: in body\r\n",
		  1 },
		{ "Subject: a\nX-Spam: yes\nX-Spam: twice\n\nbody\n", "X-Spam\n",
		  "Subject: a\n\nbody\n", 1 },
		{ "Subject: a\r\n\r\nbody", "", "Subject: a\r\n\r\nbody", 0 },
		{ "Subject: a\r\n\r\nb", "A: 1\nB\nC: 3\n", "A: 1\r\nC: 3\r\nSubject: a\r\n\r\nb", 3 },
		{ "\r\nno header", "A: 1\n", "A: 1\r\n\r\nno header", 1 },
		{ "Subject: only header", "Subject\n", "", 1 },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(table); i++) {
		struct pb_buf out;
		pb_buf_init(&out);
		size_t n = mime_header_edit(table[i].message, strlen(table[i].message),
					    table[i].edits, &out);
		pb_buf_append_c(&out, '\0');
		CHECK_STR(out.data, table[i].want);
		CHECK_INT(n, table[i].applied);
		pb_buf_deinit(&out);
	}
}

static void test_html_text(void)
{
	static const struct {
		const char *html, *want;
	} table[] = {
		{ "<p>Hello&nbsp;<b>World</b></p>", "\nHello World\n" },
		{ "a<br>b<BR/>c", "a\nb\nc" },
		{ "x<script>var a = '<p>';</script>y<style>p {}</style>z", "xyz" },
		{ "&lt;tag&gt; &amp;amp; &#233;&#xE9; &bogus; &", "<tag> &amp; \xc3\xa9\xc3\xa9 &bogus; &" },
		{ "one   two\r\n\tthree", "one two three" },
		{ "a<!-- <p>hidden</p> -->b", "ab" },
		{ "cut <a href=", "cut " },
		{ "&#0;&#x110000;", "\xef\xbf\xbd\xef\xbf\xbd" },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(table); i++) {
		struct pb_buf out;
		pb_buf_init(&out);
		mime_html_to_text(table[i].html, strlen(table[i].html), &out);
		pb_buf_append_c(&out, '\0');
		CHECK_STR(out.data, table[i].want);
		pb_buf_deinit(&out);
	}
}

static const struct pb_test_case cases[] = {
	{ "header_edit", test_header_edit },
	{ "html_text", test_html_text },
};

PB_TEST_MAIN(cases)
