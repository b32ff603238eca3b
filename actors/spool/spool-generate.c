/*
 * spool-generate.c: the messages a plan generates (router-plan.h struct router_plan_gen):
 * automatic replies (router-generate.h, RFC 3834) and DSNs for accepted recipients that reach
 * nobody (RFC 3464, the queue's builder queue-dsn.h). They are made here, when the spool stores
 * the plan, and stored in that same synced write (pb_store_spool_plan_gen): a crash before it
 * leaves the entry unplanned and nothing made (the restart plans it again), a crash after it
 * finds the entry planned and the generated entries in the spool, so each is made exactly once.
 * A generated message is a spool entry of its own with the null sender: routed like any other
 * (a local recipient to its INBOX, a remote one through the queue), never answered or bounced.
 * See docs/storage.md "Generated messages".
 * OWNS nothing beyond one call. THREAD: the spool shard's.
 */
#include "spool-private.h"

#include "pb-log.h"
#include "queue-dsn.h"
#include "router-generate.h"
#include "router-plan.h"
#include "store-bodies.h"

#include <stdio.h>
#include <string.h>

#define DAY_MS 86400000ll

/* What one call builds: the bodies and envelopes handed to the store. */
struct gen_set {
	struct pb_spool_gen *v;
	size_t n;
	struct pb_buf *bodies;
	char **to;      /* the envelope recipient of each */
	uint64_t zero;  /* the rcpt id of each (0: the router resolves the address) */
	char msgids[ROUTER_PLAN_MAX_GENS + 1][96];
};

/* A new generated message to `to` with the body b (taken). */
static struct pb_spool_gen *gen_add(struct gen_set *g, struct spool_shard *s, const char *to,
				    struct pb_buf *b, int64_t now_ms)
{
	size_t i = g->n++;
	g->v = xrealloc(g->v, sizeof(*g->v) * g->n);
	g->bodies = xrealloc(g->bodies, sizeof(*g->bodies) * g->n);
	g->to = xrealloc(g->to, sizeof(*g->to) * g->n);
	g->bodies[i] = *b;
	g->to[i] = xstrdup(to);
	g->v[i] = (struct pb_spool_gen){ .body = b->data, .len = b->len };
	struct pb_spool_rec *r = &g->v[i].rec;
	r->sender = "";
	r->msgid = g->msgids[i];
	r->rcpts = &g->to[i];
	r->rcpt_ids = &g->zero;
	r->n_rcpts = 1;
	r->received_ms = now_ms;
	r->shard = s->index;
	r->shards = s->count;
	return &g->v[i];
}

static void gen_set_free(struct gen_set *g)
{
	for (size_t i = 0; i < g->n; i++) {
		pb_buf_deinit(&g->bodies[i]);
		free(g->to[i]);
	}
	free(g->v);
	free(g->bodies);
	free(g->to);
}

