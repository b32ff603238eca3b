/*
 * mime-parser.c: the streaming RFC 5322 / MIME parser (see mime-parser.h for the rules).
 *
 * How it works: input is appended to `in`; `pos` is the first octet not yet consumed and
 * `at` its position in the message (physical, virtual, lines). The state says what the
 * octet at `pos` starts: a header line, the rest of a header line, body octets, or the
 * rest of a boundary line. A body is scanned line by line for lines starting with '-';
 * the line break before such a line is held back (not consumed) until the line is known
 * not to be a boundary, because if it is, that break belongs to the boundary. So memory
 * held between feeds is a partial header field (bounded by max_header_size) or a line
 * break plus at most 4 + MIME_BOUNDARY_MAX octets of a line start.
 * Structural events are queued (closing several parts at one boundary yields several
 * PART_END events); header and body events point into `field` / `in` directly.
 *
 * OWNS its buffers, the boundary and open-part stacks, the event queue and, until taken,
 * the message. THREAD: the caller's.
 */
#include "mime-parser.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mime_pos {
	uint64_t off, voff, lines;
};

struct mime_open {
	struct mime_part *part;
	struct mime_pos header_start, body_start;
};

struct mime_boundary {
	char *str;
	size_t len;
	struct mime_part *part;
};

struct mime_queued {
	enum mime_event_type type;
	struct mime_part *part;
};

enum mime_parser_state {
	MIME_ST_HEADER,        /* at the start of a header line */
	MIME_ST_HEADER_LINE,   /* inside a header line whose start was classified */
	MIME_ST_BODY,          /* in the current part's body */
	MIME_ST_BOUNDARY_LINE, /* skipping the rest of a boundary line */
	MIME_ST_END,
};

/* What a step did. */
enum { MIME_STEP_NEED = 0, MIME_STEP_EVENT = 1, MIME_STEP_AGAIN = 2 };

struct mime_parser {
	struct mime_limits limits;
	struct mime_message *msg;
	enum mime_parser_state state;

	struct pb_buf in;
	size_t pos;
	bool eof;
	struct mime_pos at; /* position of in.data[pos] in the message */
	bool prev_cr;       /* the octet before pos was CR */

	struct mime_open *open; /* root .. current part */
	unsigned int n_open, cap_open;
	struct mime_boundary *bounds; /* outermost .. innermost open multipart */
	unsigned int n_bounds, cap_bounds;
	size_t max_bound_len;

	struct pb_buf field; /* the header field being read, unfolded */
	bool field_pending, field_dropped;
	size_t header_bytes;
	bool body_at_start; /* the next body octet starts a line with no break before it */
	bool boundary_opens;
	struct mime_part *boundary_owner;

	struct mime_queued *queue;
	unsigned int q_head, q_len, q_cap;
};

static struct mime_part *mime_parser_cur(struct mime_parser *p)
{
	return p->open[p->n_open - 1].part;
}

static void mime_parser_push(struct mime_parser *p, enum mime_event_type type,
			     struct mime_part *part)
{
	if (p->q_len == p->q_cap) {
		p->q_cap = p->q_cap == 0 ? 8 : p->q_cap * 2;
		p->queue = xrealloc(p->queue, sizeof(*p->queue) * p->q_cap);
	}
	p->queue[p->q_len].type = type;
	p->queue[p->q_len].part = part;
	p->q_len++;
}

static void mime_size_between(struct mime_size *size, const struct mime_pos *from,
			      const struct mime_pos *to)
{
	size->physical = to->off - from->off;
	size->virtual_size = to->voff - from->voff;
	size->lines = to->lines - from->lines;
}

