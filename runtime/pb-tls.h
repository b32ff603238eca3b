/*
 * pb-tls.h: the TLS engine — a server-side context (certificate chain, key, policy) and a
 * per-connection engine over two OpenSSL memory BIOs. Bytes in, bytes out: no sockets, no
 * clock, no threads inside.
 *
 * Policy (one place, pb-tls.c): TLS 1.2 and 1.3 only; the server's cipher order; forward secrecy
 * only (TLS 1.2: ECDHE/DHE with AES-GCM or ChaCha20-Poly1305, Mozilla's "intermediate" list;
 * TLS 1.3: OpenSSL's suites, all ephemeral); no compression; no renegotiation; no session
 * resumption (no tickets, no session cache: a ticket key that never rotates would undo forward
 * secrecy, and a full handshake costs well under a millisecond of CPU, see bench/RESULTS.md).
 *
 * Bounds per connection (what a peer can make the engine hold):
 *  - ciphertext in: at most PB_TLS_IN_MAX bytes wait undecrypted; pb_tls_feed takes less than
 *    it was given when that is reached (the gateway keeps the rest in its input buffer and
 *    pauses reading until pb_tls_read has drained plaintext);
 *  - plaintext in: none buffered by the engine beyond the one record OpenSSL decrypts at a time
 *    (16 KiB); pb_tls_read decrypts into the caller's buffer;
 *  - ciphertext out: pb_tls_write takes plaintext only while less than PB_TLS_OUT_MAX bytes of
 *    ciphertext wait for pb_tls_take_out, and one record (16 KiB + overhead) at a time, so at
 *    most PB_TLS_OUT_MAX + 17 KiB wait (plus the handshake's own flight: the certificate chain).
 *
 * Reload: a pb_tls_ctx is reference-counted. struct pb_tls_current holds the context new
 * connections get; pb_tls_current_reload builds a new one and swaps it in, and a connection keeps
 * the context it was created with until it is destroyed, so a reload drops no session. A failed
 * reload keeps the old context and says why.
 *
 * How a gateway uses it (the loop owns the socket; the engine only sees bytes):
 *  - start: implicit TLS (465/993/995) creates the conn at accept; STARTTLS/STLS creates it when
 *    the "220 Ready"/"+OK" is queued, and at that moment drops every byte still in its input
 *    (net_conn_input, the parser's pending bytes): they were sent in clear before the switch
 *    (CVE-2011-0411). Every byte that arrives afterwards is ciphertext.
 *  - bytes arrived: pb_tls_feed from the input buffer, consuming what it took; then pb_tls_read
 *    into the session's plaintext buffer until it returns 0; then send pb_tls_take_out's bytes
 *    with net_conn_write (the handshake's flights and alerts come out here). Repeat while
 *    feed took something and input is left. On the HANDSHAKING -> OPEN edge, reset the session
 *    (RFC 3207: a new EHLO) and log pb_tls_version/pb_tls_cipher; on FAILED, log
 *    pb_tls_reason, send what is pending (the alert) and close.
 *  - the session writes: pb_tls_write the plaintext, then take_out into net_conn_write; the
 *    net loop's own output bound (NET_OUT_HIGH) then paces the session as for clear text.
 *  - closing: pb_tls_close, take_out (close_notify), net_conn_close with flush; CLOSED after a
 *    read means the peer closed: the same.
 *
 * THREAD: a pb_tls_ctx and a pb_tls_current may be shared by any threads (atomic reference
 * count; the current pointer under a mutex). A pb_tls_conn belongs to one thread (its gateway
 * loop's).
 */
#ifndef PB_TLS_H
#define PB_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_TLS_IN_MAX (32 * 1024)
#define PB_TLS_OUT_MAX (64 * 1024)

struct pb_tls_ctx;
struct pb_tls_current;
struct pb_tls_conn;

/* ---- contexts ---- */

