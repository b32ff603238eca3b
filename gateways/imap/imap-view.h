/*
 * imap-view.h: the selected mailbox as one session sees it (RFC 3501 2.3.1): the listing of
 * the folder in UID order, so message sequence number n is IMAP_MSG(view, n); its flags as last
 * told to the client. The listing is shared by the hub's views told the same (imap-view-
 * share.c: copy on write, so each view's numbers stay what its client was told). Changes (MBOX_FOLDER_EVT of the folder watch, imap-view-evt.c) are
 * gathered in view->pending and told at the moments RFC 3501 7.4.1 allows (NOOP, CHECK, IDLE)
 * as EXPUNGE (VANISHED under QRESYNC), FETCH (FLAGS) and EXISTS; only a RESYNC event (the
 * owner's events were lost) lists the folder afresh and tells the differences.
 *
 * Flags: the five system flags, as the bits of the mailbox owner's records (the bits of
 * PB_MSG_* in mailbox-store/mail/store-mail.h, which mailbox-client.h does not export yet),
 * and each message's keywords (space-separated). FLAGS and PERMANENTFLAGS list the folder's
 * keywords seen so far and \*.
 * OWNS: a reference to the listing, the folder name. THREAD: the hub's.
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

/* A listing (the messages in UID order, as told to the clients of the views holding it),
 * shared by every view of the hub told exactly the same (imap-view-share.c): immutable while
 * registered; a view changes its own only through imap_view_edit / imap_view_entry_w. */
struct imap_listings;
struct imap_listing {
	unsigned refs;
	uint64_t user_id;
	char *folder;
	uint64_t hash; /* of the content, set when registered */
	struct pb_rec_mbox_entry_list entries;
	struct imap_listings *reg; /* the registry holding it (NULL: private to one view) */
	struct imap_listing *next; /* in its bucket */
};

struct imap_view {
	char *folder; /* UTF-8, as the mailbox owner names it ("INBOX") */
	bool readonly; /* EXAMINE */
	struct imap_listing *msgs; /* the messages (NULL until the first listing) */
	struct mailbox_list list;  /* the folder's counters (its entries stay empty: see msgs) */
	/* listings the view left by copy on write during a command, held until the next settle:
	 * the command may still hold pointers into them (FETCH's blob keys) */
	struct imap_listing **pins;
	size_t n_pins;
	uint32_t folder_id;	 /* the watch's folder (0: no watch answered yet) */
	uint64_t evt_seq;	 /* the seq of the last MBOX_FOLDER_EVT applied */
	struct pb_strv keywords; /* the folder's keywords told in FLAGS */
	struct imap_view_pending pending;
	bool relisting; /* the listing under way is of the whole folder (a resync) */
	struct imap_qresync *qresync; /* SELECT (QRESYNC ...) until its answer (imap-condstore.c) */
	struct pb_u64v searchres; /* RFC 5182 "$": the uids SEARCH RETURN (SAVE) kept, ascending */
};

/* The message with sequence number msn (1-based, <= count): read only (it may be shared with
 * other views); to change it, imap_view_entry_w. */
#define IMAP_MSG(view, msn) (&(view)->msgs->entries.v[(msn) - 1])
#define IMAP_COUNT(view) ((view)->msgs != NULL ? (size_t)(view)->msgs->entries.n : 0)

/* ---- imap-view-share.c: one listing for the views told the same ---- */
/* The view's own entries, to change in place: copied first when another view shares them.
 * They stay the view's own until imap_view_settle. Valid until the view's next edit/settle. */
struct pb_rec_mbox_entry_list *imap_view_edit(struct imap_view *v);
/* Message msn (1-based, <= count), to change in place (imap_view_edit). */
struct pb_rec_mbox_entry *imap_view_entry_w(struct imap_view *v, size_t msn);
/* Shares the view's listing again if it is its own: with an equal one of the hub (the own copy
 * freed), else registered for the views to come. Call after a change is told. */
void imap_view_settle(struct imap_session *s);
/* Makes *entries (moved out; left empty) the view's listing, shared when another view holds
 * an equal one. */
void imap_view_adopt(struct imap_session *s, struct pb_rec_mbox_entry_list *entries);
/* Lets go of the view's listing (freed with its last view). */
void imap_view_drop_listing(struct imap_view *v);
/* How many views share the view's listing (0: it is the view's own, not shared yet). */
size_t imap_view_shared_by(const struct imap_view *v);

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
/* Whether keywords (space-separated, NULL or "": none) hold kw, in any case (RFC 3501 flag
 * names are case-insensitive). */
bool imap_keywords_have(const char *keywords, const char *kw);
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
/* Makes s->listing (complete) the view's messages and counters; s->listing is left empty. */
void imap_view_take_listing(struct imap_session *s);
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
/* Before cmd runs: when the selected folder was deleted and cmd is a moment RFC 3501 7.4.1
 * allows EXPUNGE at, says BYE (the session ends; cmd is not run) and returns true. */
bool imap_view_gone_said(struct imap_session *s, const struct imap_cmd *cmd);
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
