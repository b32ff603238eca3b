/*
 * imap-args.c: the IMAP tokenizer (a line of a command into atoms, quoted strings, NIL and
 * nested lists, ending maybe in a literal announcement) and the cursor the typed layers read
 * the arguments with.
 * OWNS nothing (arguments live in the command arena). THREAD: the parser's.
 *
 * Atoms are read leniently (anything but SP, CTL, "(", ")", "{" and DQUOTE) and checked by the
 * typed layers, with one exception to the grammar: a "[" inside an atom opens a section
 * that runs to its "]" with spaces and parentheses in it, so that
 * BODY.PEEK[HEADER.FIELDS (From To)]<0.100> is one atom, as RFC 3501's fetch-att reads.
 */
#include "imap-parser-private.h"

#include <string.h>
#include <strings.h>

void imap_tokenizer_reset(struct imap_tokenizer *t)
{
	memset(t, 0, sizeof(*t));
}

static int vec_push(struct imap_arg_vec *v, struct imap_arena *a, const struct imap_arg *arg)
{
	if (v->n == v->cap) {
		unsigned cap = v->cap == 0 ? 8 : v->cap * 2;
		struct imap_arg *nv = imap_arena_alloc(a, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		if (v->n > 0)
			memcpy(nv, v->v, v->n * sizeof(*nv));
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = *arg;
	return 0;
}

int imap_tokenizer_add(struct imap_tokenizer *t, struct imap_arena *a,
		       const struct imap_arg *arg, const char **error_r)
{
	if (t->total >= IMAP_ARGS_MAX) {
		*error_r = "too many arguments";
		return -1;
	}
	if (vec_push(&t->stack[t->depth], a, arg) < 0) {
		*error_r = "command too long";
		return -1;
	}
	t->total++;
	return 0;
}

static int open_list(struct imap_tokenizer *t, struct imap_arena *a, const char **error_r)
{
	struct imap_arg arg = {.type = IMAP_ARG_LIST};

	if (t->depth >= IMAP_DEPTH_MAX) {
		*error_r = "lists nested too deep";
		return -1;
	}
	if (imap_tokenizer_add(t, a, &arg, error_r) < 0)
		return -1;
	t->depth++;
	memset(&t->stack[t->depth], 0, sizeof(t->stack[t->depth]));
	return 0;
}

static int close_list(struct imap_tokenizer *t, const char **error_r)
{
	if (t->depth == 0) {
		*error_r = "unexpected \")\"";
		return -1;
	}
	struct imap_arg_vec *child = &t->stack[t->depth--];
	struct imap_arg_vec *parent = &t->stack[t->depth];
	struct imap_arg *node = &parent->v[parent->n - 1];
	node->list = child->v;
	node->n = child->n;
	return 0;
}

/* A quoted string starting at s[*pos] == '"'; unescapes \" and \\ only (RFC 3501 9). */
static int read_quoted(struct imap_tokenizer *t, struct imap_arena *a, const char *s, size_t len,
		       size_t *pos, const char **error_r)
{
	size_t i = *pos + 1, n = 0;
	char *out = imap_arena_alloc(a, len - *pos);

	if (out == NULL) {
		*error_r = "command too long";
		return -1;
	}
	for (; i < len && s[i] != '"'; i++) {
		if (s[i] == '\\') {
			if (i + 1 >= len || (s[i + 1] != '"' && s[i + 1] != '\\')) {
				*error_r = "invalid escape in quoted string";
				return -1;
			}
			i++;
		}
		out[n++] = s[i];
	}
	if (i >= len) {
		*error_r = "unterminated quoted string";
		return -1;
	}
	*pos = i + 1;
	struct imap_arg arg = {.type = IMAP_ARG_STRING, .str = out, .len = n};
	return imap_tokenizer_add(t, a, &arg, error_r);
}

static bool atom_stop(char c)
{
	return c == ' ' || c == '(' || c == ')' || c == '{' || c == '"';
}

/* An atom from s[*pos]; "[" ... "]" may hold spaces, parentheses and quotes. */
static int read_atom(struct imap_tokenizer *t, struct imap_arena *a, const char *s, size_t len,
		     size_t *pos, const char **error_r)
{
	size_t start = *pos, i = *pos;
	int brackets = 0;

	for (; i < len; i++) {
		if (s[i] == '[')
			brackets++;
		else if (s[i] == ']' && brackets > 0)
			brackets--;
		else if (brackets == 0 && atom_stop(s[i]))
			break;
		if (s[i] == '\t') {
			*error_r = "invalid characters in command";
			return -1;
		}
	}
	if (brackets > 0) {
		*error_r = "missing \"]\"";
		return -1;
	}
	struct imap_arg arg = {.type = IMAP_ARG_ATOM, .len = i - start};
	if (arg.len == 3 && strncasecmp(s + start, "NIL", 3) == 0)
		arg.type = IMAP_ARG_NIL;
	arg.str = imap_arena_strndup(a, s + start, arg.len);
	if (arg.str == NULL) {
		*error_r = "command too long";
		return -1;
	}
	*pos = i;
	return imap_tokenizer_add(t, a, &arg, error_r);
}

/* {n}, {n+}, {n-} at s[pos..len) (after an optional "~"), which must end the line. */
static int read_announce(const char *s, size_t len, size_t pos, struct imap_lit_announce *lit)
{
	uint64_t n = 0;
	size_t i = pos + 1, digits = 0;

	memset(lit, 0, sizeof(*lit));
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	lit->sync = true;
	if (i < len && (s[i] == '+' || s[i] == '-')) {
		lit->sync = false;
		lit->minus = s[i] == '-';
		i++;
	}
	if (digits == 0 || digits > 20 || i + 1 != len || s[i] != '}')
		return -1;
	lit->size = n;
	return 0;
}

bool imap_line_ends_in_literal(const char *s, size_t len, struct imap_lit_announce *lit_r)
{
	if (len == 0 || s[len - 1] != '}')
		return false;
	const char *open = memrchr(s, '{', len);
	if (open == NULL || read_announce(s, len, (size_t)(open - s), lit_r) < 0)
		return false;
	lit_r->binary = open > s && open[-1] == '~';
	return true;
}

static int read_token(struct imap_tokenizer *t, struct imap_arena *a, const char *s, size_t len,
		      size_t *pos, struct imap_lit_announce *lit_r, const char **error_r)
{
	char c = s[*pos];

	if (c == '(') {
		(*pos)++;
		return open_list(t, a, error_r);
	}
	if (c == ')') {
		(*pos)++;
		return close_list(t, error_r);
	}
	if (c == '"')
		return read_quoted(t, a, s, len, pos, error_r);
	if (c == '{' || (c == '~' && *pos + 1 < len && s[*pos + 1] == '{')) {
		size_t brace = c == '~' ? *pos + 1 : *pos;
		if (read_announce(s, len, brace, lit_r) < 0) {
			*error_r = "invalid literal announcement";
			return -1;
		}
		lit_r->binary = c == '~';
		*pos = len;
		return 1;
	}
	return read_atom(t, a, s, len, pos, error_r);
}

int imap_tokenize(struct imap_tokenizer *t, struct imap_arena *a, const char *s, size_t len,
		  struct imap_lit_announce *lit_r, const char **error_r)
{
	size_t pos = 0;

	while (pos < len) {
		if (s[pos] == ' ') {
			pos++;
			continue;
		}
		int ret = read_token(t, a, s, len, &pos, lit_r, error_r);
		if (ret != 0)
			return ret;
		if (pos < len && s[pos] != ' ' && s[pos] != ')' && s[pos - 1] != '(') {
			*error_r = "missing space between arguments";
			return -1;
		}
	}
	return 0;
}

/* ---- The cursor --------------------------------------------------------------------------- */

void imap_cursor_init(struct imap_cursor *c, const struct imap_arg *args, unsigned n,
		      struct imap_arena *arena)
{
	memset(c, 0, sizeof(*c));
	c->a = args;
	c->n = n;
	c->arena = arena;
}

const struct imap_arg *imap_cursor_peek(const struct imap_cursor *c)
{
	return c->i < c->n ? &c->a[c->i] : NULL;
}

bool imap_cursor_end(const struct imap_cursor *c)
{
	return c->i >= c->n;
}

int imap_fail(struct imap_cursor *c, const char *what)
{
	if (c->error == NULL)
		c->error = what;
	return -1;
}

void *imap_cursor_alloc(struct imap_cursor *c, size_t n, size_t size)
{
	void *p = NULL;

	if (n == 0)
		n = 1;
	if (n <= IMAP_COMMAND_MAX / size)
		p = imap_arena_alloc(c->arena, n * size);
	if (p == NULL)
		imap_fail(c, "command too long");
	return p;
}

int imap_take_astring(struct imap_cursor *c, const char *what, const char **s_r)
{
	const struct imap_arg *a = imap_cursor_peek(c);

	if (a == NULL || (a->type != IMAP_ARG_ATOM && a->type != IMAP_ARG_STRING &&
			  a->type != IMAP_ARG_LITERAL && a->type != IMAP_ARG_NIL))
		return imap_fail(c, what);
	*s_r = a->str; /* "NIL" as an astring is the name NIL */
	c->i++;
	return 0;
}

int imap_take_atom(struct imap_cursor *c, const char *what, const char **s_r)
{
	const struct imap_arg *a = imap_cursor_peek(c);

	if (a == NULL || (a->type != IMAP_ARG_ATOM && a->type != IMAP_ARG_NIL))
		return imap_fail(c, what);
	*s_r = a->str;
	c->i++;
	return 0;
}

int imap_take_string(struct imap_cursor *c, const char *what, const char **s_r)
{
	const struct imap_arg *a = imap_cursor_peek(c);

	if (a == NULL || (a->type != IMAP_ARG_STRING && a->type != IMAP_ARG_LITERAL))
		return imap_fail(c, what);
	*s_r = a->str;
	c->i++;
	return 0;
}

int imap_take_nstring(struct imap_cursor *c, const char *what, const char **s_r)
{
	const struct imap_arg *a = imap_cursor_peek(c);

	if (a != NULL && a->type == IMAP_ARG_NIL) {
		*s_r = NULL;
		c->i++;
		return 0;
	}
	return imap_take_string(c, what, s_r);
}

int imap_take_list(struct imap_cursor *c, const char *what, struct imap_cursor *sub_r)
{
	const struct imap_arg *a = imap_cursor_peek(c);

	if (a == NULL || a->type != IMAP_ARG_LIST)
		return imap_fail(c, what);
	imap_cursor_init(sub_r, a->list, a->n, c->arena);
	c->i++;
	return 0;
}

int imap_parse_number(const char *s, uint64_t max, uint64_t *n_r)
{
	uint64_t n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*n_r = n;
	return 0;
}

int imap_take_number(struct imap_cursor *c, const char *what, uint64_t max, uint64_t *n_r)
{
	const char *s;

	if (imap_take_atom(c, what, &s) < 0 || imap_parse_number(s, max, n_r) < 0)
		return imap_fail(c, what);
	return 0;
}

int imap_take_seqset(struct imap_cursor *c, const char *what, struct imap_seqset *set_r)
{
	const char *s, *error;

	if (imap_take_atom(c, what, &s) < 0)
		return -1;
	if (imap_seqset_parse(s, c->arena, set_r, &error) < 0)
		return imap_fail(c, error);
	return 0;
}

/* flag = "\" atom / atom (RFC 3501 9); "\*" only in PERMANENTFLAGS, not here. */
static bool flag_ok(const char *s)
{
	if (*s == '\\')
		s++;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch <= 0x20 || ch >= 0x7f || strchr("(){%*\"\\]", ch) != NULL)
			return false;
	}
	return true;
}

int imap_take_flags(struct imap_cursor *c, const char *what, const char *const **flags_r,
		    unsigned *n_r)
{
	struct imap_cursor sub;

	if (imap_take_list(c, what, &sub) < 0)
		return -1;
	const char **flags = imap_cursor_alloc(c, sub.n, sizeof(*flags));
	if (flags == NULL)
		return -1;
	for (unsigned i = 0; i < sub.n; i++) {
		if (imap_take_atom(&sub, what, &flags[i]) < 0 || !flag_ok(flags[i]))
			return imap_fail(c, "invalid flag");
	}
	*flags_r = flags;
	*n_r = sub.n;
	return 0;
}

int imap_take_end(struct imap_cursor *c, const char *what)
{
	return imap_cursor_end(c) ? 0 : imap_fail(c, what);
}

bool imap_eq(const char *s, const char *keyword)
{
	return s != NULL && strcasecmp(s, keyword) == 0;
}
