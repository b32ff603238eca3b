/*
 * test-lua-sandbox.c: the Lua sandbox under attack — escapes tried (io, os, require, package,
 * debug, dofile, load of bytecode, string.dump, the string metatable, __gc, collectgarbage),
 * bombs (string.rep, concatenation, tables), loops the hook cannot see (string.rep of "",
 * pattern backtracking, table.move, an inflated __len), infinite loops (also inside pcall and
 * an xpcall handler), deep Lua and C recursion, syntax errors: each must end in a clean
 * "t.lua:LINE: reason" error within the instruction budget and the memory cap, the process
 * unharmed. Also: the limits themselves (a tiny cap, an oversized script).
 */
#include "pb-alloc.h"
#include "pb-lua.h"
#include "pb-test.h"

#include <time.h>

struct sandbox_case {
	const char *script;
	const char *error; /* NULL: runs fine; else the exact error text */
};

static const struct sandbox_case cases[] = {
	/* Escapes. */
	{ "io.open('/etc/passwd')", "t.lua:1: attempt to index a nil value (global 'io')" },
	{ "\nos.execute('touch /tmp/pwned')",
	  "t.lua:2: attempt to index a nil value (global 'os')" },
	{ "require('os')", "t.lua:1: attempt to call a nil value (global 'require')" },
	{ "package.loadlib('libc.so.6', 'system')",
	  "t.lua:1: attempt to index a nil value (global 'package')" },
	{ "debug.sethook()", "t.lua:1: attempt to index a nil value (global 'debug')" },
	{ "dofile('/etc/passwd')", "t.lua:1: attempt to call a nil value (global 'dofile')" },
	{ "loadfile('/etc/passwd')", "t.lua:1: attempt to call a nil value (global 'loadfile')" },
	{ "print('x')", "t.lua:1: attempt to call a nil value (global 'print')" },
	{ "assert(coroutine == nil and io == nil and os == nil and utf8 ~= nil)", NULL },
	{ "local f = string.dump(function() end)",
	  "t.lua:1: attempt to call a nil value (field 'dump')" },
	{ "assert(load('\\27LuaT\\0\\25\\147\\r\\n\\26\\n', 'b', 'b'))",
	  "t.lua:1: attempt to load a binary chunk (mode is 't')" },
	{ "local f = assert(load('return 1 + 1')) assert(f() == 2)", NULL },
	{ "assert(getmetatable('') == false and ('x'):upper() == 'X')", NULL },
	{ "local mt = getmetatable('')\nmt.__index = function() end",
	  "t.lua:2: attempt to index a boolean value (local 'mt')" },
	{ "setmetatable({}, {__gc = function() while true do end end})",
	  "t.lua:1: __gc metamethods are not allowed" },
	{ "assert(collectgarbage('count') > 0)\ncollectgarbage('stop')",
	  "t.lua:2: collectgarbage: only \"count\" is allowed" },
	/* Bombs: stopped by the memory cap, at their line, even when a pcall catches them. */
	{ "\nlocal s = string.rep('x', 1 << 30)",
	  "t.lua:2: memory limit of 4194304 bytes exceeded" },
	{ "local s = 'x'\nwhile true do s = s .. s end",
	  "t.lua:2: memory limit of 4194304 bytes exceeded" },
	{ "local t = {}\nwhile true do t[#t + 1] = {1, 2, 3, 4} end",
	  "t.lua:2: memory limit of 4194304 bytes exceeded" },
	{ "local t = {}\nfor i = 1, 1e9 do t[i] = 'x' .. i end",
	  "t.lua:2: memory limit of 4194304 bytes exceeded" },
	{ "while true do\n  pcall(string.rep, 'x', 1 << 30)\nend",
	  "t.lua:2: memory limit of 4194304 bytes exceeded" },
	/* Loops in C, outside the count hook. */
	{ "assert(string.rep('', 1 << 62) == '' and string.rep('', 1 << 62, '') == '')", NULL },
	{ "local s = string.rep('a', 5000)\nstring.find(s, '.-.-.-.-b')",
	  "t.lua:2: string pattern budget of 50000000 steps exhausted" },
	{ "assert(string.match('ann@example.com', '^(.-)@(.*)$') == 'ann')", NULL },
	{ "local s = string.rep('a', 200)\nfor i = 1, 5 do assert(not s:find('.*urgent.*')) end",
	  NULL },
	{ "local s = string.rep('a', 200)\nfor i = 1, 100 do s:find('.*urgent.*') end",
	  "t.lua:2: string pattern budget of 50000000 steps exhausted" },
	/* A '-' inside a set is a range, not a repetition: this costs 5 x C(3002, 2). */
	{ "local s = string.rep('a', 3000)\nfor i = 1, 5 do assert(s:find('^[a-z-]+[-]?$')) end",
	  NULL },
	{ "assert(string.rep('a', 100000):find('aab', 1, true) == nil)", NULL },
	{ "table.move({}, 1, 1 << 40, 2)", "t.lua:1: instruction budget of 1000000 exhausted" },
	{ "local t = setmetatable({}, {__len = function() return 1 << 40 end})\n"
	  "table.insert(t, 1, 1)",
	  "t.lua:2: instruction budget of 1000000 exhausted" },
	/* Infinite loops. */
	{ "local n = 0\nwhile true do n = n + 1 end",
	  "t.lua:2: instruction budget of 1000000 exhausted" },
	{ "while true do\n  pcall(function() while true do end end)\nend",
	  "t.lua:2: instruction budget of 1000000 exhausted" },
	{ "xpcall(error, function()\n  while true do end\nend)",
	  "t.lua:2: instruction budget of 1000000 exhausted" },
	{ "local f = load('while true do end')\nf()",
	  "t.lua:1: instruction budget of 1000000 exhausted" },
	/* Recursion. */
	{ "local function f(n) return f(n + 1) + 1 end\nf(1)",
	  "t.lua:1: memory limit of 4194304 bytes exceeded" },
	{ "local function f() return string.gsub('x', 'x', f) end\nf()",
	  "t.lua:1: C stack overflow" },
	/* Errors. */
	{ "local x = 1\n\nif then end", "t.lua:3: unexpected symbol near 'then'" },
	{ "\nerror({})", "t.lua:2: error object is a table value" },
	{ "\nerror('plain', 0)", "t.lua:2: plain" },
	{ "error(setmetatable({}, {__tostring = function() while true do end end}))",
	  "t.lua:1: error object is a table value" },
	{ "\033LuaT\0", "t.lua: attempt to load a binary chunk (mode is 't')" },
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_cases(void)
{
	struct pb_lua_limits limits;
	struct pb_lua_facts facts = { .user = "ann" };

	pb_lua_limits_default(&limits);
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		const struct sandbox_case *c = &cases[i];
		struct pb_lua_decision d;
		struct timespec t0;
		char *error = NULL;
		size_t len = strlen(c->script);

		if (c->script[0] == '\033')
			len = 6; /* the binary chunk's NUL */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int rc = pb_lua_route("t.lua", c->script, len, &limits, &facts, &d, &error);
		double took = seconds_since(&t0);
		if (c->error == NULL) {
			CHECK_INT(rc, 0);
			CHECK(error == NULL);
		} else {
			CHECK_INT(rc, -1);
			CHECK_STR(error, c->error);
		}
		if (rc != (c->error == NULL ? 0 : -1) ||
		    (error != NULL && c->error != NULL && strcmp(error, c->error) != 0))
			fprintf(stderr, "  case %zu: %s\n", i, c->script);
		CHECK(!d.acted);
		CHECK(d.instructions <= limits.instructions + 1000);
		CHECK(d.mem_peak <= limits.mem_bytes);
		CHECK(took < 10.0); /* generous: ASan; a hung case never returns at all */
		free(error);
		pb_lua_decision_free(&d);
	}
}

