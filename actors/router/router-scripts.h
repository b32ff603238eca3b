/*
 * router-scripts.h: a router shard's copy of the server's routing script (user_redirect.lua)
 * and the environment the scripts run with (router-lua.h): the budgets from the settings
 * (router.lua_memory_kb, router.lua_instructions) and the clock. The file (router.user_redirect,
 * else the copy installed with the program: PB_USER_REDIRECT_DEFAULT) is read again only when
 * its path, size or mtime changed (a stat per resolution); a missing or unreadable file means no
 * server script and is logged once (again after it came back and went). The accounts' own
 * scripts come with the directory's routing snapshot, cached per generation by the shard.
 * With router.user_redirect empty, a text an administrator stored (actors/sys/sys-script.c)
 * comes with the settings snapshot and wins over the installed copy.
 * OWNS: struct router_scripts (the text and what it was read from). THREAD: its shard's.
 */
#ifndef ROUTER_SCRIPTS_H
#define ROUTER_SCRIPTS_H

#include "pb-runtime.h"
#include "router-lua.h"

#include <sys/types.h>
#include <time.h>

struct router_scripts {
	char *path;          /* the file the text was read from (or found missing); NULL: the
				text is the stored one (router_scripts_stored) or none yet */
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
/* Makes s->text the administrator's stored script text (from the settings snapshot:
 * pb_settings_server_script), copied when it differs from what s holds. */
void router_scripts_stored(struct router_scripts *s, const char *text);
/* Fills *env_r for one resolution at now_ms (wall clock): the budgets of rt's settings and the
 * server script — router.user_redirect's file, else the stored text, else the installed copy
 * (a file read again if it changed). env_r borrows from s until the next call. */
void router_scripts_env(struct router_scripts *s, struct pb_runtime *rt, int64_t now_ms,
			struct router_lua_env *env_r);

#endif
