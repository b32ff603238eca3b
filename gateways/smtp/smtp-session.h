/*
 * smtp-session.h: what the SMTP server and its session share (and the session tests, which
 * drive a session through a fake transport: test/net/gw-fake.h).
 * A session is a logical actor on the hub thread (gateways/net/gw-session.h): its protocol
 * state, its transaction, and its calls to actors (a recipient check, a spool write), each
 * with its own continuation.
 * OWNS: struct smtp_session. THREAD: the hub thread.
 */
#ifndef SMTP_SESSION_H
#define SMTP_SESSION_H

#include "gw-hub.h"
#include "smtp-server.h"

/* How long a recipient check may take before the client hears 451 (the late answer is
 * dropped: it can never answer another recipient). */
#define SMTP_CHECK_TIMEOUT_MS 60000
/* How long a session waits for the spool's answer to a finished message. It never answers
 * 451 while the write may still land: past this it closes with 421 (the client did not get a
 * 250, so by RFC 5321 6.1 it retries; the rare duplicate beats a loss). */
#define SMTP_SPOOL_TIMEOUT_MS 600000

/* What a listener's sessions are for: port 25 (mail to local domains from anyone) or submission
 * (587, 465: AUTH before MAIL). The listener's open() server. */
struct smtp_port {
	struct smtp_server *srv;
	bool submission;
};
enum { SMTP_PORT_MX, SMTP_PORT_SUBMISSION };

struct smtp_server {
	struct gw_hub *hub;
	char hostname[256];
	struct pb_settings_smtp settings; /* a copy of the snapshot's, taken each tick */
	struct pb_settings_signature signature; /* likewise (smtp-signature.c) */
	bool allow_plaintext_auth; /* security.allow_plaintext_auth, copied each tick */
	uint32_t greet_delay_ms;   /* security.intrusion_greet_delay_ms (port 25), likewise */
	bool quota_by_address;     /* quota.block_unauthenticated, likewise (smtp-policy.c) */
	uint64_t next_tx; /* transaction ids for Received: and logs */
	struct gw_counters counted; /* since the gateway started, for the status */
	struct pb_runtime *rt; /* where accept latencies are noted (NULL: not noted; tests) */
	struct smtp_port ports[2]; /* SMTP_PORT_*: what the listeners give their sessions */
};

/* Points srv->ports back at srv (after srv was zeroed or copied). */
void smtp_server_init_ports(struct smtp_server *srv);

/* The SMTP protocol for the session skeleton (open's server: the struct smtp_server). */
extern const struct gw_proto smtp_proto;
/* The proto's tick: copies the smtp settings from the hub's snapshot (server: the struct
 * smtp_server). */
void smtp_server_tick(void *server, const struct pb_settings *s, uint64_t now_ms);
/* The proto's counters: what the sessions counted (server: the struct smtp_server). */
void smtp_server_counters(void *server, struct gw_counters *c_r);

#endif
