/*
 * status-snapshot.c: the "snapshot" request — what the session's permissions let it see, asked
 * of the owners at once and replied when they all answered (no session reads the store):
 *  - the status hub: version, uptime, logged-in sessions, the activity log (view_log);
 *  - the scheduler (view_connection): each connection method, idle or running with its jobs
 *    left, and from them the last poll (time and result: all succeeded, some failed, all
 *    failed) and the next; with the hub's jobs in progress ("progress") and the queue's
 *    transactions in flight ("sending");
 *  - the queue shards (view_totals): the out-queue count and held count (shard 0 first, whose
 *    answer says how many shards to ask);
 *  - the directory: the accounts' message counts — the total (view_totals), per user
 *    (view_users), and the user's own ("mine", always). Mailboxes hold no held messages:
 *    their held counts are 0.
 * A part whose owner does not answer in time says "unavailable" instead of its numbers.
 * OWNS: nothing beyond the request's reply. THREAD: the hub's.
 * MESSAGES sent (through stubs): STATUS_LOG_REQ, SCHED_LIST_REQ, QUEUE_STATS_REQ,
 * DIR_USER_LIST_REQ.
 */
#include "status-session.h"

#include "directory-client.h"
#include "pillarbox-paths.h"
#include "scheduler-client.h"
#include "statushub-client.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define SNAPSHOT_OP 100 /* the slot's op (any value: it is only read back here) */

static bool may(const struct status_session *s, enum status_perm p)
{
	return (s->perms & (1u << p)) != 0;
}

/* The hub's jobs in progress and the queue's sending go in "connection" (when the scheduler
 * answered: the jobs are its methods' runs). */
static void progress_attach(struct status_req *r)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(r->reply, "connection");

	if (r->progress == NULL || !cJSON_IsObject(c))
		return;
	cJSON_AddItemToObject(c, "progress", r->progress);
	cJSON_AddNumberToObject(c, "sending", (double)r->sending);
	r->progress = NULL;
}

/* One of the calls of slot i answered: the reply goes once none is left. */
static void part_done(struct status_session *s, int i)
{
	if (--s->reqs[i].waiting == 0) {
		progress_attach(&s->reqs[i]);
		status_req_finish(s, i, NULL);
	}
}

static cJSON *progress_json(const struct pb_rec_status_progress_list *l)
{
	cJSON *a = cJSON_CreateArray();

	for (uint32_t k = 0; k < l->n; k++) {
		cJSON *o = cJSON_CreateObject();
		statushub_progress_json(o, &l->v[k]);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void unavailable(struct status_session *s, int i, const char *part)
{
	cJSON_AddStringToObject(s->reqs[i].reply, part, "unavailable");
}

/* ---- the hub ---- */

static void on_log(void *session, uint64_t arg, struct pb_msg *m)
{
	struct status_session *s = session;
	struct statushub_figures f = { 0 };
	const char *error;
	int i = (int)arg;
	cJSON *r = s->reqs[i].reply;

	if (m == NULL || statushub_client_log_reply(m, &f, &error) != PB_OK) {
		unavailable(s, i, "activity");
	} else {
		cJSON_AddNumberToObject(r, "uptime_s", (double)(f.uptime_ms / 1000));
		cJSON_AddNumberToObject(r, "sessions", f.sessions);
		if (may(s, STATUS_PERM_VIEW_LOG)) {
			cJSON *list = cJSON_AddArrayToObject(r, "activity");
			for (uint32_t k = 0; k < f.items.n; k++) {
				cJSON *it = cJSON_CreateObject();
				cJSON_AddNumberToObject(it, "time", (double)f.items.v[k].time_ms);
				cJSON_AddStringToObject(it, "text", f.items.v[k].text);
				cJSON_AddItemToArray(list, it);
			}
		}
		if (may(s, STATUS_PERM_VIEW_CONNECTION)) {
			s->reqs[i].progress = progress_json(&f.progress);
			s->reqs[i].sending = f.sending;
		}
		pb_rec_status_item_list_clear(&f.items);
		pb_rec_status_progress_list_clear(&f.progress);
	}
	part_done(s, i);
}

/* ---- the scheduler ---- */

static cJSON *method_json(const struct pb_rec_sched_method *m)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "state", m->running ? "running" : "idle");
	cJSON_AddBoolToObject(o, "paused", m->paused);
	cJSON_AddNumberToObject(o, "jobs_left", m->jobs_left);
	cJSON_AddNumberToObject(o, "last_poll", (double)m->last_end_ms);
	cJSON_AddStringToObject(o, "last_result", m->last_result);
	cJSON_AddStringToObject(o, "last_error", m->last_error);
	cJSON_AddNumberToObject(o, "next_poll", m->next_due_ms == INT64_MAX ? 0 : (double)m->next_due_ms);
	return o;
}

