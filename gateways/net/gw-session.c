/*
 * gw-session.c: the session skeleton (see gw-session.h), with the TLS layer every gateway
 * shares (runtime/pb-tls.h drives the engine; here the bytes go between it, the transport and
 * the protocol).
 * OWNS: a session's TLS engine and its two buffers (gw_session.tls*, freed by
 * gw_session_deinit). THREAD: the hub's.
 */
#include "gw-session.h"

#include "gw-zip.h"
#include "pb-log.h"
#include "pb-tls.h"

#include <stdio.h>
#include <string.h>

/* ---- TLS ---- */

/* Sends the ciphertext the engine has ready (handshake flights, records, alerts). */
static void tls_flush(struct gw_session *gs)
{
	char buf[16384];
	size_t n;

	while ((n = pb_tls_take_out(gs->tls, buf, sizeof(buf))) > 0)
		gs->tr->write(gs->conn, buf, n);
}

/* Encrypts and sends plaintext (the loop's NET_OUT_HIGH paces the session as in clear). */
static void tls_send(struct gw_session *gs, const char *data, size_t len)
{
	while (len > 0) {
		size_t n = pb_tls_write(gs->tls, data, len);
		tls_flush(gs);
		if (n == 0)
			return; /* not open (failed or closed): nothing more can go */
		data += n;
		len -= n;
	}
}

/* Under TLS or in clear: the layers below compression. */
static void raw_write(struct gw_session *gs, const void *data, size_t len)
{
	if (gs->tls == NULL)
		gs->tr->write(gs->conn, data, len);
	else if (!gs->tls_opened)
		pb_buf_append(&gs->tls_held, data, len); /* sent once the handshake ends */
	else
		tls_send(gs, data, len);
}

static void zip_sink(void *ctx, const void *data, size_t len)
{
	raw_write(ctx, data, len);
}

void gw_write(struct gw_session *gs, const void *data, size_t len)
{
	if (gs->zip == NULL)
		raw_write(gs, data, len);
	else
		gw_zip_deflate(gs->zip, data, len, false, zip_sink, gs);
}

void gw_flush(struct gw_session *gs)
{
	if (gs->zip != NULL && !gs->closed)
		gw_zip_deflate(gs->zip, NULL, 0, true, zip_sink, gs);
}

void gw_write_str(struct gw_session *gs, const char *s)
{
	gw_write(gs, s, strlen(s));
}

void gw_close(struct gw_session *gs, bool flush)
{
	if (flush)
		gw_flush(gs);
	if (gs->tls != NULL && flush) {
		pb_tls_close(gs->tls); /* close_notify, when the handshake ended */
		tls_flush(gs);
	}
	gs->closed = true;
	gs->tr->close(gs->conn, flush);
}

void gw_pause(struct gw_session *gs)
{
	gs->tr->pause(gs->conn, true);
}

void gw_resume(struct gw_session *gs)
{
	gs->tr->pause(gs->conn, false);
}

uint64_t gw_now(struct gw_session *gs)
{
	return gs->tr->now(gs->hub);
}

/* Arms the transport with the earlier of the protocol's deadline and the handshake's. */
static void deadline_apply(struct gw_session *gs)
{
	uint64_t a = gs->deadline, b = gs->tls_deadline;

	gs->tr->set_deadline(gs->conn, a == 0 ? b : b == 0 ? a : a < b ? a : b);
}

void gw_set_deadline(struct gw_session *gs, uint64_t in_ms)
{
	gs->deadline = in_ms == 0 ? 0 : gw_now(gs) + in_ms;
	deadline_apply(gs);
}

void gw_timeout(struct gw_session *gs, const struct gw_proto *p)
{
	uint64_t now = gw_now(gs);

	if (gs->closed)
		return;
	if (gs->tls_deadline != 0 && now >= gs->tls_deadline) {
		pb_info(p->name, "event=tls_handshake_timeout peer=%s timeout_ms=%u", gw_peer(gs),
			(unsigned)gs->tls_handshake_ms);
		gw_close(gs, false); /* nothing to say: no handshake, no channel */
		return;
	}
	if (gs->deadline == 0 || now < gs->deadline) {
		deadline_apply(gs); /* not the protocol's yet: armed again */
		return;
	}
	gs->deadline = 0;
	p->timeout(gs->session);
	gw_flush(gs);
	if (!gs->closed)
		deadline_apply(gs); /* the handshake's, if the protocol armed nothing */
}

