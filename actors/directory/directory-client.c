/*
 * directory-client.c: the directory's typed client stub (see directory-client.h): one request
 * builder per message, and the synchronous call, asynchronous send and reply decoder over it.
 * OWNS nothing. THREAD: the caller's.
 */
#include "directory-client.h"
#include "directory-client-routes.h"

#include <string.h>

static char *dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

static char *steal(char **s)
{
	char *v = *s != NULL ? *s : xstrdup("");
	*s = NULL;
	return v;
}

/* ---- builders ---- */

static void build_user_add(struct pb_msg *m, const char *user, const char *password,
			   const char *copy_from, const char *settings,
			   enum directory_welcome welcome)
{
	pb_msg_init(m, MSG_DIR_USER_ADD_REQ);
	m->u.dir_user_add_req.welcome = (uint8_t)welcome;
	m->u.dir_user_add_req.user = dup_or_empty(user);
	m->u.dir_user_add_req.password = dup_or_empty(password);
	m->u.dir_user_add_req.copy_from = dup_or_empty(copy_from);
	m->u.dir_user_add_req.settings = dup_or_empty(settings);
}

static void build_user_del(struct pb_msg *m, const char *user, bool force)
{
	pb_msg_init(m, MSG_DIR_USER_DEL_REQ);
	m->u.dir_user_del_req.user = dup_or_empty(user);
	m->u.dir_user_del_req.force = force;
}

static void build_user_rename(struct pb_msg *m, const char *user, const char *new_name)
{
	pb_msg_init(m, MSG_DIR_USER_RENAME_REQ);
	m->u.dir_user_rename_req.user = dup_or_empty(user);
	m->u.dir_user_rename_req.new_name = dup_or_empty(new_name);
}

static void build_user_passwd(struct pb_msg *m, const char *user, const char *password,
			      enum directory_passwd_which which)
{
	pb_msg_init(m, MSG_DIR_USER_PASSWD_REQ);
	m->u.dir_user_passwd_req.which = (uint8_t)which;
	m->u.dir_user_passwd_req.user = dup_or_empty(user);
	m->u.dir_user_passwd_req.password = dup_or_empty(password);
}

static void build_user_copy(struct pb_msg *m, const char *user, const char *from)
{
	pb_msg_init(m, MSG_DIR_USER_COPY_REQ);
	m->u.dir_user_copy_req.user = dup_or_empty(user);
	m->u.dir_user_copy_req.from = dup_or_empty(from);
}

static void build_user_lookup(struct pb_msg *m, const char *user)
{
	pb_msg_init(m, MSG_DIR_USER_LOOKUP_REQ);
	m->u.dir_user_lookup_req.user = dup_or_empty(user);
}

static void build_user_list(struct pb_msg *m, const char *pattern)
{
	pb_msg_init(m, MSG_DIR_USER_LIST_REQ);
	m->u.dir_user_list_req.pattern = dup_or_empty(pattern);
}

static void build_user_show(struct pb_msg *m, const char *user)
{
	pb_msg_init(m, MSG_DIR_USER_SHOW_REQ);
	m->u.dir_user_show_req.user = dup_or_empty(user);
}

static void build_user_bulk_add(struct pb_msg *m, const struct pb_strv *users,
				const struct pb_strv *passwords, const uint8_t *welcome)
{
	pb_msg_init(m, MSG_DIR_USER_BULK_ADD_REQ);
	if (welcome != NULL && users->n > 0) {
		struct pb_bytes *w = &m->u.dir_user_bulk_add_req.welcome;
		w->data = xmemdup(welcome, users->n);
		w->len = users->n;
	}
	for (uint32_t i = 0; i < users->n; i++)
		pb_strv_push(&m->u.dir_user_bulk_add_req.users, users->v[i]);
	for (uint32_t i = 0; i < passwords->n; i++)
		pb_strv_push(&m->u.dir_user_bulk_add_req.passwords, passwords->v[i]);
}

static void build_rcpt_check(struct pb_msg *m, const char *local, const char *domain,
			     const char *collector)
{
	pb_msg_init(m, MSG_DIR_RCPT_CHECK_REQ);
	m->u.dir_rcpt_check_req.local = dup_or_empty(local);
	m->u.dir_rcpt_check_req.domain = dup_or_empty(domain);
	m->u.dir_rcpt_check_req.collector = dup_or_empty(collector);
}

