/*
 * directory-routes.c: the routing records the directory owns (mappings and distribution lists,
 * store-routes.h), the snapshot the router resolves with (DIR_ROUTES_REQ), and the RCPT check
 * of an address that is no account (an alias, a mapping, a list: router_plan_accepts).
 * OWNS: struct directory_routes (the generation and the cached snapshot). THREAD: the
 * directory actor's.
 */
#include "directory-private.h"

#include "pb-log.h"
#include "router-generate.h"
#include "router-records.h"
#include "router-user.h"
#include "send-policy.h"
#include "store-routes.h"

#include <string.h>
#include <strings.h>

void directory_routes_init(struct directory *d)
{
	memset(&d->routes, 0, sizeof(d->routes));
	d->routes.gen = pb_clock_wall_ms(); /* never a generation of an earlier life */
	pb_runtime_generation_set(d->rt, PB_GEN_ROUTES, d->routes.gen);
	pb_msg_init(&d->routes.snap, MSG_DIR_ROUTES_REP);
}

void directory_routes_deinit(struct directory *d)
{
	router_view_free(&d->routes.view);
	pb_msg_free(&d->routes.snap);
}

/* The generation moves, and is published (the router shards compare it with their
 * snapshot's before each message instead of asking): before the write it stands for, which
 * is fine — a snapshot is built in this thread, after the handler that wrote. */
void directory_routes_changed(struct directory *d)
{
	d->routes.gen++;
	pb_runtime_generation_set(d->rt, PB_GEN_ROUTES, d->routes.gen);
}

static int add_user(const struct pb_user_rec *u, void *ctx)
{
	struct msg_dir_routes_rep *rep = ctx;
	struct router_user ru;

	struct send_policy sp;

	router_user_load(u->settings_json, u->id, u->name, &ru);
	send_policy_from_json(u->settings_json, &sp);
	struct pb_rec_route_user *out = pb_rec_route_user_push(&rep->users);
	*out = (struct pb_rec_route_user){
		.id = u->id,
		.name = xstrdup(ru.name),
		.defaults_off = ru.defaults_disabled,
		.forward_to = xstrdup(ru.forward_to),
		.use_forwarding = ru.use_forwarding,
		.keep_copy = ru.keep_copy,
		.assistants = xstrdup(ru.assistants),
		.assistant_redirect = ru.assistant_redirect,
		.autoreply = router_autoreply_export(u->settings_json),
		.script = xstrdup(ru.script),
		.blocked = xstrdup(ru.blocked),
		.size_over_kb = ru.size_over_kb,
		.size_over_redirect = ru.size_over_redirect,
		.size_over_to = xstrdup(ru.size_over_to),
		.size_under_kb = ru.size_under_kb,
		.size_under_redirect = ru.size_under_redirect,
		.size_under_to = xstrdup(ru.size_under_to),
		.copy_sent_to = xstrdup(ru.copy_sent_to),
		.no_forward_quarantined = ru.no_forward_quarantined,
		.no_internet_mail = !sp.internet_mail,
	};
	/* its sending permissions, which its own forwards obey (router-plan.h) */
	for (uint32_t i = 0; i < sp.forbidden.n; i++)
		pb_strv_push(&out->forbidden, sp.forbidden.v[i]);
	send_policy_deinit(&sp);
	router_user_clear(&ru);
	return 0;
}

static int add_domain(const char *domain, void *ctx)
{
	struct msg_dir_routes_rep *rep = ctx;
	pb_strv_push(&rep->domains, domain);
	return 0;
}

void directory_routes_put_maps(struct pb_rec_route_map_list *out, const struct pb_route_map *v,
			       size_t n, const char *target)
{
	for (size_t i = 0; i < n; i++) {
		if (target[0] != '\0' && strcasecmp(target, v[i].target) != 0)
			continue;
		*pb_rec_route_map_push(out) = (struct pb_rec_route_map){
			.address = xstrdup(v[i].address),
			.target = xstrdup(v[i].target),
			.type = xstrdup(router_map_type_name((enum router_map_type)v[i].type)),
			.collector = xstrdup(v[i].collector),
			.comment = xstrdup(v[i].comment),
		};
	}
}

