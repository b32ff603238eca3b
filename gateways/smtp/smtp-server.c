/*
 * smtp-server.c: starts and stops the SMTP gateway; copies its settings from the runtime's
 * snapshot at start and every tick. OWNS struct smtp_server.
 * THREAD: start/stop on the main thread; the tick on the hub thread.
 */
#include "smtp-session.h"

#include "pb-settings-snapshot.h"

#include <stdio.h>
#include <string.h>

/* Takes the smtp settings from the runtime's snapshot (no store read on the hub thread). */
static void take_settings(struct smtp_server *srv)
{
	const struct pb_settings *s = pb_settings_acquire(srv->rt);

	srv->settings = s->smtp;
	pb_settings_release(srv->rt, s);
}

void smtp_server_tick(void *ctx, uint64_t now)
{
	take_settings(ctx);
}

int smtp_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
		      const char *hostname, struct gw_hub **hub_r, char **error_r)
{
	struct smtp_server *srv = xcalloc(1, sizeof(*srv));
	struct gw_listen ls[] = {
		{ cfg->bindings[PB_SVC_SMTP], cfg->n_bindings[PB_SVC_SMTP], srv, "smtp" },
		{ cfg->bindings[PB_SVC_SUBMISSION], cfg->n_bindings[PB_SVC_SUBMISSION], srv,
		  "submission" },
	};

	srv->rt = rt;
	snprintf(srv->hostname, sizeof(srv->hostname), "%s", hostname);
	take_settings(srv);
	return gw_hub_start(rt, &smtp_proto, ls, PB_N_ELEMENTS(ls), srv, hub_r, error_r);
}
