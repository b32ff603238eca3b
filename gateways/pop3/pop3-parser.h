/*
 * pop3-parser.h: the POP3 command parser (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034
 * AUTH). A feed/next machine: bytes in, one command out per call.
 *
 *	pop3_parser_feed(p, bytes, n);
 *	while ((ret = pop3_parser_next(p, &cmd)) != 0)
 *		ret > 0 ? handle(&cmd) : send("-ERR %s", cmd.error);
 *
 * Pure: no sockets, no clock. A bad line gives -1 with the text for "-ERR" and the parser
 * goes on with the next line (pipelining, RFC 2449 6.6, may put many commands in a feed).
 *
 * Lines end with CRLF; a bare LF is accepted too (the CR before it is dropped). A line of
 * more than POP3_LINE_MAX octets (RFC 2449 4, terminator included) is read to its end,
 * discarded and reported once, when its end arrives: "line too long".
 * Verbs in any case; words separated by one or more SP or HTAB; trailing blanks ignored,
 * except for PASS, whose argument is the rest of the line exactly as sent (RFC 1939 7:
 * passwords may hold spaces). Message numbers are decimal 1..2^31-1 (leading zeros
 * allowed, nothing else); TOP's line count 0..2^31-1.
 *
 * Secrets: PASS and AUTH lines are wiped from the parser's memory (explicit_bzero) as soon
 * as the next call begins; copy what you need before.
 *
 * OWNS: its input buffer (at most POP3_PARSER_INPUT_MAX bytes). THREAD: one session.
 */
#ifndef POP3_PARSER_H
#define POP3_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A command line, CRLF included (RFC 2449 4). */
#define POP3_LINE_MAX 255
/* A SASL response line during AUTH, CRLF included (GSSAPI tokens exceed 255; we take the
 * SMTP AUTH figure of RFC 4954). */
#define POP3_AUTH_LINE_MAX 12288
/* Unparsed input held at most (see smtp-parser.h: reached only if the session feeds
 * without draining). */
#define POP3_PARSER_INPUT_MAX (256 * 1024)
/* The largest message number or line count. */
#define POP3_NUMBER_MAX 2147483647u

enum pop3_verb {
	POP3_VERB_NONE = 0, /* error before a verb was recognised */
	POP3_VERB_UNKNOWN,
	POP3_VERB_USER,
	POP3_VERB_PASS,
	POP3_VERB_APOP,
	POP3_VERB_STAT,
	POP3_VERB_LIST,
	POP3_VERB_UIDL,
	POP3_VERB_RETR,
	POP3_VERB_TOP,
	POP3_VERB_DELE,
	POP3_VERB_RSET,
	POP3_VERB_NOOP,
	POP3_VERB_QUIT,
	POP3_VERB_CAPA,
	POP3_VERB_STLS,
	POP3_VERB_AUTH,
};

/*
 * One parsed command. Strings point into the parser and stay valid until the next call on
 * it (any function but pop3_parser_pending). Fields that do not apply are zero / NULL.
 */
struct pop3_cmd {
	enum pop3_verb verb;
	const char *verb_text; /* as sent; "" if none */
	/* USER: the name; PASS: the password (rest of line, may be "" or hold spaces); APOP:
	 * the name; AUTH: the mechanism, uppercased (NULL for a bare "AUTH", which asks for
	 * the list of mechanisms). */
	const char *arg;
	/* APOP: the digest (32 hex digits, lowercased); AUTH: the initial response (base64
	 * or "="), NULL if absent. */
	const char *arg2;
	bool has_msg;	 /* LIST / UIDL with an argument; always for RETR, TOP, DELE */
	uint32_t msg;	 /* message number */
	uint32_t lines;	 /* TOP: body lines, POP3_NUMBER_MAX for any larger count */
	const char *error; /* when next() returned -1: the text after "-ERR " */
};

struct pop3_parser;

/* Creates a parser with an empty buffer. Never fails. */
struct pop3_parser *pop3_parser_create(void);
/* Wipes and frees everything; sets *p to NULL. NULL-safe. */
void pop3_parser_destroy(struct pop3_parser **p);

/* Appends len bytes (copied). Returns 0, or -1 if the unparsed input would exceed
 * POP3_PARSER_INPUT_MAX; then nothing was taken. */
int pop3_parser_feed(struct pop3_parser *p, const void *data, size_t len);

/* Parses the next complete line. Returns 1 with *cmd_r, 0 if no complete line is buffered,
 * -1 with cmd_r->error (static text; cmd_r->verb set if it was recognised). The line is
 * consumed either way. */
int pop3_parser_next(struct pop3_parser *p, struct pop3_cmd *cmd_r);

/* Takes the next raw line of at most POP3_AUTH_LINE_MAX octets (the SASL exchange after
 * "+ "). Returns 1 with *line_r (NUL-terminated, terminator removed) and *len_r, 0 if none
 * yet, -1 if it was too long (consumed). */
int pop3_parser_next_line(struct pop3_parser *p, const char **line_r, size_t *len_r);

/* The unparsed bytes (valid until the next call on the parser). */
void pop3_parser_pending(const struct pop3_parser *p, const void **data_r, size_t *len_r);
/* Removes (and wipes) every unparsed byte: after STLS, plaintext sent ahead of the TLS
 * handshake must be dropped (RFC 2595 / CVE-2011-0411). */
void pop3_parser_discard_pending(struct pop3_parser *p);

/* Name of a verb ("RETR"), for logs. */
const char *pop3_verb_name(enum pop3_verb verb);

#endif
