/*
 * router-plan.h: the router's pure resolution (admin guide 3.2, 4.5 and 5): the recipients of
 * one accepted message, the message's facts and the directory's routing records in; a plan
 * out — which mailboxes (and folders, flags, keywords) get the message, which remote
 * addresses the queue sends it to, which messages are generated, and a trace in plain words
 * of every decision (which default address, mapping, list, forward or assistant decided and
 * what it did).
 *
 * How an address resolves (all that match deliver, guide 5.3 "NOTE"):
 *   - every mapping whose pattern matches it (and whose type applies to the message's source):
 *     a pattern with '@' is matched against the whole address, a bare one against the local
 *     part at a local domain; DOS wildcards, anchored, any case (mime-match.h);
 *   - at a local domain (or a bare name): the account of that name, unless its default
 *     addresses are disabled; the distribution list of that name, if the sender may post;
 *   - at any other domain, when nothing above matched: the remote address itself.
 * A target (of a mapping, list member, forward, assistant) resolves the same way, except that a
 * target naming an account (bare or at a local domain) always reaches it.
 * An account reached gets, at one call point (router_plan_user_hooks), its message rules
 * (guide 4.14), then its blocked senders (guide 4.11: a blocked sender's message is not
 * delivered to it) and its routing scripts (the server's user_redirect.lua, then its own:
 * router-lua.h), whose decision, when they act, replaces its forwarding and assistants
 * (guide 4.5). Internal lists take mail from a local origin only (router_facts.origin).
 * h-fwdext (guide 4.5): with no script deciding, an account's size dependent forwarding rows
 * (on the message's size fact), then its assistants and Forward To — none of them when it has
 * no_forward_quarantined and the facts say quarantine; and once per message, after every
 * recipient, Copy Sent Messages To of the account that sent it (origin LOCAL, sender NAME at a
 * local domain).
 * Loops (an address reached again on its own path) and depth past ROUTER_PLAN_MAX_DEPTH stop
 * there with the reason in the trace; a user whose redirection reaches nobody new keeps the
 * message, so a forwarding loop never loses mail. One account reached twice gets one copy;
 * one remote address one copy. An address (account, list, mapping) reached again on another
 * path is not resolved again — its account's rules, scripts and forwards ran once — so a
 * plan costs the number of addresses, not of paths; only one first cut at the depth bound is
 * resolved again when met higher.
 *
 * Remote targets (h-router10, issue 13 R3): a remote address that an account's own settings
 * produce — its Forward To, assistants, size dependent forwarding, Copy Sent Messages To, the
 * forwards of its message rules (when it has rules of its own: the administrator's rules run
 * with them and their forwards count as its), and its routing scripts' forwards — obeys that
 * account's sending permissions as SMTP submission does (send-policy.h): none with
 * internet_mail false, none matching forbidden_recipients (send_policy_forbidden), and at most
 * facts.max_remote_targets per account per message (the trace line at that bound holds
 * ROUTER_PLAN_REMOTE_CAPPED; the router logs it as a warning). A refused target is not queued
 * and said in the trace ("forward to X not sent: ..."); it reaches nobody, so a redirect whose
 * every target is refused keeps the message in the account. The targets of mappings and
 * lists (the administrator's) are not restricted, even when an account's forward reaches them.
 *
 * Deterministic: the same records, facts and recipients give the same items in the same order.
 * No store, no clock, no actor. THREAD: any. OWNS: the plan it fills.
 */
#ifndef ROUTER_PLAN_H
#define ROUTER_PLAN_H

#include "pb-msg.h"
#include "rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTER_PLAN_MAX_DEPTH 8
/* Bounds of one plan: items (deliveries plus remote addresses) and trace lines. */
#define ROUTER_PLAN_MAX_ITEMS 1000
#define ROUTER_PLAN_MAX_TRACE 64
#define ROUTER_PLAN_TRACE_LINE_MAX 300
/* The words of the trace line at router.max_remote_targets (the router logs it). */
#define ROUTER_PLAN_REMOTE_CAPPED "router.max_remote_targets"

