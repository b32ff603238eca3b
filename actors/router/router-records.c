/*
 * router-records.c: the router_records view of a routing snapshot (see router-records.h).
 * OWNS: the view's arrays. THREAD: any.
 */
#include "router-records.h"

#include "pb-alloc.h"
#include "router-generate.h"

#include <string.h>

static void view_users(const struct msg_dir_routes_rep *snap, struct router_view *v)
{
	v->users = xcalloc(snap->users.n + 1, sizeof(*v->users));
	v->autoreplies = xcalloc(snap->users.n + 1, sizeof(*v->autoreplies));
	for (size_t i = 0; i < snap->users.n; i++) {
		const struct pb_rec_route_user *u = &snap->users.v[i];
		router_autoreply_load(u->autoreply, &v->autoreplies[i]);
		v->users[i] = (struct router_user){
			.id = u->id,
			.name = u->name,
			.defaults_disabled = u->defaults_off != 0,
			.forward_to = u->forward_to,
			.use_forwarding = u->use_forwarding != 0,
			.keep_copy = u->keep_copy != 0,
			.assistants = u->assistants,
			.assistant_redirect = u->assistant_redirect != 0,
			.autoreply = v->autoreplies[i].on ? &v->autoreplies[i] : NULL,
			.script = u->script,
			.blocked = u->blocked,
			.size_over_kb = u->size_over_kb,
			.size_over_redirect = u->size_over_redirect != 0,
			.size_over_to = u->size_over_to,
			.size_under_kb = u->size_under_kb,
			.size_under_redirect = u->size_under_redirect != 0,
			.size_under_to = u->size_under_to,
			.copy_sent_to = u->copy_sent_to,
			.no_forward_quarantined = u->no_forward_quarantined != 0,
			.no_internet_mail = u->no_internet_mail != 0,
			.forbidden = &u->forbidden,
		};
	}
	v->r.users = v->users;
	v->r.n_users = snap->users.n;
}

static void view_maps(const struct msg_dir_routes_rep *snap, struct router_view *v)
{
	size_t n = 0;

	v->maps = xcalloc(snap->maps.n + 1, sizeof(*v->maps));
	for (size_t i = 0; i < snap->maps.n; i++) {
		const struct pb_rec_route_map *m = &snap->maps.v[i];
		enum router_map_type type;
		if (router_map_type_parse(m->type, &type) < 0)
			continue;
		v->maps[n++] = (struct router_mapping){ m->address, m->target, type, m->collector };
	}
	v->r.mappings = v->maps;
	v->r.n_mappings = n;
}

void router_view_build(const struct msg_dir_routes_rep *snap, struct router_view *v_r)
{
	memset(v_r, 0, sizeof(*v_r));
	v_r->domains = xcalloc(snap->domains.n + 1, sizeof(char *));
	for (uint32_t i = 0; i < snap->domains.n; i++)
		v_r->domains[i] = snap->domains.v[i];
	v_r->r.domains = v_r->domains;
	v_r->r.n_domains = snap->domains.n;
	view_users(snap, v_r);
	view_maps(snap, v_r);
	v_r->lists = xcalloc(snap->lists.n + 1, sizeof(*v_r->lists));
	for (size_t i = 0; i < snap->lists.n; i++) {
		const struct pb_rec_route_list *l = &snap->lists.v[i];
		v_r->lists[i] = (struct router_list){ l->name, l->internet != 0,
						     (const char *const *)l->members.v,
						     l->members.n };
	}
	v_r->r.lists = v_r->lists;
	v_r->r.n_lists = snap->lists.n;
}

void router_view_free(struct router_view *v)
{
	free(v->domains);
	for (size_t i = 0; v->autoreplies != NULL && i < v->r.n_users; i++)
		router_autoreply_clear(&v->autoreplies[i]);
	free(v->autoreplies);
	free(v->users);
	free(v->maps);
	free(v->lists);
	memset(v, 0, sizeof(*v));
}
