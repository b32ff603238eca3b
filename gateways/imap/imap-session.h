/*
 * imap-session.h: what the IMAP server and its sessions share (and the session tests, which
 * drive a session through a fake transport: test/net/gw-fake.h).
 * OWNS: struct imap_server's fields are set by the gateway's tick and read by the sessions.
 * THREAD: the hub's.
 */
#ifndef IMAP_SESSION_H
#define IMAP_SESSION_H

#include "gw-hub.h"
#include "imap-server.h"

#include <stdbool.h>
#include <stdint.h>

/* How long a call to an actor may take before the command hears NO [UNAVAILABLE]. */
#define IMAP_REQUEST_TIMEOUT_MS 60000
/* Refused or malformed commands (BAD) before the session is closed (Dovecot's limit). */
#define IMAP_MAX_BAD_COMMANDS 20
/* The autologout when no setting arrived yet (RFC 3501 5.4: at least 30 minutes). */
#define IMAP_AUTOLOGOUT_DEFAULT_S 1800

struct imap_server {
	char hostname[256];
	/* copied from the settings at each tick (imap_server_tick) */
	bool allow_plaintext_auth; /* security.allow_plaintext_auth */
	uint32_t autologout_s;	   /* imap.autologout_s */
	uint64_t max_append;	   /* smtp.max_message_size: the largest APPEND literal */
	struct imap_listings *listings; /* the selected folders' shared listings (imap-view-share.c) */
};

/* The IMAP protocol for the session skeleton (open's server: the struct imap_server). */
extern const struct gw_proto imap_proto;

#endif
