/*
 * scheduler-client.h: the scheduler's typed client stub (connection methods), and the builders
 * of the answers the job actors give it. Conventions: pb-client.h (synchronous calls return 0
 * with *code_r, -1 when nobody answered; OUT_r set only on PB_OK and the caller's to free).
 *
 * The job protocol (what "collector" and "queue" must answer; msg-types.def):
 *   SCHED_RUN_REQ { method, kind "collect"|"send", job, deadline_ms }
 *     -> SCHED_RUN_REP { code PB_OK, error "", summary } when the job is done (ok or not:
 *        code != PB_OK with the reason in error), or CORE_STATUS_REP for a refusal;
 *   SCHED_WAITING_REQ { method } -> SCHED_WAITING_REP { code, error, waiting } (the queue);
 *   SCHED_HANGUP_EVT { method }: stop that method's jobs (the scheduler has ended the run).
 * THREAD: the caller's.
 */
#ifndef SCHEDULER_CLIENT_H
#define SCHEDULER_CLIENT_H

#include "pb-client.h"
#include "pb-runtime.h"

#define SCHED_CONTROL_PAUSE 0
#define SCHED_CONTROL_RESUME 1
#define SCHED_CONTROL_NOW 2
#define SCHED_CONTROL_HANGUP 3

#define SCHED_JOB_COLLECT "collect"
#define SCHED_JOB_SEND "send"

/* Adds method name running collectors (borrowed) and, with send, the sending of queued mail,
 * on the rules (borrowed, 1..8). */
int scheduler_client_add(struct pb_sync *t, const char *name, bool send,
			 const struct pb_strv *collectors, const struct pb_rec_sched_rule_list *rules,
			 uint32_t *code_r, const char **error_r);
/* Changes method name's settings to these (all of them, as add's; NOTFOUND: no such method);
 * its pause state and last outcome stay. */
int scheduler_client_set(struct pb_sync *t, const char *name, bool send,
			 const struct pb_strv *collectors, const struct pb_rec_sched_rule_list *rules,
			 uint32_t *code_r, const char **error_r);
int scheduler_client_del(struct pb_sync *t, const char *name, uint32_t *code_r,
			 const char **error_r);
/* Every method (name NULL or "") or one, into *methods_r (the caller clears it). */
int scheduler_client_list(struct pb_sync *t, const char *name, uint32_t *code_r,
			  struct pb_rec_sched_method_list *methods_r, const char **error_r);
/* Pause, resume, connect now or hang up (SCHED_CONTROL_*) method name. */
int scheduler_client_control(struct pb_sync *t, const char *name, uint8_t what, uint32_t *code_r,
			     const char **error_r);
/* The same, asynchronous (a status session): sent through s, the answer decoded by _reply
 * (list: *methods_r moved out of rep on PB_OK, the caller clears it). */
int scheduler_client_list_send(const struct pb_sender *s, const char *name, const char **error_r);
uint32_t scheduler_client_list_reply(struct pb_msg *rep, struct pb_rec_sched_method_list *methods_r,
				     const char **error_r);
int scheduler_client_control_send(const struct pb_sender *s, const char *name, uint8_t what,
				  const char **error_r);
uint32_t scheduler_client_control_reply(struct pb_msg *rep, const char **error_r);

/* The job requests the scheduler sends (asynchronous; to = "collector" or "queue"). */
int scheduler_client_run_send(const struct pb_sender *s, const char *to, const char *method,
			      const char *kind, const char *job, uint32_t deadline_ms,
			      const char **error_r);
/* The status of an answer to SCHED_RUN_REQ; *summary_r points into rep ("" if none). */
uint32_t scheduler_client_run_reply(struct pb_msg *rep, const char **summary_r,
				    const char **error_r);
int scheduler_client_waiting_send(const struct pb_sender *s, const char *to, const char *method,
				  const char **error_r);
uint32_t scheduler_client_waiting_reply(struct pb_msg *rep, uint64_t *waiting_r,
					const char **error_r);

/* For the job actors: their answers, built into *rep_r (sent with pb_reply, then freed). */
void scheduler_job_run_answer(struct pb_msg *rep_r, uint32_t code, const char *error,
			      const char *summary);
void scheduler_job_waiting_answer(struct pb_msg *rep_r, uint32_t code, const char *error,
				  uint64_t waiting);

/* A SCHED_RUN_REQ answered later (when its job ends): what the answer needs, and the method. */
struct scheduler_job_waiter {
	uint64_t corr;
	char *reply_to; /* owned */
	char *method;   /* owned */
};
/* Keeps req's return address in *w_r and marks the current request as answered later
 * (pb_actor_defer_reply). Call from req's handler. */
void scheduler_job_keep(struct pb_actor *a, const struct pb_msg *req,
			struct scheduler_job_waiter *w_r);
/* Answers the kept request (scheduler_job_run_answer) and frees *w. */
void scheduler_job_answer(struct pb_actor *a, struct scheduler_job_waiter *w, uint32_t code,
			  const char *error, const char *summary);

#endif
