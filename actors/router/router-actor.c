/*
 * router-actor.c: the router pool (see router-actor.h).
 * OWNS: struct router_shard (the last routing snapshot, its view, its parsed rule sets and the
 * server routing script's cache). THREAD: the shard's.
 * The message's facts for the rules (router-facts.h) and the routing scripts' msg.subject come
 * from its first octets, read through the reader shards (READER_READ_REQ, reader-client.h: the
 * body's owner for reads, as DESIGN.md wants: the router never opens the store), and only when
 * some rule set exists or a routing script looks at msg.subject.
 */
#include "router-actor.h"

#include "directory-client-routes.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "reader-client.h"
#include "router-client.h"
#include "router-copyinbox.h"
#include "router-fetch.h"
#include "router-facts.h"
#include "router-records.h"
#include "router-rules.h"
#include "router-scripts.h"
#include "router-headers.h"
#include "router-spam.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct router_shard {
	bool have;
	struct pb_msg snap; /* the last DIR_ROUTES_REP with data */
	struct router_view view;
	struct router_rulebook rules;
	struct router_scripts scripts; /* the server script's cache (router-scripts.h) */
	struct router_spam_breaker spam_breaker; /* this shard's rspamd breaker (router-spam.h) */
};

static int rt_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	(void)a;
	(void)arg;
	(void)error_r;
	*state_r = xcalloc(1, sizeof(struct router_shard));
	return 0;
}

static void rt_deinit(struct pb_actor *a, void *state)
{
	struct router_shard *r = state;
	(void)a;
	router_scripts_deinit(&r->scripts);
	if (r->have) {
		router_rulebook_free(&r->rules);
		router_view_free(&r->view);
		pb_msg_free(&r->snap);
	}
	free(r);
}

/* Brings the snapshot up to date. 0, or -1 with *error_r (the directory did not answer). */
static int refresh(struct pb_actor *a, struct router_shard *r, const char **error_r)
{
	struct pb_sync t;
	struct pb_msg rep;
	uint32_t code;

	uint64_t gen = r->have ? r->snap.u.dir_routes_rep.gen : 0;
	if (r->have && pb_runtime_generation(pb_actor_runtime(a), PB_GEN_ROUTES) == gen)
		return 0; /* the directory published no change since: no need to ask */
	pb_sync_init_caller(&t, pb_actor_caller(a), ROUTER_DIRECTORY_MS);
	if (directory_client_routes(&t, gen, &code, &rep, error_r) < 0)
		return -1;
	if (code != PB_OK)
		return -1;
	if (rep.u.dir_routes_rep.unchanged) {
		pb_msg_free(&rep);
		return 0;
	}
	if (r->have) {
		router_rulebook_free(&r->rules);
		router_view_free(&r->view);
		pb_msg_free(&r->snap);
	}
	r->snap = rep;
	router_view_build(&r->snap.u.dir_routes_rep, &r->view);
	router_rulebook_build(&r->snap.u.dir_routes_rep, &r->view, &r->rules);
	if (r->rules.n_bad > 0)
		pb_warn("router", "event=rules_unparsed sets=%zu", r->rules.n_bad);
	r->have = true;
	return 0;
}

/* The recipient without its DSN parameters ("addr\tNOTIFY=.."), and the parameters. */
static char *bare_rcpt(const char *rcpt, const char **params_r)
{
	const char *tab = strchr(rcpt, '\t');
	*params_r = tab != NULL ? tab : "";
	return tab != NULL ? xstrndup(rcpt, (size_t)(tab - rcpt)) : xstrdup(rcpt);
}

/* A remote item that is one of the accepted recipients keeps that recipient's parameters; one
 * with its own envelope sender (a rule's forward) gets "\tSENDER=addr" (queue-client.h). */
static char *item_address(const struct router_plan_item *it, const struct pb_strv *rcpts)
{
	const char *kept = "";

	for (uint32_t i = 0; it->user_id == 0 && i < rcpts->n && kept[0] == '\0'; i++) {
		const char *params;
		char *bare = bare_rcpt(rcpts->v[i], &params);
		if (strcasecmp(bare, it->address) == 0)
			kept = params;
		free(bare);
	}
	if (it->user_id == 0 && it->sender != NULL)
		return xasprintf("%s%s\tSENDER=%s", it->address, kept, it->sender);
	return xasprintf("%s%s", it->address, kept);
}

