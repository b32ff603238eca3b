/*
 * web-mail-read.c: reading one message in the webmail (web-mail.h): its listing entry from the
 * mailbox owner (MBOX_LIST of that uid), its octets from the readers (READER_READ, a chunk at a
 * time, at most WEB_MAIL_READ_MAX), then the MIME tree (mime-parser.h) gives the headers, the
 * text and HTML parts decoded to UTF-8 and the attachments, numbered as IMAP sections ("1",
 * "2.1"; a message/rfc822 part is one attachment). A part's download is served as
 * application/octet-stream with Content-Disposition: attachment (the browser never renders
 * it). The HTML is sent as it is: the page sanitises it and shows it in a sandboxed frame.
 * What a read buffers is taken from the node's in-flight budget first (READ_HOLDS; past it 503).
 * OWNS: struct read_job (the session's job). THREAD: the web hub's.
 * MESSAGES sent (through stubs): MBOX_LIST_REQ, READER_READ_REQ.
 */
#include "web-mail.h"

#include "web-api.h"

#include "mailbox-client.h"
#include "mime-decode.h"
#include "mime-parser.h"
#include "mime-part.h"
#include "pb-alloc.h"
#include "reader-client.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* What reading a message of n octets holds at once, taken from the node's in-flight budget
 * before the first chunk is asked for (web_job_reserve): the octets, a decoded copy of its text
 * and HTML (or of the part served), and the answer (JSON, or the part's copy). */
#define READ_HOLDS(n) ((size_t)(n) * 3 + 65536)

struct read_job {
	struct web_session *ws;
	struct web_mail_path path;
	struct mailbox_list list; /* the message's entry */
	struct pb_buf octets;     /* the message read so far */
};

static void read_job_free(void *p)
{
	struct read_job *j = p;

	web_mail_path_free(&j->path);
	mailbox_list_free(&j->list);
	pb_buf_deinit(&j->octets);
	free(j);
}

static void on_entry(void *session, uint64_t arg, struct pb_msg *m);
static void on_read(void *session, uint64_t arg, struct pb_msg *m);
static void answer(struct read_job *j);

/* Begins reading the request's message (its entry first). */
static void read_begin(struct web_session *ws, const struct http_request *q)
{
	struct read_job *j = xcalloc(1, sizeof(*j));
	struct gw_pending call;
	const char *error;

	j->ws = ws;
	pb_buf_init(&j->octets);
	web_job_set(ws, j, read_job_free);
	if (web_mail_path_parse(q->path, &j->path, &error) < 0 || j->path.uid == 0) {
		web_reply_error(ws, 400, "the path must name a folder and a message uid");
		return;
	}
	struct mailbox_list_query lq = { j->path.folder, j->path.uid, j->path.uid, 0, 1 };
	struct pb_sender tx = web_call_sender(ws, &call, on_entry);
	if (mailbox_client_list_send(&tx, ws->who.user_id, &lq, &error) < 0)
		web_reply_busy(ws);
}

void web_mail_read(struct web_session *ws, const struct http_request *q)
{
	read_begin(ws, q);
}

void web_mail_part(struct web_session *ws, const struct http_request *q)
{
	read_begin(ws, q);
}

/* Asks the readers for the next chunk of the message. */
static void read_send(struct read_job *j)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(j->ws, &call, on_read);

	if (reader_client_read_send(&tx, j->ws->who.user_id, j->list.entries.v[0].blob_key,
				    j->octets.len, PB_CHUNK_MAX, &error) < 0)
		web_reply_busy(j->ws);
}

static void on_entry(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct read_job *j = ws->job;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_list_reply(m, &j->list, &error) : PB_ERR_TEMP;

	if (code == PB_OK && (j->list.entries.n == 0 || j->list.entries.v[0].uid != j->path.uid))
		code = PB_ERR_NOTFOUND;
	if (code != PB_OK) {
		web_reply_error(ws, code == PB_ERR_NOTFOUND ? 404 : web_status_of(code, 500),
				code == PB_ERR_NOTFOUND ? "no such folder or message" : error);
		return;
	}
	if (j->list.entries.v[0].size > WEB_MAIL_READ_MAX) {
		web_reply_error(ws, 413, "the message is too large to read here: use IMAP");
		return;
	}
	if (!web_job_reserve(ws, READ_HOLDS(j->list.entries.v[0].size)))
		return; /* answered 503: the job is freed */
	read_send(j);
}