/* A cap too small for the libraries fails cleanly, as does an oversized script. */
static void test_limits(void)
{
	struct pb_lua_limits limits = { .mem_bytes = 8192, .instructions = 1000 };
	struct pb_lua_facts facts = { 0 };
	struct pb_lua_decision d;
	char *error = NULL;

	CHECK_INT(pb_lua_route("t.lua", "keep()", 6, &limits, &facts, &d, &error), -1);
	CHECK(error != NULL && strncmp(error, "t.lua: cannot ", 14) == 0);
	CHECK(!d.acted);
	free(error);
	pb_lua_decision_free(&d);

	pb_lua_limits_default(&limits);
	char *big = xmalloc(PB_LUA_MAX_SCRIPT + 2);
	memset(big, ' ', PB_LUA_MAX_SCRIPT + 1);
	big[PB_LUA_MAX_SCRIPT + 1] = '\0';
	error = NULL;
	CHECK_INT(pb_lua_route("t.lua", big, PB_LUA_MAX_SCRIPT + 1, &limits, &facts, &d, &error),
		  -1);
	CHECK_STR(error, "t.lua: script larger than 65536 bytes");
	free(error);
	free(big);
	pb_lua_decision_free(&d);
	/* Exactly at the limit is fine. */
	big = xmalloc(PB_LUA_MAX_SCRIPT + 1);
	memset(big, ' ', PB_LUA_MAX_SCRIPT);
	error = NULL;
	CHECK_INT(pb_lua_route("t.lua", big, PB_LUA_MAX_SCRIPT, &limits, &facts, &d, &error), 0);
	free(error);
	free(big);
	pb_lua_decision_free(&d);
}

