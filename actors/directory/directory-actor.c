/*
 * directory-actor.c: the directory actor's handlers (see directory-actor.h).
 * OWNS: struct directory (the store handle, borrowed). THREAD: the actor's thread only.
 * The records themselves are durable; the actor holds no cache, so a restart rebuilds nothing.
 */
#include "directory-actor.h"
#include "directory-client.h"

#include "auth-client.h"
#include "collector-client.h"
#include "directory-password.h"
#include "directory-private.h"
#include "mailbox-client.h"
#include "directory-resolve.h"
#include "directory-rules.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "send-policy.h"
#include "store-accounts.h"
#include "store-collector.h"

#include <cjson/cJSON.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* How long an account change waits for a hash or a purge before it is answered anyway. */
#define DIRECTORY_OP_TIMEOUT_MS 60000
#define DIRECTORY_TIMER_OPS 1
#define DIRECTORY_TICK_MS 5000

static int dir_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct directory *d = xcalloc(1, sizeof(*d));
	d->store = arg;
	d->rt = pb_actor_runtime(a);
	d->sent = send_counter_create(DIRECTORY_SEND_USERS);
	directory_routes_init(d);
	*state_r = d;
	pb_actor_timer_set(a, DIRECTORY_TIMER_OPS, DIRECTORY_TICK_MS);
	return 0;
}

static void dir_deinit(struct pb_actor *a, void *state)
{
	struct directory *d = state;
	directory_ops_clear(&d->ops); /* their callers time out; a purge left undone is swept */
	send_counter_destroy(&d->sent);
	directory_routes_deinit(d);
	free(d);
}

/* The minimum password length: setting accounts.password_min_length. */
static unsigned password_min(struct directory *d)
{
	const struct pb_settings *s = pb_settings_acquire(d->rt);
	unsigned min = s->accounts.password_min_length;

	pb_settings_release(d->rt, s);
	return min;
}

int directory_store_failed(struct pb_actor *a, const struct pb_msg *m, const char *error)
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

/* Sets u's settings: the JSON object given, else those of from. PB_OK or REFUSED. */
static uint32_t add_settings(struct pb_user_rec *u, const char *settings, struct pb_user_rec *from,
			     const char **error_r)
{
	if (settings == NULL || settings[0] == '\0') {
		u->settings_json = from->settings_json;
		from->settings_json = NULL;
		return PB_OK;
	}
	cJSON *doc = cJSON_Parse(settings);
	bool object = cJSON_IsObject(doc);
	cJSON_Delete(doc);
	if (!object) {
		*error_r = "the settings must be a JSON object";
		return PB_ERR_REFUSED;
	}
	if (send_policy_check_json(settings, error_r) < 0)
		return PB_ERR_REFUSED;
	u->settings_json = xstrdup(settings);
	return PB_OK;
}

/* Checks a new account (name, password, settings, copy_from) and fills u with everything but
 * its hash and id. Shared by USER_ADD and USER_BULK_ADD. Returns PB_OK, or a status code with
 * *error_r for the user (PB_ERR_INTERNAL: a store error). */
static uint32_t add_check(struct directory *d, const char *name, const char *password,
			  const char *copy_from, const char *settings, struct pb_user_rec *u,
			  const char **error_r)
{
	struct pb_user_rec from;

	if (directory_check_user(name, error_r) < 0 ||
	    directory_check_password(password, password_min(d), error_r) < 0)
		return PB_ERR_REFUSED;
	memset(&from, 0, sizeof(from));
	int found = pb_store_user_get(d->store, name, u, error_r);
	pb_user_rec_free(u);
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
	uint32_t code = add_settings(u, settings, &from, error_r);
	pb_user_rec_free(&from);
	directory_lower(name, u->name, sizeof(u->name));
	return code;
}

static int first_domain(const char *domain, void *ctx)
{
	snprintf(ctx, 256, "%s", domain);
	return 1;
}

/* The address a new account's welcome goes to (name@ the first local domain, else
 * name@localhost) into addr, or "" when it gets none: welcome is the account's choice (enum
 * directory_welcome), DEFAULT follows welcome.enabled. */
