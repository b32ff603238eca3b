/*
 * rules-cond.c: one condition of a rule — preparing it (case folding, pattern compiling) and
 * testing it against a message's facts and the state the earlier rules left (rules.h says
 * what each field and match type means).
 * OWNS the condition's folded value and compiled pattern. THREAD: a prepared condition is
 * read-only; evaluation uses the caller's context.
 */
#include "mime-charset.h"
#include "mime-match.h"
#include "pb-alloc.h"
#include "rules-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A wildcard as an anchored regular expression: every non-alphanumeric ASCII octet
 * escaped, '*' as ".*", '?' as "." with dot-all. Used when I is unchecked (case-sensitive),
 * and for a wildcard that looks like "/regex/flags", which mime_match would take as one;
 * otherwise the guide's case-insensitive wildcard is mime_match's own. */
static char *rules_wildcard_as_regex(const char *w, bool caseless)
{
	struct pb_buf b;

	pb_buf_init(&b);
	pb_buf_append_str(&b, "/\\A");
	for (const unsigned char *s = (const unsigned char *)w; *s != '\0'; s++) {
		if (*s == '*') {
			pb_buf_append_str(&b, ".*");
		} else if (*s == '?') {
			pb_buf_append_c(&b, '.');
		} else {
			bool plain = *s >= 0x80 || (*s >= '0' && *s <= '9') ||
				     ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z');
			if (!plain)
				pb_buf_append_c(&b, '\\');
			pb_buf_append_c(&b, (char)*s);
		}
	}
	pb_buf_append_str(&b, caseless ? "\\z/si" : "\\z/s");
	return pb_buf_steal(&b, NULL);
}

/* Whether a wildcard condition runs as a translated regex (see above). */
static bool rules_wild_via_regex(const struct rules_condition *c)
{
	return c->op == RULES_OP_WILDCARD && (!c->caseless || mime_match_is_regex(c->value));
}

/* The regex data as "/pattern/flags" for mime_match: kept if already so, I adds 'i'. */
static char *rules_regex_source(const char *v, bool caseless)
{
	if (mime_match_is_regex(v))
		return xasprintf("%s%s", v, caseless ? "i" : "");
	return xasprintf("/%s/%s", v, caseless ? "i" : "");
}

int rules_condition_prepare(struct rules_condition *c, const char **error_r)
{
	char *src = NULL;
	int ret = 0;

	if (c->value == NULL)
		return 0;
	if (c->caseless) {
		struct pb_buf b;
		pb_buf_init(&b);
		mime_match_fold_utf8(c->value, strlen(c->value), &b);
		pb_buf_append_c(&b, '\0');
		c->folded = pb_buf_steal(&b, NULL);
	}
	if (c->op == RULES_OP_WILDCARD)
		src = !rules_wild_via_regex(c) ? xstrdup(c->value)
					       : rules_wildcard_as_regex(c->value, c->caseless);
	else if (c->op == RULES_OP_REGEX)
		src = rules_regex_source(c->value, c->caseless);
	if (src != NULL)
		ret = mime_match_compile(src, &c->pattern, error_r);
	free(src);
	return ret;
}

void rules_condition_deinit(struct rules_condition *c)
{
	free(c->value);
	free(c->folded);
	mime_match_free(&c->pattern);
	c->value = c->folded = NULL;
}

/* Compares two octet strings as text (UTF-8 order is code point order). */
static int rules_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static bool rules_ordered(enum rules_op op, int cmp)
{
	switch (op) {
	case RULES_OP_EQUALS:
		return cmp == 0;
	case RULES_OP_NOT_EQUALS:
		return cmp != 0;
	case RULES_OP_LESS:
		return cmp < 0;
	case RULES_OP_LESS_EQUAL:
		return cmp <= 0;
	case RULES_OP_GREATER:
		return cmp > 0;
	default:
		return cmp >= 0;
	}
}

/* Replaces a candidate by its case-folded text; the body is folded once per message
 * (a body of RULES_BODY_BUDGET_DEFAULT under many caseless conditions stays cheap). */
