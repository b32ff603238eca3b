/*
 * sys-script.c: the server's routing script file (user_redirect.lua; docs/routing-scripts.md)
 * read and replaced for GET/PUT /api/scripts-server. The file is the one the router reads
 * (router_lua_server_path of router.user_redirect: the setting's path, else the installed
 * copy); a new text is compiled first (pb_lua_check, refused with "user_redirect.lua:LINE:
 * ...") and written whole beside it then renamed over it, so the router (which reads the file
 * again when its size or mtime changes) never sees half a script. The sys actor does it because
 * it is a thread that may block on a local file (the web hub may not).
 * OWNS: nothing. THREAD: the sys actor's.
 * MESSAGES: handles SYS_SERVER_SCRIPT_REQ (SYS_SERVER_SCRIPT_REP).
 */
#include "sys-private.h"

#include "pb-lua.h"
#include "pb-log.h"
#include "router-lua.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SYS_SCRIPT_NAME "user_redirect.lua"

/* Writes len bytes of text to path through path.new (fsynced, renamed over path). 0, or -1 with
 * *error_r allocated. */
static int script_write(const char *path, const char *text, size_t len, char **error_r)
{
	char *tmp = xasprintf("%s.new", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t done = 0;

	while (fd >= 0 && done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno != EINTR)
			break;
		done += n > 0 ? (size_t)n : 0;
	}
	int ok = fd >= 0 && done == len && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, path) == 0) {
		free(tmp);
		return 0;
	}
	*error_r = xasprintf("cannot write %s: %s (router.user_redirect may name a file the daemon "
			     "can write)", path, strerror(errno));
	unlink(tmp);
	free(tmp);
	return -1;
}

/* Replaces the file at path with text (checked first). 0, or -1 with *code_r and *error_r. */
static int script_put(const char *path, const char *text, uint32_t *code_r, char **error_r)
{
	size_t len = strlen(text);

	*code_r = PB_ERR_REFUSED;
	if (len > PB_LUA_MAX_SCRIPT) {
		*error_r = xasprintf("a routing script holds at most %d bytes", PB_LUA_MAX_SCRIPT);
		return -1;
	}
	if (pb_lua_check(SYS_SCRIPT_NAME, text, len, error_r) < 0)
		return -1;
	*code_r = PB_ERR_INTERNAL;
	return script_write(path, text, len, error_r);
}

/* Fills r with the file at path: its text, or exists 0 when it is missing. */
static int script_get(const char *path, struct msg_sys_server_script_rep *r, char **error_r)
{
	size_t len;

	if (access(path, F_OK) != 0 && errno == ENOENT) {
		r->text = xstrdup("");
		return 0;
	}
	if (pb_lua_script_read(path, &r->text, &len, error_r) < 0)
		return -1;
	r->exists = 1;
	return 0;
}

int sys_on_server_script(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys *sys = state;
	const struct msg_sys_server_script_req *q = &m->u.sys_server_script_req;
	const char *path = router_lua_server_path(sys->current.router.user_redirect);
	uint32_t code = PB_ERR_INTERNAL;
	char *error = NULL;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_SYS_SERVER_SCRIPT_REP);
	struct msg_sys_server_script_rep *r = &rep.u.sys_server_script_rep;
	int rc = q->put ? script_put(path, q->text, &code, &error) : script_get(path, r, &error);
	if (rc < 0) {
		pb_msg_free(&rep);
		pb_reply_status(a, m, code, error);
		free(error);
		return 0;
	}
	if (q->put) {
		pb_log_security("sys", "event=server_script_set path=%s bytes=%zu by=%s",
				PB_LOGQ(path), strlen(q->text), PB_LOGQ(q->by));
		r->exists = 1;
		r->text = xstrdup(q->text);
	}
	r->error = xstrdup("");
	r->path = xstrdup(path);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}
