/*
 * scheduler-actor.c: the scheduler's loop glue — load and seed the methods, the wake-up timer,
 * and one handler per administration message (add, set, del, list, control) (see scheduler-actor.h; runs: scheduler-run.c,
 * schedules: sched-calc.c).
 * OWNS struct sched. THREAD: its actor thread.
 */
#include "pb-log.h"
#include "sched-calc.h"
#include "scheduler-client.h"
#include "scheduler-private.h"
#include "store-history-as.h"

#include <stdio.h>
#include <string.h>

#define SCHED_TIMER_TICK 1
#define SCHED_TICK_MAX_MS 60000 /* the wall clock is read again at least each minute */
#define SCHED_DEFAULT_NAME "default"

int64_t sched_wall_now(struct sched *s)
{
	const struct pb_clock *w = &s->args->wall;

	return w->now_ms != NULL ? (int64_t)w->now_ms(w->ctx) : (int64_t)pb_clock_wall_ms();
}

uint64_t sched_mono_now(struct pb_actor *a)
{
	return pb_runtime_now_ms(pb_actor_runtime(a));
}

static void rules_of(const struct pb_store_conn *c, struct sched_rule *r)
{
	for (size_t i = 0; i < c->n_rules; i++)
		r[i] = (struct sched_rule){ c->rules[i].every_min, (uint16_t)c->rules[i].from_min,
					    (uint16_t)c->rules[i].to_min, (uint8_t)c->rules[i].days,
					    c->rules[i].min_waiting };
}

void sched_method_plan(struct sched *s, struct sched_method *m)
{
	struct sched_rule r[PB_STORE_CONN_RULES_MAX];

	if (m->rec.paused || m->run.on) {
		m->next_due_ms = SCHED_NEVER;
		return;
	}
	rules_of(&m->rec, r);
	m->next_due_ms = sched_next_due(r, m->rec.n_rules, m->last_tick_ms, sched_wall_now(s),
					&m->due_rule);
}

void sched_method_store(struct sched *s, struct sched_method *m)
{
	const char *error;

	if (pb_store_conn_put(s->args->store, &m->rec, &error) < 0)
		pb_warn("scheduler", "event=not_stored connection=%s error=%s", PB_LOGQ(m->rec.name),
			PB_LOGQ(error));
}

/* Takes rec (moved) as a new method. */
static struct sched_method *method_add(struct sched *s, struct pb_store_conn *rec)
{
	struct sched_method *m = xcalloc(1, sizeof(*m));

	m->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	if (m->rec.last_result == NULL)
		m->rec.last_result = xstrdup("");
	if (m->rec.last_error == NULL)
		m->rec.last_error = xstrdup("");
	m->last_tick_ms = m->rec.last_start_ms;
	s->m[s->n++] = m;
	sched_method_plan(s, m);
	return m;
}

static void method_free(struct sched_method *m)
{
	pb_store_conn_clear(&m->rec);
	free(m);
}

static struct sched_method *method_find(struct sched *s, const char *name, size_t *index_r)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->m[i]->rec.name, name) == 0) {
			if (index_r != NULL)
				*index_r = i;
			return s->m[i];
		}
	}
	return NULL;
}

/* Arms the wake-up at the earliest due time or run deadline, at most a minute ahead. */
static void arm(struct pb_actor *a, struct sched *s)
{
	int64_t wall = sched_wall_now(s);
	uint64_t mono = sched_mono_now(a), delay = SCHED_TICK_MAX_MS;

	for (size_t i = 0; i < s->n; i++) {
		const struct sched_method *m = s->m[i];
		if (m->run.on) {
			uint64_t d = m->run.deadline_ms > mono ? m->run.deadline_ms - mono : 0;
			delay = d < delay ? d : delay;
		} else if (m->next_due_ms != SCHED_NEVER) {
			int64_t d = m->next_due_ms - wall;
			delay = d <= 0 ? 0 : ((uint64_t)d < delay ? (uint64_t)d : delay);
		}
	}
	pb_actor_timer_set(a, SCHED_TIMER_TICK, delay);
}

/* Adds the default method: every 10 minutes, always, sending on. */
static int seed_default(struct sched *s, const char **error_r)
{
	struct pb_store_conn rec = { .name = xstrdup(SCHED_DEFAULT_NAME), .send = true,
				     .n_rules = 1 };
	struct sched_rule r;

	sched_rule_default(&r);
	rec.rules[0] = (struct pb_store_conn_rule){ r.every_min, r.from_min, r.to_min, r.days,
						    r.min_waiting };
	if (pb_store_conn_put(s->args->store, &rec, error_r) < 0 ||
	    pb_store_conn_set_seeded(s->args->store, error_r) < 0) {
		pb_store_conn_clear(&rec);
		return -1;
	}
	method_add(s, &rec);
	pb_info("scheduler", "event=default_connection_added connection=%s", SCHED_DEFAULT_NAME);
	return 0;
}