static void welcome_address(struct directory *d, const char *name, uint8_t welcome,
			    char addr[320])
{
	const struct pb_settings *st = pb_settings_acquire(d->rt);
	bool on = welcome == DIRECTORY_WELCOME_YES	 ? true
		  : welcome == DIRECTORY_WELCOME_NO ? false
						    : st->welcome.enabled != 0;
	char domain[256] = "localhost";
	const char *error;

	pb_settings_release(d->rt, st);
	addr[0] = '\0';
	if (!on)
		return;
	if (pb_store_domain_iter(d->store, first_domain, domain, &error) < 0)
		pb_warn("directory", "event=welcome_domain_failed reason=%s", PB_LOGQ(error));
	snprintf(addr, 320, "%s@%s", name, domain);
}

/* Writes a checked account whose hash has come (u->pw_hash). The name is looked up again: another
 * add may have taken it while the hash was made. Returns a status code with *error_r. */
static uint32_t add_write(struct directory *d, struct pb_user_rec *u, uint8_t welcome_choice,
			  const char **error_r)
{
	struct pb_user_rec other;

	memset(&other, 0, sizeof(other));
	int found = pb_store_user_get(d->store, u->name, &other, error_r);
	pb_user_rec_free(&other);
	if (found != 0) {
		if (found > 0)
			*error_r = "a user with this name exists already";
		return found > 0 ? PB_ERR_EXISTS : PB_ERR_INTERNAL;
	}
	char welcome[320];

	welcome_address(d, u->name, welcome_choice, welcome);
	u->created_ms = pb_clock_wall_ms();
	if (pb_store_counter_next(d->store, "user-id", &u->id, error_r) < 0 ||
	    pb_store_user_put_welcome(d->store, u, welcome[0] != '\0' ? welcome : NULL,
				      error_r) < 0)
		return PB_ERR_INTERNAL;
	pb_log_security("directory", "event=user_added user=%s id=%llu", u->name,
			(unsigned long long)u->id);
	return PB_OK;
}

/* Sends op's passwords (the request's, at op->unhashed) to the auth shards in chunks, then wipes
 * them from the request. Returns 0, or -1 with error_r when a chunk could not be sent. */
static int send_hashes(struct pb_actor *a, struct directory_op *op, char *const *passwords,
		       const char **error_r)
{
	const char *chunk[DIRECTORY_HASH_CHUNK];
	uint32_t chunks = directory_op_chunks(op);
	int rc = 0;

	op->chunks_left = chunks;
	for (uint32_t c = 0; c < chunks && rc == 0; c++) {
		uint32_t n = 0;
		for (uint32_t i = c * DIRECTORY_HASH_CHUNK; i < op->n_unhashed && n < DIRECTORY_HASH_CHUNK; i++)
			chunk[n++] = passwords[op->unhashed[i]];
		struct pb_sender s = pb_actor_sender(a, op->id << 16 | c);
		rc = auth_client_password_hash_send(&s, op->id * 31 + c, chunk, n, error_r);
	}
	for (uint32_t i = 0; i < op->n_unhashed; i++)
		wipe(passwords[op->unhashed[i]]);
	return rc;
}

static void create_mailboxes(struct pb_actor *a, struct directory *d, struct directory_op *op);

/* The welcome choice of a bulk add's user i (none given: DEFAULT). */
static uint8_t bulk_welcome(const struct directory_op *op, uint32_t i)
{
	const struct pb_bytes *w = &op->req.u.dir_user_bulk_add_req.welcome;

	return i < w->len ? w->data[i] : DIRECTORY_WELCOME_DEFAULT;
}

/* Ends a bulk add: writes every account whose check passed and hash came, in request order,
 * has their mailboxes created, and answers with one error per user ("" for added). */
static void bulk_finish(struct pb_actor *a, struct directory *d, struct directory_op *op)
{
	pb_msg_init(&op->rep, MSG_DIR_USER_BULK_ADD_REP);
	struct msg_dir_user_bulk_add_rep *r = &op->rep.u.dir_user_bulk_add_rep;
	for (uint32_t i = 0; i < op->n; i++) {
		const char *error = op->errors[i];
		uint32_t code = PB_ERR_INTERNAL;
		if (error == NULL && op->fail_code != PB_OK)
			error = op->fail_error;
		else if (error == NULL)
			code = add_write(d, &op->recs[i], bulk_welcome(op, i), &error);
		if (code != PB_OK)
			op->recs[i].id = 0; /* not written: no mailbox to create */
		r->added += code == PB_OK;
		pb_strv_push(&r->errors, code == PB_OK ? "" : error);
	}
	r->error = xstrdup("");
	create_mailboxes(a, d, op);
}

