/*
 * web-mail.h: the webmail endpoints under /api/mail/ (web-mail.c: folders, the message list,
 * flags, move, delete; web-mail-read.c: reading a message and its parts). Every one is the
 * logged-in account's own mailbox (ws->who.user_id): there is no way to name another's.
 * Nobody outside web/ includes it. OWNS: nothing. THREAD: the web hub's.
 */
#ifndef WEB_MAIL_H
#define WEB_MAIL_H

#include "web-session.h"

#include "mailbox-client.h"

/* The largest message the webmail reads whole (a bigger one: 413). */
#define WEB_MAIL_READ_MAX (32u << 20)
/* The largest message the webmail builds in memory from a JSON compose body (text and inline
 * attachments: one spool put). Uploaded attachments ("uploads") are not counted: they stream
 * to the spool, bounded by the account's and the server's max message size. */
#define WEB_MAIL_SEND_MAX (1u << 20)
/* A message page holds at most this many messages. */
#define WEB_MAIL_PAGE_MAX 200

/* What a /api/mail/folders/{folder}/messages[/{uid}[/parts/{part}|/move]] path names.
 * The folder is the path's decoded segment ("INBOX", "Sent"; a folder below another is
 * named with '/' percent-encoded twice: "a%252Fb"). */
struct web_mail_path {
	char *folder;  /* allocated */
	uint32_t uid;  /* 0: none */
	char *part;    /* "1", "2.1"; NULL none; allocated */
};
/* Parses q->path into *p. 0, or -1 with *error_r (static): not such a path. */
int web_mail_path_parse(const char *path, struct web_mail_path *p, const char **error_r);
void web_mail_path_free(struct web_mail_path *p);

/* GET /api/mail/folders */
void web_mail_folders(struct web_session *ws, const struct http_request *q);
/* GET /api/mail/folders/{folder}/messages?limit&cursor&sort&order&q (a page after a cursor,
 * asked of the mailbox owner: MBOX_PAGE_REQ; with q a search page, struct web_mail_search) or
 * ?limit&after&sort&order (the earlier form: the folder listed and sorted here) */
void web_mail_list(struct web_session *ws, const struct http_request *q);

/* The list's cursor (web-mail-cursor.c): "UID" (arrival), "SIZE.UID" (size), "HEX.UID"
 * (from, subject: the owner's sort key in lowercase hex, at most WEB_MAIL_CURSOR_KEY_MAX
 * octets). Parse: sort an enum mailbox_page_sort; sets q's cursor (has_cursor, after_uid,
 * after_num, after_key = *key_r, allocated or NULL: the caller frees it). 0, or -1 with
 * *error_r (static) when text is no cursor of that order. */
#define WEB_MAIL_CURSOR_KEY_MAX 64
int web_mail_cursor_parse(const char *text, uint32_t sort, struct mailbox_page_query *q,
			  char **key_r, const char **error_r);
/* The cursor after the message uid whose sort key is num / key (allocated). */
char *web_mail_cursor_make(uint32_t sort, uint32_t uid, uint64_t num, const char *key);
/* A search page's walk over the folder in the page's order (web-mail-search.c; pure): the
 * owner's sort index is read from the cursor one slice at a time (MBOX_PAGE_REQ), each slice's
 * messages searched by the readers (READER_SEARCH_REQ), until the page holds limit matches, the
 * folder ends, or WEB_MAIL_SEARCH_SCAN messages have been read for this page. A page cut by
 * that budget may hold fewer than limit matches, none even: its next_cursor (the last message
 * read) says more follows, so a search matching nothing in 100,000 messages answers in bounded
 * time and the client asks on. */
