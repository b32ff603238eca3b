/*
 * test-router-plan.c: the router's pure resolution (router-plan.h), table-driven: the admin
 * guide's examples (3.2 wildcards, 4.5 forwarding and assistants, 5 addresses, aliases,
 * mappings and lists), loops, list permissions, dedupe and determinism.
 */
#include "pb-test.h"
#include "router-plan.h"
#include "router-user.h"

#include <stdio.h>

static const char *const domains[] = { "example.com", "example.org" };
static const char *const sales_members[] = { "ann", "bob@remote.net" };
static const char *const internal_members[] = { "ann", "ben", "sales" };
static const char *const loop_a[] = { "loopb" };
static const char *const loop_b[] = { "loopa@example.com" };

/* The users of every case; their forwarding is set per case through `users`. */
static struct router_user users[] = {
	{ .id = 1, .name = "ann" },
	{ .id = 2, .name = "ben" },
	{ .id = 3, .name = "s_users" },
	{ .id = 4, .name = "carol", .defaults_disabled = true },
	{ .id = 5, .name = "sue" },
	{ .id = 6, .name = "phil" },
	{ .id = 7, .name = "marc" },
};
static const struct router_mapping guide_maps[] = {
	{ "sales", "ann", ROUTER_MAP_ALWAYS, NULL },
	{ "sales", "ben", ROUTER_MAP_ALWAYS, NULL },
	{ "s*", "s_users", ROUTER_MAP_ALWAYS, NULL },
	{ "mark*@example.com", "marc", ROUTER_MAP_ALWAYS, NULL },
	{ "caz", "carol", ROUTER_MAP_ALWAYS, NULL },
	{ "viasmtp", "ann", ROUTER_MAP_SMTP, NULL },
	{ "viapop3", "ben", ROUTER_MAP_POP3, NULL },
	{ "viaisp", "ben", ROUTER_MAP_POP3, "isp1" },
	{ "*@boss.example", "sue", ROUTER_MAP_FROM, NULL },
	{ "chain1", "chain2", ROUTER_MAP_ALWAYS, NULL },
	{ "chain2", "chain3", ROUTER_MAP_ALWAYS, NULL },
	{ "chain3", "chain4", ROUTER_MAP_ALWAYS, NULL },
	{ "chain4", "chain5", ROUTER_MAP_ALWAYS, NULL },
	{ "chain5", "chain6", ROUTER_MAP_ALWAYS, NULL },
	{ "chain6", "chain7", ROUTER_MAP_ALWAYS, NULL },
	{ "chain7", "chain8", ROUTER_MAP_ALWAYS, NULL },
	{ "chain8", "chain9", ROUTER_MAP_ALWAYS, NULL },
	{ "chain9", "ann", ROUTER_MAP_ALWAYS, NULL },
	{ "aliasloop1", "aliasloop2", ROUTER_MAP_ALWAYS, NULL },
	{ "aliasloop2", "aliasloop1@example.com", ROUTER_MAP_ALWAYS, NULL },
};
static const struct router_list lists[] = {
	{ "team", true, sales_members, 2 },
	{ "internal", false, internal_members, 3 },
	{ "loopa", true, loop_a, 1 },
	{ "loopb", true, loop_b, 1 },
};

static struct router_records records(void)
{
	return (struct router_records){ domains, 2, users, PB_N_ELEMENTS(users), guide_maps,
					PB_N_ELEMENTS(guide_maps), lists, PB_N_ELEMENTS(lists), NULL };
}

/* The plan of rcpt as "name,name,@remote" in plan order (user ids named by the table). */
static void plan_text(const struct router_plan *p, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < p->n_items; i++) {
		const char *name = p->items[i].address;
		for (size_t u = 0; p->items[i].user_id != 0 && u < PB_N_ELEMENTS(users); u++)
			if (users[u].id == p->items[i].user_id)
				name = users[u].name;
		snprintf(out + strlen(out), size - strlen(out), "%s%s%s", i ? "," : "",
			 p->items[i].user_id == 0 ? "@" : "", name);
	}
}

static bool trace_has(const struct router_plan *p, const char *text)
{
	for (uint32_t i = 0; i < p->trace.n; i++)
		if (strstr(p->trace.v[i], text) != NULL)
			return true;
	return false;
}

/* Checks plan p (then frees it) against want (plan_text) and trace_part (NULL: none), showing
 * the trace of case i of table `what` when it differs. */
