/*
 * imap-collect-client.c: the IMAP collector's client (see imap-collect-client.h).
 * OWNS: struct imapc. THREAD: the one that opened it.
 *
 * How a response is read: its lines are gathered into c->text with each literal replaced
 * (read_response): the literal that follows "BODY[] " goes piece by piece to the fetch's
 * body callback and leaves "{}" in the text; any other (a folder name) is put in as a quoted
 * string. The handlers then parse plain text, and a message is never whole in memory.
 */
#include "imap-collect-client.h"
#include "collector-def.h"

#include "pb-alloc.h"
#include "pb-buf.h"
#include "pb-conn.h"
#include "store-mail.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct imapc {
	struct pb_conn *conn;
	uint32_t timeout_ms;
	uint32_t tag;
	char tag_text[16];
	bool sasl_ir, idle;
	char *line;          /* IMAPC_LINE + 1 bytes */
	struct pb_buf text;  /* the response being read, literals replaced, NUL-terminated */
};

/* A response handler: called for each untagged response (its text, NUL-terminated). */
typedef int (*untagged_fn)(struct imapc *c, const char *text, void *ctx);

static _Thread_local char imapc_error[512];

static int fail(const char **error_r, const char *what, const char *detail)
{
	snprintf(imapc_error, sizeof(imapc_error), "%s%s%.400s", what, detail != NULL ? ": " : "",
		 detail != NULL ? detail : "");
	*error_r = imapc_error;
	return -1;
}

