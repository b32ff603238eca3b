/*
 * directory-client-routes.h: the typed calls for the routing records the directory owns
 * (mappings, distribution lists: store-routes.h) and for the router's snapshot of everything it
 * resolves with (DIR_ROUTES_REQ). Conventions as directory-client.h (pb-client.h): 0 with
 * *code_r (PB_OK or the directory's refusal, *error_r its reason), -1 when the call failed.
 * THREAD: the caller's (a struct pb_sync is one thread's). OWNS: nothing.
 */
#ifndef DIRECTORY_CLIENT_ROUTES_H
#define DIRECTORY_CLIENT_ROUTES_H

#include "pb-client.h"

#include <stdbool.h>

/* Adds (del false) or removes the mapping address -> target (type: always, pop3, smtp, from;
 * collector and comment may be NULL). */
int directory_client_map_set(struct pb_sync *t, bool del, const char *address, const char *target,
			     const char *type, const char *collector, const char *comment,
			     uint32_t *code_r, const char **error_r);
/* The mappings (target NULL or "": all) into *maps_r (the caller clears it). */
int directory_client_map_list(struct pb_sync *t, const char *target, uint32_t *code_r,
			      struct pb_rec_route_map_list *maps_r, const char **error_r);
/* op: add, del, addmember, delmember (see DIR_DLIST_SET_REQ). */
int directory_client_dlist_set(struct pb_sync *t, const char *op, const char *name,
			       const char *member, bool internet, const char *comment,
			       uint32_t *code_r, const char **error_r);
/* The lists (name NULL or "": all) into *lists_r (the caller clears it). */
int directory_client_dlist_list(struct pb_sync *t, const char *name, uint32_t *code_r,
				struct pb_rec_route_list_list *lists_r, const char **error_r);
/* The routing snapshot: *rep_r receives the whole DIR_ROUTES_REP on PB_OK (the caller frees it
 * with pb_msg_free; its unchanged field says whether have_gen is still current). */
int directory_client_routes(struct pb_sync *t, uint64_t have_gen, uint32_t *code_r,
			    struct pb_msg *rep_r, const char **error_r);
/* An account's routing script: op "get" (*text_r: the script, "" none; the caller frees it),
 * "set" (text: the script; REFUSED with "NAME:LINE: reason" when it does not compile), "del".
 * text_r may be NULL for set and del. */
int directory_client_script(struct pb_sync *t, const char *op, const char *user, const char *text,
			    uint32_t *code_r, char **text_r, const char **error_r);

/* The message rules (guide 4.14) of user (NULL or "": the administrator's): sets them from
 * json (checked by the directory: REFUSED with the parser's reason), or del removes them
 * (NOTFOUND: none). NOTFOUND also for no such account. */
int directory_client_rules_set(struct pb_sync *t, const char *user, bool del, const char *json,
			       uint32_t *code_r, const char **error_r);
/* The rule set's JSON into *json_r (the caller frees) and the account's id (0: the
 * administrator's) on PB_OK; NOTFOUND "no such account", or "no rules are set". */
int directory_client_rules_get(struct pb_sync *t, const char *user, uint32_t *code_r,
			       char **json_r, uint64_t *user_id_r, const char **error_r);
/* The same two calls for a gateway's hub (pb-client.h's send/reply pair): the reply functions
 * return the pb_status with *json_r, *user_id_r as above. */
int directory_client_rules_set_send(const struct pb_sender *s, const char *user, bool del,
				    const char *json, const char **error_r);
uint32_t directory_client_rules_set_reply(struct pb_msg *rep, const char **error_r);
int directory_client_rules_get_send(const struct pb_sender *s, const char *user,
				    const char **error_r);
uint32_t directory_client_rules_get_reply(struct pb_msg *rep, char **json_r, uint64_t *user_id_r,
					  const char **error_r);

/* Who the calling thread's changes of directory records are by, for the directory's history
 * ("cli:root", "web:admin"; at most DIRECTORY_BY_MAX bytes, cut past it), until set again; ""
 * (unknown) at first. Every stub of a recorded change carries it: user set, map set, dlist
 * set, rules set, script, domain add and domain del. */
#define DIRECTORY_BY_MAX PB_CLIENT_BY_MAX
void directory_client_by(const char *by);
const char *directory_client_by_get(void);
/* The directory's history (DIR_HISTORY_REQ): before 0 from the newest, at most limit
 * (1..DIRECTORY_HISTORY_PAGE), into *changes_r (the caller clears it). */
#define DIRECTORY_HISTORY_PAGE 1000
int directory_client_history(struct pb_sync *t, uint64_t before, uint32_t limit,
			     uint32_t *code_r, struct pb_rec_setting_change_list *changes_r,
			     const char **error_r);
int directory_client_history_send(const struct pb_sender *s, uint64_t before, uint32_t limit,
				  const char **error_r);
/* The answer to a history_send: PB_OK with *changes_r (moved out of rep), or the code. */
uint32_t directory_client_history_reply(struct pb_msg *rep,
					struct pb_rec_setting_change_list *changes_r,
					const char **error_r);
/* Rolls back change seq of the directory's history, or everything after it (to_point): see
 * DIR_ROLLBACK_REQ. *changed_r: how many records were put back. */
int directory_client_rollback(struct pb_sync *t, uint64_t seq, bool to_point, const char *by,
			      uint32_t *code_r, uint32_t *changed_r, const char **error_r);
int directory_client_rollback_send(const struct pb_sender *s, uint64_t seq, bool to_point,
				   const char *by, const char **error_r);
uint32_t directory_client_rollback_reply(struct pb_msg *rep, uint32_t *changed_r,
					 const char **error_r);

#endif
