/*
 * directory-routes-admin.c: the administration of mappings and distribution lists
 * (DIR_MAP_SET_REQ, DIR_MAP_LIST_REQ, DIR_DLIST_SET_REQ, DIR_DLIST_LIST_REQ): checked here,
 * kept in the routes family (store-routes.h), logged to the security log.
 * OWNS nothing. THREAD: the directory actor's.
 */
#include "directory-private.h"

#include "directory-rules.h"
#include "pb-log.h"
#include "router-plan.h"
#include "store-routes.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An address, pattern or member as stored: 1..PB_ROUTE_ADDRESS_MAX printable octets, no
 * space, ';' or ','. NULL or why not. */
static const char *address_error(const char *what, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > PB_ROUTE_ADDRESS_MAX)
		return what;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == ';' || s[i] == ',' || s[i] == 0x7f)
			return what;
	return NULL;
}

static int map_write(struct pb_actor *a, struct directory *d, const struct msg_dir_map_set_req *q,
		     const struct pb_msg *m, const char *record, const char *before);

/* A mapping added or removed, with its history (the record as it was, and after). */
static int map_set(struct pb_actor *a, struct directory *d, const struct msg_dir_map_set_req *q,
		   const struct pb_msg *m)
{
	const char *error;
	char *record = directory_history_record("mapping:", q->address, q->target), *before;

	if (directory_history_state(d, record, &before, &error) < 0) {
		free(record);
		return directory_store_failed(a, m, error);
	}
	int rc = map_write(a, d, q, m, record, before);
	free(record);
	free(before);
	return rc;
}

