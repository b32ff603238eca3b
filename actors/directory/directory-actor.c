/*
 * directory-actor.c: the directory actor's handlers (see directory-actor.h).
 * OWNS: struct directory (the store handle, borrowed). THREAD: the actor's thread only.
 * The records themselves are durable; the actor holds no cache, so a restart rebuilds nothing.
 */
#include "directory-actor.h"

#include "directory-password.h"
#include "directory-rules.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "store.h"

#include <cjson/cJSON.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DIRECTORY_PURGE_TIMEOUT_MS 60000

struct directory {
	struct pb_store *store;
	struct pb_runtime *rt; /* for the settings snapshot */
};

static int dir_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct directory *d = xcalloc(1, sizeof(*d));
	d->store = arg;
	d->rt = pb_actor_runtime(a);
	*state_r = d;
	return 0;
}

static void dir_deinit(struct pb_actor *a, void *state)
{
	free(state);
}

/* The minimum password length: setting accounts.password_min_length. */
static unsigned password_min(struct directory *d)
{
	const struct pb_settings *s = pb_settings_acquire(d->rt);
	unsigned min = s->accounts.password_min_length;

	pb_settings_release(d->rt, s);
	return min;
}

static int store_failed(struct pb_actor *a, const struct pb_msg *m, const char *error)
{
	pb_error("directory", "event=store_error request=%s reason=%s", pb_msg_name(m->type),
		 PB_LOGQ(error));
	pb_reply_status(a, m, PB_ERR_INTERNAL, "the account store failed; see the server log");
	return 0;
}

static void wipe(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
}

/* Adds one account; shared by USER_ADD and USER_BULK_ADD. Returns a status code and sets
 * *error_r for the user. */
static uint32_t add_user(struct directory *d, const char *name, const char *password,
			 const char *copy_from, const char *settings, const char **error_r)
{
	struct pb_user_rec u, from;
	uint32_t code = PB_OK;

	if (directory_check_user(name, error_r) < 0 ||
	    directory_check_password(password, password_min(d), error_r) < 0)
		return PB_ERR_REFUSED;
	memset(&u, 0, sizeof(u));
	memset(&from, 0, sizeof(from));
	int found = pb_store_user_get(d->store, name, &u, error_r);
	pb_user_rec_free(&u);
	if (found != 0) {
		if (found > 0)
			*error_r = "a user with this name exists already";
		return found > 0 ? PB_ERR_EXISTS : PB_ERR_INTERNAL;
	}
	if (copy_from != NULL && copy_from[0] != '\0') {
		found = pb_store_user_get(d->store, copy_from, &from, error_r);
		if (found <= 0) {
			if (found == 0)
				*error_r = "the user to copy settings from does not exist";
			return found == 0 ? PB_ERR_NOTFOUND : PB_ERR_INTERNAL;
		}
	}
	directory_lower(name, u.name, sizeof(u.name));
	u.created_ms = pb_clock_wall_ms();
	if (settings != NULL && settings[0] != '\0') {
		cJSON *doc = cJSON_Parse(settings);
		bool object = cJSON_IsObject(doc);
		cJSON_Delete(doc);
		if (!object) {
			pb_user_rec_free(&from);
			*error_r = "the settings must be a JSON object";
			return PB_ERR_REFUSED;
		}
		u.settings_json = xstrdup(settings);
	} else {
		u.settings_json = from.settings_json;
		from.settings_json = NULL;
	}
	if ((u.pw_hash = directory_password_hash(password, error_r)) == NULL ||
	    pb_store_counter_next(d->store, "user-id", &u.id, error_r) < 0 ||
	    pb_store_user_put(d->store, &u, error_r) < 0)
		code = PB_ERR_INTERNAL;
	else
		pb_log_security("directory", "event=user_added user=%s id=%llu", PB_LOGQ(u.name),
				(unsigned long long)u.id);
	pb_user_rec_free(&u);
	pb_user_rec_free(&from);
	return code;
}

static int on_user_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct msg_dir_user_add_req *q = &m->u.dir_user_add_req;
	const char *error = "";
	uint32_t code = add_user(state, q->user, q->password, q->copy_from, q->settings, &error);

	wipe(q->password);
	if (code == PB_ERR_INTERNAL)
		return store_failed(a, m, error);
	pb_reply_status(a, m, code, code == PB_OK ? "" : error);
	return 0;
}

