/*
 * imap-cmd-parse.c: the typed layers of LIST/LSUB (RFC 3501, RFC 5258 LIST-EXTENDED, RFC 5819
 * LIST-STATUS, RFC 6154 SPECIAL-USE), STATUS, STORE (RFC 7162 UNCHANGEDSINCE), APPEND
 * (RFC 3502 MULTIAPPEND, RFC 3516 ~{n}) and SELECT/EXAMINE (RFC 7162 CONDSTORE, QRESYNC).
 * OWNS nothing. THREAD: the parser's.
 */
#include "imap-parser-private.h"

#include <string.h>

#define APPEND_MSGS_MAX 1000 /* MULTIAPPEND messages in one command */

/* Sets the bit of the name in names[] (ASCII case-insensitive) into *mask. */
static int name_bit(const char *s, const char *const *names, unsigned n, unsigned *mask)
{
	for (unsigned i = 0; i < n; i++) {
		if (imap_eq(s, names[i])) {
			*mask |= 1u << i;
			return 0;
		}
	}
	return -1;
}

static int parse_status_items(struct imap_cursor *c, unsigned *items_r)
{
	static const char *const names[] = {"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY",
					    "UNSEEN", "HIGHESTMODSEQ", "SIZE", "DELETED",
					    "APPENDLIMIT"};
	struct imap_cursor sub;
	const char *s;

	if (imap_take_list(c, "status items expected", &sub) < 0)
		return -1;
	if (sub.n == 0)
		return imap_fail(c, "status items expected");
	while (!imap_cursor_end(&sub)) {
		if (imap_take_atom(&sub, "", &s) < 0 || name_bit(s, names, 9, items_r) < 0)
			return imap_fail(c, "invalid status item");
	}
	return 0;
}

int imap_parse_status(struct imap_cursor *c, struct imap_cmd *cmd)
{
	if (imap_take_astring(c, "mailbox name expected", &cmd->u.status.mailbox) < 0 ||
	    parse_status_items(c, &cmd->u.status.items) < 0)
		return -1;
	return imap_take_end(c, "too many arguments");
}

/* list-mailbox = 1*list-char / string */
static int take_pattern(struct imap_cursor *c, const char **s_r)
{
	return imap_take_astring(c, "mailbox pattern expected", s_r);
}

static int parse_patterns(struct imap_cursor *c, struct imap_list *l)
{
	const struct imap_arg *a = imap_cursor_peek(c);
	struct imap_cursor sub;

	if (a == NULL || a->type != IMAP_ARG_LIST) {
		const char **one = imap_cursor_alloc(c, 1, sizeof(*one));
		l->patterns = one;
		l->n_patterns = 1;
		return one == NULL ? -1 : take_pattern(c, &one[0]);
	}
	imap_take_list(c, "", &sub);
	const char **pats = imap_cursor_alloc(c, sub.n, sizeof(*pats));
	if (pats == NULL || sub.n == 0)
		return imap_fail(c, "mailbox patterns expected");
	for (unsigned i = 0; i < sub.n; i++) {
		if (take_pattern(&sub, &pats[i]) < 0)
			return imap_fail(c, "mailbox patterns expected");
	}
	l->extended = true;
	l->patterns = pats;
	l->n_patterns = sub.n;
	return 0;
}

static int parse_select_opts(struct imap_cursor *c, struct imap_list *l)
{
	static const char *const names[] = {"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH",
					    "SPECIAL-USE"};
	struct imap_cursor sub;
	const char *s;

	imap_take_list(c, "", &sub);
	l->extended = true;
	while (!imap_cursor_end(&sub)) {
		if (imap_take_atom(&sub, "", &s) < 0 || name_bit(s, names, 4, &l->select) < 0)
			return imap_fail(c, "invalid selection option");
	}
	/* RFC 5258 3.1: RECURSIVEMATCH alone is an error */
	if ((l->select & IMAP_LIST_SEL_RECURSIVEMATCH) &&
	    !(l->select & (IMAP_LIST_SEL_SUBSCRIBED | IMAP_LIST_SEL_SPECIAL_USE)))
		return imap_fail(c, "RECURSIVEMATCH needs another selection option");
	return 0;
}

