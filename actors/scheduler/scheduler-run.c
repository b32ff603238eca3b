/*
 * scheduler-run.c: one run of a connection method — the queue's count when a rule asks for a
 * minimum, then a SCHED_RUN_REQ per job (each collector at "collector", the sending at
 * "queue"), their answers matched by correlation id (run id << 8 | job index), the deadline,
 * hang-up, and the outcome recorded and stored.
 * OWNS: the runs inside struct sched's methods. THREAD: the scheduler's actor thread.
 */
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "sched-calc.h"
#include "scheduler-client.h"
#include "scheduler-private.h"
#include "statushub-client.h"

#include <stdio.h>
#include <string.h>

/* The send error of a target as the run records it: nobody serving the address is "no such
 * service" (the collector and queue actors may not exist on this node). */
static const char *send_failure(const char *error)
{
	return strcmp(error, "unreachable") == 0 ? "no such service" : error;
}

/* Tells the status hub the method's state (pushed to status sessions; lost if it is absent). */
static void tell_status(struct pb_actor *a, struct sched_method *m)
{
	struct statushub_conn c = { m->rec.name, m->run.on,
				    m->run.on ? (uint32_t)(m->run.asking ? m->run.n_jobs : m->run.left) : 0,
				    m->rec.last_result, m->rec.last_end_ms, m->next_due_ms };
	statushub_client_conn(pb_actor_runtime(a), &c);
}

/* Notes a failure of the run (the first one is kept as its reason). */
static void run_fail(struct sched_run *run, const char *what, const char *name, const char *why)
{
	if (run->failure[0] != '\0')
		return;
	snprintf(run->failure, sizeof(run->failure), "%s%s%s: %s", what, name[0] ? " " : "", name,
		 why);
}

/* What job i of m is: its kind, its name, its address. */
static void job_of(const struct sched_method *m, size_t i, const char **kind_r,
		   const char **name_r, const char **to_r)
{
	bool collect = i < m->rec.n_collectors;

	*kind_r = collect ? SCHED_JOB_COLLECT : SCHED_JOB_SEND;
	*name_r = collect ? m->rec.collectors[i] : "";
	*to_r = collect ? SCHED_COLLECTOR_ADDR : SCHED_QUEUE_ADDR;
}

static void settings_timeouts(struct pb_actor *a, uint32_t *job_ms_r, uint32_t *waiting_ms_r)
{
	const struct pb_settings *st = pb_settings_acquire(pb_actor_runtime(a));

	*job_ms_r = st->connections.job_timeout_s * 1000u;
	*waiting_ms_r = st->connections.waiting_timeout_s * 1000u;
	pb_settings_release(pb_actor_runtime(a), st);
}

/* Sends every job of the run; a job that cannot be sent fails at once. */
static void run_jobs(struct pb_actor *a, struct sched *s, struct sched_method *m)
{
	struct sched_run *run = &m->run;
	uint32_t job_ms, waiting_ms;
	const char *kind, *name, *to, *error;

	settings_timeouts(a, &job_ms, &waiting_ms);
	run->asking = false;
	run->n_jobs = m->rec.n_collectors + (m->rec.send ? 1 : 0);
	run->left = run->n_jobs;
	run->deadline_ms = sched_mono_now(a) + job_ms;
	for (size_t i = 0; i < run->n_jobs; i++) {
		job_of(m, i, &kind, &name, &to);
		struct pb_sender snd = pb_actor_sender(a, run->id << 8 | i);
		run->done[i] = false;
		if (scheduler_client_run_send(&snd, to, m->rec.name, kind, name, job_ms, &error) < 0) {
			run_fail(run, kind, name, send_failure(error));
			run->done[i] = true;
			run->left--;
		}
	}
	if (run->left == 0)
		sched_run_end(a, s, m, run->failure[0] ? "failed" : "ok", run->failure);
}

/* The minimum of waiting messages the rule that came due asks (0: always). */
static uint32_t rule_minimum(const struct sched_method *m)
{
	return m->due_rule < m->rec.n_rules ? m->rec.rules[m->due_rule].min_waiting : 0;
}

void sched_run_start(struct pb_actor *a, struct sched *s, struct sched_method *m, bool forced)
{
	struct sched_run *run = &m->run;
	uint32_t job_ms, waiting_ms;
	const char *error;

	memset(run, 0, sizeof(*run));
	run->on = true;
	run->id = ++s->next_run_id;
	m->last_tick_ms = sched_wall_now(s);
	m->rec.last_start_ms = m->last_tick_ms;
	m->next_due_ms = SCHED_NEVER;
	pb_info("scheduler", "event=run_start connection=%s why=%s", PB_LOGQ(m->rec.name),
		forced ? "now" : "schedule");
	statushub_client_activity(pb_actor_runtime(a), "Connection %s started (%s)", m->rec.name,
				  forced ? "connect now" : "schedule");
	tell_status(a, m);
	run->min_waiting = forced ? 0 : rule_minimum(m);
	if (run->min_waiting == 0) {
		run_jobs(a, s, m);
		return;
	}
	settings_timeouts(a, &job_ms, &waiting_ms);
	struct pb_sender snd = pb_actor_sender(a, run->id << 8 | SCHED_CORR_WAITING);
	if (scheduler_client_waiting_send(&snd, SCHED_QUEUE_ADDR, m->rec.name, &error) < 0) {
		run_fail(run, "queue", "", send_failure(error));
		sched_run_end(a, s, m, "failed", run->failure);
		return;
	}
	run->asking = true;
	run->deadline_ms = sched_mono_now(a) + waiting_ms;
}

