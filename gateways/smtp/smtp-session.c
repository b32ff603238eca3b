/*
 * smtp-session.c: one SMTP session (RFC 5321) — the command table, the mail transaction,
 * DATA and BDAT content, recipient checks through the directory and the durable spool write
 * that comes before every "250 queued".
 * OWNS: struct smtp_session (parser, transaction, body buffer). THREAD: the hub thread.
 * The lockout guard is asked at accept: the greeting waits for its answer (a blocked address
 * hears 421 and the connection ends). AUTH is in smtp-auth.c; what is reported to intrusion
 * protection (early talk, pipelining without PIPELINING, unknown recipients, bad commands,
 * bare LF) in smtp-intrusion.c.
 * MESSAGES sent (through typed client stubs): LOCKOUT_CHECK_IP_REQ, DIR_RCPT_CHECK_REQ, SPOOL_ROOM_REQ,
 * SPOOL_PUT_REQ, SPOOL_BEGIN_REQ, SPOOL_CHUNK_REQ, SPOOL_COMMIT_REQ, SPOOL_ABORT_REQ — each a
 * call with its own continuation (gateways/net/gw-session.h); a reply that comes after its
 * call timed out is dropped there.
 *
 * The session runs its input until it must ask an actor; then it pauses reading (pipelined
 * commands stay buffered in the parser, in order) and resumes when the continuation runs.
 *
 * Why bodies stream, and why small ones do not: a message goes to the spool in chunks of
 * SMTP_CHUNK octets while it is received (one chunk in flight, reading paused meanwhile), so
 * a session holds at most about one chunk whatever the message size; the commit is the one
 * synced write before the 250. The upload begins lazily, when the first whole chunk is ready:
 * content that ends before that (every message under SMTP_CHUNK, nearly all mail) goes to the
 * spool whole in one SPOOL_PUT_REQ, its one synced write — one hand-off per message instead of
 * three, and a transaction reset before its end has nothing at the spool to undo.
 * When the upload fails midway (no space, a slow spool) the rest of the content is read and
 * discarded, and the verdict comes after the end of data, as RFC 5321 wants.
 */
#include "smtp-session-int.h"

#include "directory-client.h"
#include "gw-guard.h"
#include "pb-log.h"
#include "pb-settings.h"
#include "spool-client.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void run(struct smtp_session *s);
static void begin_upload(struct smtp_session *s);

static void reply(struct smtp_session *s, int code, const char *enhanced, const char *text)
{
	pb_buf_reset(&s->out);
	smtp_reply_format(&s->out, code, enhanced, text);
	gw_write(s->gs, s->out.data, s->out.len);
}

static void close_now(struct smtp_session *s)
{
	s->closing = true;
	gw_close(s->gs, true);
}

static void reply_r(struct smtp_session *s, const struct smtp_reply *r)
{
	reply(s, r->code, r->enhanced, r->text);
	if (r->close)
		close_now(s);
}

/* A refusal from the command table: "code x.y.z text", written as it is. */
static void reply_line(struct smtp_session *s, const char *line)
{
	gw_write_str(s->gs, line);
	gw_write(s->gs, "\r\n", 2);
}

static void close_with(struct smtp_session *s, int code, const char *enhanced, const char *text)
{
	reply(s, code, enhanced, text);
	close_now(s);
}

static void set_deadline(struct smtp_session *s, uint32_t seconds)
{
	gw_set_deadline(s->gs, seconds * 1000ull);
}

void smtp_session_reply(struct smtp_session *s, int code, const char *enhanced, const char *text)
{
	reply(s, code, enhanced, text);
}

void smtp_session_close_with(struct smtp_session *s, int code, const char *enhanced,
			     const char *text)
{
	close_with(s, code, enhanced, text);
}

/* Drops whatever upload the session's key began (one-way): for a begin whose reply will never
 * reach the session (it closed, or the call timed out) but may still open one. */
static void abort_begun(struct smtp_session *s)
{
	struct pb_sender tx = gw_cast_sender(s->gs);
	const char *error;

	if (spool_client_abort_send(&tx, s->gs->id, 0, &error) < 0)
		pb_warn("smtp", "event=abort_failed msgid=%s reason=%s", s->tx_id, PB_LOGQ(error));
}

static void abort_upload(struct smtp_session *s)
{
	struct pb_sender tx = gw_cast_sender(s->gs);
	const char *error;

	if (s->upload_id != 0 &&
	    spool_client_abort_send(&tx, s->gs->id, s->upload_id, &error) < 0)
		pb_warn("smtp", "event=abort_failed msgid=%s reason=%s", s->tx_id, PB_LOGQ(error));
	s->upload_id = 0;
}

static void tx_reset(struct smtp_session *s)
{
	abort_upload(s);
	gw_release(s->gs, s->reserved);
	s->reserved = 0;
	s->receiving = s->finishing = s->begin_pending = false;
	s->sent = 0;
	s->tx_fail = PB_OK;
	s->in_tx = s->tx_smtputf8 = s->bdat_discard = false;
	free(s->sender);
	s->sender = NULL;
	pb_strv_clear(&s->rcpts);
	pb_u64v_clear(&s->rcpt_ids);
	s->remote_rcpts = 0;
	pb_buf_deinit(&s->body);
	smtp_signature_end(s);
}

/* Counts a refusal by its reason for /metrics (not in tests without a runtime). */
static void refused(struct smtp_session *s, enum pb_refusal why)
{
	if (s->srv->rt != NULL)
		pb_runtime_refusal_note(s->srv->rt, why);
}

/* Counts a client error; too many ends the session (as Postfix's smtpd_hard_error_limit). */
static void client_error(struct smtp_session *s)
{
	if (!s->closing && ++s->errors >= s->srv->settings.max_errors)
		close_with(s, 421, "4.7.0", "Error: too many errors");
}

static enum smtp_state state_of(const struct smtp_session *s)
{
	if (!s->greeted)
		return ST_FRESH;
	if (!s->in_tx)
		return ST_READY;
	return s->rcpts.n == 0 ? ST_MAIL : ST_RCPT;
}

