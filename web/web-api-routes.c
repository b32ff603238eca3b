/*
 * web-api-routes.c: the REST API over the routing records the directory owns — mappings,
 * aliases (mappings whose target is an account) and distribution lists with their members —
 * each through the CLI's own client call (directory-client-routes.h) run by web-stub.h.
 * The directory checks every value; these only shape requests and answers.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): DIR_MAP_SET_REQ, DIR_MAP_LIST_REQ, DIR_DLIST_SET_REQ,
 * DIR_DLIST_LIST_REQ.
 */
#include "web-api.h"

#include "directory-client-routes.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "web-stub.h"

#include <stdlib.h>
#include <string.h>

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static cJSON *maps_json(const struct pb_rec_route_map_list *maps)
{
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = 0; i < maps->n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "address", maps->v[i].address);
		cJSON_AddStringToObject(o, "target", maps->v[i].target);
		cJSON_AddStringToObject(o, "type", maps->v[i].type);
		cJSON_AddStringToObject(o, "collector", maps->v[i].collector);
		cJSON_AddStringToObject(o, "comment", maps->v[i].comment);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* The mappings to target ("": all), paged by address. */
static void answer_maps(struct web_session *ws, const struct http_request *q, struct pb_sync *t,
			const char *target)
{
	struct pb_rec_route_map_list maps = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_map_list(t, target, &code, &maps, &error);
	if (!web_stub_failed(ws, rc, code, error))
		web_reply_page(ws, q, maps_json(&maps), "address");
	pb_rec_route_map_list_clear(&maps);
}

void web_rest_mappings(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	char *target = web_query_get(q, "target");
	answer_maps(ws, q, t, or_empty(target));
	free(target);
}

/* Adds (del false) or removes a mapping of address to target; answers ok. */
static void map_set(struct web_session *ws, struct pb_sync *t, bool del, const char *address,
		    const char *target, const cJSON *in, int ok)
{
	const char *error, *type = web_body_str(in, "type"), *comment = web_body_str(in, "comment");
	const char *collector = web_body_str(in, "collector");
	uint32_t code = 0;

	if (address == NULL || target == NULL || address[0] == '\0' || target[0] == '\0') {
		web_reply_error(ws, 400, del ? "give ?address= (and ?target= for a mapping)"
					     : "the body needs \"address\" (and \"target\")");
		return;
	}
	int rc = directory_client_map_set(t, del, address, target,
					  del ? "" : (type != NULL ? type : "always"),
					  del ? NULL : or_empty(collector),
					  del ? NULL : or_empty(comment), &code, &error);
	if (web_stub_failed(ws, rc, code, error))
		return;
	pb_info("web", "event=mapping_%s address=%s target=%s by=%s", del ? "deleted" : "added",
		PB_LOGQ(address), PB_LOGQ(target), PB_LOGQ(ws->who.user));
	web_reply_json(ws, ok, NULL, NULL);
}

void web_rest_mapping_add(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	map_set(ws, t, false, web_body_str(in, "address"), web_body_str(in, "target"), in, 201);
	cJSON_Delete(in);
}

void web_rest_mapping_del(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	char *address = web_query_get(q, "address"), *target = web_query_get(q, "target");
	map_set(ws, t, true, address, target, NULL, 204);
	free(address);
	free(target);
}

void web_rest_aliases(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	answer_maps(ws, q, t, ws->arg);
}

void web_rest_alias_add(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	map_set(ws, t, false, web_body_str(in, "address"), ws->arg, in, 201);
	cJSON_Delete(in);
}

void web_rest_alias_del(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	char *address = web_query_get(q, "address");
	map_set(ws, t, true, address, ws->arg, NULL, 204);
	free(address);
}

/* ---- distribution lists ---- */

