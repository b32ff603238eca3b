/*
 * sys-seclog.c: the security log read back for GET /api/logs/security — a bounded read from
 * the end of the file (pb-log-read.h), newest first, a page at a time, filtered by user and
 * address. The sys actor reads it because it is a thread that may block on a local file (the
 * web hub may not). Its lines hold client text already quoted (PB_LOGQ).
 * OWNS: nothing. THREAD: the sys actor's.
 * MESSAGES: handles SYS_SECURITY_LOG_REQ (SYS_SECURITY_LOG_REP).
 */
#include "sys-private.h"

#include "pb-log-read.h"
#include "pb-log.h"

#include <fcntl.h>
#include <unistd.h>

#define SYS_SECLOG_MAX 1000

static void add_line(const struct pb_log_read_line *l, void *ctx)
{
	struct pb_rec_security_line *e = pb_rec_security_line_push(ctx);

	e->offset = l->offset;
	e->time_ms = l->time_ms;
	e->module = xstrndup(l->module, l->module_len);
	e->text = xstrndup(l->text, l->text_len);
}

int sys_on_security_log(struct pb_actor *a, void *state, struct pb_msg *m)
{
	const struct msg_sys_security_log_req *q = &m->u.sys_security_log_req;
	bool shared;
	const char *path = pb_log_security_file(&shared), *error;
	struct pb_log_read_filter f = { q->user[0] != '\0' ? q->user : NULL,
					q->ip[0] != '\0' ? q->ip : NULL,
					shared ? "security." : NULL };
	struct pb_msg rep;

	if (q->limit == 0 || q->limit > SYS_SECLOG_MAX) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "limit is 1 to 1000");
		return 0;
	}
	int fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0) {
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "the security log is not a file");
		return 0;
	}
	pb_msg_init(&rep, MSG_SYS_SECURITY_LOG_REP);
	struct msg_sys_security_log_rep *r = &rep.u.sys_security_log_rep;
	int rc = pb_log_read_back(fd, q->before != 0 ? q->before : UINT64_MAX, q->limit, &f,
				  add_line, &r->lines, &r->next, &error);
	close(fd);
	if (rc < 0) {
		pb_msg_free(&rep);
		pb_reply_status(a, m, PB_ERR_INTERNAL, error);
		return 0;
	}
	r->error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}
