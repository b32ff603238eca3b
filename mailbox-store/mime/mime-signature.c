/*
 * mime-signature.c: a signature put into the right MIME parts (see mime-signature.h).
 * OWNS: during one plan, the parser, its tree, the match window and the insertions.
 * THREAD: any.
 *
 * How: the message is fed to the streaming parser (mime-parser.h: part offsets, no body
 * copies) piece by piece; meanwhile a window of the last octets finds the markers that keep a
 * message as it is (inline PGP, the signature already there), the "</body>" tags an HTML
 * insertion goes before, and the last body octet of each text part. At the end the parts to
 * sign are picked from the tree, each gets one insertion point (the end of its body, or
 * before </body> in HTML), and the output is the message copied piece by piece with the
 * insertions between. The whole-message call is the same plan fed in one piece, so the
 * streamed and the whole result are the same octets.
 */
#include "mime-signature.h"

#include "mime-parser.h"
#include "pb-alloc.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define SIG_MAX_INSERTS MIME_SIGNATURE_MAX_INSERTS
#define SIG_MAX_TEXT_ENDS 64  /* text parts whose last body octet is remembered */
#define SIG_MAX_BODY_TAGS 256 /* "</body>" offsets remembered: the last ones */

struct insertion {
	uint64_t at;
	struct pb_buf data;
};

/* The markers looked for in the stream (markers[] below; the signature's own blocks). */
enum sig_marker { SIG_PGP_SIGNED, SIG_PGP, SIG_PLAIN, SIG_PLAIN_QP, SIG_HTML, SIG_HTML_QP,
		  SIG_BODY_TAG, SIG_N_MARKERS };

struct text_end {
	const struct mime_part *part;
	char last; /* its last body octet so far */
};

struct mime_signature_plan {
	struct mime_parser *parser;
	struct mime_message *msg; /* after the end */
	uint64_t len;             /* octets fed */
	const char *plain; /* the text block: "-- " CRLF and the text's lines, CRLF between */
	const char *html;  /* the HTML fragment */
	bool ascii;        /* the signature is ASCII: any charset carries it */
	char *marker[SIG_N_MARKERS];
	size_t marker_len[SIG_N_MARKERS], longest;
	bool found[SIG_N_MARKERS];
	struct pb_buf window;     /* the last longest - 1 octets fed, then the piece */
	uint64_t tags[SIG_MAX_BODY_TAGS];
	size_t n_tags;            /* all seen; the last SIG_MAX_BODY_TAGS kept (a ring) */
	struct text_end ends[SIG_MAX_TEXT_ENDS];
	size_t n_ends;
	struct insertion ins[SIG_MAX_INSERTS];
	size_t n_ins, applied;
	uint64_t out_at;          /* apply: the offset of the next piece */
	const char *why;   /* the last reason a part was left out */
};

static bool is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Appends text with every line break as CR LF. */
static void append_crlf(struct pb_buf *b, const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			pb_buf_append_c(b, '\r');
		pb_buf_append_c(b, *p);
	}
}

/* "-- " CRLF then the text (and after an empty line the disclaimer, when there is one) with
 * every line break as CR LF, no final one. */
static char *plain_block(const char *text, const char *disclaimer)
{
	struct pb_buf b;

	pb_buf_init(&b);
	pb_buf_append_str(&b, "-- \r\n");
	append_crlf(&b, text);
	if (disclaimer != NULL && disclaimer[0] != '\0') {
		while (b.len >= 2 && memcmp(b.data + b.len - 2, "\r\n", 2) == 0 && b.len > 5)
			b.len -= 2;
		if (text[0] != '\0')
			pb_buf_append_str(&b, "\r\n\r\n");
		append_crlf(&b, disclaimer);
	}
	while (b.len >= 2 && memcmp(b.data + b.len - 2, "\r\n", 2) == 0 && b.len > 5)
		b.len -= 2;
	pb_buf_append_c(&b, '\0');
	return pb_buf_steal(&b, NULL);
}

