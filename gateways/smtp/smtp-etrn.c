/*
 * smtp-etrn.c: ETRN (RFC 1985) at our SMTP server — a client that may relay (authenticated,
 * or in smtp.relay_networks) asks that the mail queued for its domain be sent now. The queue's
 * shards are asked one after the other (QUEUE_ETRN_REQ; the first answer says how many there
 * are); the entries with a recipient waiting for the node become due at once. Replies: 251 no
 * mail waiting, 253 n messages started, 458 the queue did not answer or "#queue" (named queues
 * are not kept), 459 a client that may not relay, 501 a bad node, 503 in a mail transaction.
 * OWNS: the session's etrn_node while the shards answer. THREAD: the hub's.
 * MESSAGES sent: QUEUE_ETRN_REQ.
 */
#include "smtp-session-int.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "queue-client.h"

#include <stdio.h>
#include <string.h>

#define ETRN_NODE_MAX 255
/* The continuation's arg: the shard asked (top 16 bits) and the entries made due before it. */
#define ETRN_ARG(shard, n) ((uint64_t)(shard) << 48 | (n))
#define ETRN_COUNT_MASK ((UINT64_C(1) << 48) - 1)

static void on_answer(void *session, uint64_t arg, struct pb_msg *rep);

/* Asks shard for the node's entries: 0 sent (the session waits), -1. */
static int ask(struct smtp_session *s, uint32_t shard, uint64_t n)
{
	struct gw_pending call = { s->gs, on_answer, ETRN_ARG(shard, n), SMTP_CHECK_TIMEOUT_MS };
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	return queue_client_etrn_send(&tx, shard, s->etrn_node, &error);
}

/* The final reply once every shard answered (or one did not: 458). */
static void finish(struct smtp_session *s, bool ok, uint64_t n)
{
	char text[ETRN_NODE_MAX + 80];

	if (!ok)
		snprintf(text, sizeof(text), "Unable to queue messages for node %s", s->etrn_node);
	else if (n == 0)
		snprintf(text, sizeof(text), "OK, no messages waiting for node %s", s->etrn_node);
	else
		snprintf(text, sizeof(text), "OK, %llu pending messages for node %s started",
			 (unsigned long long)n, s->etrn_node);
	smtp_session_reply(s, !ok ? 458 : n == 0 ? 251 : 253, !ok ? "4.3.0" : "2.0.0", text);
	pb_info("smtp", "event=etrn node=%s entries=%llu result=%s peer=%s", PB_LOGQ(s->etrn_node),
		(unsigned long long)n, ok ? "ok" : "failed", gw_peer(s->gs));
	free(s->etrn_node);
	s->etrn_node = NULL;
}

static void on_answer(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct smtp_session *s = session;
	uint32_t shard = (uint32_t)(arg >> 48), shards = 0;
	uint64_t n = arg & ETRN_COUNT_MASK, entries = 0;
	const char *error;
	uint32_t code = rep != NULL ? queue_client_etrn_reply(rep, &shards, &entries, &error)
				    : PB_ERR_TEMP;

	n += entries;
	if (code == PB_OK && shard + 1 < shards && shard + 1 < 0xffff &&
	    ask(s, shard + 1, n & ETRN_COUNT_MASK) == 0)
		return; /* still waiting, for the next shard */
	finish(s, code == PB_OK && shard + 1 >= shards, n);
	smtp_session_resume(s);
}

/* A node we can look for: a domain name's letters, digits, '-', '.', '_', maybe after '@'. */
static bool node_ok(const char *node)
{
	const char *d = node + (node[0] == '@');
	size_t n = strlen(d);

	return n > 0 && n <= ETRN_NODE_MAX &&
	       strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

void smtp_do_etrn(void *session, const void *cmdp)
{
	struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;
	char text[ETRN_NODE_MAX + 80];

	if (!smtp_session_may_relay(s)) {
		snprintf(text, sizeof(text), "Node %.*s not allowed: authenticate first",
			 ETRN_NODE_MAX, cmd->arg);
		smtp_session_reply(s, 459, "4.7.1", text);
		return;
	}
	if (cmd->arg[0] == '#') {
		snprintf(text, sizeof(text), "Unable to queue messages for node %.*s",
			 ETRN_NODE_MAX, cmd->arg);
		smtp_session_reply(s, 458, "4.3.0", text);
		return;
	}
	if (!node_ok(cmd->arg)) {
		smtp_session_reply(s, 501, "5.5.4", "Syntax: ETRN domain");
		return;
	}
	pb_str_set(&s->etrn_node, cmd->arg);
	if (ask(s, 0, 0) < 0) {
		finish(s, false, 0);
		return;
	}
	smtp_session_wait(s);
}
