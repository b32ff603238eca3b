/*
 * queue-smtp.c: one SMTP client transaction (see queue-smtp.h).
 * OWNS: the connection during the call. THREAD: a sender thread.
 *
 * Why every recipient gets a reply of its own: the queue writes each recipient's outcome down
 * before it tries it again, so an accepted recipient is never sent twice; a 4xx after the
 * content was sent (the connection lost before the final reply) is the one case RFC 5321 6.1
 * leaves as a possible duplicate.
 */
#include "queue-smtp.h"
#include "queue-downgrade.h"

#include "mime-edit.h"
#include "pb-log.h"

#include "pb-alloc.h"
#include "pb-buf.h"
#include "pb-conn.h"
#include "pb-runtime.h"
#include "store-bodies.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>

#define READ_CHUNK (64 * 1024)
/* A body up to this size is read from the store once, whole (the 8-bit check and the content
 * from memory); a bigger one twice, in READ_CHUNK pieces, to keep a sender's memory bounded. */
#define WHOLE_MAX (1024 * 1024)
#define LINE_MAX_CLIENT 1024

/* What the server's EHLO offered. */
struct caps {
	bool pipelining, eightbit, smtputf8, dsn, starttls, auth_plain, auth_login, size_ext;
	uint64_t max_size;
};

struct sess {
	const struct queue_smtp_tx *tx;
	struct pb_conn *c;
	struct caps x;
	bool done;                  /* the content's final reply was read: the connection is idle */
	struct pb_buf whole;        /* the body, when read whole (len 0: read by chunks) */
	uint64_t size;              /* the content's size as sent (SIZE=): converted, its new one */
	bool greeted;               /* the greeting, EHLO, STARTTLS and AUTH went through (or reused) */
	bool rset;                  /* a reused connection: RSET goes first, in the envelope's write */
	bool stale;                 /* that RSET failed: nothing was done, a new connection may be */
	int code;
	char text[LINE_MAX_CLIENT]; /* the reply's last line, code included */
	const char *error;
};

struct queue_smtp_cache {
	struct pb_conn *c;
	struct caps x;
	char key[600];              /* host, port, TLS mode, HELO name, AUTH user */
	uint64_t opened_ms;
	uint64_t reused;
};


/* Gives every recipient without a reply yet this one (text taken, freed). */
static void all(char **replies, size_t n, char *text)
{
	for (size_t i = 0; i < n; i++)
		if (replies[i] == NULL)
			replies[i] = xstrdup(text);
	free(text);
}

static void note_ext(struct sess *s, const char *kw)
{
	if (strcasecmp(kw, "PIPELINING") == 0)
		s->x.pipelining = true;
	else if (strcasecmp(kw, "8BITMIME") == 0)
		s->x.eightbit = true;
	else if (strcasecmp(kw, "SMTPUTF8") == 0)
		s->x.smtputf8 = true;
	else if (strcasecmp(kw, "DSN") == 0)
		s->x.dsn = true;
	else if (strcasecmp(kw, "STARTTLS") == 0)
		s->x.starttls = true;
	else if (strncasecmp(kw, "AUTH ", 5) == 0 || strncasecmp(kw, "AUTH=", 5) == 0) {
		for (const char *p = kw + 5; *p != '\0';) {
			size_t n = strcspn(p, " ");
			s->x.auth_plain |= n == 5 && strncasecmp(p, "PLAIN", 5) == 0;
			s->x.auth_login |= n == 5 && strncasecmp(p, "LOGIN", 5) == 0;
			p += n + strspn(p + n, " ");
		}
	}
	else if (strncasecmp(kw, "SIZE", 4) == 0 && (kw[4] == ' ' || kw[4] == '\0')) {
		s->x.size_ext = true;
		s->x.max_size = strtoull(kw + 4, NULL, 10);
	}
}

static uint64_t mono_ms(void)
{
	return pb_clock_monotonic_ms(NULL);
}

/* Reads one reply (all its lines) into s->code and s->text; ehlo: its lines are extensions.
 * 0, or -1 (the connection failed: s->error). A malformed reply counts as a 451. The whole
 * reply must come within timeout_ms, not each line: a server streaming "250-" lines without
 * end would otherwise hold the sender (and every next hop queued on it) for ever. */
