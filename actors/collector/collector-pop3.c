/*
 * collector-pop3.c: the POP3 client (see collector-pop3.h).
 * OWNS: struct collector_pop3. THREAD: the one that opened it.
 */
#include "collector-pop3.h"

#include "pb-alloc.h"
#include "pb-conn.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct collector_pop3 {
	struct pb_conn *conn;
	uint32_t timeout_ms;
	char apop_ts[256]; /* "<...>" from the greeting, "" when none */
	char *line;        /* COLLECTOR_POP3_LINE bytes */
};

static _Thread_local char pop3_error[512];

static int fail(const char **error_r, const char *what, const char *detail)
{
	snprintf(pop3_error, sizeof(pop3_error), "%s%s%s", what, detail != NULL ? ": " : "",
		 detail != NULL ? detail : "");
	*error_r = pop3_error;
	return -1;
}

/* Reads one line into p->line. 0 / -1. */
static int read_line(struct collector_pop3 *p, const char **error_r)
{
	const char *error;

	if (pb_conn_read_line(p->conn, p->line, COLLECTOR_POP3_LINE, p->timeout_ms, &error) < 0)
		return fail(error_r, "POP3 server", error);
	return 0;
}

/* Reads a status line: 0 on +OK, -1 on -ERR (its text in error_r) or a broken connection. */
static int read_status(struct collector_pop3 *p, const char *what, const char **error_r)
{
	if (read_line(p, error_r) < 0)
		return -1;
	if (strncmp(p->line, "+OK", 3) == 0)
		return 0;
	return fail(error_r, what, p->line);
}

