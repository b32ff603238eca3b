/*
 * web-mail.c: the webmail's folders, message list, flags, move and delete (web-mail.h), each
 * asked of the mailbox owner and the readers through their client stubs as IMAP asks them:
 * LIST/STATUS (MBOX_FOLDERS), the folder's listing (MBOX_LIST, paged), SEARCH text
 * (READER_SEARCH), the page's header fields (READER_SECTION HEADER.FIELDS, as SORT reads
 * them), STORE (MBOX_FLAGS), MOVE (MBOX_COPY), EXPUNGE (MBOX_EXPUNGE).
 *
 * A page: sort=uid|date|size (date: the arrival time, as IMAP SORT ARRIVAL) and order=asc|
 * desc; after=U continues after message U of the previous page in that order. sort=uid
 * order=asc without q lists just the page (uid > after); other orders list the folder's
 * entries (no bodies are read) and sort them in memory, as IMAP SORT ARRIVAL/SIZE does.
 *
 * OWNS: struct list_job / struct change_job (the session's job). THREAD: the web hub's.
 * MESSAGES sent (through stubs): MBOX_FOLDERS_REQ, MBOX_LIST_REQ, MBOX_FLAGS_REQ,
 * MBOX_COPY_REQ, MBOX_EXPUNGE_REQ, MBOX_FOLDER_REQ, READER_SEARCH_REQ, READER_SECTION_REQ.
 */
#include "web-mail.h"

#include "web-api.h"

#include "mailbox-client.h"
#include "mime-decode.h"
#include "mime-header.h"
#include "pb-alloc.h"
#include "reader-client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The system flags (PB_MSG_* of store-mail.h, as mailbox-client.h lists them). */
static const struct {
	const char *name;
	uint32_t bit;
} flag_names[] = {
	{ "seen", 1 }, { "answered", 2 }, { "flagged", 4 }, { "deleted", 8 }, { "draft", 16 },
};

/* ---- paths and query ---- */

static int hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* s[0..len) percent- and '+'-decoded (allocated), or NULL when an escape is bad or a NUL. */
static char *pct_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			int h = i + 2 < len ? hex(s[i + 1]) : -1;
			int l = h >= 0 ? hex(s[i + 2]) : -1;
			if (l < 0 || (h == 0 && l == 0)) {
				free(out);
				return NULL;
			}
			c = h * 16 + l;
			i += 2;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

char *web_query_param(const struct http_request *q, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = q->query; p != NULL && *p != '\0'; p = strchr(p, '&')) {
		if (*p == '&')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			const char *v = p + n + 1, *end = strchr(v, '&');
			return pct_decode(v, end != NULL ? (size_t)(end - v) : strlen(v));
		}
	}
	return NULL;
}

void web_mail_ext_value(struct pb_buf *out, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c != 0; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr(".-_", *c) != NULL)
			pb_buf_append(out, c, 1);
		else
			pb_buf_printf(out, "%%%02X", *c);
	}
}

/* A uid of text (1..2^32-1 in decimal digits only), or 0. */
static uint32_t parse_uid(const char *s, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v <= UINT32_MAX ? (uint32_t)v : 0;
}

int web_mail_path_parse(const char *path, struct web_mail_path *p, const char **error_r)
{
	static const char prefix[] = "/api/mail/folders/";
	const char *seg = path + sizeof(prefix) - 1, *end;

	*p = (struct web_mail_path){ 0 };
	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0 || (end = strchr(seg, '/')) == NULL)
		return *error_r = "no folder in the path", -1;
	p->folder = pct_decode(seg, (size_t)(end - seg));
	if (p->folder == NULL || p->folder[0] == '\0' || strncmp(end, "/messages", 9) != 0)
		return web_mail_path_free(p), *error_r = "bad folder name", -1;
	seg = end + 9;
	if (*seg == '\0')
		return 0;
	seg++;
	end = strchr(seg, '/');
	p->uid = parse_uid(seg, end != NULL ? (size_t)(end - seg) : strlen(seg));
	if (p->uid == 0)
		return web_mail_path_free(p), *error_r = "bad message uid", -1;
	if (end != NULL && strncmp(end, "/parts/", 7) == 0)
		p->part = xstrdup(end + 7);
	return 0;
}

void web_mail_path_free(struct web_mail_path *p)
{
	free(p->folder);
	free(p->part);
	*p = (struct web_mail_path){ 0 };
}

/* Parses the request's path into *p, or answers 400 and returns -1. */
static int path_or_400(struct web_session *ws, const struct http_request *q,
		       struct web_mail_path *p)
{
	const char *error;

