/*
 * imap-types.h: what the IMAP command parser produces — the generic argument tree and the
 * typed structures of the commands that need one (sequence sets, FETCH items, STORE,
 * SEARCH keys, LIST, STATUS, APPEND, SELECT/EXAMINE, ENABLE, ID, AUTHENTICATE, SORT/THREAD).
 *
 * Everything here points into the parser's per-command arena (imap-arena.h) and is valid
 * until the next call of imap_parser_next() that follows a command or an error.
 * Strings are NUL-terminated and hold no NUL (a literal with a NUL is refused).
 * OWNS nothing. THREAD: the parser's.
 */
#ifndef IMAP_TYPES_H
#define IMAP_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Generic arguments ----------------------------------------------------------------- */

enum imap_arg_type {
	IMAP_ARG_ATOM = 1, /* also BODY[...]<...> and sequence sets: one atom */
	IMAP_ARG_STRING,   /* quoted, unescaped */
	IMAP_ARG_LITERAL,  /* an inline literal ({n}, {n+}, {n-}, ~{n}) */
	IMAP_ARG_NIL,
	IMAP_ARG_LIST,	  /* ( ... ) */
	IMAP_ARG_STREAM,  /* a literal the session streamed (APPEND's message): only its size */
};

struct imap_arg {
	enum imap_arg_type type;
	const char *str; /* ATOM, STRING, LITERAL */
	size_t len;
	const struct imap_arg *list; /* LIST: the children */
	unsigned n;		     /* LIST: their count */
	uint64_t size;		     /* STREAM: the octets the literal announced */
	bool binary;		     /* LITERAL, STREAM: ~{n} (RFC 3516) */
};

/* ---- Sequence sets (RFC 3501 9 sequence-set, RFC 5182 "$") ------------------------------ */

/* `*` (the last message / the highest UID), resolved later against the mailbox: above every
 * nz-number, 4,294,967,295 included. */
#define IMAP_SEQ_STAR UINT64_MAX

struct imap_seq_range {
	uint64_t lo, hi; /* lo <= hi, either may be IMAP_SEQ_STAR ("*:4" is kept as 4:*) */
};

struct imap_seqset {
	bool saved; /* "$": the result saved by SEARCH RETURN (SAVE) (RFC 5182) */
	unsigned n;
	const struct imap_seq_range *ranges; /* as sent: not sorted or merged */
};

/* ---- Dates ------------------------------------------------------------------------------ */

/* A date-time of APPEND ("17-Jul-1996 02:44:25 -0700") or a SEARCH date (time 0:00, no
 * zone). unix_time is the UTC instant (date-time) or midnight UTC (date). */
struct imap_date {
	int year, month, day; /* month 1..12 */
	int hour, min, sec;
	int zone_min; /* offset east of UTC, in minutes */
	int64_t unix_time;
};

/* ---- FETCH ------------------------------------------------------------------------------ */

enum imap_fetch_att {
	IMAP_FETCH_FLAGS = 1,
	IMAP_FETCH_INTERNALDATE,
	IMAP_FETCH_RFC822_SIZE,
	IMAP_FETCH_ENVELOPE,
	IMAP_FETCH_BODYSTRUCTURE,
	IMAP_FETCH_BODY,      /* BODY alone: the non-extensible structure */
	IMAP_FETCH_UID,
	IMAP_FETCH_MODSEQ,
	IMAP_FETCH_RFC822,    /* = BODY[] */
	IMAP_FETCH_RFC822_HEADER, /* = BODY.PEEK[HEADER] */
	IMAP_FETCH_RFC822_TEXT,	  /* = BODY[TEXT] */
	IMAP_FETCH_BODY_SECTION,  /* BODY[section]<partial>, BODY.PEEK[...] */
	IMAP_FETCH_BINARY,	  /* BINARY[part]<partial>, BINARY.PEEK[...] */
	IMAP_FETCH_BINARY_SIZE,	  /* BINARY.SIZE[part] */
};

enum imap_section_spec {
	IMAP_SECTION_ALL = 0, /* [] or [1.2]: the whole message or part */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME,
};

#define IMAP_SECTION_DEPTH_MAX 32 /* part numbers in one section ("1.2.3") */

