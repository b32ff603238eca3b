/*
 * gw-hub.c: gateway hub thread (see gw-hub.h).
 * OWNS: struct gw_hub — the loop, the inbox, the pending calls, the stop flag; struct
 * hub_conn per connection. THREAD: the hub thread, except gw_hub_start/stop (main thread),
 * the atomic stop flag and the strays counter.
 */
#include "gw-hub.h"

#include "gw-anvil.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "pb-tls.h"
#include "sys-client.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define GW_HUB_MAX_LISTEN 32
#define GW_HUB_EXPIRE_MS 100
#define GW_HUB_MAX_IPS 16384
/* One-way messages waiting to be sent again (their target's inbox was full). */
#define GW_HUB_MAX_OUTBOX 4096

/* What a client refused at accept on an implicit-TLS port gets instead of the protocol's busy
 * line, which would be garbage to it: one TLS record, a fatal internal_error alert (RFC 8446
 * 6.2: alerts may be sent at any time; "internal_error": a failure unrelated to the peer), so
 * its TLS library says "alert internal error" at once rather than a parse error or a bare EOF.
 * Why not finish the handshake and send the refusal over TLS: the refusal happens when the
 * gateway is over its connection budget, under a flood at worst; a handshake costs the hub
 * thread an ECDHE and a signature (bench/RESULTS.md "TLS handshakes") and holds a slot while
 * the peer takes its time, exactly what is short then. These 7 bytes cost what the clear line
 * does: one send. */
static const char gw_tls_busy_alert[7] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50 };

/* The connections all hubs together may hold (the process's descriptors less the store's
 * reserve: gw_hub_set_fd_cap), and how many they hold. */
static _Atomic uint32_t fd_cap = UINT32_MAX;
static _Atomic uint32_t conns_open;
/* The node's budget of message bytes in flight, shared by every hub (gw-session.h). */
static _Atomic uint64_t budget_used, budget_max = 256ull << 20;

void gw_hub_set_fd_cap(uint32_t max_connections)
{
	atomic_store(&fd_cap, max_connections);
}

/* What admission reads, refreshed every tick from the settings snapshot. */
struct hub_limits {
	uint32_t max_conns, ip_max, ip_rate;
	uint32_t tls_handshake_ms; /* security.tls_handshake_timeout_s */
	struct pb_cidr_list trusted; /* exempt from the per-IP limits */
};

struct hub_listen {
	struct gw_hub *hub;
	void *server;
	struct pb_tls_current *tls; /* gw_listen's */
	bool implicit_tls;
	bool sniff_tls;
	char service[16];  /* for the status */
	uint64_t sessions; /* open connections accepted here */
};

/* A bound address, for the status. */
struct hub_bound {
	const char *service; /* its hub_listen's */
	const char *tls;     /* the listener record's tls (msg-types.def): a static string */
	char host[64];
	uint16_t port;
};

struct gw_hub {
	struct pb_runtime *rt;
	const struct gw_proto *proto;
	char addr[PB_MSG_MAX_ADDR]; /* the inbox's qualified address "NODE/proto": reply_to */
	void *tick_ctx;
	struct net_loop *loop;
	struct pb_inbox *inbox;
	struct gw_calls *calls;
	struct gw_anvil *anvil;
	/* one-way messages (a closing POP3 session's unlock, an SMTP abort) whose target inbox
	 * was full: sent again every tick, so a lock is not left to its time-out */
	struct pb_msg *outbox;
	size_t n_outbox;
	uint64_t outbox_dropped;
	struct net_proto net_proto;     /* hub_net_proto with the proto's busy line */
	struct net_proto net_proto_tls; /* for implicit TLS: the busy "line" is a TLS alert */
	struct hub_limits limits;
	uint64_t refused[GW_ANVIL_FULL + 2]; /* by reason, logged each tick */
	struct hub_listen listen[GW_HUB_MAX_LISTEN];
	size_t n_listen;
	struct hub_bound bound[GW_HUB_MAX_LISTEN];
	size_t n_bound;
	pthread_t thread;
	atomic_bool stop;
	atomic_uint_fast64_t strays;
};

