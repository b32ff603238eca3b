/*
 * smtp-data.c: the DATA content decoder and the BDAT chunk reader.
 * OWNS: the counters in the caller's struct. THREAD: one session.
 *
 * The DATA decoder is a small state machine over one octet of look-behind:
 *   LINE_START --'.'--> DOT --CR--> DOT_CR --LF--> DONE
 *   MID --CR--> CR --LF--> LINE_START (content "\r\n")
 *   MID --bare LF--> LF_START (normalize: content "\r\n"; reject: the message is refused)
 *   LF_START --'.'--> MID (the dot is dropped, as unstuffing does; it ends nothing)
 * Everything else is content. Only a real CR LF moves to LINE_START, so no bare LF or
 * bare CR can make a following "." look like the terminator (SMTP smuggling).
 *
 * Why normalizing keeps smuggling out, whatever reads the stored message later: the stored
 * content has CR LF line ends only (a bare CR is refused), so a relay that reads it with
 * strict CR LF rules sees the same lines we saw, and dot-stuffs every line that starts with
 * "." as it must for any message; what the client meant as a second message ("\n.\nMAIL
 * FROM:...") is stored as lines of the first (an empty line, then "MAIL FROM:..."), and the
 * client gets one reply for one message. Dropping the dot after a bare LF follows smtplib,
 * which stuffs there, and Postfix, which unstuffs there; curl does not stuff after a bare
 * LF, so a Unix line starting with "." loses that dot (as with Postfix; curl --crlf keeps it).
 *
 * Bytes of a line that are neither CR nor LF are copied in runs, so a 20 MB body costs one
 * pass and a few appends per line.
 */
#include "smtp-data.h"

#include <stdio.h>
#include <string.h>

enum data_state {
	DATA_LINE_START = 0,
	DATA_MID,
	DATA_CR,
	DATA_DOT,
	DATA_DOT_CR,
	DATA_DONE,
	DATA_LF_START, /* after a normalized bare LF: a line start that never ends the data */
};

static const struct smtp_reply reply_bare = {
	550, "5.5.2", "Bare LF or CR in message is not allowed", false};
static const struct smtp_reply reply_nul = {
	550, "5.6.0", "NUL octets in message are not allowed", false};
static const struct smtp_reply reply_too_big = {
	552, "5.3.4", "Message size exceeds fixed maximum message size", false};
static const struct smtp_reply reply_line = {500, "5.5.2", "Line too long", false};
static const struct smtp_reply reply_bare_cr = {
	550, "5.5.2", "Bare CR in message is not allowed (CR must be followed by LF)", false};

const struct smtp_reply *smtp_data_status_reply(enum smtp_data_status status)
{
	switch (status) {
	case SMTP_DATA_BARE_CR_LF:
		return &reply_bare;
	case SMTP_DATA_NUL:
		return &reply_nul;
	case SMTP_DATA_TOO_BIG:
		return &reply_too_big;
	case SMTP_DATA_LINE_TOO_LONG:
		return &reply_line;
	case SMTP_DATA_BARE_CR:
		return &reply_bare_cr;
	case SMTP_DATA_OK:
		break;
	}
	return NULL;
}

void smtp_data_reply(enum smtp_data_status status, const struct smtp_body_policy *p,
		     struct smtp_reply *r_out, char *buf, size_t size)
{
	static const struct smtp_reply refused = { 554, "5.6.0", "Message refused", false };
	const struct smtp_reply *r = smtp_data_status_reply(status);

	*r_out = r != NULL ? *r : refused; /* SMTP_DATA_OK has no refusal: never fatal on input */
	if (status != SMTP_DATA_LINE_TOO_LONG || p->max_line == 0)
		return;
	snprintf(buf, size, "Line too long: the limit is %llu octets per line",
		 (unsigned long long)p->max_line);
	r_out->text = buf;
}

const char *smtp_data_status_name(enum smtp_data_status status)
{
	switch (status) {
	case SMTP_DATA_OK:
		return "ok";
	case SMTP_DATA_BARE_CR_LF:
		return "bare_cr_lf";
	case SMTP_DATA_NUL:
		return "nul";
	case SMTP_DATA_TOO_BIG:
		return "too_big";
	case SMTP_DATA_LINE_TOO_LONG:
		return "line_too_long";
	case SMTP_DATA_BARE_CR:
		return "bare_cr";
	}
	return "unknown";
}

