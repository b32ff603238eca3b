/*
 * router-scripts.h: a router shard's copy of the server's routing script (user_redirect.lua)
 * and the environment the scripts run with (router-lua.h): the budgets from the settings
 * (router.lua_memory_kb, router.lua_instructions) and the clock. The file (router.user_redirect,
 * else the copy installed with the program: PB_USER_REDIRECT_DEFAULT) is read again only when
 * its path, size or mtime changed (a stat per resolution); a missing or unreadable file means no
 * server script and is logged once (again after it came back and went). The accounts' own
 * scripts come with the directory's routing snapshot, cached per generation by the shard.
 * OWNS: struct router_scripts (the text and what it was read from). THREAD: its shard's.
 */
#ifndef ROUTER_SCRIPTS_H
#define ROUTER_SCRIPTS_H

#include "pb-runtime.h"
#include "router-lua.h"

#include <sys/types.h>
#include <time.h>

struct router_scripts {
	char *path;          /* the file the text was read from (or found missing) */
	char *text;          /* NULL: no server script */
	size_t len;
	struct timespec mtime;
	off_t size;
	bool failed_logged;  /* the last failure (missing, unreadable) was logged */
	int64_t checked_ms;  /* monotonic time of the last stat of path (0: never) */
	bool have_offset;      /* utc_offset_s holds for offset_minute */
	int64_t offset_minute; /* wall-clock minute (now_s / 60) utc_offset_s was computed for */
	int32_t utc_offset_s;
	struct pb_lua_cache *cache; /* compiled scripts, the server's and the accounts' */
};

void router_scripts_deinit(struct router_scripts *s);
/* Brings s->text up to date with the file at path: read again when path is another file or its
 * size or mtime changed; NULL (logged once) when it is missing, unreadable or too large. The
 * file is looked at again at most every ROUTER_SCRIPTS_CHECK_MS (now_ms: monotonic) unless
 * path changed. */
#define ROUTER_SCRIPTS_CHECK_MS 1000
void router_scripts_server(struct router_scripts *s, const char *path, int64_t now_ms);
/* Fills *env_r for one resolution at now_ms (wall clock): the budgets of rt's settings and the
 * server script, read again if its file changed. env_r borrows from s until the next call. */
void router_scripts_env(struct router_scripts *s, struct pb_runtime *rt, int64_t now_ms,
			struct router_lua_env *env_r);

#endif
