/*
 * web-mail-send.c: compose (web-mail.h): POST /api/mail/send and POST /api/mail/drafts with a
 * JSON body {to, cc, subject, text, in_reply_to, attachments: [{name, type, data (base64)}]}.
 * The message is built here (RFC 5322 and MIME, attachments base64), at most WEB_MAIL_SEND_MAX
 * octets: one spool put. Sending goes through the submission path as SMTP AUTH's does: the
 * sender is the account's address (its name, at the first local domain when it has none),
 * the account's sending permissions apply as to SMTP AUTH (DIR_SEND_POLICY: the hourly and daily
 * limits, forbidden recipients, local-only accounts, its size limit; MBOX_STAT: a mailbox past
 * quota.block_send_percent may not send), each recipient is checked by the directory (a local
 * account, or remote: id 0, relayed as for an authenticated client), the spool takes it with origin Local (the rules of guide 4.14
 * that apply to Local mail); then a copy goes to Sent (\Seen). A draft is only appended to
 * Drafts (\Draft \Seen). PUT /api/mail/drafts/{uid} saves the draft again and POST
 * /api/mail/drafts/{uid}/send sends it (the same body): the old draft is expunged from Drafts
 * only once the new draft is stored (or the message spooled), never before; an old uid no
 * longer in Drafts leaves nothing to remove.
 * "uploads": [id, ...] names attachments uploaded apart (web-mail-upload.c): the body's text
 * and inline attachments still build in memory (at most WEB_MAIL_SEND_MAX), the uploads follow
 * a slice at a time (web-mail-stream.c), the whole bounded by the account's and the server's
 * max message size (send_policy_max_size, as SMTP submission: 413 naming the limit); such a
 * message goes to the spool as SMTP's does (SPOOL_BEGIN, one SPOOL_CHUNK per slice, in order,
 * one in flight, SPOOL_COMMIT) and to Sent the same way (MBOX_UPLOAD_CHUNK per slice). The
 * uploads are removed once the message is sent (a draft keeps its own copy; they stay).
 * A message sent (not a draft saved) gets the signature and disclaimer SMTP AUTH's mail would
 * (mail-signature.h: the account's own texts come with DIR_SEND_POLICY's answer; internal when
 * every recipient is local), put into its text before the part is encoded (mime-signature.h's
 * mime_signature_text): the spool and Sent get the same signed text.
 * OWNS: struct send_job (the session's job). THREAD: the web hub's.
 * MESSAGES sent (through stubs): DIR_DOMAIN_LIST_REQ, DIR_SEND_POLICY_REQ, MBOX_STAT_REQ,
 * DIR_RCPT_CHECK_REQ, SPOOL_PUT_REQ, DIR_SEND_COUNT_EVT (a cast), SPOOL_BEGIN_REQ,
 * SPOOL_CHUNK_REQ, SPOOL_COMMIT_REQ, SPOOL_ABORT_REQ (a cast: a streamed message that failed),
 * MBOX_UPLOAD_BEGIN_REQ, MBOX_UPLOAD_CHUNK_REQ, MBOX_UPLOAD_COMMIT_REQ, MBOX_EXPUNGE_REQ (the
 * draft replaced or sent).
 */
#include "web-mail.h"

#include "web-api.h"

#include "directory-client.h"
#include "mail-signature.h"
#include "mailbox-client.h"
#include "mime-decode.h"
#include "mime-signature.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "send-policy.h"
#include "spool-client.h"

#include <openssl/evp.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct send_job {
	struct web_session *ws;
	bool draft;
	uint64_t replaces;      /* the draft in Drafts this one replaces (or sends), 0: none */
	uint32_t stored_uid;    /* the copy in Sent or the new draft, 0: none */
	char *copy_error;       /* why the copy in Sent failed, NULL: it did not */
	cJSON *in;              /* the request's body */
	char *from;             /* the account's address */
	struct pb_strv rcpts;   /* to and cc */
	struct pb_u64v rcpt_ids;
	uint32_t checked;       /* recipients the directory has answered */
	struct pb_buf msg;      /* the message built */
	uint64_t upload_id;
	uint64_t spool_id;
	struct directory_send_policy policy; /* the account's sending permissions */
	struct directory_user_signature sig; /* the account's own signatures (with the policy) */
	/* uploaded attachments (web-mail-upload.c): the message streams, web-mail-stream.c */
	struct pb_strv uploads;              /* their ids */
	char boundary[40];                   /* the multipart's, "" none */
	struct web_mail_stream *stream;      /* NULL: the message is whole in msg */
	struct pb_buf slice;                 /* the slice being sent */
	uint64_t sent_off;                   /* octets of the stream sent so far */
	bool spool_open;                     /* a spool upload was begun, not committed */
	uint64_t spool_upload;               /* its id, 0 while the begin is unanswered */
	char error[100];                     /* a refusal's text made here */
};

