/*
 * rules-decision-json.c: a decision as JSON, for the dry-run and the decision trace
 * ("pillarbox rules dry-run" prints one per message).
 * OWNS nothing past the call. THREAD: any.
 */
#include "pb-alloc.h"
#include "rules.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static void rules_json_tri(cJSON *o, const char *key, enum rules_tri v)
{
	if (v == RULES_UNSET)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddBoolToObject(o, key, v == RULES_ON);
}

static void rules_json_list(cJSON *o, const char *key, char *const *v, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(o, key);

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
}

static void rules_json_headers(cJSON *o, const struct rules_decision *d)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "headers");

	for (size_t i = 0; i < d->n_headers; i++) {
		cJSON *h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "name", d->headers[i].name);
		if (d->headers[i].value != NULL)
			cJSON_AddStringToObject(h, "value", d->headers[i].value);
		else
			cJSON_AddNullToObject(h, "value");
		cJSON_AddItemToArray(arr, h);
	}
}

char *rules_decision_print(const struct rules_decision *d)
{
	cJSON *o = cJSON_CreateObject();
	char *text, *copy;

	rules_json_tri(o, "deleted", d->deleted);
	rules_json_tri(o, "flagged", d->flagged);
	rules_json_tri(o, "quarantined", d->quarantined);
	rules_json_tri(o, "seen", d->seen);
	cJSON_AddBoolToObject(o, "keep_inbox", d->keep_inbox);
	rules_json_list(o, "folders", d->folders, d->n_folders);
	rules_json_list(o, "keywords", d->keywords, d->n_keywords);
	rules_json_list(o, "forwards", d->forwards, d->n_forwards);
	if (d->forward_sender != NULL)
		cJSON_AddStringToObject(o, "forward_sender", d->forward_sender);
	else
		cJSON_AddNullToObject(o, "forward_sender");
	rules_json_headers(o, d);
	if (d->has_spam_score)
		cJSON_AddNumberToObject(o, "spam_score", d->spam_score);
	else
		cJSON_AddNullToObject(o, "spam_score");
	rules_json_list(o, "matched", d->matched, d->n_matched);
	cJSON_AddBoolToObject(o, "stopped", d->stopped);
	rules_json_list(o, "trace", d->trace, d->n_trace);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	copy = xstrdup(text);
	cJSON_free(text);
	return copy;
}