static int read_reply(struct sess *s, uint32_t timeout_ms, bool ehlo)
{
	char line[LINE_MAX_CLIENT];
	uint64_t deadline = mono_ms() + timeout_ms;

	for (bool first = true;; first = false) {
		uint64_t now = mono_ms();
		if (now >= deadline) {
			s->error = "timed out";
			return -1;
		}
		if (pb_conn_read_line(s->c, line, sizeof(line), (uint32_t)(deadline - now),
				      &s->error) < 0)
			return -1;
		bool ok = strlen(line) >= 3 && line[0] >= '2' && line[0] <= '5' &&
			  line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9' &&
			  (line[3] == '\0' || line[3] == ' ' || line[3] == '-');
		if (!ok) {
			s->code = 451;
			snprintf(s->text, sizeof(s->text), "451 4.5.0 malformed reply from the server");
			return 0;
		}
		if (ehlo && !first)
			note_ext(s, line + 4);
		if (line[3] != '-') {
			s->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
			/* remote text reaches logs, DSNs and the admin's terminal: no control bytes */
			for (char *p = line; *p != '\0'; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = '?';
			snprintf(s->text, sizeof(s->text), "%s", line);
			return 0;
		}
	}
}

static int send_cmd(struct sess *s, const char *line)
{
	return pb_conn_write(s->c, line, strlen(line), s->tx->command_timeout_ms, &s->error);
}

/* A reply as the recipient's outcome; the server's own text, a connection failure as 4xx. */
static char *outcome(struct sess *s)
{
	return xasprintf("%s (from %s)", s->text, s->tx->host);
}

static bool has_8bit_addr(const struct queue_smtp_tx *tx)
{
	for (const char *p = tx->sender; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return true;
	for (size_t i = 0; i < tx->n_rcpts; i++)
		for (const char *p = tx->rcpts[i]; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				return true;
	return false;
}

/* The body's bytes from off: *data_r (in s->whole, or read into buf), *n_r of them, and the
 * body's size. 0, -1 (the store: s->error). */
static int body_at(struct sess *s, uint64_t off, char *buf, const char **data_r, size_t *n_r,
		   uint64_t *size_r)
{
	if (s->whole.len > 0) {
		*size_r = s->whole.len;
		*n_r = off < s->whole.len ? s->whole.len - (size_t)off : 0;
		*data_r = (const char *)s->whole.data + off;
		return 0;
	}
	*data_r = buf;
	return pb_store_blob_read(s->tx->store, s->tx->blob_key, off, buf, READ_CHUNK, n_r, size_r,
				  &s->error) == 1 ? 0 : -1;
}

/* Whether data (n octets) has one over 127: a word at a time, no early exit (the compiler
 * vectorizes it; 8-bit content is the exception). */
static bool octets_8bit(const char *data, size_t n)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + sizeof(w) <= n; i += sizeof(w)) {
		memcpy(&w, data + i, sizeof(w));
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)data[i];
	return (acc & 0x8080808080808080ull) != 0;
}

/* Whether the body has an octet over 127: 1, 0, -1 (the store). */
static int body_8bit(struct sess *s, char *buf)
{
	uint64_t off = 0, size = 0;
	size_t n;
	const char *data;

	if (s->whole.len == 0 && s->tx->size <= WHOLE_MAX &&
	    pb_store_blob_get(s->tx->store, s->tx->blob_key, &s->whole, &s->error) != 1)
		return -1;
	do {
		if (body_at(s, off, buf, &data, &n, &size) < 0)
			return -1;
		if (octets_8bit(data, n))
			return 1;
		off += n;
	} while (n > 0 && off < size);
	return 0;
}

/* Where the next '.' that starts a line is in data[from, len) (bol: data[from] starts one),
 * or len: from newline to newline (memchr), not octet by octet. */
static size_t next_dot(const char *data, size_t len, size_t from, bool bol)
{
	for (;;) {
		if (bol && from < len && data[from] == '.')
			return from;
		const char *nl = from < len ? memchr(data + from, '\n', len - from) : NULL;
		if (nl == NULL)
			return len;
		from = (size_t)(nl - data) + 1;
		bol = true;
	}
}

/* Takes a piece of the stuffed content (p: borrowed, valid while the content is). */
typedef void stuff_put_fn(void *ctx, const char *p, size_t n);

/* Dot-stuffs data (len octets) into put, in pieces: spans of data, and "." before each line
 * that starts with one. *bol: whether data begins a line (updated). */
static void stuff_each(const char *data, size_t len, bool *bol, stuff_put_fn *put, void *ctx)
{
	static const char dot = '.';
	size_t from = 0, at;

	for (bool b = *bol; (at = next_dot(data, len, from, b)) < len; from = at, b = false) {
		if (at > from)
			put(ctx, data + from, at - from);
		put(ctx, &dot, 1);
	}
	if (len > from)
		put(ctx, data + from, len - from);
	if (len > 0)
		*bol = data[len - 1] == '\n';
}

static void put_buf(void *ctx, const char *p, size_t n)
{
	pb_buf_append(ctx, p, n);
}

void queue_smtp_stuff(const char *data, size_t len, bool *bol, struct pb_buf *out)
{
	stuff_each(data, len, bol, put_buf, out);
}

/* At most this many pieces wait for a writev: content with a dot on every line (2 pieces a
 * line) goes out in bounded steps instead of a piece list as long as the message. */
#define PIECES_MAX 1024

/* The pieces of the content not yet written (borrowed spans), for s's connection; rc: the
 * first write's failure (-1: nothing more is written). */
struct pieces {
	struct sess *s;
	struct iovec v[PIECES_MAX];
	size_t n;
	int rc;
};

/* Writes what waits. 0 / -1 (s->error). */
static int pieces_flush(struct pieces *v)
{
	if (v->rc == 0 && v->n > 0)
		v->rc = pb_conn_writev(v->s->c, v->v, v->n, v->s->tx->command_timeout_ms,
				       &v->s->error);
	v->n = 0;
	return v->rc;
}

static void put_piece(void *ctx, const char *p, size_t n)
{
	struct pieces *v = ctx;

	if (v->n == PIECES_MAX)
		(void)pieces_flush(v);
	v->v[v->n++] = (struct iovec){ .iov_base = (void *)p, .iov_len = n };
}

/* Sends the content, dot-stuffed, and the final dot (with the last chunk: one writev of the
 * store's bytes as they are, no copy, for a body read whole). 0 / -1 (s->error). */
static int send_body(struct sess *s, char *buf)
{
	struct pieces *v = xcalloc(1, sizeof(*v));
	uint64_t off = 0, size = 0;
	size_t n;
	bool bol = true, last;
	char tail[2] = { '\r', '\n' };
	int rc = 0;
	const char *data;

	v->s = s;
	do {
		if (body_at(s, off, buf, &data, &n, &size) < 0) {
			rc = -1;
			break;
		}
		stuff_each(data, n, &bol, put_piece, v);
		if (n >= 2)
			memcpy(tail, data + n - 2, 2);
		else if (n == 1)
			tail[0] = tail[1], tail[1] = data[0];
		off += n;
		last = n == 0 || off >= size;
		if (last)
			put_piece(v, tail[0] == '\r' && tail[1] == '\n' ? ".\r\n" : "\r\n.\r\n",
				  tail[0] == '\r' && tail[1] == '\n' ? 3 : 5);
		rc = pieces_flush(v);
	} while (rc == 0 && !last);
	free(v);
	return rc;
}

/* The MAIL FROM line with its parameters. */
static void mail_line(struct sess *s, bool body8, bool utf8, struct pb_buf *b)
{
	const struct queue_smtp_tx *tx = s->tx;

	pb_buf_printf(b, "MAIL FROM:<%s>", tx->sender);
	if (s->x.size_ext) /* RFC 1870: only to a server that offers SIZE */
		pb_buf_printf(b, " SIZE=%llu", (unsigned long long)s->size);
	if (body8 && s->x.eightbit)
		pb_buf_append_str(b, " BODY=8BITMIME");
	if (utf8)
		pb_buf_append_str(b, " SMTPUTF8");
	if (s->x.dsn && tx->mail_params[0] != '\0')
		pb_buf_printf(b, " %s", tx->mail_params);
	pb_buf_append_str(b, "\r\n");
}

static void rcpt_line(struct sess *s, size_t i, struct pb_buf *b)
{
	pb_buf_printf(b, "RCPT TO:<%s>", s->tx->rcpts[i]);
	if (s->x.dsn && s->tx->rcpt_params[i][0] != '\0')
		pb_buf_printf(b, " %s", s->tx->rcpt_params[i]);
	pb_buf_append_str(b, "\r\n");
}

/* EHLO (the extensions noted afresh), or HELO when EHLO is refused. 0 / -1 (replies set). */
static int ehlo(struct sess *s, char **replies)
{
	char line[300];

	memset(&s->x, 0, sizeof(s->x));
	snprintf(line, sizeof(line), "EHLO %s\r\n", s->tx->helo);
	if (send_cmd(s, line) < 0 || read_reply(s, s->tx->command_timeout_ms, true) < 0)
		return -1;
	if (s->code == 250)
		return 0;
	snprintf(line, sizeof(line), "HELO %s\r\n", s->tx->helo);
	if (send_cmd(s, line) < 0 || read_reply(s, s->tx->command_timeout_ms, false) < 0)
		return -1;
	if (s->code != 250) {
		all(replies, s->tx->n_rcpts,
		    xasprintf("451 4.3.0 HELO refused: %s (from %s)", s->text, s->tx->host));
		return -1;
	}
	return 0;
}

/* STARTTLS when offered (opportunistic) or demanded (required), then EHLO again. 0 / -1. */
static int starttls(struct sess *s, char **replies)
{
	const struct queue_smtp_tx *tx = s->tx;

	if (tx->tls != QUEUE_TLS_OPPORTUNISTIC && tx->tls != QUEUE_TLS_REQUIRED)
		return 0;
	if (!s->x.starttls) {
		if (tx->tls == QUEUE_TLS_OPPORTUNISTIC)
			return 0;
		all(replies, tx->n_rcpts, xasprintf("451 4.7.4 TLS is required but %s does not "
						    "offer STARTTLS%s", tx->host, ""));
		return -1;
	}
	if (send_cmd(s, "STARTTLS\r\n") < 0 || read_reply(s, tx->command_timeout_ms, false) < 0)
		return -1;
	if (s->code != 220) {
		if (tx->tls == QUEUE_TLS_OPPORTUNISTIC)
			return 0;
		all(replies, tx->n_rcpts, xasprintf("451 4.7.4 STARTTLS refused: %s (from %s)",
						    s->text, tx->host));
		return -1;
	}
	if (pb_conn_starttls(s->c, tx->tls_ctx, tx->host, tx->command_timeout_ms, &s->error) < 0)
		return -1;
	return ehlo(s, replies);
}

static char *b64(const char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)len);
	return out;
}