/* Compiling is under the cap too: a big table constructor in a small state fails before its
 * first line runs, so the error has no line. */
static void test_compile_memory(void)
{
	struct pb_lua_limits limits = { .mem_bytes = 100000, .instructions = 1000000 };
	struct pb_lua_facts facts = { 0 };
	struct pb_lua_decision d;
	char *error = NULL, *s = xmalloc(60002);
	size_t off = 0;

	off += (size_t)sprintf(s, "return {");
	while (off < 59990)
		off += (size_t)sprintf(s + off, "1,");
	sprintf(s + off, "}");
	CHECK_INT(pb_lua_route("t.lua", s, strlen(s), &limits, &facts, &d, &error), -1);
	CHECK_STR(error, "t.lua: memory limit of 100000 bytes exceeded");
	CHECK(d.mem_peak <= limits.mem_bytes);
	free(error);
	pb_lua_decision_free(&d);
	/* The same text fits the default cap. */
	pb_lua_limits_default(&limits);
	error = NULL;
	CHECK_INT(pb_lua_route("t.lua", s, strlen(s), &limits, &facts, &d, &error), 0);
	free(error);
	free(s);
	pb_lua_decision_free(&d);
}

/* A long error text is cut; a small instruction budget is honoured. */
static void test_error_bounds(void)
{
	struct pb_lua_limits limits;
	struct pb_lua_facts facts = { 0 };
	struct pb_lua_decision d;
	char *error = NULL;
	const char *s = "error(string.rep('x', 100000))";

	pb_lua_limits_default(&limits);
	CHECK_INT(pb_lua_route("t.lua", s, strlen(s), &limits, &facts, &d, &error), -1);
	CHECK(error != NULL && strlen(error) <= 300 && strncmp(error, "t.lua:1: xxx", 12) == 0);
	free(error);
	pb_lua_decision_free(&d);

	limits.instructions = 5000;
	s = "for i = 1, 10000 do end";
	error = NULL;
	CHECK_INT(pb_lua_route("t.lua", s, strlen(s), &limits, &facts, &d, &error), -1);
	CHECK_STR(error, "t.lua:1: instruction budget of 5000 exhausted");
	CHECK(d.instructions <= 6000);
	free(error);
	pb_lua_decision_free(&d);
}

static const struct pb_test_case tests[] = {
	{ "cases", test_cases },
	{ "limits", test_limits },
	{ "compile_memory", test_compile_memory },
	{ "error_bounds", test_error_bounds },
};

PB_TEST_MAIN(tests)
