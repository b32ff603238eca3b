/*
 * gw-fake.c: the fake session transport (see gw-fake.h).
 * OWNS: struct gw_fake's contents. THREAD: the test's.
 */
#include "gw-fake.h"

#include <stdio.h>
#include <string.h>

static void f_write(void *conn, const void *data, size_t len)
{
	struct gw_fake *f = conn;
	pb_buf_append(&f->out, data, len);
}

static void f_close(void *conn, bool flush)
{
	((struct gw_fake *)conn)->closed = true;
}

static void f_pause(void *conn, bool paused)
{
	((struct gw_fake *)conn)->paused = paused;
}

static void f_set_deadline(void *conn, uint64_t at_ms)
{
	((struct gw_fake *)conn)->deadline = at_ms;
}

static size_t f_output_pending(void *conn)
{
	return ((struct gw_fake *)conn)->backlog;
}

static const char *f_peer(void *conn)
{
	return "192.0.2.1";
}

static uint64_t f_now(void *hub)
{
	return ((struct gw_fake *)hub)->now;
}

static int f_send(void *hub, const char *to, struct pb_msg *req, const char **error_r)
{
	struct gw_fake *f = hub;

	if (f->refuse_sends || f->n_sent == GW_FAKE_MAX_SENT) {
		*error_r = "inbox full";
		return -1;
	}
	pb_str_set(&req->reply_to, f->proto->name);
	/* a copy through the codec, as the real runtime makes */
	int rc = pb_msg_copy(req, &f->sent[f->n_sent++]);
	ASSERT(rc == 0);
	return 0;
}

static int f_cast(void *hub, const char *to, struct pb_msg *m, const char **error_r)
{
	struct gw_fake *f = hub;

	if (f_send(hub, to, m, error_r) < 0)
		return -1;
	free(f->sent[f->n_sent - 1].reply_to);
	f->sent[f->n_sent - 1].reply_to = NULL;
	return 0;
}

static bool f_reserve(void *hub, size_t bytes)
{
	struct gw_fake *f = hub;
	if (f->budget != 0 && f->budget_used + bytes > f->budget)
		return false;
	f->budget_used += bytes;
	return true;
}

static void f_release(void *hub, size_t bytes)
{
	struct gw_fake *f = hub;
	ASSERT(f->budget_used >= bytes);
	f->budget_used -= bytes;
}

static const struct gw_transport fake_transport = {
	.reserve = f_reserve,
	.release = f_release,
	.cast = f_cast,
	.write = f_write, .close = f_close, .pause = f_pause, .set_deadline = f_set_deadline,
	.output_pending = f_output_pending, .peer = f_peer, .now = f_now, .send = f_send,
};

static struct gw_session *f_find(void *hub, uint64_t id)
{
	struct gw_fake *f = hub;
	return !f->freed && id == f->gs.id ? &f->gs : NULL;
}

void gw_fake_open(struct gw_fake *f, const struct gw_proto *proto, void *server)
{
	gw_fake_open_tls(f, proto, server, NULL, false);
}

void gw_fake_open_tls(struct gw_fake *f, const struct gw_proto *proto, void *server,
		      struct pb_tls_current *tls, bool implicit)
{
	const char *error;

	memset(f, 0, sizeof(*f));
	f->proto = proto;
	f->calls = gw_calls_create(64);
	f->now = 1000000;
	pb_buf_init(&f->out);
	f->gs = (struct gw_session){ .tr = &fake_transport, .hub = f, .conn = f, .calls = f->calls,
				     .id = 0x10007, .hub_name = proto->name, .tls_cur = tls,
				     .tls_handshake_ms = GW_FAKE_TLS_HANDSHAKE_MS };
	if (implicit && gw_tls_begin(&f->gs, &error) < 0)
		PANIC("gw_fake_open_tls: %s", error);
	f->gs.session = proto->open(&f->gs, server);
	ASSERT(f->gs.session != NULL);
}

void gw_fake_close_session(struct gw_fake *f)
{
	if (!f->session_gone)
		f->proto->close(f->gs.session);
	f->session_gone = true;
}

void gw_fake_free(struct gw_fake *f)
{
	gw_fake_close_session(f);
	gw_session_deinit(&f->gs);
	f->freed = true;
	for (size_t i = 0; i < f->n_sent; i++)
		pb_msg_free(&f->sent[i]);
	gw_calls_destroy(&f->calls);
	pb_buf_deinit(&f->out);
}

void gw_fake_input(struct gw_fake *f, const char *text)
{
	ASSERT(!f->closed);
	gw_fake_input_bytes(f, text, strlen(text));
}

void gw_fake_input_bytes(struct gw_fake *f, const void *data, size_t len)
{
	struct pb_buf in;

	pb_buf_init(&in);
	pb_buf_append(&in, data, len);
	gw_input(&f->gs, f->proto, &in);
	pb_buf_deinit(&in);
}

char *gw_fake_output(struct gw_fake *f)
{
	char *s = xmalloc(f->out.len + 1);
	if (f->out.len > 0)
		memcpy(s, f->out.data, f->out.len);
	s[f->out.len] = '\0';
	pb_buf_reset(&f->out);
	return s;
}

bool gw_fake_expect(struct gw_fake *f, const char *want)
{
	char *out = gw_fake_output(f);
	bool ok = strncmp(out, want, strlen(want)) == 0;
	if (!ok)
		fprintf(stderr, "  got: %.300s\n  want: %s\n", out, want);
	free(out);
	return ok;
}