#define WEB_MAIL_SEARCH_SCAN 2000
struct web_mail_search {
	uint32_t limit;   /* matches a page holds at most (1..WEB_MAIL_PAGE_MAX) */
	uint32_t found;   /* matches kept so far */
	uint32_t scanned; /* messages read so far for this page */
	uint32_t cut;     /* 0, or the page ended inside the last slice: its first cut messages
			   * were read (the last of them the last match kept) */
	bool done, more;  /* the page is complete; more: messages follow the last one read */
};
/* The next slice to ask of the owner: 1..MAILBOX_PAGE_MAX messages, never past the budget. */
uint32_t web_mail_search_slice(const struct web_mail_search *s);
/* Takes the slice just searched: n messages in order, matched[i] whether each matched, more
 * whether the owner has messages after the slice. The indexes of the matches kept (at most
 * limit - found) go to keep_r[] (room for n); returns how many. Sets done, more and cut. */
size_t web_mail_search_take(struct web_mail_search *s, const bool *matched, size_t n, bool more,
			    uint32_t *keep_r);
/* PATCH /api/mail/folders/{folder}/messages/{uid} {"seen": bool, "flagged": bool, ...} */
void web_mail_flags(struct web_session *ws, const struct http_request *q);
/* POST /api/mail/folders/{folder}/messages/{uid}/move {"to": folder} */
void web_mail_move(struct web_session *ws, const struct http_request *q);
/* DELETE /api/mail/folders/{folder}/messages/{uid}: to Trash, or from Trash for good */
void web_mail_delete(struct web_session *ws, const struct http_request *q);
/* GET /api/mail/folders/{folder}/messages/{uid} (web-mail-read.c) */
void web_mail_read(struct web_session *ws, const struct http_request *q);
/* GET /api/mail/folders/{folder}/messages/{uid}/parts/{part} (web-mail-read.c) */
void web_mail_part(struct web_session *ws, const struct http_request *q);

/* POST /api/mail/send: compose and send (web-mail-send.c); 202 {queued, uid (in Sent)} */
void web_mail_send(struct web_session *ws, const struct http_request *q);
/* POST /api/mail/drafts: the same message saved in Drafts; 201 {uid} */
void web_mail_draft(struct web_session *ws, const struct http_request *q);
/* PUT /api/mail/drafts/{uid}: the draft saved again, the old one expunged once the new one is
 * stored; 201 {uid} (the new one's) */
void web_mail_draft_put(struct web_session *ws, const struct http_request *q);
/* POST /api/mail/drafts/{uid}/send: sent as POST /api/mail/send, then the draft expunged;
 * 202 {queued, uid} */
void web_mail_draft_send(struct web_session *ws, const struct http_request *q);
/* ---- attachment uploads (web-mail-upload.c) ---- */
#define WEB_UPLOAD_PATH "/api/mail/uploads"
struct web_upload {
	char id[33];         /* 32 hex digits */
	char *user;          /* the owner's login name (the quota's account) */
	char *name, *type;   /* the file's name and media type */
	char *path;          /* its file */
	uint64_t size;
	uint64_t created_ms; /* the hub's clock */
	uint64_t login;      /* the login it was made under (web_login.seq; 0: an API key's) */
};
struct web_uploads;
/* The table, its files in data_dir/web-uploads (created, emptied of a previous run's); with no
 * data_dir uploads answer 503. Free with web_uploads_free (files removed). */
struct web_uploads *web_uploads_new(const char *data_dir);
void web_uploads_free(struct web_uploads **u);
/* Removes the uploads older than ttl_ms (the hub's tick). */
void web_uploads_sweep(struct web_uploads *u, uint64_t now_ms, uint64_t ttl_ms);
/* Removes every upload made under login (web_login.seq, at its logout; 0: nothing). */
void web_uploads_drop_login(struct web_uploads *u, uint64_t login);
/* user's upload id, or NULL (none, another's, gone). Valid until the table changes. */
const struct web_upload *web_uploads_find(const struct web_uploads *u, const char *user,
					  const char *id);
/* Removes user's upload id (its file too); none: nothing. */
void web_uploads_remove(struct web_uploads *u, const char *user, const char *id);
/* An upload's body as it arrives (web-session.c's http_limits.body_sink, ctx the session):
 * appended to the session's part file (ws->upload, made at the first piece) in the uploads'
 * directory, until web_mail_upload adopts it. 0, -1 (logged; no directory, a failed write),
 * or 429 when the account's uploads (part files under way counted) would pass its quota. */
