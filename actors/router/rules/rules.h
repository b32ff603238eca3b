/*
 * rules.h: the message-rule engine of the reference guide (4.14), pure: a rule set (the
 * administrator's rules, then the user's) is parsed from JSON, then evaluated over the facts
 * of one message into a merged decision and a trace line per rule. No store, no actor, no
 * clock: the caller gives decoded facts and "now", and turns the decision into its plan.
 *
 * Conditions (guide "Conditions"): text fields compare the decoded UTF-8 value; an address
 * field (To, Cc, From and their unions) is a list of entries, each tested as "address" and,
 * when it has a display name, as "Name <address>": the condition holds if any candidate
 * matches (not_equals holds when no candidate equals). Numeric fields order as numbers and
 * otherwise compare their decimal text. Dates are "YYYY-MM-DD", times "HH:MM", compared as
 * text. Checkbox fields (Quarantined, Marked Read, Flagged) test the message's state AS THE
 * RULES HAVE LEFT IT SO FAR (a "Mark read" of rule 1 is seen by rule 2), as are Keyword and
 * Spam Score. A regex value is a bare PCRE2 pattern, or "/pattern/flags" as guide 3.3
 * writes it (flags i, s, m); a wildcard is guide 3.2's (anchored, '*' and '?'). I folds
 * case (Unicode simple folding) for every text match type, wildcards included (unlike 3.2,
 * where wildcards always fold: the rule table has an I column); N negates. A match that stops at a budget (regex match/depth/heap limit, the
 * wildcard step limit, the evaluation's own budget RULES_EVAL_*) is "no match" whatever N
 * says, with the reason in the trace.
 *
 * Actions merge as the guide says: for an on/off action (delete, flag, quarantine, mark
 * read) the latest matching rule wins; keywords, folders, forward addresses and header
 * edits accumulate; a move to folder (or a redirect) anywhere means the message is not
 * kept in the Inbox; "stop_after" ends the evaluation after that rule's actions.
 *
 * OWNS parsed rule sets (with their compiled patterns) and decisions. THREAD: a parsed set
 * is read-only once built and may be evaluated by several threads at once.
 */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mime_match;
struct cJSON;

/* Limits a parsed set never exceeds (parse refuses more). */
#define RULES_MAX_RULES 500
#define RULES_MAX_CONDITIONS 64
#define RULES_MAX_ACTIONS 64
#define RULES_MAX_TEXT 4096 /* any name, value or pattern, octets */
/* Body text given to Body conditions, when facts->body_budget is 0. */
#define RULES_BODY_BUDGET_DEFAULT (1024 * 1024)
/* What one message's evaluation may spend, whatever the rules: octets of text tested
 * (a 1 MiB body under every condition of 500 rules would be 32 GiB), and pattern matches
 * stopped at their own limit. Past either, every remaining text test is "no match" with
 * the reason in the trace. */
#define RULES_EVAL_OCTETS_MAX (64ull * 1024 * 1024)
#define RULES_EVAL_LIMIT_HITS_MAX 8

enum rules_field {
	RULES_FIELD_SUBJECT,
	RULES_FIELD_TO,
	RULES_FIELD_CC,
	RULES_FIELD_TO_OR_CC,
	RULES_FIELD_FROM,
	RULES_FIELD_FROM_TO_CC,
	RULES_FIELD_BODY,
	RULES_FIELD_SIZE,         /* numeric, octets */
	RULES_FIELD_SPAM_SCORE,   /* numeric */
	RULES_FIELD_QUARANTINED,  /* checkbox */
	RULES_FIELD_MARKED_READ,  /* checkbox */
	RULES_FIELD_KEYWORD,      /* text, any keyword */
	RULES_FIELD_FLAGGED,      /* checkbox */
	RULES_FIELD_PREVIOUS_RULE, /* text, any name of a rule that matched before */
	RULES_FIELD_DATE_NOW,     /* date */
	RULES_FIELD_TIME_NOW,     /* time */
	RULES_FIELD_MESSAGE_DATE, /* date */
	RULES_FIELD_COUNT
};

enum rules_op {
	RULES_OP_EQUALS,
	RULES_OP_NOT_EQUALS,
	RULES_OP_LESS,
	RULES_OP_LESS_EQUAL,
	RULES_OP_GREATER,
	RULES_OP_GREATER_EQUAL,
	RULES_OP_CONTAINS,
	RULES_OP_WILDCARD,
	RULES_OP_REGEX,
	RULES_OP_COUNT
};

