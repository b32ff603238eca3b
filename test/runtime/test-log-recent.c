/*
 * test-log-recent.c: the ring of recent warning/error lines (pb_log_recent) — only warnings and
 * errors are kept, in order, the oldest dropped past PB_LOG_RECENT, long lines cut, lines kept
 * even below the sink's level, and many threads logging at once leave whole entries. Also the
 * journal check (pb_log_stderr_is_journal) against stderr's real device and inode.
 */
#include "pb-log.h"
#include "pb-test.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static char log_file[] = "/tmp/pb-log-recent-XXXXXX";

static void open_log(enum pb_log_level level)
{
	const char *error;
	int fd = mkstemp(log_file);

	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(pb_log_open(log_file, NULL, level, &error) == 0);
	pb_log_recent_clear();
}

static void close_log(void)
{
	pb_log_close();
	unlink(log_file);
	snprintf(log_file, sizeof(log_file), "/tmp/pb-log-recent-XXXXXX");
}

static void test_keeps_warnings_and_errors_only(void)
{
	struct pb_log_recent r[PB_LOG_RECENT];

	open_log(PB_LOG_INFO);
	pb_info("t", "event=fine");
	pb_warn("t", "event=first n=%d", 1);
	pb_log_security("t", "event=login user=x");
	pb_error("db", "event=second reason=%s", PB_LOGQ("disk full"));
	size_t n = pb_log_recent(r, PB_N_ELEMENTS(r));
	CHECK_INT(n, 2);
	CHECK_STR(r[0].text, "event=first n=1");
	CHECK_INT(r[0].level, PB_LOG_WARN);
	CHECK_STR(r[0].module, "t");
	CHECK_STR(r[1].text, "event=second reason=\"disk full\"");
	CHECK_INT(r[1].level, PB_LOG_ERROR);
	CHECK_STR(r[1].module, "db");
	CHECK(r[0].time_ms > 1700000000000LL && r[1].time_ms >= r[0].time_ms);
	close_log();
}

static void test_ring_drops_the_oldest(void)
{
	struct pb_log_recent r[PB_LOG_RECENT + 4];
	char want[32];

	open_log(PB_LOG_INFO);
	for (int i = 0; i < PB_LOG_RECENT + 3; i++)
		pb_warn("t", "event=w%d", i);
	size_t n = pb_log_recent(r, PB_N_ELEMENTS(r));
	CHECK_INT(n, PB_LOG_RECENT);
	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "event=w%zu", i + 3);
		CHECK_STR(r[i].text, want);
	}
	/* fewer asked: the newest, oldest first */
	CHECK_INT(pb_log_recent(r, 2), 2);
	snprintf(want, sizeof(want), "event=w%d", PB_LOG_RECENT + 1);
	CHECK_STR(r[0].text, want);
	snprintf(want, sizeof(want), "event=w%d", PB_LOG_RECENT + 2);
	CHECK_STR(r[1].text, want);
	close_log();
}

static void test_long_line_cut_and_level_filter(void)
{
	struct pb_log_recent r[PB_LOG_RECENT];
	char big[1000];

	open_log(PB_LOG_ERROR); /* warnings are not written, but still remembered */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pb_warn("t", "event=big v=%s", big);
	CHECK_INT(pb_log_recent(r, PB_N_ELEMENTS(r)), 1);
	CHECK_INT(strlen(r[0].text), PB_LOG_RECENT_LINE - 1);
	CHECK(strncmp(r[0].text, "event=big v=xxx", 15) == 0);
	struct stat st;
	CHECK(stat(log_file, &st) == 0 && st.st_size == 0);
	close_log();
}

static void *warn_many(void *arg)
{
	for (int i = 0; i < 2000; i++)
		pb_warn("t", "event=thread t=%d i=%d", (int)(intptr_t)arg, i);
	return NULL;
}

static void test_threads_leave_whole_entries(void)
{
	struct pb_log_recent r[PB_LOG_RECENT];
	pthread_t th[4];

	open_log(PB_LOG_ERROR);
	for (intptr_t i = 0; i < 4; i++)
		REQUIRE(pthread_create(&th[i], NULL, warn_many, (void *)i) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	size_t n = pb_log_recent(r, PB_N_ELEMENTS(r));
	CHECK_INT(n, PB_LOG_RECENT);
	for (size_t i = 0; i < n; i++) {
		int t = -1, k = -1;
		CHECK(sscanf(r[i].text, "event=thread t=%d i=%d", &t, &k) == 2);
		CHECK(t >= 0 && t < 4 && k >= 0 && k < 2000);
	}
	close_log();
}

static void test_journal_stream_check(void)
{
	struct stat st;
	char v[64];

	REQUIRE(fstat(STDERR_FILENO, &st) == 0);
	unsetenv("JOURNAL_STREAM");
	CHECK(!pb_log_stderr_is_journal());
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	CHECK(pb_log_stderr_is_journal());
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", v, 1); /* stderr redirected elsewhere since systemd set it */
	CHECK(!pb_log_stderr_is_journal());
	setenv("JOURNAL_STREAM", "garbage", 1);
	CHECK(!pb_log_stderr_is_journal());
	unsetenv("JOURNAL_STREAM");
}

static const struct pb_test_case cases[] = {
	{ "keeps_warnings_and_errors_only", test_keeps_warnings_and_errors_only },
	{ "ring_drops_the_oldest", test_ring_drops_the_oldest },
	{ "long_line_cut_and_level_filter", test_long_line_cut_and_level_filter },
	{ "threads_leave_whole_entries", test_threads_leave_whole_entries },
	{ "journal_stream_check", test_journal_stream_check },
};

PB_TEST_MAIN(cases)