static void check_plan(struct router_plan *p, const char *what, size_t i, const char *want,
		       const char *trace_part)
{
	char got[512];

	plan_text(p, got, sizeof(got));
	if (strcmp(got, want) != 0 || (trace_part && !trace_has(p, trace_part))) {
		fprintf(stderr, "  %s case %zu: got \"%s\"\n", what, i, got);
		for (uint32_t l = 0; l < p->trace.n; l++)
			fprintf(stderr, "    | %s\n", p->trace.v[l]);
	}
	CHECK_STR(got, want);
	CHECK(trace_part == NULL || trace_has(p, trace_part));
	router_plan_free(p);
}

struct plan_case {
	const char *rcpt, *sender;
	enum router_source source;
	const char *collector;
	const char *want;       /* plan_text */
	const char *trace_part; /* a trace line must contain it (NULL: no check) */
};

static const struct plan_case plan_cases[] = {
	/* guide 5.3 NOTE: sales -> ann, sales -> ben and s* -> s_users all deliver */
	{ "sales@example.com", "x@out.net", ROUTER_SRC_SMTP, NULL, "ann,ben,s_users",
	  "address mapping s* -> s_users" },
	{ "SALES@Example.ORG", "x@out.net", ROUTER_SRC_SMTP, NULL, "ann,ben,s_users", NULL },
	/* default addresses, at every local domain, any case; a bare name is local */
	{ "Ann@EXAMPLE.com", "", ROUTER_SRC_SMTP, NULL, "ann", "default address of ann" },
	{ "ben", "", ROUTER_SRC_SMTP, NULL, "ben", NULL },
	/* a user matching s* gets it and s_users too */
	{ "sue@example.com", "", ROUTER_SRC_SMTP, NULL, "sue,s_users", NULL },
	/* disabled default addresses: not by carol@, yet by an alias */
	{ "carol@example.com", "", ROUTER_SRC_SMTP, NULL, "", "default addresses of carol are disabled" },
	{ "caz@example.org", "", ROUTER_SRC_SMTP, NULL, "carol", NULL },
	/* a full-address pattern with a wildcard, and only at its domain */
	{ "mark.w@example.com", "", ROUTER_SRC_SMTP, NULL, "marc", NULL },
	{ "mark@example.org", "", ROUTER_SRC_SMTP, NULL, "", "no such account" },
	/* a bare pattern never matches a remote domain: remote goes to the queue */
	{ "sales@remote.net", "", ROUTER_SRC_SMTP, NULL, "@sales@remote.net", "through the queue" },
	/* mapping types */
	{ "viasmtp@example.com", "", ROUTER_SRC_SMTP, NULL, "ann", NULL },
	{ "viasmtp@example.com", "", ROUTER_SRC_POP3, NULL, "", NULL },
	{ "viapop3@example.com", "", ROUTER_SRC_SMTP, NULL, "", NULL },
	{ "viapop3@example.com", "", ROUTER_SRC_POP3, "any", "ben", NULL },
	{ "viaisp@example.com", "", ROUTER_SRC_POP3, "isp2", "", NULL },
	{ "viaisp@example.com", "", ROUTER_SRC_POP3, "ISP1", "ben", NULL },
	{ "nobody@example.com", "md@boss.example", ROUTER_SRC_POP3, "isp1", "sue",
	  "sender mapping" },
	{ "nobody@example.com", "md@boss.example", ROUTER_SRC_SMTP, NULL, "", NULL },
	/* lists: remote members; internal lists refuse outside senders */
	{ "team@example.com", "x@out.net", ROUTER_SRC_SMTP, NULL, "ann,@bob@remote.net",
	  "list team: 2 member(s)" },
	{ "internal@example.com", "x@out.net", ROUTER_SRC_SMTP, NULL, "", "takes no mail from outside" },
	{ "internal@example.com", "", ROUTER_SRC_SMTP, NULL, "", "takes no mail from outside" },
	/* (a list member that is an alias, ann reached twice: test_list_origin) */
	/* loops and depth */
	{ "loopa@example.com", "", ROUTER_SRC_SMTP, NULL, "", "loop: loopa -> loopb -> loopa" },
	{ "aliasloop1@example.com", "", ROUTER_SRC_SMTP, NULL, "", "loop:" },
	{ "chain1@example.com", "", ROUTER_SRC_SMTP, NULL, "", "more than 8 steps deep" },
	{ "chain3@example.com", "", ROUTER_SRC_SMTP, NULL, "ann", NULL },
};

