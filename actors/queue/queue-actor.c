/*
 * queue-actor.c: the outbound queue's shards "queue.N" (see queue-actor.h).
 * OWNS: struct queue_shard — the live entries whose id routes here (pb_shard_index(id, N)),
 * rebuilt from the store at (re)start.
 * THREAD: the shard's actor thread only.
 * MESSAGES: handles QUEUE_ADD_REQ (from the spool), QSEND_SEND_REP (a transaction's outcome),
 * QUEUE_LIST_REQ, QUEUE_OP_REQ (the CLI, the send jobs), QUEUE_ETRN_REQ (ETRN at the SMTP
 * server); sends QSEND_SEND_REQ, QUEUE_ATTEMPT_EVT (to "queue": a flushed entry's attempt is
 * over), and for DSNs (queue-notify.c) DIRECTORY rcpt checks and SPOOL_PUT_REQ (synchronous,
 * short, local).
 *
 * Never sent twice: an entry has at most one transaction in flight, and its recipients'
 * outcomes are written (synced) before the entry is due again; a DSN goes before the
 * recipients it reports are marked bounced (a crash in between repeats the DSN, never loses it).
 */
#include "queue-actor.h"
#include "queue-client.h"
#include "queue-group.h"
#include "queue-shard.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "statushub-client.h"

#include <stdio.h>
#include <string.h>

#define QUEUE_TICK_MS 1000
/* The least time between two WAL syncs of a shard's own writes (q_sync): see store-queue.h
 * for why they need not wait for one; the tick syncs what is left. */
#define QUEUE_SYNC_MS 100
#define QUEUE_TIMER_TICK 1
#define QUEUE_PRUNE_MS (7LL * 24 * 3600 * 1000)

/* Tells the status hub the shard's counts (entries, held, transactions in flight) when they
 * changed since it last heard them. */
static void tell_counts(struct pb_actor *a, struct queue_shard *s)
{
	uint64_t held = 0, sending = 0;

	for (size_t i = 0; i < s->n; i++) {
		held += s->e[i]->q.held;
		sending += s->e[i]->in_flight;
	}
	if (s->told && s->told_entries == s->n && s->told_held == held &&
	    s->told_sending == sending)
		return;
	if (statushub_client_queue(pb_actor_runtime(a), s->index, s->count, s->n, held,
				   sending) == 0) {
		s->told = true;
		s->told_entries = s->n;
		s->told_held = held;
		s->told_sending = sending;
	}
}

static bool final_state(uint8_t st)
{
	return st == PB_QUEUE_DELIVERED || st == PB_QUEUE_BOUNCED;
}

static struct qentry *entry_add(struct queue_shard *s, const struct pb_queue_rec *q)
{
	struct qentry *e = xcalloc(1, sizeof(*e));

	pb_queue_rec_copy(&e->q, q);
	e->sent = xcalloc(q->n > 0 ? q->n : 1, sizeof(bool));
	s->e = xrealloc(s->e, sizeof(*s->e) * (s->n + 1));
	s->e[s->n++] = e;
	return e;
}

static void entry_free(struct qentry *e)
{
	pb_queue_rec_free(&e->q);
	free(e->sent);
	free(e);
}

static struct qentry *entry_find(struct queue_shard *s, uint64_t id, size_t *at_r)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i]->q.id == id) {
			if (at_r != NULL)
				*at_r = i;
			return s->e[i];
		}
	return NULL;
}

/* e's attempt for the send job that flushed it is over: the job actor is told (once). */
static void attempt_done(struct pb_actor *a, struct qentry *e)
{
	if (e->run == 0)
		return;
	if (queue_client_attempt_done(pb_actor_runtime(a), e->run, e->q.id) < 0)
		pb_warn("queue", "event=attempt_notice_failed queue_id=%llu run=%llu",
			(unsigned long long)e->q.id, (unsigned long long)e->run);
	e->run = 0;
}

void queue_entry_save(struct queue_shard *s, struct qentry *e)
{
	const char *error;

	s->unsynced = true;
	if (pb_store_queue_update(s->store, &e->q, false, &error) < 0)
		pb_error("queue", "event=update_failed queue_id=%llu reason=%s",
			 (unsigned long long)e->q.id, PB_LOGQ(error));
}

/* ---- intake ---- */

/* Parses "addr\tNOTIFY=..\tORCPT=..\tRET=..\tENVID=..\tSENDER=.." into r (and q's RET/ENVID);
 * SENDER: r's own envelope sender ("<>" the null sender). edit: r's header edits, "" none. */
