/*
 * status-login.c: a status session's login — with an account's password (gw-login.h: the auth
 * shards and the lockout guard, as POP3 and IMAP; then the account's settings for its
 * permissions, status-perms.h) or with an API key (the status hub checks it, then the lockout
 * guard hears the attempt and its answer decides) — and the session's registration with the
 * status hub that ends it. A failure is the guide's "ERR Invalid Logon".
 * OWNS: nothing beyond struct status_session's login fields. THREAD: the hub's.
 * MESSAGES sent (through stubs): AUTH_USER_VERIFY_REQ and LOCKOUT_LOGIN_REQ (gw-login.c,
 * gw-guard.c), DIR_USER_SHOW_REQ, STATUS_APIKEY_CHECK_REQ, STATUS_SESSION_REQ.
 */
#include "status-session.h"

#include "directory-client.h"
#include "gw-guard.h"
#include "pb-log.h"
#include "statushub-client.h"

#include <stdlib.h>
#include <string.h>

/* ---- login ---- */

static void add_perms(cJSON *o, uint32_t perms)
{
	cJSON *list = cJSON_AddArrayToObject(o, "permissions");

	for (unsigned p = 0; p < STATUS_PERM_COUNT; p++) {
		if ((perms & (1u << p)) != 0)
			cJSON_AddItemToArray(list, cJSON_CreateString(status_perm_name(p)));
	}
}

/* Registers (again) with the status hub: the session's user, topics and IM permission. */
int status_hub_register(struct status_session *s, const struct pb_strv *topics, gw_cont_fn *cont,
			int i, const char **error_r)
{
	struct gw_pending call = status_call_of(s, cont, i);
	struct pb_sender tx = gw_sender(&call);
	int rc = statushub_client_session_send(&tx, s->addr, s->user,
					       (s->perms & (1u << STATUS_PERM_RECEIVE_IM)) != 0,
					       topics, error_r);

	/* from the send, not the reply: a client gone before the reply (or a reply past the
	 * deadline) would leave the hub's entry behind for good, and enough of them fill it */
	if (rc == 0)
		s->registered = true;
	return rc;
}

static void on_registered(void *session, uint64_t arg, struct pb_msg *m)
{
	struct status_session *s = session;
	const char *error = "the status hub did not answer";
	int i = (int)arg;

	if (m == NULL || statushub_client_session_reply(m, &error) != PB_OK) {
		pb_warn("status", "event=register_failed user=%s reason=%s", PB_LOGQ(s->user),
			PB_LOGQ(error));
		status_req_finish(s, i, "ERR Server busy, try again later");
		free(s->user);
		s->user = NULL;
		return;
	}
	cJSON_AddStringToObject(s->reqs[i].reply, "user", s->user);
	cJSON_AddBoolToObject(s->reqs[i].reply, "admin", s->admin);
	add_perms(s->reqs[i].reply, s->perms);
	status_req_finish(s, i, NULL);
	gw_set_deadline(s->gs, s->srv->idle_timeout_ms);
}

static void on_user_shown(void *session, uint64_t arg, struct pb_msg *m)
{
	struct status_session *s = session;
	struct directory_user_info info = { 0 };
	const char *error;
	int i = (int)arg;

	if (m == NULL || directory_client_user_show_reply(m, &info, &error) != PB_OK) {
		status_req_finish(s, i, "ERR Server busy, try again later");
		free(s->user);
		s->user = NULL;
		return;
	}
	s->perms = status_perms_of(info.settings, s->srv->admin_perms, s->srv->user_perms,
				   &s->admin);
	directory_user_info_free(&info);
	if (status_hub_register(s, NULL, on_registered, i, &error) < 0) {
		status_req_finish(s, i, "ERR Server busy, try again later");
		free(s->user);
		s->user = NULL;
	}
}

static void on_login_done(void *session, enum gw_login_end end)
{
	struct status_session *s = session;
	int i = s->login_slot;
	const char *error;

	s->login_slot = -1;
	if (end != GW_LOGIN_OK) {
		bool temp = end == GW_LOGIN_TEMP || end == GW_LOGIN_BUSY;
		status_req_finish(s, i, temp ? "ERR Server busy, try again later" : STATUS_INVALID_LOGON);
		if (end == GW_LOGIN_BLOCKED) {
			status_send_error(s, NULL, LOCKOUT_BLOCKED_TEXT, NULL);
			s->closing = true;
			gw_close(s->gs, true);
		}
		return;
	}
	s->user = s->login.account;
	s->login.account = NULL;
	struct gw_pending call = status_call_of(s, on_user_shown, i);
	struct pb_sender tx = gw_sender(&call);
	if (directory_client_user_show_send(&tx, s->user, &error) < 0) {
		status_req_finish(s, i, "ERR Server busy, try again later");
		free(s->user);
		s->user = NULL;
	}
}

