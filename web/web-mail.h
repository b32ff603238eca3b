/*
 * web-mail.h: the webmail endpoints under /api/mail/ (web-mail.c: folders, the message list,
 * flags, move, delete; web-mail-read.c: reading a message and its parts). Every one is the
 * logged-in account's own mailbox (ws->who.user_id): there is no way to name another's.
 * Nobody outside web/ includes it. OWNS: nothing. THREAD: the web hub's.
 */
#ifndef WEB_MAIL_H
#define WEB_MAIL_H

#include "web-session.h"

/* The largest message the webmail reads whole (a bigger one: 413). */
#define WEB_MAIL_READ_MAX (32u << 20)
/* The largest message the webmail sends or saves as a draft, attachments included (one spool
 * put). */
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
/* GET /api/mail/folders/{folder}/messages?limit&after&sort&order&q */
void web_mail_list(struct web_session *ws, const struct http_request *q);
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

/* Appends s as an RFC 8187 ext-value's octets (the part after "UTF-8''"): every octet but
 * letters, digits and ".-_" percent-encoded (a file name in Content-Disposition). */
void web_mail_ext_value(struct pb_buf *out, const char *s);

/* The value of query parameter name, percent- and '+'-decoded (allocated), or NULL. */
char *web_query_param(const struct http_request *q, const char *name);

#endif
