/*
 * sys-timeline.c: the one timeline of every history and "everything to a point"
 * (sys-timeline.h).
 * OWNS: struct sys_timeline's lists; a rollback's plan. THREAD: the caller's.
 */
#include "sys-timeline.h"

#include "collector-client.h"
#include "directory-client-routes.h"
#include "lockout-client.h"
#include "pb-alloc.h"
#include "scheduler-client.h"
#include "sys-client.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char kinds[SYS_TIMELINE_NKINDS] = { 0, 'd', 'c', 's', 'b', 'k' };
static const char *const kind_names[SYS_TIMELINE_NKINDS] = {
	"settings", "directory", "collector", "connection", "block", "apikey"
};
static const char *const kind_prefixes[SYS_TIMELINE_NKINDS] = { "", "d", "c", "s", "b", "k" };

static int kind_index(char kind)
{
	for (int i = 0; i < SYS_TIMELINE_NKINDS; i++)
		if (kinds[i] == kind)
			return i;
	return -1;
}

const char *sys_timeline_kind_name(char kind)
{
	int i = kind_index(kind);
	return i >= 0 ? kind_names[i] : "?";
}

const char *sys_timeline_kind_prefix(char kind)
{
	int i = kind_index(kind);
	return i >= 0 ? kind_prefixes[i] : "?";
}

int sys_timeline_point(const char *text, char *kind_r, uint64_t *seq_r)
{
	char *end;
	bool prefixed = text[0] >= 'a' && text[0] <= 'z';

	*kind_r = prefixed ? text[0] : 0;
	if (kind_index(*kind_r) < 0)
		return -1;
	const char *num = prefixed ? text + 1 : text;
	*seq_r = strtoull(num, &end, 10);
	return num[0] >= '0' && num[0] <= '9' && *end == '\0' ? 0 : -1;
}

/* Newest first: by time; within one kind, by number. */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct sys_timeline_entry *a = pa, *b = pb;

	if (a->c->at_ms != b->c->at_ms)
		return a->c->at_ms > b->c->at_ms ? -1 : 1;
	if (a->kind == b->kind)
		return a->c->seq > b->c->seq ? -1 : a->c->seq < b->c->seq;
	return kind_index(a->kind) - kind_index(b->kind);
}

static int read_kind(struct pb_sync *t, char kind, uint32_t per_kind,
		     struct pb_rec_setting_change_list *l, uint32_t *code_r, const char **error_r)
{
	if (kind == 'd')
		return directory_client_history(t, 0, per_kind, code_r, l, error_r);
	return sys_client_history(t, kind, 0, per_kind, code_r, l, error_r);
}

int sys_timeline_read(struct pb_sync *t, uint32_t per_kind, struct sys_timeline *tl,
		      uint32_t *code_r, const char **error_r)
{
	size_t total = 0;

	memset(tl, 0, sizeof(*tl));
	for (int i = 0; i < SYS_TIMELINE_NKINDS; i++) {
		int rc = read_kind(t, kinds[i], per_kind, &tl->lists[i], code_r, error_r);
		if (rc < 0 || *code_r != PB_OK)
			return rc;
		total += tl->lists[i].n;
	}
	tl->v = xcalloc(total > 0 ? total : 1, sizeof(*tl->v));
	for (int i = 0; i < SYS_TIMELINE_NKINDS; i++)
		for (uint32_t j = 0; j < tl->lists[i].n; j++)
			tl->v[tl->n++] = (struct sys_timeline_entry){ kinds[i], &tl->lists[i].v[j] };
	qsort(tl->v, tl->n, sizeof(*tl->v), entry_cmp);
	return 0;
}

void sys_timeline_free(struct sys_timeline *tl)
{
	for (int i = 0; i < SYS_TIMELINE_NKINDS; i++)
		pb_rec_setting_change_list_clear(&tl->lists[i]);
	free(tl->v);
	memset(tl, 0, sizeof(*tl));
}

/* ---- rollback to a point ---- */

/* One step of the plan: a record of 'c', 's', 'b' back to target (NULL: absent), now expected
 * to be expect (NULL: absent); or (kind 0, 'd') that owner's rollback to seq. */
struct step {
	char kind;
	const char *doc;
	const char *target, *expect;
	uint64_t seq;	  /* 0, 'd': roll back to this number */
	uint64_t newest_ms; /* the step's newest change: the order, newest first */
};

