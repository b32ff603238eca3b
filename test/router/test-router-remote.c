/*
 * test-router-remote.c: remote targets an account's own settings produce obey its sending
 * permissions (router-plan.h "Remote targets", router-remote.h; issue 13 R3), table-driven:
 * internet_mail false drops the remote forward and keeps the local delivery; a
 * forbidden_recipients pattern (any case) drops that one target; router.max_remote_targets
 * bounds each account's remote addresses per message (one trace line); assistants, Copy Sent
 * Messages To and message rules obey too; the administrator's lists and mappings do not.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "router-plan.h"
#include "router-remote.h"
#include "rules.h"

#include <stdio.h>
#include <string.h>

static const char *const domains[] = { "example.com" };
static const char *const team_members[] = { "bob@remote.net" };
static char *rival[] = { "*@rival.com" };
static const struct pb_strv forbidden = { rival, 1 };
static struct router_user users[] = {
	{ .id = 1, .name = "ann" },
	{ .id = 2, .name = "ben" },
};
static const struct router_mapping maps[] = {
	{ "out", "x@remote.net", ROUTER_MAP_ALWAYS, NULL },
};
static const struct router_list lists[] = { { "team", true, team_members, 1 } };

struct remote_case {
	bool no_internet, forbid, keep;
	const char *forward_to, *assistants, *copy_sent_to;
	uint32_t max;
	const char *rcpt, *want, *trace_part;
	int trace_count; /* how many trace lines hold trace_part (0: at least one) */
};

static const struct remote_case cases_table[] = {
	/* the control: a user who may send forwards out */
	{ false, false, false, "x@remote.net", NULL, NULL, 0, "ann", "@x@remote.net",
	  "x@remote.net is remote", 0 },
	/* internet_mail false: not sent, and ann keeps the message */
	{ true, false, false, "x@remote.net", NULL, NULL, 0, "ann", "ann",
	  "forward to x@remote.net not sent: ann may not send to the Internet", 0 },
	{ true, false, true, "x@remote.net", NULL, NULL, 0, "ann", "ann",
	  "may not send to the Internet", 0 },
	/* a local target still reached: the redirect goes there alone */
	{ true, false, false, "x@remote.net; ben", NULL, NULL, 0, "ann", "ben",
	  "may not send to the Internet", 0 },
	/* an administrator's list or mapping reached by the forward: theirs, not restricted */
	{ true, false, false, "team", NULL, NULL, 0, "ann", "@bob@remote.net", NULL, 0 },
	{ true, false, false, "out", NULL, NULL, 0, "ann", "@x@remote.net", NULL, 0 },
	/* forbidden_recipients: that target only, matched in any case */
	{ false, true, true, "A@Rival.COM; b@friend.net", NULL, NULL, 0, "ann",
	  "@b@friend.net,ann", "forward to A@Rival.COM not sent: ann may not send to *@rival.com",
	  0 },
	{ false, true, false, "a@rival.com", NULL, NULL, 0, "ann", "ann", "forbidden_recipients",
	  0 },
	/* assistants: a remote assistant is not reached, ann keeps it */
	{ true, false, false, NULL, "p@remote.net", NULL, 0, "ann", "ann",
	  "forward to p@remote.net not sent", 0 },
	/* the bound: 3 of 5, one trace line */
	{ false, false, false, "r1@x.net;r2@x.net;r3@x.net;r4@x.net;r5@x.net", NULL, NULL, 3,
	  "ann", "@r1@x.net,@r2@x.net,@r3@x.net", "(" ROUTER_PLAN_REMOTE_CAPPED ")", 1 },
	/* one address reached twice counts once */
	{ false, false, false, "r1@x.net;R1@x.net;r2@x.net", NULL, NULL, 2, "ann",
	  "@r1@x.net,@r2@x.net", ROUTER_PLAN_REMOTE_CAPPED, -1 },
	/* the envelope's own remote recipient is SMTP's business, not counted */
	{ false, false, false, "r1@x.net", NULL, NULL, 1, "ann;z@y.net", "@r1@x.net,@z@y.net",
	  ROUTER_PLAN_REMOTE_CAPPED, -1 },
};