/* How content is checked, from the settings in effect (max_size 0: no limit). */
static struct smtp_body_policy body_policy(const struct smtp_session *s, uint64_t max_size)
{
	const struct pb_settings_smtp *set = &s->srv->settings;

	return (struct smtp_body_policy){
		.max_size = max_size,
		.max_line = set->max_line_length,
		.normalize_lf = strcmp(set->bare_newlines, "reject") != 0,
	};
}

/* ---- the trace headers and the spool write ---- */

static void rfc5322_date(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* Return-Path: and Received: lead the stored message (RFC 5321 4.4). */
static void begin_body(struct smtp_session *s)
{
	char date[64];
	const char *with = s->tx_smtputf8 ? "UTF8SMTP" : s->esmtp ? "ESMTP" : "SMTP";
	char with_tls[16];

	/* RFC 3848 and RFC 6531: an S for a session under TLS (ESMTPS, UTF8SMTPS), an A for an
	 * authenticated one (ESMTPSA; the router's spam scoring tells rspamd so) */
	snprintf(with_tls, sizeof(with_tls), "%s%s%s", with, gw_tls_active(s->gs) ? "S" : "",
		 s->auth_user != NULL ? "A" : "");

	rfc5322_date(date, sizeof(date));
	pb_buf_reset(&s->body);
	pb_buf_printf(&s->body, "Return-Path: <%s>\r\n", s->sender);
	/* no reverse DNS yet: "unknown [ip]", as Postfix writes it without a PTR name */
	pb_buf_printf(&s->body, "Received: from %s (unknown [%s])\r\n\tby %s (Pillarbox) with %s id %s",
		      s->helo[0] ? s->helo : "unknown", gw_peer(s->gs), s->srv->hostname, with_tls,
		      s->tx_id);
	if (s->rcpts.n == 1)
		pb_buf_printf(&s->body, "\r\n\tfor <%s>", s->rcpts.v[0]);
	pb_buf_printf(&s->body, "; %s\r\n", date);
}

static void resume(struct smtp_session *s)
{
	if (s->closing || s->waiting || smtp_intrusion_close_if_blocked(s))
		return;
	gw_resume(s->gs);
	set_deadline(s, s->srv->settings.command_timeout_s);
	run(s);
}

/* A call of this session for the upload (a slow spool answers within timeout_ms). */
static struct gw_pending upload_call(struct smtp_session *s, gw_cont_fn *cont, uint64_t arg,
				     uint32_t timeout_ms)
{
	return (struct gw_pending){ s->gs, cont, arg, timeout_ms };
}

/* Waits for a call's reply: reading and the command flow pause, the call has its own deadline
 * (the session's idle deadline is off meanwhile). */
static void wait_reply(struct smtp_session *s)
{
	s->waiting = true;
	gw_pause(s->gs);
	gw_set_deadline(s->gs, 0);
}

void smtp_session_wait(struct smtp_session *s)
{
	wait_reply(s);
}

void smtp_session_resume(struct smtp_session *s)
{
	s->waiting = false;
	resume(s);
}

/* After a send: wait for its reply, or note the failure. */
static void sent_or_failed(struct smtp_session *s, int rc, const char *what, const char *error)
{
	if (rc == 0) {
		wait_reply(s);
		return;
	}
	pb_warn("smtp", "event=spool_busy msgid=%s step=%s reason=%s", s->tx_id, what, PB_LOGQ(error));
	s->tx_fail = PB_ERR_TEMP;
}

/* The reply for a failed upload, and its line (the message is not taken: a temporary
 * refusal the client tries again). */
static void reply_fail(struct smtp_session *s, uint32_t code)
{
	const char *reason = code == TX_FAIL_BUSY ? "too_many_messages_in_transfer"
			     : code == PB_ERR_NOSPACE ? "insufficient_storage"
						      : "queue_write_error";

	refused(s, code == TX_FAIL_BUSY		? PB_REFUSED_BUSY
		   : code == PB_ERR_NOSPACE ? PB_REFUSED_STORAGE
					    : PB_REFUSED_QUEUE_ERROR);
	if (code == TX_FAIL_BUSY)
		reply(s, 452, "4.3.1", "Error: too many messages in transfer, try again later");
	else if (code == PB_ERR_NOSPACE)
		reply(s, 452, "4.3.1", "Insufficient system storage");
	else
		reply(s, 451, "4.3.0", "Error: queue file write error");
	s->srv->counted.rejected++;
	pb_warn("smtp", "event=rejected msgid=%s reason=%s from=%s peer=%s", s->tx_id, reason,
		PB_LOGQ(s->sender), gw_peer(s->gs));
}

/* The verdict of a commit (arg 0) or a put (arg 1): 250 only now, the message durable. */
static void on_committed(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;
	uint64_t spool_id = 0;
	uint32_t code = m == NULL ? PB_ERR_TEMP
			: arg ? spool_client_put_reply(m, &spool_id)
			      : spool_client_commit_reply(m, &spool_id);
	char text[96];

	s->waiting = false;
	s->gs->must_finish = false;
	if (m == NULL) {
		/* the write may still land: no 451 (a retry would duplicate it), close instead */
		pb_error("smtp", "event=spool_timeout msgid=%s peer=%s", s->tx_id, gw_peer(s->gs));
		s->upload_id = 0; /* an abort now could only find it committed */
		close_with(s, 421, "4.3.0", "Error: timeout writing the queue file, closing");
	} else if (code == PB_OK) {
		s->upload_id = 0;
		snprintf(text, sizeof(text), "Ok: queued as %s", s->tx_id);
		reply(s, 250, "2.0.0", text);
		if (s->srv->rt != NULL)
			pb_runtime_latency_note(s->srv->rt, PB_LAT_SMTP_ACCEPT,
						pb_latency_now_us() - s->end_us);
		smtp_policy_accepted(s);
		s->srv->counted.received++;
		pb_runtime_received_note(s->srv->rt, PB_RECEIVED_SMTP);
		pb_info("smtp", "event=accepted msgid=%s spool_id=%llu size=%llu from=%s rcpts=%u "
				"peer=%s tls=%s",
			s->tx_id, (unsigned long long)spool_id, (unsigned long long)s->sent,
			PB_LOGQ(s->sender), s->rcpts.n, gw_peer(s->gs),
			gw_tls_active(s->gs) ? gw_tls_version(s->gs) : "no");
	} else {
		reply_fail(s, code);
	}
	tx_reset(s);
	resume(s);
}

/* The put or the commit went out (rc 0: it carried the buffered content, and the verdict
 * waits for its reply, which a stopping hub waits for too) or could not (the verdict now). */
static void store_sent(struct smtp_session *s, int rc, const char *what, const char *error)
{
	if (rc == 0) {
		s->sent += s->body.len;
		pb_buf_reset(&s->body);
	}
	sent_or_failed(s, rc, what, error);
	s->gs->must_finish = rc == 0;
	if (rc < 0) {
		reply_fail(s, s->tx_fail);
		tx_reset(s);
	}
}

/* The commit, carrying what is left of the content (at most a chunk and a CR LF). */
static void commit(struct smtp_session *s)
{
	struct gw_pending call = upload_call(s, on_committed, 0, SMTP_SPOOL_TIMEOUT_MS);
	struct pb_sender tx = gw_sender(&call);
	const char *error;
	uint64_t *at;
	char **text;

	size_t n = smtp_signature_sign(s, &at, &text);
	struct spool_client_sign sign = { at, (const char *const *)text, n };
	int rc = spool_client_commit_signed_send(&tx, s->gs->id, s->upload_id,
						 s->sent + s->body.len, s->body.data,
						 s->body.len, &sign, &error);
	smtp_signature_free_sign(at, text, n);
	store_sent(s, rc, "commit", error);
}

/* The message type of guide 4.14: Local from an authenticated client or one of
 * smtp.relay_networks (the guide's "local IP address"), else Incoming. */
static uint8_t smtp_origin(const struct smtp_session *s)
{
	return smtp_session_may_relay(s) ? PB_ORIGIN_LOCAL : PB_ORIGIN_SMTP;
}

/* The whole message in one request (no upload was begun): envelope and content, answered
 * like a commit once the spool's synced write is done. */
static void put(struct smtp_session *s)
{
	struct gw_pending call = upload_call(s, on_committed, 1, SMTP_SPOOL_TIMEOUT_MS);
	struct pb_sender tx = gw_sender(&call);
	struct spool_client_envelope env = { s->sender, s->tx_id, (const char *const *)s->rcpts.v,
					     s->rcpt_ids.v, s->rcpts.n, s->received_ms,
					     smtp_origin(s) };
	const char *error;

	int rc = spool_client_put_send(&tx, s->gs->id, &env, s->body.data, s->body.len, &error);
	store_sent(s, rc, "put", error);
}

/* The content is complete: the failure's reply, or the put (nothing sent yet), or the commit
 * of the open upload with the rest of the content. */
static void finish(struct smtp_session *s)
{
	if (s->tx_fail != PB_OK) {
		reply_fail(s, s->tx_fail);
		tx_reset(s);
	} else if (s->upload_id != 0) {
		commit(s);
	} else if (s->sent != 0) {
		/* chunks go only to an open upload: content sent without one is a bug of ours, and
		 * the client gets a temporary failure, never a crash */
		pb_error("smtp", "event=upload_missing msgid=%s sent=%llu", s->tx_id,
			 (unsigned long long)s->sent);
		reply_fail(s, PB_ERR_TEMP);
		tx_reset(s);
	} else {
		put(s);
	}
}

static void on_chunk_stored(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;
	uint64_t received;
	uint32_t code = m != NULL ? spool_client_chunk_reply(m, &received) : PB_ERR_TEMP;

	s->waiting = false;
	if (code != PB_OK && s->tx_fail == PB_OK)
		s->tx_fail = code;
	if (s->finishing)
		finish(s);
	resume(s);
}

/* Sends the buffered content as the upload's next chunk (or drops it once the upload
 * failed). Returns whether a chunk went out. */
static bool send_chunk(struct smtp_session *s)
{
	const char *error;

	if (s->body.len == 0 || s->tx_fail != PB_OK || s->upload_id == 0) {
		pb_buf_reset(&s->body);
		return false;
	}
	struct gw_pending call = upload_call(s, on_chunk_stored, 0, SMTP_CHECK_TIMEOUT_MS);
	struct pb_sender tx = gw_sender(&call);
	smtp_signature_feed(s, s->body.data, s->body.len);
	int rc = spool_client_chunk_send(&tx, s->gs->id, s->upload_id, s->sent, s->body.data,
					 s->body.len, &error);
	sent_or_failed(s, rc, "chunk", error);
	if (s->body.len >= 2)
		memcpy(s->tail, s->body.data + s->body.len - 2, 2);
	else
		s->tail[0] = s->tail[1], s->tail[1] = s->body.data[0];
	s->sent += s->body.len;
	pb_buf_reset(&s->body);
	return rc == 0;
}

/* A full chunk is ready: open the upload if it is not yet and wait for it, or send it. */
static void chunk_ready(struct smtp_session *s)
{
	begin_upload(s);
	if (s->begin_pending)
		wait_reply(s); /* on_begun sends it */
	else
		send_chunk(s);
}

/* The spool opened the upload (or did not). arg: the transaction it was begun for; a reply
 * for a transaction that ended meanwhile drops its upload. */
static void on_begun(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;
	uint64_t id = 0;
	uint32_t code = m != NULL ? spool_client_begin_reply(m, &id) : PB_ERR_TEMP;

	if (arg != s->tx_seq || !s->begin_pending) {
		if (code == PB_OK) {
			s->upload_id = id;
			abort_upload(s);
		}
		return;
	}
	s->begin_pending = false;
	if (m == NULL)
		abort_begun(s); /* the spool may open it yet: its reply would be dropped */
	if (code == PB_OK)
		s->upload_id = id;
	else if (s->tx_fail == PB_OK)
		s->tx_fail = code;
	if (!s->waiting)
		return; /* the content goes on arriving */
	s->waiting = false;
	if (s->finishing)
		finish(s);
	else
		send_chunk(s);
	resume(s);
}

/*
 * Opens the upload with the envelope, once a whole chunk is ready (the content goes on
 * collecting meanwhile, and waits only for a chunk to send): a message that ends before
 * that never opens one (see put). If the spool refuses, the rest of the content is read and
 * dropped and the client hears why after its end of data.
 */
static void begin_upload(struct smtp_session *s)
{
	const char *error;

	if (s->upload_id != 0 || s->begin_pending || s->tx_fail != PB_OK)
		return; /* open, opening, or failed: the content is dropped */
	struct gw_pending call = upload_call(s, on_begun, ++s->tx_seq, SMTP_CHECK_TIMEOUT_MS);
	struct pb_sender tx = gw_sender(&call);
	struct spool_client_envelope env = { s->sender, s->tx_id, (const char *const *)s->rcpts.v,
					     s->rcpt_ids.v, s->rcpts.n, s->received_ms,
					     smtp_origin(s) };
	if (spool_client_begin_env_send(&tx, s->gs->id, &env, &error) < 0) {
		pb_warn("smtp", "event=spool_busy msgid=%s step=begin reason=%s", s->tx_id,
			PB_LOGQ(error));
		s->tx_fail = PB_ERR_TEMP;
	} else {
		s->begin_pending = true;
	}
}

/*
 * The content begins (DATA, or the first BDAT): the trace headers, and the message's share of
 * the node's budget of bytes in flight (SMTP_TX_BYTES: the chunk filling and the one in
 * flight, or the whole of a small message until its put is answered). Nothing goes to the
 * spool yet, so the 354 waits for nothing.
 */
static void start_content(struct smtp_session *s, int verb)
{
	begin_body(s);
	s->receiving = true;
	s->received_ms = (int64_t)pb_clock_wall_ms();
	s->chunk = SMTP_CHUNK;
	if (smtp_signature_wanted(s) && gw_reserve(s->gs, SMTP_SIGN_BYTES)) {
		s->reserved = SMTP_SIGN_BYTES;
		s->chunk = SMTP_SIGN_HOLD;
	} else if (gw_reserve(s->gs, SMTP_TX_BYTES)) {
		s->reserved = SMTP_TX_BYTES;
	} else {
		pb_warn("smtp", "event=busy reason=bytes_in_flight msgid=%s peer=%s", s->tx_id,
			gw_peer(s->gs));
		s->tx_fail = TX_FAIL_BUSY;
	}
	smtp_signature_start(s);
	if (verb != SMTP_VERB_DATA)
		return;
	if (s->tx_fail != PB_OK) { /* refused before any content: no 354 */
		reply_fail(s, s->tx_fail);
		tx_reset(s);
		return;
	}
	struct smtp_body_policy policy =
		body_policy(s, smtp_policy_max_size(s, s->srv->settings.max_message_size));
	smtp_data_init(&s->data, &policy);
	s->mode = MODE_DATA;
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	set_deadline(s, s->srv->settings.data_timeout_s);
}

/* Whether the content so far ends with CR LF (a stored message must: RFC 5322 2.1). */
static bool ends_with_crlf(const struct smtp_session *s)
{
	const char *b = s->body.data;
	size_t n = s->body.len;
	char last[2] = { n >= 2 ? b[n - 2] : n == 1 ? s->tail[1] : s->tail[0],
			 n >= 1 ? b[n - 1] : s->tail[1] };
	return last[0] == '\r' && last[1] == '\n';
}

/* The content is complete: reject it (policy: what it was checked against), or send what is
 * left and commit. */
static void end_of_content(struct smtp_session *s, enum smtp_data_status status,
			   const struct smtp_body_policy *policy)
{
	struct smtp_reply r;
	char text[128];

	smtp_intrusion_content(s);
	s->mode = MODE_CMD;
	set_deadline(s, s->srv->settings.command_timeout_s);
	if (status != SMTP_DATA_OK) {
		smtp_data_reply(status, policy, &r, text, sizeof(text));
		reply_r(s, &r);
		if (status == SMTP_DATA_TOO_BIG)
			smtp_policy_too_big(s, policy->max_size);
		refused(s, status == SMTP_DATA_TOO_BIG ? PB_REFUSED_TOO_BIG : PB_REFUSED_BAD_CONTENT);
		s->srv->counted.rejected++;
		pb_warn("smtp", "event=rejected msgid=%s reason=%s why=%s from=%s peer=%s", s->tx_id,
			smtp_data_status_name(status), PB_LOGQ(r.text), PB_LOGQ(s->sender),
			gw_peer(s->gs));
		tx_reset(s);
		return;
	}
	const char *refusal = smtp_policy_end(s);
	if (refusal != NULL) {
		reply_line(s, refusal);
		refused(s, PB_REFUSED_CONTENT_POLICY);
		s->srv->counted.rejected++;
		tx_reset(s);
		return;
	}
	smtp_signature_apply(s);
	s->finishing = true;
	s->end_us = pb_latency_now_us();
	if (s->body.len >= SMTP_CHUNK)
		begin_upload(s); /* a whole chunk or more (BDAT): the streaming path, as for more */
	if (s->begin_pending)
		wait_reply(s); /* on_begun finishes */
	else
		finish(s);
}

/* ---- commands: pure checks ---- */

static const char *check_helo(const void *session, const void *cmdp)
{
	const struct smtp_cmd *cmd = cmdp;
	if (cmd->arg[0] != '\0')
		return NULL;
	return cmd->verb == SMTP_VERB_EHLO ? "501 5.5.4 Syntax: EHLO hostname"
					   : "501 5.5.4 Syntax: HELO hostname";
}

static const char *check_mail(const void *session, const void *cmdp)
{
	const struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;
	uint64_t max = s->srv->settings.max_message_size;

	if (s->in_tx)
		return "503 5.5.1 Error: nested MAIL command";
	if (s->submission && s->auth_user == NULL)
		return "530 5.7.0 Authentication required";
	if ((cmd->smtputf8 || cmd->body != SMTP_BODY_NONE || cmd->has_size) && !s->esmtp)
		return "555 5.5.4 Error: MAIL parameters need EHLO";
	if (cmd->body == SMTP_BODY_BINARYMIME)
		return "555 5.5.4 Unsupported option: BODY=BINARYMIME";
	if (cmd->path_utf8 && !cmd->smtputf8)
		return "553 5.6.7 Must declare SMTPUTF8 to send UTF-8 address";
	if (cmd->has_size && cmd->size > max)
		return "552 5.3.4 Message size exceeds fixed limit";
	return NULL;
}

static const char *check_rcpt(const void *session, const void *cmdp)
{
	const struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;

	if (cmd->path_utf8 && !s->tx_smtputf8)
		return "553 5.6.7 Must declare SMTPUTF8 to send UTF-8 address";
	if (s->rcpts.n >= s->srv->settings.max_recipients)
		return "452 4.5.3 Error: too many recipients";
	return NULL;
}

static const char *check_data(const void *session, const void *cmdp)
{
	const struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;

	if (s->rcpts.n == 0)
		return "554 5.5.1 Error: no valid recipients";
	if (cmd->arg[0] != '\0')
		return "501 5.5.4 Syntax: DATA";
	if (s->receiving) /* RFC 3030 2: DATA after BDAT is 503 (RSET clears it) */
		return "503 5.5.1 Error: DATA after BDAT, send RSET";
	return NULL;
}

/* ---- commands: proceeding ---- */

static void do_helo(void *session, const void *cmdp)
{
	struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;
	struct smtp_ehlo_caps caps = {
		.size = true, .size_max = s->srv->settings.max_message_size, .pipelining = true,
		.enhancedstatuscodes = true, .eightbitmime = true, .smtputf8 = true,
		.chunking = true, .vrfy = true, .starttls = gw_tls_offered(s->gs), .dsn = true,
		.etrn = true,
	};
	struct pb_buf mechs;

	tx_reset(s);
	snprintf(s->helo, sizeof(s->helo), "%s", cmd->arg);
	s->greeted = true;
	s->esmtp = cmd->verb == SMTP_VERB_EHLO;
	if (!s->esmtp) {
		reply(s, 250, NULL, s->srv->hostname);
		return;
	}
	pb_buf_init(&mechs);
	caps.auth = smtp_auth_mechs(s, &mechs);
	pb_buf_reset(&s->out);
	smtp_reply_ehlo(&s->out, s->srv->hostname, NULL, &caps);
	pb_buf_deinit(&mechs);
	gw_write(s->gs, s->out.data, s->out.len);
}

static void start_tx(struct smtp_session *s, const char *sender, bool smtputf8)
{
	s->in_tx = true;
	s->tx_smtputf8 = smtputf8;
	s->sender = xstrdup(sender);
	snprintf(s->tx_id, sizeof(s->tx_id), "%llX%llX",
		 (unsigned long long)(pb_clock_wall_ms() / 1000), (unsigned long long)++s->srv->next_tx);
	reply(s, 250, "2.1.0", "Ok");
}

/* A MAIL refused after a check with the spool: the message is not taken. */
static void refuse_mail(struct smtp_session *s, int code, const char *enhanced, const char *text,
			const char *reason, const char *sender)
{
	reply(s, code, enhanced, text);
	refused(s, PB_REFUSED_STORAGE);
	s->srv->counted.rejected++;
	pb_warn("smtp", "event=rejected msgid=- reason=%s from=%s peer=%s", reason, PB_LOGQ(sender),
		gw_peer(s->gs));
}

/* arg: 1 if the MAIL command asked for SMTPUTF8. The sender waits in s->sender. */
static void on_room(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;
	uint32_t code = m != NULL ? spool_client_room_reply(m) : PB_ERR_TEMP;
	char *sender = s->sender;

	s->waiting = false;
	s->sender = NULL;
	if (code == PB_OK)
		start_tx(s, sender, arg != 0);
	else if (code == PB_ERR_NOSPACE)
		refuse_mail(s, 452, "4.3.1", "Insufficient system storage", "insufficient_storage",
			    sender); /* RFC 1870 6.1 */
	else
		reply(s, 451, "4.3.0", "Error: temporary failure, try again later");
	free(sender);
	resume(s);
}

/* MAIL: with a declared SIZE, the spool says first whether it has room for it. */
void smtp_session_mail_go(struct smtp_session *s, const char *path, bool smtputf8, bool has_size,
			  uint64_t size)
{
	const char *error;

	if (!has_size) {
		start_tx(s, path, smtputf8);
		return;
	}
	struct gw_pending call = { s->gs, on_room, smtputf8, SMTP_CHECK_TIMEOUT_MS };
	struct pb_sender tx = gw_sender(&call);
	if (spool_client_room_send(&tx, s->gs->id, size, &error) < 0) {
		reply(s, 451, "4.3.0", "Error: server busy, try again later");
		return;
	}
	pb_str_set(&s->sender, path);
	wait_reply(s);
}

/* MAIL: an authenticated sender's permissions first, or without AUTH the quota send block of
 * the local account MAIL FROM names (smtp-policy.c). */
static void do_mail(void *session, const void *cmdp)
{
	struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;

	free(s->dsn_mail);
	s->dsn_mail = xasprintf("%s%s%s%s", cmd->ret == SMTP_RET_FULL	? "\tRET=FULL"
					    : cmd->ret == SMTP_RET_HDRS ? "\tRET=HDRS"
									: "",
				cmd->envid != NULL ? "\tENVID=" : "",
				cmd->envid != NULL ? cmd->envid : "", "");
	if (!smtp_policy_mail(s, cmd))
		smtp_session_mail_go(s, cmd->path, cmd->smtputf8, cmd->has_size, cmd->size);
}

bool smtp_session_may_relay(const struct smtp_session *s)
{
	return s->auth_user != NULL ||
	       pb_cidr_list_match(&s->srv->settings.relay_networks.list, gw_peer(s->gs));
}

/* A recipient at a domain that is not local: relayed only for an authenticated client or one
 * in smtp.relay_networks (empty by default), never for anyone else (no open relay). Those are
 * taken with user id 0 (remote), their DSN parameters riding on the recipient: the spool hands
 * them to the outbound queue (queue-client.h). */
static void rcpt_not_local(struct smtp_session *s)
{
	char text[600];

	if (smtp_policy_local_only(s, s->checking))
		return;
	if (smtp_session_may_relay(s)) {
		/* user id 0: remote; the DSN parameters ride on the recipient (queue-client.h) */
		char *r = xasprintf("%s%s%s", s->checking, s->checking_dsn,
				    s->dsn_mail != NULL ? s->dsn_mail : "");
		bool dup = false;
		for (uint32_t i = 0; i < s->rcpts.n; i++)
			dup |= s->rcpt_ids.v[i] == 0 && strcmp(s->rcpts.v[i], r) == 0;
		if (!dup) {
			pb_strv_push(&s->rcpts, r);
			pb_u64v_push(&s->rcpt_ids, 0);
			s->remote_rcpts++;
		}
		free(r);
		reply(s, 250, "2.1.5", "Ok");
		pb_info("smtp", "event=rcpt_relayed msgid=%s rcpt=%s from=%s peer=%s", s->tx_id,
			PB_LOGQ(s->checking), PB_LOGQ(s->sender), gw_peer(s->gs));
		return;
	}
	snprintf(text, sizeof(text), "<%s>: Relay access denied", s->checking);
	reply(s, 550, "5.7.1", text);
	refused(s, PB_REFUSED_RELAY_DENIED);
	s->srv->counted.rcpts_refused++;
	pb_info("smtp", "event=rcpt_refused msgid=%s rcpt=%s reason=relay_denied from=%s peer=%s",
		s->tx_id, PB_LOGQ(s->checking), PB_LOGQ(s->sender), gw_peer(s->gs));
	client_error(s);
}

static void on_rcpt_checked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;
	uint64_t id = 0;
	char *user = NULL;
	const char *error;
	uint32_t code = m != NULL ? directory_client_rcpt_check_reply(m, &id, &user, &error)
				  : PB_ERR_TEMP;
	char text[600];

	s->waiting = false;
	free(user);
	if (code == PB_OK) {
		bool dup = false;
		/* an account once; an address the router resolves (id 0) once per address */
		for (uint32_t i = 0; i < s->rcpt_ids.n; i++)
			dup |= s->rcpt_ids.v[i] == id &&
			       (id != 0 || strcasecmp(s->rcpts.v[i], s->checking) == 0);
		if (!dup) {
			pb_strv_push(&s->rcpts, s->checking);
			pb_u64v_push(&s->rcpt_ids, id);
		}
		reply(s, 250, "2.1.5", "Ok");
	} else if (code == PB_ERR_NOTFOUND) {
		smtp_intrusion_unknown_rcpt(s);
		snprintf(text, sizeof(text),
			 "<%s>: Recipient address rejected: User unknown in local recipient table",
			 s->checking);
		reply(s, 550, "5.1.1", text);
		refused(s, PB_REFUSED_UNKNOWN_USER);
		s->srv->counted.rcpts_refused++;
		pb_info("smtp", "event=rcpt_refused msgid=%s rcpt=%s reason=unknown_user from=%s peer=%s",
			s->tx_id, PB_LOGQ(s->checking), PB_LOGQ(s->sender), gw_peer(s->gs));
		client_error(s); /* guessing addresses counts toward max_errors */
	} else if (code == PB_ERR_REFUSED) {
		rcpt_not_local(s);
	} else {
		reply(s, 451, "4.3.0", "Error: temporary failure, try again later");
	}
	resume(s);
}

