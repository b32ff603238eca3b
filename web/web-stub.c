/*
 * web-stub.c: synchronous client stubs run by replay from the web hub (see web-stub.h).
 * OWNS: each session's replies under way. THREAD: the web hub's.
 * MESSAGES sent: whatever request the stubs build (gw_call, routed by owner).
 */
#include "web-stub.h"

#include "pb-alloc.h"
#include "web-api.h"
#include "web-rest.h"

#include <string.h>

struct web_stub {
	struct web_session *ws;
	web_stub_fn *fn;
	struct pb_msg reps[WEB_STUB_CALLS_MAX]; /* the replies received, in call order */
	uint32_t n;
	uint32_t used; /* replies the current run has taken */
	bool waits;    /* the current run sent a request and stopped */
	struct pb_sync t;
};

static void stub_clear(struct web_stub *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		pb_msg_free(&s->reps[i]);
	s->n = s->used = 0;
	s->waits = false;
}

void web_stub_free(struct web_stub **sp)
{
	if (*sp == NULL)
		return;
	stub_clear(*sp);
	free(*sp);
	*sp = NULL;
}

bool web_stub_waits(const struct web_session *ws)
{
	return ws->stub != NULL && ws->stub->waits;
}

static void run(struct web_stub *s)
{
	s->used = 0;
	s->waits = false;
	s->fn(s->ws, http_reader_request(s->ws->reader), &s->t);
	if (!s->waits)
		stub_clear(s); /* answered: the replies are not needed any more */
}

static void on_answer(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct web_stub *s = ws->stub;

	if (m == NULL) {
		stub_clear(s);
		web_reply_error(ws, 503, "no answer in time, try again later");
		return;
	}
	if (pb_msg_copy(m, &s->reps[s->n]) < 0) {
		stub_clear(s);
		web_reply_error(ws, 500, "an answer too large");
		return;
	}
	s->n++;
	run(s);
}

/* struct pb_sync's call(): the recorded reply, or the request sent and the run stopped. */
static int stub_call(void *ctx, struct pb_msg *req, struct pb_msg *rep_r, uint32_t timeout_ms,
		     const char **error_r)
{
	struct web_stub *s = ctx;

	if (s->used < s->n) {
		if (pb_msg_copy(&s->reps[s->used++], rep_r) < 0)
			return *error_r = "an answer too large", -1;
		return 0;
	}
	if (s->waits)
		return *error_r = "waiting for an answer", -1;
	if (s->n == WEB_STUB_CALLS_MAX)
		return *error_r = "too many calls for one request", -1;
	if (gw_call(s->ws->gs, NULL, req, on_answer, 0, WEB_CALL_TIMEOUT_MS, error_r) < 0)
		return -1;
	s->waits = true;
	s->ws->waiting = true;
	*error_r = "waiting for an answer";
	return -1;
}

void web_stub_run(struct web_session *ws, const struct http_request *q, web_stub_fn *fn)
{
	if (ws->stub == NULL) {
		ws->stub = xcalloc(1, sizeof(*ws->stub));
		ws->stub->ws = ws;
		ws->stub->t = (struct pb_sync){ .call = stub_call, .ctx = ws->stub,
						.timeout_ms = WEB_CALL_TIMEOUT_MS };
	}
	stub_clear(ws->stub);
	ws->stub->fn = fn;
	run(ws->stub);
}

bool web_stub_failed(struct web_session *ws, int rc, uint32_t code, const char *error)
{
	if (rc < 0) {
		if (!web_stub_waits(ws))
			web_reply_busy(ws);
		return true;
	}
	if (code != PB_OK) {
		web_reply_error(ws, web_status_of(code, 200), error);
		return true;
	}
	return false;
}

/* The route table's handlers (web-rest.h): each runs its endpoint's stub function. */
#define WEB_REST_DEFINE(fn)                                                                \
	void fn##_route(struct web_session *ws, const struct http_request *q)              \
	{                                                                                  \
		web_stub_run(ws, q, fn);                                                   \
	}
WEB_REST_ENDPOINTS(WEB_REST_DEFINE)
