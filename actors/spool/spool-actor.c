/*
 * spool-actor.c: spool shards (see spool-actor.h).
 * OWNS: struct spool_shard — in-flight deliveries, rebuilt from the store on (re)start.
 * THREAD: the shard's actor thread only.
 *
 * Why deliveries are asynchronous: a shard sends MBOX_APPEND_REQ with itself as reply_to and
 * goes on accepting puts; replies come back to its inbox like any message. A blocking call
 * would make every SMTP session wait for the slowest mailbox.
 */
#include "spool-actor.h"
#include "spool-private.h"

#include "mailbox-client.h"
#include "mime-edit.h"
#include "queue-client.h"
#include "pb-log.h"
#include "router-client.h"
#include "statushub-client.h"
#include "store-spool.h"
#include "sys-client.h"


#include <stdio.h>
#include <string.h>
#include <time.h>

#define SPOOL_MAX_SHARDS 16
#define SPOOL_RESEND_MS 30000
#define SPOOL_TICK_MS 5000
#define SPOOL_TIMER_TICK 1
#define SPOOL_TIMER_STATS 2
#define SPOOL_STATS_MS 1000
/* The recipient index of a delivery's hand-off to the queue (its remote recipients at once). */
#define SPOOL_QUEUE_INDEX 0xffff
/* The index of a delivery's question to the router (its recipients into a plan). */
#define SPOOL_ROUTE_INDEX 0xfffe

struct delivery {
	struct pb_spool_rec rec;
	uint64_t seq;          /* correlation base: seq << 16 | recipient index */
	uint8_t *done;         /* per recipient */
	uint64_t *sent_ms;     /* per recipient: 0 not sent, else when */
	uint64_t queue_sent_ms; /* the remote recipients' hand-off: 0 not sent, else when */
	uint64_t route_sent_ms; /* the question to the router (not planned yet): 0 not sent */
	size_t pending;
	uint64_t accepted_us; /* when it was accepted (pb_latency_now_us); 0: resumed at start */
	/* the body every copy gets, made for the current send pass (send_due): the entry's, or
	 * its signed copy (spool-sign.c); "" not made yet in this pass */
	char body_key[PB_BLOB_KEY_LEN + 1];
	uint64_t body_size;
};

/* The body of d's copies in this pass: the entry's, or, when its record carries the
 * signature's insertions, the signed copy, made at the first need of the pass. 0 / -1. */
static int delivery_body(struct spool_shard *s, struct delivery *d, const char **error_r)
{
	if (d->body_key[0] != '\0')
		return 0;
	if (d->rec.n_sign == 0) {
		memcpy(d->body_key, d->rec.blob_key, PB_BLOB_KEY_LEN + 1);
		d->body_size = d->rec.size;
		return 0;
	}
	if (spool_signed_body(s, &d->rec, d->body_key, &d->body_size, error_r) < 0) {
		d->body_key[0] = '\0';
		return -1;
	}
	return 0;
}

static void delivery_free(struct delivery *d)
{
	pb_spool_rec_free(&d->rec);
	free(d->done);
	free(d->sent_ms);
	free(d);
}

/* The body recipient i gets: the entry's, or, when its item has header edits (a message
 * rule's "Modify headers"), the entry's body with its header edited (mime-edit.h), stored as
 * a body of its own (content-addressed: a resend after a crash stores the same octets under
 * the same key, and the append's dedupe key keeps the delivery exactly-once; the append takes
 * its reference). The entry's body stays shared by every item without edits. 0 or -1. */
static int item_body(struct spool_shard *s, struct delivery *d, size_t i,
		     char key_r[PB_BLOB_KEY_LEN + 1], uint64_t *size_r, const char **error_r)
{
	const struct pb_spool_rec *r = &d->rec;
	struct pb_buf body, edited;

	if (delivery_body(s, d, error_r) < 0)
		return -1;
	memcpy(key_r, d->body_key, PB_BLOB_KEY_LEN + 1);
	*size_r = d->body_size;
	if (r->headers == NULL || r->headers[i] == NULL || r->headers[i][0] == '\0')
		return 0;
	pb_buf_init(&body);
	pb_buf_init(&edited);
	int found = pb_store_blob_get(s->store, d->body_key, &body, error_r);
	if (found == 0)
		*error_r = "the message body is missing";
	int ret = found == 1 ? 0 : -1;
	if (ret == 0 && mime_header_edit(body.data, body.len, r->headers[i], &edited) > 0) {
		ret = pb_store_blob_put(s->store, edited.data, edited.len, key_r, error_r);
		*size_r = edited.len;
	}
	pb_buf_deinit(&body);
	pb_buf_deinit(&edited);
	return ret;
}

