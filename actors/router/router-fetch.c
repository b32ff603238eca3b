/*
 * router-fetch.c: replies to the collectors' too-big notices (see router-fetch.h).
 * OWNS: nothing. THREAD: the router shard's.
 */
#include "router-fetch.h"

#include "collector-client.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "router-client.h"

#include <stdio.h>
#include <string.h>

/* How long the collector may take to mark a reply's message requested. */
#define ROUTER_FETCH_MS 10000

/* Whether rcpt is a reply address at a local domain: true with its token. */
static bool is_reply(const struct router_records *r, const char *rcpt, char *token)
{
	const char *at = strrchr(rcpt, '@');
	char local[80];

	if (at == NULL || (size_t)(at - rcpt) >= sizeof(local))
		return false;
	snprintf(local, sizeof(local), "%.*s", (int)(at - rcpt), rcpt);
	return router_plan_is_local(r, rcpt) && collector_fetch_address(local, token);
}

/* Hands one reply to the collector: 0 with its trace line pushed, -1 no answer. */
static int hand_over(struct pb_actor *a, const char *rcpt, const char *token, uint64_t user_id,
		     const char *sender, struct pb_strv *trace_r, const char **error_r)
{
	struct pb_sync t;
	uint32_t code;
	const char *why = "";
	char line[ROUTER_PLAN_TRACE_LINE_MAX];

	pb_sync_init_caller(&t, pb_actor_caller(a), ROUTER_FETCH_MS);
	if (collector_client_reply(&t, token, user_id, &code, &why) < 0)
		return *error_r = "the collector did not answer a reply to a too-big notice", -1;
	if (code == PB_ERR_TEMP || code == PB_ERR_INTERNAL)
		return *error_r = why, -1;
	if (code == PB_OK)
		snprintf(line, sizeof(line), "%s%s: a reply to a too-big notice from %s: the "
			 "message is asked for, the collector runs now", ROUTER_TRACE_CONSUMED, rcpt,
			 sender);
	else
		snprintf(line, sizeof(line), "%s%s: a reply to a too-big notice from %s refused: "
			 "%s", ROUTER_TRACE_CONSUMED, rcpt, sender, why);
	pb_strv_push(trace_r, line);
	if (code != PB_OK)
		pb_warn("router", "event=fetch_reply_refused rcpt=%s sender=%s reason=%s",
			PB_LOGQ(rcpt), PB_LOGQ(sender), PB_LOGQ(why));
	return 0;
}

int router_fetch_take(struct pb_actor *a, const struct router_records *r, const char *sender,
		      uint8_t origin, char **rcpts, uint64_t *ids, size_t *n_io,
		      struct pb_strv *trace_r, const char **error_r)
{
	char token[COLLECTOR_FETCH_TOKEN_SIZE];
	size_t kept = 0;
	int rc = 0;

	/* only an authenticated client or a relay network speaks for the account it names */
	uint64_t user_id = origin == PB_ORIGIN_LOCAL && sender != NULL
				   ? router_plan_account_of(r, sender)
				   : 0;
	for (size_t i = 0; i < *n_io; i++) {
		if (rc == 0 && is_reply(r, rcpts[i], token)) {
			rc = hand_over(a, rcpts[i], token, user_id, sender != NULL ? sender : "",
				       trace_r, error_r);
			free(rcpts[i]);
			continue;
		}
		if (ids != NULL)
			ids[kept] = ids[i];
		rcpts[kept++] = rcpts[i];
	}
	*n_io = kept;
	return rc;
}
