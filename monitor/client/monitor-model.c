/*
 * monitor-model.c: the monitor's picture of a status server (see monitor-model.h).
 * OWNS: the model's strings. THREAD: the caller's.
 */
#include "monitor-model.h"

#include "pb-alloc.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const monitor_perm_names[8] = { "view_connection", "view_totals", "view_users",
					    "view_log",	"connect",     "shutdown",
					    "receive_im",      "send_im" };

void monitor_model_init(struct monitor_model *m)
{
	memset(m, 0, sizeof(*m));
}

static void log_clear(struct monitor_model *m)
{
	for (size_t i = 0; i < m->log_n; i++)
		free(m->log[(m->log_first + i) % MONITOR_LOG_MAX].text);
	m->log_first = m->log_n = 0;
}

void monitor_model_deinit(struct monitor_model *m)
{
	log_clear(m);
	for (size_t i = 0; i < m->ims_n; i++)
		free(m->ims[(m->ims_first + i) % MONITOR_IMS_MAX].text);
	free(m->users);
	memset(m, 0, sizeof(*m));
}

void monitor_model_reset(struct monitor_model *m)
{
	struct monitor_im ims[MONITOR_IMS_MAX];
	size_t first = m->ims_first, n = m->ims_n;

	memcpy(ims, m->ims, sizeof(ims));
	log_clear(m);
	free(m->users);
	memset(m, 0, sizeof(*m));
	memcpy(m->ims, ims, sizeof(ims));
	m->ims_first = first;
	m->ims_n = n;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : 0;
}

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

void monitor_model_login(struct monitor_model *m, const void *json)
{
	const cJSON *o = json, *p;

	COPY(m->user, str(o, "user"));
	m->admin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "admin"));
	m->perms = 0;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "permissions"))
	{
		for (int i = 0; i < 8; i++)
			if (cJSON_IsString(p) && strcmp(p->valuestring, monitor_perm_names[i]) == 0)
				m->perms |= 1u << i;
	}
}

static struct monitor_method *method_get(struct monitor_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_methods; i++)
		if (strcmp(m->methods[i].name, name) == 0)
			return &m->methods[i];
	if (m->n_methods == MONITOR_METHODS_MAX || name[0] == '\0')
		return NULL;
	struct monitor_method *x = &m->methods[m->n_methods++];
	memset(x, 0, sizeof(*x));
	COPY(x->name, name);
	return x;
}

/* The connection's summary from its methods (as the server's snapshot computes it). */
static void conn_summary(struct monitor_model *m)
{
	size_t ok = 0, failed = 0, ran = 0;
	bool running = false;

	m->last_poll = 0;
	m->next_poll = 0;
	for (size_t i = 0; i < m->n_methods; i++) {
		const struct monitor_method *x = &m->methods[i];
		running |= strcmp(x->state, "running") == 0;
		if (x->last_poll > m->last_poll)
			m->last_poll = x->last_poll;
		if (x->next_poll != 0 && (m->next_poll == 0 || x->next_poll < m->next_poll))
			m->next_poll = x->next_poll;
		ran += x->last_result[0] != '\0';
		ok += strcmp(x->last_result, "ok") == 0;
		failed += strcmp(x->last_result, "failed") == 0;
	}
	COPY(m->conn_state, running ? "running" : "idle");
	COPY(m->last_poll_result, ran == 0 ? "never"
				  : failed == 0 ? "all succeeded"
				  : ok == 0 ? "all failed"
				  : "some failed");
}

static void method_set(struct monitor_method *x, const cJSON *o)
{
	if (cJSON_GetObjectItemCaseSensitive(o, "state") != NULL)
		COPY(x->state, str(o, "state"));
	if (cJSON_GetObjectItemCaseSensitive(o, "paused") != NULL)
		x->paused = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "paused"));
	if (cJSON_GetObjectItemCaseSensitive(o, "last_error") != NULL)
		COPY(x->last_error, str(o, "last_error"));
	COPY(x->last_result, str(o, "last_result"));
	x->jobs_left = (uint32_t)num(o, "jobs_left");
	x->last_poll = (int64_t)num(o, "last_poll");
	x->next_poll = (int64_t)num(o, "next_poll");
	if (strcmp(x->state, "running") != 0)
		x->total = x->done = x->bytes = 0, x->job[0] = '\0';
}

static void on_progress(struct monitor_model *m, const cJSON *o);

static void conn_snapshot(struct monitor_model *m, const cJSON *c)
{
	const cJSON *x;

	m->have_conn = cJSON_IsObject(c);
	m->n_methods = 0;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(c, "methods"))
	{
		struct monitor_method *mt = method_get(m, str(x, "name"));
		if (mt != NULL)
			method_set(mt, x);
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(c, "progress"))
	on_progress(m, x); /* the jobs in progress when the snapshot was taken */
	conn_summary(m);
	if (cJSON_GetObjectItemCaseSensitive(c, "last_poll_result") != NULL)
		COPY(m->last_poll_result, str(c, "last_poll_result"));
}

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct monitor_user *)a)->user, ((const struct monitor_user *)b)->user);
}

/* An "inboxes" object (snapshot or event): the total and, when given, the users. */
static void inboxes_set(struct monitor_model *m, const cJSON *in)
{
	const cJSON *users = cJSON_GetObjectItemCaseSensitive(in, "users"), *u;

	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(in, "count"))) {
		m->have_total = true;
		m->inbox_count = (uint64_t)num(in, "count");
	}
	if (!cJSON_IsArray(users))
		return;
	m->have_users = true;
	m->n_users = 0;
	m->users = xrealloc(m->users, MONITOR_USERS_MAX * sizeof(*m->users));
	cJSON_ArrayForEach(u, users)
	{
		if (m->n_users == MONITOR_USERS_MAX)
			break;
		COPY(m->users[m->n_users].user, str(u, "user"));
		m->users[m->n_users++].count = (uint64_t)num(u, "count");
	}
	qsort(m->users, m->n_users, sizeof(*m->users), user_cmp);
}

