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

#include "pb-log.h"
#include "store.h"


#include <stdio.h>
#include <string.h>

#define SPOOL_MAX_SHARDS 16
#define SPOOL_RESEND_MS 30000
#define SPOOL_TICK_MS 5000
#define SPOOL_TIMER_TICK 1

struct delivery {
	struct pb_spool_rec rec;
	uint64_t seq;          /* correlation base: seq << 16 | recipient index */
	uint8_t *done;         /* per recipient */
	uint64_t *sent_ms;     /* per recipient: 0 not sent, else when */
	size_t pending;
};

struct spool_shard {
	struct pb_store *store;
	uint32_t index, count; /* this shard, of how many: it resumes the entries id % count */
	struct delivery **d;
	size_t n;
	uint64_t next_seq;
};

static void delivery_free(struct delivery *d)
{
	pb_spool_rec_free(&d->rec);
	free(d->done);
	free(d->sent_ms);
	free(d);
}

/* Sends (or resends) the append of recipient i. A full inbox leaves it for the next tick. */
static void send_append(struct pb_actor *a, struct spool_shard *s, struct delivery *d, size_t i)
{
	struct pb_msg m;
	const char *error;
	char dedupe[64];

	pb_msg_init(&m, MSG_MBOX_APPEND_REQ);
	m.corr = d->seq << 16 | i;
	m.reply_to = xstrdup(pb_actor_name(a));
	struct msg_mbox_append_req *q = &m.u.mbox_append_req;
	q->user_id = d->rec.rcpt_ids[i];
	q->folder = xstrdup("INBOX");
	q->internal_date_ms = d->rec.received_ms;
	q->size = d->rec.size;
	q->blob_key = xstrdup(d->rec.blob_key);
	snprintf(dedupe, sizeof(dedupe), "spool:%llu:%zu", (unsigned long long)d->rec.id, i);
	q->dedupe_key = xstrdup(dedupe);
	q->lazy = 1; /* the synced spool entry outlives it: see pb_store_msg_append_ex */
	d->sent_ms[i] = pb_runtime_now_ms(pb_actor_runtime(a));
	if (pb_send(pb_actor_runtime(a), NULL, &m, &error) < 0) {
		d->sent_ms[i] = 1; /* long ago: the tick resends it */
		pb_warn("spool", "event=append_deferred spool_id=%llu reason=%s",
			(unsigned long long)d->rec.id, PB_LOGQ(error));
	}
	pb_msg_free(&m);
}

/* Takes ownership of rec and starts delivering it. */
static void start_delivery(struct pb_actor *a, struct spool_shard *s, struct pb_spool_rec *rec)
{
	struct delivery *d = xcalloc(1, sizeof(*d));

	d->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	d->seq = ++s->next_seq;
	d->done = xcalloc(d->rec.n_rcpts, 1);
	d->sent_ms = xcalloc(d->rec.n_rcpts, sizeof(uint64_t));
	d->pending = d->rec.n_rcpts;
	s->d = xrealloc(s->d, sizeof(*s->d) * (s->n + 1));
	s->d[s->n++] = d;
	for (size_t i = 0; i < d->rec.n_rcpts; i++)
		send_append(a, s, d, i);
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
	struct pb_spool_rec copy = *r;
	copy.sender = xstrdup(r->sender);
	copy.rcpts = xcalloc(r->n_rcpts, sizeof(char *));
	for (size_t i = 0; i < r->n_rcpts; i++)
		copy.rcpts[i] = xstrdup(r->rcpts[i]);
	copy.rcpt_ids = xmemdup(r->rcpt_ids, sizeof(uint64_t) * r->n_rcpts);
	start_delivery(c->a, c->s, &copy);
	pb_info("spool", "event=resume spool_id=%llu rcpts=%zu", (unsigned long long)r->id,
		r->n_rcpts);
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
	if (pb_store_spool_iter(s->store, resume_one, &c, error_r) < 0) {
		for (size_t i = 0; i < s->n; i++)
			delivery_free(s->d[i]);
		free(s->d);
		free(s);
		return -1;
	}
	pb_actor_timer_set(a, SPOOL_TIMER_TICK, SPOOL_TICK_MS);
	*state_r = s;
	return 0;
}

static void sp_deinit(struct pb_actor *a, void *state)
{
	struct spool_shard *s = state;
	for (size_t i = 0; i < s->n; i++)
		delivery_free(s->d[i]);
	free(s->d);
	free(s);
}

