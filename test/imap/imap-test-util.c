/*
 * imap-test-util.c: rendering IMAP parser events and the session model (imap-test-util.h).
 */
#include "imap-test-util.h"

#include <inttypes.h>
#include <string.h>

static void esc(struct pb_buf *out, const char *s, size_t len)
{
	pb_buf_append_c(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			pb_buf_printf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			pb_buf_printf(out, "\\x%02x", c);
		else
			pb_buf_append_c(out, (char)c);
	}
	pb_buf_append_c(out, '"');
}

static void str(struct pb_buf *out, const char *s)
{
	if (s == NULL)
		pb_buf_append_str(out, "NIL");
	else
		esc(out, s, strlen(s));
}

static void render_args(struct pb_buf *out, const struct imap_arg *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			pb_buf_append_c(out, ' ');
		switch (a[i].type) {
		case IMAP_ARG_ATOM: pb_buf_append(out, a[i].str, a[i].len); break;
		case IMAP_ARG_STRING: esc(out, a[i].str, a[i].len); break;
		case IMAP_ARG_LITERAL:
			pb_buf_printf(out, "%s{%zu}", a[i].binary ? "~" : "", a[i].len);
			esc(out, a[i].str, a[i].len);
			break;
		case IMAP_ARG_NIL: pb_buf_append_str(out, "NIL"); break;
		case IMAP_ARG_STREAM: pb_buf_printf(out, "<stream %" PRIu64 ">", a[i].size); break;
		case IMAP_ARG_LIST:
			pb_buf_append_c(out, '(');
			render_args(out, a[i].list, a[i].n);
			pb_buf_append_c(out, ')');
			break;
		}
	}
}

static void seqset(struct pb_buf *out, const struct imap_seqset *s)
{
	if (s->saved)
		pb_buf_append_c(out, '$');
	for (unsigned i = 0; i < s->n; i++) {
		pb_buf_append_str(out, i > 0 ? "," : "");
		if (s->ranges[i].lo == IMAP_SEQ_STAR)
			pb_buf_append_c(out, '*');
		else
			pb_buf_printf(out, "%" PRIu64, s->ranges[i].lo);
		if (s->ranges[i].hi == s->ranges[i].lo)
			continue;
		if (s->ranges[i].hi == IMAP_SEQ_STAR)
			pb_buf_append_str(out, ":*");
		else
			pb_buf_printf(out, ":%" PRIu64, s->ranges[i].hi);
	}
}

static void strs(struct pb_buf *out, const char *const *v, unsigned n)
{
	pb_buf_append_c(out, '[');
	for (unsigned i = 0; i < n; i++) {
		pb_buf_append_str(out, i > 0 ? " " : "");
		str(out, v[i]);
	}
	pb_buf_append_c(out, ']');
}

static void date(struct pb_buf *out, const struct imap_date *d)
{
	pb_buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d%+d@%" PRId64, d->year, d->month, d->day,
		      d->hour, d->min, d->sec, d->zone_min, d->unix_time);
}

static void fetch_items(struct pb_buf *out, const struct imap_fetch *f)
{
	for (unsigned i = 0; i < f->n_items; i++) {
		const struct imap_fetch_item *it = &f->items[i];
		pb_buf_printf(out, " a%d%s", it->att, it->peek ? "p" : "");
		if (it->att >= IMAP_FETCH_BODY_SECTION) {
			pb_buf_append_c(out, '[');
			for (unsigned j = 0; j < it->n_parts; j++)
				pb_buf_printf(out, "%" PRIu32 ".", it->parts[j]);
			pb_buf_printf(out, "s%d", it->spec);
			if (it->n_fields > 0)
				strs(out, it->fields, it->n_fields);
			pb_buf_append_c(out, ']');
		}
		if (it->partial)
			pb_buf_printf(out, "<%" PRIu32 ".%" PRIu32 ">", it->offset, it->length);
	}
	if (f->has_changedsince)
		pb_buf_printf(out, " changedsince=%" PRIu64, f->changedsince);
	if (f->vanished)
		pb_buf_append_str(out, " vanished");
}

static void search_key(struct pb_buf *out, const struct imap_search_key *k)
{
	pb_buf_printf(out, "k%d", k->type);
	if (k->str != NULL)
		pb_buf_append_c(out, ':'), str(out, k->str);
	if (k->str2 != NULL)
		pb_buf_append_c(out, ':'), str(out, k->str2);
	if (k->num != 0)
		pb_buf_printf(out, ":%" PRIu64, k->num);
	if (k->date.year != 0)
		pb_buf_append_c(out, ':'), date(out, &k->date);
	if (k->set.n > 0 || k->set.saved)
		pb_buf_append_c(out, ':'), seqset(out, &k->set);
	if (k->n_sub > 0) {
		pb_buf_append_c(out, '(');
		for (unsigned i = 0; i < k->n_sub; i++) {
			pb_buf_append_str(out, i > 0 ? " " : "");
			search_key(out, &k->sub[i]);
		}
		pb_buf_append_c(out, ')');
	}
}

