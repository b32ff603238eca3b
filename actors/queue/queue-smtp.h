/*
 * queue-smtp.h: one SMTP client transaction (RFC 5321; PIPELINING RFC 2920, SIZE RFC 1870,
 * 8BITMIME RFC 6152, SMTPUTF8 RFC 6531, DSN RFC 3461), blocking with deadlines, over pb-conn;
 * the body read from the store in bounded chunks and dot-stuffed on the way.
 * OWNS: nothing past the call. THREAD: a sender thread (it blocks).
 */
#ifndef QUEUE_SMTP_H
#define QUEUE_SMTP_H

#include "store-db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TLS to the next hop (the setting outbound.tls). */
enum queue_tls { QUEUE_TLS_NONE, QUEUE_TLS_OPPORTUNISTIC, QUEUE_TLS_REQUIRED, QUEUE_TLS_IMPLICIT };

struct pb_tls_ctx;
struct queue_smtp_cache;

struct queue_smtp_tx {
	const char *host;        /* the server's name: the TLS name, and in replies and errors */
	const char *addr;        /* connect to this address instead of host (an MX host's); NULL */
	uint16_t port;
	const char *helo;
	uint32_t connect_timeout_ms, command_timeout_ms;
	const char *sender;
	const char *mail_params; /* "RET=.. ENVID=.." or "" (sent only to a server with DSN) */
	const char *const *rcpts;
	const char *const *rcpt_params; /* per recipient, "" when none */
	size_t n_rcpts;
	struct pb_store *store;
	const char *blob_key;
	uint64_t size;
	/* The header edits this copy goes out with (mime-edit.h; a message rule's "Modify headers"
	 * on a forward), NULL or "" none: applied to the content read from the store before it is
	 * sent (SIZE= and the 8-bit check are the edited content's); the stored body is shared,
	 * never changed. A body over QUEUE_EDIT_MAX goes out unedited (logged). */
	const char *edit;
	enum queue_tls tls;
	struct pb_tls_ctx *tls_ctx;     /* a client context (borrowed); NULL with QUEUE_TLS_NONE */
	const char *auth_user, *auth_password; /* "" / NULL: no AUTH (else PLAIN or LOGIN) */
	struct queue_smtp_cache *cache;        /* borrowed; NULL: a connection of its own */
};

/* The largest body whose header is edited (read whole for it). */
#define QUEUE_EDIT_MAX (16u * 1024 * 1024)

/* How long a connection may wait unused in a cache, and how long it may be reused at all
 * (Postfix's smtp_connection_cache_time_limit and smtp_connection_reuse_time_limit). */
#define QUEUE_SMTP_CACHE_IDLE_MS 2000
#define QUEUE_SMTP_REUSE_MAX_MS (300 * 1000)

/* A sender's connection kept open between transactions: after a transaction that ended with
 * the server's reply to the content, the connection stays in the cache, and the next
 * transaction to the same host, port, TLS mode, HELO name and AUTH user goes over it after
 * RSET answered 250 (anything else: a new connection, nothing sent twice — no content had gone
 * on it). Any other next hop closes it (QUIT) first; its owner closes it when the TLS
 * settings its context came from change. THREAD: its sender's. */
struct queue_smtp_cache *queue_smtp_cache_new(void);
/* Closes the cached connection, if any (QUIT, short deadline). */
void queue_smtp_cache_close(struct queue_smtp_cache *c);
/* Whether a connection is cached. */
bool queue_smtp_cache_open(const struct queue_smtp_cache *c);
/* Transactions that went over a reused connection so far. */
uint64_t queue_smtp_cache_reused(const struct queue_smtp_cache *c);
/* Closes and frees *c; NULL is fine. */
void queue_smtp_cache_free(struct queue_smtp_cache **c);


/* Runs the transaction (over tx->cache's connection when it fits). replies_r[i] (xmalloc'd, caller frees) gets the final word on rcpts[i]:
 * "CODE text" — 2xx accepted by the server, 4xx try again later, 5xx failed for good.
 * Returns 0 when the session reached MAIL FROM, 1 when it stopped before (no connection, the
 * greeting, EHLO/HELO, STARTTLS or AUTH refused or lost: every reply is then a 4xx, and the
 * next MX host may be tried, RFC 5321 5.1). *dsn_r: the server offered DSN, so the DSN
 * parameters went on with the transaction (RFC 3461). */
int queue_smtp_send(const struct queue_smtp_tx *tx, char **replies_r, bool *dsn_r);

/* ETRN (RFC 1985) to tx's server: the greeting, EHLO (STARTTLS as tx->tls says), then
 * "ETRN node" (rcpts unused). Returns the server's last reply ("CODE text"), or a 4xx of ours
 * when the connection failed or was refused before; xmalloc'd, caller frees. */
char *queue_smtp_etrn(const struct queue_smtp_tx *tx, const char *node);

/* Dot-stuffs len bytes of content into out (appended): a '.' at a line's start is doubled;
 * *bol is whether the next byte starts a line (true at the content's start). Pure. */
struct pb_buf;
void queue_smtp_stuff(const char *data, size_t len, bool *bol, struct pb_buf *out);

#endif
