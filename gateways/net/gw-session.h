/*
 * gw-session.h: the session skeleton every gateway (SMTP, POP3, IMAP, HTTP, status) is built
 * on. A protocol writes its commands; the skeleton owns what they all share:
 *  - the connection's lifecycle (open, input, idle deadline, drain, shutdown, close),
 *  - output and backpressure (gw_write, gw_output_pending, the drain callback),
 *  - calls to actors: each request gets its own correlation id and a continuation in the
 *    hub's table of pending calls (gw-calls.h); its reply runs that continuation, a reply
 *    that matches no pending call is dropped, a call past its deadline hears "timed out"
 *    (rep NULL). A session may have several calls in flight;
 *  - events addressed to one session (an actor sends them to "<hub>#<session id>"),
 *  - the command table {verb, states allowed, pure check, proceed},
 *  - TLS (runtime/pb-tls.h), one place for every gateway: implicit TLS from the accept
 *    (gw_tls_begin), STARTTLS/STLS (gw_starttls), the bytes in (gw_input: ciphertext fed to
 *    the engine, the protocol's input() given plaintext only) and out (gw_write encrypts;
 *    what a session writes before the handshake ends waits for it), the session reset after
 *    an upgrade (gw_proto.tls_started), the handshake's own deadline (gw_timeout: a client
 *    that does not finish it in time is closed, whatever the protocol's idle time) and
 *    close_notify at gw_close.
 *
 * Behind a struct gw_session is a transport: the real hub (sockets, nng inbox) or, in tests,
 * a fake (test/net/gw-fake.h) that records what a session writes and sends, moves a fake
 * clock and injects replies — so session logic is tested in C without sockets.
 *
 * OWNS: nothing beyond struct gw_session (owned by the transport). THREAD: the hub's.
 */
#ifndef GW_SESSION_H
#define GW_SESSION_H

#include "gw-calls.h"
#include "pb-buf.h"
#include "pb-runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw_session;
struct gw_zip;
struct pb_tls_conn;
struct pb_tls_current;

/* What a protocol counts since its gateway started, for the status (gw_proto.counters). */
struct gw_counters {
	uint64_t received;      /* messages accepted (SMTP: answered 250 after the content) */
	uint64_t rcpts_refused; /* recipients refused (unknown user, relay denied, bad address) */
	uint64_t rejected;      /* messages refused whole (content, size, storage) */
};

/* What a protocol provides. Every callback runs on the hub thread. */
struct pb_settings;

struct gw_proto {
	const char *name; /* the hub's inbox address and log name: "smtp" */
	/* The line a client refused at connect hears: "421 4.7.0 ...\r\n", "-ERR [SYS/TEMP]...". */
	const char *busy;
	/* The service's cap on concurrent connections, from the settings. */
	uint32_t (*max_connections)(const struct pb_settings *s);
	/* A connection opened: make the session (and greet). NULL refuses it (closed at once). */
	void *(*open)(struct gw_session *gs, void *server);
	/* Bytes arrived in *in; the session takes them (pb_buf_reset or consume). */
	void (*input)(void *session, struct pb_buf *in);
	/* The session's deadline (gw_set_deadline) passed. */
	void (*timeout)(void *session);
	/* Output drained below the high-water mark. Optional. */
	void (*drain)(void *session);
	/* An event addressed to this session (m owned by the caller). Optional. */
	void (*event)(void *session, struct pb_msg *m);
	/* The server stops: say goodbye; the connection closes after. */
	void (*shutdown)(void *session);
	/* The connection is gone: free the session. Pending calls are forgotten (their replies
	 * will be dropped). */
	void (*close)(void *session);
	/* About once a second (and once at start), with the server and the settings in effect
	 * (the hub's snapshot: read what is needed, keep no pointer). Optional. */
	void (*tick)(void *server, const struct pb_settings *s, uint64_t now_ms);
	/* The protocol's counts (server: the hub's, as for tick), read on the hub thread about
	 * once a second for the status. Optional. */
	void (*counters)(void *server, struct gw_counters *c_r);
	/* The handshake a STARTTLS/STLS began has ended: forget what the clear session said
	 * (RFC 3207 4.2: the client says EHLO again; RFC 2595 4: POP3's capabilities may
	 * change). Nothing is written. Optional. */
	void (*tls_started)(void *session);
};

/* How a session reaches its connection and the actors (the hub or a test fake). */
struct gw_transport {
	void (*write)(void *conn, const void *data, size_t len);
	void (*close)(void *conn, bool flush);
	void (*pause)(void *conn, bool paused);
	void (*set_deadline)(void *conn, uint64_t at_ms);
	size_t (*output_pending)(void *conn);
	const char *(*peer)(void *conn);
	uint64_t (*now)(void *hub);
	/* Sends req (reply_to set to the hub's address) without waiting. 0 / -1 error_r. */
	int (*send)(void *hub, const char *to, struct pb_msg *req, const char **error_r);
	/* Sends m one-way (no reply_to). 0 / -1 error_r. */
	int (*cast)(void *hub, const char *to, struct pb_msg *m, const char **error_r);
	/* Takes bytes from the node's budget of message bytes in flight (all gateways share
	 * it): true, or false when it would go past it (nothing taken). */
	bool (*reserve)(void *hub, size_t bytes);
	void (*release)(void *hub, size_t bytes);
};

