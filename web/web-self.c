/*
 * web-self.c: webmail's self-service (issue 15 items 4 and 5) — a logged-in account changes
 * its password (the current one required; the server's password policy, accounts.*, applied
 * by the directory), and a logged-out one recovers: "forgotten password" and "unlock my
 * account" mail a one-time link (web-reset.h) to the account's reset_email (guide 2.1.1,
 * "Email for password resets"); the link's page sets a new password or lifts the account's
 * locks (the lockout guard's unlock, for every address: the mailbox owner proved it holds
 * the alternate address).
 *
 * What an ask answers never tells whether the account exists or has a reset_email: always
 * 202 with the same text (only the rate limits answer otherwise: 429, counted per name asked
 * for and per client address whether the name exists or not). Every step is logged (the
 * security log), never a token or a password. The mail goes through the spool like any
 * local submission (SPOOL_PUT_REQ, origin Local, null sender: it bounces nowhere).
 *
 * OWNS: struct recover_job (the session's job while an ask runs). THREAD: the web hub's.
 * A separate web password (guide 4.4): "which" names the password a change is for, the web one
 * by default; the main one only when the account may (can_change_main); the reset link sets
 * the web one when there is one. A wrong current password counts as a failed web login for
 * the lockout guard (LOCKOUT_LOGIN_REQ), as gw_login reports one.
 * MESSAGES sent (through stubs): AUTH_USER_VERIFY_REQ, DIR_USER_PASSWD_REQ, DIR_USER_SET_REQ,
 * DIR_USER_SHOW_REQ, LOCKOUT_LOGIN_REQ,
 * DIR_DOMAIN_LIST_REQ, DIR_RCPT_CHECK_REQ, SPOOL_PUT_REQ, LOCKOUT_UNLOCK_REQ.
 */
#include "web-self.h"

#include "web-api.h"

#include "auth-client.h"
#include "directory-client.h"
#include "lockout-client.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "spool-client.h"
#include "web-stub.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ASKED "if the account has an address for password resets, a link was mailed to it"
#define BAD_LINK "this link is not valid any more: ask for a new one"

/* ---- POST /api/mail/password: {current, password, which} ---- */

/* Reports a wrong current password to the lockout guard as a failed web login (what gw_login
 * reports), then answers 403. Past the guard's threshold the account is locked for this
 * address as after wrong logins. */
static void current_wrong(struct web_session *ws, struct pb_sync *t)
{
	struct lockout_login_answer a = { 0 };
	uint32_t code = 0;
	const char *error = "";
	int rc = lockout_client_login(t, gw_peer(ws->gs), ws->who.user, "web",
				      LOCKOUT_LOGIN_BAD_PASSWORD, &code, &a, &error);

	if (rc < 0 && web_stub_waits(ws))
		return;
	pb_log_security("web", "event=password_change_refused user=%s peer=%s "
		       "reason=current_password locked=%d", PB_LOGQ(ws->who.user),
		       gw_peer(ws->gs), rc == 0 && code == PB_OK && (a.locked || a.blocked));
	web_reply_error(ws, 403, "the current password is wrong");
}

/* Whether the run may go on with the current password checked (web: the web login's password,
 * the separate one when the account has it; else the main one): false when it answered (403
 * for a wrong one) or waits. */
static bool current_ok(struct web_session *ws, struct pb_sync *t, const char *current, bool web)
{
	uint32_t code = 0;
	uint64_t id = 0;
	char *name = NULL;
	const char *error = "";
	int rc = auth_client_user_verify(t, ws->who.user_id, ws->who.user, current, web, &code,
					 &id, &name, &error);

	free(name);
	if (rc == 0 && code == PB_ERR_AUTH) {
		current_wrong(ws, t);
		return false;
	}
	return !web_stub_failed(ws, rc, code, error);
}

/* Sets user's password (which: enum directory_passwd_which): true when set, false answered
 * (400: the policy's reason) or waiting. */