#define BODY_SHAPE                                                                         \
	"the body must be {\"to\": \"a@b, ...\", \"cc\": ..., \"subject\": ..., \"text\": ..., " \
	"\"attachments\": [...]}"

static void spool_abort(struct send_job *j);

static void send_job_free(void *p)
{
	struct send_job *j = p;

	spool_abort(j); /* the session closed (or answered) amid a streamed message */
	cJSON_Delete(j->in);
	free(j->from);
	free(j->copy_error);
	pb_strv_clear(&j->rcpts);
	pb_u64v_clear(&j->rcpt_ids);
	pb_buf_deinit(&j->msg);
	pb_strv_clear(&j->policy.forbidden);
	directory_user_signature_clear(&j->sig);
	pb_strv_clear(&j->uploads);
	web_mail_stream_free(&j->stream);
	pb_buf_deinit(&j->slice);
	free(j);
}

static void on_domains(void *session, uint64_t arg, struct pb_msg *m);
static void rcpt_next(struct send_job *j);
static void policy_ask(struct send_job *j);
static void build_and_put(struct send_job *j);
static void sent_copy(struct send_job *j);
static void sent_ok(struct send_job *j, size_t size);
static int uploads_take(struct send_job *j, const char **error_r);
static int stream_open(struct send_job *j);
static void on_spool_begin(void *session, uint64_t arg, struct pb_msg *m);
static void stream_copy_next(struct send_job *j);
static bool size_refused(struct send_job *j, uint64_t size);

/* A header value fit for the message: no CR, LF or NUL (a header injection), bounded. */
static bool header_ok(const char *s)
{
	return s != NULL && strlen(s) < 998 && strpbrk(s, "\r\n") == NULL;
}

/* Splits the comma-separated addresses of j->in[name] into j->rcpts; -1 on a bad one or, for
 * a message sent (a draft's are not delivered to), one past smtp.max_recipients (to and cc
 * together), *error_r why. */
static int add_rcpts(struct send_job *j, const char *name, const char **error_r)
{
	const char *v = web_body_str(j->in, name);

	if (v == NULL)
		return 0;
	if (!header_ok(v))
		return *error_r = BODY_SHAPE, -1;
	for (const char *p = v; *p != '\0';) {
		size_t n = strcspn(p, ",");
		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		size_t len = n;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		char *a = xstrndup(p, len);
		const char *at = strchr(a, '@');
		bool ok = at != NULL && at != a && at[1] != '\0' && strpbrk(a, " <>\"()[];:") == NULL;
		/* one past the limit is refused, never dropped: a recipient left out silently would
		 * be named in the message and never get it */
		if (ok && j->rcpts.n >= j->ws->srv->max_recipients && !j->draft) {
			free(a);
			snprintf(j->error, sizeof(j->error), "too many recipients: at most %u (to and "
				 "cc together)", j->ws->srv->max_recipients);
			return *error_r = j->error, -1;
		}
		if (ok && j->rcpts.n < j->ws->srv->max_recipients)
			pb_strv_push(&j->rcpts, a);
		free(a);
		if (!ok && len > 0)
			return *error_r = BODY_SHAPE, -1;
		p += n + (p[n] == ',');
	}
	return 0;
}

