/*
 * imap-view.h: the selected mailbox as one session sees it (RFC 3501 2.3.1): the listing of
 * the folder in UID order, so message sequence number n is entries.v[n - 1]; its flags as last
 * told to the client. Changes (MBOX_FOLDER_EVT of the folder watch, imap-view-evt.c) are
 * gathered in view->pending and told at the moments RFC 3501 7.4.1 allows (NOOP, CHECK, IDLE)
 * as EXPUNGE (VANISHED under QRESYNC), FETCH (FLAGS) and EXISTS; only a RESYNC event (the
 * owner's events were lost) lists the folder afresh and tells the differences.
 *
 * Flags: the five system flags, as the bits of the mailbox owner's records (the bits of
 * PB_MSG_* in mailbox-store/mail/store-mail.h, which mailbox-client.h does not export yet),
 * and each message's keywords (space-separated). FLAGS and PERMANENTFLAGS list the folder's
 * keywords seen so far and \*.
 * OWNS: the listing, the folder name. THREAD: the hub's.
 */
#ifndef IMAP_VIEW_H
#define IMAP_VIEW_H

#include "imap-session-int.h"
#include "mailbox-client.h"

enum {
	IMAP_FLAG_SEEN = 1u << 0,
	IMAP_FLAG_ANSWERED = 1u << 1,
	IMAP_FLAG_FLAGGED = 1u << 2,
	IMAP_FLAG_DELETED = 1u << 3,
	IMAP_FLAG_DRAFT = 1u << 4,
};
#define IMAP_SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"

/* What the watch's events changed since the client was last told (imap-view-evt.c). */
struct imap_qresync;
struct imap_select;
struct imap_fetch;
struct imap_cmd;

struct imap_view_pending {
	struct pb_u64v expunged;		/* uids gone, in the order told */
	struct pb_rec_mbox_flagged_list flags;	/* new flags of messages (latest last) */
	bool appended;				/* messages came: list past the last uid */
	bool resync;				/* events were lost (or no watch): list afresh */
	bool gone;				/* the folder was deleted */
};

struct imap_view {
	char *folder; /* UTF-8, as the mailbox owner names it ("INBOX") */
	bool readonly; /* EXAMINE */
	struct mailbox_list list;
	uint32_t folder_id;	 /* the watch's folder (0: no watch answered yet) */
	uint64_t evt_seq;	 /* the seq of the last MBOX_FOLDER_EVT applied */
	struct pb_strv keywords; /* the folder's keywords told in FLAGS */
	struct imap_view_pending pending;
	bool relisting; /* the listing under way is of the whole folder (a resync) */
	struct imap_qresync *qresync; /* SELECT (QRESYNC ...) until its answer (imap-condstore.c) */
	struct pb_u64v searchres; /* RFC 5182 "$": the uids SEARCH RETURN (SAVE) kept, ascending */
};

/* The message with sequence number msn (1-based, <= count). */
#define IMAP_MSG(view, msn) (&(view)->list.entries.v[(msn) - 1])
#define IMAP_COUNT(view) ((view)->list.entries.n)

/* Appends "(\Seen \Deleted)" for flags. */
void imap_flags_append(struct pb_buf *out, uint32_t flags);
/* Appends "(\Seen kw1 kw2)" for flags and keywords (space-separated, NULL or "": none). */
void imap_flags_kw_append(struct pb_buf *out, uint32_t flags, const char *keywords);
/* The bits of flag names (case-insensitive; "\Recent" ignored). Returns 0, or -1 with
 * *bad_r the first name that is not a system flag (a keyword). */
int imap_flags_parse(const char *const *names, unsigned n, uint32_t *flags_r, const char **bad_r);
/* Splits flag names into system flag bits and keywords (appended to kw space-separated, NUL-
 * terminated). Returns 0, or -1 with *bad_r a name starting with "\" that is no system flag. */
int imap_flags_kw_parse(const char *const *names, unsigned n, uint32_t *flags_r,
			struct pb_buf *kw, const char **bad_r);
/* Adds the keywords (space-separated) to the view's list; true when one was new (the client
 * is then told FLAGS and PERMANENTFLAGS again: imap_view_write_flags). */
bool imap_view_learn_keywords(struct imap_view *v, const char *keywords);
/* Writes "* FLAGS (...)" and "* OK [PERMANENTFLAGS (...)]" for the view. */
void imap_view_write_flags(struct imap_session *s);

/* The sequence numbers set names (by UIDs when uid), ascending and each once, into a new
 * array *msns_r (the caller frees it; NULL when none). Returns how many, or -1 with *error_r
 * (static, for after "BAD ") when a sequence number is past the last message or set is "$". */
long imap_view_resolve(const struct imap_view *v, const struct imap_seqset *set, bool uid,
		       uint32_t **msns_r, const char **error_r);

/* Lists folder page by page into s->listing, then runs done(s, code) (PB_OK: the listing is
 * complete; PB_ERR_TEMP when the owner did not answer). Returns 0, or -1 when nothing could be
 * sent (done does not run). */
typedef void imap_listed_fn(struct imap_session *s, uint32_t code);
int imap_view_list(struct imap_session *s, const char *folder, imap_listed_fn *done);
/* Replaces the view's listing by s->listing, telling the client what changed: EXPUNGE for
 * messages gone, FETCH (FLAGS) for flags changed, EXISTS when messages came. */
