/*
 * scheduler-json.c: a connection method as JSON and text (see scheduler-json.h).
 * OWNS nothing. THREAD: any.
 */
#include "scheduler-json.h"

#include "sched-calc.h"

#include <stdio.h>

const char *scheduler_method_state(const struct pb_rec_sched_method *m)
{
	return m->running ? "running" : m->paused ? "paused" : "active";
}

void scheduler_rule_text(const struct pb_rec_sched_rule *r, char *buf, size_t size)
{
	sched_rule_text(&(struct sched_rule){ r->every_min, (uint16_t)r->from_min, (uint16_t)r->to_min,
					      (uint8_t)r->days, r->min_waiting },
			buf, size);
}

cJSON *scheduler_rule_json(const struct pb_rec_sched_rule *r)
{
	cJSON *o = cJSON_CreateObject();
	char t[32];

	cJSON_AddNumberToObject(o, "every_min", r->every_min);
	snprintf(t, sizeof(t), "%02u:%02u", (r->from_min / 60) % 100, r->from_min % 60);
	cJSON_AddStringToObject(o, "from", t);
	snprintf(t, sizeof(t), "%02u:%02u", (r->to_min / 60) % 100, r->to_min % 60);
	cJSON_AddStringToObject(o, "to", t);
	sched_days_text((uint8_t)r->days, t, sizeof(t));
	cJSON_AddStringToObject(o, "days", t);
	cJSON_AddNumberToObject(o, "min_waiting", r->min_waiting);
	return o;
}

cJSON *scheduler_method_json(const struct pb_rec_sched_method *m)
{
	cJSON *o = cJSON_CreateObject(), *coll = cJSON_AddArrayToObject(o, "collectors");
	char rule[SCHED_RULE_TEXT_MAX];

	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "state", scheduler_method_state(m));
	cJSON_AddBoolToObject(o, "send", m->send);
	for (uint32_t i = 0; i < m->collectors.n; i++)
		cJSON_AddItemToArray(coll, cJSON_CreateString(m->collectors.v[i]));
	cJSON *rules = cJSON_AddArrayToObject(o, "schedule");
	for (uint32_t i = 0; i < m->rules.n; i++) {
		scheduler_rule_text(&m->rules.v[i], rule, sizeof(rule));
		cJSON_AddItemToArray(rules, cJSON_CreateString(rule));
	}
	cJSON *structured = cJSON_AddArrayToObject(o, "rules");
	for (uint32_t i = 0; i < m->rules.n; i++)
		cJSON_AddItemToArray(structured, scheduler_rule_json(&m->rules.v[i]));
	cJSON_AddNumberToObject(o, "last_start_ms", (double)m->last_start_ms);
	cJSON_AddNumberToObject(o, "last_end_ms", (double)m->last_end_ms);
	cJSON_AddStringToObject(o, "last_result", m->last_result);
	cJSON_AddStringToObject(o, "last_error", m->last_error);
	cJSON_AddNumberToObject(o, "last_error_ms", (double)m->last_error_ms);
	cJSON_AddNumberToObject(o, "next_due_ms", (double)m->next_due_ms);
	return o;
}