/* A connection's session skeleton. */
struct hub_conn {
	struct gw_session gs;
	struct net_conn *c;
	struct hub_listen *hl; /* where it came in */
	bool counted; /* by the per-IP accounting */
};

static uint64_t hub_clock(void *ctx)
{
	return pb_clock_monotonic_ms(ctx);
}

struct pb_runtime *gw_hub_runtime(struct gw_hub *hub)
{
	return hub->rt;
}

uint64_t gw_hub_strays(struct gw_hub *hub)
{
	return atomic_load(&hub->strays);
}

/* ---- the transport: struct gw_session's operations on a net_conn ---- */

static void tr_write(void *conn, const void *data, size_t len)
{
	net_conn_write(conn, data, len);
}

static void tr_close(void *conn, bool flush)
{
	net_conn_close(conn, flush);
}

static void tr_pause(void *conn, bool paused)
{
	if (paused)
		net_conn_pause(conn);
	else
		net_conn_resume(conn);
}

static void tr_set_deadline(void *conn, uint64_t at_ms)
{
	net_conn_set_deadline(conn, at_ms);
}

static size_t tr_output_pending(void *conn)
{
	return net_conn_output_pending(conn);
}

static const char *tr_peer(void *conn)
{
	return net_conn_peer(conn);
}

static uint64_t tr_now(void *hub)
{
	return net_loop_now(((struct gw_hub *)hub)->loop);
}

static int tr_send(void *hubp, const char *to, struct pb_msg *req, const char **error_r)
{
	struct gw_hub *hub = hubp;
	pb_str_set(&req->reply_to, hub->addr);
	return pb_send(hub->rt, to, req, error_r);
}

/* Keeps a copy of m (routed by owner) to send again on the next ticks. */
static void outbox_keep(struct gw_hub *hub, const struct pb_msg *m)
{
	if (hub->n_outbox >= GW_HUB_MAX_OUTBOX) {
		hub->outbox_dropped++;
		return;
	}
	if (pb_msg_copy(m, &hub->outbox[hub->n_outbox]) == 0)
		hub->n_outbox++;
}

/* Sends what waits in the outbox; what still cannot go stays. */
static void outbox_flush(struct gw_hub *hub)
{
	const char *error;
	size_t kept = 0;

	for (size_t i = 0; i < hub->n_outbox; i++) {
		if (pb_cast(hub->rt, NULL, &hub->outbox[i], &error) == 0)
			pb_msg_free(&hub->outbox[i]);
		else
			hub->outbox[kept++] = hub->outbox[i];
	}
	hub->n_outbox = kept;
	if (hub->outbox_dropped > 0) {
		pb_warn(hub->proto->name, "event=outbox_full dropped=%llu",
			(unsigned long long)hub->outbox_dropped);
		hub->outbox_dropped = 0;
	}
}

/* One-way: a full inbox is not the end of it (the message is sent again later). */
static int tr_cast(void *hubp, const char *to, struct pb_msg *m, const char **error_r)
{
	struct gw_hub *hub = hubp;
	int rc = pb_cast(hub->rt, to, m, error_r);
	if (rc < 0 && to == NULL && strcmp(*error_r, "inbox full") == 0) {
		outbox_keep(hub, m);
		return 0;
	}
	return rc;
}

uint64_t gw_hub_bytes_in_flight(void)
{
	return atomic_load(&budget_used);
}

static bool tr_reserve(void *hub, size_t bytes)
{
	uint64_t used = atomic_load(&budget_used);
	do {
		if (used + bytes > atomic_load(&budget_max))
			return false;
	} while (!atomic_compare_exchange_weak(&budget_used, &used, used + bytes));
	return true;
}

static void tr_release(void *hub, size_t bytes)
{
	/* a session gives back only what it took; should that ever be wrong, the budget stays
	 * at zero rather than wrapping around or ending the daemon */
	uint64_t used = atomic_load(&budget_used);
	while (!atomic_compare_exchange_weak(&budget_used, &used, used > bytes ? used - bytes : 0))
		;
}

