/*
 * directory-history.c: the directory's history (store-routes.h pb_store_dir_*) of its records
 * (directory-history-records.c: accounts' settings, mappings, lists, rule sets, domains): the
 * arming of a change before a record write (so both are one synced write), DIR_HISTORY_REQ
 * and DIR_ROLLBACK_REQ.
 *
 * Rolling back one change puts its record back to its before, refused when the record changed
 * again since. Rolling back to a point puts every record changed after it back to its state
 * then (the before of its first change after the point), oldest first; accounts created or
 * deleted since refuse the whole rollback before anything is written, another refusal (a
 * domain accounts have addresses at, an account gone) stops it there, the records already put
 * back staying so (each is its own change). Every record put back is a new change by whoever
 * asked, noted "rollback of #N" / "rollback to #N". Passwords are in no record: never rolled
 * back.
 *
 * OWNS: nothing beyond struct directory. THREAD: the directory actor's.
 * MESSAGES: handles DIR_HISTORY_REQ (DIR_HISTORY_REP), DIR_ROLLBACK_REQ (DIR_ROLLBACK_REP).
 */
#include "directory-private.h"

#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "store-accounts.h"
#include "store-settings.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How many changes the history keeps: setting accounts.history_keep. */
static uint32_t history_keep(struct directory *d)
{
	const struct pb_settings *s = pb_settings_acquire(d->rt);
	uint32_t keep = s->accounts.history_keep;

	pb_settings_release(d->rt, s);
	return keep;
}

void directory_history_arm(struct directory *d, const char *record, const char *before,
			   const char *after, const char *by, const char *note)
{
	struct pb_setting_change c = { .by = (char *)by, .doc = (char *)record,
				       .before = (char *)before, .note = (char *)note };

	pb_store_dir_change_arm(&c, after, history_keep(d));
}

int directory_history_user_put(struct directory *d, const char *before,
			       const struct pb_user_rec *u, const char *by, const char **error_r)
{
	char *record = xasprintf("user:%s", u->name), *after = directory_history_user_json(u);

	if (before == NULL || strcmp(before, after) != 0) /* a password's change shows nothing */
		directory_history_arm(d, record, before, after, by, "");
	int rc = pb_store_user_put(d->store, u, error_r);
	pb_store_dir_change_disarm();
	free(record);
	free(after);
	return rc;
}

/* Puts record back to target (NULL: absent) from now, as a change by `by` noted note.
 * PB_OK, REFUSED (*why_r) or INTERNAL (*error_r). */
static uint32_t put_back(struct pb_actor *a, struct directory *d, const char *record,
			 const char *now, const char *target, const char *by, const char *note,
			 const char **why_r, const char **error_r)
{
	directory_history_arm(d, record, now, target, by, note);
	uint32_t code = directory_history_put(a, d, record, now, target, why_r, error_r);
	pb_store_dir_change_disarm();
	directory_routes_changed(d);
	return code;
}

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int directory_on_history(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const struct msg_dir_history_req *q = &m->u.dir_history_req;
	uint32_t limit = q->limit == 0 || q->limit > 1000 ? 1000 : q->limit;
	struct pb_setting_change *v;
	size_t n;
	const char *error;
	struct pb_msg rep;

	if (pb_store_dir_history(d->store, q->before, limit, &v, &n, &error) < 0)
		return directory_store_failed(a, m, error);
	pb_msg_init(&rep, MSG_DIR_HISTORY_REP);
	rep.u.dir_history_rep.error = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		*pb_rec_setting_change_push(&rep.u.dir_history_rep.changes) =
			(struct pb_rec_setting_change){
				.seq = v[i].seq, .at_ms = v[i].at_ms, .by = xstrdup(v[i].by),
				.doc = xstrdup(v[i].doc), .had_before = v[i].before != NULL,
				.before = xstrdup(v[i].before != NULL ? v[i].before : ""),
				.after = xstrdup(v[i].after != NULL ? v[i].after : ""),
				.note = xstrdup(v[i].note)
			};
		pb_setting_change_free(&v[i]);
	}
	free(v);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Rolls back change c alone. */
static uint32_t rollback_one(struct pb_actor *a, struct directory *d,
			     const struct pb_setting_change *c, const char *by, uint32_t *changed_r,
			     const char **why_r, const char **error_r)
{
	char *now, note[48];

	if (directory_history_state(d, c->doc, &now, error_r) < 0)
		return PB_ERR_INTERNAL;
	uint32_t code = PB_OK;
	if (!same(now, c->after)) {
		*why_r = "the record was changed again since: roll that back first, or roll back to "
			 "a point";
		code = PB_ERR_REFUSED;
	} else {
		snprintf(note, sizeof(note), "rollback of #%llu", (unsigned long long)c->seq);
		code = put_back(a, d, c->doc, now, c->before, by, note, why_r, error_r);
		*changed_r = code == PB_OK;
	}
	free(now);
	return code;
}

