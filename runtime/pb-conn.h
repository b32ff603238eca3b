/*
 * pb-conn.h: a blocking client connection with deadlines (library pb_conn): connect to
 * host:port (the system resolver; IP literals as they are), read CRLF lines, write all.
 * For the threads that may block on the network: the queue's senders, and next the POP3/IMAP
 * collectors. Every wait has a deadline; nothing here is fatal (-1 with a reason).
 * TLS: pb_conn_starttls puts the client side of the TLS engine (pb-tls.h) under the same
 * read and write calls (STARTTLS after its go-ahead, or at once for implicit TLS).
 * OWNS: the socket and its read buffer. THREAD: one at a time.
 */
#ifndef PB_CONN_H
#define PB_CONN_H

#include <stddef.h>
#include <stdint.h>

struct pb_conn;

/* Connects to host (a name, an IPv4 or IPv6 literal, brackets allowed) on port within
 * timeout_ms (every address the resolver gives is tried in turn). Returns 0 with *c_r, or -1
 * with error_r (thread-local text, valid until the next pb_conn call on the thread). */
int pb_conn_open(const char *host, uint16_t port, uint32_t timeout_ms, struct pb_conn **c_r,
		 const char **error_r);
/* The same without waiting for the connection (the resolver still waits), for an event loop:
 * 0 with *c_r, whose fd (pb_conn_fd) becomes writable when an attempt is over — then
 * pb_conn_connected says how it went; or -1 with error_r (no address could be tried). The
 * caller keeps its own deadline (pb_conn_close gives up). */
int pb_conn_start(const char *host, uint16_t port, struct pb_conn **c_r, const char **error_r);
/* A started connection: 1 connected (usable from now on), 0 not yet (poll pb_conn_fd again
 * for POLLOUT: its fd may have changed, a refused address passing to the next), -1 every
 * address failed (error_r). Never waits. */
int pb_conn_connected(struct pb_conn *c, const char **error_r);
/* Closes and frees; *c set NULL. NULL-safe. */
void pb_conn_close(struct pb_conn **c);

/* Reads one line (CRLF or LF removed) into buf (size bytes, NUL-terminated) within timeout_ms;
 * a longer line is cut to size - 1 and the rest of it dropped. Returns 0, or -1 (timeout, the
 * peer closed, an error) with error_r. */
int pb_conn_read_line(struct pb_conn *c, char *buf, size_t size, uint32_t timeout_ms,
		      const char **error_r);
/* Reads what is there, at least one byte and at most size (a literal's bytes: never more than
 * asked, so the line after it stays buffered) within timeout_ms. Returns 0 with *n_r, or -1
 * with error_r. */
int pb_conn_read(struct pb_conn *c, void *buf, size_t size, uint32_t timeout_ms, size_t *n_r,
		 const char **error_r);
/* Waits up to timeout_ms for something to read (IMAP IDLE): 1 there is (buffered now), 0
 * nothing came in time (the connection is untouched), -1 error (error_r). timeout_ms 0: looks
 * without waiting. */
int pb_conn_poll(struct pb_conn *c, uint32_t timeout_ms, const char **error_r);
/* Writes all len bytes within timeout_ms. Returns 0 / -1 with error_r. */
int pb_conn_write(struct pb_conn *c, const void *data, size_t len, uint32_t timeout_ms,
		  const char **error_r);
/* Writes every byte of the n pieces iov (borrowed) in order within timeout_ms, as few
 * sendmsg calls as the socket takes (no copy; under TLS, each piece through the engine).
 * Returns 0 / -1 with error_r. */
struct iovec;
int pb_conn_writev(struct pb_conn *c, const struct iovec *iov, size_t n, uint32_t timeout_ms,
		   const char **error_r);

/* The socket, for a caller's own poll() beside other fds (an event loop: the monitor). Read
 * through pb_conn_poll(c, 0) then pb_conn_read: bytes may wait buffered, decrypted, when the
 * socket has nothing more. */
int pb_conn_fd(const struct pb_conn *c);

struct pb_tls_ctx;
/* Handshakes as a TLS client of host (SNI; the name checked when ctx verifies) within
 * timeout_ms; plaintext buffered before it is dropped. From then on reads and writes are
 * encrypted. Returns 0, or -1 with error_r (the handshake's failure: the connection is
 * unusable). ctx: pb_tls_client_ctx_create's (borrowed; the connection takes a reference). */
int pb_conn_starttls(struct pb_conn *c, struct pb_tls_ctx *ctx, const char *host,
		     uint32_t timeout_ms, const char **error_r);
/* The TLS protocol in use ("TLSv1.3"), "" without TLS. */
const char *pb_conn_tls_version(const struct pb_conn *c);

#endif
