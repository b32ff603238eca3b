/*
 * smtp-parser.c: the SMTP command-line parser: input framing (pb-lines.h) with the 512-octet
 * limit, the verb table and the checks of the short commands. MAIL and RCPT are in
 * smtp-parser-mail.c.
 * OWNS: the parser's input buffer. THREAD: one session.
 */
#include "smtp-parser-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_MECH_MAX 20 /* RFC 4422 3.1 */

const struct smtp_reply smtp_reply_need_smtputf8 = {
	553, "5.6.7", "Must declare SMTPUTF8 to send UTF-8 address", false};
const struct smtp_reply smtp_reply_auth_line_too_long = {
	500, "5.5.6", "Authentication Exchange line is too long", false};

struct smtp_parser *smtp_parser_create(void)
{
	struct smtp_parser *p = xcalloc(1, sizeof(*p));

	pb_lines_init(&p->lines, SMTP_PARSER_INPUT_MAX);
	return p;
}

void smtp_parser_destroy(struct smtp_parser **pp)
{
	struct smtp_parser *p = *pp;

	if (p == NULL)
		return;
	pb_lines_deinit(&p->lines);
	explicit_bzero(p, sizeof(*p));
	free(p);
	*pp = NULL;
}

int smtp_parser_feed(struct smtp_parser *p, const void *data, size_t len)
{
	return pb_lines_feed(&p->lines, data, len);
}

int smtp_parser_fail(struct smtp_parser *p, struct smtp_cmd *cmd, enum smtp_parse_error kind,
		     int code, const char *enhanced, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->errtext, sizeof(p->errtext), fmt, ap);
	va_end(ap);
	cmd->error_kind = kind;
	cmd->error.code = code;
	cmd->error.enhanced = enhanced;
	cmd->error.text = p->errtext;
	cmd->error.close = false;
	return -1;
}

int smtp_parser_fail_usage(struct smtp_parser *p, struct smtp_cmd *cmd,
			   const struct smtp_verb_def *def)
{
	return smtp_parser_fail(p, cmd, SMTP_PARSE_SYNTAX, 501, "5.5.4", "Syntax: %s", def->usage);
}

/* ---- The short commands ---------------------------------------------------------------- */

static int parse_helo(struct smtp_parser *p, const struct smtp_verb_def *def, char *args,
		      struct smtp_cmd *cmd)
{
	size_t len = strlen(args);

	if (len == 0)
		return smtp_parser_fail_usage(p, cmd, def);
	cmd->arg = args;
	cmd->arg_is_domain = smtp_address_domain_valid(args, len) ||
			     smtp_address_literal_valid(args, len);
	return 1;
}

static int parse_no_arg(struct smtp_parser *p, const struct smtp_verb_def *def, char *args,
			struct smtp_cmd *cmd)
{
	if (args[0] != '\0')
		return smtp_parser_fail_usage(p, cmd, def);
	return 1;
}

static int parse_any_arg(struct smtp_parser *p, const struct smtp_verb_def *def, char *args,
			 struct smtp_cmd *cmd)
{
	cmd->arg = args;
	return 1;
}

static int parse_req_arg(struct smtp_parser *p, const struct smtp_verb_def *def, char *args,
			 struct smtp_cmd *cmd)
{
	if (args[0] == '\0')
		return smtp_parser_fail_usage(p, cmd, def);
	cmd->arg = args;
	return 1;
}

/* BDAT chunk-size [SP "LAST"] (RFC 3030 2). A malformed BDAT leaves the server unable to
 * know how many bytes follow, so its error closes the connection. */
static int parse_bdat(struct smtp_parser *p, const struct smtp_verb_def *def, char *args,
		      struct smtp_cmd *cmd)
{
	uint64_t n = 0;
	size_t i = 0;

