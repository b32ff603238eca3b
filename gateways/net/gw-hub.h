/*
 * gw-hub.h: a gateway hub — one thread running a net_loop for a protocol's listeners and
 * sessions, with one inbox (pull0, polled through its fd) for the replies and events of its
 * sessions, and the table of their pending calls (gw-calls.h). It is the real transport
 * behind struct gw_session (gw-session.h): a protocol is a struct gw_proto, and starting and
 * stopping a server is gw_hub_start / gw_hub_stop.
 *
 * Replies are matched by their own correlation id to the call that asked (never to whatever
 * the session waits for next); events sent to "<hub>#<session id>" reach that session.
 *
 * Admission: a new connection is refused with the proto's busy line when the service has its
 * cap of connections (limits.*_max_connections), when all hubs together hold what the
 * descriptors allow (gw_hub_set_fd_cap),
 * or when its address has too many open or opened too many this minute (limits.ip_*;
 * limits.trusted_networks are exempt) — the per-IP accounting is gw-anvil.h.
 *
 * Status: once a second the hub sends sys a SYS_GATEWAY_STATS_EVT (sys-client.h) with its
 * listeners and their state, the sessions open per service and the proto's counters
 * (gw_proto.counters).
 *
 * Stopping: listeners close first; sessions with calls in flight get up to GW_HUB_DRAIN_MS
 * to finish them, and a session whose call must finish (gw_session.must_finish: a spool
 * commit) as long as that call's own deadline; then every session is told goodbye (shutdown)
 * and closed.
 *
 * OWNS: the thread, its loop, inbox and pending calls, and each connection's struct
 * gw_session. THREAD: start/stop from the daemon's main thread; every callback runs on the
 * hub thread.
 */
#ifndef GW_HUB_H
#define GW_HUB_H

#include "gw-session.h"
#include "net-loop.h"
#include "pb-config.h"
#include "pb-runtime.h"

#define GW_HUB_DRAIN_MS 10000
/* Calls in flight per hub, all sessions together (each session has few, an idle one none;
 * past it a command hears a temporary failure). */
#define GW_HUB_MAX_CALLS 16384

struct gw_hub;

struct gw_listen {
	const struct pb_binding *bindings;
	size_t n;
	void *server;        /* passed to the proto's open (e.g. smtp or submission settings) */
	const char *service; /* for logs and errors */
	/* The certificate (NULL: no TLS on these listeners, STARTTLS not offered), and whether
	 * TLS begins at the accept (465, 995) rather than by STARTTLS/STLS. */
	struct pb_tls_current *tls;
	bool implicit_tls;
	/* Clear and TLS on the same port (the web's 5108): a connection whose first byte begins
	 * a TLS handshake record is TLS from there, any other is clear (gw_tls_active tells the
	 * protocol which). Needs tls; ignored with implicit_tls. */
	bool sniff_tls;
};

/* Starts a gateway: binds every listener (on the calling thread, so a port that cannot be
 * bound is reported at once: error_r is an allocated "service host:port: reason" the caller
 * frees), opens the inbox named proto->name and starts the thread. server (malloc'ed, may be
 * NULL) goes to proto->tick and belongs to the hub from now on: it is freed when the hub stops,
 * or at once when the start fails. Returns 0 or -1. */
int gw_hub_start(struct pb_runtime *rt, const struct gw_proto *proto, const struct gw_listen *ls,
		 size_t n_ls, void *server, struct gw_hub **hub_r, char **error_r);
/* The most connections all hubs together may hold whatever the settings say, from the
 * process's descriptor limit (the daemon sets it at start, leaving room for the store); any
 * one hub may take them all (its own cap is its setting, limits.*_max_connections, at most
 * NET_MAX_CONNS). Default: no limit but the hubs' own. */
void gw_hub_set_fd_cap(uint32_t max_connections);
/* The octets of the node's in-flight budget taken now (gw_reserve, every hub): a gauge. */
uint64_t gw_hub_bytes_in_flight(void);
/* Stops a gateway as described above, joins the thread and frees the server; sets *hub NULL. */
void gw_hub_stop(struct gw_hub **hub);

struct pb_runtime *gw_hub_runtime(struct gw_hub *hub);
/* Replies that matched no pending call (late, duplicated, unknown), for tests and status. */
uint64_t gw_hub_strays(struct gw_hub *hub);

#endif
