/*
 * pb-runtime.c: the runtime registry, address resolution, sending, and callers.
 * OWNS the actor registry, the named receiving queues (ports: actors' inboxes, callers' reply
 * ports, event loops' inboxes; pb-mq.h says why they are not nng sockets) and the shard table,
 * all under rt->lock. THREAD: see pb-runtime.h.
 */
#include "pb-runtime-private.h"

#include "pb-log.h"
#include "pb-settings-snapshot.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t pb_clock_monotonic_ms(void *ctx)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t pb_clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct pb_runtime *pb_runtime_create(const char *node, const struct pb_clock *clock)
{
	struct pb_runtime *rt = xcalloc(1, sizeof(*rt));
	ASSERT(pb_node_name_valid(node));
	snprintf(rt->node, sizeof(rt->node), "%s", node);
	if (clock != NULL)
		rt->clock = *clock;
	else
		rt->clock.now_ms = pb_clock_monotonic_ms;
	pthread_mutex_init(&rt->lock, NULL);
	rt->settings = pb_settings_holder_create();
	return rt;
}

void pb_runtime_destroy(struct pb_runtime **rtp)
{
	struct pb_runtime *rt = *rtp;
	if (rt == NULL)
		return;
	pb_runtime_stop(rt);
	for (size_t i = 0; i < rt->n_ports; i++)
		pb_mq_unref(rt->ports[i].q);
	free(rt->ports);
	pb_settings_holder_destroy(&rt->settings);
	pthread_mutex_destroy(&rt->lock);
	free(rt);
	*rtp = NULL;
}

uint64_t pb_runtime_now_ms(struct pb_runtime *rt)
{
	return rt->clock.now_ms(rt->clock.ctx);
}

uint64_t pb_runtime_wall_ms(struct pb_runtime *rt)
{
	return rt->wall.now_ms != NULL ? rt->wall.now_ms(rt->wall.ctx) : pb_clock_wall_ms();
}

void pb_runtime_set_wall_clock(struct pb_runtime *rt, const struct pb_clock *wall)
{
	rt->wall = *wall;
}

const char *pb_runtime_node(struct pb_runtime *rt)
{
	return rt->node;
}

void pb_runtime_generation_set(struct pb_runtime *rt, enum pb_generation g, uint64_t value)
{
	if (g < PB_GEN_COUNT)
		atomic_store_explicit(&rt->generations[g], value, memory_order_release);
}

uint64_t pb_runtime_generation(struct pb_runtime *rt, enum pb_generation g)
{
	return g < PB_GEN_COUNT ? atomic_load_explicit(&rt->generations[g], memory_order_acquire)
				: 0;
}

void pb_runtime_address(struct pb_runtime *rt, const char *name, char *addr, size_t size)
{
	snprintf(addr, size, "%s/%s", rt->node, name);
}

int pb_runtime_resolve(struct pb_runtime *rt, const char *addr, char *local, size_t size,
		       const char **error_r)
{
	const char *node, *name;
	size_t node_len;

	if (pb_addr_split(addr, &node, &node_len, &name) < 0 || strlen(name) >= PB_ADDR_MAX ||
	    (node_len != 0 && (node_len != strlen(rt->node) || memcmp(node, rt->node, node_len) != 0))) {
		*error_r = "unreachable"; /* another node: no cluster transport yet */
		return -1;
	}
	snprintf(local, size, "%s", name);
	return 0;
}

void pb_runtime_set_shards(struct pb_runtime *rt, const char *owner, uint32_t n)
{
	pthread_mutex_lock(&rt->lock);
	ASSERT(rt->n_shards < PB_MAX_SHARDED && n > 0);
	snprintf(rt->shards[rt->n_shards].owner, PB_ADDR_MAX, "%s", owner);
	rt->shards[rt->n_shards++].n = n;
	pthread_mutex_unlock(&rt->lock);
}