	cmd->arg = args;
	while (args[i] >= '0' && args[i] <= '9' && i < 19)
		n = n * 10 + (uint64_t)(args[i++] - '0');
	const char *rest = args + i;
	while (smtp_is_blank(*rest))
		rest++;
	bool last = strcasecmp(rest, "LAST") == 0;
	if (i == 0 || (rest[0] != '\0' && !last) || (rest == args + i && rest[0] != '\0')) {
		smtp_parser_fail_usage(p, cmd, def);
		cmd->error.close = true;
		return -1;
	}
	cmd->chunk_size = n;
	cmd->last = last;
	return 1;
}

/* base64 of RFC 4648 with padding, or the lone "=" meaning an empty response. */
static bool base64_valid(const char *s)
{
	size_t len = strlen(s), pad = 0;

	if (strcmp(s, "=") == 0)
		return true;
	if (len == 0 || len % 4 != 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '+' || c == '/';
		if (c == '=' && i >= len - 2)
			pad++;
		else if (!alpha || pad > 0)
			return false;
	}
	return true;
}

/* AUTH mechanism [SP initial-response] (RFC 4954 4). */
static int parse_auth(struct smtp_parser *p, const struct smtp_verb_def *def, char *args,
		      struct smtp_cmd *cmd)
{
	size_t n = 0;

	while (args[n] != '\0' && !smtp_is_blank(args[n])) {
		char c = args[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return smtp_parser_fail_usage(p, cmd, def);
		if (c >= 'a' && c <= 'z')
			args[n] = (char)(c - 'a' + 'A');
		n++;
	}
	if (n == 0 || n > AUTH_MECH_MAX)
		return smtp_parser_fail_usage(p, cmd, def);
	char *ir = args + n;
	while (smtp_is_blank(*ir))
		*ir++ = '\0';
	cmd->mechanism = args;
	if (*ir == '\0')
		return 1;
	if (strpbrk(ir, " \t") != NULL)
		return smtp_parser_fail_usage(p, cmd, def);
	if (!base64_valid(ir))
		return smtp_parser_fail(p, cmd, SMTP_PARSE_BAD_BASE64, 501, "5.5.2",
					"Cannot Base64-decode Client responses");
	cmd->initial_response = ir;
	return 1;
}

static const struct smtp_verb_def verb_table[] = {
	{"EHLO", SMTP_VERB_EHLO, parse_helo, "EHLO hostname"},
	{"HELO", SMTP_VERB_HELO, parse_helo, "HELO hostname"},
	{"MAIL", SMTP_VERB_MAIL, smtp_parse_mail, "MAIL FROM:<address>"},
	{"RCPT", SMTP_VERB_RCPT, smtp_parse_rcpt, "RCPT TO:<address>"},
	{"DATA", SMTP_VERB_DATA, parse_no_arg, "DATA"},
	{"BDAT", SMTP_VERB_BDAT, parse_bdat, "BDAT count [LAST]"},
	{"RSET", SMTP_VERB_RSET, parse_no_arg, "RSET"},
	{"NOOP", SMTP_VERB_NOOP, parse_any_arg, "NOOP"},
	{"QUIT", SMTP_VERB_QUIT, parse_any_arg, "QUIT"},
	{"HELP", SMTP_VERB_HELP, parse_any_arg, "HELP"},
	{"VRFY", SMTP_VERB_VRFY, parse_req_arg, "VRFY address"},
	{"EXPN", SMTP_VERB_EXPN, parse_req_arg, "EXPN mailing-list"},
	{"STARTTLS", SMTP_VERB_STARTTLS, parse_no_arg, "STARTTLS"},
	{"AUTH", SMTP_VERB_AUTH, parse_auth, "AUTH mechanism [initial-response]"},
	{"ETRN", SMTP_VERB_ETRN, parse_req_arg, "ETRN domain"},
};

/* Postfix's smtpd_forbidden_commands default: HTTP and proxy verbs. */
static const char *const forbidden_verbs[] = {"CONNECT", "GET", "POST"};

const char *smtp_verb_name(enum smtp_verb verb)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(verb_table); i++) {
		if (verb_table[i].verb == verb)
			return verb_table[i].name;
	}
	return verb == SMTP_VERB_UNKNOWN ? "UNKNOWN" : "NONE";
}

