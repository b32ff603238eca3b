/*
 * smtp-session-int.h: the SMTP session's state and the helpers its files share
 * (smtp-session.c: the session, the transaction and the content; smtp-auth.c: AUTH;
 * smtp-intrusion.c: the reports to intrusion protection; smtp-etrn.c: ETRN).
 * Internal to pb_smtp: nothing outside gateways/smtp includes it.
 * OWNS: nothing (declarations). THREAD: the hub's.
 */
#ifndef SMTP_SESSION_INT_H
#define SMTP_SESSION_INT_H

#include "gw-login.h"
#include "pb-msg.h"
#include "smtp-data.h"
#include "smtp-intrusion.h"
#include "smtp-parser.h"
#include "smtp-session.h"

#include <stdbool.h>
#include <stdint.h>

struct directory_user_signature;

enum smtp_mode { MODE_CMD, MODE_DATA, MODE_BDAT };
/* Command states: before EHLO, greeted, in a transaction without / with recipients. */
enum smtp_state { ST_FRESH, ST_READY, ST_MAIL, ST_RCPT };
#define ALL_STATES (1u << ST_FRESH | 1u << ST_READY | 1u << ST_MAIL | 1u << ST_RCPT)
#define TX_STATES (1u << ST_MAIL | 1u << ST_RCPT)
/* Octets of content sent to the spool per chunk. */
#define SMTP_CHUNK (256 * 1024)
/* What a message being received may hold at once: the chunk filling and the one in flight. */
#define SMTP_TX_BYTES (2 * SMTP_CHUNK)
/* A message that may be signed (smtp_signature_wanted) is held whole up to this many octets
 * before it streams, so its signature can go in: what one put carries (PB_CHUNK_MAX), less
 * room for the signature (its text and HTML, quoted-printable, in two alternatives). Such a
 * transaction takes SMTP_SIGN_BYTES of the budget of bytes in flight (the held content and
 * its signed copy); without room there, it streams as any other. */
#define SMTP_SIGN_HOLD (PB_CHUNK_MAX - 64 * 1024)
#define SMTP_SIGN_BYTES (2 * (size_t)PB_CHUNK_MAX)
/* tx_fail when the node's budget of bytes in flight had no room for the message. */
#define TX_FAIL_BUSY 1000

struct smtp_session {
	struct gw_session *gs;
	struct smtp_server *srv;
	bool submission; /* on 587/465: AUTH before MAIL */
	struct smtp_parser *parser;
	enum smtp_mode mode;
	bool esmtp, greeted, closing;
	char helo[256];
	uint32_t errors;
	/* the mail transaction */
	bool in_tx, tx_smtputf8, bdat_discard;
	char *sender;
	struct pb_strv rcpts;
	struct pb_u64v rcpt_ids;
	uint32_t remote_rcpts; /* recipients at domains that are not local (relayed) */
	char *checking; /* the recipient being checked */
	char *checking_dsn; /* its DSN parameters, "\tNOTIFY=..\tORCPT=.." ("" none) */
	char *dsn_mail;     /* MAIL's DSN parameters, "\tRET=..\tENVID=.." ("" none) */
	char tx_id[32];
	/* the message being received: its upload to the spool */
	bool receiving;    /* DATA or BDAT content began in this transaction */
	int64_t received_ms; /* when it began (wall clock), for the envelope */
	uint64_t end_us;     /* its end of data (pb_latency_now_us), for the accept latency */
	bool finishing;    /* the content is complete: put or commit once the upload allows */
	bool waiting;      /* a call blocks the input: reading paused until its reply */
	bool begin_pending; /* the upload's begin is unanswered (the content may go on) */
	uint64_t tx_seq;   /* uploads begun: a late begin reply is matched against it */
	uint64_t upload_id; /* 0: none open (none begun: the content goes whole in a put) */
	uint64_t sent;     /* octets the spool has been sent */
	uint32_t tx_fail;  /* PB_OK, or why the upload failed (the rest is discarded) */
	size_t reserved;   /* taken from the budget of message bytes in flight */
	char tail[2];      /* the last two octets sent */
	struct pb_buf body; /* content not yet sent: less than `chunk` octets */
	size_t chunk;       /* this transaction's chunk: SMTP_CHUNK, or SMTP_SIGN_HOLD */
	/* the signature's plan (smtp-signature.c), fed what goes to the spool; NULL: no
	 * signing; after the content, kept only with insertions for the commit to store */
	struct mime_signature_plan *sign_plan;
	const char *sign_source; /* static: whose text the plan holds (pick.source), for the log */
	struct smtp_data data;
	struct smtp_bdat bdat;
	struct pb_buf out; /* replies being built */
	/* AUTH (smtp-auth.c) */
	struct gw_login login;   /* the exchange under way */
	bool auth_too_long;      /* the response line was too long (500 5.5.6, not 501) */
	char *auth_user;         /* the account authenticated as; NULL: none */
	uint64_t auth_user_id;
	struct smtp_intrusion intr; /* what intrusion protection saw (smtp-intrusion.c) */
	struct smtp_policy *policy; /* the authenticated sender's permissions (smtp-policy.c) */
	char *etrn_node; /* ETRN's node while the queue's shards answer (smtp-etrn.c) */
};

