/*
 * gw-session.c: the session skeleton (see gw-session.h).
 * OWNS: nothing. THREAD: the hub's.
 */
#include "gw-session.h"

#include "pb-log.h"

#include <stdio.h>
#include <string.h>

void gw_write(struct gw_session *gs, const void *data, size_t len)
{
	gs->tr->write(gs->conn, data, len);
}

void gw_write_str(struct gw_session *gs, const char *s)
{
	gw_write(gs, s, strlen(s));
}

void gw_close(struct gw_session *gs, bool flush)
{
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

void gw_set_deadline(struct gw_session *gs, uint64_t in_ms)
{
	gs->tr->set_deadline(gs->conn, in_ms == 0 ? 0 : gw_now(gs) + in_ms);
}

size_t gw_output_pending(struct gw_session *gs)
{
	return gs->tr->output_pending(gs->conn);
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

/* Runs a finished call's continuation if its session is still there. */
static int finish(const struct gw_call *call, gw_find_fn *find, void *hub, struct pb_msg *rep)
{
	struct gw_session *gs = find(hub, call->session_id);
	if (gs == NULL)
		return -1; /* the session closed meanwhile */
	if (gs->pending > 0) /* counted by gw_call; never fatal on a connection's path */
		gs->pending--;
	call->cont(gs->session, call->arg, rep);
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
