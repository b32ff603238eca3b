/*
 * monitor-link.c: the monitor's status connection (see monitor-link.h).
 * OWNS: struct monitor_link (the pb_conn, the TLS context, the line buffer, the events that
 * came while a reply was awaited). THREAD: the caller's.
 */
#include "monitor-link.h"

#include "pb-alloc.h"
#include "pb-conn.h"
#include "pb-lines.h"
#include "pb-tls.h"

#include <cjson/cJSON.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS_KEPT_MAX 1000

struct monitor_link {
	struct pb_conn *conn;
	struct pb_tls_ctx *tls;
	struct pb_lines lines;
	cJSON *kept; /* an array of events read while a reply was awaited */
	int next_id;
	char error[256];
};

static int link_fail(char *buf, size_t size, const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int link_fail(char *buf, size_t size, const char **error_r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	*error_r = buf;
	return -1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int monitor_link_fd(const struct monitor_link *link)
{
	return pb_conn_fd(link->conn);
}

const char *monitor_link_tls(const struct monitor_link *link)
{
	return pb_conn_tls_version(link->conn);
}

void monitor_link_close(struct monitor_link **link)
{
	if (*link == NULL)
		return;
	pb_conn_close(&(*link)->conn);
	pb_tls_ctx_unref(&(*link)->tls);
	pb_lines_deinit(&(*link)->lines);
	cJSON_Delete((*link)->kept);
	free(*link);
	*link = NULL;
}

/* A whole line parsed: 1 with *o_r, -1 not a JSON object. */
static int parse(struct monitor_link *l, const char *line, cJSON **o_r, const char **error_r)
{
	cJSON *o = cJSON_Parse(line);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return link_fail(l->error, sizeof(l->error), error_r,
				 "the server sent a line that is not a JSON object");
	}
	*o_r = o;
	return 1;
}

int monitor_link_next(struct monitor_link *l, uint32_t timeout_ms, cJSON **o_r,
		      const char **error_r)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	char buf[16384], *line;
	size_t len, n;

	if (cJSON_GetArraySize(l->kept) > 0) {
		*o_r = cJSON_DetachItemFromArray(l->kept, 0);
		return 1;
	}
	for (;;) {
		int rc = pb_lines_take(&l->lines, MONITOR_LINE_MAX, &line, &len);
		if (rc > 0)
			return parse(l, line, o_r, error_r);
		if (rc < 0)
			return link_fail(l->error, sizeof(l->error), error_r,
					 "the server sent a line longer than %u octets: refused",
					 MONITOR_LINE_MAX);
		uint64_t now = mono_ms();
		uint32_t wait = now < deadline ? (uint32_t)(deadline - now) : 0;
		rc = pb_conn_poll(l->conn, wait, error_r);
		if (rc <= 0)
			return rc;
		if (pb_conn_read(l->conn, buf, sizeof(buf), 1000, &n, error_r) < 0)
			return -1;
		if (pb_lines_feed(&l->lines, buf, n) < 0)
			return link_fail(l->error, sizeof(l->error), error_r,
					 "the server's input is over the limit");
	}
}

int monitor_link_wait(struct monitor_link *l, int id, uint32_t timeout_ms, cJSON **o_r,
		      const char **error_r)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	cJSON *o;

	for (;;) {
		uint64_t now = mono_ms();
		if (now >= deadline)
			return link_fail(l->error, sizeof(l->error), error_r,
					 "the server did not answer in time");
		/* not from kept: those are events */
		cJSON *kept = l->kept;
		l->kept = NULL;
		int rc = monitor_link_next(l, (uint32_t)(deadline - now), &o, error_r);
		l->kept = kept;
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		const cJSON *rid = cJSON_GetObjectItemCaseSensitive(o, "id");
		if (cJSON_IsNumber(rid) && rid->valueint == id) {
			*o_r = o;
			return 1;
		}
		if (cJSON_GetArraySize(l->kept) < EVENTS_KEPT_MAX)
			cJSON_AddItemToArray(l->kept, o);
		else
			cJSON_Delete(o);
	}
}

