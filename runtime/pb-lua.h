/*
 * pb-lua.h: the Lua 5.4 sandbox that runs routing scripts (issue 13 items 3 and 5).
 *
 * A routing script is an administrator's or a user's Lua text run once per recipient: it
 * sees the message's facts (globals `msg`, `user`, `now`) and decides through a few action
 * functions (keep, deliver, forward, redirect, log; no_assistants and no_forwarding switch
 * off parts of the default routing). docs/routing-scripts.md is the script writer's
 * reference; this header is the router's.
 *
 * The sandbox: a fresh lua_State per run (about 24 us of CPU; docs/routing-scripts.md has the
 * measurements), holding only base
 * (without dofile, loadfile, print; load of text only, into the sandbox), string (without
 * dump), table, math and utf8; no io, os, package/require, debug or coroutine; collectgarbage
 * answers "count" only; __gc metamethods are refused. Limits: an instruction budget (a count
 * hook), a memory cap (the state's allocator refuses to grow past it, which also stops
 * string.rep/concat/table bombs), Lua's own C-stack limit for deep recursion, and a cost
 * budget for string patterns (whose backtracking runs in C, outside the count hook). Once a
 * budget or the memory cap is exhausted the run's error cannot be caught by pcall.
 * Every failure comes back as a text "NAME:LINE: reason"; nothing in a script is fatal to
 * the process, and the router delivers as if the script were absent.
 *
 * OWNS: nothing between calls but an optional cache of compiled texts (struct pb_lua_cache);
 * each run's state is created and closed inside pb_lua_route.
 * THREAD: any; runs share nothing, so router threads may run scripts concurrently.
 */
#ifndef PB_LUA_H
#define PB_LUA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults the router uses unless a setting says otherwise. */
#define PB_LUA_DEFAULT_MEM_BYTES (4u * 1024 * 1024)
#define PB_LUA_DEFAULT_INSTRUCTIONS 1000000u
/* The largest script text accepted (bytes). */
#define PB_LUA_MAX_SCRIPT 65536
/* Bounds on one run's decision; a script exceeding an action bound fails (as if absent),
 * log lines past PB_LUA_MAX_LOG are dropped and counted. */
#define PB_LUA_MAX_FOLDERS 16
#define PB_LUA_MAX_ADDRESSES 32
#define PB_LUA_MAX_LOG 32
#define PB_LUA_MAX_LOG_LINE 256

struct pb_lua_limits {
	size_t mem_bytes;      /* the state's memory cap, libraries included (they take ~18 KiB) */
	uint64_t instructions; /* VM instructions (counted in steps of 1000) */
};

/* One of the recipient's settings, in its text form (e.g. "forward_to" = "a@x;b@y"). */
struct pb_lua_setting {
	const char *name;
	const char *value;
};

/* The facts a script sees. All strings are borrowed for the call; NULL reads as "". */
struct pb_lua_facts {
	const char *recipient; /* the address the message was sent to */
	const char *user;      /* the local user it resolved to */
	const char *sender;    /* envelope sender; "" for the null sender */
	const char *subject;   /* decoded to UTF-8; NULL or "" when absent */
	/* subject NULL and subject_fn set: msg.subject is asked of subject_fn(subject_ctx) when
	 * the script first reads it (or iterates msg with pairs) — the router then reads the
	 * message, and not at all for a script that never looks. Its result may be NULL (""). */
	const char *(*subject_fn)(void *ctx);
	void *subject_ctx;
	uint64_t size;         /* message size in bytes */
	int64_t now_s;         /* wall clock, seconds since the epoch (passed in, never read) */
	int32_t utc_offset_s;  /* the server's local UTC offset at now_s: pb_lua_local_offset() */
	const struct pb_lua_setting *settings; /* the user's settings, as `user.NAME` */
	size_t n_settings;
	/* spam scoring (msg.spam_score, nil when unscored; msg.quarantined): the score rspamd
	 * gave and whether it is at or over spam.quarantine_score */
	bool has_spam_score;
	double spam_score;
	bool quarantined;
};

