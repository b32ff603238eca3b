/*
 * web-api-connectors.c: the REST API over the mail connectors — connection methods and their
 * schedules (list, show, add, change, delete, pause, resume, connect now, hang up: scheduler-client.h)
 * and mail collectors (list, show, add, change, delete, run now: collector-client.h) — through
 * the CLI's client calls run by web-stub.h. An administrator's only.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): SCHED_ADD_REQ, SCHED_SET_REQ, SCHED_DEL_REQ, SCHED_LIST_REQ,
 * SCHED_CONTROL_REQ, COLLECTOR_OP_REQ, COLLECTOR_LIST_REQ, COLLECTOR_RUN_REQ.
 */
#include "web-api.h"

#include "collector-client.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "sched-calc.h"
#include "scheduler-client.h"
#include "scheduler-json.h"
#include "web-stub.h"

#include <stdlib.h>
#include <string.h>

/* Every method (name NULL, paged) or one. */
static void answer_methods(struct web_session *ws, const struct http_request *q,
			   struct pb_sync *t, const char *name)
{
	struct pb_rec_sched_method_list l = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = scheduler_client_list(t, name != NULL ? name : "", &code, &l, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *a = cJSON_CreateArray();
		for (uint32_t i = 0; i < l.n; i++)
			cJSON_AddItemToArray(a, scheduler_method_json(&l.v[i]));
		web_reply_one_or_page(ws, q, a, name != NULL, "name", "no such connection method");
	}
	pb_rec_sched_method_list_clear(&l);
}

void web_rest_connections(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	answer_methods(ws, q, t, NULL);
}

void web_rest_connection(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	answer_methods(ws, q, t, ws->arg);
}

/* A number member within [lo, hi] into *v_r (dflt when absent): 0, or -1 out of range. */
static int num_member(const cJSON *in, const char *name, uint32_t lo, uint32_t hi, uint32_t dflt,
		      uint32_t *v_r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);

	*v_r = dflt;
	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
		return -1;
	*v_r = (uint32_t)v->valuedouble;
	return 0;
}

/* The schedule of a connection's body (the CLI's defaults: every 10 minutes, all day, every
 * day) into r: 0, or -1 with *error_r. */
static int rule_of(const cJSON *in, struct pb_rec_sched_rule *r, const char **error_r)
{
	const char *from = web_body_str(in, "from"), *to = web_body_str(in, "to");
	const char *days = web_body_str(in, "days");
	uint16_t f = 0, tt = 0;
	uint8_t d = SCHED_DAYS_ALL;

	*r = (struct pb_rec_sched_rule){ 0 };
	if (num_member(in, "every_min", 1, SCHED_EVERY_MAX, 10, &r->every_min) < 0 ||
	    num_member(in, "min_waiting", 0, SCHED_WAITING_MAX, 0, &r->min_waiting) < 0)
		return *error_r = "every_min or min_waiting out of range", -1;
	if ((from == NULL) != (to == NULL) ||
	    (from != NULL && (sched_parse_hhmm(from, &f) < 0 || sched_parse_hhmm(to, &tt) < 0)))
		return *error_r = "\"from\" and \"to\" go together, as HH:MM", -1;
	if (days != NULL && sched_parse_days(days, &d, error_r) < 0)
		return -1;
	r->from_min = f;
	r->to_min = tt;
	r->days = d;
	return 0;
}

/* The body's "collectors" (an array of names) into coll: 0, or -1. */
static int collectors_of(const cJSON *in, struct pb_strv *coll)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(in, "collectors"), *c;

	if (a == NULL)
		return 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > 64)
		return -1;
	cJSON_ArrayForEach(c, a) {
		if (!cJSON_IsString(c))
			return -1;
		pb_strv_push(coll, c->valuestring);
	}
	return 0;
}

