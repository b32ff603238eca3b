/*
 * web-mail.c: the webmail's folders and message list (web-mail.h), each asked of the mailbox
 * owner and the readers through their client stubs as IMAP asks them: LIST/STATUS
 * (MBOX_FOLDERS), a page in one order (MBOX_PAGE) or the folder's listing (MBOX_LIST, paged),
 * SEARCH text (READER_SEARCH), the page's header fields (READER_SECTION HEADER.FIELDS, as SORT
 * reads them).
 *
 * A page (no q, no after): sort=date|arrival|from|subject|size (date and arrival: uid order,
 * the order of delivery; uid is a synonym), order=asc|desc, cursor=the next_cursor of the page
 * before: the mailbox owner answers that page alone (MBOX_PAGE_REQ; its sort index for
 * from/subject/size), the readers its header fields. With q (a search, in any of those orders,
 * paged by the same cursor) the owner's order is read from the cursor a slice at a time and
 * each slice searched by the readers (READER_SEARCH TEXT) until the page holds limit matches,
 * the folder ends or WEB_MAIL_SEARCH_SCAN messages were read (web-mail.h: such a page may
 * hold fewer matches, none even, and a next_cursor; no total). With after=U (the earlier
 * form, no q: after message U in that order) the folder's entries are listed (no bodies read)
 * and sorted here (date: the arrival time; size; uid), as IMAP SORT ARRIVAL/SIZE does.
 *
 * Flags, move and delete are web-mail-change.c's.
 * OWNS: struct list_job (the session's job). THREAD: the web hub's.
 * MESSAGES sent (through stubs): MBOX_FOLDERS_REQ, MBOX_PAGE_REQ, MBOX_LIST_REQ,
 * READER_SEARCH_REQ, READER_SECTION_REQ.
 */
#include "web-mail.h"

#include "web-api.h"

#include "mailbox-client.h"
#include "mime-decode.h"
#include "mime-header.h"
#include "pb-alloc.h"
#include "pb-runtime.h"
#include "reader-client.h"

#include <stdlib.h>
#include <string.h>

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
uint32_t web_mail_uid_parse(const char *s, size_t len)
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
	p->uid = web_mail_uid_parse(seg, end != NULL ? (size_t)(end - seg) : strlen(seg));
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

int web_mail_path_or_400(struct web_session *ws, const struct http_request *q,
			 struct web_mail_path *p)
{
	const char *error;

	if (web_mail_path_parse(q->path, p, &error) < 0) {
		web_reply_error(ws, 400, error);
		return -1;
	}
	return 0;
}

void web_mail_reply_failed(struct web_session *ws, uint32_t code, const char *error)
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

uint32_t web_mail_flag_bit(const char *name)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(flag_names); i++)
		if (strcmp(name, flag_names[i].name) == 0)
			return flag_names[i].bit;
	return 0;
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
		web_mail_reply_failed(ws, code, error);
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

enum sort_by { SORT_UID, SORT_DATE, SORT_SIZE, SORT_NONE /* from/subject: pages only */ };

struct list_job {
	struct web_session *ws;
	struct web_mail_path path;
	enum sort_by sort;
	bool desc;
	uint32_t limit, after;
	char *text;                 /* q: the search text, NULL none */
	struct mailbox_list list;   /* the folder's entries gathered */
	uint32_t *order;            /* indexes into list.entries: the selection, sorted */
	size_t n_order;
	size_t page_first, page_n;  /* the page: order[page_first..+page_n) */
	size_t got;                 /* page entries whose header fields are known */
	cJSON *rows;                /* the page's answer being built */
	bool paged;                 /* a page of the owner's (MBOX_PAGE_REQ) */
	struct mailbox_page_query pq;
	char *cursor_key;           /* pq.after_key's */
	struct mailbox_page page;   /* the owner's answer (its entries moved to list) */
	uint64_t build_ms;          /* when the owner first answered "building" (monotonic) */
	/* a search page (q; paged): the walk, the slice's messages searched so far and which
	 * matched, whether the owner is asked for the page's end (the walk's cut) */
	struct web_mail_search walk;
	size_t slice_searched;
	bool slice_matched[MAILBOX_PAGE_MAX];
	bool cutting;
	char *next_cursor;          /* the search page's, NULL at the folder's end */
};