/* Mixes a shard key (splitmix64's finaliser): keys that differ only in high bits, such as
 * connection ids (slot | generation << 16), still spread over every shard. */
static uint64_t shard_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint32_t pb_shard_index(uint64_t key, uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(shard_mix(key) % n);
}

/* shard_mix undone, step by step (xorshifts undone by repeating them, the multiplications by
 * the odd constants' inverses modulo 2^64). */
static uint64_t shard_unmix(uint64_t x)
{
	x ^= x >> 31 ^ x >> 62;
	x *= 0x319642b2d24d8ec3ull;
	x ^= x >> 27 ^ x >> 54;
	x *= 0x96de1b173f119089ull;
	return x ^ x >> 30 ^ x >> 60;
}

uint64_t pb_shard_key(uint32_t k)
{
	return shard_unmix(k);
}

void pb_route(struct pb_runtime *rt, const struct pb_msg *m, char *addr, size_t size)
{
	const char *owner = pb_msg_owner(m->type);
	uint64_t key;

	snprintf(addr, size, "%s", owner);
	if (!pb_msg_shard_key(m, &key))
		return;
	pthread_mutex_lock(&rt->lock);
	for (size_t i = 0; i < rt->n_shards; i++) {
		if (strcmp(rt->shards[i].owner, owner) == 0) {
			snprintf(addr, size, "%s.%u", owner, (unsigned)pb_shard_index(key, rt->shards[i].n));
			break;
		}
	}
	pthread_mutex_unlock(&rt->lock);
}

int pb_actor_shard(struct pb_actor *a, uint32_t *index_r, uint32_t *count_r)
{
	struct pb_runtime *rt = a->rt;
	const char *dot = strrchr(a->name, '.');
	int rc = -1;

	if (dot == NULL || dot[1] == '\0')
		return -1;
	pthread_mutex_lock(&rt->lock);
	for (size_t i = 0; i < rt->n_shards; i++) {
		const char *owner = rt->shards[i].owner;
		if (strlen(owner) == (size_t)(dot - a->name) &&
		    strncmp(owner, a->name, strlen(owner)) == 0) {
			*index_r = (uint32_t)strtoul(dot + 1, NULL, 10);
			*count_r = rt->shards[i].n;
			rc = *index_r < *count_r ? 0 : -1;
			break;
		}
	}
	pthread_mutex_unlock(&rt->lock);
	return rc;
}

static struct pb_actor *find_actor_locked(struct pb_runtime *rt, const char *addr)
{
	for (size_t i = 0; i < rt->n_actors; i++) {
		if (strcmp(rt->actors[i]->name, addr) == 0)
			return rt->actors[i];
	}
	return NULL;
}

static struct pb_port *find_port_locked(struct pb_runtime *rt, const char *name)
{
	for (size_t i = 0; i < rt->n_ports; i++) {
		if (strcmp(rt->ports[i].name, name) == 0)
			return &rt->ports[i];
	}
	return NULL;
}