void directory_routes_put_lists(struct pb_rec_route_list_list *out, const struct pb_route_list *v,
				size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (name[0] != '\0' && strcasecmp(name, v[i].name) != 0)
			continue;
		struct pb_rec_route_list *l = pb_rec_route_list_push(out);
		l->name = xstrdup(v[i].name);
		l->internet = v[i].internet;
		l->comment = xstrdup(v[i].comment);
		for (size_t k = 0; k < v[i].n_members; k++)
			pb_strv_push(&l->members, v[i].members[k]);
	}
}

/* Reads every record the router needs into rep (a DIR_ROUTES_REP). 0 / -1. */
static int routes_read(struct directory *d, struct msg_dir_routes_rep *rep, const char **error_r)
{
	struct pb_route_map *maps;
	struct pb_route_list *lists;
	size_t n_maps, n_lists;

	if (pb_store_domain_iter(d->store, add_domain, rep, error_r) < 0 ||
	    pb_store_user_iter(d->store, add_user, rep, error_r) < 0 ||
	    pb_store_route_maps(d->store, &maps, &n_maps, error_r) < 0)
		return -1;
	directory_routes_put_maps(&rep->maps, maps, n_maps, "");
	pb_route_maps_free(maps, n_maps);
	if (pb_store_route_lists(d->store, &lists, &n_lists, error_r) < 0)
		return -1;
	directory_routes_put_lists(&rep->lists, lists, n_lists, "");
	pb_route_lists_free(lists, n_lists);
	if (directory_routes_add_rules(d, rep, error_r) < 0)
		return -1;
	rep->gen = d->routes.gen;
	rep->error = xstrdup("");
	return 0;
}

const struct router_records *directory_routes_view(struct directory *d, const char **error_r)
{
	struct directory_routes *r = &d->routes;

	if (r->built && r->built_gen == r->gen)
		return &r->view.r;
	router_view_free(&r->view);
	pb_msg_free(&r->snap);
	pb_msg_init(&r->snap, MSG_DIR_ROUTES_REP);
	r->built = false;
	if (routes_read(d, &r->snap.u.dir_routes_rep, error_r) < 0)
		return NULL;
	router_view_build(&r->snap.u.dir_routes_rep, &r->view);
	r->built = true;
	r->built_gen = r->gen;
	return &r->view.r;
}

int directory_routes_accepts(struct directory *d, const char *local, const char *domain,
			     const char *collector, const char **error_r)
{
	const struct router_records *rec = directory_routes_view(d, error_r);
	if (rec == NULL)
		return -1;
	/* no sender: whether this one may post to an internal list is decided at delivery */
	struct router_facts f = { .source = collector[0] ? ROUTER_SRC_POP3 : ROUTER_SRC_SMTP,
				  .collector = collector[0] ? collector : NULL };
	char *addr = xasprintf("%s@%s", local, domain);
	bool yes = router_plan_accepts(rec, &f, addr);
	free(addr);
	return yes;
}

bool directory_defaults_disabled(const struct pb_user_rec *u)
{
	struct router_user ru;

	router_user_load(u->settings_json, u->id, u->name, &ru);
	bool off = ru.defaults_disabled;
	router_user_clear(&ru);
	return off;
}

int directory_on_routes(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_msg rep;
	const char *error;

	pb_msg_init(&rep, MSG_DIR_ROUTES_REP);
	if (m->u.dir_routes_req.have_gen == d->routes.gen) {
		rep.u.dir_routes_rep.unchanged = 1;
		rep.u.dir_routes_rep.gen = d->routes.gen;
		rep.u.dir_routes_rep.error = xstrdup("");
	} else if (routes_read(d, &rep.u.dir_routes_rep, &error) < 0) {
		pb_msg_free(&rep);
		return directory_store_failed(a, m, error);
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}