/* One AUTH step: sends line (wiped after), reads the reply. 0 / -1. */
static int auth_step(struct sess *s, char *line)
{
	int rc = send_cmd(s, line);
	explicit_bzero(line, strlen(line));
	free(line);
	return rc < 0 ? -1 : read_reply(s, s->tx->command_timeout_ms, false);
}

/* AUTH PLAIN (or LOGIN) when credentials are set and the server offers it; a refusal defers
 * (the credentials may be fixed). The password is never logged. 0 / -1. */
static int authenticate(struct sess *s, char **replies)
{
	const struct queue_smtp_tx *tx = s->tx;
	const char *user = tx->auth_user, *pw = tx->auth_password;
	int rc;

	if (user == NULL || user[0] == '\0' || (!s->x.auth_plain && !s->x.auth_login))
		return 0;
	if (s->x.auth_plain) {
		size_t ul = strlen(user), pl = strlen(pw);
		char *raw = xmalloc(ul + pl + 2);
		raw[0] = '\0';
		memcpy(raw + 1, user, ul);
		raw[ul + 1] = '\0';
		memcpy(raw + ul + 2, pw, pl);
		char *enc = b64(raw, ul + pl + 2);
		explicit_bzero(raw, ul + pl + 2);
		free(raw);
		rc = auth_step(s, xasprintf("AUTH PLAIN %s\r\n", enc));
		explicit_bzero(enc, strlen(enc));
		free(enc);
	} else {
		rc = auth_step(s, xasprintf("AUTH LOGIN\r\n"));
		if (rc == 0 && s->code == 334) {
			char *enc = b64(user, strlen(user));
			rc = auth_step(s, xasprintf("%s\r\n", enc));
			free(enc);
		}
		if (rc == 0 && s->code == 334) {
			char *enc = b64(pw, strlen(pw));
			rc = auth_step(s, xasprintf("%s\r\n", enc));
			explicit_bzero(enc, strlen(enc));
			free(enc);
		}
	}
	if (rc < 0)
		return -1;
	if (s->code / 100 != 2) {
		all(replies, tx->n_rcpts, xasprintf("454 4.7.0 authentication failed: %s (from %s)",
						    s->text, tx->host));
		return -1;
	}
	return 0;
}