static void log_add(struct monitor_model *m, int64_t time, const char *text)
{
	if (m->log_n == MONITOR_LOG_MAX) {
		free(m->log[m->log_first].text);
		m->log_first = (m->log_first + 1) % MONITOR_LOG_MAX;
		m->log_n--;
	}
	struct monitor_item *it = &m->log[(m->log_first + m->log_n++) % MONITOR_LOG_MAX];
	it->time = time;
	it->text = xstrdup(text);
}

void monitor_model_snapshot(struct monitor_model *m, const void *json, int64_t now)
{
	const cJSON *o = json, *x;
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "out_queue");
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(o, "inboxes");
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(o, "activity");

	COPY(m->version, str(o, "version"));
	m->uptime_s = (uint64_t)num(o, "uptime_s");
	m->uptime_at = now;
	m->sessions = (uint32_t)num(o, "sessions");
	conn_snapshot(m, cJSON_GetObjectItemCaseSensitive(o, "connection"));
	m->have_queue = cJSON_IsObject(q);
	m->queue_count = (uint64_t)num(q, "count");
	m->queue_held = (uint64_t)num(q, "held");
	if (cJSON_IsObject(in))
		inboxes_set(m, in);
	m->mine = (uint64_t)num(cJSON_GetObjectItemCaseSensitive(o, "mine"), "count");
	m->have_log = cJSON_IsArray(log);
	log_clear(m);
	cJSON_ArrayForEach(x, log)
	log_add(m, (int64_t)num(x, "time"), str(x, "text"));
}

static void on_progress(struct monitor_model *m, const cJSON *o)
{
	struct monitor_method *x = method_get(m, str(o, "method"));

	if (x == NULL)
		return;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "final"))) {
		x->total = x->done = x->bytes = 0, x->job[0] = '\0'; /* that job ended */
		return;
	}
	COPY(x->job, str(o, "job"));
	x->done = (uint64_t)num(o, "done");
	x->total = (uint64_t)num(o, "total");
	x->bytes = (uint64_t)num(o, "bytes");
}

bool monitor_model_event(struct monitor_model *m, const void *json)
{
	const cJSON *o = json;
	const char *ev = str(o, "event");

	if (strcmp(ev, "activity") == 0) {
		log_add(m, (int64_t)num(o, "time"), str(o, "text"));
	} else if (strcmp(ev, "connection") == 0) {
		struct monitor_method *x = method_get(m, str(o, "method"));
		if (x == NULL)
			return false;
		method_set(x, o);
		conn_summary(m);
	} else if (strcmp(ev, "progress") == 0) {
		on_progress(m, o);
	} else if (strcmp(ev, "queue") == 0) {
		m->queue_count = (uint64_t)num(o, "out_queue");
		m->queue_held = (uint64_t)num(o, "held");
	} else if (strcmp(ev, "inboxes") == 0) {
		inboxes_set(m, o);
	} else if (strcmp(ev, "im") == 0) {
		monitor_model_im(m, (int64_t)num(o, "time"), str(o, "from"), str(o, "text"), false);
	} else {
		return false;
	}
	return true;
}

void monitor_model_im(struct monitor_model *m, int64_t time, const char *peer, const char *text,
		      bool outgoing)
{
	if (m->ims_n == MONITOR_IMS_MAX) {
		free(m->ims[m->ims_first].text);
		m->ims_first = (m->ims_first + 1) % MONITOR_IMS_MAX;
		m->ims_n--;
	}
	struct monitor_im *im = &m->ims[(m->ims_first + m->ims_n++) % MONITOR_IMS_MAX];
	im->time = time;
	COPY(im->peer, peer);
	im->text = xstrdup(text);
	im->outgoing = outgoing;
}

const struct monitor_item *monitor_model_log_at(const struct monitor_model *m, size_t i)
{
	return &m->log[(m->log_first + i) % MONITOR_LOG_MAX];
}

const struct monitor_im *monitor_model_im_at(const struct monitor_model *m, size_t i)
{
	return &m->ims[(m->ims_first + i) % MONITOR_IMS_MAX];
}

int monitor_model_check(const struct monitor_model *m, const struct monitor_check *c, char *out,
			size_t size)
{
	static const char *const word[] = { "OK", "WARNING", "CRITICAL" };
	int rc = 0;
	bool poll_failed = strcmp(m->last_poll_result, "some failed") == 0 ||
			   strcmp(m->last_poll_result, "all failed") == 0;

	if (c->warn_queue != 0 && m->queue_count >= c->warn_queue)
		rc = 1;
	if ((c->crit_queue != 0 && m->queue_count >= c->crit_queue) ||
	    (c->crit_poll_failed && poll_failed))
		rc = 2;
	snprintf(out, size,
		 "PILLARBOX %s - out queue %llu (held %llu), last poll %s, inboxes %llu | "
		 "queue=%llu;%llu;%llu held=%llu inboxes=%llu",
		 word[rc], (unsigned long long)m->queue_count, (unsigned long long)m->queue_held,
		 m->have_conn ? m->last_poll_result : "unknown",
		 (unsigned long long)m->inbox_count, (unsigned long long)m->queue_count,
		 (unsigned long long)c->warn_queue, (unsigned long long)c->crit_queue,
		 (unsigned long long)m->queue_held, (unsigned long long)m->inbox_count);
	return rc;
}
