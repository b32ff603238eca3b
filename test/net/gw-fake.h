/*
 * gw-fake.h: a fake transport for one gateway session, so session logic is tested in C with
 * no sockets and no actors: it records what the session writes and the requests it sends,
 * runs a fake clock, and injects replies — through the same pending-call table and dispatch
 * (gw-calls, gw_dispatch) the real hub uses.
 * OWNS: the session it opened, its output and the copies of sent requests. THREAD: one.
 */
#ifndef GW_FAKE_H
#define GW_FAKE_H

#include "gw-session.h"

#define GW_FAKE_MAX_SENT 64
/* The handshake bound a fake session gets (security.tls_handshake_timeout_s's default). */
#define GW_FAKE_TLS_HANDSHAKE_MS 30000

struct gw_fake {
	struct gw_session gs;
	const struct gw_proto *proto;
	struct gw_calls *calls;
	uint64_t now, deadline;
	struct pb_buf out;
	bool closed, paused, freed;
	bool session_gone; /* its close() ran (gw_fake_close_session) */
	struct pb_msg sent[GW_FAKE_MAX_SENT];
	size_t n_sent;
	bool refuse_sends; /* the next sends fail ("inbox full") */
	size_t backlog;    /* output the peer has not taken yet (what output_pending says) */
	size_t budget, budget_used; /* the budget of message bytes in flight (0: none given) */
	uint64_t dropped;  /* replies gw_dispatch dropped */
};

/* Opens a session of proto (its open() runs with server). */
void gw_fake_open(struct gw_fake *f, const struct gw_proto *proto, void *server);
/* As gw_fake_open, with a certificate (STARTTLS offered) and, when implicit, TLS begun
 * before open() as on 465/995: what the fake records is then ciphertext. */
void gw_fake_open_tls(struct gw_fake *f, const struct gw_proto *proto, void *server,
		      struct pb_tls_current *tls, bool implicit);
/* Closes the session (its close() runs) and frees everything. */
void gw_fake_free(struct gw_fake *f);
/* Runs the session's close() alone (what it sends on its way out stays readable in sent[]);
 * gw_fake_free then frees the rest. */
void gw_fake_close_session(struct gw_fake *f);
/* Feeds input bytes (as one read) to the session. */
void gw_fake_input(struct gw_fake *f, const char *text);
/* Feeds raw bytes (ciphertext under TLS) as one read, through the skeleton (gw_input). */
void gw_fake_input_bytes(struct gw_fake *f, const void *data, size_t len);
/* Returns what the session wrote since the last call (NUL-terminated; caller frees). */
char *gw_fake_output(struct gw_fake *f);
/* Whether the output since the last call begins with want (prints both when not); the
 * output is consumed. gw_fake_say feeds text first. */
bool gw_fake_expect(struct gw_fake *f, const char *want);
bool gw_fake_say(struct gw_fake *f, const char *text, const char *want);
/* The i-th request the session sent (NULL if none). */
struct pb_msg *gw_fake_sent(struct gw_fake *f, size_t i);
/* Delivers rep (corr set to `corr`, taken over: freed here) as the hub would. Returns 0 if a
 * continuation ran, -1 if the reply was dropped. */
int gw_fake_reply(struct gw_fake *f, uint64_t corr, struct pb_msg *rep);
/* Answers the last request of type `type` the session sent (LOCKOUT_CHECK_IP_REQ,
 * LOCKOUT_LOGIN_REQ or LOCKOUT_INTRUSION_REQ) as the lockout guard would: blocked (the
 * address), locked (the account; login reports only). Returns 0 if a continuation ran, -1 if the reply was dropped or no
 * such request was sent. */
int gw_fake_guard(struct gw_fake *f, int type, bool blocked, bool locked);
/* Answers a password check (AUTH_USER_VERIFY_REQ: the one with correlation id corr, 0 the last
 * one sent) as the auth shard would: the account user with user_id, or (user NULL) a wrong
 * password. Returns 0 if a continuation ran, -1 if the reply was dropped or none was sent. */
int gw_fake_verified(struct gw_fake *f, uint64_t corr, uint64_t user_id, const char *user);
/* Answers a READER_READ_REQ as a reader shard would, from a stored body text[0..total): its
 * range, the total size and eof. Returns as gw_fake_reply. */
int gw_fake_read_reply(struct gw_fake *f, struct pb_msg *req, const char *text, size_t total);
/* Answers a READER_READ_MANY_REQ the same way, every range from the one body text[0..total).
 * Returns as gw_fake_reply. */
int gw_fake_read_many_reply(struct gw_fake *f, struct pb_msg *req, const char *text,
			    size_t total);
/* Forgets the requests recorded so far (f->sent counts from 0 again). */
void gw_fake_forget_sent(struct gw_fake *f);
/* The peer took the backlog: it is set to 0 and the session's drain runs. */
void gw_fake_drain(struct gw_fake *f);
/* Moves the clock: expired calls hear "timed out", then the session's deadline fires
 * (gw_timeout, as the hub: an unfinished handshake's deadline closes the connection). */
void gw_fake_advance(struct gw_fake *f, uint64_t ms);

#endif