static void parse_rcpt(const char *in, const char *edit, struct pb_queue_rec *q,
		       struct pb_queue_rcpt *r)
{
	size_t len = strcspn(in, "\t");

	r->addr = xstrndup(in, len);
	r->orcpt = xstrdup("");
	r->reply = xstrdup("");
	r->edit = xstrdup(edit);
	for (const char *p = in + len; *p == '\t';) {
		p++;
		size_t n = strcspn(p, "\t");
		if (strncmp(p, "NOTIFY=", 7) == 0) {
			for (const char *f = p + 7; f < p + n; f++) {
				r->notify |= strncmp(f, "NEVER", 5) == 0 ? PB_QUEUE_NOTIFY_NEVER
					   : strncmp(f, "SUCCESS", 7) == 0 ? PB_QUEUE_NOTIFY_SUCCESS
					   : strncmp(f, "FAILURE", 7) == 0 ? PB_QUEUE_NOTIFY_FAILURE
					   : strncmp(f, "DELAY", 5) == 0 ? PB_QUEUE_NOTIFY_DELAY : 0;
				f += strcspn(f, ",\t");
			}
		} else if (strncmp(p, "ORCPT=", 6) == 0) {
			free(r->orcpt);
			r->orcpt = xstrndup(p + 6, n - 6);
		} else if (strncmp(p, "RET=", 4) == 0) {
			q->ret = strncmp(p + 4, "FULL", 4) == 0 ? 1 : 2;
		} else if (strncmp(p, "ENVID=", 6) == 0) {
			free(q->envid);
			q->envid = xstrndup(p + 6, n - 6);
		} else if (strncmp(p, "SENDER=", 7) == 0) {
			free(r->sender);
			r->sender = n == 9 && strncmp(p + 7, "<>", 2) == 0 ? xstrdup("")
									   : xstrndup(p + 7, n - 7);
		}
		p += n;
	}
}

static int on_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct queue_shard *s = state;
	struct msg_queue_add_req *in = &m->u.queue_add_req;
	struct pb_queue_rec q = { .id = in->key, .arrival_ms = in->received_ms, .size = in->size };
	const char *error;

	if (in->rcpts.n == 0 || in->rcpts.n > PB_QUEUE_MAX_RCPTS ||
	    strlen(in->blob_key) != PB_BLOB_KEY_LEN ||
	    (in->edits.n != 0 && in->edits.n != in->rcpts.n))
		return pb_reply_status(a, m, PB_ERR_REFUSED, "bad queue entry"), 0;
	q.sender = xstrdup(in->sender);
	q.msgid = xstrdup(in->msgid);
	q.envid = xstrdup("");
	memcpy(q.blob_key, in->blob_key, PB_BLOB_KEY_LEN + 1);
	q.r = xcalloc(in->rcpts.n, sizeof(*q.r));
	for (q.n = 0; q.n < in->rcpts.n; q.n++)
		parse_rcpt(in->rcpts.v[q.n], in->edits.n > 0 ? in->edits.v[q.n] : "", &q,
			   &q.r[q.n]);
	s->unsynced = true;
	int rc = pb_store_queue_add(s->store, &q, false, &error);
	if (rc == 1) {
		entry_add(s, &q);
		pb_info("queue", "event=queued queue_id=%llu msgid=%s from=%s rcpts=%zu size=%llu",
			(unsigned long long)q.id, PB_LOGQ(q.msgid), PB_LOGQ(q.sender), q.n,
			(unsigned long long)q.size);
		tell_counts(a, s);
	}
	pb_queue_rec_free(&q);
	if (rc < 0)
		return pb_reply_status(a, m, PB_ERR_TEMP, error), 0;
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

/* ---- scheduling ---- */

static void outbound_settings(struct pb_actor *a, struct pb_settings_outbound *o_r)
{
	struct pb_runtime *rt = pb_actor_runtime(a);
	const struct pb_settings *st = pb_settings_acquire(rt);

	*o_r = st->outbound;
	pb_settings_release(rt, st);
}

static const char *domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at != NULL ? at + 1 : "";
}

/* The back-off after attempts tries: first * 2^(attempts-1), at most max (ms). */
static int64_t backoff_ms(const struct pb_settings_outbound *o, uint32_t attempts)
{
	uint64_t d = (uint64_t)o->retry_first_s * 1000;
	for (uint32_t i = 1; i < attempts && d < (uint64_t)o->retry_max_s * 1000; i++)
		d *= 2;
	return (int64_t)(d < (uint64_t)o->retry_max_s * 1000 ? d : (uint64_t)o->retry_max_s * 1000);
}