static void build_domain(struct pb_msg *m, enum pb_msg_type type, const char *domain, bool force)
{
	pb_msg_init(m, type);
	if (type == MSG_DIR_DOMAIN_ADD_REQ) {
		m->u.dir_domain_add_req.domain = dup_or_empty(domain);
		m->u.dir_domain_add_req.by = xstrdup(directory_client_by_get());
	} else {
		m->u.dir_domain_del_req.domain = dup_or_empty(domain);
		m->u.dir_domain_del_req.force = force;
		m->u.dir_domain_del_req.by = xstrdup(directory_client_by_get());
	}
}

/* Wipes the password copies in a request before it is freed (they are secrets). */
static void wipe_strv(struct pb_strv *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		explicit_bzero(v->v[i], strlen(v->v[i]));
}

static void wipe_password(struct pb_msg *m)
{
	char *p = NULL;
	if (m->type == MSG_DIR_USER_ADD_REQ)
		p = m->u.dir_user_add_req.password;
	else if (m->type == MSG_DIR_USER_PASSWD_REQ)
		p = m->u.dir_user_passwd_req.password;
	else if (m->type == MSG_DIR_USER_BULK_ADD_REQ)
		wipe_strv(&m->u.dir_user_bulk_add_req.passwords);
	if (p != NULL)
		explicit_bzero(p, strlen(p));
}

static int send_secret(const struct pb_sender *s, struct pb_msg *m, const char **error_r)
{
	int rc = s->send(s->ctx, NULL, m, error_r);
	wipe_password(m);
	pb_msg_free(m);
	return rc;
}

static int call_secret(struct pb_sync *t, struct pb_msg *m, struct pb_msg *rep_r,
		       const char **error_r)
{
	int rc = t->call(t->ctx, m, rep_r, t->timeout_ms, error_r);
	wipe_password(m);
	pb_msg_free(m);
	return rc;
}

/* ---- accounts ---- */

