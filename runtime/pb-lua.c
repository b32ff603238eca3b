/*
 * pb-lua.c: the sandbox host — one lua_State per run, under a memory cap (its allocator)
 * and an instruction budget (a count hook, with a line hook keeping the running line for
 * errors), and the run's errors turned into "NAME:LINE: reason" texts.
 * The script's environment (libraries, facts, actions) is pb-lua-env.c.
 *
 * Why a fresh state per run rather than one reset between runs: a script can change any
 * global, metatable or library table it sees, and proving a reset undoes all of it is
 * harder than starting over. A new state with its libraries costs about 24 us of CPU and
 * user_redirect.lua about 90 us in all, mostly compiling its text (bench/lua/bench-lua-route):
 * a caller that runs the same texts again keeps their bytecode in a struct pb_lua_cache, and a
 * run then loads that instead of compiling.
 *
 * OWNS: nothing between calls. THREAD: any (no global state).
 */
#include "pb-alloc.h"
#include "pb-buf.h"
#include "pb-lua-private.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Longest error text kept from a script (error("...") may carry megabytes). */
#define PB_LUA_MAX_ERROR 300

void pb_lua_limits_default(struct pb_lua_limits *limits_r)
{
	limits_r->mem_bytes = PB_LUA_DEFAULT_MEM_BYTES;
	limits_r->instructions = PB_LUA_DEFAULT_INSTRUCTIONS;
}

/* The state's allocator: refuses to grow past the cap (Lua then collects and retries once,
 * and raises a memory error if that fails); shrinking and freeing always succeed. */
static void *run_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct pb_lua_run *run = ud;
	size_t old = ptr != NULL ? osize : 0;

	if (nsize == 0) {
		free(ptr);
		run->used -= old;
		return NULL;
	}
	if (nsize > old && nsize - old > run->cap - run->used)
		return NULL;
	void *p = realloc(ptr, nsize);
	if (p == NULL)
		return NULL;
	run->used = run->used - old + nsize;
	if (run->used > run->peak)
		run->peak = run->used;
	return p;
}

struct pb_lua_run *pb_lua_run_of(lua_State *L)
{
	void *ud = NULL;

	lua_getallocf(L, &ud);
	return ud;
}

int pb_lua_fatal(lua_State *L, const char *why)
{
	struct pb_lua_run *run = pb_lua_run_of(L);

	if (!run->fatal) {
		run->fatal = true;
		snprintf(run->fatal_why, sizeof(run->fatal_why), "%s", why);
	}
	return luaL_error(L, "%s:%d: %s", run->name, run->line, run->fatal_why);
}

void pb_lua_check_fatal(lua_State *L)
{
	if (pb_lua_run_of(L)->fatal)
		pb_lua_fatal(L, NULL);
}

/* Count events charge the budget; line events record where the script is. Once the run is
 * exhausted every event raises again, so a pcall that caught the error gets no further. */
static void run_hook(lua_State *L, lua_Debug *ar)
{
	struct pb_lua_run *run = pb_lua_run_of(L);

	if (ar->event == LUA_HOOKLINE)
		run->line = ar->currentline;
	else if (ar->event == LUA_HOOKCOUNT)
		run->steps += PB_LUA_HOOK_STEP;
	if (run->steps > run->budget && !run->fatal) {
		char why[96];

		snprintf(why, sizeof(why), "instruction budget of %llu exhausted",
			 (unsigned long long)run->budget);
		pb_lua_fatal(L, why);
	}
	pb_lua_check_fatal(L);
}

/* The memory-limit reason, for a LUA_ERRMEM status. */
static void run_mark_memory(struct pb_lua_run *run)
{
	if (run->fatal)
		return;
	run->fatal = true;
	snprintf(run->fatal_why, sizeof(run->fatal_why), "memory limit of %zu bytes exceeded",
		 run->cap);
}

int pb_lua_fatal_memory(lua_State *L)
{
	run_mark_memory(pb_lua_run_of(L));
	return pb_lua_fatal(L, NULL);
}

/* "NAME:LINE: reason", or "NAME: reason" before the first line ran (compiling). */
static char *run_error_at(const struct pb_lua_run *run, const char *reason, int len)
{
	if (run->line == 0)
		return xasprintf("%s: %.*s", run->name, len, reason);
	return xasprintf("%s:%d: %.*s", run->name, run->line, len, reason);
}

/* The error of a failed pcall or load (on the top of L) as "NAME:LINE: reason"; a message
 * Lua already placed (syntax and runtime errors) is kept as it is, cut to a bound. */