static void search(struct pb_buf *out, const struct imap_search *s)
{
	if (s->charset != NULL)
		pb_buf_append_str(out, " charset="), str(out, s->charset);
	if (s->has_return)
		pb_buf_printf(out, " return=%u", s->ret);
	pb_buf_append_c(out, ' ');
	search_key(out, &s->root);
}

static void append_msg(struct pb_buf *out, const struct imap_append_msg *m)
{
	pb_buf_append_str(out, " msg");
	if (m->n_flags > 0)
		strs(out, m->flags, m->n_flags);
	if (m->has_date)
		pb_buf_append_c(out, ' '), date(out, &m->date);
	pb_buf_printf(out, " size=%" PRIu64 "%s%s", m->size, m->binary ? " binary" : "",
		      m->utf8 ? " utf8" : "");
}

static void typed_select(struct pb_buf *out, const struct imap_select *s)
{
	str(out, s->mailbox);
	if (s->condstore)
		pb_buf_append_str(out, " condstore");
	if (!s->qresync)
		return;
	pb_buf_printf(out, " qresync=%" PRIu32 "/%" PRIu64, s->uidvalidity, s->modseq);
	if (s->has_known_uids)
		pb_buf_append_c(out, ' '), seqset(out, &s->known_uids);
	if (s->has_seq_match) {
		pb_buf_append_str(out, " match=");
		seqset(out, &s->match_seqs);
		pb_buf_append_c(out, '/');
		seqset(out, &s->match_uids);
	}
}

static void typed(struct pb_buf *out, const struct imap_cmd *c)
{
	const struct imap_list *l = &c->u.list;

	switch (c->kind) {
	case IMAP_CMD_FETCH:
		seqset(out, &c->u.fetch.set);
		fetch_items(out, &c->u.fetch);
		break;
	case IMAP_CMD_STORE:
		seqset(out, &c->u.store.set);
		pb_buf_printf(out, " op=%d%s ", c->u.store.op, c->u.store.silent ? " silent" : "");
		strs(out, c->u.store.flags, c->u.store.n_flags);
		if (c->u.store.has_unchangedsince)
			pb_buf_printf(out, " unchangedsince=%" PRIu64, c->u.store.unchangedsince);
		break;
	case IMAP_CMD_SEARCH: search(out, &c->u.search); break;
	case IMAP_CMD_SORT:
		for (unsigned i = 0; i < c->u.sort.n_crit; i++)
			pb_buf_printf(out, "%s%d", c->u.sort.crit[i].reverse ? "-" : "+",
				      c->u.sort.crit[i].key);
		search(out, &c->u.sort.search);
		break;
	case IMAP_CMD_THREAD:
		pb_buf_printf(out, "alg=%d", c->u.thread.alg);
		search(out, &c->u.thread.search);
		break;
	case IMAP_CMD_LIST:
	case IMAP_CMD_LSUB:
		str(out, l->reference);
		pb_buf_append_c(out, ' ');
		strs(out, l->patterns, l->n_patterns);
		if (l->extended)
			pb_buf_printf(out, " ext sel=%u ret=%u status=%u", l->select, l->ret,
				      l->status_items);
		break;
	case IMAP_CMD_STATUS:
		str(out, c->u.status.mailbox);
		pb_buf_printf(out, " items=%u", c->u.status.items);
		break;
	case IMAP_CMD_APPEND:
		str(out, c->u.append.mailbox);
		for (unsigned i = 0; i < c->u.append.n_msgs; i++)
			append_msg(out, &c->u.append.msgs[i]);
		break;
	case IMAP_CMD_SELECT:
	case IMAP_CMD_EXAMINE: typed_select(out, &c->u.select); break;
	case IMAP_CMD_ID:
		for (unsigned i = 0; i < c->u.id.n; i++)
			str(out, c->u.id.pairs[i].field), pb_buf_append_c(out, '='),
				str(out, c->u.id.pairs[i].value), pb_buf_append_c(out, ' ');
		break;
	case IMAP_CMD_AUTHENTICATE:
		str(out, c->u.auth.mech);
		pb_buf_append_c(out, ' ');
		str(out, c->u.auth.initial);
		break;
	case IMAP_CMD_LOGIN:
		str(out, c->u.login.user);
		pb_buf_append_c(out, ' ');
		str(out, c->u.login.password);
		break;
	case IMAP_CMD_CREATE: case IMAP_CMD_DELETE: case IMAP_CMD_RENAME: case IMAP_CMD_SUBSCRIBE:
	case IMAP_CMD_UNSUBSCRIBE: case IMAP_CMD_GETQUOTA: case IMAP_CMD_GETQUOTAROOT:
		str(out, c->u.mbox.mailbox);
		if (c->u.mbox.to != NULL)
			pb_buf_append_c(out, ' '), str(out, c->u.mbox.to);
		if (c->u.mbox.n_uses > 0)
			pb_buf_append_str(out, " use="), strs(out, c->u.mbox.uses, c->u.mbox.n_uses);
		break;
	case IMAP_CMD_COPY:
	case IMAP_CMD_MOVE:
		seqset(out, &c->u.copy.set);
		pb_buf_append_c(out, ' ');
		str(out, c->u.copy.mailbox);
		break;
	case IMAP_CMD_EXPUNGE: seqset(out, &c->u.expunge); break;
	case IMAP_CMD_ENABLE: strs(out, c->u.enable.caps, c->u.enable.n); break;
	case IMAP_CMD_COMPRESS: str(out, c->u.compress.mech); break;
	default: break;
	}
}

