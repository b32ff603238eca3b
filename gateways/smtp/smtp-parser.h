/*
 * smtp-parser.h: the SMTP command-line parser (RFC 5321, with the ESMTP parameters of
 * RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 3030 BDAT/BINARYMIME, RFC 6531 SMTPUTF8, RFC 4954
 * AUTH, RFC 3461 DSN). A feed/next machine: bytes in, one command out per call.
 *
 *	smtp_parser_feed(p, bytes, n);
 *	while ((ret = smtp_parser_next(p, &cmd)) != 0)
 *		ret > 0 ? handle(&cmd) : send_reply(&cmd.error);
 *
 * Pure: no sockets, no clock. Every error comes with the reply to send (cmd.error) and the
 * parser goes on with the next line; -1 is never fatal for the parser itself.
 *
 * Lines: a command line ends with CRLF; a bare LF is accepted as its end too (as Postfix
 * does; DATA content is stricter, see smtp-data.h), a CR before it is dropped. A line of
 * more than SMTP_LINE_MAX octets (terminator included) is read to its end, discarded, and
 * reported once, when its end arrives, as SMTP_PARSE_LINE_TOO_LONG (500 5.5.6).
 *
 * Mode switches: after next() returns DATA or BDAT (or STARTTLS, or an AUTH that needs a
 * continuation), the unparsed bytes are exactly those after that command's line:
 * smtp_parser_pending() shows them, smtp_parser_consume() removes what the DATA decoder or
 * BDAT reader used, smtp_parser_discard_pending() drops them all (STARTTLS: plaintext
 * pipelined after STARTTLS must be thrown away, CVE-2011-0411).
 *
 * Postfix-default leniency (strict_rfc821_envelopes = no), chosen and documented here:
 *  - spaces after "FROM:" / "TO:" are accepted ("MAIL FROM: <a@b>");
 *  - a path without angle brackets is accepted ("MAIL FROM:a@b"), flagged path_bare;
 *  - verbs and keywords in any case; SP or HTAB separate words; trailing blanks ignored;
 *  - QUIT, NOOP and HELP ignore arguments.
 * What Postfix rejects, we reject: a path with junk after '>' (unless it is a parameter),
 * control characters and invalid UTF-8 on the line, and (smtpd_forbidden_commands)
 * "CONNECT", "GET", "POST" or a line starting with a non-letter: 221 2.7.0 and close.
 *
 * Secrets: AUTH lines carry credentials; the bytes of every line are wiped from the
 * parser's memory (explicit_bzero) as soon as the next call begins.
 *
 * OWNS: its input buffer (at most SMTP_PARSER_INPUT_MAX bytes). THREAD: one session.
 */
#ifndef SMTP_PARSER_H
#define SMTP_PARSER_H

#include "smtp-address.h"
#include "smtp-reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A command line, CRLF included (RFC 5321 4.5.3.1.4). */
#define SMTP_LINE_MAX 512
/* A SASL response line during AUTH, CRLF included (RFC 4954 4). */
#define SMTP_AUTH_LINE_MAX 12288
/* Unparsed input the parser holds at most. The session feeds what one socket read gave
 * and drains with next() before feeding again, so this is reached only by misuse or by a
 * peer that pipelines a huge amount while the session does not read commands. */
#define SMTP_PARSER_INPUT_MAX (1024 * 1024)
/* ENVID (RFC 3461 4.4) and ORCPT (RFC 3461 4.2) value limits. */
#define SMTP_ENVID_MAX 100
#define SMTP_ORCPT_MAX 500

enum smtp_verb {
	SMTP_VERB_NONE = 0, /* error before the verb was known (empty, too long, bad bytes) */
	SMTP_VERB_UNKNOWN,
	SMTP_VERB_EHLO,
	SMTP_VERB_HELO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_BDAT,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_HELP,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
	SMTP_VERB_ETRN,
};

enum smtp_parse_error {
	SMTP_PARSE_OK = 0,
	SMTP_PARSE_LINE_TOO_LONG,	 /* 500 5.5.6 Line too long */
	SMTP_PARSE_BAD_CHAR,		 /* 500 5.5.2 control byte or invalid UTF-8 */
	SMTP_PARSE_EMPTY,		 /* 500 5.5.2 empty line */
	SMTP_PARSE_UNKNOWN_COMMAND,	 /* 500 5.5.2 Syntax error, command unrecognized */
	SMTP_PARSE_FORBIDDEN_COMMAND, /* 221 2.7.0, close: HTTP or binary junk */
	SMTP_PARSE_SYNTAX,		 /* 501 5.5.4 Syntax: <usage> */
	SMTP_PARSE_BAD_ADDRESS,	 /* 501 5.1.7 / 5.1.3 bad sender / recipient address */
	SMTP_PARSE_BAD_PARAM,		 /* 501 5.5.4 bad value of a known parameter */
	SMTP_PARSE_UNSUPPORTED_PARAM, /* 555 5.5.4 unknown parameter */
	SMTP_PARSE_BAD_BASE64,	 /* 501 5.5.2 AUTH initial response not base64 */
};