/* Mapping types (guide 5.3 "Alias Type"). */
enum router_map_type {
	ROUTER_MAP_ALWAYS,
	ROUTER_MAP_POP3, /* only mail collected from a catch-all POP3 box */
	ROUTER_MAP_SMTP, /* only mail that arrived by SMTP */
	ROUTER_MAP_FROM, /* collected mail, matched against the sender */
};
/* Where the message came from. */
enum router_source { ROUTER_SRC_SMTP, ROUTER_SRC_POP3 };

struct router_mapping {
	const char *address;   /* the pattern */
	const char *target;    /* a user, list or address */
	enum router_map_type type;
	const char *collector; /* NULL or "": any collector */
};

struct router_list {
	const char *name;
	bool internet;         /* outside senders may post */
	const char *const *members;
	size_t n_members;
};

/* An account's routing settings (the keys of router-user.h). Lists are ';'-separated text. */
struct router_user {
	uint64_t id;
	const char *name;
	bool defaults_disabled;
	const char *forward_to;
	bool use_forwarding, keep_copy;
	const char *assistants;
	bool assistant_redirect;
	const struct rules_set *rules; /* the account's message rules (guide 4.14), NULL none */
	/* h-generate: the autoresponder (router-generate.h); NULL: off */
	const struct router_autoreply *autoreply;
	const char *script;  /* the account's routing script (Lua text), "" or NULL none */
	const char *blocked; /* blocked senders (guide 4.11): addresses or DOS wildcards, ';' */
	/* h-fwdext (guide 4.5): size dependent forwarding, each row on when its `to` is not
	 * empty: a message of at least over_kb KiB (at most under_kb KiB) is copied, or
	 * redirected, to the ';'-separated targets */
	uint32_t size_over_kb, size_under_kb;
	bool size_over_redirect, size_under_redirect;
	const char *size_over_to, *size_under_to;
	/* Copy Sent Messages To: targets of a copy of every message this account sends (origin
	 * LOCAL, envelope sender one of its addresses), "" or NULL none */
	const char *copy_sent_to;
	/* Don't use forwardings or assistants if mail would be quarantined */
	bool no_forward_quarantined;
	/* h-router10: its sending permissions (send-policy.h), which the remote targets of its
	 * own settings obey (see "Remote targets" above): internet_mail false, and its
	 * forbidden_recipients patterns (NULL: none) */
	bool no_internet_mail;
	const struct pb_strv *forbidden;
};

/* The directory's records (sorted or not: lookups are linear, mappings are tried in order). */
struct router_records {
	const char *const *domains; /* local domains, lowercase */
	size_t n_domains;
	const struct router_user *users;
	size_t n_users;
	const struct router_mapping *mappings;
	size_t n_mappings;
	const struct router_list *lists;
	size_t n_lists;
	const struct rules_set *admin_rules; /* the administrator's message rules, NULL none */
};

struct router_lua_env; /* router-lua.h */

struct router_facts {
	const char *sender;    /* envelope sender ("" null sender; NULL unknown: any may post) */
	uint64_t size;
	enum router_source source;
	const char *collector; /* the collector of collected mail, else NULL */
	const char *subject;   /* the decoded (UTF-8) Subject, NULL absent or not read */
	/* subject not read yet: the routing scripts ask subject_fn(subject_ctx) when one first
	 * looks at msg.subject (pb_lua_facts.subject_fn); NULL: none */
	const char *(*subject_fn)(void *ctx);
	void *subject_ctx;
	/* The message's facts for the message rules (router-facts.h; its type Incoming, Local or
	 * System, headers, size, dates), NULL when not read: no rule is evaluated, and the trace
	 * says so when a reached account has rules. */
	const struct rules_facts *message;
	int64_t now_ms;        /* h-generate: the wall clock at planning (autoresponder dates) */
	/* Spam scoring (router-spam.h): rspamd's score when it was asked and answered; and
	 * whether that score is at or over spam.quarantine_score (the rules' "Quarantined"). */
	bool has_spam_score;
	double spam_score;
	bool spam_quarantine;
	/* How the message reached us (enum pb_origin, the spool entry's), for the posting rights
	 * of internal lists (guide 5): LOCAL (an authenticated client or one in
	 * smtp.relay_networks) may post; SMTP (0) and COLLECTED may not, whatever the sender says;
	 * SYSTEM (generated by the server) may when its sender is at a local domain. */
	enum pb_origin origin;
	/* the routing scripts and their budgets (router-lua.h); NULL: no script runs (an RCPT
	 * check in the directory, which must never run one) */
	const struct router_lua_env *lua;
	/* h-router10: router.max_remote_targets, the most remote addresses one account's own
	 * settings send one message to (0: no bound) */
	uint32_t max_remote_targets;
};

