/*
 * queue-sender.c: the sender threads "qsend.N": each runs one SMTP client transaction at a
 * time for the queue shards (QSEND_SEND_REQ -> QSEND_SEND_REP), blocking on the network with
 * deadlines on its own thread, never in a queue shard. For a route "MX of DOMAIN" it resolves
 * the MX here (its own c-ares resolver) and tries every MX host's addresses in turn, moving on
 * when one cannot be reached or refuses before MAIL (RFC 5321 5.1). It also runs ETRN for the
 * CLI (QSEND_ETRN_REQ -> QSEND_ETRN_REP).
 * OWNS: its TLS client context and MX resolver (kept while the settings stay the same), and its
 * cached connection between messages (queue-smtp.h; closed after QUEUE_SMTP_CACHE_IDLE_MS
 * unused). THREAD: its own.
 * MESSAGES: handles QSEND_SEND_REQ, QSEND_ETRN_REQ; answers QSEND_SEND_REP, QSEND_ETRN_REP.
 */
#include "mx-resolve.h"
#include "queue-actor.h"
#include "queue-route.h"
#include "queue-smtp.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-tls.h"
#include "pb-settings-snapshot.h"

#include <string.h>
#include <stdio.h>
#include <unistd.h>

#define QSEND_TIMER_IDLE 1
#define QUEUE_RELAY_MAX 320 /* "host[address]" */

/* A sender's state: the store, its connection cache, and the TLS client context and MX resolver
 * of the settings they were made for. */
struct qsend {
	struct pb_store *store;
	struct queue_smtp_cache *cache;
	struct pb_tls_ctx *tls;
	char tls_ca[1024];
	bool tls_verify;
	struct mx_resolver *mx;
	char mx_servers[256], mx_self[256];
	bool mx_loopback;
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
	mx_resolver_destroy(&q->mx);
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

/* A copy of the outbound settings now. */
static void settings(struct pb_actor *a, struct pb_settings_outbound *o_r)
{
	struct pb_runtime *rt = pb_actor_runtime(a);
	const struct pb_settings *s = pb_settings_acquire(rt);

	*o_r = s->outbound;
	pb_settings_release(rt, s);
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

/* The resolver for the settings o and HELO name helo (made again when they changed): NULL when
 * it cannot be made (logged; the recipients are then deferred). */
static struct mx_resolver *resolver(struct qsend *q, const struct pb_settings_outbound *o,
				    const char *helo)
{
	bool loopback = o->allow_loopback_mx != 0;
	const char *error;

	if (q->mx != NULL && q->mx_loopback == loopback && strcmp(q->mx_servers, o->dns_servers) == 0 &&
	    strcmp(q->mx_self, helo) == 0)
		return q->mx;
	mx_resolver_destroy(&q->mx);
	struct mx_resolver_settings set = { .servers = o->dns_servers, .allow_loopback = loopback,
					    .self_name = helo };
	if (mx_resolver_create(&set, &q->mx, &error) < 0) {
		pb_error("qsend", "event=resolver_failed reason=%s", PB_LOGQ(error));
		return NULL;
	}
	snprintf(q->mx_servers, sizeof(q->mx_servers), "%s", o->dns_servers);
	snprintf(q->mx_self, sizeof(q->mx_self), "%s", helo);
	q->mx_loopback = loopback;
	return q->mx;
}

static void all_replies(char **replies, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		replies[i] = xstrdup(text);
}

static void free_replies(char **replies, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(replies[i]);
		replies[i] = NULL;
	}
}

/* Direct MX delivery of tx to tx->host (a domain): every MX host's addresses in order until one
 * takes the transaction past MAIL; the last attempt's replies stay. relay_r: the host tried
 * last, "name[address]". A DNS failure: 4xx (retried) or 5xx (bounced), with the resolver's
 * enhanced code and text. */
static void send_mx(struct qsend *q, const struct pb_settings_outbound *o,
		    struct queue_smtp_tx *tx, char **replies, char *relay_r, size_t size,
		    bool *dsn_r)
{
	struct mx_resolver *r = resolver(q, o, tx->helo);
	struct mx_result res;
	const char *domain = tx->host;

	snprintf(relay_r, size, "%s", domain);
	if (r == NULL) {
		all_replies(replies, tx->n_rcpts, "451 4.4.3 no DNS resolver (outbound.dns_servers?)");
		return;
	}
	if (mx_resolve(r, domain, 0, &res) != MX_OK) {
		char *t = xasprintf("%s %s %s (MX of %s)", res.status == MX_PERM ? "550" : "451",
				    res.enhanced, res.error, domain);
		all_replies(replies, tx->n_rcpts, t);
		free(t);
		mx_result_deinit(&res);
		return;
	}
	bool done = false;
	for (size_t i = 0; !done && i < res.n_targets; i++)
		for (size_t k = 0; !done && k < res.targets[i].n_addrs; k++) {
			free_replies(replies, tx->n_rcpts);
			tx->host = res.targets[i].host;
			tx->addr = res.targets[i].addrs[k].text;
			snprintf(relay_r, size, "%s[%s]", tx->host, tx->addr);
			done = queue_smtp_send(tx, replies, dsn_r) == 0;
			if (!done)
				pb_info("qsend", "event=mx_next domain=%s relay=%s reason=%s",
					PB_LOGQ(domain), PB_LOGQ(relay_r), PB_LOGQ(replies[0]));
		}
	if (tx->n_rcpts > 0 && replies[0] == NULL) /* MX_OK promises a target: never, but safe */
		all_replies(replies, tx->n_rcpts, "451 4.4.4 no MX host to try");
	tx->host = domain;
	tx->addr = NULL;
	mx_result_deinit(&res);
}

static void reply_sent(struct pb_actor *a, struct pb_msg *m, char **replies, const char *relay,
		       bool dsn)
{
	struct msg_qsend_send_req *q = &m->u.qsend_send_req;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_QSEND_SEND_REP);
	rep.u.qsend_send_rep.id = q->id;
	rep.u.qsend_send_rep.dsn = dsn;
	for (uint32_t i = 0; i < q->rcpts.n; i++) {
		pb_info("qsend", "event=attempt queue_id=%llu rcpt=%s relay=%s:%u reply=%s",
			(unsigned long long)q->id, PB_LOGQ(q->rcpts.v[i]), PB_LOGQ(relay), q->port,
			PB_LOGQ(replies[i]));
		pb_strv_push(&rep.u.qsend_send_rep.replies, replies[i]);
		free(replies[i]);
	}
	free(replies);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
}