static size_t trace_count(const struct router_plan *p, const char *text)
{
	size_t n = 0;
	for (uint32_t i = 0; i < p->trace.n; i++)
		n += strstr(p->trace.v[i], text) != NULL;
	return n;
}

/* The plan as "ann,@x@remote.net": accounts by name (ids 1 and 2), remote addresses by "@". */
static void plan_text(const struct router_plan *p, char *out, size_t size)
{
	struct pb_buf b;

	pb_buf_init(&b);
	for (size_t i = 0; i < p->n_items; i++) {
		uint64_t id = p->items[i].user_id;
		pb_buf_printf(&b, "%s%s", i ? "," : "",
			      id == 0 ? "@" : id <= PB_N_ELEMENTS(users) ? users[id - 1].name : "?");
		if (id == 0)
			pb_buf_printf(&b, "%s", p->items[i].address);
	}
	snprintf(out, size, "%s", b.data != NULL ? b.data : "");
	pb_buf_deinit(&b);
}

static struct router_records records(void)
{
	return (struct router_records){ domains, 1, users, PB_N_ELEMENTS(users), maps,
					PB_N_ELEMENTS(maps), lists, PB_N_ELEMENTS(lists), NULL };
}

/* Checks plan p (then frees it) against want and the trace. */
static void check(struct router_plan *p, size_t i, const char *want, const char *part, int count)
{
	char got[512];
	size_t n = part != NULL ? trace_count(p, part) : 0;
	bool ok = part == NULL || (count < 0 ? n == 0 : count == 0 ? n > 0 : n == (size_t)count);

	plan_text(p, got, sizeof(got));
	if (strcmp(got, want) != 0 || !ok) {
		fprintf(stderr, "  case %zu: got \"%s\"\n", i, got);
		for (uint32_t l = 0; l < p->trace.n; l++)
			fprintf(stderr, "    | %s\n", p->trace.v[l]);
	}
	CHECK_STR(got, want);
	CHECK(ok);
	router_plan_free(p);
}

static void test_remote_table(void)
{
	struct router_records r = records();

	for (size_t i = 0; i < PB_N_ELEMENTS(cases_table); i++) {
		const struct remote_case *t = &cases_table[i];
		struct router_facts f = { .sender = "s@out.net", .size = 100,
					  .max_remote_targets = t->max };
		struct pb_strv rcpts = { 0 };
		struct router_plan p;

		users[0] = (struct router_user){
			.id = 1, .name = "ann", .no_internet_mail = t->no_internet,
			.forbidden = t->forbid ? &forbidden : NULL, .keep_copy = t->keep,
			.forward_to = t->forward_to, .use_forwarding = t->forward_to != NULL,
			.assistants = t->assistants, .assistant_redirect = true,
		};
		router_split_list(t->rcpt, &rcpts);
		router_plan_resolve(&r, &f, (const char *const *)rcpts.v, NULL, rcpts.n, &p);
		check(&p, i, t->want, t->trace_part, t->trace_count);
		pb_strv_clear(&rcpts);
	}
	users[0] = (struct router_user){ .id = 1, .name = "ann" };
}

/* The bound is per account: ann and ben each forward 2 of 3 with a bound of 2. */
static void test_bound_per_account(void)
{
	struct router_records r = records();
	struct router_facts f = { .sender = "s@out.net", .size = 1, .max_remote_targets = 2 };
	const char *rcpts[] = { "ann", "ben" };
	struct router_plan p;

	users[0] = (struct router_user){ .id = 1, .name = "ann", .use_forwarding = true,
					 .forward_to = "a1@x.net;a2@x.net;a3@x.net" };
	users[1] = (struct router_user){ .id = 2, .name = "ben", .use_forwarding = true,
					 .forward_to = "b1@x.net;b2@x.net;b3@x.net" };
	router_plan_resolve(&r, &f, rcpts, NULL, 2, &p);
	CHECK_INT(trace_count(&p, ROUTER_PLAN_REMOTE_CAPPED), 2);
	check(&p, 0, "@a1@x.net,@a2@x.net,@b1@x.net,@b2@x.net", "forward to a3@x.net not sent", 1);
	users[0] = (struct router_user){ .id = 1, .name = "ann" };
	users[1] = (struct router_user){ .id = 2, .name = "ben" };
}