static bool password_set(struct web_session *ws, struct pb_sync *t, const char *user,
			 const char *password, enum directory_passwd_which which)
{
	uint32_t code = 0;
	const char *error = "";
	int rc = directory_client_user_passwd(t, user, password, which, &code, &error);

	return !web_stub_failed(ws, rc, code, error);
}

/* The account's password arrangement into *info_r (the caller frees it): true, or false
 * answered or waiting. */
static bool self_info(struct web_session *ws, struct pb_sync *t, struct directory_user_info *info_r)
{
	uint32_t code = 0;
	const char *error = "";
	int rc = directory_client_user_show(t, ws->who.user, &code, info_r, &error);

	return !web_stub_failed(ws, rc, code, error);
}

/* Changes the web password (web) or the main one, the current one checked. */
static void password_change(struct web_session *ws, struct pb_sync *t, const char *current,
			    const char *password, bool web)
{
	if (current_ok(ws, t, current, web) &&
	    password_set(ws, t, ws->who.user, password, web ? DIR_PASSWD_WEB : DIR_PASSWD_MAIN)) {
		pb_log_security("web", "event=password_changed user=%s peer=%s by=self which=%s",
				PB_LOGQ(ws->who.user), gw_peer(ws->gs), web ? "web" : "main");
		web_auth_end_user(ws->srv->auth, ws->who.user); /* every login: log in again */
		web_reply_json(ws, 204, NULL, NULL);
	}
}

static void password_run(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const char *current = web_body_str(in, "current"), *password = web_body_str(in, "password");
	const char *which = web_body_str(in, "which");
	struct directory_user_info info = { 0 };

	if (current == NULL || password == NULL ||
	    (which != NULL && strcmp(which, "main") != 0 && strcmp(which, "web") != 0)) {
		web_reply_error(ws, 400, "the body must be {\"current\": ..., \"password\": ..., "
					 "\"which\": \"main\" or \"web\" (optional)}");
	} else if (self_info(ws, t, &info)) {
		/* without a separate web password there is one password: "web" is the main one */
		bool web = info.has_web_password && (which == NULL || strcmp(which, "web") == 0);
		if (!web && !info.can_change_main)
			web_reply_error(ws, 403, "your main password can only be changed by the "
						 "administrator: you can change your web password");
		else
			password_change(ws, t, current, password, web);
	}
	directory_user_info_free(&info);
	cJSON_Delete(in);
}

/* Counts a change that needs the current password: false (answered 429) past
 * WEB_SELF_CHANGES_PER_HOUR for the account, which bounds guessing it with a stolen login. */
static bool change_allowed(struct web_session *ws)
{
	char *key = xasprintf("change %s", ws->who.user);
	bool ok = web_reset_allow(ws->srv->reset, key, WEB_SELF_CHANGES_PER_HOUR, gw_now(ws->gs));

	free(key);
	if (!ok) {
		pb_log_security("web", "event=password_change_limited user=%s peer=%s",
				PB_LOGQ(ws->who.user), gw_peer(ws->gs));
		web_reply_error(ws, 429, "too many changes: try again later");
	}
	return ok;
}

void web_self_password(struct web_session *ws, const struct http_request *q)
{
	if (change_allowed(ws))
		web_stub_run(ws, q, password_run);
}

/* ---- POST /api/mail/recovery: {current, reset_email} ---- */

/* Sets the account's reset_email (to "": none): true when set, false answered or waiting. */
static bool reset_email_set(struct web_session *ws, struct pb_sync *t, const char *to)
{
	uint32_t code = 0;
	const char *error = "";
	int rc = directory_client_user_set(t, ws->who.user, "reset_email", to, to[0] == '\0', &code,
					   &error);

	return !web_stub_failed(ws, rc, code, error);
}

static void recovery_run(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const char *current = web_body_str(in, "current"), *to = web_body_str(in, "reset_email");

	if (current == NULL || to == NULL) {
		web_reply_error(ws, 400, "the body must be {\"current\": ..., \"reset_email\": ...}");
	} else if (current_ok(ws, t, current, true) && reset_email_set(ws, t, to)) {
		pb_log_security("web", "event=reset_email_set user=%s peer=%s", PB_LOGQ(ws->who.user),
				gw_peer(ws->gs));
		web_reply_json(ws, 204, NULL, NULL);
	}
	cJSON_Delete(in);
}