static void on_read(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct read_job *j = ws->job;
	uint64_t size = 0;
	const uint8_t *data = NULL;
	size_t len = 0;
	bool eof = true;
	uint32_t code = m != NULL ? reader_client_read_reply(m, &size, &data, &len, &eof)
				  : PB_ERR_TEMP;

	if (code != PB_OK || size > WEB_MAIL_READ_MAX) {
		web_reply_error(ws, code == PB_ERR_NOTFOUND ? 404 : 503,
				code == PB_ERR_NOTFOUND ? "the message is gone" : "the readers did not answer");
		return;
	}
	pb_buf_append(&j->octets, data, len);
	if (!eof && len > 0)
		read_send(j);
	else
		answer(j);
}

/* ---- the MIME tree ---- */

struct walk {
	const struct mime_message *msg;
	const struct pb_buf *octets;
	const char *want;               /* a part download: its number, else NULL */
	const struct mime_part *found;  /* ... the part */
	const struct mime_part *html;   /* the first inline text/html leaf */
	cJSON *attachments;
};

static bool is_attachment(const struct mime_part *p)
{
	struct pb_buf name;
	bool named;

	if (p->disposition != NULL && strcasecmp(p->disposition, "attachment") == 0)
		return true;
	if (!mime_part_is(p, "text", "plain") && !mime_part_is(p, "text", "html"))
		return true;
	pb_buf_init(&name);
	named = mime_part_filename_utf8(p, &name) == 1;
	pb_buf_deinit(&name);
	return named;
}

static cJSON *attachment_json(const struct mime_part *p, const char *num)
{
	cJSON *o = cJSON_CreateObject();
	struct pb_buf name;
	char type[256];

	pb_buf_init(&name);
	if (mime_part_filename_utf8(p, &name) != 1)
		pb_buf_append_str(&name, "attachment");
	pb_buf_append(&name, "", 1);
	snprintf(type, sizeof(type), "%s/%s", mime_part_type(p), mime_part_subtype(p));
	cJSON_AddStringToObject(o, "part", num);
	cJSON_AddStringToObject(o, "name", (const char *)name.data);
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddNumberToObject(o, "size", (double)p->body.physical);
	pb_buf_deinit(&name);
	return o;
}

/* Visits part p numbered num ("" the top of the message), its children numbered after it. */
static void walk_part(struct walk *w, const struct mime_part *p, const char *num)
{
	if (p->flags & MIME_PART_FLAG_MULTIPART) {
		unsigned k = 1;
		for (const struct mime_part *c = p->children; c != NULL; c = c->next, k++) {
			char sub[64];
			snprintf(sub, sizeof(sub), "%s%s%u", num, num[0] != '\0' ? "." : "", k);
			walk_part(w, c, sub);
		}
		return;
	}
	const char *n = num[0] != '\0' ? num : "1";
	if (w->want != NULL && strcmp(w->want, n) == 0)
		w->found = p;
	if (is_attachment(p))
		cJSON_AddItemToArray(w->attachments, attachment_json(p, n));
	else if (w->html == NULL && mime_part_is(p, "text", "html"))
		w->html = p;
}

/* o[key] = part p's body decoded to UTF-8 text ("" when p is NULL). */
static void add_body(cJSON *o, const char *key, const struct mime_part *p, const struct walk *w)
{
	struct pb_buf text;
	const char *error;

	pb_buf_init(&text);
	if (p != NULL)
		(void)mime_part_decode_body(p, w->octets->data, w->octets->len, &text, &error);
	pb_buf_append(&text, "", 1);
	cJSON_AddStringToObject(o, key, (const char *)text.data);
	pb_buf_deinit(&text);
}