/* Recipient i's append could not be sent: the tick resends it. */
static void spool_append_deferred(struct delivery *d, size_t i, const char *error)
{
	d->sent_ms[i] = 1; /* long ago: the tick resends it */
	pb_warn("spool", "event=deferred msgid=%s spool_id=%llu rcpt=%s reason=%s",
		PB_LOGQ(d->rec.msgid), (unsigned long long)d->rec.id, PB_LOGQ(d->rec.rcpts[i]),
		PB_LOGQ(error));
}

/* Sends (or resends) the append of recipient i. A full inbox leaves it for the next tick. */
static void send_append(struct pb_actor *a, struct spool_shard *s, struct delivery *d, size_t i)
{
	const char *error;
	char dedupe[64], key[PB_BLOB_KEY_LEN + 1];
	uint64_t size;

	snprintf(dedupe, sizeof(dedupe), "spool:%llu:%zu", (unsigned long long)d->rec.id, i);
	d->sent_ms[i] = pb_runtime_now_ms(pb_actor_runtime(a));
	if (item_body(s, d, i, key, &size, &error) < 0) {
		spool_append_deferred(d, i, error);
		return;
	}
	const struct pb_spool_rec *r = &d->rec;
	struct mailbox_append in = {
		.folder = r->folders != NULL ? r->folders[i] : "INBOX",
		.flags = r->flags != NULL ? r->flags[i] : 0,
		.keywords = r->keywords != NULL ? r->keywords[i] : "",
		.create = true, /* a message rule's folder is created when missing */
		.internal_date_ms = d->rec.received_ms,
		.size = size,
		.blob_key = key,
		.dedupe_key = dedupe,
		.lazy = true, /* the synced spool entry outlives it: see pb_store_msg_append_ex */
	};
	struct pb_sender sender = pb_actor_sender(a, d->seq << 16 | i);
	if (mailbox_client_append_send(&sender, d->rec.rcpt_ids[i], &in, &error) < 0)
		spool_append_deferred(d, i, error);
}

/* Hands the entry's remote recipients (user id 0) to the queue, all at once; the queue makes it
 * exactly once by the spool id. A full inbox leaves it for the tick. */
static void send_queue(struct pb_actor *a, struct spool_shard *s, struct delivery *d)
{
	const char *error;
	const char **rcpts = xcalloc(d->rec.n_rcpts, sizeof(char *));
	const char **edits = xcalloc(d->rec.n_rcpts, sizeof(char *));
	size_t n = 0;

	for (size_t i = 0; i < d->rec.n_rcpts; i++) {
		if (d->rec.rcpt_ids[i] != 0 || d->done[i])
			continue;
		edits[n] = d->rec.headers != NULL ? d->rec.headers[i] : ""; /* a rule's edits */
		rcpts[n++] = d->rec.rcpts[i];
	}
	int rc = n > 0 ? delivery_body(s, d, &error) : 0; /* before in: it sets the size */
	struct queue_client_add in = { d->rec.id, d->rec.sender, d->rec.msgid, d->body_key,
				       rcpts, n, d->rec.received_ms, d->body_size, edits };
	struct pb_sender sender = pb_actor_sender(a, d->seq << 16 | SPOOL_QUEUE_INDEX);
	d->queue_sent_ms = pb_runtime_now_ms(pb_actor_runtime(a));
	if (rc == 0 && n > 0)
		rc = queue_client_add_send(&sender, &in, &error);
	if (rc < 0) {
		d->queue_sent_ms = 1;
		pb_warn("spool", "event=deferred msgid=%s spool_id=%llu rcpt=remote reason=%s",
			PB_LOGQ(d->rec.msgid), (unsigned long long)d->rec.id, PB_LOGQ(error));
	}
	free(rcpts);
	free(edits);
}