/* ---- Line to command ------------------------------------------------------------------- */

/* True if the line has no control byte (HTAB aside) and is valid UTF-8. */
static bool line_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return smtp_utf8_valid(s, len);
}

static bool is_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int forbidden(struct smtp_parser *p, struct smtp_cmd *cmd)
{
	smtp_parser_fail(p, cmd, SMTP_PARSE_FORBIDDEN_COMMAND, 221, "2.7.0",
			 "Error: I can break rules, too. Goodbye.");
	cmd->error.close = true;
	return -1;
}

/* Splits the verb off the line (in place) and dispatches to its row of the table. */
static int parse_line(struct smtp_parser *p, char *line, size_t len, struct smtp_cmd *cmd)
{
	if (len == 0)
		return smtp_parser_fail(p, cmd, SMTP_PARSE_EMPTY, 500, "5.5.2",
					"Syntax error, empty command");
	if (!is_letter(line[0]))
		return forbidden(p, cmd);
	if (!line_chars_ok(line, len))
		return smtp_parser_fail(p, cmd, SMTP_PARSE_BAD_CHAR, 500, "5.5.2",
					"Syntax error, bad character in command");
	while (len > 0 && smtp_is_blank(line[len - 1]))
		line[--len] = '\0';
	size_t vlen = 0;
	while (vlen < len && !smtp_is_blank(line[vlen]))
		vlen++;
	char *args = line + vlen;
	if (vlen < len) {
		*args++ = '\0';
		while (smtp_is_blank(*args))
			args++;
	}
	cmd->verb_text = line;
	for (size_t i = 0; i < PB_N_ELEMENTS(forbidden_verbs); i++) {
		if (strcasecmp(line, forbidden_verbs[i]) == 0)
			return forbidden(p, cmd);
	}
	for (size_t i = 0; i < PB_N_ELEMENTS(verb_table); i++) {
		if (strcasecmp(line, verb_table[i].name) == 0) {
			cmd->verb = verb_table[i].verb;
			return verb_table[i].parse(p, &verb_table[i], args, cmd);
		}
	}
	cmd->verb = SMTP_VERB_UNKNOWN;
	return smtp_parser_fail(p, cmd, SMTP_PARSE_UNKNOWN_COMMAND, 500, "5.5.2",
				"Syntax error, command unrecognized");
}

static void cmd_clear(struct smtp_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->verb_text = "";
	cmd->arg = "";
}

int smtp_parser_next(struct smtp_parser *p, struct smtp_cmd *cmd_r)
{
	char *line;
	size_t len;

	cmd_clear(cmd_r);
	int ret = pb_lines_take(&p->lines, SMTP_LINE_MAX, &line, &len);
	if (ret == 0)
		return 0;
	if (ret < 0)
		return smtp_parser_fail(p, cmd_r, SMTP_PARSE_LINE_TOO_LONG, 500, "5.5.6",
					"Line too long");
	return parse_line(p, line, len, cmd_r);
}

int smtp_parser_next_line(struct smtp_parser *p, const char **line_r, size_t *len_r)
{
	char *line;
	size_t len;

	int ret = pb_lines_take(&p->lines, SMTP_AUTH_LINE_MAX, &line, &len);
	if (ret > 0) {
		*line_r = line;
		*len_r = len;
	}
	return ret;
}

void smtp_parser_pending(const struct smtp_parser *p, const void **data_r, size_t *len_r)
{
	pb_lines_pending(&p->lines, data_r, len_r);
}

void smtp_parser_consume(struct smtp_parser *p, size_t n)
{
	pb_lines_consume(&p->lines, n);
}

void smtp_parser_discard_pending(struct smtp_parser *p)
{
	pb_lines_discard(&p->lines);
}
