/*
 * pop3-parser.c: the POP3 command parser: input buffering, line framing with the
 * 255-octet limit, the verb table and the argument checks.
 * OWNS: the parser's input buffer. THREAD: one session.
 *
 * Line framing is pb-lines.h (shared with the SMTP parser): an over-long line is dropped as
 * it arrives and reported when its LF comes, and every line handed out is wiped at the next
 * call.
 */
#include "pop3-parser.h"

#include "pb-alloc.h"
#include "pb-lines.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_MECH_MAX 20 /* RFC 4422 3.1 */
#define MAX_WORDS 3

struct pop3_parser {
	struct pb_lines lines; /* input framing (pb-lines.h) */
};

struct pop3_verb_def {
	const char *name;
	enum pop3_verb verb;
	/* The pure check: args is the text after the verb and one blank, trimmed (PASS:
	 * untrimmed). Returns 1 or -1 via fail(). */
	int (*parse)(const struct pop3_verb_def *def, char *args, struct pop3_cmd *cmd);
	const char *usage; /* the "-ERR" text for a wrong number of arguments */
};

struct pop3_parser *pop3_parser_create(void)
{
	struct pop3_parser *p = xcalloc(1, sizeof(*p));

	pb_lines_init(&p->lines, POP3_PARSER_INPUT_MAX);
	return p;
}

void pop3_parser_destroy(struct pop3_parser **pp)
{
	struct pop3_parser *p = *pp;

	if (p == NULL)
		return;
	pb_lines_deinit(&p->lines);
	explicit_bzero(p, sizeof(*p));
	free(p);
	*pp = NULL;
}

int pop3_parser_feed(struct pop3_parser *p, const void *data, size_t len)
{
	return pb_lines_feed(&p->lines, data, len);
}

/* ---- Argument checks ------------------------------------------------------------------- */

static int fail(struct pop3_cmd *cmd, const char *text)
{
	cmd->error = text;
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits s (already trimmed) in place into at most MAX_WORDS words; returns the count, or
 * MAX_WORDS + 1 if there are more. */
static size_t split_words(char *s, char **words)
{
	size_t n = 0;

	for (;;) {
		while (is_blank(*s))
			*s++ = '\0';
		if (*s == '\0')
			return n;
		if (n == MAX_WORDS)
			return n + 1;
		words[n++] = s;
		while (*s != '\0' && !is_blank(*s))
			s++;
	}
}

/* Decimal min..POP3_NUMBER_MAX, digits only (leading zeros allowed). A larger value is
 * refused, or with saturate taken as POP3_NUMBER_MAX. */
static int parse_number(const char *s, uint32_t min, bool saturate, uint32_t *n_r)
{
	uint64_t n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n <= POP3_NUMBER_MAX)
			n = n * 10 + (uint64_t)(*s - '0');
		if (n > POP3_NUMBER_MAX && !saturate)
			return -1;
	}
	if (n > POP3_NUMBER_MAX)
		n = POP3_NUMBER_MAX;
	if (n < min)
		return -1;
	*n_r = (uint32_t)n;
	return 0;
}

static int parse_none(const struct pop3_verb_def *def, char *args, struct pop3_cmd *cmd)
{
	return args[0] == '\0' ? 1 : fail(cmd, def->usage);
}

/* USER name: the whole trimmed argument (names hold no blanks, but a wrong name is an
 * authentication failure, not a syntax error). */
static int parse_user(const struct pop3_verb_def *def, char *args, struct pop3_cmd *cmd)
{
	if (args[0] == '\0')
		return fail(cmd, def->usage);
	cmd->arg = args;
	return 1;
}

/* PASS: args is the rest of the line after the one blank that follows the verb, untrimmed. */
static int parse_pass(const struct pop3_verb_def *def, char *args, struct pop3_cmd *cmd)
{
	if (args[0] == '\0')
		return fail(cmd, def->usage);
	cmd->arg = args;
	return 1;
}

static int parse_apop(const struct pop3_verb_def *def, char *args, struct pop3_cmd *cmd)
{
	char *w[MAX_WORDS];

	if (split_words(args, w) != 2 || strlen(w[1]) != 32)
		return fail(cmd, def->usage);
	for (char *c = w[1]; *c != '\0'; c++) {
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
		else if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return fail(cmd, def->usage);
	}
	cmd->arg = w[0];
	cmd->arg2 = w[1];
	return 1;
}

/* LIST [msg], UIDL [msg]. */
static int parse_opt_msg(const struct pop3_verb_def *def, char *args, struct pop3_cmd *cmd)
{
	char *w[MAX_WORDS];
	size_t n = split_words(args, w);

	if (n > 1)
		return fail(cmd, def->usage);
	if (n == 0)
		return 1;
	if (parse_number(w[0], 1, false, &cmd->msg) < 0)
		return fail(cmd, "invalid message number");
	cmd->has_msg = true;
	return 1;
}

/* RETR msg, DELE msg. */
static int parse_msg(const struct pop3_verb_def *def, char *args, struct pop3_cmd *cmd)
{
	if (args[0] == '\0')
		return fail(cmd, def->usage);
	return parse_opt_msg(def, args, cmd);
}

