/*
 * imap-server.c: starts the IMAP gateway and copies the settings its sessions read.
 * OWNS struct imap_server. THREAD: start on the main thread; the tick on the hub's.
 */
#include "imap-session.h"

#include "pb-settings.h"

#include <stdio.h>

void imap_server_tick(void *ctx, const struct pb_settings *s, uint64_t now_ms)
{
	struct imap_server *srv = ctx;

	srv->allow_plaintext_auth = s->security.allow_plaintext_auth != 0;
	srv->autologout_s = s->imap.autologout_s;
	srv->max_append = s->smtp.max_message_size;
}

int imap_server_start(struct pb_runtime *rt, const struct pb_config *cfg, const char *hostname,
		      struct pb_tls_current *tls, struct gw_hub **hub_r, char **error_r)
{
	struct imap_server *srv = xcalloc(1, sizeof(*srv));
	struct gw_listen ls[] = {
		{ cfg->bindings[PB_SVC_IMAP], cfg->n_bindings[PB_SVC_IMAP], srv, "imap", tls, false,
		  false },
		{ cfg->bindings[PB_SVC_IMAPS], cfg->n_bindings[PB_SVC_IMAPS], srv, "imaps", tls,
		  true, false },
	};

	snprintf(srv->hostname, sizeof(srv->hostname), "%s", hostname);
	srv->autologout_s = IMAP_AUTOLOGOUT_DEFAULT_S;
	return gw_hub_start(rt, &imap_proto, ls, tls != NULL ? 2 : 1, srv, hub_r, error_r);
}
