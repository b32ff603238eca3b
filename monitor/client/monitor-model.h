/*
 * monitor-model.h: what pillarbox-monitor knows of one status server — built from the snapshot
 * reply and kept current by the pushed events (docs/status-protocol.md), and the --check
 * verdict over it. Pure: JSON text in, no I/O, no clock (times are passed in).
 * Bounds: MONITOR_METHODS_MAX methods, MONITOR_USERS_MAX users (more are counted, not kept),
 * the activity log MONITOR_LOG_MAX items (the oldest goes), MONITOR_IMS_MAX instant messages.
 * OWNS: struct monitor_model and its strings. THREAD: the caller's.
 */
#ifndef MONITOR_MODEL_H
#define MONITOR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONITOR_METHODS_MAX 32
#define MONITOR_USERS_MAX 1000
#define MONITOR_LOG_MAX 100
#define MONITOR_IMS_MAX 20

struct monitor_method {
	char name[64], state[16], last_result[16], last_error[160];
	bool paused;
	uint32_t jobs_left;
	int64_t last_poll, next_poll;
	/* the running collector's progress (event "progress"); total 0: not known */
	char job[64];
	uint64_t done, total, bytes;
};

struct monitor_user {
	char user[64];
	uint64_t count;
};

struct monitor_item {
	int64_t time;
	char *text;
};

struct monitor_im {
	int64_t time;
	char peer[64];
	char *text;
	bool outgoing;
};

struct monitor_model {
	char user[128], version[32];
	bool admin;
	uint32_t perms; /* bit i: monitor_perm_names[i] */
	uint64_t uptime_s;
	int64_t uptime_at; /* the caller's clock when uptime_s was read */
	uint32_t sessions;
	bool have_conn, have_queue, have_total, have_users, have_log;
	char conn_state[16], last_poll_result[24];
	int64_t last_poll, next_poll;
	struct monitor_method methods[MONITOR_METHODS_MAX];
	size_t n_methods;
	uint64_t queue_count, queue_held, inbox_count, mine;
	struct monitor_user *users; /* n_users of them, sorted by name */
	size_t n_users;
	struct monitor_item log[MONITOR_LOG_MAX]; /* a ring: log_n items from log_first */
	size_t log_first, log_n;
	struct monitor_im ims[MONITOR_IMS_MAX];
	size_t ims_first, ims_n;
};

/* The status permissions' names in bit order (as the server's). */
extern const char *const monitor_perm_names[8];
enum { MONITOR_PERM_VIEW_CONNECTION, MONITOR_PERM_VIEW_TOTALS, MONITOR_PERM_VIEW_USERS,
       MONITOR_PERM_VIEW_LOG, MONITOR_PERM_CONNECT, MONITOR_PERM_SHUTDOWN,
       MONITOR_PERM_RECEIVE_IM, MONITOR_PERM_SEND_IM };

void monitor_model_init(struct monitor_model *m);
/* Frees the strings; the model may be init'ed again. */
void monitor_model_deinit(struct monitor_model *m);
/* Forgets what the server told (the IMs stay): a new connection's snapshot follows. */
void monitor_model_reset(struct monitor_model *m);

/* A login reply (user, admin, permissions). */
void monitor_model_login(struct monitor_model *m, const void *json);
/* A snapshot reply (a cJSON object, borrowed) at the caller's clock now. */
void monitor_model_snapshot(struct monitor_model *m, const void *json, int64_t now);
/* An event object; returns true when it changed what the screen shows. */
bool monitor_model_event(struct monitor_model *m, const void *json);
/* An instant message sent or received. */
void monitor_model_im(struct monitor_model *m, int64_t time, const char *peer, const char *text,
		      bool outgoing);

/* The log item i (0 oldest .. log_n-1 newest). */
const struct monitor_item *monitor_model_log_at(const struct monitor_model *m, size_t i);
const struct monitor_im *monitor_model_im_at(const struct monitor_model *m, size_t i);

/* --check's thresholds: warn_queue/crit_queue 0 = none. */
struct monitor_check {
	uint64_t warn_queue, crit_queue;
	bool crit_poll_failed;
};
/* The verdict (0 OK, 1 WARNING, 2 CRITICAL) and one line in out (size bytes), with perfdata. */
int monitor_model_check(const struct monitor_model *m, const struct monitor_check *c, char *out,
			size_t size);

#endif
