/*
 * statushub-actor.c: the status hub (see statushub-actor.h). Events go out as STATUS_PUSH_EVT
 * { topic, json }, json one object with "event" first:
 *   activity   {"event":"activity","time":MS,"text":"..."}
 *   connection {"event":"connection","method":..,"state":"idle"|"running","jobs_left":N,
 *               "last_result":..,"last_poll":MS,"next_poll":MS}
 *   progress   {"event":"progress","method":..,"kind":"collect"|"send","job":..,"done":N,
 *               "total":N,"bytes":N,"final":B} (to "connection"; "send" adds "threads":N, the
 *               queue's transactions in flight)
 *   queue      {"event":"queue","out_queue":N,"held":N,"sending":N}
 *   inboxes    {"event":"inboxes","count":N} ("inboxes"), with "users":[{"user":..,"count":N}]
 *              for "users" (a session with both hears the second only)
 *   im         {"event":"im","from":..,"text":..,"time":MS}
 * A session that cannot be reached (its hub's inbox full) loses that event: it is counted in
 * the log line of the hub's stop, never queued here.
 * OWNS / THREAD / MESSAGES: see the header.
 */
#include "statushub-actor.h"

#include "directory-client.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "statushub-client.h"
#include "statushub-private.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { TOPIC_ACTIVITY = 1, TOPIC_CONNECTION = 2, TOPIC_QUEUE = 4, TOPIC_INBOXES = 8,
       TOPIC_USERS = 16 };
enum { TIMER_INBOXES = 1 };

static int hub_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct statushub *h = xcalloc(1, sizeof(*h));
	const struct statushub_args *args = arg;

	h->store = args != NULL ? args->store : NULL;
	h->started_ms = args != NULL ? args->started_ms : pb_runtime_now_ms(pb_actor_runtime(a));
	statushub_log_init(&h->log);
	if (statushub_keys_load(h, error_r) < 0) {
		statushub_log_deinit(&h->log);
		free(h);
		return -1;
	}
	*state_r = h;
	return 0;
}

static void session_free(struct hub_session *s)
{
	free(s->addr);
	free(s->user);
}

static void progress_free(struct hub_progress *p)
{
	free(p->method);
	free(p->kind);
	free(p->job);
}

static void hub_deinit(struct pb_actor *a, void *state)
{
	struct statushub *h = state;

	for (size_t i = 0; i < h->n_progress; i++)
		progress_free(&h->progress[i]);
	if (h->lost > 0)
		pb_info("statushub", "event=stopped events_lost=%llu", (unsigned long long)h->lost);
	for (size_t i = 0; i < h->n; i++)
		session_free(&h->s[i]);
	free(h->s);
	statushub_log_deinit(&h->log);
	statushub_apikeys_free(&h->keys);
	free(h);
}

static uint32_t topic_bit(const char *name)
{
	return strcmp(name, "activity") == 0	? TOPIC_ACTIVITY
	       : strcmp(name, "connection") == 0 ? TOPIC_CONNECTION
	       : strcmp(name, "queue") == 0	? TOPIC_QUEUE
	       : strcmp(name, "inboxes") == 0	? TOPIC_INBOXES
	       : strcmp(name, "users") == 0	? TOPIC_USERS
						: 0;
}

/* Sends json (freed here) as topic to every session whose topics have bit and not `not`. */
/* Whether a subscriber wants the topic bit and none of not. */
static bool wanted(const struct statushub *h, uint32_t bit, uint32_t not)
{
	for (size_t i = 0; i < h->n; i++) {
		if ((h->s[i].topics & bit) != 0 && (h->s[i].topics & not) == 0)
			return true;
	}
	return false;
}

static void fan_out_only(struct pb_actor *a, struct statushub *h, uint32_t bit, uint32_t not,
			 const char *topic, cJSON *json)
{
	const char *error;

	if (!wanted(h, bit, not)) { /* most events, most of the time: nobody is watching */
		cJSON_Delete(json);
		return;
	}
	char *text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	for (size_t i = 0; i < h->n; i++) {
		if ((h->s[i].topics & bit) != 0 && (h->s[i].topics & not) == 0 &&
		    statushub_client_push(pb_actor_runtime(a), h->s[i].addr, topic, text, &error) < 0)
			h->lost++;
	}
	cJSON_free(text);
}

