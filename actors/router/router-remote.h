/*
 * router-remote.h: whether one remote target an account's own settings produced may be
 * queued (h-router10, issue 13 R3; router-plan.h "Remote targets"): the account's sending
 * permissions as the SMTP submission path applies them (send-policy.h: internet_mail,
 * forbidden_recipients through send_policy_forbidden, the same matching) and the bound
 * router.max_remote_targets per account per message. Forwards do not count toward the
 * account's hourly and daily sending limits (docs/routing.md "Forwarding and sending
 * permissions").
 * Pure. THREAD: any. OWNS: nothing.
 */
#ifndef ROUTER_REMOTE_H
#define ROUTER_REMOTE_H

#include "router-plan.h"

#include <stddef.h>
#include <stdint.h>

enum router_remote_verdict {
	ROUTER_REMOTE_OK,
	ROUTER_REMOTE_NO_INTERNET, /* internet_mail false */
	ROUTER_REMOTE_FORBIDDEN,   /* a forbidden_recipients pattern matches */
	ROUTER_REMOTE_CAPPED,      /* `queued` already reached max (0: no bound) */
};

/* Checks addr (a remote address, as written) for u, which has already queued `queued` remote
 * addresses of this message; writes the trace line of a refusal ("forward to X not sent:
 * ...") into why (size octets, NUL-terminated) and returns the verdict. */
enum router_remote_verdict router_remote_check(const struct router_user *u, const char *addr,
					       uint32_t queued, uint32_t max, char *why,
					       size_t size);

#endif