static void fill_reply(struct msg_router_resolve_rep *out, const struct router_plan *p,
		       const struct pb_strv *rcpts)
{
	out->error = xstrdup("");
	for (size_t i = 0; i < p->n_items; i++) {
		const struct router_plan_item *it = &p->items[i];
		*pb_rec_plan_item_push(&out->items) = (struct pb_rec_plan_item){
			it->user_id, item_address(it, rcpts), xstrdup(it->folder), it->flags,
			xstrdup(it->keywords), xstrdup(it->headers)
		};
	}
	for (uint32_t i = 0; i < p->trace.n; i++)
		pb_strv_push(&out->trace, p->trace.v[i]);
	for (size_t i = 0; i < p->n_generated; i++) {
		const struct router_plan_gen *g = &p->gens[i];
		*pb_rec_plan_gen_push(&out->gens) = (struct pb_rec_plan_gen){
			g->kind, g->user_id, xstrdup(g->address), xstrdup(g->to), xstrdup(g->subject),
			xstrdup(g->text), xstrdup(g->addresses), g->days
		};
	}
}

/* Each decision in the log; a loop or a recipient reaching nobody as a warning. */
static void log_plan(const struct msg_router_resolve_req *q, const struct router_plan *p)
{
	char all[PB_LOGQ_MAX];
	size_t at = 0;

	all[0] = '\0';
	for (uint32_t i = 0; i < p->trace.n; i++) {
		const char *line = p->trace.v[i];
		bool warn = strncmp(line, "loop:", 5) == 0 || strstr(line, "reaches nobody") ||
			    strstr(line, "steps deep") || strncmp(line, "script failed:", 14) == 0 ||
			    strstr(line, " is blocked by ") ||
			    strstr(line, ROUTER_PLAN_REMOTE_CAPPED) != NULL ||
			    strstr(line, ROUTER_RULES_SENDER_REFUSED) != NULL;
		if (warn)
			pb_warn("router", "event=route_stopped msgid=%s reason=%s", PB_LOGQ(q->msgid),
				PB_LOGQ(line));
		if (at < sizeof(all))
			at += (size_t)snprintf(all + at, sizeof(all) - at, "%s%s", i ? "; " : "", line);
	}
	/* one line per message; `pillarbox trace MSGID` shows the whole trace, line by line */
	pb_info("router", "event=route msgid=%s items=%u decision=%s", PB_LOGQ(q->msgid),
		(unsigned)p->n_items, PB_LOGQ(all));
}

static bool any_rules(const struct router_shard *r)
{
	for (size_t i = 0; i < r->rules.n_users; i++)
		if (r->rules.users[i] != NULL)
			return true;
	return r->rules.admin != NULL;
}

/* What the router reads of a message when only scripts want it (they see the Subject): the
 * header, or its first part. With rules (Body conditions), ROUTER_FACTS_READ_MAX. */
#define ROUTER_SCRIPT_READ_MAX (16u * 1024)

/* Reads the entry's first max octets into *msg_r (its facts for the rules and scripts). 0, or
 * -1 with the reason logged (the rules are then not used: the trace says so). */
static int read_message(struct pb_actor *a, const struct msg_router_resolve_req *q, size_t max,
			const struct router_lua_env *lua, struct router_message *msg_r)
{
	uint64_t key = q->rcpt_ids.n > 0 ? q->rcpt_ids.v[0] : 0, size = 0;
	size_t len = 0;
	bool eof;
	const char *error = "";

	if (q->size > 0 && q->size < max)
		max = (size_t)q->size; /* a small message gets a small buffer, not 256 KiB (an mmap) */
	uint8_t *buf = xmalloc(max);

	uint32_t code = reader_client_read(pb_actor_caller(a), key, q->blob_key, 0, buf, max, &len,
					   &size, &eof, &error);
	if (code != PB_OK) {
		pb_warn("router", "event=message_unread msgid=%s reason=%s", PB_LOGQ(q->msgid),
			PB_LOGQ(error[0] ? error : pb_status_name(code)));
		free(buf);
		return -1;
	}
	router_message_build(buf, len, q->size, router_message_type(q->origin), lua->now_s,
			     (int)(lua->utc_offset_s / 60), msg_r);
	free(buf);
	return 0;
}

