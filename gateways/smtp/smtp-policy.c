/*
 * smtp-policy.c: an authenticated sender's permissions in the SMTP session (send-policy.h
 * for the keys, directory-send.c for where they and the rate counters live).
 *
 * At each MAIL of an authenticated session the directory is asked once (DIR_SEND_POLICY_REQ)
 * and answers for the whole transaction:
 *   - own_sender: MAIL FROM must be one of the account's addresses unless send_as_any
 *     (553 5.7.1 Sender address not allowed for this account); <> is allowed;
 *   - rate: one more message would pass max_messages_per_hour/day → 450 4.7.1 Sending limit
 *     reached (temporary: it passes as the window slides);
 *   - max_message_size_kb: a declared SIZE over it → 552 5.3.4 at MAIL, content over it → 552
 *     5.3.4 at its end (the smaller of it and smtp.max_message_size applies; EHLO's SIZE stays
 *     the global one, since EHLO comes before AUTH).
 * When the directory lets the MAIL through, the account's mailbox owner is asked whether its
 * mailbox is past quota.block_send_percent of its quota (MBOX_STAT's blocked; admin guide
 * 4.8): then 552 5.2.2 naming the quota (mail TO the account is still delivered).
 * Then for each RCPT a forbidden_recipients pattern → 550 5.7.1 Sending to <addr> is not
 * allowed for this account, and with internet_mail false a recipient at a domain that is not
 * local → 550 5.7.1 This account may send to local addresses only. With allow_bcc false the
 * header section is kept while it arrives (at most SEND_POLICY_HEADER_MAX octets, never the
 * body) and at the end of the content every envelope recipient must be in To: or Cc:, else
 * 550 5.7.1 Sending with BCC is not allowed for this account. An accepted message (250) counts
 * toward the limits (DIR_SEND_COUNT_EVT).
 * The directory's answer also carries the account's own signatures (smtp_policy_signature,
 * for smtp-signature.c).
 * Unauthenticated mail (port 25, relay_networks) has no account: no per-user rule applies,
 * except the quota send block (admin guide 4.8 NOTE: without SMTP authentication the sender
 * is determined from its address — the user's own mail client sending through the server).
 * So only a session the server lets relay without AUTH (smtp_session_may_relay: a client in
 * smtp.relay_networks; submission wants AUTH before MAIL) has its MAIL FROM resolved
 * (DIR_RCPT_CHECK_REQ, the resolution delivery uses); a local account's blocked mailbox gets
 * 452 4.2.2 with a text that names no figures — temporary, because the address proves
 * nothing: a client that guessed wrong loses nothing. A session from anywhere else (mail
 * from the Internet, forwarded or list mail keeping a local user's sender) is never asked
 * about, so incoming mail is never refused for quota and a stranger learns nothing of an
 * account; neither is a sender that is not a local account, nor an unanswered check.
 * quota.block_unauthenticated 0 turns this off (no directory call at such a MAIL).
 * Every refusal is a security log line with the user and the rule.
 * OWNS: struct smtp_policy (the session's). THREAD: the hub's.
 * MESSAGES sent: DIR_SEND_POLICY_REQ, DIR_RCPT_CHECK_REQ and MBOX_STAT_REQ (calls),
 * DIR_SEND_COUNT_EVT (a cast).
 */
#include "smtp-session-int.h"

#include "directory-client.h"
#include "mailbox-client.h"
#include "pb-log.h"
#include "send-policy.h"

#include <stdio.h>
#include <string.h>

struct smtp_policy {
	bool active; /* this transaction's sender is authenticated: dir applies */
	struct directory_send_policy dir;
	struct directory_user_signature sig; /* the account's own signatures */
	/* the MAIL waiting for the directory */
	char *path;
	bool smtputf8, has_size;
	uint64_t size;
	/* the header section, for the BCC rule */
	struct pb_buf header;
	bool header_done;
	char text[600]; /* the refusal at the end of the content */
};

static struct smtp_policy *policy_of(struct smtp_session *s)
{
	if (s->policy == NULL)
		s->policy = xcalloc(1, sizeof(*s->policy));
	return s->policy;
}