/* The user's addresses of a gen ("a b c") as a vector. */
static void split_words(const char *text, struct pb_strv *out)
{
	char *copy = xstrdup(text), *save = NULL;
	for (char *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		pb_strv_push(out, w);
	free(copy);
}

/* An automatic reply (the header checks, the memory pre-check, the reply), traced. */
static void make_autoreply(struct spool_shard *s, struct gen_set *g, const struct pb_spool_rec *rec,
			   const struct pb_rec_plan_gen *pg, const struct pb_buf *hdr,
			   int64_t now_ms, struct pb_strv *trace)
{
	struct pb_strv addrs = { 0 };
	const char *why, *error;
	int64_t last;
	char line[ROUTER_PLAN_TRACE_LINE_MAX], host[256];

	split_words(pg->addresses, &addrs);
	bool ok = router_autoreply_headers_ok(hdr->data, hdr->len, (const char *const *)addrs.v,
					      addrs.n, &why);
	pb_strv_clear(&addrs);
	int64_t window = (int64_t)pg->days * DAY_MS;
	if (ok && pb_store_replied_get(s->store, pg->user_id, pg->to, &last, &error) == 1 &&
	    last > now_ms - window && last <= now_ms)
		ok = false, why = "already answered within autoreply_days: no second reply";
	snprintf(line, sizeof(line), "automatic reply from %s to %s: %s", pg->address, pg->to,
		 ok ? "made (Auto-Submitted: auto-replied)" : why);
	pb_strv_push(trace, line);
	if (!ok || g->n >= ROUTER_PLAN_MAX_GENS)
		return;
	queue_dsn_host(host, sizeof(host));
	snprintf(g->msgids[g->n], sizeof(g->msgids[g->n]), "autoreply-%llu-%zu",
		 (unsigned long long)rec->id, g->n);
	char *mid = xasprintf("autoreply.%llu.%zu.%lld@%s", (unsigned long long)rec->id, g->n,
			      (long long)now_ms, host);
	struct router_autoreply_msg m = { pg->address, pg->to, pg->subject, pg->text, hdr->data,
					  hdr->len, mid, now_ms };
	struct pb_buf b;
	pb_buf_init(&b);
	router_autoreply_build(&m, &b);
	free(mid);
	struct pb_spool_gen *sg = gen_add(g, s, pg->to, &b, now_ms);
	sg->memo_user = pg->user_id;
	sg->memo_addr = pg->to;
	sg->memo_window_ms = window;
}

/* One DSN for every recipient of the entry that reaches nobody (gens of kind BOUNCE). */
static void make_bounce(struct spool_shard *s, struct gen_set *g, const struct pb_spool_rec *rec,
			const struct msg_router_resolve_rep *p, const struct pb_buf *hdr,
			int64_t now_ms)
{
	struct pb_queue_rcpt r[ROUTER_PLAN_MAX_GENS];
	bool report[ROUTER_PLAN_MAX_GENS];
	size_t n = 0;
	char host[256];

	for (uint32_t i = 0; i < p->gens.n && n < ROUTER_PLAN_MAX_GENS; i++) {
		const struct pb_rec_plan_gen *pg = &p->gens.v[i];
		if (pg->kind != ROUTER_GEN_BOUNCE)
			continue;
		r[n] = (struct pb_queue_rcpt){ .addr = pg->address, .orcpt = "", .reply = pg->text };
		report[n++] = true;
	}
	if (n == 0 || rec->sender[0] == '\0' || g->n >= ROUTER_PLAN_MAX_GENS)
		return;
	struct pb_queue_rec q = { .id = rec->id, .sender = rec->sender, .msgid = rec->msgid,
				  .envid = "", .ret = 2, .arrival_ms = rec->received_ms,
				  .r = r, .n = n };
	queue_dsn_host(host, sizeof(host));
	struct queue_dsn_in in = { &q, report, false, host, "", now_ms, 0, hdr->data, hdr->len,
				   false };
	struct pb_buf b;
	pb_buf_init(&b);
	queue_dsn_build(&in, &b);
	snprintf(g->msgids[g->n], sizeof(g->msgids[g->n]), "dsn-spool-%llu",
		 (unsigned long long)rec->id);
	gen_add(g, s, rec->sender, &b, now_ms);
}

/* The original's first bytes (its header at least) into hdr. */
static void read_header(struct spool_shard *s, const struct pb_spool_rec *rec, struct pb_buf *hdr)
{
	size_t n = 0;
	uint64_t size;
	const char *error;

	pb_buf_reserve(hdr, QUEUE_DSN_FULL_MAX);
	if (pb_store_blob_read(s->store, rec->blob_key, 0, hdr->data, QUEUE_DSN_FULL_MAX, &n, &size,
			       &error) != 1)
		n = 0;
	hdr->len = n;
	hdr->data[n] = '\0';
}

/* Starts delivering the generated entries the store made. */
static void start_made(struct pb_actor *a, struct spool_shard *s, struct gen_set *g,
		       const struct pb_spool_rec *cause)
{
	for (size_t i = 0; i < g->n; i++) {
		struct pb_spool_gen *sg = &g->v[i];
		if (sg->skipped || sg->rec.id == 0) {
			pb_info("spool", "event=autoreply_skipped msgid=%s to=%s reason=%s",
				PB_LOGQ(cause->msgid), PB_LOGQ(g->to[i]), "answered meanwhile");
			continue;
		}
		struct pb_spool_rec r = sg->rec;
		r.sender = xstrdup("");
		r.msgid = xstrdup(sg->rec.msgid);
		r.message_id = NULL;
		r.rcpts = xcalloc(1, sizeof(char *));
		r.rcpts[0] = xstrdup(g->to[i]);
		r.rcpt_ids = xcalloc(1, sizeof(uint64_t));
		r.mark = NULL;
		pb_info("spool", "event=generated msgid=%s spool_id=%llu cause=%s to=%s",
			PB_LOGQ(r.msgid), (unsigned long long)r.id, PB_LOGQ(cause->msgid),
			PB_LOGQ(g->to[i]));
		spool_start_delivery(a, s, &r);
	}
}

int spool_plan_store(struct pb_actor *a, struct spool_shard *s, const struct pb_spool_rec *rec,
		     const struct msg_router_resolve_rep *p, const struct pb_spool_plan *sp,
		     int64_t now_ms, const char **error_r)
{
	if (p->gens.n == 0)
		return pb_store_spool_plan(s->store, rec->id, sp, rec->msgid, now_ms, &p->trace,
					   error_r);
	struct gen_set g = { 0 };
	struct pb_strv trace = { 0 };
	struct pb_buf hdr;

	pb_buf_init(&hdr);
	read_header(s, rec, &hdr);
	for (uint32_t i = 0; i < p->trace.n; i++)
		pb_strv_push(&trace, p->trace.v[i]);
	for (uint32_t i = 0; i < p->gens.n; i++)
		if (p->gens.v[i].kind == ROUTER_GEN_AUTOREPLY)
			make_autoreply(s, &g, rec, &p->gens.v[i], &hdr, now_ms, &trace);
	make_bounce(s, &g, rec, p, &hdr, now_ms);
	int ret = pb_store_spool_plan_gen(s->store, rec->id, sp, rec->msgid, now_ms, &trace, g.v,
					  g.n, error_r);
	if (ret == 1)
		start_made(a, s, &g, rec);
	pb_strv_clear(&trace);
	pb_buf_deinit(&hdr);
	gen_set_free(&g);
	return ret;
}
