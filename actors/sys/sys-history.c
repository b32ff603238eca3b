/*
 * sys-history.c: the settings history (store-settings.h) as sys serves it — the changes,
 * newest first, with their documents masked; rolling back one change or everything after a
 * point; checkpoints: on request (pillarbox history checkpoint, the Debian preinst) and at the
 * first start of a new program version, before anything else sys does at its start.
 *
 * Rolling back one change (like a revert, not a time machine): only the keys that change
 * altered go back to what they were before it (a key it added returns to its default), so
 * later changes to other keys of the same document stay. Rolling back to a point: every
 * document changed after it is set back whole to its state at that point (the "before" of its
 * first change after it). Either way each document put back is validated again (a value that
 * is no longer valid refuses the whole rollback: nothing changes) and is itself a new change
 * in the history, by whoever asked, noted "rollback of #N" or "rollback to #N".
 *
 * OWNS: nothing beyond struct sys. THREAD: the sys actor's.
 * MESSAGES: handles SYS_SETTING_HISTORY_REQ (SYS_SETTING_HISTORY_REP; with a kind, another
 * history of the timeline: store-db.h pb_store_history_list), SYS_SETTING_ROLLBACK_REQ
 * (SYS_SETTING_ROLLBACK_REP), SYS_CHECKPOINT_REQ (SYS_CHECKPOINT_REP: a checkpoint on the
 * timeline, as the one at the first start of a new version).
 */
#include "sys-private.h"

#include "pb-log.h"
#include "store-settings.h"
#include "sys-client.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

/* The key sys keeps the program version under, in the settings family (not a document). */
#define SYS_VERSION_KEY "program_version"

/* A stored (sealed) document shown: secrets masked; NULL gives "". */
static char *shown(struct sys *sys, const char *doc, const char *stored)
{
	return stored != NULL ? sys_secrets_of(sys, doc, xstrdup(stored), SYS_SECRETS_MASK)
			      : xstrdup("");
}

int sys_on_setting_history(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys *sys = state;
	const struct msg_sys_setting_history_req *q = &m->u.sys_setting_history_req;
	uint32_t limit = q->limit == 0 || q->limit > SYS_HISTORY_PAGE ? SYS_HISTORY_PAGE : q->limit;
	struct pb_setting_change *v;
	size_t n;
	const char *error;
	struct pb_msg rep;

	if (q->kind != 0 && !pb_store_history_kind_valid((char)q->kind))
		return pb_reply_status(a, m, PB_ERR_REFUSED, "no such history"), 0;
	int rc = q->kind != 0 ? pb_store_history_list(sys->args->store, (char)q->kind, q->before,
						      limit, &v, &n, &error)
			      : pb_store_setting_history(sys->args->store, q->before, limit, &v,
							 &n, &error);
	if (rc < 0) {
		pb_reply_status(a, m, PB_ERR_INTERNAL, error);
		return 0;
	}
	pb_msg_init(&rep, MSG_SYS_SETTING_HISTORY_REP);
	rep.u.sys_setting_history_rep.error = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		*pb_rec_setting_change_push(&rep.u.sys_setting_history_rep.changes) =
			(struct pb_rec_setting_change){
				.seq = v[i].seq, .at_ms = v[i].at_ms, .by = xstrdup(v[i].by),
				.doc = xstrdup(v[i].doc), .had_before = v[i].before != NULL,
				.before = shown(sys, v[i].doc, v[i].before),
				.after = shown(sys, v[i].doc, v[i].after), .note = xstrdup(v[i].note)
			};
		pb_setting_change_free(&v[i]);
	}
	free(v);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* A stored document opened (secrets in clear) and parsed; NULL text gives {}. */
static cJSON *opened(struct sys *sys, const char *doc, const char *stored)
{
	char *plain = stored != NULL ? sys_secrets_of(sys, doc, xstrdup(stored), SYS_SECRETS_OPEN)
				     : xstrdup("{}");
	cJSON *o = cJSON_Parse(plain);
	explicit_bzero(plain, strlen(plain));
	free(plain);
	return cJSON_IsObject(o) ? o : (cJSON_Delete(o), cJSON_CreateObject());
}

/* Whether a later change altered a key this patch would put back: the document now must hold
 * what change c left in it for every such key. NULL, or the first such key (in now). */