static void begin(struct web_session *ws, const struct http_request *q, bool draft,
		  uint32_t replaces)
{
	struct send_job *j = xcalloc(1, sizeof(*j));
	struct gw_pending call;
	const char *error;

	j->ws = ws;
	j->draft = draft;
	j->replaces = replaces;
	pb_buf_init(&j->msg);
	pb_buf_init(&j->slice);
	web_job_set(ws, j, send_job_free);
	/* the in-flight budget: the body parsed, and the message built from it (about as big) */
	if (!web_job_reserve(ws, 2 * q->body.len + 65536))
		return;
	j->in = cJSON_ParseWithLength(q->body.data, q->body.len);
	const char *subject = web_body_str(j->in, "subject");
	error = BODY_SHAPE;
	if (!cJSON_IsObject(j->in) || add_rcpts(j, "to", &error) < 0 ||
	    add_rcpts(j, "cc", &error) < 0 || (subject != NULL && !header_ok(subject))) {
		web_reply_error(ws, 400, error);
		return;
	}
	if (uploads_take(j, &error) < 0) {
		web_reply_error(ws, 400, error);
		return;
	}
	if (!draft && j->rcpts.n == 0) {
		web_reply_error(ws, 400, "no recipient");
		return;
	}
	if (strchr(ws->who.user, '@') != NULL) {
		j->from = xstrdup(ws->who.user);
		policy_ask(j);
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_domains);
	if (directory_client_domain_list_send(&tx, &error) < 0)
		web_reply_busy(ws);
}

void web_mail_send(struct web_session *ws, const struct http_request *q)
{
	begin(ws, q, false, 0);
}

void web_mail_draft(struct web_session *ws, const struct http_request *q)
{
	begin(ws, q, true, 0);
}

/* The uid of a /api/mail/drafts/{uid}[/send] path, or 0. */
static uint32_t draft_uid(const char *path)
{
	static const char prefix[] = "/api/mail/drafts/";
	const char *seg = path + sizeof(prefix) - 1;

	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	return web_mail_uid_parse(seg, strcspn(seg, "/"));
}

void web_mail_draft_put(struct web_session *ws, const struct http_request *q)
{
	uint32_t uid = draft_uid(q->path);

	if (uid == 0) {
		web_reply_error(ws, 400, "bad draft uid");
		return;
	}
	begin(ws, q, true, uid);
}

void web_mail_draft_send(struct web_session *ws, const struct http_request *q)
{
	uint32_t uid = draft_uid(q->path);

	if (uid == 0) {
		web_reply_error(ws, 400, "bad draft uid");
		return;
	}
	begin(ws, q, false, uid);
}

static void on_domains(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	struct pb_strv domains = { 0 };
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? directory_client_domain_list_reply(m, &domains, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK || domains.n == 0) {
		pb_strv_clear(&domains);
		web_reply_error(ws, 503, "no local domain to send from");
		return;
	}
	j->from = xasprintf("%s@%s", ws->who.user, domains.v[0]);
	pb_strv_clear(&domains);
	policy_ask(j);
}

/* ---- the account's sending permissions, as SMTP AUTH's (smtp-policy.c) ---- */

/* The refusal of the policy for the whole message (status and text), or 0. */
static int policy_refusal(struct send_job *j, char text[300])
{
	const struct directory_send_policy *d = &j->policy;

	if (d->over != 0)
		return snprintf(text, 300, "Sending limit reached: %u messages per %s", d->limit,
				d->over == 1 ? "hour" : "day"), 429;
	for (uint32_t i = 0; i < j->rcpts.n; i++) {
		const char *pattern = send_policy_forbidden(&d->forbidden, j->rcpts.v[i]);
		if (pattern != NULL)
			return snprintf(text, 300, "Sending to <%s> is not allowed for this account",
					j->rcpts.v[i]), 403;
	}
	return 0;
}

static void on_stat(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	struct mailbox_stat st = { 0 };
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_stat_reply(m, &st, &error) : PB_ERR_TEMP;
	char text[300];
	int status = code == PB_OK ? policy_refusal(j, text) : 503;

	if (code == PB_OK && st.blocked)
		status = 403, snprintf(text, sizeof(text), "Mailbox over quota: sending is blocked "
							   "until messages are deleted");
	if (status != 0) {
		pb_info("web", "event=send_refused user=%s status=%d", PB_LOGQ(ws->who.user), status);
		web_reply_error(ws, status, status == 503 ? "server busy, try again later" : text);
		return;
	}
	rcpt_next(j);
}

static void on_policy(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	struct gw_pending call;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? directory_client_send_policy_reply(m, &j->policy, &error)
				  : PB_ERR_TEMP;

	if (code == PB_OK)
		directory_client_send_policy_signature(m, &j->sig);
	if (code != PB_OK) {
		web_reply_error(ws, code == PB_ERR_NOTFOUND ? 403 : 503,
				code == PB_ERR_NOTFOUND ? "the account no longer exists"
							: "server busy, try again later");
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_stat);
	if (mailbox_client_stat_send(&tx, ws->who.user_id, &error) < 0)
		web_reply_busy(ws);
}