static int on_put(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct spool_shard *s = state;
	struct msg_spool_put_req *q = &m->u.spool_put_req;
	struct pb_spool_rec rec;
	struct pb_msg rep;
	const char *error;

	if (q->rcpts.n == 0 || q->rcpts.n != q->rcpt_ids.n) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "recipients and their ids do not match");
		return 0;
	}
	if (!pb_store_has_room(s->store, q->body.len)) {
		pb_warn("spool", "event=storage_reserve_reached size=%zu", q->body.len);
		pb_reply_status(a, m, PB_ERR_NOSPACE, "insufficient system storage");
		return 0;
	}
	memset(&rec, 0, sizeof(rec));
	rec.sender = q->sender != NULL ? q->sender : xstrdup("");
	q->sender = NULL;
	rec.rcpts = q->rcpts.v;
	rec.n_rcpts = q->rcpts.n;
	q->rcpts.v = NULL;
	q->rcpts.n = 0;
	rec.rcpt_ids = q->rcpt_ids.v;
	q->rcpt_ids.v = NULL;
	q->rcpt_ids.n = 0;
	rec.received_ms = q->received_ms;
	if (pb_store_spool_put(s->store, q->body.data, q->body.len, &rec, &error) < 0) {
		pb_error("spool", "event=spool_write_failed reason=%s", PB_LOGQ(error));
		pb_spool_rec_free(&rec);
		pb_reply_status(a, m, PB_ERR_TEMP, "the message could not be stored");
		return 0;
	}
	pb_msg_init(&rep, MSG_SPOOL_PUT_REP);
	rep.u.spool_put_rep.error = xstrdup("");
	rep.u.spool_put_rep.spool_id = rec.id;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	start_delivery(a, s, &rec);
	return 0;
}

static void finish(struct spool_shard *s, size_t at)
{
	struct delivery *d = s->d[at];
	const char *error;

	if (pb_store_spool_done(s->store, d->rec.id, &error) < 0) {
		/* still durable in the spool: the next start delivers it again, deduplicated */
		pb_error("spool", "event=spool_done_failed spool_id=%llu reason=%s",
			 (unsigned long long)d->rec.id, PB_LOGQ(error));
	}
	delivery_free(d);
	s->d[at] = s->d[--s->n];
}

/* A reply to one of our appends: code and corr are all we need. */
static void on_append_result(struct pb_actor *a, struct spool_shard *s, uint64_t corr,
			     uint32_t code, const char *error)
{
	uint64_t seq = corr >> 16;
	size_t i = (size_t)(corr & 0xffff);

	for (size_t at = 0; at < s->n; at++) {
		struct delivery *d = s->d[at];
		if (d->seq != seq || i >= d->rec.n_rcpts || d->done[i])
			continue;
		if (code == PB_ERR_TEMP || code == PB_ERR_INTERNAL) {
			d->sent_ms[i] = 1; /* retried by the tick */
			return;
		}
		if (code != PB_OK)
			pb_error("spool", "event=delivery_failed spool_id=%llu rcpt=%s reason=%s",
				 (unsigned long long)d->rec.id, PB_LOGQ(d->rec.rcpts[i]), PB_LOGQ(error));
		else
			pb_info("spool", "event=delivered spool_id=%llu rcpt=%s",
				(unsigned long long)d->rec.id, PB_LOGQ(d->rec.rcpts[i]));
		d->done[i] = 1;
		if (--d->pending == 0)
			finish(s, at);
		return;
	}
}

/* MBOX_APPEND_REP, or CORE_STATUS_REP when the append failed before it could answer. */
static int on_append_rep(struct pb_actor *a, void *state, struct pb_msg *m)
{
	const char *error;
	uint32_t code = pb_msg_status(m, &error);

	on_append_result(a, state, m->corr, code, error);
	return 0;
}

static void sp_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct spool_shard *s = state;

	for (size_t at = 0; at < s->n; at++) {
		struct delivery *d = s->d[at];
		for (size_t i = 0; i < d->rec.n_rcpts; i++) {
			if (!d->done[i] && d->sent_ms[i] + SPOOL_RESEND_MS <= now)
				send_append(a, s, d, i);
		}
	}
	pb_actor_timer_set(a, SPOOL_TIMER_TICK, SPOOL_TICK_MS);
}

static const struct pb_handler spool_handlers[] = {
	{ MSG_SPOOL_PUT_REQ, on_put },
	{ MSG_MBOX_APPEND_REP, on_append_rep },
	{ MSG_CORE_STATUS_REP, on_append_rep },
};

int spool_actors_start(struct pb_runtime *rt, struct pb_store *store, uint32_t n,
		       const char **error_r)
{
	char name[32];

	if (n == 0 || n > SPOOL_MAX_SHARDS) {
		*error_r = "the number of spool shards must be 1 to 16";
		return -1;
	}
	pb_runtime_set_shards(rt, "spool", n);
	for (uint32_t i = 0; i < n; i++) {
		struct pb_actor_def def = {
			.name = name,
			.inbox_size = 4096,
			.init = sp_init,
			.deinit = sp_deinit,
			.handlers = spool_handlers,
			.n_handlers = PB_N_ELEMENTS(spool_handlers),
			.on_timer = sp_timer,
		};
		snprintf(name, sizeof(name), "spool.%u", i);
		if (pb_runtime_start(rt, &def, store, error_r) < 0)
			return -1;
	}
	return 0;
}
