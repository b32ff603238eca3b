/*
 * queue-sender.c: the sender threads "qsend.N": each runs one SMTP client transaction at a
 * time for the queue shards (QSEND_SEND_REQ -> QSEND_SEND_REP), blocking on the network with
 * deadlines on its own thread, never in a queue shard.
 * OWNS: its cached connection between messages (queue-smtp.h; closed after
 * QUEUE_SMTP_CACHE_IDLE_MS unused). THREAD: its own.
 * MESSAGES: handles QSEND_SEND_REQ; answers QSEND_SEND_REP.
 */
#include "queue-actor.h"
#include "queue-smtp.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-tls.h"
#include "pb-settings-snapshot.h"

#include <string.h>
#include <stdio.h>
#include <unistd.h>

#define QSEND_TIMER_IDLE 1

/* A sender's state: the store, its connection cache, and the TLS client context of the
 * settings it was made for. */
struct qsend {
	struct pb_store *store;
	struct queue_smtp_cache *cache;
	struct pb_tls_ctx *tls;
	char tls_ca[1024];
	bool tls_verify;
};

static int qs_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct qsend *q = xcalloc(1, sizeof(*q));

	q->store = arg;
	q->cache = queue_smtp_cache_new();
	*state_r = q;
	return 0;
}

static void qs_deinit(struct pb_actor *a, void *state)
{
	struct qsend *q = state;

	queue_smtp_cache_free(&q->cache);
	pb_tls_ctx_unref(&q->tls);
	free(q);
}

/* The client context for the settings o (made again when they changed): NULL when it cannot be
 * made (logged; TLS then fails and the recipients are deferred). */
static struct pb_tls_ctx *tls_ctx(struct qsend *q, const struct pb_settings_outbound *o)
{
	bool verify = strcmp(o->tls_verify, "peer") == 0;
	char *error = NULL;

	if (q->tls != NULL && q->tls_verify == verify && strcmp(q->tls_ca, o->tls_ca_file) == 0)
		return q->tls;
	queue_smtp_cache_close(q->cache); /* its connection was verified with the old settings */
	pb_tls_ctx_unref(&q->tls);
	if (pb_tls_client_ctx_create(o->tls_ca_file, verify, &q->tls, &error) < 0) {
		pb_error("qsend", "event=tls_context_failed reason=%s", PB_LOGQ(error));
		free(error);
		return NULL;
	}
	snprintf(q->tls_ca, sizeof(q->tls_ca), "%s", o->tls_ca_file);
	q->tls_verify = verify;
	return q->tls;
}

static enum queue_tls tls_mode(const char *word)
{
	return strcmp(word, "none") == 0	  ? QUEUE_TLS_NONE
	       : strcmp(word, "required") == 0 ? QUEUE_TLS_REQUIRED
	       : strcmp(word, "implicit") == 0 ? QUEUE_TLS_IMPLICIT
					       : QUEUE_TLS_OPPORTUNISTIC;
}

static void helo_name(const struct pb_settings_outbound *o, char *buf, size_t size)
{
	if (o->helo_name[0] != '\0') {
		snprintf(buf, size, "%s", o->helo_name);
		return;
	}
	if (gethostname(buf, size) < 0 || buf[0] == '\0')
		snprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
}

static int on_send(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct msg_qsend_send_req *q = &m->u.qsend_send_req;
	struct pb_runtime *rt = pb_actor_runtime(a);
	const struct pb_settings *s = pb_settings_acquire(rt);
	struct pb_settings_outbound o = s->outbound;
	char helo[256];

	pb_settings_release(rt, s);
	helo_name(&o, helo, sizeof(helo));
	if (q->rcpts.n == 0 || q->rcpt_params.n != q->rcpts.n)
		return pb_reply_status(a, m, PB_ERR_REFUSED, "recipients and parameters differ"), 0;
	struct queue_smtp_tx tx = {
		.host = q->host, .port = (uint16_t)q->port, .helo = helo,
		.connect_timeout_ms = o.connect_timeout_s * 1000,
		.command_timeout_ms = o.command_timeout_s * 1000,
		.sender = q->sender, .mail_params = q->mail_params,
		.rcpts = (const char *const *)q->rcpts.v,
		.rcpt_params = (const char *const *)q->rcpt_params.v, .n_rcpts = q->rcpts.n,
		.store = ((struct qsend *)state)->store, .blob_key = q->blob_key, .size = q->size,
		.tls = tls_mode(o.tls),
		.auth_user = q->smart_host ? o.auth_user : "",
		.auth_password = q->smart_host ? o.auth_password : "",
		.cache = ((struct qsend *)state)->cache,
	};
	if (tx.tls != QUEUE_TLS_NONE && (tx.tls_ctx = tls_ctx(state, &o)) == NULL)
		tx.tls = tx.tls == QUEUE_TLS_OPPORTUNISTIC ? QUEUE_TLS_NONE : tx.tls;
	char **replies = xcalloc(q->rcpts.n, sizeof(char *));
	if (tx.tls != QUEUE_TLS_NONE && tx.tls_ctx == NULL) {
		for (uint32_t i = 0; i < q->rcpts.n; i++)
			replies[i] = xstrdup("451 4.7.5 no TLS client context (outbound.tls_ca_file?)");
	} else {
		queue_smtp_send(&tx, replies);
		if (queue_smtp_cache_open(tx.cache))
			pb_actor_timer_set(a, QSEND_TIMER_IDLE, QUEUE_SMTP_CACHE_IDLE_MS);
	}
	struct pb_msg rep;
	pb_msg_init(&rep, MSG_QSEND_SEND_REP);
	rep.u.qsend_send_rep.id = q->id;
	for (uint32_t i = 0; i < q->rcpts.n; i++) {
		pb_info("qsend", "event=attempt queue_id=%llu rcpt=%s relay=%s:%u reply=%s",
			(unsigned long long)q->id, PB_LOGQ(q->rcpts.v[i]), PB_LOGQ(q->host), q->port,
			PB_LOGQ(replies[i]));
		pb_strv_push(&rep.u.qsend_send_rep.replies, replies[i]);
		free(replies[i]);
	}
	free(replies);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* The cached connection was not used for QUEUE_SMTP_CACHE_IDLE_MS: closed. */
static void qs_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	queue_smtp_cache_close(((struct qsend *)state)->cache);
}

static const struct pb_handler qsend_handlers[] = {
	{ MSG_QSEND_SEND_REQ, on_send },
};

const struct pb_actor_def qsend_actor_def = {
	.name = "qsend",
	.inbox_size = 256,
	.init = qs_init,
	.deinit = qs_deinit,
	.handlers = qsend_handlers,
	.n_handlers = PB_N_ELEMENTS(qsend_handlers),
	.on_timer = qs_timer,
};