/* Sends a tagged command (the tag put before fmt, CRLF after). Never logged. 0 / -1. */
static int send_cmd(struct imapc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int send_cmd(struct imapc *c, const char *fmt, ...)
{
	char buf[2048];
	const char *error;
	va_list ap;

	snprintf(c->tag_text, sizeof(c->tag_text), "a%u", ++c->tag);
	int t = snprintf(buf, sizeof(buf), "%s ", c->tag_text);
	va_start(ap, fmt);
	int n = vsnprintf(buf + t, sizeof(buf) - (size_t)t - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)(t + n) >= sizeof(buf) - 2)
		return -1;
	memcpy(buf + t + n, "\r\n", 2);
	int rc = pb_conn_write(c->conn, buf, (size_t)(t + n) + 2, c->timeout_ms, &error);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int send_raw(struct imapc *c, const char *text)
{
	const char *error;
	return pb_conn_write(c->conn, text, strlen(text), c->timeout_ms, &error);
}

/* The literal size a line ends with ("{123}" or "{123+}"): 1 with *n_r and *at_r (where the
 * "{" is), 0 none. */
static int literal_at_end(const char *line, size_t len, uint64_t *n_r, size_t *at_r)
{
	if (len < 3 || line[len - 1] != '}')
		return 0;
	size_t i = len - 1;
	if (line[i - 1] == '+')
		i--;
	size_t end = i;
	while (i > 0 && isdigit((unsigned char)line[i - 1]))
		i--;
	if (i == 0 || i == end || line[i - 1] != '{' || end - i > 18)
		return 0;
	*n_r = strtoull(line + i, NULL, 10);
	*at_r = i - 1;
	return 1;
}

/* Reads n literal bytes, each piece to cb (NULL or after a failure: dropped; else into
 * keep when not NULL). 0 / -1 (I/O). *cb_failed_r set when cb returned -1. */
static int read_literal(struct imapc *c, uint64_t n, const struct imapc_fetch_cb *cb,
			struct pb_buf *keep, bool *cb_failed_r, const char **error_r)
{
	char piece[IMAPC_PIECE];
	const char *error;

	while (n > 0) {
		size_t got;
		size_t want = n < sizeof(piece) ? (size_t)n : sizeof(piece);
		if (pb_conn_read(c->conn, piece, want, c->timeout_ms, &got, &error) < 0)
			return fail(error_r, "IMAP server", error);
		n -= got;
		if (keep != NULL)
			pb_buf_append(keep, piece, got);
		else if (cb != NULL && !*cb_failed_r && cb->body(piece, got, cb->ctx) < 0)
			*cb_failed_r = true;
	}
	return 0;
}

/* Appends a small literal to the text as a quoted string. */
static void append_quoted(struct pb_buf *text, const struct pb_buf *lit)
{
	pb_buf_append_c(text, '"');
	for (size_t i = 0; i < lit->len; i++) {
		char ch = lit->data[i];
		if (ch == '"' || ch == '\\')
			pb_buf_append_c(text, '\\');
		if (ch != '\r' && ch != '\n')
			pb_buf_append_c(text, ch);
	}
	pb_buf_append_c(text, '"');
}

/* One literal met at the end of a line (the text holds the line up to its "{"). */
static int take_literal(struct imapc *c, uint64_t n, const struct imapc_fetch_cb *cb,
			bool *cb_failed_r, const char **error_r)
{
	struct pb_buf lit;
	bool body = c->text.len >= 7 && memcmp(c->text.data + c->text.len - 7, "BODY[] ", 7) == 0;

	if (body) {
		pb_buf_append_str(&c->text, "{}");
		return read_literal(c, n, cb, NULL, cb_failed_r, error_r);
	}
	if (n > IMAPC_LINE) {
		pb_buf_append_str(&c->text, "NIL");
		return read_literal(c, n, NULL, NULL, cb_failed_r, error_r);
	}
	pb_buf_init(&lit);
	int rc = read_literal(c, n, NULL, &lit, cb_failed_r, error_r);
	append_quoted(&c->text, &lit);
	pb_buf_deinit(&lit);
	return rc;
}

/* Reads one whole response into c->text. 0 / -1 (I/O, or a response over the line bound). */
static int read_response(struct imapc *c, const struct imapc_fetch_cb *cb, bool *cb_failed_r,
			 const char **error_r)
{
	const char *error;
	uint64_t n;
	size_t at;

	pb_buf_reset(&c->text);
	for (;;) {
		if (pb_conn_read_line(c->conn, c->line, IMAPC_LINE + 1, c->timeout_ms, &error) < 0)
			return fail(error_r, "IMAP server", error);
		size_t len = strlen(c->line);
		if (c->text.len + len > IMAPC_LINE)
			return fail(error_r, "IMAP server", "response too long");
		if (!literal_at_end(c->line, len, &n, &at)) {
			pb_buf_append(&c->text, c->line, len);
			pb_buf_append_c(&c->text, '\0');
			c->text.len--;
			return 0;
		}
		pb_buf_append(&c->text, c->line, at);
		if (take_literal(c, n, cb, cb_failed_r, error_r) < 0)
			return -1;
	}
}

/* Reads responses until the tagged one: untagged ones go to fn (may be NULL); a
 * continuation request ("+") goes to fn as well. 0 OK, -1 NO/BAD (the text) or I/O. */
static int finish_cmd(struct imapc *c, const char *what, untagged_fn fn, void *ctx,
		      const struct imapc_fetch_cb *cb, const char **error_r)
{
	size_t tl = strlen(c->tag_text);
	bool cb_failed = false;
	int hrc = 0;

	for (;;) { /* once a handler failed, the rest of the bodies are read and dropped */
		if (read_response(c, hrc == 0 ? cb : NULL, &cb_failed, error_r) < 0)
			return -1;
		const char *t = c->text.data;
		if (strncmp(t, c->tag_text, tl) == 0 && t[tl] == ' ') {
			if (strncasecmp(t + tl + 1, "OK", 2) != 0)
				return fail(error_r, what, t + tl + 1);
			if (cb_failed || hrc < 0)
				return fail(error_r, what, "stopped");
			return 0;
		}
		if (fn != NULL && hrc == 0 && !cb_failed && fn(c, t, ctx) < 0)
			hrc = -1;
	}
}

static int command_done(struct imapc *c, const char *what, untagged_fn fn, void *ctx,
			const char **error_r)
{
	return finish_cmd(c, what, fn, ctx, NULL, error_r);
}

/* Notes the capabilities of a CAPABILITY response or response code. */
static void capabilities(struct imapc *c, const char *text)
{
	if (strstr(text, "CAPABILITY") == NULL)
		return;
	c->sasl_ir = strstr(text, " SASL-IR") != NULL;
	c->idle = strstr(text, " IDLE") != NULL;
}

static int on_capability(struct imapc *c, const char *text, void *ctx)
{
	capabilities(c, text);
	return 0;
}

static int starttls(struct imapc *c, struct pb_tls_ctx *ctx, const char *host,
		    const char **error_r)
{
	const char *error;

	if (send_cmd(c, "STARTTLS") < 0 || command_done(c, "STARTTLS", NULL, NULL, error_r) < 0)
		return fail(error_r, "STARTTLS refused", NULL);
	if (pb_conn_starttls(c->conn, ctx, host, c->timeout_ms, &error) < 0)
		return fail(error_r, "TLS handshake", error);
	return 0;
}

/* Greeting (TLS before it with ssl, STARTTLS after it with stls), then CAPABILITY. */
static int greet(struct imapc *c, uint8_t mode, struct pb_tls_ctx *ctx, const char *host,
		 const char **error_r)
{
	const char *error;
	bool dummy = false;

	if (mode == COLLECTOR_TLS_SSL && pb_conn_starttls(c->conn, ctx, host, c->timeout_ms,
							  &error) < 0)
		return fail(error_r, "TLS handshake", error);
	if (read_response(c, NULL, &dummy, error_r) < 0)
		return -1;
	if (strncasecmp(c->text.data, "* OK", 4) != 0 &&
	    strncasecmp(c->text.data, "* PREAUTH", 9) != 0)
		return fail(error_r, "greeting", c->text.data);
	if (mode == COLLECTOR_TLS_STLS && starttls(c, ctx, host, error_r) < 0)
		return -1;
	if (send_cmd(c, "CAPABILITY") < 0)
		return fail(error_r, "CAPABILITY", "cannot send");
	return command_done(c, "CAPABILITY", on_capability, NULL, error_r);
}

int imapc_open(const char *host, uint16_t port, uint8_t tls_mode, struct pb_tls_ctx *ctx,
	       uint32_t timeout_ms, struct imapc **c_r, const char **error_r)
{
	struct pb_conn *conn;
	const char *error;

	if (tls_mode != COLLECTOR_TLS_NONE && ctx == NULL)
		return fail(error_r, "TLS", "no client context");
	if (pb_conn_open(host, port, timeout_ms, &conn, &error) < 0)
		return fail(error_r, "cannot connect", error);
	struct imapc *c = xcalloc(1, sizeof(*c));
	c->conn = conn;
	c->timeout_ms = timeout_ms;
	c->line = xmalloc(IMAPC_LINE + 1);
	pb_buf_init(&c->text);
	if (greet(c, tls_mode, ctx, host, error_r) < 0) {
		imapc_close(&c, false);
		return -1;
	}
	*c_r = c;
	return 0;
}

void imapc_close(struct imapc **c, bool logout)
{
	const char *error;

	if (*c == NULL)
		return;
	if (logout && send_cmd(*c, "LOGOUT") == 0)
		command_done(*c, "LOGOUT", NULL, NULL, &error);
	pb_conn_close(&(*c)->conn);
	pb_buf_deinit(&(*c)->text);
	free((*c)->line);
	free(*c);
	*c = NULL;
}

/* A quoted string of s into out (size bytes): 0, -1 (too long or CR/LF in it). */
static int quote(const char *s, char *out, size_t size)
{
	size_t o = 0;

	out[o++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '\r' || *s == '\n' || o + 4 >= size)
			return -1;
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

static int login_plain(struct imapc *c, const char *user, const char *password,
		       const char **error_r)
{
	size_t ul = strlen(user), pl = strlen(password);
	char *raw = xmalloc(ul + pl + 2);
	char *b64 = xmalloc(4 * ((ul + pl + 4) / 3) + 4);
	const char *error;
	int rc;

	raw[0] = '\0';
	memcpy(raw + 1, user, ul);
	raw[ul + 1] = '\0';
	memcpy(raw + ul + 2, password, pl);
	EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)raw, (int)(ul + pl + 2));
	if (c->sasl_ir) {
		rc = send_cmd(c, "AUTHENTICATE PLAIN %s", b64);
	} else {
		rc = send_cmd(c, "AUTHENTICATE PLAIN");
		bool dummy = false;
		if (rc == 0 && read_response(c, NULL, &dummy, &error) == 0 && c->text.data[0] == '+')
			rc = send_raw(c, b64) < 0 || send_raw(c, "\r\n") < 0 ? -1 : 0;
	}
	explicit_bzero(raw, ul + pl + 2);
	explicit_bzero(b64, strlen(b64));
	free(raw);
	free(b64);
	if (rc < 0)
		return fail(error_r, "AUTHENTICATE", "cannot send");
	return command_done(c, "AUTHENTICATE PLAIN", on_capability, NULL, error_r);
}

