/*
 * mailbox-usage.h: an account's mailbox usage against its quota (admin guide 4.8), read the
 * same way by `pillarbox user quota NAME` and GET /api/users/{name}/quota: bytes and messages
 * over all folders, the quota in effect (its own quota_mb, else quota.default_mb), the
 * percentage, the highest warning level reached (quota.warn1/2/3_percent) and whether SMTP
 * sending is blocked (quota.block_send_percent). Read only, through the client stubs.
 * OWNS: nothing. THREAD: the caller's (its struct pb_sync).
 */
#ifndef MAILBOX_USAGE_H
#define MAILBOX_USAGE_H

#include "pb-client.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

struct pb_settings;

struct mailbox_usage {
	uint64_t bytes, messages, quota_bytes; /* quota_bytes 0: no quota */
	uint32_t level;                        /* 0 none, 1..3 the warning level reached */
	uint32_t level_pct;                    /* that level's percent (0: none) */
	double percent;                        /* of the quota; 0 without one */
	bool blocked;                          /* past quota.block_send_percent */
};

/* Reads user_id's usage through t: the owner's statistics (MBOX_STAT_REQ), its folders'
 * messages (MBOX_FOLDERS_REQ) and the "quota" settings document (SYS_SETTING_GET_REQ). As a
 * stub: -1 when a call got no answer (*error_r), else 0 with *code_r (PB_OK: *u is filled;
 * otherwise *error_r says which read failed). */
int mailbox_usage_read(struct pb_sync *t, uint64_t user_id, struct mailbox_usage *u,
		       uint32_t *code_r, const char **error_r);
/* The warning level u's usage has reached under the settings s, as the owner counts it
 * (mailbox-quota.c: usage * 100 >= percent * limit), and its percentage. */
void mailbox_usage_level(const struct pb_settings *s, struct mailbox_usage *u);
/* {"user", "bytes", "messages", "quota_bytes" (null: none), "percent" (one decimal; null),
 * "level", "send_blocked"}: the caller frees it. */
cJSON *mailbox_usage_json(const char *user, const struct mailbox_usage *u);

#endif