/* A RCPT's DSN parameters as they ride on a remote recipient (NOTIFY as given, ORCPT xtext). */
static char *rcpt_dsn(const struct smtp_cmd *cmd)
{
	static const char *const names[] = { "NEVER", "SUCCESS", "FAILURE", "DELAY" };
	struct pb_buf b;

	pb_buf_init(&b);
	for (int bit = 0; bit < 4; bit++)
		if (cmd->notify & (1u << bit))
			pb_buf_printf(&b, "%s%s", b.len == 0 ? "\tNOTIFY=" : ",", names[bit]);
	if (cmd->orcpt != NULL)
		pb_buf_printf(&b, "\tORCPT=%s", cmd->orcpt);
	pb_buf_append_c(&b, '\0');
	return (char *)b.data;
}

static void do_rcpt(void *session, const void *cmdp)
{
	struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;
	struct gw_pending call = { s->gs, on_rcpt_checked, 0, SMTP_CHECK_TIMEOUT_MS };
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	if (smtp_policy_rcpt(s, cmd->path))
		return;
	free(s->checking_dsn);
	s->checking_dsn = rcpt_dsn(cmd);
	if (directory_client_rcpt_check_send(&tx, cmd->addr.local, cmd->addr.domain, &error) < 0) {
		reply(s, 451, "4.3.0", "Error: server busy, try again later");
	} else {
		pb_str_set(&s->checking, cmd->path);
		wait_reply(s);
	}
}