struct directory_op *directory_op_start(struct pb_actor *a, struct directory *d,
				       enum directory_op_kind kind, struct pb_msg *m, uint32_t n)
{
	pb_actor_defer_reply(a);
	return directory_ops_add(&d->ops, kind, m,  n,
				 pb_runtime_now_ms(pb_actor_runtime(a)) + DIRECTORY_OP_TIMEOUT_MS);
}

void directory_op_finish(struct pb_actor *a, struct directory *d, struct directory_op *op,
			 uint32_t code, const char *error)
{
	if (code == PB_ERR_INTERNAL)
		directory_store_failed(a, &op->req, error);
	else
		pb_reply_status(a, &op->req, code, code == PB_OK ? "" : error);
	directory_ops_remove(&d->ops, op);
}

void directory_op_answer(struct pb_actor *a, struct directory *d, struct directory_op *op)
{
	pb_reply(a, &op->req, &op->rep);
	directory_ops_remove(&d->ops, op);
}

/* Ends an add once the mailbox owners answered the creates (or the deadline passed): the
 * accounts exist, so the answer prepared stands; a mailbox not created is maint's to repair. */
static void create_done(struct pb_actor *a, struct directory *d, struct directory_op *op,
			struct pb_msg *rep)
{
	const char *error = "timed out";
	uint32_t code = rep != NULL ? mailbox_client_create_reply(rep, &error) : PB_ERR_TEMP;

	if (code != PB_OK)
		pb_warn("directory", "event=mailbox_create_deferred reason=%s", PB_LOGQ(error));
	if (rep == NULL || --op->chunks_left == 0)
		directory_op_answer(a, d, op);
}

/* Has the mailbox owners create the mailbox of each account op wrote (recs with an id), then
 * answers with op->rep when they have. */
static void create_mailboxes(struct pb_actor *a, struct directory *d, struct directory_op *op)
{
	const char *error;

	op->phase = DIRECTORY_PHASE_MAILBOX;
	op->chunks_left = 0;
	for (uint32_t i = 0; i < op->n; i++) {
		if (op->recs[i].id == 0)
			continue;
		struct pb_sender s = pb_actor_sender(a, op->id << 16);
		if (mailbox_client_create_send(&s, op->recs[i].id, &error) == 0)
			op->chunks_left++;
		else
			pb_warn("directory", "event=mailbox_create_deferred id=%llu reason=%s",
				(unsigned long long)op->recs[i].id, PB_LOGQ(error));
	}
	if (op->chunks_left == 0)
		directory_op_answer(a, d, op);
}

static int on_user_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct msg_dir_user_add_req *q = &m->u.dir_user_add_req;
	struct pb_user_rec u;
	const char *error = "";

	memset(&u, 0, sizeof(u));
	uint32_t code = add_check(d, q->user, q->password, q->copy_from, q->settings, &u, &error);
	if (code != PB_OK) {
		pb_user_rec_free(&u);
		wipe(q->password);
		if (code == PB_ERR_INTERNAL)
			return directory_store_failed(a, m, error);
		pb_reply_status(a, m, code, error);
		return 0;
	}
	struct directory_op *op = directory_op_start(a, d, DIRECTORY_OP_ADD, m, 1);
	op->recs[0] = u;
	op->n_unhashed = 1;
	if (send_hashes(a, op, &op->req.u.dir_user_add_req.password, &error) < 0)
		directory_op_finish(a, d, op, PB_ERR_TEMP, error);
	return 0;
}