static cJSON *lists_json(const struct pb_rec_route_list_list *lists)
{
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = 0; i < lists->n; i++) {
		const struct pb_rec_route_list *l = &lists->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", l->name);
		cJSON_AddBoolToObject(o, "internet", l->internet != 0);
		cJSON_AddStringToObject(o, "comment", l->comment);
		cJSON *m = cJSON_AddArrayToObject(o, "members");
		for (uint32_t k = 0; k < l->members.n; k++)
			cJSON_AddItemToArray(m, cJSON_CreateString(l->members.v[k]));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* Every list (name NULL) paged by name, or one list's object. */
static void answer_lists(struct web_session *ws, const struct http_request *q, struct pb_sync *t,
			 const char *name)
{
	struct pb_rec_route_list_list lists = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_dlist_list(t, or_empty(name), &code, &lists, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		web_reply_one_or_page(ws, q, lists_json(&lists), name != NULL, "name",
				      "no such list");
	}
	pb_rec_route_list_list_clear(&lists);
}

void web_rest_lists(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	answer_lists(ws, q, t, NULL);
}

void web_rest_list(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	answer_lists(ws, q, t, ws->arg);
}

/* DIR_DLIST_SET_REQ op on list name; answers ok. */
static void dlist_set(struct web_session *ws, struct pb_sync *t, const char *op, const char *name,
		      const char *member, bool internet, const char *comment, int ok)
{
	const char *error;
	uint32_t code = 0;

	if (name == NULL || name[0] == '\0' || member == NULL) {
		web_reply_error(ws, 400, strcmp(op, "add") == 0 ? "the body needs \"name\""
								: "give the member's address");
		return;
	}
	int rc = directory_client_dlist_set(t, op, name, member, internet, comment, &code, &error);
	if (web_stub_failed(ws, rc, code, error))
		return;
	pb_info("web", "event=list_%s list=%s member=%s by=%s", op, PB_LOGQ(name), PB_LOGQ(member),
		PB_LOGQ(ws->who.user));
	web_reply_json(ws, ok, NULL, NULL);
}

void web_rest_list_add(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	bool internet = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "internet"));
	dlist_set(ws, t, "add", web_body_str(in, "name"), "", internet,
		  or_empty(web_body_str(in, "comment")), 201);
	cJSON_Delete(in);
}

void web_rest_list_del(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	dlist_set(ws, t, "del", ws->arg, "", false, "", 204);
}

void web_rest_member_add(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const char *address = web_body_str(in, "address");
	dlist_set(ws, t, "addmember", ws->arg, address != NULL && address[0] ? address : NULL,
		  false, "", 201);
	cJSON_Delete(in);
}

void web_rest_member_del(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	char *address = web_query_get(q, "address");
	dlist_set(ws, t, "delmember", ws->arg, address != NULL && address[0] ? address : NULL,
		  false, "", 204);
	free(address);
}

/* ---- h-adm10b: a list's properties ---- */

/* The PATCH body's "internet" (boolean) and "comment" (string) over the list's own: 0, or -1
 * with *error_r (a member of another type, or neither given). */
static int list_patch_of(const cJSON *in, const struct pb_rec_route_list *l, bool *internet_r,
			 const char **comment_r, const char **error_r)
{
	const cJSON *inet = cJSON_GetObjectItemCaseSensitive(in, "internet");
	const cJSON *comment = cJSON_GetObjectItemCaseSensitive(in, "comment");

	*error_r = "give \"internet\" (a boolean) or \"comment\" (a string)";
	if ((inet == NULL && comment == NULL) || (inet != NULL && !cJSON_IsBool(inet)) ||
	    (comment != NULL && !cJSON_IsString(comment)))
		return -1;
	*internet_r = inet != NULL ? cJSON_IsTrue(inet) : l->internet != 0;
	*comment_r = comment != NULL ? comment->valuestring : l->comment;
	return 0;
}

void web_rest_list_patch(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct pb_rec_route_list_list lists = { 0 };
	cJSON *in = web_body_object(q);
	const char *error, *comment;
	uint32_t code = 0;
	bool internet;

	int rc = directory_client_dlist_list(t, ws->arg, &code, &lists, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		if (lists.n != 1 || list_patch_of(in, &lists.v[0], &internet, &comment, &error) < 0)
			web_reply_error(ws, lists.n != 1 ? 404 : 400,
					lists.n != 1 ? "no such list" : error);
		else
			dlist_set(ws, t, "set", ws->arg, "", internet, comment, 204);
	}
	pb_rec_route_list_list_clear(&lists);
	cJSON_Delete(in);
}