struct imap_fetch_item {
	enum imap_fetch_att att;
	bool peek;			/* BODY.PEEK / BINARY.PEEK: do not set \Seen */
	const uint32_t *parts;		/* section part numbers, 1-based */
	unsigned n_parts;
	enum imap_section_spec spec;
	const char *const *fields; /* HEADER.FIELDS[.NOT]: the names as sent */
	unsigned n_fields;
	bool partial;		   /* <offset.length> */
	uint32_t offset, length;
};

struct imap_fetch {
	struct imap_seqset set;
	const struct imap_fetch_item *items;
	unsigned n_items;
	bool macro_all, macro_fast, macro_full; /* as sent, items already expanded */
	bool has_changedsince;			 /* (CHANGEDSINCE n) (RFC 7162) */
	uint64_t changedsince;
	bool vanished; /* (VANISHED), UID FETCH only */
};

/* ---- STORE ------------------------------------------------------------------------------ */

enum imap_store_op { IMAP_STORE_REPLACE = 1, IMAP_STORE_ADD, IMAP_STORE_REMOVE };

struct imap_store {
	struct imap_seqset set;
	enum imap_store_op op;
	bool silent;
	const char *const *flags; /* "\Seen", keywords; as sent */
	unsigned n_flags;
	bool has_unchangedsince; /* (UNCHANGEDSINCE n) (RFC 7162) */
	uint64_t unchangedsince;
};

/* ---- SEARCH ----------------------------------------------------------------------------- */

enum imap_search_type {
	IMAP_SK_AND = 1, /* sub[0..n): a parenthesised list, and the top level */
	IMAP_SK_OR,	 /* sub[0], sub[1] */
	IMAP_SK_NOT,	 /* sub[0] */
	IMAP_SK_ALL,
	IMAP_SK_SEQSET, /* set */
	IMAP_SK_UID,	/* set */
	/* flags */
	IMAP_SK_ANSWERED, IMAP_SK_DELETED, IMAP_SK_DRAFT, IMAP_SK_FLAGGED, IMAP_SK_SEEN,
	IMAP_SK_RECENT, IMAP_SK_NEW, IMAP_SK_OLD,
	IMAP_SK_UNANSWERED, IMAP_SK_UNDELETED, IMAP_SK_UNDRAFT, IMAP_SK_UNFLAGGED, IMAP_SK_UNSEEN,
	IMAP_SK_KEYWORD, IMAP_SK_UNKEYWORD, /* str */
	/* strings: str */
	IMAP_SK_BCC, IMAP_SK_BODY, IMAP_SK_CC, IMAP_SK_FROM, IMAP_SK_SUBJECT, IMAP_SK_TEXT,
	IMAP_SK_TO,
	IMAP_SK_HEADER, /* str (field name), str2 */
	/* dates: date */
	IMAP_SK_BEFORE, IMAP_SK_ON, IMAP_SK_SINCE, IMAP_SK_SENTBEFORE, IMAP_SK_SENTON,
	IMAP_SK_SENTSINCE,
	/* sizes: num */
	IMAP_SK_LARGER, IMAP_SK_SMALLER,
	IMAP_SK_MODSEQ, /* num (RFC 7162; the entry name/type, if sent, is skipped) */
};

struct imap_search_key {
	enum imap_search_type type;
	const char *str, *str2;
	uint64_t num;
	struct imap_date date;
	struct imap_seqset set;
	const struct imap_search_key *sub;
	unsigned n_sub;
};

/* RETURN options of ESEARCH (RFC 4731, RFC 5182). */
enum {
	IMAP_SEARCH_RET_MIN = 1 << 0,
	IMAP_SEARCH_RET_MAX = 1 << 1,
	IMAP_SEARCH_RET_ALL = 1 << 2,
	IMAP_SEARCH_RET_COUNT = 1 << 3,
	IMAP_SEARCH_RET_SAVE = 1 << 4,
};

struct imap_search {
	const char *charset; /* NULL if none was given */
	bool has_return;     /* RETURN (...) was given (ESEARCH answer) */
	unsigned ret;	     /* IMAP_SEARCH_RET_*; RETURN () means ALL */
	struct imap_search_key root; /* IMAP_SK_AND of the keys */
};