static void test_plan_table(void)
{
	struct router_records r = records();

	for (size_t i = 0; i < PB_N_ELEMENTS(plan_cases); i++) {
		const struct plan_case *t = &plan_cases[i];
		struct router_facts f = { .sender = t->sender, .size = 100, .source = t->source,
					  .collector = t->collector };
		struct router_plan p;
		char got[512];

		router_plan_resolve(&r, &f, &t->rcpt, NULL, 1, &p);
		plan_text(&p, got, sizeof(got));
		if (strcmp(got, t->want) != 0 || (t->trace_part && !trace_has(&p, t->trace_part))) {
			fprintf(stderr, "  case %zu %s: got \"%s\"\n", i, t->rcpt, got);
			for (uint32_t l = 0; l < p.trace.n; l++)
				fprintf(stderr, "    | %s\n", p.trace.v[l]);
		}
		CHECK_STR(got, t->want);
		CHECK(t->trace_part == NULL || trace_has(&p, t->trace_part));
		CHECK_INT(router_plan_accepts(&r, &f, t->rcpt), t->want[0] != '\0');
		router_plan_free(&p);
	}
}

struct fwd_case {
	const char *forward_to;
	bool use, keep;
	const char *assistants;
	bool redirect;
	const char *sender;
	const char *want;
	const char *trace_part;
};

/* Guide 4.5: ann's routing settings, mail to ann@example.com. */
static const struct fwd_case fwd_cases[] = {
	{ "ben;x@remote.net", true, false, NULL, false, "", "ben,@x@remote.net",
	  "ann forwards to ben;x@remote.net (no local copy)" },
	{ " ben ; x@remote.net ", true, true, NULL, false, "", "ben,@x@remote.net,ann",
	  "keeping a copy" },
	{ "ben", false, false, NULL, false, "", "ann", NULL }, /* Use Forwarding off */
	{ NULL, false, false, "phil", false, "", "phil,ann", "copies to the assistants" },
	{ NULL, false, false, "phil", true, "", "phil", "redirects to the assistants" },
	/* an assistant sending to ann reaches ann */
	{ NULL, false, false, "phil", true, "Phil@example.org", "ann", "sender is one of them" },
	{ NULL, false, false, "p@remote.net", true, "p@remote.net", "ann", "sender is one of them" },
	/* redirect to the assistants switches Forward To off */
	{ "ben", true, false, "phil", true, "", "phil", "Forward To is not used" },
	/* copy to the assistants, and forwarding too */
	{ "ben", true, false, "phil", false, "", "phil,ben", NULL },
	/* a forward to itself is a loop: ann keeps it */
	{ "ann@example.com", true, false, NULL, false, "", "ann", "loop: ann -> ann" },
	/* a forward to nobody: kept */
	{ "ghost", true, false, NULL, false, "", "ann", "keeps the message" },
};

static void test_forwarding_table(void)
{
	struct router_records r = records();
	const char *rcpt = "ann@example.com";

	for (size_t i = 0; i < PB_N_ELEMENTS(fwd_cases); i++) {
		const struct fwd_case *t = &fwd_cases[i];
		struct router_facts f = { .sender = t->sender, .size = 100,
					  .source = ROUTER_SRC_SMTP };
		struct router_plan p;

		users[0].forward_to = t->forward_to;
		users[0].use_forwarding = t->use;
		users[0].keep_copy = t->keep;
		users[0].assistants = t->assistants;
		users[0].assistant_redirect = t->redirect;
		router_plan_resolve(&r, &f, &rcpt, NULL, 1, &p);
		check_plan(&p, "forward", i, t->want, t->trace_part);
	}
	users[0] = (struct router_user){ .id = 1, .name = "ann" };
}

/* Two users forwarding to each other: stopped, and the mail stays with one of them. */
static void test_forward_loop(void)
{
	struct router_records r = records();
	struct router_facts f = { .sender = "", .size = 1, .source = ROUTER_SRC_SMTP };
	const char *rcpt = "ann@example.com";
	struct router_plan p;
	char got[128];

	users[0].forward_to = "ben";
	users[0].use_forwarding = true;
	users[1].forward_to = "ann@example.org";
	users[1].use_forwarding = true;
	router_plan_resolve(&r, &f, &rcpt, NULL, 1, &p);
	plan_text(&p, got, sizeof(got));
	CHECK_STR(got, "ben");
	CHECK(trace_has(&p, "loop: ann -> ben -> ann; stopped there"));
	CHECK(trace_has(&p, "ben keeps the message"));
	router_plan_free(&p);
	users[0] = (struct router_user){ .id = 1, .name = "ann" };
	users[1] = (struct router_user){ .id = 2, .name = "ben" };
}

/* Forwards naming the same accounts many times (a chain of 4000-byte Forward To fields, each
 * "next;next;..."): every account is routed once, not once per path (1000^4 paths: the
 * router was stuck on one message for hours); the deep end of a chain first met at the depth
 * bound is routed again when met higher. */