/* Recipients past the expiry fail. */
static void expire(struct queue_shard *s, struct qentry *e, int64_t now,
		   const struct pb_settings_outbound *o)
{
	if (now - e->q.arrival_ms < (int64_t)o->expiry_s * 1000)
		return;
	for (size_t i = 0; i < e->q.n; i++) {
		struct pb_queue_rcpt *r = &e->q.r[i];
		if (final_state(r->state) || r->state == PB_QUEUE_FAILED)
			continue;
		char *t = xasprintf("554 5.4.7 delivery time expired%s%s",
				    r->reply[0] != '\0' ? "; last reply: " : "", r->reply);
		free(r->reply);
		r->reply = t;
		r->state = PB_QUEUE_FAILED;
	}
}

/* When e is due next: now when a recipient was not tried yet (another next hop's, or another
 * sender's or edits' group: queue-group.h), else after the least tried one's back-off. */
static int64_t next_due(const struct qentry *e, int64_t now, const struct pb_settings_outbound *o)
{
	uint32_t least = UINT32_MAX;
	for (size_t i = 0; i < e->q.n; i++) {
		if (e->q.r[i].state == PB_QUEUE_PENDING)
			return now;
		if (e->q.r[i].state == PB_QUEUE_DEFERRED && e->q.r[i].attempts < least)
			least = e->q.r[i].attempts;
	}
	return now + backoff_ms(o, least == UINT32_MAX ? 1 : least);
}

static struct qdest *dest_find(struct queue_shard *s, const char *host, uint16_t port)
{
	for (size_t i = 0; i < s->nd; i++)
		if (s->d[i].port == port && strcmp(s->d[i].host, host) == 0)
			return &s->d[i];
	return NULL;
}

static uint32_t in_flight_to(struct queue_shard *s, const char *host, uint16_t port)
{
	struct qdest *d = dest_find(s, host, port);
	return d != NULL ? d->in_flight : 0;
}

/* The sender thread for the next transaction to host:port: of the senders in the next hop's
 * order, the first with the fewest of its transactions from this shard — so a sender that just ended
 * one gets the next (its cached connection is reused, queue-smtp.h) and the transactions of a
 * busy next hop spread over every sender instead of queueing behind one. The order is the
 * same in every shard (from the next hop's hash on), so one transaction at a time from any
 * shard keeps one sender and its connection; under load each shard spreads its own evenly.
 *
 * Why not "the k-th concurrent transaction to sender hash + k": with the next hop at its
 * concurrency, each freed slot made k the same (concurrency - 1), so every transaction after
 * the first burst went to one sender while the others stayed idle. */
static uint32_t sender_for(struct queue_shard *s, const char *host, uint16_t port)
{
	struct qdest *d = dest_find(s, host, port);
	uint32_t h = 2166136261u, best = 0; /* FNV-1a */

	for (const char *p = host; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ port) * 16777619u;
	for (uint32_t k = 0; k < QUEUE_SENDERS; k++) {
		uint32_t at = (h + k) % QUEUE_SENDERS;
		if (k == 0 || (d != NULL && d->per_sender[at] < d->per_sender[best]))
			best = at;
	}
	return best;
}

/* One more (delta 1) or one less (-1) transaction in flight to host:port on sender; a next
 * hop without any is forgotten. */
static void dest_count(struct queue_shard *s, const char *host, uint16_t port, uint32_t sender,
		       int delta)
{
	struct qdest *d = dest_find(s, host, port);

	if (d == NULL && delta > 0) {
		s->d = xrealloc(s->d, sizeof(*s->d) * (s->nd + 1));
		d = &s->d[s->nd++];
		memset(d, 0, sizeof(*d));
		snprintf(d->host, sizeof(d->host), "%s", host);
		d->port = port;
	}
	if (d == NULL || (delta < 0 && d->in_flight == 0))
		return;
	d->in_flight += delta;
	if (delta > 0 || d->per_sender[sender % QUEUE_SENDERS] > 0)
		d->per_sender[sender % QUEUE_SENDERS] += delta;
	if (d->in_flight == 0)
		*d = s->d[--s->nd];
}

static void mail_params(const struct pb_queue_rec *q, struct pb_buf *b)
{
	if (q->ret != 0)
		pb_buf_printf(b, "RET=%s", q->ret == 1 ? "FULL" : "HDRS");
	if (q->envid[0] != '\0')
		pb_buf_printf(b, "%sENVID=%s", b->len > 0 ? " " : "", q->envid);
	pb_buf_append_c(b, '\0');
}