static int on_user_bulk_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct msg_dir_user_bulk_add_req *q = &m->u.dir_user_bulk_add_req;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_DIR_USER_BULK_ADD_REP);
	if (q->users.n != q->passwords.n) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "as many passwords as users are needed");
		pb_msg_free(&rep);
		return 0;
	}
	for (uint32_t i = 0; i < q->users.n; i++) {
		const char *error = "";
		uint32_t code = add_user(state, q->users.v[i], q->passwords.v[i], NULL, NULL, &error);
		wipe(q->passwords.v[i]);
		rep.u.dir_user_bulk_add_rep.added += code == PB_OK;
		pb_strv_push(&rep.u.dir_user_bulk_add_rep.errors, code == PB_OK ? "" : error);
	}
	rep.u.dir_user_bulk_add_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Looks a user up for a handler, answering NOTFOUND or an internal error itself.
 * Returns 1 found (caller frees u), 0 answered. */
static int get_user_or_reply(struct pb_actor *a, struct directory *d, const struct pb_msg *m,
			     const char *name, struct pb_user_rec *u)
{
	const char *error;

	memset(u, 0, sizeof(*u));
	int found = pb_store_user_get(d->store, name != NULL ? name : "", u, &error);
	if (found < 0)
		store_failed(a, m, error);
	else if (found == 0)
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such user");
	return found > 0;
}

static int purge_mailbox(struct pb_actor *a, uint64_t user_id, const char **error_r)
{
	struct pb_msg req, rep;
	int rc = -1;

	pb_msg_init(&req, MSG_MBOX_PURGE_REQ);
	req.u.mbox_purge_req.user_id = user_id;
	if (pb_call(pb_actor_caller(a), NULL, &req, &rep, DIRECTORY_PURGE_TIMEOUT_MS, error_r) == 0) {
		rc = pb_msg_status(&rep, NULL) == PB_OK ? 0 : -1;
		if (rc < 0)
			*error_r = "the mailbox could not be emptied";
		pb_msg_free(&rep);
	}
	pb_msg_free(&req);
	return rc;
}

static int on_user_del(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct msg_dir_user_del_req *q = &m->u.dir_user_del_req;
	struct pb_user_rec u;
	uint64_t inbox = 0, bytes = 0;
	const char *error;

	if (!get_user_or_reply(a, d, m, q->user, &u))
		return 0;
	if (pb_store_user_stats(d->store, u.id, &inbox, &bytes, &error) < 0) {
		pb_user_rec_free(&u);
		return store_failed(a, m, error);
	}
	if (bytes > 0 && !q->force) {
		pb_reply_status(a, m, PB_ERR_REFUSED,
				"the mailbox is not empty; delete it with force to remove its mail too");
	} else if (purge_mailbox(a, u.id, &error) < 0) {
		pb_reply_status(a, m, PB_ERR_TEMP, error);
	} else if (pb_store_user_delete(d->store, u.name, &error) < 0) {
		pb_user_rec_free(&u);
		return store_failed(a, m, error);
	} else {
		/* A delivery already in flight may have landed between the purge and the delete;
		 * a second purge takes it away, and from now on the mailbox owner refuses the id. */
		if (purge_mailbox(a, u.id, &error) < 0)
			pb_warn("directory", "event=second_purge_failed id=%llu reason=%s",
				(unsigned long long)u.id, PB_LOGQ(error));
		pb_log_security("directory", "event=user_deleted user=%s id=%llu forced=%d",
				PB_LOGQ(u.name), (unsigned long long)u.id, q->force);
		pb_reply_status(a, m, PB_OK, "");
	}
	pb_user_rec_free(&u);
	return 0;
}

static int on_user_rename(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct msg_dir_user_rename_req *q = &m->u.dir_user_rename_req;
	struct pb_user_rec u, other;
	const char *error;

	if (directory_check_user(q->new_name, &error) < 0) {
		pb_reply_status(a, m, PB_ERR_REFUSED, error);
		return 0;
	}
	if (!get_user_or_reply(a, d, m, q->user, &u))
		return 0;
	memset(&other, 0, sizeof(other));
	int found = pb_store_user_get(d->store, q->new_name, &other, &error);
	if (found > 0 && other.id != u.id) {
		pb_reply_status(a, m, PB_ERR_EXISTS, "a user with the new name exists already");
	} else if (found < 0 || pb_store_user_rename(d->store, u.name, q->new_name, &error) < 0) {
		store_failed(a, m, error);
	} else {
		pb_log_security("directory", "event=user_renamed user=%s new=%s", PB_LOGQ(u.name),
				PB_LOGQ(q->new_name));
		pb_reply_status(a, m, PB_OK, "");
	}
	pb_user_rec_free(&other);
	pb_user_rec_free(&u);
	return 0;
}