/* A page asks again for this long while the owner builds the folder's sort index
 * (MAILBOX_SORT_SLICE messages an answer), then answers 503 WEB_MAIL_BUILDING: the index
 * keeps what was built, so the client's next ask goes on from there (mail.js asks again). */
#define WEB_MAIL_BUILD_WAIT_MS 10000
#define WEB_MAIL_BUILDING "the folder's sort index is being built: ask again"

static void list_job_free(void *p)
{
	struct list_job *j = p;

	web_mail_path_free(&j->path);
	free(j->text);
	mailbox_list_free(&j->list);
	free(j->order);
	cJSON_Delete(j->rows);
	free(j->cursor_key);
	mailbox_page_free(&j->page);
	free(j->next_cursor);
	free(j);
}

static void list_send(struct list_job *j);
static void headers_send(struct list_job *j);

/* Sets j's sorts from sort (NULL: date). 0 / -1 not a sort. */
static int sort_param(struct list_job *j, const char *sort)
{
	static const struct {
		const char *name;
		enum sort_by by;
		uint32_t page;
	} sorts[] = {
		{ "date", SORT_DATE, MAILBOX_SORT_ARRIVAL }, { "arrival", SORT_DATE, MAILBOX_SORT_ARRIVAL },
		{ "uid", SORT_UID, MAILBOX_SORT_ARRIVAL },   { "size", SORT_SIZE, MAILBOX_SORT_SIZE },
		{ "from", SORT_NONE, MAILBOX_SORT_FROM },    { "subject", SORT_NONE, MAILBOX_SORT_SUBJECT },
	};

	for (size_t i = 0; i < PB_N_ELEMENTS(sorts); i++)
		if (strcmp(sort != NULL ? sort : "date", sorts[i].name) == 0) {
			j->sort = sorts[i].by;
			j->pq.sort = sorts[i].page;
			return 0;
		}
	return -1;
}