/* Whether a routing script may run (the server's or an account's): it is given the Subject. */
static bool any_scripts(const struct router_shard *r, const struct router_lua_env *lua)
{
	if (lua->server_text != NULL)
		return true;
	for (size_t i = 0; i < r->view.r.n_users; i++)
		if (r->view.users[i].script != NULL && r->view.users[i].script[0] != '\0')
			return true;
	return false;
}

/* The message's first octets, read once when something asks for them. */
struct facts_read {
	struct pb_actor *a;
	const struct msg_router_resolve_req *q;
	const struct router_lua_env *lua;
	struct router_message msg;
	bool tried, have;
};

static void facts_read_now(struct facts_read *rd, size_t max)
{
	rd->tried = true;
	rd->have = rd->q->blob_key[0] != '\0' && read_message(rd->a, rd->q, max, rd->lua,
								&rd->msg) == 0;
}

/* router_facts.subject_fn: a routing script looks at msg.subject for the first time. */
static const char *lazy_subject(void *ctx)
{
	struct facts_read *rd = ctx;

	if (!rd->tried)
		facts_read_now(rd, ROUTER_SCRIPT_READ_MAX);
	return rd->have ? rd->msg.subject : NULL;
}

/* The message's facts (origin: enum pb_origin): with rule sets, its first octets read now;
 * with routing scripts only, read when a script first asks for the Subject (most never do:
 * user_redirect.lua as installed does not). The scripts run with rd->lua. */
static struct router_facts make_facts(struct router_shard *r, struct facts_read *rd)
{
	const struct msg_router_resolve_req *q = rd->q;
	bool collected = q->origin == PB_ORIGIN_COLLECTED;
	struct router_facts f = {
		.sender = q->sender, .size = q->size,
		.source = collected ? ROUTER_SRC_POP3 : ROUTER_SRC_SMTP,
		.collector = collected && q->collector[0] ? q->collector : NULL,
		.now_ms = (int64_t)pb_runtime_wall_ms(pb_actor_runtime(rd->a)),
		.origin = q->origin <= PB_ORIGIN_SYSTEM ? (enum pb_origin)q->origin : PB_ORIGIN_SMTP,
		.lua = rd->lua,
	};
	const struct pb_settings *st = pb_settings_acquire(pb_actor_runtime(rd->a));
	f.max_remote_targets = st->router.max_remote_targets; /* h-router10 */
	pb_settings_release(pb_actor_runtime(rd->a), st);

	if (any_rules(r)) {
		facts_read_now(rd, ROUTER_FACTS_READ_MAX);
		if (rd->have) {
			f.subject = rd->msg.subject;
			f.message = &rd->msg.facts;
		}
	} else if (any_scripts(r, rd->lua)) {
		f.subject_fn = lazy_subject;
		f.subject_ctx = rd;
	}
	return f;
}

/* Plans q's recipients with facts f into *plan_r (filled on 0; free with router_plan_free),
 * the replies to too-big notices taken out first (router-fetch.h) and said in its trace. 0, or
 * -1 with *error_r when the collector did not answer (nothing planned). */
static int plan_rcpts(struct pb_actor *a, struct router_shard *r,
		      const struct msg_router_resolve_req *q, const struct router_facts *f,
		      struct router_plan *plan_r, const char **error_r)
{
	struct pb_strv consumed = { 0 };
	size_t n = q->rcpts.n;
	char **bare = xcalloc(n + 1, sizeof(char *));
	uint64_t *ids = n > 0 && q->rcpt_ids.n == n ? xmemdup(q->rcpt_ids.v, n * sizeof(*ids))
						    : NULL;

