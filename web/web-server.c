/*
 * web-server.c: starts and stops the web gateway, finds and reads its static pages, and copies
 * the settings its sessions read at every tick (see web-server.h).
 * OWNS: struct web_gateway (the hub and the pages). THREAD: start/stop on the main thread; the
 * tick on the hub's.
 */
#include "web-server.h"

#include "gw-hub.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-settings.h"
#include "web-mail.h"
#include "web-session.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct web_gateway {
	struct gw_hub *hub;
	struct web_assets *assets;
	struct web_auth *auth;
	struct web_reset *reset;
	struct web_uploads *uploads;
};

void web_server_tick(void *server, const struct pb_settings *s, uint64_t now_ms);

void web_server_tick(void *server, const struct pb_settings *s, uint64_t now_ms)
{
	struct web_server *srv = server;

	srv->limits.max_head = (size_t)s->web.max_head_kb * 1024;
	srv->limits.max_body = (size_t)s->web.max_body_kb * 1024;
	srv->max_message_size = s->smtp.max_message_size;
	srv->max_recipients = s->smtp.max_recipients;
	srv->signature = s->signature;
	srv->limits.upload_path = WEB_UPLOAD_PATH;
	srv->limits.max_upload = (size_t)s->web.max_upload_kb * 1024;
	if (srv->limits.max_upload > srv->max_message_size)
		srv->limits.max_upload = (size_t)srv->max_message_size;
	srv->uploads_per_user = s->web.uploads_per_user;
	srv->uploads_user_bytes = (uint64_t)s->web.uploads_user_kb * 1024;
	srv->uploads_disk_floor = s->storage.min_free_mb * 1024 * 1024;
	srv->upload_ttl_ms = (uint64_t)s->web.upload_ttl_s * 1000u;
	srv->events_ping_ms = (uint64_t)s->web.events_ping_s * 1000u;
	if (now_ms != 0)
		web_uploads_sweep(srv->uploads, now_ms, srv->upload_ttl_ms);
	srv->request_timeout_ms = s->web.request_timeout_s * 1000u;
	srv->keepalive_timeout_ms = s->web.keepalive_timeout_s * 1000u;
	srv->login_idle_ms = (uint64_t)s->web.login_idle_min * 60000u;
	srv->login_max_ms = (uint64_t)s->web.login_max_hours * 3600000u;
	srv->logins_per_account = s->web.logins_per_account;
	srv->metrics_networks = s->web.metrics_networks.list;
	srv->allow_plaintext_auth = s->security.allow_plaintext_auth != 0;
	snprintf(srv->public_url, sizeof(srv->public_url), "%s",
		 s->web.public_url[0] != '\0' ? s->web.public_url : srv->default_url);
	srv->reset_ttl_ms = (uint64_t)s->web.reset_token_s * 1000u;
	srv->reset_user_per_hour = s->web.reset_user_per_hour;
	srv->reset_ip_per_hour = s->web.reset_ip_per_hour;
}

/* The recovery links' base when web.public_url is empty: the node's name and the first web
 * binding's port, https when the listeners have TLS. */
static void default_url(struct web_server *srv, const struct pb_config *cfg, bool tls)
{
	uint16_t port = cfg->n_bindings[PB_SVC_HTTP] > 0 ? cfg->bindings[PB_SVC_HTTP][0].port : 5108;

	snprintf(srv->default_url, sizeof(srv->default_url), "%s://%s:%u", tls ? "https" : "http",
		 cfg->hostname != NULL ? cfg->hostname : "localhost", (unsigned)port);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of the static pages: the setting, else the installed copy, else the source
 * tree's (a build directory's binary). NULL: none exists. */
static const char *root_dir(const struct pb_settings *s)
{
	if (s->web.root[0] != '\0')
		return s->web.root;
	if (is_dir(PB_WEB_ROOT_INSTALLED))
		return PB_WEB_ROOT_INSTALLED;
	if (is_dir(PB_WEB_ROOT_SOURCE))
		return PB_WEB_ROOT_SOURCE;
	return NULL;
}

/* Reads the pages; a directory that cannot be read leaves the table empty (404s), warned. */
static struct web_assets *assets_load(const struct pb_settings *s)
{
	const char *dir = root_dir(s);
	struct web_assets *a = NULL;
	char *error = NULL;

	if (dir == NULL) {
		pb_warn("web", "event=no_pages reason=%s",
			PB_LOGQ("no web.root and no installed pages: every page is 404"));
	} else if (web_assets_load(dir, &a, &error) < 0) {
		pb_warn("web", "event=no_pages root=%s reason=%s", PB_LOGQ(dir), PB_LOGQ(error));
		free(error);
	} else {
		pb_info("web", "event=pages root=%s files=%zu", PB_LOGQ(dir), web_assets_count(a));
	}
	return a;
}

int web_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
		     const struct pb_settings *s, struct pb_tls_current *tls,
		     struct web_gateway **web_r, char **error_r)
{
	struct web_gateway *w = xcalloc(1, sizeof(*w));
	struct web_server *srv = xcalloc(1, sizeof(*srv));

	w->assets = assets_load(s);
	w->auth = web_auth_new();
	w->reset = web_reset_new();
	srv->assets = w->assets;
	srv->auth = w->auth;
	srv->reset = w->reset;
	srv->rt = rt;
	w->uploads = web_uploads_new(cfg->data_dir);
	srv->uploads = w->uploads;
	srv->redirect_https = tls != NULL && cfg->tls_certificate != NULL;
	default_url(srv, cfg, tls != NULL);
	web_server_tick(srv, s, 0);
	struct gw_listen ls = { cfg->bindings[PB_SVC_HTTP], cfg->n_bindings[PB_SVC_HTTP], srv,
				"http", tls, false, tls != NULL };
	if (gw_hub_start(rt, &web_proto, &ls, 1, srv, &w->hub, error_r) < 0) {
		web_assets_free(&w->assets);
		web_auth_free(&w->auth);
		web_reset_free(&w->reset);
		web_uploads_free(&w->uploads);
		free(w);
		return -1;
	}
	*web_r = w;
	return 0;
}

void web_server_stop(struct web_gateway **wp)
{
	struct web_gateway *w = *wp;
	if (w == NULL)
		return;
	gw_hub_stop(&w->hub);
	web_assets_free(&w->assets);
	web_auth_free(&w->auth);
	web_reset_free(&w->reset);
	web_uploads_free(&w->uploads);
	free(w);
	*wp = NULL;
}