void smtp_policy_free(struct smtp_session *s)
{
	struct smtp_policy *p = s->policy;

	if (p == NULL)
		return;
	pb_strv_clear(&p->dir.forbidden);
	directory_user_signature_clear(&p->sig);
	free(p->path);
	pb_buf_deinit(&p->header);
	free(p);
	s->policy = NULL;
}

static void refused(struct smtp_session *s, const char *rule, const char *addr)
{
	pb_log_security("smtp", "event=send_refused user=%s rule=%s address=%s peer=%s",
			PB_LOGQ(s->auth_user), rule, PB_LOGQ(addr), gw_peer(s->gs));
}

/* The directory's verdict on MAIL: the rule it breaks with the reply written, or NULL. */
static const char *mail_refused(struct smtp_session *s, struct smtp_policy *p)
{
	char text[600];
	const struct directory_send_policy *d = &p->dir;

	if (!d->own_sender && !d->send_as_any) {
		snprintf(text, sizeof(text), "Sender address not allowed for this account: <%s>", p->path);
		smtp_session_reply(s, 553, "5.7.1", text);
		return "sender_not_own";
	}
	if (d->over != 0) {
		snprintf(text, sizeof(text), "Sending limit reached: %u messages per %s", d->limit,
			 d->over == 1 ? "hour" : "day");
		smtp_session_reply(s, 450, "4.7.1", text);
		return d->over == 1 ? "messages_per_hour" : "messages_per_day";
	}
	if (p->has_size && d->max_size_kb != 0 && p->size > d->max_size_kb * 1024) {
		snprintf(text, sizeof(text), "Message size exceeds the limit for this account (%llu kB)",
			 (unsigned long long)d->max_size_kb);
		smtp_session_reply(s, 552, "5.3.4", text);
		return "max_message_size";
	}
	return NULL;
}

/* The refusal of a blocked mailbox: 552 5.2.2 naming the quota for an authenticated sender;
 * 452 4.2.2 without figures for one known by its address only (user_id, guessed). */
static void quota_refused(struct smtp_session *s, const struct mailbox_stat *st, bool guessed,
			  uint64_t user_id)
{
	struct smtp_policy *p = policy_of(s);
	char text[200];

	if (!guessed) {
		snprintf(text, sizeof(text), "Mailbox over quota (%llu MB): sending is blocked "
			 "until messages are deleted", (unsigned long long)(st->quota_bytes / 1048576));
		smtp_session_reply(s, 552, "5.2.2", text);
		return refused(s, "mailbox_quota", p->path);
	}
	smtp_session_reply(s, 452, "4.2.2", "Sending is blocked for this sender: the mailbox is "
			   "over its quota");
	pb_log_security("smtp", "event=send_refused user_id=%llu rule=mailbox_quota auth=none "
			"address=%s peer=%s", (unsigned long long)user_id, PB_LOGQ(p->path),
			gw_peer(s->gs));
}

/* The mailbox owner's answer: a mailbox past quota.block_send_percent may not send. arg:
 * 0 the authenticated account's; else the id of the account MAIL FROM resolved to (no AUTH:
 * an unanswered check lets the MAIL go on). */
static void on_quota(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;
	struct smtp_policy *p = policy_of(s);
	struct mailbox_stat st = { 0 };
	const char *error = "timed out";
	uint32_t code = m != NULL ? mailbox_client_stat_reply(m, &st, &error) : PB_ERR_TEMP;

	s->waiting = false;
	if (code != PB_OK) {
		pb_warn("smtp", "event=quota_check_failed user=%s user_id=%llu reason=%s",
			PB_LOGQ(s->auth_user), (unsigned long long)arg, PB_LOGQ(error));
		if (arg == 0)
			smtp_session_reply(s, 451, "4.3.0", "Error: temporary failure, try again later");
		else
			smtp_session_mail_go(s, p->path, p->smtputf8, p->has_size, p->size);
	} else if (st.blocked) {
		quota_refused(s, &st, arg != 0, arg);
	} else {
		p->active = arg == 0;
		smtp_session_mail_go(s, p->path, p->smtputf8, p->has_size, p->size);
	}
	if (!s->waiting)
		smtp_session_resume(s);
}

