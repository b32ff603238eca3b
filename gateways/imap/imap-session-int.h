/*
 * imap-session-int.h: the IMAP session's state and the helpers its files share
 * (imap-session.c: the session's life, input and command table; imap-cmd-*.c: the commands).
 * Internal to pb_imap: nothing outside gateways/imap includes it.
 * OWNS: nothing (declarations). THREAD: the hub's.
 */
#ifndef IMAP_SESSION_INT_H
#define IMAP_SESSION_INT_H

#include "gw-login.h"
#include "gw-session.h"
#include "imap-parser.h"
#include "mailbox-client.h"
#include "imap-session.h"
#include "pb-alloc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 3501 3: the states; LOGOUT once the session ends. */
enum imap_state { IMAP_ST_NOT_AUTH, IMAP_ST_AUTH, IMAP_ST_SELECTED, IMAP_ST_LOGOUT };

#define IMAP_IN_NOT_AUTH (1u << IMAP_ST_NOT_AUTH)
#define IMAP_IN_AUTH (1u << IMAP_ST_AUTH)
#define IMAP_IN_SELECTED (1u << IMAP_ST_SELECTED)
#define IMAP_IN_ANY (IMAP_IN_NOT_AUTH | IMAP_IN_AUTH | IMAP_IN_SELECTED)
#define IMAP_IN_LOGGED_IN (IMAP_IN_AUTH | IMAP_IN_SELECTED)

struct imap_view;
struct imap_fetch_job;

struct imap_session {
	struct gw_session *gs;
	struct imap_server *srv;
	struct imap_parser *parser;
	enum imap_state state;
	bool closing;	  /* BYE said: nothing more is read */
	bool running;	  /* inside run(): a continuation must not re-enter it */
	bool out_blocked; /* run() stopped at NET_OUT_HIGH; drain resumes it */
	bool busy;	  /* a command waits for an actor: no further command is read */
	uint32_t bad_commands;
	char tag[IMAP_TAG_MAX + 1]; /* the tag of the command in progress */
	struct gw_login login;	    /* LOGIN or AUTHENTICATE under way (imap-cmd-login.c) */
	char *user;		    /* the account's own name once logged in */
	uint64_t user_id;
	struct imap_view *view; /* SELECTED: the mailbox as this session sees it */
	struct mailbox_list listing; /* a listing being gathered (imap_view_list) */
	char *listing_folder;	     /* its folder */
	void *listed;		     /* its imap_listed_fn */
	void *refreshed;	     /* imap_view_refresh's then */
	bool watching;		     /* MBOX_FOLDER_WATCH registered for the session's address */
	bool idling;		     /* IDLE: the next line is DONE */
	bool check;		     /* the NOOP under way is a CHECK */
	bool utf8_accept;	     /* ENABLE UTF8=ACCEPT: mailbox names in UTF-8 (RFC 6855) */
	bool condstore;		     /* CONDSTORE enabled (RFC 7162 3.1) */
	bool qresync;		     /* ENABLE QRESYNC (RFC 7162 3.2) */
	bool rev2;		     /* ENABLE IMAP4rev2 (RFC 9051): answers as IMAP4rev2 */
	void *job;		     /* the state of the command under way (STORE, FETCH) */
	void (*job_free)(void *job);
	void (*job_drain)(struct imap_session *s); /* the output drained (NULL: run on) */
	struct pb_buf out;	/* scratch for building replies */
};

/* ---- imap-session.c ---- */
/* Writes "<tag of the command in progress> " + text + CRLF. */
void imap_tagged(struct imap_session *s, const char *fmt, ...) PB_PRINTF(2, 3);
/* Writes "* " + text + CRLF. */
void imap_untagged(struct imap_session *s, const char *fmt, ...) PB_PRINTF(2, 3);
/* Writes "* BYE text" and ends the session after the output. */
void imap_bye(struct imap_session *s, const char *text);
/* A call of this session whose reply runs cont(s, arg, reply); sent through a stub with
 * gw_sender(&call). */
struct gw_pending imap_call_of(struct imap_session *s, gw_cont_fn *cont, uint64_t arg);
/* After a stub's send: 0 → the command waits (busy, reading paused); -1 → the command is
 * answered NO [UNAVAILABLE]. Returns rc. */
