/*
 * rules-private.h: what the files of pb_rules share and nobody else includes — the field
 * kinds, condition preparation and evaluation, and the decision's merge steps.
 * OWNS nothing. THREAD: any (an evaluation context is one thread's).
 */
#ifndef RULES_PRIVATE_H
#define RULES_PRIVATE_H

#include "pb-buf.h"
#include "rules.h"

enum rules_kind {
	RULES_KIND_TEXT,     /* one value */
	RULES_KIND_ADDRESS,  /* address entries */
	RULES_KIND_LIST,     /* keywords, previous rule names */
	RULES_KIND_NUMERIC,
	RULES_KIND_CHECKBOX,
	RULES_KIND_DATE,     /* YYYY-MM-DD text */
	RULES_KIND_TIME,     /* HH:MM text */
};

enum rules_kind rules_field_kind(enum rules_field field);
/* Name to enum; -1 if unknown. */
int rules_field_lookup(const char *name);
int rules_op_lookup(const char *name);
int rules_action_lookup(const char *name);
/* The message types' names by bit: "incoming" (bit 0), "local", "system". */
#define RULES_N_TYPES 3
extern const char *const rules_type_names[RULES_N_TYPES];
/* Whether the action takes on/off (true), a number (set_spam_score) or a text. */
bool rules_action_is_switch(enum rules_action_kind kind);

/* One message's evaluation: the facts, the decision so far (the state later conditions
 * see), the body read once, and the reason a budget stopped the last condition. */
struct rules_ctx {
	const struct rules_facts *facts;
	struct rules_decision *decision;
	bool body_loaded;
	const char *body;
	size_t body_len;
	const char *body_error;
	struct pb_buf body_folded; /* the body case-folded, once a caseless test needs it */
	bool body_folded_done;
	struct pb_buf fold;   /* scratch: a folded candidate */
	struct pb_buf text;   /* scratch: a built candidate ("Name <addr>", a number) */
	const char *limit;    /* set when a pattern stopped at its limit */
	uint64_t scanned;     /* octets tested so far (RULES_EVAL_OCTETS_MAX) */
	unsigned int limit_hits; /* patterns stopped so far (RULES_EVAL_LIMIT_HITS_MAX) */
};

/* Prepares a parsed condition: folds its value and compiles its pattern. Returns 0, or -1
 * with error_r (mime_match's text) when the pattern does not compile. */
int rules_condition_prepare(struct rules_condition *c, const char **error_r);
void rules_condition_deinit(struct rules_condition *c);
/* Evaluates one condition: 1 holds, 0 does not, -1 a budget stopped it (ctx->limit says
 * why; the caller counts it as "does not hold" whatever N says). */
int rules_condition_eval(struct rules_ctx *ctx, const struct rules_condition *c);
/* Appends "subject contains \"x\"" ("not " first for N, " [I]" last), the value quoted
 * by rules_trace_quote(). */
void rules_condition_describe(const struct rules_condition *c, struct pb_buf *out);
void rules_action_describe(const struct rules_action *a, struct pb_buf *out);
/* Appends " \"text\"" cut at 80 octets (on a character boundary, then "..."), control
 * characters as '?': a trace line stays one line. */
void rules_trace_quote(struct pb_buf *out, const char *text);

/* Starts a decision from nothing (no state set, kept in the Inbox). */
void rules_decision_init(struct rules_decision *d);
/* Applies the actions of a matching rule with the guide's merge. */
void rules_decision_apply(struct rules_decision *d, const struct rules_rule *rule);
/* Appends a string to a list, unless already there (case-insensitively if nocase). */
void rules_list_add(char ***list, size_t *n, const char *s, size_t len, bool nocase);
/* Splits "a@x; b@y, c@z" into trimmed non-empty addresses, calling add for each;
 * returns how many. */
size_t rules_split_addresses(const char *s, void (*add)(void *arg, const char *a, size_t len),
			     void *arg);
/* Checks "Name: value" / "Name" for modify_header; NULL if fine, else why. */
const char *rules_header_edit_check(const char *s);

#endif