int directory_client_user_add(struct pb_sync *t, const char *user, const char *password,
			      const char *copy_from, const char *settings,
			      enum directory_welcome welcome, uint32_t *code_r,
			      const char **error_r)
{
	struct pb_msg req, rep;

	build_user_add(&req, user, password, copy_from, settings, welcome);
	if (call_secret(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_user_add_reply(&rep, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_user_add_send(const struct pb_sender *s, const char *user,
				   const char *password, const char *copy_from,
				   const char *settings, enum directory_welcome welcome,
				   const char **error_r)
{
	struct pb_msg req;

	build_user_add(&req, user, password, copy_from, settings, welcome);
	return send_secret(s, &req, error_r);
}

uint32_t directory_client_user_add_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_DIR_USER_ADD_REQ, error_r);
}

int directory_client_user_del(struct pb_sync *t, const char *user, bool force, uint32_t *code_r,
			      const char **error_r)
{
	struct pb_msg req;

	build_user_del(&req, user, force);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int directory_client_user_del_send(const struct pb_sender *s, const char *user, bool force,
				   const char **error_r)
{
	struct pb_msg req;

	build_user_del(&req, user, force);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_user_del_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_DIR_USER_DEL_REQ, error_r);
}

int directory_client_user_rename(struct pb_sync *t, const char *user, const char *new_name,
				 uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_user_rename(&req, user, new_name);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int directory_client_user_rename_send(const struct pb_sender *s, const char *user,
				      const char *new_name, const char **error_r)
{
	struct pb_msg req;

	build_user_rename(&req, user, new_name);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_user_rename_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_DIR_USER_RENAME_REQ, error_r);
}

int directory_client_user_passwd(struct pb_sync *t, const char *user, const char *password,
				 enum directory_passwd_which which, uint32_t *code_r,
				 const char **error_r)
{
	struct pb_msg req, rep;

	build_user_passwd(&req, user, password, which);
	if (call_secret(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_user_passwd_reply(&rep, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_user_passwd_send(const struct pb_sender *s, const char *user,
				      const char *password, enum directory_passwd_which which,
				      const char **error_r)
{
	struct pb_msg req;

	build_user_passwd(&req, user, password, which);
	return send_secret(s, &req, error_r);
}

uint32_t directory_client_user_passwd_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_DIR_USER_PASSWD_REQ, error_r);
}

int directory_client_user_copy(struct pb_sync *t, const char *user, const char *from,
			       uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_user_copy(&req, user, from);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int directory_client_user_copy_send(const struct pb_sender *s, const char *user,
				    const char *from, const char **error_r)
{
	struct pb_msg req;

	build_user_copy(&req, user, from);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_user_copy_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_DIR_USER_COPY_REQ, error_r);
}

int directory_client_user_lookup(struct pb_sync *t, const char *user, uint32_t *code_r,
				 uint64_t *user_id_r, char **name_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_user_lookup(&req, user);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_user_lookup_reply(&rep, user_id_r, name_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_user_lookup_send(const struct pb_sender *s, const char *user,
				      const char **error_r)
{
	struct pb_msg req;

	build_user_lookup(&req, user);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_user_lookup_reply(struct pb_msg *rep, uint64_t *user_id_r,
					    char **name_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_USER_LOOKUP_REQ, error_r);

	if (code == PB_OK) {
		*user_id_r = rep->u.dir_user_lookup_rep.user_id;
		*name_r = steal(&rep->u.dir_user_lookup_rep.user);
	}
	return code;
}

void directory_user_list_free(struct directory_user_list *l)
{
	pb_rec_dir_user_entry_list_clear(&l->users);
}

int directory_client_user_list(struct pb_sync *t, const char *pattern, uint32_t *code_r,
			       struct directory_user_list *list_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_user_list(&req, pattern);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_user_list_reply(&rep, list_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_user_list_send(const struct pb_sender *s, const char *pattern,
				    const char **error_r)
{
	struct pb_msg req;

	build_user_list(&req, pattern);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_user_list_reply(struct pb_msg *rep, struct directory_user_list *list_r,
					  const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_USER_LIST_REQ, error_r);
	struct msg_dir_user_list_rep *r = &rep->u.dir_user_list_rep;

	if (code != PB_OK)
		return code;
	pb_rec_dir_user_entry_list_move(&list_r->users, &r->users);
	return code;
}

void directory_user_info_free(struct directory_user_info *i)
{
	free(i->user);
	free(i->settings);
	memset(i, 0, sizeof(*i));
}

int directory_client_user_show(struct pb_sync *t, const char *user, uint32_t *code_r,
			       struct directory_user_info *info_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_user_show(&req, user);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_user_show_reply(&rep, info_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_user_show_send(const struct pb_sender *s, const char *user,
				    const char **error_r)
{
	struct pb_msg req;

	build_user_show(&req, user);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_user_show_reply(struct pb_msg *rep, struct directory_user_info *info_r,
					  const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_USER_SHOW_REQ, error_r);
	struct msg_dir_user_show_rep *r = &rep->u.dir_user_show_rep;

	if (code != PB_OK)
		return code;
	info_r->user = steal(&r->user);
	info_r->user_id = r->user_id;
	info_r->created_ms = r->created_ms;
	info_r->messages = r->messages;
	info_r->bytes = r->bytes;
	info_r->settings = steal(&r->settings);
	info_r->has_web_password = r->has_web_password != 0;
	info_r->can_change_main = r->can_change_main != 0;
	return code;
}

int directory_client_user_bulk_add(struct pb_sync *t, const struct pb_strv *users,
				   const struct pb_strv *passwords, const uint8_t *welcome,
				   uint32_t *code_r, uint32_t *added_r, struct pb_strv *errors_r,
				   const char **error_r)
{
	struct pb_msg req, rep;

	build_user_bulk_add(&req, users, passwords, welcome);
	if (call_secret(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_user_bulk_add_reply(&rep, added_r, errors_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_user_bulk_add_send(const struct pb_sender *s, const struct pb_strv *users,
					const struct pb_strv *passwords, const uint8_t *welcome,
					const char **error_r)
{
	struct pb_msg req;

	build_user_bulk_add(&req, users, passwords, welcome);
	return send_secret(s, &req, error_r);
}

uint32_t directory_client_user_bulk_add_reply(struct pb_msg *rep, uint32_t *added_r,
					      struct pb_strv *errors_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_USER_BULK_ADD_REQ, error_r);

	if (code == PB_OK) {
		*added_r = rep->u.dir_user_bulk_add_rep.added;
		pb_strv_move(errors_r, &rep->u.dir_user_bulk_add_rep.errors);
	}
	return code;
}

/* ---- recipients and domains ---- */

int directory_client_rcpt_check(struct pb_sync *t, const char *local, const char *domain,
				uint32_t *code_r, uint64_t *user_id_r, char **user_r,
				const char **error_r)
{
	return directory_client_rcpt_check_collected(t, local, domain, NULL, code_r, user_id_r,
						     user_r, error_r);
}

int directory_client_rcpt_check_collected(struct pb_sync *t, const char *local,
					  const char *domain, const char *collector,
					  uint32_t *code_r, uint64_t *user_id_r, char **user_r,
					  const char **error_r)
{
	struct pb_msg req, rep;

	build_rcpt_check(&req, local, domain, collector);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_rcpt_check_reply(&rep, user_id_r, user_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_rcpt_check_send(const struct pb_sender *s, const char *local,
				     const char *domain, const char **error_r)
{
	struct pb_msg req;

	build_rcpt_check(&req, local, domain, NULL);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_rcpt_check_reply(struct pb_msg *rep, uint64_t *user_id_r,
					   char **user_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_RCPT_CHECK_REQ, error_r);

	if (code == PB_OK) {
		*user_id_r = rep->u.dir_rcpt_check_rep.user_id;
		*user_r = steal(&rep->u.dir_rcpt_check_rep.user);
	}
	return code;
}

int directory_client_domain_add(struct pb_sync *t, const char *domain, uint32_t *code_r,
				const char **error_r)
{
	struct pb_msg req;

	build_domain(&req, MSG_DIR_DOMAIN_ADD_REQ, domain, false);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int directory_client_domain_add_send(const struct pb_sender *s, const char *domain,
				     const char **error_r)
{
	struct pb_msg req;

	build_domain(&req, MSG_DIR_DOMAIN_ADD_REQ, domain, false);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_domain_add_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_DIR_DOMAIN_ADD_REQ, error_r);
}

int directory_client_domain_del(struct pb_sync *t, const char *domain, bool force,
				uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_domain(&req, MSG_DIR_DOMAIN_DEL_REQ, domain, force);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int directory_client_domain_del_send(const struct pb_sender *s, const char *domain, bool force,
				     const char **error_r)
{
	struct pb_msg req;

	build_domain(&req, MSG_DIR_DOMAIN_DEL_REQ, domain, force);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_domain_del_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_DIR_DOMAIN_DEL_REQ, error_r);
}

int directory_client_domain_list(struct pb_sync *t, uint32_t *code_r, struct pb_strv *domains_r,
				 const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_DIR_DOMAIN_LIST_REQ);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_domain_list_reply(&rep, domains_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_domain_list_send(const struct pb_sender *s, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_DIR_DOMAIN_LIST_REQ);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_domain_list_reply(struct pb_msg *rep, struct pb_strv *domains_r,
					    const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_DOMAIN_LIST_REQ, error_r);

	if (code == PB_OK)
		pb_strv_move(domains_r, &rep->u.dir_domain_list_rep.domains);
	return code;
}

/* ---- counts ---- */

int directory_client_counts(struct pb_sync *t, uint32_t *code_r, uint64_t *users_r,
			    uint64_t *domains_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_DIR_COUNTS_REQ);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_counts_reply(&rep, users_r, domains_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_counts_send(const struct pb_sender *s, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_DIR_COUNTS_REQ);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_counts_reply(struct pb_msg *rep, uint64_t *users_r, uint64_t *domains_r,
				       const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_COUNTS_REQ, error_r);

	if (code == PB_OK) {
		*users_r = rep->u.dir_counts_rep.users;
		*domains_r = rep->u.dir_counts_rep.domains;
	}
	return code;
}

/* ---- user ids ---- */

int directory_client_user_ids(struct pb_sync *t, uint32_t *code_r, struct pb_u64v *ids_r,
			      const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_DIR_USER_IDS_REQ);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = directory_client_user_ids_reply(&rep, ids_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int directory_client_user_ids_send(const struct pb_sender *s, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_DIR_USER_IDS_REQ);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_user_ids_reply(struct pb_msg *rep, struct pb_u64v *ids_r,
					 const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_USER_IDS_REQ, error_r);

	if (code == PB_OK)
		pb_u64v_move(ids_r, &rep->u.dir_user_ids_rep.ids);
	return code;
}

static const struct {
	const char *name, *help;
} password_keys[] = {
	{ "web_password", "off: remove the separate web password (`user passwd NAME --web` sets "
			  "one); webmail takes the main one again" },
	{ "webmail_main_password", "[1] 0: with a web password, webmail may not change the main "
				   "password (guide 4.4), only the web one" },
};

bool directory_password_is_key(const char *key)
{
	for (size_t i = 0; key != NULL && i < PB_N_ELEMENTS(password_keys); i++)
		if (strcmp(key, password_keys[i].name) == 0)
			return true;
	return false;
}

const char *directory_password_key(size_t i, const char **help_r)
{
	if (i >= PB_N_ELEMENTS(password_keys))
		return NULL;
	*help_r = password_keys[i].help;
	return password_keys[i].name;
}