/* The greeting, EHLO, STARTTLS and AUTH. 0 / -1 (replies set, or s->error). */
static int greet(struct sess *s, char **replies)
{
	if (s->tx->tls == QUEUE_TLS_IMPLICIT &&
	    pb_conn_starttls(s->c, s->tx->tls_ctx, s->tx->host, s->tx->command_timeout_ms,
			     &s->error) < 0)
		return -1;
	if (read_reply(s, s->tx->command_timeout_ms, false) < 0)
		return -1;
	if (s->code != 220) {
		all(replies, s->tx->n_rcpts, xasprintf("451 4.3.0 greeting refused: %s (from %s)",
						       s->text, s->tx->host));
		return -1;
	}
	if (ehlo(s, replies) < 0 || starttls(s, replies) < 0)
		return -1;
	return authenticate(s, replies);
}

/* 8-bit content for a server without 8BITMIME: s->whole becomes its 7-bit form (RFC 6152 3,
 * queue-downgrade.h). 0, or -1 with every reply a 5xx saying why it cannot be (the sender
 * gets the DSN) or a 4xx when the store failed. */
static int downgrade(struct sess *s, char **replies)
{
	struct pb_buf out;
	const char *why = NULL;

	if (s->whole.len == 0 && s->tx->size <= QUEUE_DOWNGRADE_MAX &&
	    pb_store_blob_get(s->tx->store, s->tx->blob_key, &s->whole, &s->error) != 1) {
		all(replies, s->tx->n_rcpts, xasprintf("451 4.3.0 cannot read the message: %s%s",
					       s->error, ""));
		s->error = NULL;
		return -1;
	}
	pb_buf_init(&out);
	if (s->whole.len == 0 || queue_downgrade(s->whole.data, s->whole.len, &out, &why) < 0) {
		all(replies, s->tx->n_rcpts,
		    xasprintf("554 5.6.3 the message has 8-bit content that cannot be converted to 7 "
			      "bit for %s, which does not accept 8BITMIME (RFC 6152): %s", s->tx->host,
			      why != NULL ? why : "too large to convert"));
		pb_buf_deinit(&out);
		return -1;
	}
	pb_buf_deinit(&s->whole);
	s->whole = out;
	s->size = out.len;
	return 0;
}

