/*
 * sys-reports.c: the gateways' and spool shards' last reports, and the status they fill (see
 * sys-reports.h). OWNS struct sys_reports. THREAD: the sys actor's thread.
 */
#include "sys-reports.h"

#include "pb-log.h"
#include "store-db.h"

#include <string.h>

void sys_reports_gateway(struct sys_reports *r, const struct pb_msg *m)
{
	const char *name = m->u.sys_gateway_stats_evt.gateway;
	size_t i = 0;

	while (i < r->n_gateways && strcmp(r->gateways[i].u.sys_gateway_stats_evt.gateway, name) != 0)
		i++;
	if (i == SYS_MAX_GATEWAYS)
		return;
	if (i < r->n_gateways)
		pb_msg_free(&r->gateways[i]);
	if (pb_msg_copy(m, &r->gateways[i]) < 0) {
		if (i < r->n_gateways) /* the old one is gone: close the gap */
			r->gateways[i] = r->gateways[--r->n_gateways];
		return;
	}
	if (i == r->n_gateways)
		r->n_gateways++;
}

void sys_reports_spool(struct sys_reports *r, const struct pb_msg *m)
{
	const struct msg_sys_spool_stats_evt *e = &m->u.sys_spool_stats_evt;

	if (e->shard < SYS_MAX_SPOOL_SHARDS)
		r->spool[e->shard] = *e;
}

/* One gateway's report into rep: its listeners and services appended, its counts added. */
static void fill_gateway(const struct msg_sys_gateway_stats_evt *g, struct msg_sys_status_rep *rep)
{
	for (uint32_t j = 0; j < g->listeners.n; j++) {
		const struct pb_rec_listener *from = &g->listeners.v[j];
		struct pb_rec_listener *l = pb_rec_listener_push(&rep->listeners);
		l->service = xstrdup(from->service);
		l->address = xstrdup(from->address);
		l->port = from->port;
		l->state = xstrdup(from->state);
		l->tls = xstrdup(from->tls);
	}
	for (uint32_t j = 0; j < g->services.n; j++) {
		struct pb_rec_service_stat *sv = pb_rec_service_stat_push(&rep->services);
		sv->service = xstrdup(g->services.v[j].service);
		sv->sessions = g->services.v[j].sessions;
	}
	rep->received += g->received;
	rep->rcpts_refused += g->rcpts_refused;
	rep->rejected += g->rejected;
}

/* The first report's certificate (every gateway gets the daemon's one pb_tls_current). */
static void fill_tls(const struct sys_reports *r, struct msg_sys_status_rep *rep)
{
	for (size_t i = 0; i < r->n_gateways; i++) {
		const struct pb_rec_tls_cert_list *l = &r->gateways[i].u.sys_gateway_stats_evt.tls;
		if (l->n == 0)
			continue;
		struct pb_rec_tls_cert *c = pb_rec_tls_cert_push(&rep->tls);
		c->subject = xstrdup(l->v[0].subject);
		c->names = xstrdup(l->v[0].names);
		c->not_after = l->v[0].not_after;
		c->self_signed = l->v[0].self_signed;
		c->generated = l->v[0].generated;
		c->sha256 = xstrdup(l->v[0].sha256);
		c->issuer = xstrdup(l->v[0].issuer);
		return;
	}
}

static void fill_recent(struct msg_sys_status_rep *rep)
{
	struct pb_log_recent lines[PB_LOG_RECENT];
	size_t n = pb_log_recent(lines, PB_N_ELEMENTS(lines));

	for (size_t i = 0; i < n; i++) {
		struct pb_rec_log_line *l = pb_rec_log_line_push(&rep->recent);
		l->time_ms = lines[i].time_ms;
		l->level = xstrdup(pb_log_level_name(lines[i].level));
		l->module = xstrdup(lines[i].module);
		l->text = xstrdup(lines[i].text);
	}
}

void sys_reports_fill(const struct sys_reports *r, struct pb_store *store,
		      struct msg_sys_status_rep *rep)
{
	for (size_t i = 0; i < r->n_gateways; i++)
		fill_gateway(&r->gateways[i].u.sys_gateway_stats_evt, rep);
	for (size_t i = 0; i < SYS_MAX_SPOOL_SHARDS; i++) {
		rep->spool_depth += r->spool[i].depth;
		rep->delivered += r->spool[i].delivered;
		rep->deferred += r->spool[i].deferred;
		rep->delivery_failed += r->spool[i].failed;
	}
	rep->disk_free = pb_store_disk_free(store);
	rep->storage_left = pb_store_room(store);
	fill_recent(rep);
	fill_tls(r, rep);
}

void sys_reports_deinit(struct sys_reports *r)
{
	for (size_t i = 0; i < r->n_gateways; i++)
		pb_msg_free(&r->gateways[i]);
	r->n_gateways = 0;
}
