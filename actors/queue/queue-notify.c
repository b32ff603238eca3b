/*
 * queue-notify.c: a queue shard's DSNs to senders (see queue-shard.h): failures, delay
 * warnings and successes, built by queue-dsn.c and handed to the spool as new mail (to a local
 * sender's mailbox, or out through the queue).
 * OWNS: nothing past a call. THREAD: the shard's actor thread.
 * MESSAGES sent: DIRECTORY rcpt checks, SPOOL_PUT_REQ (synchronous, short, local).
 */
#include "queue-dsn.h"
#include "queue-group.h"
#include "queue-shard.h"

#include "directory-client.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "spool-client.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define QUEUE_CALL_MS 10000

/* Reads the original's first bytes (at most QUEUE_DSN_FULL_MAX) into b. */
static void read_original(struct queue_shard *s, const struct pb_queue_rec *q, struct pb_buf *b,
			  bool *whole_r)
{
	size_t n = 0;
	uint64_t size = 0;
	const char *error;

	pb_buf_reserve(b, QUEUE_DSN_FULL_MAX);
	if (pb_store_blob_read(s->store, q->blob_key, 0, b->data, QUEUE_DSN_FULL_MAX, &n, &size,
			       &error) != 1)
		n = 0;
	b->len = n;
	*whole_r = q->ret == 1 && size <= QUEUE_DSN_FULL_MAX;
}

/* Sends a DSN for the recipients in report to sender (their envelope sender) through the
 * spool: 0 sent (or none due: the null sender), -1 try again later. */
static int send_dsn_to(struct pb_actor *a, struct queue_shard *s, struct qentry *e,
		       const char *sender, const bool *report, enum queue_dsn_action action,
		       int64_t now, int64_t until)
{
	struct pb_sync t;
	char mta[256], msgid[64];
	const char *error;
	uint32_t code = PB_ERR_TEMP;
	uint64_t uid = 0, spool_id;
	char *user = NULL;
	const char *at = strrchr(sender, '@');

	if (sender[0] == '\0' || at == NULL) { /* never to the null sender (RFC 5321 4.5.5) */
		pb_info("queue", "event=dsn_skipped queue_id=%llu reason=%s",
			(unsigned long long)e->q.id, at == NULL && sender[0] != '\0'
							     ? "sender_without_domain"
							     : "null_sender");
		return 0;
	}
	pb_sync_init_caller(&t, pb_actor_caller(a), QUEUE_CALL_MS);
	char *local = xstrndup(sender, (size_t)(at - sender));
	int rc = directory_client_rcpt_check(&t, local, at + 1, &code, &uid, &user, &error);
	free(local);
	free(user);
	if (rc < 0 || (code != PB_OK && code != PB_ERR_REFUSED))
		return -1;
	if (code == PB_ERR_REFUSED)
		uid = 0; /* a remote sender: the DSN goes out through the queue */
	struct pb_buf orig, dsn;
	bool whole;
	pb_buf_init(&orig);
	pb_buf_init(&dsn);
	read_original(s, &e->q, &orig, &whole);
	whole &= action == QUEUE_DSN_FAILED; /* RET=FULL is for failures (RFC 3461 4.3) */
	queue_dsn_host(mta, sizeof(mta));
	struct pb_queue_rec q = e->q; /* shallow: the DSN is addressed to this group's sender */
	q.sender = (char *)sender;
	struct queue_dsn_in in = { &q, report, action, mta, e->host, now, until,
				   orig.data, orig.len, whole };
	queue_dsn_build(&in, &dsn);
	snprintf(msgid, sizeof(msgid), "dsn-%llu", (unsigned long long)e->q.id);
	const char *rcpt = sender;
	struct spool_client_envelope env = { "", msgid, &rcpt, &uid, 1, now, PB_ORIGIN_SYSTEM };
	code = spool_client_put(pb_actor_caller(a), e->q.id, &env, dsn.data, dsn.len, &spool_id,
				&error);
	pb_buf_deinit(&orig);
	pb_buf_deinit(&dsn);
	pb_info("queue", "event=dsn queue_id=%llu to=%s action=%s result=%s",
		(unsigned long long)e->q.id, PB_LOGQ(sender),
		action == QUEUE_DSN_DELAYED   ? "delayed"
		: action == QUEUE_DSN_RELAYED ? "relayed"
					      : "failed",
		pb_status_name(code));
	return code == PB_OK ? 0 : -1;
}

/* Whether recipient i is reported and has the envelope sender `sender`. */
static bool reported_from(const struct qentry *e, const bool *report, size_t i, const char *sender)
{
	return report[i] && strcmp(queue_rcpt_sender(&e->q, &e->q.r[i]), sender) == 0;
}

