/*
 * web-api-services.c: the REST writes of service bindings and of the TLS certificate (issue 15
 * item 2). Both go to the settings document "services" (runtime/settings.def, validated by its
 * schema and recorded in the settings history) and take effect at the next start
 * (pb-config-stored.h: the bootstrap file's explicit values win). An installed certificate and
 * key are checked by loading them exactly as the daemon will (pb_tls_ctx_create: PEM, the key
 * matches the certificate) and for expiry, then kept under DATA_DIR/tls-installed (mode 0600,
 * temp file + fsync + rename), named by their SHA-256 so a replayed run (web-stub.h) writes
 * the same files again. The key is never answered back.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): SYS_SETTING_PUT_REQ.
 */
#include "web-api.h"

#include "pb-alloc.h"
#include "pb-runtime.h"
#include "pb-config-stored.h"
#include "pb-log.h"
#include "pb-tls.h"
#include "sys-client.h"
#include "web-stub.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CERT_PEM_MAX (64 * 1024)
#define KEY_PEM_MAX (16 * 1024)
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

/* Writes len bytes to path atomically (path.tmp, mode 0600, fsync, rename): 0 / -1. */
static int write_private(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	bool ok = fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, data, len) == (ssize_t)len &&
		  fsync(fd) == 0;

	if (fd >= 0 && close(fd) < 0)
		ok = false;
	ok = ok && rename(tmp, path) == 0;
	if (!ok)
		(void)unlink(tmp);
	free(tmp);
	return ok ? 0 : -1;
}

/* The files' names for this pair: DIR/cert-HASH.pem, DIR/key-HASH.pem (allocated). */
static void pair_paths(const char *dir, const char *cert, const char *key, char **cert_path_r,
		       char **key_path_r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char hex[17];
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, cert, strlen(cert));
	EVP_DigestUpdate(c, key, strlen(key));
	EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	*cert_path_r = xasprintf("%s/cert-%s.pem", dir, hex);
	*key_path_r = xasprintf("%s/key-%s.pem", dir, hex);
}

/* Writes the pair and loads it as the daemon will: 0 with *info_r, or -1 with *error_r
 * (allocated). The files stay only when they load and the certificate has not expired. */
static int pair_install(const char *cert_path, const char *key_path, const char *cert,
			const char *key, struct pb_tls_cert_info *info_r, char **error_r)
{
	struct pb_tls_ctx *ctx;

	if (write_private(cert_path, cert, strlen(cert)) < 0 ||
	    write_private(key_path, key, strlen(key)) < 0) {
		*error_r = xasprintf("cannot write the files: %s", strerror(errno));
		return -1;
	}
	if (pb_tls_ctx_create(cert_path, key_path, &ctx, error_r) < 0) {
		(void)unlink(cert_path);
		(void)unlink(key_path);
		return -1;
	}
	pb_tls_ctx_info(ctx, info_r);
	pb_tls_ctx_unref(&ctx);
	if (info_r->not_after * 1000 <= (int64_t)pb_clock_wall_ms()) {
		(void)unlink(cert_path);
		(void)unlink(key_path);
		*error_r = xstrdup("the certificate has expired");
		return -1;
	}
	return 0;
}

/* The body's PEM texts: 0, or -1 (absent, too long, not PEM). */
static int pem_of(const cJSON *in, const char **cert_r, const char **key_r)
{
	*cert_r = web_body_str(in, "certificate");
	*key_r = web_body_str(in, "key");
	return *cert_r != NULL && *key_r != NULL && strlen(*cert_r) <= CERT_PEM_MAX &&
			       strlen(*key_r) <= KEY_PEM_MAX &&
			       strstr(*cert_r, "-----BEGIN CERTIFICATE-----") != NULL &&
			       strstr(*key_r, "-----BEGIN ") != NULL
		       ? 0
		       : -1;
}

static cJSON *installed_json(const struct pb_tls_cert_info *info, const char *cert_path)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "subject", info->subject);
	cJSON_AddStringToObject(o, "issuer", info->issuer);
	cJSON_AddStringToObject(o, "names", info->names);
	cJSON_AddNumberToObject(o, "not_after", (double)info->not_after);
	cJSON_AddStringToObject(o, "sha256", info->sha256);
	cJSON_AddBoolToObject(o, "self_signed", info->self_signed);
	cJSON_AddStringToObject(o, "file", cert_path);
	cJSON_AddStringToObject(o, "takes_effect", TAKES_EFFECT);
	return o;
}

/* Installs the checked pair and names it in the settings; answers 201 or the reason. */
static void certificate_install(struct web_session *ws, struct pb_sync *t, const char *cert,
				const char *key)
{
	char *dir = xasprintf("%s/tls-installed", ws->srv->data_dir), *cert_path, *key_path;
	char *error = NULL;
	struct pb_tls_cert_info info;

	pair_paths(dir, cert, key, &cert_path, &key_path);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		web_reply_error(ws, 500, "cannot make the directory of installed certificates");
	} else if (pair_install(cert_path, key_path, cert, key, &info, &error) < 0) {
		web_reply_error(ws, 400, error);
	} else {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tls_certificate", cert_path);
		cJSON_AddStringToObject(o, "tls_key", key_path);
		if (services_put(ws, t, o)) {
			pb_info("web", "event=certificate_installed subject=%s sha256=%s by=%s",
				PB_LOGQ(info.subject), info.sha256, PB_LOGQ(ws->who.user));
			web_reply_json(ws, 201, installed_json(&info, cert_path), NULL);
		}
		cJSON_Delete(o);
	}
	free(error);
	free(cert_path);
	free(key_path);
	free(dir);
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