static void do_data(void *session, const void *cmd)
{
	start_content(session, SMTP_VERB_DATA);
}

static void do_bdat(void *session, const void *cmdp)
{
	struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;

	/* The chunk's octets follow the command whatever we answer: read them either way. */
	s->mode = MODE_BDAT;
	set_deadline(s, s->srv->settings.data_timeout_s);
	if (!s->receiving || s->bdat_discard) {
		bool ok = s->in_tx && s->rcpts.n > 0;
		s->bdat_discard = !ok;
		struct smtp_body_policy policy =
			body_policy(s, ok ? smtp_policy_max_size(s, s->srv->settings.max_message_size) : 0);
		smtp_bdat_init(&s->bdat, &policy, false);
		smtp_bdat_chunk(&s->bdat, cmd->chunk_size, cmd->last);
		if (ok)
			start_content(s, SMTP_VERB_BDAT);
		return;
	}
	smtp_bdat_chunk(&s->bdat, cmd->chunk_size, cmd->last);
}

static void do_rset(void *session, const void *cmd)
{
	struct smtp_session *s = session;
	tx_reset(s);
	reply(s, 250, "2.0.0", "Ok");
}

static void do_noop(void *session, const void *cmd)
{
	reply(session, 250, "2.0.0", "Ok");
}

