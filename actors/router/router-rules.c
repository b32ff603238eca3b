/*
 * router-rules.c: a rule decision into an account's local copies and forwards (see
 * router-rules.h). OWNS: the outcome being filled. THREAD: any.
 */
#include "router-rules.h"

#include "pb-alloc.h"
#include "router-records.h"
#include "smtp-address.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Whether kw may be an IMAP keyword (an atom without '\\', '%', '*' or brackets). */
static bool keyword_ok(const char *kw)
{
	if (kw[0] == '\0' || strlen(kw) > 200)
		return false;
	for (const unsigned char *p = (const unsigned char *)kw; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("(){%*\"\\]", *p) != NULL)
			return false;
	return true;
}

/* The keywords every copy gets, space-separated. */
static char *join_keywords(const struct rules_decision *d, const char *name, struct pb_strv *t)
{
	struct pb_buf b;

	pb_buf_init(&b);
	for (size_t i = 0; i < d->n_keywords; i++) {
		if (!keyword_ok(d->keywords[i])) {
			char line[300];
			snprintf(line, sizeof(line), "rules of %s: keyword \"%.100s\" is no IMAP "
				 "keyword: left out", name, d->keywords[i]);
			pb_strv_push(t, line);
			continue;
		}
		if (b.len > 0)
			pb_buf_append_c(&b, ' ');
		pb_buf_append(&b, d->keywords[i], strlen(d->keywords[i]));
	}
	pb_buf_append_c(&b, '\0');
	return pb_buf_steal(&b, NULL);
}

static void tracef(struct pb_strv *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The header edits, one per line ("Name: value" or "Name"), "" none. */
static char *join_headers(const struct rules_decision *d)
{
	struct pb_buf b;

	pb_buf_init(&b);
	for (size_t i = 0; i < d->n_headers; i++) {
		const struct rules_header_edit *h = &d->headers[i];
		if (h->value != NULL)
			pb_buf_printf(&b, "%s: %s\n", h->name, h->value);
		else
			pb_buf_printf(&b, "%s\n", h->name);
	}
	pb_buf_append_c(&b, '\0');
	return pb_buf_steal(&b, NULL);
}

/* Each header edit in the trace, with the copies it applies to. */
static void trace_headers(const struct rules_decision *d, const char *name, struct pb_strv *t)
{
	bool local = d->deleted != RULES_ON, fwd = d->n_forwards > 0;
	const char *which = local && fwd ? "every copy, local and forwarded"
			    : fwd	 ? "the forwarded copies"
					 : "the local copies";

	for (size_t i = 0; i < d->n_headers && (local || fwd); i++) {
		const struct rules_header_edit *h = &d->headers[i];
		if (h->value != NULL)
			tracef(t, "rules of %s: header %.100s set to \"%.100s\" on %s", name,
			       h->name, h->value, which);
		else
			tracef(t, "rules of %s: header %.100s removed from %s", name, h->name,
			       which);
	}
}

static void add_copy(struct router_rules_outcome *o, const char *folder, uint32_t flags,
		     const char *keywords, const char *headers)
{
	for (size_t i = 0; i < o->n_copies; i++)
		if (strcasecmp(o->copies[i].folder, folder) == 0)
			return; /* one copy per folder */
	o->copies = xrealloc(o->copies, sizeof(*o->copies) * (o->n_copies + 1));
	o->copies[o->n_copies++] = (struct router_rules_copy){ xstrdup(folder), flags,
							       xstrdup(keywords), xstrdup(headers) };
}

static void tracef(struct pb_strv *t, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pb_strv_push(t, line);
}

int router_forward_sender_check(const char *text, char **sender_r, const char **why_r)
{
	struct smtp_address a;
	size_t len = strlen(text);

	*sender_r = NULL;
	if (len >= 2 && text[0] == '<' && text[len - 1] == '>') {
		text++;
		len -= 2;
	}
	if (len == 0) {
		*why_r = "the null sender is no email address";
		return -1;
	}
	if (smtp_address_parse(text, len, false, &a, why_r) < 0)
		return -1;
	struct pb_buf b;
	pb_buf_init(&b);
	smtp_address_render(&a, &b);
	pb_buf_append_c(&b, '\0');
	*sender_r = pb_buf_steal(&b, NULL);
	return 0;
}

/* The forward sender (guide 4.14 "Set forward sender"), checked; a refusal traced with
 * ROUTER_RULES_SENDER_REFUSED (the router logs it as a warning). */
static void build_forward_sender(const struct rules_decision *d, const char *name,
				 struct router_rules_outcome *o)
{
	const char *why;

	if (d->forward_sender == NULL)
		return;
	if (router_forward_sender_check(d->forward_sender, &o->forward_sender, &why) < 0) {
		tracef(&o->trace, "rules of %s: %s \"%.100s\" (%s): the forwards leave from the "
		       "message's own sender", name, ROUTER_RULES_SENDER_REFUSED, d->forward_sender,
		       why);
		return;
	}
	if (d->n_forwards > 0)
		tracef(&o->trace, "rules of %s: the forwards leave from the envelope sender %.200s",
		       name, o->forward_sender);
}

/* What the decision does beyond the copies, said in the trace. */
static void trace_extra(const struct rules_decision *d, const char *name, struct pb_strv *t)
{
	if (d->has_spam_score)
		tracef(t, "rules of %s: spam score set to %.1f", name, d->spam_score);
}

/* The local copies: INBOX (or Junk) when kept, then each folder. */
static void build_copies(const struct rules_decision *d, const char *name,
			 struct router_rules_outcome *o)
{
	uint32_t flags = (d->seen == RULES_ON ? ROUTER_FLAG_SEEN : 0) |
			 (d->flagged == RULES_ON ? ROUTER_FLAG_FLAGGED : 0);
	char *kw = join_keywords(d, name, &o->trace);
	char *headers = join_headers(d);

	if (d->keep_inbox)
		add_copy(o, d->quarantined == RULES_ON ? ROUTER_RULES_QUARANTINE : "INBOX", flags,
			 kw, headers);
	for (size_t i = 0; i < d->n_folders; i++)
		add_copy(o, d->folders[i], flags, kw, headers);
	free(headers);
	for (size_t i = 0; i < o->n_copies; i++)
		tracef(&o->trace, "rules of %s: a copy in folder %s%s%s%s%s", name,
		       o->copies[i].folder, flags & ROUTER_FLAG_SEEN ? ", marked read" : "",
		       flags & ROUTER_FLAG_FLAGGED ? ", flagged" : "", kw[0] ? ", keywords " : "",
		       kw);
	free(kw);
}

void router_rules_outcome_build(const struct rules_decision *d, const char *name,
				struct router_rules_outcome *out_r)
{
	struct router_rules_outcome *o = out_r;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < d->n_trace; i++)
		pb_strv_push(&o->trace, d->trace[i]);
	trace_extra(d, name, &o->trace);
	trace_headers(d, name, &o->trace);
	build_forward_sender(d, name, o);
	o->forwards = xcalloc(d->n_forwards + 1, sizeof(char *));
	for (size_t i = 0; i < d->n_forwards; i++)
		o->forwards[o->n_forwards++] = xstrdup(d->forwards[i]);
	o->redirect = !d->keep_inbox && d->n_folders == 0 && d->n_forwards > 0;
	if (d->deleted == RULES_ON) {
		o->deleted = true;
		tracef(&o->trace, "rules of %s: delete: not delivered to %s", name, name);
	} else {
		build_copies(d, name, o);
	}
	o->forward_headers = o->n_forwards > 0 ? join_headers(d) : NULL;
	for (size_t i = 0; i < o->n_forwards; i++)
		tracef(&o->trace, "rules of %s: %s to %.200s", name,
		       o->redirect ? "redirect" : "forward", o->forwards[i]);
}

