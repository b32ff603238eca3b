/*
 * test-log-read.c: reading a log back (pb-log-read.h) — newest first, paged by offset with
 * nothing lost or repeated, filters by whole fields (user=, ip= or peer=, a module prefix),
 * a line being written is left out, a window past PB_LOG_READ_MAX starts at a whole line; and
 * the latency histograms' buckets (pb-latency.h).
 */
#include "pb-latency.h"
#include "pb-log-read.h"
#include "pb-buf.h"
#include "pb-log.h"
#include "pb-test.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct seen {
	char text[16][128];
	uint64_t offset[16];
	int64_t time_ms[16];
	size_t n;
};

static void keep(const struct pb_log_read_line *l, void *ctx)
{
	struct seen *s = ctx;

	CHECK(s->n < 16);
	if (s->n >= 16)
		return;
	snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s|%.*s", (int)l->module_len, l->module,
		 (int)l->text_len, l->text);
	s->offset[s->n] = l->offset;
	s->time_ms[s->n++] = l->time_ms;
}

static int temp_log_n(const char *content, size_t len)
{
	char path[] = "/tmp/pb-log-read-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, content, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

static int temp_log(const char *content)
{
	return temp_log_n(content, strlen(content));
}

#define L(t, mod, text) "2026-11-26T07:40:0" t ".123Z level=notice module=" mod " " text "\n"
static const char sample[] =
	L("0", "web", "event=login user=alice peer=10.0.0.1")
	L("1", "lockout", "event=login_failed protocol=imap user=bob ip=10.0.0.2")
	L("2", "sys", "event=settings_changed document=smtp by=web:alice")
	L("3", "lockout", "event=login_failed protocol=web user=alice2 ip=10.0.0.1")
	L("4", "web", "event=login user=\"a b\" peer=10.0.0.3")
	"2026-11-26T07:40:05.000Z level=notice module=web event=half";

static void test_newest_first_and_paged(void)
{
	int fd = temp_log(sample);
	REQUIRE(fd >= 0);
	struct pb_log_read_filter none = { 0 };
	struct seen s = { 0 };
	uint64_t next;
	const char *error;

	REQUIRE(pb_log_read_back(fd, UINT64_MAX, 2, &none, keep, &s, &next, &error) == 0);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.text[0], "web|event=login user=\"a b\" peer=10.0.0.3");
	CHECK_STR(s.text[1], "lockout|event=login_failed protocol=web user=alice2 ip=10.0.0.1");
	CHECK(s.time_ms[0] == s.time_ms[1] + 1000);
	CHECK(next == s.offset[1] && next > 0);
	REQUIRE(pb_log_read_back(fd, next, 10, &none, keep, &s, &next, &error) == 0);
	CHECK_INT(s.n, 5);
	CHECK_STR(s.text[4], "web|event=login user=alice peer=10.0.0.1");
	CHECK_INT(s.offset[4], 0);
	CHECK_INT(next, 0);
	close(fd);
}

static void test_filters_are_whole_fields(void)
{
	int fd = temp_log(sample);
	REQUIRE(fd >= 0);
	struct pb_log_read_filter by_user = { .user = "alice" }, by_ip = { .ip = "10.0.0.1" };
	struct pb_log_read_filter quoted = { .user = "a b" }, mod = { .module_prefix = "lock" };
	struct seen s = { 0 };
	uint64_t next;
	const char *error;

	REQUIRE(pb_log_read_back(fd, UINT64_MAX, 10, &by_user, keep, &s, &next, &error) == 0);
	CHECK_INT(s.n, 1); /* not alice2, not by=web:alice */
	CHECK_STR(s.text[0], "web|event=login user=alice peer=10.0.0.1");
	s.n = 0;
	REQUIRE(pb_log_read_back(fd, UINT64_MAX, 10, &by_ip, keep, &s, &next, &error) == 0);
	CHECK_INT(s.n, 2); /* ip= and peer= */
	s.n = 0;
	REQUIRE(pb_log_read_back(fd, UINT64_MAX, 10, &quoted, keep, &s, &next, &error) == 0);
	CHECK_INT(s.n, 1);
	s.n = 0;
	REQUIRE(pb_log_read_back(fd, UINT64_MAX, 10, &mod, keep, &s, &next, &error) == 0);
	CHECK_INT(s.n, 2);
	close(fd);
}

static void test_window_starts_at_a_whole_line(void)
{
	struct pb_buf b;
	struct pb_log_read_filter none = { 0 };
	struct seen s = { 0 };
	uint64_t next, pages = 0, lines = 0, written = 0;
	const char *error;

	pb_buf_init(&b);
	while (b.len < 2 * PB_LOG_READ_MAX + 5000)
		pb_buf_printf(&b, L("0", "web", "event=filler n=%06llu pad=%0200d"),
			      (unsigned long long)written++, 0);
	int fd = temp_log_n(b.data, b.len);
	REQUIRE(fd >= 0);
	for (uint64_t before = UINT64_MAX; before != 0; before = next, pages++) {
		s.n = 0;
		REQUIRE(pb_log_read_back(fd, before, 16, &none, keep, &s, &next, &error) == 0);
		for (size_t i = 0; i < s.n; i++)
			CHECK(strncmp(s.text[i], "web|event=filler n=", 19) == 0);
		lines += s.n;
		REQUIRE(pages < 100000);
	}
	CHECK_INT(lines, written); /* every line once, none cut at a window's edge */
	CHECK(pages > 2);
	pb_buf_deinit(&b);
	close(fd);
}

static void test_latency_buckets(void)
{
	CHECK_INT(pb_latency_bucket(0), 0);
	CHECK_INT(pb_latency_bucket(pb_latency_le_us[0]), 0);
	CHECK_INT(pb_latency_bucket(pb_latency_le_us[0] + 1), 1);
	CHECK_INT(pb_latency_bucket(pb_latency_le_us[PB_LATENCY_BOUNDS - 1]), PB_LATENCY_BOUNDS - 1);
	CHECK_INT(pb_latency_bucket(UINT64_MAX), PB_LATENCY_BOUNDS);
	for (size_t i = 1; i < PB_LATENCY_BOUNDS; i++)
		CHECK(pb_latency_le_us[i] > pb_latency_le_us[i - 1]);
	CHECK_STR(pb_latency_name(PB_LAT_DELIVERY), "delivery");
	uint64_t t = pb_latency_now_us();
	CHECK(t > 0 && pb_latency_now_us() >= t);
}

static const struct pb_test_case cases[] = {
	{ "newest_first_and_paged", test_newest_first_and_paged },
	{ "filters_are_whole_fields", test_filters_are_whole_fields },
	{ "window_starts_at_a_whole_line", test_window_starts_at_a_whole_line },
	{ "latency_buckets", test_latency_buckets },
};

PB_TEST_MAIN(cases)