/* Sends one command line (CRLF added). The text is not logged anywhere. 0 / -1. */
static int send_line(struct collector_pop3 *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int send_line(struct collector_pop3 *p, const char *fmt, ...)
{
	char buf[1024];
	const char *error;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2)
		return -1;
	memcpy(buf + n, "\r\n", 2);
	int rc = pb_conn_write(p->conn, buf, (size_t)n + 2, p->timeout_ms, &error);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* Sends "verb arg" (arg NULL: the verb alone) and reads the status. 0 / -1. */
static int command(struct collector_pop3 *p, const char *what, const char **error_r,
		   const char *verb, const char *arg)
{
	int rc = arg != NULL ? send_line(p, "%s %s", verb, arg) : send_line(p, "%s", verb);
	if (rc < 0)
		return fail(error_r, what, "cannot send");
	return read_status(p, what, error_r);
}

/* Keeps the APOP timestamp "<...>" of the greeting in p->line, if any. */
static void apop_timestamp(struct collector_pop3 *p)
{
	const char *lt = strchr(p->line, '<');
	const char *gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (gt != NULL && (size_t)(gt - lt) + 1 < sizeof(p->apop_ts))
		snprintf(p->apop_ts, sizeof(p->apop_ts), "%.*s", (int)(gt - lt) + 1, lt);
}

/* The TLS handshake on p's connection. 0 / -1. */
static int handshake(struct collector_pop3 *p, const struct collector_pop3_tls *tls,
		     const char *host, const char **error_r)
{
	const char *error;

	if (pb_conn_starttls(p->conn, tls->ctx, host, p->timeout_ms, &error) < 0)
		return fail(error_r, "TLS handshake", error);
	return 0;
}

/* The greeting, with TLS before it (ssl) or after it (stls). 0 / -1. */
static int greet(struct collector_pop3 *p, const struct collector_pop3_tls *tls,
		 const char *host, const char **error_r)
{
	if (tls->mode == COLLECTOR_TLS_SSL && handshake(p, tls, host, error_r) < 0)
		return -1;
	if (read_status(p, "greeting", error_r) < 0)
		return -1;
	apop_timestamp(p);
	if (tls->mode != COLLECTOR_TLS_STLS)
		return 0;
	if (command(p, "STLS", error_r, "STLS", NULL) < 0)
		return -1;
	return handshake(p, tls, host, error_r);
}

int collector_pop3_open(const char *host, uint16_t port, const struct collector_pop3_tls *tls,
			uint32_t timeout_ms, struct collector_pop3 **p_r, const char **error_r)
{
	struct pb_conn *conn;
	const char *error;

	if (pb_conn_open(host, port, timeout_ms, &conn, &error) < 0)
		return fail(error_r, "cannot connect", error);
	struct collector_pop3 *p = xcalloc(1, sizeof(*p));
	p->conn = conn;
	p->timeout_ms = timeout_ms;
	p->line = xmalloc(COLLECTOR_POP3_LINE + 2); /* + the CRLF put back */
	if (tls->mode != COLLECTOR_TLS_NONE && tls->ctx == NULL) {
		collector_pop3_close(&p, false);
		return fail(error_r, "TLS", "no client context");
	}
	if (greet(p, tls, host, error_r) < 0) {
		collector_pop3_close(&p, false);
		return -1;
	}
	*p_r = p;
	return 0;
}

void collector_pop3_close(struct collector_pop3 **p, bool quit)
{
	const char *error;

	if (*p == NULL)
		return;
	if (quit && send_line(*p, "QUIT") == 0)
		read_status(*p, "QUIT", &error);
	pb_conn_close(&(*p)->conn);
	free((*p)->line);
	free(*p);
	*p = NULL;
}

/* Hex of an MD5 or HMAC-MD5 digest into hex (33 bytes). */
static void hex16(const unsigned char *d, char *hex)
{
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static int login_apop(struct collector_pop3 *p, const char *user, const char *password,
		      const char **error_r)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char hex[33];

	if (p->apop_ts[0] == '\0')
		return fail(error_r, "APOP", "the server offers no APOP timestamp");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	EVP_DigestUpdate(ctx, p->apop_ts, strlen(p->apop_ts));
	EVP_DigestUpdate(ctx, password, strlen(password));
	EVP_DigestFinal_ex(ctx, d, &dlen);
	EVP_MD_CTX_free(ctx);
	hex16(d, hex);
	if (send_line(p, "APOP %s %s", user, hex) < 0)
		return fail(error_r, "APOP", "cannot send");
	return read_status(p, "APOP", error_r);
}

/* Base64 of len bytes into an xmalloc'd string. */
static char *b64(const void *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static int login_plain(struct collector_pop3 *p, const char *user, const char *password,
		       const char **error_r)
{
	size_t ul = strlen(user), pl = strlen(password);
	char *raw = xmalloc(ul + pl + 2);

	raw[0] = '\0';
	memcpy(raw + 1, user, ul);
	raw[1 + ul] = '\0';
	memcpy(raw + 2 + ul, password, pl);
	char *enc = b64(raw, ul + pl + 2);
	explicit_bzero(raw, ul + pl + 2);
	free(raw);
	int rc = command(p, "AUTH PLAIN", error_r, "AUTH PLAIN", enc);
	explicit_bzero(enc, strlen(enc));
	free(enc);
	return rc;
}

static int login_cram(struct collector_pop3 *p, const char *user, const char *password,
		      const char **error_r)
{
	unsigned char chal[1024], d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char hex[33], resp[600];

	if (send_line(p, "AUTH CRAM-MD5") < 0 || read_line(p, error_r) < 0)
		return fail(error_r, "AUTH CRAM-MD5", "no answer");
	if (strncmp(p->line, "+ ", 2) != 0)
		return fail(error_r, "AUTH CRAM-MD5", p->line);
	size_t in = strlen(p->line + 2);
	if (in > 4 * (sizeof(chal) / 3) - 4)
		return fail(error_r, "AUTH CRAM-MD5", "challenge too long");
	int n = EVP_DecodeBlock(chal, (const unsigned char *)p->line + 2, (int)in);
	if (n < 0)
		return fail(error_r, "AUTH CRAM-MD5", "bad challenge");
	while (n > 0 && in > 0 && p->line[2 + in - 1] == '=' && in--)
		n--; /* EVP_DecodeBlock counts the padding */
	HMAC(EVP_md5(), password, (int)strlen(password), chal, (size_t)n, d, &dlen);
	hex16(d, hex);
	snprintf(resp, sizeof(resp), "%s %s", user, hex);
	char *enc = b64(resp, strlen(resp));
	int rc = command(p, "AUTH CRAM-MD5", error_r, enc, NULL);
	free(enc);
	return rc;
}

int collector_pop3_login(struct collector_pop3 *p, uint8_t auth, const char *user,
			 const char *password, const char **error_r)
{
	switch (auth) {
	case COLLECTOR_AUTH_APOP:
		return login_apop(p, user, password, error_r);
	case COLLECTOR_AUTH_PLAIN:
		return login_plain(p, user, password, error_r);
	case COLLECTOR_AUTH_CRAM_MD5:
		return login_cram(p, user, password, error_r);
	default:
		if (command(p, "USER", error_r, "USER", user) < 0)
			return -1;
		return command(p, "PASS", error_r, "PASS", password);
	}
}

/* Reads a multi-line answer's lines until ".", calling cb on each (unstuffed, no CRLF); cb
 * returning -1 (too many lines) stops the read: -1, the rest of the answer is not read. */
static int read_multi(struct collector_pop3 *p, int (*cb)(const char *line, void *ctx),
		      void *ctx, const char **error_r)
{
	for (;;) {
		if (read_line(p, error_r) < 0)
			return -1;
		if (strcmp(p->line, ".") == 0)
			return 0;
		if (cb(p->line[0] == '.' ? p->line + 1 : p->line, ctx) < 0) {
			snprintf(pop3_error, sizeof(pop3_error),
				 "POP3 scan: the server lists more than %u messages",
				 COLLECTOR_POP3_SCAN_MAX);
			*error_r = pop3_error;
			return -1;
		}
	}
}

struct scan_ctx {
	struct collector_pop3_msg *v;
	size_t n, cap;
	size_t lines;     /* of the answer being read: at most COLLECTOR_POP3_SCAN_MAX */
	uint32_t *order;  /* for LIST: indexes of v by ascending num (NULL: v strictly ascends) */
	bool sizes;
};

static uint32_t scan_num(const struct scan_ctx *c, size_t k)
{
	return c->v[c->order != NULL ? c->order[k] : k].num;
}

static int order_cmp(const void *a, const void *b, void *ctx)
{
	const struct collector_pop3_msg *v = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (v[x].num != v[y].num)
		return v[x].num < v[y].num ? -1 : 1;
	return x < y ? -1 : x > y; /* the first of equal numbers first, as a linear search finds */
}

/* Before LIST: the numbers of the UIDL answer made searchable (usually already ascending). */
static void scan_index(struct scan_ctx *c)
{
	for (size_t i = 1; i < c->n; i++) {
		if (c->v[i - 1].num < c->v[i].num)
			continue;
		c->order = xmalloc(sizeof(*c->order) * c->n);
		for (size_t k = 0; k < c->n; k++)
			c->order[k] = (uint32_t)k;
		qsort_r(c->order, c->n, sizeof(*c->order), order_cmp, c->v);
		return;
	}
}

/* The first message numbered num: entry num - 1 when the numbers are 1..N (RFC 1939), else
 * a binary search. */
static struct collector_pop3_msg *scan_find(struct scan_ctx *c, uint32_t num)
{
	if (c->order == NULL && num - 1 < c->n && c->v[num - 1].num == num)
		return &c->v[num - 1];
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (scan_num(c, mid) < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n || scan_num(c, lo) != num)
		return NULL;
	return &c->v[c->order != NULL ? c->order[lo] : lo];
}

static int scan_line(const char *line, void *ctx)
{
	struct scan_ctx *c = ctx;
	char word[128];
	unsigned long long a;

	if (++c->lines > COLLECTOR_POP3_SCAN_MAX)
		return -1;
	if (sscanf(line, "%llu %127s", &a, word) != 2 || a == 0 || a > UINT32_MAX)
		return 0;
	if (c->sizes) {
		struct collector_pop3_msg *m = scan_find(c, (uint32_t)a);
		if (m != NULL)
			m->size = strtoull(word, NULL, 10);
		return 0;
	}
	if (!pb_collector_uidl_valid(word))
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 64 : 2 * c->cap;
		c->v = xrealloc(c->v, sizeof(*c->v) * c->cap);
	}
	c->v[c->n] = (struct collector_pop3_msg){ .num = (uint32_t)a };
	memcpy(c->v[c->n].uidl, word, strlen(word) + 1); /* valid: at most the UIDL max */
	c->n++;
	return 0;
}

int collector_pop3_scan(struct collector_pop3 *p, struct collector_pop3_msg **msgs_r,
			size_t *n_r, const char **error_r)
{
	struct scan_ctx c = { 0 };

	if (command(p, "UIDL", error_r, "UIDL", NULL) < 0 ||
	    read_multi(p, scan_line, &c, error_r) < 0)
		goto failed;
	c.sizes = true;
	c.lines = 0;
	scan_index(&c);
	if (command(p, "LIST", error_r, "LIST", NULL) < 0 ||
	    read_multi(p, scan_line, &c, error_r) < 0)
		goto failed;
	free(c.order);
	*msgs_r = c.v;
	*n_r = c.n;
	return 0;
failed:
	free(c.order);
	free(c.v);
	return -1;
}

int collector_pop3_fetch(struct collector_pop3 *p, uint32_t num, int top_lines,
			 int (*cb)(const char *line, size_t len, void *ctx), void *ctx,
			 const char **error_r)
{
	char cmd[64];
	bool stopped = false;

	if (top_lines < 0)
		snprintf(cmd, sizeof(cmd), "RETR %u", num);
	else
		snprintf(cmd, sizeof(cmd), "TOP %u %d", num, top_lines);
	if (command(p, "RETR", error_r, cmd, NULL) < 0)
		return -1;
	for (;;) {
		if (read_line(p, error_r) < 0)
			return -1;
		if (strcmp(p->line, ".") == 0)
			return stopped ? fail(error_r, "stopped", NULL) : 0;
		if (stopped)
			continue;
		char *l = p->line[0] == '.' ? p->line + 1 : p->line;
		size_t len = strlen(l);
		memcpy(l + len, "\r\n", 3); /* room: the line lost its CRLF or its dot */
		if (cb(l, len + 2, ctx) < 0)
			stopped = true;
	}
}

int collector_pop3_dele(struct collector_pop3 *p, uint32_t num, const char **error_r)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "DELE %u", num);
	return command(p, "DELE", error_r, cmd, NULL);
}
