/*
 * smtp-session.h: what the SMTP server and its session share (not for other modules).
 * A session is a logical actor on the hub thread: its protocol state, its transaction, and at
 * most one request in flight (a recipient check or a spool write).
 * OWNS: struct smtp_session. THREAD: the hub thread.
 */
#ifndef SMTP_SESSION_H
#define SMTP_SESSION_H

#include "gw-hub.h"
#include "smtp-server.h"

struct smtp_server {
	struct pb_store *store;
	struct gw_hub *hub;
	char hostname[256];
	struct pb_runtime *rt;
	struct pb_settings_smtp settings; /* a copy of the snapshot's, taken each tick */
	uint64_t next_tx; /* transaction ids for Received: and logs */
};

/* The net_proto of SMTP sessions (on_accept ctx: the struct smtp_server). */
extern const struct net_proto smtp_session_proto;
void smtp_session_on_reply(void *session, struct net_conn *c, struct pb_msg *m);
void smtp_session_on_shutdown(void *session, struct net_conn *c);
bool smtp_session_busy(void *session);

#endif