static char *rcpt_params(const struct pb_queue_rcpt *r)
{
	struct pb_buf b;
	static const char *const names[] = { "NEVER", "SUCCESS", "FAILURE", "DELAY" };

	pb_buf_init(&b);
	for (int bit = 0; bit < 4; bit++)
		if (r->notify & (1u << bit))
			pb_buf_printf(&b, "%s%s", b.len == 0 ? "NOTIFY=" : ",", names[bit]);
	if (r->orcpt[0] != '\0')
		pb_buf_printf(&b, "%sORCPT=%s", b.len > 0 ? " " : "", r->orcpt);
	pb_buf_append_c(&b, '\0');
	return (char *)b.data;
}

/* Asks sender thread sender (queue-client.h) for e's transaction to host:port through route
 * kind, of the recipients marked in e->sent. 0 sent / -1. */
static int send_tx(struct pb_actor *a, struct qentry *e, const char *host, uint16_t port,
		   int kind, uint32_t sender)
{
	struct pb_buf mp;
	const char *error;
	const char **rcpts = xcalloc(e->q.n + 1, sizeof(*rcpts));
	char **params = xcalloc(e->q.n + 1, sizeof(*params));
	size_t first = queue_group_pick(&e->q, e->sent), n = 0;

	pb_buf_init(&mp);
	mail_params(&e->q, &mp);
	for (size_t i = 0; i < e->q.n; i++) {
		if (!e->sent[i])
			continue;
		params[n] = rcpt_params(&e->q.r[i]);
		rcpts[n++] = e->q.r[i].addr;
	}
	struct queue_client_qsend in = {
		.id = e->q.id, .sender = sender, .port = port,
		.smart_host = kind == QUEUE_ROUTE_SMART, .mx = kind == QUEUE_ROUTE_MX,
		.host = host, .from = queue_rcpt_sender(&e->q, &e->q.r[first]),
		.mail_params = (const char *)mp.data, .edit = queue_rcpt_edit(&e->q.r[first]),
		.blob_key = e->q.blob_key, .size = e->q.size,
		.rcpts = rcpts, .rcpt_params = (const char *const *)params, .n_rcpts = n,
	};
	struct pb_sender tx = pb_actor_sender(a, e->q.id);
	int rc = queue_client_qsend_send(&tx, &in, &error);
	for (size_t i = 0; i < n; i++)
		free(params[i]);
	free(params);
	free(rcpts);
	pb_buf_deinit(&mp);
	return rc;
}

/* Sends the recipients of e's first waiting domain's route, with every other waiting recipient
 * of that route with the same sender and header edits (queue-group.h), in one transaction.
 * Recipients without a route are deferred. */
static void dispatch(struct pb_actor *a, struct queue_shard *s, struct qentry *e, int64_t now,
		     const struct pb_settings_outbound *o)
{
	char host[QUEUE_ROUTE_HOST_MAX], h2[QUEUE_ROUTE_HOST_MAX];
	uint16_t port = 0, p2;
	const char *error;
	bool found = false, changed = false;
	int kind = QUEUE_ROUTE_DOMAIN;

	for (size_t i = 0; i < e->q.n; i++) {
		struct pb_queue_rcpt *r = &e->q.r[i];
		e->sent[i] = false;
		if (r->state != PB_QUEUE_PENDING && r->state != PB_QUEUE_DEFERRED)
			continue;
		int how = queue_route_for(o, domain_of(r->addr), h2, sizeof(h2), &p2, &error);
		if (how < 0) {
			if (strcmp(r->reply, error) != 0 || r->state != PB_QUEUE_DEFERRED) {
				free(r->reply);
				r->reply = xstrdup(error);
				r->state = PB_QUEUE_DEFERRED;
				changed = true;
			}
			continue;
		}
		if (!found) {
			memcpy(host, h2, sizeof(host));
			port = p2;
			kind = how;
			found = true;
		}
		e->sent[i] = how == kind && p2 == port && strcmp(h2, host) == 0;
	}
	if (found && in_flight_to(s, host, port) >= o->concurrency) {
		/* stays due: it goes when a transaction to host:port ends (refill) */
		memcpy(e->host, host, sizeof(e->host));
		e->port = port;
		e->blocked = true;
	}
	if (!found || e->blocked) {
		if (!found) {
			e->q.next_ms = now + backoff_ms(o, 1);
			attempt_done(a, e);
		}
		if (changed)
			queue_entry_save(s, e);
		return;
	}
	uint32_t sender = sender_for(s, host, port);
	if (send_tx(a, e, host, port, kind, sender) < 0) {
		e->q.next_ms = now + QUEUE_TICK_MS;
		return;
	}
	memcpy(e->host, host, sizeof(e->host));
	e->port = port;
	e->in_flight = true;
	e->sender = (uint8_t)sender;
	dest_count(s, host, port, sender, 1);
}