static const char *conflict(const cJSON *patch, const cJSON *after, const cJSON *now)
{
	const cJSON *k;

	cJSON_ArrayForEach(k, patch) {
		const cJSON *left = cJSON_GetObjectItemCaseSensitive(after, k->string);
		const cJSON *cur = cJSON_GetObjectItemCaseSensitive(now, k->string);
		if ((left == NULL) != (cur == NULL) || (left != NULL && !cJSON_Compare(left, cur, 1)))
			return k->string;
	}
	return NULL;
}

/* The patch that undoes change c: each key whose value it altered, back to its value before
 * (null: the default). Allocated JSON (the caller frees it), or NULL with *error_r allocated
 * when a later change altered one of those keys again. */
static char *revert_patch(struct sys *sys, const struct pb_setting_change *c, char **error_r)
{
	cJSON *before = opened(sys, c->doc, c->before), *after = opened(sys, c->doc, c->after);
	cJSON *patch = cJSON_CreateObject();
	const cJSON *k;
	char *stored = NULL;
	const char *serror;

	cJSON_ArrayForEach(k, after) {
		const cJSON *old = cJSON_GetObjectItemCaseSensitive(before, k->string);
		if (old == NULL)
			cJSON_AddNullToObject(patch, k->string);
		else if (!cJSON_Compare(old, k, 1))
			cJSON_AddItemToObject(patch, k->string, cJSON_Duplicate(old, 1));
	}
	cJSON_ArrayForEach(k, before) {
		if (cJSON_GetObjectItemCaseSensitive(after, k->string) == NULL)
			cJSON_AddItemToObject(patch, k->string, cJSON_Duplicate(k, 1));
	}
	if (pb_store_setting_get(sys->args->store, c->doc, &stored, &serror) < 0)
		stored = NULL;
	cJSON *now = opened(sys, c->doc, stored);
	free(stored);
	const char *key = conflict(patch, after, now);
	char *text = key == NULL ? cJSON_PrintUnformatted(patch) : NULL;
	if (key != NULL)
		*error_r = xasprintf("%s.%s was changed again after #%llu: roll that back first, "
				     "or roll back to a point", c->doc, key,
				     (unsigned long long)c->seq);
	cJSON_Delete(now);
	cJSON_Delete(before);
	cJSON_Delete(after);
	cJSON_Delete(patch);
	return text;
}

/* The stored server script document (NULL: {}) with patch's keys put in (null: removed).
 * Always 0 with *merged_r (stored freed). */
static int script_merged(char *stored, const char *patch, char **merged_r)
{
	cJSON *o = cJSON_Parse(stored != NULL ? stored : "{}"), *p = cJSON_Parse(patch);
	const cJSON *k;

	if (!cJSON_IsObject(o))
		o = (cJSON_Delete(o), cJSON_CreateObject());
	cJSON_ArrayForEach(k, p) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, k->string);
		if (!cJSON_IsNull(k))
			cJSON_AddItemToObject(o, k->string, cJSON_Duplicate(k, 1));
	}
	*merged_r = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	cJSON_Delete(p);
	free(stored);
	return 0;
}

/* Puts one planned document back: the server script through sys_script_apply, a settings
 * document through sys_settings_apply (which takes merged). 0, or -1 with *error_r. */
static int putback_apply(struct pb_actor *a, struct sys *sys, const char *doc, char *merged,
			 const char *by, const char *note, char **error_r)
{
	const char *serror;

	if (sys_script_doc(doc)) {
		int rc = sys_script_apply(a, sys, merged, by, note, error_r);
		free(merged);
		return rc;
	}
	if (sys_settings_apply(a, sys, doc, merged, by, note, &serror) < 0) {
		*error_r = xstrdup(serror);
		return -1;
	}
	return 0;
}

/* Merges patch into doc's stored document (replace: into nothing), validated. 0 with
 * *merged_r, or -1 with *error_r allocated. */
