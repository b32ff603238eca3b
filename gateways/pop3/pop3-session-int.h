/*
 * pop3-session-int.h: the POP3 session's state and the helpers its files share
 * (pop3-session.c: the session and most commands; pop3-retr.c: RETR/TOP and the read-ahead).
 * Internal to pb_pop3: nothing outside gateways/pop3 includes it.
 * OWNS: nothing (declarations). THREAD: the hub's.
 */
#ifndef POP3_SESSION_INT_H
#define POP3_SESSION_INT_H

#include "gw-login.h"
#include "gw-session.h"
#include "pop3-parser.h"
#include "pop3-session.h"
#include "pop3-stuff.h"

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

/* Octets of a stored message read per range. */
#define POP3_READ_CHUNK (256 * 1024)
#define POP3_BLOB_KEY_MAX 96
/* A slot's buffer larger than this is freed once used; a read-ahead of a message whose listed
 * size is 0 (unknown) asks for this much. */
#define POP3_PREFETCH_KEEP (8 * 1024)

enum pop3_state { ST_AUTH, ST_TRANS, ST_UPDATE };

struct pop3_msg {
	uint32_t uid;
	uint64_t size;
	char blob_key[POP3_BLOB_KEY_MAX];
	bool deleted;
};

/* One message's first range read ahead (pop3-retr.c). */
enum pop3_pf_state { PF_NONE, PF_INFLIGHT, PF_READY };

struct pop3_prefetch {
	enum pop3_pf_state state;
	size_t index;    /* the message it is for */
	uint64_t batch;  /* PF_INFLIGHT: the batch asked for it; a reply of another is dropped */
	uint32_t part;   /* PF_INFLIGHT: its range's place in that batch */
	bool adopted;    /* a RETR/TOP of its message waits for the batch in flight */
	size_t reserved; /* taken from the budget of bytes in flight (handed to the RETR) */
	bool eof;        /* PF_READY: the range, and whether it is the whole message */
	struct pb_buf data;
};

struct pop3_session {
	struct gw_session *gs;
	struct pop3_server *srv;
	struct pop3_parser *parser;
	enum pop3_state state;
	bool closing, locked;
	uint32_t bad_commands; /* refused or malformed commands so far */
	bool running;     /* inside run(): a write that drains must not re-enter it */
	bool out_blocked; /* run() stopped at NET_OUT_HIGH; drain resumes it */
	char *user;       /* from USER (the account's own name once logged in) */
	struct gw_login login; /* USER/PASS or AUTH under way (pop3-auth.c) */
	uint64_t user_id;
	char holder[PB_MSG_MAX_ADDR]; /* the lock holder: the session's own address */
	uint32_t uidvalidity;
	struct pop3_msg *msgs;
	size_t n_msgs;
	/* RETR or TOP in progress: the message, how far it was read, its stuffing state */
	bool retr;
	bool retr_started; /* the +OK line went out */
	size_t retr_reserved; /* taken from the budget of bytes in flight */
	size_t retr_index;
	uint64_t retr_offset;
	struct pop3_stuff stuff;
	struct pop3_prefetch pf[POP3_PREFETCH_DEPTH];
	uint64_t pf_batch;  /* the last read-ahead batch's number */
	uint32_t pf_calls;  /* read-ahead batches in flight, wholly discarded ones included */
	struct pb_buf out;
};

/* ---- pop3-session.c ---- */
/* Writes one reply line (CRLF added; cut at 509 octets). */
void pop3_send_line(struct pop3_session *s, const char *fmt, ...) PB_PRINTF(2, 3);
/* Ends the connection in the middle of a multi-line answer (the client sees it cut short). */
void pop3_cut(struct pop3_session *s);
/* A call of this session whose reply runs cont(s, arg, reply); sent through a stub with
 * gw_sender(&call). */
struct gw_pending pop3_call_of(struct pop3_session *s, gw_cont_fn *cont, uint64_t arg);
/* After a continuation: reads on, unless a call the session waits for is out or it ends. */
void pop3_resume(struct pop3_session *s);

/* Answers text and ends the session (after the output). */
void pop3_quit(struct pop3_session *s, const char *text);
/* The login succeeded (s->login.account): the maildrop lock, then the listing. */
void pop3_logged_in(struct pop3_session *s);

/* ---- pop3-auth.c ---- */
#define POP3_PLAINTEXT_DISALLOWED \
	"-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
/* The login's callbacks (challenges "+ x", the verdict's reply). */
extern const struct gw_login_ops pop3_login_ops;
/* Whether USER/PASS and AUTH PLAIN/LOGIN are allowed here (gw_plaintext_auth_allowed). */
bool pop3_plaintext_ok(const struct pop3_session *s);
/* The command table's checks and proceeds for USER (check only), PASS and AUTH (a bare AUTH
 * lists the mechanisms). */
const char *pop3_check_user(const void *session, const void *cmd);
const char *pop3_check_pass(const void *session, const void *cmd);
void pop3_do_pass(void *session, const void *cmd);
const char *pop3_check_auth(const void *session, const void *cmd);
void pop3_do_auth(void *session, const void *cmd);
/* The client's response line to a challenge (NULL: it was too long). */
void pop3_auth_line(struct pop3_session *s, const char *line);

/* ---- pop3-retr.c ---- */
/* RETR and TOP (the command table's proceed: session, struct pop3_cmd). */
void pop3_do_retr(void *session, const void *cmd);
/* The output drained while a RETR/TOP streams: reads its next range. */
void pop3_retr_drain(struct pop3_session *s);
/* Whether a call the session waits for is in flight (a read-ahead nobody adopted is not). */
bool pop3_waiting(const struct pop3_session *s);
/* Reads ahead the first ranges of the next messages from index `from` (after login, and as a
 * RETR/TOP ends), in one batch once a quarter of the window is missing or its first message is.
 * Nothing happens when they are large or the budget is short. */
void pop3_prefetch(struct pop3_session *s, size_t from);
/* The session closes: every read-ahead is forgotten and its budget given back. */
void pop3_prefetch_deinit(struct pop3_session *s);

#endif