static void test_forward_fanout(void)
{
	struct router_records r = records();
	struct router_facts f = { .sender = "", .size = 1, .source = ROUTER_SRC_SMTP };
	const char *names[] = { "ann", "ben", "sue", "phil", "marc" };
	const char *rcpt = "ann@example.com";
	char fwd[4][ROUTER_USER_TEXT_MAX + 1];
	struct router_plan p;
	char got[128];

	for (size_t i = 0; i < 4; i++) {
		fwd[i][0] = '\0';
		while (strlen(fwd[i]) + strlen(names[i + 1]) + 1 <= ROUTER_USER_TEXT_MAX)
			snprintf(fwd[i] + strlen(fwd[i]), sizeof(fwd[i]) - strlen(fwd[i]), "%s;",
				 names[i + 1]);
		users[i == 0 ? 0 : i == 1 ? 1 : i == 2 ? 4 : 5].forward_to = fwd[i];
	}
	for (size_t i = 0; i < PB_N_ELEMENTS(users); i++)
		users[i].use_forwarding = users[i].keep_copy = true;
	router_plan_resolve(&r, &f, &rcpt, NULL, 1, &p);
	plan_text(&p, got, sizeof(got));
	CHECK_STR(got, "marc,phil,sue,ben,ann");
	router_plan_free(&p);

	/* ann first reached 7 steps deep (her forward to marc stopped at the bound: she keeps
	 * it), then 2 steps deep: routed again, marc reached */
	static const struct router_mapping deep[] = {
		{ "d1", "d2", ROUTER_MAP_ALWAYS, NULL }, { "d2", "d3", ROUTER_MAP_ALWAYS, NULL },
		{ "d3", "d4", ROUTER_MAP_ALWAYS, NULL }, { "d4", "d5", ROUTER_MAP_ALWAYS, NULL },
		{ "d5", "d6", ROUTER_MAP_ALWAYS, NULL }, { "d6", "d7", ROUTER_MAP_ALWAYS, NULL },
		{ "d7", "ann", ROUTER_MAP_ALWAYS, NULL },
	};
	const char *rcpts[] = { "d1@example.com", "d6@example.com" };
	r.mappings = deep;
	r.n_mappings = PB_N_ELEMENTS(deep);
	users[0].forward_to = "marc";
	users[0].keep_copy = false;
	users[6].forward_to = NULL;
	router_plan_resolve(&r, &f, rcpts, NULL, 2, &p);
	plan_text(&p, got, sizeof(got));
	CHECK_STR(got, "ann,marc");
	CHECK(trace_has(&p, "marc: more than 8 steps deep"));
	router_plan_free(&p);
	for (size_t i = 0; i < PB_N_ELEMENTS(users); i++)
		users[i] = (struct router_user){ .id = users[i].id, .name = users[i].name,
						 .defaults_disabled = users[i].defaults_disabled };
}

/* Several recipients: one copy per account, in a stable order; the same plan twice. */
static void test_dedupe_and_determinism(void)
{
	struct router_records r = records();
	struct router_facts f = { .sender = "ann@example.com", .size = 1,
				  .source = ROUTER_SRC_SMTP, .origin = PB_ORIGIN_LOCAL };
	const char *rcpts[] = { "internal@example.com", "ann@example.org", "ANN", "x@remote.net",
				"X@Remote.NET" };
	struct router_plan a, b;
	char ta[256], tb[256];

	router_plan_resolve(&r, &f, rcpts, NULL, PB_N_ELEMENTS(rcpts), &a);
	router_plan_resolve(&r, &f, rcpts, NULL, PB_N_ELEMENTS(rcpts), &b);
	plan_text(&a, ta, sizeof(ta));
	plan_text(&b, tb, sizeof(tb));
	CHECK_STR(ta, "ann,ben,s_users,@x@remote.net");
	CHECK_STR(ta, tb);
	CHECK_INT(a.trace.n, b.trace.n);
	CHECK_INT(router_plan_local_count(&a), 3);
	for (size_t i = 0; i < a.n_items; i++)
		CHECK_STR(a.items[i].folder, "INBOX");
	router_plan_free(&a);
	router_plan_free(&b);
}

/* A recipient accepted for an account (postmaster) reaches it when its address names nobody;
 * an address that resolves keeps its own resolution. */
static void test_accepted_account_fallback(void)
{
	struct router_records r = records();
	struct router_facts f = { .sender = "", .size = 1, .source = ROUTER_SRC_SMTP };
	const char *rcpts[] = { "postmaster@example.com", "ben@example.com", "ghost@example.com" };
	const uint64_t ids[] = { 5, 1, 99 };
	struct router_plan p;
	char got[128];

	router_plan_resolve(&r, &f, rcpts, ids, 3, &p);
	plan_text(&p, got, sizeof(got));
	CHECK_STR(got, "sue,ben");
	CHECK(trace_has(&p, "postmaster@example.com was accepted for the account sue"));
	CHECK(trace_has(&p, "recipient ghost@example.com reaches nobody"));
	router_plan_free(&p);
}