static int parse_return_opts(struct imap_cursor *c, struct imap_list *l)
{
	static const char *const names[] = {"SUBSCRIBED", "CHILDREN", "SPECIAL-USE"};
	struct imap_cursor sub;
	const char *s;

	if (imap_take_atom(c, "RETURN expected", &s) < 0 || !imap_eq(s, "RETURN") ||
	    imap_take_list(c, "return options expected", &sub) < 0)
		return imap_fail(c, "return options expected");
	l->extended = true;
	while (!imap_cursor_end(&sub)) {
		if (imap_take_atom(&sub, "", &s) < 0)
			return imap_fail(c, "invalid return option");
		if (imap_eq(s, "STATUS") && !(l->ret & IMAP_LIST_RET_STATUS)) {
			l->ret |= IMAP_LIST_RET_STATUS;
			if (parse_status_items(&sub, &l->status_items) < 0)
				return imap_fail(c, "invalid STATUS return option");
		} else if (name_bit(s, names, 3, &l->ret) < 0) {
			return imap_fail(c, "invalid return option");
		}
	}
	return 0;
}

int imap_parse_list(struct imap_cursor *c, struct imap_cmd *cmd)
{
	struct imap_list *l = &cmd->u.list;
	const struct imap_arg *a = imap_cursor_peek(c);

	if (a != NULL && a->type == IMAP_ARG_LIST && parse_select_opts(c, l) < 0)
		return -1;
	if (imap_take_astring(c, "reference name expected", &l->reference) < 0 ||
	    parse_patterns(c, l) < 0)
		return -1;
	if (!imap_cursor_end(c) && parse_return_opts(c, l) < 0)
		return -1;
	return imap_take_end(c, "too many arguments");
}

int imap_parse_lsub(struct imap_cursor *c, struct imap_cmd *cmd)
{
	const char **one = imap_cursor_alloc(c, 1, sizeof(*one));

	if (one == NULL || imap_take_astring(c, "reference name expected", &cmd->u.list.reference) < 0 ||
	    take_pattern(c, &one[0]) < 0)
		return -1;
	cmd->u.list.patterns = one;
	cmd->u.list.n_patterns = 1;
	return imap_take_end(c, "too many arguments");
}

/* [+|-]FLAGS[.SILENT] */
static int store_item(const char *s, struct imap_store *st)
{
	st->op = IMAP_STORE_REPLACE;
	if (*s == '+' || *s == '-')
		st->op = *s++ == '+' ? IMAP_STORE_ADD : IMAP_STORE_REMOVE;
	if (imap_eq(s, "FLAGS.SILENT"))
		st->silent = true;
	else if (!imap_eq(s, "FLAGS"))
		return -1;
	return 0;
}

/* STORE set [(UNCHANGEDSINCE n)] item (flags) | flag *(SP flag) */
int imap_parse_store(struct imap_cursor *c, struct imap_cmd *cmd)
{
	struct imap_store *st = &cmd->u.store;
	const struct imap_arg *a;
	struct imap_cursor sub;
	const char *s;

	if (imap_take_seqset(c, "sequence set expected", &st->set) < 0)
		return -1;
	a = imap_cursor_peek(c);
	if (a != NULL && a->type == IMAP_ARG_LIST) {
		imap_take_list(c, "", &sub);
		if (imap_take_atom(&sub, "", &s) < 0 || !imap_eq(s, "UNCHANGEDSINCE") ||
		    imap_take_number(&sub, "", INT64_MAX, &st->unchangedsince) < 0 ||
		    !imap_cursor_end(&sub))
			return imap_fail(c, "invalid store modifier");
		st->has_unchangedsince = true;
	}
	if (imap_take_atom(c, "store item expected", &s) < 0 || store_item(s, st) < 0)
		return imap_fail(c, "invalid store item");
	a = imap_cursor_peek(c);
	if (a != NULL && a->type == IMAP_ARG_LIST)
		return imap_take_flags(c, "invalid flag list", &st->flags, &st->n_flags) < 0
			       ? -1
			       : imap_take_end(c, "too many arguments");
	/* the flags without parentheses: the rest of the arguments, as a list */
	struct imap_arg rest = {.type = IMAP_ARG_LIST, .list = c->a + c->i, .n = c->n - c->i};
	imap_cursor_init(&sub, &rest, 1, c->arena);
	if (rest.n == 0 || imap_take_flags(&sub, "", &st->flags, &st->n_flags) < 0)
		return imap_fail(c, rest.n == 0 ? "flags expected" : "invalid flag");
	c->i = c->n;
	return 0;
}

