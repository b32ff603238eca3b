/*
 * web-reset.c: the recovery tokens and the asking limits (see web-reset.h).
 * OWNS: struct web_reset. THREAD: the web hub's.
 */
#include "web-reset.h"

#include "pb-alloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct reset_token {
	unsigned char hash[32]; /* SHA-256 of the token's text */
	enum web_reset_kind kind;
	char *user;
	uint64_t until_ms;
};

struct reset_count {
	char *key;
	uint64_t window_ms; /* when its window began */
	uint32_t n;
};

struct web_reset {
	struct reset_token tokens[WEB_RESET_MAX];
	size_t n_tokens;
	struct reset_count counts[WEB_RESET_MAX];
	size_t n_counts;
};

struct web_reset *web_reset_new(void)
{
	return xcalloc(1, sizeof(struct web_reset));
}

void web_reset_free(struct web_reset **rp)
{
	struct web_reset *r = *rp;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_tokens; i++)
		free(r->tokens[i].user);
	for (size_t i = 0; i < r->n_counts; i++)
		free(r->counts[i].key);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
	*rp = NULL;
}

/* The count of key, a new one (the oldest dropped when full) when it has none. */
static struct reset_count *count_of(struct web_reset *r, const char *key, uint64_t now_ms)
{
	size_t oldest = 0;

	for (size_t i = 0; i < r->n_counts; i++) {
		if (strcasecmp(r->counts[i].key, key) == 0)
			return &r->counts[i];
		if (r->counts[i].window_ms < r->counts[oldest].window_ms)
			oldest = i;
	}
	struct reset_count *c = r->n_counts < WEB_RESET_MAX ? &r->counts[r->n_counts++]
							    : &r->counts[oldest];
	free(c->key);
	*c = (struct reset_count){ xstrdup(key), now_ms, 0 };
	return c;
}

bool web_reset_allow(struct web_reset *r, const char *key, uint32_t limit, uint64_t now_ms)
{
	struct reset_count *c = count_of(r, key, now_ms);

	if (now_ms - c->window_ms >= WEB_RESET_WINDOW_MS || now_ms < c->window_ms)
		*c = (struct reset_count){ c->key, now_ms, 0 };
	if (c->n >= limit)
		return false;
	c->n++;
	return true;
}

static void token_hash(const char *token, unsigned char out[32])
{
	unsigned int len = 32;
	EVP_Digest(token, strlen(token), out, &len, EVP_sha256(), NULL);
}

static void remove_at(struct web_reset *r, size_t i)
{
	free(r->tokens[i].user);
	r->tokens[i] = r->tokens[--r->n_tokens];
	memset(&r->tokens[r->n_tokens], 0, sizeof(r->tokens[0]));
}

/* A free slot: a new one, else an expired one's, else the one nearest its expiry. */
static struct reset_token *token_slot(struct web_reset *r, uint64_t now_ms)
{
	size_t soonest = 0;

	if (r->n_tokens < WEB_RESET_MAX)
		return &r->tokens[r->n_tokens++];
	for (size_t i = 0; i < r->n_tokens; i++)
		if (r->tokens[i].until_ms < r->tokens[soonest].until_ms)
			soonest = i;
	free(r->tokens[soonest].user);
	return &r->tokens[soonest];
}

int web_reset_add(struct web_reset *r, enum web_reset_kind kind, const char *user,
		  uint64_t now_ms, uint64_t ttl_ms, char token_r[WEB_RESET_TOKEN_HEX + 1])
{
	unsigned char raw[WEB_RESET_TOKEN_HEX / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token_r + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	struct reset_token *t = token_slot(r, now_ms);
	token_hash(token_r, t->hash);
	t->kind = kind;
	t->user = xstrdup(user);
	t->until_ms = now_ms + ttl_ms;
	return 0;
}

static bool token_form(const char *token)
{
	return token != NULL && strlen(token) == WEB_RESET_TOKEN_HEX &&
	       strspn(token, "0123456789abcdef") == WEB_RESET_TOKEN_HEX;
}

char *web_reset_find(struct web_reset *r, enum web_reset_kind kind, const char *token,
		     uint64_t now_ms, bool take)
{
	unsigned char hash[32];

	if (!token_form(token))
		return NULL;
	token_hash(token, hash);
	for (size_t i = 0; i < r->n_tokens; i++) {
		struct reset_token *t = &r->tokens[i];
		if (CRYPTO_memcmp(t->hash, hash, sizeof(hash)) != 0 || t->kind != kind)
			continue;
		char *user = now_ms < t->until_ms ? xstrdup(t->user) : NULL;
		if (take || user == NULL)
			remove_at(r, i);
		return user;
	}
	return NULL;
}

size_t web_reset_count(const struct web_reset *r)
{
	return r->n_tokens;
}
