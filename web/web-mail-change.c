/*
 * web-mail-change.c: the webmail's changes to one message (web-mail.h): flags (MBOX_FLAGS, as
 * IMAP STORE), move (MBOX_COPY with move, as IMAP MOVE; into Trash created when missing) and
 * delete (a move to Trash, or from Trash for good: MBOX_EXPUNGE), each through the mailbox
 * owner's client stub. Split from web-mail.c, unchanged.
 * OWNS: struct change_job (the session's job). THREAD: the web hub's.
 * MESSAGES sent (through stubs): MBOX_FLAGS_REQ, MBOX_COPY_REQ, MBOX_EXPUNGE_REQ,
 * MBOX_FOLDER_REQ.
 */
#include "web-mail.h"

#include "web-api.h"

#include "mailbox-client.h"
#include "pb-alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- flags, move, delete ---- */

struct change_job {
	struct web_session *ws;
	struct web_mail_path path;
	uint32_t add, remove; /* flags */
	char *dest;           /* move / delete: the folder it goes to */
	bool created;         /* dest was created once already */
	bool deleting;        /* DELETE: answered 204 once moved */
	uint64_t uid;
};

static void change_job_free(void *p)
{
	struct change_job *j = p;

	web_mail_path_free(&j->path);
	free(j->dest);
	free(j);
}

/* A change job for the request's message, or NULL (answered 400). */
static struct change_job *change_begin(struct web_session *ws, const struct http_request *q)
{
	struct change_job *j = xcalloc(1, sizeof(*j));

	j->ws = ws;
	web_job_set(ws, j, change_job_free);
	if (web_mail_path_or_400(ws, q, &j->path) < 0)
		return NULL;
	if (j->path.uid == 0) {
		web_reply_error(ws, 400, "no message uid in the path");
		return NULL;
	}
	j->uid = j->path.uid;
	return j;
}

static void flags_send(struct change_job *j);

static void on_flagged(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct change_job *j = ws->job;
	uint64_t modseq;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_flags_reply(m, &modseq, &error) : PB_ERR_TEMP;

	if (code != PB_OK) {
		web_mail_reply_failed(ws, code, error);
		return;
	}
	flags_send(j);
}

/* Sends what is left to add, then what is left to remove; answers 204 when done. */
static void flags_send(struct change_job *j)
{
	struct gw_pending call;
	const char *error;
	uint32_t mode = j->add != 0 ? 1 /* PB_FLAGS_ADD */ : 2 /* PB_FLAGS_REMOVE */;
	uint32_t flags = j->add != 0 ? j->add : j->remove;

	if (flags == 0) {
		web_reply_json(j->ws, 204, NULL, NULL);
		return;
	}
	if (j->add != 0)
		j->add = 0;
	else
		j->remove = 0;
	struct pb_sender tx = web_call_sender(j->ws, &call, on_flagged);
	if (mailbox_client_flags_send(&tx, j->ws->who.user_id, j->path.folder, &j->uid, 1, mode,
				      flags, &error) < 0)
		web_reply_busy(j->ws);
}

void web_mail_flags(struct web_session *ws, const struct http_request *q)
{
	struct change_job *j = change_begin(ws, q);
	if (j == NULL)
		return;
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	bool bad = !cJSON_IsObject(in);
	for (const cJSON *it = in != NULL ? in->child : NULL; it != NULL && !bad; it = it->next) {
		uint32_t bit = web_mail_flag_bit(it->string);
		bad = bit == 0 || !cJSON_IsBool(it);
		if (!bad && cJSON_IsTrue(it))
			j->add |= bit;
		else if (!bad)
			j->remove |= bit;
	}
	cJSON_Delete(in);
	if (bad) {
		web_reply_error(ws, 400, "the body must be {\"seen\"|\"answered\"|\"flagged\"|"
					 "\"deleted\"|\"draft\": true|false, ...}");
		return;
	}
	flags_send(j);
}

static void move_send(struct change_job *j);

static void on_created(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct change_job *j = ws->job;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_folder_reply(m, &error) : PB_ERR_TEMP;

	if (code != PB_OK && code != PB_ERR_EXISTS) {
		web_mail_reply_failed(ws, code, error);
		return;
	}
	move_send(j);
}

static void on_moved(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct change_job *j = ws->job;
	struct mailbox_copied out = { 0 };
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_copy_reply(m, &out, &error) : PB_ERR_TEMP;
	struct gw_pending call;

	if (code == PB_OK && out.src_uids.n == 0)
		code = PB_ERR_NOTFOUND, j->created = true;
	if (code == PB_OK && j->deleting) {
		mailbox_copied_free(&out);
		web_reply_json(ws, 204, NULL, NULL);
		return;
	}
	if (code == PB_OK) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "folder", j->dest);
		if (out.dst_uids.n == 1)
			cJSON_AddNumberToObject(o, "uid", (double)out.dst_uids.v[0]);
		mailbox_copied_free(&out);
		web_reply_json(ws, 200, o, NULL);
		return;
	}
	if (code != PB_ERR_NOTFOUND || j->created || strcmp(j->dest, "Trash") != 0) {
		mailbox_copied_free(&out);
		web_mail_reply_failed(ws, code, error);
		return;
	}
	j->created = true; /* a mailbox without its Trash yet */
	struct pb_sender tx = web_call_sender(ws, &call, on_created);
	if (mailbox_client_folder_send(&tx, ws->who.user_id, MAILBOX_FOLDER_CREATE, j->dest, NULL,
				       &error) < 0)
		web_reply_busy(ws);
}

static void move_send(struct change_job *j)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(j->ws, &call, on_moved);

	if (mailbox_client_copy_send(&tx, j->ws->who.user_id, j->path.folder, j->dest, &j->uid, 1,
				     true, &error) < 0)
		web_reply_busy(j->ws);
}

void web_mail_move(struct web_session *ws, const struct http_request *q)
{
	struct change_job *j = change_begin(ws, q);
	if (j == NULL)
		return;
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	const char *to = web_body_str(in, "to");
	if (to != NULL && to[0] != '\0' && strlen(to) < 1024)
		j->dest = xstrdup(to);
	cJSON_Delete(in);
	if (j->dest == NULL) {
		web_reply_error(ws, 400, "the body must be {\"to\": folder}");
		return;
	}
	if (strcasecmp(j->dest, j->path.folder) == 0) {
		web_reply_error(ws, 400, "the message is in that folder already");
		return;
	}
	move_send(j);
}

static void on_expunged(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_expunge_reply(m, &error) : PB_ERR_TEMP;

	if (code != PB_OK)
		web_mail_reply_failed(ws, code, error);
	else
		web_reply_json(ws, 204, NULL, NULL);
}

void web_mail_delete(struct web_session *ws, const struct http_request *q)
{
	struct change_job *j = change_begin(ws, q);
	struct gw_pending call;
	const char *error;

	if (j == NULL)
		return;
	if (strcmp(j->path.folder, "Trash") != 0) {
		j->dest = xstrdup("Trash");
		j->deleting = true;
		move_send(j);
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_expunged);
	if (mailbox_client_expunge_send(&tx, ws->who.user_id, j->path.folder, &j->uid, 1,
					&error) < 0)
		web_reply_busy(ws);
}