/* Asks the directory for the account's permissions (a draft needs none). */
static void policy_ask(struct send_job *j)
{
	struct gw_pending call;
	const char *error;

	if (j->draft) {
		rcpt_next(j);
		return;
	}
	const char *at = strrchr(j->from, '@');
	char *local = xstrndup(j->from, (size_t)(at - j->from));
	struct pb_sender tx = web_call_sender(j->ws, &call, on_policy);
	if (directory_client_send_policy_send(&tx, j->ws->who.user_id, local, at + 1, &error) < 0)
		web_reply_busy(j->ws);
	free(local);
}

static void on_rcpt(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	uint64_t id = 0;
	char *user = NULL;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? directory_client_rcpt_check_reply(m, &id, &user, &error)
				  : PB_ERR_TEMP;

	free(user);
	if (code == PB_ERR_NOTFOUND) {
		char *text = xasprintf("%s: no such local user", j->rcpts.v[j->checked]);
		web_reply_error(ws, 400, text);
		free(text);
		return;
	}
	if (code != PB_OK && code != PB_ERR_REFUSED) {
		web_reply_error(ws, 503, "server busy, try again later");
		return;
	}
	if (code == PB_ERR_REFUSED && !j->policy.internet_mail) {
		web_reply_error(ws, 403, "This account may send to local addresses only");
		return;
	}
	pb_u64v_push(&j->rcpt_ids, code == PB_OK ? id : 0); /* REFUSED: not local, relayed */
	j->checked++;
	rcpt_next(j);
}

/* Checks the next recipient with the directory; then builds and sends. */
static void rcpt_next(struct send_job *j)
{
	struct gw_pending call;
	const char *error;

	if (j->draft || j->checked == j->rcpts.n) {
		build_and_put(j);
		return;
	}
	const char *a = j->rcpts.v[j->checked], *at = strrchr(a, '@');
	char *local = xstrndup(a, (size_t)(at - a));
	struct pb_sender tx = web_call_sender(j->ws, &call, on_rcpt);
	if (directory_client_rcpt_check_send(&tx, local, at + 1, &error) < 0)
		web_reply_busy(j->ws);
	free(local);
}

/* ---- the message ---- */

/* The text as a quoted part: UTF-8, base64 (safe for any line length and octet). */
static void text_part(struct pb_buf *out, const char *text)
{
	pb_buf_append_str(out, "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Transfer-Encoding: base64\r\n\r\n");
	web_mail_base64_lines(out, text, strlen(text));
}

/* Appends each attachment as a part after boundary; -1 with *error_r on a bad one. */
static int attachments(struct pb_buf *out, const cJSON *list, const char *boundary,
		       const char **error_r)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, list) {
		const char *name = web_body_str(a, "name"), *type = web_body_str(a, "type");
		const char *data = web_body_str(a, "data");
		struct pb_buf raw;
		if (data == NULL || !header_ok(name != NULL ? name : "") ||
		    (type != NULL && (!header_ok(type) || strchr(type, '/') == NULL ||
				      strpbrk(type, ";\" ") != NULL)))
			return *error_r = "an attachment must be {\"name\", \"type\", \"data\": base64}", -1;
		pb_buf_init(&raw);
		if (mime_decode_base64(data, strlen(data), &raw, error_r) < 0) {
			pb_buf_deinit(&raw);
			return *error_r = "an attachment's data is not base64", -1;
		}
		web_mail_part_head(out, boundary, type, name);
		web_mail_base64_lines(out, raw.data, raw.len);
		pb_buf_deinit(&raw);
	}
	return 0;
}

