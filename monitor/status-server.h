/*
 * status-server.h: the status server (port 5109; docs/status-protocol.md) — the listeners of
 * the status bindings (clear, with STARTTLS) and of the statuss bindings (5110, implicit TLS),
 * and the status sessions behind one gateway hub.
 * OWNS: the hub. THREAD: start/stop from the main thread; sessions on the hub thread.
 */
#ifndef STATUS_SERVER_H
#define STATUS_SERVER_H

#include "pb-config.h"
#include "pb-runtime.h"

struct gw_hub;
struct pb_tls_current;

/* Binds cfg's status and statuss listeners and starts the gateway (stopped with gw_hub_stop).
 * tls: the certificate for the "starttls" request and the statuss listeners (NULL: STARTTLS
 * not offered, no statuss listener), which must outlive the hub.
 * error_r: allocated, names the binding that failed; the caller frees it. 0 / -1. */
int status_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
			struct pb_tls_current *tls, struct gw_hub **hub_r, char **error_r);

#endif
