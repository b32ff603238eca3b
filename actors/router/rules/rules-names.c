/*
 * rules-names.c: the names of fields, match types and actions as the JSON spells them, and
 * the kind of each field (guide 4.14 "Conditions": Text, Numeric, Checkbox, Date, Time), and
 * all of them as one JSON document for editors (rules_names_json: GET /api/rules/names).
 * OWNS nothing (constant tables). THREAD: any.
 */
#include "rules-private.h"

#include <cjson/cJSON.h>
#include <string.h>

static const struct {
	const char *name;
	enum rules_kind kind;
} rules_fields[RULES_FIELD_COUNT] = {
	[RULES_FIELD_SUBJECT] = { "subject", RULES_KIND_TEXT },
	[RULES_FIELD_TO] = { "to", RULES_KIND_ADDRESS },
	[RULES_FIELD_CC] = { "cc", RULES_KIND_ADDRESS },
	[RULES_FIELD_TO_OR_CC] = { "to_or_cc", RULES_KIND_ADDRESS },
	[RULES_FIELD_FROM] = { "from", RULES_KIND_ADDRESS },
	[RULES_FIELD_FROM_TO_CC] = { "from_to_cc", RULES_KIND_ADDRESS },
	[RULES_FIELD_BODY] = { "body", RULES_KIND_TEXT },
	[RULES_FIELD_SIZE] = { "size", RULES_KIND_NUMERIC },
	[RULES_FIELD_SPAM_SCORE] = { "spam_score", RULES_KIND_NUMERIC },
	[RULES_FIELD_QUARANTINED] = { "quarantined", RULES_KIND_CHECKBOX },
	[RULES_FIELD_MARKED_READ] = { "marked_read", RULES_KIND_CHECKBOX },
	[RULES_FIELD_KEYWORD] = { "keyword", RULES_KIND_LIST },
	[RULES_FIELD_FLAGGED] = { "flagged", RULES_KIND_CHECKBOX },
	[RULES_FIELD_PREVIOUS_RULE] = { "previous_rule_match", RULES_KIND_LIST },
	[RULES_FIELD_DATE_NOW] = { "date_now", RULES_KIND_DATE },
	[RULES_FIELD_TIME_NOW] = { "time_now", RULES_KIND_TIME },
	[RULES_FIELD_MESSAGE_DATE] = { "message_date", RULES_KIND_DATE },
};

static const char *const rules_ops[RULES_OP_COUNT] = {
	[RULES_OP_EQUALS] = "equals",
	[RULES_OP_NOT_EQUALS] = "not_equals",
	[RULES_OP_LESS] = "less",
	[RULES_OP_LESS_EQUAL] = "less_or_equal",
	[RULES_OP_GREATER] = "greater",
	[RULES_OP_GREATER_EQUAL] = "greater_or_equal",
	[RULES_OP_CONTAINS] = "contains",
	[RULES_OP_WILDCARD] = "wildcard",
	[RULES_OP_REGEX] = "regex",
};

static const char *const rules_actions[RULES_ACTION_COUNT] = {
	[RULES_ACTION_FLAG] = "flag",
	[RULES_ACTION_DELETE] = "delete",
	[RULES_ACTION_QUARANTINE] = "quarantine",
	[RULES_ACTION_MARK_READ] = "mark_read",
	[RULES_ACTION_ADD_KEYWORD] = "add_keyword",
	[RULES_ACTION_COPY_TO_FOLDER] = "copy_to_folder",
	[RULES_ACTION_MOVE_TO_FOLDER] = "move_to_folder",
	[RULES_ACTION_FORWARD_TO] = "forward_to",
	[RULES_ACTION_REDIRECT_TO] = "redirect_to",
	[RULES_ACTION_FORWARD_SENDER] = "set_forward_sender",
	[RULES_ACTION_MODIFY_HEADER] = "modify_header",
	[RULES_ACTION_SET_SPAM_SCORE] = "set_spam_score",
};

const char *rules_field_name(enum rules_field field)
{
	return (unsigned int)field < RULES_FIELD_COUNT ? rules_fields[field].name : "?";
}

const char *rules_op_name(enum rules_op op)
{
	return (unsigned int)op < RULES_OP_COUNT ? rules_ops[op] : "?";
}

const char *rules_action_name(enum rules_action_kind kind)
{
	return (unsigned int)kind < RULES_ACTION_COUNT ? rules_actions[kind] : "?";
}

enum rules_kind rules_field_kind(enum rules_field field)
{
	return rules_fields[field].kind;
}

int rules_field_lookup(const char *name)
{
	for (int i = 0; i < RULES_FIELD_COUNT; i++)
		if (strcmp(rules_fields[i].name, name) == 0)
			return i;
	return -1;
}

int rules_op_lookup(const char *name)
{
	for (int i = 0; i < RULES_OP_COUNT; i++)
		if (strcmp(rules_ops[i], name) == 0)
			return i;
	return -1;
}

int rules_action_lookup(const char *name)
{
	for (int i = 0; i < RULES_ACTION_COUNT; i++)
		if (strcmp(rules_actions[i], name) == 0)
			return i;
	return -1;
}

bool rules_action_is_switch(enum rules_action_kind kind)
{
	return kind == RULES_ACTION_FLAG || kind == RULES_ACTION_DELETE ||
	       kind == RULES_ACTION_QUARANTINE || kind == RULES_ACTION_MARK_READ;
}

const char *const rules_type_names[RULES_N_TYPES] = { "incoming", "local", "system" };

static const char *const rules_kind_names[] = {
	[RULES_KIND_TEXT] = "text",         [RULES_KIND_ADDRESS] = "address",
	[RULES_KIND_LIST] = "list",         [RULES_KIND_NUMERIC] = "numeric",
	[RULES_KIND_CHECKBOX] = "checkbox", [RULES_KIND_DATE] = "date",
	[RULES_KIND_TIME] = "time",
};

/* {"name": name, key: value} */
static cJSON *rules_name_pair(const char *name, const char *key, const char *value)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, key, value);
	return o;
}

cJSON *rules_names_json(void)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *fields = cJSON_AddArrayToObject(doc, "fields");
	cJSON *actions = cJSON_AddArrayToObject(doc, "actions");

	for (int i = 0; i < RULES_FIELD_COUNT; i++)
		cJSON_AddItemToArray(fields, rules_name_pair(rules_fields[i].name, "kind",
							     rules_kind_names[rules_fields[i].kind]));
	cJSON_AddItemToObject(doc, "matches", cJSON_CreateStringArray(rules_ops, RULES_OP_COUNT));
	for (int i = 0; i < RULES_ACTION_COUNT; i++)
		cJSON_AddItemToArray(actions, rules_name_pair(rules_actions[i], "value",
			rules_action_is_switch(i) ? "switch" :
			i == RULES_ACTION_SET_SPAM_SCORE ? "number" : "text"));
	cJSON_AddItemToObject(doc, "types", cJSON_CreateStringArray(rules_type_names, RULES_N_TYPES));
	return doc;
}
