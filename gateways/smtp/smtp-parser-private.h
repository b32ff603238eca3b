/*
 * smtp-parser-private.h: what smtp-parser.c shares with the command files it calls
 * (smtp-parser-mail.c). Not for other modules.
 * OWNS nothing. THREAD: the parser's session.
 */
#ifndef SMTP_PARSER_PRIVATE_H
#define SMTP_PARSER_PRIVATE_H

#include "pb-lines.h"
#include "smtp-parser.h"

struct smtp_parser {
	struct pb_lines lines; /* input framing (pb-lines.h) */
	char errtext[160];     /* text of the last error reply */
};

struct smtp_verb_def;
typedef int smtp_verb_parse_fn(struct smtp_parser *p, const struct smtp_verb_def *def,
			       char *args, struct smtp_cmd *cmd);

/* A row of the command table: the verb, its usage (for "501 5.5.4 Syntax: ...") and the
 * pure check that parses its arguments. */
struct smtp_verb_def {
	const char *name;
	enum smtp_verb verb;
	smtp_verb_parse_fn *parse;
	const char *usage;
};

/* Fills cmd->error_kind and cmd->error (text formatted into p->errtext) and returns -1. */
int smtp_parser_fail(struct smtp_parser *p, struct smtp_cmd *cmd, enum smtp_parse_error kind,
		     int code, const char *enhanced, const char *fmt, ...) PB_PRINTF(6, 7);
/* 501 5.5.4 "Syntax: <usage>"; returns -1. */
int smtp_parser_fail_usage(struct smtp_parser *p, struct smtp_cmd *cmd,
			   const struct smtp_verb_def *def);

/* True for SP and HTAB, the blanks that separate words on a command line. */
static inline bool smtp_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

smtp_verb_parse_fn smtp_parse_mail;
smtp_verb_parse_fn smtp_parse_rcpt;

#endif
