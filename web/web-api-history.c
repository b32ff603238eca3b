/*
 * web-api-history.c: the one timeline of every history over REST (sys-timeline.h) —
 * GET /api/history (?limit=N, 1..200 of each kind, merged newest first): every change with its
 * kind and point ("12" settings, "d3" directory, "c2" collector, "s5" connection, "b1" block,
 * "k1" API key), who, when, the record before and after (never a secret); POST
 * /api/history/{point}/rollback-to: every kind's changes after that point rolled back, newest
 * first, by web:USER (refused with which record and why); POST /api/history/{point}/rollback:
 * one change of a collector, connection method or block undone alone (settings and directory
 * changes: their own endpoints); POST /api/history/checkpoint
 * ({"note": "..."}): a checkpoint on the timeline. The older /api/settings-history and
 * /api/directory-history stay. An administrator's.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): SYS_SETTING_HISTORY_REQ, DIR_HISTORY_REQ, SYS_CHECKPOINT_REQ
 * and what a rollback sends (sys-timeline.c).
 */
#include "web-api.h"

#include "pb-alloc.h"
#include "sys-client.h"
#include "sys-timeline.h"
#include "web-stub.h"

#include <stdio.h>
#include <stdlib.h>

static cJSON *timeline_json(const struct sys_timeline *tl, size_t limit)
{
	cJSON *a = cJSON_CreateArray();
	char point[32];

	for (size_t i = 0; i < tl->n && i < limit; i++) {
		cJSON *o = web_history_change_json(tl->v[i].c);
		snprintf(point, sizeof(point), "%s%llu", sys_timeline_kind_prefix(tl->v[i].kind),
			 (unsigned long long)tl->v[i].c->seq);
		cJSON_AddStringToObject(o, "point", point);
		cJSON_AddStringToObject(o, "kind", tl->v[i].c->doc[0] != '\0' || tl->v[i].kind != 0
							   ? sys_timeline_kind_name(tl->v[i].kind)
							   : "checkpoint");
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void history_run(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct sys_timeline tl;
	uint64_t limit;
	uint32_t code = 0;
	const char *error;

	if (web_query_u64(q, "limit", 50, SYS_HISTORY_PAGE, &limit) < 0 || limit == 0) {
		web_reply_error(ws, 400, "limit is 1 to 200");
		return;
	}
	int rc = sys_timeline_read(t, (uint32_t)limit, &tl, &code, &error);
	if (web_stub_failed(ws, rc, code, error))
		return;
	web_reply_json(ws, 200, timeline_json(&tl, (size_t)limit), NULL);
	sys_timeline_free(&tl);
}

void web_api_history(struct web_session *ws, const struct http_request *q)
{
	web_stub_run(ws, q, history_run);
}

/* Rolls back everything after point ws->arg (all) or that one change (cN, sN, bN); answers
 * {"changed": N}. */
static void rollback_run(struct web_session *ws, struct pb_sync *t, bool all)
{
	char kind, *why = NULL;
	uint64_t seq;
	uint32_t code = 0, changed = 1;
	const char *error;

	if (sys_timeline_point(ws->arg, &kind, &seq) < 0) {
		web_reply_error(ws, 400, all ? "a point is N, dN, cN, sN, bN or kN (GET /api/history)"
					     : "a change is cN, sN or bN (GET /api/history)");
		return;
	}
	char *by = xasprintf("web:%s", ws->who.user);
	int rc = all ? sys_timeline_rollback_to(t, kind, seq, by, &code, &changed, &why, &error)
		     : sys_timeline_rollback_one(t, kind, seq, by, &code, &why, &error);
	free(by);
	if (!web_stub_failed(ws, rc, code, why != NULL ? why : error)) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "changed", changed);
		web_reply_json(ws, 200, o, NULL);
	}
	free(why);
}

static void rollback_to_run(struct web_session *ws, const struct http_request *q,
			    struct pb_sync *t)
{
	rollback_run(ws, t, true);
}

void web_api_history_rollback_to(struct web_session *ws, const struct http_request *q)
{
	web_stub_run(ws, q, rollback_to_run);
}

static void rollback_one_run(struct web_session *ws, const struct http_request *q,
			     struct pb_sync *t)
{
	rollback_run(ws, t, false);
}

void web_api_history_rollback(struct web_session *ws, const struct http_request *q)
{
	web_stub_run(ws, q, rollback_one_run);
}

static void checkpoint_run(struct web_session *ws, const struct http_request *q,
			   struct pb_sync *t)
{
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	const cJSON *note = cJSON_GetObjectItemCaseSensitive(in, "note");
	uint32_t code = 0;
	uint64_t seq = 0;
	const char *error;

	if (q->body.len > 0 && (!cJSON_IsObject(in) || (note != NULL && !cJSON_IsString(note)))) {
		cJSON_Delete(in);
		web_reply_error(ws, 400, "the body is {\"note\": \"...\"}");
		return;
	}
	char *by = xasprintf("web:%s", ws->who.user);
	int rc = sys_client_checkpoint(t, cJSON_IsString(note) ? note->valuestring : "", by, &code,
				       &seq, &error);
	free(by);
	cJSON_Delete(in);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *o = cJSON_CreateObject();
		char point[24];
		snprintf(point, sizeof(point), "%llu", (unsigned long long)seq);
		cJSON_AddStringToObject(o, "point", point);
		web_reply_json(ws, 201, o, NULL);
	}
}

void web_api_history_checkpoint(struct web_session *ws, const struct http_request *q)
{
	web_stub_run(ws, q, checkpoint_run);
}
