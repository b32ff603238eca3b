/*
 * collector-pop3.h: a POP3 client (RFC 1939; AUTH PLAIN and CRAM-MD5 by RFC 5034, APOP)
 * over pb-conn, blocking with deadlines: for the collector's run thread only. Message content
 * comes line by line through a callback (dot-unstuffed, CRLF kept), never whole in memory.
 * Lines over COLLECTOR_POP3_LINE bytes are cut by pb_conn (the rest of such a line is lost).
 * TLS: implicit (ssl) or STLS (RFC 2595) with pb-conn's TLS client.
 * OWNS: struct collector_pop3 (the connection). THREAD: the one that opened it.
 */
#ifndef COLLECTOR_POP3_H
#define COLLECTOR_POP3_H

#include "collector-def.h"

#include <stddef.h>
#include <stdint.h>

#define COLLECTOR_POP3_LINE 65536
/* The most lines a scan takes from UIDL (and from LIST): a maildrop listing more fails the scan
 * with an error saying so, and nothing is fetched nor deleted in that run. A million entries
 * hold about 90 MB while the run lasts. */
#define COLLECTOR_POP3_SCAN_MAX 1000000u

struct collector_pop3;

/* One message of the maildrop: its number for this session, size and UIDL. */
struct collector_pop3_msg {
	uint32_t num;
	uint64_t size;
	char uidl[PB_COLLECTOR_UIDL_MAX + 1];
};

struct pb_tls_ctx;
/* How to secure the session: mode (enum collector_tls) with ctx (a client context, borrowed;
 * NULL only with COLLECTOR_TLS_NONE). */
struct collector_pop3_tls {
	uint8_t mode;
	struct pb_tls_ctx *ctx;
};
/* Connects (the TLS handshake first with ssl), reads the greeting (keeping its APOP
 * timestamp), and with stls sends STLS and handshakes: a server refusing it fails the open
 * (never a password in clear when TLS was asked for). Returns 0 with *p_r, or -1 with error_r
 * (thread-local text, valid until the next call on the thread). */
int collector_pop3_open(const char *host, uint16_t port, const struct collector_pop3_tls *tls,
			uint32_t timeout_ms, struct collector_pop3 **p_r, const char **error_r);
/* Sends QUIT (the deletions take effect) when quit, closes and frees; *p set NULL. */
void collector_pop3_close(struct collector_pop3 **p, bool quit);
/* Logs in with auth (enum collector_auth). The password is never logged. 0 / -1 (the
 * server's words in error_r). */
int collector_pop3_login(struct collector_pop3 *p, uint8_t auth, const char *user,
			 const char *password, const char **error_r);
/* UIDL and LIST together: *msgs_r (xmalloc'd array in the order of the UIDL answer, caller
 * frees), *n_r. A message without a valid UIDL is left out. 0 / -1 (also when the server
 * lists more than COLLECTOR_POP3_SCAN_MAX). */
int collector_pop3_scan(struct collector_pop3 *p, struct collector_pop3_msg **msgs_r,
			size_t *n_r, const char **error_r);
/* RETR num (top_lines < 0) or TOP num top_lines: each line (CRLF ended, unstuffed) goes to
 * cb; cb returning -1 stops (the rest is read and dropped). 0 / -1 (the connection is then
 * unusable). */
int collector_pop3_fetch(struct collector_pop3 *p, uint32_t num, int top_lines,
			 int (*cb)(const char *line, size_t len, void *ctx), void *ctx,
			 const char **error_r);
/* DELE num. 0 / -1. */
int collector_pop3_dele(struct collector_pop3 *p, uint32_t num, const char **error_r);

#endif
