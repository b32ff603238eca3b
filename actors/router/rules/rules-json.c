/*
 * rules-json.c: a rule set as JSON, read and written (the CLI and the web API use it).
 *
 *   {"rules": [{"name": "Widget mailshots", "enabled": true, "match": "all",
 *               "types": ["incoming", "local", "system"], "stop_after": false,
 *               "conditions": [{"field": "subject", "match": "contains", "value": "widget",
 *                               "i": true, "n": false}],
 *               "actions": [{"action": "move_to_folder", "value": "Widgets"}]}]}
 *
 * Defaults when absent: enabled true, match "all", every type, stop_after false, i and n
 * false, no conditions (the rule matches every message), no actions. Checkbox conditions
 * take "value": true|false and match "equals" (default) or "not_equals"; numeric ones a
 * number or its text. On/off actions take true|false, set_spam_score a number, the others a
 * non-empty string. Unknown keys are errors, so a typo is not silently ignored.
 * OWNS the sets it builds. THREAD: any (the error text is thread-local).
 */
#include "pb-alloc.h"
#include "rules-private.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char rules_json_error[512];

static int rules_fail(const char **error_r, const char *fmt, ...) PB_PRINTF(2, 3);
static int rules_fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rules_json_error, sizeof(rules_json_error), fmt, ap);
	va_end(ap);
	*error_r = rules_json_error;
	return -1;
}

/* Refuses keys not in allowed (NULL-terminated). */
static int rules_check_keys(const cJSON *obj, const char *path, const char *const *allowed,
			    const char **error_r)
{
	const cJSON *it;

	if (!cJSON_IsObject(obj))
		return rules_fail(error_r, "%s: an object is expected", path);
	cJSON_ArrayForEach(it, obj) {
		size_t i = 0;
		while (allowed[i] != NULL && strcmp(allowed[i], it->string) != 0)
			i++;
		if (allowed[i] == NULL)
			return rules_fail(error_r, "%s.%s: unknown key", path, it->string);
	}
	return 0;
}

/* Optional boolean key: 0 (absent: *v unchanged, or set), -1 wrong type. */
static int rules_get_bool(const cJSON *obj, const char *key, const char *path, bool *v,
			  const char **error_r)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (it == NULL)
		return 0;
	if (!cJSON_IsBool(it))
		return rules_fail(error_r, "%s.%s: true or false is expected", path, key);
	*v = cJSON_IsTrue(it);
	return 0;
}

/* Required (or optional when dflt != NULL) string key, 1..RULES_MAX_TEXT octets. */
static int rules_get_str(const cJSON *obj, const char *key, const char *path,
			 const char *dflt, const char **v_r, const char **error_r)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (it == NULL && dflt != NULL) {
		*v_r = dflt;
		return 0;
	}
	if (it == NULL)
		return rules_fail(error_r, "%s.%s: missing", path, key);
	if (!cJSON_IsString(it) || it->valuestring[0] == '\0')
		return rules_fail(error_r, "%s.%s: a non-empty string is expected", path, key);
	if (strlen(it->valuestring) > RULES_MAX_TEXT)
		return rules_fail(error_r, "%s.%s: longer than %d octets", path, key,
				  RULES_MAX_TEXT);
	*v_r = it->valuestring;
	return 0;
}

/* The value of a text/numeric condition: a string, or a number for numeric fields. */
static int rules_cond_value(const cJSON *obj, const char *path, struct rules_condition *c,
			    const char **error_r)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "value");
	bool numeric = rules_field_kind(c->field) == RULES_KIND_NUMERIC;
	char *end;

	if (numeric && cJSON_IsNumber(it)) {
		c->value = xasprintf("%.15g", it->valuedouble);
		if (strtod(c->value, NULL) != it->valuedouble) {
			free(c->value);
			c->value = xasprintf("%.17g", it->valuedouble);
		}
	} else if (cJSON_IsString(it) && strlen(it->valuestring) <= RULES_MAX_TEXT) {
		c->value = xstrdup(it->valuestring);
	} else {
		return rules_fail(error_r, "%s.value: %s of at most %d octets is expected", path,
				  numeric ? "a number or a string" : "a string", RULES_MAX_TEXT);
	}
	if (!numeric || c->op > RULES_OP_GREATER_EQUAL)
		return 0;
	c->number = strtod(c->value, &end);
	if (end == c->value || *end != '\0' || !isfinite(c->number))
		return rules_fail(error_r, "%s.value: \"%s\" is not a number", path, c->value);
	return 0;
}