static void do_quit(void *session, const void *cmd)
{
	close_with(session, 221, "2.0.0", "Bye");
}

static void do_help(void *session, const void *cmd)
{
	reply(session, 214, "2.0.0",
	      "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY ETRN");
}

static void do_vrfy(void *session, const void *cmd)
{
	/* no user enumeration (RFC 5321 3.5.3) */
	reply(session, 252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
}

static const char *check_starttls(const void *session, const void *cmd)
{
	const struct smtp_session *s = session;
	if (gw_tls_active(s->gs))
		return "503 5.5.1 Error: TLS already active";
	if (!gw_tls_offered(s->gs)) /* not advertised then (RFC 3207 4) */
		return "454 4.7.0 TLS not available: no certificate is configured";
	return NULL;
}

/* Every byte pipelined after STARTTLS was sent in clear: dropped (CVE-2011-0411). */
static void do_starttls(void *session, const void *cmd)
{
	struct smtp_session *s = session;
	const char *error;

	smtp_parser_discard_pending(s->parser);
	if (gw_starttls(s->gs, "220 2.0.0 Ready to start TLS\r\n", &error) < 0)
		reply(s, 454, "4.7.0", "TLS not available due to temporary reason");
}

/* The handshake after STARTTLS ended: the session starts over (RFC 3207 4.2: EHLO again). */
static void on_tls_started(void *session)
{
	struct smtp_session *s = session;
	tx_reset(s);
	smtp_auth_reset(s);
	s->greeted = s->esmtp = false;
	s->helo[0] = '\0';
	s->mode = MODE_CMD;
}

static const struct gw_command smtp_commands[] = {
	{ SMTP_VERB_EHLO, ALL_STATES, NULL, check_helo, do_helo },
	{ SMTP_VERB_HELO, ALL_STATES, NULL, check_helo, do_helo },
	{ SMTP_VERB_MAIL, ALL_STATES & ~(1u << ST_FRESH), "503 5.5.1 Error: send HELO/EHLO first",
	  check_mail, do_mail },
	{ SMTP_VERB_RCPT, TX_STATES, "503 5.5.1 Error: need MAIL command", check_rcpt, do_rcpt },
	{ SMTP_VERB_DATA, TX_STATES, "503 5.5.1 Error: need MAIL command", check_data, do_data },
	{ SMTP_VERB_BDAT, ALL_STATES, NULL, NULL, do_bdat },
	{ SMTP_VERB_RSET, ALL_STATES, NULL, NULL, do_rset },
	{ SMTP_VERB_NOOP, ALL_STATES, NULL, NULL, do_noop },
	{ SMTP_VERB_QUIT, ALL_STATES, NULL, NULL, do_quit },
	{ SMTP_VERB_HELP, ALL_STATES, NULL, NULL, do_help },
	{ SMTP_VERB_VRFY, ALL_STATES, NULL, NULL, do_vrfy },
	/* lists are not disclosed (RFC 5321 3.5.2: EXPN may be disabled) */
	{ SMTP_VERB_EXPN, 0, "502 5.5.1 Error: EXPN is disabled", NULL, NULL },
	{ SMTP_VERB_STARTTLS, ALL_STATES, NULL, check_starttls, do_starttls },
	{ SMTP_VERB_AUTH, ALL_STATES, NULL, smtp_check_auth, smtp_do_auth },
	{ SMTP_VERB_ETRN, 1u << ST_READY, "503 5.5.1 Error: ETRN after HELO/EHLO, outside a mail "
	  "transaction", NULL, smtp_do_etrn },
};

/* The line for a MAIL or RCPT the command table refused (its reply says why, in words). */
static void log_refusal(struct smtp_session *s, const struct smtp_cmd *cmd, const char *refusal)
{
	if (cmd->verb == SMTP_VERB_RCPT) {
		refused(s, PB_REFUSED_RCPT_POLICY);
		s->srv->counted.rcpts_refused++;
		pb_info("smtp", "event=rcpt_refused msgid=%s rcpt=%s reason=%s from=%s peer=%s",
			s->in_tx ? s->tx_id : "-", PB_LOGQ(cmd->path), PB_LOGQ(refusal),
			PB_LOGQ(s->sender), gw_peer(s->gs));
	} else if (cmd->verb == SMTP_VERB_MAIL && refusal[0] == '5' && refusal[1] == '5' &&
		   refusal[2] == '2') {
		refused(s, PB_REFUSED_MAIL_POLICY);
		s->srv->counted.rejected++;
		pb_warn("smtp", "event=rejected msgid=- reason=%s from=%s peer=%s", PB_LOGQ(refusal),
			PB_LOGQ(cmd->path), gw_peer(s->gs));
	}
}

static void handle_command(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const char *refusal = gw_command_run(smtp_commands, PB_N_ELEMENTS(smtp_commands),
					     state_of(s), s, cmd->verb, cmd,
					     "500 5.5.2 Error: command not recognized");
	if (refusal != NULL) {
		reply_line(s, refusal);
		log_refusal(s, cmd, refusal);
		smtp_intrusion_bad_command(s);
		client_error(s);
	}
}

/* ---- content ---- */

static void bdat_chunk_done(struct smtp_session *s)
{
	char text[64];

	s->mode = MODE_CMD;
	set_deadline(s, s->srv->settings.command_timeout_s);
	if (s->bdat_discard) {
		reply(s, s->in_tx ? 554 : 503, "5.5.1",
		      s->in_tx ? "Error: no valid recipients" : "Error: need MAIL command");
		if (s->bdat.last)
			s->bdat_discard = false;
		pb_buf_reset(&s->body);
		client_error(s);
		return;
	}
	if (s->bdat.last) {
		enum smtp_data_status status = smtp_bdat_status(&s->bdat);
		/* BDAT content may stop mid-line; a stored message ends with CR LF (RFC 5322
		 * 2.1), or POP3 would send two octets more than its LIST size (the trace
		 * headers ahead of the content make it at least two octets long) */
		if (status == SMTP_DATA_OK && !ends_with_crlf(s))
			pb_buf_append(&s->body, "\r\n", 2);
		end_of_content(s, status, &s->bdat.check.policy);
		return;
	}
	snprintf(text, sizeof(text), "Ok: %llu octets received",
		 (unsigned long long)s->bdat.check.size);
	reply(s, 250, "2.0.0", text);
}

/* Decodes buffered content, at most what fills the body buffer to s->chunk; a full buffer
 * goes to the spool (discarded content is not kept). Returns whether it did anything. */
static bool run_content(struct smtp_session *s)
{
	const void *data;
	size_t len, used;
	int done;

	smtp_parser_pending(s->parser, &data, &len);
	if (len == 0 && !(s->mode == MODE_BDAT && s->bdat.remaining == 0))
		return false;
	set_deadline(s, s->srv->settings.data_timeout_s);
	if (len > s->chunk - s->body.len)
		len = s->chunk - s->body.len;
	size_t before = s->body.len;
	if (s->mode == MODE_DATA)
		done = smtp_data_feed(&s->data, data, len, &s->body, &used);
	else
		done = smtp_bdat_feed(&s->bdat, data, len, &s->body, &used);
	smtp_policy_content(s, s->body.data + before, s->body.len - before);
	smtp_parser_consume(s->parser, used);
	if (s->bdat_discard && s->mode == MODE_BDAT)
		pb_buf_reset(&s->body);
	if (done && s->mode == MODE_DATA)
		end_of_content(s, smtp_data_status(&s->data), &s->data.check.policy);
	else if (done)
		bdat_chunk_done(s);
	else if (s->body.len >= s->chunk)
		chunk_ready(s);
	return true;
}

/* Runs the buffered input until it is used up or the session waits for a call. */
static void run(struct smtp_session *s)
{
	struct smtp_cmd cmd;

	while (!s->closing && !s->waiting) {
		if (s->mode == MODE_DATA || s->mode == MODE_BDAT) {
			if (!run_content(s))
				return;
			continue;
		}
		if (s->login.want_line) {
			const char *line;
			size_t len;
			int rc = smtp_parser_next_line(s->parser, &line, &len);
			if (rc == 0)
				return;
			set_deadline(s, s->srv->settings.command_timeout_s);
			smtp_auth_line(s, rc, line);
			continue;
		}
		int rc = smtp_parser_next(s->parser, &cmd);
		if (rc == 0)
			return;
		set_deadline(s, s->srv->settings.command_timeout_s);
		if (rc < 0) {
			reply_r(s, &cmd.error);
			smtp_intrusion_bad_command(s);
			client_error(s);
			continue;
		}
		smtp_intrusion_command(s);
		handle_command(s, &cmd);
	}
}

static void on_input(void *session, struct pb_buf *in)
{
	struct smtp_session *s = session;

	smtp_intrusion_input(s);
	if (smtp_parser_feed(s->parser, in->data, in->len) < 0) {
		pb_buf_reset(in);
		close_with(s, 421, "4.7.0", "Error: too much pipelined input");
		return;
	}
	pb_buf_reset(in);
	run(s);
}

/* ---- lifecycle ---- */

static void greet(struct smtp_session *s)
{
	char text[300];

	snprintf(text, sizeof(text), "%s ESMTP Pillarbox", s->srv->hostname);
	reply(s, 220, NULL, text);
	s->intr.greeted = true;
}

/* The guard's answer at accept: a blocked address hears why and is closed; no answer greets
 * (on port 25 after security.intrusion_greet_delay_ms). Input is read meanwhile (early talk is seen) and
 * waits in the parser. */
static void on_guard_checked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;

	s->waiting = false;
	if (gw_guard_blocked(m)) {
		pb_info("smtp", "event=refused_blocked ip=%s", gw_peer(s->gs));
		close_with(s, 421, "4.7.0", LOCKOUT_BLOCKED_TEXT);
		return;
	}
	if (smtp_intrusion_greet_later(s))
		return;
	greet(s);
	resume(s);
}

