/*
 * smtp-server.h: the SMTP gateway — listeners for the smtp and submission bindings, the
 * sessions behind one hub, and the settings they read ("smtp" settings document, reread every
 * few seconds so changes take effect without a restart).
 * OWNS: the hub and the current settings. THREAD: start/stop from the main thread; everything
 * else on the hub thread.
 */
#ifndef SMTP_SERVER_H
#define SMTP_SERVER_H

#include "pb-config.h"
#include "pb-runtime.h"

struct pb_store;
struct smtp_server;

/* Settings of the "smtp" document, with their defaults. */
struct smtp_settings {
	uint64_t max_message_size; /* octets; 0 = no limit; default 50 MiB */
	uint32_t max_recipients;   /* per message; default 100 (RFC 5321 4.5.3.1.8) */
	uint32_t command_timeout_s; /* default 300 (RFC 5321 4.5.3.2.7) */
	uint32_t data_timeout_s;   /* between data blocks; default 180 (4.5.3.2.5) */
	uint32_t max_errors;       /* bad commands before 421; default 20 */
};

void smtp_settings_defaults(struct smtp_settings *s);
/* Overlays a JSON document on s; unknown keys are ignored, bad values keep the default.
 * Returns 0, or -1 if json is not an object. */
int smtp_settings_parse(struct smtp_settings *s, const char *json);

/* Binds cfg's smtp and submission listeners and starts the hub. hostname is this server's
 * name. error_r: allocated, names the binding that failed; the caller frees it. 0 / -1. */
int smtp_server_start(struct pb_runtime *rt, struct pb_store *store, const struct pb_config *cfg,
		      const char *hostname, struct smtp_server **srv_r, char **error_r);
void smtp_server_stop(struct smtp_server **srv);

#endif