/* The header fields of the message. */
static void header(struct send_job *j, struct pb_buf *out)
{
	unsigned char rnd[12];
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	const char *to = web_body_str(j->in, "to"), *cc = web_body_str(j->in, "cc");
	const char *subject = web_body_str(j->in, "subject");
	const char *irt = web_body_str(j->in, "in_reply_to");

	RAND_bytes(rnd, sizeof(rnd));
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	pb_buf_printf(out, "From: %s\r\nDate: %s\r\nMessage-ID: <", j->from, date);
	for (size_t i = 0; i < sizeof(rnd); i++)
		pb_buf_printf(out, "%02x", rnd[i]);
	pb_buf_printf(out, ".web%s>\r\n", strchr(j->from, '@'));
	if (to != NULL && to[0] != '\0')
		pb_buf_printf(out, "To: %s\r\n", to);
	if (cc != NULL && cc[0] != '\0')
		pb_buf_printf(out, "Cc: %s\r\n", cc);
	if (irt != NULL && header_ok(irt) && irt[0] != '\0')
		pb_buf_printf(out, "In-Reply-To: %s\r\nReferences: %s\r\n", irt, irt);
	struct pb_buf enc;
	pb_buf_init(&enc);
	web_mail_base64_lines(&enc, subject != NULL ? subject : "", subject != NULL ? strlen(subject) : 0);
	pb_buf_append_str(out, "Subject: =?utf-8?B?");
	for (size_t i = 0; i < enc.len; i++)
		if (enc.data[i] != '\r' && enc.data[i] != '\n')
			pb_buf_append(out, &enc.data[i], 1);
	pb_buf_append_str(out, "?=\r\nMIME-Version: 1.0\r\n");
	pb_buf_deinit(&enc);
}

/* The text of the message to send with its signature and disclaimer (mail-signature.h, as
 * SMTP AUTH's: the logged-in user the sender, internal when every recipient is local) put in
 * as mime-signature.h puts them into a text/plain part: into *out_r (the caller's to
 * pb_buf_deinit), returning true; false (*out_r empty): the text goes as it is (a draft
 * saved, no signature for the sender, or a text it must not change). One log line. */
static bool signed_text(struct send_job *j, const char *text, struct pb_buf *out_r)
{
	struct mail_signature_pick pick;
	const char *why = "no signature text for the sender";
	bool internal = true;
	int n = 0;

	pb_buf_init(out_r);
	if (j->draft)
		return false;
	for (uint32_t i = 0; i < j->rcpt_ids.n; i++)
		internal = internal && j->rcpt_ids.v[i] != 0;
	if (mail_signature_choose(&j->ws->srv->signature, &j->sig, j->from, internal, &pick)) {
		struct mime_signature sig = { pick.text, pick.html, pick.disclaimer };
		n = mime_signature_text(text, strlen(text), &sig, out_r, &why);
	}
	if (n > 0)
		pb_info("web", "event=signature user=%s result=added source=%s",
			PB_LOGQ(j->ws->who.user), pick.source != NULL ? pick.source : "server");
	else
		pb_info("web", "event=signature user=%s result=kept reason=%s",
			PB_LOGQ(j->ws->who.user), PB_LOGQ(why));
	mail_signature_pick_free(&pick);
	return n > 0;
}

/* The message's text part: the request's text, signed when it is sent (signed_text). */
static void body_text(struct send_job *j)
{
	const char *text = web_body_str(j->in, "text");
	struct pb_buf sig;

	if (text == NULL)
		text = "";
	if (signed_text(j, text, &sig)) {
		pb_buf_append_c(&sig, '\0');
		text_part(&j->msg, (const char *)sig.data);
	} else {
		text_part(&j->msg, text);
	}
	pb_buf_deinit(&sig);
}

/* Builds j->msg; -1 with *error_r. */
static int build(struct send_job *j, const char **error_r)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(j->in, "attachments");
	char *boundary = j->boundary;
	unsigned char rnd[12];

	header(j, &j->msg);
	if ((!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) && j->uploads.n == 0) {
		body_text(j);
		return 0;
	}
	RAND_bytes(rnd, sizeof(rnd));
	snprintf(boundary, sizeof(j->boundary), "=_pb%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	pb_buf_printf(&j->msg, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n--%s\r\n",
		      boundary, boundary);
	body_text(j);
	if (cJSON_IsArray(list) && attachments(&j->msg, list, boundary, error_r) < 0)
		return -1;
	if (j->uploads.n == 0) /* else the stream closes it after the uploads */
		pb_buf_printf(&j->msg, "--%s--\r\n", boundary);
	return 0;
}

/* The error text of the spool's answer m (NULL: none came in time). */
static const char *spool_error(struct pb_msg *m)
{
	const char *error = "no answer in time";

	if (m != NULL)
		pb_msg_status(m, &error);
	return error;
}

/* The spool's answer to the message's last request (code, m NULL: none in time): the error
 * told, or the message is spooled (size octets). */
static void spooled(struct send_job *j, struct pb_msg *m, uint32_t code, size_t size)
{
	if (code != PB_OK) {
		web_reply_error(j->ws, web_status_of(code, 500), spool_error(m));
		return;
	}
	sent_ok(j, size);
}