/* Every record changed after seq back to its state then (each record's first change after
 * seq gives it: its before). Checked whole before anything is written. */
static uint32_t rollback_to(struct pb_actor *a, struct directory *d, uint64_t seq,
			    const char *by, uint32_t *changed_r, const char **why_r,
			    const char **error_r);

int directory_on_rollback(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const struct msg_dir_rollback_req *q = &m->u.dir_rollback_req;
	struct pb_setting_change c;
	const char *error = NULL, *why = "";
	uint32_t changed = 0, code;
	int found = pb_store_dir_change_get(d->store, q->seq, &c, &error);

	if (found < 0)
		return directory_store_failed(a, m, error);
	if (found == 0 && !(q->to_point && q->seq == 0))
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such change in the history"), 0;
	code = q->to_point ? rollback_to(a, d, q->seq, q->by, &changed, &why, &error)
			   : rollback_one(a, d, &c, q->by, &changed, &why, &error);
	if (found == 1)
		pb_setting_change_free(&c);
	if (code == PB_ERR_INTERNAL)
		return directory_store_failed(a, m, error);
	if (code != PB_OK)
		return pb_reply_status(a, m, code, why), 0;
	pb_log_security("directory", "event=rollback seq=%llu to_point=%u by=%s changed=%u",
			(unsigned long long)q->seq, q->to_point, PB_LOGQ(q->by), changed);
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_DIR_ROLLBACK_REP);
	rep.u.dir_rollback_rep.error = xstrdup("");
	rep.u.dir_rollback_rep.changed = changed;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* The plan of rollback_to: each record once, its target state; 0 / -1 (*why_r: refused). */
static uint32_t plan_to(struct directory *d, const struct pb_setting_change *v, size_t n,
			uint64_t seq, bool *take, const char **why_r, const char **error_r)
{
	for (size_t i = n; i-- > 0;) {
		take[i] = v[i].seq > seq;
		for (size_t j = i + 1; j < n && take[i]; j++)
			take[i] = !(v[j].seq > seq && strcmp(v[j].doc, v[i].doc) == 0);
		if (!take[i])
			continue;
		char *now;
		if (directory_history_state(d, v[i].doc, &now, error_r) < 0)
			return PB_ERR_INTERNAL;
		bool refused = strncmp(v[i].doc, "user:", 5) == 0 && !same(now, v[i].before) &&
			       (now == NULL || v[i].before == NULL);
		free(now);
		if (refused) {
			*why_r = "an account created or deleted since is not rolled back: use user "
				 "add or user del";
			return PB_ERR_REFUSED;
		}
	}
	return PB_OK;
}

/* The changes after seq that are kept, newest first (*v_r, *n_r as pb_store_dir_history). */
static int changes_after(struct directory *d, uint64_t seq, struct pb_setting_change **v_r,
			 size_t *n_r, const char **error_r)
{
	struct pb_setting_change *top;
	size_t n;

	if (pb_store_dir_history(d->store, 0, 1, &top, &n, error_r) < 0)
		return -1;
	uint64_t newest = n > 0 ? top[0].seq : 0, keep = history_keep(d);
	for (size_t i = 0; i < n; i++)
		pb_setting_change_free(&top[i]);
	free(top);
	uint64_t want = newest > seq ? newest - seq : 0;
	return pb_store_dir_history(d->store, 0, want < keep ? want : keep, v_r, n_r, error_r);
}

static uint32_t rollback_to(struct pb_actor *a, struct directory *d, uint64_t seq,
			    const char *by, uint32_t *changed_r, const char **why_r,
			    const char **error_r)
{
	struct pb_setting_change *v;
	size_t n;
	char note[48];

	if (changes_after(d, seq, &v, &n, error_r) < 0)
		return PB_ERR_INTERNAL;
	bool *take = xcalloc(n > 0 ? n : 1, sizeof(*take));
	uint32_t code = plan_to(d, v, n, seq, take, why_r, error_r);
	snprintf(note, sizeof(note), "rollback to #%llu", (unsigned long long)seq);
	for (size_t i = n; code == PB_OK && i-- > 0;) {
		char *now = NULL;
		if (!take[i])
			continue;
		if (directory_history_state(d, v[i].doc, &now, error_r) < 0)
			code = PB_ERR_INTERNAL;
		else if (!same(now, v[i].before) &&
			 (code = put_back(a, d, v[i].doc, now, v[i].before, by, note, why_r,
					  error_r)) == PB_OK)
			(*changed_r)++;
		free(now);
	}
	for (size_t i = 0; i < n; i++)
		pb_setting_change_free(&v[i]);
	free(v);
	free(take);
	return code;
}