static void add_envelope(cJSON *o, const struct mime_part *root)
{
	static const struct {
		const char *key;
		enum mime_envelope_field f;
	} fields[] = {
		{ "date", MIME_ENV_DATE },	       { "subject", MIME_ENV_SUBJECT },
		{ "from", MIME_ENV_FROM },	       { "reply_to", MIME_ENV_REPLY_TO },
		{ "to", MIME_ENV_TO },		       { "cc", MIME_ENV_CC },
		{ "message_id", MIME_ENV_MESSAGE_ID }, { "in_reply_to", MIME_ENV_IN_REPLY_TO },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(fields); i++) {
		const char *raw = root->envelope[fields[i].f];
		struct pb_buf text;
		pb_buf_init(&text);
		if (raw != NULL)
			mime_decode_header(raw, strlen(raw), &text);
		pb_buf_append(&text, "", 1);
		cJSON_AddStringToObject(o, fields[i].key, (const char *)text.data);
		pb_buf_deinit(&text);
	}
}

static cJSON *message_json(const struct read_job *j, struct walk *w)
{
	const struct pb_rec_mbox_entry *e = &j->list.entries.v[0];
	cJSON *o = cJSON_CreateObject();
	const struct mime_part *text = mime_message_text_part(w->msg);

	cJSON_AddNumberToObject(o, "uid", e->uid);
	cJSON_AddNumberToObject(o, "size", (double)e->size);
	cJSON_AddNumberToObject(o, "arrived_ms", (double)e->internal_date_ms);
	cJSON *flags = cJSON_AddArrayToObject(o, "flags");
	static const char *const names[] = { "seen", "answered", "flagged", "deleted", "draft" };
	for (unsigned i = 0; i < PB_N_ELEMENTS(names); i++)
		if (e->flags & (1u << i))
			cJSON_AddItemToArray(flags, cJSON_CreateString(names[i]));
	add_envelope(o, w->msg->root);
	add_body(o, "text", text != NULL && mime_part_is(text, "text", "plain") ? text : NULL, w);
	add_body(o, "html", w->html, w);
	cJSON_AddItemToObject(o, "attachments", w->attachments);
	w->attachments = NULL;
	return o;
}

/* Serves part w->found decoded (transfer encoding only) as an attachment download. */
static void serve_part(struct read_job *j, const struct walk *w)
{
	const struct mime_part *p = w->found;
	uint64_t off = mime_part_body_offset(p);
	struct pb_buf out, name;
	const char *error;

	pb_buf_init(&out);
	pb_buf_init(&name);
	if (off <= j->octets.len && p->body.physical <= j->octets.len - off)
		(void)mime_decode_transfer(p->encoding, j->octets.data + off, p->body.physical,
					   &out, &error);
	if (mime_part_filename_utf8(p, &name) != 1)
		pb_buf_append_str(&name, "attachment");
	pb_buf_append(&name, "", 1);
	/* RFC 6266 filename*: the name's octets percent-encoded */
	struct pb_buf disp;
	pb_buf_init(&disp);
	pb_buf_append_str(&disp, "attachment; filename*=UTF-8''");
	web_mail_ext_value(&disp, (const char *)name.data);
	pb_buf_append(&disp, "", 1);
	web_reply_bytes(j->ws, 200, "application/octet-stream", out.data, out.len,
			(const char *)disp.data);
	pb_buf_deinit(&disp);
	pb_buf_deinit(&name);
	pb_buf_deinit(&out);
}

static void answer(struct read_job *j)
{
	struct mime_message *msg = mime_message_parse(j->octets.data, j->octets.len, NULL);
	struct walk w = { msg, &j->octets, j->path.part, NULL, NULL, cJSON_CreateArray() };

	walk_part(&w, msg->root, "");
	if (j->path.part == NULL)
		web_reply_json(j->ws, 200, message_json(j, &w), NULL);
	else if (w.found == NULL)
		web_reply_error(j->ws, 404, "no such part");
	else
		serve_part(j, &w);
	cJSON_Delete(w.attachments);
	mime_message_free(&msg);
}