/* This copy's header edits (tx->edit, a message rule's on a forward): s->whole becomes the
 * edited content (the stored body is shared and stays as it is). 0, or -1 when the store
 * failed (s->error). A body over QUEUE_EDIT_MAX goes unedited, logged. */
static int apply_edit(struct sess *s)
{
	struct pb_buf out;

	if (s->tx->edit == NULL || s->tx->edit[0] == '\0')
		return 0;
	if (s->tx->size > QUEUE_EDIT_MAX) {
		pb_warn("qsend", "event=edit_skipped blob=%s size=%llu reason=%s",
			PB_LOGQ(s->tx->blob_key), (unsigned long long)s->tx->size,
			PB_LOGQ("too large to edit its header"));
		return 0;
	}
	int found = pb_store_blob_get(s->tx->store, s->tx->blob_key, &s->whole, &s->error);
	if (found != 1) {
		if (found == 0)
			s->error = "the message body is missing";
		return -1;
	}
	pb_buf_init(&out);
	mime_header_edit(s->whole.data, s->whole.len, s->tx->edit, &out);
	pb_buf_deinit(&s->whole);
	s->whole = out;
	s->size = out.len;
	return 0;
}

/* What may stop the transaction before MAIL (RFC 6152, 6531, 1870): 0 go on, -1 replies set. */
static int precheck(struct sess *s, char **replies, char *buf, bool *body8_r, bool *utf8_r)
{
	size_t n = s->tx->n_rcpts;
	int b8 = apply_edit(s) < 0 ? -1 : body_8bit(s, buf);

	if (b8 < 0) {
		all(replies, n, xasprintf("451 4.3.0 cannot read the message: %s%s", s->error, ""));
		return -1;
	}
	*body8_r = b8 == 1;
	*utf8_r = has_8bit_addr(s->tx);
	if (*utf8_r && !s->x.smtputf8) {
		all(replies, n, xasprintf("553 5.6.7 the addresses need SMTPUTF8 and %s does not offer "
				    "it (RFC 6531)%s", s->tx->host, ""));
		return -1;
	}
	if (*body8_r && !s->x.eightbit && downgrade(s, replies) < 0)
		return -1;
	*body8_r = *body8_r && s->x.eightbit;
	if (s->x.max_size > 0 && s->size > s->x.max_size) {
		all(replies, n, xasprintf("552 5.3.4 the message is larger than %s accepts (SIZE)%s",
				    s->tx->host, ""));
		return -1;
	}
	return 0;
}

