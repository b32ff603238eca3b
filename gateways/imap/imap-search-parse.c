/*
 * imap-search-parse.c: the typed layer of SEARCH (RFC 3501 6.4.4, every key; RFC 4731/9051
 * RETURN for ESEARCH; RFC 5182 SAVE and "$"; RFC 7162 MODSEQ), SORT and THREAD (RFC 5256).
 * Keys become a tree: the top level and each parenthesised list is an AND node; OR and NOT
 * take one or two keys. The depth is that of the argument lists plus NOT/OR chains, bounded
 * by SEARCH_DEPTH_MAX.
 * OWNS nothing. THREAD: the parser's.
 */
#include "imap-parser-private.h"

#include <string.h>
#include <strings.h>

#define SEARCH_DEPTH_MAX 32

enum key_arg { KA_NONE, KA_STRING, KA_HEADER, KA_DATE, KA_NUMBER, KA_SET, KA_FLAG, KA_MODSEQ };

static const struct {
	const char *name;
	enum imap_search_type type;
	enum key_arg arg;
} key_table[] = {
	{"ALL", IMAP_SK_ALL, KA_NONE},
	{"ANSWERED", IMAP_SK_ANSWERED, KA_NONE},
	{"DELETED", IMAP_SK_DELETED, KA_NONE},
	{"DRAFT", IMAP_SK_DRAFT, KA_NONE},
	{"FLAGGED", IMAP_SK_FLAGGED, KA_NONE},
	{"SEEN", IMAP_SK_SEEN, KA_NONE},
	{"RECENT", IMAP_SK_RECENT, KA_NONE},
	{"NEW", IMAP_SK_NEW, KA_NONE},
	{"OLD", IMAP_SK_OLD, KA_NONE},
	{"UNANSWERED", IMAP_SK_UNANSWERED, KA_NONE},
	{"UNDELETED", IMAP_SK_UNDELETED, KA_NONE},
	{"UNDRAFT", IMAP_SK_UNDRAFT, KA_NONE},
	{"UNFLAGGED", IMAP_SK_UNFLAGGED, KA_NONE},
	{"UNSEEN", IMAP_SK_UNSEEN, KA_NONE},
	{"KEYWORD", IMAP_SK_KEYWORD, KA_FLAG},
	{"UNKEYWORD", IMAP_SK_UNKEYWORD, KA_FLAG},
	{"BCC", IMAP_SK_BCC, KA_STRING},
	{"BODY", IMAP_SK_BODY, KA_STRING},
	{"CC", IMAP_SK_CC, KA_STRING},
	{"FROM", IMAP_SK_FROM, KA_STRING},
	{"SUBJECT", IMAP_SK_SUBJECT, KA_STRING},
	{"TEXT", IMAP_SK_TEXT, KA_STRING},
	{"TO", IMAP_SK_TO, KA_STRING},
	{"HEADER", IMAP_SK_HEADER, KA_HEADER},
	{"BEFORE", IMAP_SK_BEFORE, KA_DATE},
	{"ON", IMAP_SK_ON, KA_DATE},
	{"SINCE", IMAP_SK_SINCE, KA_DATE},
	{"SENTBEFORE", IMAP_SK_SENTBEFORE, KA_DATE},
	{"SENTON", IMAP_SK_SENTON, KA_DATE},
	{"SENTSINCE", IMAP_SK_SENTSINCE, KA_DATE},
	{"LARGER", IMAP_SK_LARGER, KA_NUMBER},
	{"SMALLER", IMAP_SK_SMALLER, KA_NUMBER},
	{"UID", IMAP_SK_UID, KA_SET},
	{"MODSEQ", IMAP_SK_MODSEQ, KA_MODSEQ},
};

static int parse_key(struct imap_cursor *c, unsigned depth, struct imap_search_key *k);

/* Keys until the end of c into an AND node. */
static int parse_and(struct imap_cursor *c, unsigned depth, struct imap_search_key *k)
{
	unsigned n = c->n - c->i;

	k->type = IMAP_SK_AND;
	if (n == 0)
		return imap_fail(c, "search keys expected");
	struct imap_search_key *sub = imap_cursor_alloc(c, n, sizeof(*sub));
	if (sub == NULL)
		return -1;
	while (!imap_cursor_end(c)) {
		if (parse_key(c, depth, &sub[k->n_sub++]) < 0)
			return -1;
	}
	k->sub = sub;
	return 0;
}

