/*
 * status-server.c: starts the status gateway and copies the settings its sessions read
 * (status.*, security.allow_plaintext_auth) at every tick. OWNS struct status_server.
 * THREAD: start on the main thread; the tick on the hub's.
 */
#include "status-server.h"

#include "gw-hub.h"
#include "pb-log.h"
#include "pb-settings.h"
#include "status-session.h"

/* A permissions setting as a mask; a bad list (the setting is free text) counts as none, with a
 * warning once per change. */
static uint32_t perms_setting(const char *key, const char *text, uint32_t *warned_hash)
{
	uint32_t mask = 0, hash = 5381;
	const char *error;

	if (status_perms_parse(text, &mask, &error) == 0)
		return mask;
	for (const char *p = text; *p != '\0'; p++)
		hash = hash * 33 + (unsigned char)*p;
	if (*warned_hash != hash)
		pb_warn("status", "event=bad_permissions setting=status.%s reason=%s", key,
			PB_LOGQ(error));
	*warned_hash = hash;
	return 0;
}

void status_server_tick(void *ctx, const struct pb_settings *st, uint64_t now_ms)
{
	struct status_server *srv = ctx;

	srv->login_timeout_ms = st->status.login_timeout_s * 1000u;
	srv->idle_timeout_ms = st->status.idle_timeout_s * 1000u;
	srv->output_budget = (size_t)st->status.output_budget_kb * 1024;
	srv->admin_perms = perms_setting("admin_permissions", st->status.admin_permissions,
					 &srv->warned_admin);
	srv->user_perms = perms_setting("user_permissions", st->status.user_permissions,
					&srv->warned_user);
	srv->allow_plaintext_auth = st->security.allow_plaintext_auth != 0;
}

int status_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
			struct pb_tls_current *tls, struct gw_hub **hub_r, char **error_r)
{
	struct status_server *srv = xcalloc(1, sizeof(*srv));
	/* status: clear with STARTTLS; statuss: TLS from the accept (the greeting goes encrypted) */
	struct gw_listen ls[] = {
		{ cfg->bindings[PB_SVC_STATUS], cfg->n_bindings[PB_SVC_STATUS], srv, "status", tls,
		  false, false },
		{ cfg->bindings[PB_SVC_STATUSS], cfg->n_bindings[PB_SVC_STATUSS], srv, "statuss",
		  tls, true, false },
	};

	return gw_hub_start(rt, &status_proto, ls, tls != NULL ? PB_N_ELEMENTS(ls) : 1, srv, hub_r,
			    error_r);
}