/* Asks the mailbox owner of user_id about the quota before the MAIL goes on (on_quota);
 * guessed: the account MAIL FROM resolved to, without AUTH. */
static void ask_quota(struct smtp_session *s, uint64_t user_id, bool guessed)
{
	struct gw_pending call = { s->gs, on_quota, guessed ? user_id : 0, SMTP_CHECK_TIMEOUT_MS };
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	if (mailbox_client_stat_send(&tx, user_id, &error) < 0)
		smtp_session_reply(s, 451, "4.3.0", "Error: server busy, try again later");
	else
		smtp_session_wait(s);
}

static void on_policy(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;
	struct smtp_policy *p = policy_of(s);
	const char *error = "timed out", *rule;
	uint32_t code = m != NULL ? directory_client_send_policy_reply(m, &p->dir, &error) : PB_ERR_TEMP;

	s->waiting = false;
	if (code == PB_OK)
		directory_client_send_policy_signature(m, &p->sig);
	if (code == PB_ERR_NOTFOUND) {
		smtp_session_reply(s, 550, "5.7.1", "The authenticated account no longer exists");
		refused(s, "account_gone", p->path);
	} else if (code != PB_OK) {
		pb_warn("smtp", "event=send_policy_failed user=%s reason=%s", PB_LOGQ(s->auth_user),
			PB_LOGQ(error));
		smtp_session_reply(s, 451, "4.3.0", "Error: temporary failure, try again later");
	} else if ((rule = mail_refused(s, p)) != NULL) {
		refused(s, rule, p->path);
	} else {
		ask_quota(s, s->auth_user_id, false);
	}
	if (!s->waiting)
		smtp_session_resume(s);
}

/* The directory's answer about an unauthenticated MAIL FROM: a local account's mailbox is
 * asked about (ask_quota, guessed); anything else lets the MAIL go on. */
static void on_sender_checked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;
	struct smtp_policy *p = policy_of(s);
	uint64_t id = 0;
	char *user = NULL;
	const char *error = "timed out";
	uint32_t code = m != NULL ? directory_client_rcpt_check_reply(m, &id, &user, &error)
				  : PB_ERR_TEMP;

	s->waiting = false;
	free(user);
	if (code == PB_OK && id != 0)
		ask_quota(s, id, true);
	else
		smtp_session_mail_go(s, p->path, p->smtputf8, p->has_size, p->size);
	if (!s->waiting)
		smtp_session_resume(s);
}

/* MAIL without AUTH: asks the directory whether MAIL FROM is a local account (the quota send
 * block applies to it); false when there is nothing to ask (the null sender, a failed send). */
static bool ask_sender(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct gw_pending call = { s->gs, on_sender_checked, 0, SMTP_CHECK_TIMEOUT_MS };
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	if (cmd->path[0] == '\0' || cmd->addr.domain[0] == '\0')
		return false;
	return directory_client_rcpt_check_send(&tx, cmd->addr.local, cmd->addr.domain, &error) == 0;
}

/* Keeps the MAIL's parameters for the continuation that lets it go on. */
static void keep_mail(struct smtp_policy *p, const struct smtp_cmd *cmd)
{
	pb_str_set(&p->path, cmd->path);
	p->smtputf8 = cmd->smtputf8;
	p->has_size = cmd->has_size;
	p->size = cmd->size;
}

bool smtp_policy_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_policy *p = policy_of(s);
	struct gw_pending call = { s->gs, on_policy, 0, SMTP_CHECK_TIMEOUT_MS };
	struct pb_sender tx = gw_sender(&call);
	const bool null_sender = cmd->path[0] == '\0';
	const char *error;

	p->active = false;
	pb_buf_reset(&p->header);
	p->header_done = false;
	pb_strv_clear(&p->dir.forbidden);
	directory_user_signature_clear(&p->sig);
	keep_mail(p, cmd);
	if (s->auth_user == NULL) {
		if (!s->srv->quota_by_address || !smtp_session_may_relay(s) || !ask_sender(s, cmd))
			return false;
	} else if (directory_client_send_policy_send(&tx, s->auth_user_id,
						     null_sender ? "" : cmd->addr.local,
						     null_sender ? "" : cmd->addr.domain, &error) < 0) {
		smtp_session_reply(s, 451, "4.3.0", "Error: server busy, try again later");
		return true;
	}
	smtp_session_wait(s);
	return true;
}