static void on_put(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	uint32_t code = m != NULL ? spool_client_put_reply(m, &j->spool_id) : PB_ERR_TEMP;

	spooled(j, m, code, j->msg.len);
}

/* The message is spooled (j->spool_id): counted against the account's limits, then its copy
 * goes to Sent. */
static void sent_ok(struct send_job *j, size_t size)
{
	struct web_session *ws = j->ws;
	const char *error;

	pb_info("web", "event=mail_sent user=%s rcpts=%u size=%zu spool_id=%llu", PB_LOGQ(ws->who.user),
		j->rcpts.n, size, (unsigned long long)j->spool_id);
	pb_runtime_received_note(ws->srv->rt, PB_RECEIVED_WEB);
	struct pb_sender cast = gw_cast_sender(ws->gs);
	if (directory_client_send_count_send(&cast, ws->who.user_id, &error) < 0)
		pb_warn("web", "event=send_count_lost user=%s reason=%s", PB_LOGQ(ws->who.user),
			PB_LOGQ(error));
	sent_copy(j);
}

static void build_and_put(struct send_job *j)
{
	struct gw_pending call;
	const char *error = NULL;

	if (build(j, &error) < 0) {
		web_reply_error(j->ws, 400, error);
		return;
	}
	if (j->msg.len > WEB_MAIL_SEND_MAX) {
		web_reply_error(j->ws, 413, "the message's text and inline attachments are over 1 MB: "
					    "upload big files (POST /api/mail/uploads) and name them "
					    "in \"uploads\"");
		return;
	}
	if (j->uploads.n > 0 && stream_open(j) < 0)
		return;
	if (size_refused(j, j->stream != NULL ? web_mail_stream_size(j->stream) : j->msg.len))
		return;
	if (j->draft) {
		sent_copy(j);
		return;
	}
	struct spool_client_envelope env = { j->from, NULL, (const char *const *)j->rcpts.v,
					     j->rcpt_ids.v, j->rcpts.n,
					     (int64_t)pb_clock_wall_ms(), PB_ORIGIN_LOCAL };
	struct pb_sender tx = web_call_sender(j->ws, &call, j->stream != NULL ? on_spool_begin
									     : on_put);
	j->spool_open = j->stream != NULL;
	int rc = j->stream != NULL
			 ? spool_client_begin_env_send(&tx, j->ws->gs->id, &env, &error)
			 : spool_client_put_send(&tx, j->ws->gs->id, &env, j->msg.data, j->msg.len,
						 &error);
	if (rc < 0) {
		j->spool_open = false;
		web_reply_busy(j->ws);
	}
}

/* ---- the copy in Sent (or the draft in Drafts): APPEND's upload ---- */

/* Answers: 202 {queued, queued_id, uid (in Sent) or copy_error} sent, 201 {uid} a draft;
 * replace_error: the old draft could not be removed (NULL: it was, or there was none). queued
 * is the spool id as a number (kept for old clients: a double, not exact past 2^53);
 * queued_id the same id exactly, a decimal string as /api/queue and `pillarbox trace` spell
 * it. */
static void finish(struct send_job *j, const char *replace_error)
{
	cJSON *o = cJSON_CreateObject();
	char id[24];

	for (size_t i = 0; !j->draft && i < j->uploads.n; i++) /* sent: no longer needed */
		web_uploads_remove(j->ws->srv->uploads, j->ws->who.user, j->uploads.v[i]);
	if (!j->draft) {
		snprintf(id, sizeof(id), "%" PRIu64, j->spool_id);
		cJSON_AddNumberToObject(o, "queued", (double)j->spool_id);
		cJSON_AddStringToObject(o, "queued_id", id);
	}
	if (j->stored_uid != 0)
		cJSON_AddNumberToObject(o, "uid", j->stored_uid);
	if (j->copy_error != NULL)
		cJSON_AddStringToObject(o, "copy_error", j->copy_error); /* sent, no copy in Sent */
	if (replace_error != NULL)
		cJSON_AddStringToObject(o, "replace_error", replace_error);
	web_reply_json(j->ws, j->draft ? 201 : 202, o, NULL);
}

static void on_replaced(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_expunge_reply(m, &error) : PB_ERR_TEMP;

	if (code != PB_OK)
		pb_warn("web", "event=draft_not_removed user=%s uid=%llu reason=%s",
			PB_LOGQ(ws->who.user), (unsigned long long)j->replaces, PB_LOGQ(error));
	finish(j, code == PB_OK ? NULL : error);
}