static int on_user_passwd(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct msg_dir_user_passwd_req *q = &m->u.dir_user_passwd_req;
	struct pb_user_rec u;
	const char *error;
	char *hash;

	if (directory_check_password(q->password, password_min(d), &error) < 0) {
		wipe(q->password);
		pb_reply_status(a, m, PB_ERR_REFUSED, error);
		return 0;
	}
	if (!get_user_or_reply(a, d, m, q->user, &u)) {
		wipe(q->password);
		return 0;
	}
	hash = directory_password_hash(q->password, &error);
	wipe(q->password);
	if (hash == NULL) {
		pb_user_rec_free(&u);
		return store_failed(a, m, error);
	}
	free(u.pw_hash);
	u.pw_hash = hash;
	if (pb_store_user_put(d->store, &u, &error) < 0) {
		pb_user_rec_free(&u);
		return store_failed(a, m, error);
	}
	pb_log_security("directory", "event=password_changed user=%s", PB_LOGQ(u.name));
	pb_reply_status(a, m, PB_OK, "");
	pb_user_rec_free(&u);
	return 0;
}

static int on_user_verify(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct msg_dir_user_verify_req *q = &m->u.dir_user_verify_req;
	struct pb_user_rec u;
	struct pb_msg rep;
	const char *error;

	memset(&u, 0, sizeof(u));
	int found = directory_check_user(q->user, &error) == 0
			    ? pb_store_user_get(d->store, q->user, &u, &error)
			    : 0;
	if (found < 0) {
		wipe(q->password);
		return store_failed(a, m, error);
	}
	/* An unknown user is verified against a dummy hash: same answer, same time. */
	bool ok = directory_password_verify(q->password, found > 0 ? u.pw_hash : NULL);
	wipe(q->password);
	pb_msg_init(&rep, MSG_DIR_USER_VERIFY_REP);
	rep.u.dir_user_verify_rep.code = ok ? PB_OK : PB_ERR_AUTH;
	rep.u.dir_user_verify_rep.error = xstrdup(ok ? "" : "authentication failed");
	rep.u.dir_user_verify_rep.user_id = ok ? u.id : 0;
	rep.u.dir_user_verify_rep.user = xstrdup(ok ? u.name : "");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	pb_user_rec_free(&u);
	return 0;
}

static int on_user_lookup(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_user_rec u;
	struct pb_msg rep;

	if (!get_user_or_reply(a, d, m, m->u.dir_user_lookup_req.user, &u))
		return 0;
	pb_msg_init(&rep, MSG_DIR_USER_LOOKUP_REP);
	rep.u.dir_user_lookup_rep.user_id = u.id;
	rep.u.dir_user_lookup_rep.user = xstrdup(u.name);
	rep.u.dir_user_lookup_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	pb_user_rec_free(&u);
	return 0;
}

struct admin_ctx {
	struct pb_user_rec *u;
	int found;
};

static int find_admin(const struct pb_user_rec *u, void *arg)
{
	struct admin_ctx *c = arg;
	cJSON *doc = cJSON_Parse(u->settings_json != NULL ? u->settings_json : "{}");
	bool admin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "admin"));
	cJSON_Delete(doc);
	if (!admin)
		return 0;
	c->u->id = u->id;
	snprintf(c->u->name, sizeof(c->u->name), "%s", u->name);
	c->found = 1;
	return 1;
}

/* Postmaster must always be accepted (RFC 5321 4.5.1): a user named postmaster, else "admin",
 * else the first administrator. Returns 1 / 0 / -1 like pb_store_user_get. */
static int postmaster_user(struct directory *d, struct pb_user_rec *u, const char **error_r)
{
	int found = pb_store_user_get(d->store, "postmaster", u, error_r);
	if (found == 0)
		found = pb_store_user_get(d->store, "admin", u, error_r);
	if (found == 0) {
		struct admin_ctx c = { u, 0 };
		if (pb_store_user_iter(d->store, find_admin, &c, error_r) < 0)
			return -1;
		found = c.found;
	}
	return found;
}

