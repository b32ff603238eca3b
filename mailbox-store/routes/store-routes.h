/*
 * store-routes.h: the routing records (library pb_store_routes, CF routes): mappings (guide 5.3:
 * an address pattern, its target, its type, an optional mail collector and a comment; an alias
 * is a mapping whose target is an account) and distribution lists (a name, "allow Internet
 * access", members, a comment). Owner: the directory actor (it owns the accounts the records
 * name; the router reads them from it, never from the store). Conventions: store-db.h.
 * THREAD: any (single puts and deletes need no lock).
 */
#ifndef PB_STORE_ROUTES_H
#define PB_STORE_ROUTES_H

#include "store-db.h"

#include <stdbool.h>

#define PB_ROUTE_ADDRESS_MAX 320
#define PB_ROUTE_COMMENT_MAX 1000
#define PB_ROUTE_LIST_MEMBERS_MAX 10000

/* A mapping. type: enum router_map_type (router-plan.h) as a number. */
struct pb_route_map {
	char *address, *target, *collector, *comment;
	uint8_t type;
};
/* A distribution list. */
struct pb_route_list {
	char *name, *comment;
	bool internet;
	char **members;
	size_t n_members;
};

/* Writes the mapping (address, target: 1..PB_ROUTE_ADDRESS_MAX bytes; the key is both in
 * lowercase, so one address may have several targets and adding one twice replaces it),
 * synced. 0 / -1. */
int pb_store_route_map_put(struct pb_store *s, const struct pb_route_map *m, const char **error_r);
/* Deletes the mapping of address to target (any case). 1 deleted, 0 absent, -1. */
int pb_store_route_map_delete(struct pb_store *s, const char *address, const char *target,
			      const char **error_r);
/* Every mapping, ordered by address then target, into *v_r (*n_r; free with
 * pb_route_maps_free). A record that does not decode is skipped. 0 / -1. */
int pb_store_route_maps(struct pb_store *s, struct pb_route_map **v_r, size_t *n_r,
			const char **error_r);
void pb_route_maps_free(struct pb_route_map *v, size_t n);

/* Writes (or replaces) list l->name (1..64 bytes; the key in lowercase), synced. 0 / -1. */
int pb_store_route_list_put(struct pb_store *s, const struct pb_route_list *l,
			    const char **error_r);
/* 1 found (*l_r filled: pb_route_list_clear), 0 absent, -1. */
int pb_store_route_list_get(struct pb_store *s, const char *name, struct pb_route_list *l_r,
			    const char **error_r);
/* 1 deleted, 0 absent, -1. */
int pb_store_route_list_delete(struct pb_store *s, const char *name, const char **error_r);
/* Every list by name into *v_r (*n_r; free with pb_route_lists_free). 0 / -1. */
int pb_store_route_lists(struct pb_store *s, struct pb_route_list **v_r, size_t *n_r,
			 const char **error_r);
void pb_route_list_clear(struct pb_route_list *l);
void pb_route_lists_free(struct pb_route_list *v, size_t n);

/* ---- Message rules (admin guide 4.14; store-route-rules.c) ----
 * One rule set per owner: the administrator's (owner 0, server-wide) and each account's (its
 * user id: a rename keeps them). The JSON is rules_set_parse's format, checked by the directory
 * before it is written; the store keeps it as text. */
#define PB_ROUTE_RULES_MAX (1024 * 1024)
/* Writes owner's rule set (1..PB_ROUTE_RULES_MAX bytes of JSON), synced. 0 / -1. */
int pb_store_route_rules_put(struct pb_store *s, uint64_t owner, const char *json,
			     const char **error_r);
/* 1 found (*json_r malloc'ed, the caller frees), 0 absent, -1. */
int pb_store_route_rules_get(struct pb_store *s, uint64_t owner, char **json_r,
			     const char **error_r);
/* 1 deleted, 0 absent, -1. */
int pb_store_route_rules_delete(struct pb_store *s, uint64_t owner, const char **error_r);
/* Calls cb(owner, json, ctx) for every stored rule set, by owner (a callback returning
 * nonzero stops). 0 / -1. */
int pb_store_route_rules_iter(struct pb_store *s,
			      int (*cb)(uint64_t owner, const char *json, void *ctx), void *ctx,
			      const char **error_r);

/* ---- The directory's history: every change of its records (accounts' settings, mappings,
 * lists), a struct pb_setting_change each (store-settings.h: doc is the record, "user:alice",
 * "mapping:sales@x>alice"; before and after its JSON, NULL when absent), numbered 1, 2, ...
 * (store-dir-history.c). The directory is its one writer. ------------------------------- */
struct pb_setting_change;

/* Arms change c (by, doc, before, note; copied) with after: the calling thread's next synced
 * store write carries it in its batch (numbered then; the oldest past keep dropped), so the
 * record and its history are one write. Disarm after the write, done or not. */
void pb_store_dir_change_arm(const struct pb_setting_change *c, const char *after,
			     uint32_t keep);
/* Forgets an armed change; returns the number the last write gave it (0: none written). */
uint64_t pb_store_dir_change_disarm(void);
/* One change: 1 (*c_r: pb_setting_change_free), 0 not kept, -1. */
int pb_store_dir_change_get(struct pb_store *s, uint64_t seq, struct pb_setting_change *c_r,
			    const char **error_r);
/* The changes with seq < before (0: all), newest first, at most limit (*v_r: free each with
 * pb_setting_change_free, then the array). 0 / -1. */
int pb_store_dir_history(struct pb_store *s, uint64_t before, size_t limit,
			 struct pb_setting_change **v_r, size_t *n_r, const char **error_r);

#endif
