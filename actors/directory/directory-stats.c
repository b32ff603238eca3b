/*
 * directory-stats.c: the directory's answers that count or list accounts (see
 * directory-private.h). The mail statistics in a user list or show are the mailbox owners'
 * (MBOX_STAT_REQ): the directory reads accounts only.
 * OWNS: nothing beyond the ops it starts. THREAD: the directory actor's.
 */
#include "directory-private.h"

#include "mailbox-client.h"
#include "pb-log.h"
#include "router-user.h"
#include "store-accounts.h"

#include <fnmatch.h>
#include <string.h>

/* Asks for the statistics of the op's next users until DIRECTORY_STAT_WINDOW are in flight;
 * answers the op when every user's came. A request that cannot be sent ends the op TEMP. */
static void list_ask(struct pb_actor *a, struct directory *d, struct directory_op *op)
{
	const char *error;

	while (op->next < op->ids.n && op->chunks_left < DIRECTORY_STAT_WINDOW) {
		uint32_t slot = 0;
		while (op->slot_user[slot] != UINT32_MAX)
			slot++;
		struct pb_sender s = pb_actor_sender(a, op->id << 16 | slot);
		if (mailbox_client_stat_send(&s, op->ids.v[op->next], &error) < 0) {
			directory_op_finish(a, d, op, PB_ERR_TEMP, error);
			return;
		}
		op->slot_user[slot] = op->next++;
		op->chunks_left++;
	}
	if (op->chunks_left == 0)
		directory_op_answer(a, d, op);
}

void directory_stat_done(struct pb_actor *a, struct directory *d, struct directory_op *op,
			 struct pb_msg *rep)
{
	struct mailbox_stat st = { 0 };
	const char *error;
	uint32_t slot = (uint32_t)(rep->corr & 0xffff);
	uint32_t code = mailbox_client_stat_reply(rep, &st, &error);

	if (code != PB_OK) {
		pb_warn("directory", "event=mailbox_stat_failed reason=%s", PB_LOGQ(error));
		directory_op_finish(a, d, op, PB_ERR_TEMP, "the mailbox statistics could not be read");
		return;
	}
	if (op->kind == DIRECTORY_OP_SHOW) {
		op->rep.u.dir_user_show_rep.messages = st.messages;
		op->rep.u.dir_user_show_rep.bytes = st.bytes;
		directory_op_answer(a, d, op);
		return;
	}
	if (slot >= DIRECTORY_STAT_WINDOW || op->slot_user[slot] == UINT32_MAX)
		return; /* not a reply this op waits for */
	struct pb_rec_dir_user_entry *e = &op->rep.u.dir_user_list_rep.users.v[op->slot_user[slot]];
	e->messages = st.messages;
	e->bytes = st.bytes;
	op->slot_user[slot] = UINT32_MAX;
	op->chunks_left--;
	list_ask(a, d, op);
}

struct list_ctx {
	const char *pattern;
	struct msg_dir_user_list_rep *rep;
	struct pb_u64v *ids;
};

static int list_one(const struct pb_user_rec *u, void *arg)
{
	struct list_ctx *c = arg;

	if (c->pattern[0] != '\0' && fnmatch(c->pattern, u->name, FNM_CASEFOLD) != 0)
		return 0;
	struct pb_rec_dir_user_entry *e = pb_rec_dir_user_entry_push(&c->rep->users);
	struct router_user ru;

	router_user_load(u->settings_json, u->id, u->name, &ru);
	e->user = xstrdup(u->name);
	e->forwards = (ru.use_forwarding && ru.forward_to[0] != '\0') || ru.assistants[0] != '\0';
	router_user_clear(&ru);
	pb_u64v_push(c->ids, u->id);
	return 0;
}

int directory_on_user_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const char *error;
	struct directory_op *op = directory_op_start(a, d, DIRECTORY_OP_LIST, m, 0);
	const char *pattern = op->req.u.dir_user_list_req.pattern; /* moved into the op */
	struct list_ctx c = { pattern != NULL ? pattern : "", &op->rep.u.dir_user_list_rep, &op->ids };

	pb_msg_init(&op->rep, MSG_DIR_USER_LIST_REP);
	op->rep.u.dir_user_list_rep.error = xstrdup("");
	if (pb_store_user_iter(d->store, list_one, &c, &error) < 0) {
		directory_op_finish(a, d, op, PB_ERR_INTERNAL, error);
		return 0;
	}
	op->phase = DIRECTORY_PHASE_STAT;
	memset(op->slot_user, 0xff, sizeof(op->slot_user));
	list_ask(a, d, op);
	return 0;
}

int directory_on_user_show(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_user_rec u;
	const char *error;

	if (!directory_user_or_reply(a, d, m, m->u.dir_user_show_req.user, &u))
		return 0;
	struct directory_op *op = directory_op_start(a, d, DIRECTORY_OP_SHOW, m, 0);
	pb_msg_init(&op->rep, MSG_DIR_USER_SHOW_REP);
	struct msg_dir_user_show_rep *r = &op->rep.u.dir_user_show_rep;
	r->user = xstrdup(u.name);
	r->user_id = op->user_id = u.id;
	r->created_ms = u.created_ms;
	r->has_web_password = u.web_pw_hash != NULL;
	r->can_change_main = u.web_pw_hash == NULL || !u.webmail_main_denied;
	r->settings = router_user_settings_shown(u.settings_json);
	r->error = xstrdup("");
	pb_user_rec_free(&u);
	op->phase = DIRECTORY_PHASE_STAT;
	op->chunks_left = 1;
	struct pb_sender s = pb_actor_sender(a, op->id << 16);
	if (mailbox_client_stat_send(&s, op->user_id, &error) < 0)
		directory_op_finish(a, d, op, PB_ERR_TEMP, error);
	return 0;
}

static int count_user(const struct pb_user_rec *u, void *ctx)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

static int count_domain(const char *domain, void *ctx)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

int directory_count(struct directory *d, uint64_t *users_r, uint64_t *domains_r,
		    const char **error_r)
{
	uint64_t users = 0, domains = 0;

	if (pb_store_user_iter(d->store, count_user, &users, error_r) < 0 ||
	    pb_store_domain_iter(d->store, count_domain, &domains, error_r) < 0)
		return -1;
	if (users_r != NULL)
		*users_r = users;
	if (domains_r != NULL)
		*domains_r = domains;
	return 0;
}

int directory_on_counts(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_msg rep;
	const char *error;

	pb_msg_init(&rep, MSG_DIR_COUNTS_REP);
	if (directory_count(d, &rep.u.dir_counts_rep.users, &rep.u.dir_counts_rep.domains,
			    &error) < 0) {
		pb_msg_free(&rep);
		return directory_store_failed(a, m, error);
	}
	rep.u.dir_counts_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int push_id(const struct pb_user_rec *u, void *ctx)
{
	pb_u64v_push(ctx, u->id);
	return 0;
}

static int id_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

int directory_on_user_ids(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_msg rep;
	const char *error;

	pb_msg_init(&rep, MSG_DIR_USER_IDS_REP);
	struct pb_u64v *ids = &rep.u.dir_user_ids_rep.ids;
	if (pb_store_user_iter(d->store, push_id, ids, &error) < 0) {
		pb_msg_free(&rep);
		return directory_store_failed(a, m, error);
	}
	if (ids->n > 0)
		qsort(ids->v, ids->n, sizeof(ids->v[0]), id_cmp);
	rep.u.dir_user_ids_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}
