/*
 * bench-store-append.c: durable deliveries per second through pb_store with 1, 4 and 16
 * concurrent writer threads (each its own user; 1 KB distinct bodies; a delivery is
 * pb_store_blob_put + pb_store_msg_append, two synced writes), with RocksDB's pipelined
 * write on and off, next to the raw fdatasync rate of the same disk from one thread.
 * RocksDB group commit shows as synced writes per second above the raw fsync rate.
 *
 * Usage: bench-store-append [dir] [seconds per run] [writers]
 *   dir defaults to $TMPDIR or /tmp; writers (optional) runs only that count, pipelined on
 *   (e.g. under `strace -f -c -e trace=fdatasync` to count the WAL syncs).
 * OWNS: temporary databases under dir (removed). THREAD: main plus the writers.
 */
#include "store-bodies.h"
#include "store-mail.h"

#include "pb-alloc.h"

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BODY_SIZE 1024
#define MAX_WRITERS 16

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

static char *make_dir(const char *base, const char *tag)
{
	char *dir = xasprintf("%s/pb-bench-%s-XXXXXX", base, tag);

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return dir;
}

/* One thread writing 4 KB blocks with fdatasync after each, for `secs`. */
static double raw_fsync_rate(const char *base, double secs)
{
	char *dir = make_dir(base, "fsync");
	char *path = xasprintf("%s/f", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	char block[BODY_SIZE];
	long n = 0;

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	memset(block, 'x', sizeof(block));
	double t0 = now_s(), t;
	do {
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) || fdatasync(fd) != 0) {
			perror("write/fdatasync");
			exit(1);
		}
		n++;
		t = now_s();
	} while (t - t0 < secs);
	close(fd);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(path);
	free(dir);
	return (double)n / (t - t0);
}

struct writer {
	struct pb_store *s;
	uint64_t user;
	atomic_bool *stop;
	long done;
	int failed;
};

static void *writer_run(void *arg)
{
	struct writer *w = arg;
	char body[BODY_SIZE];
	const char *err = NULL;

	if (pb_store_folders_init(w->s, w->user, 1, &err) < 0) {
		fprintf(stderr, "folders_init: %s\n", err);
		w->failed = 1;
		return NULL;
	}
	memset(body, 'b', sizeof(body));
	while (!atomic_load(w->stop)) {
		struct pb_msg_rec r = { .size = BODY_SIZE };
		/* Distinct content per delivery: the body is really written each time. */
		snprintf(body, sizeof(body), "From: u%llu n%ld\r\n",
			 (unsigned long long)w->user, w->done);
		if (pb_store_blob_put(w->s, body, sizeof(body), r.blob_key, &err) < 0 ||
		    pb_store_msg_append(w->s, w->user, 1, &r, NULL, &err) < 0) {
			fprintf(stderr, "delivery: %s\n", err);
			w->failed = 1;
			return NULL;
		}
		w->done++;
	}
	return NULL;
}

/* Runs `writers` threads for `secs`; returns deliveries per second. */
static double run(const char *base, int writers, bool pipelined, double secs)
{
	char *dir = make_dir(base, "store");
	struct pb_store_options o = { .create_if_missing = true,
				      .no_pipelined_write = !pipelined };
	struct pb_store *s = NULL;
	const char *err = NULL;
	struct writer w[MAX_WRITERS];
	pthread_t th[MAX_WRITERS];
	atomic_bool stop = false;
	long total = 0;

	if (pb_store_open(dir, &o, &s, &err) < 0) {
		fprintf(stderr, "open: %s\n", err);
		exit(1);
	}
	double t0 = now_s();
	for (int i = 0; i < writers; i++) {
		w[i] = (struct writer){ .s = s, .user = (uint64_t)i + 1, .stop = &stop };
		pthread_create(&th[i], NULL, writer_run, &w[i]);
	}
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	nanosleep(&ts, NULL); /* a benchmark's measuring window, not a wait for a condition */
	atomic_store(&stop, true);
	for (int i = 0; i < writers; i++) {
		pthread_join(th[i], NULL);
		total += w[i].done;
		if (w[i].failed)
			exit(1);
	}
	double elapsed = now_s() - t0;
	pb_store_close(&s);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return (double)total / elapsed;
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : getenv("TMPDIR") != NULL ? getenv("TMPDIR")
									   : "/tmp";
	double secs = argc > 2 ? atof(argv[2]) : 3.0;
	static const int counts[] = { 1, 4, 16 };

	if (secs <= 0)
		secs = 3.0;
	if (argc > 3) {
		int n = atoi(argv[3]);
		if (n < 1 || n > MAX_WRITERS)
			n = 1;
		double d = run(base, n, true, secs);
		printf("%d writers: %.0f deliveries/s, %.0f synced writes/s\n", n, d, 2 * d);
		return 0;
	}
	double raw = raw_fsync_rate(base, secs);
	printf("store append benchmark: dir %s, %.1f s per run, %d-byte bodies, %ld CPUs\n", base,
	       secs, BODY_SIZE, sysconf(_SC_NPROCESSORS_ONLN));
	printf("raw fdatasync, 1 thread, 1 KB writes: %.0f fsyncs/s\n\n", raw);
	printf("%-8s %-10s %14s %16s %14s\n", "writers", "pipelined", "deliveries/s",
	       "synced writes/s", "vs raw fsync");
	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < PB_N_ELEMENTS(counts); i++) {
			double d = run(base, counts[i], p == 0, secs);
			printf("%-8d %-10s %14.0f %16.0f %13.2fx\n", counts[i], p == 0 ? "on" : "off",
			       d, 2 * d, 2 * d / raw);
			fflush(stdout);
		}
	}
	printf("\n(a delivery = blob_put + msg_append = 2 synced write batches)\n");
	return 0;
}