/* One entry's turn: expiry, DSNs, the end, or the next transaction when due. */
static void process(struct pb_actor *a, struct queue_shard *s, size_t at, int64_t now,
		    const struct pb_settings_outbound *o)
{
	struct qentry *e = s->e[at];
	const char *error;

	if (e->in_flight || e->q.held)
		return;
	expire(s, e, now, o);
	queue_notify_failed(a, s, e, now);
	queue_notify_delayed(a, s, e, now, o);
	queue_notify_success(a, s, e, now);
	bool done = true;
	for (size_t i = 0; i < e->q.n; i++)
		done &= final_state(e->q.r[i].state) && !queue_owes_success(&e->q.r[i]);
	if (done) {
		s->unsynced = true;
		if (pb_store_queue_finish(s->store, e->q.id, now, false, &error) < 0) {
			pb_error("queue", "event=finish_failed queue_id=%llu reason=%s",
				 (unsigned long long)e->q.id, PB_LOGQ(error));
			queue_entry_save(s, e); /* the outcomes at least (on_sent may have left them) */
			return;
		}
		pb_info("queue", "event=done queue_id=%llu msgid=%s", (unsigned long long)e->q.id,
			PB_LOGQ(e->q.msgid));
		attempt_done(a, e);
		entry_free(e);
		s->e[at] = s->e[--s->n];
		return;
	}
	if (e->q.next_ms <= now && s->paused && !e->held_back) {
		pb_info("queue", "event=held_back queue_id=%llu reason=hung_up",
			(unsigned long long)e->q.id);
		e->held_back = true;
	} else if (e->q.next_ms <= now && !s->paused) {
		e->blocked = false;
		dispatch(a, s, e, now, o);
	}
}

static void process_all(struct pb_actor *a, struct queue_shard *s, int64_t now)
{
	struct pb_settings_outbound o;

	outbound_settings(a, &o);
	for (size_t at = s->n; at-- > 0;)
		process(a, s, at, now, &o);
	tell_counts(a, s);
}

/* After a transaction to host:port ended: the entries blocked on it go, from the cursor on
 * (round robin, so none waits behind the others), until its slots are taken again. */
static void refill(struct pb_actor *a, struct queue_shard *s, const char *host, uint16_t port,
		   int64_t now, const struct pb_settings_outbound *o)
{
	for (size_t k = 0; !s->paused && k < s->n && in_flight_to(s, host, port) < o->concurrency;
	     k++) {
		struct qentry *e = s->e[(s->cursor + k) % s->n];
		if (!e->blocked || e->in_flight || e->q.held || e->q.next_ms > now ||
		    e->port != port || strcmp(e->host, host) != 0)
			continue;
		e->blocked = false;
		dispatch(a, s, e, now, o);
		if (e->in_flight)
			s->cursor = (s->cursor + k + 1) % s->n;
	}
}

/* Every recipient delivered, none owing a success DSN: the entry may end at once. */
static void op_delete(struct queue_shard *s, struct qentry *e);

static bool all_delivered(const struct qentry *e)
{
	for (size_t i = 0; i < e->q.n; i++)
		if (e->q.r[i].state != PB_QUEUE_DELIVERED || queue_owes_success(&e->q.r[i]))
			return false;
	return true;
}

/* A transaction's outcome: each recipient's state written down before anything else — when
 * every recipient was delivered, by the entry's end itself (one synced write, in process). */
