/*
 * imap-sort.h: the pure logic of SORT and THREAD (RFC 5256): base-subject extraction
 * (section 2.1), the sent date of a Date: header, sorting by criteria, and the
 * ORDEREDSUBJECT and REFERENCES threading algorithms with their answer's text. No I/O, no
 * clock: the session (imap-cmd-sort.c) gathers the header fields and calls these.
 * Strings compare by i;ascii-casemap (ASCII letters folded, other octets as they are).
 * OWNS: nothing beyond each call. THREAD: any.
 */
#ifndef IMAP_SORT_H
#define IMAP_SORT_H

#include "imap-types.h"
#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many references of a message are used (the last ones: the nearest), and a
 * thread is at most this deep (a deeper link is not made): the tree walks stay bounded. */
#define IMAP_THREAD_REFS_MAX 32
#define IMAP_THREAD_DEPTH_MAX 256

/* What SORT and THREAD know of one message; strings are borrowed. */
struct imap_sort_msg {
	uint32_t msn, uid;
	uint64_t size;		    /* RFC822.SIZE as stored */
	int64_t arrival;	    /* INTERNALDATE, seconds */
	int64_t date;		    /* the Date: header in seconds UTC, else arrival */
	const char *subject;	    /* base subject (imap_sort_base_subject), "" if none */
	bool reply;		    /* the subject had a Re:/Fwd: part or a (fwd) trailer */
	const char *from, *to, *cc; /* the first address's mailbox (local part), "" if none */
	const char *display_from, *display_to; /* RFC 5957: display name, else addr-spec */
	const char *message_id;	    /* "<id>", NULL if none */
	const char *const *refs;    /* References' ids in order, else In-Reply-To's first */
	size_t n_refs;
};

/* RFC 5256 2.1: appends to out the base subject of subject (UTF-8, RFC 2047 already
 * decoded), ASCII letters upper-cased so equal base subjects are equal strings. Returns
 * whether a reply/forward part was removed (Re:, Fw:, Fwd:, "(fwd)", "[fwd: ...]"). */
bool imap_sort_base_subject(const char *subject, struct pb_buf *out);

/* RFC 5322 date-time (obsolete zones and a missing seconds or weekday accepted) to seconds
 * since 1970 UTC. 0 and *time_r set, or -1 when it is not a date. */
int imap_sort_date_parse(const char *value, int64_t *time_r);
/* SENTBEFORE/SENTON/SENTSINCE (RFC 3501 6.4.4): the day (days since 1970-01-01) of a Date:
 * header's value in the message's own zone (the wall-clock date written in it). A missing
 * (NULL) or unparsable value is day 0, 1 January 1970, as Dovecot takes such a message. */
int64_t imap_sent_day(const char *value);

/* Sorts m[0..n) by crit[0..n_crit) (RFC 5256 SORT), the sequence number last. */
void imap_sort_run(struct imap_sort_msg *m, size_t n, const struct imap_sort_crit *crit,
		   unsigned n_crit);

/* Appends the THREAD answer's threads ("(1)(2 (3)(4))") of m[0..n) (any order) by alg,
 * numbered by UID when uid, else by sequence number; nothing when n is 0. */
void imap_thread_run(const struct imap_sort_msg *m, size_t n, enum imap_thread_alg alg,
		     bool uid, struct pb_buf *out);

#endif