void imap_test_render(struct pb_buf *out, int ret, const struct imap_event *ev)
{
	const struct imap_cmd *c = &ev->cmd;

	switch (ret) {
	case IMAP_PARSE_BAD:
		pb_buf_append_str(out, "BAD ");
		str(out, c->tag);
		pb_buf_printf(out, " %s ", c->name ? c->name : "-");
		str(out, ev->error);
		break;
	case IMAP_PARSE_LITERAL:
		pb_buf_printf(out, "LIT %" PRIu64 "%s%s%s%s%s", ev->literal.size,
			      ev->literal.sync ? " sync" : "", ev->literal.minus ? " minus" : "",
			      ev->literal.binary ? " binary" : "", ev->literal.stream ? " stream" : "",
			      ev->literal.fits ? " fits" : "");
		if (ev->literal.stream)
			append_msg(out, &c->append_next);
		break;
	case IMAP_PARSE_COMMAND:
		pb_buf_printf(out, "CMD %s %s%s | ", c->tag, c->uid ? "UID " : "", c->name);
		render_args(out, c->args, c->n_args);
		pb_buf_append_str(out, " | ");
		typed(out, c);
		break;
	default:
		pb_buf_printf(out, "?? %d", ret);
	}
	pb_buf_append_c(out, '\n');
}

struct model {
	struct imap_parser *p;
	struct pb_buf *out;
	uint64_t data_len, data_sum;
	bool in_data;
};

/* Drains the parser: renders events, decides literals, sums DATA. */
static void drain(struct model *m)
{
	struct imap_event ev;
	const char *error;
	int ret;

	while ((ret = imap_parser_next(m->p, &ev)) != IMAP_PARSE_NEED_MORE) {
		if (ret == IMAP_PARSE_DATA) {
			m->in_data = true;
			m->data_len += ev.data_len;
			for (size_t i = 0; i < ev.data_len; i++)
				m->data_sum = m->data_sum * 31 + ((const unsigned char *)ev.data)[i];
			continue;
		}
		if (m->in_data) {
			pb_buf_printf(m->out, "DATA %" PRIu64 " sum=%" PRIx64 "\n", m->data_len,
				      m->data_sum);
			m->in_data = false;
			m->data_len = m->data_sum = 0;
		}
		imap_test_render(m->out, ret, &ev);
		if (ret != IMAP_PARSE_LITERAL)
			continue;
		bool take = ev.literal.stream ? ev.literal.size <= (1u << 20) : ev.literal.fits;
		if (take && imap_parser_literal_accept(m->p, &error) == 0) {
			pb_buf_append_str(m->out, "ACCEPT\n");
		} else {
			imap_parser_literal_refuse(m->p);
			pb_buf_append_str(m->out, "REFUSE\n");
		}
	}
}

void imap_test_transcript(const char *in, size_t len, imap_test_chunker *chunker, void *ctx,
			  struct pb_buf *out)
{
	struct model m = {.p = imap_parser_create(), .out = out};
	const void *pend;
	size_t plen;

	for (size_t pos = 0, i = 0; pos < len; i++) {
		size_t n = chunker == NULL ? len - pos : chunker(i, ctx);
		if (n == 0)
			n = 1;
		if (n > len - pos)
			n = len - pos;
		if (n > 4096)
			n = 4096; /* within IMAP_PARSER_INPUT_MAX once drained */
		if (imap_parser_feed(m.p, in + pos, n) < 0)
			abort();
		pos += n;
		drain(&m);
	}
	if (m.in_data)
		pb_buf_printf(out, "DATA %" PRIu64 " sum=%" PRIx64 "\n", m.data_len, m.data_sum);
	imap_parser_pending(m.p, &pend, &plen);
	pb_buf_printf(out, "EOF pending=%zu\n", plen);
	imap_parser_destroy(&m.p);
}
