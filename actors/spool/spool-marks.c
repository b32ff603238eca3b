/*
 * spool-marks.c: the generated-message markers taken by the spool shard (spool-marks.h).
 * OWNS: nothing beyond one call. THREAD: the spool shard's (spool_marks_tick).
 */
#include "spool-marks.h"

#include "pb-log.h"
#include "queue-dsn.h"

#include <string.h>

/* Markers made per shard and tick (the rest at the next). */
#define MARKS_PER_TICK 32

/* The spool record of g for the shard (borrowed strings; message_id allocated). */
static struct pb_spool_gen marks_gen(struct spool_marks *t, const struct spool_marks_msg *g,
				     char **rcpt, uint64_t *rcpt_id)
{
	struct pb_spool_gen gen = { .body = g->body, .len = g->len, .trace_line = g->trace };

	gen.rec = (struct pb_spool_rec){ .sender = "", .msgid = (char *)g->msgid, .rcpts = rcpt,
					 .rcpt_ids = rcpt_id, .n_rcpts = 1,
					 .received_ms = t->now_ms, .shard = t->s->index,
					 .shards = t->s->count, .origin = PB_ORIGIN_SYSTEM };
	spool_take_message_id(g->body, g->len, &gen.rec); /* `pillarbox trace` finds it by it */
	return gen;
}

int spool_marks_make(struct spool_marks *t, const struct pb_gen_mark *m,
		     const struct spool_marks_msg *g)
{
	char *rcpt = g != NULL ? (char *)g->rcpt : NULL;
	uint64_t rcpt_id = g != NULL ? g->rcpt_id : 0;
	const char *error;

	if (g == NULL)
		return pb_store_gen_made(t->s->store, m, NULL, &error) < 0 ? -1 : 1;
	struct pb_spool_gen gen = marks_gen(t, g, &rcpt, &rcpt_id);
	int ret = pb_store_gen_made(t->s->store, m, &gen, &error);
	if (ret < 0)
		pb_warn("spool", "event=generated_failed user_id=%llu kind=%u reason=%s",
			(unsigned long long)m->user_id, m->kind, PB_LOGQ(error));
	if (ret != 1) {
		free(gen.rec.message_id);
		return ret;
	}
	struct pb_spool_rec r = gen.rec;
	r.sender = xstrdup("");
	r.msgid = xstrdup(g->msgid);
	r.rcpts = xcalloc(1, sizeof(char *));
	r.rcpts[0] = xstrdup(g->rcpt);
	r.rcpt_ids = xcalloc(1, sizeof(uint64_t));
	r.rcpt_ids[0] = g->rcpt_id;
	pb_info("spool", "event=generated msgid=%s spool_id=%llu kind=%u to=%s", PB_LOGQ(g->msgid),
		(unsigned long long)r.id, m->kind, PB_LOGQ(g->rcpt));
	spool_start_delivery(t->a, t->s, &r);
	return 1;
}

static void marks_one(const struct pb_gen_mark *m, void *arg)
{
	struct spool_marks *t = arg;

	if (m->kind == PB_GEN_WELCOME)
		spool_welcome_one(t, m);
	else if (m->kind == PB_GEN_QUOTA_WARNING || m->kind == PB_GEN_QUOTA_REMINDER ||
		 m->kind == PB_GEN_QUOTA_ADMIN)
		spool_notice_one(t, m);
	else
		pb_warn("spool", "event=generated_unknown user_id=%llu kind=%u",
			(unsigned long long)m->user_id, m->kind); /* a newer server's: kept */
}

void spool_marks_tick(struct pb_actor *a, struct spool_shard *s)
{
	struct spool_marks t = { .a = a, .s = s, .now_ms = (int64_t)pb_clock_wall_ms() };
	const char *error;

	queue_dsn_host(t.host, sizeof(t.host));
	if (pb_store_gen_pending(s->store, s->index, s->count, MARKS_PER_TICK, marks_one, &t,
				 &error) < 0)
		pb_warn("spool", "event=generated_scan_failed reason=%s", PB_LOGQ(error));
}
