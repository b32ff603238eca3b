/*
 * mime-signature.c: a signature put into the right MIME parts (see mime-signature.h).
 * OWNS: during one call, the parsed tree and the insertions. THREAD: any.
 *
 * How: the message is parsed once (mime_message_parse: part offsets, no body copies), the
 * parts to sign are picked from the tree, each gets one insertion point (the end of its body,
 * or before </body> in HTML), and the output is the message copied piece by piece with the
 * insertions between: one copy of the message, whatever its shape.
 */
#include "mime-signature.h"

#include "mime-parser.h"
#include "pb-alloc.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define SIG_MAX_INSERTS 8

struct insertion {
	uint64_t at;
	struct pb_buf data;
};

struct sig_ctx {
	const char *msg;
	size_t len;
	const char *plain; /* the text block: "-- " CRLF and the text's lines, CRLF between */
	const char *html;  /* the HTML fragment */
	bool ascii;        /* the signature is ASCII: any charset carries it */
	struct insertion ins[SIG_MAX_INSERTS];
	size_t n_ins;
	const char *why;   /* the last reason a part was left out */
};

static bool is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* "-- " CRLF then the text with every line break as CR LF, no final one. */
static char *plain_block(const char *text)
{
	struct pb_buf b;

	pb_buf_init(&b);
	pb_buf_append_str(&b, "-- \r\n");
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			pb_buf_append_c(&b, '\r');
		pb_buf_append_c(&b, *p);
	}
	while (b.len >= 2 && memcmp(b.data + b.len - 2, "\r\n", 2) == 0 && b.len > 5)
		b.len -= 2;
	pb_buf_append_c(&b, '\0');
	return pb_buf_steal(&b, NULL);
}

/* The HTML of the signature: as given, or the text escaped with its lines as <br>. */
static char *html_block(const struct mime_signature *sig)
{
	struct pb_buf b;

	pb_buf_init(&b);
	pb_buf_append_str(&b, "<div class=\"signature\">-- <br>");
	if (sig->html != NULL && sig->html[0] != '\0') {
		pb_buf_append_str(&b, sig->html);
	} else {
		size_t n = strlen(sig->text);
		while (n > 0 && (sig->text[n - 1] == '\n' || sig->text[n - 1] == '\r'))
			n--; /* no empty line at the end */
		for (const char *p = sig->text; p < sig->text + n; p++) {
			switch (*p) {
			case '&': pb_buf_append_str(&b, "&amp;"); break;
			case '<': pb_buf_append_str(&b, "&lt;"); break;
			case '>': pb_buf_append_str(&b, "&gt;"); break;
			case '"': pb_buf_append_str(&b, "&quot;"); break;
			case '\r': break;
			case '\n': pb_buf_append_str(&b, "<br>"); break;
			default: pb_buf_append_c(&b, *p);
			}
		}
	}
	pb_buf_append_str(&b, "</div>");
	pb_buf_append_c(&b, '\0');
	return pb_buf_steal(&b, NULL);
}

/* Appends text quoted-printable (RFC 2045 6.7): CR LF kept as line breaks, '=', other
 * controls, 8-bit and a blank before a line break encoded, soft breaks keep lines under 76. */
static void qp_append(struct pb_buf *b, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			pb_buf_append_str(b, "\r\n");
			p++;
			col = 0;
			continue;
		}
		bool blank_at_eol = (*p == ' ' || *p == '\t') && (p[1] == '\r' || p[1] == '\0');
		bool plain = *p >= 0x20 && *p < 0x7f && *p != '=' && !blank_at_eol;
		size_t w = plain ? 1 : 3;
		if (col + w > 75) {
			pb_buf_append_str(b, "=\r\n");
			col = 0;
		}
		if (plain) {
			pb_buf_append_c(b, (char)*p);
		} else {
			char enc[3] = { '=', hex[*p >> 4], hex[*p & 15] };
			pb_buf_append(b, enc, 3);
		}
		col += w;
	}
}

/* Where the HTML goes in the body [start, end): before the last </body>, else at the end. */
static uint64_t html_point(const struct sig_ctx *c, uint64_t start, uint64_t end)
{
	for (uint64_t i = end; i >= start + 7; i--)
		if (strncasecmp(c->msg + i - 7, "</body>", 7) == 0)
			return i - 7;
	return end;
}

/* The insertion for one part: the block, encoded as the part is, with the line breaks it
 * needs around it (the line break that ends a multipart's sub-part belongs to the boundary;
 * a message's last line gets one). */
static void add_insertion(struct sig_ctx *c, const struct mime_part *p, bool html, bool qp)
{
	uint64_t start = mime_part_body_offset(p), end = start + p->body.physical;
	struct insertion *in = &c->ins[c->n_ins++];
	bool at_line_start = end == start || c->msg[end - 1] == '\n';

	in->at = html ? html_point(c, start, end) : end;
	pb_buf_init(&in->data);
	if (qp && in->at != end)
		pb_buf_append_str(&in->data, "=\r\n"); /* a soft break: mid-line in the HTML */
	else if (!at_line_start && in->at == end)
		pb_buf_append_str(&in->data, "\r\n");
	if (qp)
		qp_append(&in->data, html ? c->html : c->plain);
	else
		pb_buf_append_str(&in->data, html ? c->html : c->plain);
	if (qp && in->at != end)
		pb_buf_append_str(&in->data, "=\r\n");
	else if (end == c->len && in->at == end)
		pb_buf_append_str(&in->data, "\r\n");
}