/* Copy Sent Messages To of an account that may not send out: not sent. */
static void test_copy_sent(void)
{
	struct router_records r = records();
	struct router_facts f = { .sender = "ann@example.com", .size = 1,
				  .origin = PB_ORIGIN_LOCAL };
	const char *rcpt = "ben";
	struct router_plan p;

	users[0] = (struct router_user){ .id = 1, .name = "ann", .no_internet_mail = true,
					 .copy_sent_to = "archive@remote.net" };
	router_plan_resolve(&r, &f, &rcpt, NULL, 1, &p);
	check(&p, 0, "ben", "forward to archive@remote.net not sent", 0);
	users[0] = (struct router_user){ .id = 1, .name = "ann" };
}

/* A rule of ann's own forwards out: refused for internet_mail false; an administrator's
 * rule alone is the administrator's and goes. */
static void test_rules(void)
{
	static const char json[] = "{\"rules\":[{\"name\":\"r\",\"actions\":[{\"action\":"
				   "\"redirect_to\",\"value\":\"z@far.example\"}]}]}";
	struct rules_set *set = NULL;
	const char *error;
	struct rules_facts facts;
	const char *rcpt = "ann";
	struct router_plan p;

	REQUIRE(rules_set_parse(json, strlen(json), &set, &error) == 0);
	memset(&facts, 0, sizeof(facts));
	facts.type = RULES_TYPE_INCOMING;
	struct router_facts f = { .sender = "s@out.net", .size = 1, .message = &facts };
	struct router_records r = records();
	users[0] = (struct router_user){ .id = 1, .name = "ann", .no_internet_mail = true,
					 .rules = set };
	router_plan_resolve(&r, &f, &rcpt, NULL, 1, &p);
	check(&p, 0, "ann", "forward to z@far.example not sent: ann may not send to the Internet",
	      0);
	users[0].rules = NULL;
	r.admin_rules = set;
	router_plan_resolve(&r, &f, &rcpt, NULL, 1, &p);
	check(&p, 1, "@z@far.example", "may not send to the Internet", -1);
	users[0] = (struct router_user){ .id = 1, .name = "ann" };
	rules_set_free(&set);
}

/* The check alone: its verdicts in order of precedence. */
static void test_check(void)
{
	struct router_user u = { .id = 1, .name = "ann", .forbidden = &forbidden };
	char why[300];

	CHECK_INT(router_remote_check(&u, "a@ok.net", 0, 0, why, sizeof(why)), ROUTER_REMOTE_OK);
	CHECK_STR(why, "");
	CHECK_INT(router_remote_check(&u, "a@rival.com", 0, 0, why, sizeof(why)),
		  ROUTER_REMOTE_FORBIDDEN);
	CHECK_INT(router_remote_check(&u, "a@rival.com.evil", 5, 5, why, sizeof(why)),
		  ROUTER_REMOTE_CAPPED);
	CHECK_INT(router_remote_check(&u, "a@ok.net", 4, 5, why, sizeof(why)), ROUTER_REMOTE_OK);
	u.no_internet_mail = true;
	CHECK_INT(router_remote_check(&u, "a@rival.com", 9, 5, why, sizeof(why)),
		  ROUTER_REMOTE_NO_INTERNET);
}

static const struct pb_test_case cases[] = {
	{ "remote_table", test_remote_table },
	{ "bound_per_account", test_bound_per_account },
	{ "copy_sent", test_copy_sent },
	{ "rules", test_rules },
	{ "check", test_check },
};

PB_TEST_MAIN(cases)