	for (size_t i = 0; i < n; i++) {
		const char *params;
		bare[i] = bare_rcpt(q->rcpts.v[i], &params);
	}
	int rc = router_fetch_take(a, &r->view.r, q->sender, q->origin, bare, ids, &n, &consumed,
				   error_r);
	if (rc == 0) {
		router_plan_resolve(&r->view.r, f, (const char *const *)bare, ids, n, plan_r);
		for (uint32_t i = 0; i < consumed.n; i++)
			pb_strv_push(&plan_r->trace, consumed.v[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(bare[i]);
	free(bare);
	free(ids);
	pb_strv_clear(&consumed);
	return rc;
}

/* The router's own header edits on the local copies (router-headers.h): the spam fields when
 * rspamd was asked, Return-Path on a message the server generated. */
static void local_headers(const struct msg_router_resolve_req *q,
			  const struct router_spam_verdict *spam, struct router_plan *plan)
{
	struct pb_buf edits;

	pb_buf_init(&edits);
	if (spam->asked)
		router_headers_spam(spam->scored ? &spam->result : NULL, spam->threshold, &edits);
	pb_buf_append(&edits, "", 1); /* NUL-terminated */
	router_headers_apply(plan, q->sender, q->origin == PB_ORIGIN_SYSTEM, edits.data);
	pb_buf_deinit(&edits);
}

static int on_resolve(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct router_shard *r = state;
	const struct msg_router_resolve_req *q = &m->u.router_resolve_req;
	const char *error = "the directory did not answer";
	struct router_plan plan;
	struct pb_msg rep;

	if (refresh(a, r, &error) < 0)
		return pb_reply_status(a, m, PB_ERR_TEMP, error), 0;
	struct router_lua_env lua;
	router_scripts_env(&r->scripts, pb_actor_runtime(a),
			   (int64_t)pb_runtime_wall_ms(pb_actor_runtime(a)), &lua);
	struct facts_read rd = { .a = a, .q = q, .lua = &lua };
	struct router_facts f = make_facts(r, &rd);
	bool have_msg = f.message != NULL;
	struct router_message *msg = &rd.msg;
	struct router_spam_verdict spam;
	router_spam_score(a, q, &r->spam_breaker, &spam); /* bounded by spam.timeout_ms; never fails */
	f.has_spam_score = spam.scored;
	f.spam_score = spam.result.score;
	f.spam_quarantine = spam.scored && router_spam_is_quarantine(&spam.result, spam.threshold);
	if (have_msg) { /* the rules' Spam Score and Quarantined conditions */
		msg->facts.has_spam_score = f.has_spam_score;
		msg->facts.spam_score = f.spam_score;
		msg->facts.quarantined = f.spam_quarantine;
	}
	int planned = plan_rcpts(a, r, q, &f, &plan, &error); /* f.message is rd.msg's */
	if (rd.have)
		router_message_free(msg);
	if (planned < 0)
		return pb_reply_status(a, m, PB_ERR_TEMP, error), 0;
	if (spam.asked)
		router_spam_apply(&plan, spam.scored ? &spam.result : NULL, spam.threshold, spam.why);
	local_headers(q, &spam, &plan);
	log_plan(q, &plan);
	pb_msg_init(&rep, MSG_ROUTER_RESOLVE_REP);
	fill_reply(&rep.u.router_resolve_rep, &plan, &q->rcpts);
	router_plan_free(&plan);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* h-fwdext: ROUTER_COPY_INBOX_REQ (router-copyinbox.h), the account found in the snapshot. */
static int on_copy_inbox(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct router_shard *r = state;
	const struct msg_router_copy_inbox_req *q = &m->u.router_copy_inbox_req;
	const char *error = "the directory did not answer";
	struct router_copy_inbox_out out;
	const struct router_user *u = NULL;
	struct pb_msg rep;

	if (refresh(a, r, &error) < 0)
		return pb_reply_status(a, m, PB_ERR_TEMP, error), 0;
	for (size_t i = 0; i < r->view.r.n_users && u == NULL; i++)
		if (strcasecmp(r->view.r.users[i].name, q->name) == 0)
			u = &r->view.r.users[i];
	if (u == NULL)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such account"), 0;
	uint32_t code = router_copy_inbox(pb_actor_caller(a), &r->view.r, u, q->uid_first, &out,
					  &error);
	if (code != PB_OK)
		return pb_reply_status(a, m, code, error), 0;
	pb_msg_init(&rep, MSG_ROUTER_COPY_INBOX_REP);
	rep.u.router_copy_inbox_rep.copied = out.copied;
	rep.u.router_copy_inbox_rep.skipped = out.skipped;
	rep.u.router_copy_inbox_rep.next_uid = out.next_uid;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler router_handlers[] = {
	{ MSG_ROUTER_RESOLVE_REQ, on_resolve },
	{ MSG_ROUTER_COPY_INBOX_REQ, on_copy_inbox },
};

const struct pb_actor_def router_actor_def = {
	.name = "router",
	.inbox_size = 1024,
	.init = rt_init,
	.deinit = rt_deinit,
	.handlers = router_handlers,
	.n_handlers = PB_N_ELEMENTS(router_handlers),
};