/* ---- smtp-signature.c ---- */
/* Whether the transaction's mail gets a signature (an authenticated sender, and
 * mail_signature_choose finds a text: its own, or the server's by the settings): its content
 * is then held whole up to SMTP_SIGN_HOLD. */
bool smtp_signature_wanted(const struct smtp_session *s);
/* The content begins: the plan, when the mail is to be signed (smtp_signature_wanted, with a
 * text for the sender's domain). */
void smtp_signature_start(struct smtp_session *s);
/* len octets of content go to the spool (a chunk): the plan sees them. */
void smtp_signature_feed(struct smtp_session *s, const void *data, size_t len);
/* The commit's insertions (allocated into *at_r, *text_r: free with smtp_signature_free_sign;
 * n 0 and NULL: none). */
size_t smtp_signature_sign(const struct smtp_session *s, uint64_t **at_r, char ***text_r);
void smtp_signature_free_sign(uint64_t *at, char **text, size_t n);
/* Ends the transaction's plan (NULL allowed). */
void smtp_signature_end(struct smtp_session *s);
/* At the end of an authenticated sender's content: puts the signature (settings signature.*)
 * into the message still whole in s->body; or, when part of it went to the spool already,
 * decides the insertions the commit stores (smtp_signature_sign); or logs why not. */
void smtp_signature_apply(struct smtp_session *s);

/* ---- smtp-session.c ---- */
/* Writes one reply "code enhanced text" (enhanced may be NULL). */
void smtp_session_reply(struct smtp_session *s, int code, const char *enhanced, const char *text);
/* Writes the reply, then closes the connection after it. */
void smtp_session_close_with(struct smtp_session *s, int code, const char *enhanced,
			     const char *text);
/* A call blocks the input: reading pauses until smtp_session_resume. */
void smtp_session_wait(struct smtp_session *s);
/* The call ended: reading and the command flow go on. */
void smtp_session_resume(struct smtp_session *s);
/* Whether this client may relay (and ETRN): authenticated, or in smtp.relay_networks. */
bool smtp_session_may_relay(const struct smtp_session *s);
/* MAIL once its checks passed: the transaction begins (after the spool's room check for a
 * declared SIZE). path is copied. */
void smtp_session_mail_go(struct smtp_session *s, const char *path, bool smtputf8, bool has_size,
			  uint64_t size);

/* ---- smtp-etrn.c ---- */
/* ETRN node (RFC 1985): the queue's entries for it due now, for a client that may relay. */
void smtp_do_etrn(void *session, const void *cmd);

/* ---- smtp-auth.c ---- */
/* The login's callbacks (challenges "334 x", the verdict's reply). */
extern const struct gw_login_ops smtp_login_ops;
/* AUTH's check (state, mechanism, encryption) and proceed. */
const char *smtp_check_auth(const void *session, const void *cmd);
void smtp_do_auth(void *session, const void *cmd);
/* The client's response to a 334 (rc: smtp_parser_next_line's, line valid when 1). */
void smtp_auth_line(struct smtp_session *s, int rc, const char *line);
/* The AUTH keyword's mechanisms for EHLO, in buf ("" when none may be used here). */
const char *smtp_auth_mechs(struct smtp_session *s, struct pb_buf *buf);
/* Forgets the authentication (STARTTLS, close). */
void smtp_auth_reset(struct smtp_session *s);

/* ---- smtp-policy.c: an authenticated sender's permissions (send-policy.h) ---- */
/* MAIL: false when no account applies (the session goes on); true when it took the command
 * over: a refusal written, or the directory asked (reading waits; the answer's continuation
 * refuses or calls smtp_session_mail_go). Every MAIL comes here first. Without AUTH, a MAIL
 * FROM that resolves to a local account is checked against that account's quota send block
 * (452 4.2.2, temporary: the sender is not proven); any other goes on. */
bool smtp_policy_mail(struct smtp_session *s, const struct smtp_cmd *cmd);
/* RCPT path (as sent): true with the refusal written when a forbidden pattern matches. */
bool smtp_policy_rcpt(struct smtp_session *s, const char *path);
/* A recipient at a domain that is not local: true with the refusal written when the account
 * may send to local addresses only. */
bool smtp_policy_local_only(struct smtp_session *s, const char *path);
/* The content size limit in effect: max (smtp.max_message_size), or the account's if smaller. */
uint64_t smtp_policy_max_size(const struct smtp_session *s, uint64_t max);
/* Content over the size limit `applied`: logged with the rule when it was the account's. */
void smtp_policy_too_big(struct smtp_session *s, uint64_t applied);
/* Content just decoded (the BCC rule keeps the header section of it). */
void smtp_policy_content(struct smtp_session *s, const char *data, size_t len);
/* The end of content: the refusal line ("550 5.7.1 ...", the session's) or NULL. */
const char *smtp_policy_end(struct smtp_session *s);
/* A message was accepted (250): it counts toward the account's limits. */
void smtp_policy_accepted(struct smtp_session *s);
/* The authenticated sender's own signatures for this transaction (from the directory's
 * answer at MAIL; the policy's), or NULL (no authenticated sender, no answer yet). */
const struct directory_user_signature *smtp_policy_signature(const struct smtp_session *s);
/* Frees the session's policy (close). */
void smtp_policy_free(struct smtp_session *s);

#endif