/* A text part to sign, unless it cannot take the signature (c->why says why). */
static void sign_part(struct sig_ctx *c, const struct mime_part *p)
{
	const char *enc = p->encoding != NULL ? p->encoding : "7bit";
	const char *charset = mime_part_charset(p);
	bool qp = strcasecmp(enc, "quoted-printable") == 0;

	if (p->disposition != NULL && strcasecmp(p->disposition, "attachment") == 0)
		c->why = "the text is an attachment";
	else if (!qp && strcasecmp(enc, "7bit") != 0 && strcasecmp(enc, "8bit") != 0 &&
		 strcasecmp(enc, "binary") != 0)
		c->why = "the text is base64 encoded (not re-encoded)";
	else if (!c->ascii && charset != NULL && strcasecmp(charset, "utf-8") != 0 &&
		 strcasecmp(charset, "us-ascii") != 0)
		c->why = "the text's charset cannot carry the signature";
	else if ((p->flags & MIME_PART_FLAG_NO_BODY) != 0)
		c->why = "the text part has no body";
	else if (c->n_ins < SIG_MAX_INSERTS)
		add_insertion(c, p, mime_part_is(p, "text", "html"), qp);
}

static bool is_text(const struct mime_part *p)
{
	return mime_part_is(p, "text", "plain") || mime_part_is(p, "text", "html");
}

/* Picks the parts under p: see the header for which. */
static void collect(struct sig_ctx *c, const struct mime_part *p)
{
	if ((p->flags & MIME_PART_FLAG_MULTIPART) == 0) {
		if (is_text(p))
			sign_part(c, p);
		else
			c->why = "the message has no text part to sign";
		return;
	}
	if (!mime_part_is(p, "multipart", "alternative")) {
		if (p->children != NULL)
			collect(c, p->children);
		return;
	}
	for (const struct mime_part *ch = p->children; ch != NULL; ch = ch->next)
		if (is_text(ch) || (ch->flags & MIME_PART_FLAG_MULTIPART) != 0)
			collect(c, ch);
}

/* Whether the message holds block as is or quoted-printable (as a signing put it). */
static bool carries(const struct sig_ctx *c, const char *block)
{
	struct pb_buf qp;

	if (memmem(c->msg, c->len, block, strlen(block)) != NULL)
		return true;
	pb_buf_init(&qp);
	qp_append(&qp, block);
	bool found = memmem(c->msg, c->len, qp.data, qp.len) != NULL;
	pb_buf_deinit(&qp);
	return found;
}

/* Whether a part of the tree is a signature's envelope (multipart/signed, S/MIME). */
static bool signed_part(const struct mime_part *p)
{
	if (mime_part_is(p, "multipart", "signed") ||
	    mime_part_is(p, "application", "pkcs7-mime") ||
	    mime_part_is(p, "application", "x-pkcs7-mime"))
		return true;
	for (const struct mime_part *ch = p->children; ch != NULL; ch = ch->next)
		if (signed_part(ch))
			return true;
	return false;
}

/* Why the message is kept as it is before looking at its parts, or NULL. */
static const char *keep_whole(const struct sig_ctx *c, const struct mime_message *m)
{
	static const char *const pgp[] = { "\n-----BEGIN PGP SIGNED MESSAGE-----",
					   "\n-----BEGIN PGP MESSAGE-----" };

	if (signed_part(m->root))
		return "a signed message (S/MIME or PGP/MIME) is left untouched";
	for (size_t i = 0; i < 2; i++)
		if (memmem(c->msg, c->len, pgp[i], strlen(pgp[i])) != NULL)
			return "a signed message (inline PGP) is left untouched";
	if (carries(c, c->plain + 5) || carries(c, c->html))
		return "the message already carries the signature";
	return NULL;
}

/* The message with the insertions, in one pass. */
static void write_out(const struct sig_ctx *c, struct pb_buf *out)
{
	uint64_t at = 0;

	pb_buf_reserve(out, c->len + 1024);
	for (size_t i = 0; i < c->n_ins; i++) {
		pb_buf_append(out, c->msg + at, (size_t)(c->ins[i].at - at));
		pb_buf_append(out, c->ins[i].data.data, c->ins[i].data.len);
		at = c->ins[i].at;
	}
	pb_buf_append(out, c->msg + at, c->len - (size_t)at);
}

int mime_signature_insert(const char *msg, size_t len, const struct mime_signature *sig,
			  struct pb_buf *out_r, const char **why_r)
{
	struct sig_ctx c = { .msg = msg, .len = len };

	pb_buf_init(out_r);
	if (sig->text == NULL || sig->text[0] == '\0')
		return *why_r = "no signature text is set", 0;
	c.plain = plain_block(sig->text);
	c.html = html_block(sig);
	c.ascii = is_ascii(sig->text) && is_ascii(c.html);
	struct mime_message *m = mime_message_parse(msg, len, NULL);
	c.why = keep_whole(&c, m);
	if (c.why == NULL)
		collect(&c, m->root);
	if (c.n_ins > 0)
		write_out(&c, out_r);
	else if (c.why == NULL)
		c.why = "the message has no text part to sign";
	for (size_t i = 0; i < c.n_ins; i++)
		pb_buf_deinit(&c.ins[i].data);
	*why_r = c.why;
	mime_message_free(&m);
	free((char *)c.plain);
	free((char *)c.html);
	return (int)c.n_ins;
}