struct plan {
	struct step *v;
	size_t n;
	uint32_t apikeys; /* API key changes after the point: recorded only, not rolled back */
};

static const char *json_or_null(const char *s, bool present)
{
	return present && s != NULL && s[0] != '\0' ? s : NULL;
}

static struct step *plan_find(struct plan *p, char kind, const char *doc)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].kind == kind && (doc == NULL || strcmp(p->v[i].doc, doc) == 0))
			return &p->v[i];
	p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	p->v[p->n] = (struct step){ .kind = kind, .doc = doc };
	return &p->v[p->n++];
}

/* Adds change e (after the point; oldest first) to the plan. */
static void plan_add(struct plan *p, const struct sys_timeline_entry *e)
{
	const struct pb_rec_setting_change *c = e->c;

	if (e->kind == 'k') {
		p->apikeys++;
		return;
	}
	bool record = e->kind != 0 && e->kind != 'd';
	if (!record && c->doc[0] == '\0')
		return; /* a checkpoint changed nothing */
	struct step *s = plan_find(p, e->kind, record ? c->doc : NULL);
	if (s->newest_ms == 0) { /* its first change after the point */
		s->target = json_or_null(c->before, c->had_before);
		s->seq = c->seq - 1;
	}
	s->expect = json_or_null(c->after, true);
	s->newest_ms = c->at_ms > s->newest_ms ? c->at_ms : s->newest_ms;
}

static int step_cmp(const void *pa, const void *pb)
{
	const struct step *a = pa, *b = pb;
	return a->newest_ms > b->newest_ms ? -1 : a->newest_ms < b->newest_ms;
}

/* The plan of the changes after (kind, seq): NOTFOUND when the point is not read. */
static uint32_t plan_make(const struct sys_timeline *tl, char kind, uint64_t seq,
			  struct plan *p)
{
	const struct pb_rec_setting_change *point = NULL;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < tl->n && point == NULL; i++)
		if (tl->v[i].kind == kind && tl->v[i].c->seq == seq)
			point = tl->v[i].c;
	if (point == NULL)
		return PB_ERR_NOTFOUND;
	for (size_t i = tl->n; i-- > 0;) {
		const struct sys_timeline_entry *e = &tl->v[i];
		bool after = e->kind == kind ? e->c->seq > seq : e->c->at_ms > point->at_ms;
		if (after)
			plan_add(p, e);
	}
	if (p->n > 1) /* nothing after the point: p->v is NULL, which qsort may not take */
		qsort(p->v, p->n, sizeof(*p->v), step_cmp);
	return PB_OK;
}

static char *printed(cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* A method's settings as the connections' history keeps them (store-connections.h
 * pb_store_conn_settings_json: the same keys). */
static char *method_json(const struct pb_rec_sched_method *m)
{
	cJSON *o = cJSON_CreateObject(), *cv = cJSON_CreateArray(), *rv = cJSON_CreateArray();

	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddBoolToObject(o, "paused", m->paused);
	cJSON_AddBoolToObject(o, "send", m->send);
	for (uint32_t i = 0; i < m->collectors.n; i++)
		cJSON_AddItemToArray(cv, cJSON_CreateString(m->collectors.v[i]));
	cJSON_AddItemToObject(o, "collectors", cv);
	for (uint32_t i = 0; i < m->rules.n; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "every_min", m->rules.v[i].every_min);
		cJSON_AddNumberToObject(x, "from_min", m->rules.v[i].from_min);
		cJSON_AddNumberToObject(x, "to_min", m->rules.v[i].to_min);
		cJSON_AddNumberToObject(x, "days", m->rules.v[i].days);
		cJSON_AddNumberToObject(x, "min_waiting", m->rules.v[i].min_waiting);
		cJSON_AddItemToArray(rv, x);
	}
	cJSON_AddItemToObject(o, "rules", rv);
	return printed(o);
}

/* A manual block as the blocks' history keeps it (store-lockout.h). */
static char *block_json(const struct pb_rec_lockout_block *b)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "net", b->net);
	cJSON_AddNumberToObject(o, "until_ms", (double)b->until_ms);
	cJSON_AddStringToObject(o, "reason", b->reason);
	cJSON_AddStringToObject(o, "protocol", b->protocol);
	return printed(o);
}