static int on_user_bulk_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct msg_dir_user_bulk_add_req *q = &m->u.dir_user_bulk_add_req;
	const char *error = "";

	if (q->users.n != q->passwords.n) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "as many passwords as users are needed");
		return 0;
	}
	struct directory_op *op = directory_op_start(a, d, DIRECTORY_OP_BULK, m, q->users.n);
	q = &op->req.u.dir_user_bulk_add_req;
	for (uint32_t i = 0; i < q->users.n; i++) {
		const char *why = "";
		if (add_check(d, q->users.v[i], q->passwords.v[i], NULL, NULL, &op->recs[i], &why) ==
		    PB_OK)
			op->unhashed[op->n_unhashed++] = i;
		else
			op->errors[i] = why;
	}
	if (op->n_unhashed == 0)
		bulk_finish(a, d, op);
	else if (send_hashes(a, op, q->passwords.v, &error) < 0)
		directory_op_finish(a, d, op, PB_ERR_TEMP, error);
	return 0;
}

int directory_user_or_reply(struct pb_actor *a, struct directory *d, const struct pb_msg *m,
			    const char *name, struct pb_user_rec *u)
{
	const char *error;
	uint32_t code = PB_OK;
	int found = directory_resolve_login(d->store, name, u, &code, &error);

	if (found < 0)
		directory_store_failed(a, m, error);
	else if (found == 0)
		pb_reply_status(a, m, PB_ERR_NOTFOUND, error);
	return found > 0;
}

/* Ends a delete: the account is gone already, so the request succeeded whatever the purge
 * said; mail a failed purge left behind is the maintenance sweep's. */
static void purge_done(struct pb_actor *a, struct directory *d, struct directory_op *op,
		       uint32_t code, const char *error)
{
	if (code != PB_OK)
		pb_warn("directory", "event=purge_deferred id=%llu reason=\"%s\"",
			(unsigned long long)op->user_id, error);
	directory_op_finish(a, d, op, PB_OK, "");
}

/* Deletes the account of op (read again by id: it may have been renamed while its mailbox was
 * asked about) and has its mail purged; answered when the purge is.
 * Why the account goes first and its mail after: from the delete on, nothing new reaches the
 * mail (RCPT answers "no such user", and the mailbox owner refuses appends once the purge has
 * removed the mailbox record), and the purge queued behind any delivery already in flight takes
 * that away too. A crash between the two leaves mail without an account, which the maintenance
 * sweep purges (maint-actor.h), so the directory never waits on it. */
static void del_commit(struct pb_actor *a, struct directory *d, struct directory_op *op)
{
	struct pb_user_rec u;
	const char *error;

	memset(&u, 0, sizeof(u));
	int found = pb_store_user_get_by_id(d->store, op->user_id, &u, &error);
	if (found <= 0 || pb_store_user_delete(d->store, u.name, &error) < 0) {
		pb_user_rec_free(&u);
		directory_op_finish(a, d, op, found == 0 ? PB_ERR_NOTFOUND : PB_ERR_INTERNAL,
				    found == 0 ? "no such user" : error);
		return;
	}
	pb_log_security("directory", "event=user_deleted user=%s id=%llu forced=%d", u.name,
			(unsigned long long)u.id, op->req.u.dir_user_del_req.force);
	pb_user_rec_free(&u);
	op->phase = DIRECTORY_PHASE_MAILBOX;
	op->chunks_left = 1;
	struct pb_sender s = pb_actor_sender(a, op->id << 16);
	if (mailbox_client_purge_send(&s, op->user_id, &error) < 0)
		purge_done(a, d, op, PB_ERR_TEMP, error);
}

/* The mailbox owner's statistics for a delete without force: an empty mailbox goes on. */
static void del_stat_done(struct pb_actor *a, struct directory *d, struct directory_op *op,
			  struct pb_msg *rep)
{
	struct mailbox_stat st = { 0 };
	const char *error;
	uint32_t code = mailbox_client_stat_reply(rep, &st, &error);

	if (code != PB_OK)
		directory_op_finish(a, d, op, PB_ERR_TEMP, "the mailbox could not be read");
	else if (st.bytes > 0)
		directory_op_finish(a, d, op, PB_ERR_REFUSED,
				    "the mailbox is not empty; delete it with force to remove its mail too");
	else
		del_commit(a, d, op);
}

/* A delete with force goes at once; without, the mailbox owner says first whether the
 * mailbox is empty (the directory reads no mail itself). */