/* One thing to do: user_id != 0 a local delivery into folder with flags and keywords; 0 the
 * remote address `address` (to the queue). address is the recipient as routed. */
struct router_plan_item {
	uint64_t user_id;
	char *address;
	char *folder;
	uint32_t flags;
	char *keywords; /* space-separated, "" none */
	char *headers;  /* the header edits of the message rules (mime-edit.h), "" none: a local
			 * copy's, or a remote one's when a rule forwarded it there */
	char *sender;   /* remote: its own envelope sender (a rule's "Set forward sender", checked:
			 * router-rules.h), NULL the message's */
};

/* h-generate: a message to generate at delivery (router-generate.h, spool-generate.c).
 * AUTOREPLY: user_id's automatic reply from address (the user's address the message reached)
 * to `to` (the envelope sender), with subject and text, at most once per `days` to that
 * sender; addresses: the user's addresses, space-separated (RFC 3834 3.1.1's check).
 * BOUNCE: address (an accepted recipient) reaches nobody: a DSN to `to` (the sender), text
 * the reason. */
enum router_gen_kind { ROUTER_GEN_AUTOREPLY = 1, ROUTER_GEN_BOUNCE = 2 };
struct router_plan_gen {
	enum router_gen_kind kind;
	uint64_t user_id;
	char *address, *to, *subject, *text, *addresses;
	uint32_t days;
};
/* The most generated messages one plan asks (one per account reached, one per recipient). */
#define ROUTER_PLAN_MAX_GENS 100

struct router_plan {
	struct router_plan_item *items;
	size_t n_items;
	struct pb_strv trace;   /* one line per decision, bounded */
	struct router_plan_gen *gens; /* messages to generate, in plan order */
	size_t n_generated;
	bool truncated;         /* a bound was reached: the trace says which */
};

/* Resolves every recipient into *plan_r (initialised here; free with router_plan_free).
 * rcpt_ids (NULL: none): the account SMTP accepted each recipient for (0: none); a recipient
 * that resolves to nobody by its address (postmaster, or an account renamed since) reaches that
 * account if it still exists. Never fails: what cannot be routed is left out and said in the
 * trace. */
void router_plan_resolve(const struct router_records *r, const struct router_facts *f,
			 const char *const *rcpts, const uint64_t *rcpt_ids, size_t n_rcpts,
			 struct router_plan *plan_r);
/* h-generate: appends a copy of g (its strings copied; NULL ones as "") to p->gens. */
void router_plan_gen_push(struct router_plan *p, const struct router_plan_gen *g);
/* How many local items and remote items a plan has. */
size_t router_plan_local_count(const struct router_plan *p);
void router_plan_free(struct router_plan *p);

/* Whether one address resolves to anything at all (an SMTP RCPT check). */
bool router_plan_accepts(const struct router_records *r, const struct router_facts *f,
			 const char *rcpt);

/* Whether addr (local@domain, or a bare name) is at a local domain (a bare name is). */
bool router_plan_is_local(const struct router_records *r, const char *addr);
/* The account addr names by its name (bare, or at a local domain; any case): its id, 0 none. */
uint64_t router_plan_account_of(const struct router_records *r, const char *addr);

/* Parses a mapping type name ("always", "pop3", "smtp", "from", any case). 0 / -1. */
int router_map_type_parse(const char *name, enum router_map_type *type_r);
const char *router_map_type_name(enum router_map_type type);

/* Appends the ';'- or ','-separated entries of text (NULL: none) to out, trimmed, empty ones
 * skipped. */
void router_split_list(const char *text, struct pb_strv *out);

/* Whether pattern (DOS wildcards, anchored, any case) matches text. */
bool router_wildcard_match(const char *pattern, const char *text);

#endif