static int block_now(struct pb_sync *t, const char *net, char **json_r, uint32_t *code_r,
		     const char **error_r)
{
	struct pb_rec_lockout_lock_list locks = { 0 };
	struct pb_rec_lockout_block_list blocks = { 0 };

	int rc = lockout_client_list(t, code_r, &locks, &blocks, error_r);
	for (uint32_t i = 0; rc == 0 && *code_r == PB_OK && i < blocks.n; i++)
		if (!blocks.v[i].automatic && strcmp(blocks.v[i].net, net) == 0)
			*json_r = block_json(&blocks.v[i]);
	pb_rec_lockout_lock_list_clear(&locks);
	pb_rec_lockout_block_list_clear(&blocks);
	return rc;
}

/* The record's state now (*json_r allocated, NULL absent). 0 with *code_r, or -1. */
static int state_now(struct pb_sync *t, const struct step *s, char **json_r, uint32_t *code_r,
		     const char **error_r)
{
	const char *name = strchr(s->doc, ':') != NULL ? strchr(s->doc, ':') + 1 : s->doc;
	struct pb_strv items = { 0 };
	struct pb_rec_sched_method_list methods = { 0 };
	int rc = 0;

	*json_r = NULL;
	if (s->kind == 'b')
		return block_now(t, name, json_r, code_r, error_r);
	if (s->kind == 'c') {
		rc = collector_client_list(t, name, code_r, &items, error_r);
		if (rc == 0 && *code_r == PB_OK && items.n > 0)
			*json_r = xstrdup(items.v[0]);
	} else {
		rc = scheduler_client_list(t, name, code_r, &methods, error_r);
		if (rc == 0 && *code_r == PB_OK && methods.n > 0)
			*json_r = method_json(&methods.v[0]);
	}
	if (rc == 0 && *code_r == PB_ERR_NOTFOUND)
		*code_r = PB_OK; /* absent */
	pb_strv_clear(&items);
	pb_rec_sched_method_list_clear(&methods);
	return rc;
}

/* Whether now holds what expect says (every key of it but a collector's password). */
static bool matches(const char *now, const char *expect)
{
	if (now == NULL || expect == NULL)
		return now == NULL && expect == NULL;
	cJSON *n = cJSON_Parse(now), *e = cJSON_Parse(expect);
	const cJSON *k;
	bool same = n != NULL && e != NULL;
	cJSON_ArrayForEach(k, e) {
		if (same && strcmp(k->string, "password") != 0)
			same = cJSON_Compare(k, cJSON_GetObjectItemCaseSensitive(n, k->string), 1);
	}
	cJSON_Delete(n);
	cJSON_Delete(e);
	return same;
}

/* Checks every record step before anything is written: PB_OK, or REFUSED with *why_r. */
static int plan_check(struct pb_sync *t, const struct plan *p, uint32_t *code_r, char **why_r,
		      const char **error_r)
{
	*code_r = PB_OK;
	for (size_t i = 0; i < p->n && *code_r == PB_OK; i++) {
		const struct step *s = &p->v[i];
		char *now = NULL;
		if (s->kind == 0 || s->kind == 'd')
			continue;
		if (state_now(t, s, &now, code_r, error_r) < 0)
			return -1;
		if (*code_r != PB_OK)
			break;
		if (!matches(now, s->expect)) {
			*code_r = PB_ERR_REFUSED;
			*why_r = xasprintf("%s changed since its last recorded change: not rolled back "
					   "(nothing was)", s->doc);
		} else if (s->kind == 'c' && s->target != NULL && now == NULL) {
			*code_r = PB_ERR_REFUSED;
			*why_r = xasprintf("%s was deleted and its password is in no history: add it "
					   "again (nothing was rolled back)", s->doc);
		}
		free(now);
	}
	return 0;
}