static int on_rcpt_check(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct msg_dir_rcpt_check_req *q = &m->u.dir_rcpt_check_req;
	const char *local = q->local != NULL ? q->local : "";
	const char *domain = q->domain != NULL ? q->domain : "";
	bool postmaster = strcasecmp(local, "postmaster") == 0;
	struct pb_user_rec u;
	struct pb_msg rep;
	const char *error;

	/* the bare "<postmaster>" has no domain and is always local */
	int is_local = domain[0] == '\0' ? postmaster : pb_store_domain_exists(d->store, domain, &error);
	if (is_local < 0)
		return store_failed(a, m, error);
	if (is_local == 0) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "not a local domain");
		return 0;
	}
	memset(&u, 0, sizeof(u));
	int found = directory_check_user(local, &error) == 0 ? pb_store_user_get(d->store, local, &u, &error)
							     : 0;
	if (found == 0 && postmaster)
		found = postmaster_user(d, &u, &error);
	if (found < 0)
		return store_failed(a, m, error);
	if (found == 0) {
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such user");
		return 0;
	}
	pb_msg_init(&rep, MSG_DIR_RCPT_CHECK_REP);
	rep.u.dir_rcpt_check_rep.error = xstrdup("");
	rep.u.dir_rcpt_check_rep.user_id = u.id;
	rep.u.dir_rcpt_check_rep.user = xstrdup(u.name);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	pb_user_rec_free(&u);
	return 0;
}

struct list_ctx {
	struct directory *d;
	const char *pattern;
	struct msg_dir_user_list_rep *rep;
	const char *error;
	int failed;
};

static int list_one(const struct pb_user_rec *u, void *arg)
{
	struct list_ctx *c = arg;
	uint64_t inbox = 0, bytes = 0;

	if (c->pattern[0] != '\0' && fnmatch(c->pattern, u->name, FNM_CASEFOLD) != 0)
		return 0;
	if (pb_store_user_stats(c->d->store, u->id, &inbox, &bytes, &c->error) < 0) {
		c->failed = 1;
		return 1;
	}
	pb_strv_push(&c->rep->users, u->name);
	pb_u64v_push(&c->rep->messages, inbox);
	pb_u64v_push(&c->rep->bytes, bytes);
	return 0;
}

static int on_user_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_msg rep;
	const char *pattern = m->u.dir_user_list_req.pattern;
	struct list_ctx c = { state, pattern != NULL ? pattern : "", NULL, NULL, 0 };

	pb_msg_init(&rep, MSG_DIR_USER_LIST_REP);
	c.rep = &rep.u.dir_user_list_rep;
	if (pb_store_user_iter(c.d->store, list_one, &c, &c.error) < 0 || c.failed) {
		pb_msg_free(&rep);
		return store_failed(a, m, c.error);
	}
	rep.u.dir_user_list_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_user_show(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_user_rec u;
	struct pb_msg rep;
	const char *error;

	if (!get_user_or_reply(a, d, m, m->u.dir_user_show_req.user, &u))
		return 0;
	pb_msg_init(&rep, MSG_DIR_USER_SHOW_REP);
	struct msg_dir_user_show_rep *r = &rep.u.dir_user_show_rep;
	if (pb_store_user_stats(d->store, u.id, &r->messages, &r->bytes, &error) < 0) {
		pb_msg_free(&rep);
		pb_user_rec_free(&u);
		return store_failed(a, m, error);
	}
	r->user = xstrdup(u.name);
	r->user_id = u.id;
	r->created_ms = u.created_ms;
	r->settings = xstrdup(u.settings_json != NULL ? u.settings_json : "{}");
	r->error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	pb_user_rec_free(&u);
	return 0;
}

static int on_user_copy(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_user_rec u, from;
	const char *error;

	if (!get_user_or_reply(a, d, m, m->u.dir_user_copy_req.user, &u))
		return 0;
	if (!get_user_or_reply(a, d, m, m->u.dir_user_copy_req.from, &from)) {
		pb_user_rec_free(&u);
		return 0;
	}
	free(u.settings_json);
	u.settings_json = from.settings_json;
	from.settings_json = NULL;
	if (pb_store_user_put(d->store, &u, &error) < 0) {
		store_failed(a, m, error);
	} else {
		pb_log_security("directory", "event=settings_copied user=%s from=%s", PB_LOGQ(u.name),
				PB_LOGQ(from.name));
		pb_reply_status(a, m, PB_OK, "");
	}
	pb_user_rec_free(&u);
	pb_user_rec_free(&from);
	return 0;
}

