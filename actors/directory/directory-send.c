/*
 * directory-send.c: the directory's part in the sending permissions (send-policy.h): the
 * account settings that hold them, the policy an SMTP session asks for at MAIL FROM, and the
 * node-wide counts of messages sent for the hourly and daily limits.
 *
 * Why the counters live here rather than in the lockout guard: the limit that applies to an
 * account (its own max_messages_per_hour, else limits.user_messages_per_hour) is known only
 * from the account's settings, which the directory reads anyway to answer the policy; one call
 * at MAIL FROM answers the own-address rule, the permissions and the rate together. The counts
 * are in memory (send-counter.h): a restart forgets them, so after one an account may send up
 * to its limits again. They are node-wide (one directory per node); a cluster would need them
 * in the cluster engine, as the guard's state.
 * It also keeps the account's mailbox quota (quota_mb, set the same way): a change is given to
 * the mailbox owner (MBOX_QUOTA_SET_REQ) before the CLI is answered (its warnings go through
 * the spool: mailbox-quota.c). And the account's password
 * settings of `user set` (web_password off, webmail_main_password), kept in the record itself.
 * OWNS: struct directory's counter table (d->sent). THREAD: the directory actor's.
 * MESSAGES sent: MBOX_QUOTA_SET_REQ (a call, DIRECTORY_OP_QUOTA).
 */
#include "directory-client.h"
#include "directory-private.h"

#include "directory-resolve.h"
#include "mailbox-client.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "send-policy.h"
#include "router-user.h"
#include "store-accounts.h"

#include <stdio.h>
#include <string.h>

/* Gives the account's quota_mb, just written, to its mailbox owner, which keeps its copy
 * (mailbox-quota.c); m is answered when the owner has it (DIRECTORY_OP_QUOTA). */
static void quota_push(struct pb_actor *a, struct directory *d, struct pb_msg *m,
		       const struct pb_user_rec *u)
{
	struct send_policy p;
	const char *error;

	send_policy_from_json(u->settings_json, &p);
	struct directory_op *op = directory_op_start(a, d, DIRECTORY_OP_QUOTA, m, 0);
	op->phase = DIRECTORY_PHASE_MAILBOX;
	op->chunks_left = 1;
	struct pb_sender tx = pb_actor_sender(a, op->id << 16);
	if (mailbox_client_quota_set_send(&tx, u->id, p.quota_mb >= 0,
					  p.quota_mb >= 0 ? (uint64_t)p.quota_mb : 0, &error) < 0)
		directory_op_finish(a, d, op, PB_ERR_TEMP, error);
	send_policy_deinit(&p);
}

void directory_quota_cast(struct pb_actor *a, const struct pb_user_rec *u)
{
	struct send_policy p;
	const char *error;

	send_policy_from_json(u->settings_json, &p);
	struct pb_sender tx = pb_actor_sender(a, 0); /* no op has id 0: the reply is dropped */
	if (mailbox_client_quota_set_send(&tx, u->id, p.quota_mb >= 0,
					  p.quota_mb >= 0 ? (uint64_t)p.quota_mb : 0, &error) < 0)
		pb_warn("directory", "event=quota_not_pushed user=%s reason=%s", PB_LOGQ(u->name),
			PB_LOGQ(error));
	send_policy_deinit(&p);
}

/* The account's password settings, changed in u (`user set`): "web_password" "off" (or unset)
 * removes the separate web password (the main one is the web's again; another value is
 * refused: `user passwd NAME --web` sets it), "webmail_main_password" a boolean (unset: true)
 * whether webmail may change the main password while a web password exists. Returns 1 changed,
 * 0 key is neither (u untouched), -1 with *error_r (static text) for a bad value. */
static int password_setting(struct pb_user_rec *u, const char *key, const char *value, bool unset,
			    const char **error_r)
{
	bool allow = true;

	if (strcmp(key, "web_password") == 0) {
		if (!unset && strcmp(value, "off") != 0) {
			*error_r = "web_password can only be set to off "
				   "(user passwd NAME --web sets it)";
			return -1;
		}
		free(u->web_pw_hash);
		u->web_pw_hash = NULL;
		return 1;
	}
	if (strcmp(key, "webmail_main_password") != 0)
		return 0;
	if (!unset && send_policy_parse_bool(value, &allow) < 0) {
		*error_r = "webmail_main_password must be 1 or 0";
		return -1;
	}
	u->webmail_main_denied = !allow;
	return 1;
}

/* `user set` of a password setting (password_setting): the record's own fields. */
static void user_set_password(struct pb_actor *a, struct directory *d, struct pb_msg *m)
{
	const struct msg_dir_user_set_req *q = &m->u.dir_user_set_req;
	struct pb_user_rec u;
	const char *error;

	if (!directory_user_or_reply(a, d, m, q->user, &u))
		return;
	char *before = directory_history_user_json(&u);
	if (password_setting(&u, q->key, q->value, q->unset, &error) < 0) {
		pb_reply_status(a, m, PB_ERR_REFUSED, error);
	} else if (directory_history_user_put(d, before, &u, q->by, &error) < 0) {
		directory_store_failed(a, m, error);
	} else {
		pb_log_security("directory", "event=user_setting user=%s key=%s value=%s",
				PB_LOGQ(u.name), PB_LOGQ(q->key),
				q->unset ? "(default)" : PB_LOGQ(q->value));
		pb_reply_status(a, m, PB_OK, "");
	}
	free(before);
	pb_user_rec_free(&u);
}