/* Consumes n octets at pos, counting lines and bare LFs. */
static void mime_parser_consume(struct mime_parser *p, size_t n)
{
	const char *start = p->in.data + p->pos, *s = start, *end = start + n;
	uint64_t lines = 0, bare = 0;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			break;
		lines++;
		if (nl > start ? nl[-1] != '\r' : !p->prev_cr)
			bare++;
		s = nl + 1;
	}
	if (n > 0)
		p->prev_cr = end[-1] == '\r';
	p->at.off += n;
	p->at.voff += n + bare;
	p->at.lines += lines;
	p->pos += n;
	if (bare > 0 && p->n_open > 0)
		mime_parser_cur(p)->flags |= MIME_PART_FLAG_BARE_LF;
}

static struct mime_part *mime_parser_begin_part(struct mime_parser *p, struct mime_part *parent,
						uint32_t flags)
{
	struct mime_part *part = mime_part_new(parent);

	part->flags |= flags;
	part->offset = p->at.off;
	if (parent == NULL)
		p->msg->root = part;
	p->msg->n_parts++;
	if (p->n_open == p->cap_open) {
		p->cap_open = p->cap_open == 0 ? 8 : p->cap_open * 2;
		p->open = xrealloc(p->open, sizeof(*p->open) * p->cap_open);
	}
	p->open[p->n_open].part = part;
	p->open[p->n_open].header_start = p->at;
	p->open[p->n_open].body_start = p->at;
	p->n_open++;
	mime_parser_push(p, MIME_EVENT_PART_BEGIN, part);
	p->state = MIME_ST_HEADER;
	p->field_pending = false;
	p->field_dropped = false;
	p->header_bytes = 0;
	pb_buf_reset(&p->field);
	return part;
}

static void mime_parser_pop_boundary(struct mime_parser *p)
{
	free(p->bounds[--p->n_bounds].str);
	p->max_bound_len = 0;
	for (unsigned int i = 0; i < p->n_bounds; i++) {
		if (p->bounds[i].len > p->max_bound_len)
			p->max_bound_len = p->bounds[i].len;
	}
}

/* Ends the current part at the current position. */
static void mime_parser_end_part(struct mime_parser *p)
{
	struct mime_open *o = &p->open[p->n_open - 1];
	struct mime_part *part = o->part;

	mime_size_between(&part->body, &o->body_start, &p->at);
	if (p->n_bounds > 0 && p->bounds[p->n_bounds - 1].part == part) {
		mime_parser_pop_boundary(p);
		part->flags |= MIME_PART_FLAG_NO_CLOSE;
	}
	p->n_open--;
	mime_parser_push(p, MIME_EVENT_PART_END, part);
}

static void mime_parser_finish_all(struct mime_parser *p)
{
	while (p->n_open > 0)
		mime_parser_end_part(p);
	mime_parser_push(p, MIME_EVENT_END, p->msg->root);
	p->state = MIME_ST_END;
}

/* The parts limit was reached at a boundary: stop recognising boundaries. */
static void mime_parser_disable_boundaries(struct mime_parser *p)
{
	while (p->n_bounds > 0) {
		p->bounds[p->n_bounds - 1].part->flags |= MIME_PART_FLAG_NO_CLOSE;
		mime_parser_pop_boundary(p);
	}
	p->msg->flags |= MIME_MESSAGE_FLAG_PARTS_LIMIT;
}

static int mime_parser_boundary_match(const struct mime_parser *p, const unsigned char *s,
				      size_t n, bool *close_r)
{
	if (n < 2 || s[0] != '-' || s[1] != '-')
		return -1;
	for (unsigned int i = p->n_bounds; i-- > 0;) {
		const struct mime_boundary *b = &p->bounds[i];
		if (n >= 2 + b->len && memcmp(s + 2, b->str, b->len) == 0) {
			*close_r = n >= 4 + b->len && s[2 + b->len] == '-' && s[3 + b->len] == '-';
			return (int)i;
		}
	}
	return -1;
}

/* Classifies the line starting at s (rem octets available). Returns -1 if more input is
 * needed, 0 if it is not a boundary line, 1 if it is (idx_r, close_r). */