/* A collector's definition back to target through "set" (its password kept). */
static int collector_put_back(struct pb_sync *t, const char *name, const char *target,
			      uint32_t *code_r, const char **error_r)
{
	cJSON *o = cJSON_Parse(target);
	const cJSON *m;
	struct pb_strv args = { 0 };
	char num[32];

	cJSON_ArrayForEach(m, o) {
		const char *v = cJSON_IsString(m) ? m->valuestring
				: cJSON_IsBool(m) ? (cJSON_IsTrue(m) ? "true" : "false")
				: cJSON_IsNumber(m) ? (snprintf(num, sizeof(num), "%.0f", m->valuedouble), num)
						    : NULL;
		if (v == NULL || strcmp(m->string, "password") == 0)
			continue;
		char *kv = xasprintf("%s=%s", m->string, v);
		pb_strv_push(&args, kv);
		free(kv);
	}
	cJSON_Delete(o);
	int rc = collector_client_op(t, "set", name, (const char *const *)args.v, args.n, code_r,
				     error_r);
	pb_strv_clear(&args);
	return rc;
}

/* A method back to target: deleted, then added as it was (paused again if it was). */
static int connection_put_back(struct pb_sync *t, const char *name, const char *target,
			       uint32_t *code_r, const char **error_r)
{
	cJSON *o = cJSON_Parse(target);
	const cJSON *x;
	struct pb_strv collectors = { 0 };
	struct pb_rec_sched_rule_list rules = { 0 };

	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "collectors"))
		if (cJSON_IsString(x))
			pb_strv_push(&collectors, x->valuestring);
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "rules")) {
		struct pb_rec_sched_rule *r = pb_rec_sched_rule_push(&rules);
		r->every_min = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(x, "every_min"));
		r->from_min = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(x, "from_min"));
		r->to_min = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(x, "to_min"));
		r->days = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(x, "days"));
		r->min_waiting = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(x, "min_waiting"));
	}
	bool send = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "send"));
	bool paused = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "paused"));
	cJSON_Delete(o);
	int rc = scheduler_client_del(t, name, code_r, error_r);
	if (rc == 0 && (*code_r == PB_OK || *code_r == PB_ERR_NOTFOUND))
		rc = scheduler_client_add(t, name, send, &collectors, &rules, code_r, error_r);
	if (rc == 0 && *code_r == PB_OK && paused)
		rc = scheduler_client_control(t, name, SCHED_CONTROL_PAUSE, code_r, error_r);
	pb_strv_clear(&collectors);
	pb_rec_sched_rule_list_clear(&rules);
	return rc;
}

/* A manual block back to target (one that has expired since is not made again). */
static int block_put_back(struct pb_sync *t, const char *net, const char *target,
			  uint32_t *code_r, const char **error_r)
{
	cJSON *o = cJSON_Parse(target);
	double until = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "until_ms"));
	const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "reason"));
	int64_t left_ms = until > 0 ? (int64_t)until - (int64_t)pb_clock_wall_ms() : 0;
	char *why = xstrdup(reason != NULL ? reason : "");

	cJSON_Delete(o);
	int rc = lockout_client_block_del(t, net, code_r, error_r);
	if (rc == 0 && (*code_r == PB_OK || *code_r == PB_ERR_NOTFOUND) && left_ms >= 0 &&
	    (until <= 0 || left_ms > 0))
		rc = lockout_client_block_add(t, net, until > 0 ? (uint32_t)((left_ms + 59999) / 60000)
								 : 0,
					      why, code_r, error_r);
	free(why);
	return rc;
}

/* Deletes the record of a step whose target is absent. */
static int record_delete(struct pb_sync *t, char kind, const char *name, uint32_t *code_r,
			 const char **error_r)
{
	int rc = kind == 'c'   ? collector_client_op(t, "del", name, NULL, 0, code_r, error_r)
		 : kind == 's' ? scheduler_client_del(t, name, code_r, error_r)
			       : lockout_client_block_del(t, name, code_r, error_r);
	if (rc == 0 && *code_r == PB_ERR_NOTFOUND)
		*code_r = PB_OK; /* already gone */
	return rc;
}

