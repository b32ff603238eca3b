/*
 * imap-view.h: the selected mailbox as one session sees it (RFC 3501 2.3.1): the listing of
 * the folder in UID order, so message sequence number n is entries.v[n - 1]; its flags as last
 * told to the client. Changes by others (MBOX_CHANGED_EVT) only mark the view dirty; it is
 * brought up to date by a fresh listing at the moments RFC 3501 7.4.1 allows (NOOP, CHECK,
 * IDLE), and the differences go out as EXPUNGE, FETCH (FLAGS) and EXISTS.
 *
 * Flags: the five system flags, as the bits of the mailbox owner's records (the bits of
 * PB_MSG_* in mailbox-store/mail/store-mail.h, which mailbox-client.h does not export yet).
 * Keywords are not stored through MBOX_FLAGS yet: PERMANENTFLAGS has no \*.
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

struct imap_view {
	char *folder; /* UTF-8, as the mailbox owner names it ("INBOX") */
	bool readonly; /* EXAMINE */
	bool dirty;    /* a change event came since the last listing */
	struct mailbox_list list;
};

/* The message with sequence number msn (1-based, <= count). */
#define IMAP_MSG(view, msn) (&(view)->list.entries.v[(msn) - 1])
#define IMAP_COUNT(view) ((view)->list.entries.n)

/* Appends "(\Seen \Deleted)" for flags. */
void imap_flags_append(struct pb_buf *out, uint32_t flags);
/* The bits of flag names (case-insensitive; "\Recent" ignored). Returns 0, or -1 with
 * *bad_r the first name that is not a system flag (a keyword). */
int imap_flags_parse(const char *const *names, unsigned n, uint32_t *flags_r, const char **bad_r);

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
 * RFC 3501 7.4.1). Returns how many were removed. */
size_t imap_view_expunge_uids(struct imap_session *s, const uint64_t *uids, size_t n, bool quiet);
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

/* Re-lists the selected folder if it is dirty and tells the client, then runs then(s, code)
 * (the session busy meanwhile); runs then(s, PB_OK) at once when it is not dirty. Returns 0, or
 * -1 when nothing could be sent (then does not run). */
int imap_view_refresh(struct imap_session *s, imap_listed_fn *then);

#endif