static void *on_open(struct gw_session *gs, void *server)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	s->chunk = SMTP_CHUNK;
	const struct smtp_port *port = server;
	const char *error;

	s->gs = gs;
	s->srv = port->srv;
	s->submission = port->submission;
	s->parser = smtp_parser_create();
	pb_buf_init(&s->out);
	gw_login_init(&s->login, gs, "smtp", &smtp_login_ops, SMTP_CHECK_TIMEOUT_MS);
	pb_debug("smtp", "event=connect peer=%s", gw_peer(gs));
	set_deadline(s, s->srv->settings.command_timeout_s);
	if (gw_guard_check_ip(gs, on_guard_checked, 0, &error) == 0) {
		s->waiting = true; /* reading goes on: input before the greeting is early talk */
		return s;
	}
	pb_warn("smtp", "event=lockout_unreachable reason=%s", PB_LOGQ(error));
	greet(s);
	return s;
}

static void on_timeout(void *session)
{
	struct smtp_session *s = session;
	char text[300];

	if (smtp_intrusion_greet_due(s)) {
		s->waiting = false;
		greet(s);
		resume(s);
		return;
	}
	snprintf(text, sizeof(text), "%s Error: timeout exceeded", s->srv->hostname);
	close_with(s, 421, "4.4.2", text);
}