static int key_date(struct imap_cursor *c, struct imap_search_key *k)
{
	const char *s;

	if (imap_take_astring(c, "date expected", &s) < 0 || imap_date_parse(s, &k->date) < 0)
		return imap_fail(c, "invalid date");
	return 0;
}

/* MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162 3.1.5). */
static int key_modseq(struct imap_cursor *c, struct imap_search_key *k)
{
	const struct imap_arg *a = imap_cursor_peek(c);
	const char *s;

	if (a != NULL && a->type == IMAP_ARG_STRING) {
		c->i++;
		if (imap_take_atom(c, "invalid MODSEQ", &s) < 0 ||
		    (!imap_eq(s, "priv") && !imap_eq(s, "shared") && !imap_eq(s, "all")))
			return imap_fail(c, "invalid MODSEQ");
	}
	return imap_take_number(c, "invalid MODSEQ", INT64_MAX, &k->num);
}

static int key_arg(struct imap_cursor *c, enum key_arg kind, struct imap_search_key *k)
{
	struct imap_cursor flags;
	const char *const *f;
	unsigned n;

	switch (kind) {
	case KA_NONE:
		return 0;
	case KA_STRING:
		return imap_take_astring(c, "string expected", &k->str);
	case KA_HEADER:
		if (imap_take_astring(c, "header name expected", &k->str) < 0)
			return -1;
		return imap_take_astring(c, "string expected", &k->str2);
	case KA_DATE:
		return key_date(c, k);
	case KA_NUMBER:
		return imap_take_number(c, "number expected", UINT64_MAX >> 1, &k->num);
	case KA_SET:
		return imap_take_seqset(c, "sequence set expected", &k->set);
	case KA_FLAG: /* a flag keyword: checked as a one-element flag list */
		if (imap_take_atom(c, "keyword expected", &k->str) < 0)
			return -1;
		imap_cursor_init(&flags, &(struct imap_arg){.type = IMAP_ARG_LIST,
							    .list = &c->a[c->i - 1], .n = 1},
				 1, c->arena);
		if (imap_take_flags(&flags, "", &f, &n) < 0 || k->str[0] == '\\')
			return imap_fail(c, "invalid keyword");
		return 0;
	case KA_MODSEQ:
		return key_modseq(c, k);
	}
	return -1;
}

static int parse_key(struct imap_cursor *c, unsigned depth, struct imap_search_key *k)
{
	const struct imap_arg *a = imap_cursor_peek(c);
	struct imap_cursor sub;
	const char *s, *error;

	memset(k, 0, sizeof(*k));
	if (++depth > SEARCH_DEPTH_MAX)
		return imap_fail(c, "search keys nested too deep");
	if (a != NULL && a->type == IMAP_ARG_LIST) {
		imap_take_list(c, "", &sub);
		if (parse_and(&sub, depth, k) < 0)
			return imap_fail(c, sub.error);
		return 0;
	}
	if (imap_take_atom(c, "invalid search key", &s) < 0)
		return -1;
	if (imap_eq(s, "NOT") || imap_eq(s, "OR")) {
		unsigned n = imap_eq(s, "OR") ? 2 : 1;
		struct imap_search_key *subk = imap_cursor_alloc(c, n, sizeof(*subk));
		k->type = n == 2 ? IMAP_SK_OR : IMAP_SK_NOT;
		k->sub = subk;
		k->n_sub = n;
		for (unsigned i = 0; subk != NULL && i < n; i++) {
			if (imap_cursor_end(c))
				return imap_fail(c, "search key expected after NOT/OR");
			if (parse_key(c, depth, &subk[i]) < 0)
				return -1;
		}
		return subk == NULL ? -1 : 0;
	}
	for (size_t i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++) {
		if (strcasecmp(s, key_table[i].name) == 0) {
			k->type = key_table[i].type;
			return key_arg(c, key_table[i].arg, k);
		}
	}
	k->type = IMAP_SK_SEQSET;
	if (imap_seqset_parse(s, c->arena, &k->set, &error) < 0)
		return imap_fail(c, "invalid search key");
	return 0;
}

int imap_parse_search_keys(struct imap_cursor *c, struct imap_search_key *root_r)
{
	memset(root_r, 0, sizeof(*root_r));
	return parse_and(c, 0, root_r);
}