void web_rest_connection_add(struct web_session *ws, const struct http_request *q,
			     struct pb_sync *t)
{
	struct pb_rec_sched_rule_list rules = { 0 };
	struct pb_strv coll = { 0 };
	cJSON *in = web_body_object(q);
	const char *name = web_body_str(in, "name"), *error = "the body needs \"name\"";
	const cJSON *send = cJSON_GetObjectItemCaseSensitive(in, "send");
	uint32_t code = 0;

	if (name == NULL || (send != NULL && !cJSON_IsBool(send)) ||
	    rule_of(in, pb_rec_sched_rule_push(&rules), &error) < 0 ||
	    collectors_of(in, &coll) < 0) {
		web_reply_error(ws, 400, error);
	} else {
		int rc = scheduler_client_add(t, name, send == NULL || cJSON_IsTrue(send), &coll,
					      &rules, &code, &error);
		if (!web_stub_failed(ws, rc, code, error))
			web_reply_json(ws, 201, NULL, NULL);
	}
	pb_rec_sched_rule_list_clear(&rules);
	pb_strv_clear(&coll);
	cJSON_Delete(in);
}

void web_rest_connection_del(struct web_session *ws, const struct http_request *q,
			     struct pb_sync *t)
{
	const char *error;
	uint32_t code = 0;

	int rc = scheduler_client_del(t, ws->arg, &code, &error);
	if (!web_stub_failed(ws, rc, code, error))
		web_reply_json(ws, 204, NULL, NULL);
}

static void control(struct web_session *ws, struct pb_sync *t, uint8_t what)
{
	const char *error;
	uint32_t code = 0;

	int rc = scheduler_client_control(t, ws->arg, what, &code, &error);
	if (!web_stub_failed(ws, rc, code, error))
		web_reply_json(ws, 204, NULL, NULL);
}

void web_rest_connection_pause(struct web_session *ws, const struct http_request *q,
			       struct pb_sync *t)
{
	control(ws, t, SCHED_CONTROL_PAUSE);
}

void web_rest_connection_resume(struct web_session *ws, const struct http_request *q,
				struct pb_sync *t)
{
	control(ws, t, SCHED_CONTROL_RESUME);
}

void web_rest_connection_now(struct web_session *ws, const struct http_request *q,
			     struct pb_sync *t)
{
	control(ws, t, SCHED_CONTROL_NOW);
}

void web_rest_connection_hangup(struct web_session *ws, const struct http_request *q,
				struct pb_sync *t)
{
	control(ws, t, SCHED_CONTROL_HANGUP);
}

/* ---- mail collectors ---- */

static void answer_collectors(struct web_session *ws, const struct http_request *q,
			      struct pb_sync *t, const char *name)
{
	struct pb_strv items = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = collector_client_list(t, name != NULL ? name : "", &code, &items, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *a = cJSON_CreateArray();
		for (uint32_t i = 0; i < items.n; i++) {
			cJSON *o = cJSON_Parse(items.v[i]);
			if (cJSON_IsObject(o))
				cJSON_AddItemToArray(a, o);
			else
				cJSON_Delete(o);
		}
		web_reply_one_or_page(ws, q, a, name != NULL, "name", "no such collector");
	}
	pb_strv_clear(&items);
}

void web_rest_collectors(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	answer_collectors(ws, q, t, NULL);
}

void web_rest_collector(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	answer_collectors(ws, q, t, ws->arg);
}

/* The object in's members as "key=value" arguments (strings, numbers, booleans): 0 / -1. */
static int settings_args(const cJSON *in, struct pb_strv *args)
{
	const cJSON *v;

	if (!cJSON_IsObject(in) || cJSON_GetArraySize(in) > 40)
		return -1;
	cJSON_ArrayForEach(v, in) {
		char *arg;
		if (cJSON_IsString(v))
			arg = xasprintf("%s=%s", v->string, v->valuestring);
		else if (cJSON_IsNumber(v))
			arg = xasprintf("%s=%.0f", v->string, v->valuedouble);
		else if (cJSON_IsBool(v))
			arg = xasprintf("%s=%s", v->string, cJSON_IsTrue(v) ? "true" : "false");
		else
			return -1;
		pb_strv_push(args, arg);
		free(arg);
	}
	return 0;
}