/* One message's [flags] [date] before its literal (a STREAM argument, or the end). */
static int append_msg_head(struct imap_cursor *c, struct imap_append_msg *m)
{
	const struct imap_arg *a = imap_cursor_peek(c);
	const char *s;

	if (a != NULL && a->type == IMAP_ARG_LIST) {
		if (imap_take_flags(c, "invalid flag list", &m->flags, &m->n_flags) < 0)
			return -1;
		a = imap_cursor_peek(c);
	}
	if (a != NULL && a->type == IMAP_ARG_STRING) {
		if (imap_take_string(c, "", &s) < 0 || imap_datetime_parse(s, &m->date) < 0)
			return imap_fail(c, "invalid date-time");
		m->has_date = true;
	}
	return 0;
}

/* The message literal at the cursor: a STREAM, or UTF8 (STREAM) of a literal8 (RFC 6855 4),
 * into m. Returns 1 taken, 0 none there (*utf8_open_r: an UTF8 whose list, the last argument,
 * is still empty — the literal being announced opens it), -1 malformed. */
static int append_msg_data(struct imap_cursor *c, struct imap_append_msg *m, bool *utf8_open_r)
{
	const struct imap_arg *a = imap_cursor_peek(c);
	struct imap_cursor sub;

	*utf8_open_r = false;
	if (a != NULL && a->type == IMAP_ARG_ATOM && imap_eq(a->str, "UTF8")) {
		c->i++;
		a = imap_cursor_peek(c);
		if (a != NULL && a->type == IMAP_ARG_LIST && a->n == 0 && c->i + 1 == c->n) {
			*utf8_open_r = true;
			c->i++;
			return 0;
		}
		if (imap_take_list(c, "", &sub) < 0 || sub.n != 1 ||
		    sub.a[0].type != IMAP_ARG_STREAM || !sub.a[0].binary)
			return imap_fail(c, "invalid UTF8 message data");
		m->utf8 = m->binary = true;
		m->size = sub.a[0].size;
		return 1;
	}
	if (a == NULL || a->type != IMAP_ARG_STREAM)
		return 0;
	m->size = a->size;
	m->binary = a->binary;
	c->i++;
	return 1;
}

/* mailbox, then (head STREAM) per message; `head`: the last one has no STREAM yet. */
static int parse_append_args(struct imap_cursor *c, struct imap_cmd *cmd, bool head)
{
	struct imap_append *ap = &cmd->u.append;
	unsigned n_streams = 0;

	for (unsigned i = 0; i < c->n; i++)
		n_streams += c->a[i].type == IMAP_ARG_STREAM ||
			     (c->a[i].type == IMAP_ARG_LIST && c->a[i].n == 1 &&
			      c->a[i].list[0].type == IMAP_ARG_STREAM);
	if (n_streams > APPEND_MSGS_MAX)
		return imap_fail(c, "too many messages");
	struct imap_append_msg *msgs = imap_cursor_alloc(c, n_streams, sizeof(*msgs));

	if (msgs == NULL || imap_take_astring(c, "mailbox name expected", &ap->mailbox) < 0)
		return -1;
	ap->msgs = msgs;
	for (;;) {
		struct imap_append_msg m = {0};
		bool utf8_open;
		if (append_msg_head(c, &m) < 0)
			return -1;
		int got = append_msg_data(c, &m, &utf8_open);
		if (got < 0)
			return -1;
		if (got == 0 && head && imap_cursor_end(c)) {
			m.utf8 = utf8_open;
			cmd->append_next = m;
			return 0;
		}
		if (got == 0)
			return imap_fail(c, imap_cursor_end(c) && ap->n_msgs > 0 ? "invalid APPEND"
										 : "message literal expected");
		msgs[ap->n_msgs++] = m;
		if (imap_cursor_end(c) && !head)
			return 0;
	}
}