static const struct gw_transport hub_transport = {
	.reserve = tr_reserve,
	.release = tr_release,
	.cast = tr_cast,
	.write = tr_write,
	.close = tr_close,
	.pause = tr_pause,
	.set_deadline = tr_set_deadline,
	.output_pending = tr_output_pending,
	.peer = tr_peer,
	.now = tr_now,
	.send = tr_send,
};

static struct gw_session *hub_find(void *hubp, uint64_t id)
{
	struct gw_hub *hub = hubp;
	struct net_conn *c = net_loop_find(hub->loop, id);
	return c != NULL ? &((struct hub_conn *)net_conn_session(c))->gs : NULL;
}

/* ---- net_loop callbacks: each connection's session skeleton around the protocol's ---- */

/* Takes one of the process's connections (false: every one is held, by any hub). */
static bool process_take(void)
{
	if (atomic_fetch_add(&conns_open, 1) < atomic_load(&fd_cap))
		return true;
	atomic_fetch_sub(&conns_open, 1);
	return false;
}

/* Whether a new connection from ip may come in; counts it if so (returns *counted_r), and
 * takes one of the process's connections (given back by release). */
static bool admit(struct gw_hub *hub, const char *ip, bool *counted_r)
{
	enum gw_anvil_verdict v = GW_ANVIL_OK;
	bool trusted = pb_cidr_list_match(&hub->limits.trusted, ip);

	*counted_r = false;
	if (net_loop_conn_count(hub->loop) > hub->limits.max_conns || !process_take()) {
		hub->refused[GW_ANVIL_FULL + 1]++; /* this one is counted in the loop's */
		return false;
	}
	if (trusted)
		return true;
	v = gw_anvil_connect(hub->anvil, ip, net_loop_now(hub->loop), hub->limits.ip_max,
			     hub->limits.ip_rate);
	if (v != GW_ANVIL_OK) {
		hub->refused[v]++;
		atomic_fetch_sub(&conns_open, 1);
		return false;
	}
	*counted_r = true;
	return true;
}

/* Gives back what admit took for the connection of ip. */
static void release(struct gw_hub *hub, const char *ip, bool counted)
{
	atomic_fetch_sub(&conns_open, 1);
	if (counted)
		gw_anvil_disconnect(hub->anvil, ip);
}

static void *on_accept(struct net_conn *c, void *listen_ctx)
{
	struct hub_listen *hl = listen_ctx;
	bool counted;

	if (!admit(hl->hub, net_conn_peer(c), &counted))
		return NULL; /* the loop sends the proto's busy line */
	struct hub_conn *hc = xcalloc(1, sizeof(*hc));
	hc->counted = counted;
	hc->hl = hl;
	hc->c = c;
	hc->gs = (struct gw_session){ .tr = &hub_transport, .hub = hl->hub, .conn = c,
				      .calls = hl->hub->calls, .id = net_conn_id(c),
				      .hub_name = hl->hub->addr, .tls_cur = hl->tls,
				      .tls_handshake_ms = hl->hub->limits.tls_handshake_ms,
				      .tls_sniff = hl->sniff_tls && !hl->implicit_tls && hl->tls != NULL };
	const char *error;
	/* implicit TLS without a certificate is refused at start: no session then either */
	if (!hl->implicit_tls || gw_tls_begin(&hc->gs, &error) == 0)
		hc->gs.session = hl->hub->proto->open(&hc->gs, hl->server);
	if (hc->gs.session == NULL) {
		gw_session_deinit(&hc->gs);
		release(hl->hub, net_conn_peer(c), counted);
		free(hc);
		return NULL;
	}
	hl->sessions++;
	return hc;
}

static void on_input(void *session, struct net_conn *c)
{
	struct hub_conn *hc = session;
	gw_input(&hc->gs, ((struct gw_hub *)hc->gs.hub)->proto, net_conn_input(c));
}