struct gw_session {
	const struct gw_transport *tr;
	void *hub, *conn;
	struct gw_calls *calls; /* the hub's */
	uint64_t id;            /* routes replies and events to this session */
	const char *hub_name;   /* the hub's qualified address, "NODE/proto" (pb-runtime.h) */
	uint32_t pending;       /* calls in flight */
	/* A call in flight whose outcome the client must hear (a spool commit: it may land, so
	 * "shutting down" instead of its answer would make the client send the message again):
	 * a stopping hub waits for it past GW_HUB_DRAIN_MS, until the call's own deadline. The
	 * protocol sets it with the call and clears it in the continuation. */
	bool must_finish;
	void *session;          /* the protocol's */
	/* TLS (gw-session.c; the transport sets tls_cur and tls_handshake_ms, calls gw_timeout
	 * when the deadline it was given passes, and gw_session_deinit at the end) */
	struct pb_tls_current *tls_cur; /* the listener's certificate; NULL: no TLS here */
	struct pb_tls_conn *tls;        /* the engine once TLS began; NULL in clear */
	uint32_t tls_handshake_ms;      /* how long a handshake may take (0: no bound of its own) */
	uint64_t tls_deadline;          /* while handshaking: when it is closed (0: none) */
	uint64_t deadline;              /* the protocol's (gw_set_deadline), absolute; 0: none */
	bool tls_upgraded;              /* began by STARTTLS/STLS (not at the accept) */
	bool tls_opened;                /* the handshake ended (tls_started ran) */
	bool tls_sniff;                 /* the first input byte decides: TLS or clear (gw_listen) */
	bool closed;                    /* gw_close ran: no more input for the protocol */
	struct pb_buf tls_held;         /* plaintext written during the handshake */
	struct pb_buf tls_plain;        /* decrypted input handed to the protocol */
	/* COMPRESS=DEFLATE (gw-zip.h): between the protocol and TLS once begun */
	struct gw_zip *zip;             /* NULL: not compressed */
	struct pb_buf zip_plain;        /* one inflated piece (GW_ZIP_CHUNK) for the protocol */
};

/* ---- for sessions ---- */
void gw_write(struct gw_session *gs, const void *data, size_t len);
void gw_write_str(struct gw_session *gs, const char *s);
/* Under compression, ends what was written with a sync flush so the peer can read it all.
 * The skeleton calls it after every callback into the protocol (input, reply, event, timeout,
 * drain, shutdown) and before a flushing close, so a session need not. */
void gw_flush(struct gw_session *gs);
/* Closes after the queued output is sent (flush) or at once; close() follows later. */
void gw_close(struct gw_session *gs, bool flush);
/* Stops / resumes reading from the peer (input stays bounded while a session waits). */
void gw_pause(struct gw_session *gs);
void gw_resume(struct gw_session *gs);
/* Arms the session's deadline in_ms from now (0 disarms). */
void gw_set_deadline(struct gw_session *gs, uint64_t in_ms);
uint64_t gw_now(struct gw_session *gs);
size_t gw_output_pending(struct gw_session *gs);
const char *gw_peer(struct gw_session *gs);
/* The address actors send this session's events to: "<node>/<hub>#<id>" (hub_name#id; size
 * >= PB_MSG_MAX_ADDR always suffices). Also a session's identity (a lock holder). */
void gw_event_address(struct gw_session *gs, char *addr, size_t size);

/* ---- TLS for sessions ---- */
/* Whether STARTTLS/STLS may be offered: the listener has a certificate and TLS has not begun. */
bool gw_tls_offered(const struct gw_session *gs);
/* Whether the connection is under TLS (begun: the handshake may still be running). */
bool gw_tls_active(const struct gw_session *gs);
/* The negotiated protocol ("TLSv1.3") once the handshake ended, else "". */
const char *gw_tls_version(const struct gw_session *gs);
/* STARTTLS/STLS accepted: queues reply (a whole line, CRLF included) in clear, then every
 * later byte is TLS; the connection's clear input still buffered is dropped here, the caller
 * drops its parser's pending bytes (CVE-2011-0411). Returns 0, or -1 with error_r (static)
 * when TLS is not offered (nothing written). */
int gw_starttls(struct gw_session *gs, const char *reply, const char **error_r);

/* ---- COMPRESS=DEFLATE for sessions (RFC 4978; IMAP only) ---- */
/* Whether the connection is compressed. */
bool gw_compress_active(const struct gw_session *gs);
/* COMPRESS accepted: writes reply (a whole line, CRLF included) uncompressed, then every byte
 * either way is raw DEFLATE (under TLS when TLS is on). Input the protocol had been given
 * after the command must be left in its input buffer: the skeleton inflates it. Bounded
 * memory: gw-zip.h. Returns 0, or -1 with error_r (static) when already compressed. */
int gw_compress_begin(struct gw_session *gs, const char *reply, const char **error_r);