static void fan_out(struct pb_actor *a, struct statushub *h, uint32_t bit, const char *topic,
		    cJSON *json)
{
	fan_out_only(a, h, bit, 0, topic, json);
}

static cJSON *event_new(const char *name)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", name);
	return o;
}

static int on_activity(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	const struct statushub_log_item *it = statushub_log_add(
		&h->log, m->u.status_activity_evt.time_ms, m->u.status_activity_evt.text);
	cJSON *o = event_new("activity");

	cJSON_AddNumberToObject(o, "time", (double)it->time_ms);
	cJSON_AddStringToObject(o, "text", it->text);
	fan_out(a, h, TOPIC_ACTIVITY, "activity", o);
	return 0;
}

static int on_conn(struct pb_actor *a, void *state, struct pb_msg *m)
{
	const struct msg_status_conn_evt *c = &m->u.status_conn_evt;
	cJSON *o = event_new("connection");

	cJSON_AddStringToObject(o, "method", c->method != NULL ? c->method : "");
	cJSON_AddStringToObject(o, "state", c->running ? "running" : "idle");
	cJSON_AddNumberToObject(o, "jobs_left", c->jobs_left);
	cJSON_AddStringToObject(o, "last_result", c->last_result != NULL ? c->last_result : "");
	cJSON_AddNumberToObject(o, "last_poll", (double)c->last_end_ms);
	/* INT64_MAX: nothing scheduled (running, paused, no rule can run) */
	cJSON_AddNumberToObject(o, "next_poll", c->next_due_ms == INT64_MAX ? 0 : (double)c->next_due_ms);
	fan_out(a, state, TOPIC_CONNECTION, "connection", o);
	return 0;
}

static int on_queue(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	const struct msg_status_queue_evt *q = &m->u.status_queue_evt;
	const uint64_t vals[3] = { q->entries, q->held, q->sending };
	uint64_t sums[3];

	if (pb_shard_sum_set(&h->queue, q->shard, q->shards, vals, 3, sums) < 0)
		return 0;
	h->sending = sums[2];
	cJSON *o = event_new("queue");
	cJSON_AddNumberToObject(o, "out_queue", (double)sums[0]);
	cJSON_AddNumberToObject(o, "held", (double)sums[1]);
	cJSON_AddNumberToObject(o, "sending", (double)sums[2]);
	fan_out(a, h, TOPIC_QUEUE, "queue", o);
	return 0;
}

/* ---- the jobs in progress: kept for the snapshots until their final word ---- */

static struct hub_progress *progress_find(struct statushub *h,
					  const struct msg_status_progress_evt *e)
{
	for (size_t i = 0; i < h->n_progress; i++) {
		struct hub_progress *p = &h->progress[i];
		if (strcmp(p->method, e->method) == 0 && strcmp(p->kind, e->kind) == 0 &&
		    strcmp(p->job, e->job) == 0)
			return p;
	}
	if (h->n_progress == STATUSHUB_PROGRESS_MAX)
		return NULL;
	struct hub_progress *p = &h->progress[h->n_progress++];
	*p = (struct hub_progress){ xstrdup(e->method), xstrdup(e->kind), xstrdup(e->job), 0, 0, 0 };
	return p;
}

/* Keeps e's figures (a final one forgets its job). */
static void progress_keep(struct statushub *h, const struct msg_status_progress_evt *e)
{
	struct hub_progress *p = progress_find(h, e);

	if (p == NULL)
		return;
	if (e->final) {
		progress_free(p);
		*p = h->progress[--h->n_progress];
		return;
	}
	p->done = e->done;
	p->total = e->total;
	p->bytes = e->bytes;
}

static int on_progress(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	struct msg_status_progress_evt *e = &m->u.status_progress_evt;

	if (e->method == NULL || e->kind == NULL || e->job == NULL)
		return 0;
	progress_keep(h, e);
	cJSON *o = event_new("progress");
	const struct pb_rec_status_progress rec = { e->method, e->kind,	 e->job,
						    e->done,   e->total, e->bytes };
	statushub_progress_json(o, &rec);
	if (strcmp(e->kind, "send") == 0)
		cJSON_AddNumberToObject(o, "threads", (double)h->sending);
	cJSON_AddBoolToObject(o, "final", e->final != 0);
	fan_out(a, h, TOPIC_CONNECTION, "connection", o);
	return 0;
}