/* The last poll's result over the methods that have run: "all succeeded", "some failed",
 * "all failed", or "never". */
static const char *poll_result(const struct pb_rec_sched_method_list *l)
{
	uint32_t ok = 0, failed = 0;

	for (uint32_t k = 0; k < l->n; k++) {
		const char *r = l->v[k].last_result;
		ok += strcmp(r, "ok") == 0;
		failed += strcmp(r, "failed") == 0 || strcmp(r, "hung up") == 0;
	}
	return ok + failed == 0 ? "never"
	       : failed == 0	? "all succeeded"
	       : ok == 0	? "all failed"
				: "some failed";
}

static void connection_json(cJSON *c, const struct pb_rec_sched_method_list *l)
{
	cJSON *methods = cJSON_AddArrayToObject(c, "methods");
	int64_t last = 0, next = INT64_MAX;
	bool running = false;

	for (uint32_t k = 0; k < l->n; k++) {
		const struct pb_rec_sched_method *m = &l->v[k];
		cJSON_AddItemToArray(methods, method_json(m));
		running |= m->running != 0;
		if (m->last_end_ms > last)
			last = m->last_end_ms;
		if (!m->paused && m->next_due_ms > 0 && m->next_due_ms < next)
			next = m->next_due_ms;
	}
	cJSON_AddStringToObject(c, "state", running ? "running" : "idle");
	cJSON_AddNumberToObject(c, "last_poll", (double)last);
	cJSON_AddStringToObject(c, "last_poll_result", poll_result(l));
	cJSON_AddNumberToObject(c, "next_poll", next == INT64_MAX ? 0 : (double)next);
}

static void on_methods(void *session, uint64_t arg, struct pb_msg *m)
{
	struct status_session *s = session;
	struct pb_rec_sched_method_list l = { 0 };
	const char *error;
	int i = (int)arg;

	if (m == NULL || scheduler_client_list_reply(m, &l, &error) != PB_OK) {
		unavailable(s, i, "connection");
	} else {
		connection_json(cJSON_AddObjectToObject(s->reqs[i].reply, "connection"), &l);
		pb_rec_sched_method_list_clear(&l);
	}
	part_done(s, i);
}

/* ---- the queue ---- */

static void on_queue(void *session, uint64_t arg, struct pb_msg *m);

/* Asks queue shard k for slot i; 0, or -1 when nothing was sent. */
static int ask_queue(struct status_session *s, int i, uint32_t k)
{
	struct gw_pending call = status_call_of(s, on_queue, i);
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	call.arg = (uint64_t)i | (uint64_t)k << 8;
	if (queue_client_stats_send(&tx, k, &error) < 0)
		return -1;
	s->reqs[i].waiting++;
	pb_client_fanout_sent(&s->reqs[i].queue_fanout);
	return 0;
}