/* Builds a server context from a PEM certificate chain file (leaf first) and a PEM private key
 * file. The key file must not be readable or writable by others (mode o-rwx; group-readable is
 * allowed for Debian's ssl-cert group); the key must match the certificate. Returns 0 with
 * *ctx_r (one reference, the caller's), or -1 with *error_r an allocated sentence naming the
 * file and the reason, which the caller frees. */
int pb_tls_ctx_create(const char *cert_file, const char *key_file, struct pb_tls_ctx **ctx_r,
		      char **error_r);
/* Takes one more reference and returns ctx. */
struct pb_tls_ctx *pb_tls_ctx_ref(struct pb_tls_ctx *ctx);
/* Drops the caller's reference (the context is freed with its last one) and sets *ctx NULL. */
void pb_tls_ctx_unref(struct pb_tls_ctx **ctx);
/* The certificate's subject CN (for the log; "" when it has none). Lives as long as ctx. */
const char *pb_tls_ctx_subject(const struct pb_tls_ctx *ctx);

/* What the status shows of a context's leaf certificate (read once when the context is built). */
struct pb_tls_cert_info {
	char subject[128]; /* the subject CN ("" when none) */
	char issuer[128];  /* the issuer's CN ("" when none) */
	char names[256];   /* the subjectAltName DNS names, space separated (cut at 255 bytes) */
	int64_t not_after; /* expiry, seconds since the epoch (UTC) */
	bool self_signed;  /* issuer = subject and signed by its own key: clients will warn */
	bool generated;    /* the one generated into the data directory (pb_tls_ctx_for_config) */
	char sha256[96];   /* SHA-256 of the DER certificate, "AB:CD:..." (openssl x509 -fingerprint) */
};
/* Copies the context's certificate facts into *info_r. */
void pb_tls_ctx_info(const struct pb_tls_ctx *ctx, struct pb_tls_cert_info *info_r);

/* The context new connections use. Takes over the caller's reference to ctx. */
struct pb_tls_current *pb_tls_current_create(struct pb_tls_ctx *ctx);
/* Drops the current context (connections keep theirs) and frees; sets *cur NULL. */
void pb_tls_current_destroy(struct pb_tls_current **cur);
/* Returns the current context with a new reference (the caller unrefs it). */
struct pb_tls_ctx *pb_tls_current_get(struct pb_tls_current *cur);
/* Swaps ctx in (takes over the caller's reference); the old one goes when its last
 * connection does. */
void pb_tls_current_set(struct pb_tls_current *cur, struct pb_tls_ctx *ctx);
/* Builds a context from the files and swaps it in. Returns 0, or -1 with *error_r (allocated,
 * as pb_tls_ctx_create) and the old context still current. */
int pb_tls_current_reload(struct pb_tls_current *cur, const char *cert_file,
			  const char *key_file, char **error_r);

/* ---- connections ---- */

enum pb_tls_state {
	PB_TLS_HANDSHAKING, /* feed the peer's bytes, send what pb_tls_take_out gives */
	PB_TLS_OPEN,        /* the handshake is done: read and write plaintext */
	PB_TLS_CLOSED,      /* close_notify received or sent: send what is pending, then close */
	PB_TLS_FAILED,      /* a protocol error: pb_tls_reason says why; send the pending alert */
};

/* A client context (outbound SMTP; the collectors): TLS 1.2+ with the server policy's ciphers;
 * verify: the peer's chain must verify against ca_file (PEM; NULL or "": the system's CAs)
 * and its name (see pb_tls_conn_create_client), else the handshake FAILS; !verify: any
 * certificate (opportunistic encryption). Returns 0 with *ctx_r (one reference), or -1 with
 * *error_r (xmalloc'd). */
int pb_tls_client_ctx_create(const char *ca_file, bool verify, struct pb_tls_ctx **ctx_r,
			     char **error_r);
/* A client-side connection to host (its SNI, and the name or IP address its certificate must
 * carry when ctx verifies), using ctx (a client context; one reference taken). The
 * ClientHello is waiting in pb_tls_take_out at once. */