static void on_timeout(void *session, struct net_conn *c)
{
	struct hub_conn *hc = session;
	gw_timeout(&hc->gs, ((struct gw_hub *)hc->gs.hub)->proto);
}

static void on_drain(void *session, struct net_conn *c)
{
	struct hub_conn *hc = session;
	gw_drain(&hc->gs, ((struct gw_hub *)hc->gs.hub)->proto);
}

static void on_close(void *session, struct net_conn *c)
{
	struct hub_conn *hc = session;
	struct gw_hub *hub = hc->gs.hub;
	hub->proto->close(hc->gs.session);
	gw_session_deinit(&hc->gs);
	hc->hl->sessions--;
	release(hub, net_conn_peer(c), hc->counted);
	free(hc);
}

static const struct net_proto hub_net_proto = {
	.on_accept = on_accept,
	.on_input = on_input,
	.on_timeout = on_timeout,
	.on_close = on_close,
	.on_drain = on_drain,
};

/* Drains the inbox: replies to their calls, events to their sessions. */
static void on_inbox(void *arg)
{
	struct gw_hub *hub = arg;
	struct pb_msg m;

	while (pb_inbox_recv(hub->inbox, &m, 0) == 1) {
		if (gw_dispatch(hub->calls, hub_find, hub, hub->proto, &m) < 0)
			atomic_fetch_add(&hub->strays, 1);
		pb_msg_free(&m);
	}
}

static bool conn_busy(void *session)
{
	return ((struct hub_conn *)session)->gs.pending > 0;
}

static bool conn_must_finish(void *session)
{
	const struct gw_session *gs = &((struct hub_conn *)session)->gs;
	return gs->pending > 0 && gs->must_finish;
}

static void conn_goodbye(void *session, struct net_conn *c)
{
	struct hub_conn *hc = session;
	gw_goodbye(&hc->gs, ((struct gw_hub *)hc->gs.hub)->proto);
}

static void run_round(struct gw_hub *hub, int wait_ms, uint64_t *next_expire)
{
	net_loop_run_once(hub->loop, wait_ms);
	uint64_t now = net_loop_now(hub->loop);
	if (now >= *next_expire) {
		gw_dispatch_expired(hub->calls, hub_find, hub, now);
		if (hub->n_outbox > 0)
			outbox_flush(hub);
		*next_expire = now + GW_HUB_EXPIRE_MS;
	}
}

/* The certificate the first listener with TLS presents now (after a reload: the new one). */
static void report_tls(struct gw_hub *hub, struct pb_rec_tls_cert_list *l)
{
	struct pb_tls_cert_info info;

	for (size_t i = 0; i < hub->n_listen; i++) {
		if (hub->listen[i].tls == NULL)
			continue;
		struct pb_tls_ctx *ctx = pb_tls_current_get(hub->listen[i].tls);
		pb_tls_ctx_info(ctx, &info);
		pb_tls_ctx_unref(&ctx);
		struct pb_rec_tls_cert *c = pb_rec_tls_cert_push(l);
		c->subject = xstrdup(info.subject);
		c->names = xstrdup(info.names);
		c->not_after = info.not_after;
		c->self_signed = info.self_signed;
		c->generated = info.generated;
		c->sha256 = xstrdup(info.sha256);
		c->issuer = xstrdup(info.issuer);
		return;
	}
}

/* Tells sys what the status shows of this gateway: listeners, sessions per service, the
 * protocol's counts. A report that cannot go (sys gone, its inbox full) is simply the next
 * second's to make. */
