/*
 * imap-parser.h: the IMAP4rev1/IMAP4rev2 command parser (RFC 3501, RFC 9051, with the
 * LITERAL+/LITERAL- of RFC 7888 and the ~{n} literals of RFC 3516). A feed/next machine:
 * bytes in, one event out per call.
 *
 *	imap_parser_feed(p, bytes, n);
 *	while ((ret = imap_parser_next(p, &ev)) != IMAP_PARSE_NEED_MORE) {
 *		switch (ret) {
 *		case IMAP_PARSE_COMMAND: run(&ev.cmd); break;
 *		case IMAP_PARSE_BAD: send("%s BAD %s", ev.cmd.tag ? ev.cmd.tag : "*", ev.error); break;
 *		case IMAP_PARSE_LITERAL: too_big(&ev.literal) ? (send NO [TOOBIG], refuse)
 *						: (send "+ OK" if ev.literal.sync, accept); break;
 *		case IMAP_PARSE_DATA: stream(ev.data, ev.data_len); break;
 *		}
 *	}
 *
 * Pure: no sockets, no clock. Feeding byte by byte gives the same events as one feed (DATA
 * chunks may be cut differently; their concatenation is the same).
 *
 * Literals. When a line ends in a literal announcement the parser stops with
 * IMAP_PARSE_LITERAL before reading any octet of it: the session decides between the "+"
 * continuation (or nothing, for {n+} / {n-}) and NO [TOOBIG], and says so with
 * imap_parser_literal_accept() or _refuse() before calling next() again. Nothing is allocated
 * from the announced size: a literal is either
 *  - inline (any literal but APPEND's message), copied into the command when it is at most
 *    IMAP_LITERAL_INLINE_MAX octets (literal.fits; a bigger one can only be refused), or
 *  - streamed (literal.stream: APPEND's message): the octets come out as IMAP_PARSE_DATA
 *    events and only their size stays in the command; ev.cmd then holds the APPEND so far
 *    (mailbox; ev.cmd.u.append_next is the message's flags and date).
 * A refused {n} ends the command (the client sends no octets); a refused {n+} / {n-} makes
 * the parser skip its n octets before reading the next line.
 *
 * Errors (IMAP_PARSE_BAD) are never fatal: the command is dropped, the parser goes on at the
 * next line; if the bad line ended in a non-synchronising literal announcement, that
 * literal's octets are skipped first (they are not a command).
 *
 * Mailbox names are returned as sent; imap-mailbox-name.h decodes and validates them.
 *
 * OWNS: its input buffer (at most IMAP_PARSER_INPUT_MAX bytes) and the current command's
 * arena (at most IMAP_COMMAND_MAX bytes, freed when the next command starts).
 * THREAD: one session.
 */
#ifndef IMAP_PARSER_H
#define IMAP_PARSER_H

#include "imap-types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line of a command (between two literals), CRLF included. */
#define IMAP_LINE_MAX 16384
/* A literal copied into the command (LOGIN password, SEARCH string, mailbox name). */
#define IMAP_LITERAL_INLINE_MAX 65536
/* Everything one command holds: its text, inline literals and parsed structures. */
#define IMAP_COMMAND_MAX (256 * 1024)
/* Nesting of parenthesised lists. */
#define IMAP_DEPTH_MAX 16
/* Arguments in a command, nested ones included. */
#define IMAP_ARGS_MAX 1000
/* A tag's length. */
#define IMAP_TAG_MAX 64
/* Unparsed input held at most (an inline literal, and a line, fit). */
#define IMAP_PARSER_INPUT_MAX (IMAP_LITERAL_INLINE_MAX + 2 * IMAP_LINE_MAX)

enum imap_cmd_kind {
	IMAP_CMD_NONE = 0, /* error before the name was known */
	IMAP_CMD_CAPABILITY, IMAP_CMD_NOOP, IMAP_CMD_LOGOUT, IMAP_CMD_STARTTLS,
	IMAP_CMD_AUTHENTICATE, IMAP_CMD_LOGIN, IMAP_CMD_ENABLE, IMAP_CMD_ID, IMAP_CMD_COMPRESS,
	IMAP_CMD_SELECT, IMAP_CMD_EXAMINE, IMAP_CMD_CREATE, IMAP_CMD_DELETE, IMAP_CMD_RENAME,
	IMAP_CMD_SUBSCRIBE, IMAP_CMD_UNSUBSCRIBE, IMAP_CMD_LIST, IMAP_CMD_LSUB,
	IMAP_CMD_NAMESPACE, IMAP_CMD_STATUS, IMAP_CMD_APPEND, IMAP_CMD_IDLE, IMAP_CMD_CHECK,
	IMAP_CMD_CLOSE, IMAP_CMD_UNSELECT, IMAP_CMD_EXPUNGE, IMAP_CMD_SEARCH, IMAP_CMD_FETCH,
	IMAP_CMD_STORE, IMAP_CMD_COPY, IMAP_CMD_MOVE, IMAP_CMD_SORT, IMAP_CMD_THREAD,
	IMAP_CMD_GETQUOTA, IMAP_CMD_GETQUOTAROOT, IMAP_CMD_SETQUOTA,
	IMAP_CMD_COUNT
};

/*
 * One command. Pointers go into the parser and stay valid until the next call of
 * imap_parser_next() after a COMMAND or BAD event (across LITERAL and DATA events they stay).
 */
