/*
 * directory-private.h: what the directory's handler files share (directory-actor.c: accounts,
 * the ops' replies; directory-stats.c: the requests answered with the mailbox owners'
 * statistics, and the counts; directory-domains.c: local domains). Nobody outside
 * actors/directory includes it.
 * OWNS: nothing (declarations). THREAD: the directory actor's.
 */
#ifndef DIRECTORY_PRIVATE_H
#define DIRECTORY_PRIVATE_H

#include "directory-ops.h"
#include "pb-runtime.h"
#include "router-records.h"
#include "send-counter.h"
#include "store-routes.h"

/* The routing records' generation and the directory's own snapshot of them (its RCPT check). */
struct directory_routes {
	uint64_t gen;       /* changed by every write of accounts, domains or routing records */
	uint64_t built_gen; /* the generation snap was read at */
	bool built;
	struct pb_msg snap; /* a DIR_ROUTES_REP */
	struct router_view view;
};

struct directory {
	struct pb_store *store;
	struct directory_ops ops; /* requests waiting on the auth shards or the mailbox owners */
	struct pb_runtime *rt;    /* for the settings snapshot */
	struct send_counter *sent; /* messages each account sent lately (directory-send.c) */
	struct directory_routes routes; /* directory-routes.c */
};

/* Answers m with an internal error (the reason logged, not told). Returns 0. */
int directory_store_failed(struct pb_actor *a, const struct pb_msg *m, const char *error);
/* Defers m's answer and starts an op for it (directory_ops_add, with the op deadline). */
struct directory_op *directory_op_start(struct pb_actor *a, struct directory *d,
					enum directory_op_kind kind, struct pb_msg *m, uint32_t n);
/* Answers an op's request with code (an internal error the way directory_store_failed does)
 * and ends it. */
void directory_op_finish(struct pb_actor *a, struct directory *d, struct directory_op *op,
			 uint32_t code, const char *error);
/* Answers an op's request with its prepared op->rep and ends it. */
void directory_op_answer(struct pb_actor *a, struct directory *d, struct directory_op *op);

/* Looks up the user a request names (a name or a full address: directory_resolve_login) for a
 * handler, answering NOTFOUND (with why: no such user, not a local domain) or an internal
 * error itself. Returns 1 found (the caller frees u), 0 answered. */
int directory_user_or_reply(struct pb_actor *a, struct directory *d, const struct pb_msg *m,
			    const char *name, struct pb_user_rec *u);

/* directory-script.c: DIR_SCRIPT_REQ, an account's routing script (get, set, del). */
int directory_on_script(struct pb_actor *a, void *state, struct pb_msg *m);

/* directory-stats.c. DIR_USER_LIST_REQ and DIR_USER_SHOW_REQ: the accounts, with their mail
 * statistics asked of the mailbox owners (MBOX_STAT_REQ; a list at most DIRECTORY_STAT_WINDOW
 * users at a time). */
