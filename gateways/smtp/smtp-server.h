/*
 * smtp-server.h: the SMTP gateway — listeners for the smtp, submission and submissions bindings, the
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
struct pb_tls_current;

/* Binds cfg's smtp, submission and submissions listeners and starts the gateway (stopped
 * with gw_hub_stop). hostname is this server's name; tls the certificate (STARTTLS on smtp and
 * submission, implicit TLS on submissions; NULL: no TLS and no submissions listener), which
 * must outlive the hub. error_r: allocated, names the binding that
 * failed; the caller frees it. 0 / -1. */
int smtp_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
		      const char *hostname, struct pb_tls_current *tls, struct gw_hub **hub_r,
		      char **error_r);

#endif