/* SORT (RFC 5256) criteria. */
enum imap_sort_key {
	IMAP_SORT_ARRIVAL = 1, IMAP_SORT_CC, IMAP_SORT_DATE, IMAP_SORT_FROM, IMAP_SORT_SIZE,
	IMAP_SORT_SUBJECT, IMAP_SORT_TO, IMAP_SORT_DISPLAYFROM, IMAP_SORT_DISPLAYTO,
};

struct imap_sort_crit {
	enum imap_sort_key key;
	bool reverse;
};

struct imap_sort {
	const struct imap_sort_crit *crit;
	unsigned n_crit;
	struct imap_search search; /* charset is mandatory */
};

enum imap_thread_alg { IMAP_THREAD_ORDEREDSUBJECT = 1, IMAP_THREAD_REFERENCES };

struct imap_thread {
	enum imap_thread_alg alg;
	struct imap_search search;
};

/* ---- LIST / LSUB / STATUS ----------------------------------------------------------------- */

enum { /* STATUS items (RFC 3501 6.3.10, RFC 7162, RFC 8438, RFC 9051, RFC 7889) */
	IMAP_STATUS_MESSAGES = 1 << 0,
	IMAP_STATUS_RECENT = 1 << 1,
	IMAP_STATUS_UIDNEXT = 1 << 2,
	IMAP_STATUS_UIDVALIDITY = 1 << 3,
	IMAP_STATUS_UNSEEN = 1 << 4,
	IMAP_STATUS_HIGHESTMODSEQ = 1 << 5,
	IMAP_STATUS_SIZE = 1 << 6,
	IMAP_STATUS_DELETED = 1 << 7,
	IMAP_STATUS_APPENDLIMIT = 1 << 8,
};

enum { /* LIST-EXTENDED selection options (RFC 5258, RFC 6154) */
	IMAP_LIST_SEL_SUBSCRIBED = 1 << 0,
	IMAP_LIST_SEL_REMOTE = 1 << 1,
	IMAP_LIST_SEL_RECURSIVEMATCH = 1 << 2,
	IMAP_LIST_SEL_SPECIAL_USE = 1 << 3,
};

enum { /* LIST-EXTENDED return options (RFC 5258, RFC 5819, RFC 6154) */
	IMAP_LIST_RET_SUBSCRIBED = 1 << 0,
	IMAP_LIST_RET_CHILDREN = 1 << 1,
	IMAP_LIST_RET_SPECIAL_USE = 1 << 2,
	IMAP_LIST_RET_STATUS = 1 << 3,
};

struct imap_list {
	const char *reference;
	const char *const *patterns; /* one, or several with LIST-EXTENDED */
	unsigned n_patterns;
	bool extended; /* selection or return options, or a pattern list, were given */
	unsigned select;
	unsigned ret;
	unsigned status_items; /* RETURN (STATUS (...)) */
};

struct imap_status {
	const char *mailbox;
	unsigned items;
};

/* ---- APPEND (RFC 3501, RFC 3502 MULTIAPPEND, RFC 3516 BINARY) ----------------------------- */

struct imap_append_msg {
	const char *const *flags;
	unsigned n_flags;
	bool has_date;
	struct imap_date date;
	uint64_t size; /* the literal's announced size */
	bool binary;
	bool utf8; /* UTF8 (~{n}) (RFC 6855 4): allowed only after ENABLE UTF8=ACCEPT */
};

struct imap_append {
	const char *mailbox;
	const struct imap_append_msg *msgs; /* complete messages */
	unsigned n_msgs;
};

/* ---- SELECT / EXAMINE (RFC 7162 CONDSTORE, QRESYNC) --------------------------------------- */

struct imap_select {
	const char *mailbox;
	bool condstore;
	bool qresync;
	uint32_t uidvalidity; /* QRESYNC */
	uint64_t modseq;
	bool has_known_uids;
	struct imap_seqset known_uids;
	bool has_seq_match; /* (known-sequence-set known-uid-set) */
	struct imap_seqset match_seqs, match_uids;
};

/* ---- Small ones --------------------------------------------------------------------------- */

struct imap_id_pair {
	const char *field;
	const char *value; /* NULL for NIL */
};

struct imap_id {
	const struct imap_id_pair *pairs; /* none for "ID NIL" */
	unsigned n;
};

struct imap_authenticate {
	const char *mech;    /* uppercased */
	const char *initial; /* SASL-IR (RFC 4959): base64 or "=", NULL if absent */
};

#endif
