/*
 * imap-server.h: the IMAP gateway (RFC 3501) — listeners for the imap and imaps bindings and
 * the sessions behind one hub.
 * OWNS: the hub. THREAD: start/stop from the main thread; sessions on the hub thread.
 */
#ifndef IMAP_SERVER_H
#define IMAP_SERVER_H

#include "pb-config.h"
#include "pb-runtime.h"

#include <stdint.h>

struct gw_hub;
struct pb_settings;
struct pb_tls_current;

/* The gateway's tick (gw_proto.tick): copies the settings the sessions read into the server. */
void imap_server_tick(void *ctx, const struct pb_settings *s, uint64_t now_ms);

/* Binds cfg's imap listeners and starts the gateway (stopped with gw_hub_stop). tls: the
 * certificate (STARTTLS on imap, implicit TLS on imaps; NULL: no TLS and no imaps listener),
 * which must outlive the hub. error_r: allocated, names the binding that failed; the caller
 * frees it. 0 / -1. */
int imap_server_start(struct pb_runtime *rt, const struct pb_config *cfg, const char *hostname,
		      struct pb_tls_current *tls, struct gw_hub **hub_r, char **error_r);

#endif