static int mime_parser_line_boundary(struct mime_parser *p, const unsigned char *s, size_t rem,
				     unsigned int *idx_r, bool *close_r)
{
	if (rem == 0)
		return p->eof ? 0 : -1;
	if (s[0] != '-' || p->n_bounds == 0)
		return 0;
	size_t need = 4 + p->max_bound_len, n = rem < need ? rem : need;
	const unsigned char *nl = memchr(s, '\n', n);
	if (nl == NULL && rem < need && !p->eof)
		return -1;
	if (nl != NULL)
		n = (size_t)(nl - s);
	int b = mime_parser_boundary_match(p, s, n, close_r);
	if (b < 0)
		return 0;
	if (!*close_r && p->msg->n_parts >= p->limits.max_parts) {
		mime_parser_disable_boundaries(p);
		return 0;
	}
	*idx_r = (unsigned int)b;
	return 1;
}

/* A boundary line starts `pre` octets (its line break) after pos. */
static void mime_parser_boundary_hit(struct mime_parser *p, size_t pre, unsigned int idx,
				     bool close)
{
	struct mime_part *owner = p->bounds[idx].part;

	while (mime_parser_cur(p) != owner)
		mime_parser_end_part(p);
	mime_parser_consume(p, pre);
	if (close)
		mime_parser_pop_boundary(p);
	p->boundary_opens = !close;
	p->boundary_owner = owner;
	p->state = MIME_ST_BOUNDARY_LINE;
}

static bool mime_encoding_is_identity(const char *enc)
{
	return enc == NULL || strcasecmp(enc, "7bit") == 0 || strcasecmp(enc, "8bit") == 0 ||
	       strcasecmp(enc, "binary") == 0;
}

static bool mime_parser_depth_ok(struct mime_parser *p, struct mime_part *part)
{
	if (part->depth + 1 <= p->limits.max_depth)
		return true;
	part->flags |= MIME_PART_FLAG_DEPTH_LIMIT;
	p->msg->flags |= MIME_MESSAGE_FLAG_DEPTH_LIMIT;
	return false;
}

static void mime_parser_start_multipart(struct mime_parser *p, struct mime_part *part)
{
	const char *b = mime_param_list_get(&part->params, "boundary");
	size_t len = b == NULL ? 0 : strlen(b);

	if (len == 0 || len > MIME_BOUNDARY_MAX || (p->msg->flags & MIME_MESSAGE_FLAG_PARTS_LIMIT))
		return;
	if (!mime_parser_depth_ok(p, part))
		return;
	part->flags |= MIME_PART_FLAG_MULTIPART;
	if (p->n_bounds == p->cap_bounds) {
		p->cap_bounds = p->cap_bounds == 0 ? 8 : p->cap_bounds * 2;
		p->bounds = xrealloc(p->bounds, sizeof(*p->bounds) * p->cap_bounds);
	}
	p->bounds[p->n_bounds].str = xstrdup(b);
	p->bounds[p->n_bounds].len = len;
	p->bounds[p->n_bounds].part = part;
	p->n_bounds++;
	if (len > p->max_bound_len)
		p->max_bound_len = len;
}

static void mime_parser_start_message(struct mime_parser *p, struct mime_part *part)
{
	if (!mime_parser_depth_ok(p, part))
		return;
	if (p->msg->n_parts >= p->limits.max_parts) {
		p->msg->flags |= MIME_MESSAGE_FLAG_PARTS_LIMIT;
		return;
	}
	part->flags |= MIME_PART_FLAG_MESSAGE;
	(void)mime_parser_begin_part(p, part, MIME_PART_FLAG_MESSAGE_ROOT);
}

