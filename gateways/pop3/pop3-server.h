/*
 * pop3-server.h: the POP3 gateway (RFC 1939, RFC 2449) — listeners for the pop3 bindings and
 * the sessions behind one hub.
 * OWNS: the hub. THREAD: start/stop from the main thread; sessions on the hub thread.
 */
#ifndef POP3_SERVER_H
#define POP3_SERVER_H

#include "pb-config.h"
#include "pb-runtime.h"

struct gw_hub;
struct pb_settings;
struct pb_tls_current;

/* The gateway's tick (gw_proto.tick): copies the settings the sessions read into the server. */
void pop3_server_tick(void *ctx, const struct pb_settings *s, uint64_t now_ms);

/* Binds cfg's pop3 listeners and starts the gateway (stopped with gw_hub_stop; bodies come
 * from the reader shards). tls: the certificate (STLS on pop3, implicit TLS on pop3s; NULL:
 * no TLS and no pop3s listener), which must outlive the hub. error_r: allocated, names the binding that failed; the caller frees
 * it. 0 / -1. */

int pop3_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
		      const char *hostname, struct pb_tls_current *tls, struct gw_hub **hub_r,
		      char **error_r);

#endif
