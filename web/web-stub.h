/*
 * web-stub.h: the CLI's synchronous client stubs (struct pb_sync, pb-client.h) called from the
 * web hub without blocking it, so every REST endpoint over an object the CLI manages reuses
 * the CLI's own client call (the request it builds, the answer it decodes) rather than a copy.
 *
 * How (a replay): a handler's run calls stubs through a struct pb_sync whose call() answers
 * from the replies this request already received, in order; at the first call that has no
 * reply yet it sends the request (gw_call: never waiting) and fails, and the run stops
 * (web_stub_waits). When that reply comes the run starts again from the beginning and gets
 * one call further. A run makes the same calls given the same replies (stubs only build and
 * decode messages), so a broadcast to N shards or several calls in a row cost N runs of cheap
 * code, and the hub never blocks. At most WEB_STUB_CALLS_MAX calls per request.
 *
 * OWNS: the replies of the request under way (copies). THREAD: the web hub's.
 */
#ifndef WEB_STUB_H
#define WEB_STUB_H

#include "pb-client.h"
#include "web-session.h"

#define WEB_STUB_CALLS_MAX 64

/* A handler's run: calls stubs through t, then answers the request (web_reply_*) — except
 * when a stub failed and web_stub_waits(ws): then it returns at once without answering (it
 * will run again). It must not keep anything between runs but what it answers. */
typedef void web_stub_fn(struct web_session *ws, const struct http_request *q,
			 struct pb_sync *t);

/* Runs fn for the request under way (a route's handler calls it). */
void web_stub_run(struct web_session *ws, const struct http_request *q, web_stub_fn *fn);
/* Whether the run stopped at a call whose answer is awaited (its stub returned -1 for that). */
bool web_stub_waits(const struct web_session *ws);
/* Frees the state (the session's end). */
void web_stub_free(struct web_stub **s);

/* Answers a stub's outcome when it is not a success: rc -1 (no answer: 503, or nothing when
 * the run waits) or a code other than PB_OK (web_status_of, with the owner's reason). Returns
 * true when it answered (or the run waits), false for a success the caller answers. */
bool web_stub_failed(struct web_session *ws, int rc, uint32_t code, const char *error);

#endif