/* Asks the router for the plan of an entry not planned yet. A full inbox: the tick asks again. */
static void send_route(struct pb_actor *a, struct delivery *d)
{
	const char *error;
	struct pb_sender sender = pb_actor_sender(a, d->seq << 16 | SPOOL_ROUTE_INDEX);

	uint32_t index = 0, count = 0;

	/* one router shard per spool shard: its entries are planned, and so delivered, in the
	 * order they were accepted (two messages of one client stay in order in the INBOX) */
	(void)pb_actor_shard(a, &index, &count);
	d->route_sent_ms = pb_runtime_now_ms(pb_actor_runtime(a));
	struct router_client_entry e = { d->rec.sender, d->rec.size, d->rec.msgid,
					 d->rec.rcpts, d->rec.rcpt_ids, d->rec.n_rcpts,
					 d->rec.origin, d->rec.collector, d->rec.blob_key };
	if (router_client_resolve_send(&sender, index, &e, &error) < 0) {
		d->route_sent_ms = 1;
		pb_warn("spool", "event=deferred msgid=%s spool_id=%llu rcpt=all reason=%s",
			PB_LOGQ(d->rec.msgid), (unsigned long long)d->rec.id, PB_LOGQ(error));
	}
}

/* Sends the local appends and the remote hand-off still due (sent before resend_before); an
 * entry not planned yet first gets its plan. */
static void send_due(struct pb_actor *a, struct spool_shard *s, struct delivery *d,
		     uint64_t resend_before)
{
	bool remote = false;

	if (!d->rec.planned) {
		if (d->route_sent_ms <= resend_before)
			send_route(a, d);
		return;
	}
	d->body_key[0] = '\0'; /* made again in each pass: see delivery_body */
	for (size_t i = 0; i < d->rec.n_rcpts; i++) {
		if (d->done[i])
			continue;
		if (d->rec.rcpt_ids[i] == 0)
			remote = true;
		else if (d->sent_ms[i] <= resend_before)
			send_append(a, s, d, i);
	}
	if (remote && d->queue_sent_ms <= resend_before)
		send_queue(a, s, d);
}

void spool_start_delivery(struct pb_actor *a, struct spool_shard *s, struct pb_spool_rec *rec)
{
	struct delivery *d = xcalloc(1, sizeof(*d));

	d->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	d->seq = ++s->next_seq;
	d->done = xcalloc(d->rec.n_rcpts, 1);
	d->sent_ms = xcalloc(d->rec.n_rcpts, sizeof(uint64_t));
	d->pending = d->rec.n_rcpts;
	d->accepted_us = pb_latency_now_us();
	s->d = xrealloc(s->d, sizeof(*s->d) * (s->n + 1));
	s->d[s->n++] = d;
	send_due(a, s, d, UINT64_MAX);
}

/* Copies r's origin, collector and plan items into copy (a shallow copy of r). */
static void spool_rec_copy_plan(struct pb_spool_rec *copy, const struct pb_spool_rec *r)
{
	copy->mark = NULL;
	copy->collector = r->collector != NULL ? xstrdup(r->collector) : NULL;
	if (r->folders == NULL) {
		copy->flags = NULL;
		copy->keywords = NULL;
		copy->headers = NULL;
		return;
	}
	copy->folders = xcalloc(r->n_rcpts, sizeof(char *));
	copy->keywords = xcalloc(r->n_rcpts, sizeof(char *));
	copy->headers = r->headers != NULL ? xcalloc(r->n_rcpts, sizeof(char *)) : NULL;
	copy->flags = xmemdup(r->flags, sizeof(uint32_t) * r->n_rcpts);
	for (size_t i = 0; i < r->n_rcpts; i++) {
		copy->folders[i] = xstrdup(r->folders[i] != NULL ? r->folders[i] : "INBOX");
		copy->keywords[i] = xstrdup(r->keywords[i] != NULL ? r->keywords[i] : "");
		if (copy->headers != NULL)
			copy->headers[i] = xstrdup(r->headers[i] != NULL ? r->headers[i] : "");
	}
}