static int map_write(struct pb_actor *a, struct directory *d, const struct msg_dir_map_set_req *q,
		     const struct pb_msg *m, const char *record, const char *before)
{
	enum router_map_type type = ROUTER_MAP_ALWAYS;
	const char *error;

	if (q->del) {
		directory_history_arm(d, record, before, NULL, q->by, "");
		int gone = pb_store_route_map_delete(d->store, q->address, q->target, &error);
		pb_store_dir_change_disarm();
		if (gone < 0)
			return directory_store_failed(a, m, error);
		return pb_reply_status(a, m, gone ? PB_OK : PB_ERR_NOTFOUND,
				       gone ? "" : "no such mapping"), 0;
	}
	if (q->type[0] != '\0' && router_map_type_parse(q->type, &type) < 0)
		return pb_reply_status(a, m, PB_ERR_REFUSED,
				       "the type is one of always, pop3, smtp, from"), 0;
	if (strlen(q->comment) > PB_ROUTE_COMMENT_MAX || strpbrk(q->comment, "\r\n") != NULL)
		return pb_reply_status(a, m, PB_ERR_REFUSED,
				       "a comment is one line of at most 1000 characters"), 0;
	struct pb_route_map rec = { q->address, q->target, q->collector, q->comment, (uint8_t)type };
	char *after = directory_history_map_json(&rec);
	directory_history_arm(d, record, before, after, q->by, "");
	int put = pb_store_route_map_put(d->store, &rec, &error);
	pb_store_dir_change_disarm();
	free(after);
	if (put < 0)
		return directory_store_failed(a, m, error);
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

int directory_on_map_set(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const struct msg_dir_map_set_req *q = &m->u.dir_map_set_req;
	const char *why = address_error("a mapping address is 1 to 320 characters without spaces, "
					"';' or ','", q->address);

	if (why == NULL)
		why = address_error("a mapping target is an account, a list or an address (1 to "
				    "320 characters without spaces, ';' or ',')", q->target);
	if (why != NULL)
		return pb_reply_status(a, m, PB_ERR_REFUSED, why), 0;
	directory_routes_changed(d);
	map_set(a, d, q, m);
	pb_log_security("directory", "event=mapping_%s address=%s target=%s type=%s",
			q->del ? "deleted" : "set", PB_LOGQ(q->address), PB_LOGQ(q->target),
			q->type[0] ? PB_LOGQ(q->type) : "always");
	return 0;
}

int directory_on_map_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const char *target = m->u.dir_map_list_req.target;
	struct pb_route_map *v;
	size_t n;
	const char *error;
	struct pb_msg rep;

	if (pb_store_route_maps(d->store, &v, &n, &error) < 0)
		return directory_store_failed(a, m, error);
	pb_msg_init(&rep, MSG_DIR_MAP_LIST_REP);
	rep.u.dir_map_list_rep.error = xstrdup("");
	directory_routes_put_maps(&rep.u.dir_map_list_rep.maps, v, n, target);
	pb_route_maps_free(v, n);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Writes list l (NULL: removes the list name) with its change in the history (before: its
 * JSON before, NULL none). As pb_store_route_list_put / _delete. */
static int list_write(struct directory *d, const char *name, const char *before,
		      const struct pb_route_list *l, const char *by, const char **error_r)
{
	char *record = directory_history_record("list:", name, NULL);
	char *after = l != NULL ? directory_history_list_json(l) : NULL;

	directory_history_arm(d, record, before, after, by, "");
	int rc = l != NULL ? pb_store_route_list_put(d->store, l, error_r)
			   : pb_store_route_list_delete(d->store, name, error_r);
	pb_store_dir_change_disarm();
	free(record);
	free(after);
	return rc;
}

/* A new list: a name as an account's, taken by no account and no list. */
static uint32_t dlist_add(struct directory *d, const struct msg_dir_dlist_set_req *q,
			  const char **why_r, const char **error_r)
{
	struct pb_user_rec u;
	struct pb_route_list l;

	if (directory_check_user(q->name, why_r) < 0)
		return PB_ERR_REFUSED;
	int user = pb_store_user_get(d->store, q->name, &u, error_r);
	int list = user == 0 ? pb_store_route_list_get(d->store, q->name, &l, error_r) : 0;
	if (user < 0 || list < 0)
		return PB_ERR_INTERNAL;
	if (user == 1 || list == 1) {
		if (user == 1)
			pb_user_rec_free(&u);
		else
			pb_route_list_clear(&l);
		*why_r = user == 1 ? "an account has that name" : "a list has that name";
		return user == 1 ? PB_ERR_REFUSED : PB_ERR_EXISTS;
	}
	struct pb_route_list rec = { (char *)q->name, (char *)q->comment, q->internet != 0, NULL, 0 };
	return list_write(d, q->name, NULL, &rec, q->by, error_r) < 0 ? PB_ERR_INTERNAL : PB_OK;
}

/* Adds or removes q->member of list l (stored again, with its change in the history: before
 * is l's JSON before it). */
static uint32_t dlist_member(struct directory *d, struct pb_route_list *l, bool add,
			     const struct msg_dir_dlist_set_req *q, const char *before,
			     const char **why_r, const char **error_r)
{
	size_t at = l->n_members;
	const char *member = q->member;

	for (size_t i = 0; i < l->n_members; i++)
		if (strcasecmp(l->members[i], member) == 0)
			at = i;
	if (add && at == l->n_members) {
		if (l->n_members >= PB_ROUTE_LIST_MEMBERS_MAX) {
			*why_r = "a list has at most 10000 members";
			return PB_ERR_REFUSED;
		}
		l->members = xrealloc(l->members, sizeof(char *) * (l->n_members + 1));
		l->members[l->n_members++] = xstrdup(member);
	} else if (!add && at == l->n_members) {
		*why_r = "not a member of the list";
		return PB_ERR_NOTFOUND;
	} else if (!add) {
		free(l->members[at]);
		l->members[at] = l->members[--l->n_members];
	}
	return list_write(d, l->name, before, l, q->by, error_r) < 0 ? PB_ERR_INTERNAL : PB_OK;
}

/* An existing list's properties (internet, comment) set to q's, with its change in the
 * history. */
static uint32_t dlist_set(struct directory *d, const struct msg_dir_dlist_set_req *q,
			  const char **why_r, const char **error_r)
{
	struct pb_route_list l;

	if (strlen(q->comment) > PB_ROUTE_COMMENT_MAX || strpbrk(q->comment, "\r\n") != NULL) {
		*why_r = "a comment is one line of at most 1000 characters";
		return PB_ERR_REFUSED;
	}
	int found = pb_store_route_list_get(d->store, q->name, &l, error_r);
	*why_r = "no such list";
	if (found <= 0)
		return found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND;
	char *before = directory_history_list_json(&l);
	free(l.comment);
	l.comment = xstrdup(q->comment);
	l.internet = q->internet != 0;
	int rc = list_write(d, l.name, before, &l, q->by, error_r);
	free(before);
	pb_route_list_clear(&l);
	return rc < 0 ? PB_ERR_INTERNAL : PB_OK;
}

static uint32_t dlist_change(struct directory *d, const struct msg_dir_dlist_set_req *q,
			     const char **why_r, const char **error_r)
{
	bool add = strcmp(q->op, "addmember") == 0;
	struct pb_route_list l;

	if (strcmp(q->op, "del") == 0) {
		char *before = NULL, *record = directory_history_record("list:", q->name, NULL);
		int gone = directory_history_state(d, record, &before, error_r);
		if (gone == 0)
			gone = list_write(d, q->name, before, NULL, q->by, error_r);
		free(before);
		free(record);
		*why_r = "no such list";
		return gone < 0 ? PB_ERR_INTERNAL : gone ? PB_OK : PB_ERR_NOTFOUND;
	}
	if (strcmp(q->op, "set") == 0)
		return dlist_set(d, q, why_r, error_r);
	if (!add && strcmp(q->op, "delmember") != 0) {
		*why_r = "the operations are add, set, del, addmember, delmember";
		return PB_ERR_REFUSED;
	}
	if ((*why_r = address_error("a member is an account, a list or an address (1 to 320 "
				    "characters without spaces, ';' or ',')", q->member)) != NULL)
		return PB_ERR_REFUSED;
	int found = pb_store_route_list_get(d->store, q->name, &l, error_r);
	*why_r = "no such list";
	if (found <= 0)
		return found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND;
	char *before = directory_history_list_json(&l);
	uint32_t code = dlist_member(d, &l, add, q, before, why_r, error_r);
	free(before);
	pb_route_list_clear(&l);
	return code;
}

int directory_on_dlist_set(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const struct msg_dir_dlist_set_req *q = &m->u.dir_dlist_set_req;
	const char *why = "", *error = "";

	directory_routes_changed(d);
	uint32_t code = strcmp(q->op, "add") == 0 ? dlist_add(d, q, &why, &error)
						  : dlist_change(d, q, &why, &error);
	if (code == PB_ERR_INTERNAL)
		return directory_store_failed(a, m, error);
	pb_reply_status(a, m, code, code == PB_OK ? "" : why);
	if (code == PB_OK)
		pb_log_security("directory", "event=list_%s list=%s member=%s", PB_LOGQ(q->op),
				PB_LOGQ(q->name), PB_LOGQ(q->member));
	return 0;
}

int directory_on_dlist_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const char *name = m->u.dir_dlist_list_req.name;
	struct pb_route_list *v;
	size_t n;
	const char *error;
	struct pb_msg rep;

	if (pb_store_route_lists(d->store, &v, &n, &error) < 0)
		return directory_store_failed(a, m, error);
	pb_msg_init(&rep, MSG_DIR_DLIST_LIST_REP);
	rep.u.dir_dlist_list_rep.error = xstrdup("");
	directory_routes_put_lists(&rep.u.dir_dlist_list_rep.lists, v, n, name);
	pb_route_lists_free(v, n);
	if (name[0] != '\0' && rep.u.dir_dlist_list_rep.lists.n == 0) {
		pb_msg_free(&rep);
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such list"), 0;
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}