/* Writes the envelope's first group b, after RSET on a reused connection (pipelined: RFC 2920
 * lets RSET lead a group) whose 250 is read here. 0, -1 lost, or -2 stale: the reused connection
 * failed or refused RSET, before any reply to the rest (nothing was accepted; s->stale). */
static int envelope_write(struct sess *s, struct pb_buf *b)
{
	uint32_t t = s->tx->command_timeout_ms;
	int rc = pb_conn_write(s->c, b->data, b->len, t, &s->error);

	if (s->rset) {
		s->rset = false;
		if (rc < 0 || read_reply(s, t, false) < 0 || s->code != 250) {
			s->stale = true;
			return -2;
		}
	}
	return rc;
}

/* MAIL, RCPTs and DATA (one write when pipelining); the replies read in order. Returns the
 * number of recipients accepted with DATA's 354, 0 when no content is to go, -1 lost, -2 stale
 * (envelope_write). */
static int envelope(struct sess *s, char **replies, bool body8, bool utf8)
{
	struct pb_buf b;
	size_t n = s->tx->n_rcpts, accepted = 0;
	uint32_t t = s->tx->command_timeout_ms;
	int rc = 0, mail_code = 0;

	pb_buf_init(&b);
	if (s->rset)
		pb_buf_append_str(&b, "RSET\r\n");
	mail_line(s, body8, utf8, &b);
	for (size_t i = 0; s->x.pipelining && i < n; i++)
		rcpt_line(s, i, &b);
	if (s->x.pipelining)
		pb_buf_append_str(&b, "DATA\r\n");
	if ((rc = envelope_write(s, &b)) == -2) {
		pb_buf_deinit(&b);
		return -2;
	}
	if (rc < 0 || read_reply(s, t, false) < 0)
		rc = -1;
	mail_code = s->code;
	if (rc == 0 && mail_code / 100 != 2)
		all(replies, n, outcome(s));
	for (size_t i = 0; rc == 0 && i < n && (s->x.pipelining || mail_code / 100 == 2); i++) {
		pb_buf_reset(&b);
		rcpt_line(s, i, &b);
		if ((!s->x.pipelining && pb_conn_write(s->c, b.data, b.len, t, &s->error) < 0) ||
		    read_reply(s, t, false) < 0) {
			rc = -1;
		} else if (s->code / 100 == 2) {
			accepted += mail_code / 100 == 2;
		} else if (replies[i] == NULL) {
			replies[i] = outcome(s);
		}
	}
	pb_buf_deinit(&b);
	if (rc < 0)
		return -1;
	if (!s->x.pipelining && (mail_code / 100 != 2 || accepted == 0))
		return 0;
	if ((!s->x.pipelining && send_cmd(s, "DATA\r\n") < 0) || read_reply(s, t, false) < 0)
		return -1;
	if (s->code != 354 && accepted > 0)
		all(replies, n, outcome(s));
	return s->code == 354 ? (int)accepted : 0;
}