struct resume_ctx {
	struct pb_actor *a;
	struct spool_shard *s;
};

static int resume_one(const struct pb_spool_rec *r, void *arg)
{
	struct resume_ctx *c = arg;
	if (r->id % c->s->count != c->s->index)
		return 0;
	if (r->planned && r->n_rcpts == 0) { /* planned to nobody (its DSN made): done */
		const char *error;
		if (pb_store_spool_done(c->s->store, r->id, &error) < 0)
			pb_warn("spool", "event=spool_done_failed spool_id=%llu reason=%s",
				(unsigned long long)r->id, PB_LOGQ(error));
		return 0;
	}
	struct pb_spool_rec copy = *r;
	copy.sender = xstrdup(r->sender);
	copy.msgid = xstrdup(r->msgid != NULL ? r->msgid : "");
	copy.message_id = r->message_id != NULL ? xstrdup(r->message_id) : NULL;
	copy.rcpts = xcalloc(r->n_rcpts, sizeof(char *));
	for (size_t i = 0; i < r->n_rcpts; i++)
		copy.rcpts[i] = xstrdup(r->rcpts[i]);
	copy.rcpt_ids = xmemdup(r->rcpt_ids, sizeof(uint64_t) * r->n_rcpts);
	spool_rec_copy_plan(&copy, r);
	copy.sign_at = r->n_sign > 0 ? xmemdup(r->sign_at, r->n_sign * sizeof(uint64_t)) : NULL;
	copy.sign_text = r->n_sign > 0 ? xcalloc(r->n_sign, sizeof(char *)) : NULL;
	for (size_t i = 0; i < r->n_sign; i++)
		copy.sign_text[i] = xstrdup(r->sign_text[i]);
	spool_start_delivery(c->a, c->s, &copy);
	c->s->d[c->s->n - 1]->accepted_us = 0; /* accepted before this run: no latency */
	pb_info("spool", "event=resume msgid=%s spool_id=%llu rcpts=%zu", PB_LOGQ(r->msgid),
		(unsigned long long)r->id, r->n_rcpts);
	return 0;
}

static int sp_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct spool_shard *s = xcalloc(1, sizeof(*s));
	struct resume_ctx c = { a, s };

	s->store = arg;
	if (pb_actor_shard(a, &s->index, &s->count) < 0) {
		free(s);
		*error_r = "a spool actor must be a declared shard";
		return -1;
	}
	if (spool_uploads_clean(s, error_r) < 0 ||
	    pb_store_spool_iter(s->store, resume_one, &c, error_r) < 0) {
		for (size_t i = 0; i < s->n; i++)
			delivery_free(s->d[i]);
		free(s->d);
		free(s);
		return -1;
	}
	pb_actor_timer_set(a, SPOOL_TIMER_TICK, SPOOL_TICK_MS);
	pb_actor_timer_set(a, SPOOL_TIMER_STATS, 0);
	*state_r = s;
	return 0;
}

/* The inbox ran empty: the group commit (spool-group.c). */
static void sp_idle(struct pb_actor *a, void *state)
{
	spool_group_flush(a, state);
}

static void sp_deinit(struct pb_actor *a, void *state)
{
	struct spool_shard *s = state;

	spool_group_flush(a, s); /* empty when stopping (on_idle ran); not after a failure */
	spool_group_free(s);
	for (size_t i = 0; i < s->n; i++)
		delivery_free(s->d[i]);
	free(s->d);
	spool_uploads_free(s);
	free(s);
}

/* The oldest entry this shard holds: its deliveries (every stored entry of its class: resumed
 * at start or committed here) and its open uploads. */