static void report_stats(struct gw_hub *hub)
{
	struct sys_gateway_stats st = { .gateway = hub->proto->name };
	struct gw_counters counted = { 0 };
	const char *state = net_loop_accepting(hub->loop) ? "listening" : "paused";
	const char *error;

	for (size_t i = 0; i < hub->n_bound; i++) {
		struct pb_rec_listener *l = pb_rec_listener_push(&st.listeners);
		l->service = xstrdup(hub->bound[i].service);
		l->address = xstrdup(hub->bound[i].host);
		l->port = hub->bound[i].port;
		l->state = xstrdup(state);
		l->tls = xstrdup(hub->bound[i].tls);
	}
	for (size_t i = 0; i < hub->n_listen; i++) {
		struct pb_rec_service_stat *sv = pb_rec_service_stat_push(&st.services);
		sv->service = xstrdup(hub->listen[i].service);
		sv->sessions = hub->listen[i].sessions;
	}
	report_tls(hub, &st.tls);
	if (hub->proto->counters != NULL)
		hub->proto->counters(hub->tick_ctx, &counted);
	st.received = counted.received;
	st.rcpts_refused = counted.rcpts_refused;
	st.rejected = counted.rejected;
	(void)sys_client_gateway_stats_cast(hub->rt, &st, &error);
}

/* Once a second: the limits from the settings, the per-IP table swept, refusals logged, the
 * figures reported to sys. */
static void hub_tick(struct gw_hub *hub, uint64_t now)
{
	const struct pb_settings *s = pb_settings_acquire(hub->rt);
	uint32_t cap = hub->proto->max_connections != NULL ? hub->proto->max_connections(s)
							  : NET_MAX_CONNS;

	hub->limits = (struct hub_limits){ cap < NET_MAX_CONNS ? cap : NET_MAX_CONNS,
					   s->limits.ip_max_connections,
					   s->limits.ip_connections_per_minute,
					   s->security.tls_handshake_timeout_s * 1000u,
					   s->limits.trusted_networks.list };
	atomic_store(&budget_max, (uint64_t)s->limits.message_bytes_in_flight_mb << 20);
	if (hub->proto->tick != NULL)
		hub->proto->tick(hub->tick_ctx, s, now);
	pb_settings_release(hub->rt, s);
	gw_anvil_sweep(hub->anvil, now);
	outbox_flush(hub);
	for (size_t i = 1; i < PB_N_ELEMENTS(hub->refused); i++) {
		if (hub->refused[i] == 0)
			continue;
		pb_warn(hub->proto->name, "event=connections_refused reason=%s count=%llu",
			i <= GW_ANVIL_FULL ? gw_anvil_verdict_name((enum gw_anvil_verdict)i)
					   : "service_connection_limit",
			(unsigned long long)hub->refused[i]);
		hub->refused[i] = 0;
	}
	if (hub->n_listen > 0)
		report_stats(hub);
}

static void *hub_main(void *arg)
{
	struct gw_hub *hub = arg;
	uint64_t next_tick = 0, next_expire = 0;
	char tname[16];

	snprintf(tname, sizeof(tname), "%.11s-hub", hub->proto->name);
	pthread_setname_np(pthread_self(), tname);

	while (!atomic_load(&hub->stop)) {
		run_round(hub, GW_HUB_EXPIRE_MS, &next_expire);
		uint64_t now = net_loop_now(hub->loop);
		if (now >= next_tick) {
			hub_tick(hub, now);
			next_tick = now + 1000;
		}
	}
	net_loop_stop_listening(hub->loop);
	/* let sessions with calls in flight finish them */
	uint64_t deadline = net_loop_now(hub->loop) + GW_HUB_DRAIN_MS;
	while (net_loop_now(hub->loop) < deadline && net_loop_each_busy(hub->loop, conn_busy) > 0)
		run_round(hub, 50, &next_expire);
	/* commits may take longer: each ends by its answer or its own deadline */
	while (net_loop_each_busy(hub->loop, conn_must_finish) > 0)
		run_round(hub, 50, &next_expire);
	net_loop_each_shutdown(hub->loop, conn_goodbye);
	/* a last round flushes the goodbyes that fit in the socket buffers */
	net_loop_run_once(hub->loop, 0);
	return NULL;
}