static int on_user_del(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_user_rec u;
	const char *error;

	if (!directory_user_or_reply(a, d, m, m->u.dir_user_del_req.user, &u))
		return 0;
	struct directory_op *op = directory_op_start(a, d, DIRECTORY_OP_DEL, m, 0);
	op->user_id = u.id;
	pb_user_rec_free(&u);
	if (op->req.u.dir_user_del_req.force) {
		del_commit(a, d, op);
		return 0;
	}
	op->phase = DIRECTORY_PHASE_STAT;
	op->chunks_left = 1;
	struct pb_sender s = pb_actor_sender(a, op->id << 16);
	if (mailbox_client_stat_send(&s, op->user_id, &error) < 0)
		directory_op_finish(a, d, op, PB_ERR_TEMP, error);
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
	if (!directory_user_or_reply(a, d, m, q->user, &u))
		return 0;
	memset(&other, 0, sizeof(other));
	int found = pb_store_user_get(d->store, q->new_name, &other, &error);
	if (found > 0 && other.id != u.id) {
		pb_reply_status(a, m, PB_ERR_EXISTS, "a user with the new name exists already");
	} else if (found < 0 || pb_store_user_rename(d->store, u.name, q->new_name, &error) < 0) {
		directory_store_failed(a, m, error);
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

	if (directory_check_password(q->password, password_min(d), &error) < 0) {
		wipe(q->password);
		pb_reply_status(a, m, PB_ERR_REFUSED, error);
		return 0;
	}
	if (!directory_user_or_reply(a, d, m, q->user, &u)) {
		wipe(q->password);
		return 0;
	}
	struct directory_op *op = directory_op_start(a, d, DIRECTORY_OP_PASSWD, m, 1);
	op->recs[0] = u;
	pb_user_rec_free(&op->recs[0]); /* the slots the new hash and SCRAM keys come into */
	op->n_unhashed = 1;
	if (send_hashes(a, op, &op->req.u.dir_user_passwd_req.password, &error) < 0)
		directory_op_finish(a, d, op, PB_ERR_TEMP, error);
	return 0;
}

/* Puts the new hash (and SCRAM keys) of op into u: its main password, or its web password
 * (which, DIR_USER_PASSWD_REQ's; the web password has no SCRAM keys: SCRAM is not a web
 * login). Returns which one ("main", "web"). */
static const char *passwd_take(struct directory_op *op, struct pb_user_rec *u)
{
	uint8_t which = op->req.u.dir_user_passwd_req.which;
	bool web = which == DIR_PASSWD_WEB || (which == DIR_PASSWD_WEB_OR_MAIN && u->web_pw_hash);

	if (web) {
		free(u->web_pw_hash);
		u->web_pw_hash = op->recs[0].pw_hash;
	} else {
		free(u->pw_hash);
		free(u->scram); /* NULL when the new password has no SCRAM keys */
		u->pw_hash = op->recs[0].pw_hash;
		u->scram = op->recs[0].scram;
		op->recs[0].scram = NULL;
	}
	op->recs[0].pw_hash = NULL;
	return web ? "web" : "main";
}

/* Ends a password change: the account is read again (it may have been renamed or deleted while
 * the hash was made) and written with the new hash. */
static void passwd_finish(struct pb_actor *a, struct directory *d, struct directory_op *op)
{
	struct pb_user_rec u;
	const char *error, *which = "";

	if (op->fail_code != PB_OK) {
		directory_op_finish(a, d, op, op->fail_code, op->fail_error);
		return;
	}
	memset(&u, 0, sizeof(u));
	int found = pb_store_user_get_by_id(d->store, op->recs[0].id, &u, &error);
	if (found > 0) {
		which = passwd_take(op, &u);
		found = pb_store_user_put(d->store, &u, &error) < 0 ? -1 : 1;
	}
	if (found > 0)
		pb_log_security("directory", "event=password_changed user=%s which=%s", u.name,
				which);
	directory_op_finish(a, d, op, found > 0 ? PB_OK : found == 0 ? PB_ERR_NOTFOUND : PB_ERR_INTERNAL,
		  found == 0 ? "no such user" : error);
	pb_user_rec_free(&u);
}

/* Ends a single add once its hash came: the account, then its mailbox, then the answer. */
static void add_finish(struct pb_actor *a, struct directory *d, struct directory_op *op)
{
	const char *error = op->fail_error;
	uint32_t code = op->fail_code;

	if (code == PB_OK)
		code = add_write(d, &op->recs[0], op->req.u.dir_user_add_req.welcome, &error);
	if (code != PB_OK) {
		directory_op_finish(a, d, op, code, error);
		return;
	}
	pb_msg_init(&op->rep, MSG_CORE_STATUS_REP);
	op->rep.u.core_status_rep.code = PB_OK;
	op->rep.u.core_status_rep.error = xstrdup("");
	create_mailboxes(a, d, op);
}

/* AUTH_PASSWORD_HASH_REP (or CORE_STATUS_REP when hashing failed) for chunk corr & 0xffff. */
static void hash_done(struct pb_actor *a, struct directory *d, struct directory_op *op,
		      struct pb_msg *rep)
{
	struct pb_rec_pw_cred_list creds = { 0 };
	const char *error;
	uint32_t chunk = (uint32_t)(rep->corr & 0xffff);
	uint32_t code = auth_client_password_hash_reply(rep, &creds, &error);

	for (uint32_t j = 0; code == PB_OK && j < creds.n; j++) {
		uint32_t at = chunk * DIRECTORY_HASH_CHUNK + j;
		struct pb_user_rec *u = at < op->n_unhashed ? &op->recs[op->unhashed[at]] : NULL;
		if (u != NULL && u->pw_hash == NULL) {
			u->pw_hash = creds.v[j].hash;
			creds.v[j].hash = NULL;
			/* "": this password has no SCRAM keys (sasl-scram-creds.h) */
			if (creds.v[j].scram != NULL && creds.v[j].scram[0] != '\0') {
				u->scram = creds.v[j].scram;
				creds.v[j].scram = NULL;
			}
		}
	}
	if (code != PB_OK && op->fail_code == PB_OK) {
		op->fail_code = code;
		op->fail_error = code == PB_ERR_INTERNAL ? "the password could not be hashed" : error;
	}
	pb_rec_pw_cred_list_clear(&creds);
	if (--op->chunks_left > 0)
		return;
	if (op->kind == DIRECTORY_OP_BULK)
		bulk_finish(a, d, op);
	else if (op->kind == DIRECTORY_OP_PASSWD)
		passwd_finish(a, d, op);
	else
		add_finish(a, d, op);
}

/* Replies to the directory's own requests: hashes from the auth shards; statistics, creates
 * and purges from the mailbox owners. A reply whose op is gone (answered at its deadline, or
 * the directory restarted) is dropped. */
static int on_own_reply(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct directory_op *op = directory_ops_find(&d->ops, m->corr);
	const char *error;

	if (op == NULL || op->chunks_left == 0)
		return 0;
	if (op->phase == DIRECTORY_PHASE_HASH) {
		hash_done(a, d, op, m);
	} else if (op->kind == DIRECTORY_OP_DEL && op->phase == DIRECTORY_PHASE_STAT) {
		del_stat_done(a, d, op, m);
	} else if (op->phase == DIRECTORY_PHASE_STAT) {
		directory_stat_done(a, d, op, m);
	} else if (op->kind == DIRECTORY_OP_DEL) {
		uint32_t code = mailbox_client_purge_reply(m, &error);
		purge_done(a, d, op, code, error);
	} else if (op->kind == DIRECTORY_OP_QUOTA) {
		uint32_t code = mailbox_client_quota_set_reply(m, &error);
		directory_op_finish(a, d, op, code, error);
	} else {
		create_done(a, d, op, m);
	}
	return 0;
}

/* Answers an op that waited too long: a delete is done (the sweep removes the mail), an add
 * is done (maint creates a mailbox left missing), a hash or statistics that did not come are
 * a temporary failure. */
static void dir_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct directory *d = state;
	struct directory_op *op;

	while ((op = directory_ops_expired(&d->ops, now)) != NULL) {
		if (op->phase == DIRECTORY_PHASE_STAT)
			directory_op_finish(a, d, op, PB_ERR_TEMP,
					    "the mailbox owners did not answer in time");
		else if (op->kind == DIRECTORY_OP_DEL)
			purge_done(a, d, op, PB_ERR_TEMP, "timed out");
		else if (op->kind == DIRECTORY_OP_QUOTA)
			directory_op_finish(a, d, op, PB_ERR_TEMP, "the quota is stored, but the mailbox "
				"owner did not take it in time; set it again");
		else if (op->phase == DIRECTORY_PHASE_MAILBOX)
			create_done(a, d, op, NULL);
		else if (op->kind == DIRECTORY_OP_BULK)
			directory_op_finish(a, d, op, PB_ERR_TEMP, "the passwords could not be hashed in time");
		else
			directory_op_finish(a, d, op, PB_ERR_TEMP, "the password could not be hashed in time");
	}
	pb_actor_timer_set(a, DIRECTORY_TIMER_OPS, DIRECTORY_TICK_MS);
}

