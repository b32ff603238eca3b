/*
 * pop3-session.h: what the POP3 server and its sessions share (and the session tests, which
 * drive a session through a fake transport: test/net/gw-fake.h).
 * OWNS: struct pop3_server's fields are set at start and read-only after. THREAD: the hub's.
 */
#ifndef POP3_SESSION_H
#define POP3_SESSION_H

#include "gw-hub.h"
#include "pop3-server.h"

#define POP3_IDLE_TIMEOUT_S 600 /* RFC 1939 3: at least 10 minutes */
#define POP3_REQUEST_TIMEOUT_MS 60000
#define POP3_LOCK_TTL_MS (4ull * 3600 * 1000)
/* Refused or malformed commands before the session is closed (Dovecot's limit). */
#define POP3_MAX_BAD_COMMANDS 20
/* The read-ahead (pop3-retr.c): the first ranges of at most this many next messages, of at
 * most this many octets of messages in all, each within the budget of bytes in flight. Refilled
 * by quarter windows: one reader hand-off each way per POP3_PREFETCH_DEPTH / 4 small messages,
 * asked for while the client still has three quarters to read (a client served from memory
 * reads a message in ~0.1 ms; a reader round trip on a loaded host takes several). */
#define POP3_PREFETCH_DEPTH 64
#define POP3_PREFETCH_MAX (128 * 1024)

struct pop3_server {
	struct gw_hub *hub;
	char hostname[256];
	bool allow_plaintext_auth; /* security.allow_plaintext_auth, copied at each tick */
};

/* The POP3 protocol for the session skeleton (open's server: the struct pop3_server). */
extern const struct gw_proto pop3_proto;

#endif
