/*
 * pb-runtime-private.h: the runtime's internal structures, shared by pb-runtime.c (registry,
 * routing, sending, callers), pb-actor.c (actor threads, supervisor, timers) and pb-bridge.c.
 * Nothing outside runtime/ includes this header or nng.
 */
#ifndef PB_RUNTIME_PRIVATE_H
#define PB_RUNTIME_PRIVATE_H

#include "pb-mq.h"
#include "pb-runtime.h"

#include <nng/nng.h>
#include <pthread.h>
#include <stdatomic.h>

#define PB_MAX_ACTORS 256
#define PB_MAX_SHARDED 8
#define PB_MAX_TIMERS 16
#define PB_ADDR_MAX 64 /* a local symbolic name */
#define PB_QADDR_MAX (PB_NODE_NAME_MAX + 1 + PB_ADDR_MAX) /* NODE/NAME */
#define PB_DEFAULT_INBOX 1024

struct pb_timer {
	uint32_t id;
	bool armed;
	uint64_t due_ms;
};

struct pb_actor {
	struct pb_runtime *rt;
	struct pb_actor_def def;
	char name[PB_ADDR_MAX];
	char qname[PB_QADDR_MAX]; /* NODE/name: its reply_to */
	void *arg;
	void *state;
	bool ready;              /* init succeeded */
	uint64_t next_init_ms;   /* when to retry a failed init */
	uint32_t init_failures;
	struct pb_mq *inbox;
	pthread_t thread;
	bool thread_started;
	struct pb_caller *caller; /* created lazily on the actor thread */
	/* the handler index by message type, built at start */
	int (*by_type[MSG_TYPE_COUNT])(struct pb_actor *, void *, struct pb_msg *);
	struct pb_timer timers[PB_MAX_TIMERS];
	/* the message being handled */
	const struct pb_msg *cur;
	bool replied, deferred;
	uint64_t send_corr; /* the correlation id of pb_actor_sender's next send */
	uint32_t since_idle; /* messages handled since on_idle last ran */
	/* counters, read by other threads */
	atomic_uint_fast64_t handled, restarts, bad_messages; /* inbox full: counted by inbox */
	atomic_bool running;
};

/* A receiver's name and queue: an actor's inbox, a caller's reply port or an event loop's
 * inbox. The registry holds a reference to the queue. */
struct pb_port {
	char name[PB_ADDR_MAX];
	struct pb_mq *q;
	bool loop; /* an event loop's inbox (pb_inbox_open) */
};

struct pb_runtime {
	char node[PB_ADDR_MAX];
	struct pb_clock clock;
	struct pb_clock wall; /* now_ms NULL: the real wall clock (pb_runtime_set_wall_clock) */
	pthread_mutex_t lock; /* guards actors[], ports[] and shards[] */
	atomic_bool stopping; /* pb_runtime_stop has begun (any thread reads it) */
	struct pb_actor *actors[PB_MAX_ACTORS];
	size_t n_actors;
	struct pb_port *ports;
	size_t n_ports;
	struct {
		char owner[PB_ADDR_MAX];
		uint32_t n;
	} shards[PB_MAX_SHARDED];
	size_t n_shards;
	atomic_uint_fast64_t next_port; /* unique caller port numbers */
	struct pb_settings_holder *settings; /* the current settings snapshot */
	atomic_uint_fast64_t generations[PB_GEN_COUNT]; /* pb_runtime_generation */
	/* pb_runtime_latency_note: per histogram, per bucket (the last +Inf), and the sum */
	atomic_uint_fast64_t latency[PB_LAT_COUNT][PB_LATENCY_BOUNDS + 1];
	atomic_uint_fast64_t latency_sum_us[PB_LAT_COUNT];
	atomic_uint_fast64_t refusals[PB_REFUSED_COUNT]; /* pb_runtime_refusal_note */
	atomic_uint_fast64_t received[PB_RECEIVED_COUNT]; /* pb_runtime_received_note */
};

/* Sends encoded bytes to addr. nonblock: fail at once when the inbox is full. Returns 0, or -1
 * with error_r. Counts "inbox full" on the target actor when it is local. */
int pb_runtime_send_bytes(struct pb_runtime *rt, const char *addr, const void *data, size_t len,
			  bool nonblock, const char **error_r);
/* Resolves addr (qualified or bare, pb-runtime.h) to a local name written into local (size >=
 * PB_ADDR_MAX). Returns 0, or -1 with error_r "unreachable" for another node's address or a
 * malformed one. */
int pb_runtime_resolve(struct pb_runtime *rt, const char *addr, char *local, size_t size,
		       const char **error_r);
/* Names the queue q (taking a reference) so that sends to name reach it. Returns 0, or -1 with
 * error_r when the name is taken. */
int pb_runtime_port_add(struct pb_runtime *rt, const char *name, struct pb_mq *q,
			const char **error_r);
/* Forgets the name addr (its receiver is gone) and drops the registry's reference. */
void pb_runtime_forget(struct pb_runtime *rt, const char *addr);
/* Receives and decodes one message from q within timeout_ms (<0: forever). Returns 1, 0 on
 * timeout, -1 when closed. Bad bytes are counted in *bad (if non-NULL) and skipped. */
int pb_mq_recv_msg(struct pb_mq *q, int timeout_ms, struct pb_msg *m_r,
		   atomic_uint_fast64_t *bad);
void *pb_actor_thread(void *arg);

#endif