/* Who may post to an internal list: by the origin (enum pb_origin: LOCAL, an authenticated
 * client or a trusted network, may; SMTP and COLLECTED may not), for SYSTEM (generated) mail
 * the sender's domain. */
static void test_list_origin(void)
{
	static const struct {
		const char *sender;
		enum pb_origin origin;
		const char *want;
		const char *trace;
	} t[] = {
		{ "ann@example.com", PB_ORIGIN_SMTP, "", "not authenticated nor from a trusted" },
		{ "ann@example.com", PB_ORIGIN_COLLECTED, "", "(sender ann@example.com, collected" },
		{ "ann@example.com", PB_ORIGIN_LOCAL, "ann,ben,s_users", "posts as an authenticated" },
		/* a list member that is an alias: ann reached twice gets one copy, routed once */
		{ "ben@example.org", PB_ORIGIN_LOCAL, "ann,ben,s_users",
		  "ann was routed already for this message" },
		{ "x@outside.net", PB_ORIGIN_LOCAL, "ann,ben,s_users", "posts as an authenticated" },
		/* mail the server generated: its sender's domain decides */
		{ "x@outside.net", PB_ORIGIN_SYSTEM, "", "takes no mail from outside (sender x@outside.net)" },
		{ "", PB_ORIGIN_SYSTEM, "", "takes no mail from outside (sender <>)" },
		{ "ann@example.com", PB_ORIGIN_SYSTEM, "ann,ben,s_users", "list internal: 3" },
	};
	struct router_records r = records();
	const char *rcpt = "internal@example.com";

	for (size_t i = 0; i < PB_N_ELEMENTS(t); i++) {
		struct router_facts f = { .sender = t[i].sender, .size = 1, .origin = t[i].origin };
		struct router_plan p;
		char got[128];
		router_plan_resolve(&r, &f, &rcpt, NULL, 1, &p);
		plan_text(&p, got, sizeof(got));
		CHECK_STR(got, t[i].want);
		CHECK(trace_has(&p, t[i].trace));
		router_plan_free(&p);
	}
}

/* The trace is bounded. */
static void test_trace_bounded(void)
{
	struct router_records r = records();
	struct router_facts f = { .sender = "", .size = 1, .source = ROUTER_SRC_SMTP };
	const char *rcpts[200];
	struct router_plan p;

	for (size_t i = 0; i < PB_N_ELEMENTS(rcpts); i++)
		rcpts[i] = "sales@example.com";
	router_plan_resolve(&r, &f, rcpts, NULL, PB_N_ELEMENTS(rcpts), &p);
	CHECK_INT(p.trace.n, ROUTER_PLAN_MAX_TRACE);
	CHECK(p.truncated);
	CHECK_INT(p.n_items, 3);
	router_plan_free(&p);
}

/* Guide 3.2 on "abracadabra". */
static void test_wildcards(void)
{
	static const struct {
		const char *pattern;
		bool match;
	} t[] = {
		{ "cad", false },	   { "*cad*", true },	     { "abra*", true },
		{ "*abra", true },	   { "abracadabra*", true }, { "abra*abra", true },
		{ "abra???abra", true },   { "abracadabr?", true },  { "abracadabra?", false },
		{ "ABRACADABRA", true },   { "*", true },	     { "a*b*c*d*x", false },
		{ "/abra/", false }, /* a regular expression is no mapping pattern */
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(t); i++) {
		if (router_wildcard_match(t[i].pattern, "abracadabra") != t[i].match)
			fprintf(stderr, "  pattern %s\n", t[i].pattern);
		CHECK_INT(router_wildcard_match(t[i].pattern, "abracadabra"), t[i].match);
	}
}

static void test_map_types(void)
{
	enum router_map_type type;

	CHECK_INT(router_map_type_parse("SMTP", &type), 0);
	CHECK_INT(type, ROUTER_MAP_SMTP);
	CHECK_INT(router_map_type_parse("from", &type), 0);
	CHECK_STR(router_map_type_name(type), "from");
	CHECK_INT(router_map_type_parse("imap", &type), -1);
	CHECK_INT(router_map_type_parse(NULL, &type), -1);
}