int imap_asked(struct imap_session *s, int rc);
/* A continuation ended its command (or a step of it): reads on unless the session still
 * waits or ends. */
void imap_resume(struct imap_session *s);
/* The command under way keeps job (freed by job_free at imap_job_end or when the session
 * closes, so a continuation that never runs leaks nothing). */
void imap_job_begin(struct imap_session *s, void *job, void (*job_free)(void *job),
		    void (*job_drain)(struct imap_session *s));
void imap_job_end(struct imap_session *s);
/* Whether the session waits for an actor (a command's call, a login's check). */
bool imap_waiting(const struct imap_session *s);
/* Arms the autologout timer afresh. */
void imap_touch(struct imap_session *s);

/* ---- imap-cmd-capability.c ---- */
/* Appends the capabilities in effect now (state, TLS, plaintext rule) to out, no CRLF. */
void imap_capabilities(const struct imap_session *s, struct pb_buf *out);
void imap_do_capability(void *session, const void *cmd);

/* ---- imap-cmd-simple.c: NOOP LOGOUT ID ENABLE NAMESPACE ---- */
void imap_do_noop(void *session, const void *cmd);
void imap_do_logout(void *session, const void *cmd);
void imap_do_id(void *session, const void *cmd);
const char *imap_check_enable(const void *session, const void *cmd);
void imap_do_enable(void *session, const void *cmd);
void imap_do_namespace(void *session, const void *cmd);

/* ---- imap-cmd-list.c, imap-cmd-folder.c, imap-cmd-status.c: the mailbox commands ---- */
/* LIST and LSUB; under IMAP4rev2 LSUB and the STATUS item RECENT are BAD (RFC 9051 has
 * neither: LIST (SUBSCRIBED) lists the subscriptions). */
const char *imap_check_list(const void *session, const void *cmd);
void imap_do_list(void *session, const void *cmd);
/* SELECT/EXAMINE's answer after EXISTS: "* LIST () "/" name" under IMAP4rev2 (RFC 9051
 * 6.3.2), "* 0 RECENT" under IMAP4rev1. */
void imap_rev2_selected(struct imap_session *s);
/* The special-use attribute of a folder's use (enum pb_special_use, RFC 6154 2: "\\Sent"..
 * "\\Archive"), NULL for none and INBOX. */
const char *imap_special_use_attr(uint32_t use);
/* The use an attribute names (case-insensitive), 0 if none this server keeps. */
uint32_t imap_special_use_of(const char *attr);
/* CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE: names checked, then one MBOX_FOLDER_REQ. */
const char *imap_check_folder(const void *session, const void *cmd);
void imap_do_folder(void *session, const void *cmd);
/* STATUS: the name checked; RECENT BAD under IMAP4rev2 (as imap_check_list). */
const char *imap_check_status(const void *session, const void *cmd);
/* The refusal of status items under IMAP4rev2 (RECENT), NULL if none. */
const char *imap_status_items_check(const struct imap_session *s, unsigned items);
void imap_do_status(void *session, const void *cmd);
/* Appends "* STATUS name (items)" + CRLF for folder f (LIST-STATUS shares it; DELETED is
 * f->deleted, counted when the owner was asked for it). */
void imap_status_write(const struct imap_session *s, const struct pb_rec_mbox_folder *f,
		       unsigned items, struct pb_buf *out);

/* ---- imap-cmd-compress.c: COMPRESS (RFC 4978) ---- */
const char *imap_check_compress(const void *session, const void *cmd);
void imap_do_compress(void *session, const void *cmd);

/* ---- imap-cmd-quota.c: GETQUOTAROOT GETQUOTA SETQUOTA (RFC 9208) ---- */
const char *imap_check_getquotaroot(const void *session, const void *cmd);
void imap_do_getquotaroot(void *session, const void *cmd);
void imap_do_getquota(void *session, const void *cmd);
const char *imap_check_setquota(const void *session, const void *cmd);

/* ---- imap-cmd-starttls.c ---- */
const char *imap_check_starttls(const void *session, const void *cmd);
void imap_do_starttls(void *session, const void *cmd);

