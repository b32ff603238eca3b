/*
 * pb-lua-env.c: what a routing script sees — the safe libraries with the dangerous parts
 * removed or wrapped, the facts (msg, user, now) and the actions (keep, deliver, forward,
 * redirect, no_assistants, no_forwarding, log) that fill the run's decision.
 * docs/routing-scripts.md documents it.
 *
 * Wrapped because C code runs outside the instruction hook: string.rep (an empty string
 * repeated 2^62 times loops without allocating), the pattern functions (backtracking can cost
 * n^k steps; charged against a pattern budget), table.insert/remove/move/concat/sort (loops
 * over a length a __len metamethod may inflate; charged against the instruction budget),
 * pcall/xpcall/load (they must not swallow an exhausted budget or memory cap), setmetatable
 * (no __gc: finalizers would run outside the script's time), collectgarbage ("count" only).
 *
 * OWNS: nothing; actions write into the run's struct pb_lua_decision.
 * THREAD: the thread running the script.
 */
#include "pb-alloc.h"
#include "pb-lua-private.h"

#include <lauxlib.h>
#include <lualib.h>
#include <string.h>
#include <strings.h>

/* Points the run's line at the Lua code calling this C function, for its error. */
static void caller_line(lua_State *L)
{
	lua_Debug ar;

	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) && ar.currentline > 0)
		pb_lua_run_of(L)->line = ar.currentline;
}

/* Charges n instructions to the run (C loops the hook cannot see); a charge past the budget
 * is refused, not counted. */
static void charge(lua_State *L, uint64_t n)
{
	struct pb_lua_run *run = pb_lua_run_of(L);

	char why[96];

	if (run->steps <= run->budget && n <= run->budget - run->steps) {
		run->steps += n;
		return;
	}
	caller_line(L);
	snprintf(why, sizeof(why), "instruction budget of %llu exhausted",
		 (unsigned long long)run->budget);
	pb_lua_fatal(L, why);
}

/* Calls the wrapped original (upvalue 1) with this call's arguments; returns its results. */
static int call_original(lua_State *L)
{
	int n = lua_gettop(L);

	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, LUA_MULTRET);
	return lua_gettop(L);
}

static int sb_rep(lua_State *L)
{
	size_t l, lsep = 0;

	luaL_checklstring(L, 1, &l);
	lua_Integer n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n > 0 && l + lsep == 0) {
		lua_pushliteral(L, "");
		return 1;
	}
	return call_original(L);
}

/* The index just past the set starting at p[i] == '['. */
static size_t set_end(const char *p, size_t len, size_t i)
{
	i++;
	if (i < len && p[i] == '^')
		i++;
	if (i < len && p[i] == ']')
		i++;
	while (i < len && p[i] != ']')
		i += p[i] == '%' ? 2 : 1;
	return i;
}

/* How many places in the pattern can backtrack: quantifiers, %b and back-references. */
static unsigned pattern_repeats(const char *p, size_t len)
{
	unsigned q = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '%' && i + 1 < len) {
			char e = p[++i];
			if (e == 'b' || (e >= '0' && e <= '9'))
				q++;
			if (e == 'b')
				i += 2;
			else if (e == 'f' && i + 1 < len && p[i + 1] == '[')
				i = set_end(p, len, i + 1);
		} else if (p[i] == '[') {
			i = set_end(p, len, i);
		} else if (strchr("*-+?", p[i]) != NULL) {
			q++;
		}
	}
	return q;
}

/* Worst-case steps of matching a pattern with q repeats over n bytes: the start positions
 * (1 when anchored) times the ways to place q repeats, C(n + q, q); saturating. */
static uint64_t pattern_cost(size_t n, unsigned q, bool anchored)
{
	const uint64_t cap = PB_LUA_PATTERN_BUDGET * 16;
	uint64_t cost = 1;

	for (unsigned k = 1; k <= q && cost < cap; k++)
		cost = cost > cap / (n + k) ? cap : cost * (n + k) / k;
	if (!anchored)
		cost = cost > cap / (n + 1) ? cap : cost * (n + 1);
	return cost < cap ? cost : cap;
}

/* string.find/match/gmatch/gsub: charges the pattern's worst case, then calls the original. */
static int sb_pattern(lua_State *L)
{
	struct pb_lua_run *run = pb_lua_run_of(L);
	size_t n, plen;

	luaL_checklstring(L, 1, &n);
	const char *p = luaL_checklstring(L, 2, &plen);
	bool plain = lua_toboolean(L, lua_upvalueindex(2)) && lua_toboolean(L, 4);
	if (!plain) {
		run->pattern_cost += pattern_cost(n, pattern_repeats(p, plen), p[0] == '^');
		if (run->pattern_cost > PB_LUA_PATTERN_BUDGET) {
			char why[96];

			caller_line(L);
			snprintf(why, sizeof(why), "string pattern budget of %llu steps exhausted",
				 (unsigned long long)PB_LUA_PATTERN_BUDGET);
			return pb_lua_fatal(L, why);
		}
	}
	return call_original(L);
}