int monitor_link_request(struct monitor_link *l, cJSON *o, const char **error_r)
{
	int id = ++l->next_id;

	cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
	cJSON_AddNumberToObject(o, "id", id);
	char *text = cJSON_PrintUnformatted(o);
	size_t len = strlen(text);
	text = xrealloc(text, len + 2);
	memcpy(text + len, "\n", 2);
	int rc = pb_conn_write(l->conn, text, len + 1, MONITOR_TIMEOUT_MS, error_r);
	explicit_bzero(text, len);
	free(text);
	return rc < 0 ? -1 : id;
}

/* The TLS handshake (the context made here, verifying unless srv says not). 0 / -1. */
static int link_tls(struct monitor_link *l, const struct monitor_server *srv, const char **error_r)
{
	char *err = NULL;

	if (l->tls == NULL &&
	    pb_tls_client_ctx_create(srv->ca_file, srv->tls_verify, &l->tls, &err) < 0) {
		link_fail(l->error, sizeof(l->error), error_r, "%s", err);
		free(err);
		return -1;
	}
	return pb_conn_starttls(l->conn, l->tls, srv->host, MONITOR_TIMEOUT_MS, error_r);
}

/* A request answered ok within the timeout: 0 with *o_r (may be NULL: not wanted), -1 with
 * error_r (the server's error text for a refusal). */
static int ask(struct monitor_link *l, cJSON *q, cJSON **o_r, const char **error_r)
{
	cJSON *o;
	int id = monitor_link_request(l, q, error_r);

	cJSON_Delete(q);
	if (id < 0 || monitor_link_wait(l, id, MONITOR_TIMEOUT_MS, &o, error_r) < 0)
		return -1;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"))) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
		link_fail(l->error, sizeof(l->error), error_r, "%s",
			  cJSON_IsString(e) ? e->valuestring : "refused");
		cJSON_Delete(o);
		return -1;
	}
	if (o_r != NULL)
		*o_r = o;
	else
		cJSON_Delete(o);
	return 0;
}

/* The greeting and, for STARTTLS, the switch. 0 / -1 with *fail_r. */
static int link_greet(struct monitor_link *l, const struct monitor_server *srv,
		      enum monitor_fail *fail_r, const char **error_r)
{
	cJSON *hello;

	*fail_r = MONITOR_FAIL_PROTOCOL;
	if (monitor_link_next(l, MONITOR_TIMEOUT_MS, &hello, error_r) <= 0) {
		if (*error_r == NULL)
			*error_r = "no greeting from the server";
		return -1;
	}
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(hello, "event");
	bool starttls = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hello, "starttls"));
	bool is_hello = cJSON_IsString(ev) && strcmp(ev->valuestring, "hello") == 0;
	if (!is_hello) { /* "bye" (blocked, too many connections) or an error line */
		const cJSON *why = cJSON_GetObjectItemCaseSensitive(hello, "reason");
		if (!cJSON_IsString(why))
			why = cJSON_GetObjectItemCaseSensitive(hello, "error");
		*fail_r = MONITOR_FAIL_CONNECT;
		link_fail(l->error, sizeof(l->error), error_r, "refused by the server: %s",
			  cJSON_IsString(why) ? why->valuestring : "no greeting");
	}
	cJSON_Delete(hello);
	if (!is_hello || srv->tls != MONITOR_TLS_STARTTLS)
		return is_hello ? 0 : -1;
	*fail_r = MONITOR_FAIL_TLS;
	if (!starttls)
		return link_fail(l->error, sizeof(l->error), error_r,
				 "the server does not offer STARTTLS");
	cJSON *q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "op", "starttls");
	if (ask(l, q, NULL, error_r) < 0)
		return -1;
	pb_lines_discard(&l->lines);
	return link_tls(l, srv, error_r);
}

