/*
 * smtp-server.c: starts the SMTP gateway; copies its settings from the hub's snapshot at start
 * and every tick. OWNS struct smtp_server.
 * THREAD: start/stop on the main thread; the tick on the hub thread.
 */
#include "smtp-session.h"

#include <stdio.h>
#include <string.h>

/* The hub's tick (at start too, before the first connection): the settings of this second. */
void smtp_server_tick(void *ctx, const struct pb_settings *s, uint64_t now)
{
	struct smtp_server *srv = ctx;
	srv->settings = s->smtp;
	srv->signature = s->signature;
	srv->allow_plaintext_auth = s->security.allow_plaintext_auth != 0;
	srv->greet_delay_ms = s->security.intrusion_greet_delay_ms;
	srv->quota_by_address = s->quota.block_unauthenticated != 0;
}

void smtp_server_counters(void *ctx, struct gw_counters *c_r)
{
	*c_r = ((struct smtp_server *)ctx)->counted;
}

void smtp_server_init_ports(struct smtp_server *srv)
{
	srv->ports[SMTP_PORT_MX] = (struct smtp_port){ srv, false };
	srv->ports[SMTP_PORT_SUBMISSION] = (struct smtp_port){ srv, true };
}

int smtp_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
		      const char *hostname, struct pb_tls_current *tls, struct gw_hub **hub_r,
		      char **error_r)
{
	struct smtp_server *srv = xcalloc(1, sizeof(*srv));
	struct gw_listen ls[] = {
		{ cfg->bindings[PB_SVC_SMTP], cfg->n_bindings[PB_SVC_SMTP], &srv->ports[SMTP_PORT_MX],
		  "smtp", tls, false, false },
		{ cfg->bindings[PB_SVC_SUBMISSION], cfg->n_bindings[PB_SVC_SUBMISSION],
		  &srv->ports[SMTP_PORT_SUBMISSION], "submission", tls, false, false },
		/* RFC 8314: submission over implicit TLS */
		{ cfg->bindings[PB_SVC_SMTPS], cfg->n_bindings[PB_SVC_SMTPS],
		  &srv->ports[SMTP_PORT_SUBMISSION], "submissions", tls, true, false },
	};

	snprintf(srv->hostname, sizeof(srv->hostname), "%s", hostname);
	srv->rt = rt;
	smtp_server_init_ports(srv);
	return gw_hub_start(rt, &smtp_proto, ls, PB_N_ELEMENTS(ls) - (tls == NULL ? 1 : 0), srv,
			    hub_r, error_r);
}
