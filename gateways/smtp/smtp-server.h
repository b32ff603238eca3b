/*
 * smtp-server.h: the SMTP gateway — listeners for the smtp and submission bindings, the
 * sessions behind one hub, and the settings they read (struct pb_settings_smtp, copied from
 * the runtime's settings snapshot every tick, so changes take effect within a second).
 * OWNS: the hub and the current settings. THREAD: start/stop from the main thread; everything
 * else on the hub thread.
 */
#ifndef SMTP_SERVER_H
#define SMTP_SERVER_H

#include "pb-config.h"
#include "pb-runtime.h"
#include "pb-settings.h"

struct gw_hub;

/* Binds cfg's smtp and submission listeners and starts the gateway (stopped with
 * gw_hub_stop). hostname is this server's name. error_r: allocated, names the binding that
 * failed; the caller frees it. 0 / -1. */
int smtp_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
		      const char *hostname, struct gw_hub **hub_r, char **error_r);

#endif
