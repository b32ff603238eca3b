/*
 * pop3-session-int.h: the POP3 session's state and the helpers its files share
 * (pop3-session.c: the session and most commands; pop3-retr.c: RETR/TOP and the read-ahead).
 * Internal to pb_pop3: nothing outside gateways/pop3 includes it.
 * OWNS: nothing (declarations). THREAD: the hub's.
 */
#ifndef POP3_SESSION_INT_H
#define POP3_SESSION_INT_H

#include "gw-session.h"
#include "pop3-parser.h"
#include "pop3-session.h"
#include "pop3-stuff.h"

#include <stdbool.h>

struct sasl_server;
#include <stddef.h>
#include <stdint.h>

/* Octets of a stored message read per range. */
#define POP3_READ_CHUNK (256 * 1024)
#define POP3_BLOB_KEY_MAX 96
/* A slot's buffer larger than this is freed once used. */
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
	uint64_t gen;    /* a reply of another generation was discarded: dropped */
	uint32_t calls;  /* this slot's calls in flight, discarded ones included */
	bool adopted;    /* a RETR/TOP of its message waits for the call in flight */
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
	char *account;    /* the account's name while the guard is asked about a login */
	const char *mech; /* the SASL mechanism of the login under way (static); NULL: USER/PASS */
	struct sasl_server *sasl; /* AUTH in progress (pop3-auth.c) */
	bool auth_line;   /* a challenge went out: the next input line is the client's response */
	bool scram_creds; /* the SCRAM credentials came (the next challenge is the server-final) */
	char *scram_final; /* the SCRAM server-final, held while the guard is asked */
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

/* Tells the lockout guard what the password check of s->user said (ok or not); its answer
 * decides: logged in, or "-ERR [AUTH] Authentication failed." (and, blocked, the close). */
void pop3_report_login(struct pop3_session *s, bool ok);
/* Reads the auth shard's answer to a password check (m NULL: timed out): PB_OK keeps the
 * account's id and name in s, PB_ERR_AUTH is a wrong password or unknown user, anything else
 * is logged as "unavailable". Returns the code. */
uint32_t pop3_verified(struct pop3_session *s, struct pb_msg *m);
/* The password (or proof) and the guard both said yes: the maildrop lock, then the listing. */
void pop3_logged_in(struct pop3_session *s);

/* ---- pop3-auth.c ---- */
#define POP3_PLAINTEXT_DISALLOWED \
	"-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
/* Whether USER/PASS and AUTH PLAIN/LOGIN are allowed here (gw_plaintext_auth_allowed). */
bool pop3_plaintext_ok(const struct pop3_session *s);
/* AUTH's check (an unknown mechanism, a plaintext one where not allowed) and proceed (a bare
 * AUTH lists the mechanisms; else the SASL exchange begins). */
const char *pop3_check_auth(const void *session, const void *cmd);
void pop3_do_auth(void *session, const void *cmd);
/* The client's response line to a challenge (NULL: it was too long). */
void pop3_auth_line(struct pop3_session *s, const char *line);
/* The guard allowed a SCRAM login whose proof verified: the server-final goes out. */
void pop3_auth_proved(struct pop3_session *s);
/* Writes the mechanisms allowed here: one per line (CRLF after each) or space separated. */
void pop3_write_mechs(struct pop3_session *s, bool lines);
/* Ends the SASL exchange, if any (wipes its secrets). */
void pop3_auth_end(struct pop3_session *s);

/* ---- pop3-retr.c ---- */
/* RETR and TOP (the command table's proceed: session, struct pop3_cmd). */
void pop3_do_retr(void *session, const void *cmd);
/* The output drained while a RETR/TOP streams: reads its next range. */
void pop3_retr_drain(struct pop3_session *s);
/* Whether a call the session waits for is in flight (a read-ahead nobody adopted is not). */
bool pop3_waiting(const struct pop3_session *s);
/* Reads ahead the first ranges of the next messages from index `from` (after login, and as a
 * RETR/TOP ends). Nothing happens when they are large or the budget is short. */
void pop3_prefetch(struct pop3_session *s, size_t from);
/* The session closes: every read-ahead is forgotten and its budget given back. */
void pop3_prefetch_deinit(struct pop3_session *s);

#endif
