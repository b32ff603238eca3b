/*
 * gw-hub.h: a gateway hub — one thread running a net_loop for a protocol's listeners and
 * sessions, with one inbox (pull0, polled through its fd) for the replies of the actors its
 * sessions ask. Sessions are logical actors behind that inbox: a request carries the hub's
 * address as reply_to and the session's connection id as correlation id, and each session has
 * at most one request in flight.
 *
 * Stopping: listeners close first; sessions with a request in flight get up to
 * GW_HUB_DRAIN_MS to finish it; then every session is told goodbye (on_shutdown) and closed.
 *
 * OWNS: the thread, its loop and inbox. THREAD: start/stop from the daemon's main thread; every
 * callback runs on the hub thread.
 */
#ifndef GW_HUB_H
#define GW_HUB_H

#include "net-loop.h"
#include "pb-config.h"
#include "pb-runtime.h"

#define GW_HUB_DRAIN_MS 10000

struct gw_hub;

struct gw_hub_def {
	const char *name;             /* the inbox address, e.g. "smtp" */
	const struct net_proto *proto;
	/* A reply for the session (m owned by the hub; fields may be stolen). */
	void (*on_reply)(void *session, struct net_conn *c, struct pb_msg *m);
	/* Called about once a second on the hub thread (settings reload, ...). Optional. */
	void (*on_tick)(void *ctx, uint64_t now_ms);
	/* The server is stopping: say goodbye (the hub closes the connection after). */
	void (*on_shutdown)(void *session, struct net_conn *c);
	/* True while the session waits for a reply (the hub lets it finish when stopping). */
	bool (*busy)(void *session);
};

struct gw_listen {
	const struct pb_binding *bindings;
	size_t n;
	void *ctx;       /* passed to on_accept (e.g. which service: smtp or submission) */
	const char *service;
};

/* Binds every listener (on the calling thread, so a port that cannot be bound is reported
 * at once: error_r is an allocated "service host:port: reason" the caller frees), opens the
 * inbox and starts the thread. ctx goes to on_tick. Returns 0 or -1. */
int gw_hub_start(struct pb_runtime *rt, const struct gw_hub_def *def, const struct gw_listen *ls,
		 size_t n_ls, void *ctx, struct gw_hub **hub_r, char **error_r);
/* Stops as described above and joins the thread; sets *hub NULL. */
void gw_hub_stop(struct gw_hub **hub);

/* Sends a request for the session on c: reply_to = the hub, corr = the connection id. to may
 * be NULL (routed by owner). Does not free m. Returns 0, or -1 with error_r (inbox full). */
int gw_hub_request(struct gw_hub *hub, struct net_conn *c, const char *to, struct pb_msg *m,
		   const char **error_r);
struct pb_runtime *gw_hub_runtime(struct gw_hub *hub);
struct net_loop *gw_hub_loop(struct gw_hub *hub);

#endif
