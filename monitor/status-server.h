/*
 * status-server.h: the status server (port 5109; docs/status-protocol.md) — the listeners of
 * the status bindings and the status sessions behind one gateway hub.
 * OWNS: the hub. THREAD: start/stop from the main thread; sessions on the hub thread.
 */
#ifndef STATUS_SERVER_H
#define STATUS_SERVER_H

#include "pb-config.h"
#include "pb-runtime.h"

struct gw_hub;
struct pb_tls_current;

/* Binds cfg's status listeners and starts the gateway (stopped with gw_hub_stop). tls: the
 * certificate for the "starttls" request (NULL: not offered), which must outlive the hub.
 * error_r: allocated, names the binding that failed; the caller frees it. 0 / -1. */
int status_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
			struct pb_tls_current *tls, struct gw_hub **hub_r, char **error_r);

#endif