void web_self_recovery(struct web_session *ws, const struct http_request *q)
{
	if (change_allowed(ws))
		web_stub_run(ws, q, recovery_run);
}

/* ---- POST /api/recover: {user, kind: "password" | "unlock"} ---- */

struct recover_job {
	enum web_reset_kind kind;
	char *user;   /* the account's own name */
	char *to;     /* its reset_email */
	char *from;   /* postmaster@the first local domain */
	uint64_t to_id; /* the account to's mail goes to, 0: not local */
};

static void recover_job_free(void *p)
{
	struct recover_job *j = p;

	free(j->user);
	free(j->to);
	free(j->from);
	free(j);
}

static const char *kind_name(enum web_reset_kind k)
{
	return k == WEB_RESET_UNLOCK ? "unlock" : "password";
}

/* The answer to every ask that got past the limits, whatever happened (logged with why). */
static void recover_done(struct web_session *ws, const char *outcome)
{
	struct recover_job *j = ws->job;

	pb_log_security("web", "event=recover_ask kind=%s user=%s peer=%s outcome=%s",
			kind_name(j->kind), PB_LOGQ(j->user), gw_peer(ws->gs), outcome);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", ASKED);
	web_reply_json(ws, 202, o, NULL);
}

static void on_recover_put(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	uint64_t spool_id = 0;
	uint32_t code = m != NULL ? spool_client_put_reply(m, &spool_id) : PB_ERR_TEMP;

	recover_done(ws, code == PB_OK ? "mailed" : "spool_failed");
}

/* The recovery mail to j->to with the link carrying token, into out. */
static void recover_mail(struct web_session *ws, const struct recover_job *j, const char *token,
			 struct pb_buf *out)
{
	unsigned char rnd[12];
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	bool unlock = j->kind == WEB_RESET_UNLOCK;
	uint64_t ttl_s = ws->srv->reset_ttl_ms / 1000;
	bool minutes = ttl_s >= 60 && ttl_s % 60 == 0;

	RAND_bytes(rnd, sizeof(rnd));
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	pb_buf_printf(out, "From: Pillarbox <%s>\r\nTo: <%s>\r\nDate: %s\r\nSubject: %s\r\n"
			   "Message-ID: <%02x%02x%02x%02x%02x%02x%02x%02x.recover%s>\r\n"
			   "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n\r\n",
		      j->from, j->to, date,
		      unlock ? "Unlock your mail account" : "Reset your mail password", rnd[0],
		      rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], strchr(j->from, '@'));
	pb_buf_printf(out, "Someone, from the address %s, asked to %s the mail account %s.\r\n\r\n"
			   "If it was you, open this link within %llu %s (it works once):\r\n\r\n"
			   "%s/mail/#%s=%s\r\n\r\nIf it was not you, ignore this message.\r\n",
		      gw_peer(ws->gs), unlock ? "unlock" : "set a new password for", j->user,
		      (unsigned long long)(minutes ? ttl_s / 60 : ttl_s), minutes ? "minutes" : "seconds",
		      ws->srv->public_url, unlock ? "unlock" : "reset", token);
}

/* Makes the token and puts the mail in the spool. */
static void recover_send(struct web_session *ws)
{
	struct recover_job *j = ws->job;
	char token[WEB_RESET_TOKEN_HEX + 1];
	struct gw_pending call;
	const char *error;
	struct pb_buf msg;

	if (web_reset_add(ws->srv->reset, j->kind, j->user, gw_now(ws->gs), ws->srv->reset_ttl_ms,
			  token) < 0) {
		recover_done(ws, "no_random");
		return;
	}
	pb_buf_init(&msg);
	recover_mail(ws, j, token, &msg);
	OPENSSL_cleanse(token, sizeof(token));
	const char *rcpts[1] = { j->to };
	struct spool_client_envelope env = { "", NULL, rcpts, &j->to_id, 1,
					     (int64_t)pb_clock_wall_ms(), PB_ORIGIN_LOCAL };
	struct pb_sender tx = web_call_sender(ws, &call, on_recover_put);
	if (spool_client_put_send(&tx, ws->gs->id, &env, msg.data, msg.len, &error) < 0)
		recover_done(ws, "spool_busy");
	OPENSSL_cleanse(msg.data, msg.len);
	pb_buf_deinit(&msg);
}