static void on_queue(void *session, uint64_t arg, struct pb_msg *m)
{
	struct status_session *s = session;
	int i = (int)(arg & 0xff);
	uint32_t k = (uint32_t)(arg >> 8), shards = 0;
	struct status_req *r = &s->reqs[i];
	struct pb_client_fanout *f = &r->queue_fanout;
	const char *error;

	bool ok = m != NULL && queue_client_stats_reply(m, &shards, &r->queue, &error) == PB_OK;
	uint32_t more = pb_client_fanout_answer(f, k, ok, shards);
	for (uint32_t n = 1; n <= more; n++)
		f->failed |= ask_queue(s, i, n) < 0;
	if (pb_client_fanout_done(f)) {
		cJSON *q = cJSON_AddObjectToObject(r->reply, "out_queue");
		if (f->failed) {
			cJSON_AddStringToObject(q, "error", "unavailable");
		} else {
			cJSON_AddNumberToObject(q, "count", (double)r->queue.entries);
			cJSON_AddNumberToObject(q, "held", (double)r->queue.held);
		}
	}
	part_done(s, i);
}

/* ---- the directory ---- */

static void inboxes_json(struct status_session *s, cJSON *r, const struct directory_user_list *l)
{
	uint64_t total = 0, mine = 0;
	cJSON *users = NULL;

	if (may(s, STATUS_PERM_VIEW_USERS))
		users = cJSON_CreateArray();
	for (uint32_t k = 0; k < l->users.n; k++) {
		const struct pb_rec_dir_user_entry *u = &l->users.v[k];
		total += u->messages;
		if (strcasecmp(u->user, s->user) == 0)
			mine = u->messages;
		if (users != NULL) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "user", u->user);
			cJSON_AddNumberToObject(o, "count", (double)u->messages);
			cJSON_AddNumberToObject(o, "held", 0);
			cJSON_AddItemToArray(users, o);
		}
	}
	if (may(s, STATUS_PERM_VIEW_TOTALS) || users != NULL) {
		cJSON *in = cJSON_AddObjectToObject(r, "inboxes");
		if (may(s, STATUS_PERM_VIEW_TOTALS)) {
			cJSON_AddNumberToObject(in, "count", (double)total);
			cJSON_AddNumberToObject(in, "held", 0);
		}
		if (users != NULL)
			cJSON_AddItemToObject(in, "users", users);
	}
	cJSON *me = cJSON_AddObjectToObject(r, "mine");
	cJSON_AddNumberToObject(me, "count", (double)mine);
	cJSON_AddNumberToObject(me, "held", 0);
}

static void on_users(void *session, uint64_t arg, struct pb_msg *m)
{
	struct status_session *s = session;
	struct directory_user_list l = { 0 };
	const char *error;
	int i = (int)arg;

	if (m == NULL || directory_client_user_list_reply(m, &l, &error) != PB_OK) {
		unavailable(s, i, "inboxes");
	} else {
		inboxes_json(s, s->reqs[i].reply, &l);
		directory_user_list_free(&l);
	}
	part_done(s, i);
}

/* ---- the request ---- */

/* Sends the calls of slot i; those sent are counted in waiting. */
static void ask_all(struct status_session *s, int i)
{
	struct status_req *r = &s->reqs[i];
	const char *error;
	struct gw_pending call = status_call_of(s, on_log, i);
	struct pb_sender tx = gw_sender(&call);

	r->waiting += statushub_client_log_send(&tx, &error) == 0;
	if (may(s, STATUS_PERM_VIEW_CONNECTION)) {
		call.cont = on_methods;
		r->waiting += scheduler_client_list_send(&tx, "", &error) == 0;
	}
	if (may(s, STATUS_PERM_VIEW_TOTALS) && ask_queue(s, i, 0) < 0)
		cJSON_AddStringToObject(r->reply, "out_queue", "unavailable");
	call.cont = on_users;
	bool all = may(s, STATUS_PERM_VIEW_TOTALS) || may(s, STATUS_PERM_VIEW_USERS);
	r->waiting += directory_client_user_list_send(&tx, all ? "" : s->user, &error) == 0;
}

void status_snapshot(struct status_session *s, const cJSON *id)
{
	int i = status_req_take(s, SNAPSHOT_OP, id);

	if (i < 0)
		return;
	cJSON_AddStringToObject(s->reqs[i].reply, "version", PILLARBOX_VERSION);
	s->reqs[i].waiting = 1; /* held until every call is sent */
	ask_all(s, i);
	part_done(s, i);
}