static int on_oldest(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct spool_shard *s = state;
	struct pb_msg rep;
	int64_t oldest = spool_uploads_oldest(s);

	for (size_t i = 0; i < s->n; i++)
		if (s->d[i]->rec.received_ms < oldest)
			oldest = s->d[i]->rec.received_ms;
	pb_msg_init(&rep, MSG_SPOOL_OLDEST_REP);
	rep.u.spool_oldest_rep.received_ms = oldest;
	rep.u.spool_oldest_rep.shards = s->count;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Every recipient of d is stored or queued (or failed): the entry leaves the spool; its
 * delivery latency is noted in rt (NULL: not, for an entry delivered to nobody) when it was
 * accepted in this run. */
static void finish(struct pb_runtime *rt, struct spool_shard *s, size_t at)
{
	struct delivery *d = s->d[at];
	const char *error;

	if (rt != NULL && d->accepted_us != 0)
		pb_runtime_latency_note(rt, PB_LAT_DELIVERY, pb_latency_now_us() - d->accepted_us);
	if (pb_store_spool_done(s->store, d->rec.id, &error) < 0) {
		/* still durable in the spool: the next start delivers it again, deduplicated */
		pb_error("spool", "event=spool_done_failed msgid=%s spool_id=%llu reason=%s",
			 PB_LOGQ(d->rec.msgid), (unsigned long long)d->rec.id, PB_LOGQ(error));
	}
	delivery_free(d);
	s->d[at] = s->d[--s->n];
}

/* The line about recipient i's delivery: delivered, deferred (tried again) or failed, with the
 * reason in words; counted for the status. */
static void log_delivery(struct spool_shard *s, const struct delivery *d, size_t i, uint32_t code,
			 const char *error)
{
	const char *msgid = PB_LOGQ(d->rec.msgid);

	if (code == PB_OK) {
		s->delivered++;
		pb_info("spool", "event=delivered msgid=%s spool_id=%llu rcpt=%s user_id=%llu folder=%s",
			msgid, (unsigned long long)d->rec.id, PB_LOGQ(d->rec.rcpts[i]),
			(unsigned long long)d->rec.rcpt_ids[i],
			PB_LOGQ(d->rec.folders != NULL ? d->rec.folders[i] : "INBOX"));
	} else if (code == PB_ERR_TEMP || code == PB_ERR_INTERNAL) {
		s->deferred++;
		pb_warn("spool", "event=deferred msgid=%s spool_id=%llu rcpt=%s reason=%s retry_s=%d",
			msgid, (unsigned long long)d->rec.id, PB_LOGQ(d->rec.rcpts[i]),
			PB_LOGQ(*error != '\0' ? error : pb_status_name(code)), SPOOL_RESEND_MS / 1000);
	} else {
		s->failed++;
		pb_error("spool", "event=delivery_failed msgid=%s spool_id=%llu rcpt=%s reason=%s",
			 msgid, (unsigned long long)d->rec.id, PB_LOGQ(d->rec.rcpts[i]),
			 PB_LOGQ(*error != '\0' ? error : pb_status_name(code)));
	}
}

/* The queue's answer to a hand-off: every remote recipient is done (queued), or tried again. */
static void on_queue_result(struct pb_actor *a, struct spool_shard *s, uint64_t seq,
			    uint32_t code, const char *error)
{
	for (size_t at = 0; at < s->n; at++) {
		struct delivery *d = s->d[at];
		if (d->seq != seq)
			continue;
		for (size_t i = 0; i < d->rec.n_rcpts; i++) {
			if (d->rec.rcpt_ids[i] != 0 || d->done[i])
				continue;
			if (code != PB_OK) {
				d->queue_sent_ms = 1; /* retried by the tick */
				log_delivery(s, d, i, PB_ERR_TEMP, error);
				return;
			}
			pb_info("spool", "event=queued msgid=%s spool_id=%llu rcpt=%s",
				PB_LOGQ(d->rec.msgid), (unsigned long long)d->rec.id,
				PB_LOGQ(d->rec.rcpts[i]));
			d->done[i] = 1;
			if (--d->pending == 0) {
				finish(pb_actor_runtime(a), s, at);
				return;
			}
		}
		return;
	}
}

/* A reply to one of our appends: code and corr are all we need. */
static void on_append_result(struct pb_actor *a, struct spool_shard *s, uint64_t corr,
			     uint32_t code, const char *error)
{
	uint64_t seq = corr >> 16;
	size_t i = (size_t)(corr & 0xffff);

	if (i == SPOOL_QUEUE_INDEX) {
		on_queue_result(a, s, seq, code, error);
		return;
	}
	for (size_t at = 0; at < s->n; at++) {
		struct delivery *d = s->d[at];
		if (d->seq != seq || i >= d->rec.n_rcpts || d->done[i])
			continue;
		log_delivery(s, d, i, code, error);
		if (code == PB_OK)
			statushub_client_activity(pb_actor_runtime(a), "Delivered message %s to %s",
						  d->rec.msgid, d->rec.rcpts[i]);
		if (code == PB_ERR_TEMP || code == PB_ERR_INTERNAL) {
			d->sent_ms[i] = 1; /* retried by the tick */
			return;
		}
		d->done[i] = 1;
		if (--d->pending == 0)
			finish(pb_actor_runtime(a), s, at);
		return;
	}
}

/* The entry's recipients become the plan (its items, in plan order, with their folders, flags
 * and keywords, stored with the trace and the messages it generates in one synced write
 * before any delivery: see docs/storage.md "Routing" and "Generated messages"). */
static int adopt_plan(struct pb_actor *a, struct spool_shard *s, struct delivery *d,
		      const struct msg_router_resolve_rep *p, uint64_t now_ms, const char **error_r)
{
	size_t n = p->items.n;
	struct pb_spool_rec plan = { 0 };

	plan.n_rcpts = n;
	plan.rcpts = xcalloc(n, sizeof(char *));
	plan.rcpt_ids = xcalloc(n, sizeof(uint64_t));
	plan.folders = xcalloc(n, sizeof(char *));
	plan.flags = xcalloc(n, sizeof(uint32_t));
	plan.keywords = xcalloc(n, sizeof(char *));
	plan.headers = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const struct pb_rec_plan_item *it = &p->items.v[i];
		plan.rcpts[i] = xstrdup(it->address);
		plan.rcpt_ids[i] = it->user_id;
		plan.folders[i] = xstrdup(it->folder[0] != '\0' ? it->folder : "INBOX");
		plan.flags[i] = it->flags;
		plan.keywords[i] = xstrdup(it->keywords);
		plan.headers[i] = xstrdup(it->headers);
	}
	struct pb_spool_plan sp = { plan.rcpts, plan.rcpt_ids, plan.folders, plan.flags,
				    plan.keywords, n, plan.headers, d->rec.message_id };
	int ret = spool_plan_store(a, s, &d->rec, p, &sp, (int64_t)now_ms, error_r);
	if (ret < 0) {
		pb_spool_rec_free(&plan);
		return -1;
	}
	struct pb_spool_rec *r = &d->rec;
	/* the plan's recipients and items replace the accepted ones (the rest of r stays) */
	struct pb_spool_rec old = { .rcpts = r->rcpts, .rcpt_ids = r->rcpt_ids,
				    .n_rcpts = r->n_rcpts, .folders = r->folders,
				    .flags = r->flags, .keywords = r->keywords,
				    .headers = r->headers };
	pb_spool_rec_free(&old);
	r->rcpts = plan.rcpts;
	r->rcpt_ids = plan.rcpt_ids;
	r->n_rcpts = n;
	r->folders = plan.folders;
	r->flags = plan.flags;
	r->keywords = plan.keywords;
	r->headers = plan.headers;
	r->planned = true;
	free(d->done);
	free(d->sent_ms);
	d->done = xcalloc(n, 1);
	d->sent_ms = xcalloc(n, sizeof(uint64_t));
	d->pending = n;
	return ret;
}

