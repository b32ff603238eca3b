/*
 * collector-resolve.c: the recipients of a downloaded message (see collector-resolve.h).
 * OWNS: nothing. THREAD: the cwork thread.
 */
#include "collector-resolve.h"
#include "collector-route.h"

#include "directory-client.h"
#include "directory-client-routes.h"
#include "pb-alloc.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define RESOLVE_CALL_MS 10000

void collector_rcpts_clear(struct collector_rcpts *r)
{
	pb_strv_clear(&r->addrs);
	free(r->ids.v);
	memset(r, 0, sizeof(*r));
}

static void add(struct collector_rcpts *r, const char *addr, uint64_t id)
{
	for (uint32_t i = 0; i < r->ids.n; i++)
		if (id != 0 && r->ids.v[i] == id)
			return;
	pb_strv_push(&r->addrs, addr);
	pb_u64v_push(&r->ids, id);
}

/* local@domain (or a bare user name when domain is NULL) of mail collected by the collector
 * named collector to a user id: 1 found, 0 not, -1 the directory failed. A non-local domain
 * falls back to the user named local when fallback. */
static int lookup(struct pb_sync *t, const char *collector, const char *local,
		  const char *domain, bool fallback, uint64_t *id_r, const char **error_r)
{
	uint32_t code = PB_ERR_TEMP;
	char *name = NULL;
	int rc;

	if (domain != NULL) {
		rc = directory_client_rcpt_check_collected(t, local, domain, collector, &code, id_r,
							   &name, error_r);
		free(name);
		name = NULL;
		if (rc < 0 || code == PB_ERR_TEMP || code == PB_ERR_INTERNAL)
			return -1;
		if (code == PB_OK || code == PB_ERR_NOTFOUND || !fallback)
			return code == PB_OK;
	}
	rc = directory_client_user_lookup(t, local, &code, id_r, &name, error_r);
	free(name);
	if (rc < 0 || code == PB_ERR_TEMP || code == PB_ERR_INTERNAL)
		return -1;
	return code == PB_OK;
}

/* An address split in its local part and domain (NULL without '@'): lookup. */
static int lookup_addr(struct pb_sync *t, const char *collector, const char *addr,
		       bool fallback, uint64_t *id_r, const char **error_r)
{
	const char *at = strrchr(addr, '@');
	if (at == NULL)
		return lookup(t, collector, addr, NULL, fallback, id_r, error_r);
	char *local = xstrndup(addr, (size_t)(at - addr));
	int rc = lookup(t, collector, local, at + 1, fallback, id_r, error_r);
	free(local);
	return rc;
}

/* One header address at the Accepted Domains: its mapping, else the default mapping. */
static int resolve_one(const struct collector_def *d, struct pb_sync *t, const char *addr,
		       struct collector_rcpts *r, const char **error_r)
{
	char user[256];
	uint64_t id = 0;
	int rc = 0;

	if (d->mappings != NULL && collector_route_mapping(d->mappings, addr, user, sizeof(user)))
		rc = lookup_addr(t, d->name, user, true, &id, error_r);
	else if (d->default_mappings)
		rc = lookup_addr(t, d->name, addr, true, &id, error_r);
	if (rc == 1)
		add(r, addr, id);
	return rc < 0 ? -1 : 0;
}

static int resolve_headers(const struct collector_def *d, struct pb_sync *t, const void *hdr,
			   size_t len, struct collector_rcpts *r, const char **error_r)
{
	struct pb_strv addrs = { 0 };
	uint64_t id = 0;
	int rc = 0;

	collector_route_addresses(hdr, len, d->fields, &addrs);
	for (uint32_t i = 0; i < addrs.n && rc == 0; i++) {
		bool mapped = d->mappings != NULL &&
			      collector_route_mapping(d->mappings, addrs.v[i], (char[2]){ 0 }, 1);
		if (mapped || (d->domains != NULL && collector_route_accepted(d->domains, addrs.v[i])))
			rc = resolve_one(d, t, addrs.v[i], r, error_r);
	}
	pb_strv_clear(&addrs);
	if (rc == 0 && r->ids.n == 0) { /* nobody of ours: the postmaster's */
		rc = lookup(t, d->name, "postmaster", "", false, &id, error_r);
		if (rc == 1)
			add(r, "postmaster", id);
		rc = rc == 1 ? 0 : (rc == 0 ? (*error_r = "no postmaster to give it to", -1) : -1);
	}
	return rc;
}

/* A target that names no account: the distribution list of its local part, if there is one.
 * It goes to the router as the list's bare name (id 0), which delivers to the members (and
 * their forwarding, mappings, lists: router-plan.h). Only a list that takes mail from outside
 * (internet): the router gives an internal list's mail from outside senders to nobody, and
 * it does not know that a message was collected, so it would be lost. 1 added, 0 no such
 * list, -1 (error_r). */
static int resolve_list(struct pb_sync *t, const char *target, struct collector_rcpts *r,
			const char **error_r)
{
	struct pb_rec_route_list_list lists = { 0 };
	const char *at = strrchr(target, '@');
	char *name = at != NULL ? xstrndup(target, (size_t)(at - target)) : xstrdup(target);
	uint32_t code = PB_ERR_TEMP;
	int rc = directory_client_dlist_list(t, name, &code, &lists, error_r);

	if (rc == 0 && code != PB_OK && code != PB_ERR_NOTFOUND)
		rc = -1;
	else if (rc == 0 && lists.n == 1 && strcasecmp(lists.v[0].name, name) == 0) {
		rc = lists.v[0].internet ? 1 : -1;
		if (rc < 0)
			*error_r = "the collector's target list takes mail from local senders only "
				   "(make it an internet list)";
		else
			add(r, name, 0);
	}
	pb_rec_route_list_list_clear(&lists);
	free(name);
	return rc;
}

int collector_resolve(const struct collector_def *d, struct pb_caller *caller, const void *hdr,
		      size_t len, struct collector_rcpts *r, const char **error_r)
{
	struct pb_sync t;
	uint64_t id = 0;

	pb_sync_init_caller(&t, caller, RESOLVE_CALL_MS);
	if (d->route == COLLECTOR_ROUTE_SMTP) {
		add(r, d->target, 0);
		return 0;
	}
	if (d->route == COLLECTOR_ROUTE_HEADERS)
		return resolve_headers(d, &t, hdr, len, r, error_r);
	int rc = lookup_addr(&t, d->name, d->target, false, &id, error_r);
	if (rc == 1) {
		add(r, d->target, id);
		return 0;
	}
	if (rc == 0 && (rc = resolve_list(&t, d->target, r, error_r)) == 0)
		*error_r = "the collector's target is no account nor distribution list";
	return rc == 1 ? 0 : -1;
}
