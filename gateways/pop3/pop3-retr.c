/*
 * pop3-retr.c: RETR and TOP, and the read-ahead of the next messages' first ranges.
 * OWNS: the session's transfer in progress and its read-ahead slots (struct pop3_session,
 * pop3-session-int.h). THREAD: the hub's.
 * MESSAGES sent (reader-client.h): READER_READ_REQ (a RETR's own ranges) and
 * READER_READ_MANY_REQ (a read-ahead batch), each a call with its own continuation.
 *
 * Why bodies are read by ranges: RETR asks a reader shard (keyed by the user) for one range of
 * POP3_READ_CHUNK octets at a time, and asks for the next only once the connection has taken
 * the output below its high-water mark; so a session holds about a chunk whatever the
 * message size, however slowly its client reads, and the hub never waits on the disk.
 *
 * Why a read-ahead: a client drains a maildrop RETR after RETR, and a reader round trip per
 * message was about 40 % of the time a small message took. So after login, and as each
 * RETR/TOP ends, the session reads ahead the first range of the next messages not deleted (up
 * to POP3_PREFETCH_DEPTH of them and POP3_PREFETCH_MAX octets of messages, each within the
 * budget of bytes in flight) while the client reads what it has. A RETR or TOP of such a
 * message uses the range kept, or adopts the call in flight and waits for it. A slot is only
 * ever served for the message index it was read for; a slot that falls out of the window is
 * discarded, and a reply that comes after that is dropped. A failed or late read-ahead is
 * forgotten: the RETR reads for itself.
 *
 * Why batches: each hand-off between threads costs futex wake-ups on both sides, more than
 * reading a small body. So the window's missing slots are asked for in one READER_READ_MANY
 * call (one correlation id and deadline for several slots; its reply fills them all), and
 * only once a quarter of the window is missing (or its first message is): after login one
 * batch for the first POP3_PREFETCH_DEPTH messages, then one per quarter window, asked for
 * while the client still has three quarters to read. A slot remembers the batch
 * it was asked in; a batch's part for a slot discarded or asked again since is dropped.
 */
#include "pop3-session-int.h"

#include "pb-log.h"
#include "reader-client.h"

/* A batch's call arg is its number << 8 | its number of ranges; it fits one request (the
 * window's sizes add up to at most POP3_PREFETCH_MAX, and a message of unknown size asks for
 * POP3_PREFETCH_KEEP). */
_Static_assert(POP3_PREFETCH_DEPTH <= 0xff && POP3_PREFETCH_DEPTH <= READER_MANY_MAX,
	       "a read-ahead batch's slots");
_Static_assert(POP3_PREFETCH_MAX + (uint64_t)POP3_PREFETCH_DEPTH * POP3_PREFETCH_KEEP <=
		       PB_CHUNK_MAX,
	       "a read-ahead batch's bytes");

static void read_next(struct pop3_session *s);

bool pop3_waiting(const struct pop3_session *s)
{
	for (size_t k = 0; k < POP3_PREFETCH_DEPTH; k++) {
		if (s->pf[k].adopted)
			return true;
	}
	return s->gs->pending > s->pf_calls; /* a call other than a read-ahead batch */
}

/* The end of a RETR/TOP: its share of the budget of bytes in flight goes back. */
static void retr_end(struct pop3_session *s)
{
	s->retr = false;
	gw_release(s->gs, s->retr_reserved);
	s->retr_reserved = 0;
}

/* A range could not be read: -ERR, or a cut when the answer has begun. */
static void read_failed(struct pop3_session *s, const char *reason)
{
	pb_error("pop3", "event=read_failed user=%s uid=%u offset=%llu reason=%s", PB_LOGQ(s->user),
		 s->msgs[s->retr_index].uid, (unsigned long long)s->retr_offset, reason);
	retr_end(s);
	if (s->retr_started) /* a multi-line answer cannot turn into -ERR: cut it */
		pop3_cut(s);
	else
		pop3_send_line(s, "-ERR [SYS/TEMP] Cannot read the message");
	pop3_resume(s);
}

/* A range of the message is in hand: stuff it out, then read on when the output has drained;
 * at the end, read the next messages ahead. */