/* The transaction's settings from o (TLS, timeouts, HELO name in helo). 0, or -1 when TLS is
 * required and there is no client context. */
static int tx_setup(struct qsend *q, const struct pb_settings_outbound *o, char *helo,
		    size_t size, struct queue_smtp_tx *tx)
{
	helo_name(o, helo, size);
	tx->helo = helo;
	tx->connect_timeout_ms = o->connect_timeout_s * 1000;
	tx->command_timeout_ms = o->command_timeout_s * 1000;
	tx->store = q->store;
	tx->tls = tls_mode(o->tls);
	if (tx->tls != QUEUE_TLS_NONE && (tx->tls_ctx = tls_ctx(q, o)) == NULL)
		tx->tls = tx->tls == QUEUE_TLS_OPPORTUNISTIC ? QUEUE_TLS_NONE : tx->tls;
	return tx->tls != QUEUE_TLS_NONE && tx->tls_ctx == NULL ? -1 : 0;
}

static int on_send(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct qsend *qs = state;
	struct msg_qsend_send_req *q = &m->u.qsend_send_req;
	struct pb_settings_outbound o;
	char helo[256], relay[QUEUE_RELAY_MAX];

	settings(a, &o);
	if (q->rcpts.n == 0 || q->rcpt_params.n != q->rcpts.n)
		return pb_reply_status(a, m, PB_ERR_REFUSED, "recipients and parameters differ"), 0;
	struct queue_smtp_tx tx = {
		.host = q->host, .port = (uint16_t)q->port,
		.sender = q->sender, .mail_params = q->mail_params,
		.rcpts = (const char *const *)q->rcpts.v,
		.rcpt_params = (const char *const *)q->rcpt_params.v, .n_rcpts = q->rcpts.n,
		.blob_key = q->blob_key, .size = q->size,
		.edit = q->edit, /* a rule's header edits for this copy (queue-group.h) */
		.auth_user = q->smart_host ? o.auth_user : "",
		.auth_password = q->smart_host ? o.auth_password : "",
		.cache = qs->cache,
	};
	char **replies = xcalloc(q->rcpts.n, sizeof(char *));
	bool dsn = false;
	snprintf(relay, sizeof(relay), "%s", q->host);
	if (tx_setup(qs, &o, helo, sizeof(helo), &tx) < 0)
		all_replies(replies, q->rcpts.n,
			    "451 4.7.5 no TLS client context (outbound.tls_ca_file?)");
	else if (q->mx)
		send_mx(qs, &o, &tx, replies, relay, sizeof(relay), &dsn);
	else
		queue_smtp_send(&tx, replies, &dsn);
	if (queue_smtp_cache_open(tx.cache))
		pb_actor_timer_set(a, QSEND_TIMER_IDLE, QUEUE_SMTP_CACHE_IDLE_MS);
	reply_sent(a, m, replies, relay, dsn);
	return 0;
}

/* ETRN for the CLI: the reply of the server, whatever it is, as the answer's text. */
static int on_etrn(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct msg_qsend_etrn_req *q = &m->u.qsend_etrn_req;
	struct pb_settings_outbound o;
	char helo[256], host[QUEUE_ROUTE_HOST_MAX];
	struct queue_smtp_tx tx = { .host = host };
	struct pb_msg rep;

	if (queue_route_parse(q->server, 25, host, sizeof(host), &tx.port) < 0)
		return pb_reply_status(a, m, PB_ERR_REFUSED, "malformed HOST[:PORT]"), 0;
	if (q->node[0] == '\0' || strpbrk(q->node, " \t\r\n") != NULL)
		return pb_reply_status(a, m, PB_ERR_REFUSED, "malformed ETRN node"), 0;
	settings(a, &o);
	pb_msg_init(&rep, MSG_QSEND_ETRN_REP);
	if (tx_setup(state, &o, helo, sizeof(helo), &tx) < 0)
		rep.u.qsend_etrn_rep.reply = xstrdup("451 4.7.5 no TLS client context");
	else
		rep.u.qsend_etrn_rep.reply = queue_smtp_etrn(&tx, q->node);
	pb_info("qsend", "event=etrn relay=%s node=%s reply=%s", PB_LOGQ(q->server),
		PB_LOGQ(q->node), PB_LOGQ(rep.u.qsend_etrn_rep.reply));
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
	{ MSG_QSEND_ETRN_REQ, on_etrn },
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
