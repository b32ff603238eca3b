/*
 * directory-msgrules.c: the message rule sets the directory owns (admin guide 4.14): the
 * administrator's and each account's (DIR_RULES_SET_REQ, DIR_RULES_GET_REQ), checked with
 * rules_set_parse on the way in, kept in the routes family (store-routes.h) by owner id, and
 * handed to the router in its routing snapshot (directory_routes_add_rules).
 * OWNS nothing. THREAD: the directory actor's.
 */
#include "directory-private.h"

#include "directory-rules.h"
#include "pb-log.h"
#include "rules.h"
#include "store-accounts.h"
#include "store-routes.h"

#include <stdlib.h>
#include <string.h>

/* The owner id of user ("": the administrator, 0). 1 found, 0 no such account, -1. */
static int owner_of(struct directory *d, const char *user, uint64_t *id_r, const char **error_r)
{
	struct pb_user_rec u;

	*id_r = 0;
	if (user[0] == '\0')
		return 1;
	int found = pb_store_user_get(d->store, user, &u, error_r);
	if (found == 1) {
		*id_r = u.id;
		pb_user_rec_free(&u);
	}
	return found;
}

/* Checks json as a rule set. NULL, or the parser's reason. */
static const char *rules_error(const char *json)
{
	struct rules_set *set;
	const char *error;

	if (strlen(json) > PB_ROUTE_RULES_MAX)
		return "a rule set is at most 1 MiB of JSON";
	if (rules_set_parse(json, strlen(json), &set, &error) < 0)
		return error;
	rules_set_free(&set);
	return NULL;
}

/* Writes (or with q->del removes) owner id's rule set with its change in the history.
 * As pb_store_route_rules_put / _delete. */
static int rules_write(struct directory *d, const struct msg_dir_rules_set_req *q, uint64_t id,
		       const char **error_r)
{
	char lower[PB_USER_NAME_MAX + 1], *before;

	directory_lower(q->user, lower, sizeof(lower));
	char *record = directory_history_rules_record(lower);
	int ret = directory_history_state(d, record, &before, error_r);
	if (ret == 0) {
		directory_history_arm(d, record, before, q->del ? NULL : q->json, q->by, "");
		ret = q->del ? pb_store_route_rules_delete(d->store, id, error_r)
			     : pb_store_route_rules_put(d->store, id, q->json, error_r);
		pb_store_dir_change_disarm();
	}
	free(before);
	free(record);
	return ret;
}

int directory_on_rules_set(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const struct msg_dir_rules_set_req *q = &m->u.dir_rules_set_req;
	const char *error, *why;
	uint64_t id;

	int found = owner_of(d, q->user, &id, &error);
	if (found <= 0)
		return found < 0 ? directory_store_failed(a, m, error)
				 : (pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such account"), 0);
	if (!q->del && (why = rules_error(q->json)) != NULL)
		return pb_reply_status(a, m, PB_ERR_REFUSED, why), 0;
	int ret = rules_write(d, q, id, &error);
	if (ret < 0)
		return directory_store_failed(a, m, error);
	directory_routes_changed(d);
	pb_info("directory", "event=rules_%s owner=%s", q->del ? "deleted" : "set",
		PB_LOGQ(q->user[0] ? q->user : "(administrator)"));
	if (q->del && ret == 0)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no rules are set"), 0;
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

int directory_on_rules_get(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const char *error;
	uint64_t id;
	char *json = NULL;
	struct pb_msg rep;

	int found = owner_of(d, m->u.dir_rules_get_req.user, &id, &error);
	if (found == 0)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such account"), 0;
	if (found == 1)
		found = pb_store_route_rules_get(d->store, id, &json, &error);
	if (found < 0)
		return directory_store_failed(a, m, error);
	if (found == 0)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no rules are set"), 0;
	pb_msg_init(&rep, MSG_DIR_RULES_GET_REP);
	rep.u.dir_rules_get_rep.error = xstrdup("");
	rep.u.dir_rules_get_rep.user_id = id;
	rep.u.dir_rules_get_rep.json = json;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int add_rules(uint64_t owner, const char *json, void *ctx)
{
	struct msg_dir_routes_rep *rep = ctx;

	if (owner == 0) {
		free(rep->admin_rules);
		rep->admin_rules = xstrdup(json);
		return 0;
	}
	for (size_t i = 0; i < rep->users.n; i++) {
		if (rep->users.v[i].id == owner) {
			free(rep->users.v[i].rules);
			rep->users.v[i].rules = xstrdup(json);
		}
	}
	return 0; /* the rules of an account deleted since: left out */
}

int directory_routes_add_rules(struct directory *d, struct msg_dir_routes_rep *rep,
			       const char **error_r)
{
	return pb_store_route_rules_iter(d->store, add_rules, rep, error_r);
}
