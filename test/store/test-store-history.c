/*
 * test-store-history.c: the histories of collectors, connection methods, manual blocks and
 * API keys (store-db.h pb_store_history_*), each recorded by its record's store function:
 *  - a change is recorded with who, before and after (a collector's password never: "(set)" or
 *    "(changed)"); a write that changes nothing of a record's settings (a connection's last
 *    run, an automatic block) records nothing; a deletion records the record gone;
 *  - in the same write: a write the store refuses (below the free-space floor) leaves no
 *    history record, and the next write does not carry the refused change;
 *  - the keep bound: past pb_store_history_who's keep, the oldest changes are dropped;
 *  - the generic arm for an owner writing through a generic record (the API keys).
 * OWNS: a temporary database per case. THREAD: main only.
 */
#include "store-collector.h"
#include "store-connections.h"
#include "store-lockout.h"
#include "store-settings.h"
#include "pb-test-store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The newest change of kind into *c_r: how many are kept (up to 1000). */
static size_t newest(struct pb_store *s, char kind, struct pb_setting_change *c_r)
{
	struct pb_setting_change *v;
	size_t n;
	const char *err;

	memset(c_r, 0, sizeof(*c_r));
	if (pb_store_history_list(s, kind, 0, 1000, &v, &n, &err) < 0) {
		CHECK(!"the history reads");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (i == 0)
			*c_r = v[i];
		else
			pb_setting_change_free(&v[i]);
	}
	free(v);
	return n;
}

static void test_collector(void)
{
	char *dir = store_test_tmpdir("hist-coll");
	struct pb_store *s = store_test_open(dir);
	struct pb_setting_change c;
	const char *err;

	pb_store_history_who("cli:tester", 0);
	CHECK_INT(pb_store_collector_put(s, "isp", "{\"server\":\"a\",\"password\":\"S1\"}", &err), 0);
	CHECK_INT((int)newest(s, PB_HISTORY_COLLECTOR, &c), 1);
	CHECK_STR(c.by, "cli:tester");
	CHECK_STR(c.doc, "collector:isp");
	CHECK(c.before == NULL);
	CHECK_STR(c.after, "{\"server\":\"a\",\"password\":\"(set)\"}");
	pb_setting_change_free(&c);
	CHECK_INT(pb_store_collector_put(s, "isp", "{\"server\":\"b\",\"password\":\"S2\"}", &err), 0);
	CHECK_INT((int)newest(s, PB_HISTORY_COLLECTOR, &c), 2);
	CHECK_STR(c.before, "{\"server\":\"a\",\"password\":\"(set)\"}");
	CHECK_STR(c.after, "{\"server\":\"b\",\"password\":\"(changed)\"}");
	CHECK(strstr(c.after, "S2") == NULL && strstr(c.before, "S1") == NULL);
	pb_setting_change_free(&c);
	/* the same definition again: nothing changed, nothing recorded */
	CHECK_INT(pb_store_collector_put(s, "isp", "{\"server\":\"b\",\"password\":\"S2\"}", &err), 0);
	CHECK_INT((int)newest(s, PB_HISTORY_COLLECTOR, &c), 2);
	pb_setting_change_free(&c);
	CHECK_INT(pb_store_collector_del(s, "isp", &err), 1);
	CHECK_INT((int)newest(s, PB_HISTORY_COLLECTOR, &c), 3);
	CHECK(c.after == NULL);
	CHECK_STR(c.before, "{\"server\":\"b\",\"password\":\"(set)\"}");
	pb_setting_change_free(&c);
	store_test_done(&s, &dir);
}

static void conn_init(struct pb_store_conn *m, char **collectors, uint32_t every)
{
	memset(m, 0, sizeof(*m));
	m->name = "isp";
	m->collectors = collectors;
	m->n_collectors = 1;
	m->n_rules = 1;
	m->rules[0] = (struct pb_store_conn_rule){ every, 0, 1440, 127, 0 };
}