/* ---- Content checks -------------------------------------------------------------------- */

static void check_init(struct smtp_body_check *c, const struct smtp_body_policy *p)
{
	memset(c, 0, sizeof(*c));
	c->policy = *p;
}

static bool check_rejected(const struct smtp_body_check *c)
{
	return c->bare || c->nul || c->too_big || c->line_too_long;
}

/* Counts n content octets of the current line (a CR LF ending it included); lines: apply
 * the line length check (not for BINARYMIME). */
static void check_add(struct smtp_body_check *c, size_t n, bool lines)
{
	uint64_t max_size = c->policy.max_size, max_line = c->policy.max_line;

	c->size += n;
	if (max_size > 0 && c->size > max_size)
		c->too_big = true;
	if (!lines)
		return;
	c->line_len += n;
	if (max_line > 0 && c->line_len > max_line)
		c->line_too_long = true;
}

static enum smtp_data_status check_status(const struct smtp_body_check *c, bool pending_cr)
{
	if (c->bare || pending_cr)
		return c->policy.normalize_lf ? SMTP_DATA_BARE_CR : SMTP_DATA_BARE_CR_LF;
	if (c->nul)
		return SMTP_DATA_NUL;
	if (c->too_big)
		return SMTP_DATA_TOO_BIG;
	if (c->line_too_long)
		return SMTP_DATA_LINE_TOO_LONG;
	return SMTP_DATA_OK;
}

/*
 * Counts n content octets and appends those that come before the first violation: nothing
 * once the content is rejected, and a run that crosses the size or line limit is cut at
 * the limit. So the output is the same prefix however the input was split. A caller that
 * finds a bare CR (or, strict, a bare LF) sets bare before passing that octet, which is then
 * not written.
 */
static void content(struct smtp_body_check *c, const char *s, size_t n, bool lines,
		    struct pb_buf *out)
{
	size_t ok = n;
	/* text only (BINARYMIME may hold any octet); looked for even after another violation,
	 * as bare CR/LF are, so the verdict does not depend on how the input was split */
	const char *nul = lines ? memchr(s, '\0', n) : NULL;
	uint64_t max_size = c->policy.max_size, max_line = c->policy.max_line;

	if (check_rejected(c)) {
		ok = 0;
	} else {
		if (max_size > 0 && c->size + n > max_size)
			ok = (size_t)(max_size - c->size);
		if (lines && max_line > 0 && c->line_len + n > max_line && max_line - c->line_len < ok)
			ok = (size_t)(max_line - c->line_len);
		if (nul != NULL && (size_t)(nul - s) < ok)
			ok = (size_t)(nul - s);
	}
	if (nul != NULL)
		c->nul = true;
	if (ok > 0)
		pb_buf_append(out, s, ok);
	check_add(c, n, lines);
}

/* ---- DATA ------------------------------------------------------------------------------ */

void smtp_data_init(struct smtp_data *d, const struct smtp_body_policy *p)
{
	d->state = DATA_LINE_START;
	check_init(&d->check, p);
}

/* A bare LF (not after CR) in text: normalize stores it as CR LF and ends the line; strict
 * marks the content rejected (the LF is counted, not written). */
static void bare_lf(struct smtp_body_check *c, struct pb_buf *out)
{
	c->bare_lf = true;
	if (!c->policy.normalize_lf) {
		c->bare = true;
		content(c, "\n", 1, true, out);
		return;
	}
	content(c, "\r\n", 2, true, out);
	c->line_len = 0;
}

/* Inside a line: a run of ordinary octets, a CR (wait for its LF) or a bare LF. */
static size_t step_mid(struct smtp_data *d, const char *s, size_t n, struct pb_buf *out)
{
	size_t k = 0;

	while (k < n && s[k] != '\r' && s[k] != '\n')
		k++;
	if (k > 0) {
		content(&d->check, s, k, true, out);
		return k;
	}
	if (s[0] == '\r') {
		d->state = DATA_CR;
		return 1;
	}
	bare_lf(&d->check, out);
	if (d->check.policy.normalize_lf)
		d->state = DATA_LF_START;
	return 1;
}

/* One step of the state machine at s[0..n), n >= 1. Returns the octets used; 0 only for a
 * transition to DATA_MID, which then uses at least one. */