/*
 * What the script decided. acted == false: it called no action (or failed) — route the
 * recipient as if the script were absent. acted == true: the script's decision replaces
 * the recipient's default routing (Forward To, assistants): deliver a copy to each folder
 * (already holding "INBOX" for the implicit keep: kept unless the script called redirect or
 * chose folders itself) and send to each forward address. trace holds the script's log()
 * lines, also when it failed. Every string is owned by the decision.
 * no_assistants / no_forwarding (no_assistants(), no_forwarding()): switch off only the
 * recipient's assistants / own Forward To for this message; they are not actions (acted
 * stays as the other calls make it), so with no action the rest of the recipient's routing
 * applies without them; under an action they change nothing (it replaces both anyway).
 * A failed run leaves them false.
 */
struct pb_lua_decision {
	bool acted;
	bool no_assistants;
	bool no_forwarding;
	char *folders[PB_LUA_MAX_FOLDERS];
	uint32_t n_folders;
	char *forward[PB_LUA_MAX_ADDRESSES];
	uint32_t n_forward;
	char *trace[PB_LUA_MAX_LOG];
	uint32_t n_trace;
	uint32_t n_trace_dropped;
	uint64_t instructions; /* spent, rounded up to the hook's step of 1000 */
	size_t mem_peak;       /* the state's peak allocation in bytes */
};

/* Fills limits with the defaults above. */
void pb_lua_limits_default(struct pb_lua_limits *limits_r);

/*
 * Compiled scripts kept between runs: the bytecode of the last few texts a caller ran (each
 * text compared in full, so a changed script is compiled again). A run with a cache skips
 * compiling a text it has seen — most of a run's cost (bench/lua/bench-lua-route). The
 * bytecode is only ever made here, from a text that compiled as text; no caller-supplied
 * bytecode is ever loaded. OWNS its copies of the texts and their bytecode.
 * THREAD: one at a time (a router shard keeps its own).
 */
struct pb_lua_cache;

struct pb_lua_cache *pb_lua_cache_new(void);
/* Frees the cache and everything in it; NULL is ignored. */
void pb_lua_cache_free(struct pb_lua_cache *cache);

/*
 * Runs the script text (source, len bytes; compiled as text, never loaded as bytecode from
 * anywhere but the cache below) named name
 * (e.g. "user_redirect.lua", used in errors and traces) on facts, within limits.
 * Returns 0 with *decision_r filled (acted may be false), or -1 with *error_r a newly
 * allocated "NAME:LINE: reason" (the caller frees it) and *decision_r holding acted == false
 * and the trace lines logged before the failure. Either way the caller releases *decision_r
 * with pb_lua_decision_free. Never aborts on anything the script does.
 */
int pb_lua_route(const char *name, const char *source, size_t len,
		 const struct pb_lua_limits *limits, const struct pb_lua_facts *facts,
		 struct pb_lua_decision *decision_r, char **error_r);
/* pb_lua_route with the text's bytecode taken from, or added to, cache (NULL: none). */
int pb_lua_route_cached(struct pb_lua_cache *cache, const char *name, const char *source,
			size_t len, const struct pb_lua_limits *limits,
			const struct pb_lua_facts *facts, struct pb_lua_decision *decision_r,
			char **error_r);

/* Compiles the script text (as text, never bytecode) without running it, in a state under the
 * default memory cap: whether it would load. Returns 0, or -1 with *error_r newly allocated
 * "NAME:LINE: reason" (a syntax error with its line; the caller frees it). For an
 * administrator's `script set`, which refuses a text that cannot compile. */
int pb_lua_check(const char *name, const char *source, size_t len, char **error_r);

/* Frees the decision's strings and zeroes it; safe on a zeroed decision. */
void pb_lua_decision_free(struct pb_lua_decision *decision);

/* The server's local UTC offset in seconds at now_s (localtime_r's tm_gmtoff), for
 * pb_lua_facts.utc_offset_s. Reads the time zone, not the clock. */
int32_t pb_lua_local_offset(int64_t now_s);

/* Reads a script file of at most PB_LUA_MAX_SCRIPT bytes. Returns 0 with *text_r (newly
 * allocated, NUL-terminated; the caller frees it) and *len_r, or -1 with *error_r newly
 * allocated (the caller frees it). */
int pb_lua_script_read(const char *path, char **text_r, size_t *len_r, char **error_r);

#endif
