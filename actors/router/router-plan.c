/*
 * router-plan.c: the pure resolution of recipients into a plan (see router-plan.h).
 * OWNS: nothing beyond the plan being filled. THREAD: any.
 */
#include "router-plan.h"
#include "router-rules.h"

#include "mime-match.h"
#include "router-generate.h"
#include "pb-alloc.h"
#include "router-lua.h"
#include "router-remote.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* One resolution: the inputs, the plan, and the path of addresses being resolved. */
struct ctx {
	const struct router_records *r;
	const struct router_facts *f;
	struct router_plan *p;
	char *path[ROUTER_PLAN_MAX_DEPTH + 1];
	size_t depth;
	/* While a message rule's forwards resolve: the remote copies' own envelope sender (NULL:
	 * the message's) and header edits (NULL: none) */
	const char *fwd_sender, *fwd_headers;
	/* h-router10: the account whose own settings are resolving (NULL: the administrator's
	 * records), and how many remote addresses each such account queued (router-remote.h) */
	const struct router_user *owner;
	struct owner_count {
		uint64_t id;
		uint32_t queued;
	} *counts;
	size_t n_counts;
	/* Every address already resolved in this plan (its canonical key, and whether as a
	 * target), with what it reached: one reached again on another path is not resolved again,
	 * so that forwards, lists and mappings naming the same addresses many times cost their
	 * number of addresses, not their number of paths (exponential). `cut`: its resolution
	 * stopped at ROUTER_PLAN_MAX_DEPTH somewhere, so it is resolved again when reached higher
	 * (at most ROUTER_PLAN_MAX_DEPTH times). A remote address is not kept: whether it may be
	 * sent to depends on the account whose settings reach it. */
	struct resolved {
		char *key;
		bool target, cut;
		size_t depth;
		int reached;
	} *done;
	size_t n_done;
	uint64_t depth_cuts; /* how many times a resolution stopped at ROUTER_PLAN_MAX_DEPTH */
};