/* ---- the inboxes: a mailbox owner's change makes the hub re-read the accounts' counts ---- */

static bool inbox_listeners(const struct statushub *h)
{
	for (size_t i = 0; i < h->n; i++)
		if ((h->s[i].topics & (TOPIC_INBOXES | TOPIC_USERS)) != 0)
			return true;
	return false;
}

static int on_inbox(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	uint64_t now = pb_runtime_now_ms(pb_actor_runtime(a));

	if (!inbox_listeners(h))
		return 0;
	if (h->inbox_listing && now - h->inbox_listing_since > STATUSHUB_INBOX_LIST_TIMEOUT_MS)
		h->inbox_listing = false; /* the directory never answered: ask again */
	if (!h->inbox_dirty && !h->inbox_listing)
		pb_actor_timer_set(a, TIMER_INBOXES, STATUSHUB_INBOX_DELAY_MS);
	h->inbox_dirty = true;
	return 0;
}

static void inbox_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now_ms)
{
	struct statushub *h = state;
	struct pb_sender tx = pb_actor_sender(a, 0);
	const char *error;

	if (id != TIMER_INBOXES || !h->inbox_dirty || h->inbox_listing)
		return;
	h->inbox_dirty = false;
	if (directory_client_user_list_send(&tx, "", &error) < 0) {
		pb_warn("statushub", "event=inbox_list_failed reason=%s", PB_LOGQ(error));
		return;
	}
	h->inbox_listing = true;
	h->inbox_listing_since = now_ms;
}

static int on_user_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	struct directory_user_list l = { 0 };
	const char *error;
	uint64_t total = 0;

	h->inbox_listing = false;
	if (h->inbox_dirty)
		pb_actor_timer_set(a, TIMER_INBOXES, STATUSHUB_INBOX_DELAY_MS);
	if (directory_client_user_list_reply(m, &l, &error) != PB_OK) {
		pb_warn("statushub", "event=inbox_list_failed reason=%s", PB_LOGQ(error));
		directory_user_list_free(&l);
		return 0;
	}
	cJSON *o = event_new("inboxes"), *u = event_new("inboxes");
	cJSON *users = cJSON_AddArrayToObject(u, "users");
	for (uint32_t i = 0; i < l.users.n; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "user", l.users.v[i].user);
		cJSON_AddNumberToObject(x, "count", (double)l.users.v[i].messages);
		cJSON_AddItemToArray(users, x);
		total += l.users.v[i].messages;
	}
	directory_user_list_free(&l);
	cJSON_AddNumberToObject(o, "count", (double)total);
	cJSON_AddNumberToObject(u, "count", (double)total);
	fan_out(a, h, TOPIC_USERS, "inboxes", u);
	fan_out_only(a, h, TOPIC_INBOXES, TOPIC_USERS, "inboxes", o);
	return 0;
}

static struct hub_session *session_find(struct statushub *h, const char *addr)
{
	for (size_t i = 0; i < h->n; i++) {
		if (strcmp(h->s[i].addr, addr) == 0)
			return &h->s[i];
	}
	return NULL;
}

