/*
 * mailbox-usage.c: an account's usage against its quota (see mailbox-usage.h).
 * OWNS: nothing. THREAD: the caller's.
 * MESSAGES sent (through stubs): MBOX_STAT_REQ, MBOX_FOLDERS_REQ, SYS_SETTING_GET_REQ.
 */
#include "mailbox-usage.h"

#include "mailbox-client.h"
#include "pb-settings.h"
#include "sys-client.h"

#include <stdlib.h>

void mailbox_usage_level(const struct pb_settings *s, struct mailbox_usage *u)
{
	const uint32_t pct[4] = { 0, s->quota.warn1_percent, s->quota.warn2_percent,
				  s->quota.warn3_percent };

	u->percent = u->quota_bytes ? 100.0 * (double)u->bytes / (double)u->quota_bytes : 0;
	u->level = u->level_pct = 0;
	for (uint32_t i = 1; i <= 3 && u->quota_bytes != 0; i++) {
		if (pct[i] != 0 && u->bytes * 100 >= (uint64_t)pct[i] * u->quota_bytes) {
			u->level = i;
			u->level_pct = pct[i];
		}
	}
}

/* The quota settings in effect into u's level. 0 / -1 (as the stub). */
static int usage_settings(struct pb_sync *t, struct mailbox_usage *u, uint32_t *code_r,
			  const char **error_r)
{
	char *json = NULL, *problem = NULL;
	int rc = sys_client_setting_get(t, "quota", code_r, &json, error_r);

	if (rc == 0 && *code_r == PB_OK) {
		struct pb_settings *s = calloc(1, sizeof(*s));
		pb_settings_defaults(s);
		if (pb_settings_load(s, "quota", json, &problem) == 0) {
			mailbox_usage_level(s, u);
		} else {
			*code_r = PB_ERR_INTERNAL;
			*error_r = "the quota settings did not load";
		}
		free(s);
	}
	free(problem);
	free(json);
	return rc;
}

int mailbox_usage_read(struct pb_sync *t, uint64_t user_id, struct mailbox_usage *u,
		       uint32_t *code_r, const char **error_r)
{
	struct pb_rec_mbox_folder_list folders = { 0 };
	struct mailbox_stat st = { 0 };

	*u = (struct mailbox_usage){ 0 };
	int rc = mailbox_client_stat(t, user_id, code_r, &st, error_r);
	if (rc < 0 || *code_r != PB_OK)
		return rc;
	/* messages and bytes from the one folder listing: the stat's bytes and a second read's
	 * messages could straddle a delivery */
	rc = mailbox_client_folders(t, user_id, NULL, code_r, &folders, error_r);
	for (size_t i = 0; rc == 0 && *code_r == PB_OK && i < folders.n; i++) {
		u->messages += folders.v[i].messages;
		u->bytes += folders.v[i].size;
	}
	pb_rec_mbox_folder_list_clear(&folders);
	if (rc < 0 || *code_r != PB_OK)
		return rc;
	u->quota_bytes = st.quota_bytes;
	u->blocked = st.blocked;
	return usage_settings(t, u, code_r, error_r);
}

cJSON *mailbox_usage_json(const char *user, const struct mailbox_usage *u)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "user", user);
	cJSON_AddNumberToObject(o, "bytes", (double)u->bytes);
	cJSON_AddNumberToObject(o, "messages", (double)u->messages);
	if (u->quota_bytes != 0) {
		cJSON_AddNumberToObject(o, "quota_bytes", (double)u->quota_bytes);
		cJSON_AddNumberToObject(o, "percent", (double)(long long)(u->percent * 10) / 10);
	} else {
		cJSON_AddNullToObject(o, "quota_bytes");
		cJSON_AddNullToObject(o, "percent");
	}
	cJSON_AddNumberToObject(o, "level", u->level);
	cJSON_AddBoolToObject(o, "send_blocked", u->blocked);
	return o;
}