/* COLLECTOR_OP_REQ op on name with settings (may be NULL); answers ok. */
static void collector_op(struct web_session *ws, struct pb_sync *t, const char *op,
			 const char *name, const cJSON *settings, int ok)
{
	struct pb_strv args = { 0 };
	const char *error;
	uint32_t code = 0;

	if (name == NULL || (settings != NULL && settings_args(settings, &args) < 0)) {
		web_reply_error(ws, 400, "give the collector's \"name\" and its settings as an "
					 "object of strings, numbers and booleans");
	} else {
		int rc = collector_client_op(t, op, name, (const char *const *)args.v, args.n,
					     &code, &error);
		if (!web_stub_failed(ws, rc, code, error)) {
			pb_info("web", "event=collector_%s name=%s by=%s", op, PB_LOGQ(name),
				PB_LOGQ(ws->who.user));
			web_reply_json(ws, ok, NULL, NULL);
		}
	}
	pb_strv_clear(&args);
}

void web_rest_collector_add(struct web_session *ws, const struct http_request *q,
			    struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const cJSON *settings = cJSON_GetObjectItemCaseSensitive(in, "settings");
	collector_op(ws, t, "add", web_body_str(in, "name"), settings, 201);
	cJSON_Delete(in);
}

void web_rest_collector_set(struct web_session *ws, const struct http_request *q,
			    struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	collector_op(ws, t, "set", in != NULL ? ws->arg : NULL, in, 204);
	cJSON_Delete(in);
}

void web_rest_collector_del(struct web_session *ws, const struct http_request *q,
			    struct pb_sync *t)
{
	collector_op(ws, t, "del", ws->arg, NULL, 204);
}

void web_rest_collector_run(struct web_session *ws, const struct http_request *q,
			    struct pb_sync *t)
{
	struct collector_client_result res = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = collector_client_run(t, ws->arg, 0, &code, &res, &error);
	if (web_stub_failed(ws, rc, code, error))
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "fetched", res.fetched);
	cJSON_AddNumberToObject(o, "too_big", res.too_big);
	cJSON_AddNumberToObject(o, "deleted", res.deleted);
	cJSON_AddNumberToObject(o, "waiting", res.waiting);
	web_reply_json(ws, 200, o, NULL);
}

/* ---- h-adm10b: changing a connection method and its schedule ---- */

/* The members a connection's PATCH takes; the rule's own (every_min ... min_waiting) change
 * its first rule, "rules" replaces them all. */
static const char *const patch_members[] = { "send", "collectors", "rules", "every_min", "from",
					     "to", "days", "min_waiting" };
#define PATCH_RULE_FIRST 3 /* patch_members[3..]: a rule's */

/* -1 when in has a member PATCH does not take (or is no object). */
static int patch_members_known(const cJSON *in)
{
	const cJSON *v;

	if (!cJSON_IsObject(in) || cJSON_GetArraySize(in) == 0)
		return -1;
	cJSON_ArrayForEach(v, in) {
		size_t i = 0;
		while (i < PB_N_ELEMENTS(patch_members) && strcmp(v->string, patch_members[i]) != 0)
			i++;
		if (i == PB_N_ELEMENTS(patch_members))
			return -1;
	}
	return 0;
}

/* The body's "rules" (an array of 1..8 rule objects) into rules: 0, or -1 with *error_r. */
static int rules_of(const cJSON *a, struct pb_rec_sched_rule_list *rules, const char **error_r)
{
	const cJSON *r;

	*error_r = "\"rules\" is an array of 1 to 8 objects";
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 ||
	    cJSON_GetArraySize(a) > SCHED_RULES_MAX)
		return -1;
	cJSON_ArrayForEach(r, a) {
		if (!cJSON_IsObject(r) || rule_of(r, pb_rec_sched_rule_push(rules), error_r) < 0)
			return -1;
	}
	return 0;
}