static void on_committed(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	struct gw_pending call;
	struct mailbox_appended out = { 0 };
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_upload_commit_reply(m, &out, NULL, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK && j->draft) { /* not stored: the old draft stays */
		web_reply_error(ws, web_status_of(code, 500), error);
		return;
	}
	if (code == PB_OK)
		j->stored_uid = out.uid;
	else
		j->copy_error = xstrdup(error);
	if (j->replaces == 0) {
		finish(j, NULL);
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_replaced);
	if (mailbox_client_expunge_send(&tx, ws->who.user_id, "Drafts", &j->replaces, 1,
					&error) < 0)
		finish(j, error);
}

static void on_chunk(void *session, uint64_t arg, struct pb_msg *m);

/* Commits the copy's upload to Sent (or Drafts). */
static void copy_commit(struct send_job *j)
{
	struct gw_pending call;
	const char *error;
	struct mailbox_upload_commit c = { j->upload_id, j->draft ? "Drafts" : "Sent",
					   j->draft ? 1 | 16 : 1, NULL, 0 };
	struct pb_sender tx = web_call_sender(j->ws, &call, on_committed);

	if (mailbox_client_upload_commit_send(&tx, j->ws->who.user_id, &c, 1, &error) < 0)
		web_reply_busy(j->ws);
}

/* Sends the stream's next slice to the copy's upload (an empty one: the commit follows). */
static void stream_copy_next(struct send_job *j)
{
	struct gw_pending call;
	const char *error;

	if (web_mail_stream_next(j->stream, &j->slice, &error) < 0) {
		on_committed(j->ws, 0, NULL);
		return;
	}
	if (j->slice.len == 0) {
		copy_commit(j);
		return;
	}
	struct pb_sender tx = web_call_sender(j->ws, &call, on_chunk);
	if (mailbox_client_upload_chunk_send(&tx, j->ws->who.user_id, j->upload_id, j->sent_off,
					     j->slice.data, j->slice.len, &error) < 0)
		web_reply_busy(j->ws);
	j->sent_off += j->slice.len;
}

static void on_chunk(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_upload_chunk_reply(m, &error) : PB_ERR_TEMP;

	if (code != PB_OK)
		on_committed(session, arg, NULL);
	else if (j->stream != NULL)
		stream_copy_next(j);
	else
		copy_commit(j);
}

static void on_upload(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	struct gw_pending call;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_upload_begin_reply(m, &j->upload_id, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK) {
		on_committed(session, arg, NULL);
		return;
	}
	if (j->stream != NULL) {
		web_mail_stream_rewind(j->stream);
		j->sent_off = 0;
		stream_copy_next(j);
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_chunk);
	if (mailbox_client_upload_chunk_send(&tx, ws->who.user_id, j->upload_id, 0, j->msg.data,
					     j->msg.len, &error) < 0)
		web_reply_busy(ws);
}

static void sent_copy(struct send_job *j)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(j->ws, &call, on_upload);

	uint64_t size = j->stream != NULL ? web_mail_stream_size(j->stream) : j->msg.len;

	if (mailbox_client_upload_begin_send(&tx, j->ws->who.user_id, size, 0, &error) < 0)
		web_reply_busy(j->ws);
}

/* ---- uploaded attachments: the message streamed to the spool (SPOOL_BEGIN, CHUNK, COMMIT:
 * the chunked path SMTP uses), then to Sent, a slice at a time ---- */

/* Takes j->in's "uploads": [id, ...], each the account's own upload. 0, or -1 with *error_r. */
static int uploads_take(struct send_job *j, const char **error_r)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(j->in, "uploads"), *id;

	if (list == NULL || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > 100)
		return *error_r = "\"uploads\" must be a list of at most 100 upload ids", -1;
	cJSON_ArrayForEach(id, list) {
		if (!cJSON_IsString(id) ||
		    web_uploads_find(j->ws->srv->uploads, j->ws->who.user, id->valuestring) == NULL)
			return *error_r = "no such upload (removed, expired, or not yours): upload "
					  "the file again", -1;
		pb_strv_push(&j->uploads, id->valuestring);
	}
	return 0;
}

/* The largest message the account may send: its own max_message_size_kb and the server's
 * smtp.max_message_size, the smaller (send_policy_max_size, as SMTP submission; a draft, whose
 * policy is not asked: the server's). When size is over it: answers 413 naming the limit and
 * returns true. */
