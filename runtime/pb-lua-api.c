/*
 * pb-lua-api.c: the routing API a script sees — the facts as the globals msg, user and now,
 * and the action functions keep, deliver, forward, redirect, no_assistants, no_forwarding
 * and log, which record into the run's decision (bounded: PB_LUA_MAX_FOLDERS,
 * PB_LUA_MAX_ADDRESSES, PB_LUA_MAX_LOG).
 * docs/routing-scripts.md is the script writer's reference.
 * OWNS: nothing. THREAD: the thread running the script.
 */
#include "pb-alloc.h"
#include "pb-lua-private.h"

#include <lauxlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PB_LUA_MAX_ADDRESS 254
#define PB_LUA_MAX_FOLDER 255

static void set_string(lua_State *L, const char *field, const char *value)
{
	lua_pushstring(L, value != NULL ? value : "");
	lua_setfield(L, -2, field);
}

static void set_int(lua_State *L, const char *field, lua_Integer value)
{
	lua_pushinteger(L, value);
	lua_setfield(L, -2, field);
}

/* now: the server's local date and time at facts->now_s. */
static void facts_now(lua_State *L, const struct pb_lua_facts *f)
{
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	time_t t = (time_t)(f->now_s + f->utc_offset_s);
	struct tm tm;
	char text[32];

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	lua_createtable(L, 0, 11);
	set_int(L, "epoch", f->now_s);
	set_int(L, "year", tm.tm_year + 1900);
	set_int(L, "month", tm.tm_mon + 1);
	set_int(L, "day", tm.tm_mday);
	set_int(L, "hour", tm.tm_hour);
	set_int(L, "min", tm.tm_min);
	set_int(L, "sec", tm.tm_sec);
	set_int(L, "wday", (tm.tm_wday + 6) % 7 + 1);
	set_string(L, "weekday", days[tm.tm_wday % 7]);
	strftime(text, sizeof(text), "%Y%m%d", &tm);
	set_string(L, "date", text);
	strftime(text, sizeof(text), "%H:%M", &tm);
	set_string(L, "time", text);
	lua_setfield(L, -2, "now");
}

/* Sets msg.subject (the table at idx) from the facts' subject_fn, once. */
static void subject_fetch(lua_State *L, int idx)
{
	const struct pb_lua_facts *f = pb_lua_run_of(L)->facts;

	idx = lua_absindex(L, idx);
	lua_pushliteral(L, "subject");
	if (lua_rawget(L, idx) != LUA_TNIL) /* fetched, or set by the script */
		return;
	lua_pop(L, 1);
	const char *subject = f->subject_fn(f->subject_ctx);
	lua_pushstring(L, subject != NULL ? subject : "");
	lua_pushliteral(L, "subject");
	lua_pushvalue(L, -2);
	lua_rawset(L, idx);
}

/* msg's __index: only "subject" is missing on purpose; anything else reads nil. */
static int msg_index(lua_State *L)
{
	const char *key = lua_tostring(L, 2);

	if (lua_type(L, 2) != LUA_TSTRING || strcmp(key, "subject") != 0)
		return lua_pushnil(L), 1;
	subject_fetch(L, 1);
	return 1;
}

/* The raw next, whatever the script made of the global `next`. */
static int msg_next(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 2);
	if (lua_next(L, 1))
		return 2;
	lua_pushnil(L);
	return 1;
}

/* msg's __pairs: the subject fetched first, so an iteration sees every fact. */
static int msg_pairs(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	subject_fetch(L, 1);
	lua_pop(L, 1);
	lua_pushcfunction(L, msg_next);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* The msg table; its subject set, or fetched when first used (pb_lua_facts.subject_fn). */
static void facts_msg(lua_State *L, const struct pb_lua_facts *f)
{
	lua_createtable(L, 0, 7);
	set_string(L, "recipient", f->recipient);
	set_string(L, "user", f->user);
	set_string(L, "sender", f->sender);
	if (f->subject != NULL || f->subject_fn == NULL) {
		set_string(L, "subject", f->subject);
	} else {
		lua_createtable(L, 0, 2);
		lua_pushcfunction(L, msg_index);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, msg_pairs);
		lua_setfield(L, -2, "__pairs");
		lua_setmetatable(L, -2);
	}
	set_int(L, "size", (lua_Integer)f->size);
	lua_pushboolean(L, f->quarantined);
	lua_setfield(L, -2, "quarantined");
	if (f->has_spam_score) {
		lua_pushnumber(L, (lua_Number)f->spam_score);
		lua_setfield(L, -2, "spam_score");
	}
	lua_setfield(L, -2, "msg");
}

void pb_lua_env_facts(lua_State *L)
{
	const struct pb_lua_facts *f = pb_lua_run_of(L)->facts;

	facts_msg(L, f);

	lua_createtable(L, 0, (int)f->n_settings);
	for (size_t i = 0; i < f->n_settings; i++)
		if (f->settings[i].name != NULL)
			set_string(L, f->settings[i].name, f->settings[i].value);
	lua_setfield(L, -2, "user");
	facts_now(L, f);
}

static bool address_valid(const char *a, size_t len)
{
	const char *at = memchr(a, '@', len);

	if (len > PB_LUA_MAX_ADDRESS || at == NULL || at == a || at == a + len - 1 ||
	    memchr(at + 1, '@', len - (size_t)(at - a) - 1) != NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)a[i] <= ' ' || a[i] == 0x7f || strchr("<>()[]\\,;:\"", a[i]))
			return false;
	return true;
}