enum rules_action_kind {
	RULES_ACTION_FLAG,            /* on: flag / off: unflag */
	RULES_ACTION_DELETE,          /* on: delete / off: undelete */
	RULES_ACTION_QUARANTINE,      /* on / off */
	RULES_ACTION_MARK_READ,       /* on: read / off: unread */
	RULES_ACTION_ADD_KEYWORD,     /* text: the keyword */
	RULES_ACTION_COPY_TO_FOLDER,  /* text: folder name */
	RULES_ACTION_MOVE_TO_FOLDER,  /* text: folder name */
	RULES_ACTION_FORWARD_TO,      /* text: addresses separated by ';' or ',' */
	RULES_ACTION_REDIRECT_TO,     /* text: as forward_to, and not kept in the Inbox */
	RULES_ACTION_FORWARD_SENDER,  /* text: envelope sender of the forwards */
	RULES_ACTION_MODIFY_HEADER,   /* text: "Name: value" sets, "Name" removes */
	RULES_ACTION_SET_SPAM_SCORE,  /* number */
	RULES_ACTION_COUNT
};

/* Message types (bit mask), guide "Message Types". */
enum rules_msg_type {
	RULES_TYPE_INCOMING = 1,
	RULES_TYPE_LOCAL = 2,
	RULES_TYPE_SYSTEM = 4,
	RULES_TYPE_ALL = 7
};

struct rules_condition {
	enum rules_field field;
	enum rules_op op;
	bool caseless; /* I */
	bool negate;   /* N */
	bool flag;     /* checkbox fields: the value tested for */
	char *value;   /* text/numeric/date/time fields: as given (NULL for checkbox) */
	char *folded;  /* value case-folded, when caseless */
	double number; /* numeric fields with an ordering or equality op */
	struct mime_match *pattern; /* wildcard and regex ops, when it compiled */
};

struct rules_action {
	enum rules_action_kind kind;
	bool on;       /* on/off actions */
	char *text;    /* text actions */
	double number; /* set_spam_score */
};

struct rules_rule {
	char *name;
	bool enabled;
	bool match_all;     /* all conditions (true) or any (false) */
	unsigned int types; /* enum rules_msg_type bits */
	bool stop_after;
	struct rules_condition *conditions;
	size_t n_conditions;
	struct rules_action *actions;
	size_t n_actions;
	char *error; /* a pattern that did not compile: the rule is skipped; NULL if fine */
};

struct rules_set {
	struct rules_rule *rules;
	size_t n_rules;
};

/* Parses a rule set from JSON text (see docs in rules-json.c for the format). Returns 0 with
 * *set_r (free with rules_set_free) or -1 with error_r naming the field, e.g.
 * "rules[2].conditions[0].match: unknown match type \"foo\"" (thread-local text, valid until
 * the next call on this thread). A pattern that does not compile is NOT a parse error: the
 * rule keeps it in ->error and is skipped at evaluation (the CLI may warn with it). */
int rules_set_parse(const char *json, size_t len, struct rules_set **set_r,
		    const char **error_r);
/* As rules_set_parse, from a parsed cJSON document (the object with "rules"). */
int rules_set_from_cjson(const struct cJSON *doc, struct rules_set **set_r,
			 const char **error_r);
/* Renders the set as JSON (the format rules_set_parse reads; parse(print(s)) == s).
 * Returns a malloc'ed NUL-terminated string the caller frees. */
char *rules_set_print(const struct rules_set *set);
/* Frees; sets *set to NULL. NULL allowed. */
void rules_set_free(struct rules_set **set);

/* One address entry of To/Cc/From, decoded to UTF-8. name may be NULL or "". */
struct rules_address {
	const char *name;
	const char *address; /* "local@domain" */
};

/* Entries of a raw address-list header, decoded; see rules_address_list_parse(). */
#define RULES_MAX_ADDRESSES 1000
struct rules_address_list {
	struct rules_address *v; /* owned, strings included */
	size_t n;
};

/* Parses a raw address-list header value (To, Cc or From as in the message, unfolded or
 * not) into entries for rules_facts: display names RFC 2047-decoded to UTF-8, addresses as
 * "mailbox@domain", groups flattened into their members, at most RULES_MAX_ADDRESSES kept.
 * Never fails (bad input gives fewer entries). raw NULL gives an empty list. Free with
 * rules_address_list_free(). */
void rules_address_list_parse(const char *raw, size_t len, struct rules_address_list *list_r);
void rules_address_list_free(struct rules_address_list *list);

/* The facts of one message, all borrowed by the evaluation (never kept after it). Strings
 * are decoded UTF-8 (RFC 2047 undone) and NUL-terminated; NULL means absent (tested as ""). */