static int rules_cond_checkbox(const cJSON *obj, const char *path, struct rules_condition *c,
			       const char **error_r)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "value");

	if (c->op != RULES_OP_EQUALS && c->op != RULES_OP_NOT_EQUALS)
		return rules_fail(error_r, "%s.match: %s takes equals or not_equals", path,
				  rules_field_name(c->field));
	if (!cJSON_IsBool(it))
		return rules_fail(error_r, "%s.value: true or false is expected", path);
	c->flag = cJSON_IsTrue(it);
	return 0;
}

static const char *const rules_cond_keys[] = { "field", "match", "value", "i", "n", NULL };

/* Parses one condition; a pattern that does not compile goes to rule->error. */
static int rules_cond_parse(const cJSON *obj, const char *path, struct rules_rule *rule,
			    struct rules_condition *c, const char **error_r)
{
	const char *field, *match, *perr;
	bool checkbox;

	if (rules_check_keys(obj, path, rules_cond_keys, error_r) < 0 ||
	    rules_get_str(obj, "field", path, NULL, &field, error_r) < 0)
		return -1;
	if ((c->field = rules_field_lookup(field)) == (enum rules_field)-1)
		return rules_fail(error_r, "%s.field: unknown condition \"%s\"", path, field);
	checkbox = rules_field_kind(c->field) == RULES_KIND_CHECKBOX;
	if (rules_get_str(obj, "match", path, checkbox ? "equals" : NULL, &match, error_r) < 0)
		return -1;
	if ((c->op = rules_op_lookup(match)) == (enum rules_op)-1)
		return rules_fail(error_r, "%s.match: unknown match type \"%s\"", path, match);
	if (rules_get_bool(obj, "i", path, &c->caseless, error_r) < 0 ||
	    rules_get_bool(obj, "n", path, &c->negate, error_r) < 0)
		return -1;
	if (checkbox)
		return rules_cond_checkbox(obj, path, c, error_r);
	if (rules_cond_value(obj, path, c, error_r) < 0)
		return -1;
	if (rules_condition_prepare(c, &perr) < 0 && rule->error == NULL)
		rule->error = xasprintf("%s: %s", path, perr);
	return 0;
}

/* Checks a text action's value. NULL if fine. */
static const char *rules_action_text_check(enum rules_action_kind kind, const char *s)
{
	if (kind == RULES_ACTION_FORWARD_TO || kind == RULES_ACTION_REDIRECT_TO)
		return rules_split_addresses(s, NULL, NULL) == 0 ? "no address given" : NULL;
	if (kind == RULES_ACTION_MODIFY_HEADER)
		return rules_header_edit_check(s);
	return strpbrk(s, "\r\n") != NULL ? "one line is expected" : NULL;
}

static const char *const rules_action_keys[] = { "action", "value", NULL };

static int rules_action_parse(const cJSON *obj, const char *path, struct rules_action *a,
			      const char **error_r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "value");
	const char *name, *text, *why;

	if (rules_check_keys(obj, path, rules_action_keys, error_r) < 0 ||
	    rules_get_str(obj, "action", path, NULL, &name, error_r) < 0)
		return -1;
	if ((a->kind = rules_action_lookup(name)) == (enum rules_action_kind)-1)
		return rules_fail(error_r, "%s.action: unknown action \"%s\"", path, name);
	if (rules_action_is_switch(a->kind)) {
		a->on = true;
		return rules_get_bool(obj, "value", path, &a->on, error_r);
	}
	if (a->kind == RULES_ACTION_SET_SPAM_SCORE) {
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
			return rules_fail(error_r, "%s.value: a number is expected", path);
		a->number = v->valuedouble;
		return 0;
	}
	if (rules_get_str(obj, "value", path, NULL, &text, error_r) < 0)
		return -1;
	if ((why = rules_action_text_check(a->kind, text)) != NULL)
		return rules_fail(error_r, "%s.value: %s", path, why);
	a->text = xstrdup(text);
	return 0;
}