static void send_range(struct pop3_session *s, const uint8_t *data, size_t len, bool eof)
{
	bool done = false;

	pb_buf_reset(&s->out);
	if (!s->retr_started)
		pb_buf_printf(&s->out, "+OK %llu octets\r\n",
			      (unsigned long long)s->msgs[s->retr_index].size);
	s->retr_started = true;
	pop3_stuff_feed(&s->stuff, data, len, &s->out);
	s->retr_offset += len;
	if (eof || len == 0 || pop3_stuff_done(&s->stuff)) {
		pop3_stuff_finish(&s->stuff, &s->out);
		retr_end(s);
		done = true;
	}
	gw_write(s->gs, s->out.data, s->out.len);
	if (s->out.cap > 4 * POP3_READ_CHUNK)
		pb_buf_deinit(&s->out); /* do not keep more than a few ranges' worth */
	if (done && !s->closing)
		pop3_prefetch(s, s->retr_index + 1);
	/* gw_write may have drained the output and run on_drain, which reads on itself */
	if (!s->retr)
		pop3_resume(s);
	else if (!pop3_waiting(s) && gw_output_pending(s->gs) < NET_OUT_HIGH)
		read_next(s);
	/* else on_drain reads on */
}

/* A range of the transfer in progress came (code PB_OK) or did not (why). */
static void read_done(struct pop3_session *s, uint32_t code, const char *why,
		      const uint8_t *data, size_t len, bool eof)
{
	if (!s->retr) { /* not reachable: one read at a time, none after the end */
		pop3_resume(s);
		return;
	}
	if (code != PB_OK)
		read_failed(s, why);
	else
		send_range(s, data, len, eof);
}

static void on_read(void *session, uint64_t arg, struct pb_msg *m)
{
	uint64_t size;
	const uint8_t *data = NULL;
	size_t len = 0;
	bool eof = false;
	uint32_t code = m != NULL ? reader_client_read_reply(m, &size, &data, &len, &eof)
				  : PB_ERR_TEMP;

	read_done(session, code, m == NULL ? "timeout" : pb_status_name(code), data, len, eof);
}

/* How much of message index to ask for from offset, at most max: what the listing says is
 * left, all of max when it says nothing is (the reply's eof decides where it ends). */
static uint32_t length_for(const struct pop3_session *s, size_t index, uint64_t offset,
			   uint32_t max)
{
	uint64_t left = s->msgs[index].size > offset ? s->msgs[index].size - offset : 0;
	return left > 0 && left < max ? (uint32_t)left : max;
}

/* READER_READ_REQ for message index from offset (length_for: up to POP3_READ_CHUNK), a call
 * of this session running cont(arg). 0, or -1 with error_r. */
static int read_send(struct pop3_session *s, size_t index, uint64_t offset, gw_cont_fn *cont,
		     uint64_t arg, const char **error_r)
{
	struct gw_pending call = pop3_call_of(s, cont, arg);
	struct pb_sender tx = gw_sender(&call);

	return reader_client_read_send(&tx, s->user_id, s->msgs[index].blob_key, offset,
				       length_for(s, index, offset, POP3_READ_CHUNK), error_r);
}

static void read_next(struct pop3_session *s)
{
	const char *error;

	if (read_send(s, s->retr_index, s->retr_offset, on_read, s->retr_index, &error) == 0) {
		gw_pause(s->gs);
		return;
	}
	pb_warn("pop3", "event=read_busy user=%s reason=%s", PB_LOGQ(s->user), PB_LOGQ(error));
	retr_end(s);
	if (s->retr_started)
		pop3_cut(s);
	else
		pop3_send_line(s, "-ERR [SYS/TEMP] Server busy, try again later");
}

void pop3_retr_drain(struct pop3_session *s)
{
	if (s->retr && !pop3_waiting(s))
		read_next(s);
}

/* ---- the read-ahead ---- */

/* What a transfer of a message of this size may hold at once: a range in flight and in hand,
 * and the output. */
static size_t transfer_need(uint64_t size)
{
	size_t chunk = size < POP3_READ_CHUNK ? (size_t)size : POP3_READ_CHUNK;
	return 2 * chunk + (size < NET_OUT_HIGH / 2 ? 2 * (size_t)size + 16 : NET_OUT_HIGH);
}

/* Forgets slot k: its budget goes back, its part of a batch still to come will be dropped. */
static void slot_discard(struct pop3_session *s, size_t k)
{
	struct pop3_prefetch *pf = &s->pf[k];

	if (pf->state == PF_NONE)
		return;
	pf->state = PF_NONE;
	pf->adopted = false;
	gw_release(s->gs, pf->reserved);
	pf->reserved = 0;
	pb_buf_deinit(&pf->data);
}