	if (web_mail_path_parse(q->path, p, &error) < 0) {
		web_reply_error(ws, 400, error);
		return -1;
	}
	return 0;
}

/* Answers a failed or timed-out actor call. */
static void reply_failed(struct web_session *ws, uint32_t code, const char *error)
{
	if (code == PB_ERR_NOTFOUND)
		web_reply_error(ws, 404, "no such folder or message");
	else
		web_reply_error(ws, web_status_of(code, 500), error != NULL ? error : "no answer");
}

/* ---- folders ---- */

static cJSON *flags_json(uint32_t flags)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < PB_N_ELEMENTS(flag_names); i++)
		if (flags & flag_names[i].bit)
			cJSON_AddItemToArray(a, cJSON_CreateString(flag_names[i].name));
	return a;
}

static void on_folders(void *session, uint64_t arg, struct pb_msg *m)
{
	static const char *const special[] = { "", "inbox", "sent", "drafts", "trash", "junk",
					       "archive" };
	struct web_session *ws = session;
	struct pb_rec_mbox_folder_list v = { 0 };
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_folders_reply(m, &v, &error) : PB_ERR_TEMP;

	if (code != PB_OK) {
		reply_failed(ws, code, error);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = 0; i < v.n; i++) {
		const struct pb_rec_mbox_folder *f = &v.v[i];
		if (f->id == 0)
			continue; /* a subscribed name that is no folder */
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", f->name);
		cJSON_AddStringToObject(o, "special",
					f->special_use < PB_N_ELEMENTS(special) ? special[f->special_use] : "");
		cJSON_AddNumberToObject(o, "messages", (double)f->messages);
		cJSON_AddNumberToObject(o, "unseen", (double)f->unseen);
		cJSON_AddNumberToObject(o, "size", (double)f->size);
		cJSON_AddItemToArray(a, o);
	}
	pb_rec_mbox_folder_list_clear(&v);
	web_reply_json(ws, 200, a, NULL);
}

void web_mail_folders(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_folders);

	if (mailbox_client_folders_send(&tx, ws->who.user_id, NULL, &error) < 0)
		web_reply_busy(ws);
}

/* ---- the message list ---- */

enum sort_by { SORT_UID, SORT_DATE, SORT_SIZE };

struct list_job {
	struct web_session *ws;
	struct web_mail_path path;
	enum sort_by sort;
	bool desc;
	uint32_t limit, after;
	char *text;                 /* q: the search text, NULL none */
	struct mailbox_list list;   /* the folder's entries gathered */
	uint32_t *order;            /* indexes into list.entries: the selection, sorted */
	size_t n_order, searched;   /* searched: entries the readers have answered */
	size_t page_first, page_n;  /* the page: order[page_first..+page_n) */
	size_t got;                 /* page entries whose header fields are known */
	cJSON *rows;                /* the page's answer being built */
};

static void list_job_free(void *p)
{
	struct list_job *j = p;

	web_mail_path_free(&j->path);
	free(j->text);
	mailbox_list_free(&j->list);
	free(j->order);
	cJSON_Delete(j->rows);
	free(j);
}

static void list_send(struct list_job *j);
static void search_send(struct list_job *j);
static void headers_send(struct list_job *j);

/* Reads limit, after, sort, order and q into j; -1 with *error_r when one is bad. */
static int list_params(struct list_job *j, const struct http_request *q, const char **error_r)
{
	char *limit = web_query_param(q, "limit"), *after = web_query_param(q, "after");
	char *sort = web_query_param(q, "sort"), *order = web_query_param(q, "order");
	int rc = 0;

	j->limit = limit != NULL ? (uint32_t)strtoul(limit, NULL, 10) : 50;
	j->after = after != NULL ? parse_uid(after, strlen(after)) : 0;
	if (j->limit == 0 || j->limit > WEB_MAIL_PAGE_MAX)
		rc = -1, *error_r = "limit must be 1..200";
	else if (after != NULL && j->after == 0)
		rc = -1, *error_r = "after must be a uid";
	else if (sort == NULL || strcmp(sort, "date") == 0)
		j->sort = SORT_DATE;
	else if (strcmp(sort, "uid") == 0)
		j->sort = SORT_UID;
	else if (strcmp(sort, "size") == 0)
		j->sort = SORT_SIZE;
	else
		rc = -1, *error_r = "sort must be date, size or uid";
	if (rc == 0 && order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
		rc = -1, *error_r = "order must be asc or desc";
	j->desc = order == NULL || strcmp(order, "desc") == 0;
	j->text = web_query_param(q, "q");
	if (rc == 0 && j->text != NULL && strlen(j->text) > READER_SEARCH_VALUE_MAX)
		rc = -1, *error_r = "q is too long";
	free(limit);
	free(after);
	free(sort);
	free(order);
	return rc;
}

/* Whether only the page itself need be listed (uid order ascending, no search). */
static bool list_direct(const struct list_job *j)
{
	return j->sort == SORT_UID && !j->desc && j->text == NULL;
}

void web_mail_list(struct web_session *ws, const struct http_request *q)
{
	struct list_job *j = xcalloc(1, sizeof(*j));
	const char *error;

	j->ws = ws;
	web_job_set(ws, j, list_job_free);
	if (path_or_400(ws, q, &j->path) < 0)
		return;
	if (list_params(j, q, &error) < 0) {
		web_reply_error(ws, 400, error);
		return;
	}
	list_send(j);
}

static void on_listed(void *session, uint64_t arg, struct pb_msg *m);

static void list_send(struct list_job *j)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(j->ws, &call, on_listed);
	struct mailbox_list_query lq = { .folder = j->path.folder };

	if (list_direct(j)) {
		lq.uid_first = j->after + 1;
		lq.limit = j->limit;
	} else {
		lq.uid_first = j->list.next_uid;
	}
	if (mailbox_client_list_send(&tx, j->ws->who.user_id, &lq, &error) < 0)
		web_reply_busy(j->ws);
}