bool gw_fake_say(struct gw_fake *f, const char *text, const char *want)
{
	gw_fake_input(f, text);
	return gw_fake_expect(f, want);
}

struct pb_msg *gw_fake_sent(struct gw_fake *f, size_t i)
{
	return i < f->n_sent ? &f->sent[i] : NULL;
}

int gw_fake_reply(struct gw_fake *f, uint64_t corr, struct pb_msg *rep)
{
	rep->corr = corr;
	int rc = gw_dispatch(f->calls, f_find, f, f->proto, rep);
	if (rc < 0)
		f->dropped++;
	pb_msg_free(rep);
	return rc;
}

void gw_fake_drain(struct gw_fake *f)
{
	f->backlog = 0;
	gw_drain(&f->gs, f->proto);
}

void gw_fake_advance(struct gw_fake *f, uint64_t ms)
{
	f->now += ms;
	gw_dispatch_expired(f->calls, f_find, f, f->now);
	if (!f->closed && f->deadline != 0 && f->now >= f->deadline) {
		f->deadline = 0;
		gw_timeout(&f->gs, f->proto);
	}
}

int gw_fake_guard(struct gw_fake *f, int type, bool blocked, bool locked)
{
	struct pb_msg rep;

	for (size_t i = f->n_sent; i > 0; i--) {
		struct pb_msg *q = &f->sent[i - 1];
		if ((int)q->type != type)
			continue;
		if (type == MSG_LOCKOUT_CHECK_IP_REQ) {
			pb_msg_init(&rep, MSG_LOCKOUT_CHECK_IP_REP);
			rep.u.lockout_check_ip_rep.error = xstrdup("");
			rep.u.lockout_check_ip_rep.blocked = blocked;
		} else if (type == MSG_LOCKOUT_INTRUSION_REQ) {
			pb_msg_init(&rep, MSG_LOCKOUT_INTRUSION_REP);
			rep.u.lockout_intrusion_rep.error = xstrdup("");
			rep.u.lockout_intrusion_rep.blocked = blocked;
		} else {
			pb_msg_init(&rep, MSG_LOCKOUT_LOGIN_REP);
			rep.u.lockout_login_rep.error = xstrdup("");
			rep.u.lockout_login_rep.blocked = blocked;
			rep.u.lockout_login_rep.locked = locked;
		}
		return gw_fake_reply(f, q->corr, &rep);
	}
	return -1;
}

void gw_fake_forget_sent(struct gw_fake *f)
{
	for (size_t i = 0; i < f->n_sent; i++)
		pb_msg_free(&f->sent[i]);
	f->n_sent = 0;
}

int gw_fake_verified(struct gw_fake *f, uint64_t corr, uint64_t user_id, const char *user)
{
	struct pb_msg rep;

	for (size_t i = f->n_sent; corr == 0 && i > 0; i--) {
		if (f->sent[i - 1].type == MSG_AUTH_USER_VERIFY_REQ)
			corr = f->sent[i - 1].corr;
	}
	if (corr == 0)
		return -1;
	if (user != NULL) {
		pb_msg_init(&rep, MSG_AUTH_USER_VERIFY_REP);
		rep.u.auth_user_verify_rep.user_id = user_id;
		rep.u.auth_user_verify_rep.user = xstrdup(user);
	} else {
		pb_msg_init(&rep, MSG_CORE_STATUS_REP);
		rep.u.core_status_rep.code = PB_ERR_AUTH;
		rep.u.core_status_rep.error = xstrdup("authentication failed");
	}
	return gw_fake_reply(f, corr, &rep);
}

int gw_fake_read_reply(struct gw_fake *f, struct pb_msg *req, const char *text, size_t total)
{
	struct msg_reader_read_req *q = &req->u.reader_read_req;
	size_t off = q->offset < total ? q->offset : total;
	size_t len = total - off < q->length ? total - off : q->length;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_READER_READ_REP);
	rep.u.reader_read_rep.error = xstrdup("");
	rep.u.reader_read_rep.size = total;
	rep.u.reader_read_rep.data.len = len;
	rep.u.reader_read_rep.data.data = xmalloc(len + 1);
	memcpy(rep.u.reader_read_rep.data.data, text + off, len);
	rep.u.reader_read_rep.eof = off + len == total;
	return gw_fake_reply(f, req->corr, &rep);
}

int gw_fake_read_many_reply(struct gw_fake *f, struct pb_msg *req, const char *text,
			    size_t total)
{
	const struct pb_rec_read_range_list *ranges = &req->u.reader_read_many_req.ranges;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_READER_READ_MANY_REP);
	rep.u.reader_read_many_rep.error = xstrdup("");
	for (uint32_t i = 0; i < ranges->n; i++) {
		size_t off = ranges->v[i].offset < total ? ranges->v[i].offset : total;
		size_t len = total - off < ranges->v[i].length ? total - off : ranges->v[i].length;
		struct pb_rec_read_part *p = pb_rec_read_part_push(&rep.u.reader_read_many_rep.parts);
		p->size = total;
		p->data.len = len;
		p->data.data = xmalloc(len + 1);
		memcpy(p->data.data, text + off, len);
		p->eof = off + len == total;
	}
	return gw_fake_reply(f, req->corr, &rep);
}
