/*
 * gw-guard.c: the gateways' calls to the lockout guard (see gw-guard.h).
 * OWNS nothing. THREAD: the hub's.
 */
#include "gw-guard.h"

#include "pb-cidr.h"
#include "pb-log.h"


int gw_guard_check_ip(struct gw_session *gs, gw_cont_fn *cont, uint64_t arg, const char **error_r)
{
	struct gw_pending call = { gs, cont, arg, GW_GUARD_TIMEOUT_MS };
	struct pb_sender tx = gw_sender(&call);

	return lockout_client_check_ip_send(&tx, gw_peer(gs), error_r);
}

bool gw_guard_blocked(struct pb_msg *rep)
{
	bool blocked = false;
	int64_t until_ms;
	const char *error;

	if (rep == NULL || lockout_client_check_ip_reply(rep, &blocked, &until_ms, &error) != PB_OK)
		return false;
	return blocked;
}

int gw_guard_login(struct gw_session *gs, const char *user, const char *protocol, uint8_t result,
		   gw_cont_fn *cont, uint64_t arg, const char **error_r)
{
	struct gw_pending call = { gs, cont, arg, GW_GUARD_TIMEOUT_MS };
	struct pb_sender tx = gw_sender(&call);

	return lockout_client_login_send(&tx, gw_peer(gs), user, protocol, result, error_r);
}

bool gw_guard_refused(struct pb_msg *rep, bool *blocked_r)
{
	struct lockout_login_answer a = { 0 };
	const char *error;

	*blocked_r = false;
	if (rep == NULL || lockout_client_login_reply(rep, &a, &error) != PB_OK)
		return false;
	*blocked_r = a.blocked;
	return a.locked || a.blocked;
}

int gw_guard_intrusion(struct gw_session *gs, const char *protocol, uint8_t event, uint32_t count,
		       gw_cont_fn *cont, uint64_t arg, const char **error_r)
{
	struct gw_pending call = { gs, cont, arg, GW_GUARD_TIMEOUT_MS };
	struct pb_sender tx = gw_sender(&call);

	return lockout_client_intrusion_send(&tx, gw_peer(gs), protocol, event, count, error_r);
}

bool gw_guard_intrusion_blocked(struct pb_msg *rep)
{
	bool blocked = false;
	int64_t until_ms;
	const char *error;

	if (rep == NULL || lockout_client_intrusion_reply(rep, &blocked, &until_ms, &error) != PB_OK)
		return false;
	return blocked;
}

void gw_guard_log_login(struct gw_session *gs, const char *protocol, bool ok, const char *user,
			const char *mech, const char *reason)
{
	pb_log_security(protocol, "event=%s protocol=%s user=%s ip=%s mech=%s%s%s",
			ok ? "login" : "login_failed", protocol, PB_LOGQ(user), gw_peer(gs),
			mech != NULL ? mech : "USER", reason != NULL ? " reason=" : "",
			reason != NULL ? reason : "");
}

/* The peer's address is a loopback one (an unparsable peer is not). */
static bool loopback(const char *ip)
{
	struct pb_cidr host;

	return pb_cidr_from_ip(ip, &host) == 0 && pb_cidr_is_loopback(&host);
}

bool gw_plaintext_auth_allowed(const struct gw_session *gs, bool allow)
{
	return allow || gw_tls_active(gs) || loopback(gs->tr->peer(gs->conn));
}