static void test_connection(void)
{
	char *dir = store_test_tmpdir("hist-conn");
	struct pb_store *s = store_test_open(dir);
	char *collectors[] = { "box" };
	struct pb_store_conn m;
	struct pb_setting_change c;
	const char *err;

	pb_store_history_who("web:admin", 0);
	conn_init(&m, collectors, 15);
	CHECK_INT(pb_store_conn_put(s, &m, &err), 0);
	m.rules[0].every_min = 30;
	CHECK_INT(pb_store_conn_put(s, &m, &err), 0);
	CHECK_INT((int)newest(s, PB_HISTORY_CONNECTION, &c), 2);
	CHECK_STR(c.doc, "connection:isp");
	CHECK_STR(c.by, "web:admin");
	CHECK(strstr(c.before, "\"every_min\":15") != NULL);
	CHECK(strstr(c.after, "\"every_min\":30") != NULL);
	pb_setting_change_free(&c);
	/* a run's outcome is no change of its settings */
	m.last_start_ms = 1000;
	m.last_result = "ok";
	CHECK_INT(pb_store_conn_put(s, &m, &err), 0);
	CHECK_INT((int)newest(s, PB_HISTORY_CONNECTION, &c), 2);
	pb_setting_change_free(&c);
	CHECK_INT(pb_store_conn_delete(s, "isp", &err), 1);
	CHECK_INT((int)newest(s, PB_HISTORY_CONNECTION, &c), 3);
	CHECK(c.after == NULL && c.before != NULL);
	pb_setting_change_free(&c);
	store_test_done(&s, &dir);
}

static void test_block(void)
{
	char *dir = store_test_tmpdir("hist-block");
	struct pb_store *s = store_test_open(dir);
	struct pb_store_block b = { "192.0.2.0/24", 1, 0, false, "spam", "" };
	struct pb_store_block autob = { "198.51.100.7/32", 1, 99, true, "failures", "smtp" };
	struct pb_setting_change c;
	const char *err;

	pb_store_history_who("", 0); /* nobody said: "system" */
	CHECK_INT(pb_store_block_put(s, &autob, &err), 0);
	CHECK_INT(pb_store_block_delete(s, autob.net, &err), 1);
	CHECK_INT((int)newest(s, PB_HISTORY_BLOCK, &c), 0); /* automatic: the guard's, not kept */
	CHECK_INT(pb_store_block_put(s, &b, &err), 0);
	CHECK_INT((int)newest(s, PB_HISTORY_BLOCK, &c), 1);
	CHECK_STR(c.doc, "block:192.0.2.0/24");
	CHECK_STR(c.by, "system");
	CHECK(c.before == NULL && strstr(c.after, "\"reason\":\"spam\"") != NULL);
	pb_setting_change_free(&c);
	CHECK_INT(pb_store_block_delete(s, b.net, &err), 1);
	CHECK_INT((int)newest(s, PB_HISTORY_BLOCK, &c), 2);
	CHECK(c.after == NULL);
	pb_setting_change_free(&c);
	store_test_done(&s, &dir);
}

/* A refused write leaves no history record, and does not leave its change armed. */
static void test_failed_write(void)
{
	char *dir = store_test_tmpdir("hist-fail");
	struct pb_store *s = store_test_open(dir);
	struct pb_store_block b = { "192.0.2.0/24", 1, 0, false, "spam", "" };
	struct pb_setting_change c;
	const char *err;

	pb_store_history_who("cli:tester", 0);
	pb_store_set_min_free_mb(s, UINT64_C(1) << 40); /* no disk has that: writes refused */
	CHECK_INT(pb_store_block_put(s, &b, &err), -1);
	CHECK_INT(pb_store_collector_put(s, "isp", "{\"server\":\"a\"}", &err), -1);
	CHECK_INT((int)newest(s, PB_HISTORY_BLOCK, &c), 0);
	CHECK_INT((int)newest(s, PB_HISTORY_COLLECTOR, &c), 0);
	pb_store_set_min_free_mb(s, 0);
	/* a write of another record afterwards carries no stale change */
	CHECK_INT(pb_store_setting_put(s, "x", "{}", &err), 0);
	CHECK_INT((int)newest(s, PB_HISTORY_BLOCK, &c), 0);
	CHECK_INT(pb_store_block_put(s, &b, &err), 0);
	CHECK_INT((int)newest(s, PB_HISTORY_BLOCK, &c), 1);
	CHECK_INT((int)c.seq, 1); /* the refused one took no number */
	pb_setting_change_free(&c);
	store_test_done(&s, &dir);
}