/* Appends text HTML-escaped, its lines joined with <br> (no empty line at the end). */
static void append_escaped(struct pb_buf *b, const char *text)
{
	size_t n = strlen(text);

	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	for (const char *p = text; p < text + n; p++) {
		switch (*p) {
		case '&': pb_buf_append_str(b, "&amp;"); break;
		case '<': pb_buf_append_str(b, "&lt;"); break;
		case '>': pb_buf_append_str(b, "&gt;"); break;
		case '"': pb_buf_append_str(b, "&quot;"); break;
		case '\r': break;
		case '\n': pb_buf_append_str(b, "<br>"); break;
		default: pb_buf_append_c(b, *p);
		}
	}
}

/* The HTML of the signature: as given, or the text escaped with its lines as <br>; then the
 * disclaimer escaped, after an empty line. */
static char *html_block(const struct mime_signature *sig)
{
	struct pb_buf b;
	bool own = sig->html != NULL && sig->html[0] != '\0';

	pb_buf_init(&b);
	pb_buf_append_str(&b, "<div class=\"signature\">-- <br>");
	if (own)
		pb_buf_append_str(&b, sig->html);
	else
		append_escaped(&b, sig->text);
	if (sig->disclaimer != NULL && sig->disclaimer[0] != '\0') {
		if (own || sig->text[0] != '\0')
			pb_buf_append_str(&b, "<br><br>");
		append_escaped(&b, sig->disclaimer);
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
static uint64_t html_point(const struct mime_signature_plan *c, uint64_t start, uint64_t end)
{
	size_t kept = c->n_tags < SIG_MAX_BODY_TAGS ? c->n_tags : SIG_MAX_BODY_TAGS;

	for (size_t k = 1; k <= kept; k++) { /* the newest first */
		uint64_t at = c->tags[(c->n_tags - k) % SIG_MAX_BODY_TAGS];
		if (at >= start && at + 7 <= end)
			return at;
	}
	return end;
}

/* Whether p's body ends at the start of a line (empty, or its last octet a line feed). */
static bool ends_line(const struct mime_signature_plan *c, const struct mime_part *p)
{
	for (size_t i = 0; p->body.physical > 0 && i < c->n_ends; i++)
		if (c->ends[i].part == p)
			return c->ends[i].last == '\n';
	return true;
}

/* The insertion for one part: the block, encoded as the part is, with the line breaks it
 * needs around it (the line break that ends a multipart's sub-part belongs to the boundary;
 * a message's last line gets one). */
static void add_insertion(struct mime_signature_plan *c, const struct mime_part *p, bool html, bool qp)
{
	uint64_t start = mime_part_body_offset(p), end = start + p->body.physical;
	struct insertion *in = &c->ins[c->n_ins++];
	bool at_line_start = ends_line(c, p);

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
static void sign_part(struct mime_signature_plan *c, const struct mime_part *p)
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
static void collect(struct mime_signature_plan *c, const struct mime_part *p)
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
static const char *keep_whole(const struct mime_signature_plan *c, const struct mime_message *m)
{
	if (signed_part(m->root))
		return "a signed message (S/MIME or PGP/MIME) is left untouched";
	if (c->found[SIG_PGP_SIGNED] || c->found[SIG_PGP])
		return "a signed message (inline PGP) is left untouched";
	if (c->found[SIG_PLAIN] || c->found[SIG_PLAIN_QP] || c->found[SIG_HTML] ||
	    c->found[SIG_HTML_QP])
		return "the message already carries the signature";
	return NULL;
}

static void set_marker(struct mime_signature_plan *c, enum sig_marker k, const char *text,
		       bool qp)
{
	struct pb_buf b;

	pb_buf_init(&b);
	if (qp)
		qp_append(&b, text);
	else
		pb_buf_append_str(&b, text);
	pb_buf_append_c(&b, '\0');
	c->marker[k] = pb_buf_steal(&b, &c->marker_len[k]);
	c->marker_len[k]--;
	if (c->marker_len[k] > c->longest)
		c->longest = c->marker_len[k];
}

struct mime_signature_plan *mime_signature_plan_create(const struct mime_signature *sig)
{
	struct mime_signature_plan *c = xcalloc(1, sizeof(*c));
	const char *text = sig->text != NULL ? sig->text : "";

	c->parser = mime_parser_create(NULL);
	const char *disclaimer = sig->disclaimer != NULL ? sig->disclaimer : "";

	c->plain = plain_block(text, disclaimer);
	c->html = html_block(&(struct mime_signature){ text, sig->html, disclaimer });
	c->ascii = is_ascii(c->plain) && is_ascii(c->html);
	set_marker(c, SIG_PGP_SIGNED, "\n-----BEGIN PGP SIGNED MESSAGE-----", false);
	set_marker(c, SIG_PGP, "\n-----BEGIN PGP MESSAGE-----", false);
	set_marker(c, SIG_PLAIN, c->plain + 5, false);
	set_marker(c, SIG_PLAIN_QP, c->plain + 5, true);
	set_marker(c, SIG_HTML, c->html, false);
	set_marker(c, SIG_HTML_QP, c->html, true);
	set_marker(c, SIG_BODY_TAG, "</body>", false);
	pb_buf_init(&c->window);
	if (text[0] == '\0' && disclaimer[0] == '\0')
		c->why = "no signature text is set";
	return c;
}

/* Whether marker k is in the window at i. */
static bool marker_at(const struct mime_signature_plan *c, enum sig_marker k, size_t i)
{
	const char *w = (const char *)c->window.data + i;

	if (k == SIG_BODY_TAG)
		return strncasecmp(w, "</body>", 7) == 0;
	return memcmp(w, c->marker[k], c->marker_len[k]) == 0;
}

/* Looks for the markers in the window (the kept tail, then the new piece of n octets): each
 * match that ends in the new octets (an older one was seen before); a "</body>" is kept by
 * its offset in the message. Then keeps the window's last longest - 1 octets. */
static void scan_window(struct mime_signature_plan *c, size_t n)
{
	size_t old = c->window.len - n;
	uint64_t base = c->len - c->window.len; /* the window's first octet in the message */

	for (int k = 0; k < SIG_N_MARKERS; k++) {
		size_t m = c->marker_len[k];
		size_t from = old + 1 > m ? old + 1 - m : 0;
		for (size_t i = from; m > 0 && i + m <= c->window.len; i++) {
			if (!marker_at(c, k, i))
				continue;
			c->found[k] = true;
			if (k != SIG_BODY_TAG)
				break;
			c->tags[c->n_tags++ % SIG_MAX_BODY_TAGS] = base + i;
		}
	}
	size_t keep = c->longest - 1 < c->window.len ? c->longest - 1 : c->window.len;
	memmove(c->window.data, c->window.data + c->window.len - keep, keep);
	c->window.len = keep;
}

/* A body event: remembers the last octet of a text part's body. */
static void note_body(struct mime_signature_plan *c, const struct mime_event *ev)
{
	size_t i = 0;

	if ((ev->part->flags & MIME_PART_FLAG_MULTIPART) != 0 || ev->data_len == 0)
		return;
	while (i < c->n_ends && c->ends[i].part != ev->part)
		i++;
	if (i == c->n_ends && i < SIG_MAX_TEXT_ENDS && is_text(ev->part))
		c->ends[c->n_ends++].part = ev->part;
	if (i < c->n_ends)
		c->ends[i].last = (char)ev->data[ev->data_len - 1];
}

static void drain(struct mime_signature_plan *c)
{
	struct mime_event ev;

	while (mime_parser_next(c->parser, &ev) == 1)
		if (ev.type == MIME_EVENT_BODY)
			note_body(c, &ev);
}

void mime_signature_plan_feed(struct mime_signature_plan *c, const void *data, size_t len)
{
	if (c->parser == NULL || len == 0)
		return;
	pb_buf_append(&c->window, data, len);
	c->len += len;
	scan_window(c, len);
	mime_parser_feed(c->parser, data, len);
	drain(c);
}

int mime_signature_plan_finish(struct mime_signature_plan *c, const char **why_r)
{
	if (c->parser != NULL) {
		mime_parser_finish(c->parser);
		drain(c);
		c->msg = mime_parser_take_message(c->parser);
		mime_parser_destroy(&c->parser);
		if (c->why == NULL)
			c->why = keep_whole(c, c->msg);
		if (c->why == NULL)
			collect(c, c->msg->root);
		if (c->n_ins == 0 && c->why == NULL)
			c->why = "the message has no text part to sign";
	}
	*why_r = c->n_ins > 0 ? NULL : c->why;
	return (int)c->n_ins;
}

void mime_signature_plan_apply(struct mime_signature_plan *c, const void *data, size_t len,
			       bool last, struct pb_buf *out)
{
	const char *d = data;
	size_t done = 0;

	while (c->applied < c->n_ins) {
		const struct insertion *in = &c->ins[c->applied];
		if (in->at > c->out_at + len || (in->at == c->out_at + len && !last))
			break;
		size_t k = (size_t)(in->at - c->out_at);
		pb_buf_append(out, d + done, k - done);
		pb_buf_append(out, in->data.data, in->data.len);
		done = k;
		c->applied++;
	}
	pb_buf_append(out, d + done, len - done);
	c->out_at += len;
}

const char *mime_signature_plan_insertion(const struct mime_signature_plan *c, size_t i,
					  uint64_t *at_r, size_t *len_r)
{
	if (c->parser != NULL || i >= c->n_ins)
		return NULL;
	*at_r = c->ins[i].at;
	*len_r = c->ins[i].data.len;
	return (const char *)c->ins[i].data.data;
}

struct mime_signature_plan *mime_signature_plan_load(const uint64_t *at, const char *const *text,
						     size_t n)
{
	if (n == 0 || n > SIG_MAX_INSERTS)
		return NULL;
	for (size_t i = 1; i < n; i++)
		if (at[i] < at[i - 1])
			return NULL;
	struct mime_signature_plan *c = xcalloc(1, sizeof(*c));
	pb_buf_init(&c->window);
	for (size_t i = 0; i < n; i++) {
		c->ins[i].at = at[i];
		pb_buf_init(&c->ins[i].data);
		pb_buf_append_str(&c->ins[i].data, text[i]);
	}
	c->n_ins = n;
	return c;
}

void mime_signature_plan_destroy(struct mime_signature_plan **cp)
{
	struct mime_signature_plan *c = *cp;

	if (c == NULL)
		return;
	mime_parser_destroy(&c->parser);
	mime_message_free(&c->msg);
	for (size_t i = 0; i < c->n_ins; i++)
		pb_buf_deinit(&c->ins[i].data);
	for (int k = 0; k < SIG_N_MARKERS; k++)
		free(c->marker[k]);
	pb_buf_deinit(&c->window);
	free((char *)c->plain);
	free((char *)c->html);
	free(c);
	*cp = NULL;
}

int mime_signature_insert(const char *msg, size_t len, const struct mime_signature *sig,
			  struct pb_buf *out_r, const char **why_r)
{
	struct mime_signature_plan *c = mime_signature_plan_create(sig);

	pb_buf_init(out_r);
	mime_signature_plan_feed(c, msg, len);
	int n = mime_signature_plan_finish(c, why_r);
	if (n > 0) {
		pb_buf_reserve(out_r, len + 1024);
		mime_signature_plan_apply(c, msg, len, true, out_r);
	}
	mime_signature_plan_destroy(&c);
	return n;
}

int mime_signature_text(const char *text, size_t len, const struct mime_signature *sig,
			struct pb_buf *out_r, const char **why_r)
{
	static const char head[] = "Content-Type: text/plain; charset=utf-8\r\n"
				   "Content-Transfer-Encoding: 8bit\r\n\r\n";
	const size_t n = sizeof(head) - 1;
	struct pb_buf msg, out;

	pb_buf_init(&msg);
	pb_buf_append(&msg, head, n);
	pb_buf_append(&msg, text, len);
	int signed_n = mime_signature_insert((const char *)msg.data, msg.len, sig, &out, why_r);
	pb_buf_deinit(&msg);
	pb_buf_init(out_r);
	if (signed_n > 0)
		pb_buf_append(out_r, out.data + n, out.len - n);
	pb_buf_deinit(&out);
	return signed_n > 0 ? 1 : 0;
}