/* The login request: the password, or the key from the key file. 0 / -1 (*fail_r set). */
static int link_login(struct monitor_link *l, const struct monitor_server *srv, cJSON **login_r,
		      enum monitor_fail *fail_r, const char **error_r)
{
	char key[256];
	cJSON *q = cJSON_CreateObject();

	*fail_r = MONITOR_FAIL_LOGIN;
	cJSON_AddStringToObject(q, "op", "login");
	if (srv->api_key_file[0] != '\0') {
		if (monitor_read_secret_file(srv->api_key_file, key, sizeof(key), l->error,
					     sizeof(l->error), error_r) < 0) {
			cJSON_Delete(q);
			return -1;
		}
		cJSON_AddStringToObject(q, "api_key", key);
		explicit_bzero(key, sizeof(key));
	} else {
		cJSON_AddStringToObject(q, "user", srv->user);
		cJSON_AddStringToObject(q, "password", srv->password);
	}
	return ask(l, q, login_r, error_r);
}

int monitor_link_start(const struct monitor_server *srv, struct monitor_link **link_r,
		       char *errbuf, size_t size, const char **error_r)
{
	struct monitor_link *l = xcalloc(1, sizeof(*l));
	const char *error = NULL;

	pb_lines_init(&l->lines, MONITOR_LINE_MAX + 65536);
	l->kept = cJSON_CreateArray();
	if (pb_conn_start(srv->host, srv->port, &l->conn, &error) < 0) {
		link_fail(errbuf, size, error_r, "%s", error);
		monitor_link_close(&l);
		return -1;
	}
	*link_r = l;
	return 0;
}

int monitor_link_connected(struct monitor_link *l, char *errbuf, size_t size,
			   const char **error_r)
{
	const char *error = NULL;
	int rc = pb_conn_connected(l->conn, &error);

	if (rc < 0)
		link_fail(errbuf, size, error_r, "%s", error);
	return rc;
}

int monitor_link_login(struct monitor_link *l, const struct monitor_server *srv, cJSON **login_r,
		       enum monitor_fail *fail_r, char *errbuf, size_t size, const char **error_r)
{
	const char *error = NULL;
	int rc = 0;

	if (srv->tls == MONITOR_TLS_IMPLICIT) {
		*fail_r = MONITOR_FAIL_TLS;
		rc = link_tls(l, srv, &error);
	}
	if (rc == 0)
		rc = link_greet(l, srv, fail_r, &error);
	if (rc == 0)
		rc = link_login(l, srv, login_r, fail_r, &error);
	if (rc < 0)
		return link_fail(errbuf, size, error_r, "%s", error != NULL ? error : "failed");
	return 0;
}

/* Waits for l's connect until deadline (monotonic ms): 0 / -1 with error_r in errbuf. */
static int connect_wait(struct monitor_link *l, uint64_t deadline, char *errbuf, size_t size,
			const char **error_r)
{
	for (;;) {
		int rc = monitor_link_connected(l, errbuf, size, error_r);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
		uint64_t now = mono_ms();
		if (now >= deadline)
			return link_fail(errbuf, size, error_r, "timed out");
		struct pollfd p = { .fd = monitor_link_fd(l), .events = POLLOUT };
		(void)poll(&p, 1, (int)(deadline - now));
	}
}

int monitor_link_open(const struct monitor_server *srv, struct monitor_link **link_r,
		      cJSON **login_r, enum monitor_fail *fail_r, char *errbuf, size_t size,
		      const char **error_r)
{
	struct monitor_link *l = NULL;

	*fail_r = MONITOR_FAIL_CONNECT;
	if (monitor_link_start(srv, &l, errbuf, size, error_r) < 0)
		return -1;
	if (connect_wait(l, mono_ms() + MONITOR_TIMEOUT_MS, errbuf, size, error_r) < 0 ||
	    monitor_link_login(l, srv, login_r, fail_r, errbuf, size, error_r) < 0) {
		monitor_link_close(&l);
		return -1;
	}
	*link_r = l;
	return 0;
}