void sched_run_end(struct pb_actor *a, struct sched *s, struct sched_method *m, const char *result,
		   const char *failure)
{
	bool failed = failure != NULL && failure[0] != '\0';

	m->run.on = false;
	m->rec.last_end_ms = sched_wall_now(s);
	free(m->rec.last_result);
	m->rec.last_result = xstrdup(result);
	if (failed) {
		if (strcmp(m->rec.last_error, failure) != 0)
			pb_warn("scheduler", "event=run_failed connection=%s error=%s",
				PB_LOGQ(m->rec.name), PB_LOGQ(failure));
		free(m->rec.last_error);
		m->rec.last_error = xstrdup(failure);
		m->rec.last_error_ms = m->rec.last_end_ms;
	}
	pb_info("scheduler", "event=run_end connection=%s result=%s", PB_LOGQ(m->rec.name),
		PB_LOGQ(result));
	sched_method_store(s, m);
	sched_method_plan(s, m);
	statushub_client_activity(pb_actor_runtime(a), "Connection %s ended: %s%s%s", m->rec.name,
				  result, failed ? " - " : "", failed ? failure : "");
	tell_status(a, m);
}

void sched_run_expire(struct pb_actor *a, struct sched *s)
{
	uint64_t now = sched_mono_now(a);
	char why[64];

	for (size_t k = 0; k < s->n; k++) {
		struct sched_method *m = s->m[k];
		struct sched_run *run = &m->run;
		if (!run->on || run->deadline_ms > now)
			continue;
		if (run->asking) {
			run_fail(run, "queue", "", "did not say how many messages wait in time");
		} else {
			for (size_t i = 0; i < run->n_jobs; i++) {
				const char *kind, *name, *to;
				if (run->done[i])
					continue;
				job_of(m, i, &kind, &name, &to);
				snprintf(why, sizeof(why), "no answer within its deadline");
				run_fail(run, kind, name, why);
			}
		}
		sched_run_end(a, s, m, "failed", run->failure);
	}
}

void sched_run_hangup(struct pb_actor *a, struct sched *s, struct sched_method *m)
{
	const char *to[] = { SCHED_COLLECTOR_ADDR, SCHED_QUEUE_ADDR }, *error;

	for (size_t i = 0; i < PB_N_ELEMENTS(to); i++) {
		struct pb_msg evt;
		if (strcmp(to[i], SCHED_QUEUE_ADDR) == 0 && !m->rec.send)
			continue; /* the queue holds its sending for a method that sends only */
		pb_msg_init(&evt, MSG_SCHED_HANGUP_EVT);
		evt.u.sched_hangup_evt.method = xstrdup(m->rec.name);
		(void)pb_cast(pb_actor_runtime(a), to[i], &evt, &error); /* nobody there: nothing to stop */
		pb_msg_free(&evt);
	}
	sched_run_end(a, s, m, "hung up", NULL);
}

/* The method whose run sent the request with correlation id corr, or NULL (a late answer). */
static struct sched_method *run_of(struct sched *s, uint64_t corr)
{
	for (size_t k = 0; k < s->n; k++) {
		if (s->m[k]->run.on && s->m[k]->run.id == corr >> 8)
			return s->m[k];
	}
	return NULL;
}

/* The queue's count: enough waiting runs the jobs, too few skips the run. */
static void on_waiting(struct pb_actor *a, struct sched *s, struct sched_method *m,
		       struct pb_msg *msg)
{
	uint64_t waiting = 0;
	const char *error;
	uint32_t code = scheduler_client_waiting_reply(msg, &waiting, &error);

	if (code != PB_OK) {
		run_fail(&m->run, "queue", "", error);
		sched_run_end(a, s, m, "failed", m->run.failure);
	} else if (waiting < m->run.min_waiting) {
		pb_debug("scheduler", "event=run_skipped connection=%s waiting=%llu minimum=%u",
			 PB_LOGQ(m->rec.name), (unsigned long long)waiting, m->run.min_waiting);
		sched_run_end(a, s, m, "skipped", NULL);
	} else {
		run_jobs(a, s, m);
	}
}

int sched_on_answer(struct pb_actor *a, void *state, struct pb_msg *msg)
{
	struct sched *s = state;
	struct sched_method *m = run_of(s, msg->corr);
	size_t i = (size_t)(msg->corr & 0xff);
	const char *summary, *error, *kind, *name, *to;

	if (m == NULL)
		return 0; /* a run already ended (timed out, hung up): dropped */
	if (m->run.asking) {
		if (i == SCHED_CORR_WAITING)
			on_waiting(a, s, m, msg);
		return 0;
	}
	if (i >= m->run.n_jobs || m->run.done[i])
		return 0;
	job_of(m, i, &kind, &name, &to);
	uint32_t code = scheduler_client_run_reply(msg, &summary, &error);
	if (code != PB_OK)
		run_fail(&m->run, kind, name, error);
	else if (summary[0] != '\0')
		pb_info("scheduler", "event=job_done connection=%s job=%s name=%s summary=%s",
			PB_LOGQ(m->rec.name), kind, PB_LOGQ(name), PB_LOGQ(summary));
	statushub_client_activity(pb_actor_runtime(a), "Connection %s: %s%s%s: %s", m->rec.name,
				  kind, name[0] ? " " : "", name, code != PB_OK ? error : summary);
	m->run.done[i] = true;
	if (--m->run.left == 0)
		sched_run_end(a, s, m, m->run.failure[0] ? "failed" : "ok", m->run.failure);
	else
		tell_status(a, m);
	return 0;
}