int directory_on_user_set(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const struct msg_dir_user_set_req *q = &m->u.dir_user_set_req;
	struct pb_user_rec u;
	char *json = NULL;
	const char *error;

	bool routing = router_user_is_key(q->key);

	if (directory_password_is_key(q->key)) {
		user_set_password(a, d, m);
		return 0;
	}
	if (!routing && !send_policy_is_key(q->key)) { /* before the lookup: wrong for anyone */
		pb_reply_status(a, m, PB_ERR_REFUSED, DIRECTORY_USER_KEYS_ERROR);
		return 0;
	}
	if (!directory_user_or_reply(a, d, m, q->user, &u))
		return 0;
	int rc = routing ? (q->unset ? router_user_unset(u.settings_json, q->key, &json, &error)
				     : router_user_set(u.settings_json, q->key, q->value, &json, &error))
		: q->unset ? send_policy_unset(u.settings_json, q->key, &json, &error)
			   : send_policy_set(u.settings_json, q->key, q->value, &json, &error);
	if (rc < 0) {
		pb_reply_status(a, m, PB_ERR_REFUSED, error);
	} else {
		char *before = directory_history_user_json(&u);
		free(u.settings_json);
		u.settings_json = json;
		int put = directory_history_user_put(d, before, &u, q->by, &error);
		free(before);
		if (put < 0) {
			directory_store_failed(a, m, error);
		} else {
			pb_log_security("directory", "event=user_setting user=%s key=%s value=%s",
					PB_LOGQ(u.name), PB_LOGQ(q->key),
					q->unset ? "(default)" : PB_LOGQ(q->value));
			if (strcmp(q->key, "quota_mb") == 0)
				quota_push(a, d, m, &u);
			else
				pb_reply_status(a, m, PB_OK, "");
		}
	}
	pb_user_rec_free(&u);
	return 0;
}

/* Whether local@domain is one of account id's own addresses: it resolves to that account
 * (name@each local domain; aliases too once the directory knows them). The null sender
 * (both "") is allowed: notifications (RFC 3798/8098 MDNs, RFC 3464 DSNs a client sends)
 * go with it, and it impersonates nobody: nothing can be replied or bounced to it. */
static int own_sender(struct directory *d, uint64_t id, const char *local, const char *domain,
		      const char **error_r)
{
	struct pb_user_rec u;
	uint32_t code;

	if (local[0] == '\0' && domain[0] == '\0')
		return 1;
	if (domain[0] == '\0')
		return 0;
	int found = directory_resolve_address(d->store, local, domain, &u, &code, error_r);
	bool own = found > 0 && u.id == id;
	pb_user_rec_free(&u);
	return found < 0 ? -1 : own;
}

/* The rate verdict for the account's limits (its own, else the node's defaults). */
static void rate_fill(struct pb_actor *a, struct directory *d, uint64_t id,
		      const struct send_policy *p, struct msg_dir_send_policy_rep *r)
{
	const struct pb_settings *s = pb_settings_acquire(d->rt);
	uint32_t hour = send_policy_limit(p->per_hour, s->limits.user_messages_per_hour);
	uint32_t day = send_policy_limit(p->per_day, s->limits.user_messages_per_day);

	pb_settings_release(d->rt, s);
	r->over = (uint8_t)send_counter_check(d->sent, id, hour, day,
					      pb_runtime_now_ms(pb_actor_runtime(a)));
	r->limit = r->over == SEND_COUNTER_HOUR ? hour : r->over == SEND_COUNTER_DAY ? day : 0;
}

int directory_on_send_policy(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const struct msg_dir_send_policy_req *q = &m->u.dir_send_policy_req;
	struct pb_user_rec u;
	struct send_policy p;
	const char *error;
	struct pb_msg rep;

	memset(&u, 0, sizeof(u));
	int found = pb_store_user_get_by_id(d->store, q->user_id, &u, &error);
	int own = found > 0 ? own_sender(d, q->user_id, q->local, q->domain, &error) : 0;
	if (found < 0 || own < 0) {
		pb_user_rec_free(&u);
		return directory_store_failed(a, m, error);
	}
	if (found == 0)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such user"), 0;
	send_policy_from_json(u.settings_json, &p);
	pb_user_rec_free(&u);
	pb_msg_init(&rep, MSG_DIR_SEND_POLICY_REP);
	struct msg_dir_send_policy_rep *r = &rep.u.dir_send_policy_rep;
	r->error = xstrdup("");
	r->own_sender = own > 0;
	r->send_as_any = p.send_as_any;
	r->allow_bcc = p.allow_bcc;
	r->internet_mail = p.internet_mail;
	r->max_size_kb = p.max_size_kb;
	rate_fill(a, d, q->user_id, &p, r);
	pb_strv_move(&r->forbidden, &p.forbidden);
	r->sig_text = xstrdup(p.outgoing.text != NULL ? p.outgoing.text : "");
	r->sig_html = xstrdup(p.outgoing.html != NULL ? p.outgoing.html : "");
	r->int_sig_text = xstrdup(p.internal.text != NULL ? p.internal.text : "");
	r->int_sig_html = xstrdup(p.internal.html != NULL ? p.internal.html : "");
	send_policy_deinit(&p);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

int directory_on_send_count(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;

	send_counter_add(d->sent, m->u.dir_send_count_evt.user_id,
			 pb_runtime_now_ms(pb_actor_runtime(a)));
	return 0;
}