/* Carries out one step: *changed_r counts what was put back. 0 with *code_r, or -1. */
static int step_apply(struct pb_sync *t, const struct step *s, const char *by,
		      uint32_t *code_r, uint32_t *changed_r, const char **error_r)
{
	const char *name = strchr(s->doc != NULL ? s->doc : "", ':');
	uint32_t n = 0;
	int rc;

	if (s->kind == 0 || s->kind == 'd') {
		rc = s->kind == 0
			     ? sys_client_setting_rollback(t, s->seq, true, by, code_r, &n, error_r)
			     : directory_client_rollback(t, s->seq, true, by, code_r, &n, error_r);
		*changed_r += rc == 0 && *code_r == PB_OK ? n : 0;
		return rc;
	}
	name = name != NULL ? name + 1 : "";
	if (s->target == NULL)
		rc = record_delete(t, s->kind, name, code_r, error_r);
	else if (s->kind == 'c')
		rc = collector_put_back(t, name, s->target, code_r, error_r);
	else if (s->kind == 's')
		rc = connection_put_back(t, name, s->target, code_r, error_r);
	else
		rc = block_put_back(t, name, s->target, code_r, error_r);
	*changed_r += rc == 0 && *code_r == PB_OK ? 1 : 0;
	return rc;
}

int sys_timeline_rollback_to(struct pb_sync *t, char kind, uint64_t seq, const char *by,
			     uint32_t *code_r, uint32_t *changed_r, char **why_r,
			     const char **error_r)
{
	struct sys_timeline tl;
	struct plan p = { 0 };
	int rc = sys_timeline_read(t, SYS_HISTORY_PAGE, &tl, code_r, error_r);

	*changed_r = 0;
	*why_r = NULL;
	pb_client_by(by); /* every put back is by who asked */
	if (rc == 0 && *code_r == PB_OK && (*code_r = plan_make(&tl, kind, seq, &p)) != PB_OK)
		*why_r = xasprintf("no change %s%llu among the last %d of its history",
				   sys_timeline_kind_prefix(kind), (unsigned long long)seq,
				   SYS_HISTORY_PAGE);
	if (rc == 0 && *code_r == PB_OK)
		rc = plan_check(t, &p, code_r, why_r, error_r);
	for (size_t i = 0; rc == 0 && *code_r == PB_OK && i < p.n; i++) {
		rc = step_apply(t, &p.v[i], by, code_r, changed_r, error_r);
		if (rc == 0 && *code_r != PB_OK)
			*why_r = xasprintf("%s: %s (%u put back before it stay so)",
					   p.v[i].doc != NULL ? p.v[i].doc
							      : sys_timeline_kind_name(p.v[i].kind),
					   *error_r, *changed_r);
	}
	free(p.v);
	sys_timeline_free(&tl);
	return rc;
}

int sys_timeline_rollback_one(struct pb_sync *t, char kind, uint64_t seq, const char *by,
			      uint32_t *code_r, char **why_r, const char **error_r)
{
	struct pb_rec_setting_change_list l = { 0 };
	const struct pb_rec_setting_change *c = NULL;
	uint32_t changed = 0;

	*why_r = NULL;
	if (kind != 'c' && kind != 's' && kind != 'b') {
		*code_r = PB_ERR_REFUSED;
		*why_r = xstrdup("one change of a collector (cN), connection (sN) or block (bN); "
				 "API keys are never rolled back");
		return 0;
	}
	int rc = sys_client_history(t, kind, seq + 1, 1, code_r, &l, error_r);
	if (rc == 0 && *code_r == PB_OK && (l.n == 0 || l.v[0].seq != seq)) {
		*code_r = PB_ERR_NOTFOUND;
		*why_r = xasprintf("no change %s%llu in the history", sys_timeline_kind_prefix(kind),
				   (unsigned long long)seq);
	}
	if (rc == 0 && *code_r == PB_OK)
		c = &l.v[0];
	struct step one = { .kind = kind, .doc = c != NULL ? c->doc : NULL,
			    .target = c != NULL ? json_or_null(c->before, c->had_before) : NULL,
			    .expect = c != NULL ? json_or_null(c->after, true) : NULL };
	struct plan p = { .v = &one, .n = 1 };
	pb_client_by(by);
	if (c != NULL && (rc = plan_check(t, &p, code_r, why_r, error_r)) == 0 &&
	    *code_r == PB_ERR_REFUSED && strstr(*why_r, "changed since") != NULL) {
		free(*why_r);
		*why_r = xasprintf("%s was changed again after %s%llu: roll that back first, or "
				   "roll back to a point", c->doc, sys_timeline_kind_prefix(kind),
				   (unsigned long long)seq);
	}
	if (c != NULL && rc == 0 && *code_r == PB_OK)
		rc = step_apply(t, &one, by, code_r, &changed, error_r);
	pb_rec_setting_change_list_clear(&l);
	return rc;
}