/* The routing keys of `user set`, and an account loaded from them into the plan's input. */
static void test_user_keys(void)
{
	char *j1, *j2, *j3, *j4;
	const char *error;
	struct router_user u;

	CHECK(router_user_is_key("forward_to"));
	CHECK(!router_user_is_key("send_as_any"));
	/* the keys as `help user set` lists them: each taken, with a help line; autoreply too */
	const char *name, *help;
	size_t n = 0;
	bool autoreply_days = false;
	for (; (name = router_user_key(n, &help)) != NULL; n++) {
		CHECK(router_user_is_key(name) && help != NULL && help[0] != '\0');
		autoreply_days |= strcmp(name, "autoreply_days") == 0;
	}
	CHECK(n == 22 && autoreply_days);
	REQUIRE(router_user_set("{\"quota_mb\":5}", "forward_to", "ben; x@remote.net", &j1, &error) == 0);
	REQUIRE(router_user_set(j1, "use_forwarding", "yes", &j2, &error) == 0);
	REQUIRE(router_user_set(j2, "default_addresses", "off", &j3, &error) == 0);
	CHECK_INT(router_user_set(j3, "keep_copy", "maybe", &j4, &error), -1);
	CHECK(strstr(error, "true or false") != NULL);
	CHECK_INT(router_user_set(j3, "forward_to", "a\r\nb", &j4, &error), -1);
	CHECK_INT(router_user_set(j3, "quota_mb", "1", &j4, &error), -1);
	CHECK_INT(router_user_set("[1]", "keep_copy", "1", &j4, &error), -1);
	CHECK(strstr(j3, "\"quota_mb\":5") != NULL);
	router_user_load(j3, 9, "ann", &u);
	CHECK_STR(u.forward_to, "ben; x@remote.net");
	CHECK(u.use_forwarding && !u.keep_copy && u.defaults_disabled);
	CHECK_STR(u.assistants, "");
	router_user_clear(&u);
	REQUIRE(router_user_unset(j3, "default_addresses", &j4, &error) == 0);
	router_user_load(j4, 9, "ann", &u);
	CHECK(!u.defaults_disabled);
	router_user_clear(&u);
	router_user_load("not json", 1, "x", &u);
	CHECK(!u.use_forwarding && !u.defaults_disabled);
	router_user_clear(&u);
	free(j1);
	free(j2);
	free(j3);
	free(j4);
}

/* forward_to and the other target lists: what the router resolves, split as it splits them
 * (';' or ','), each an address or a bare local name; anything else refused, nothing stored. */
static void test_user_targets(void)
{
	static const char *const good[] = { "", "ben", "ben; x@remote.net", "a@x.org,b@y.org",
					    " ann ; ; bob@example.org ;", "j.doe@[192.0.2.1]",
					    "m\xc3\xbc" "ller@b\xc3\xbc" "cher.example" };
	static const char *const bad[] = { "not an address", "a@", "@x.org", "a@b c.org",
					   "<a@x.org>", "Ann <a@x.org>", "a@x.org; b c",
					   "a@x..org", "\xff@x.org", "ben\xc3", "a@x.org\x01",
					   "a@x.org\r\nb@y.org" };
	static const char *const keys[] = { "forward_to", "assistants", "size_over_to",
					    "size_under_to", "copy_sent_to" };
	char *json = NULL;
	const char *error;

	for (size_t k = 0; k < PB_N_ELEMENTS(keys); k++) {
		for (size_t i = 0; i < PB_N_ELEMENTS(good); i++) {
			CHECK_INT(router_user_set("{}", keys[k], good[i], &json, &error), 0);
			free(json);
		}
		for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
			json = NULL;
			CHECK_INT(router_user_set("{}", keys[k], bad[i], &json, &error), -1);
			CHECK(json == NULL && strstr(error, keys[k]) != NULL);
		}
	}
	/* blocked takes wildcards, but not invalid UTF-8 or control characters */
	REQUIRE(router_user_set("{}", "blocked", "*@spam.example; a?c@x", &json, &error) == 0);
	free(json);
	CHECK_INT(router_user_set("{}", "blocked", "\xff@x.org", &json, &error), -1);
	CHECK_INT(router_user_set("{}", "blocked", "a@x\x7f", &json, &error), -1);
}

/* reset_email (the guide's "Email for password resets"): one address, or "" for none. */
static void test_reset_email(void)
{
	static const char *const bad[] = { "a@b;c@d", "a@b,c@d", "no-at", "@x.org", "a@",
					   "a b@x.org", "<a@x.org>", "a@b@c", "a@x.org\r\nBcc: e@f" };
	char *json = NULL;
	const char *error;

	CHECK(router_user_is_key("reset_email"));
	REQUIRE(router_user_set("{}", "reset_email", "ann@elsewhere.example", &json, &error) == 0);
	CHECK_STR(json, "{\"reset_email\":\"ann@elsewhere.example\"}");
	free(json);
	REQUIRE(router_user_set("{}", "reset_email", "", &json, &error) == 0);
	free(json);
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		CHECK_INT(router_user_set("{}", "reset_email", bad[i], &json, &error), -1);
		CHECK(strstr(error, "reset_email is one address") != NULL);
	}
}