enum smtp_body { SMTP_BODY_NONE = 0, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME, SMTP_BODY_BINARYMIME };
enum smtp_ret { SMTP_RET_NONE = 0, SMTP_RET_FULL, SMTP_RET_HDRS };

/* NOTIFY= flags (RFC 3461 4.1); 0 = no NOTIFY parameter. NEVER is never combined. */
#define SMTP_NOTIFY_NEVER 0x1
#define SMTP_NOTIFY_SUCCESS 0x2
#define SMTP_NOTIFY_FAILURE 0x4
#define SMTP_NOTIFY_DELAY 0x8

/*
 * One parsed command. Strings point into the parser and stay valid until the next call on
 * the parser (any function but smtp_parser_pending). Fields that do not apply to the verb
 * are zero / NULL.
 */
struct smtp_cmd {
	enum smtp_verb verb;
	const char *verb_text; /* the verb as sent ("" if none) */
	/* The argument text after the verb, blanks trimmed, for EHLO/HELO (the client's
	 * name), VRFY, EXPN, ETRN, HELP, NOOP, QUIT and BDAT; "" when none and for the other verbs
	 * (MAIL and RCPT are cut into the fields below; AUTH is never echoed). */
	const char *arg;
	bool arg_is_domain; /* EHLO/HELO: arg is a valid Domain or address literal */

	/* MAIL / RCPT */
	const char *path;	 /* the mailbox as sent, without brackets and source route;
				  * "" for the null reverse-path "<>" (MAIL only) */
	struct smtp_address addr; /* path parsed (unset for "<>") */
	bool path_utf8;		 /* path has UTF-8: the session answers smtp_reply_need_smtputf8
				  * unless SMTPUTF8 was given on this transaction's MAIL */
	bool path_bare;		 /* path came without angle brackets (tolerated) */
	bool has_size;
	uint64_t size; /* SIZE=; UINT64_MAX when the number overflows */
	enum smtp_body body;
	bool smtputf8;
	const char *auth;  /* AUTH= value (xtext, or "<>"), NULL if absent */
	enum smtp_ret ret;
	const char *envid; /* ENVID= (xtext), NULL if absent */
	unsigned notify;   /* SMTP_NOTIFY_* flags */
	const char *orcpt; /* ORCPT= value "addr-type;xtext", NULL if absent */

	/* BDAT */
	uint64_t chunk_size;
	bool last;

	/* AUTH */
	const char *mechanism;	      /* uppercased */
	const char *initial_response; /* NULL if absent; "=" is the empty response */

	/* When next() returned -1. */
	enum smtp_parse_error error_kind;
	struct smtp_reply error;
};

/* Reply for a MAIL/RCPT whose path_utf8 is set without SMTPUTF8 (RFC 6531 3.5): 553 5.6.7. */
extern const struct smtp_reply smtp_reply_need_smtputf8;
/* Reply for a SASL response line that was too long (RFC 4954 4): 500 5.5.6. */
extern const struct smtp_reply smtp_reply_auth_line_too_long;

struct smtp_parser;

/* Creates a parser with an empty buffer. Never fails. */
struct smtp_parser *smtp_parser_create(void);
/* Wipes and frees everything; sets *p to NULL. NULL-safe. */
void smtp_parser_destroy(struct smtp_parser **p);

/* Appends len bytes (copied). Returns 0, or -1 if the unparsed input would exceed
 * SMTP_PARSER_INPUT_MAX; then nothing was taken (the session should close: 421). */
int smtp_parser_feed(struct smtp_parser *p, const void *data, size_t len);

/* Parses the next complete command line. Returns 1 with *cmd_r filled, 0 if no complete
 * line is buffered, -1 if the line was bad: cmd_r->error_kind and cmd_r->error say why and
 * what to reply (cmd_r->verb is set when the verb was recognised). The line is consumed
 * either way. */
int smtp_parser_next(struct smtp_parser *p, struct smtp_cmd *cmd_r);

/* Takes the next raw line of at most SMTP_AUTH_LINE_MAX octets, for the SASL exchange after
 * a 334 reply. Returns 1 with *line_r (NUL-terminated, terminator removed, valid until the
 * next call) and *len_r, 0 if no complete line yet, -1 if the line was too long (consumed;
 * reply smtp_reply_auth_line_too_long). */
int smtp_parser_next_line(struct smtp_parser *p, const char **line_r, size_t *len_r);

/* The unparsed bytes (valid until the next call on the parser). */
void smtp_parser_pending(const struct smtp_parser *p, const void **data_r, size_t *len_r);
/* Removes the first n unparsed bytes (n <= pending length, ASSERTed). */
void smtp_parser_consume(struct smtp_parser *p, size_t n);
/* Removes (and wipes) all unparsed bytes, including a partial or over-long line. */
void smtp_parser_discard_pending(struct smtp_parser *p);

/* Name of a verb ("MAIL"), for logs; "UNKNOWN" / "NONE" for those. */
const char *smtp_verb_name(enum smtp_verb verb);

#endif