static void test_keep(void)
{
	char *dir = store_test_tmpdir("hist-keep");
	struct pb_store *s = store_test_open(dir);
	char *collectors[] = { "box" };
	struct pb_store_conn m;
	struct pb_setting_change c;
	const char *err;

	pb_store_history_who("cli:tester", 10);
	conn_init(&m, collectors, 1);
	for (uint32_t i = 1; i <= 25; i++) {
		m.rules[0].every_min = i;
		CHECK_INT(pb_store_conn_put(s, &m, &err), 0);
	}
	CHECK_INT((int)newest(s, PB_HISTORY_CONNECTION, &c), 10);
	CHECK_INT((int)c.seq, 25);
	pb_setting_change_free(&c);
	CHECK_INT(pb_store_history_get(s, PB_HISTORY_CONNECTION, 15, &c, &err), 0);
	CHECK_INT(pb_store_history_get(s, PB_HISTORY_CONNECTION, 16, &c, &err), 1);
	pb_setting_change_free(&c);
	store_test_done(&s, &dir);
}

/* The API keys' owner arms its change around a generic record write. */
static void test_generic_arm(void)
{
	char *dir = store_test_tmpdir("hist-arm");
	struct pb_store *s = store_test_open(dir);
	struct pb_setting_change c;
	const char *err;

	pb_store_history_who("cli:tester", 0);
	pb_store_history_arm(PB_HISTORY_APIKEY, "apikey:mon", NULL, "{\"label\":\"mon\"}");
	CHECK_INT(pb_store_setting_put(s, "keys", "{}", &err), 0);
	CHECK_INT((int)pb_store_history_disarm(), 1); /* the number the write gave it */
	CHECK_INT((int)newest(s, PB_HISTORY_APIKEY, &c), 1);
	CHECK_STR(c.doc, "apikey:mon");
	pb_setting_change_free(&c);
	CHECK(!pb_store_history_kind_valid('z'));
	struct pb_setting_change *v;
	size_t n;
	CHECK_INT(pb_store_history_list(s, 'z', 0, 1, &v, &n, &err), -1);
	store_test_done(&s, &dir);
}

/* One timeline across kinds: a change made after another, in another history, is stamped
 * strictly later even within the same millisecond (a checkpoint's rollback-to compares stamps
 * across kinds). */
static void test_stamps_ordered(void)
{
	char *dir = store_test_tmpdir("hist-stamps");
	struct pb_store *s = store_test_open(dir);
	struct pb_store_block b = { "192.0.2.0/24", 1, 0, false, "spam", "" };
	struct pb_setting_change c;
	uint64_t last = 0;
	const char *err;

	pb_store_history_who("cli:tester", 0);
	for (int i = 0; i < 20; i++) {
		char json[64];
		snprintf(json, sizeof(json), "{\"server\":\"s%d\"}", i);
		CHECK_INT(pb_store_collector_put(s, "isp", json, &err), 0);
		CHECK_INT((int)newest(s, PB_HISTORY_COLLECTOR, &c), i + 1);
		CHECK(c.at_ms > last);
		last = c.at_ms;
		pb_setting_change_free(&c);
		b.reason = (char *)(i % 2 ? "spam" : "abuse");
		CHECK_INT(pb_store_block_put(s, &b, &err), 0);
		CHECK(newest(s, PB_HISTORY_BLOCK, &c) > 0);
		CHECK(c.at_ms > last);
		last = c.at_ms;
		pb_setting_change_free(&c);
	}
	store_test_done(&s, &dir);
}

static const struct pb_test_case cases[] = {
	{ "collector", test_collector },   { "connection", test_connection },
	{ "block", test_block },	   { "failed_write", test_failed_write },
	{ "keep", test_keep },		   { "generic_arm", test_generic_arm },
	{ "stamps_ordered", test_stamps_ordered },
};

PB_TEST_MAIN(cases)