void router_rules_run(const struct rules_set *admin, const struct rules_set *user,
		      const struct rules_facts *facts, const char *name,
		      struct router_rules_outcome *out_r)
{
	struct rules_decision d;

	rules_evaluate(admin, user, facts, &d);
	router_rules_outcome_build(&d, name, out_r);
	rules_decision_deinit(&d);
}

void router_rules_outcome_free(struct router_rules_outcome *o)
{
	for (size_t i = 0; i < o->n_copies; i++) {
		free(o->copies[i].folder);
		free(o->copies[i].keywords);
		free(o->copies[i].headers);
	}
	free(o->copies);
	for (size_t i = 0; i < o->n_forwards; i++)
		free(o->forwards[i]);
	free(o->forwards);
	free(o->forward_sender);
	free(o->forward_headers);
	pb_strv_clear(&o->trace);
	memset(o, 0, sizeof(*o));
}

/* A rule set's JSON ("" none) parsed, or NULL (counted in n_bad when it does not parse). */
static struct rules_set *parse_set(const char *json, size_t *n_bad)
{
	struct rules_set *set = NULL;
	const char *error;

	if (json == NULL || json[0] == '\0')
		return NULL;
	if (rules_set_parse(json, strlen(json), &set, &error) < 0) {
		(*n_bad)++;
		return NULL;
	}
	return set;
}

void router_rulebook_build(const struct msg_dir_routes_rep *snap, struct router_view *v,
			   struct router_rulebook *book_r)
{
	memset(book_r, 0, sizeof(*book_r));
	book_r->admin = parse_set(snap->admin_rules, &book_r->n_bad);
	v->r.admin_rules = book_r->admin;
	book_r->n_users = snap->users.n;
	book_r->users = xcalloc(snap->users.n + 1, sizeof(*book_r->users));
	for (size_t i = 0; i < snap->users.n; i++) {
		book_r->users[i] = parse_set(snap->users.v[i].rules, &book_r->n_bad);
		v->users[i].rules = book_r->users[i];
	}
}

void router_rulebook_free(struct router_rulebook *book)
{
	rules_set_free(&book->admin);
	for (size_t i = 0; i < book->n_users; i++)
		rules_set_free(&book->users[i]);
	free(book->users);
	memset(book, 0, sizeof(*book));
}