static int on_user_lookup(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_user_rec u;
	struct pb_msg rep;

	if (!directory_user_or_reply(a, d, m, m->u.dir_user_lookup_req.user, &u))
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

/* Whether local is collector-fetch+TOKEN with a token a too-big notice named
 * (collector-fetch.h): 1 yes, 0 no, -1 the store failed. The sender is checked when routed. */
static int fetch_reply_accepts(struct directory *d, const char *local, const char **error_r)
{
	char token[COLLECTOR_FETCH_TOKEN_SIZE];
	char *json = NULL;

	if (!collector_fetch_address(local, token))
		return 0;
	int found = pb_store_fetch_token_get(d->store, token, &json, error_r);
	free(json);
	return found;
}

/* A recipient local@domain: the account directory_resolve_address finds; postmaster (in any
 * case, bare or at a local domain) always reaches someone. */
static int on_rcpt_check(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct msg_dir_rcpt_check_req *q = &m->u.dir_rcpt_check_req;
	const char *local = q->local != NULL ? q->local : "";
	const char *domain = q->domain != NULL ? q->domain : "";
	const char *collector = q->collector != NULL ? q->collector : "";
	bool postmaster = strcasecmp(local, "postmaster") == 0;
	uint32_t code = PB_ERR_REFUSED;
	const char *error = "not a local domain";
	struct pb_user_rec u = { 0 };
	struct pb_msg rep;

	/* the bare "<postmaster>" has no domain and is always local */
	int found = 0;
	if (domain[0] != '\0' || postmaster)
		found = directory_resolve_address(d->store, local, domain[0] ? domain : NULL, &u,
						  &code, &error);
	if (found == 1 && !postmaster && directory_defaults_disabled(&u)) {
		pb_user_rec_free(&u); /* default_addresses false: only aliases, lists reach it */
		found = 0;
		code = PB_ERR_NOTFOUND;
	}
	if (found == 0 && postmaster && code == PB_ERR_NOTFOUND)
		found = postmaster_user(d, &u, &error);
	if (found == 0 && domain[0] != '\0' && code == PB_ERR_NOTFOUND) {
		/* no account: an alias, a mapping or a list (user_id 0: the router decides) */
		int routed = directory_routes_accepts(d, local, domain, collector, &error);
		if (routed == 0) /* the reply to a too-big notice (user_id 0: the router asks) */
			routed = fetch_reply_accepts(d, local, &error);
		if (routed < 0)
			return directory_store_failed(a, m, error);
		if (routed == 1)
			found = 1;
	}
	if (found < 0)
		return directory_store_failed(a, m, error);
	if (found == 0) {
		pb_reply_status(a, m, code,
				code == PB_ERR_REFUSED ? "not a local domain" : "no such user");
		return 0;
	}
	pb_msg_init(&rep, MSG_DIR_RCPT_CHECK_REP);
	rep.u.dir_rcpt_check_rep.error = xstrdup("");
	rep.u.dir_rcpt_check_rep.user_id = u.id;
	rep.u.dir_rcpt_check_rep.user = xstrdup(u.name); /* "" for a routed address */
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

	if (!directory_user_or_reply(a, d, m, m->u.dir_user_copy_req.user, &u))
		return 0;
	if (!directory_user_or_reply(a, d, m, m->u.dir_user_copy_req.from, &from)) {
		pb_user_rec_free(&u);
		return 0;
	}
	free(u.settings_json);
	u.settings_json = from.settings_json;
	from.settings_json = NULL;
	if (pb_store_user_put(d->store, &u, &error) < 0) {
		directory_store_failed(a, m, error);
	} else {
		pb_log_security("directory", "event=settings_copied user=%s from=%s", PB_LOGQ(u.name),
				PB_LOGQ(from.name));
		pb_reply_status(a, m, PB_OK, "");
	}
	pb_user_rec_free(&u);
	pb_user_rec_free(&from);
	return 0;
}

/* A handler that writes accounts or domains (or ends an op that does): the routing snapshot
 * changes with it (directory_routes_changed), whatever the outcome. */
#define DIRECTORY_WRITES(fn)                                                     \
	static int fn##_writes(struct pb_actor *a, void *state, struct pb_msg *m) \
	{                                                                        \
		directory_routes_changed(state);                                 \
		return fn(a, state, m);                                          \
	}
DIRECTORY_WRITES(on_user_add)
DIRECTORY_WRITES(on_user_bulk_add)
DIRECTORY_WRITES(on_user_del)
DIRECTORY_WRITES(on_user_rename)
DIRECTORY_WRITES(on_user_copy)
DIRECTORY_WRITES(on_own_reply)
DIRECTORY_WRITES(directory_on_domain_add)
DIRECTORY_WRITES(directory_on_domain_del)
DIRECTORY_WRITES(directory_on_user_set)
DIRECTORY_WRITES(directory_on_script)

static const struct pb_handler directory_handlers[] = {
	{ MSG_DIR_USER_ADD_REQ, on_user_add_writes },
	{ MSG_DIR_USER_BULK_ADD_REQ, on_user_bulk_add_writes },
	{ MSG_DIR_USER_DEL_REQ, on_user_del_writes },
	{ MSG_DIR_USER_RENAME_REQ, on_user_rename_writes },
	{ MSG_DIR_USER_PASSWD_REQ, on_user_passwd },
	{ MSG_DIR_USER_LOOKUP_REQ, on_user_lookup },
	{ MSG_DIR_RCPT_CHECK_REQ, on_rcpt_check },
	{ MSG_DIR_USER_LIST_REQ, directory_on_user_list },
	{ MSG_DIR_USER_SHOW_REQ, directory_on_user_show },
	{ MSG_DIR_COUNTS_REQ, directory_on_counts },
	{ MSG_DIR_USER_IDS_REQ, directory_on_user_ids },
	{ MSG_DIR_USER_COPY_REQ, on_user_copy_writes },
	{ MSG_DIR_DOMAIN_ADD_REQ, directory_on_domain_add_writes },
	{ MSG_DIR_DOMAIN_DEL_REQ, directory_on_domain_del_writes },
	{ MSG_DIR_DOMAIN_LIST_REQ, directory_on_domain_list },
	{ MSG_DIR_USER_SET_REQ, directory_on_user_set_writes },
	{ MSG_DIR_SEND_POLICY_REQ, directory_on_send_policy },
	{ MSG_DIR_SEND_COUNT_EVT, directory_on_send_count },
	{ MSG_DIR_ROUTES_REQ, directory_on_routes },
	{ MSG_DIR_SCRIPT_REQ, directory_on_script_writes },
	{ MSG_DIR_MAP_SET_REQ, directory_on_map_set },
	{ MSG_DIR_HISTORY_REQ, directory_on_history },
	{ MSG_DIR_ROLLBACK_REQ, directory_on_rollback },
	{ MSG_DIR_RULES_SET_REQ, directory_on_rules_set },
	{ MSG_DIR_RULES_GET_REQ, directory_on_rules_get },
	{ MSG_DIR_MAP_LIST_REQ, directory_on_map_list },
	{ MSG_DIR_DLIST_SET_REQ, directory_on_dlist_set },
	{ MSG_DIR_DLIST_LIST_REQ, directory_on_dlist_list },
	{ MSG_AUTH_PASSWORD_HASH_REP, on_own_reply_writes },
	{ MSG_CORE_STATUS_REP, on_own_reply_writes },
	{ MSG_MBOX_STAT_REP, on_own_reply_writes },
};

const struct pb_actor_def directory_actor_def = {
	.name = "directory",
	.inbox_size = 1024,
	.init = dir_init,
	.deinit = dir_deinit,
	.handlers = directory_handlers,
	.n_handlers = PB_N_ELEMENTS(directory_handlers),
	.on_timer = dir_timer,
};