/* Whether a trace has a recipient the router consumed itself (router-client.h). */
static bool consumed(const struct pb_strv *trace)
{
	for (uint32_t i = 0; i < trace->n; i++)
		if (strncmp(trace->v[i], ROUTER_TRACE_CONSUMED, strlen(ROUTER_TRACE_CONSUMED)) == 0)
			return true;
	return false;
}

/* A plan with nothing to deliver: its trace kept (a generated entry's first line kept);
 * unroutable, unless the router consumed its recipients (a reply to a collector's too-big
 * notice: done). */
static void nothing_due(struct spool_shard *s, struct delivery *d,
			const struct msg_router_resolve_rep *p)
{
	const struct pb_strv *trace = &p->trace;
	struct pb_strv kept = { 0 };
	const char *error;

	spool_plan_trace(s, &d->rec, p, &kept);
	if (pb_store_trace_put(s->store, d->rec.id, d->rec.msgid, d->rec.message_id,
			       (int64_t)pb_clock_wall_ms(), &kept, &error) < 0)
		pb_warn("spool", "event=trace_not_kept msgid=%s reason=%s", PB_LOGQ(d->rec.msgid),
			PB_LOGQ(error));
	pb_strv_clear(&kept);
	if (consumed(trace)) {
		pb_info("spool", "event=consumed msgid=%s spool_id=%llu", PB_LOGQ(d->rec.msgid),
			(unsigned long long)d->rec.id);
		return;
	}
	s->failed++;
	pb_error("spool", "event=unroutable msgid=%s spool_id=%llu reason=%s",
		 PB_LOGQ(d->rec.msgid), (unsigned long long)d->rec.id,
		 "no recipient reaches anyone (see pillarbox trace)");
}