static int on_domain_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	char lower[DIRECTORY_DOMAIN_MAX + 1];
	const char *error;
	const char *domain = m->u.dir_domain_add_req.domain;

	if (directory_check_domain(domain, &error) < 0) {
		pb_reply_status(a, m, PB_ERR_REFUSED, error);
		return 0;
	}
	directory_lower(domain, lower, sizeof(lower));
	int exists = pb_store_domain_exists(d->store, lower, &error);
	if (exists < 0 || (exists == 0 && pb_store_domain_put(d->store, lower, &error) < 0))
		return store_failed(a, m, error);
	if (exists == 0)
		pb_log_security("directory", "event=domain_added domain=%s", PB_LOGQ(lower));
	pb_reply_status(a, m, exists ? PB_ERR_EXISTS : PB_OK,
			exists ? "this domain is local already" : "");
	return 0;
}

static int on_domain_del(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const char *error;
	int rc = pb_store_domain_delete(d->store, m->u.dir_domain_del_req.domain, &error);

	if (rc < 0)
		return store_failed(a, m, error);
	if (rc > 0)
		pb_log_security("directory", "event=domain_deleted domain=%s",
				PB_LOGQ(m->u.dir_domain_del_req.domain));
	pb_reply_status(a, m, rc ? PB_OK : PB_ERR_NOTFOUND, rc ? "" : "no such local domain");
	return 0;
}

static int push_domain(const char *domain, void *ctx)
{
	pb_strv_push(ctx, domain);
	return 0;
}

static int on_domain_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_msg rep;
	const char *error;

	pb_msg_init(&rep, MSG_DIR_DOMAIN_LIST_REP);
	if (pb_store_domain_iter(d->store, push_domain, &rep.u.dir_domain_list_rep.domains,
				 &error) < 0) {
		pb_msg_free(&rep);
		return store_failed(a, m, error);
	}
	rep.u.dir_domain_list_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler directory_handlers[] = {
	{ MSG_DIR_USER_ADD_REQ, on_user_add },
	{ MSG_DIR_USER_BULK_ADD_REQ, on_user_bulk_add },
	{ MSG_DIR_USER_DEL_REQ, on_user_del },
	{ MSG_DIR_USER_RENAME_REQ, on_user_rename },
	{ MSG_DIR_USER_PASSWD_REQ, on_user_passwd },
	{ MSG_DIR_USER_LOOKUP_REQ, on_user_lookup },
	{ MSG_DIR_RCPT_CHECK_REQ, on_rcpt_check },
	{ MSG_DIR_USER_LIST_REQ, on_user_list },
	{ MSG_DIR_USER_SHOW_REQ, on_user_show },
	{ MSG_DIR_USER_COPY_REQ, on_user_copy },
	{ MSG_DIR_DOMAIN_ADD_REQ, on_domain_add },
	{ MSG_DIR_DOMAIN_DEL_REQ, on_domain_del },
	{ MSG_DIR_DOMAIN_LIST_REQ, on_domain_list },
};

static const struct pb_handler auth_handlers[] = {
	{ MSG_DIR_USER_VERIFY_REQ, on_user_verify },
};

int auth_actors_start(struct pb_runtime *rt, struct pb_store *store, uint32_t n,
		      const char **error_r)
{
	char name[32];

	if (n == 0 || n > 64) {
		*error_r = "the number of auth shards must be 1 to 64";
		return -1;
	}
	pb_runtime_set_shards(rt, "auth", n);
	for (uint32_t i = 0; i < n; i++) {
		struct pb_actor_def def = {
			.name = name,
			.inbox_size = 1024,
			.init = dir_init,
			.deinit = dir_deinit,
			.handlers = auth_handlers,
			.n_handlers = PB_N_ELEMENTS(auth_handlers),
		};
		snprintf(name, sizeof(name), "auth.%u", i);
		if (pb_runtime_start(rt, &def, store, error_r) < 0)
			return -1;
	}
	return 0;
}

const struct pb_actor_def directory_actor_def = {
	.name = "directory",
	.inbox_size = 1024,
	.init = dir_init,
	.deinit = dir_deinit,
	.handlers = directory_handlers,
	.n_handlers = PB_N_ELEMENTS(directory_handlers),
};