static int merged_doc(struct sys *sys, const char *doc, const char *patch, bool replace,
		      char **merged_r, char **error_r)
{
	char *stored = NULL;
	const char *serror;

	if (!replace && pb_store_setting_get(sys->args->store, doc, &stored, &serror) < 0) {
		*error_r = xstrdup(serror);
		return -1;
	}
	if (sys_script_doc(doc)) /* not in the schema: sys_script_apply checks it */
		return script_merged(stored, patch, merged_r);
	stored = sys_secrets_of(sys, doc, stored, SYS_SECRETS_OPEN);
	int rc = pb_settings_merge(doc, stored, patch, merged_r, error_r);
	if (stored != NULL)
		explicit_bzero(stored, strlen(stored));
	free(stored);
	return rc;
}

/* One document put back (a plan of a rollback, validated before anything is written). */
struct putback {
	char *doc;
	char *merged;
};

static void putbacks_free(struct putback *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].doc);
		if (p[i].merged != NULL)
			explicit_bzero(p[i].merged, strlen(p[i].merged));
		free(p[i].merged);
	}
	free(p);
}

/* The documents change seq's rollback puts back: one (its keys reverted), or every document
 * changed after seq (whole, as at seq). 0 with *p_r and *n_r, or -1 with *code_r and *error_r
 * (allocated). */
static int plan_rollback(struct sys *sys, uint64_t seq, bool to_point, struct putback **p_r,
			 size_t *n_r, uint32_t *code_r, char **error_r);

int sys_on_setting_rollback(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys *sys = state;
	const struct msg_sys_setting_rollback_req *q = &m->u.sys_setting_rollback_req;
	struct putback *p = NULL;
	size_t n = 0;
	uint32_t code = PB_OK;
	char *error = NULL, note[64];

	if (plan_rollback(sys, q->seq, q->to_point != 0, &p, &n, &code, &error) < 0) {
		pb_reply_status(a, m, code, error);
		free(error);
		return 0;
	}
	snprintf(note, sizeof(note), "rollback %s #%llu", q->to_point ? "to" : "of",
		 (unsigned long long)q->seq);
	for (size_t i = 0; i < n; i++) {
		char *merged = p[i].merged;
		p[i].merged = NULL; /* taken */
		if (putback_apply(a, sys, p[i].doc, merged, q->by, note, &error) < 0) {
			putbacks_free(p, n);
			pb_reply_status(a, m, PB_ERR_INTERNAL, error);
			free(error);
			return 0;
		}
	}
	putbacks_free(p, n);
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_SYS_SETTING_ROLLBACK_REP);
	rep.u.sys_setting_rollback_rep.error = xstrdup("");
	rep.u.sys_setting_rollback_rep.changed = (uint32_t)n;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Adds doc to the plan unless it is there (the first change after the point decides). */
static int plan_add(struct sys *sys, struct putback **p, size_t *n, const char *doc,
		    const char *patch, bool replace, char **error_r)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*p)[i].doc, doc) == 0)
			return 0;
	char *merged;
	if (merged_doc(sys, doc, patch, replace, &merged, error_r) < 0)
		return -1;
	*p = xrealloc(*p, (*n + 1) * sizeof(**p));
	(*p)[(*n)++] = (struct putback){ xstrdup(doc), merged };
	return 0;
}

/* Every change after seq, oldest first: each document's first one gives its state at seq. */
static int plan_to_point(struct sys *sys, uint64_t seq, struct putback **p_r, size_t *n_r,
			 uint32_t *code_r, char **error_r)
{
	struct pb_setting_change *v;
	size_t n;
	const char *serror;

	if (pb_store_setting_history(sys->args->store, 0, PB_SETTING_HISTORY_MAX, &v, &n,
				     &serror) < 0) {
		*code_r = PB_ERR_INTERNAL;
		*error_r = xstrdup(serror);
		return -1;
	}
	int rc = 0;
	for (size_t i = n; i-- > 0 && rc == 0;) {
		if (v[i].seq <= seq || v[i].doc[0] == '\0')
			continue;
		char *plain = v[i].before != NULL
				      ? sys_secrets_of(sys, v[i].doc, xstrdup(v[i].before),
						       SYS_SECRETS_OPEN)
				      : xstrdup("{}");
		rc = plan_add(sys, p_r, n_r, v[i].doc, plain, true, error_r);
		explicit_bzero(plain, strlen(plain));
		free(plain);
	}
	for (size_t i = 0; i < n; i++)
		pb_setting_change_free(&v[i]);
	free(v);
	if (rc < 0)
		*code_r = PB_ERR_REFUSED;
	return rc;
}

