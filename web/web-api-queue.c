/*
 * web-api-queue.c: the REST API over the outbound queue — list a page at a time (?limit=,
 * ?after=), show one entry with its recipients, hold, release, retry, delete, flush — through
 * the CLI's client calls (queue-client.h: a broadcast over the queue's shards for the list and
 * the flush) run by web-stub.h. An administrator's only.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): QUEUE_LIST_REQ, QUEUE_OP_REQ.
 */
#include "web-api.h"

#include "pb-log.h"
#include "queue-client.h"
#include "web-stub.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An entry; its id is a decimal string: a 64-bit id is not exact as a JSON number (a double). */
static cJSON *entry_json(const struct pb_rec_queue_entry *e, bool detail)
{
	cJSON *o = cJSON_CreateObject();
	char id[24];

	snprintf(id, sizeof(id), "%" PRIu64, e->id);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "sender", e->sender);
	cJSON_AddNumberToObject(o, "arrival_ms", (double)e->arrival_ms);
	cJSON_AddNumberToObject(o, "next_ms", (double)e->next_ms);
	cJSON_AddBoolToObject(o, "held", e->held != 0);
	cJSON_AddNumberToObject(o, "size", (double)e->size);
	cJSON_AddNumberToObject(o, "rcpts", e->rcpts);
	if (detail)
		cJSON_AddStringToObject(o, "detail", e->detail);
	return o;
}

void web_rest_queue(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct pb_rec_queue_entry_list l = { 0 };
	uint64_t after, limit;
	const char *error;
	uint32_t code = 0;
	bool more = false;

	if (web_query_u64(q, "after", 0, UINT64_MAX, &after) < 0 ||
	    web_query_u64(q, "limit", QUEUE_LIST_LIMIT_DEFAULT, QUEUE_LIST_LIMIT_MAX, &limit) < 0 ||
	    limit == 0) {
		web_reply_error(ws, 400, "after must be a queue id, limit a number from 1 to 1000");
		return;
	}
	int rc = queue_client_list(t, after, (uint32_t)limit, &code, &l, &more, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *o = cJSON_CreateObject();
		cJSON *a = cJSON_AddArrayToObject(o, "entries");
		for (uint32_t i = 0; i < l.n; i++)
			cJSON_AddItemToArray(a, entry_json(&l.v[i], false));
		cJSON_AddBoolToObject(o, "more", more);
		web_reply_json(ws, 200, o, NULL);
	}
	pb_rec_queue_entry_list_clear(&l);
}

/* The {name} segment as a queue id: 0 (answered 400) when it is not one. */
static uint64_t queue_id(struct web_session *ws)
{
	char *end;
	uint64_t id = strtoull(ws->arg, &end, 10);

	if (ws->arg[0] < '0' || ws->arg[0] > '9' || *end != '\0' || id == 0) {
		web_reply_error(ws, 400, "not a queue id");
		return 0;
	}
	return id;
}

void web_rest_queue_entry(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct pb_rec_queue_entry_list l = { 0 };
	const char *error;
	uint32_t code = 0;
	uint64_t id = queue_id(ws);

	if (id == 0)
		return;
	int rc = queue_client_show(t, id, &code, &l, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		if (l.n == 0)
			web_reply_error(ws, 404, "no such queue entry");
		else
			web_reply_json(ws, 200, entry_json(&l.v[0], true), NULL);
	}
	pb_rec_queue_entry_list_clear(&l);
}

/* QUEUE_OP_REQ op on the {name} entry (id 0: flush, every shard); answers 204. */
static void queue_op(struct web_session *ws, struct pb_sync *t, const char *op, bool flush)
{
	const char *error;
	uint32_t code = 0;
	uint64_t id = flush ? 0 : queue_id(ws);

	if (!flush && id == 0)
		return;
	int rc = queue_client_op(t, op, id, &code, &error);
	if (web_stub_failed(ws, rc, code, error))
		return;
	pb_info("web", "event=queue_%s id=%llu by=%s", op, (unsigned long long)id,
		PB_LOGQ(ws->who.user));
	web_reply_json(ws, 204, NULL, NULL);
}

void web_rest_queue_hold(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	queue_op(ws, t, "hold", false);
}

void web_rest_queue_release(struct web_session *ws, const struct http_request *q,
			    struct pb_sync *t)
{
	queue_op(ws, t, "release", false);
}

void web_rest_queue_retry(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	queue_op(ws, t, "retry", false);
}

void web_rest_queue_delete(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	queue_op(ws, t, "delete", false);
}

void web_rest_queue_flush(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	queue_op(ws, t, "flush", true);
}
