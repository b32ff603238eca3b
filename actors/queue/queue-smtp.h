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
	enum queue_tls tls;
	struct pb_tls_ctx *tls_ctx;     /* a client context (borrowed); NULL with QUEUE_TLS_NONE */
	const char *auth_user, *auth_password; /* "" / NULL: no AUTH (else PLAIN or LOGIN) */
};

/* Runs the transaction. replies_r[i] (xmalloc'd, caller frees) gets the final word on rcpts[i]:
 * "CODE text" — 2xx accepted by the server, 4xx try again later, 5xx failed for good.
 * Returns 0 when the session reached MAIL FROM, 1 when it stopped before (no connection, the
 * greeting, EHLO/HELO, STARTTLS or AUTH refused or lost: every reply is then a 4xx, and the
 * next MX host may be tried, RFC 5321 5.1). */
int queue_smtp_send(const struct queue_smtp_tx *tx, char **replies_r);

/* ETRN (RFC 1985) to tx's server: the greeting, EHLO (STARTTLS as tx->tls says), then
 * "ETRN node" (rcpts unused). Returns the server's last reply ("CODE text"), or a 4xx of ours
 * when the connection failed or was refused before; xmalloc'd, caller frees. */
char *queue_smtp_etrn(const struct queue_smtp_tx *tx, const char *node);

/* Dot-stuffs len bytes of content into out (appended): a '.' at a line's start is doubled;
 * *bol is whether the next byte starts a line (true at the content's start). Pure. */
struct pb_buf;
void queue_smtp_stuff(const char *data, size_t len, bool *bol, struct pb_buf *out);

#endif