/* table functions whose C loops run over a length: charge it first. */
static int sb_table_len(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_Integer n = luaL_len(L, 1);
	charge(L, n > 0 ? (uint64_t)n : 0);
	return call_original(L);
}

static int sb_table_move(lua_State *L)
{
	lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
	if (e >= f)
		charge(L, (uint64_t)e - (uint64_t)f + 1);
	return call_original(L);
}

static int sb_pcall(lua_State *L)
{
	luaL_checkany(L, 1);
	int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	if (status == LUA_ERRMEM)
		pb_lua_fatal_memory(L);
	pb_lua_check_fatal(L);
	lua_pushboolean(L, status == LUA_OK);
	lua_insert(L, 1);
	return lua_gettop(L);
}

/* xpcall(f, h, ...): h is called after f failed, not at the point of the error: Lua calls a
 * message handler with hooks off when the error comes from the count hook, and a handler
 * that loops would then run forever. (Without the debug library a handler cannot see the
 * failed stack anyway.) */
static int sb_xpcall(lua_State *L)
{
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_insert(L, 1);    /* h, f, h, args... */
	lua_remove(L, 3);    /* h, f, args... */
	int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
	if (status == LUA_ERRMEM)
		pb_lua_fatal_memory(L);
	pb_lua_check_fatal(L);
	if (status == LUA_OK) {
		lua_pushboolean(L, 1);
		lua_replace(L, 1);
		return lua_gettop(L);
	}
	lua_call(L, 1, 1); /* h(error) */
	lua_pushboolean(L, 0);
	lua_insert(L, -2);
	return 2;
}

/* load(chunk [, name [, mode [, env]]]): always mode "t". A chunk failing for memory is
 * not a result the script may carry on from. */
static int sb_load(lua_State *L)
{
	if (lua_gettop(L) < 3)
		lua_settop(L, 3);
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	int n = call_original(L);
	if (n >= 2 && lua_isnil(L, 1) && lua_type(L, 2) == LUA_TSTRING &&
	    strcmp(lua_tostring(L, 2), "not enough memory") == 0)
		pb_lua_fatal_memory(L);
	pb_lua_check_fatal(L);
	return n;
}

static int sb_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc metamethods are not allowed");
		lua_pop(L, 1);
	}
	return call_original(L);
}

static int sb_collectgarbage(lua_State *L)
{
	const char *opt = luaL_optstring(L, 1, "collect");

	if (strcmp(opt, "count") != 0)
		return luaL_error(L, "collectgarbage: only \"count\" is allowed");
	int kb = lua_gc(L, LUA_GCCOUNT), b = lua_gc(L, LUA_GCCOUNTB);
	lua_pushnumber(L, (lua_Number)kb + (lua_Number)b / 1024);
	return 1;
}

/* Replaces table[field] (table on the top of the stack) by fn wrapping the original;
 * extra is a second upvalue (nil when unused). */
static void wrap(lua_State *L, const char *field, lua_CFunction fn, bool extra)
{
	lua_getfield(L, -1, field);
	lua_pushboolean(L, extra);
	lua_pushcclosure(L, fn, 2);
	lua_setfield(L, -2, field);
}

static void remove_field(lua_State *L, const char *field)
{
	lua_pushnil(L);
	lua_setfield(L, -2, field);
}

/* base (global table on top), string and table, made safe. */
static void env_restrict(lua_State *L)
{
	static const char *const removed[] = { "dofile", "loadfile", "print", "warn" };

	for (size_t i = 0; i < PB_N_ELEMENTS(removed); i++)
		remove_field(L, removed[i]);
	wrap(L, "load", sb_load, false);
	wrap(L, "pcall", sb_pcall, false);
	wrap(L, "xpcall", sb_xpcall, false);
	wrap(L, "setmetatable", sb_setmetatable, false);
	wrap(L, "collectgarbage", sb_collectgarbage, false);

	lua_getfield(L, -1, "string");
	remove_field(L, "dump");
	wrap(L, "rep", sb_rep, false);
	wrap(L, "find", sb_pattern, true);
	wrap(L, "match", sb_pattern, false);
	wrap(L, "gmatch", sb_pattern, false);
	wrap(L, "gsub", sb_pattern, false);
	lua_pop(L, 1);

	lua_getfield(L, -1, "table");
	wrap(L, "insert", sb_table_len, false);
	wrap(L, "remove", sb_table_len, false);
	wrap(L, "concat", sb_table_len, false);
	wrap(L, "sort", sb_table_len, false);
	wrap(L, "move", sb_table_move, false);
	lua_pop(L, 1);

	/* getmetatable("") answers false: the string metatable stays out of reach. */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
}

int pb_lua_env_open(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base },        { LUA_STRLIBNAME, luaopen_string },
		{ LUA_TABLIBNAME, luaopen_table },  { LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
	};

	for (size_t i = 0; i < PB_N_ELEMENTS(libs); i++) {
		luaL_requiref(L, libs[i].name, libs[i].func, 1);
		lua_pop(L, 1);
	}
	lua_pushglobaltable(L);
	env_restrict(L);
	pb_lua_env_facts(L);
	pb_lua_env_actions(L);
	lua_pop(L, 1);
	return 0;
}