/* The first rule changed by the body's rule members (the others as they are). 0 / -1. */
static int first_rule_patched(const cJSON *in, struct pb_rec_sched_rule *r, const char **error_r)
{
	cJSON *merged = scheduler_rule_json(r);

	for (size_t i = PATCH_RULE_FIRST; i < PB_N_ELEMENTS(patch_members); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, patch_members[i]);
		if (v != NULL)
			cJSON_ReplaceItemInObjectCaseSensitive(merged, patch_members[i],
							       cJSON_Duplicate(v, 1));
	}
	int rc = rule_of(merged, r, error_r);
	cJSON_Delete(merged);
	return rc;
}

/* Method m with the PATCH body over it, into *send_r, coll, rules: 0, or -1 with *error_r. */
static int method_patched(const cJSON *in, const struct pb_rec_sched_method *m, bool *send_r,
			  struct pb_strv *coll, struct pb_rec_sched_rule_list *rules,
			  const char **error_r)
{
	const cJSON *send = cJSON_GetObjectItemCaseSensitive(in, "send");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(in, "rules");

	*error_r = "\"send\" is a boolean and \"collectors\" an array of at most 64 names";
	if ((send != NULL && !cJSON_IsBool(send)) || collectors_of(in, coll) < 0)
		return -1;
	*send_r = send != NULL ? cJSON_IsTrue(send) : m->send != 0;
	if (cJSON_GetObjectItemCaseSensitive(in, "collectors") == NULL) {
		for (uint32_t i = 0; i < m->collectors.n; i++)
			pb_strv_push(coll, m->collectors.v[i]);
	}
	if (a != NULL)
		return rules_of(a, rules, error_r);
	for (uint32_t i = 0; i < m->rules.n; i++)
		*pb_rec_sched_rule_push(rules) = m->rules.v[i];
	return rules->n > 0 ? first_rule_patched(in, &rules->v[0], error_r) : 0;
}

/* Reads method ws->arg, puts the body in over it and sets it. */
static void connection_patch(struct web_session *ws, struct pb_sync *t, const cJSON *in)
{
	struct pb_rec_sched_method_list l = { 0 };
	struct pb_rec_sched_rule_list rules = { 0 };
	struct pb_strv coll = { 0 };
	const char *error;
	uint32_t code = 0;
	bool send;

	int rc = scheduler_client_list(t, ws->arg, &code, &l, &error);
	if (web_stub_failed(ws, rc, code, error)) {
		/* answered */
	} else if (l.n != 1 || method_patched(in, &l.v[0], &send, &coll, &rules, &error) < 0) {
		web_reply_error(ws, l.n != 1 ? 404 : 400, l.n != 1 ? "no such connection" : error);
	} else {
		rc = scheduler_client_set(t, ws->arg, send, &coll, &rules, &code, &error);
		if (!web_stub_failed(ws, rc, code, error)) {
			pb_info("web", "event=connection_changed name=%s by=%s", PB_LOGQ(ws->arg),
				PB_LOGQ(ws->who.user));
			web_reply_json(ws, 204, NULL, NULL);
		}
	}
	pb_rec_sched_method_list_clear(&l);
	pb_rec_sched_rule_list_clear(&rules);
	pb_strv_clear(&coll);
}

void web_rest_connection_patch(struct web_session *ws, const struct http_request *q,
			       struct pb_sync *t)
{
	cJSON *in = web_body_object(q);

	if (patch_members_known(in) < 0)
		web_reply_error(ws, 400, "give an object of send, collectors, rules, every_min, "
					 "from, to, days, min_waiting");
	else
		connection_patch(ws, t, in);
	cJSON_Delete(in);
}