static void trace(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace(struct ctx *c, const char *fmt, ...)
{
	char line[ROUTER_PLAN_TRACE_LINE_MAX];
	va_list ap;

	if (c->p->trace.n >= ROUTER_PLAN_MAX_TRACE) {
		c->p->truncated = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (c->p->trace.n == ROUTER_PLAN_MAX_TRACE - 1)
		snprintf(line, sizeof(line), "(the trace stops here: %d lines)",
			 ROUTER_PLAN_MAX_TRACE);
	pb_strv_push(&c->p->trace, line);
}

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s != NULL ? s : "");
	for (char *p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

bool router_wildcard_match(const char *pattern, const char *text)
{
	struct mime_match *m;
	const char *error;

	if (mime_match_is_regex(pattern) || mime_match_compile(pattern, &m, &error) < 0)
		return false;
	int ret = mime_match_run(m, text, strlen(text), &error);
	mime_match_free(&m);
	return ret == 1;
}

static bool local_domain(const struct router_records *r, const char *domain)
{
	if (domain == NULL || domain[0] == '\0')
		return true;
	for (size_t i = 0; i < r->n_domains; i++)
		if (strcasecmp(r->domains[i], domain) == 0)
			return true;
	return false;
}

static const struct router_user *find_user(const struct router_records *r, const char *name)
{
	for (size_t i = 0; i < r->n_users; i++)
		if (strcasecmp(r->users[i].name, name) == 0)
			return &r->users[i];
	return NULL;
}

static const struct router_list *find_list(const struct router_records *r, const char *name)
{
	for (size_t i = 0; i < r->n_lists; i++)
		if (strcasecmp(r->lists[i].name, name) == 0)
			return &r->lists[i];
	return NULL;
}

/* Splits a lowercase address in place at its last '@': *domain_r NULL for a bare name. */
static void split(char *addr, const char **domain_r)
{
	char *at = strrchr(addr, '@');
	*domain_r = NULL;
	if (at != NULL) {
		*at = '\0';
		*domain_r = at + 1;
	}
}

bool router_plan_is_local(const struct router_records *r, const char *addr)
{
	const char *at = strrchr(addr, '@');
	return local_domain(r, at != NULL ? at + 1 : NULL);
}

uint64_t router_plan_account_of(const struct router_records *r, const char *addr)
{
	char *local = lower_dup(addr);
	const char *domain;

	split(local, &domain);
	const struct router_user *u = local_domain(r, domain) ? find_user(r, local) : NULL;
	free(local);
	return u != NULL ? u->id : 0;
}

void router_split_list(const char *text, struct pb_strv *out)
{
	const char *p = text != NULL ? text : "";

	while (*p != '\0') {
		size_t n = strcspn(p, ";,");
		const char *b = p, *e = p + n;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (e > b) {
			char *one = xstrndup(b, (size_t)(e - b));
			pb_strv_push(out, one);
			free(one);
		}
		p += n + (p[n] != '\0');
	}
}

/* Whether the sender may post to an internal list: an authenticated client or a trusted
 * network (origin LOCAL); for mail the server generated (SYSTEM), a sender at a local domain;
 * never anything else (SMTP from outside, collected). NULL sender: any. */
static bool sender_local(const struct ctx *c)
{
	if (c->f->sender == NULL)
		return true; /* no sender yet (an RCPT check): decided at delivery */
	if (c->f->origin != PB_ORIGIN_SYSTEM)
		return c->f->origin == PB_ORIGIN_LOCAL;
	const char *at = strrchr(c->f->sender != NULL ? c->f->sender : "", '@');
	return at != NULL && local_domain(c->r, at + 1);
}

static bool plan_full(struct ctx *c)
{
	if (c->p->n_items < ROUTER_PLAN_MAX_ITEMS)
		return false;
	if (!c->p->truncated)
		trace(c, "the plan is full (%d deliveries): the rest is left out",
		      ROUTER_PLAN_MAX_ITEMS);
	c->p->truncated = true;
	return true;
}

static void push_item(struct router_plan *p, uint64_t user_id, const char *address,
		      const struct router_rules_copy *copy)
{
	p->items = xrealloc(p->items, sizeof(*p->items) * (p->n_items + 1));
	p->items[p->n_items++] = (struct router_plan_item){
		.user_id = user_id,
		.address = xstrdup(address),
		.folder = xstrdup(copy != NULL ? copy->folder : "INBOX"),
		.flags = copy != NULL ? copy->flags : 0,
		.keywords = xstrdup(copy != NULL ? copy->keywords : ""),
		.headers = xstrdup(copy != NULL && copy->headers != NULL ? copy->headers : ""),
	};
}

/* A remote item: a message rule's forward (while c->fwd_* are set) carries its sender and
 * header edits. */
static void push_remote(struct ctx *c, const char *addr)
{
	struct router_rules_copy edits = { .folder = "INBOX", .keywords = "",
					   .headers = (char *)c->fwd_headers };

	push_item(c->p, 0, addr, c->fwd_headers != NULL ? &edits : NULL);
	if (c->fwd_sender != NULL)
		c->p->items[c->p->n_items - 1].sender = xstrdup(c->fwd_sender);
}

/* Adds a local delivery to u as copy says (its folder, flags and keywords; NULL: INBOX, none),
 * one per account and folder. Returns 1 (reached, now or before), 0 when the plan is full. */
static int add_local_in(struct ctx *c, const struct router_user *u, const char *addr,
			const struct router_rules_copy *copy)
{
	const char *folder = copy != NULL ? copy->folder : "INBOX";

	for (size_t i = 0; i < c->p->n_items; i++) {
		if (c->p->items[i].user_id == u->id &&
		    strcasecmp(c->p->items[i].folder, folder) == 0) {
			trace(c, "%s already gets one copy", u->name);
			return 1;
		}
	}
	if (plan_full(c))
		return 0;
	push_item(c->p, u->id, addr, copy);
	trace(c, "deliver to %s, folder %s", u->name, folder);
	return 1;
}

/* Adds u's local deliveries (one per account: its rules' copies, or INBOX when they made
 * none). Returns 1 (reached, now or before). */
static int add_local(struct ctx *c, const struct router_user *u, const char *addr,
		     const struct router_rules_outcome *rules)
{
	for (size_t i = 0; i < c->p->n_items; i++) {
		if (c->p->items[i].user_id == u->id) {
			trace(c, "%s already gets one copy", u->name);
			return 1;
		}
	}
	if (rules->n_copies == 0)
		return add_local_in(c, u, addr, NULL);
	for (size_t i = 0; i < rules->n_copies && !plan_full(c); i++)
		add_local_in(c, u, addr, &rules->copies[i]);
	return 1;
}

/* The count of remote addresses the account c->owner queued in this plan. */
static struct owner_count *owner_count(struct ctx *c)
{
	for (size_t i = 0; i < c->n_counts; i++)
		if (c->counts[i].id == c->owner->id)
			return &c->counts[i];
	c->counts = xrealloc(c->counts, sizeof(*c->counts) * (c->n_counts + 1));
	c->counts[c->n_counts] = (struct owner_count){ c->owner->id, 0 };
	return &c->counts[c->n_counts++];
}

/* Whether addr may be queued for c->owner (router-remote.h; no owner: yes), counting it;
 * a refusal said in the trace (the bound once per account). */
static bool owner_may_send(struct ctx *c, const char *addr)
{
	char why[ROUTER_PLAN_TRACE_LINE_MAX];

	if (c->owner == NULL)
		return true;
	struct owner_count *n = owner_count(c);
	enum router_remote_verdict v = router_remote_check(c->owner, addr, n->queued,
							   c->f->max_remote_targets, why,
							   sizeof(why));
	if (v == ROUTER_REMOTE_OK)
		n->queued++;
	else if (v != ROUTER_REMOTE_CAPPED || n->queued++ == c->f->max_remote_targets)
		trace(c, "%s", why);
	return v == ROUTER_REMOTE_OK;
}

/* Adds the remote address addr (as written: a remote local part keeps its case; one copy per
 * address in any case), if the account whose settings reach it may send there. Returns 1, 0
 * when refused or the plan is full. */
static int add_remote(struct ctx *c, const char *addr)
{
	for (size_t i = 0; i < c->p->n_items; i++)
		if (c->p->items[i].user_id == 0 && strcasecmp(c->p->items[i].address, addr) == 0)
			return 1;
	if (plan_full(c) || !owner_may_send(c, addr))
		return 0;
	push_remote(c, addr);
	trace(c, "%s is remote: send it out through the queue", addr);
	return 1;
}

static int resolve(struct ctx *c, const char *addr, bool target);

/* Resolves each ';'-separated target. Returns how many reached anything. */
static int resolve_targets(struct ctx *c, const char *targets)
{
	struct pb_strv v = { 0 };
	int reached = 0;

	router_split_list(targets, &v);
	for (uint32_t i = 0; i < v.n; i++)
		reached += resolve(c, v.v[i], true) > 0;
	pb_strv_clear(&v);
	return reached;
}

/* Whether the sender is one of u's assistants (a bare name: that name at a local domain). */
static bool sender_is_assistant(const struct ctx *c, const struct router_user *u)
{
	struct pb_strv v = { 0 };
	char *sender = lower_dup(c->f->sender);
	const char *domain;
	bool yes = false;

	router_split_list(u->assistants, &v);
	char *full = xstrdup(sender);
	split(sender, &domain);
	for (uint32_t i = 0; i < v.n && !yes; i++) {
		if (strchr(v.v[i], '@') != NULL)
			yes = strcasecmp(v.v[i], full) == 0;
		else
			yes = domain != NULL && local_domain(c->r, domain) &&
			      strcasecmp(v.v[i], sender) == 0;
	}
	free(full);
	free(sender);
	pb_strv_clear(&v);
	return yes;
}

/* What the scripts switched off of u's default routing (no_assistants(), no_forwarding()). */
struct user_switches {
	bool no_assistants;
	bool no_forwarding;
};

/* The blocked senders and routing scripts of u (router-lua.h): their trace; a blocked sender
 * gets nothing; a script that acted delivers into its folders and forwards to its addresses
 * (resolved as Forward To targets), replacing u's default routing. Returns true when decided;
 * *sw_r: what the scripts switched off of the default routing (used when not decided). */
static bool router_plan_lua(struct ctx *c, const struct router_user *u, const char *addr,
			    bool *keep_local_r, bool *blocked_r, struct user_switches *sw_r)
{
	struct router_lua_result res;

	router_lua_user(c->f, u, addr, &res);
	sw_r->no_assistants = res.no_assistants;
	sw_r->no_forwarding = res.no_forwarding;
	for (uint32_t i = 0; i < res.trace.n; i++)
		trace(c, "%s", res.trace.v[i]);
	bool decided = res.blocked || res.acted, before = *keep_local_r;
	*blocked_r = res.blocked;
	int reached = 0;
	for (uint32_t i = 0; res.acted && i < res.folders.n; i++) {
		struct router_rules_copy in = { .folder = res.folders.v[i], .keywords = "" };
		reached += add_local_in(c, u, addr, &in);
	}
	for (uint32_t i = 0; res.acted && i < res.forward.n; i++)
		reached += resolve_targets(c, res.forward.v[i]);
	if (decided)
		*keep_local_r = false;
	if (res.acted && reached == 0) {
		trace(c, "the script's decision reaches nobody: %s %s", u->name,
		      before ? "keeps the message" : "is routed as its rules said");
		*keep_local_r = before;
	}
	router_lua_result_free(&res);
	return decided;
}

/*
 * THE CALL POINT for an account's own processing, once per account reached, after its message
 * rules (router_plan_rules, whose *keep_local_r comes in) and before its autoresponder,
 * assistants and forwarding: its blocked senders and routing scripts (router_plan_lua,
 * router-lua.c). Returns true when they decided the account's routing (its Forward To and
 * assistants are not used); *keep_local_r false: no copy as the rules said (or INBOX);
 * *blocked_r: the sender is blocked (no autoreply either); *sw_r: the parts of the default
 * routing switched off. Whatever they add must keep the plan deterministic and, on their
 * failure, leave it as if they were absent.
 */
static bool router_plan_user_hooks(struct ctx *c, const struct router_user *u, const char *addr,
				   bool *keep_local_r, bool *blocked_r, struct user_switches *sw_r)
{
	return router_plan_lua(c, u, addr, keep_local_r, blocked_r, sw_r);
}

/* u's message rules (guide 4.14, the administrator's then u's) over the message, into *out_r
 * (zeroed when none ran); their forwards resolved like any target. Returns false when they
 * take the message away from u's mailbox (delete, or a redirect that reached someone). */
static bool router_plan_rules(struct ctx *c, const struct router_user *u,
			      struct router_rules_outcome *out_r)
{
	memset(out_r, 0, sizeof(*out_r));
	if (u->rules == NULL && c->r->admin_rules == NULL)
		return true;
	if (c->f->message == NULL) {
		trace(c, "the message rules of %s are not used: the message could not be read",
		      u->name);
		return true;
	}
	router_rules_run(c->r->admin_rules, u->rules, c->f->message, u->name, out_r);
	for (uint32_t i = 0; i < out_r->trace.n; i++)
		trace(c, "%s", out_r->trace.v[i]);
	int reached = 0;
	/* the forwards are u's own when it has rules (the administrator's run with them) */
	c->owner = u->rules != NULL ? u : NULL;
	c->fwd_sender = out_r->forward_sender;
	c->fwd_headers = out_r->forward_headers;
	for (size_t i = 0; i < out_r->n_forwards; i++)
		reached += resolve(c, out_r->forwards[i], true) > 0;
	c->fwd_sender = c->fwd_headers = NULL;
	if (out_r->redirect && reached == 0) {
		trace(c, "no address the rules of %s redirect to could be reached: %s keeps the "
		      "message", u->name, u->name);
		return true;
	}
	return !out_r->deleted && !(out_r->redirect && reached > 0);
}

/* Assistants (guide 4.5): copy or redirect, ignored when an assistant is the sender.
 * Returns true when they took the message away from the account (a redirect that reached). */
static bool apply_assistants(struct ctx *c, const struct router_user *u)
{
	if (u->assistants == NULL || u->assistants[0] == '\0')
		return false;
	if (sender_is_assistant(c, u)) {
		trace(c, "%s's assistants are not used: the sender is one of them", u->name);
		return false;
	}
	trace(c, "%s %s to the assistants %s", u->name,
	      u->assistant_redirect ? "redirects" : "copies", u->assistants);
	int reached = resolve_targets(c, u->assistants);
	if (u->assistant_redirect && reached == 0)
		trace(c, "no assistant of %s could be reached: %s keeps the message", u->name,
		      u->name);
	return u->assistant_redirect && reached > 0;
}

/* Forward To (guide 4.5) when Use Forwarding is on. Returns true when it took the message away. */
static bool apply_forwarding(struct ctx *c, const struct router_user *u)
{
	if (!u->use_forwarding || u->forward_to == NULL || u->forward_to[0] == '\0')
		return false;
	trace(c, "%s forwards to %s (%s)", u->name, u->forward_to,
	      u->keep_copy ? "keeping a copy" : "no local copy");
	int reached = resolve_targets(c, u->forward_to);
	if (!u->keep_copy && reached == 0)
		trace(c, "no forwarding address of %s could be reached: %s keeps the message",
		      u->name, u->name);
	return !u->keep_copy && reached > 0;
}

/* h-generate: u's automatic reply (router-generate.h), decided here, made at delivery. */
static void plan_autoreply(struct ctx *c, const struct router_user *u, const char *addr)
{
	const char *why;

	if (u->autoreply == NULL || !u->autoreply->on)
		return;
	for (size_t i = 0; i < c->p->n_generated; i++)
		if (c->p->gens[i].kind == ROUTER_GEN_AUTOREPLY && c->p->gens[i].user_id == u->id)
			return;
	bool due = router_autoreply_due(u->autoreply, c->f->sender, addr, c->f->now_ms, &why);
	trace(c, "%s's autoresponder: %s", u->name, why);
	if (!due || c->p->n_generated >= ROUTER_PLAN_MAX_GENS)
		return;
	struct pb_buf all;
	pb_buf_init(&all);
	pb_buf_printf(&all, "%s", strchr(addr, '@') != NULL ? addr : "");
	for (size_t i = 0; i < c->r->n_domains; i++)
		pb_buf_printf(&all, " %s@%s", u->name, c->r->domains[i]);
	struct router_plan_gen g = { ROUTER_GEN_AUTOREPLY, u->id, (char *)addr,
				     (char *)c->f->sender, u->autoreply->subject,
				     u->autoreply->text, all.data, u->autoreply->days };
	router_plan_gen_push(c->p, &g);
	pb_buf_deinit(&all);
}

/* h-generate: an accepted recipient that reaches nobody: a DSN to the sender, never to <>. */
static void plan_bounce(struct ctx *c, const char *rcpt)
{
	if (c->f->sender == NULL || c->f->sender[0] == '\0') {
		trace(c, "no delivery status notification: the sender is the null sender");
		return;
	}
	if (c->p->n_generated >= ROUTER_PLAN_MAX_GENS)
		return;
	struct router_plan_gen g = { ROUTER_GEN_BOUNCE, 0, (char *)rcpt, (char *)c->f->sender,
				     "", "550 5.1.1 the recipient reaches no mailbox here", "", 0 };
	router_plan_gen_push(c->p, &g);
	trace(c, "a delivery status notification (failed) for %s goes to %s", rcpt,
	      c->f->sender);
}

/* h-fwdext: one row of u's size dependent forwarding (guide 4.5): on when `to` is set and
 * the message is at least (over) or at most kb KiB. Returns true when it redirected the
 * message to someone reached. */
static bool apply_size_row(struct ctx *c, const struct router_user *u, bool over, uint32_t kb,
			   bool redirect, const char *to)
{
	uint64_t limit = (uint64_t)kb * 1024;

	if (to == NULL || to[0] == '\0' || (over ? c->f->size < limit : c->f->size > limit))
		return false;
	trace(c, "%s's size dependent forwarding: the message (%llu bytes) is %s %u kB: %s to %s",
	      u->name, (unsigned long long)c->f->size, over ? "at least" : "at most", kb,
	      redirect ? "redirect" : "copy", to);
	int reached = resolve_targets(c, to);
	if (redirect && reached == 0)
		trace(c, "no size forwarding address of %s could be reached: %s keeps the message",
		      u->name, u->name);
	return redirect && reached > 0;
}

/* u's assistants and Forward To (guide 4.5), when no script decided, less what sw switched
 * off; *keep_local_r false when they took the message away. */
static void route_default(struct ctx *c, const struct router_user *u,
			  const struct user_switches *sw, bool *keep_local_r)
{
	bool has_assistants = u->assistants != NULL && u->assistants[0] != '\0' &&
			      !sw->no_assistants;

	if (u->no_forward_quarantined && c->f->spam_quarantine) {
		trace(c, "%s's forwarding, assistants and size forwarding are not used: the message "
		      "would be quarantined", u->name);
		return;
	}
	if (apply_size_row(c, u, true, u->size_over_kb, u->size_over_redirect, u->size_over_to))
		*keep_local_r = false;
	if (apply_size_row(c, u, false, u->size_under_kb, u->size_under_redirect,
			   u->size_under_to))
		*keep_local_r = false;
	if (sw->no_assistants) {
		if (u->assistants != NULL && u->assistants[0] != '\0')
			trace(c, "%s's assistants are not used: a routing script switched them off",
			      u->name);
	} else if (apply_assistants(c, u)) {
		*keep_local_r = false;
	}
	if (has_assistants && u->assistant_redirect) {
		if (u->use_forwarding && u->forward_to != NULL && u->forward_to[0] != '\0')
			trace(c, "%s's Forward To is not used: the assistants redirect", u->name);
	} else if (sw->no_forwarding) {
		if (u->use_forwarding && u->forward_to != NULL && u->forward_to[0] != '\0')
			trace(c, "%s's Forward To is not used: a routing script switched it off",
			      u->name);
	} else if (apply_forwarding(c, u)) {
		*keep_local_r = false;
	}
}

/* The account u is reached (addr: how). Returns 1. */
static int reach_user(struct ctx *c, const struct router_user *u, const char *addr)
{
	struct router_rules_outcome rules;
	/* an account reached by a rule's forward routes on its own: not from that rule's sender */
	const char *outer_sender = c->fwd_sender, *outer_headers = c->fwd_headers;
	const struct router_user *outer_owner = c->owner;
	c->fwd_sender = c->fwd_headers = NULL;
	bool keep_local = router_plan_rules(c, u, &rules), blocked;
	struct user_switches sw;
	c->owner = u; /* its scripts, assistants and forwarding: its own settings */
	bool decided = router_plan_user_hooks(c, u, addr, &keep_local, &blocked, &sw);

	if (!blocked)
		plan_autoreply(c, u, addr);
	if (!decided)
		route_default(c, u, &sw, &keep_local);
	int ret = keep_local ? add_local(c, u, addr, &rules) : 1;
	router_rules_outcome_free(&rules);
	c->fwd_sender = outer_sender;
	c->fwd_headers = outer_headers;
	c->owner = outer_owner;
	return ret;
}

/* Whether mapping m applies to this message (its type, its collector). */
static bool map_applies(const struct ctx *c, const struct router_mapping *m)
{
	bool collector_ok = m->collector == NULL || m->collector[0] == '\0' ||
			    (c->f->collector != NULL && strcasecmp(m->collector, c->f->collector) == 0);
	switch (m->type) {
	case ROUTER_MAP_ALWAYS:
		return true;
	case ROUTER_MAP_SMTP:
		return c->f->source == ROUTER_SRC_SMTP;
	case ROUTER_MAP_POP3:
	case ROUTER_MAP_FROM:
		return c->f->source == ROUTER_SRC_POP3 && collector_ok;
	}
	return false;
}

/* Whether m's pattern matches: with '@' the whole address, bare the local part at a local
 * domain. full: the lowercase address; local/domain its parts. */
static bool map_matches(const struct router_mapping *m, const char *full, const char *local,
			bool at_local)
{
	if (strchr(m->address, '@') != NULL)
		return router_wildcard_match(m->address, full);
	return at_local && router_wildcard_match(m->address, local);
}

/* Every mapping matching the recipient (From mappings: the sender, at the first level only).
 * Returns how many targets were reached; *matched_r set when one matched. */
static int apply_mappings(struct ctx *c, const char *full, const char *local, bool at_local,
			  bool *matched_r)
{
	char *sender = lower_dup(c->f->sender);
	const char *sdomain;
	char *sfull = xstrdup(sender);
	int reached = 0;
	const struct router_user *outer_owner = c->owner;

	c->owner = NULL; /* the administrator's mappings: not an account's own sending */
	split(sender, &sdomain);
	for (size_t i = 0; i < c->r->n_mappings; i++) {
		const struct router_mapping *m = &c->r->mappings[i];
		if (!map_applies(c, m))
			continue;
		bool from = m->type == ROUTER_MAP_FROM;
		if (from ? c->depth != 1 || !map_matches(m, sfull, sender, local_domain(c->r, sdomain))
			 : !map_matches(m, full, local, at_local))
			continue;
		*matched_r = true;
		trace(c, "%s mapping %s -> %s (%s) matches %s", from ? "sender" : "address",
		      m->address, m->target, router_map_type_name(m->type), from ? sfull : full);
		reached += resolve(c, m->target, true) > 0;
	}
	c->owner = outer_owner;
	free(sfull);
	free(sender);
	return reached;
}

/* The distribution list l (guide 5.3): its members, if the sender may post. */
static int apply_list(struct ctx *c, const struct router_list *l)
{
	int reached = 0;

	const char *who = c->f->sender != NULL && c->f->sender[0] ? c->f->sender : "<>";
	bool known = c->f->sender != NULL && c->f->origin != PB_ORIGIN_SYSTEM;
	if (!l->internet && !sender_local(c)) {
		trace(c, "list %s takes no mail from outside (sender %s%s): not delivered to it",
		      l->name, who,
		      !known ? ""
		      : c->f->origin == PB_ORIGIN_COLLECTED
			      ? ", collected mail"
			      : ", not authenticated nor from a trusted network");
		return 0;
	}
	if (!l->internet && known)
		trace(c, "list %s is internal: %s posts as an authenticated client or from a "
		      "trusted network", l->name, who);
	trace(c, "list %s: %zu member(s)", l->name, l->n_members);
	const struct router_user *outer_owner = c->owner;
	c->owner = NULL; /* the administrator's list: not an account's own sending */
	for (size_t i = 0; i < l->n_members; i++)
		reached += resolve(c, l->members[i], true) > 0;
	c->owner = outer_owner;
	return reached;
}

/* Whether addr is on the current path (a loop), saying so. */
static bool on_path(struct ctx *c, const char *addr)
{
	for (size_t i = 0; i < c->depth; i++) {
		if (strcmp(c->path[i], addr) != 0)
			continue;
		char chain[ROUTER_PLAN_TRACE_LINE_MAX] = "";
		for (size_t j = i; j < c->depth; j++) {
			strncat(chain, c->path[j], sizeof(chain) - strlen(chain) - 1);
			strncat(chain, " -> ", sizeof(chain) - strlen(chain) - 1);
		}
		trace(c, "loop: %s%s; stopped there", chain, addr);
		return true;
	}
	return false;
}

/* The account, list and mappings of one address (the path already holds it; orig: as
 * written). *remote_r: it is a remote address (no account, list or mapping). */
static int resolve_here(struct ctx *c, char *full, const char *orig, bool target,
			bool *remote_r)
{
	char *local = xstrdup(full);
	const char *domain;
	bool matched = false;
	int reached = 0;

	split(local, &domain);
	bool at_local = local_domain(c->r, domain);
	const struct router_user *u = at_local ? find_user(c->r, local) : NULL;
	const struct router_list *l = at_local ? find_list(c->r, local) : NULL;
	*remote_r = false;
	if (u != NULL && target) {
		trace(c, "%s is the account %s", full, u->name);
		reached = reach_user(c, u, full);
		free(local);
		return reached;
	}
	if (u != NULL && u->defaults_disabled)
		trace(c, "%s: the default addresses of %s are disabled", full, u->name);
	else if (u != NULL) {
		matched = true;
		trace(c, "%s is the default address of %s", full, u->name);
		reached += reach_user(c, u, full);
	}
	if (l != NULL) {
		matched = true;
		reached += apply_list(c, l);
	}
	reached += apply_mappings(c, full, local, at_local, &matched);
	*remote_r = !matched && !at_local;
	if (*remote_r)
		reached += add_remote(c, orig);
	else if (!matched)
		trace(c, "%s: no such account, list or mapping", full);
	free(local);
	return reached;
}

/* addr in lowercase; an account's or a list's address at a local domain as its bare name,
 * so "ann" and "ann@example.com" are one step of a path. */
static char *canonical(const struct ctx *c, const char *addr)
{
	char *full = lower_dup(addr);
	char *local = xstrdup(full);
	const char *domain;

	split(local, &domain);
	if (domain != NULL && local_domain(c->r, domain) &&
	    (find_user(c->r, local) != NULL || find_list(c->r, local) != NULL)) {
		free(full);
		return local;
	}
	free(local);
	return full;
}

/* key's earlier resolution (as a target or not), NULL none. */
static struct resolved *find_done(const struct ctx *c, const char *key, bool target)
{
	for (size_t i = 0; i < c->n_done; i++)
		if (c->done[i].target == target && strcmp(c->done[i].key, key) == 0)
			return &c->done[i];
	return NULL;
}

/* Keeps what key's resolution reached (took: key, now owned by the ctx). */
static void keep_done(struct ctx *c, char *key, bool target, bool cut, int reached)
{
	struct resolved *d = find_done(c, key, target);

	if (d == NULL) {
		c->done = xrealloc(c->done, sizeof(*c->done) * (c->n_done + 1));
		d = &c->done[c->n_done++];
		d->key = key;
		d->target = target;
	} else {
		free(key);
	}
	d->cut = cut;
	d->depth = c->depth;
	d->reached = reached;
}

/* Resolves addr (target: named by a mapping, list, forward or assistant). Returns how many
 * deliveries it reached (0: none, a loop, too deep). */
static int resolve(struct ctx *c, const char *addr, bool target)
{
	char *key = canonical(c, addr);
	int reached = 0;
	bool remote = false;

	if (on_path(c, key)) {
		free(key);
		return 0;
	}
	if (c->depth >= ROUTER_PLAN_MAX_DEPTH) {
		trace(c, "%s: more than %d steps deep; stopped there", key, ROUTER_PLAN_MAX_DEPTH);
		c->depth_cuts++;
		free(key);
		return 0;
	}
	const struct resolved *done = find_done(c, key, target);
	if (done != NULL && (!done->cut || c->depth >= done->depth)) {
		trace(c, "%s was routed already for this message", key);
		c->depth_cuts += done->cut; /* what it reached then was cut: so is this */
		free(key);
		return done->reached;
	}
	char *full = lower_dup(addr);
	uint64_t cuts = c->depth_cuts;
	c->path[c->depth++] = key;
	reached = resolve_here(c, full, addr, target, &remote);
	c->path[--c->depth] = NULL;
	free(full);
	if (remote)
		free(key);
	else
		keep_done(c, key, target, c->depth_cuts != cuts, reached);
	return reached;
}

static const struct router_user *find_user_id(const struct router_records *r, uint64_t id)
{
	for (size_t i = 0; id != 0 && i < r->n_users; i++)
		if (r->users[i].id == id)
			return &r->users[i];
	return NULL;
}

/* h-fwdext: Copy Sent Messages To (guide 4.5): a message a client of ours sent (origin LOCAL)
 * whose envelope sender names an account (name@local-domain) with copy_sent_to set: a copy
 * to each of its targets, once per message whatever the recipients. */
static void plan_copy_sent(struct ctx *c)
{
	if (c->f->origin != PB_ORIGIN_LOCAL || c->f->sender == NULL || c->f->sender[0] == '\0')
		return;
	const struct router_user *u = find_user_id(c->r, router_plan_account_of(c->r,
										 c->f->sender));
	if (u == NULL || u->copy_sent_to == NULL || u->copy_sent_to[0] == '\0')
		return;
	trace(c, "sent by %s: a copy goes to %s (Copy Sent Messages To)", u->name,
	      u->copy_sent_to);
	c->owner = u;
	int reached = resolve_targets(c, u->copy_sent_to);
	c->owner = NULL;
	if (reached == 0)
		trace(c, "no Copy Sent Messages To address of %s could be reached", u->name);
}

void router_plan_resolve(const struct router_records *r, const struct router_facts *f,
			 const char *const *rcpts, const uint64_t *rcpt_ids, size_t n_rcpts,
			 struct router_plan *plan_r)
{
	struct ctx c = { .r = r, .f = f, .p = plan_r };

	memset(plan_r, 0, sizeof(*plan_r));
	for (size_t i = 0; i < n_rcpts; i++) {
		trace(&c, "recipient %s:", rcpts[i]);
		const struct router_user *u = find_user_id(r, rcpt_ids ? rcpt_ids[i] : 0);
		const char *at = strrchr(rcpts[i], '@');
		/* accepted for an account at a domain that is not ours (a mail collector routed the
		 * ISP's address to its user): the account, never the remote address */
		bool foreign = u != NULL && at != NULL && !local_domain(r, at + 1);
		if (!foreign && resolve(&c, rcpts[i], false) > 0)
			continue;
		if (u != NULL) {
			trace(&c, "%s was accepted for the account %s", rcpts[i], u->name);
			reach_user(&c, u, rcpts[i]);
		} else {
			trace(&c, "recipient %s reaches nobody", rcpts[i]);
			plan_bounce(&c, rcpts[i]);
		}
	}
	plan_copy_sent(&c);
	free(c.counts);
	for (size_t i = 0; i < c.n_done; i++)
		free(c.done[i].key);
	free(c.done);
}

bool router_plan_accepts(const struct router_records *r, const struct router_facts *f,
			 const char *rcpt)
{
	struct router_plan p;
	const char *one[1] = { rcpt };

	router_plan_resolve(r, f, one, NULL, 1, &p);
	bool yes = p.n_items > 0;
	router_plan_free(&p);
	return yes;
}

static char *dup0(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

void router_plan_gen_push(struct router_plan *p, const struct router_plan_gen *g)
{
	p->gens = xrealloc(p->gens, sizeof(*p->gens) * (p->n_generated + 1));
	p->gens[p->n_generated++] = (struct router_plan_gen){
		g->kind, g->user_id, dup0(g->address), dup0(g->to), dup0(g->subject),
		dup0(g->text), dup0(g->addresses), g->days
	};
}

size_t router_plan_local_count(const struct router_plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_items; i++)
		n += p->items[i].user_id != 0;
	return n;
}

void router_plan_free(struct router_plan *p)
{
	for (size_t i = 0; i < p->n_items; i++) {
		free(p->items[i].address);
		free(p->items[i].folder);
		free(p->items[i].keywords);
		free(p->items[i].headers);
		free(p->items[i].sender);
	}
	free(p->items);
	for (size_t i = 0; i < p->n_generated; i++) {
		struct router_plan_gen *g = &p->gens[i];
		free(g->address);
		free(g->to);
		free(g->subject);
		free(g->text);
		free(g->addresses);
	}
	free(p->gens);
	pb_strv_clear(&p->trace);
	memset(p, 0, sizeof(*p));
}

static const char *const map_type_names[] = { "always", "pop3", "smtp", "from" };

int router_map_type_parse(const char *name, enum router_map_type *type_r)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(map_type_names); i++) {
		if (name != NULL && strcasecmp(name, map_type_names[i]) == 0) {
			*type_r = (enum router_map_type)i;
			return 0;
		}
	}
	return -1;
}

const char *router_map_type_name(enum router_map_type type)
{
	return (size_t)type < PB_N_ELEMENTS(map_type_names) ? map_type_names[type] : "?";
}