/* The current part's header ends at the current position. */
static void mime_parser_header_end(struct mime_parser *p, bool has_blank)
{
	struct mime_open *o = &p->open[p->n_open - 1];
	struct mime_part *part = o->part;

	mime_size_between(&part->header, &o->header_start, &p->at);
	o->body_start = p->at;
	if ((part->flags & MIME_PART_FLAG_HEADER_LIMIT) != 0)
		p->msg->flags |= MIME_MESSAGE_FLAG_HEADER_LIMIT;
	mime_parser_push(p, MIME_EVENT_HEADER_END, part);
	p->state = MIME_ST_BODY;
	p->body_at_start = true;
	if (!has_blank) {
		part->flags |= MIME_PART_FLAG_NO_BODY;
		return;
	}
	if (mime_part_is(part, "multipart", NULL))
		mime_parser_start_multipart(p, part);
	else if (mime_part_is(part, "message", "rfc822") && mime_encoding_is_identity(part->encoding))
		mime_parser_start_message(p, part);
}

static bool mime_field_name_ok(const char *name, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c >= 0x7F)
			return false;
	}
	return true;
}

/* The pending field is complete: interpret it and report it. */
static int mime_parser_emit_field(struct mime_parser *p, struct mime_event *ev)
{
	struct mime_part *part = mime_parser_cur(p);
	const char *f = p->field.data != NULL ? p->field.data : "";
	size_t len = p->field.len, name_len;

	p->field_pending = false;
	if (p->field_dropped) {
		p->field_dropped = false;
		return MIME_STEP_AGAIN;
	}
	const char *colon = memchr(f, ':', len);
	name_len = colon == NULL ? 0 : (size_t)(colon - f);
	while (name_len > 0 && (f[name_len - 1] == ' ' || f[name_len - 1] == '\t'))
		name_len--;
	if (colon == NULL || !mime_field_name_ok(f, name_len)) {
		part->flags |= MIME_PART_FLAG_HEADER_BAD_LINE;
		return MIME_STEP_AGAIN;
	}
	const char *value = colon + 1, *end = f + len;
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	mime_part_add_field(part, f, name_len, value, (size_t)(end - value));
	ev->type = MIME_EVENT_HEADER;
	ev->part = part;
	ev->name = f;
	ev->name_len = name_len;
	ev->value = value;
	ev->value_len = (size_t)(end - value);
	return MIME_STEP_EVENT;
}

/* Adds n octets of a header line (has_nl: they end with its LF) to the pending field. */
static void mime_parser_field_append(struct mime_parser *p, const char *s, size_t n, bool has_nl)
{
	struct mime_part *part = mime_parser_cur(p);
	size_t k = has_nl ? n - 1 : n;

	for (size_t i = 0; i < k; i++) {
		if ((unsigned char)s[i] >= 0x80)
			part->flags |= MIME_PART_FLAG_HEADER_8BIT;
		else if (s[i] == '\0')
			part->flags |= MIME_PART_FLAG_HEADER_NUL;
	}
	if (p->field_dropped)
		return;
	if (p->header_bytes + n > p->limits.max_header_size) {
		p->field_dropped = true;
		part->flags |= MIME_PART_FLAG_HEADER_LIMIT;
		pb_buf_reset(&p->field);
		return;
	}
	if (has_nl && k > 0 && s[k - 1] == '\r')
		k--;
	else if (has_nl && k == 0 && p->field.len > 0 && p->field.data[p->field.len - 1] == '\r')
		p->field.data[--p->field.len] = '\0';
	pb_buf_append(&p->field, s, k);
}

static int mime_parser_step_header(struct mime_parser *p, struct mime_event *ev)
{
	const unsigned char *s = (const unsigned char *)p->in.data + p->pos;
	size_t avail = p->in.len - p->pos;
	unsigned int idx;
	bool close;

	if (avail == 0 && !p->eof)
		return MIME_STEP_NEED;
	int r = mime_parser_line_boundary(p, s, avail, &idx, &close);
	if (r < 0 || (avail == 1 && s[0] == '\r' && !p->eof))
		return MIME_STEP_NEED;
	bool blank = avail > 0 && (s[0] == '\n' || (s[0] == '\r' && avail > 1 && s[1] == '\n'));
	bool cont = avail > 0 && (s[0] == ' ' || s[0] == '\t') && p->field_pending;
	if (p->field_pending && !cont)
		return mime_parser_emit_field(p, ev);
	if (avail == 0 || r > 0) {
		mime_parser_header_end(p, false);
		if (r > 0)
			mime_parser_boundary_hit(p, 0, idx, close);
		return MIME_STEP_AGAIN;
	}
	if (blank) {
		size_t n = s[0] == '\n' ? 1 : 2;
		p->header_bytes += n;
		mime_parser_consume(p, n);
		mime_parser_header_end(p, true);
		return MIME_STEP_AGAIN;
	}
	if (!cont) {
		pb_buf_reset(&p->field);
		p->field_pending = true;
	}
	p->state = MIME_ST_HEADER_LINE;
	return MIME_STEP_AGAIN;
}