/* h-fwdext (guide 4.5): size dependent forwarding, quarantine, Copy Sent Messages To. ann's
 * settings per row; the message of `size` bytes from sender (origin) to rcpt. */
struct ext_case {
	uint32_t over_kb;
	bool over_redirect;
	const char *over_to;
	uint32_t under_kb;
	bool under_redirect;
	const char *under_to;
	bool no_fwd_quarantined, quarantine;
	const char *forward_to, *assistants, *copy_sent_to;
	uint64_t size;
	enum pb_origin origin;
	const char *sender, *rcpt;
	const char *want, *trace_part;
};

static const struct ext_case ext_cases[] = {
	/* >= 10 kB copy: a 10240-byte message is copied, a 10239-byte one not */
	{ 10, false, "ben", 0, false, NULL, false, false, NULL, NULL, NULL, 10240, PB_ORIGIN_SMTP,
	  "x@out.net", "ann", "ben,ann", "is at least 10 kB: copy to ben" },
	{ 10, false, "ben", 0, false, NULL, false, false, NULL, NULL, NULL, 10239, PB_ORIGIN_SMTP,
	  "x@out.net", "ann", "ann", NULL },
	/* >= 10 kB redirect to a remote address: no local copy */
	{ 10, true, "big@remote.net", 0, false, NULL, false, false, NULL, NULL, NULL, 50000,
	  PB_ORIGIN_SMTP, "x@out.net", "ann", "@big@remote.net", "redirect to big@remote.net" },
	/* <= 2 kB redirect to the phone; a bigger message stays */
	{ 0, false, NULL, 2, true, "phone@remote.net; ben", false, false, NULL, NULL, NULL, 2048,
	  PB_ORIGIN_SMTP, "x@out.net", "ann", "@phone@remote.net,ben", "is at most 2 kB" },
	{ 0, false, NULL, 2, true, "phone@remote.net", false, false, NULL, NULL, NULL, 2049,
	  PB_ORIGIN_SMTP, "x@out.net", "ann", "ann", NULL },
	/* both rows: a small message matches only the second */
	{ 100, true, "big@remote.net", 1, false, "ben", false, false, NULL, NULL, NULL, 300,
	  PB_ORIGIN_SMTP, "x@out.net", "ann", "ben,ann", NULL },
	/* a redirect to nobody: kept */
	{ 0, true, "ghost", 0, false, NULL, false, false, NULL, NULL, NULL, 1, PB_ORIGIN_SMTP,
	  "x@out.net", "ann", "ann", "no size forwarding address of ann" },
	/* quarantine: with the box checked no forward, assistant or size copy */
	{ 0, false, "ben", 0, false, NULL, true, true, "marc", "phil", NULL, 10, PB_ORIGIN_SMTP,
	  "x@out.net", "ann", "ann", "would be quarantined" },
	/* the box checked, the message not quarantined: all of them */
	{ 0, false, "ben", 0, false, NULL, true, false, "marc", "phil", NULL, 10, PB_ORIGIN_SMTP,
	  "x@out.net", "ann", "ben,phil,marc,ann", NULL },
	/* quarantined, the box not checked: forwarded as usual */
	{ 0, false, NULL, 0, false, NULL, false, true, "marc", NULL, NULL, 10, PB_ORIGIN_SMTP,
	  "x@out.net", "ann", "marc,ann", NULL },
	/* Copy Sent Messages To: ann sends (authenticated) to a remote address: a copy to sue */
	{ 0, false, NULL, 0, false, NULL, false, false, NULL, NULL, "sue", 10, PB_ORIGIN_LOCAL,
	  "Ann@Example.org", "bob@remote.net", "@bob@remote.net,sue",
	  "sent by ann: a copy goes to sue" },
	{ 0, false, NULL, 0, false, NULL, false, false, NULL, NULL, "archive@remote.net", 10,
	  PB_ORIGIN_LOCAL, "ann@example.com", "ben", "ben,@archive@remote.net", NULL },
	/* not sent by ann's client: mail from outside claiming ann, and mail collected */
	{ 0, false, NULL, 0, false, NULL, false, false, NULL, NULL, "sue", 10, PB_ORIGIN_SMTP,
	  "ann@example.com", "ben", "ben", NULL },
	{ 0, false, NULL, 0, false, NULL, false, false, NULL, NULL, "sue", 10, PB_ORIGIN_COLLECTED,
	  "ann@example.com", "ben", "ben", NULL },
	/* ann's copy-sent does not apply to mail ann receives */
	{ 0, false, NULL, 0, false, NULL, false, false, NULL, NULL, "sue", 10, PB_ORIGIN_LOCAL,
	  "ben@example.com", "ann", "ann", NULL },
	/* two recipients: one copy */
	{ 0, false, NULL, 0, false, NULL, false, false, NULL, NULL, "sue", 10, PB_ORIGIN_LOCAL,
	  "ann@example.com", "ben", "ben,sue", NULL },
};

