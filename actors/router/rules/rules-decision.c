/*
 * rules-decision.c: the merged outcome of the rules (guide 4.14 "Actions"): the latest
 * on/off action of a kind wins, keywords, folders, forwards and header edits accumulate,
 * a move anywhere means "not kept in the Inbox" (the guide's three-rule example).
 * OWNS the decision's lists. THREAD: the caller's.
 */
#include "pb-alloc.h"
#include "rules-private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void rules_decision_init(struct rules_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->deleted = d->flagged = d->quarantined = d->seen = RULES_UNSET;
	d->keep_inbox = true;
}

static void rules_list_free(char ***list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

void rules_decision_deinit(struct rules_decision *d)
{
	rules_list_free(&d->folders, &d->n_folders);
	rules_list_free(&d->keywords, &d->n_keywords);
	rules_list_free(&d->forwards, &d->n_forwards);
	rules_list_free(&d->matched, &d->n_matched);
	rules_list_free(&d->trace, &d->n_trace);
	for (size_t i = 0; i < d->n_headers; i++) {
		free(d->headers[i].name);
		free(d->headers[i].value);
	}
	free(d->headers);
	free(d->forward_sender);
	rules_decision_init(d);
}

void rules_list_add(char ***list, size_t *n, const char *s, size_t len, bool nocase)
{
	for (size_t i = 0; i < *n; i++) {
		const char *e = (*list)[i];
		if (strlen(e) == len &&
		    (nocase ? strncasecmp(e, s, len) : strncmp(e, s, len)) == 0)
			return;
	}
	*list = xrealloc(*list, sizeof(**list) * (*n + 1));
	(*list)[(*n)++] = xstrndup(s, len);
}

size_t rules_split_addresses(const char *s, void (*add)(void *arg, const char *a, size_t len),
			     void *arg)
{
	size_t count = 0;

	while (*s != '\0') {
		size_t n = strcspn(s, ";,");
		const char *a = s, *e = s + n;
		while (a < e && isspace((unsigned char)*a))
			a++;
		while (e > a && isspace((unsigned char)e[-1]))
			e--;
		if (e > a) {
			if (add != NULL)
				add(arg, a, (size_t)(e - a));
			count++;
		}
		s += n;
		if (*s != '\0')
			s++;
	}
	return count;
}

const char *rules_header_edit_check(const char *s)
{
	size_t n = strcspn(s, ":");

	if (n == 0)
		return "a header field name is needed (\"Name: value\" or \"Name\")";
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 32 || s[i] >= 127)
			return "a header field name is printable ASCII without spaces";
	if (strpbrk(s, "\r\n") != NULL)
		return "a header value is one line";
	return NULL;
}

static void rules_add_forward(void *arg, const char *a, size_t len)
{
	struct rules_decision *d = arg;

	rules_list_add(&d->forwards, &d->n_forwards, a, len, true);
}

/* "Name: value" replaces any earlier edit of Name; "Name" removes the field. */
static void rules_add_header(struct rules_decision *d, const char *s)
{
	size_t n = strcspn(s, ":");
	const char *v = s[n] == ':' ? s + n + 1 : NULL;

	for (size_t i = 0; i < d->n_headers; i++) {
		if (strlen(d->headers[i].name) != n || strncasecmp(d->headers[i].name, s, n) != 0)
			continue;
		free(d->headers[i].name);
		free(d->headers[i].value);
		memmove(&d->headers[i], &d->headers[i + 1],
			sizeof(*d->headers) * (d->n_headers - i - 1));
		d->n_headers--;
		break;
	}
	while (v != NULL && (*v == ' ' || *v == '\t'))
		v++;
	d->headers = xrealloc(d->headers, sizeof(*d->headers) * (d->n_headers + 1));
	d->headers[d->n_headers].name = xstrndup(s, n);
	d->headers[d->n_headers++].value = v != NULL ? xstrdup(v) : NULL;
}

static void rules_apply_text(struct rules_decision *d, const struct rules_action *a)
{
	switch (a->kind) {
	case RULES_ACTION_ADD_KEYWORD:
		rules_list_add(&d->keywords, &d->n_keywords, a->text, strlen(a->text), true);
		break;
	case RULES_ACTION_MOVE_TO_FOLDER:
		d->keep_inbox = false;
		/* fall through */
	case RULES_ACTION_COPY_TO_FOLDER:
		rules_list_add(&d->folders, &d->n_folders, a->text, strlen(a->text), false);
		break;
	case RULES_ACTION_REDIRECT_TO:
		d->keep_inbox = false;
		/* fall through */
	case RULES_ACTION_FORWARD_TO:
		rules_split_addresses(a->text, rules_add_forward, d);
		break;
	case RULES_ACTION_FORWARD_SENDER:
		free(d->forward_sender);
		d->forward_sender = xstrdup(a->text);
		break;
	default: /* modify_header */
		rules_add_header(d, a->text);
		break;
	}
}

static void rules_apply_one(struct rules_decision *d, const struct rules_action *a)
{
	enum rules_tri v = a->on ? RULES_ON : RULES_OFF;

	switch (a->kind) {
	case RULES_ACTION_FLAG:
		d->flagged = v;
		break;
	case RULES_ACTION_DELETE:
		d->deleted = v;
		break;
	case RULES_ACTION_QUARANTINE:
		d->quarantined = v;
		break;
	case RULES_ACTION_MARK_READ:
		d->seen = v;
		break;
	case RULES_ACTION_SET_SPAM_SCORE:
		d->has_spam_score = true;
		d->spam_score = a->number;
		break;
	default:
		rules_apply_text(d, a);
		break;
	}
}

void rules_decision_apply(struct rules_decision *d, const struct rules_rule *rule)
{
	for (size_t i = 0; i < rule->n_actions; i++)
		rules_apply_one(d, &rule->actions[i]);
	rules_list_add(&d->matched, &d->n_matched, rule->name, strlen(rule->name), false);
	if (rule->stop_after)
		d->stopped = true;
}