void gw_drain(struct gw_session *gs, const struct gw_proto *p)
{
	if (p->drain == NULL)
		return;
	p->drain(gs->session);
	gw_flush(gs);
}

size_t gw_output_pending(struct gw_session *gs)
{
	return gs->tr->output_pending(gs->conn) + gs->tls_held.len;
}

const char *gw_peer(struct gw_session *gs)
{
	return gs->tr->peer(gs->conn);
}

void gw_event_address(struct gw_session *gs, char *addr, size_t size)
{
	snprintf(addr, size, "%s#%llu", gs->hub_name, (unsigned long long)gs->id);
}

int gw_call(struct gw_session *gs, const char *to, struct pb_msg *req, gw_cont_fn *cont,
	    uint64_t arg, uint32_t timeout_ms, const char **error_r)
{
	uint64_t corr = gw_calls_add(gs->calls, gs->id, gw_now(gs) + timeout_ms, cont, arg);
	struct gw_call dropped;

	if (corr == 0) {
		*error_r = "too many requests in flight";
		return -1;
	}
	req->corr = corr;
	if (gs->tr->send(gs->hub, to, req, error_r) < 0) {
		gw_calls_take(gs->calls, corr, &dropped);
		return -1;
	}
	gs->pending++;
	return 0;
}

bool gw_reserve(struct gw_session *gs, size_t bytes)
{
	return gs->tr->reserve(gs->hub, bytes);
}

void gw_release(struct gw_session *gs, size_t bytes)
{
	gs->tr->release(gs->hub, bytes);
}

int gw_cast(struct gw_session *gs, const char *to, struct pb_msg *m, const char **error_r)
{
	return gs->tr->cast(gs->hub, to, m, error_r);
}

static int cast_send(void *ctx, const char *to, struct pb_msg *req, const char **error_r)
{
	return gw_cast(ctx, to, req, error_r);
}

struct pb_sender gw_cast_sender(struct gw_session *gs)
{
	return (struct pb_sender){ .send = cast_send, .ctx = gs };
}

static int pending_send(void *ctx, const char *to, struct pb_msg *req, const char **error_r)
{
	struct gw_pending *c = ctx;
	return gw_call(c->gs, to, req, c->cont, c->arg, c->timeout_ms, error_r);
}

struct pb_sender gw_sender(struct gw_pending *c)
{
	return (struct pb_sender){ .send = pending_send, .ctx = c };
}

bool gw_tls_offered(const struct gw_session *gs)
{
	return gs->tls_cur != NULL && gs->tls == NULL;
}

bool gw_tls_active(const struct gw_session *gs)
{
	return gs->tls != NULL;
}

const char *gw_tls_version(const struct gw_session *gs)
{
	return gs->tls != NULL && gs->tls_opened ? pb_tls_version(gs->tls) : "";
}

int gw_tls_begin(struct gw_session *gs, const char **error_r)
{
	if (!gw_tls_offered(gs)) {
		*error_r = gs->tls != NULL ? "TLS already began" : "no certificate";
		return -1;
	}
	struct pb_tls_ctx *ctx = pb_tls_current_get(gs->tls_cur);
	gs->tls = pb_tls_conn_create(ctx);
	pb_tls_ctx_unref(&ctx);
	pb_buf_init(&gs->tls_held);
	pb_buf_init(&gs->tls_plain);
	if (gs->tls_handshake_ms > 0) {
		gs->tls_deadline = gw_now(gs) + gs->tls_handshake_ms;
		deadline_apply(gs);
	}
	return 0;
}

int gw_starttls(struct gw_session *gs, const char *reply, const char **error_r)
{
	if (!gw_tls_offered(gs)) {
		*error_r = gs->tls != NULL ? "TLS already began" : "no certificate";
		return -1;
	}
	gs->tr->write(gs->conn, reply, strlen(reply));
	gs->tls_upgraded = true;
	return gw_tls_begin(gs, error_r);
}

void gw_goodbye(struct gw_session *gs, const struct gw_proto *p)
{
	p->shutdown(gs->session);
	gw_flush(gs);
	if (gs->tls != NULL && !gs->closed) {
		pb_tls_close(gs->tls);
		tls_flush(gs);
	}
}

