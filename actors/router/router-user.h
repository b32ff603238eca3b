/*
 * router-user.h: an account's routing settings (admin guide 4.5 and 5.2), kept as keys of the
 * account's settings JSON object beside the sending permissions (send-policy.h) and set the
 * same way (`pillarbox user set NAME KEY VALUE`, DIR_USER_SET_REQ). The keys (absent: default):
 *   forward_to          text, "": Forward To, addresses or names separated by ';'
 *   use_forwarding      bool, false: Forward To takes effect
 *   keep_copy           bool, false: forwarding keeps a copy in the account (else redirects)
 *   assistants          text, "": the assistants, separated by ';'
 *   assistant_redirect  bool, false: redirect to the assistants (else copy); it switches
 *                       Forward To off
 *   default_addresses   bool, true: false disables name@every-local-domain (guide 5.2);
 *                       aliases, mappings and lists still reach the account
 *   blocked             text, "": senders whose mail the account does not receive (guide
 *                       4.11), addresses or DOS wildcards separated by ';' (router-lua.h)
 *   reset_email         text, "": the guide's "Email for password resets" (2.1.1): one
 *                       address webmail's forgotten-password and unlock links are mailed to
 *   h-fwdext (guide 4.5, "Size Dependent Forwarding" and the Routing tab):
 *   size_over_kb        number, 0: "if message >= N kB" (KiB, at most ROUTER_USER_KB_MAX)
 *   size_over_action    "copy" (default) or "redirect"
 *   size_over_to        text, "": its targets, ';'-separated; "" switches the row off
 *   size_under_kb, size_under_action, size_under_to: "if message <= N kB", the same
 *   copy_sent_to        text, "": Copy Sent Messages To, ';'-separated targets
 *   no_forward_quarantined bool, false: no forwards, assistants or size forwarding for a
 *                       message the spam filter quarantines
 *   script              text, "": the account's routing script (Lua, at most
 *                       PB_LUA_MAX_SCRIPT bytes), set only by router_user_set_script (the
 *                       CLI's `script set`), never by `user set`
 * Pure (cJSON). THREAD: any. OWNS: what it returns.
 */
#ifndef ROUTER_USER_H
#define ROUTER_USER_H

#include "router-plan.h"

#include <stdbool.h>

/* The most octets of a forward_to or assistants value. */
#define ROUTER_USER_TEXT_MAX 4000
/* The largest size_over_kb / size_under_kb: 4 GiB. */
#define ROUTER_USER_KB_MAX 4194304u

#define ROUTER_USER_SCRIPT_KEY "script"

bool router_user_is_key(const char *key);
/* The i-th key router_user_is_key takes (0, 1, ...: the keys above, then the autoreply keys of
 * router-generate.h; NULL past the last), with its one-line help in *help_r (static text: the
 * default in brackets, then what it does). */
const char *router_user_key(size_t i, const char **help_r);
/* Sets (text non-NULL, at most PB_LUA_MAX_SCRIPT bytes; "" removes it) or removes (NULL) the
 * account's routing script in settings_json. The caller has checked that it compiles
 * (pb_lua_check). 0 with *json_r (caller frees), -1 with *error_r (static text). */
int router_user_set_script(const char *settings_json, const char *text, char **json_r,
			   const char **error_r);
/* Sets key to the CLI's text value (bools true/false/yes/no/on/off/1/0) in settings_json (NULL
 * or "": {}). 0 with *json_r (caller frees), -1 with *error_r (static text naming the key). */
int router_user_set(const char *settings_json, const char *key, const char *value,
		    char **json_r, const char **error_r);
/* Removes key. Same returns. */
int router_user_unset(const char *settings_json, const char *key, char **json_r,
		      const char **error_r);
/* settings_json for showing (`user show`): the routing script's text replaced by a note of its
 * size (`script get` shows it). Newly allocated (caller frees). */
char *router_user_settings_shown(const char *settings_json);
/* Fills *u_r (id and name as given, copied) from the keys of settings_json; a value of the
 * wrong type keeps its default. Free with router_user_clear. */
void router_user_load(const char *settings_json, uint64_t id, const char *name,
		      struct router_user *u_r);
void router_user_clear(struct router_user *u);

#endif