int imapc_login(struct imapc *c, bool plain, const char *user, const char *password,
		const char **error_r)
{
	char qu[512], qp[512];

	if (plain)
		return login_plain(c, user, password, error_r);
	if (quote(user, qu, sizeof(qu)) < 0 || quote(password, qp, sizeof(qp)) < 0)
		return fail(error_r, "LOGIN", "the user or password cannot be quoted");
	int rc = send_cmd(c, "LOGIN %s %s", qu, qp);
	explicit_bzero(qp, sizeof(qp));
	if (rc < 0)
		return fail(error_r, "LOGIN", "cannot send");
	return command_done(c, "LOGIN", on_capability, NULL, error_r);
}

/* ---- parsing of response text ---- */

/* An astring at *p (quoted, or an atom up to a space or ')') into out: 0, -1. *p moved on. */
static int astring(const char **p, char *out, size_t size)
{
	const char *s = *p;
	size_t o = 0;

	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\0' || o + 1 >= size)
				return -1;
			if (*s == '\\' && s[1] != '\0')
				s++;
			out[o++] = *s;
		}
		s++;
	} else {
		for (; *s != '\0' && *s != ' ' && *s != ')'; s++) {
			if (o + 1 >= size)
				return -1;
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	*p = s;
	return o > 0 || s[-1] == '"' ? 0 : -1;
}

/* The end of the parenthesised list starting at p ('('): just past its ')', or NULL. */
static const char *list_end(const char *p)
{
	int depth = 0;
	for (; *p != '\0'; p++) {
		if (*p == '"') {
			for (p++; *p != '"' && *p != '\0'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '\0')
				return NULL;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')' && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

uint8_t imapc_special_use(const char *attrs, size_t len)
{
	static const struct { const char *name; uint8_t use; } uses[] = {
		{ "\\Sent", PB_SPECIAL_SENT },	 { "\\Drafts", PB_SPECIAL_DRAFTS },
		{ "\\Trash", PB_SPECIAL_TRASH }, { "\\Junk", PB_SPECIAL_JUNK },
		{ "\\Archive", PB_SPECIAL_ARCHIVE },
	};
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		size_t n = strlen(uses[i].name);
		for (const char *p = attrs; p + n <= attrs + len; p++)
			if (strncasecmp(p, uses[i].name, n) == 0 &&
			    (p + n == attrs + len || p[n] == ' ' || p[n] == ')'))
				return uses[i].use;
	}
	return PB_SPECIAL_NONE;
}

struct list_ctx {
	struct imapc_folder *v;
	size_t n;
};

/* "* LIST (attrs) delim name". Malformed ones are skipped (remote input is never fatal). */
static int on_list(struct imapc *c, const char *text, void *ctx)
{
	struct list_ctx *l = ctx;
	char delim[8], name[IMAPC_LINE / 16];

	if (strncasecmp(text, "* LIST (", 8) != 0)
		return 0;
	const char *attrs = text + 7, *p = list_end(attrs);
	if (p == NULL || *p != ' ')
		return 0;
	size_t alen = (size_t)(p - attrs);
	p++;
	if (astring(&p, delim, sizeof(delim)) < 0 || *p != ' ')
		return 0;
	p++;
	if (astring(&p, name, sizeof(name)) < 0 || name[0] == '\0')
		return 0;
	l->v = xrealloc(l->v, sizeof(*l->v) * (l->n + 1));
	struct imapc_folder *f = &l->v[l->n++];
	f->name = xstrdup(name);
	f->delim = strcasecmp(delim, "NIL") == 0 ? '\0' : delim[0];
	f->special = imapc_special_use(attrs, alen);
	f->noselect = strcasestr(attrs, "\\Noselect") != NULL ||
		      strcasestr(attrs, "\\NonExistent") != NULL;
	return 0;
}

void imapc_folders_free(struct imapc_folder *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int imapc_list(struct imapc *c, struct imapc_folder **v_r, size_t *n_r, const char **error_r)
{
	struct list_ctx l = { 0 };

	if (send_cmd(c, "LIST \"\" \"*\"") < 0)
		return fail(error_r, "LIST", "cannot send");
	if (command_done(c, "LIST", on_list, &l, error_r) < 0) {
		imapc_folders_free(l.v, l.n);
		return -1;
	}
	*v_r = l.v;
	*n_r = l.n;
	return 0;
}

static int on_examine(struct imapc *c, const char *text, void *ctx)
{
	struct imapc_selected *s = ctx;
	const char *p;

	if ((p = strcasestr(text, "[UIDVALIDITY ")) != NULL)
		s->uidvalidity = (uint32_t)strtoul(p + 13, NULL, 10);
	else if ((p = strcasestr(text, "[UIDNEXT ")) != NULL)
		s->uidnext = (uint32_t)strtoul(p + 9, NULL, 10);
	else if (text[0] == '*' && (p = strcasestr(text, " EXISTS")) != NULL && p[7] == '\0')
		s->exists = (uint32_t)strtoul(text + 2, NULL, 10);
	return 0;
}

int imapc_examine(struct imapc *c, const char *name, struct imapc_selected *out_r,
		  const char **error_r)
{
	char q[IMAPC_LINE / 32];

	memset(out_r, 0, sizeof(*out_r));
	if (quote(name, q, sizeof(q)) < 0 || send_cmd(c, "EXAMINE %s", q) < 0)
		return fail(error_r, "EXAMINE", "cannot send");
	if (command_done(c, "EXAMINE", on_examine, out_r, error_r) < 0)
		return -1;
	if (out_r->uidvalidity == 0)
		return fail(error_r, "EXAMINE", "the server gave no UIDVALIDITY");
	return 0;
}

/* ---- FETCH ---- */

int imapc_parse_date(const char *s, int64_t *ms_r)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4];
	int d, y, hh, mm, ss, zone;
	struct tm tm = { 0 };

	if (sscanf(s, "%2d-%3[A-Za-z]-%4d %2d:%2d:%2d %5d", &d, mon, &y, &hh, &mm, &ss, &zone) != 7)
		return -1;
	const char *m = strstr(months, mon);
	if (m == NULL || (m - months) % 3 != 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	tm.tm_mday = d;
	tm.tm_mon = (int)((m - months) / 3);
	tm.tm_year = y - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	int sign = zone < 0 ? -1 : 1;
	int az = zone * sign;
	int64_t t = (int64_t)timegm(&tm) - sign * ((az / 100) * 3600 + (az % 100) * 60);
	*ms_r = t * 1000;
	return 0;
}

void imapc_parse_flags(const char *s, size_t len, uint32_t *flags_r, char *keywords,
		       size_t size)
{
	static const struct { const char *name; uint32_t bit; } sys[] = {
		{ "\\Seen", PB_MSG_SEEN },	 { "\\Answered", PB_MSG_ANSWERED },
		{ "\\Flagged", PB_MSG_FLAGGED }, { "\\Deleted", PB_MSG_DELETED },
		{ "\\Draft", PB_MSG_DRAFT },
	};
	size_t ko = 0;

	*flags_r = 0;
	keywords[0] = '\0';
	for (size_t i = 0; i < len;) {
		while (i < len && (s[i] == ' ' || s[i] == '(' || s[i] == ')'))
			i++;
		size_t st = i;
		while (i < len && s[i] != ' ' && s[i] != ')')
			i++;
		size_t n = i - st;
		if (n == 0)
			continue;
		if (s[st] != '\\') {
			if (ko + n + 2 <= size) {
				ko += (size_t)snprintf(keywords + ko, size - ko, "%s%.*s",
						       ko > 0 ? " " : "", (int)n, s + st);
			}
			continue;
		}
		for (size_t k = 0; k < sizeof(sys) / sizeof(sys[0]); k++)
			if (strlen(sys[k].name) == n && strncasecmp(sys[k].name, s + st, n) == 0)
				*flags_r |= sys[k].bit;
	}
}

/* One item of a FETCH response's list at *p ("NAME value"): fills meta. 0, -1 malformed. */
static int fetch_item(const char **p, struct imapc_meta *m)
{
	const char *s = *p, *v = strchr(s, ' ');
	char date[64];

	if (v == NULL)
		return -1;
	size_t nlen = (size_t)(v - s);
	v++;
	if (nlen == 5 && strncasecmp(s, "FLAGS", 5) == 0) {
		const char *e = *v == '(' ? list_end(v) : NULL;
		if (e == NULL)
			return -1;
		imapc_parse_flags(v, (size_t)(e - v), &m->flags, m->keywords, sizeof(m->keywords));
		*p = e;
		return 0;
	}
	if (nlen == 12 && strncasecmp(s, "INTERNALDATE", 12) == 0) {
		if (astring(&v, date, sizeof(date)) < 0 ||
		    imapc_parse_date(date, &m->internal_date_ms) < 0)
			m->internal_date_ms = -1;
		*p = v;
		return 0;
	}
	if (nlen == 3 && strncasecmp(s, "UID", 3) == 0)
		m->uid = (uint32_t)strtoul(v, NULL, 10);
	else if (nlen == 11 && strncasecmp(s, "RFC822.SIZE", 11) == 0)
		m->size = strtoull(v, NULL, 10);
	while (*v != '\0' && *v != ' ' && *v != ')') /* a number, an atom or "{}" */
		v++;
	*p = v;
	return 0;
}

/* Parses "* N FETCH (items)" into m: 1 a FETCH, 0 another response, -1 malformed. */
static int parse_fetch(const char *text, struct imapc_meta *m)
{
	const char *p = strcasestr(text, " FETCH (");

	if (text[0] != '*' || p == NULL)
		return 0;
	memset(m, 0, sizeof(*m));
	m->internal_date_ms = -1;
	for (p += 8; *p != ')' && *p != '\0';) {
		if (fetch_item(&p, m) < 0)
			return -1;
		while (*p == ' ')
			p++;
	}
	return m->uid != 0 ? 1 : -1;
}

struct fetch_ctx {
	const struct imapc_fetch_cb *cb;
};

static int on_fetch(struct imapc *c, const char *text, void *ctx)
{
	struct fetch_ctx *f = ctx;
	struct imapc_meta m;

	int rc = parse_fetch(text, &m);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return -1;
	if (strstr(text, "BODY[] ") == NULL)
		return 0; /* unsolicited (another client's flag change): no body came for it */
	return f->cb->end(&m, f->cb->ctx);
}

int imapc_fetch(struct imapc *c, uint32_t first, uint32_t last, const struct imapc_fetch_cb *cb,
		const char **error_r)
{
	struct fetch_ctx f = { cb };
	char range[32];
	int rc;

	if (last == 0)
		snprintf(range, sizeof(range), "%u:*", first);
	else
		snprintf(range, sizeof(range), "%u:%u", first, last);
	if (send_cmd(c, "UID FETCH %s (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])",
		     range) < 0)
		return fail(error_r, "UID FETCH", "cannot send");
	rc = finish_cmd(c, "UID FETCH", on_fetch, &f, cb, error_r);
	return rc;
}

/* ---- IDLE ---- */

/* Reads what the server says while idling until new mail or the wait ends: 1, 0, -1. */
static int idle_wait(struct imapc *c, uint32_t wait_ms, bool (*stop)(void *ctx), void *ctx,
		     const char **error_r)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t end = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + wait_ms;
	bool dummy = false;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t left = end - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		if (left <= 0 || (stop != NULL && stop(ctx)))
			return 0;
		int rc = pb_conn_poll(c->conn, left < 1000 ? (uint32_t)left : 1000, error_r);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (read_response(c, NULL, &dummy, error_r) < 0)
			return -1;
		const char *p = strcasestr(c->text.data, " EXISTS");
		if (c->text.data[0] == '*' && p != NULL && p[7] == '\0')
			return 1;
		if (strncasecmp(c->text.data, "* BYE", 5) == 0)
			return fail(error_r, "IDLE", c->text.data);
	}
}

int imapc_idle(struct imapc *c, uint32_t wait_ms, bool (*stop)(void *ctx), void *ctx,
	       const char **error_r)
{
	bool dummy = false, news = false;

	if (!c->idle)
		return fail(error_r, "IDLE", "the server does not offer IDLE");
	if (send_cmd(c, "IDLE") < 0)
		return fail(error_r, "IDLE", "cannot send");
	do { /* untagged responses may come before the go-ahead */
		if (read_response(c, NULL, &dummy, error_r) < 0)
			return -1;
		if (strncmp(c->text.data, c->tag_text, strlen(c->tag_text)) == 0)
			return fail(error_r, "IDLE", c->text.data);
		news = news || (c->text.data[0] == '*' && strcasestr(c->text.data, " EXISTS"));
	} while (c->text.data[0] != '+');
	int rc = news ? 1 : idle_wait(c, wait_ms, stop, ctx, error_r);
	if (rc < 0)
		return -1;
	if (send_raw(c, "DONE\r\n") < 0)
		return fail(error_r, "IDLE", "cannot send DONE");
	if (command_done(c, "IDLE", NULL, NULL, error_r) < 0)
		return -1;
	return rc;
}
