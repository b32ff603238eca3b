/*
 * spool-group.c: the spool shard's group commit. A put or commit is written without waiting
 * for the WAL fsync and joins the shard's group; when the shard's inbox runs empty (on_idle),
 * or the group is full, one pb_store_sync makes the whole group durable and only then is
 * every member answered and handed to delivery. Under load one fsync serves every message
 * that arrived while the previous one ran, as RocksDB's own group commit does for concurrent
 * synced writers — which it cannot do here, because one shard thread writes them one by one.
 *
 * The rule stays "250 only after a synced write": no member is answered, and no other owner
 * learns of it, before the sync returns. A member is visible to reads of the store before it
 * is durable; only this shard knows its id until then. If the sync fails, RocksDB refuses
 * every later write (the store is "failed"); the members are answered PB_ERR_TEMP like a
 * failed synced write, and they may or may not be in the store after a restart (then they
 * are delivered: a duplicate for a client that retries, never a loss).
 *
 * OWNS: struct spool_member (the shard's group). THREAD: the shard's actor thread.
 */
#include "spool-private.h"

#include "pb-log.h"

#include <string.h>

struct spool_member {
	enum pb_msg_type type; /* SPOOL_PUT_REQ or SPOOL_COMMIT_REQ: what to answer */
	uint64_t corr;
	char *reply_to;
	struct pb_spool_rec rec;
};

/* A request that looks like the member's, for pb_reply (type, correlation id, reply port). */
static struct pb_msg member_req(struct spool_member *g)
{
	struct pb_msg req;

	memset(&req, 0, sizeof(req));
	req.type = g->type;
	req.corr = g->corr;
	req.reply_to = g->reply_to;
	return req;
}

void spool_group_add(struct pb_actor *a, struct spool_shard *s, struct pb_msg *m,
		     struct pb_spool_rec *rec)
{
	struct spool_member *g;

	if (s->n_group == s->cap_group) {
		s->cap_group = s->cap_group == 0 ? 16 : s->cap_group * 2;
		s->group = xrealloc(s->group, s->cap_group * sizeof(*s->group));
	}
	g = &s->group[s->n_group++];
	g->type = m->type;
	g->corr = m->corr;
	g->reply_to = m->reply_to; /* taken over: the request is freed after its handler */
	m->reply_to = NULL;
	g->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	pb_actor_defer_reply(a);
	if (s->n_group >= SPOOL_GROUP_MAX)
		spool_group_flush(a, s);
}

void spool_group_flush(struct pb_actor *a, struct spool_shard *s)
{
	const char *error = NULL;
	size_t n = s->n_group;

	if (n == 0)
		return;
	s->n_group = 0; /* a reply or a delivery below may not re-enter the group */
	int ret = pb_store_sync(s->store, &error);
	if (ret < 0)
		pb_error("spool", "event=spool_sync_failed messages=%zu reason=%s", n,
			 PB_LOGQ(error));
	for (size_t i = 0; i < n; i++) {
		struct spool_member *g = &s->group[i];
		struct pb_msg req = member_req(g);

		if (ret == 0) {
			spool_reply_stored(a, &req, g->rec.id);
			spool_start_delivery(a, s, &g->rec);
		} else {
			pb_reply_status(a, &req, PB_ERR_TEMP, "the message could not be stored");
			pb_spool_rec_free(&g->rec);
		}
		free(g->reply_to);
	}
	s->groups++;
	s->grouped += n;
}

void spool_group_free(struct spool_shard *s)
{
	if (s->groups > 0)
		pb_info("spool", "event=group_commit syncs=%llu messages=%llu",
			(unsigned long long)s->groups, (unsigned long long)s->grouped);
	for (size_t i = 0; i < s->n_group; i++) {
		free(s->group[i].reply_to);
		pb_spool_rec_free(&s->group[i].rec);
	}
	free(s->group);
	s->group = NULL;
	s->n_group = s->cap_group = 0;
}
