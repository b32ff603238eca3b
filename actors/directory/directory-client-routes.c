/*
 * directory-client-routes.c: typed calls for the routing records (see
 * directory-client-routes.h). OWNS nothing. THREAD: the caller's.
 */
#include "directory-client-routes.h"

#include <stdio.h>

#include "pb-alloc.h"

#include <string.h>

static char *dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

int directory_client_map_set(struct pb_sync *t, bool del, const char *address, const char *target,
			     const char *type, const char *collector, const char *comment,
			     uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_DIR_MAP_SET_REQ);
	struct msg_dir_map_set_req *q = &req.u.dir_map_set_req;
	q->del = del;
	q->address = dup_or_empty(address);
	q->target = dup_or_empty(target);
	q->type = dup_or_empty(type);
	q->collector = dup_or_empty(collector);
	q->comment = dup_or_empty(comment);
	q->by = xstrdup(directory_client_by_get());
	return pb_client_call_status(t, &req, code_r, error_r);
}

int directory_client_map_list(struct pb_sync *t, const char *target, uint32_t *code_r,
			      struct pb_rec_route_map_list *maps_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_DIR_MAP_LIST_REQ);
	req.u.dir_map_list_req.target = dup_or_empty(target);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_DIR_MAP_LIST_REQ, error_r);
	if (code == PB_OK)
		pb_rec_route_map_list_move(maps_r, &rep.u.dir_map_list_rep.maps);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_dlist_set(struct pb_sync *t, const char *op, const char *name,
			       const char *member, bool internet, const char *comment,
			       uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_DIR_DLIST_SET_REQ);
	struct msg_dir_dlist_set_req *q = &req.u.dir_dlist_set_req;
	q->op = dup_or_empty(op);
	q->name = dup_or_empty(name);
	q->member = dup_or_empty(member);
	q->internet = internet;
	q->comment = dup_or_empty(comment);
	q->by = xstrdup(directory_client_by_get());
	return pb_client_call_status(t, &req, code_r, error_r);
}

int directory_client_dlist_list(struct pb_sync *t, const char *name, uint32_t *code_r,
				struct pb_rec_route_list_list *lists_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_DIR_DLIST_LIST_REQ);
	req.u.dir_dlist_list_req.name = dup_or_empty(name);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_DIR_DLIST_LIST_REQ, error_r);
	if (code == PB_OK)
		pb_rec_route_list_list_move(lists_r, &rep.u.dir_dlist_list_rep.lists);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_script(struct pb_sync *t, const char *op, const char *user, const char *text,
			    uint32_t *code_r, char **text_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_DIR_SCRIPT_REQ);
	req.u.dir_script_req.op = dup_or_empty(op);
	req.u.dir_script_req.user = dup_or_empty(user);
	req.u.dir_script_req.text = dup_or_empty(text);
	req.u.dir_script_req.by = xstrdup(directory_client_by_get());
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_DIR_SCRIPT_REQ, error_r);
	if (code == PB_OK && text_r != NULL)
		*text_r = xstrdup(rep.u.dir_script_rep.text);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_routes(struct pb_sync *t, uint64_t have_gen, uint32_t *code_r,
			    struct pb_msg *rep_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_DIR_ROUTES_REQ);
	req.u.dir_routes_req.have_gen = have_gen;
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_DIR_ROUTES_REQ, error_r);
	if (code == PB_OK) {
		*rep_r = rep;
		memset(&rep, 0, sizeof(rep));
		pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	}
	return pb_client_done(t, &rep, code, code_r, error_r);
}

static void build_rules_set(struct pb_msg *req, const char *user, bool del, const char *json)
{
	pb_msg_init(req, MSG_DIR_RULES_SET_REQ);
	req->u.dir_rules_set_req.user = dup_or_empty(user);
	req->u.dir_rules_set_req.del = del;
	req->u.dir_rules_set_req.json = dup_or_empty(json);
	req->u.dir_rules_set_req.by = xstrdup(directory_client_by_get());
}

int directory_client_rules_set(struct pb_sync *t, const char *user, bool del, const char *json,
			       uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_rules_set(&req, user, del, json);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int directory_client_rules_set_send(const struct pb_sender *s, const char *user, bool del,
				    const char *json, const char **error_r)
{
	struct pb_msg req;

	build_rules_set(&req, user, del, json);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_rules_set_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_DIR_RULES_SET_REQ, error_r);
}

int directory_client_rules_get(struct pb_sync *t, const char *user, uint32_t *code_r,
			       char **json_r, uint64_t *user_id_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_DIR_RULES_GET_REQ);
	req.u.dir_rules_get_req.user = dup_or_empty(user);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_rules_get_reply(&rep, json_r, user_id_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_rules_get_send(const struct pb_sender *s, const char *user,
				    const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_DIR_RULES_GET_REQ);
	req.u.dir_rules_get_req.user = dup_or_empty(user);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_rules_get_reply(struct pb_msg *rep, char **json_r, uint64_t *user_id_r,
					  const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_RULES_GET_REQ, error_r);

	if (code == PB_OK) {
		*json_r = rep->u.dir_rules_get_rep.json;
		rep->u.dir_rules_get_rep.json = NULL;
		*user_id_r = rep->u.dir_rules_get_rep.user_id;
	}
	return code;
}

/* Who the calling thread's directory changes are by: the runtime's one "by" (pb-client.h),
 * which every record owner's stubs read. */
void directory_client_by(const char *by)
{
	pb_client_by(by);
}

const char *directory_client_by_get(void)
{
	return pb_client_by_get();
}

static void build_history(struct pb_msg *req, uint64_t before, uint32_t limit)
{
	pb_msg_init(req, MSG_DIR_HISTORY_REQ);
	req->u.dir_history_req.before = before;
	req->u.dir_history_req.limit = limit;
}

int directory_client_history(struct pb_sync *t, uint64_t before, uint32_t limit,
			     uint32_t *code_r, struct pb_rec_setting_change_list *changes_r,
			     const char **error_r)
{
	struct pb_msg req, rep;

	build_history(&req, before, limit);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_history_reply(&rep, changes_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_history_send(const struct pb_sender *s, uint64_t before, uint32_t limit,
				  const char **error_r)
{
	struct pb_msg req;

	build_history(&req, before, limit);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_history_reply(struct pb_msg *rep,
					struct pb_rec_setting_change_list *changes_r,
					const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_HISTORY_REQ, error_r);
	if (code == PB_OK)
		pb_rec_setting_change_list_move(changes_r, &rep->u.dir_history_rep.changes);
	return code;
}

static void build_rollback(struct pb_msg *req, uint64_t seq, bool to_point, const char *by)
{
	pb_msg_init(req, MSG_DIR_ROLLBACK_REQ);
	req->u.dir_rollback_req.seq = seq;
	req->u.dir_rollback_req.to_point = to_point;
	req->u.dir_rollback_req.by = dup_or_empty(by);
}

int directory_client_rollback(struct pb_sync *t, uint64_t seq, bool to_point, const char *by,
			      uint32_t *code_r, uint32_t *changed_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_rollback(&req, seq, to_point, by);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_rollback_reply(&rep, changed_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_rollback_send(const struct pb_sender *s, uint64_t seq, bool to_point,
				   const char *by, const char **error_r)
{
	struct pb_msg req;

	build_rollback(&req, seq, to_point, by);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_rollback_reply(struct pb_msg *rep, uint32_t *changed_r,
					 const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_ROLLBACK_REQ, error_r);
	*changed_r = code == PB_OK ? rep->u.dir_rollback_rep.changed : 0;
	return code;
}
