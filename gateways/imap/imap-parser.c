/*
 * imap-parser.c: the IMAP command parser's machine — line framing (pb-lines.h), the tag and
 * command name, literals (inline, streamed, refused, skipped), the per-command arena and
 * the hand-over to the typed layer of the command table.
 * OWNS: the input buffer, the arena and the tokenizer state. THREAD: one session.
 *
 * A command is read line by line; a line may end in a literal announcement, and the literal
 * is followed by the rest of the command on the next "line". Tokens never span a line, so
 * each line is tokenized whole; only the stack of open lists (and the arguments) carries
 * over between lines.
 */
#include "imap-parser-private.h"

#include "pb-alloc.h"
#include "pb-lines.h"

#include <ctype.h>
#include <string.h>

enum imap_parser_state {
	ST_LINE = 0,	/* waiting for a line (the first of a command, or one after a literal) */
	ST_DECIDE,	/* a LITERAL event waits for accept / refuse */
	ST_INLINE,	/* reading lit.size octets into the command */
	ST_STREAM,	/* handing out `remaining` octets as DATA */
	ST_SKIP,	/* dropping `remaining` octets, then the rest of the line */
	ST_DROP_LINE,	/* dropping the rest of a failed command's line */
};

/* A step's "go on" (internal; never returned by imap_parser_next). */
#define STEP_CONTINUE 100

struct imap_parser {
	struct pb_lines lines;
	struct imap_arena arena;
	struct imap_tokenizer tok;
	enum imap_parser_state state;
	bool in_cmd;	      /* the current command's first line was read */
	bool reset_pending;   /* the last event ended a command: free it at the next call */
	const struct imap_cmd_def *def;
	struct imap_cmd cmd;
	struct imap_lit_announce lit;
	bool lit_stream;
	uint64_t remaining;
	struct imap_append_msg *msgs; /* APPEND: the streamed messages so far */
	unsigned n_msgs;
};

struct imap_parser *imap_parser_create(void)
{
	struct imap_parser *p = xcalloc(1, sizeof(*p));

	pb_lines_init(&p->lines, IMAP_PARSER_INPUT_MAX);
	imap_arena_init(&p->arena, IMAP_COMMAND_MAX);
	return p;
}

void imap_parser_destroy(struct imap_parser **pp)
{
	struct imap_parser *p = *pp;

	if (p == NULL)
		return;
	pb_lines_deinit(&p->lines);
	imap_arena_deinit(&p->arena);
	explicit_bzero(p, sizeof(*p));
	free(p);
	*pp = NULL;
}

int imap_parser_feed(struct imap_parser *p, const void *data, size_t len)
{
	return pb_lines_feed(&p->lines, data, len);
}

void imap_parser_pending(const struct imap_parser *p, const void **data_r, size_t *len_r)
{
	pb_lines_pending(&p->lines, data_r, len_r);
}

/* Frees the command (its strings included) and starts afresh. */
static void cmd_reset(struct imap_parser *p)
{
	imap_arena_reset(&p->arena);
	imap_tokenizer_reset(&p->tok);
	memset(&p->cmd, 0, sizeof(p->cmd));
	p->def = NULL;
	p->in_cmd = false;
	p->msgs = NULL;
	p->n_msgs = 0;
	p->reset_pending = false;
}

void imap_parser_discard_pending(struct imap_parser *p)
{
	pb_lines_discard(&p->lines);
	cmd_reset(p);
	p->state = ST_LINE;
}

/* Ends the command in error; the caller returns IMAP_PARSE_BAD. `line` (may be NULL) is the
 * line being read: if it ends in {n+} / {n-}, those octets are skipped. */
static int bad(struct imap_parser *p, struct imap_event *ev, const char *error, const char *line,
	       size_t len)
{
	struct imap_lit_announce lit;

	ev->cmd = p->cmd;
	ev->error = error;
	p->reset_pending = true;
	p->state = ST_LINE;
	if (line != NULL && imap_line_ends_in_literal(line, len, &lit) && !lit.sync) {
		p->state = ST_SKIP;
		p->remaining = lit.size;
	}
	return IMAP_PARSE_BAD;
}

/* Like bad(), after a literal: the rest of the command's line is dropped too. */
static int bad_after_literal(struct imap_parser *p, struct imap_event *ev, const char *error)
{
	bad(p, ev, error, NULL, 0);
	p->state = ST_DROP_LINE;
	return IMAP_PARSE_BAD;
}

/* tag = 1*<ASTRING-CHAR except "+"> (RFC 3501 9). */
static bool tag_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\+", c) == NULL;
}