static int on_sent(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct queue_shard *s = state;
	size_t at;
	struct qentry *e = entry_find(s, m->corr, &at);
	const char *error;
	const struct pb_strv *rep;
	bool passed_on; /* NOTIFY went to the server */
	uint32_t code = queue_client_qsend_reply(m, &rep, &passed_on, &error);
	int64_t now = (int64_t)pb_clock_wall_ms();
	struct pb_settings_outbound o;

	outbound_settings(a, &o);
	if (e == NULL || !e->in_flight)
		return 0; /* late or unknown: dropped */
	uint32_t k = 0;
	for (size_t i = 0; i < e->q.n; i++) {
		if (!e->sent[i])
			continue;
		struct pb_queue_rcpt *r = &e->q.r[i];
		const char *text = code == PB_OK && rep != NULL && k < rep->n ? rep->v[k]
								       : "451 4.3.0 sender failed";
		k++;
		free(r->reply);
		r->reply = xstrdup(text);
		r->attempts++;
		r->state = text[0] == '2'   ? PB_QUEUE_DELIVERED
			   : text[0] == '5' ? PB_QUEUE_FAILED
					    : PB_QUEUE_DEFERRED;
		if (r->state == PB_QUEUE_DELIVERED && passed_on)
			r->notify &= (uint8_t)~PB_QUEUE_NOTIFY_SUCCESS; /* the next server reports */
		s->sent += r->state == PB_QUEUE_DELIVERED;
		s->failed += r->state == PB_QUEUE_FAILED;
		s->deferred += r->state == PB_QUEUE_DEFERRED;
		if (r->state == PB_QUEUE_DELIVERED)
			pb_info("queue", "event=delivered queue_id=%llu rcpt=%s relay=%s reply=%s",
				(unsigned long long)e->q.id, PB_LOGQ(r->addr), PB_LOGQ(e->host),
				PB_LOGQ(text));
		statushub_client_activity(pb_actor_runtime(a), "%s message %llu to %s via %s: %s",
					  r->state == PB_QUEUE_DELIVERED ? "Sent"
					  : r->state == PB_QUEUE_FAILED  ? "Failed to send"
									 : "Deferred",
					  (unsigned long long)e->q.id, r->addr, e->host, text);
	}
	bool deleted = e->delete_after; /* what the attempt left is deleted now */
	if (deleted)
		op_delete(s, e);
	e->delete_after = false;
	e->q.next_ms = deleted ? 0 : next_due(e, now, &o);
	bool finish = all_delivered(e) && !e->q.held;
	if (!finish)
		queue_entry_save(s, e);
	e->in_flight = false;
	attempt_done(a, e);
	char host[QUEUE_ROUTE_HOST_MAX];
	uint16_t port = e->port;
	memcpy(host, e->host, sizeof(host));
	dest_count(s, host, port, e->sender, -1);
	if (finish || deleted)
		process(a, s, at, now, &o); /* ends it: finish, or the outcomes saved */
	refill(a, s, host, port, now, &o);
	tell_counts(a, s); /* an entry gone, a transaction fewer or another begun */
	return 0;
}

/* ---- administration ---- */

static const char *state_name(uint8_t st)
{
	static const char *const names[] = { "pending", "deferred", "delivered", "failed",
					     "bounced" };
	return st < PB_N_ELEMENTS(names) ? names[st] : "?";
}

static void list_entry(const struct qentry *e, struct pb_rec_queue_entry_list *l)
{
	struct pb_rec_queue_entry *r = pb_rec_queue_entry_push(l);
	struct pb_buf d;

	r->id = e->q.id;
	r->sender = xstrdup(e->q.sender);
	r->arrival_ms = e->q.arrival_ms;
	r->next_ms = e->q.next_ms;
	r->held = e->q.held;
	r->size = e->q.size;
	r->rcpts = (uint32_t)e->q.n;
	pb_buf_init(&d);
	for (size_t i = 0; i < e->q.n; i++)
		pb_buf_printf(&d, "%s %s attempts=%u%s%s\n", e->q.r[i].addr,
			      state_name(e->q.r[i].state), e->q.r[i].attempts,
			      e->q.r[i].reply[0] != '\0' ? " reply=" : "", e->q.r[i].reply);
	pb_buf_append_c(&d, '\0');
	r->detail = (char *)d.data;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = (*(struct qentry *const *)a)->q.id, y = (*(struct qentry *const *)b)->q.id;
	return x < y ? -1 : x > y;
}

/* A page of the shard's entries: ids above after, ascending, at most limit, into rep. */
static void list_page(struct queue_shard *s, uint64_t after, uint32_t limit,
		      struct msg_queue_list_rep *rep)
{
	struct qentry **v = xcalloc(s->n > 0 ? s->n : 1, sizeof(*v));
	size_t n = 0;

	if (limit == 0 || limit > QUEUE_LIST_LIMIT_MAX)
		limit = limit == 0 ? QUEUE_LIST_LIMIT_DEFAULT : QUEUE_LIST_LIMIT_MAX;
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i]->q.id > after)
			v[n++] = s->e[i];
	qsort(v, n, sizeof(*v), by_id);
	for (size_t i = 0; i < n && i < limit; i++)
		list_entry(v[i], &rep->entries);
	rep->more = n > limit;
	free(v);
}

