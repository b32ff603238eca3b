/*
 * router-scripts.c: the server script's cache and the scripts' environment (see
 * router-scripts.h).
 * OWNS: struct router_scripts. THREAD: its shard's.
 */
#include "router-scripts.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* Forgets the file (its path, text and when it was looked at); the compiled scripts stay. */
static void forget_file(struct router_scripts *s)
{
	free(s->path);
	free(s->text);
	s->path = s->text = NULL;
	s->len = 0;
	memset(&s->mtime, 0, sizeof(s->mtime));
	s->size = -1;
	s->checked_ms = 0;
	s->failed_logged = false;
}

void router_scripts_deinit(struct router_scripts *s)
{
	forget_file(s);
	pb_lua_cache_free(s->cache);
	memset(s, 0, sizeof(*s));
}

/* Forgets the text; logs why once per failure. */
static void server_failed(struct router_scripts *s, const char *why)
{
	free(s->text);
	s->text = NULL;
	s->len = 0;
	memset(&s->mtime, 0, sizeof(s->mtime));
	s->size = -1;
	if (!s->failed_logged)
		pb_warn("router", "event=server_script_absent path=%s reason=%s", PB_LOGQ(s->path),
			PB_LOGQ(why));
	s->failed_logged = true;
}

void router_scripts_server(struct router_scripts *s, const char *path, int64_t now_ms)
{
	struct stat st;

	if (s->path == NULL || strcmp(s->path, path) != 0) {
		forget_file(s);
		s->path = xstrdup(path);
	} else if (s->checked_ms != 0 && now_ms - s->checked_ms < ROUTER_SCRIPTS_CHECK_MS &&
		   now_ms >= s->checked_ms) {
		return;
	}
	s->checked_ms = now_ms != 0 ? now_ms : 1;
	if (stat(path, &st) < 0)
		return server_failed(s, strerror(errno));
	if (s->text != NULL && st.st_size == s->size && st.st_mtim.tv_sec == s->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == s->mtime.tv_nsec)
		return;
	char *text, *error;
	size_t len;
	if (pb_lua_script_read(path, &text, &len, &error) < 0) {
		server_failed(s, error);
		free(error);
		return;
	}
	free(s->text);
	s->text = text;
	s->len = len;
	s->mtime = st.st_mtim;
	s->size = st.st_size;
	s->failed_logged = false;
	pb_info("router", "event=server_script_loaded path=%s bytes=%zu", PB_LOGQ(path), len);
}

void router_scripts_stored(struct router_scripts *s, const char *text)
{
	size_t len = strlen(text);

	if (s->path == NULL && s->text != NULL && s->len == len && memcmp(s->text, text, len) == 0)
		return;
	forget_file(s);
	s->text = xstrdup(text);
	s->len = len;
	pb_info("router", "event=server_script_loaded source=stored bytes=%zu", len);
}

void router_scripts_env(struct router_scripts *s, struct pb_runtime *rt, int64_t now_ms,
			struct router_lua_env *env_r)
{
	const struct pb_settings *st = pb_settings_acquire(rt);
	const char *file = st->router.user_redirect, *stored = pb_settings_server_script(st);

	memset(env_r, 0, sizeof(*env_r));
	if (file[0] == '\0' && stored != NULL)
		router_scripts_stored(s, stored);
	else
		router_scripts_server(s, router_lua_server_path(file),
				      (int64_t)pb_clock_monotonic_ms(NULL));
	env_r->limits.mem_bytes = (size_t)st->router.lua_memory_kb * 1024;
	env_r->limits.instructions = st->router.lua_instructions;
	pb_settings_release(rt, st);
	env_r->server_name = "user_redirect.lua";
	env_r->server_text = s->text;
	env_r->server_len = s->len;
	env_r->now_s = now_ms / 1000;
	if (!s->have_offset || s->offset_minute != env_r->now_s / 60) {
		/* offsets change on minute boundaries; localtime_r reads the zone file's status */
		s->utc_offset_s = pb_lua_local_offset(env_r->now_s - env_r->now_s % 60);
		s->offset_minute = env_r->now_s / 60;
		s->have_offset = true;
	}
	env_r->utc_offset_s = s->utc_offset_s;
	if (s->cache == NULL)
		s->cache = pb_lua_cache_new();
	env_r->cache = s->cache;
}