static int plan_rollback(struct sys *sys, uint64_t seq, bool to_point, struct putback **p_r,
			 size_t *n_r, uint32_t *code_r, char **error_r)
{
	struct pb_setting_change c;
	const char *serror;

	*p_r = NULL;
	*n_r = 0;
	/* 0: before every change, when the history still goes back to #1 */
	int found = pb_store_setting_change_get(sys->args->store, seq > 0 || !to_point ? seq : 1,
						&c, &serror);
	if (found <= 0) {
		*code_r = found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND;
		*error_r = found < 0 ? xstrdup(serror)
				     : xasprintf("no change #%llu in the history",
						 (unsigned long long)seq);
		return -1;
	}
	int rc;
	if (to_point) {
		rc = plan_to_point(sys, seq, p_r, n_r, code_r, error_r);
	} else if (c.doc[0] == '\0') {
		*code_r = PB_ERR_REFUSED;
		*error_r = xstrdup("a checkpoint changed nothing: roll back to it instead");
		rc = -1;
	} else {
		char *patch = revert_patch(sys, &c, error_r);
		rc = patch != NULL ? plan_add(sys, p_r, n_r, c.doc, patch, false, error_r) : -1;
		free(patch);
		*code_r = PB_ERR_REFUSED;
	}
	pb_setting_change_free(&c);
	if (rc < 0) {
		putbacks_free(*p_r, *n_r);
		*p_r = NULL;
		*n_r = 0;
	}
	return rc;
}

/* Records a checkpoint noted note by `by`: 0 with *seq_r / -1. */
static int checkpoint(struct pb_store *store, const char *by, const char *note, uint64_t *seq_r,
		      const char **error_r)
{
	struct pb_setting_change c = { .by = (char *)by, .doc = "", .note = (char *)note };

	return pb_store_setting_put_logged(store, NULL, NULL, &c, seq_r, error_r);
}

int sys_on_checkpoint(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys *sys = state;
	const struct msg_sys_checkpoint_req *q = &m->u.sys_checkpoint_req;
	const char *error;
	uint64_t seq = 0;

	if (strlen(q->note) > 200)
		return pb_reply_status(a, m, PB_ERR_REFUSED, "a checkpoint's note is at most 200 "
				       "bytes"), 0;
	char *note = xasprintf("checkpoint: %s", q->note[0] != '\0' ? q->note : "(no note)");
	int rc = checkpoint(sys->args->store, q->by, note, &seq, &error);
	free(note);
	if (rc < 0)
		return pb_reply_status(a, m, PB_ERR_INTERNAL, error), 0;
	pb_info("sys", "event=checkpoint seq=%llu by=%s note=%s", (unsigned long long)seq,
		PB_LOGQ(q->by), PB_LOGQ(q->note));
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_SYS_CHECKPOINT_REP);
	rep.u.sys_checkpoint_rep.error = xstrdup("");
	rep.u.sys_checkpoint_rep.seq = seq;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

void sys_checkpoint_upgrade(const struct sys_actor_args *args)
{
	char *stored = NULL;
	const char *error, *version = args->version != NULL ? args->version : "";
	int found = pb_store_setting_get(args->store, SYS_VERSION_KEY, &stored, &error);

	if (found < 0 || (found == 1 && strcmp(stored, version) == 0)) {
		if (found < 0)
			pb_warn("sys", "event=checkpoint_failed reason=%s", PB_LOGQ(error));
		free(stored);
		return;
	}
	if (found == 1) {
		char *note = xasprintf("checkpoint: before upgrade from %s to %s", stored, version);
		if (checkpoint(args->store, "upgrade", note, NULL, &error) < 0)
			pb_warn("sys", "event=checkpoint_failed reason=%s", PB_LOGQ(error));
		else
			pb_info("sys", "event=settings_checkpoint from=%s to=%s", PB_LOGQ(stored),
				PB_LOGQ(version));
		free(note);
	}
	free(stored);
	if (pb_store_setting_put(args->store, SYS_VERSION_KEY, version, &error) < 0)
		pb_warn("sys", "event=version_not_stored reason=%s", PB_LOGQ(error));
}
