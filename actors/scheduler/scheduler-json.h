/*
 * scheduler-json.h: a connection method (SCHED_LIST_REP's record) as JSON and text — what the
 * CLI's `status --json` and the web API's /api/connections both show, written once.
 * Pure (cJSON, sched-calc.h): no clock. THREAD: any. OWNS nothing.
 */
#ifndef SCHEDULER_JSON_H
#define SCHEDULER_JSON_H

#include "pb-msg.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* "running", "paused" or "active". */
const char *scheduler_method_state(const struct pb_rec_sched_method *m);
/* A rule as sched_rule_text writes it ("every 10 min, 08:00-18:00, mon-fri"). */
void scheduler_rule_text(const struct pb_rec_sched_rule *r, char *buf, size_t size);
/* A rule as the JSON object the web API's connection bodies take (the caller deletes it):
 * every_min, from and to ("HH:MM"; equal: all day), days ("all", "mon-fri", "mon,wed"),
 * min_waiting. */
cJSON *scheduler_rule_json(const struct pb_rec_sched_rule *r);
/* The method as a JSON object (the caller deletes it): name, state, send, collectors,
 * schedule (each rule's text), rules (each as scheduler_rule_json), last_start_ms, last_end_ms, last_result, last_error,
 * last_error_ms, next_due_ms (wall-clock ms, 0 never). */
cJSON *scheduler_method_json(const struct pb_rec_sched_method *m);

#endif
