/*
 * pop3-server.h: the POP3 gateway (RFC 1939, RFC 2449) — listeners for the pop3 bindings and
 * the sessions behind one hub.
 * OWNS: the hub. THREAD: start/stop from the main thread; sessions on the hub thread.
 */
#ifndef POP3_SERVER_H
#define POP3_SERVER_H

#include "pb-config.h"
#include "pb-runtime.h"

struct pop3_server;

/* Binds cfg's pop3 listeners and starts the hub (bodies come from the reader shards).
 * error_r: allocated, names the binding that failed; the caller frees it. 0 / -1. */
int pop3_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
		      const char *hostname, struct pop3_server **srv_r, char **error_r);
void pop3_server_stop(struct pop3_server **srv);

#endif