/* A rule's "types": a non-empty array of "incoming", "local", "system". */
static int rules_types_parse(const cJSON *obj, const char *path, unsigned int *types_r,
			     const char **error_r)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "types"), *it;

	if (arr == NULL) {
		*types_r = RULES_TYPE_ALL;
		return 0;
	}
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return rules_fail(error_r, "%s.types: a non-empty array is expected", path);
	*types_r = 0;
	cJSON_ArrayForEach(it, arr) {
		unsigned int i = 0;
		while (i < RULES_N_TYPES && !(cJSON_IsString(it) &&
					       strcmp(it->valuestring, rules_type_names[i]) == 0))
			i++;
		if (i == RULES_N_TYPES)
			return rules_fail(error_r, "%s.types: incoming, local or system expected",
					  path);
		*types_r |= 1u << i;
	}
	return 0;
}

/* An optional array of at most max items: its size, or -1. */
static int rules_array(const cJSON *obj, const char *key, const char *path, int max,
		       const cJSON **arr_r, const char **error_r)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);

	*arr_r = arr;
	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return rules_fail(error_r, "%s.%s: an array is expected", path, key);
	if (cJSON_GetArraySize(arr) > max)
		return rules_fail(error_r, "%s.%s: more than %d", path, key, max);
	return cJSON_GetArraySize(arr);
}

static int rules_rule_items(const cJSON *obj, const char *path, struct rules_rule *r,
			    const char **error_r)
{
	const cJSON *conds, *acts, *it;
	int nc = rules_array(obj, "conditions", path, RULES_MAX_CONDITIONS, &conds, error_r);
	int na = nc < 0 ? -1 : rules_array(obj, "actions", path, RULES_MAX_ACTIONS, &acts, error_r);
	char sub[128];

	if (na < 0)
		return -1;
	r->conditions = xcalloc((size_t)nc + 1, sizeof(*r->conditions));
	r->actions = xcalloc((size_t)na + 1, sizeof(*r->actions));
	cJSON_ArrayForEach(it, conds) {
		snprintf(sub, sizeof(sub), "%s.conditions[%zu]", path, r->n_conditions);
		if (rules_cond_parse(it, sub, r, &r->conditions[r->n_conditions++], error_r) < 0)
			return -1;
	}
	cJSON_ArrayForEach(it, acts) {
		snprintf(sub, sizeof(sub), "%s.actions[%zu]", path, r->n_actions);
		if (rules_action_parse(it, sub, &r->actions[r->n_actions++], error_r) < 0)
			return -1;
	}
	return 0;
}

static const char *const rules_rule_keys[] = {
	"name", "enabled", "match", "types", "stop_after", "conditions", "actions", NULL
};

static int rules_rule_parse(const cJSON *obj, const char *path, struct rules_rule *r,
			    const char **error_r)
{
	const char *name, *match;

	r->enabled = true;
	if (rules_check_keys(obj, path, rules_rule_keys, error_r) < 0 ||
	    rules_get_str(obj, "name", path, NULL, &name, error_r) < 0 ||
	    rules_get_str(obj, "match", path, "all", &match, error_r) < 0 ||
	    rules_get_bool(obj, "enabled", path, &r->enabled, error_r) < 0 ||
	    rules_get_bool(obj, "stop_after", path, &r->stop_after, error_r) < 0 ||
	    rules_types_parse(obj, path, &r->types, error_r) < 0)
		return -1;
	r->name = xstrdup(name);
	if (strcmp(match, "all") != 0 && strcmp(match, "any") != 0)
		return rules_fail(error_r, "%s.match: \"all\" or \"any\" is expected", path);
	r->match_all = strcmp(match, "all") == 0;
	return rules_rule_items(obj, path, r, error_r);
}