static void ext_user(const struct ext_case *t)
{
	users[0] = (struct router_user){
		.id = 1, .name = "ann", .size_over_kb = t->over_kb,
		.size_over_redirect = t->over_redirect, .size_over_to = t->over_to,
		.size_under_kb = t->under_kb, .size_under_redirect = t->under_redirect,
		.size_under_to = t->under_to, .no_forward_quarantined = t->no_fwd_quarantined,
		.forward_to = t->forward_to, .use_forwarding = t->forward_to != NULL,
		.keep_copy = true, .assistants = t->assistants, .copy_sent_to = t->copy_sent_to,
	};
}

static void test_fwdext_table(void)
{
	struct router_records r = records();

	for (size_t i = 0; i < PB_N_ELEMENTS(ext_cases); i++) {
		const struct ext_case *t = &ext_cases[i];
		struct router_facts f = { .sender = t->sender, .size = t->size, .origin = t->origin,
					  .source = ROUTER_SRC_SMTP,
					  .spam_quarantine = t->quarantine };
		const char *two[2] = { t->rcpt, "ben@example.org" };
		struct router_plan p;

		ext_user(t);
		router_plan_resolve(&r, &f, two, NULL, i + 1 == PB_N_ELEMENTS(ext_cases) ? 2 : 1, &p);
		check_plan(&p, "fwdext", i, t->want, t->trace_part);
	}
	users[0] = (struct router_user){ .id = 1, .name = "ann" };
}

/* h-fwdext's keys: validated by `user set`, loaded into the plan's input. */
static void test_fwdext_keys(void)
{
	static const char *const bad[][2] = {
		{ "size_over_kb", "-1" }, { "size_over_kb", "12kb" }, { "size_under_kb", "" },
		{ "size_under_kb", "4194305" }, { "size_over_action", "bounce" },
		{ "no_forward_quarantined", "maybe" }, { "copy_sent_to", "a@x\nb@y" },
	};
	char *j1, *j2, *j3, *j4, *j5, *bad_json = NULL;
	const char *error;
	struct router_user u;

	REQUIRE(router_user_set("{}", "size_over_kb", "500", &j1, &error) == 0);
	REQUIRE(router_user_set(j1, "size_over_action", "Redirect", &j2, &error) == 0);
	REQUIRE(router_user_set(j2, "size_over_to", "big@remote.net", &j3, &error) == 0);
	REQUIRE(router_user_set(j3, "copy_sent_to", "sue; x@remote.net", &j4, &error) == 0);
	REQUIRE(router_user_set(j4, "no_forward_quarantined", "on", &j5, &error) == 0);
	CHECK(strstr(j5, "\"size_over_action\":\"redirect\"") != NULL);
	router_user_load(j5, 1, "ann", &u);
	CHECK_INT(u.size_over_kb, 500);
	CHECK(u.size_over_redirect && !u.size_under_redirect && u.no_forward_quarantined);
	CHECK_STR(u.size_over_to, "big@remote.net");
	CHECK_STR(u.size_under_to, "");
	CHECK_STR(u.copy_sent_to, "sue; x@remote.net");
	router_user_clear(&u);
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		CHECK_INT(router_user_set("{}", bad[i][0], bad[i][1], &bad_json, &error), -1);
		CHECK(bad_json == NULL);
	}
	free(j1);
	free(j2);
	free(j3);
	free(j4);
	free(j5);
}

static const struct pb_test_case cases[] = {
	{ "fwdext_table", test_fwdext_table },
	{ "fwdext_keys", test_fwdext_keys },
	{ "user_keys", test_user_keys },
	{ "user_targets", test_user_targets },
	{ "reset_email", test_reset_email },
	{ "plan_table", test_plan_table },
	{ "forwarding_table", test_forwarding_table },
	{ "forward_loop", test_forward_loop },
	{ "forward_fanout", test_forward_fanout },
	{ "dedupe_and_determinism", test_dedupe_and_determinism },
	{ "trace_bounded", test_trace_bounded },
	{ "list_origin", test_list_origin },
	{ "accepted_account_fallback", test_accepted_account_fallback },
	{ "wildcards", test_wildcards },
	{ "map_types", test_map_types },
};

PB_TEST_MAIN(cases)
