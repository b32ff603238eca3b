/*
 * bench-lua-route.c: what one routing-script run costs — a fresh sandbox state for an empty
 * script (the per-run overhead: state, five libraries, the wrappers, the facts, close), and
 * user_redirect.lua deciding for a listed user, compiled each run and compiled once (the
 * router's cache). Usage: bench-lua-route [SOURCE_DIR [RUNS]].
 * Prints CPU microseconds per run (CPU time: the machine may be busy). Never run by ctest;
 * docs/routing-scripts.md keeps the numbers.
 */
#include "pb-alloc.h"
#include "pb-lua.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs script runs times (compiled once when cache is not NULL); returns microseconds per
 * run, or -1 if a run failed. */
static double bench(struct pb_lua_cache *cache, const char *name, const char *script, size_t len,
		    int runs)
{
	struct pb_lua_limits limits;
	struct pb_lua_setting fwd = { "forward_to", "fwd@example.org" };
	struct pb_lua_facts facts = { .recipient = "sue@example.com", .user = "sue",
				      .sender = "a@b.example", .subject = "hello", .size = 2048,
				      .now_s = 1796299200, .settings = &fwd, .n_settings = 1 };
	double t0 = now_s();

	pb_lua_limits_default(&limits);
	for (int i = 0; i < runs; i++) {
		struct pb_lua_decision d;
		char *error = NULL;

		if (pb_lua_route_cached(cache, name, script, len, &limits, &facts, &d, &error) < 0) {
			fprintf(stderr, "%s\n", error);
			free(error);
			return -1;
		}
		pb_lua_decision_free(&d);
	}
	return (now_s() - t0) * 1e6 / runs;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	int runs = argc > 2 ? atoi(argv[2]) : 20000;
	char *path = xasprintf("%s/scripts/lua/user_redirect.lua", dir), *text, *error;
	size_t len;

	if (pb_lua_script_read(path, &text, &len, &error) < 0) {
		fprintf(stderr, "%s\n", error);
		return 1;
	}
	/* Give sue an entry, as an administrator would: uncomment the example. */
	char *sue = strstr(text, "  -- sue = ");
	char *days = sue != NULL ? strstr(sue, "  --         days") : NULL;
	if (days == NULL) {
		fprintf(stderr, "%s: the example entry for sue is missing\n", path);
		return 1;
	}
	memcpy(sue + 2, "  ", 2);
	memcpy(days + 2, "  ", 2);
	struct pb_lua_cache *cache = pb_lua_cache_new();
	printf("empty script:      %.1f us CPU/run\n", bench(NULL, "empty.lua", "", 0, runs));
	printf("user_redirect.lua: %.1f us CPU/run (%zu bytes)\n",
	       bench(NULL, "user_redirect.lua", text, len, runs), len);
	printf("the same, compiled once (struct pb_lua_cache): %.1f us CPU/run\n",
	       bench(cache, "user_redirect.lua", text, len, runs));
	pb_lua_cache_free(cache);
	free(text);
	free(path);
	return 0;
}
