/*
 * router-rules.h: the message rules (admin guide 4.14, rules.h) turned into what the router's
 * plan holds for one account: the rules' merged decision in, the account's local copies out
 * (folder, flags, keywords), the addresses its rules forward or redirect to (resolved by
 * router-plan.c like any other target), and a plain-language trace line for each rule and
 * for what the decision does. Pure. THREAD: any. OWNS: the outcome it fills.
 *
 * How a decision maps (rules.h "struct rules_decision"):
 *   - deleted ON: no local copy; forwards still go; the trace says "not delivered";
 *   - else one copy in INBOX when keep_inbox (in Junk instead when quarantined ON), plus one
 *     per folder (created at delivery when missing);
 *   - seen / flagged ON add \Seen / \Flagged to every copy; keywords (IMAP atoms only: any
 *     other is left out, traced) go on every copy;
 *   - header edits go with every local copy (its headers: one edit per line, "Name: value"
 *     or "Name", mime-edit.h), applied by the spool at delivery to that copy's body, and with
 *     the forwards (forward_headers), applied by the queue as each forwarded copy is sent
 *     (queue-group.h);
 *   - forward_sender (guide 4.14 "Set forward sender") must be an email address
 *     (router_forward_sender_check; "<addr>" is taken too): the forwards then leave with it as
 *     their envelope sender; anything else (the null sender "<>" included: the guide asks an
 *     email address) is refused in the trace (ROUTER_RULES_SENDER_REFUSED, which the router
 *     logs as a warning) and the forwards leave from the default, the message's own envelope
 *     sender (no SRS); set_spam_score is traced.
 */
#ifndef ROUTER_RULES_H
#define ROUTER_RULES_H

#include "pb-msg.h"
#include "rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The folder quarantined mail goes to (guide 4.14 "Quarantine"). */
#define ROUTER_RULES_QUARANTINE "Junk"
/* Flag bits as the store has them (store-mail.h PB_MSG_SEEN, PB_MSG_FLAGGED). */
#define ROUTER_FLAG_SEEN (1u << 0)
#define ROUTER_FLAG_FLAGGED (1u << 2)

struct router_rules_copy {
	char *folder;
	uint32_t flags;
	char *keywords; /* space-separated, "" none */
	char *headers;  /* the header edits, one per line (mime-edit.h), "" none */
};

struct router_rules_outcome {
	bool deleted;                   /* no local copy at all */
	struct router_rules_copy *copies; /* local copies, INBOX (or Junk) first */
	size_t n_copies;
	char **forwards;                /* forward/redirect addresses, to resolve */
	size_t n_forwards;
	bool redirect;                  /* the forwards take the message away (no INBOX copy) */
	char *forward_sender;           /* the forwards' envelope sender, checked; NULL default */
	char *forward_headers;          /* the forwards' header edits ("" none); NULL no forward */
	struct pb_strv trace;           /* the rules' lines, then the outcome's */
};

/* Evaluates admin then user (either NULL) over facts and maps the decision into *out_r
 * (initialised here; free with router_rules_outcome_free). name: the account, for the trace. */
void router_rules_run(const struct rules_set *admin, const struct rules_set *user,
		      const struct rules_facts *facts, const char *name,
		      struct router_rules_outcome *out_r);
/* Maps a decision alone (the part router_rules_run adds after evaluating). */
void router_rules_outcome_build(const struct rules_decision *d, const char *name,
				struct router_rules_outcome *out_r);
void router_rules_outcome_free(struct router_rules_outcome *o);

/* The words of the trace line that refuses a forward sender (the router logs it as a warning). */
#define ROUTER_RULES_SENDER_REFUSED "the forward sender is refused:"
/* Checks a "Set forward sender" text: an email address (RFC 5321 mailbox, optionally in angle
 * brackets). 0 with *sender_r its canonical form (xmalloc'd, caller frees), or -1 with why_r
 * (static text) and *sender_r NULL. */
int router_forward_sender_check(const char *text, char **sender_r, const char **why_r);

/* The parsed rule sets of a routing snapshot (parsed once per directory generation, never per
 * message). */
struct router_view;
struct msg_dir_routes_rep;
struct router_rulebook {
	struct rules_set *admin;
	struct rules_set **users; /* by the snapshot's user index, NULL: none */
	size_t n_users;
	size_t n_bad;             /* sets that did not parse (left out: the directory checks them) */
};
/* Parses snap's rule sets and points v's records at them (v built from snap). Free the book
 * with router_rulebook_free before v goes. */
void router_rulebook_build(const struct msg_dir_routes_rep *snap, struct router_view *v,
			   struct router_rulebook *book_r);
void router_rulebook_free(struct router_rulebook *book);

#endif