static void on_close(void *session)
{
	struct smtp_session *s = session;

	if (s->begin_pending)
		abort_begun(s); /* its reply will find no session */
	tx_reset(s);
	smtp_auth_reset(s);
	smtp_policy_free(s);
	gw_login_deinit(&s->login);
	free(s->checking);
	free(s->etrn_node);
	free(s->checking_dsn);
	free(s->dsn_mail);
	smtp_parser_destroy(&s->parser);
	pb_buf_deinit(&s->out);
	free(s);
}

static void on_shutdown(void *session)
{
	struct smtp_session *s = session;
	char text[300];
	snprintf(text, sizeof(text), "%s Service shutting down, closing channel", s->srv->hostname);
	reply(s, 421, "4.3.2", text);
	s->closing = true;
}

static uint32_t max_connections(const struct pb_settings *s)
{
	return s->limits.smtp_max_connections;
}

const struct gw_proto smtp_proto = {
	.name = "smtp",
	.busy = "421 4.7.0 Error: too many connections, try again later\r\n",
	.max_connections = max_connections,
	.open = on_open,
	.input = on_input,
	.timeout = on_timeout,
	.shutdown = on_shutdown,
	.close = on_close,
	.tick = smtp_server_tick,
	.counters = smtp_server_counters,
	.tls_started = on_tls_started,
};
