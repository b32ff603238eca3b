/*
 * rules-eval.c: runs the administrator's rules then the user's over one message, in order,
 * merging the actions of each rule that matches and writing one plain-language trace line
 * per rule looked at ("rule \"Spam\": matched (all): subject contains \"x\" yes -> ...").
 * OWNS nothing past the call (the decision is the caller's). THREAD: any; the sets are only
 * read.
 */
#include "pb-alloc.h"
#include "rules-private.h"

#include <stdlib.h>
#include <string.h>

static void rules_trace_add(struct rules_decision *d, struct pb_buf *line)
{
	d->trace = xrealloc(d->trace, sizeof(*d->trace) * (d->n_trace + 1));
	pb_buf_append_c(line, '\0');
	d->trace[d->n_trace++] = pb_buf_steal(line, NULL);
}

static const char *rules_type_name(enum rules_msg_type type)
{
	return type == RULES_TYPE_LOCAL ? "local" : type == RULES_TYPE_SYSTEM ? "system"
									       : "incoming";
}

/* Why a rule is not looked at, or NULL. */
static const char *rules_skip_reason(const struct rules_rule *r, const struct rules_facts *f)
{
	if (r->error != NULL)
		return "skipped, the rule is in error";
	if (!r->enabled)
		return "skipped, disabled";
	if ((r->types & (unsigned int)f->type) == 0)
		return "skipped, not for this message type";
	return NULL;
}

/* Tests the conditions, all or any, stopping as soon as the outcome is known; writes each
 * verdict to line. A rule without conditions matches every message. */
static bool rules_conditions_hold(struct rules_ctx *ctx, const struct rules_rule *r,
				  struct pb_buf *line)
{
	bool result = r->match_all || r->n_conditions == 0;

	for (size_t i = 0; i < r->n_conditions; i++) {
		const struct rules_condition *c = &r->conditions[i];
		int v = rules_condition_eval(ctx, c);

		pb_buf_append_str(line, i == 0 ? " " : "; ");
		rules_condition_describe(c, line);
		if (v < 0)
			pb_buf_printf(line, " no (%s)", ctx->limit);
		else
			pb_buf_append_str(line, v > 0 ? " yes" : " no");
		if (c->field == RULES_FIELD_BODY && ctx->body_error != NULL)
			pb_buf_printf(line, " (%s)", ctx->body_error);
		if (r->match_all && v <= 0)
			return false;
		if (!r->match_all && v > 0)
			return true;
	}
	return result;
}

static void rules_describe_actions(const struct rules_rule *r, struct pb_buf *line)
{
	pb_buf_append_str(line, " ->");
	for (size_t i = 0; i < r->n_actions; i++) {
		pb_buf_append_str(line, i == 0 ? " " : ", ");
		rules_action_describe(&r->actions[i], line);
	}
	if (r->n_actions == 0)
		pb_buf_append_str(line, " nothing");
	if (r->stop_after)
		pb_buf_append_str(line, "; stop processing");
}

static void rules_eval_rule(struct rules_ctx *ctx, const char *who, const struct rules_rule *r)
{
	struct rules_decision *d = ctx->decision;
	const char *skip = rules_skip_reason(r, ctx->facts);
	struct pb_buf line;

	pb_buf_init(&line);
	pb_buf_printf(&line, "%s rule", who);
	rules_trace_quote(&line, r->name);
	pb_buf_append_str(&line, ": ");
	if (skip != NULL) {
		pb_buf_append_str(&line, skip);
		if (r->error != NULL)
			pb_buf_printf(&line, " (%s)", r->error);
		if (r->error == NULL && r->enabled)
			pb_buf_printf(&line, " (%s)", rules_type_name(ctx->facts->type));
	} else {
		struct pb_buf why;
		pb_buf_init(&why);
		bool match = rules_conditions_hold(ctx, r, &why);
		pb_buf_printf(&line, "%s (%s):", match ? "matched" : "no match",
			      r->n_conditions == 0 ? "no conditions"
			      : r->match_all	   ? "all"
						   : "any");
		pb_buf_append(&line, why.data, why.len);
		pb_buf_deinit(&why);
		if (match) {
			rules_describe_actions(r, &line);
			rules_decision_apply(d, r);
		}
	}
	rules_trace_add(d, &line);
}

static void rules_eval_set(struct rules_ctx *ctx, const char *who, const struct rules_set *s)
{
	for (size_t i = 0; s != NULL && i < s->n_rules && !ctx->decision->stopped; i++)
		rules_eval_rule(ctx, who, &s->rules[i]);
}

void rules_evaluate(const struct rules_set *admin, const struct rules_set *user,
		    const struct rules_facts *facts, struct rules_decision *decision_r)
{
	struct rules_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	rules_decision_init(decision_r);
	ctx.facts = facts;
	ctx.decision = decision_r;
	pb_buf_init(&ctx.fold);
	pb_buf_init(&ctx.text);
	pb_buf_init(&ctx.body_folded);
	rules_eval_set(&ctx, "administrator", admin);
	rules_eval_set(&ctx, "user", user);
	pb_buf_deinit(&ctx.fold);
	pb_buf_deinit(&ctx.text);
	pb_buf_deinit(&ctx.body_folded);
}