static int parse_top(const struct pop3_verb_def *def, char *args, struct pop3_cmd *cmd)
{
	char *w[MAX_WORDS];

	if (split_words(args, w) != 2)
		return fail(cmd, def->usage);
	if (parse_number(w[0], 1, false, &cmd->msg) < 0)
		return fail(cmd, "invalid message number");
	/* RFC 1939 allows any non-negative count: one past any message's lines means all. */
	if (parse_number(w[1], 0, true, &cmd->lines) < 0)
		return fail(cmd, "invalid number of lines");
	cmd->has_msg = true;
	return 1;
}

/* The mechanism name of RFC 4422 3.1, uppercased in place. */
static bool mechanism_ok(char *s)
{
	size_t n = 0;

	for (char *c = s; *c != '\0'; c++, n++) {
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
		else if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
			   *c == '_'))
			return false;
	}
	return n > 0 && n <= AUTH_MECH_MAX;
}

/* AUTH [mechanism [initial-response]] (RFC 5034 4; a bare AUTH lists mechanisms). The
 * response is checked for base64 characters only; decoding is the SASL code's job. */
static int parse_auth(const struct pop3_verb_def *def, char *args, struct pop3_cmd *cmd)
{
	char *w[MAX_WORDS];
	size_t n = split_words(args, w);

	if (n == 0)
		return 1;
	if (n > 2 || !mechanism_ok(w[0]))
		return fail(cmd, def->usage);
	cmd->arg = w[0];
	if (n == 2) {
		if (strspn(w[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
		    strlen(w[1]))
			return fail(cmd, "invalid base64 in initial response");
		cmd->arg2 = w[1];
	}
	return 1;
}

static const struct pop3_verb_def verb_table[] = {
	{"USER", POP3_VERB_USER, parse_user, "syntax: USER name"},
	{"PASS", POP3_VERB_PASS, parse_pass, "syntax: PASS password"},
	{"APOP", POP3_VERB_APOP, parse_apop, "syntax: APOP name digest"},
	{"STAT", POP3_VERB_STAT, parse_none, "syntax: STAT"},
	{"LIST", POP3_VERB_LIST, parse_opt_msg, "syntax: LIST [msg]"},
	{"UIDL", POP3_VERB_UIDL, parse_opt_msg, "syntax: UIDL [msg]"},
	{"RETR", POP3_VERB_RETR, parse_msg, "syntax: RETR msg"},
	{"TOP", POP3_VERB_TOP, parse_top, "syntax: TOP msg lines"},
	{"DELE", POP3_VERB_DELE, parse_msg, "syntax: DELE msg"},
	{"RSET", POP3_VERB_RSET, parse_none, "syntax: RSET"},
	{"NOOP", POP3_VERB_NOOP, parse_none, "syntax: NOOP"},
	{"QUIT", POP3_VERB_QUIT, parse_none, "syntax: QUIT"},
	{"CAPA", POP3_VERB_CAPA, parse_none, "syntax: CAPA"},
	{"STLS", POP3_VERB_STLS, parse_none, "syntax: STLS"},
	{"AUTH", POP3_VERB_AUTH, parse_auth, "syntax: AUTH [mechanism [initial-response]]"},
};

const char *pop3_verb_name(enum pop3_verb verb)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(verb_table); i++) {
		if (verb_table[i].verb == verb)
			return verb_table[i].name;
	}
	return verb == POP3_VERB_UNKNOWN ? "UNKNOWN" : "NONE";
}

/* ---- Line to command ------------------------------------------------------------------- */

/* Trims blanks at both ends of s, in place; returns the new start. */
static char *trim(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && is_blank(s[len - 1]))
		s[--len] = '\0';
	while (is_blank(*s))
		s++;
	return s;
}

/* Splits the verb off (in place: the blank after it becomes NUL) and runs its row. */
static int parse_line(char *line, size_t len, struct pop3_cmd *cmd)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(cmd, "invalid characters in command");
	}
	size_t vlen = strcspn(line, " \t");
	char *args = line + vlen;
	if (*args != '\0')
		*args++ = '\0';
	cmd->verb_text = line;
	for (size_t i = 0; i < PB_N_ELEMENTS(verb_table); i++) {
		const struct pop3_verb_def *def = &verb_table[i];
		if (strcasecmp(line, def->name) != 0)
			continue;
		cmd->verb = def->verb;
		return def->parse(def, def->verb == POP3_VERB_PASS ? args : trim(args), cmd);
	}
	cmd->verb = vlen == 0 ? POP3_VERB_NONE : POP3_VERB_UNKNOWN;
	return fail(cmd, "unknown command");
}

int pop3_parser_next(struct pop3_parser *p, struct pop3_cmd *cmd_r)
{
	char *line;
	size_t len;

	memset(cmd_r, 0, sizeof(*cmd_r));
	cmd_r->verb_text = "";
	int ret = pb_lines_take(&p->lines, POP3_LINE_MAX, &line, &len);
	if (ret == 0)
		return 0;
	if (ret < 0)
		return fail(cmd_r, "line too long");
	return parse_line(line, len, cmd_r);
}

int pop3_parser_next_line(struct pop3_parser *p, const char **line_r, size_t *len_r)
{
	char *line;
	size_t len;

	int ret = pb_lines_take(&p->lines, POP3_AUTH_LINE_MAX, &line, &len);
	if (ret > 0) {
		*line_r = line;
		*len_r = len;
	}
	return ret;
}

void pop3_parser_pending(const struct pop3_parser *p, const void **data_r, size_t *len_r)
{
	pb_lines_pending(&p->lines, data_r, len_r);
}

void pop3_parser_discard_pending(struct pop3_parser *p)
{
	pb_lines_discard(&p->lines);
}