static size_t data_step(struct smtp_data *d, const char *s, size_t n, struct pb_buf *out)
{
	switch (d->state) {
	case DATA_MID:
		return step_mid(d, s, n, out);
	case DATA_LINE_START:
		d->state = s[0] == '.' ? DATA_DOT : DATA_MID;
		return s[0] == '.' ? 1 : 0;
	case DATA_LF_START:
		d->state = DATA_MID;
		return s[0] == '.' ? 1 : 0; /* unstuffed, never the terminator */
	case DATA_CR:
		d->state = DATA_MID;
		if (s[0] == '\n') {
			content(&d->check, "\r\n", 2, true, out);
			d->check.line_len = 0;
			d->state = DATA_LINE_START;
			return 1;
		}
		d->check.bare = true; /* CR not before LF */
		content(&d->check, "\r", 1, true, out);
		return 0;
	case DATA_DOT:
		/* ".." is an escaped dot, "." then text loses its dot (RFC 5321 4.5.2). */
		d->state = s[0] == '\r' ? DATA_DOT_CR : DATA_MID;
		return s[0] == '\r' ? 1 : 0;
	case DATA_DOT_CR:
		if (s[0] == '\n') {
			d->state = DATA_DONE;
			return 1;
		}
		d->state = DATA_MID;
		d->check.bare = true; /* ".\r" then not LF */
		content(&d->check, "\r", 1, true, out);
		return 0;
	}
	PANIC("smtp-data: bad state %d", d->state);
}

int smtp_data_feed(struct smtp_data *d, const void *data, size_t len, struct pb_buf *out,
		   size_t *consumed_r)
{
	const char *s = data;
	size_t i = 0;

	while (i < len && d->state != DATA_DONE)
		i += data_step(d, s + i, len - i, out);
	*consumed_r = i;
	return d->state == DATA_DONE ? 1 : 0;
}

enum smtp_data_status smtp_data_status(const struct smtp_data *d)
{
	return check_status(&d->check, false);
}

uint64_t smtp_data_size(const struct smtp_data *d)
{
	return d->check.size;
}

/* ---- BDAT ------------------------------------------------------------------------------ */

void smtp_bdat_init(struct smtp_bdat *b, const struct smtp_body_policy *p, bool binary)
{
	memset(b, 0, sizeof(*b));
	check_init(&b->check, p);
	b->binary = binary;
}

void smtp_bdat_chunk(struct smtp_bdat *b, uint64_t size, bool last)
{
	b->remaining = size;
	b->last = last;
}

/* Content of a text (not BINARYMIME) chunk piece: CR LF ends a line (the pair may
 * straddle chunks), any other CR is bare, and so is any other LF unless the policy
 * normalizes it to CR LF. Written in runs, like DATA. */
static void bdat_text(struct smtp_bdat *b, const char *s, size_t n, struct pb_buf *out)
{
	struct smtp_body_check *c = &b->check;

	for (size_t k = 0; k < n;) {
		if (b->prev_cr) {
			b->prev_cr = false;
			if (s[k] == '\n') {
				content(c, s + k++, 1, true, out);
				c->line_len = 0;
				continue;
			}
			c->bare = true; /* CR not before LF */
		}
		size_t run = 0;
		while (k + run < n && s[k + run] != '\r' && s[k + run] != '\n')
			run++;
		if (run == 0 && s[k] == '\n') {
			bare_lf(c, out);
			k++;
			continue;
		}
		if (run == 0) {
			b->prev_cr = true;
			run = 1;
		}
		content(c, s + k, run, true, out);
		k += run;
	}
}

int smtp_bdat_feed(struct smtp_bdat *b, const void *data, size_t len, struct pb_buf *out,
		   size_t *consumed_r)
{
	size_t n = (uint64_t)len < b->remaining ? len : (size_t)b->remaining;

	if (b->binary)
		content(&b->check, data, n, false, out);
	else
		bdat_text(b, data, n, out);
	b->remaining -= n;
	*consumed_r = n;
	return b->remaining == 0 ? 1 : 0;
}

enum smtp_data_status smtp_bdat_status(const struct smtp_bdat *b)
{
	return check_status(&b->check, b->last && b->remaining == 0 && b->prev_cr);
}