static char *run_error_text(lua_State *L, struct pb_lua_run *run, int status)
{
	char what[64];

	if (status == LUA_ERRMEM)
		run_mark_memory(run);
	if (run->fatal)
		return run_error_at(run, run->fatal_why, (int)strlen(run->fatal_why));
	if (lua_type(L, -1) != LUA_TSTRING) {
		snprintf(what, sizeof(what), "error object is a %s value", luaL_typename(L, -1));
		return run_error_at(run, what, (int)strlen(what));
	}
	size_t len, name_len = strlen(run->name);
	const char *msg = lua_tolstring(L, -1, &len);
	int cut = len > PB_LUA_MAX_ERROR ? PB_LUA_MAX_ERROR : (int)len;
	if (len > name_len && memcmp(msg, run->name, name_len) == 0 && msg[name_len] == ':')
		return xasprintf("%.*s", cut, msg);
	return run_error_at(run, msg, cut);
}

/* ---- compiled texts ---- */

#define PB_LUA_CACHE_SLOTS 16

struct pb_lua_cached {
	char *chunkname; /* "=NAME": the bytecode carries it (errors name it) */
	char *text;      /* NULL: an empty slot */
	size_t len;
	struct pb_buf code; /* lua_dump of the text's main function, debug information kept */
};

struct pb_lua_cache {
	struct pb_lua_cached slot[PB_LUA_CACHE_SLOTS];
	unsigned int next; /* the slot the next miss replaces (round robin) */
};

struct pb_lua_cache *pb_lua_cache_new(void)
{
	return xcalloc(1, sizeof(struct pb_lua_cache));
}

void pb_lua_cache_free(struct pb_lua_cache *c)
{
	if (c == NULL)
		return;
	for (unsigned int i = 0; i < PB_LUA_CACHE_SLOTS; i++) {
		free(c->slot[i].chunkname);
		free(c->slot[i].text);
		pb_buf_deinit(&c->slot[i].code);
	}
	free(c);
}

static const struct pb_lua_cached *cache_find(const struct pb_lua_cache *c,
					      const char *chunkname, const char *text, size_t len)
{
	for (unsigned int i = 0; c != NULL && i < PB_LUA_CACHE_SLOTS; i++)
		if (c->slot[i].text != NULL && c->slot[i].len == len &&
		    strcmp(c->slot[i].chunkname, chunkname) == 0 &&
		    memcmp(c->slot[i].text, text, len) == 0)
			return &c->slot[i];
	return NULL;
}

static int dump_writer(lua_State *L, const void *p, size_t size, void *ud)
{
	(void)L;
	pb_buf_append(ud, p, size);
	return 0;
}

/* Keeps the bytecode of the function on the top of L (just compiled from text). */
static void cache_add(struct pb_lua_cache *c, lua_State *L, const char *chunkname,
		      const char *text, size_t len)
{
	struct pb_lua_cached *e = &c->slot[c->next];

	c->next = (c->next + 1) % PB_LUA_CACHE_SLOTS;
	free(e->chunkname);
	e->chunkname = NULL;
	free(e->text);
	pb_buf_deinit(&e->code);
	pb_buf_init(&e->code);
	e->text = NULL;
	if (lua_dump(L, dump_writer, &e->code, 0) != 0) {
		pb_buf_deinit(&e->code);
		pb_buf_init(&e->code);
		return;
	}
	e->chunkname = xstrdup(chunkname);
	e->text = xmemdup(text, len);
	e->len = len;
}

/* Pushes the compiled text: the cache's bytecode of the same text, or the text compiled
 * (mode "t") and then kept in the cache. A LUA_* status. */
static int load_chunk(lua_State *L, struct pb_lua_cache *c, const char *chunkname,
		      const char *source, size_t len)
{
	const struct pb_lua_cached *hit = cache_find(c, chunkname, source, len);

	if (hit != NULL)
		return luaL_loadbufferx(L, (const char *)hit->code.data, hit->code.len, chunkname,
					"b");
	int status = luaL_loadbufferx(L, source, len, chunkname, "t");
	if (status == LUA_OK && c != NULL)
		cache_add(c, L, chunkname, source, len);
	return status;
}

/* Sets up the environment, compiles the text (or takes it compiled from the cache) and runs
 * it under the hook. Returns 0, or -1 with *error_r newly allocated. */
static int run_script(lua_State *L, struct pb_lua_run *run, struct pb_lua_cache *cache,
		      const char *source, size_t len, char **error_r)
{
	char chunkname[128];
	int status;

	lua_pushcfunction(L, pb_lua_env_open);
	status = lua_pcall(L, 0, 0, 0);
	if (status != LUA_OK) {
		char *why = run_error_text(L, run, status);

		*error_r = xasprintf("%s: cannot set up the sandbox (%s)", run->name, why);
		free(why);
		return -1;
	}
	snprintf(chunkname, sizeof(chunkname), "=%s", run->name);
	status = load_chunk(L, cache, chunkname, source, len);
	if (status == LUA_OK) {
		lua_sethook(L, run_hook, LUA_MASKCOUNT | LUA_MASKLINE, PB_LUA_HOOK_STEP);
		status = lua_pcall(L, 0, 0, 0);
	}
	if (status != LUA_OK) {
		*error_r = run_error_text(L, run, status);
		return -1;
	}
	return 0;
}

