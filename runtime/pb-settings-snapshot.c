/*
 * pb-settings-snapshot.c: the runtime's current settings snapshot (see
 * pb-settings-snapshot.h). OWNS struct pb_settings_holder and the snapshots' reference counts.
 * THREAD: any; the pointer swap under the holder's mutex, the counts atomic.
 */
#include "pb-settings-snapshot.h"

#include "pb-alloc.h"
#include "pb-runtime-private.h"

#include <pthread.h>
#include <stdatomic.h>

struct snapshot {
	struct pb_settings s; /* first: a const struct pb_settings * is a struct snapshot * */
	atomic_uint refs;
	char *server_script; /* NULL: none stored (pb_settings_publish_server_script) */
};

struct pb_settings_holder {
	pthread_mutex_t lock;
	struct snapshot *current; /* holds one reference */
};

static struct snapshot *snapshot_new(const struct pb_settings *s, const char *server_script)
{
	struct snapshot *snap = xcalloc(1, sizeof(*snap));
	snap->s = *s;
	snap->server_script = server_script != NULL ? xstrdup(server_script) : NULL;
	pb_settings_derive(&snap->s); /* the parsed lists follow their text, however s was made */
	atomic_init(&snap->refs, 1);
	return snap;
}

static void snapshot_unref(struct snapshot *snap)
{
	if (snap != NULL && atomic_fetch_sub(&snap->refs, 1) == 1) {
		free(snap->server_script);
		free(snap);
	}
}

struct pb_settings_holder *pb_settings_holder_create(void)
{
	struct pb_settings_holder *h = xcalloc(1, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->current = snapshot_new(pb_settings_default(), NULL);
	return h;
}

void pb_settings_holder_destroy(struct pb_settings_holder **hp)
{
	struct pb_settings_holder *h = *hp;
	if (h == NULL)
		return;
	snapshot_unref(h->current);
	pthread_mutex_destroy(&h->lock);
	free(h);
	*hp = NULL;
}

const struct pb_settings *pb_settings_acquire(struct pb_runtime *rt)
{
	struct pb_settings_holder *h = rt->settings;

	pthread_mutex_lock(&h->lock);
	struct snapshot *snap = h->current;
	atomic_fetch_add(&snap->refs, 1);
	pthread_mutex_unlock(&h->lock);
	return &snap->s;
}

void pb_settings_release(struct pb_runtime *rt, const struct pb_settings *s)
{
	(void)rt;
	snapshot_unref((struct snapshot *)s);
}

/* Publishes s (NULL: the current settings) with the server script text (keep: the current
 * one's). The holder's lock is held while copying from the current snapshot. */
static void publish(struct pb_runtime *rt, const struct pb_settings *s, bool keep,
		    const char *text)
{
	struct pb_settings_holder *h = rt->settings;
	struct snapshot *old;

	pthread_mutex_lock(&h->lock);
	old = h->current;
	h->current = snapshot_new(s != NULL ? s : &old->s, keep ? old->server_script : text);
	pthread_mutex_unlock(&h->lock);
	snapshot_unref(old);
}

uint32_t pb_settings_history_keep(struct pb_runtime *rt)
{
	const struct pb_settings *s = pb_settings_acquire(rt);
	uint32_t keep = s->storage.history_keep;

	pb_settings_release(rt, s);
	return keep;
}

void pb_settings_publish(struct pb_runtime *rt, const struct pb_settings *s)
{
	publish(rt, s, true, NULL);
}

void pb_settings_publish_server_script(struct pb_runtime *rt, const char *text)
{
	publish(rt, NULL, false, text);
}

const char *pb_settings_server_script(const struct pb_settings *snapshot)
{
	return ((const struct snapshot *)snapshot)->server_script;
}