int pb_runtime_port_add(struct pb_runtime *rt, const char *name, struct pb_mq *q,
			const char **error_r)
{
	pthread_mutex_lock(&rt->lock);
	if (strlen(name) >= PB_ADDR_MAX || find_port_locked(rt, name) != NULL) {
		pthread_mutex_unlock(&rt->lock);
		*error_r = "name taken";
		return -1;
	}
	rt->ports = xrealloc(rt->ports, sizeof(*rt->ports) * (rt->n_ports + 1));
	struct pb_port *p = &rt->ports[rt->n_ports++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->q = q;
	p->loop = false;
	pb_mq_ref(q);
	pthread_mutex_unlock(&rt->lock);
	return 0;
}

void pb_runtime_forget(struct pb_runtime *rt, const char *addr)
{
	struct pb_mq *q = NULL;

	pthread_mutex_lock(&rt->lock);
	struct pb_port *p = find_port_locked(rt, addr);
	if (p != NULL) {
		q = p->q;
		*p = rt->ports[--rt->n_ports];
	}
	pthread_mutex_unlock(&rt->lock);
	pb_mq_unref(q);
}

int pb_runtime_send_bytes(struct pb_runtime *rt, const char *addr, const void *data, size_t len,
			  bool nonblock, const char **error_r)
{
	struct pb_mq *q = NULL;

	if (len > PB_MSG_MAX_SIZE) { /* the decoder would refuse it: pb-msg.c put_mem */
		*error_r = "message too large";
		return -1;
	}

	pthread_mutex_lock(&rt->lock);
	struct pb_port *p = find_port_locked(rt, addr);
	if (p != NULL) {
		q = p->q;
		pb_mq_ref(q);
	}
	pthread_mutex_unlock(&rt->lock);
	if (q == NULL) {
		*error_r = "unreachable";
		return -1;
	}
	int rc = pb_mq_push(q, data, len, nonblock);
	pb_mq_unref(q);
	if (rc == PB_MQ_OK)
		return 0;
	*error_r = rc == PB_MQ_FULL ? "inbox full" : "unreachable"; /* counted by the queue */
	return -1;
}
int pb_send(struct pb_runtime *rt, const char *to, const struct pb_msg *m, const char **error_r)
{
	char addr[PB_ADDR_MAX];
	struct pb_buf b;
	struct pb_msg session_evt;
	char *hash;

	if (to == NULL)
		pb_route(rt, m, addr, sizeof(addr));
	else if (pb_runtime_resolve(rt, to, addr, sizeof(addr), error_r) < 0)
		return -1;
	if ((hash = strchr(addr, '#')) != NULL) {
		/* "hub#session": the hub's inbox, the session id in corr (an event's corr is
		 * otherwise unused) */
		*hash = '\0';
		session_evt = *m; /* shallow: only read by the encoder */
		session_evt.corr = strtoull(hash + 1, NULL, 10);
		m = &session_evt;
	}
	to = addr;
	pb_buf_init(&b);
	pb_msg_encode(m, &b);
	int rc = pb_runtime_send_bytes(rt, to, b.data, b.len, true, error_r);
	pb_buf_deinit(&b);
	return rc;
}

int pb_cast(struct pb_runtime *rt, const char *to, struct pb_msg *m, const char **error_r)
{
	free(m->reply_to);
	m->reply_to = NULL;
	return pb_send(rt, to, m, error_r);
}

int pb_mq_recv_msg(struct pb_mq *q, int timeout_ms, struct pb_msg *m_r, atomic_uint_fast64_t *bad)
{
	const char *error;
	void *data;
	size_t len;

	for (;;) {
		int rc = pb_mq_pop(q, timeout_ms, &data, &len);
		if (rc <= 0)
			return rc;
		rc = pb_msg_decode(data, len, m_r, &error);
		free(data);
		if (rc == 0)
			return 1;
		if (bad != NULL)
			atomic_fetch_add(bad, 1);
		pb_warn("runtime", "event=bad_message reason=%s", PB_LOGQ(error));
	}
}

/* ---- callers ---- */

/* A caller waits for one reply at a time; the rest of its port's room is for late replies to
 * calls that timed out, dropped as they are read. */
#define CALLER_PORT_SIZE 64

struct pb_caller {
	struct pb_runtime *rt;
	char addr[PB_ADDR_MAX];   /* the reply port's local name */
	char qaddr[PB_QADDR_MAX]; /* NODE/addr: the reply_to of its calls */
	struct pb_mq *q;
	uint64_t next_corr;
};

struct pb_caller *pb_caller_create(struct pb_runtime *rt)
{
	struct pb_caller *c = xcalloc(1, sizeof(*c));
	const char *error;

	c->rt = rt;
	snprintf(c->addr, sizeof(c->addr), "reply.%llu",
		 (unsigned long long)atomic_fetch_add(&rt->next_port, 1));
	pb_runtime_address(rt, c->addr, c->qaddr, sizeof(c->qaddr));
	c->q = pb_mq_create(CALLER_PORT_SIZE, false);
	if (c->q == NULL || pb_runtime_port_add(rt, c->addr, c->q, &error) < 0)
		PANIC("cannot open the reply port %s", c->addr);
	return c;
}

void pb_caller_destroy(struct pb_caller **cp)
{
	struct pb_caller *c = *cp;
	if (c == NULL)
		return;
	pb_runtime_forget(c->rt, c->addr);
	pb_mq_close(c->q);
	pb_mq_unref(c->q);
	free(c);
	*cp = NULL;
}

int pb_call(struct pb_caller *c, const char *to, struct pb_msg *req, struct pb_msg *rep_r,
	    uint32_t timeout_ms, const char **error_r)
{
	uint64_t deadline = pb_clock_monotonic_ms(NULL) + timeout_ms;

	req->corr = ++c->next_corr;
	pb_str_set(&req->reply_to, c->qaddr);
	if (pb_send(c->rt, to, req, error_r) < 0)
		return -1;
	for (;;) {
		uint64_t now = pb_clock_monotonic_ms(NULL);
		if (now >= deadline) {
			*error_r = "timed out";
			return -1;
		}
		int rc = pb_mq_recv_msg(c->q, (int)(deadline - now), rep_r, NULL);
		if (rc < 0) {
			*error_r = "reply port closed";
			return -1;
		}
		if (rc == 0)
			continue;
		if (rep_r->corr == req->corr)
			return 0;
		pb_msg_free(rep_r); /* a late reply to an earlier call that timed out */
	}
}

/* ---- registry ---- */

size_t pb_runtime_stats(struct pb_runtime *rt, struct pb_actor_stats *out, size_t max)
{
	pthread_mutex_lock(&rt->lock);
	size_t n = rt->n_actors;
	for (size_t i = 0; i < n && i < max; i++) {
		struct pb_actor *a = rt->actors[i];
		snprintf(out[i].name, sizeof(out[i].name), "%s", a->name);
		out[i].handled = atomic_load(&a->handled);
		out[i].restarts = atomic_load(&a->restarts);
		out[i].inbox_full = pb_mq_full_count(a->inbox);
		out[i].bad_messages = atomic_load(&a->bad_messages);
		out[i].queued = pb_mq_depth(a->inbox);
		out[i].running = atomic_load(&a->running);
	}
	pthread_mutex_unlock(&rt->lock);
	return n;
}

void pb_runtime_latency_note(struct pb_runtime *rt, enum pb_latency which, uint64_t us)
{
	if ((size_t)which >= PB_LAT_COUNT)
		return;
	atomic_fetch_add_explicit(&rt->latency[which][pb_latency_bucket(us)], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&rt->latency_sum_us[which], us, memory_order_relaxed);
}

void pb_runtime_latency_read(struct pb_runtime *rt, enum pb_latency which, uint64_t *counts_r,
			     uint64_t *sum_us_r)
{
	*sum_us_r = 0;
	for (size_t i = 0; i <= PB_LATENCY_BOUNDS; i++)
		counts_r[i] = (size_t)which < PB_LAT_COUNT ? atomic_load(&rt->latency[which][i]) : 0;
	if ((size_t)which < PB_LAT_COUNT)
		*sum_us_r = atomic_load(&rt->latency_sum_us[which]);
}

void pb_runtime_refusal_note(struct pb_runtime *rt, enum pb_refusal why)
{
	if ((size_t)why < PB_REFUSED_COUNT)
		atomic_fetch_add_explicit(&rt->refusals[why], 1, memory_order_relaxed);
}

uint64_t pb_runtime_refusals(struct pb_runtime *rt, enum pb_refusal why)
{
	return (size_t)why < PB_REFUSED_COUNT ? atomic_load(&rt->refusals[why]) : 0;
}

void pb_runtime_received_note(struct pb_runtime *rt, enum pb_received from)
{
	if (rt != NULL && (size_t)from < PB_RECEIVED_COUNT)
		atomic_fetch_add_explicit(&rt->received[from], 1, memory_order_relaxed);
}

uint64_t pb_runtime_received(struct pb_runtime *rt, enum pb_received from)
{
	return rt != NULL && (size_t)from < PB_RECEIVED_COUNT ? atomic_load(&rt->received[from]) : 0;
}

bool pb_runtime_handles(struct pb_runtime *rt, const char *addr, enum pb_msg_type type)
{
	pthread_mutex_lock(&rt->lock);
	struct pb_actor *a = find_actor_locked(rt, addr);
	bool handles = a != NULL && pb_msg_type_valid(type) && a->by_type[type] != NULL;
	pthread_mutex_unlock(&rt->lock);
	return handles;
}

static int build_handler_index(struct pb_actor *a, const char **error_r)
{
	for (size_t i = 0; i < a->def.n_handlers; i++) {
		enum pb_msg_type t = a->def.handlers[i].type;
		if (!pb_msg_type_valid(t) || a->by_type[t] != NULL) {
			*error_r = "handler table names an unknown type or a type twice";
			return -1;
		}
		a->by_type[t] = a->def.handlers[i].fn;
	}
	return 0;
}

int pb_runtime_start(struct pb_runtime *rt, const struct pb_actor_def *def, void *arg,
		     const char **error_r)
{
	struct pb_actor *a = xcalloc(1, sizeof(*a));

	a->rt = rt;
	a->def = *def;
	a->arg = arg;
	snprintf(a->name, sizeof(a->name), "%s", def->name);
	a->def.name = a->name; /* the caller's name buffer may be temporary */
	pb_runtime_address(rt, a->name, a->qname, sizeof(a->qname));
	if (build_handler_index(a, error_r) < 0) {
		free(a);
		return -1;
	}
	a->inbox = pb_mq_create(def->inbox_size != 0 ? def->inbox_size : PB_DEFAULT_INBOX, false);
	if (a->inbox == NULL || pb_runtime_port_add(rt, a->name, a->inbox, error_r) < 0) {
		pb_mq_unref(a->inbox);
		free(a);
		*error_r = "cannot bind the actor's inbox (name taken?)";
		return -1;
	}
	pthread_mutex_lock(&rt->lock);
	ASSERT(rt->n_actors < PB_MAX_ACTORS);
	rt->actors[rt->n_actors++] = a;
	pthread_mutex_unlock(&rt->lock);
	if (pthread_create(&a->thread, NULL, pb_actor_thread, a) != 0)
		PANIC("cannot start a thread for actor %s", a->name);
	a->thread_started = true;
	return 0;
}

int pb_runtime_start_shards(struct pb_runtime *rt, const struct pb_actor_def *def, uint32_t n,
			    void *arg, const char **error_r)
{
	char name[PB_ADDR_MAX];
	struct pb_actor_def shard = *def;

	if (n == 0 || n > PB_MAX_SHARDS_PER_OWNER) {
		*error_r = "the number of shards must be 1 to 64";
		return -1;
	}
	pb_runtime_set_shards(rt, def->name, n);
	shard.name = name;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s.%u", def->name, i);
		if (pb_runtime_start(rt, &shard, arg, error_r) < 0)
			return -1;
	}
	return 0;
}