static void on_challenge(void *session, const char *b64)
{
	/* password logins have no challenge */
}

const struct gw_login_ops status_login_ops = { .challenge = on_challenge, .done = on_login_done };

const char *status_str_arg(const cJSON *req, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- login with an API key (statushub-apikeys.h): the hub checks it, then the lockout guard
 * hears the attempt (as user "apikey") and its answer decides, as for a password ---- */

static void key_refused(struct status_session *s, int i, bool blocked)
{
	gw_guard_log_login(s->gs, "status", false, "apikey", "APIKEY",
			   blocked ? "blocked" : "bad_credentials");
	status_req_finish(s, i, STATUS_INVALID_LOGON);
	s->login_slot = -1;
	s->perms = 0;
	free(s->key_label);
	s->key_label = NULL;
	if (blocked) {
		status_send_error(s, NULL, LOCKOUT_BLOCKED_TEXT, NULL);
		s->closing = true;
		gw_close(s->gs, true);
	}
}

static void on_key_guarded(void *session, uint64_t arg, struct pb_msg *m)
{
	struct status_session *s = session;
	const char *error;
	bool blocked = false;
	int i = (int)arg;

	if (gw_guard_refused(m, &blocked) || s->key_label == NULL) {
		key_refused(s, i, blocked);
		return;
	}
	gw_guard_log_login(s->gs, "status", true, "apikey", "APIKEY", NULL);
	s->login_slot = -1;
	s->user = xasprintf("apikey:%s", s->key_label);
	free(s->key_label);
	s->key_label = NULL;
	if (status_hub_register(s, NULL, on_registered, i, &error) < 0) {
		status_req_finish(s, i, "ERR Server busy, try again later");
		free(s->user);
		s->user = NULL;
	}
}

static void on_key_checked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct status_session *s = session;
	char *label = NULL, *perms = NULL;
	const char *error;
	int i = (int)arg;
	uint32_t code = m != NULL ? statushub_client_apikey_check_reply(m, &label, &perms, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK && code != PB_ERR_AUTH) {
		status_req_finish(s, i, "ERR Server busy, try again later");
		s->login_slot = -1;
		return;
	}
	if (code == PB_OK && status_perms_parse(perms, &s->perms, &error) < 0)
		s->perms = 0;
	s->key_label = label;
	free(perms);
	/* a valid key is reported as "apikey:LABEL", so wrong guesses (as "apikey") lock no key */
	char *as = label != NULL ? xasprintf("apikey:%s", label) : xstrdup("apikey");
	int rc = gw_guard_login(s->gs, as, "status",
			   code == PB_OK ? LOCKOUT_LOGIN_OK : LOCKOUT_LOGIN_BAD_PASSWORD,
			   on_key_guarded, (uint64_t)i, &error);
	free(as);
	if (rc < 0) {
		if (code == PB_OK)
			on_key_guarded(s, (uint64_t)i, NULL);
		else
			key_refused(s, i, false);
	}
}

static void login_key(struct status_session *s, const char *key, const cJSON *id)
{
	const char *error;
	int i = status_req_take(s, STATUS_OP_LOGIN, id);

	if (i < 0)
		return;
	s->login_slot = i;
	struct gw_pending call = status_call_of(s, on_key_checked, i);
	struct pb_sender tx = gw_sender(&call);
	if (statushub_client_apikey_check_send(&tx, key, &error) < 0) {
		status_req_finish(s, i, "ERR Server busy, try again later");
		s->login_slot = -1;
	}
}

void status_do_login(struct status_session *s, const cJSON *req, const cJSON *id)
{
	const char *user = status_str_arg(req, "user"), *password = status_str_arg(req, "password");
	const char *key = status_str_arg(req, "api_key");

	if (s->user != NULL || s->login.active || s->login_slot >= 0) {
		status_send_error(s, id, "already logged in, or a login is under way", NULL);
		return;
	}
	if (!gw_plaintext_auth_allowed(s->gs, s->srv->allow_plaintext_auth)) {
		status_send_error(s, id, "ERR Plaintext login refused: send starttls first", NULL);
		return;
	}
	if (key != NULL) {
		login_key(s, key, id);
		return;
	}
	if (user == NULL || password == NULL) {
		status_send_error(s, id, "login needs \"user\" and \"password\", or \"api_key\"",
				  NULL);
		return;
	}
	int i = status_req_take(s, STATUS_OP_LOGIN, id);
	if (i < 0)
		return;
	s->login_slot = i;
	gw_login_password(&s->login, user, password);
}