static int on_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct queue_shard *s = state;
	const struct msg_queue_list_req *q = &m->u.queue_list_req;
	struct qentry *e = q->id != 0 ? entry_find(s, q->id, NULL) : NULL;
	struct pb_msg rep;

	if (q->id != 0 && e == NULL)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such queue entry"), 0;
	pb_msg_init(&rep, MSG_QUEUE_LIST_REP);
	rep.u.queue_list_rep.shards = s->count;
	if (e != NULL)
		list_entry(e, &rep.u.queue_list_rep.entries);
	else
		list_page(s, q->after, q->limit, &rep.u.queue_list_rep);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* delete: the recipients not delivered are dropped (no DSN), the entry ends. */
static void op_delete(struct queue_shard *s, struct qentry *e)
{
	for (size_t i = 0; i < e->q.n; i++)
		if (!final_state(e->q.r[i].state))
			e->q.r[i].state = PB_QUEUE_BOUNCED;
	e->q.held = false;
	e->q.next_ms = 0;
}

/* QUEUE_OP_REP: done, entries of them. */
static void op_answer(struct pb_actor *a, struct queue_shard *s, struct pb_msg *m, uint64_t n)
{
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_QUEUE_OP_REP);
	rep.u.queue_op_rep.shards = s->count;
	rep.u.queue_op_rep.entries = n;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
}

/* flush: every entry not held due now, marked for the send job run (if any). Answered with
 * how many. */
static void op_flush(struct pb_actor *a, struct queue_shard *s, struct pb_msg *m, int64_t now)
{
	uint64_t run = m->u.queue_op_req.run, n = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct qentry *e = s->e[i];
		if (e->q.held)
			continue;
		if (run != 0 && e->run != run)
			attempt_done(a, e); /* an earlier run's: handed on to this one */
		e->run = run != 0 ? run : e->run;
		e->q.next_ms = 0;
		n++;
	}
	op_answer(a, s, m, n);
	process_all(a, s, now);
}

/* pause / resume: the shard's new transactions held or let go (see QUEUE_OP_REQ). */
static void op_pause(struct pb_actor *a, struct queue_shard *s, struct pb_msg *m, bool paused,
		     int64_t now)
{
	if (s->paused != paused)
		pb_info("queue", "event=%s shard=%u", paused ? "paused" : "resumed", s->index);
	s->paused = paused;
	for (size_t i = 0; i < s->n; i++)
		s->e[i]->held_back = false;
	op_answer(a, s, m, s->n);
	process_all(a, s, now);
}

static int on_op(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct queue_shard *s = state;
	const char *op = m->u.queue_op_req.op;
	int64_t now = (int64_t)pb_clock_wall_ms();

	if (strcmp(op, "flush") == 0)
		return op_flush(a, s, m, now), 0;
	if (strcmp(op, "pause") == 0 || strcmp(op, "resume") == 0)
		return op_pause(a, s, m, strcmp(op, "pause") == 0, now), 0;
	struct qentry *e = entry_find(s, m->u.queue_op_req.id, NULL);
	if (e == NULL)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such queue entry"), 0;
	if (strcmp(op, "hold") == 0) {
		e->q.held = true;
		attempt_done(a, e); /* no attempt while held */
	} else if (strcmp(op, "release") == 0)
		e->q.held = false;
	else if (strcmp(op, "retry") == 0)
		e->q.next_ms = 0;
	else if (strcmp(op, "delete") == 0 && e->in_flight)
		e->delete_after = true; /* what its attempt does not deliver goes at its end */
	else if (strcmp(op, "delete") == 0)
		op_delete(s, e);
	else
		return pb_reply_status(a, m, PB_ERR_REFUSED, "unknown operation"), 0;
	queue_entry_save(s, e);
	pb_info("queue", "event=%s queue_id=%llu", op, (unsigned long long)e->q.id);
	process_all(a, s, now);
	return op_answer(a, s, m, 1), 0;
}