/* The transaction; greet: a new connection (else a reused one, past RSET). */
static void transact(struct sess *s, char **replies, bool greeting)
{
	size_t n = s->tx->n_rcpts;
	char *buf = xmalloc(READ_CHUNK);
	bool body8 = false, utf8 = false;

	if (greeting && greet(s, replies) < 0) {
		free(buf);
		pb_buf_deinit(&s->whole);
		return;
	}
	s->greeted = true;
	if (precheck(s, replies, buf, &body8, &utf8) < 0) {
		free(buf);
		pb_buf_deinit(&s->whole);
		return;
	}
	int accepted = envelope(s, replies, body8, utf8);
	if (accepted > 0 || (accepted == 0 && s->code == 354)) {
		int rc = send_body(s, buf);
		pb_buf_deinit(&s->whole);
		if (rc < 0 || read_reply(s, s->tx->command_timeout_ms * 2, false) < 0) {
			free(buf);
			return; /* lost after the content: 4xx, sent again (RFC 5321 6.1) */
		}
		all(replies, n, outcome(s));
		s->done = s->code != 421;
	}
	free(buf);
	pb_buf_deinit(&s->whole);
}

/* ---- the connection cache ---- */

struct queue_smtp_cache *queue_smtp_cache_new(void)
{
	return xcalloc(1, sizeof(struct queue_smtp_cache));
}

/* QUIT (a short deadline: the answer does not matter) and close. */
static void quit(struct pb_conn **c)
{
	const char *error;
	char line[LINE_MAX_CLIENT];

	if (pb_conn_write(*c, "QUIT\r\n", 6, 1000, &error) == 0)
		(void)pb_conn_read_line(*c, line, sizeof(line), 1000, &error);
	pb_conn_close(c);
}

void queue_smtp_cache_close(struct queue_smtp_cache *c)
{
	if (c != NULL && c->c != NULL)
		quit(&c->c);
}

bool queue_smtp_cache_open(const struct queue_smtp_cache *c)
{
	return c != NULL && c->c != NULL;
}

uint64_t queue_smtp_cache_reused(const struct queue_smtp_cache *c)
{
	return c != NULL ? c->reused : 0;
}

void queue_smtp_cache_free(struct queue_smtp_cache **c)
{
	if (*c == NULL)
		return;
	queue_smtp_cache_close(*c);
	free(*c);
	*c = NULL;
}

/* What a connection was made for: next hop, TLS mode and context, HELO, the credentials (the
 * password only as a hash: the key is never logged, but it need not hold a secret). */
static void cache_key(const struct queue_smtp_tx *tx, char *buf, size_t size)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *p = tx->auth_password != NULL ? tx->auth_password : ""; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(buf, size, "%s:%u tls=%d/%p helo=%s auth=%s/%08x", tx->host, tx->port,
		 (int)tx->tls, (void *)tx->tls_ctx, tx->helo,
		 tx->auth_user != NULL ? tx->auth_user : "", h);
}

/* Takes the cached connection into s when it fits tx and answers RSET with 250: true. A
 * connection that does not fit, or fails, is closed. To a server with PIPELINING the RSET goes
 * with the envelope instead (s->rset; a failure there: s->stale, and queue_smtp_send opens a
 * new connection). */
static bool cache_take(struct sess *s, uint64_t now)
{
	struct queue_smtp_cache *c = s->tx->cache;
	char key[sizeof(c->key)];

	if (c == NULL || c->c == NULL)
		return false;
	cache_key(s->tx, key, sizeof(key));
	if (strcmp(key, c->key) != 0 || now - c->opened_ms >= QUEUE_SMTP_REUSE_MAX_MS) {
		quit(&c->c);
		return false;
	}
	s->c = c->c;
	c->c = NULL;
	if (c->x.pipelining) { /* RSET leads the envelope's group: no round trip of its own */
		s->rset = true;
		s->x = c->x;
		c->reused++;
		return true;
	}
	if (send_cmd(s, "RSET\r\n") < 0 || read_reply(s, s->tx->command_timeout_ms, false) < 0 ||
	    s->code != 250) {
		pb_conn_close(&s->c); /* closed by the server meanwhile, or refusing: a new one */
		s->error = NULL;
		return false;
	}
	s->x = c->x;
	c->reused++;
	return true;
}