struct web_upload_tmp {
	int fd;
	char *path;
	char *user;                  /* the account it counts against (web_upload_begin), or NULL */
	uint64_t declared, written;  /* its Content-Length (0: chunked) and the octets so far */
	char refusal[160];           /* why it was refused, "" none */
	struct web_upload_tmp *next; /* the uploads' part files under way */
};
int web_upload_sink(void *ws, const void *data, size_t len);
/* A logged-in upload's head (web-session.c's http_limits.upload_ok): the session's part file
 * made ready for user's body of length octets (0: chunked), counted against its account from
 * now. 0, or the refusal's status (its text in ws->upload->refusal): 429 past the account's
 * quota (its part files under way counted), 507 when the disk would keep less than
 * storage.min_free_mb free, 503 with uploads off. */
int web_upload_begin(struct web_session *ws, const char *user, uint64_t length);
/* The request is over: the session's part file, unless adopted, closed and removed. */
void web_upload_done(struct web_session *ws);
/* POST /api/mail/uploads?name=FILE (the file's bytes as the body, its Content-Type; the body
 * already in the session's web_upload_tmp when it was sunk there): 201 {id, name, size, type} */
void web_mail_upload(struct web_session *ws, const struct http_request *q);
/* DELETE /api/mail/uploads/{id}: 204, 404 */
void web_mail_upload_del(struct web_session *ws, const struct http_request *q);

/* ---- a message with uploads, produced a slice at a time (web-mail-stream.c) ---- */
struct web_mail_stream;
/* head: the message up to its last part (taken); boundary: the multipart's; each upload (its
 * fields copied) follows as a base64 part, then the closing boundary. */
struct web_mail_stream *web_mail_stream_new(struct pb_buf *head, const char *boundary,
					    const struct web_upload *const *ups, size_t n);
void web_mail_stream_free(struct web_mail_stream **s);
/* The whole message's size in octets (known before any is read). */
uint64_t web_mail_stream_size(const struct web_mail_stream *s);
/* Starts over from the first octet. */
void web_mail_stream_rewind(struct web_mail_stream *s);
/* Replaces out's content with the next slice (1..WEB_MAIL_STREAM_SLICE octets; 0 at the end).
 * 0, or -1 with *error_r (static): an upload's file could not be read. */
#define WEB_MAIL_STREAM_SLICE (256u * 1024)
int web_mail_stream_next(struct web_mail_stream *s, struct pb_buf *out, const char **error_r);
/* The base64 lines (57 octets each, CRLF) of len octets: appended to out / their size. */
void web_mail_base64_lines(struct pb_buf *out, const void *data, size_t len);
uint64_t web_mail_base64_size(uint64_t len);
/* A MIME part's head for an attachment after boundary. */
void web_mail_part_head(struct pb_buf *out, const char *boundary, const char *type,
			const char *name);

/* A message uid of len decimal digits (1..UINT32_MAX), or 0: not one. */
uint32_t web_mail_uid_parse(const char *s, size_t len);

/* Appends s as an RFC 8187 ext-value's octets (the part after "UTF-8''"): every octet but
 * letters, digits and ".-_" percent-encoded (a file name in Content-Disposition). */
void web_mail_ext_value(struct pb_buf *out, const char *s);

/* Shared by web-mail*.c: parses the request's path into *p, or answers 400 and returns -1;
 * answers a failed (code) or timed-out (code PB_ERR_TEMP) actor call; the PB_MSG_* bit of a
 * flag's name ("seen", "answered", "flagged", "deleted", "draft"), 0 if none. */
int web_mail_path_or_400(struct web_session *ws, const struct http_request *q,
			 struct web_mail_path *p);
void web_mail_reply_failed(struct web_session *ws, uint32_t code, const char *error);
uint32_t web_mail_flag_bit(const char *name);

/* The value of query parameter name, percent- and '+'-decoded (allocated), or NULL. */
char *web_query_param(const struct http_request *q, const char *name);

#endif