/* ETRN at our SMTP server: the entries with a recipient waiting for the node, due now. */
static int on_etrn(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct queue_shard *s = state;
	const char *node = m->u.queue_etrn_req.domain;
	struct pb_msg rep;
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct qentry *e = s->e[i];
		bool due = false;
		for (size_t k = 0; !e->q.held && k < e->q.n; k++)
			due |= !final_state(e->q.r[k].state) && e->q.r[k].state != PB_QUEUE_FAILED &&
			       queue_route_etrn_match(node, e->q.r[k].addr);
		e->q.next_ms = due ? 0 : e->q.next_ms;
		n += due;
	}
	pb_info("queue", "event=etrn shard=%u node=%s entries=%llu", s->index, PB_LOGQ(node),
		(unsigned long long)n);
	process_all(a, s, (int64_t)pb_clock_wall_ms());
	pb_msg_init(&rep, MSG_QUEUE_ETRN_REP);
	rep.u.queue_etrn_rep.shards = s->count;
	rep.u.queue_etrn_rep.entries = n;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_stats(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct queue_shard *s = state;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_QUEUE_STATS_REP);
	struct msg_queue_stats_rep *r = &rep.u.queue_stats_rep;
	r->shards = s->count;
	r->entries = s->n;
	r->sent = s->sent;
	r->deferred = s->deferred;
	r->failed = s->failed;
	for (size_t i = 0; i < s->n; i++) {
		r->held += s->e[i]->q.held;
		for (size_t k = 0; k < s->e[i]->q.n; k++)
			r->waiting += !final_state(s->e[i]->q.r[k].state);
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* ---- the actor ---- */

static int resume_one(const struct pb_queue_rec *q, void *ctx)
{
	struct queue_shard *s = ctx;
	if (pb_shard_index(q->id, s->count) == s->index) /* where QUEUE_*_REQ keyed by id go */
		entry_add(s, q);
	return 0;
}

/* What the shard wrote since its last sync is made durable with one fsync, at most every
 * QUEUE_SYNC_MS (or whatever the time when force). Its writes need not wait for it (see
 * store-queue.h), and an fsync per transaction would hold the shard, which dispatches the
 * next ones, at every step of a drain. */
static void q_sync(struct pb_actor *a, struct queue_shard *s, bool force)
{
	uint64_t now = pb_runtime_now_ms(pb_actor_runtime(a));
	const char *error;

	if (!s->unsynced || (!force && now - s->synced_ms < QUEUE_SYNC_MS))
		return;
	s->unsynced = false;
	s->synced_ms = now;
	if (pb_store_sync(s->store, &error) < 0)
		pb_error("queue", "event=sync_failed reason=%s", PB_LOGQ(error));
}

/* The inbox ran empty. */
static void q_idle(struct pb_actor *a, void *state)
{
	q_sync(a, state, false);
}

static void q_deinit(struct pb_actor *a, void *state)
{
	struct queue_shard *s = state;

	q_sync(a, s, true);
	for (size_t i = 0; i < s->n; i++)
		entry_free(s->e[i]);
	free(s->e);
	free(s->d);
	free(s);
}

static int q_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct queue_shard *s = xcalloc(1, sizeof(*s));

	s->store = arg;
	if (pb_actor_shard(a, &s->index, &s->count) < 0) {
		free(s);
		*error_r = "a queue actor must be a declared shard";
		return -1;
	}
	int64_t now = (int64_t)pb_clock_wall_ms();
	if ((s->index == 0 && pb_store_queue_prune(s->store, now - QUEUE_PRUNE_MS, error_r) < 0) ||
	    pb_store_queue_iter(s->store, resume_one, s, error_r) < 0) {
		q_deinit(a, s);
		return -1;
	}
	if (s->n > 0)
		pb_info("queue", "event=resume shard=%u entries=%zu", s->index, s->n);
	pb_actor_timer_set(a, QUEUE_TIMER_TICK, QUEUE_TICK_MS);
	*state_r = s;
	return 0;
}

static void q_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	q_sync(a, state, true);
	process_all(a, state, (int64_t)pb_clock_wall_ms());
	pb_actor_timer_set(a, QUEUE_TIMER_TICK, QUEUE_TICK_MS);
}

static const struct pb_handler queue_handlers[] = {
	{ MSG_QUEUE_ADD_REQ, on_add },
	{ MSG_QSEND_SEND_REP, on_sent },
	{ MSG_CORE_STATUS_REP, on_sent },
	{ MSG_QUEUE_LIST_REQ, on_list },
	{ MSG_QUEUE_OP_REQ, on_op },
	{ MSG_QUEUE_STATS_REQ, on_stats },
	{ MSG_QUEUE_ETRN_REQ, on_etrn },
};

const struct pb_actor_def queue_actor_def = {
	.name = "queue",
	.inbox_size = 4096,
	.init = q_init,
	.deinit = q_deinit,
	.handlers = queue_handlers,
	.n_handlers = PB_N_ELEMENTS(queue_handlers),
	.on_timer = q_timer,
	.on_idle = q_idle,
};