/* After the transaction: the connection kept in the cache when it is idle and in good order
 * (opened is when it was), else QUIT and closed. */
static void cache_put(struct sess *s, uint64_t opened)
{
	struct queue_smtp_cache *c = s->tx->cache;
	if (c == NULL || !s->done || s->error != NULL) {
		if (s->error == NULL)
			quit(&s->c);
		pb_conn_close(&s->c);
		return;
	}
	queue_smtp_cache_close(c);
	c->c = s->c;
	s->c = NULL;
	c->x = s->x;
	c->opened_ms = opened;
	cache_key(s->tx, c->key, sizeof(c->key));
}

/* A new connection into s (its error cleared). 0, or -1 with every reply a 4xx. */
static int conn_new(struct sess *s, char **replies)
{
	const struct queue_smtp_tx *tx = s->tx;

	if (pb_conn_open(tx->addr != NULL ? tx->addr : tx->host, tx->port, tx->connect_timeout_ms,
			 &s->c, &s->error) < 0) {
		all(replies, tx->n_rcpts,
		    xasprintf("451 4.4.1 cannot connect to %s: %s", tx->host, s->error));
		return -1;
	}
	s->error = NULL; /* pb_conn_open leaves its last attempt's error */
	return 0;
}

int queue_smtp_send(const struct queue_smtp_tx *tx, char **replies_r, bool *dsn_r)
{
	struct sess s = { .tx = tx, .size = tx->size };
	uint64_t now = mono_ms();

	pb_buf_init(&s.whole);
	uint64_t opened = tx->cache != NULL ? tx->cache->opened_ms : now;

	for (size_t i = 0; i < tx->n_rcpts; i++)
		replies_r[i] = NULL;
	bool reused = cache_take(&s, now);
	*dsn_r = false;
	if (!reused)
		opened = now;
	if (!reused && conn_new(&s, replies_r) < 0)
		return 1;
	transact(&s, replies_r, !reused);
	if (s.stale) { /* the cached connection had gone (or refused RSET): from the start */
		pb_conn_close(&s.c);
		s = (struct sess){ .tx = tx, .size = tx->size };
		opened = now;
		if (conn_new(&s, replies_r) < 0)
			return 1;
		transact(&s, replies_r, true);
	}
	if (s.error != NULL) {
		char *t = xasprintf("451 4.4.2 connection to %s lost: %s", tx->host, s.error);
		all(replies_r, tx->n_rcpts, t);
	}
	*dsn_r = s.greeted && s.x.dsn;
	cache_put(&s, opened);
	return s.greeted ? 0 : 1;
}

/* ETRN's session after the greeting: its reply, or NULL when the connection was lost. */
static char *etrn_command(struct sess *s, const char *node)
{
	char *line = xasprintf("ETRN %s\r\n", node), *out = NULL;

	if (send_cmd(s, line) == 0 && read_reply(s, s->tx->command_timeout_ms, false) == 0) {
		out = xasprintf("%s (from %s)", s->text, s->tx->host);
		if (send_cmd(s, "QUIT\r\n") == 0)
			read_reply(s, s->tx->command_timeout_ms, false);
	}
	free(line);
	return out;
}

char *queue_smtp_etrn(const struct queue_smtp_tx *tx, const char *node)
{
	struct queue_smtp_tx t = *tx; /* one pseudo-recipient: greet's refusals are written there */
	struct sess s = { .tx = &t };
	char *refused[1] = { NULL }, *out = NULL;

	t.n_rcpts = 1;
	if (pb_conn_open(t.addr != NULL ? t.addr : t.host, t.port, t.connect_timeout_ms, &s.c,
			 &s.error) < 0)
		return xasprintf("451 4.4.1 cannot connect to %s: %s", t.host, s.error);
	if (greet(&s, refused) == 0)
		out = etrn_command(&s, node);
	else
		out = refused[0], refused[0] = NULL;
	if (out == NULL)
		out = xasprintf("451 4.4.2 connection to %s lost: %s", t.host,
				s.error != NULL ? s.error : "?");
	pb_conn_close(&s.c);
	return out;
}