int directory_on_user_list(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_user_show(struct pb_actor *a, void *state, struct pb_msg *m);
/* An MBOX_STAT_REP (or CORE_STATUS_REP) for a SHOW or LIST op in DIRECTORY_PHASE_STAT. */
void directory_stat_done(struct pb_actor *a, struct directory *d, struct directory_op *op,
			 struct pb_msg *rep);
/* DIR_COUNTS_REQ and DIR_USER_IDS_REQ: read the accounts alone. */
int directory_on_counts(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_user_ids(struct pb_actor *a, void *state, struct pb_msg *m);
/* How many accounts and local domains there are (either pointer may be NULL). 0 / -1. */
int directory_count(struct directory *d, uint64_t *users_r, uint64_t *domains_r,
		    const char **error_r);

/* directory-domains.c. DIR_DOMAIN_{ADD,DEL,LIST}_REQ. A delete is refused for the last local
 * domain, and without force for a domain the accounts have addresses at (all of them do:
 * directory_domain_removable). */
int directory_on_domain_add(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_domain_del(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_domain_list(struct pb_actor *a, void *state, struct pb_msg *m);

/* directory-send.c. DIR_USER_SET_REQ (an account's sending settings), DIR_SEND_POLICY_REQ (a
 * sender's policy and limits) and DIR_SEND_COUNT_EVT (a message accepted). */
#define DIRECTORY_SEND_USERS 4096
/* The answer to DIR_USER_SET_REQ with a key that is neither a sending nor a routing setting. */
#define DIRECTORY_USER_KEYS_ERROR                                                              \
	"unknown setting: the keys are send_as_any, max_messages_per_hour, "                   \
	"max_messages_per_day, forbidden_recipients, allow_bcc, internet_mail, "               \
	"max_message_size_kb, quota_mb, forward_to, use_forwarding, keep_copy, assistants, "    \
	"assistant_redirect, default_addresses, blocked, reset_email, web_password, "            \
	"webmail_main_password, size_over_kb, size_over_action, size_over_to, size_under_kb, "  \
	"size_under_action, size_under_to, copy_sent_to, no_forward_quarantined, "             \
	"signature_text, signature_html, internal_signature_text, internal_signature_html"
int directory_on_user_set(struct pb_actor *a, void *state, struct pb_msg *m);
/* Gives the account's quota_mb (as in u) to its mailbox owner without waiting for its answer
 * (a rollback's: the owner keeps a copy, mailbox-quota.c); a send that fails is logged. */
void directory_quota_cast(struct pb_actor *a, const struct pb_user_rec *u);
int directory_on_send_policy(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_send_count(struct pb_actor *a, void *state, struct pb_msg *m);

/* directory-routes.c: the routing records' snapshot. init/deinit with the actor; changed()
 * after any write of accounts, domains or routing records (the router fetches again). */
void directory_routes_init(struct directory *d);
void directory_routes_deinit(struct directory *d);
void directory_routes_changed(struct directory *d);
/* The records as router_plan takes them (cached until the next change); NULL with *error_r
 * when the store failed. */
const struct router_records *directory_routes_view(struct directory *d, const char **error_r);
/* Whether local@domain, which names no account, resolves to anything (a mapping, a list) for
 * mail over SMTP (collector "") or collected by that mail collector: 1 yes, 0 no, -1 the
 * store failed. */
int directory_routes_accepts(struct directory *d, const char *local, const char *domain,
			     const char *collector, const char **error_r);
/* Whether the account's default addresses are disabled (router-user.h default_addresses). */
bool directory_defaults_disabled(const struct pb_user_rec *u);
/* Appends the records of v (target / name "": all; else only those) to a message's list. */
void directory_routes_put_maps(struct pb_rec_route_map_list *out, const struct pb_route_map *v,
			       size_t n, const char *target);
void directory_routes_put_lists(struct pb_rec_route_list_list *out, const struct pb_route_list *v,
				size_t n, const char *name);
/* DIR_ROUTES_REQ (directory-routes.c); DIR_MAP_SET_REQ, DIR_MAP_LIST_REQ, DIR_DLIST_SET_REQ,
 * DIR_DLIST_LIST_REQ (directory-routes-admin.c). */
int directory_on_routes(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_map_set(struct pb_actor *a, void *state, struct pb_msg *m);
/* directory-msgrules.c: the message rule sets (DIR_RULES_SET_REQ, DIR_RULES_GET_REQ), and
 * theirs into a routing snapshot (0 / -1). */
int directory_on_rules_set(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_rules_get(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_routes_add_rules(struct directory *d, struct msg_dir_routes_rep *rep,
			       const char **error_r);
int directory_on_map_list(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_dlist_set(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_dlist_list(struct pb_actor *a, void *state, struct pb_msg *m);

/* directory-history-records.c: the records of the directory's history. A record's JSON as
 * the history keeps it (allocated): an account's (no password hashes), a mapping's, a
 * list's; the record name of user's rule set ("": the administrator's; allocated). */
char *directory_history_user_json(const struct pb_user_rec *u);
char *directory_history_map_json(const struct pb_route_map *m);
char *directory_history_list_json(const struct pb_route_list *l);
char *directory_history_domain_json(const char *domain);
char *directory_history_rules_record(const char *user);
/* A record's name: prefix ("list:") and name (with name2: "name,name2"), in lowercase
 * (allocated). */
char *directory_history_record(const char *prefix, const char *name, const char *name2);
/* Writes record as json (NULL: removes it) — now is its current JSON. PB_OK, REFUSED with
 * *why_r (an account to create or delete, a domain accounts have addresses at, an account
 * gone) or INTERNAL with *error_r. The caller arms the change first. */
uint32_t directory_history_put(struct pb_actor *a, struct directory *d, const char *record,
			       const char *now, const char *json, const char **why_r,
			       const char **error_r);
/* directory-history.c: the directory's history. */
/* Arms a change of record (before/after: its JSON, NULL absent; by, note as given) for the
 * directory's next synced write (pb_store_dir_change_arm, keeping accounts.history_keep);
 * pb_store_dir_change_disarm() after that write, done or not. */
void directory_history_arm(struct directory *d, const char *record, const char *before,
			   const char *after, const char *by, const char *note);
/* The current JSON of record ("user:NAME", "mapping:ADDRESS,TARGET", "list:NAME",
 * "rules:NAME", "domain:NAME"): *json_r allocated or NULL when absent. 0 / -1. */
int directory_history_state(struct directory *d, const char *record, char **json_r,
			    const char **error_r);
/* Stores account u (pb_store_user_put) with its change in the history: before is its JSON
 * before (directory_history_user_json), by who asked; a change the record does not show (a
 * password's) is not recorded. 0 / -1. */
int directory_history_user_put(struct directory *d, const char *before,
			       const struct pb_user_rec *u, const char *by, const char **error_r);
/* DIR_HISTORY_REQ and DIR_ROLLBACK_REQ. */
int directory_on_history(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_rollback(struct pb_actor *a, void *state, struct pb_msg *m);

#endif