void imap_view_sync(struct imap_session *s);
/* Removes the messages of uids[0..n) (ascending; uids not in the view are skipped) from the
 * view, telling each as "* msn EXPUNGE" unless quiet (each msn counts the ones told before it,
 * RFC 3501 7.4.1), or, once QRESYNC is enabled, all as one "* VANISHED uids". Returns how
 * many were removed. */
size_t imap_view_expunge_uids(struct imap_session *s, const uint64_t *uids, size_t n, bool quiet);
/* The sequence number of uid in the view, 0 when it is not there. */
size_t imap_view_msn_of(const struct imap_view *v, uint32_t uid);
/* Appends uids[0..n) (in the order given) as an IMAP uid-set: runs of consecutive uids as
 * "lo:hi", separated by commas ("4,7:9"). */
void imap_uidset_append(struct pb_buf *out, const uint64_t *uids, size_t n);
/* The folder a client's mailbox name means, into out as a NUL-terminated UTF-8 string
 * (imap_mailbox_arg_decode: modified UTF-7 decoded unless the session enabled UTF8=ACCEPT,
 * INBOX in any case is "INBOX", the name checked). Returns NULL, or the refusal
 * ("NO [CANNOT] ..."). (imap-cmd-select.c) */
const char *imap_folder_name(const struct imap_session *s, const char *name, struct pb_buf *out);
/* Frees the view; sets *v NULL. */
void imap_view_free(struct imap_view **v);

/* Lists uid_first and the uids after it of folder (see imap_view_list). */
int imap_view_list_from(struct imap_session *s, const char *folder, uint32_t uid_first,
			imap_listed_fn *done);

/* ---- imap-searchres.c: the saved search result "$" (RFC 5182) ---- */
/* Replaces the view's saved result by the uids of msns[0..n) (ascending). */
void imap_searchres_save(struct imap_view *v, const uint32_t *msns, size_t n);
/* Marks mark[msn - 1] for each message of the saved result still in the view. */
void imap_searchres_mark(const struct imap_view *v, bool *mark);
/* Whether message msn is in the saved result. */
bool imap_searchres_has(const struct imap_view *v, uint32_t msn);

/* ---- imap-view-evt.c: the folder watch and its events ---- */
/* Tells the client the view's pending changes (RFC 3501 7.4.1: call only where EXPUNGE may
 * go out), then runs then(s, code) (the session busy while new messages are listed); runs
 * then(s, PB_OK) at once when nothing is pending. A gone folder ends the session (BYE) and
 * then does not run. Returns 0, or -1 when a listing could not be sent (then does not run). */
int imap_view_refresh(struct imap_session *s, imap_listed_fn *then);
/* Whether the view has changes the client was not told. */
bool imap_view_pending(const struct imap_view *v);
/* Starts watching the view's folder (s->watching; its events go to imap_on_folder_event).
 * When the watch cannot be sent the view is marked resync (listed afresh at each refresh). */
void imap_view_watch(struct imap_session *s);
/* Stops the folder watch, if any (cast: no answer awaited). */
void imap_view_unwatch(struct imap_session *s);
/* An MBOX_FOLDER_EVT for this session: gathered in the view; told at once while idling. */
void imap_on_folder_event(struct imap_session *s, struct pb_msg *m);
/* Writes one untagged "* msn FETCH ([UID u ]FLAGS (...)[ MODSEQ (m)])" + CRLF for message msn
 * (UID when uid or QRESYNC is on, MODSEQ when CONDSTORE is on). */
void imap_view_fetch_flags(struct imap_session *s, size_t msn, bool uid);

/* ---- imap-condstore.c: CONDSTORE and QRESYNC (RFC 7162) ---- */
/* ENABLE of cap: true when it is CONDSTORE or QRESYNC and was not enabled yet. */
bool imap_condstore_enable(struct imap_session *s, const char *cap);
/* SELECT/EXAMINE's parameters checked (NULL, or the refusal). */
const char *imap_condstore_check_select(const struct imap_session *s,
					const struct imap_select *sel);
/* At SELECT/EXAMINE, the view made: CONDSTORE enabled, QRESYNC's parameters kept. */
void imap_condstore_select_begin(struct imap_session *s, const struct imap_select *sel);
/* Before the SELECT's tagged OK: QRESYNC's VANISHED (EARLIER) and FETCHes of changes. */
void imap_condstore_selected(struct imap_session *s);
void imap_qresync_free(struct imap_qresync **q);
/* FETCH's CHANGEDSINCE/VANISHED checked (NULL, or the refusal). */
const char *imap_condstore_check_fetch(const struct imap_session *s, const struct imap_fetch *f);
/* Keeps of msns[0..n) those changed after CHANGEDSINCE (all without it), telling VANISHED
 * (EARLIER) first for UID FETCH (VANISHED); enables CONDSTORE when asked for. Returns how
 * many are kept. */
long imap_condstore_fetch_filter(struct imap_session *s, const struct imap_cmd *cmd,
				 uint32_t *msns, long n);
/* Whether each FETCH answer carries MODSEQ without it being an item (CHANGEDSINCE). */
bool imap_condstore_fetch_modseq(const struct imap_cmd *cmd);

#endif