static void rules_fold(struct rules_ctx *ctx, const char **s, size_t *len)
{
	struct pb_buf *out = &ctx->fold;

	if (*s != NULL && *s == ctx->body && *len == ctx->body_len) {
		out = &ctx->body_folded;
		if (!ctx->body_folded_done)
			mime_match_fold_utf8(*s, *len, out);
		ctx->body_folded_done = true;
	} else {
		pb_buf_reset(out);
		mime_match_fold_utf8(*s, *len, out);
	}
	*s = out->data;
	*len = out->len;
}

/* Counts len octets against the evaluation's budget; false (ctx->limit says why) once it
 * is spent. */
static bool rules_budget_take(struct rules_ctx *ctx, size_t len)
{
	if (ctx->scanned + len > RULES_EVAL_OCTETS_MAX ||
	    ctx->limit_hits >= RULES_EVAL_LIMIT_HITS_MAX) {
		ctx->limit = "the rules' budget for this message is spent";
		return false;
	}
	ctx->scanned += len;
	return true;
}

/* Tests one text candidate with op (not_equals is tested as equals by the caller).
 * Returns 1, 0 or -1 (a pattern's budget). */
static int rules_text_test(struct rules_ctx *ctx, const struct rules_condition *c,
			   enum rules_op op, const char *s, size_t len)
{
	const char *v = c->caseless ? c->folded : c->value;
	const char *error = NULL;
	int ret;

	if (!rules_budget_take(ctx, len))
		return -1;
	if (op == RULES_OP_WILDCARD || op == RULES_OP_REGEX) {
		if (rules_wild_via_regex(c) && s != NULL && !mime_utf8_is_valid(s, len)) {
			/* PCRE2 never matches across invalid UTF-8; the guide's wildcard counts
			 * an invalid octet as one character, so it becomes one U+FFFD here */
			pb_buf_reset(&ctx->fold);
			mime_utf8_append_valid(&ctx->fold, s, len);
			s = ctx->fold.data;
			len = ctx->fold.len;
		}
		ret = mime_match_run(c->pattern, s != NULL ? s : "", len, &error);
		if (ret < 0) {
			ctx->limit = error;
			ctx->limit_hits++;
		}
		return ret;
	}
	if (c->caseless)
		rules_fold(ctx, &s, &len);
	if (s == NULL)
		s = "";
	if (op == RULES_OP_CONTAINS)
		return memmem(s, len, v, strlen(v)) != NULL ? 1 : 0;
	return rules_ordered(op, rules_cmp(s, len, v, strlen(v))) ? 1 : 0;
}

/* Folds a candidate's verdict into the condition's: any candidate matching wins. */
struct rules_any {
	int result; /* 1 matched, 0 none yet, -1 a budget stopped one (and none matched) */
};

static void rules_any_test(struct rules_ctx *ctx, const struct rules_condition *c,
			   struct rules_any *any, const char *s, size_t len)
{
	enum rules_op op = c->op == RULES_OP_NOT_EQUALS ? RULES_OP_EQUALS : c->op;
	int r;

	if (any->result == 1)
		return;
	r = rules_text_test(ctx, c, op, s, len);
	if (r != 0)
		any->result = r;
}

static void rules_any_str(struct rules_ctx *ctx, const struct rules_condition *c,
			  struct rules_any *any, const char *s)
{
	rules_any_test(ctx, c, any, s, s != NULL ? strlen(s) : 0);
}

static void rules_any_addresses(struct rules_ctx *ctx, const struct rules_condition *c,
				struct rules_any *any, const struct rules_address *v, size_t n)
{
	for (size_t i = 0; i < n && any->result != 1; i++) {
		rules_any_str(ctx, c, any, v[i].address);
		if (v[i].name == NULL || v[i].name[0] == '\0')
			continue;
		pb_buf_reset(&ctx->text);
		pb_buf_printf(&ctx->text, "%s <%s>", v[i].name,
			      v[i].address != NULL ? v[i].address : "");
		rules_any_test(ctx, c, any, ctx->text.data, ctx->text.len);
	}
}