/* Loads the stored methods; seeds the default once per data directory when there are none. */
static int methods_load(struct sched *s, const char **error_r)
{
	struct pb_store_conn *v;
	size_t n, bad;

	if (pb_store_conn_list(s->args->store, &v, &n, &bad, error_r) < 0)
		return -1;
	if (bad > 0)
		pb_warn("scheduler", "event=bad_connection_records skipped=%zu", bad);
	for (size_t i = 0; i < n; i++) {
		if (s->n < SCHED_METHODS_MAX)
			method_add(s, &v[i]);
	}
	pb_store_conn_list_free(v, n);
	int seeded = pb_store_conn_seeded(s->args->store, error_r);
	if (seeded < 0)
		return -1;
	if (seeded == 0 && s->n == 0)
		return seed_default(s, error_r);
	if (seeded == 0)
		return pb_store_conn_set_seeded(s->args->store, error_r);
	return 0;
}

static void sched_deinit(struct pb_actor *a, void *state)
{
	struct sched *s = state;

	for (size_t i = 0; i < s->n; i++)
		method_free(s->m[i]); /* a run in progress ends unrecorded: its answers find nobody */
	free(s);
}

static int sched_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	s->args = arg;
	if (methods_load(s, error_r) < 0) {
		sched_deinit(a, s);
		return -1;
	}
	arm(a, s);
	*state_r = s;
	return 0;
}

static void sched_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct sched *s = state;
	int64_t wall = sched_wall_now(s);

	sched_run_expire(a, s);
	for (size_t i = 0; i < s->n; i++) {
		struct sched_method *m = s->m[i];
		sched_method_plan(s, m); /* the wall clock may have jumped */
		if (!m->run.on && m->next_due_ms <= wall)
			sched_run_start(a, s, m, false);
	}
	arm(a, s);
}

/* True for 1..64 of letters, digits, '.', '_', '-' (a method's or a collector's name). */
static bool name_ok(const char *name)
{
	size_t len = strlen(name);

	return len >= 1 && len <= PB_STORE_CONN_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
		       len;
}

/* What an add or a set request gives (borrowed from the request). */
struct method_fields {
	const char *name;
	bool send;
	const struct pb_strv *collectors;
	const struct pb_rec_sched_rule_list *rules;
};

/* Checks the fields of an add or set request: 0, or -1 with error_r (static text). */
static int fields_check(const struct method_fields *f, const char **error_r)
{
	*error_r = NULL;
	if (!name_ok(f->name))
		*error_r = "a connection name is 1 to 64 letters, digits, '.', '_' or '-'";
	else if (f->rules->n < 1 || f->rules->n > PB_STORE_CONN_RULES_MAX)
		*error_r = "a connection has 1 to 8 schedule rules";
	else if (f->collectors->n > PB_STORE_CONN_COLLECTORS_MAX)
		*error_r = "a connection runs at most 64 collectors";
	for (uint32_t i = 0; *error_r == NULL && i < f->collectors->n; i++) {
		if (!name_ok(f->collectors->v[i]))
			*error_r = "a collector name is 1 to 64 letters, digits, '.', '_' or '-'";
	}
	for (uint32_t i = 0; *error_r == NULL && i < f->rules->n; i++) {
		const struct pb_rec_sched_rule *r = &f->rules->v[i];
		struct sched_rule x = { r->every_min, (uint16_t)r->from_min, (uint16_t)r->to_min,
					(uint8_t)r->days, r->min_waiting };
		if (r->from_min > UINT16_MAX || r->to_min > UINT16_MAX || r->days > UINT8_MAX)
			*error_r = "a schedule rule is out of range";
		else
			(void)sched_rule_check(&x, error_r);
	}
	return *error_r == NULL ? 0 : -1;
}

static void collectors_free(struct pb_store_conn *rec)
{
	for (size_t i = 0; i < rec->n_collectors; i++)
		free(rec->collectors[i]);
	free(rec->collectors);
	rec->collectors = NULL;
	rec->n_collectors = 0;
}

/* Sets rec's settings (send, collectors, rules) to f's, its collectors new (rec's own are not
 * freed: the caller's); the rest of rec stays. */