/* Appends one address to the decision (once, compared without case). */
static void add_address(lua_State *L, const char *a, size_t len)
{
	struct pb_lua_decision *d = pb_lua_run_of(L)->decision;

	if (!address_valid(a, len))
		luaL_error(L, "not a valid address: '%s'", lua_pushlstring(L, a, len > 80 ? 80 : len));
	for (uint32_t i = 0; i < d->n_forward; i++)
		if (strlen(d->forward[i]) == len && strncasecmp(d->forward[i], a, len) == 0)
			return;
	if (d->n_forward == PB_LUA_MAX_ADDRESSES)
		luaL_error(L, "more than %d forward addresses", PB_LUA_MAX_ADDRESSES);
	d->forward[d->n_forward++] = xstrndup(a, len);
}

/* Adds the addresses of one string ("a@x; b@y, c@z"). Returns how many it held. */
static int add_address_list(lua_State *L, const char *s)
{
	int n = 0;

	while (*s != '\0') {
		size_t skip = strspn(s, " \t\r\n;,"), len;
		s += skip;
		len = strcspn(s, " \t\r\n;,");
		if (len > 0) {
			add_address(L, s, len);
			n++;
		}
		s += len;
	}
	return n;
}

/* forward/redirect's argument: a string or an array of strings; at least one address. */
static void take_addresses(lua_State *L)
{
	int n = 0;

	if (lua_type(L, 1) == LUA_TTABLE) {
		for (lua_Integer i = 1; lua_geti(L, 1, i) != LUA_TNIL; i++) {
			if (lua_type(L, -1) != LUA_TSTRING)
				luaL_error(L, "address list item %d is not a string", (int)i);
			n += add_address_list(L, lua_tostring(L, -1));
			lua_pop(L, 1);
		}
	} else {
		n = add_address_list(L, luaL_checkstring(L, 1));
	}
	if (n == 0)
		luaL_error(L, "no address given");
}

static int api_forward(lua_State *L)
{
	take_addresses(L);
	return 0;
}

static int api_redirect(lua_State *L)
{
	take_addresses(L);
	pb_lua_run_of(L)->redirected = true;
	return 0;
}

static void add_folder(lua_State *L, const char *folder, size_t len)
{
	struct pb_lua_run *run = pb_lua_run_of(L);
	struct pb_lua_decision *d = run->decision;

	if (len == 0 || len > PB_LUA_MAX_FOLDER)
		luaL_error(L, "folder name must be 1 to %d bytes", PB_LUA_MAX_FOLDER);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)folder[i] < ' ' || folder[i] == 0x7f)
			luaL_error(L, "folder name holds a control character");
	if (strcasecmp(folder, "INBOX") == 0)
		folder = "INBOX";
	run->chose_folders = true;
	for (uint32_t i = 0; i < d->n_folders; i++)
		if (strcmp(d->folders[i], folder) == 0)
			return;
	if (d->n_folders == PB_LUA_MAX_FOLDERS)
		luaL_error(L, "more than %d folders", PB_LUA_MAX_FOLDERS);
	d->folders[d->n_folders++] = xstrndup(folder, len);
}

static int api_deliver(lua_State *L)
{
	size_t len;
	const char *folder = luaL_optlstring(L, 1, "INBOX", &len);

	if (strlen(folder) != len)
		return luaL_error(L, "folder name holds a NUL byte");
	add_folder(L, folder, len);
	return 0;
}

static int api_keep(lua_State *L)
{
	add_folder(L, "INBOX", 5);
	return 0;
}

/* no_assistants(): the recipient's assistants are not used for this message. */
static int api_no_assistants(lua_State *L)
{
	pb_lua_run_of(L)->decision->no_assistants = true;
	return 0;
}

/* no_forwarding(): the recipient's own Forward To is not used for this message. */
static int api_no_forwarding(lua_State *L)
{
	pb_lua_run_of(L)->decision->no_forwarding = true;
	return 0;
}

/* log(...): one trace line, the arguments as tostring() would show them joined by spaces,
 * control characters as spaces, cut to PB_LUA_MAX_LOG_LINE - 1 bytes on a UTF-8 boundary. */
static int api_log(lua_State *L)
{
	struct pb_lua_decision *d = pb_lua_run_of(L)->decision;
	int n = lua_gettop(L);
	luaL_Buffer b;
	size_t len;

	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, ' ');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	const char *text = lua_tolstring(L, -1, &len);
	if (d->n_trace == PB_LUA_MAX_LOG) {
		d->n_trace_dropped++;
		return 0;
	}
	if (len > PB_LUA_MAX_LOG_LINE - 1) {
		len = PB_LUA_MAX_LOG_LINE - 1;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	char *line = xstrndup(text, len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < ' ' || line[i] == 0x7f)
			line[i] = ' ';
	d->trace[d->n_trace++] = line;
	return 0;
}

void pb_lua_env_actions(lua_State *L)
{
	static const luaL_Reg actions[] = {
		{ "keep", api_keep },         { "deliver", api_deliver }, { "forward", api_forward },
		{ "redirect", api_redirect }, { "log", api_log },
		{ "no_assistants", api_no_assistants }, { "no_forwarding", api_no_forwarding },
		{ NULL, NULL },
	};

	luaL_setfuncs(L, actions, 0);
}
