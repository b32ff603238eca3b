/*
 * router-remote.c: an account's remote targets against its sending permissions (see
 * router-remote.h). OWNS: nothing. THREAD: any.
 */
#include "router-remote.h"

#include "send-policy.h"

#include <stdio.h>

enum router_remote_verdict router_remote_check(const struct router_user *u, const char *addr,
					       uint32_t queued, uint32_t max, char *why,
					       size_t size)
{
	const char *pattern;

	why[0] = '\0';
	if (u->no_internet_mail) {
		snprintf(why, size, "forward to %s not sent: %s may not send to the Internet "
			 "(internet_mail false)", addr, u->name);
		return ROUTER_REMOTE_NO_INTERNET;
	}
	pattern = u->forbidden != NULL ? send_policy_forbidden(u->forbidden, addr) : NULL;
	if (pattern != NULL) {
		snprintf(why, size, "forward to %s not sent: %s may not send to %s "
			 "(forbidden_recipients)", addr, u->name, pattern);
		return ROUTER_REMOTE_FORBIDDEN;
	}
	if (max > 0 && queued >= max) {
		snprintf(why, size, "forward to %s not sent: %s's own settings reach more than %u "
			 "remote addresses (" ROUTER_PLAN_REMOTE_CAPPED "); the rest are not sent "
			 "either", addr, u->name, max);
		return ROUTER_REMOTE_CAPPED;
	}
	return ROUTER_REMOTE_OK;
}