/* RETURN (MIN MAX ALL COUNT SAVE) (RFC 4731 3.1, RFC 5182). */
static int parse_return(struct imap_cursor *c, struct imap_search *s)
{
	static const char *const names[] = {"MIN", "MAX", "ALL", "COUNT", "SAVE"};
	struct imap_cursor sub;
	const char *opt;

	if (imap_take_list(c, "RETURN options expected", &sub) < 0)
		return -1;
	s->has_return = true;
	while (!imap_cursor_end(&sub)) {
		unsigned bit = 0;
		if (imap_take_atom(&sub, "", &opt) < 0)
			return imap_fail(c, "invalid RETURN option");
		for (unsigned i = 0; i < 5; i++)
			bit |= imap_eq(opt, names[i]) ? 1u << i : 0;
		if (bit == 0)
			return imap_fail(c, "invalid RETURN option");
		s->ret |= bit;
	}
	if (s->ret == 0)
		s->ret = IMAP_SEARCH_RET_ALL;
	return 0;
}

/* [RETURN (...)] [CHARSET name] keys; `charset_required` for SORT/THREAD. */
static int parse_search_body(struct imap_cursor *c, bool with_return, bool charset_required,
			     struct imap_search *s)
{
	const struct imap_arg *a = imap_cursor_peek(c);

	if (with_return && a != NULL && a->type == IMAP_ARG_ATOM && imap_eq(a->str, "RETURN")) {
		c->i++;
		if (parse_return(c, s) < 0)
			return -1;
		a = imap_cursor_peek(c);
	}
	if (charset_required) {
		if (imap_take_astring(c, "charset expected", &s->charset) < 0)
			return -1;
	} else if (a != NULL && a->type == IMAP_ARG_ATOM && imap_eq(a->str, "CHARSET")) {
		c->i++;
		if (imap_take_astring(c, "charset expected", &s->charset) < 0)
			return -1;
	}
	return imap_parse_search_keys(c, &s->root);
}

int imap_parse_search(struct imap_cursor *c, struct imap_cmd *cmd)
{
	return parse_search_body(c, true, false, &cmd->u.search);
}

/* SORT [RETURN (...)] (criteria) charset keys (RFC 5256, RFC 5267 ESORT, RFC 5957 DISPLAY). */
int imap_parse_sort(struct imap_cursor *c, struct imap_cmd *cmd)
{
	static const char *const names[] = {"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT",
					    "TO", "DISPLAYFROM", "DISPLAYTO"};
	const struct imap_arg *a = imap_cursor_peek(c);
	struct imap_cursor sub;
	const char *s;
	bool reverse = false;

	if (a != NULL && a->type == IMAP_ARG_ATOM && imap_eq(a->str, "RETURN")) {
		c->i++; /* ESORT (RFC 5267): SORT RETURN (...) (criteria) ... */
		if (parse_return(c, &cmd->u.sort.search) < 0)
			return -1;
	}
	if (imap_take_list(c, "sort criteria expected", &sub) < 0)
		return -1;
	struct imap_sort_crit *crit = imap_cursor_alloc(c, sub.n, sizeof(*crit));
	if (crit == NULL)
		return -1;
	while (!imap_cursor_end(&sub)) {
		if (imap_take_atom(&sub, "", &s) < 0)
			return imap_fail(c, "invalid sort criterion");
		if (imap_eq(s, "REVERSE") && !reverse) {
			reverse = true;
			continue;
		}
		struct imap_sort_crit *cr = &crit[cmd->u.sort.n_crit];
		for (unsigned i = 0; i < 9; i++)
			cr->key = imap_eq(s, names[i]) ? (enum imap_sort_key)(i + 1) : cr->key;
		if (cr->key == 0)
			return imap_fail(c, "invalid sort criterion");
		cr->reverse = reverse;
		reverse = false;
		cmd->u.sort.n_crit++;
	}
	if (reverse || cmd->u.sort.n_crit == 0)
		return imap_fail(c, "invalid sort criteria");
	cmd->u.sort.crit = crit;
	return parse_search_body(c, false, true, &cmd->u.sort.search);
}

/* THREAD algorithm charset keys (RFC 5256). */
int imap_parse_thread(struct imap_cursor *c, struct imap_cmd *cmd)
{
	const char *alg;

	if (imap_take_atom(c, "thread algorithm expected", &alg) < 0)
		return -1;
	if (imap_eq(alg, "ORDEREDSUBJECT"))
		cmd->u.thread.alg = IMAP_THREAD_ORDEREDSUBJECT;
	else if (imap_eq(alg, "REFERENCES"))
		cmd->u.thread.alg = IMAP_THREAD_REFERENCES;
	else
		return imap_fail(c, "unknown thread algorithm");
	return parse_search_body(c, false, true, &cmd->u.thread.search);
}
