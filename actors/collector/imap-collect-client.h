/*
 * imap-collect-client.h: the IMAP4rev1 client of the IMAP collector (RFC 3501; IDLE RFC 2177;
 * SPECIAL-USE attributes RFC 6154) over pb-conn, blocking with deadlines: for the collector's
 * run thread only. It only reads the remote account: EXAMINE (read-only), BODY.PEEK[] (no
 * \Seen set), never STORE, EXPUNGE or DELETE.
 * A message's content comes through a callback in pieces of at most IMAPC_PIECE bytes, never
 * whole in memory. Response lines (without their literals) are bounded by IMAPC_LINE; other
 * literals than a message's (a folder name) by IMAPC_LINE too.
 * TLS: implicit (ssl) or STARTTLS (tls=stls) with pb-conn's TLS client.
 * OWNS: struct imapc (the connection). THREAD: the one that opened it.
 */
#ifndef IMAP_COLLECT_CLIENT_H
#define IMAP_COLLECT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAPC_LINE 65536
#define IMAPC_PIECE 65536
#define IMAPC_KEYWORDS_MAX 1024

struct imapc;
struct pb_tls_ctx;

/* Connects, with TLS first (tls_mode COLLECTOR_TLS_SSL) or after STARTTLS (STLS; refused:
 * the open fails, never a password in clear), reads the greeting. ctx borrowed (NULL only
 * without TLS). 0 with *c_r, or -1 with error_r (thread-local text, valid until the next call). */
int imapc_open(const char *host, uint16_t port, uint8_t tls_mode, struct pb_tls_ctx *ctx,
	       uint32_t timeout_ms, struct imapc **c_r, const char **error_r);
/* Sends LOGOUT when logout, closes and frees; *c set NULL. NULL-safe. */
void imapc_close(struct imapc **c, bool logout);
/* LOGIN (plain false) or AUTHENTICATE PLAIN (SASL-IR when offered). The password is never
 * logged. 0 / -1 (the server's words in error_r). */
int imapc_login(struct imapc *c, bool plain, const char *user, const char *password,
		const char **error_r);

/* A remote folder from LIST: its name as the server spells it (modified UTF-7 kept), the
 * hierarchy delimiter ('\0': none), special use (enum pb_special_use: 0 none, 2 Sent,
 * 3 Drafts, 4 Trash, 5 Junk, 6 Archive), and whether it can be selected. */
struct imapc_folder {
	char *name;
	char delim;
	uint8_t special;
	bool noselect;
};
void imapc_folders_free(struct imapc_folder *v, size_t n);
/* LIST "" "*": every folder into *v_r (xmalloc'd, imapc_folders_free) and *n_r. 0 / -1. */
int imapc_list(struct imapc *c, struct imapc_folder **v_r, size_t *n_r, const char **error_r);

struct imapc_selected {
	uint32_t uidvalidity, uidnext, exists;
};
/* EXAMINE name (read-only). 0 / -1 (NO: the server's words). */
int imapc_examine(struct imapc *c, const char *name, struct imapc_selected *out_r,
		  const char **error_r);

/* A fetched message's attributes, known at its end. */
struct imapc_meta {
	uint32_t uid;
	uint32_t flags;                      /* PB_MSG_* bits (\Recent dropped) */
	char keywords[IMAPC_KEYWORDS_MAX];   /* space-separated, "" none (cut at a keyword) */
	int64_t internal_date_ms;            /* -1: none given */
	uint64_t size;                       /* RFC822.SIZE */
};
/* What a fetch calls for each message: body(data, len) for each piece of BODY[] in order
 * (no call for an empty body), then end(meta) once the message's response is complete.
 * Either returning -1 stops the fetch (the rest is read and dropped) and it fails. */
struct imapc_fetch_cb {
	int (*body)(const void *data, size_t len, void *ctx);
	int (*end)(const struct imapc_meta *meta, void *ctx);
	void *ctx;
};
/* UID FETCH first:last (last 0: "*") (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[]).
 * end is called for every message answered, also one below first (what "N:*" answers when
 * nothing is that new): the callee drops it. A FETCH without BODY[] (another client's flag
 * change) is ignored. 0 / -1 (the connection is then unusable). */
int imapc_fetch(struct imapc *c, uint32_t first, uint32_t last, const struct imapc_fetch_cb *cb,
		const char **error_r);

/* IDLE on the selected folder for up to wait_ms: returns 1 as soon as the server reports new
 * messages (EXISTS), 0 when the time passed or stop(ctx) said so (looked at every second;
 * stop may be NULL) — then DONE was sent and answered — and -1 on error. */
int imapc_idle(struct imapc *c, uint32_t wait_ms, bool (*stop)(void *ctx), void *ctx,
	       const char **error_r);

/* Pure helpers (tested alone). "dd-Mon-yyyy hh:mm:ss +zzzz" to ms since the epoch: 0 / -1. */
int imapc_parse_date(const char *s, int64_t *ms_r);
/* A flag list's text ("\Seen $Label1 \Recent") to PB_MSG_* bits and keywords. */
void imapc_parse_flags(const char *s, size_t len, uint32_t *flags_r, char *keywords,
		       size_t size);
/* The special use of a LIST attribute list ("\HasNoChildren \Sent"), 0 none. */
uint8_t imapc_special_use(const char *attrs, size_t len);

#endif