/* Adds the implicit keep, or drops the actions of a failed run (keeping its trace). */
static void decision_finish(struct pb_lua_decision *d, const struct pb_lua_run *run, bool ok)
{
	if (!ok) {
		for (uint32_t i = 0; i < d->n_folders; i++)
			free(d->folders[i]);
		for (uint32_t i = 0; i < d->n_forward; i++)
			free(d->forward[i]);
		d->n_folders = d->n_forward = 0;
		d->acted = d->no_assistants = d->no_forwarding = false;
	} else {
		d->acted = run->chose_folders || run->redirected || d->n_forward > 0;
		if (d->acted && !run->chose_folders && !run->redirected)
			d->folders[d->n_folders++] = xstrdup("INBOX");
	}
	d->instructions = run->steps;
	d->mem_peak = run->peak;
}

int pb_lua_route(const char *name, const char *source, size_t len,
		 const struct pb_lua_limits *limits, const struct pb_lua_facts *facts,
		 struct pb_lua_decision *decision_r, char **error_r)
{
	return pb_lua_route_cached(NULL, name, source, len, limits, facts, decision_r, error_r);
}

int pb_lua_route_cached(struct pb_lua_cache *cache, const char *name, const char *source,
			size_t len, const struct pb_lua_limits *limits,
			const struct pb_lua_facts *facts, struct pb_lua_decision *decision_r,
			char **error_r)
{
	struct pb_lua_run run = {
		.name = name, .cap = limits->mem_bytes, .budget = limits->instructions,
		.facts = facts, .decision = decision_r,
	};
	int rc = -1;

	memset(decision_r, 0, sizeof(*decision_r));
	if (len > PB_LUA_MAX_SCRIPT) {
		*error_r = xasprintf("%s: script larger than %d bytes", name, PB_LUA_MAX_SCRIPT);
		return -1;
	}
	lua_State *L = lua_newstate(run_alloc, &run);
	if (L == NULL) {
		*error_r = xasprintf("%s: cannot create a Lua state within %zu bytes", name,
				     run.cap);
		return -1;
	}
	rc = run_script(L, &run, cache, source, len, error_r);
	lua_sethook(L, NULL, 0, 0);
	lua_close(L);
	decision_finish(decision_r, &run, rc == 0);
	return rc;
}

int pb_lua_check(const char *name, const char *source, size_t len, char **error_r)
{
	struct pb_lua_run run = { .name = name, .cap = PB_LUA_DEFAULT_MEM_BYTES };
	char chunkname[128];

	if (len > PB_LUA_MAX_SCRIPT) {
		*error_r = xasprintf("%s: script larger than %d bytes", name, PB_LUA_MAX_SCRIPT);
		return -1;
	}
	lua_State *L = lua_newstate(run_alloc, &run);
	if (L == NULL) {
		*error_r = xasprintf("%s: cannot create a Lua state", name);
		return -1;
	}
	snprintf(chunkname, sizeof(chunkname), "=%s", name);
	int status = luaL_loadbufferx(L, source, len, chunkname, "t");
	int rc = 0;
	if (status != LUA_OK) {
		*error_r = run_error_text(L, &run, status);
		rc = -1;
	}
	lua_close(L);
	return rc;
}

void pb_lua_decision_free(struct pb_lua_decision *d)
{
	for (uint32_t i = 0; i < d->n_folders; i++)
		free(d->folders[i]);
	for (uint32_t i = 0; i < d->n_forward; i++)
		free(d->forward[i]);
	for (uint32_t i = 0; i < d->n_trace; i++)
		free(d->trace[i]);
	memset(d, 0, sizeof(*d));
}

int32_t pb_lua_local_offset(int64_t now_s)
{
	time_t t = (time_t)now_s;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (int32_t)tm.tm_gmtoff;
}

int pb_lua_script_read(const char *path, char **text_r, size_t *len_r, char **error_r)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = xmalloc(PB_LUA_MAX_SCRIPT + 2);
	size_t n = fread(text, 1, PB_LUA_MAX_SCRIPT + 1, f);
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad || n > PB_LUA_MAX_SCRIPT) {
		*error_r = bad ? xasprintf("%s: read error", path)
			       : xasprintf("%s: larger than %d bytes", path, PB_LUA_MAX_SCRIPT);
		free(text);
		return -1;
	}
	text[n] = '\0';
	*text_r = text;
	*len_r = n;
	return 0;
}