static int on_session(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	const struct msg_status_session_req *q = &m->u.status_session_req;
	struct hub_session *s = session_find(h, q->addr != NULL ? q->addr : "");

	if (s == NULL) {
		if (h->n == STATUSHUB_SESSIONS_MAX)
			return pb_reply_status(a, m, PB_ERR_REFUSED, "too many status sessions"), 0;
		if (h->n == h->cap) {
			h->cap = h->cap == 0 ? 16 : h->cap * 2;
			h->s = xrealloc(h->s, h->cap * sizeof(*h->s));
		}
		s = &h->s[h->n++];
		*s = (struct hub_session){ xstrdup(q->addr != NULL ? q->addr : ""), NULL, 0, false };
	}
	free(s->user);
	s->user = xstrdup(q->user != NULL ? q->user : "");
	s->receive_im = q->receive_im != 0;
	s->topics = 0;
	for (uint32_t i = 0; i < q->topics.n; i++)
		s->topics |= topic_bit(q->topics.v[i]);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static int on_session_end(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	const char *addr = m->u.status_session_end_evt.addr;
	struct hub_session *s = session_find(h, addr != NULL ? addr : "");

	if (s != NULL) {
		session_free(s);
		*s = h->s[--h->n];
	}
	return 0;
}

static int on_log(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_STATUS_LOG_REP);
	for (size_t i = 0; i < h->log.n; i++) {
		const struct statushub_log_item *it = statushub_log_at(&h->log, i);
		struct pb_rec_status_item *r = pb_rec_status_item_push(&rep.u.status_log_rep.items);
		r->time_ms = it->time_ms;
		r->text = xstrdup(it->text);
	}
	rep.u.status_log_rep.uptime_ms = pb_runtime_now_ms(pb_actor_runtime(a)) - h->started_ms;
	rep.u.status_log_rep.sessions = (uint32_t)h->n;
	for (size_t i = 0; i < h->n_progress; i++) {
		const struct hub_progress *p = &h->progress[i];
		struct pb_rec_status_progress *r =
			pb_rec_status_progress_push(&rep.u.status_log_rep.progress);
		*r = (struct pb_rec_status_progress){ xstrdup(p->method), xstrdup(p->kind),
						      xstrdup(p->job), p->done, p->total, p->bytes };
	}
	rep.u.status_log_rep.sending = h->sending;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_im(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct statushub *h = state;
	const struct msg_status_im_req *q = &m->u.status_im_req;
	const char *error;
	size_t sent = 0;

	cJSON *o = event_new("im");
	cJSON_AddStringToObject(o, "from", q->from != NULL ? q->from : "");
	cJSON_AddStringToObject(o, "text", q->text != NULL ? q->text : "");
	cJSON_AddNumberToObject(o, "time", (double)pb_clock_wall_ms());
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	for (size_t i = 0; i < h->n; i++) {
		struct hub_session *s = &h->s[i];
		if (s->receive_im && strcasecmp(s->user, q->to != NULL ? q->to : "") == 0 &&
		    statushub_client_push(pb_actor_runtime(a), s->addr, "im", text, &error) == 0)
			sent++;
	}
	cJSON_free(text);
	if (sent == 0)
		pb_reply_status(a, m, PB_ERR_NOTFOUND,
				"the recipient is not logged in to the status server, or may not "
				"receive instant messages");
	else
		pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static const struct pb_handler statushub_handlers[] = {
	{ MSG_STATUS_ACTIVITY_EVT, on_activity }, { MSG_STATUS_CONN_EVT, on_conn },
	{ MSG_STATUS_QUEUE_EVT, on_queue },	  { MSG_STATUS_SESSION_REQ, on_session },
	{ MSG_STATUS_SESSION_END_EVT, on_session_end }, { MSG_STATUS_LOG_REQ, on_log },
	{ MSG_STATUS_IM_REQ, on_im },
	{ MSG_STATUS_PROGRESS_EVT, on_progress },
	{ MSG_STATUS_INBOX_EVT, on_inbox },
	{ MSG_DIR_USER_LIST_REP, on_user_list },
	{ MSG_CORE_STATUS_REP, on_user_list }, /* the directory's failure (its only request) */
	{ MSG_STATUS_APIKEY_ADD_REQ, statushub_on_apikey_add },
	{ MSG_STATUS_APIKEY_LIST_REQ, statushub_on_apikey_list },
	{ MSG_STATUS_APIKEY_DEL_REQ, statushub_on_apikey_del },
	{ MSG_STATUS_APIKEY_CHECK_REQ, statushub_on_apikey_check },
};

const struct pb_actor_def statushub_actor_def = {
	.name = STATUSHUB_NAME,
	.inbox_size = 4096,
	.init = hub_init,
	.deinit = hub_deinit,
	.on_timer = inbox_timer,
	.handlers = statushub_handlers,
	.n_handlers = PB_N_ELEMENTS(statushub_handlers),
};