static const struct list_job *sort_job; /* qsort's context (the hub's one thread) */

static int cmp_entries(const void *a, const void *b)
{
	const struct pb_rec_mbox_entry *x = &sort_job->list.entries.v[*(const uint32_t *)a];
	const struct pb_rec_mbox_entry *y = &sort_job->list.entries.v[*(const uint32_t *)b];
	int c = 0;

	if (sort_job->sort == SORT_DATE)
		c = (x->internal_date_ms > y->internal_date_ms) - (x->internal_date_ms < y->internal_date_ms);
	else if (sort_job->sort == SORT_SIZE)
		c = (x->size > y->size) - (x->size < y->size);
	if (c == 0)
		c = (x->uid > y->uid) - (x->uid < y->uid);
	return sort_job->desc ? -c : c;
}

/* Sorts the selection and picks the page after j->after; then asks its header fields. */
static void page_pick(struct list_job *j)
{
	sort_job = j;
	qsort(j->order, j->n_order, sizeof(*j->order), cmp_entries);
	sort_job = NULL;
	j->page_first = 0;
	if (j->after != 0 && !list_direct(j)) {
		size_t i = 0;
		while (i < j->n_order && j->list.entries.v[j->order[i]].uid != j->after)
			i++;
		if (i == j->n_order) {
			web_reply_error(j->ws, 404, "the message named by after is gone");
			return;
		}
		j->page_first = i + 1;
	}
	size_t left = j->n_order - j->page_first;
	j->page_n = left < j->limit ? left : j->limit;
	j->rows = cJSON_CreateArray();
	headers_send(j);
}

static void on_listed(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct list_job *j = ws->job;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_list_reply(m, &j->list, &error) : PB_ERR_TEMP;

	if (code != PB_OK) {
		reply_failed(ws, code, error);
		return;
	}
	if (j->list.next_uid != 0 && !list_direct(j)) {
		list_send(j);
		return;
	}
	j->n_order = j->list.entries.n;
	j->order = xmalloc((j->n_order + 1) * sizeof(*j->order));
	for (size_t i = 0; i < j->n_order; i++)
		j->order[i] = (uint32_t)i;
	if (j->text != NULL) {
		j->n_order = 0; /* search_send keeps the matches */
		search_send(j);
		return;
	}
	page_pick(j);
}

/* ---- search: the readers' text criterion over every entry, READER_SEARCH_MAX a request ---- */

static void on_searched(void *session, uint64_t arg, struct pb_msg *m);

static void search_send(struct list_job *j)
{
	const char *keys[READER_SEARCH_MAX];
	size_t n = 0;
	struct gw_pending call;
	const char *error;
	struct reader_search_key crit = { READER_SEARCH_TEXT, NULL, j->text };

	if (j->searched == j->list.entries.n) {
		page_pick(j);
		return;
	}
	while (n < READER_SEARCH_MAX && j->searched + n < j->list.entries.n) {
		keys[n] = j->list.entries.v[j->searched + n].blob_key;
		n++;
	}
	struct pb_sender tx = web_call_sender(j->ws, &call, on_searched);
	if (reader_client_search_send(&tx, j->ws->who.user_id, keys, n, &crit, 1, &error) < 0)
		web_reply_busy(j->ws);
}

