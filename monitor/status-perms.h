/*
 * status-perms.h: the status server's eight permissions (admin guide 2.2.4) — view connection
 * status, view total counts, view per-user counts, view the activity log, make it connect,
 * shut it down, receive instant messages, send instant messages — as bits, their names, and
 * which an account has.
 *
 * Where they are kept: an account's settings JSON object may hold "status_permissions", a list
 * of names (set with `pillarbox user set NAME status_permissions view_log,send_im`; "" none;
 * unset: the defaults). Without it the account has the defaults of its kind, the settings
 * status.admin_permissions (an account whose settings say "admin": true) or
 * status.user_permissions, which the administrator sets in one step for every account that
 * has no list of its own.
 *
 * Pure code (cJSON only): no store, no clock. THREAD: any. OWNS nothing.
 */
#ifndef STATUS_PERMS_H
#define STATUS_PERMS_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stdint.h>

enum status_perm {
	STATUS_PERM_VIEW_CONNECTION,
	STATUS_PERM_VIEW_TOTALS,
	STATUS_PERM_VIEW_USERS,
	STATUS_PERM_VIEW_LOG,
	STATUS_PERM_CONNECT,
	STATUS_PERM_SHUTDOWN,
	STATUS_PERM_RECEIVE_IM,
	STATUS_PERM_SEND_IM,
	STATUS_PERM_COUNT
};

#define STATUS_PERMS_ALL ((1u << STATUS_PERM_COUNT) - 1)
/* The key of an account's own list in its settings object. */
#define STATUS_PERMS_KEY "status_permissions"

/* An API key's role in the web API (issue 15) rides in its list of names beside the status
 * permissions, which ignore it: "web_admin" (an administrator's rights) or "web_user:NAME"
 * (the rights of the account NAME). */
#define STATUS_WEB_ADMIN "web_admin"
#define STATUS_WEB_USER "web_user:"

/* The web role among list's names: 1 with *admin_r and *user_r (allocated; NULL for
 * web_admin), 0 when list has none, -1 with *error_r (static) for two roles or a web_user
 * without a name. */
int status_perms_web_role(const char *list, bool *admin_r, char **user_r, const char **error_r);

/* The list of names to ask for a key with: perms ("" for none) and the web role (role NULL:
 * none; "admin"; "user" with user, the account). Returns it allocated, or NULL with *error_r
 * (static) when role and user do not go together. */
char *status_perms_with_web_role(const char *perms, const char *role, const char *user,
				 const char **error_r);

/* The permission's name ("view_log"); "?" out of range. */
const char *status_perm_name(enum status_perm p);

/* Parses a list of names separated by commas or spaces ("all": every one; "" or "none":
 * none; a web role name is skipped). Returns 0 with *mask_r, or -1 with *error_r (static, naming the valid names). */
int status_perms_parse(const char *list, uint32_t *mask_r, const char **error_r);

/* Appends the names of mask, comma-separated ("" for none). */
void status_perms_format(uint32_t mask, struct pb_buf *out);

/* The permissions of an account whose settings are settings_json (NULL or "": none): its own
 * list if it has one (names not known are ignored), else admin_defaults or user_defaults
 * (masks) by its "admin" flag. *admin_r (may be NULL) says which it is. */
uint32_t status_perms_of(const char *settings_json, uint32_t admin_defaults,
			 uint32_t user_defaults, bool *admin_r);

#endif