/* Part p of a batch for slot k, which is still waiting for it and not adopted: kept for the
 * RETR to come, or the slot is forgotten when the read failed. */
static void slot_fill(struct pop3_session *s, size_t k, uint32_t code,
		      const struct reader_part *p)
{
	struct pop3_prefetch *pf = &s->pf[k];

	if (code != PB_OK || p->code != PB_OK) {
		slot_discard(s, k); /* a RETR will read and report for itself */
		return;
	}
	pb_buf_reset(&pf->data);
	pb_buf_append(&pf->data, p->data, p->len);
	pf->eof = p->eof;
	pf->state = PF_READY;
}

/* A read-ahead batch's reply (arg: its number << 8 | its number of ranges; each slot asked in
 * it knows its part). Slots still waiting for this batch are filled first; then the one a
 * RETR adopted is handed to it, which may run further commands that take the others. */
static void on_batch(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;
	struct reader_part parts[POP3_PREFETCH_DEPTH] = { 0 };
	uint32_t code = PB_ERR_TEMP;
	size_t adopted = POP3_PREFETCH_DEPTH;

	s->pf_calls--;
	if (m != NULL)
		code = reader_client_read_many_reply(m, arg & 0xff, parts);
	for (size_t k = 0; k < POP3_PREFETCH_DEPTH; k++) {
		const struct pop3_prefetch *pf = &s->pf[k];
		if (pf->state != PF_INFLIGHT || pf->batch != arg >> 8)
			continue; /* not of this batch, or discarded since: the session moved on */
		if (!pf->adopted)
			slot_fill(s, k, code, &parts[pf->part]);
		else
			adopted = k;
	}
	if (adopted == POP3_PREFETCH_DEPTH)
		return;
	const struct reader_part *p = &parts[s->pf[adopted].part];
	s->pf[adopted].state = PF_NONE; /* the RETR holds the budget now */
	s->pf[adopted].adopted = false;
	if (code == PB_OK)
		code = p->code;
	read_done(s, code, m == NULL ? "timeout" : pb_status_name(code), p->data, p->len, p->eof);
}

/* Takes a free slot for message index as part `part` of batch (its budget reserved). Returns
 * the slot, or POP3_PREFETCH_DEPTH when no slot is free or the budget is short. */
static size_t slot_take(struct pop3_session *s, size_t index, uint64_t batch, uint32_t part)
{
	size_t k = 0, need = transfer_need(s->msgs[index].size);

	while (k < POP3_PREFETCH_DEPTH && s->pf[k].state != PF_NONE)
		k++;
	if (k == POP3_PREFETCH_DEPTH || !gw_reserve(s->gs, need))
		return POP3_PREFETCH_DEPTH;
	s->pf[k] = (struct pop3_prefetch){ .state = PF_INFLIGHT, .index = index, .batch = batch,
					   .part = part, .reserved = need, .data = s->pf[k].data };
	return k;
}

/* Reads messages want[0..n) ahead in one READER_READ_MANY call, as many as free slots and the
 * budget allow. Nothing is kept when the call cannot be sent. */
static void batch_start(struct pop3_session *s, const size_t *want, size_t n)
{
	struct reader_range r[POP3_PREFETCH_DEPTH];
	uint64_t batch = ++s->pf_batch;
	size_t nr = 0;
	const char *error;

	for (size_t j = 0; j < n; j++) {
		size_t k = slot_take(s, want[j], batch, (uint32_t)nr);
		if (k == POP3_PREFETCH_DEPTH)
			break;
		const struct pop3_msg *pm = &s->msgs[want[j]];
		uint32_t max = pm->size > 0 ? POP3_PREFETCH_MAX : POP3_PREFETCH_KEEP;
		r[nr++] = (struct reader_range){ pm->blob_key, 0, length_for(s, want[j], 0, max) };
	}
	if (nr == 0)
		return;
	struct gw_pending call = pop3_call_of(s, on_batch, batch << 8 | nr);
	struct pb_sender tx = gw_sender(&call);
	if (reader_client_read_many_send(&tx, s->user_id, r, nr, &error) == 0) {
		s->pf_calls++;
		return;
	}
	for (size_t k = 0; k < POP3_PREFETCH_DEPTH; k++) {
		if (s->pf[k].state == PF_INFLIGHT && s->pf[k].batch == batch)
			slot_discard(s, k);
	}
}