void spool_on_routed(struct pb_actor *a, struct spool_shard *s, uint64_t seq, uint32_t code,
		     const char *error, struct pb_msg *m)
{
	for (size_t at = 0; at < s->n; at++) {
		struct delivery *d = s->d[at];
		if (d->seq != seq || d->rec.planned)
			continue;
		if (code != PB_OK) {
			d->route_sent_ms = 1; /* asked again by the tick */
			pb_warn("spool", "event=deferred msgid=%s spool_id=%llu rcpt=all reason=%s",
				PB_LOGQ(d->rec.msgid), (unsigned long long)d->rec.id, PB_LOGQ(error));
			return;
		}
		const struct msg_router_resolve_rep *p = &m->u.router_resolve_rep;
		if (p->items.n == 0 && p->gens.n == 0) {
			nothing_due(s, d, p);
			finish(NULL, s, at);
			return;
		}
		uint64_t now = pb_runtime_wall_ms(pb_actor_runtime(a));
		if (adopt_plan(a, s, d, p, now, &error) < 0) {
			/* not stored: the next start asks the router again, nothing was delivered */
			pb_error("spool", "event=plan_not_stored msgid=%s spool_id=%llu reason=%s",
				 PB_LOGQ(d->rec.msgid), (unsigned long long)d->rec.id, PB_LOGQ(error));
			d->route_sent_ms = 1;
			return;
		}
		if (d->rec.n_rcpts == 0) { /* only generated messages (a DSN): done */
			s->failed++;
			pb_error("spool", "event=unroutable msgid=%s spool_id=%llu reason=%s",
				 PB_LOGQ(d->rec.msgid), (unsigned long long)d->rec.id,
				 "no recipient reaches anyone; a DSN goes to the sender");
			finish(NULL, s, at);
			return;
		}
		send_due(a, s, d, UINT64_MAX);
		return;
	}
}

/* MBOX_APPEND_REP, QUEUE's and ROUTER_RESOLVE_REP, or CORE_STATUS_REP when a request failed
 * before it could answer: told apart by the index in corr. */
static int on_append_rep(struct pb_actor *a, void *state, struct pb_msg *m)
{
	const char *error;

	if ((m->corr & 0xffff) == SPOOL_ROUTE_INDEX) {
		uint32_t code = router_client_resolve_reply(m, &error);
		spool_on_routed(a, state, m->corr >> 16, code, error, m);
		return 0;
	}
	uint32_t code = pb_msg_status(m, &error);
	on_append_result(a, state, m->corr, code, error);
	return 0;
}

/* Reports the shard's figures to sys when they changed since the last report (and once at
 * start); a report that cannot go is tried again next time. */
