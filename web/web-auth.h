/*
 * web-auth.h: the web logins — who a request is. A login (POST /api/login, checked like every
 * other login: the auth shards and the lockout guard) gets a random 256-bit token, sent as the
 * cookie "pb_session" (HttpOnly, SameSite=Strict, Secure under TLS), and a second random token
 * for CSRF that the client echoes in X-CSRF-Token on every request that changes something
 * (a cookie alone never authorises a change: another site's form cannot read the token).
 *
 * Kept in memory, in the web hub (a restart logs everyone out): at most WEB_AUTH_MAX logins,
 * each ended after web.login_idle_min without a request or web.login_max_hours in all. One
 * account holds at most web.logins_per_account of them: a login past it ends that account's
 * own least recently used one. When the table is full, expired logins are dropped; if every
 * one is still live the new login is refused (503) — a login never ends another account's
 * live login, so no account can log the others out by logging in again and again.
 * Tokens are compared in constant time.
 *
 * OWNS: the table and its tokens. THREAD: the web hub's (one thread: no lock).
 */
#ifndef WEB_AUTH_H
#define WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_AUTH_MAX 4096
#define WEB_TOKEN_HEX 64 /* 32 random octets */

struct web_login {
	char token[WEB_TOKEN_HEX + 1];
	char csrf[WEB_TOKEN_HEX + 1];
	char *user;
	uint64_t user_id;
	bool admin;
	uint64_t created_ms, used_ms;
	uint64_t seq; /* order of creation: ties of used_ms end the older first */
};

/* The limits a new login is held to (copied from the settings by the hub's tick). */
struct web_auth_limits {
	uint32_t per_account; /* web.logins_per_account, at least 1 */
	uint64_t idle_ms, max_ms;
};

struct web_auth;

struct web_auth *web_auth_new(void);
void web_auth_free(struct web_auth **a);
/* A new login for user (copied), held to lim (see above: the account's own least recently
 * used login ends past lim->per_account; expired ones go when the table is full). Returns the
 * login (owned by the table), or NULL with *error_r (static text) when the table is full of
 * live logins or no random token could be made. */
const struct web_login *web_auth_add(struct web_auth *a, const char *user, uint64_t user_id,
				     bool admin, uint64_t now_ms,
				     const struct web_auth_limits *lim, const char **error_r);
/* The login whose token the Cookie field carries ("pb_session=..."), if it is still valid at
 * now_ms (idle_ms and max_ms from the settings); its last use is set to now_ms. NULL: none. */
const struct web_login *web_auth_find(struct web_auth *a, const char *cookie, uint64_t now_ms,
				      uint64_t idle_ms, uint64_t max_ms);
/* Whether the login of token (the pb_session cookie's value) is still valid at now_ms, without
 * using it (its idle time goes on): what a long-lived stream checks (web-events.c). */
bool web_auth_alive(const struct web_auth *a, const char *token, uint64_t now_ms,
		    uint64_t idle_ms, uint64_t max_ms);
/* Ends a login. */
void web_auth_end(struct web_auth *a, const struct web_login *l);
/* Ends every login of user (its password changed, the account deleted or locked). */
void web_auth_end_user(struct web_auth *a, const char *user);
/* Whether the X-CSRF-Token field's value is the login's (constant time). */
bool web_auth_csrf_ok(const struct web_login *l, const char *header);
size_t web_auth_count(const struct web_auth *a);

/* The value of cookie `name` in a Cookie field (RFC 6265 5.4), copied into out (at most
 * size - 1 octets; a longer value is refused). 0 / -1 (absent or too long). */
int web_cookie_get(const char *cookie, const char *name, char *out, size_t size);

#endif