struct pb_tls_conn *pb_tls_conn_create_client(struct pb_tls_ctx *ctx, const char *host);
/* A server-side connection using ctx (the connection takes its own reference). */
struct pb_tls_conn *pb_tls_conn_create(struct pb_tls_ctx *ctx);
/* Frees the connection (no close_notify: call pb_tls_close first for that); sets *c NULL. */
void pb_tls_conn_destroy(struct pb_tls_conn **c);

/* Takes up to len ciphertext bytes from the peer and advances the handshake. Returns how many
 * it took: fewer than len when PB_TLS_IN_MAX undecrypted bytes are waiting (read plaintext, then
 * feed the rest), 0 once the connection is CLOSED or FAILED. Never fatal: bad input turns the
 * state to FAILED. */
size_t pb_tls_feed(struct pb_tls_conn *c, const void *data, size_t len);
/* Decrypts up to size plaintext bytes into buf. Returns the count; 0 when none is ready (more
 * ciphertext needed, or the state changed: check pb_tls_state). A close_notify from the peer
 * turns the state to CLOSED and queues this side's close_notify. */
size_t pb_tls_read(struct pb_tls_conn *c, void *buf, size_t size);
/* Encrypts up to len plaintext bytes (OPEN only). Returns how many it took: fewer than len when
 * PB_TLS_OUT_MAX ciphertext bytes wait to be taken (take them, then write the rest), 0 when not
 * OPEN. */
size_t pb_tls_write(struct pb_tls_conn *c, const void *data, size_t len);
/* Ciphertext waiting to be sent to the peer (handshake, records, alerts, close_notify). */
size_t pb_tls_pending_out(const struct pb_tls_conn *c);
/* Moves up to size bytes of waiting ciphertext into buf; returns the count. */
size_t pb_tls_take_out(struct pb_tls_conn *c, void *buf, size_t size);
/* Queues close_notify (once) and turns the state to CLOSED; no-op when CLOSED or FAILED. */
void pb_tls_close(struct pb_tls_conn *c);

enum pb_tls_state pb_tls_state(const struct pb_tls_conn *c);
/* Why the connection FAILED, in words for the log (OpenSSL's reason and, for a protocol
 * version refusal, what the client offered); "" otherwise. Lives as long as c. */
const char *pb_tls_reason(const struct pb_tls_conn *c);
/* The negotiated protocol and cipher ("TLSv1.3", "TLS_AES_256_GCM_SHA384"); "" before OPEN. */
const char *pb_tls_version(const struct pb_tls_conn *c);
const char *pb_tls_cipher(const struct pb_tls_conn *c);

/* ---- the certificate at start (pb-tls-cert.c) ---- */

struct pb_config;

/* The context for a daemon, from its bootstrap configuration (the daemon calls it at start and
 * on SIGHUP, then pb_tls_current_set): cfg->tls_certificate and cfg->tls_key when both are set
 * (one without the other is an error). With neither, a self-signed certificate for
 * cfg->hostname (NULL: the gethostname() name) is generated into cfg->data_dir as cert.pem and
 * key.pem (mode 0600, EC P-256, CN and subjectAltName DNS = host, valid PB_TLS_SELF_DAYS days),
 * or reused when they are there, name that host and have not expired; *warning_r is then an
 * allocated sentence for the log and the status. Returns 0 with *ctx_r and *warning_r (NULL
 * when none), or -1 with *error_r allocated, starting with "PATH:LINE: " when the file came
 * from a line of the configuration file. */
#define PB_TLS_SELF_DAYS 825
int pb_tls_ctx_for_config(const struct pb_config *cfg, struct pb_tls_ctx **ctx_r,
			  char **warning_r, char **error_r);
/* Generates a self-signed EC P-256 certificate for host into cert_path and key_path (both 0600,
 * written to a temporary name and renamed). Returns 0, or -1 with *error_r allocated. */
int pb_tls_selfsigned_write(const char *host, const char *cert_path, const char *key_path,
			    char **error_r);

#endif