const struct directory_user_signature *smtp_policy_signature(const struct smtp_session *s)
{
	const struct smtp_policy *p = s->policy;

	return p != NULL && p->active ? &p->sig : NULL;
}

bool smtp_policy_rcpt(struct smtp_session *s, const char *path)
{
	struct smtp_policy *p = s->policy;
	char text[600];

	if (p == NULL || !p->active || send_policy_forbidden(&p->dir.forbidden, path) == NULL)
		return false;
	snprintf(text, sizeof(text), "Sending to <%s> is not allowed for this account", path);
	smtp_session_reply(s, 550, "5.7.1", text);
	refused(s, "forbidden_recipient", path);
	return true;
}

bool smtp_policy_local_only(struct smtp_session *s, const char *path)
{
	struct smtp_policy *p = s->policy;

	if (p == NULL || !p->active || p->dir.internet_mail)
		return false;
	smtp_session_reply(s, 550, "5.7.1", "This account may send to local addresses only");
	refused(s, "local_only", path);
	return true;
}

uint64_t smtp_policy_max_size(const struct smtp_session *s, uint64_t max)
{
	const struct smtp_policy *p = s->policy;

	if (p == NULL || !p->active)
		return max;
	return send_policy_max_size(p->dir.max_size_kb, max);
}

void smtp_policy_too_big(struct smtp_session *s, uint64_t applied)
{
	const struct smtp_policy *p = s->policy;

	if (p != NULL && p->active && p->dir.max_size_kb != 0 &&
	    applied == p->dir.max_size_kb * 1024)
		refused(s, "max_message_size", s->sender);
}

/* Whether the header section in buf has ended (a blank line), looking only at what came from
 * octet `from` on (and the two before it), so a header sent an octet at a time costs no more
 * than one sent whole. */
static bool header_ended(const struct pb_buf *buf, size_t from)
{
	const char *d = buf->data;

	if (buf->len >= 2 && d[0] == '\r' && d[1] == '\n')
		return true; /* no header at all */
	for (size_t i = from > 2 ? from - 2 : 0; i + 1 < buf->len; i++)
		if (d[i] == '\n' && (d[i + 1] == '\n' || (d[i + 1] == '\r' && i + 2 < buf->len &&
							   d[i + 2] == '\n')))
			return true;
	return false;
}

void smtp_policy_content(struct smtp_session *s, const char *data, size_t len)
{
	struct smtp_policy *p = s->policy;

	if (p == NULL || !p->active || p->dir.allow_bcc || p->header_done || len == 0)
		return;
	size_t room = SEND_POLICY_HEADER_MAX - p->header.len, from = p->header.len;
	pb_buf_append(&p->header, data, len < room ? len : room);
	p->header_done = p->header.len >= SEND_POLICY_HEADER_MAX || header_ended(&p->header, from);
}

const char *smtp_policy_end(struct smtp_session *s)
{
	struct smtp_policy *p = s->policy;

	if (p == NULL || !p->active || p->dir.allow_bcc)
		return NULL;
	const char *missing = send_policy_bcc_missing(p->header.data, p->header.len,
						      (const char *const *)s->rcpts.v, s->rcpts.n);
	pb_buf_reset(&p->header);
	if (missing == NULL)
		return NULL;
	refused(s, "bcc", missing);
	snprintf(p->text, sizeof(p->text), "550 5.7.1 Sending with BCC is not allowed for this account");
	return p->text;
}

void smtp_policy_accepted(struct smtp_session *s)
{
	struct smtp_policy *p = s->policy;
	struct pb_sender tx = gw_cast_sender(s->gs);
	const char *error;

	if (p == NULL || !p->active)
		return;
	if (directory_client_send_count_send(&tx, s->auth_user_id, &error) < 0)
		pb_warn("smtp", "event=send_count_lost user=%s reason=%s", PB_LOGQ(s->auth_user),
			PB_LOGQ(error));
}