int rules_set_from_cjson(const cJSON *doc, struct rules_set **set_r, const char **error_r)
{
	static const char *const keys[] = { "rules", NULL };
	const cJSON *arr, *it;
	struct rules_set *set;
	char path[32];
	int n;

	if (rules_check_keys(doc, "rule set", keys, error_r) < 0 ||
	    (n = rules_array(doc, "rules", "rule set", RULES_MAX_RULES, &arr, error_r)) < 0)
		return -1;
	set = xcalloc(1, sizeof(*set));
	set->rules = xcalloc((size_t)n + 1, sizeof(*set->rules));
	cJSON_ArrayForEach(it, arr) {
		snprintf(path, sizeof(path), "rules[%zu]", set->n_rules);
		if (rules_rule_parse(it, path, &set->rules[set->n_rules++], error_r) < 0) {
			rules_set_free(&set);
			return -1;
		}
	}
	*set_r = set;
	return 0;
}

int rules_set_parse(const char *json, size_t len, struct rules_set **set_r,
		    const char **error_r)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(json, len, &end, false);
	int ret;

	if (doc == NULL)
		return rules_fail(error_r, "rule set: not valid JSON (at offset %zu)",
				  end != NULL && end >= json ? (size_t)(end - json) : (size_t)0);
	ret = rules_set_from_cjson(doc, set_r, error_r);
	cJSON_Delete(doc);
	return ret;
}

static void rules_rule_free(struct rules_rule *r)
{
	for (size_t i = 0; i < r->n_conditions; i++)
		rules_condition_deinit(&r->conditions[i]);
	for (size_t i = 0; i < r->n_actions; i++)
		free(r->actions[i].text);
	free(r->conditions);
	free(r->actions);
	free(r->name);
	free(r->error);
}

void rules_set_free(struct rules_set **setp)
{
	struct rules_set *set = *setp;

	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n_rules; i++)
		rules_rule_free(&set->rules[i]);
	free(set->rules);
	free(set);
	*setp = NULL;
}

static cJSON *rules_cond_print(const struct rules_condition *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "field", rules_field_name(c->field));
	cJSON_AddStringToObject(o, "match", rules_op_name(c->op));
	if (c->value != NULL)
		cJSON_AddStringToObject(o, "value", c->value);
	else
		cJSON_AddBoolToObject(o, "value", c->flag);
	cJSON_AddBoolToObject(o, "i", c->caseless);
	cJSON_AddBoolToObject(o, "n", c->negate);
	return o;
}

static cJSON *rules_action_print(const struct rules_action *a)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "action", rules_action_name(a->kind));
	if (rules_action_is_switch(a->kind))
		cJSON_AddBoolToObject(o, "value", a->on);
	else if (a->kind == RULES_ACTION_SET_SPAM_SCORE)
		cJSON_AddNumberToObject(o, "value", a->number);
	else
		cJSON_AddStringToObject(o, "value", a->text);
	return o;
}

static cJSON *rules_rule_print(const struct rules_rule *r)
{
	cJSON *o = cJSON_CreateObject(), *types, *conds, *acts;

	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddBoolToObject(o, "enabled", r->enabled);
	cJSON_AddStringToObject(o, "match", r->match_all ? "all" : "any");
	types = cJSON_AddArrayToObject(o, "types");
	for (unsigned int i = 0; i < RULES_N_TYPES; i++)
		if (r->types & (1u << i))
			cJSON_AddItemToArray(types, cJSON_CreateString(rules_type_names[i]));
	cJSON_AddBoolToObject(o, "stop_after", r->stop_after);
	conds = cJSON_AddArrayToObject(o, "conditions");
	for (size_t i = 0; i < r->n_conditions; i++)
		cJSON_AddItemToArray(conds, rules_cond_print(&r->conditions[i]));
	acts = cJSON_AddArrayToObject(o, "actions");
	for (size_t i = 0; i < r->n_actions; i++)
		cJSON_AddItemToArray(acts, rules_action_print(&r->actions[i]));
	return o;
}

char *rules_set_print(const struct rules_set *set)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(doc, "rules");
	char *text, *copy;

	for (size_t i = 0; i < set->n_rules; i++)
		cJSON_AddItemToArray(arr, rules_rule_print(&set->rules[i]));
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	copy = xstrdup(text); /* the caller frees with free(), whatever cJSON's hooks are */
	cJSON_free(text);
	return copy;
}