/* Reads "tag SP [UID SP] name" from the line; *rest_r is what follows the name. */
static const char *read_head(struct imap_parser *p, const char *s, const char **rest_r)
{
	size_t n = 0;

	while (tag_char((unsigned char)s[n]))
		n++;
	if (n == 0 || n > IMAP_TAG_MAX || s[n] != ' ')
		return "invalid tag";
	p->cmd.tag = imap_arena_strndup(&p->arena, s, n);
	s += n + 1;
	for (int word = 0; word < 2; word++) {
		size_t len = 0;
		char name[24];
		while (len < sizeof(name) - 1 && (isalnum((unsigned char)s[len]) || s[len] == '-'))
			name[len] = (char)toupper((unsigned char)s[len]), len++;
		name[len] = '\0';
		if (len == 0 || (s[len] != ' ' && s[len] != '\0'))
			return "invalid command name";
		s += len;
		if (word == 0 && strcmp(name, "UID") == 0 && *s == ' ') {
			p->cmd.uid = true;
			s++;
			continue;
		}
		p->def = imap_cmd_def_find(name);
		if (p->def == NULL)
			return "unknown command";
		p->cmd.name = p->def->name;
		p->cmd.kind = p->def->kind;
		break;
	}
	if (p->cmd.uid && !(p->def->flags & IMAP_CMDF_UID))
		return "command has no UID form";
	*rest_r = s;
	return NULL;
}

static bool line_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false; /* NUL, CR, other controls; TAB may be quoted */
	}
	return true;
}

/* The command's arguments are complete: the typed layer checks them. */
static int finish(struct imap_parser *p, struct imap_event *ev)
{
	struct imap_cursor c;

	if (p->tok.depth > 0)
		return bad(p, ev, "missing \")\"", NULL, 0);
	p->cmd.args = p->tok.stack[0].v;
	p->cmd.n_args = p->tok.stack[0].n;
	imap_cursor_init(&c, p->cmd.args, p->cmd.n_args, &p->arena);
	if (p->def->parse(&c, &p->cmd) < 0)
		return bad(p, ev, c.error != NULL ? c.error : "invalid arguments", NULL, 0);
	ev->cmd = p->cmd;
	p->reset_pending = true;
	return IMAP_PARSE_COMMAND;
}

/* Whether the literal just announced is APPEND's message: at the top level after the mailbox,
 * or the literal8 that opens the list after an atom UTF8 (RFC 6855 4: "UTF8 (~{n}...)"). */
static bool literal_streams(const struct imap_parser *p)
{
	const struct imap_arg_vec *top = &p->tok.stack[0];

	if (!(p->def->flags & IMAP_CMDF_STREAM) || top->n < 1)
		return false;
	if (p->tok.depth == 0)
		return true;
	const struct imap_arg *utf8 = top->n >= 3 ? &top->v[top->n - 2] : NULL; /* then the list */
	return p->tok.depth == 1 && p->tok.stack[1].n == 0 && p->lit.binary && utf8 != NULL &&
	       utf8->type == IMAP_ARG_ATOM && imap_eq(utf8->str, "UTF8");
}

static int announce(struct imap_parser *p, struct imap_event *ev, const char *line, size_t len)
{
	struct imap_literal *l = &ev->literal;

	l->size = p->lit.size;
	l->sync = p->lit.sync;
	l->minus = p->lit.minus;
	l->binary = p->lit.binary;
	p->lit_stream = l->stream = literal_streams(p);
	if (l->stream) {
		struct imap_cursor c;
		imap_cursor_init(&c, p->tok.stack[0].v, p->tok.stack[0].n, &p->arena);
		if (imap_parse_append_head(&c, &p->cmd) < 0)
			return bad(p, ev, c.error != NULL ? c.error : "invalid APPEND", line, len);
		p->cmd.append_next.size = l->size;
		p->cmd.append_next.binary = l->binary;
	} else {
		l->fits = l->size <= IMAP_LITERAL_INLINE_MAX &&
			  l->size < p->arena.limit - p->arena.used;
	}
	ev->cmd = p->cmd;
	p->state = ST_DECIDE;
	return IMAP_PARSE_LITERAL;
}

/* One line of a command: the head if it is the first, then arguments. */
static int process_line(struct imap_parser *p, struct imap_event *ev, const char *line, size_t len)
{
	const char *rest = line, *error = NULL;

	if (!line_chars_ok(line, len))
		return bad(p, ev, "invalid characters in command", line, len);
	if (!p->in_cmd) {
		p->in_cmd = true;
		if ((error = read_head(p, line, &rest)) != NULL)
			return bad(p, ev, error, line, len);
	}
	int ret = imap_tokenize(&p->tok, &p->arena, rest, len - (size_t)(rest - line), &p->lit,
				&error);
	if (ret < 0)
		return bad(p, ev, error, line, len);
	if (ret > 0)
		return announce(p, ev, line, len);
	return finish(p, ev);
}

/* ST_INLINE: the literal's octets, once all are buffered, become an argument. */
static int take_inline(struct imap_parser *p, struct imap_event *ev)
{
	const void *data;
	size_t avail;
	const char *error;

	pb_lines_pending(&p->lines, &data, &avail);
	if (avail < p->lit.size)
		return IMAP_PARSE_NEED_MORE;
	size_t n = (size_t)p->lit.size;
	struct imap_arg arg = {.type = IMAP_ARG_LITERAL, .len = n, .binary = p->lit.binary};
	bool has_nul = memchr(data, '\0', n) != NULL;
	arg.str = imap_arena_strndup(&p->arena, data, n);
	explicit_bzero((void *)data, n);
	pb_lines_consume(&p->lines, n);
	p->state = ST_LINE;
	if (has_nul)
		return bad_after_literal(p, ev, "NUL in literal");
	if (arg.str == NULL || imap_tokenizer_add(&p->tok, &p->arena, &arg, &error) < 0)
		return bad_after_literal(p, ev, arg.str == NULL ? "command too long" : error);
	return STEP_CONTINUE; /* the rest of the command follows */
}