/* The address entries of an address field; absent headers are one empty candidate. */
static void rules_eval_address(struct rules_ctx *ctx, const struct rules_condition *c,
			       struct rules_any *any)
{
	const struct rules_facts *f = ctx->facts;
	enum rules_field fd = c->field;
	bool from = fd == RULES_FIELD_FROM || fd == RULES_FIELD_FROM_TO_CC;
	bool to = fd != RULES_FIELD_FROM && fd != RULES_FIELD_CC;
	bool cc = fd != RULES_FIELD_FROM && fd != RULES_FIELD_TO;

	if (from)
		rules_any_addresses(ctx, c, any, f->from, f->n_from);
	if (to)
		rules_any_addresses(ctx, c, any, f->to, f->n_to);
	if (cc)
		rules_any_addresses(ctx, c, any, f->cc, f->n_cc);
	if ((!from || f->n_from == 0) && (!to || f->n_to == 0) && (!cc || f->n_cc == 0))
		rules_any_str(ctx, c, any, "");
}

/* Keywords the message has now: its own, then those the rules added. */
static void rules_eval_keywords(struct rules_ctx *ctx, const struct rules_condition *c,
				struct rules_any *any)
{
	const struct rules_facts *f = ctx->facts;
	const struct rules_decision *d = ctx->decision;

	for (size_t i = 0; i < f->n_keywords; i++)
		rules_any_str(ctx, c, any, f->keywords[i]);
	for (size_t i = 0; i < d->n_keywords; i++)
		rules_any_str(ctx, c, any, d->keywords[i]);
	if (f->n_keywords == 0 && d->n_keywords == 0)
		rules_any_str(ctx, c, any, "");
}

static void rules_eval_previous(struct rules_ctx *ctx, const struct rules_condition *c,
				struct rules_any *any)
{
	const struct rules_decision *d = ctx->decision;

	for (size_t i = 0; i < d->n_matched; i++)
		rules_any_str(ctx, c, any, d->matched[i]);
	if (d->n_matched == 0)
		rules_any_str(ctx, c, any, "");
}

static void rules_load_body(struct rules_ctx *ctx)
{
	const struct rules_facts *f = ctx->facts;
	size_t budget = f->body_budget != 0 ? f->body_budget : RULES_BODY_BUDGET_DEFAULT;

	if (ctx->body_loaded)
		return;
	ctx->body_loaded = true;
	ctx->body = "";
	ctx->body_len = 0;
	if (f->body_text == NULL ||
	    f->body_text(f->body_ctx, budget, &ctx->body, &ctx->body_len) < 0) {
		ctx->body = "";
		ctx->body_len = 0;
		ctx->body_error = "the body could not be read";
	} else if (ctx->body_len > budget) {
		ctx->body_len = budget;
	}
}

/* "YYYY-MM-DD" or "HH:MM" of UTC seconds shifted by a zone offset. */
static void rules_format_time(int64_t s, int offset_min, bool date, char out[16])
{
	time_t t = (time_t)(s + (int64_t)offset_min * 60);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		out[0] = '\0';
		return;
	}
	strftime(out, 16, date ? "%Y-%m-%d" : "%H:%M", &tm);
}

static void rules_eval_text(struct rules_ctx *ctx, const struct rules_condition *c,
			    struct rules_any *any)
{
	const struct rules_facts *f = ctx->facts;
	char when[16];

	switch (c->field) {
	case RULES_FIELD_SUBJECT:
		rules_any_str(ctx, c, any, f->subject);
		break;
	case RULES_FIELD_BODY:
		rules_load_body(ctx);
		rules_any_test(ctx, c, any, ctx->body, ctx->body_len);
		break;
	case RULES_FIELD_KEYWORD:
		rules_eval_keywords(ctx, c, any);
		break;
	case RULES_FIELD_PREVIOUS_RULE:
		rules_eval_previous(ctx, c, any);
		break;
	case RULES_FIELD_MESSAGE_DATE:
		when[0] = '\0';
		if (f->has_date)
			rules_format_time(f->date_s, f->date_offset_min, true, when);
		rules_any_str(ctx, c, any, when);
		break;
	default: /* date_now, time_now */
		rules_format_time(f->now_s, f->now_offset_min, c->field == RULES_FIELD_DATE_NOW,
				  when);
		rules_any_str(ctx, c, any, when);
		break;
	}
}

