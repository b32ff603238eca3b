/*
 * web-api-services.c: the REST writes of service bindings and of the TLS certificate (issue 15
 * item 2). Both go to the settings document "services" (runtime/settings.def, validated by its
 * schema and recorded in the settings history) and take effect at the next start
 * (pb-config-stored.h: the bootstrap file's explicit values win). A certificate and key are
 * shape-checked here (PEM markers, sizes), then checked, written and pruned by the sys actor
 * (actors/sys/sys-certs.c: loaded as the daemon will, not expired, under
 * DATA_DIR/tls-installed, named by their SHA-256 so a replayed run (web-stub.h) writes the
 * same files again) before the settings name them. The key is never answered back.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): SYS_CERT_INSTALL_REQ, SYS_SETTING_PUT_REQ.
 */
#include "web-api.h"

#include "pb-alloc.h"
#include "pb-runtime.h"
#include "pb-config-stored.h"
#include "pb-log.h"
#include "sys-client.h"
#include "web-stub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAKES_EFFECT "at the next start (restart the daemon); the bootstrap file's own value, if it sets one, wins"

/* Puts json into the document "services" by the logged-in administrator: true when that is
 * done, false when it answered (a refusal) or the run waits. */
static bool services_put(struct web_session *ws, struct pb_sync *t, const cJSON *o)
{
	char *json = cJSON_PrintUnformatted(o), *by = xasprintf("web:%s", ws->who.user);
	const char *error;
	uint32_t code = 0;

	int rc = sys_client_setting_put(t, "services", json, by, &code, &error);
	free(json);
	free(by);
	return !web_stub_failed(ws, rc, code, error);
}

/* The body's "bindings" (an array of strings; empty or null: back to the bootstrap file's or
 * the default) as the setting's text into *text_r (allocated): 0, or -1 with *error_r. */
static int bindings_text(const cJSON *in, char **text_r, const char **error_r)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(in, "bindings"), *b, *none = NULL;
	size_t n;
	char *text = xstrdup("");

	*error_r = "give \"bindings\": an array of host:port, [v6]:port or *:port (at most 8)";
	if (a != NULL && !cJSON_IsNull(a) && !cJSON_IsArray(a))
		return free(text), -1;
	cJSON_ArrayForEach(b, (cJSON_IsArray(a) ? a : none)) {
		if (!cJSON_IsString(b) || strlen(b->valuestring) > 64 ||
		    strchr(b->valuestring, ' ') != NULL)
			return free(text), -1;
		char *more = xasprintf("%s%s%s", text, text[0] ? " " : "", b->valuestring);
		free(text);
		text = more;
	}
	if (text[0] != '\0' && pb_config_bindings_parse(text, NULL, &n, error_r) < 0)
		return free(text), -1;
	*text_r = text;
	return 0;
}

void web_rest_bindings_put(struct web_session *ws, const struct http_request *q,
			   struct pb_sync *t)
{
	enum pb_service svc = pb_service_by_name(ws->arg);
	cJSON *in = web_body_object(q);
	char *text = NULL, key[64];
	const char *error;

	if (svc == PB_SVC_COUNT) {
		web_reply_error(ws, 404, "no such service");
	} else if (bindings_text(in, &text, &error) < 0) {
		web_reply_error(ws, 400, error);
	} else {
		cJSON *o = cJSON_CreateObject();
		snprintf(key, sizeof(key), "%s_listen", pb_service_name(svc));
		cJSON_AddStringToObject(o, key, text);
		if (services_put(ws, t, o)) {
			pb_info("web", "event=bindings_set service=%s bindings=%s by=%s",
				pb_service_name(svc), PB_LOGQ(text), PB_LOGQ(ws->who.user));
			cJSON_AddStringToObject(o, "takes_effect", TAKES_EFFECT);
			web_reply_json(ws, 200, o, NULL);
			o = NULL;
		}
		cJSON_Delete(o);
	}
	free(text);
	cJSON_Delete(in);
}

/* ---- installing a certificate ---- */

/* The body's PEM texts: 0, or -1 (absent, too long, not PEM). */
static int pem_of(const cJSON *in, const char **cert_r, const char **key_r)
{
	*cert_r = web_body_str(in, "certificate");
	*key_r = web_body_str(in, "key");
	return *cert_r != NULL && *key_r != NULL && strlen(*cert_r) <= SYS_CERT_PEM_MAX &&
			       strlen(*key_r) <= SYS_KEY_PEM_MAX &&
			       strstr(*cert_r, "-----BEGIN CERTIFICATE-----") != NULL &&
			       strstr(*key_r, "-----BEGIN ") != NULL
		       ? 0
		       : -1;
}

static cJSON *installed_json(const struct sys_cert_installed *info)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "subject", info->subject);
	cJSON_AddStringToObject(o, "issuer", info->issuer);
	cJSON_AddStringToObject(o, "names", info->names);
	cJSON_AddNumberToObject(o, "not_after", (double)info->not_after);
	cJSON_AddStringToObject(o, "sha256", info->sha256);
	cJSON_AddBoolToObject(o, "self_signed", info->self_signed);
	cJSON_AddStringToObject(o, "file", info->cert_path);
	cJSON_AddStringToObject(o, "takes_effect", TAKES_EFFECT);
	return o;
}

/* Has the sys actor check and install the pair, then names it in the settings; answers 201
 * or the reason. */
static void certificate_install(struct web_session *ws, struct pb_sync *t, const char *cert,
				const char *key)
{
	char *by = xasprintf("web:%s", ws->who.user);
	struct sys_cert_installed c = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = sys_client_cert_install(t, cert, key, by, &code, &c, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tls_certificate", c.cert_path);
		cJSON_AddStringToObject(o, "tls_key", c.key_path);
		if (services_put(ws, t, o)) {
			pb_info("web", "event=certificate_installed subject=%s sha256=%s by=%s",
				PB_LOGQ(c.subject), c.sha256, PB_LOGQ(ws->who.user));
			web_reply_json(ws, 201, installed_json(&c), NULL);
		}
		cJSON_Delete(o);
		sys_cert_installed_free(&c);
	}
	free(by);
}

void web_rest_certificate_add(struct web_session *ws, const struct http_request *q,
			      struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const char *cert, *key;

	if (pem_of(in, &cert, &key) < 0)
		web_reply_error(ws, 400, "give \"certificate\" (PEM, the chain after it, at most "
					 "64 KiB) and \"key\" (its PEM private key)");
	else
		certificate_install(ws, t, cert, key);
	cJSON_Delete(in);
}