static void rec_set_fields(struct pb_store_conn *rec, const struct method_fields *f)
{
	rec->n_collectors = 0;
	rec->n_rules = 0;
	rec->send = f->send;
	rec->collectors = xcalloc(f->collectors->n + 1, sizeof(*rec->collectors));
	for (uint32_t i = 0; i < f->collectors->n; i++)
		rec->collectors[rec->n_collectors++] = xstrdup(f->collectors->v[i]);
	for (uint32_t i = 0; i < f->rules->n; i++)
		rec->rules[rec->n_rules++] = (struct pb_store_conn_rule){
			f->rules->v[i].every_min, f->rules->v[i].from_min, f->rules->v[i].to_min,
			f->rules->v[i].days, f->rules->v[i].min_waiting
		};
}

static int add_handle(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sched *s = state;
	const struct msg_sched_add_req *q = &m->u.sched_add_req;
	struct method_fields f = { q->name, q->send != 0, &q->collectors, &q->rules };
	struct pb_store_conn rec = { 0 };
	const char *error;

	if (fields_check(&f, &error) < 0)
		return pb_reply_status(a, m, PB_ERR_REFUSED, error), 0;
	if (s->n >= SCHED_METHODS_MAX)
		return pb_reply_status(a, m, PB_ERR_REFUSED, "there are 64 connections already"), 0;
	if (method_find(s, q->name, NULL) != NULL)
		return pb_reply_status(a, m, PB_ERR_EXISTS, "a connection of that name exists"), 0;
	rec.name = xstrdup(q->name);
	rec.last_result = xstrdup("");
	rec.last_error = xstrdup("");
	rec_set_fields(&rec, &f);
	if (pb_store_conn_put(s->args->store, &rec, &error) < 0) {
		pb_store_conn_clear(&rec);
		return pb_reply_status(a, m, PB_ERR_INTERNAL, error), 0;
	}
	method_add(s, &rec);
	pb_info("scheduler", "event=connection_added connection=%s", PB_LOGQ(q->name));
	arm(a, s);
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

/* A method's settings changed (stored through pb_store_conn_put, as every change of it); a run
 * in progress goes on with the jobs it started with. */
static int set_handle(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sched *s = state;
	const struct msg_sched_set_req *q = &m->u.sched_set_req;
	struct method_fields f = { q->name, q->send != 0, &q->collectors, &q->rules };
	struct sched_method *meth = method_find(s, q->name, NULL);
	struct pb_store_conn rec = { 0 };
	const char *error;

	if (meth == NULL)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such connection"), 0;
	if (fields_check(&f, &error) < 0)
		return pb_reply_status(a, m, PB_ERR_REFUSED, error), 0;
	rec = meth->rec; /* its strings shared; the collectors new */
	rec_set_fields(&rec, &f);
	if (pb_store_conn_put(s->args->store, &rec, &error) < 0) {
		collectors_free(&rec);
		return pb_reply_status(a, m, PB_ERR_INTERNAL, error), 0;
	}
	collectors_free(&meth->rec);
	meth->rec = rec;
	sched_method_plan(s, meth);
	pb_info("scheduler", "event=connection_changed connection=%s", PB_LOGQ(q->name));
	arm(a, s);
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

static int del_handle(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sched *s = state;
	const char *name = m->u.sched_del_req.name, *error;
	size_t i;
	struct sched_method *meth = method_find(s, name, &i);

	if (meth == NULL)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such connection"), 0;
	if (meth->run.on)
		sched_run_hangup(a, s, meth);
	if (pb_store_conn_delete(s->args->store, name, &error) < 0)
		return pb_reply_status(a, m, PB_ERR_INTERNAL, error), 0;
	s->m[i] = s->m[--s->n];
	pb_info("scheduler", "event=connection_deleted connection=%s", PB_LOGQ(name));
	method_free(meth);
	arm(a, s);
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

static void method_render(const struct sched_method *m, struct pb_rec_sched_method *e)
{
	e->name = xstrdup(m->rec.name);
	e->paused = m->rec.paused;
	e->send = m->rec.send;
	for (size_t i = 0; i < m->rec.n_collectors; i++)
		pb_strv_push(&e->collectors, m->rec.collectors[i]);
	for (size_t i = 0; i < m->rec.n_rules; i++) {
		const struct pb_store_conn_rule *r = &m->rec.rules[i];
		*pb_rec_sched_rule_push(&e->rules) = (struct pb_rec_sched_rule){
			r->every_min, r->from_min, r->to_min, r->days, r->min_waiting
		};
	}
	e->running = m->run.on;
	e->jobs_left = m->run.on ? (uint32_t)(m->run.asking ? m->run.n_jobs : m->run.left) : 0;
	e->last_start_ms = m->rec.last_start_ms;
	e->last_end_ms = m->rec.last_end_ms;
	e->last_result = xstrdup(m->rec.last_result);
	e->last_error = xstrdup(m->rec.last_error);
	e->last_error_ms = m->rec.last_error_ms;
	e->next_due_ms = m->next_due_ms == SCHED_NEVER ? 0 : m->next_due_ms;
}

static int on_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sched *s = state;
	const char *name = m->u.sched_list_req.name;
	struct pb_msg rep;

	if (name[0] != '\0' && method_find(s, name, NULL) == NULL)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such connection"), 0;
	pb_msg_init(&rep, MSG_SCHED_LIST_REP);
	rep.u.sched_list_rep.error = xstrdup("");
	for (size_t i = 0; i < s->n; i++) {
		if (name[0] == '\0' || strcmp(s->m[i]->rec.name, name) == 0)
			method_render(s->m[i], pb_rec_sched_method_push(&rep.u.sched_list_rep.methods));
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Pause or resume: stored; a run in progress goes on (hang-up stops it). */
static void set_paused(struct sched *s, struct sched_method *m, bool paused)
{
	m->rec.paused = paused;
	sched_method_store(s, m);
	sched_method_plan(s, m);
	pb_info("scheduler", "event=connection_%s connection=%s", paused ? "paused" : "resumed",
		PB_LOGQ(m->rec.name));
}

/* A sending method resumed: the queue's sending, held since a hang-up, goes on. */
static void tell_resumed(struct pb_actor *a, const struct sched_method *m)
{
	struct pb_msg evt;
	const char *error;

	if (!m->rec.send)
		return;
	pb_msg_init(&evt, MSG_SCHED_RESUME_EVT);
	evt.u.sched_resume_evt.method = xstrdup(m->rec.name);
	(void)pb_cast(pb_actor_runtime(a), SCHED_QUEUE_ADDR, &evt, &error); /* none: nothing held */
	pb_msg_free(&evt);
}

static int control_handle(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sched *s = state;
	const struct msg_sched_control_req *q = &m->u.sched_control_req;
	struct sched_method *meth = method_find(s, q->name, NULL);

	if (meth == NULL)
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such connection"), 0;
	if (q->what == SCHED_CONTROL_PAUSE || q->what == SCHED_CONTROL_RESUME) {
		set_paused(s, meth, q->what == SCHED_CONTROL_PAUSE);
		if (q->what == SCHED_CONTROL_RESUME)
			tell_resumed(a, meth);
	} else if (q->what == SCHED_CONTROL_NOW) {
		if (meth->run.on)
			return pb_reply_status(a, m, PB_ERR_REFUSED, "the connection is running now"), 0;
		sched_run_start(a, s, meth, true);
	} else if (q->what == SCHED_CONTROL_HANGUP) {
		if (!meth->run.on)
			return pb_reply_status(a, m, PB_ERR_REFUSED, "the connection is not running"), 0;
		pb_info("scheduler", "event=hangup connection=%s by=admin", PB_LOGQ(meth->rec.name));
		sched_run_hangup(a, s, meth);
	} else {
		return pb_reply_status(a, m, PB_ERR_REFUSED, "unknown connection control"), 0;
	}
	arm(a, s);
	return pb_reply_status(a, m, PB_OK, ""), 0;
}

/* SCHED_ADD_REQ, its changes recorded in the history as by who asked (store-db.h). */
static int on_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return pb_store_history_as(a, state, m, m->u.sched_add_req.by, add_handle);
}

/* SCHED_DEL_REQ, its changes recorded in the history as by who asked (store-db.h). */
static int on_del(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return pb_store_history_as(a, state, m, m->u.sched_del_req.by, del_handle);
}

/* SCHED_CONTROL_REQ, its changes recorded in the history as by who asked (store-db.h). */
static int on_set(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return pb_store_history_as(a, state, m, m->u.sched_set_req.by, set_handle);
}

static int on_control(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return pb_store_history_as(a, state, m, m->u.sched_control_req.by, control_handle);
}

static const struct pb_handler sched_handlers[] = {
	{ MSG_SCHED_ADD_REQ, on_add },		{ MSG_SCHED_DEL_REQ, on_del },
	{ MSG_SCHED_SET_REQ, on_set },
	{ MSG_SCHED_LIST_REQ, on_list },	{ MSG_SCHED_CONTROL_REQ, on_control },
	{ MSG_SCHED_RUN_REP, sched_on_answer }, { MSG_SCHED_WAITING_REP, sched_on_answer },
	{ MSG_CORE_STATUS_REP, sched_on_answer },
};

const struct pb_actor_def scheduler_actor_def = {
	.name = "scheduler",
	.inbox_size = 256,
	.init = sched_init,
	.deinit = sched_deinit,
	.handlers = sched_handlers,
	.n_handlers = PB_N_ELEMENTS(sched_handlers),
	.on_timer = sched_timer,
};