static double rules_numeric_fact(const struct rules_ctx *ctx, enum rules_field field)
{
	const struct rules_decision *d = ctx->decision;

	if (field == RULES_FIELD_SIZE)
		return (double)ctx->facts->size;
	if (d->has_spam_score)
		return d->spam_score;
	return ctx->facts->has_spam_score ? ctx->facts->spam_score : 0.0;
}

/* Numbers order as numbers; contains, wildcard and regex see the decimal text. */
static int rules_eval_numeric(struct rules_ctx *ctx, const struct rules_condition *c)
{
	double x = rules_numeric_fact(ctx, c->field);
	struct rules_any any = { 0 };

	if (c->op <= RULES_OP_GREATER_EQUAL)
		return rules_ordered(c->op, x < c->number ? -1 : x > c->number ? 1 : 0);
	pb_buf_reset(&ctx->text);
	if (c->field == RULES_FIELD_SIZE)
		pb_buf_printf(&ctx->text, "%" PRIu64, ctx->facts->size);
	else
		pb_buf_printf(&ctx->text, "%g", x);
	rules_any_test(ctx, c, &any, ctx->text.data, ctx->text.len);
	return any.result;
}

static bool rules_checkbox_fact(const struct rules_ctx *ctx, enum rules_field field)
{
	const struct rules_facts *f = ctx->facts;
	const struct rules_decision *d = ctx->decision;

	if (field == RULES_FIELD_QUARANTINED)
		return d->quarantined != RULES_UNSET ? d->quarantined == RULES_ON : f->quarantined;
	if (field == RULES_FIELD_MARKED_READ)
		return d->seen != RULES_UNSET ? d->seen == RULES_ON : f->seen;
	return d->flagged != RULES_UNSET ? d->flagged == RULES_ON : f->flagged;
}

int rules_condition_eval(struct rules_ctx *ctx, const struct rules_condition *c)
{
	enum rules_kind kind = rules_field_kind(c->field);
	struct rules_any any = { 0 };
	int r;

	ctx->limit = NULL;
	if (kind == RULES_KIND_CHECKBOX) {
		r = rules_checkbox_fact(ctx, c->field) == c->flag;
		if (c->op == RULES_OP_NOT_EQUALS)
			r = !r;
	} else if (kind == RULES_KIND_NUMERIC) {
		r = rules_eval_numeric(ctx, c);
	} else {
		if (kind == RULES_KIND_ADDRESS)
			rules_eval_address(ctx, c, &any);
		else
			rules_eval_text(ctx, c, &any);
		r = any.result;
		if (c->op == RULES_OP_NOT_EQUALS && r >= 0)
			r = !r;
	}
	if (r < 0)
		return -1;
	return c->negate ? !r : r;
}

/* Appends " \"text\"" for a trace line: cut at 80 octets on a character boundary (with
 * "..."), control characters shown as '?', so one rule stays one line. */
void rules_trace_quote(struct pb_buf *out, const char *text)
{
	size_t len = strlen(text), cut = len > 80 ? 80 : len;

	while (cut < len && cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
		cut--;
	pb_buf_append_str(out, " \"");
	for (size_t i = 0; i < cut; i++)
		pb_buf_append_c(out, (unsigned char)text[i] < 0x20 || text[i] == 0x7F ? '?' : text[i]);
	pb_buf_append_str(out, cut < len ? "...\"" : "\"");
}

void rules_condition_describe(const struct rules_condition *c, struct pb_buf *out)
{
	pb_buf_printf(out, "%s%s %s", c->negate ? "not " : "", rules_field_name(c->field),
		      rules_op_name(c->op));
	if (c->value == NULL) {
		pb_buf_append_str(out, c->flag ? " true" : " false");
		return;
	}
	rules_trace_quote(out, c->value);
	if (c->caseless)
		pb_buf_append_str(out, " [I]");
}

void rules_action_describe(const struct rules_action *a, struct pb_buf *out)
{
	pb_buf_append_str(out, rules_action_name(a->kind));
	if (rules_action_is_switch(a->kind))
		pb_buf_append_str(out, a->on ? " on" : " off");
	else if (a->kind == RULES_ACTION_SET_SPAM_SCORE)
		pb_buf_printf(out, " %g", a->number);
	else
		rules_trace_quote(out, a->text);
}