struct rules_facts {
	enum rules_msg_type type; /* one of INCOMING, LOCAL, SYSTEM */
	const char *subject;
	const struct rules_address *to, *cc, *from;
	size_t n_to, n_cc, n_from;
	uint64_t size;            /* octets */
	bool has_spam_score;      /* unscored: Spam Score conditions see 0 */
	double spam_score;
	bool quarantined, seen, flagged; /* state before the rules */
	const char *const *keywords;
	size_t n_keywords;
	/* Message Date: the Date header's own local date; has_date false if absent/bad. */
	bool has_date;
	int64_t date_s;        /* the Date header as UTC seconds */
	int date_offset_min;   /* its zone offset, e.g. +120 for +0200 */
	int64_t now_s;         /* "now" as UTC seconds */
	int now_offset_min;    /* the server's local zone offset for Date/Time Now */
	/* The body as decoded UTF-8 text, called at most once and only if a Body condition is
	 * evaluated: returns at most budget octets in *text_r and *len_r (owned by ctx, valid until
	 * the evaluation returns), or -1 (Body conditions then see ""). */
	int (*body_text)(void *ctx, size_t budget, const char **text_r, size_t *len_r);
	void *body_ctx;
	size_t body_budget; /* 0: RULES_BODY_BUDGET_DEFAULT */
};

/* Tri-state of an on/off action after merging. */
enum rules_tri { RULES_UNSET = -1, RULES_OFF = 0, RULES_ON = 1 };

struct rules_header_edit {
	char *name;
	char *value; /* NULL: remove every field of that name */
};

/* The merged outcome. Every list is owned and de-duplicated in first-seen order (keywords
 * and addresses case-insensitively, folders exactly). How the router turns it into a plan:
 * - deleted ON: no local copy at all (neither the Inbox nor any folder); forwards still go;
 * - otherwise one copy in the Inbox if keep_inbox, plus one in each folder (created when
 *   missing); quarantined ON puts the Inbox copy in the quarantine folder instead;
 * - flagged/seen ON or OFF set or clear \Flagged/\Seen on every local copy (UNSET: as the
 *   message came); keywords are added to every local copy;
 * - header edits apply, in order, to every copy, local or forwarded; forwards go to each
 *   address, from forward_sender when set;
 * - spam_score, when set, is the score the router records. */
struct rules_decision {
	enum rules_tri deleted, flagged, quarantined, seen; /* UNSET: leave as it was */
	bool keep_inbox;     /* false after any move_to_folder or redirect_to */
	char **folders;      /* copy/move targets (the router creates missing folders) */
	size_t n_folders;
	char **keywords;     /* added keywords */
	size_t n_keywords;
	char **forwards;     /* forward/redirect addresses */
	size_t n_forwards;
	char *forward_sender; /* NULL: the router's default */
	struct rules_header_edit *headers;
	size_t n_headers;
	bool has_spam_score; /* set_spam_score ran: the new score */
	double spam_score;
	char **matched;      /* names of the rules that matched, in order */
	size_t n_matched;
	bool stopped;        /* a stop_after rule ended the evaluation */
	char **trace;        /* one line per rule looked at, plain language */
	size_t n_trace;
};

/* Evaluates the administrator's set then the user's (either may be NULL) over facts, in
 * order, into *decision_r (initialised here; free with rules_decision_deinit). Never fails:
 * a rule in error, a pattern that hits its limit or a body that cannot be read is traced
 * and treated as not matching, so the mail is delivered as if the rule were absent. */
void rules_evaluate(const struct rules_set *admin, const struct rules_set *user,
		    const struct rules_facts *facts, struct rules_decision *decision_r);
void rules_decision_deinit(struct rules_decision *decision);
/* The decision as one line of JSON (for the dry-run and the trace): {"deleted": null|bool,
 * "flagged", "quarantined", "seen" likewise, "keep_inbox", "folders", "keywords",
 * "forwards", "forward_sender", "headers": [{"name", "value"|null}], "spam_score":
 * null|number, "matched", "stopped", "trace"}. Returns a malloc'ed string to free(). */
char *rules_decision_print(const struct rules_decision *decision);

/* Names, as in the JSON ("subject", "not_equals", "move_to_folder", "incoming"). */
const char *rules_field_name(enum rules_field field);
const char *rules_op_name(enum rules_op op);
const char *rules_action_name(enum rules_action_kind kind);
/* Every name the JSON takes, for editors that must offer all of them (the admin UI's Message
 * Rules tab, GET /api/rules/names): {"fields": [{"name", "kind"}], "matches": [names],
 * "actions": [{"name", "value"}], "types": [names]}, in the enums' order. A field's kind is
 * "text", "address", "list", "numeric", "checkbox", "date" or "time"; an action's value
 * "switch" (true|false), "number" or "text". Returns a new cJSON object the caller deletes. */
struct cJSON *rules_names_json(void);

#endif