static void on_recover_rcpt(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct recover_job *j = ws->job;
	const char *error;
	char *user = NULL;
	uint32_t code = m != NULL ? directory_client_rcpt_check_reply(m, &j->to_id, &user, &error)
				  : PB_ERR_TEMP;

	free(user);
	if (code == PB_ERR_REFUSED) /* not a local domain: relayed */
		j->to_id = 0;
	else if (code != PB_OK) {
		recover_done(ws, code == PB_ERR_NOTFOUND ? "no_such_local_address" : "busy");
		return;
	}
	recover_send(ws);
}

static void on_recover_domains(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct recover_job *j = ws->job;
	struct pb_strv domains = { 0 };
	struct gw_pending call;
	const char *error;
	uint32_t code = m != NULL ? directory_client_domain_list_reply(m, &domains, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK || domains.n == 0) {
		pb_strv_clear(&domains);
		recover_done(ws, "busy");
		return;
	}
	j->from = xasprintf("postmaster@%s", domains.v[0]);
	pb_strv_clear(&domains);
	const char *at = strrchr(j->to, '@');
	char *local = xstrndup(j->to, (size_t)(at - j->to));
	struct pb_sender tx = web_call_sender(ws, &call, on_recover_rcpt);
	if (directory_client_rcpt_check_send(&tx, local, at + 1, &error) < 0)
		recover_done(ws, "busy");
	free(local);
}

/* The account's reset_email (allocated), NULL when it has none (or one that is not an address:
 * `user set` checks it, but settings copied from elsewhere are checked again before a header
 * is made of it). */
static char *reset_email_of(const char *settings)
{
	cJSON *doc = cJSON_Parse(settings != NULL ? settings : "{}");
	const char *v = web_body_str(doc, "reset_email");
	bool ok = v != NULL && strchr(v, '@') != NULL && v[0] != '@' && strlen(v) <= 254 &&
		  strpbrk(v, " \t\r\n<>\"") == NULL;
	char *to = ok ? xstrdup(v) : NULL;

	cJSON_Delete(doc);
	return to;
}

static void on_recover_shown(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct recover_job *j = ws->job;
	struct directory_user_info info = { 0 };
	struct gw_pending call;
	const char *error;
	uint32_t code = m != NULL ? directory_client_user_show_reply(m, &info, &error) : PB_ERR_TEMP;

	if (code == PB_OK) {
		free(j->user);
		j->user = xstrdup(info.user);
		j->to = reset_email_of(info.settings);
	}
	directory_user_info_free(&info);
	if (code != PB_OK || j->to == NULL) {
		recover_done(ws, code == PB_ERR_NOTFOUND ? "no_such_user"
				 : code == PB_OK		 ? "no_reset_email"
							 : "busy");
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_recover_domains);
	if (directory_client_domain_list_send(&tx, &error) < 0)
		recover_done(ws, "busy");
}

/* Counts the ask against the client's address and the name: false (answered 429) past either. */
static bool recover_allowed(struct web_session *ws, const char *user)
{
	char *by_ip = xasprintf("ip %s", gw_peer(ws->gs)), *by_user = xasprintf("user %s", user);
	uint64_t now = gw_now(ws->gs);
	bool ok = web_reset_allow(ws->srv->reset, by_ip, ws->srv->reset_ip_per_hour, now) &&
		  web_reset_allow(ws->srv->reset, by_user, ws->srv->reset_user_per_hour, now);

	if (!ok) {
		pb_log_security("web", "event=recover_limited user=%s peer=%s", PB_LOGQ(user),
				gw_peer(ws->gs));
		web_reply_error(ws, 429, "too many requests for a link: try again later");
	}
	free(by_ip);
	free(by_user);
	return ok;
}