static int listen_all(struct gw_hub *hub, const struct gw_listen *ls, size_t n_ls, char **error_r)
{
	const char *error;

	for (size_t i = 0; i < n_ls; i++) {
		ASSERT(hub->n_listen < GW_HUB_MAX_LISTEN);
		struct hub_listen *hl = &hub->listen[hub->n_listen++];
		*hl = (struct hub_listen){ .hub = hub, .server = ls[i].server, .tls = ls[i].tls,
					   .implicit_tls = ls[i].implicit_tls,
					   .sniff_tls = ls[i].sniff_tls };
		if (ls[i].implicit_tls && ls[i].tls == NULL && ls[i].n > 0) {
			*error_r = xasprintf("%s: implicit TLS needs a certificate", ls[i].service);
			return -1;
		}
		snprintf(hl->service, sizeof(hl->service), "%s", ls[i].service);
		for (size_t j = 0; j < ls[i].n; j++) {
			const struct pb_binding *b = &ls[i].bindings[j];
			if (net_loop_listen(hub->loop, b->host, b->port,
					    hl->implicit_tls ? &hub->net_proto_tls : &hub->net_proto,
					    hl, &error) < 0) {
				*error_r = xasprintf("%s %s:%u: %s", ls[i].service, b->host,
						     (unsigned)b->port, error);
				return -1;
			}
			pb_info(hub->proto->name, "event=listening service=%s address=%s port=%u",
				ls[i].service, b->host, (unsigned)b->port);
			if (hub->n_bound < GW_HUB_MAX_LISTEN) {
				struct hub_bound *hb = &hub->bound[hub->n_bound++];
				hb->service = hl->service;
				hb->tls = hl->tls == NULL ? "none"
					  : hl->implicit_tls ? "implicit"
					  : hl->sniff_tls    ? "sniffed"
							     : "starttls";
				snprintf(hb->host, sizeof(hb->host), "%s", b->host);
				hb->port = b->port;
			}
		}
	}
	return 0;
}

static void hub_free(struct gw_hub *hub)
{
	net_loop_destroy(&hub->loop);
	pb_inbox_close(&hub->inbox);
	gw_calls_destroy(&hub->calls);
	gw_anvil_destroy(&hub->anvil);
	outbox_flush(hub);
	for (size_t i = 0; i < hub->n_outbox; i++)
		pb_msg_free(&hub->outbox[i]);
	free(hub->outbox);
	free(hub->tick_ctx);
	free(hub);
}

int gw_hub_start(struct pb_runtime *rt, const struct gw_proto *proto, const struct gw_listen *ls,
		 size_t n_ls, void *tick_ctx, struct gw_hub **hub_r, char **error_r)
{
	struct gw_hub *hub = xcalloc(1, sizeof(*hub));
	const char *error;

	hub->rt = rt;
	hub->proto = proto;
	pb_runtime_address(rt, proto->name, hub->addr, sizeof(hub->addr));
	hub->tick_ctx = tick_ctx;
	hub->loop = net_loop_create(hub_clock, NULL);
	hub->calls = gw_calls_create(GW_HUB_MAX_CALLS);
	hub->anvil = gw_anvil_create(GW_HUB_MAX_IPS);
	hub->outbox = xcalloc(GW_HUB_MAX_OUTBOX, sizeof(*hub->outbox));
	hub->net_proto = hub_net_proto;
	hub->net_proto.busy = proto->busy;
	hub->net_proto_tls = hub_net_proto;
	hub->net_proto_tls.busy = gw_tls_busy_alert;
	hub->net_proto_tls.busy_len = sizeof(gw_tls_busy_alert);
	hub_tick(hub, net_loop_now(hub->loop));
	if (listen_all(hub, ls, n_ls, error_r) < 0 ||
	    (pb_inbox_open(rt, proto->name, 4096, &hub->inbox, &error) < 0 &&
	     (*error_r = xasprintf("%s: %s", proto->name, error)) != NULL)) {
		hub_free(hub);
		return -1;
	}
	net_loop_watch(hub->loop, pb_inbox_fd(hub->inbox), on_inbox, hub);
	if (pthread_create(&hub->thread, NULL, hub_main, hub) != 0)
		PANIC("cannot start the %s hub thread", proto->name);
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
	hub_free(hub);
	*hubp = NULL;
}