static void report_stats(struct pb_actor *a, struct spool_shard *s)
{
	struct sys_spool_stats st = { s->index, s->count, s->n, s->delivered, s->deferred, s->failed };
	const char *error;

	if (s->reported && memcmp(&st, &s->last_report, sizeof(st)) == 0)
		return;
	if (sys_client_spool_stats_cast(pb_actor_runtime(a), &st, &error) == 0) {
		s->last_report = st;
		s->reported = true;
	}
}

static void sp_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct spool_shard *s = state;

	if (id == SPOOL_TIMER_STATS) {
		report_stats(a, s);
		pb_actor_timer_set(a, SPOOL_TIMER_STATS, SPOOL_STATS_MS);
		return;
	}
	for (size_t at = 0; at < s->n; at++)
		send_due(a, s, s->d[at], now >= SPOOL_RESEND_MS ? now - SPOOL_RESEND_MS : 0);
	spool_uploads_expire(a, s, now);
	spool_marks_tick(a, s);
	pb_actor_timer_set(a, SPOOL_TIMER_TICK, SPOOL_TICK_MS);
}

struct trace_ctx {
	struct pb_strv *lines;
	uint64_t last_id;
};

static void trace_line(uint64_t id, int64_t time_ms, const char *line, void *arg)
{
	struct trace_ctx *c = arg;
	char head[96];

	if (id != c->last_id) {
		time_t t = (time_t)(time_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		snprintf(head, sizeof(head), "spool entry %llu, routed %04d-%02d-%02d %02d:%02d:%02d UTC",
			 (unsigned long long)id, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		pb_strv_push(c->lines, head);
		c->last_id = id;
	}
	pb_strv_push(c->lines, line);
}

/* SPOOL_TRACE_REQ: the kept decision traces of a queue id or a Message-ID (any shard: one
 * family); each headed by its spool entry and when it was routed. */
static int on_trace(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct spool_shard *s = state;
	struct pb_msg rep;
	const char *error;

	pb_msg_init(&rep, MSG_SPOOL_TRACE_REP);
	struct trace_ctx c = { &rep.u.spool_trace_rep.lines, 0 };
	if (pb_store_trace_find(s->store, m->u.spool_trace_req.msgid, trace_line, &c, &error) < 0) {
		pb_msg_free(&rep);
		return pb_reply_status(a, m, PB_ERR_TEMP, error), 0;
	}
	if (c.lines->n == 0) {
		pb_msg_free(&rep);
		return pb_reply_status(a, m, PB_ERR_NOTFOUND,
				       "no trace is kept for that queue id or Message-ID"), 0;
	}
	rep.u.spool_trace_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler spool_handlers[] = {
	{ MSG_SPOOL_TRACE_REQ, on_trace },
	{ MSG_SPOOL_ROOM_REQ, spool_on_room },
	{ MSG_SPOOL_OLDEST_REQ, on_oldest },
	{ MSG_SPOOL_BEGIN_REQ, spool_on_begin },
	{ MSG_SPOOL_CHUNK_REQ, spool_on_chunk },
	{ MSG_SPOOL_COMMIT_REQ, spool_on_commit },
	{ MSG_SPOOL_ABORT_REQ, spool_on_abort },
	{ MSG_SPOOL_PUT_REQ, spool_on_put },
	{ MSG_MBOX_APPEND_REP, on_append_rep },
	{ MSG_ROUTER_RESOLVE_REP, on_append_rep },
	{ MSG_CORE_STATUS_REP, on_append_rep },
};

const struct pb_actor_def spool_actor_def = {
	.name = "spool",
	.inbox_size = 4096,
	.init = sp_init,
	.deinit = sp_deinit,
	.handlers = spool_handlers,
	.n_handlers = PB_N_ELEMENTS(spool_handlers),
	.on_timer = sp_timer,
	.on_idle = sp_idle,
};

int spool_actors_start(struct pb_runtime *rt, struct pb_store *store, uint32_t n,
		       const char **error_r)
{
	if (n == 0 || n > SPOOL_MAX_SHARDS) {
		*error_r = "the number of spool shards must be 1 to 16";
		return -1;
	}
	return pb_runtime_start_shards(rt, &spool_actor_def, n, store, error_r);
}