void gw_session_deinit(struct gw_session *gs)
{
	if (gs->zip != NULL) {
		gw_zip_destroy(&gs->zip);
		pb_buf_deinit(&gs->zip_plain);
	}
	if (gs->tls == NULL)
		return;
	pb_tls_conn_destroy(&gs->tls);
	pb_buf_deinit(&gs->tls_held);
	pb_buf_deinit(&gs->tls_plain);
}

/* The handshake ended: the log line, the session reset after an upgrade, then what the
 * session wrote meanwhile (an implicit-TLS greeting). */
static void tls_opened(struct gw_session *gs, const struct gw_proto *p)
{
	gs->tls_opened = true;
	gs->tls_deadline = 0;
	deadline_apply(gs); /* the protocol's again */
	pb_info(p->name, "event=tls peer=%s version=%s cipher=%s", gw_peer(gs),
		pb_tls_version(gs->tls), pb_tls_cipher(gs->tls));
	if (gs->tls_upgraded && p->tls_started != NULL)
		p->tls_started(gs->session);
	if (gs->tls_held.len > 0) {
		tls_send(gs, gs->tls_held.data, gs->tls_held.len);
		pb_buf_deinit(&gs->tls_held);
	}
}

/* ---- COMPRESS=DEFLATE (RFC 4978), between the protocol and TLS ---- */

bool gw_compress_active(const struct gw_session *gs)
{
	return gs->zip != NULL;
}

int gw_compress_begin(struct gw_session *gs, const char *reply, const char **error_r)
{
	if (gs->zip != NULL) {
		*error_r = "compression already active";
		return -1;
	}
	gw_write_str(gs, reply);
	gs->zip = gw_zip_create();
	pb_buf_init(&gs->zip_plain);
	pb_buf_reserve(&gs->zip_plain, GW_ZIP_CHUNK);
	return 0;
}

/* Compressed input: inflated GW_ZIP_CHUNK bytes at a time, each piece handed to the protocol
 * (which takes all it is given) before the next is made, so a small input that inflates to
 * gigabytes never needs more than one piece of memory; the protocol's own bounds end it. A
 * corrupt stream closes the connection (nothing more can be understood). */
static void zip_deliver(struct gw_session *gs, const struct gw_proto *p, struct pb_buf *in)
{
	size_t used, made;
	const char *error;

	while (!gs->closed) {
		if (gw_zip_inflate(gs->zip, in->data, in->len, gs->zip_plain.data, GW_ZIP_CHUNK,
				   &used, &made, &error) < 0) {
			pb_info(p->name, "event=compress_failed peer=%s reason=%s", gw_peer(gs),
				error);
			gw_close(gs, false);
			break;
		}
		pb_buf_consume(in, used);
		if (made == 0 && in->len == 0)
			break;
		gs->zip_plain.len = made;
		if (made > 0)
			p->input(gs->session, &gs->zip_plain);
		gs->zip_plain.len = 0;
	}
	pb_buf_reset(in);
}

/* Plaintext (in clear or from TLS) to the protocol, through the decompressor once COMPRESS
 * began; what the protocol leaves in *in when it begins compression is already compressed. */
static void deliver(struct gw_session *gs, const struct gw_proto *p, struct pb_buf *in)
{
	if (gs->zip == NULL) {
		p->input(gs->session, in);
		if (gs->zip == NULL || gs->closed || in->len == 0)
			return;
	}
	zip_deliver(gs, p, in);
}

/* After the engine was fed: the plaintext it has, the state's edges, the plaintext to the
 * protocol. Returns -1 once the connection is closing. */
static int tls_step(struct gw_session *gs, const struct gw_proto *p)
{
	size_t n;

	do {
		pb_buf_reserve(&gs->tls_plain, 16384);
		n = pb_tls_read(gs->tls, gs->tls_plain.data + gs->tls_plain.len, 16384);
		gs->tls_plain.len += n;
	} while (n > 0);
	tls_flush(gs);
	enum pb_tls_state st = pb_tls_state(gs->tls);
	if (st == PB_TLS_FAILED) {
		pb_info(p->name, "event=tls_failed peer=%s reason=%s", gw_peer(gs),
			PB_LOGQ(pb_tls_reason(gs->tls)));
		gw_close(gs, true); /* the alert goes first */
		return -1;
	}
	if (!gs->tls_opened && pb_tls_version(gs->tls)[0] != '\0')
		tls_opened(gs, p);
	if (gs->tls_plain.len > 0 && !gs->closed)
		deliver(gs, p, &gs->tls_plain);
	pb_buf_reset(&gs->tls_plain);
	if (st == PB_TLS_CLOSED && !gs->closed)
		gw_close(gs, true); /* the peer's close_notify: ours answers it */
	return gs->closed ? -1 : 0;
}

