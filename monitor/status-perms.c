/*
 * status-perms.c: the status server's permissions (see status-perms.h).
 * OWNS nothing. THREAD: any.
 */
#include "status-perms.h"

#include "pb-alloc.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[STATUS_PERM_COUNT] = {
	"view_connection", "view_totals", "view_users", "view_log",
	"connect",	   "shutdown",	  "receive_im", "send_im",
};

#define NAMES_ERROR                                                                            \
	"status permissions are a list of: view_connection, view_totals, view_users, "      \
	"view_log, connect, shutdown, receive_im, send_im (or all, none)"

const char *status_perm_name(enum status_perm p)
{
	return (unsigned)p < STATUS_PERM_COUNT ? names[p] : "?";
}

/* The bit of one name, 0 when unknown. */
static uint32_t bit_of(const char *word)
{
	if (strcasecmp(word, "all") == 0)
		return STATUS_PERMS_ALL;
	for (unsigned i = 0; i < STATUS_PERM_COUNT; i++) {
		if (strcasecmp(word, names[i]) == 0)
			return 1u << i;
	}
	return 0;
}

int status_perms_parse(const char *list, uint32_t *mask_r, const char **error_r)
{
	char *copy = xstrdup(list != NULL ? list : ""), *save = NULL;
	uint32_t mask = 0;
	int rc = 0;

	for (char *w = strtok_r(copy, ", \t", &save); w != NULL; w = strtok_r(NULL, ", \t", &save)) {
		uint32_t bit = strcasecmp(w, "none") == 0 ? 0 : bit_of(w);
		if (bit == 0 && strcasecmp(w, "none") != 0) {
			*error_r = NAMES_ERROR;
			rc = -1;
			break;
		}
		mask |= bit;
	}
	free(copy);
	if (rc == 0)
		*mask_r = mask;
	return rc;
}

void status_perms_format(uint32_t mask, struct pb_buf *out)
{
	bool first = true;

	for (unsigned i = 0; i < STATUS_PERM_COUNT; i++) {
		if ((mask & (1u << i)) == 0)
			continue;
		pb_buf_printf(out, "%s%s", first ? "" : ",", names[i]);
		first = false;
	}
}

/* The mask of a JSON array of names (unknown names and non-strings ignored). */
static uint32_t mask_of_array(const cJSON *list)
{
	uint32_t mask = 0;
	const cJSON *item;

	cJSON_ArrayForEach(item, list)
	{
		if (cJSON_IsString(item))
			mask |= bit_of(item->valuestring);
	}
	return mask;
}

uint32_t status_perms_of(const char *settings_json, uint32_t admin_defaults,
			 uint32_t user_defaults, bool *admin_r)
{
	cJSON *doc = settings_json != NULL ? cJSON_Parse(settings_json) : NULL;
	bool admin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "admin"));
	const cJSON *own = cJSON_GetObjectItemCaseSensitive(doc, STATUS_PERMS_KEY);
	uint32_t mask = cJSON_IsArray(own) ? mask_of_array(own)
				: admin	   ? admin_defaults
					   : user_defaults;

	cJSON_Delete(doc);
	if (admin_r != NULL)
		*admin_r = admin;
	return mask;
}