static int mime_parser_step_header_line(struct mime_parser *p)
{
	const char *s = p->in.data + p->pos;
	size_t avail = p->in.len - p->pos;

	if (avail == 0) {
		if (!p->eof)
			return MIME_STEP_NEED;
		p->state = MIME_ST_HEADER;
		return MIME_STEP_AGAIN;
	}
	const char *nl = memchr(s, '\n', avail);
	size_t n = nl != NULL ? (size_t)(nl - s) + 1 : avail;
	mime_parser_field_append(p, s, n, nl != NULL);
	p->header_bytes += n;
	mime_parser_consume(p, n);
	if (nl != NULL)
		p->state = MIME_ST_HEADER;
	return nl != NULL || p->eof ? MIME_STEP_AGAIN : MIME_STEP_NEED;
}

static int mime_parser_step_boundary_line(struct mime_parser *p)
{
	const char *s = p->in.data + p->pos;
	size_t avail = p->in.len - p->pos;
	const char *nl = memchr(s, '\n', avail);

	mime_parser_consume(p, nl != NULL ? (size_t)(nl - s) + 1 : avail);
	if (nl == NULL && !p->eof)
		return MIME_STEP_NEED;
	if (p->boundary_opens) {
		(void)mime_parser_begin_part(p, p->boundary_owner, 0);
	} else {
		p->state = MIME_ST_BODY;
		p->body_at_start = true;
	}
	return MIME_STEP_AGAIN;
}

/* Scans the body from pos: *safe_r octets are body for sure; *found_r set if a boundary
 * line starts at *line_r (then *safe_r ends at the line break before it). */
static void mime_parser_scan_body(struct mime_parser *p, size_t *safe_r, bool *found_r,
				  size_t *line_r, unsigned int *idx_r, bool *close_r)
{
	const unsigned char *s = (const unsigned char *)p->in.data + p->pos;
	size_t avail = p->in.len - p->pos, i = 0;
	bool line_start = p->body_at_start;

	*safe_r = 0;
	*found_r = false;
	for (;;) {
		if (line_start) {
			int r = mime_parser_line_boundary(p, s + i, avail - i, idx_r, close_r);
			if (r < 0)
				return;
			if (r > 0) {
				*found_r = true;
				*line_r = i;
				return;
			}
		}
		const unsigned char *nl = memchr(s + i, '\n', avail - i);
		if (nl == NULL) {
			bool hold_cr = !p->eof && avail > 0 && s[avail - 1] == '\r';
			*safe_r = hold_cr ? avail - 1 : avail;
			return;
		}
		*safe_r = (size_t)(nl - s) - (nl > s && nl[-1] == '\r' ? 1 : 0);
		i = (size_t)(nl - s) + 1;
		line_start = true;
	}
}

static int mime_parser_step_body(struct mime_parser *p, struct mime_event *ev)
{
	size_t avail = p->in.len - p->pos, safe = avail, line = 0;
	unsigned int idx = 0;
	bool found = false, close = false;

	if (p->n_bounds > 0)
		mime_parser_scan_body(p, &safe, &found, &line, &idx, &close);
	if (safe > 0) {
		ev->type = MIME_EVENT_BODY;
		ev->part = mime_parser_cur(p);
		ev->data = (const unsigned char *)p->in.data + p->pos;
		ev->data_len = safe;
		mime_parser_consume(p, safe);
		p->body_at_start = false;
		return MIME_STEP_EVENT;
	}
	if (found) {
		mime_parser_boundary_hit(p, line, idx, close);
		return MIME_STEP_AGAIN;
	}
	if (p->eof && avail == 0) {
		mime_parser_finish_all(p);
		return MIME_STEP_AGAIN;
	}
	return MIME_STEP_NEED;
}