static void on_searched(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct list_job *j = ws->job;
	struct reader_search_hit hits[READER_SEARCH_MAX];
	size_t left = j->list.entries.n - j->searched, n = 0;
	size_t asked = left < READER_SEARCH_MAX ? left : READER_SEARCH_MAX;
	uint32_t code = m != NULL ? reader_client_search_reply(m, asked, hits, &n) : PB_ERR_TEMP;

	if (code != PB_OK) {
		reply_failed(ws, code, "the search failed");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (hits[i].code == PB_OK && (hits[i].matched & 1))
			j->order[j->n_order++] = (uint32_t)(j->searched + i);
	j->searched += n;
	search_send(j);
}

/* ---- the page's header fields (READER_SECTION HEADER.FIELDS) ---- */

static const char *const header_fields[] = { "From", "Subject", "Date" };

static void on_headers(void *session, uint64_t arg, struct pb_msg *m);

static void headers_send(struct list_job *j)
{
	struct reader_section_ask asks[WEB_MAIL_PAGE_MAX];
	struct gw_pending call;
	const char *error;
	size_t n = j->page_n - j->got;

	if (n == 0) {
		cJSON *o = cJSON_CreateObject();
		if (!list_direct(j)) /* the direct page does not list the rest */
			cJSON_AddNumberToObject(o, "total", (double)j->n_order);
		cJSON_AddItemToObject(o, "messages", j->rows);
		j->rows = NULL;
		web_reply_json(j->ws, 200, o, NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pb_rec_mbox_entry *e =
			&j->list.entries.v[j->order[j->page_first + j->got + i]];
		asks[i] = (struct reader_section_ask){ e->blob_key, "HEADER.FIELDS", header_fields,
						       PB_N_ELEMENTS(header_fields) };
	}
	struct pb_sender tx = web_call_sender(j->ws, &call, on_headers);
	if (reader_client_section_send(&tx, j->ws->who.user_id, asks, n, &error) < 0)
		web_reply_busy(j->ws);
}

/* Adds field name of the header block data[0..len), decoded to UTF-8, as o's key. */
static void add_header(cJSON *o, const char *key, const void *data, size_t len,
		       const char *name)
{
	struct pb_buf raw, text;

	pb_buf_init(&raw);
	pb_buf_init(&text);
	if (data != NULL && mime_header_get(data, len, name, &raw) == 1)
		mime_decode_header(raw.data, raw.len, &text);
	pb_buf_append(&text, "", 1);
	cJSON_AddStringToObject(o, key, (const char *)text.data);
	pb_buf_deinit(&raw);
	pb_buf_deinit(&text);
}

static cJSON *row_json(const struct pb_rec_mbox_entry *e, const struct reader_section *s)
{
	cJSON *o = cJSON_CreateObject();
	const void *data = s->code == PB_OK && s->filtered ? s->data : NULL;

	cJSON_AddNumberToObject(o, "uid", e->uid);
	add_header(o, "from", data, s->len, "From");
	add_header(o, "subject", data, s->len, "Subject");
	add_header(o, "date", data, s->len, "Date");
	cJSON_AddNumberToObject(o, "arrived_ms", (double)e->internal_date_ms);
	cJSON_AddNumberToObject(o, "size", (double)e->size);
	cJSON_AddItemToObject(o, "flags", flags_json(e->flags));
	return o;
}

static void on_headers(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct list_job *j = ws->job;
	struct reader_section got[WEB_MAIL_PAGE_MAX];
	size_t asked = j->page_n - j->got, n = 0;
	uint32_t code = m != NULL ? reader_client_section_reply(m, asked, got, &n) : PB_ERR_TEMP;

	if (code != PB_OK) {
		reply_failed(ws, code, "the readers did not answer");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pb_rec_mbox_entry *e =
			&j->list.entries.v[j->order[j->page_first + j->got + i]];
		cJSON_AddItemToArray(j->rows, row_json(e, &got[i]));
	}
	j->got += n;
	headers_send(j);
}

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
	if (path_or_400(ws, q, &j->path) < 0)
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
		reply_failed(ws, code, error);
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
		size_t i = 0;
		while (i < PB_N_ELEMENTS(flag_names) && strcmp(it->string, flag_names[i].name) != 0)
			i++;
		bad = i == PB_N_ELEMENTS(flag_names) || !cJSON_IsBool(it);
		if (!bad && cJSON_IsTrue(it))
			j->add |= flag_names[i].bit;
		else if (!bad)
			j->remove |= flag_names[i].bit;
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
		reply_failed(ws, code, error);
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
		reply_failed(ws, code, error);
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
		reply_failed(ws, code, error);
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
