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

static bool is_web_role(const char *word)
{
	return strcmp(word, STATUS_WEB_ADMIN) == 0 ||
	       strncmp(word, STATUS_WEB_USER, strlen(STATUS_WEB_USER)) == 0;
}

int status_perms_web_role(const char *list, bool *admin_r, char **user_r, const char **error_r)
{
	char *copy = xstrdup(list != NULL ? list : ""), *save = NULL;
	int found = 0;

	*admin_r = false;
	*user_r = NULL;
	for (char *w = strtok_r(copy, ", \t", &save); w != NULL; w = strtok_r(NULL, ", \t", &save)) {
		if (!is_web_role(w))
			continue;
		const char *user = w + strlen(STATUS_WEB_USER);
		bool admin = strcmp(w, STATUS_WEB_ADMIN) == 0;
		if (found++ > 0 || (!admin && *user == '\0')) {
			*error_r = "one web role: web_admin or web_user:NAME";
			found = -1;
			break;
		}
		*admin_r = admin;
		*user_r = admin ? NULL : xstrdup(user);
	}
	free(copy);
	if (found < 0) {
		free(*user_r);
		*user_r = NULL;
		*admin_r = false;
	}
	return found;
}

char *status_perms_with_web_role(const char *perms, const char *role, const char *user,
				 const char **error_r)
{
	bool admin = role != NULL && strcmp(role, "admin") == 0;
	bool is_user = role != NULL && strcmp(role, "user") == 0;

	if ((role != NULL && !admin && !is_user) || is_user != (user != NULL && user[0] != '\0') ||
	    (user != NULL && strpbrk(user, ", \t") != NULL)) {
		*error_r = "the role is admin or user, and a user (an account's name) goes with "
			   "the role user only";
		return NULL;
	}
	if (role == NULL)
		return xstrdup(perms);
	/* a key for the web alone has no status permission unless some are given */
	const char *base = perms[0] != '\0' ? perms : "none";
	return admin ? xasprintf("%s," STATUS_WEB_ADMIN, base)
		     : xasprintf("%s," STATUS_WEB_USER "%s", base, user);
}

int status_perms_parse(const char *list, uint32_t *mask_r, const char **error_r)
{
	char *copy = xstrdup(list != NULL ? list : ""), *save = NULL;
	uint32_t mask = 0;
	int rc = 0;

	for (char *w = strtok_r(copy, ", \t", &save); w != NULL; w = strtok_r(NULL, ", \t", &save)) {
		uint32_t bit = strcasecmp(w, "none") == 0 ? 0 : bit_of(w);
		if (bit == 0 && strcasecmp(w, "none") != 0 && !is_web_role(w)) {
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
