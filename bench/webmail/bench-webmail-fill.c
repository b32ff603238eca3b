/*
 * bench-webmail-fill.c: fills one user's INBOX with N generated messages straight into a
 * stopped daemon's store (bench/webmail/bench-webmail-list.py's setup: IMAP APPEND of 100,000
 * messages takes minutes). Each message: "From: Sender K <sK@example.org>" (1,000 senders),
 * "Subject: topic J of the bench" (5,000 subjects), a body of 200..2,000 octets; the same as
 * bench-webmail-list.py's message(i). Bodies are put by THREADS threads, then appended in
 * batches of BATCH (pb_store_msg_append_batch: consecutive uids, one synced write a batch).
 * Each record gets its sort keys as delivery makes them (mailbox_sort_keys_fill: from the
 * body's structure record), unless "old" is given: then records are written without them, as
 * mail stored before the keys existed (the sort index reads those bodies).
 * Usage: bench-webmail-fill STORE_DIR USER N [old]. Never run by ctest.
 * OWNS: the store it opens. THREAD: main and its putters.
 */
#include "mailbox-sortkey.h"
#include "store-accounts.h"
#include "store-bodies.h"
#include "store-db.h"
#include "store-mail.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define BATCH 1000

struct putter {
	struct pb_store *s;
	long first, n, step;
	struct pb_msg_rec *recs;
	int failed;
	bool keys; /* fill the records' sort keys (as delivery does) */
};

static size_t message(long i, char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
			 "From: Sender %ld <s%ld@example.org>\r\nTo: u@example.org\r\n"
			 "Subject: topic %ld of the bench\r\nDate: Mon, 30 Nov 2026 03:00:00 +0000\r\n"
			 "\r\nmessage %ld\r\n",
			 (i * 31) % 1000, (i * 31) % 1000, (i * 17) % 5000, i);
	size_t len = (size_t)n, pad = 200 + (size_t)((i * 7919) % 1800);
	memset(buf + len, 'z', pad);
	memcpy(buf + len + pad, "\r\n", 2);
	return len + pad + 2;
}

static void *put_run(void *arg)
{
	struct putter *p = arg;
	char buf[4096];
	const char *err;

	for (long i = p->first; i < p->n; i += p->step) {
		size_t len = message(i, buf, sizeof(buf));
		p->recs[i] = (struct pb_msg_rec){ .size = len, .internal_date_ms = 1795921200000 + i };
		if (pb_store_blob_put(p->s, buf, len, p->recs[i].blob_key, &err) < 0) {
			fprintf(stderr, "blob_put: %s\n", err);
			p->failed = 1;
			return NULL;
		}
		if (p->keys)
			mailbox_sort_keys_fill(p->s, &p->recs[i]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct pb_store_options o = { 0 };
	struct pb_store *s;
	struct pb_user_rec u;
	struct pb_folder_rec f;
	const char *err;

	if (argc != 4 && !(argc == 5 && strcmp(argv[4], "old") == 0)) {
		fprintf(stderr, "usage: bench-webmail-fill STORE_DIR USER N [old]\n");
		return 2;
	}
	long n = atol(argv[3]);
	if (pb_store_open(argv[1], &o, &s, &err) < 0 || pb_store_user_get(s, argv[2], &u, &err) != 1 ||
	    pb_store_folder_get(s, u.id, "INBOX", &f, &err) != 1) {
		fprintf(stderr, "bench-webmail-fill: no store, user or INBOX\n");
		return 1;
	}
	struct pb_msg_rec *recs = calloc((size_t)n, sizeof(*recs));
	struct putter p[THREADS];
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++) {
		p[t] = (struct putter){ .s = s, .first = t, .n = n, .step = THREADS, .recs = recs,
				 .keys = argc == 4 };
		pthread_create(&th[t], NULL, put_run, &p[t]);
	}
	int failed = 0;
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		failed |= p[t].failed;
	}
	for (long i = 0; !failed && i < n; i += BATCH) {
		size_t k = (size_t)(n - i < BATCH ? n - i : BATCH);
		if (pb_store_msg_append_batch(s, u.id, f.id, recs + i, k, &err) < 0) {
			fprintf(stderr, "append_batch: %s\n", err);
			failed = 1;
		}
	}
	free(recs);
	pb_folder_rec_free(&f);
	pb_user_rec_free(&u);
	pb_store_close(&s);
	return failed;
}