static void stop_actor(struct pb_runtime *rt, struct pb_actor *a)
{
	struct pb_msg m;
	struct pb_buf b;
	const char *error;

	pb_msg_init(&m, MSG_RT_STOP_EVT);
	pb_buf_init(&b);
	pb_msg_encode(&m, &b);
	/* Blocking send: the stop queues behind everything already in the inbox. */
	if (pb_runtime_send_bytes(rt, a->name, b.data, b.len, false, &error) < 0)
		pb_mq_close(a->inbox); /* cannot queue it: close, the thread ends on -1 */
	pb_buf_deinit(&b);
	pthread_join(a->thread, NULL);
	pb_runtime_forget(rt, a->name);
	pb_mq_close(a->inbox);
	pb_mq_unref(a->inbox);
}

void pb_runtime_stop_begin(struct pb_runtime *rt)
{
	atomic_store(&rt->stopping, true);
}

bool pb_runtime_stopping(struct pb_runtime *rt)
{
	return atomic_load(&rt->stopping);
}

void pb_runtime_stop(struct pb_runtime *rt)
{
	atomic_store(&rt->stopping, true);
	for (;;) {
		pthread_mutex_lock(&rt->lock);
		struct pb_actor *a = rt->n_actors > 0 ? rt->actors[rt->n_actors - 1] : NULL;
		pthread_mutex_unlock(&rt->lock);
		if (a == NULL)
			return;
		stop_actor(rt, a);
		pthread_mutex_lock(&rt->lock);
		rt->n_actors--;
		pthread_mutex_unlock(&rt->lock);
		free(a);
	}
}