/* ST_STREAM: hands out what is buffered of the literal. */
static int take_stream(struct imap_parser *p, struct imap_event *ev)
{
	const void *data;
	size_t avail;

	if (p->remaining == 0) {
		p->state = ST_LINE;
		return STEP_CONTINUE;
	}
	pb_lines_pending(&p->lines, &data, &avail);
	if (avail == 0)
		return IMAP_PARSE_NEED_MORE;
	size_t n = avail < p->remaining ? avail : (size_t)p->remaining;
	pb_lines_consume(&p->lines, n);
	p->remaining -= n;
	ev->cmd = p->cmd;
	ev->data = data;
	ev->data_len = n;
	return IMAP_PARSE_DATA;
}

/* ST_SKIP: drops the octets of a refused or failed {n+} literal. */
static int skip_octets(struct imap_parser *p)
{
	const void *data;
	size_t avail;

	pb_lines_pending(&p->lines, &data, &avail);
	size_t n = avail < p->remaining ? avail : (size_t)p->remaining;
	pb_lines_consume(&p->lines, n);
	p->remaining -= n;
	if (p->remaining > 0)
		return IMAP_PARSE_NEED_MORE;
	p->state = ST_DROP_LINE;
	return STEP_CONTINUE;
}

/* ST_LINE and ST_DROP_LINE: the next line. */
static int take_line(struct imap_parser *p, struct imap_event *ev)
{
	char *line = NULL;
	size_t len = 0;
	struct imap_lit_announce lit;

	int ret = pb_lines_take(&p->lines, IMAP_LINE_MAX, &line, &len);
	if (ret == 0)
		return IMAP_PARSE_NEED_MORE;
	const char *end = line; /* what shows a {n+} at the line's end */
	if (ret < 0) /* an over-long line: its end was kept, its literal is skipped all the same */
		len = pb_lines_dropped_tail(&p->lines, &end);
	if (p->state == ST_DROP_LINE) {
		p->state = ST_LINE;
		if (imap_line_ends_in_literal(end, len, &lit) && !lit.sync) {
			p->state = ST_SKIP;
			p->remaining = lit.size;
		}
		return STEP_CONTINUE;
	}
	if (ret < 0)
		return bad(p, ev, "line too long", end, len);
	if (len == 0 && !p->in_cmd)
		return STEP_CONTINUE; /* an empty line between commands is ignored */
	return process_line(p, ev, line, len);
}

static int step(struct imap_parser *p, struct imap_event *ev)
{
	switch (p->state) {
	case ST_LINE:
	case ST_DROP_LINE:
		return take_line(p, ev);
	case ST_INLINE:
		return take_inline(p, ev);
	case ST_STREAM:
		return take_stream(p, ev);
	case ST_SKIP:
		return skip_octets(p);
	case ST_DECIDE:
		break;
	}
	PANIC("imap_parser_next() while a literal waits for accept or refuse");
}

int imap_parser_next(struct imap_parser *p, struct imap_event *ev_r)
{
	int ret;

	memset(ev_r, 0, sizeof(*ev_r));
	if (p->reset_pending)
		cmd_reset(p);
	while ((ret = step(p, ev_r)) == STEP_CONTINUE)
		;
	return ret;
}

int imap_parser_next_line(struct imap_parser *p, const char **line_r, size_t *len_r)
{
	char *line;

	if (p->reset_pending)
		cmd_reset(p);
	ASSERT(p->state == ST_LINE && !p->in_cmd);
	int ret = pb_lines_take(&p->lines, IMAP_LINE_MAX, &line, len_r);
	if (ret > 0)
		*line_r = line;
	return ret;
}

int imap_parser_literal_accept(struct imap_parser *p, const char **error_r)
{
	ASSERT(p->state == ST_DECIDE);
	if (!p->lit_stream) {
		if (p->lit.size > IMAP_LITERAL_INLINE_MAX ||
		    p->lit.size >= p->arena.limit - p->arena.used) {
			*error_r = "literal too big";
			return -1;
		}
		p->state = ST_INLINE;
		return 0;
	}
	struct imap_arg arg = {.type = IMAP_ARG_STREAM, .size = p->lit.size,
			       .binary = p->lit.binary};
	if (imap_tokenizer_add(&p->tok, &p->arena, &arg, error_r) < 0)
		return -1;
	p->state = ST_STREAM;
	p->remaining = p->lit.size;
	return 0;
}

void imap_parser_literal_refuse(struct imap_parser *p)
{
	ASSERT(p->state == ST_DECIDE);
	p->reset_pending = true;
	p->state = ST_LINE;
	if (!p->lit.sync) {
		p->state = ST_SKIP;
		p->remaining = p->lit.size;
	}
}