void web_self_recover(struct web_session *ws, const struct http_request *q)
{
	cJSON *in = web_body_object(q);
	const char *user = web_body_str(in, "user"), *kind = web_body_str(in, "kind");
	bool unlock = kind != NULL && strcmp(kind, "unlock") == 0;
	struct gw_pending call;
	const char *error;

	if (user == NULL || user[0] == '\0' || strlen(user) > 254 ||
	    (kind != NULL && !unlock && strcmp(kind, "password") != 0)) {
		web_reply_error(ws, 400, "the body must be {\"user\": NAME, \"kind\": \"password\" "
					 "or \"unlock\"}");
	} else if (recover_allowed(ws, user)) {
		struct recover_job *j = xcalloc(1, sizeof(*j));
		j->kind = unlock ? WEB_RESET_UNLOCK : WEB_RESET_PASSWORD;
		j->user = xstrdup(user);
		web_job_set(ws, j, recover_job_free);
		struct pb_sender tx = web_call_sender(ws, &call, on_recover_shown);
		if (directory_client_user_show_send(&tx, user, &error) < 0)
			recover_done(ws, "busy");
	}
	cJSON_Delete(in);
}

/* ---- the links: POST /api/recover/password {token, password}, /api/recover/unlock {token} ---- */

/* The account of the body's token of kind (allocated; take: used up), NULL answered 400.
 * The runs below look at the token first and take it only once its work is done: a password
 * the policy refuses leaves the link usable, and each replay of a run finds it still. */
static char *link_user(struct web_session *ws, const cJSON *in, enum web_reset_kind kind,
		       bool take)
{
	char *user = web_reset_find(ws->srv->reset, kind, web_body_str(in, "token"),
				    gw_now(ws->gs), take);
	if (user == NULL) {
		pb_log_security("web", "event=recover_link_refused kind=%s peer=%s",
				kind_name(kind), gw_peer(ws->gs));
		web_reply_error(ws, 400, BAD_LINK);
	}
	return user;
}

static void reset_run(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const char *password = web_body_str(in, "password");
	char *user = password != NULL ? link_user(ws, in, WEB_RESET_PASSWORD, false) : NULL;

	if (password == NULL)
		web_reply_error(ws, 400, "the body must be {\"token\": ..., \"password\": ...}");
	if (user != NULL && password_set(ws, t, user, password, DIR_PASSWD_WEB_OR_MAIN)) {
		free(web_reset_find(ws->srv->reset, WEB_RESET_PASSWORD, web_body_str(in, "token"),
				    gw_now(ws->gs), true));
		pb_log_security("web", "event=password_changed user=%s peer=%s by=reset_link",
				PB_LOGQ(user), gw_peer(ws->gs));
		web_auth_end_user(ws->srv->auth, user);
		web_reply_json(ws, 204, NULL, NULL);
	}
	free(user);
	cJSON_Delete(in);
}

void web_self_reset(struct web_session *ws, const struct http_request *q)
{
	web_stub_run(ws, q, reset_run);
}

static void unlock_run(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	uint32_t code = 0;
	const char *error = "";
	char *user = link_user(ws, in, WEB_RESET_UNLOCK, false);
	int rc = user != NULL ? lockout_client_unlock(t, user, NULL, &code, &error) : 0;
	bool none = rc == 0 && code == PB_ERR_NOTFOUND; /* no lock left: done all the same */

	if (user != NULL && !web_stub_failed(ws, rc, none ? PB_OK : code, error)) {
		free(web_reset_find(ws->srv->reset, WEB_RESET_UNLOCK, web_body_str(in, "token"),
				    gw_now(ws->gs), true));
		pb_log_security("web", "event=account_unlocked user=%s peer=%s by=unlock_link "
			       "had_locks=%d", PB_LOGQ(user), gw_peer(ws->gs), !none);
		web_reply_json(ws, 204, NULL, NULL);
	}
	free(user);
	cJSON_Delete(in);
}

void web_self_unlock(struct web_session *ws, const struct http_request *q)
{
	web_stub_run(ws, q, unlock_run);
}