/* Reads limit, after, sort, order and q into j; -1 with *error_r when one is bad. */
static int list_params(struct list_job *j, const struct http_request *q, const char **error_r)
{
	char *limit = web_query_param(q, "limit"), *after = web_query_param(q, "after");
	char *sort = web_query_param(q, "sort"), *order = web_query_param(q, "order");
	int rc = 0;

	j->limit = limit != NULL ? (uint32_t)strtoul(limit, NULL, 10) : 50;
	j->after = after != NULL ? web_mail_uid_parse(after, strlen(after)) : 0;
	if (j->limit == 0 || j->limit > WEB_MAIL_PAGE_MAX)
		rc = -1, *error_r = "limit must be 1..200";
	else if (after != NULL && j->after == 0)
		rc = -1, *error_r = "after must be a uid";
	else if (sort_param(j, sort) < 0)
		rc = -1, *error_r = "sort must be date, arrival, from, subject or size";
	if (rc == 0 && order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
		rc = -1, *error_r = "order must be asc or desc";
	j->desc = order == NULL || strcmp(order, "desc") == 0;
	j->text = web_query_param(q, "q");
	if (rc == 0 && j->text != NULL && strlen(j->text) > READER_SEARCH_VALUE_MAX)
		rc = -1, *error_r = "q is too long";
	j->paged = after == NULL;
	if (rc == 0 && !j->paged && j->text != NULL)
		rc = -1, *error_r = "a search pages with cursor, not with after";
	if (rc == 0 && !j->paged && j->sort == SORT_NONE)
		rc = -1, *error_r = "sort by from or subject pages with cursor, not with after";
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

/* Reads the cursor into j->pq (a paged job). 0, or -1 with *error_r. */
static int cursor_param(struct list_job *j, const struct http_request *q, const char **error_r)
{
	char *cursor = web_query_param(q, "cursor");
	int rc = 0;

	if (cursor != NULL && !j->paged)
		rc = -1, *error_r = "cursor pages without after";
	else if (cursor != NULL)
		rc = web_mail_cursor_parse(cursor, j->pq.sort, &j->pq, &j->cursor_key, error_r);
	free(cursor);
	j->pq.folder = j->path.folder;
	j->pq.desc = j->desc;
	j->pq.limit = j->limit;
	j->walk.limit = j->limit;
	return rc;
}

static void page_send(struct list_job *j);
static void slice_search(struct list_job *j);
static void search_end(struct list_job *j);

void web_mail_list(struct web_session *ws, const struct http_request *q)
{
	struct list_job *j = xcalloc(1, sizeof(*j));
	const char *error;

	j->ws = ws;
	web_job_set(ws, j, list_job_free);
	if (web_mail_path_or_400(ws, q, &j->path) < 0)
		return;
	if (list_params(j, q, &error) < 0 || cursor_param(j, q, &error) < 0) {
		web_reply_error(ws, 400, error);
		return;
	}
	if (j->paged)
		page_send(j);
	else
		list_send(j);
}

/* ---- a page of the owner's (MBOX_PAGE_REQ) ---- */

static void page_got(struct list_job *j);

static void on_paged(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct list_job *j = ws->job;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? mailbox_client_page_reply(m, &j->page, &error) : PB_ERR_TEMP;

	if (code != PB_OK) {
		web_mail_reply_failed(ws, code, error);
		return;
	}
	if (j->page.building && j->build_ms == 0)
		j->build_ms = pb_clock_monotonic_ms(NULL);
	if (j->page.building && pb_clock_monotonic_ms(NULL) - j->build_ms > WEB_MAIL_BUILD_WAIT_MS) {
		web_reply_error(ws, 503, WEB_MAIL_BUILDING);
		return;
	}
	if (j->page.building) { /* the owner's sort index went a slice further: ask again */
		mailbox_page_free(&j->page);
		page_send(j);
		return;
	}
	if (j->text != NULL && j->cutting)
		search_end(j);
	else if (j->text != NULL)
		slice_search(j);
	else
		page_got(j);
}

/* The page is j->list's entries, in order: their header fields are asked. */
static void page_rows(struct list_job *j)
{
	j->n_order = j->page_n = j->list.entries.n;
	j->order = xmalloc((j->n_order + 1) * sizeof(*j->order));
	for (size_t i = 0; i < j->n_order; i++)
		j->order[i] = (uint32_t)i;
	j->rows = cJSON_CreateArray();
	headers_send(j);
}

/* The page in j->page is in: its entries listed, their header fields asked. */
static void page_got(struct list_job *j)
{
	pb_rec_mbox_entry_list_move(&j->list.entries, &j->page.entries);
	page_rows(j);
}

static void page_send(struct list_job *j)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(j->ws, &call, on_paged);

	if (j->text != NULL) /* a search: the walk's next slice, or the slice up to its cut */
		j->pq.limit = j->cutting ? j->walk.cut : web_mail_search_slice(&j->walk);
	if (mailbox_client_page_send(&tx, j->ws->who.user_id, &j->pq, &error) < 0)
		web_reply_busy(j->ws);
}

/* The answer's paging members: total, and next_cursor (null at the end). */
static void page_members(const struct list_job *j, cJSON *o)
{
	if (!j->paged) {
		if (!list_direct(j)) /* the direct page does not list the rest */
			cJSON_AddNumberToObject(o, "total", (double)j->n_order);
		return;
	}
	if (j->text != NULL) { /* a search: the matches in the folder are not counted */
		if (j->next_cursor != NULL)
			cJSON_AddStringToObject(o, "next_cursor", j->next_cursor);
		else
			cJSON_AddNullToObject(o, "next_cursor");
		return;
	}
	cJSON_AddNumberToObject(o, "total", (double)j->page.messages);
	if (!j->page.more || j->list.entries.n == 0) {
		cJSON_AddNullToObject(o, "next_cursor");
		return;
	}
	const struct pb_rec_mbox_entry *last = &j->list.entries.v[j->list.entries.n - 1];
	char *c = web_mail_cursor_make(j->pq.sort, last->uid, j->page.last_num,
				       j->page.last_key != NULL ? j->page.last_key : "");
	cJSON_AddStringToObject(o, "next_cursor", c);
	free(c);
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
		web_mail_reply_failed(ws, code, error);
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
	page_pick(j);
}

/* ---- a search page (q): the owner's order read a slice at a time from the cursor, each
 * slice searched by the readers, until the walk (web-mail-search.c) ends the page ---- */

static void on_slice_searched(void *session, uint64_t arg, struct pb_msg *m);

/* Asks the readers about the slice's messages not searched yet (j->page.entries). */
static void slice_search(struct list_job *j)
{
	const char *keys[MAILBOX_PAGE_MAX];
	size_t n = 0;
	struct gw_pending call;
	const char *error;
	struct reader_search_key crit = { READER_SEARCH_TEXT, NULL, j->text };

	if (j->page.entries.n == 0) { /* the folder ends at the cursor */
		j->walk.more = false;
		search_end(j);
		return;
	}
	while (j->slice_searched + n < j->page.entries.n) {
		keys[n] = j->page.entries.v[j->slice_searched + n].blob_key;
		n++;
	}
	struct pb_sender tx = web_call_sender(j->ws, &call, on_slice_searched);
	if (reader_client_search_send(&tx, j->ws->who.user_id, keys, n, &crit, 1, &error) < 0)
		web_reply_busy(j->ws);
}

/* The cursor after the slice in j->page whose last message is uid (allocated). */
static char *slice_cursor(const struct list_job *j, uint32_t uid)
{
	return web_mail_cursor_make(j->pq.sort, uid, j->page.last_num,
				    j->page.last_key != NULL ? j->page.last_key : "");
}

/* Moves the slice's kept matches to the page (j->list), then asks the next slice, or the
 * slice up to the cut (for its sort key), or ends the page. */
static void slice_take(struct list_job *j)
{
	uint32_t keep[MAILBOX_PAGE_MAX];
	size_t n = j->page.entries.n;
	uint32_t last_uid = j->page.entries.v[n - 1].uid;
	size_t k = web_mail_search_take(&j->walk, j->slice_matched, n, j->page.more, keep);

	for (size_t i = 0; i < k; i++) {
		*pb_rec_mbox_entry_push(&j->list.entries) = j->page.entries.v[keep[i]];
		memset(&j->page.entries.v[keep[i]], 0, sizeof(j->page.entries.v[0]));
	}
	j->slice_searched = 0;
	if (j->walk.done && j->walk.cut == 0) {
		if (j->walk.more)
			j->next_cursor = slice_cursor(j, last_uid);
		search_end(j);
		return;
	}
	if (!j->walk.done) { /* on from the slice's last message */
		free(j->cursor_key);
		j->cursor_key = j->page.last_key != NULL ? xstrdup(j->page.last_key) : NULL;
		j->pq.has_cursor = true;
		j->pq.after_uid = last_uid;
		j->pq.after_num = j->page.last_num;
		j->pq.after_key = j->cursor_key;
	}
	j->cutting = j->walk.done;
	mailbox_page_free(&j->page);
	page_send(j);
}

static void on_slice_searched(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct list_job *j = ws->job;
	struct reader_search_hit hits[MAILBOX_PAGE_MAX];
	size_t asked = j->page.entries.n - j->slice_searched, n = 0;
	uint32_t code = m != NULL ? reader_client_search_reply(m, asked, hits, &n) : PB_ERR_TEMP;

	if (code != PB_OK || n == 0) {
		web_mail_reply_failed(ws, code != PB_OK ? code : PB_ERR_TEMP, "the search failed");
		return;
	}
	for (size_t i = 0; i < n; i++)
		j->slice_matched[j->slice_searched + i] =
			hits[i].code == PB_OK && (hits[i].matched & 1);
	j->slice_searched += n;
	if (j->slice_searched < j->page.entries.n)
		slice_search(j);
	else
		slice_take(j);
}

/* The page is complete: its next cursor when more follows (the last message read: the
 * slice's, set by slice_take, or the cut's from j->page), then its header fields. */
static void search_end(struct list_job *j)
{
	const struct pb_rec_mbox_entry_list *cut = &j->page.entries;

	if (j->walk.more && j->cutting && cut->n > 0)
		j->next_cursor = slice_cursor(j, cut->v[cut->n - 1].uid);
	else if (j->walk.more && j->cutting && j->pq.has_cursor) /* gone meanwhile: the start's */
		j->next_cursor = web_mail_cursor_make(j->pq.sort, j->pq.after_uid, j->pq.after_num,
						      j->pq.after_key != NULL ? j->pq.after_key : "");
	page_rows(j);
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
		page_members(j, o);
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
		web_mail_reply_failed(ws, code, "the readers did not answer");
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