void pb_runtime_wake_all(struct pb_runtime *rt)
{
	struct pb_msg m;
	const char *error;
	char names[PB_MAX_ACTORS][PB_ADDR_MAX];
	size_t n;

	pthread_mutex_lock(&rt->lock);
	n = rt->n_actors;
	for (size_t i = 0; i < n; i++)
		memcpy(names[i], rt->actors[i]->name, PB_ADDR_MAX);
	pthread_mutex_unlock(&rt->lock);
	pb_msg_init(&m, MSG_RT_WAKE_EVT);
	for (size_t i = 0; i < n; i++)
		(void)pb_send(rt, names[i], &m, &error);
}

/* ---- inboxes for event loops ---- */

struct pb_inbox {
	struct pb_runtime *rt;
	char addr[PB_ADDR_MAX];
	struct pb_mq *q;
	atomic_uint_fast64_t bad;
};

int pb_inbox_open(struct pb_runtime *rt, const char *name, uint32_t size, struct pb_inbox **in_r,
		  const char **error_r)
{
	struct pb_inbox *in = xcalloc(1, sizeof(*in));

	in->rt = rt;
	snprintf(in->addr, sizeof(in->addr), "%s", name);
	in->q = pb_mq_create(size != 0 ? size : PB_DEFAULT_INBOX, true);
	if (in->q == NULL || pb_runtime_port_add(rt, name, in->q, error_r) < 0) {
		pb_mq_unref(in->q);
		free(in);
		*error_r = "cannot bind the inbox (name taken?)";
		return -1;
	}
	pthread_mutex_lock(&rt->lock);
	find_port_locked(rt, name)->loop = true;
	pthread_mutex_unlock(&rt->lock);
	*in_r = in;
	return 0;
}

size_t pb_inbox_stats(struct pb_runtime *rt, struct pb_inbox_stats *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&rt->lock);
	for (size_t i = 0; i < rt->n_ports; i++) {
		const struct pb_port *p = &rt->ports[i];
		if (!p->loop)
			continue;
		if (n < max) {
			snprintf(out[n].name, sizeof(out[n].name), "%s", p->name);
			out[n].queued = pb_mq_depth(p->q);
			out[n].inbox_full = pb_mq_full_count(p->q);
		}
		n++;
	}
	pthread_mutex_unlock(&rt->lock);
	return n;
}

void pb_inbox_close(struct pb_inbox **inp)
{
	struct pb_inbox *in = *inp;
	if (in == NULL)
		return;
	pb_runtime_forget(in->rt, in->addr);
	pb_mq_close(in->q);
	pb_mq_unref(in->q);
	free(in);
	*inp = NULL;
}

int pb_inbox_fd(struct pb_inbox *in)
{
	return pb_mq_fd(in->q);
}

int pb_inbox_recv(struct pb_inbox *in, struct pb_msg *m_r, int timeout_ms)
{
	return pb_mq_recv_msg(in->q, timeout_ms, m_r, &in->bad);
}