/* Sends the DSNs for the recipients in report: one to each envelope sender among them, so a
 * forwarded copy that left with its own sender (a rule's "Set forward sender", guide 4.14)
 * reports to that sender, not to the original's. 0 all sent, -1 try again later (then the
 * senders already served may get theirs again: a duplicate rather than a loss). */
static int send_dsn(struct pb_actor *a, struct queue_shard *s, struct qentry *e,
		    const bool *report, enum queue_dsn_action action, int64_t now, int64_t until)
{
	bool *mine = xcalloc(e->q.n, sizeof(bool));
	int ret = 0;

	for (size_t i = 0; i < e->q.n; i++) {
		const char *sender = queue_rcpt_sender(&e->q, &e->q.r[i]);
		size_t first = 0;
		while (first < i && !reported_from(e, report, first, sender))
			first++;
		if (!report[i] || first < i) /* not reported, or its sender's DSN went already */
			continue;
		for (size_t j = 0; j < e->q.n; j++)
			mine[j] = reported_from(e, report, j, sender);
		if (send_dsn_to(a, s, e, sender, mine, action, now, until) < 0)
			ret = -1;
	}
	free(mine);
	return ret;
}

/* Failed recipients: their DSN (if NOTIFY asks one), then they are bounced. */
void queue_notify_failed(struct pb_actor *a, struct queue_shard *s, struct qentry *e,
			 int64_t now)
{
	bool *report = xcalloc(e->q.n, sizeof(bool));
	bool any = false, changed = false;

	for (size_t i = 0; i < e->q.n; i++) {
		uint8_t nf = e->q.r[i].notify;
		report[i] = e->q.r[i].state == PB_QUEUE_FAILED &&
			    (nf == 0 || (nf & PB_QUEUE_NOTIFY_FAILURE) != 0);
		any |= report[i];
	}
	if (!any || send_dsn(a, s, e, report, QUEUE_DSN_FAILED, now, 0) == 0) {
		for (size_t i = 0; i < e->q.n; i++)
			if (e->q.r[i].state == PB_QUEUE_FAILED) {
				e->q.r[i].state = PB_QUEUE_BOUNCED;
				changed = true;
			}
	}
	free(report);
	if (changed)
		queue_entry_save(s, e);
}

/* Whether recipient r still owes its sender a success DSN: delivered, NOTIFY=SUCCESS, and
 * not passed on to a server with DSN (on_sent clears the bit then). */
bool queue_owes_success(const struct pb_queue_rcpt *r)
{
	return r->state == PB_QUEUE_DELIVERED && (r->notify & PB_QUEUE_NOTIFY_SUCCESS) != 0;
}

/* The success DSN ("relayed", RFC 3461 6.2.1) for the delivered recipients that owe one; once
 * sent, their SUCCESS bit is cleared (written: a crash before repeats it, never loses it). */
void queue_notify_success(struct pb_actor *a, struct queue_shard *s, struct qentry *e,
			  int64_t now)
{
	bool *report = xcalloc(e->q.n, sizeof(bool));
	bool any = false;

	for (size_t i = 0; i < e->q.n; i++)
		any |= report[i] = queue_owes_success(&e->q.r[i]);
	if (any && send_dsn(a, s, e, report, QUEUE_DSN_RELAYED, now, 0) == 0) {
		for (size_t i = 0; i < e->q.n; i++)
			if (report[i])
				e->q.r[i].notify &= (uint8_t)~PB_QUEUE_NOTIFY_SUCCESS;
		queue_entry_save(s, e);
	}
	free(report);
}

/* The delay warning, once, for recipients still waiting with NOTIFY=DELAY or none. */
void queue_notify_delayed(struct pb_actor *a, struct queue_shard *s, struct qentry *e,
			  int64_t now, const struct pb_settings_outbound *o)
{
	if (e->q.warned || o->delay_warning_s == 0 ||
	    now - e->q.arrival_ms < (int64_t)o->delay_warning_s * 1000)
		return;
	bool *report = xcalloc(e->q.n, sizeof(bool));
	bool any = false, untried = false;
	for (size_t i = 0; i < e->q.n; i++) {
		uint8_t nf = e->q.r[i].notify;
		report[i] = e->q.r[i].state == PB_QUEUE_DEFERRED &&
			    (nf == 0 || (nf & PB_QUEUE_NOTIFY_DELAY) != 0);
		any |= report[i];
		untried |= e->q.r[i].state == PB_QUEUE_PENDING;
	}
	if (!any && untried) { /* not tried yet (a busy next hop, a slow first attempt): later */
		free(report);
		return;
	}
	int64_t until = e->q.arrival_ms + (int64_t)o->expiry_s * 1000;
	if (!any || send_dsn(a, s, e, report, QUEUE_DSN_DELAYED, now, until) == 0) {
		e->q.warned = true;
		queue_entry_save(s, e);
	}
	free(report);
}