struct imap_cmd {
	const char *tag;  /* NULL if none could be read (answer "* BAD") */
	const char *name; /* uppercased, without "UID " ("FETCH"); NULL if none */
	enum imap_cmd_kind kind;
	bool uid;			/* UID COPY/MOVE/FETCH/STORE/SEARCH/EXPUNGE/SORT/THREAD */
	const struct imap_arg *args;	/* the top-level arguments */
	unsigned n_args;
	union {
		struct imap_fetch fetch;
		struct imap_store store;
		struct imap_search search; /* SEARCH */
		struct imap_sort sort;
		struct imap_thread thread;
		struct imap_list list; /* LIST, LSUB */
		struct imap_status status;
		struct imap_append append;
		struct imap_select select; /* SELECT, EXAMINE */
		struct imap_id id;
		struct imap_authenticate auth;
		struct { /* LOGIN */
			const char *user, *password;
		} login;
		struct { /* CREATE DELETE SUBSCRIBE UNSUBSCRIBE GETQUOTAROOT; RENAME (to);
			    GETQUOTA, SETQUOTA (mailbox: the quota root) */
			const char *mailbox, *to;
			/* CREATE's USE parameter (RFC 6154 3): the attributes as sent */
			const char *const *uses;
			unsigned n_uses;
		} mbox;
		struct { /* COPY, MOVE */
			struct imap_seqset set;
			const char *mailbox;
		} copy;
		struct imap_seqset expunge; /* UID EXPUNGE */
		struct { /* ENABLE: the capability names, uppercased */
			const char *const *caps;
			unsigned n;
		} enable;
		struct { /* COMPRESS: the mechanism, uppercased ("DEFLATE") */
			const char *mech;
		} compress;
	} u;
	/* APPEND, at an IMAP_PARSE_LITERAL / DATA event: the message being streamed. */
	struct imap_append_msg append_next;
};

struct imap_literal {
	uint64_t size;	 /* announced octets */
	bool sync;	 /* {n}: the client waits for "+"; false for {n+} and {n-} */
	bool minus;	 /* {n-} (LITERAL-: at most 4096 octets without "+") */
	bool binary;	 /* ~{n} */
	bool stream;	 /* APPEND's message: the octets will come as DATA events */
	bool fits;	 /* inline and at most IMAP_LITERAL_INLINE_MAX (and room in the command) */
};

enum imap_parse_result {
	IMAP_PARSE_BAD = -1,	 /* ev.error, ev.cmd.tag / name / kind if known */
	IMAP_PARSE_NEED_MORE = 0,
	IMAP_PARSE_COMMAND = 1,	 /* ev.cmd */
	IMAP_PARSE_LITERAL = 2,	 /* ev.literal, ev.cmd so far: accept or refuse, then next */
	IMAP_PARSE_DATA = 3,	 /* ev.data[0..data_len): octets of a streamed literal */
};

struct imap_event {
	struct imap_cmd cmd;
	struct imap_literal literal;
	const void *data; /* DATA: valid until the next call on the parser */
	size_t data_len;
	const char *error; /* BAD: static text for after "BAD " */
};

struct imap_parser;

/* Creates a parser with an empty buffer. Never fails. */
struct imap_parser *imap_parser_create(void);
/* Wipes and frees everything; sets *p to NULL. NULL-safe. */
void imap_parser_destroy(struct imap_parser **p);

/* Appends len bytes (copied). Returns 0, or -1 if the unparsed input would exceed
 * IMAP_PARSER_INPUT_MAX; then nothing was taken (call next() to drain, then feed again). */
int imap_parser_feed(struct imap_parser *p, const void *data, size_t len);

/* Parses on. Returns an imap_parse_result with *ev_r filled as it says. Must not be called
 * while a LITERAL event waits for accept/refuse (ASSERTed: a session bug). */
int imap_parser_next(struct imap_parser *p, struct imap_event *ev_r);

/* After IMAP_PARSE_LITERAL: take the literal. Returns 0, or -1 with *error_r if it cannot be
 * taken (an inline literal that does not fit: refuse it instead). */
int imap_parser_literal_accept(struct imap_parser *p, const char **error_r);
/* After IMAP_PARSE_LITERAL: refuse it; the command is dropped (its strings stay valid until
 * the next call of next()). A {n+} / {n-} literal's octets are skipped. */
void imap_parser_literal_refuse(struct imap_parser *p);

/* Takes one raw line that is not a command, CRLF removed: the client's response to an
 * AUTHENTICATE challenge (RFC 3501 6.2.2), IDLE's "DONE" (RFC 2177). Only between commands:
 * after a COMMAND or BAD event, never inside one (ASSERTed: a session bug). Returns 1 with
 * *line_r (NUL-terminated, wiped at the next call: it may hold credentials) and *len_r, 0 if
 * more input is needed, -1 once a line over IMAP_LINE_MAX octets was read to its end and
 * dropped. */
int imap_parser_next_line(struct imap_parser *p, const char **line_r, size_t *len_r);

/* Removes (and wipes) every unparsed byte and drops a command in progress: after STARTTLS
 * (RFC 2595 / CVE-2011-0411) and on COMPRESS. */
void imap_parser_discard_pending(struct imap_parser *p);
/* The unparsed bytes (valid until the next call on the parser). */
void imap_parser_pending(const struct imap_parser *p, const void **data_r, size_t *len_r);

/* Name of a kind ("FETCH"), for logs. */
const char *imap_cmd_kind_name(enum imap_cmd_kind kind);

#endif