int imap_parse_append(struct imap_cursor *c, struct imap_cmd *cmd)
{
	memset(&cmd->u.append, 0, sizeof(cmd->u.append));
	return parse_append_args(c, cmd, false);
}

int imap_parse_append_head(struct imap_cursor *c, struct imap_cmd *cmd)
{
	memset(&cmd->u.append, 0, sizeof(cmd->u.append));
	memset(&cmd->append_next, 0, sizeof(cmd->append_next));
	return parse_append_args(c, cmd, true);
}

/* QRESYNC (uidvalidity modseq [known-uids [(seqs uids)]]) (RFC 7162 3.2.5). */
static int parse_qresync(struct imap_cursor *c, struct imap_select *s)
{
	struct imap_cursor sub, match;
	uint64_t v;

	if (imap_take_list(c, "", &sub) < 0 || imap_take_number(&sub, "", UINT32_MAX, &v) < 0 ||
	    v == 0)
		return imap_fail(c, "invalid QRESYNC parameters");
	s->uidvalidity = (uint32_t)v;
	if (imap_take_number(&sub, "", INT64_MAX, &s->modseq) < 0 || s->modseq == 0)
		return imap_fail(c, "invalid QRESYNC parameters");
	const struct imap_arg *a = imap_cursor_peek(&sub);
	if (a != NULL && a->type != IMAP_ARG_LIST) {
		if (imap_take_seqset(&sub, "", &s->known_uids) < 0 || s->known_uids.saved)
			return imap_fail(c, "invalid QRESYNC known UIDs");
		s->has_known_uids = true;
	}
	if (!imap_cursor_end(&sub)) {
		if (imap_take_list(&sub, "", &match) < 0 ||
		    imap_take_seqset(&match, "", &s->match_seqs) < 0 ||
		    imap_take_seqset(&match, "", &s->match_uids) < 0 || !imap_cursor_end(&match))
			return imap_fail(c, "invalid QRESYNC sequence match data");
		s->has_seq_match = true;
	}
	return imap_take_end(&sub, "") < 0 ? imap_fail(c, "invalid QRESYNC parameters") : 0;
}

int imap_parse_select(struct imap_cursor *c, struct imap_cmd *cmd)
{
	struct imap_select *s = &cmd->u.select;
	struct imap_cursor sub;
	const char *p;

	if (imap_take_astring(c, "mailbox name expected", &s->mailbox) < 0)
		return -1;
	if (imap_cursor_end(c))
		return 0;
	if (imap_take_list(c, "select parameters expected", &sub) < 0)
		return -1;
	while (!imap_cursor_end(&sub)) {
		if (imap_take_atom(&sub, "", &p) < 0)
			return imap_fail(c, "invalid select parameter");
		if (imap_eq(p, "CONDSTORE") && !s->condstore)
			s->condstore = true;
		else if (imap_eq(p, "QRESYNC") && !s->qresync)
			s->qresync = true, sub.error = NULL;
		else
			return imap_fail(c, "invalid select parameter");
		if (s->qresync && imap_eq(p, "QRESYNC") && parse_qresync(&sub, s) < 0)
			return imap_fail(c, sub.error);
	}
	return imap_take_end(c, "too many arguments");
}