/* ---- imap-cmd-login.c: LOGIN, AUTHENTICATE ---- */
extern const struct gw_login_ops imap_login_ops;
/* Whether LOGIN and AUTHENTICATE PLAIN/LOGIN are allowed here (gw_plaintext_auth_allowed). */
bool imap_plaintext_ok(const struct imap_session *s);
const char *imap_check_login(const void *session, const void *cmd);
void imap_do_login(void *session, const void *cmd);
const char *imap_check_authenticate(const void *session, const void *cmd);
void imap_do_authenticate(void *session, const void *cmd);
/* The client's response line to a challenge (NULL: it was too long). */
void imap_auth_line(struct imap_session *s, const char *line);

/* ---- the selected state (imap-cmd-select.c, -fetch.c, -store.c, -expunge.c, -search.c,
 * -idle.c) ---- */
const char *imap_check_select(const void *session, const void *cmd);
void imap_do_select(void *session, const void *cmd);
const char *imap_check_fetch(const void *session, const void *cmd);
void imap_do_fetch(void *session, const void *cmd);
const char *imap_check_store(const void *session, const void *cmd);
void imap_do_store(void *session, const void *cmd);
void imap_do_expunge(void *session, const void *cmd);
void imap_do_close(void *session, const void *cmd);
void imap_do_unselect(void *session, const void *cmd);
const char *imap_check_search(const void *session, const void *cmd);
void imap_do_search(void *session, const void *cmd);
/* The search's own check (charset, keys it can answer, text limits): NULL or the reply. */
const char *imap_search_check(const struct imap_search *q);
/* Whether q has the MODSEQ key (its answer then carries the highest mod-sequence returned,
 * RFC 7162 3.1.5: SEARCH, ESEARCH and SORT). */
bool imap_search_has_modseq(const struct imap_search *q);
/* The messages a search selected, msns[0..n) ascending (the callee frees msns); cmd is a
 * copy, valid for the call (what it points to: while the command is under way). */
typedef void imap_search_done_fn(struct imap_session *s, const struct imap_cmd *cmd,
				 uint32_t *msns, size_t n);
/* Evaluates q (cmd's, the command under way) on the view, asking the readers for its text
 * keys, then calls done once; when the readers fail, answers NO [UNAVAILABLE] instead. */
void imap_search_select(struct imap_session *s, const struct imap_cmd *cmd,
			const struct imap_search *q, imap_search_done_fn *done);
/* imap-searchres.c: a refused SEARCH or SORT with RETURN (SAVE) empties "$" (RFC 5182 2.1). */
void imap_searchres_refused(struct imap_session *s, const struct imap_cmd *cmd);
/* imap-cmd-sort.c: SORT and THREAD (RFC 5256) and their UID forms. */
const char *imap_check_sort(const void *session, const void *cmd);
void imap_do_sort(void *session, const void *cmd);
void imap_do_idle(void *session, const void *cmd);
/* The line after IDLE: false when none is buffered yet. */
bool imap_idle_line(struct imap_session *s);
/* While idling: the view listed afresh now (a change event came). */
void imap_idle_refresh(struct imap_session *s);
/* NOOP and CHECK in the selected state: the view brought up to date first. */
void imap_do_check(void *session, const void *cmd);
/* Leaves the selected state (nothing expunged). */
void imap_deselect(struct imap_session *s);

/* ---- imap-cmd-copy.c: COPY, MOVE (and UID) ---- */
const char *imap_check_copy(const void *session, const void *cmd);
void imap_do_copy(void *session, const void *cmd);

/* ---- imap-cmd-append.c: APPEND ---- */
/* APPEND's message literal announced (ev: the LITERAL event, stream set; the state and the
 * size limit already checked): its upload begins; the continuation or the refusal follows
 * when the owner answers (the session waits). */
void imap_append_literal(struct imap_session *s, const struct imap_event *ev);
/* Octets of that literal (a DATA event). */
void imap_append_data(struct imap_session *s, const void *data, size_t len);
/* Ends an APPEND in progress (its uploads aborted); nothing when none is. */
void imap_append_cancel(struct imap_session *s);
void imap_do_append(void *session, const void *cmd);

#endif
