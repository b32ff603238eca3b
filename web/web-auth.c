/*
 * web-auth.c: the web logins table (see web-auth.h).
 * OWNS: the table. THREAD: the web hub's.
 */
#include "web-auth.h"

#include "pb-alloc.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct web_auth {
	struct web_login *v;
	size_t n;
	uint64_t next_seq;
};

struct web_auth *web_auth_new(void)
{
	struct web_auth *a = xcalloc(1, sizeof(*a));
	a->v = xcalloc(WEB_AUTH_MAX, sizeof(*a->v));
	return a;
}

static void login_clear(struct web_login *l)
{
	free(l->user);
	OPENSSL_cleanse(l, sizeof(*l));
}

void web_auth_free(struct web_auth **ap)
{
	struct web_auth *a = *ap;
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		login_clear(&a->v[i]);
	free(a->v);
	free(a);
	*ap = NULL;
}

static int token_make(char out[WEB_TOKEN_HEX + 1])
{
	unsigned char raw[WEB_TOKEN_HEX / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* Removes entry i (the last one moves into its place). */
static void remove_at(struct web_auth *a, size_t i)
{
	login_clear(&a->v[i]);
	if (i != a->n - 1) {
		a->v[i] = a->v[a->n - 1];
		memset(&a->v[a->n - 1], 0, sizeof(a->v[0]));
	}
	a->n--;
}

static bool expired(const struct web_login *l, uint64_t now_ms, uint64_t idle_ms,
		    uint64_t max_ms)
{
	return now_ms - l->used_ms > idle_ms || now_ms - l->created_ms > max_ms;
}

/* Ends user's least recently used logins until it holds fewer than per_account. */
static void trim_account(struct web_auth *a, const char *user, uint32_t per_account)
{
	for (;;) {
		size_t held = 0, lru = 0;
		for (size_t i = 0; i < a->n; i++) {
			const struct web_login *l = &a->v[i];
			if (strcasecmp(l->user, user) != 0)
				continue;
			const struct web_login *o = &a->v[lru];
			if (held++ == 0 || l->used_ms < o->used_ms ||
			    (l->used_ms == o->used_ms && l->seq < o->seq))
				lru = i;
		}
		if (held < per_account || held == 0)
			return;
		remove_at(a, lru);
	}
}

/* Ends every expired login. */
static void drop_expired(struct web_auth *a, uint64_t now_ms, uint64_t idle_ms, uint64_t max_ms)
{
	for (size_t i = a->n; i-- > 0;)
		if (expired(&a->v[i], now_ms, idle_ms, max_ms))
			remove_at(a, i);
}

const struct web_login *web_auth_add(struct web_auth *a, const char *user, uint64_t user_id,
				     bool admin, uint64_t now_ms,
				     const struct web_auth_limits *lim, const char **error_r)
{
	trim_account(a, user, lim->per_account > 0 ? lim->per_account : 1);
	if (a->n == WEB_AUTH_MAX)
		drop_expired(a, now_ms, lim->idle_ms, lim->max_ms);
	if (a->n == WEB_AUTH_MAX) {
		*error_r = "too many web logins on this server; try again later";
		return NULL;
	}
	struct web_login *l = &a->v[a->n];
	if (token_make(l->token) < 0 || token_make(l->csrf) < 0) {
		OPENSSL_cleanse(l, sizeof(*l));
		*error_r = "server busy, try again later";
		return NULL;
	}
	l->user = xstrdup(user);
	l->user_id = user_id;
	l->admin = admin;
	l->created_ms = l->used_ms = now_ms;
	l->seq = ++a->next_seq; /* never 0: an upload's login id (web-mail-upload.c) */
	a->n++;
	return l;
}

int web_cookie_get(const char *cookie, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);

	for (const char *p = cookie; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t vlen = len - nlen - 1;
			if (vlen >= size)
				return -1;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

const struct web_login *web_auth_find(struct web_auth *a, const char *cookie, uint64_t now_ms,
				      uint64_t idle_ms, uint64_t max_ms)
{
	char token[WEB_TOKEN_HEX + 2];

	if (cookie == NULL || web_cookie_get(cookie, "pb_session", token, sizeof(token)) < 0 ||
	    strlen(token) != WEB_TOKEN_HEX)
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		struct web_login *l = &a->v[i];
		if (CRYPTO_memcmp(l->token, token, WEB_TOKEN_HEX) != 0)
			continue;
		if (expired(l, now_ms, idle_ms, max_ms)) {
			remove_at(a, i);
			return NULL;
		}
		l->used_ms = now_ms;
		return l;
	}
	return NULL;
}

bool web_auth_alive(const struct web_auth *a, const char *token, uint64_t now_ms,
		    uint64_t idle_ms, uint64_t max_ms)
{
	if (strlen(token) != WEB_TOKEN_HEX)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct web_login *l = &a->v[i];
		if (CRYPTO_memcmp(l->token, token, WEB_TOKEN_HEX) == 0)
			return now_ms - l->used_ms <= idle_ms && now_ms - l->created_ms <= max_ms;
	}
	return false;
}

void web_auth_end(struct web_auth *a, const struct web_login *l)
{
	size_t i = (size_t)(l - a->v);
	if (l >= a->v && i < a->n)
		remove_at(a, i);
}

void web_auth_end_user(struct web_auth *a, const char *user)
{
	for (size_t i = a->n; i-- > 0;)
		if (strcasecmp(a->v[i].user, user) == 0)
			remove_at(a, i);
}

bool web_auth_csrf_ok(const struct web_login *l, const char *header)
{
	return header != NULL && strlen(header) == WEB_TOKEN_HEX &&
	       CRYPTO_memcmp(l->csrf, header, WEB_TOKEN_HEX) == 0;
}

size_t web_auth_count(const struct web_auth *a)
{
	return a->n;
}
