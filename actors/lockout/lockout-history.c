/*
 * lockout-history.c: each user's recent login events, a ring per user (see lockout-history.h).
 * OWNS: struct lockout_history. THREAD: its owner's.
 */
#include "lockout-history.h"

#include "pb-alloc.h"

#include <string.h>

struct user_ring {
	char user[LOCKOUT_USER_MAX + 1];
	struct lockout_event ev[LOCKOUT_HISTORY_PER_USER];
	uint32_t head, n;
	uint64_t last_ms;
};

struct lockout_history {
	struct user_ring *rings;
	size_t n, max;
};

struct lockout_history *lockout_history_create(uint32_t users)
{
	struct lockout_history *h = xcalloc(1, sizeof(*h));

	h->max = users > 0 ? users : 1;
	h->rings = xcalloc(h->max, sizeof(*h->rings));
	return h;
}

void lockout_history_destroy(struct lockout_history **h)
{
	if (*h == NULL)
		return;
	free((*h)->rings);
	free(*h);
	*h = NULL;
}

static struct user_ring *ring_find(const struct lockout_history *h, const char *key)
{
	for (size_t i = 0; i < h->n; i++) {
		if (strcmp(h->rings[i].user, key) == 0)
			return &h->rings[i];
	}
	return NULL;
}

void lockout_history_add(struct lockout_history *h, const char *user,
			 const struct lockout_event *ev)
{
	char key[LOCKOUT_USER_MAX + 1];

	lockout_user_key(user, key);
	struct user_ring *r = ring_find(h, key);
	if (r == NULL) {
		size_t victim = 0;
		for (size_t i = 1; i < h->n; i++)
			victim = h->rings[i].last_ms < h->rings[victim].last_ms ? i : victim;
		r = &h->rings[h->n < h->max ? h->n++ : victim];
		memset(r, 0, sizeof(*r));
		memcpy(r->user, key, sizeof(key));
	}
	r->ev[r->head] = *ev;
	r->head = (r->head + 1) % LOCKOUT_HISTORY_PER_USER;
	r->n += r->n < LOCKOUT_HISTORY_PER_USER;
	r->last_ms = ev->time_ms;
}

size_t lockout_history_get(const struct lockout_history *h, const char *user,
			   struct lockout_event *out, size_t max)
{
	char key[LOCKOUT_USER_MAX + 1];
	size_t n = 0;

	lockout_user_key(user, key);
	const struct user_ring *r = ring_find(h, key);
	if (r == NULL)
		return 0;
	uint32_t first = (r->head + LOCKOUT_HISTORY_PER_USER - r->n) % LOCKOUT_HISTORY_PER_USER;
	for (uint32_t i = 0; i < r->n && n < max; i++)
		out[n++] = r->ev[(first + i) % LOCKOUT_HISTORY_PER_USER];
	return n;
}

const char *lockout_result_name(enum lockout_result r)
{
	switch (r) {
	case LOCKOUT_SUCCESS:
		return "ok";
	case LOCKOUT_BAD_PASSWORD:
		return "bad password";
	case LOCKOUT_UNKNOWN_USER:
		return "unknown user";
	}
	return "unknown";
}