struct mime_parser *mime_parser_create(const struct mime_limits *limits)
{
	struct mime_parser *p = xcalloc(1, sizeof(*p));

	if (limits != NULL)
		p->limits = *limits;
	if (p->limits.max_header_size == 0)
		p->limits.max_header_size = MIME_DEFAULT_MAX_HEADER_SIZE;
	if (p->limits.max_depth == 0)
		p->limits.max_depth = MIME_DEFAULT_MAX_DEPTH;
	if (p->limits.max_parts == 0)
		p->limits.max_parts = MIME_DEFAULT_MAX_PARTS;
	pb_buf_init(&p->in);
	pb_buf_append(&p->in, "", 0); /* never NULL: scanning does in.data + pos */
	pb_buf_init(&p->field);
	p->msg = xcalloc(1, sizeof(*p->msg));
	(void)mime_parser_begin_part(p, NULL, MIME_PART_FLAG_MESSAGE_ROOT);
	return p;
}

void mime_parser_destroy(struct mime_parser **pp)
{
	struct mime_parser *p = *pp;

	if (p == NULL)
		return;
	mime_message_free(&p->msg);
	while (p->n_bounds > 0)
		mime_parser_pop_boundary(p);
	free(p->bounds);
	free(p->open);
	free(p->queue);
	pb_buf_deinit(&p->in);
	pb_buf_deinit(&p->field);
	free(p);
	*pp = NULL;
}

void mime_parser_feed(struct mime_parser *p, const void *data, size_t len)
{
	if (p->pos > 0) {
		pb_buf_consume(&p->in, p->pos);
		p->pos = 0;
	}
	pb_buf_append(&p->in, data, len);
}

void mime_parser_finish(struct mime_parser *p)
{
	p->eof = true;
}

int mime_parser_next(struct mime_parser *p, struct mime_event *ev_r)
{
	memset(ev_r, 0, sizeof(*ev_r));
	for (;;) {
		int r;

		if (p->q_head < p->q_len) {
			ev_r->type = p->queue[p->q_head].type;
			ev_r->part = p->queue[p->q_head].part;
			if (++p->q_head == p->q_len)
				p->q_head = p->q_len = 0;
			return 1;
		}
		switch (p->state) {
		case MIME_ST_HEADER:
			r = mime_parser_step_header(p, ev_r);
			break;
		case MIME_ST_HEADER_LINE:
			r = mime_parser_step_header_line(p);
			break;
		case MIME_ST_BODY:
			r = mime_parser_step_body(p, ev_r);
			break;
		case MIME_ST_BOUNDARY_LINE:
			r = mime_parser_step_boundary_line(p);
			break;
		default:
			return 0;
		}
		if (r != MIME_STEP_AGAIN)
			return r == MIME_STEP_EVENT ? 1 : 0;
	}
}

struct mime_message *mime_parser_take_message(struct mime_parser *p)
{
	struct mime_message *msg = p->msg;

	if (p->state != MIME_ST_END || p->q_head < p->q_len)
		return NULL;
	p->msg = NULL;
	return msg;
}

struct mime_message *mime_message_parse(const void *data, size_t len,
					const struct mime_limits *limits)
{
	struct mime_parser *p = mime_parser_create(limits);
	struct mime_event ev;
	struct mime_message *msg;

	mime_parser_feed(p, data, len);
	mime_parser_finish(p);
	while (mime_parser_next(p, &ev) > 0)
		;
	msg = mime_parser_take_message(p);
	ASSERT(msg != NULL);
	mime_parser_destroy(&p);
	return msg;
}