/* Sends req to `to` (NULL: routed by its owner) as a call of this session: a fresh
 * correlation id, a deadline timeout_ms from now, and cont(session, arg, reply-or-NULL) when
 * the reply comes or the deadline passes (never both, never twice, never after close).
 * req is not freed. Returns 0, or -1 with error_r when nothing was sent (table or inbox
 * full): cont will not run. */
int gw_call(struct gw_session *gs, const char *to, struct pb_msg *req, gw_cont_fn *cont,
	    uint64_t arg, uint32_t timeout_ms, const char **error_r);

/* The node's budget of message bytes in flight (limits.message_bytes_in_flight_mb): a session
 * takes what a transfer may hold at once (a chunk being received, a range being sent, the
 * output it may queue) before it starts one, and gives it back when the transfer ends; past
 * the budget a new transfer gets a temporary error while those under way go on. */
bool gw_reserve(struct gw_session *gs, size_t bytes);
void gw_release(struct gw_session *gs, size_t bytes);

/* Sends m one-way to `to` (NULL: routed by owner); m is not freed. 0, or -1 with error_r.
 * Routed by owner, a message whose target inbox is full is kept and sent again on the hub's
 * next ticks (bounded), so it is not lost to a moment of congestion. */
int gw_cast(struct gw_session *gs, const char *to, struct pb_msg *m, const char **error_r);

/* A struct pb_sender that sends one-way (gw_cast): for a stub's request whose answer nobody
 * waits for (a POP3 session's unlock as it closes). */
struct pb_sender gw_cast_sender(struct gw_session *gs);

/* A call waiting to be sent through a typed client stub: gw_sender(&c) is the stub's
 * struct pb_sender; the stub's send becomes gw_call(c.gs, to, req, c.cont, c.arg,
 * c.timeout_ms). */
struct gw_pending {
	struct gw_session *gs;
	gw_cont_fn *cont;
	uint64_t arg;
	uint32_t timeout_ms;
};
struct pb_sender gw_sender(struct gw_pending *c);

/* ---- for transports (the hub and the test fake) ---- */
/* Output drained below the high-water mark: p->drain, then the compressor flushed. */
void gw_drain(struct gw_session *gs, const struct gw_proto *p);
/* Implicit TLS (465, 995): begins the handshake before the protocol's open(), whose greeting
 * waits for its end; the handshake must end within gs->tls_handshake_ms (gw_timeout). Returns
 * 0, or -1 with error_r (static) when gs->tls_cur is NULL. */
int gw_tls_begin(struct gw_session *gs, const char **error_r);
/* The deadline armed on the transport passed: a handshake not finished by its deadline
 * (gs->tls_handshake_ms after TLS began) closes the connection with a log line, without the
 * protocol's timeout (whose reply would wait for a handshake that does not come); otherwise
 * p->timeout runs. */
void gw_timeout(struct gw_session *gs, const struct gw_proto *p);
/* Bytes arrived in *in: in clear they go to p->input as they are; under TLS they are fed to
 * the engine (what it takes is consumed), its output is sent, a failed or closed TLS
 * connection is closed, and the plaintext goes to p->input. */
void gw_input(struct gw_session *gs, const struct gw_proto *p, struct pb_buf *in);
/* The server stops: p->shutdown says goodbye, then under TLS close_notify follows it (the
 * transport closes the connection after its output). */
void gw_goodbye(struct gw_session *gs, const struct gw_proto *p);
/* Frees what the skeleton holds for the connection (its TLS engine and buffers): after the
 * protocol's close(). */
void gw_session_deinit(struct gw_session *gs);

/* Finds a live session by id; NULL if it closed. */
typedef struct gw_session *gw_find_fn(void *hub, uint64_t id);
/* A message arrived for the hub: a reply runs its call's continuation (or is dropped: -1),
 * an event goes to the session whose id is m->corr. m stays the caller's. Returns 0 if
 * delivered, -1 if dropped. */
int gw_dispatch(struct gw_calls *calls, gw_find_fn *find, void *hub, const struct gw_proto *p,
		struct pb_msg *m);
/* Runs the continuations of every call whose deadline passed (rep NULL). */
void gw_dispatch_expired(struct gw_calls *calls, gw_find_fn *find, void *hub, uint64_t now);

/* ---- the command table ---- */
/* A command: allowed in the states whose bit is set in `states` (bit 1u << state), else
 * answered with `refused` (a row with no states is a command always refused that way: one
 * the server knows but does not offer); check is pure (no writes, no calls) and returns NULL
 * or the refusal, a reply line without CRLF; proceed does the work. */
struct gw_command {
	int verb;
	uint32_t states;
	const char *refused; /* the reply when the state does not allow it */
	const char *(*check)(const void *session, const void *cmd);
	void (*proceed)(void *session, const void *cmd);
};
/* Looks verb up in table[0..n): runs check then proceed, or returns the refusal (the row's
 * `refused` for a wrong state, check's text, or `unknown` when no row has the verb). Returns
 * NULL when the command proceeded. */
const char *gw_command_run(const struct gw_command *table, size_t n, uint32_t state,
			   void *session, int verb, const void *cmd, const char *unknown);

#endif
