/*
 * pb-lua-private.h: what the sandbox host (pb-lua.c) and the script environment
 * (pb-lua-env.c) share about one run. Not for other modules.
 * OWNS: nothing; a struct pb_lua_run lives on pb_lua_route's stack for one run.
 * THREAD: the thread running that script.
 */
#ifndef PB_LUA_PRIVATE_H
#define PB_LUA_PRIVATE_H

#include "pb-lua.h"

#include <lua.h>

/* The count hook fires every PB_LUA_HOOK_STEP VM instructions. */
#define PB_LUA_HOOK_STEP 1000
/* Total backtracking steps (estimated) all string pattern calls of one run may cost. */
#define PB_LUA_PATTERN_BUDGET 50000000ull

struct pb_lua_run {
	const char *name;      /* the script's name, for errors */
	size_t cap;            /* memory cap in bytes */
	size_t used, peak;     /* bytes allocated now and at most */
	uint64_t budget;       /* instructions allowed */
	uint64_t steps;        /* instructions counted so far */
	uint64_t pattern_cost; /* estimated pattern steps spent */
	int line;              /* the line running (line hook); 0 before the first */
	bool fatal;            /* a budget or the cap is exhausted: nothing may catch it */
	char fatal_why[96];    /* its reason, without the position */
	const struct pb_lua_facts *facts;
	struct pb_lua_decision *decision;
	bool redirected;    /* redirect() called: no implicit keep */
	bool chose_folders; /* deliver()/keep() called */
};

/* The run behind L (the allocator's user data). */
struct pb_lua_run *pb_lua_run_of(lua_State *L);
/* Marks the run as exhausted with why and raises "NAME:LINE: why"; does not return. */
int pb_lua_fatal(lua_State *L, const char *why);
/* Marks the run as out of memory and raises its error; does not return. */
int pb_lua_fatal_memory(lua_State *L);
/* Raises the run's fatal error again if it is exhausted; returns otherwise. */
void pb_lua_check_fatal(lua_State *L);

/* Opens the safe libraries, removes and wraps what the sandbox forbids, and sets the
 * globals msg, user, now and the action functions. A lua_CFunction run under lua_pcall
 * (it allocates under the cap); returns 0. */
int pb_lua_env_open(lua_State *L);

/* Sets msg, user and now in the global table on the top of the stack (pb-lua-api.c). */
void pb_lua_env_facts(lua_State *L);
/* Sets keep, deliver, forward, redirect, no_assistants, no_forwarding and log in the global
 * table on the top of the stack. */
void pb_lua_env_actions(lua_State *L);

#endif
