/*
 * test-mailbox-sortidx.c: webmail's folder sort index (mailbox-sortidx.h): keys are folded,
 * trimmed and cut at a character boundary; entries order by num, key, uid; a seek after a cursor
 * finds the next entry ascending and descending, whether or not the cursor's message is still
 * there; inserts keep the order; a walk of pages joins into the whole order.
 * OWNS: its indexes. THREAD: main.
 */
#include "mailbox-sortidx.h"

#include "pb-test.h"

#include <string.h>

static struct mailbox_sort_ent ent(uint32_t uid, uint64_t num, const char *text)
{
	struct mailbox_sort_ent e = { .uid = uid, .num = num };

	mailbox_sort_key(text, e.key);
	return e;
}

static void test_key(void)
{
	char k[MAILBOX_SORT_KEY_LEN];

	mailbox_sort_key("  \"Zoe ADAMS\"", k);
	CHECK_STR(k, "zoe adams\"");
	mailbox_sort_key("\xc3\x89mile", k); /* non-ASCII as it is */
	CHECK_STR(k, "\xc3\x89mile");
	char longer[80];
	memset(longer, 'a', sizeof(longer));
	memcpy(longer + 37, "\xe2\x82\xac", 3); /* a euro sign across the cut */
	longer[79] = '\0';
	mailbox_sort_key(longer, k);
	CHECK_INT(strlen(k), 37);
	CHECK(k[MAILBOX_SORT_KEY_LEN - 1] == '\0');
}

static void test_order_and_seek(void)
{
	struct mailbox_sortidx x = { 0 };
	const char *texts[] = { "bob", "Alice", "carl", "alice", "bob", "dave" };

	for (uint32_t i = 0; i < 6; i++) {
		struct mailbox_sort_ent e = ent(10 + i, 0, texts[i]);
		mailbox_sortidx_push(&x, &e);
	}
	mailbox_sortidx_sort(&x);
	const uint32_t want[] = { 11, 13, 10, 14, 12, 15 };
	for (size_t i = 0; i < 6; i++)
		CHECK_INT(x.v[i].uid, want[i]);
	struct mailbox_sort_ent c = ent(10, 0, "bob"); /* present: after it 14 */
	CHECK_INT(x.v[mailbox_sortidx_seek(&x, &c, false)].uid, 14);
	CHECK_INT(x.v[mailbox_sortidx_seek(&x, &c, true) - 1].uid, 13);
	c = ent(12, 0, "bob"); /* no such entry (an expunged one's cursor): between 10 and 14 */
	CHECK_INT(x.v[mailbox_sortidx_seek(&x, &c, false)].uid, 14);
	CHECK_INT(x.v[mailbox_sortidx_seek(&x, &c, true) - 1].uid, 10);
	CHECK_INT(mailbox_sortidx_seek(&x, NULL, false), 0);
	CHECK_INT(mailbox_sortidx_seek(&x, NULL, true), 6);
	struct mailbox_sort_ent e = ent(16, 0, "BOB");
	mailbox_sortidx_insert(&x, &e);
	CHECK_INT(x.v[4].uid, 16);
	mailbox_sortidx_remove(&x, 0);
	CHECK_INT(x.n, 6);
	CHECK_INT(x.v[0].uid, 13);
	mailbox_sortidx_deinit(&x);
}

/* Pages of 3 from cursors join into the whole order, numbers first. */
static void test_pages_join(void)
{
	struct mailbox_sortidx x = { 0 };

	for (uint32_t i = 1; i <= 20; i++) {
		struct mailbox_sort_ent e = ent(i, (i * 7) % 5, "");
		mailbox_sortidx_insert(&x, &e);
	}
	for (int desc = 0; desc < 2; desc++) {
		struct mailbox_sort_ent last, *cur = NULL;
		size_t seen = 0;
		for (;;) {
			size_t pos = mailbox_sortidx_seek(&x, cur, desc), k = 0;
			while (k < 3 && (desc ? pos > 0 : pos < x.n)) {
				size_t i = desc ? --pos : pos++;
				CHECK_INT(x.v[i].uid, x.v[desc ? x.n - 1 - seen : seen].uid);
				last = x.v[i];
				seen++, k++;
			}
			if (k < 3)
				break;
			cur = &last;
		}
		CHECK_INT(seen, 20);
	}
	mailbox_sortidx_deinit(&x);
}

static const struct pb_test_case cases[] = {
	{ "key", test_key },
	{ "order_and_seek", test_order_and_seek },
	{ "pages_join", test_pages_join },
};

PB_TEST_MAIN(cases)
