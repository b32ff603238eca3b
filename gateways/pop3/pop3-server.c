/*
 * pop3-server.c: starts and stops the POP3 gateway. OWNS struct pop3_server.
 * THREAD: start/stop on the main thread.
 */
#include "pop3-session.h"

#include "pb-settings.h"

#include <stdio.h>

void pop3_server_tick(void *ctx, const struct pb_settings *s, uint64_t now_ms)
{
	struct pop3_server *srv = ctx;
	srv->allow_plaintext_auth = s->security.allow_plaintext_auth != 0;
}

int pop3_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
		      const char *hostname, struct pb_tls_current *tls, struct gw_hub **hub_r,
		      char **error_r)
{
	struct pop3_server *srv = xcalloc(1, sizeof(*srv));
	struct gw_listen ls[] = {
		{ cfg->bindings[PB_SVC_POP3], cfg->n_bindings[PB_SVC_POP3], srv, "pop3", tls, false,
		  false },
		{ cfg->bindings[PB_SVC_POP3S], cfg->n_bindings[PB_SVC_POP3S], srv, "pop3s", tls,
		  true, false },
	};

	snprintf(srv->hostname, sizeof(srv->hostname), "%s", hostname);
	return gw_hub_start(rt, &pop3_proto, ls, tls != NULL ? 2 : 1, srv, hub_r, error_r);
}