static bool size_refused(struct send_job *j, uint64_t size)
{
	uint64_t max = send_policy_max_size(j->policy.max_size_kb, j->ws->srv->max_message_size);
	char text[200];

	if (max == 0 || size <= max) /* a draft: the server's (its policy is not asked) */
		return false;
	snprintf(text, sizeof(text), "Message size exceeds the limit for this account: %llu KB "
				     "(the message is %llu KB)", (unsigned long long)(max / 1024),
		 (unsigned long long)((size + 1023) / 1024));
	pb_info("web", "event=send_refused user=%s status=413 size=%llu max=%llu",
		PB_LOGQ(j->ws->who.user), (unsigned long long)size, (unsigned long long)max);
	web_reply_error(j->ws, 413, text);
	return true;
}

/* Drops the spool upload the job began and did not commit (a cast; as SMTP's abort_upload):
 * its id, or every upload of the session's key while the begin is unanswered. */
static void spool_abort(struct send_job *j)
{
	struct pb_sender cast;
	const char *error;

	if (!j->spool_open)
		return;
	j->spool_open = false;
	cast = gw_cast_sender(j->ws->gs);
	if (spool_client_abort_send(&cast, j->ws->gs->id, j->spool_upload, &error) < 0)
		pb_warn("web", "event=abort_failed user=%s reason=%s", PB_LOGQ(j->ws->who.user),
			PB_LOGQ(error));
}

/* The stream failed or the spool refused: the spool's upload dropped, the error told. */
static void stream_fail(struct send_job *j, int status, const char *error)
{
	spool_abort(j);
	web_reply_error(j->ws, status, error);
}

static void on_spool_commit(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	uint32_t code = m != NULL ? spool_client_commit_reply(m, &j->spool_id) : PB_ERR_TEMP;

	if (code == PB_OK)
		j->spool_open = false; /* committed */
	spooled(j, m, code, (size_t)web_mail_stream_size(j->stream));
}

static void on_spool_chunk(void *session, uint64_t arg, struct pb_msg *m);

/* Sends the next slice to the spool, or commits after the last. */
static void spool_next(struct send_job *j)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx;

	if (web_mail_stream_next(j->stream, &j->slice, &error) < 0) {
		stream_fail(j, 410, error);
		return;
	}
	if (j->slice.len == 0) {
		tx = web_call_sender(j->ws, &call, on_spool_commit);
		if (spool_client_commit_send(&tx, j->ws->gs->id, j->spool_upload, j->sent_off,
					     &error) < 0)
			stream_fail(j, 503, "server busy, try again later");
		return;
	}
	tx = web_call_sender(j->ws, &call, on_spool_chunk);
	if (spool_client_chunk_send(&tx, j->ws->gs->id, j->spool_upload, j->sent_off, j->slice.data,
				    j->slice.len, &error) < 0)
		stream_fail(j, 503, "server busy, try again later");
	j->sent_off += j->slice.len;
}

static void on_spool_chunk(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	uint64_t received = 0;
	uint32_t code = m != NULL ? spool_client_chunk_reply(m, &received) : PB_ERR_TEMP;

	if (code != PB_OK)
		stream_fail(j, web_status_of(code, 500), spool_error(m));
	else
		spool_next(j);
}

static void on_spool_begin(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct send_job *j = ws->job;
	uint32_t code = m != NULL ? spool_client_begin_reply(m, &j->spool_upload) : PB_ERR_TEMP;

	if (code != PB_OK) { /* none in time: one may yet open (the abort of the key's drops it) */
		j->spool_open = m == NULL;
		stream_fail(j, web_status_of(code, 500), spool_error(m));
		return;
	}
	j->sent_off = 0;
	spool_next(j);
}

/* The message as a stream: j->msg (its head) then the uploads. 0, or -1 answered (one is
 * gone). */
static int stream_open(struct send_job *j)
{
	const struct web_upload *ups[100];

	for (size_t i = 0; i < j->uploads.n; i++) {
		ups[i] = web_uploads_find(j->ws->srv->uploads, j->ws->who.user, j->uploads.v[i]);
		if (ups[i] == NULL) {
			web_reply_error(j->ws, 410, "an uploaded attachment is gone (expired?): "
						    "upload the file again");
			return -1;
		}
	}
	j->stream = web_mail_stream_new(&j->msg, j->boundary, ups, j->uploads.n);
	return 0;
}