/* The slot holding message index (in flight or read), or POP3_PREFETCH_DEPTH. */
static size_t slot_of(const struct pop3_session *s, size_t index)
{
	size_t k = 0;

	while (k < POP3_PREFETCH_DEPTH && (s->pf[k].state == PF_NONE || s->pf[k].index != index))
		k++;
	return k;
}

/* The window from `from`: the next messages not deleted, at most POP3_PREFETCH_DEPTH of
 * them, while their sizes add up to at most POP3_PREFETCH_MAX. Returns how many (in want). */
static size_t window(const struct pop3_session *s, size_t from, size_t *want)
{
	size_t n = 0;
	uint64_t bytes = 0;

	for (size_t i = from; i < s->n_msgs && n < POP3_PREFETCH_DEPTH; i++) {
		if (s->msgs[i].deleted)
			continue;
		bytes += s->msgs[i].size;
		if (bytes > POP3_PREFETCH_MAX)
			break;
		want[n++] = i;
	}
	return n;
}

/* The place of message index in want[0..n) (ascending), or n when it is not there. */
static size_t window_place(const size_t *want, size_t n, size_t index)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (want[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && want[lo] == index ? lo : n;
}

void pop3_prefetch(struct pop3_session *s, size_t from)
{
	size_t want[POP3_PREFETCH_DEPTH], n = window(s, from, want);
	size_t missing[POP3_PREFETCH_DEPTH], n_missing = 0;
	bool held[POP3_PREFETCH_DEPTH] = { false };

	for (size_t k = 0; k < POP3_PREFETCH_DEPTH; k++) {
		const struct pop3_prefetch *pf = &s->pf[k];
		if (pf->state == PF_NONE)
			continue;
		size_t j = window_place(want, n, pf->index);
		if (j < n)
			held[j] = true;
		else if (!pf->adopted)
			slot_discard(s, k);
	}
	for (size_t j = 0; j < n; j++) {
		if (!held[j])
			missing[n_missing++] = want[j];
	}
	/* fewer, bigger batches: wait until a quarter of the window is missing, unless its first
	 * is */
	if (n_missing > 0 && (4 * n_missing >= n || missing[0] == want[0]))
		batch_start(s, missing, n_missing);
}

void pop3_prefetch_deinit(struct pop3_session *s)
{
	for (size_t k = 0; k < POP3_PREFETCH_DEPTH; k++) {
		slot_discard(s, k);
		pb_buf_deinit(&s->pf[k].data);
	}
}

/* A RETR/TOP of message index starts with its read-ahead: the range kept is sent, or the call
 * in flight is adopted. Returns false when none holds that message: the caller reads. */
static bool prefetch_take(struct pop3_session *s, size_t index)
{
	size_t k = slot_of(s, index);
	struct pop3_prefetch *pf = &s->pf[k];

	if (k == POP3_PREFETCH_DEPTH)
		return false;
	s->retr_reserved = pf->reserved;
	pf->reserved = 0;
	if (pf->state == PF_INFLIGHT) {
		pf->adopted = true;
		gw_pause(s->gs);
		return true;
	}
	pf->state = PF_NONE;
	send_range(s, (const uint8_t *)pf->data.data, pf->data.len, pf->eof);
	if (pf->state != PF_READY && pf->data.cap > POP3_PREFETCH_KEEP)
		pb_buf_deinit(&pf->data); /* keep small buffers for the next read-ahead only */
	return true;
}

void pop3_do_retr(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	size_t index = cmd->msg - 1;

	s->retr = true;
	s->retr_started = false;
	s->retr_index = index;
	s->retr_offset = 0;
	pop3_stuff_init(&s->stuff, cmd->verb == POP3_VERB_TOP ? (int64_t)cmd->lines : -1);
	if (prefetch_take(s, index))
		return;
	size_t need = transfer_need(s->msgs[index].size);
	bool reserved = gw_reserve(s->gs, need);
	if (!reserved) { /* what is read ahead gives way to what is asked for */
		pop3_prefetch(s, s->n_msgs);
		reserved = gw_reserve(s->gs, need);
	}
	if (!reserved) {
		s->retr = false;
		pop3_send_line(s, "-ERR [SYS/TEMP] Too many transfers in progress, try again later");
		return;
	}
	s->retr_reserved = need;
	read_next(s);
}
