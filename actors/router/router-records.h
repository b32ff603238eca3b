/*
 * router-records.h: the router_records view (router-plan.h) of a DIR_ROUTES_REP, the snapshot
 * of the directory's routing records: arrays that point into the message's strings, so the
 * view lives as long as the message and is freed before it. Shared by the directory (its RCPT
 * check) and the router pool. Pure. THREAD: any. OWNS: the view's arrays.
 */
#ifndef ROUTER_RECORDS_H
#define ROUTER_RECORDS_H

#include "router-generate.h"
#include "router-plan.h"

struct router_view {
	struct router_records r;
	const char **domains;
	struct router_user *users;
	struct router_autoreply *autoreplies; /* per user (h-generate) */
	struct router_mapping *maps;
	struct router_list *lists;
};

/* Builds the view of snap (a DIR_ROUTES_REP's fields). A mapping with an unknown type is left
 * out. Free with router_view_free. */
void router_view_build(const struct msg_dir_routes_rep *snap, struct router_view *v_r);
void router_view_free(struct router_view *v);

#endif