/* A sniffing listener's first input: a TLS handshake record (RFC 8446 5.1: content type 22)
 * begins TLS, anything else stays clear. 0, or -1 when TLS could not begin (closed). */
static int sniff(struct gw_session *gs, const struct pb_buf *in)
{
	const char *error;

	gs->tls_sniff = false;
	if (in->len == 0 || (unsigned char)in->data[0] != 0x16 || gw_tls_begin(gs, &error) == 0)
		return 0;
	pb_warn("net", "event=tls_failed peer=%s reason=%s", gs->tr->peer(gs->conn), error);
	gw_close(gs, false);
	return -1;
}

void gw_input(struct gw_session *gs, const struct gw_proto *p, struct pb_buf *in)
{
	if (gs->closed || (gs->tls_sniff && in->len > 0 && sniff(gs, in) < 0)) {
		pb_buf_reset(in);
		return;
	}
	if (gs->tls == NULL) {
		deliver(gs, p, in);
		if (gs->tls != NULL)
			pb_buf_reset(in); /* sent in clear before the switch: never read */
		gw_flush(gs);
		return;
	}
	for (;;) {
		size_t n = pb_tls_feed(gs->tls, in->data, in->len);
		pb_buf_consume(in, n);
		if (tls_step(gs, p) < 0) {
			pb_buf_reset(in);
			break;
		}
		if (n == 0 || in->len == 0)
			break;
	}
	gw_flush(gs);
}

/* Runs a finished call's continuation if its session is still there. */
static int finish(const struct gw_call *call, gw_find_fn *find, void *hub, struct pb_msg *rep)
{
	struct gw_session *gs = find(hub, call->session_id);
	if (gs == NULL)
		return -1; /* the session closed meanwhile */
	if (gs->pending > 0) /* counted by gw_call; never fatal on a connection's path */
		gs->pending--;
	call->cont(gs->session, call->arg, rep);
	gw_flush(gs);
	return 0;
}

int gw_dispatch(struct gw_calls *calls, gw_find_fn *find, void *hub, const struct gw_proto *p,
		struct pb_msg *m)
{
	struct gw_call call;

	if (pb_msg_kind(m->type) == PB_MSG_EVT) {
		struct gw_session *gs = find(hub, m->corr);
		if (gs == NULL || p->event == NULL)
			return -1;
		p->event(gs->session, m);
		gw_flush(gs);
		return 0;
	}
	if (pb_msg_kind(m->type) != PB_MSG_REP || gw_calls_take(calls, m->corr, &call) == 0) {
		pb_debug(p->name, "event=stray_reply type=%s corr=%llu", pb_msg_name(m->type),
			 (unsigned long long)m->corr);
		return -1;
	}
	return finish(&call, find, hub, m);
}

void gw_dispatch_expired(struct gw_calls *calls, gw_find_fn *find, void *hub, uint64_t now)
{
	struct gw_call due[32];
	size_t n;

	do {
		n = gw_calls_take_expired(calls, now, due, PB_N_ELEMENTS(due));
		for (size_t i = 0; i < n; i++)
			finish(&due[i], find, hub, NULL);
	} while (n == PB_N_ELEMENTS(due));
}

const char *gw_command_run(const struct gw_command *table, size_t n, uint32_t state,
			   void *session, int verb, const void *cmd, const char *unknown)
{
	for (size_t i = 0; i < n; i++) {
		const struct gw_command *c = &table[i];
		if (c->verb != verb)
			continue;
		if ((c->states & (1u << state)) == 0)
			return c->refused;
		const char *refusal = c->check != NULL ? c->check(session, cmd) : NULL;
		if (refusal != NULL)
			return refusal;
		c->proceed(session, cmd);
		return NULL;
	}
	return unknown;
}
