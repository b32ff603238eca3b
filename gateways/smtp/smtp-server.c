/*
 * smtp-server.c: starts and stops the SMTP gateway; settings. OWNS struct smtp_server.
 * THREAD: start/stop on the main thread; the tick on the hub thread.
 */
#include "smtp-session.h"

#include "pb-log.h"
#include "store.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#define SMTP_SETTINGS_REREAD_MS 2000

void smtp_settings_defaults(struct smtp_settings *s)
{
	s->max_message_size = 50ull * 1024 * 1024;
	s->max_recipients = 100;
	s->command_timeout_s = 300;
	s->data_timeout_s = 180;
	s->max_errors = 20;
}

static void json_uint(cJSON *doc, const char *name, uint64_t min, uint64_t max, uint64_t *v)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, name);
	if (cJSON_IsNumber(item) && item->valuedouble >= (double)min && item->valuedouble <= (double)max)
		*v = (uint64_t)item->valuedouble;
}

int smtp_settings_parse(struct smtp_settings *s, const char *json)
{
	cJSON *doc = cJSON_Parse(json);
	uint64_t v;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return -1;
	}
	json_uint(doc, "max_message_size", 0, 1ull << 40, &s->max_message_size);
	v = s->max_recipients;
	json_uint(doc, "max_recipients", 1, 100000, &v);
	s->max_recipients = (uint32_t)v;
	v = s->command_timeout_s;
	json_uint(doc, "command_timeout_s", 1, 86400, &v);
	s->command_timeout_s = (uint32_t)v;
	v = s->data_timeout_s;
	json_uint(doc, "data_timeout_s", 1, 86400, &v);
	s->data_timeout_s = (uint32_t)v;
	v = s->max_errors;
	json_uint(doc, "max_errors", 1, 10000, &v);
	s->max_errors = (uint32_t)v;
	cJSON_Delete(doc);
	return 0;
}

static void reload_settings(struct smtp_server *srv)
{
	char *json = NULL;
	const char *error;
	struct smtp_settings s;

	smtp_settings_defaults(&s);
	if (pb_store_setting_get(srv->store, "smtp", &json, &error) == 1 &&
	    smtp_settings_parse(&s, json) < 0)
		pb_warn("smtp", "event=bad_settings document=smtp");
	free(json);
	srv->settings = s;
}

void smtp_server_tick(void *ctx, uint64_t now)
{
	struct smtp_server *srv = ctx;
	if (now >= srv->settings_read_ms + SMTP_SETTINGS_REREAD_MS) {
		reload_settings(srv);
		srv->settings_read_ms = now;
	}
}

static bool store_has_room(void *ctx, uint64_t size)
{
	return pb_store_has_room(ctx, size);
}

int smtp_server_start(struct pb_runtime *rt, struct pb_store *store, const struct pb_config *cfg,
		      const char *hostname, struct smtp_server **srv_r, char **error_r)
{
	struct smtp_server *srv = xcalloc(1, sizeof(*srv));
	struct gw_listen ls[] = {
		{ cfg->bindings[PB_SVC_SMTP], cfg->n_bindings[PB_SVC_SMTP], srv, "smtp" },
		{ cfg->bindings[PB_SVC_SUBMISSION], cfg->n_bindings[PB_SVC_SUBMISSION], srv,
		  "submission" },
	};

	srv->store = store;
	srv->has_room = store_has_room;
	srv->has_room_ctx = store;
	snprintf(srv->hostname, sizeof(srv->hostname), "%s", hostname);
	reload_settings(srv);
	srv->settings_read_ms = pb_clock_monotonic_ms(NULL);
	if (gw_hub_start(rt, &smtp_proto, ls, PB_N_ELEMENTS(ls), srv, &srv->hub, error_r) < 0) {
		free(srv);
		return -1;
	}
	*srv_r = srv;
	return 0;
}

void smtp_server_stop(struct smtp_server **srvp)
{
	struct smtp_server *srv = *srvp;
	if (srv == NULL)
		return;
	gw_hub_stop(&srv->hub);
	free(srv);
	*srvp = NULL;
}
