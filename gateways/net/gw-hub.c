/*
 * gw-hub.c: gateway hub thread (see gw-hub.h).
 * OWNS: struct gw_hub — the loop, the inbox, the stop flag. THREAD: the hub thread, except
 * gw_hub_start/stop (main thread) and the atomic stop flag.
 */
#include "gw-hub.h"

#include "pb-log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdio.h>

struct gw_hub {
	struct pb_runtime *rt;
	struct gw_hub_def def;
	void *ctx;
	struct net_loop *loop;
	struct pb_inbox *inbox;
	pthread_t thread;
	atomic_bool stop;
};

static uint64_t hub_clock(void *ctx)
{
	return pb_clock_monotonic_ms(ctx);
}

struct pb_runtime *gw_hub_runtime(struct gw_hub *hub)
{
	return hub->rt;
}

struct net_loop *gw_hub_loop(struct gw_hub *hub)
{
	return hub->loop;
}

int gw_hub_request(struct gw_hub *hub, struct net_conn *c, const char *to, struct pb_msg *m,
		   const char **error_r)
{
	m->corr = net_conn_id(c);
	pb_str_set(&m->reply_to, hub->def.name);
	return pb_send(hub->rt, to, m, error_r);
}

/* Drains the inbox: each reply goes to the session whose connection id is its corr. */
static void on_inbox(void *arg)
{
	struct gw_hub *hub = arg;
	struct pb_msg m;

	while (pb_inbox_recv(hub->inbox, &m, 0) == 1) {
		struct net_conn *c = net_loop_find(hub->loop, m.corr);
		if (c != NULL)
			hub->def.on_reply(net_conn_session(c), c, &m);
		pb_msg_free(&m);
	}
}

static void *hub_main(void *arg)
{
	struct gw_hub *hub = arg;
	uint64_t next_tick = 0;
	char tname[16];

	snprintf(tname, sizeof(tname), "%.11s-hub", hub->def.name);
	pthread_setname_np(pthread_self(), tname);

	while (!atomic_load(&hub->stop)) {
		net_loop_run_once(hub->loop, 200);
		uint64_t now = net_loop_now(hub->loop);
		if (now >= next_tick) {
			if (hub->def.on_tick != NULL)
				hub->def.on_tick(hub->ctx, now);
			next_tick = now + 1000;
		}
	}
	net_loop_stop_listening(hub->loop);
	/* let sessions with a request in flight finish it */
	uint64_t deadline = net_loop_now(hub->loop) + GW_HUB_DRAIN_MS;
	while (net_loop_now(hub->loop) < deadline && net_loop_each_busy(hub->loop, hub->def.busy) > 0)
		net_loop_run_once(hub->loop, 50);
	net_loop_each_shutdown(hub->loop, hub->def.on_shutdown);
	/* a last round flushes the goodbyes that fit in the socket buffers */
	net_loop_run_once(hub->loop, 0);
	return NULL;
}

static int listen_all(struct gw_hub *hub, const struct gw_listen *ls, size_t n_ls, char **error_r)
{
	const char *error;

	for (size_t i = 0; i < n_ls; i++) {
		for (size_t j = 0; j < ls[i].n; j++) {
			const struct pb_binding *b = &ls[i].bindings[j];
			if (net_loop_listen(hub->loop, b->host, b->port, hub->def.proto, ls[i].ctx,
					    &error) < 0) {
				*error_r = xasprintf("%s %s:%u: %s", ls[i].service, b->host,
						     (unsigned)b->port, error);
				return -1;
			}
			pb_info(hub->def.name, "event=listening service=%s address=%s port=%u",
				ls[i].service, b->host, (unsigned)b->port);
		}
	}
	return 0;
}

int gw_hub_start(struct pb_runtime *rt, const struct gw_hub_def *def, const struct gw_listen *ls,
		 size_t n_ls, void *ctx, struct gw_hub **hub_r, char **error_r)
{
	struct gw_hub *hub = xcalloc(1, sizeof(*hub));
	const char *error;

	hub->rt = rt;
	hub->def = *def;
	hub->ctx = ctx;
	hub->loop = net_loop_create(hub_clock, NULL);
	if (listen_all(hub, ls, n_ls, error_r) < 0 ||
	    (pb_inbox_open(rt, def->name, 4096, &hub->inbox, &error) < 0 &&
	     (*error_r = xasprintf("%s: %s", def->name, error)) != NULL)) {
		net_loop_destroy(&hub->loop);
		free(hub);
		return -1;
	}
	net_loop_watch(hub->loop, pb_inbox_fd(hub->inbox), on_inbox, hub);
	if (pthread_create(&hub->thread, NULL, hub_main, hub) != 0)
		PANIC("cannot start the %s hub thread", def->name);
	*hub_r = hub;
	return 0;
}

void gw_hub_stop(struct gw_hub **hubp)
{
	struct gw_hub *hub = *hubp;
	if (hub == NULL)
		return;
	atomic_store(&hub->stop, true);
	pthread_join(hub->thread, NULL);
	net_loop_destroy(&hub->loop);
	pb_inbox_close(&hub->inbox);
	free(hub);
	*hubp = NULL;
}
