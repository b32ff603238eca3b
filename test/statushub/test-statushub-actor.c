/*
 * test-statushub-actor.c: the status hub on the real runtime, with a test inbox "status"
 * standing for the status gateway (its sessions are "t/status#N", events carry N in corr):
 * the activity log keeps the last 100 items oldest first and pushes each to the sessions
 * subscribed to "activity" only; connection and queue events go to their topics (the queue's
 * summed over shards); an instant message reaches every session of its recipient that may
 * receive IM and none other, an offline recipient is NOTFOUND, and so is one whose session
 * ended. Progress: a job's updates are coalesced by the sender (the final one always goes),
 * pushed to "connection" (a send job's with the queue's transactions in flight as threads),
 * and kept for the snapshot's figures until the final one. API keys: made and removed by who
 * asked, each change in the API keys' history with its label and permissions, never the key
 * or its hash.
 */
#include "pb-test.h"
#include "pb-test-store.h"
#include "statushub-actor.h"
#include "statushub-client.h"
#include "store-settings.h"

#include <cjson/cJSON.h>
#include <stdio.h>

#define WAIT_MS 5000

struct fixture {
	struct pb_runtime *rt;
	struct pb_caller *c;
	struct pb_inbox *in;
	struct statushub_args args;
	struct pb_msg rep; /* the last reply */
};

/* A sender that calls and keeps the reply in the fixture (the stubs' _send, synchronously). */
static int call_send(void *ctx, const char *to, struct pb_msg *req, const char **error_r)
{
	struct fixture *f = ctx;

	pb_msg_free(&f->rep);
	pb_msg_init(&f->rep, MSG_CORE_STATUS_REP);
	return pb_call(f->c, to, req, &f->rep, WAIT_MS, error_r);
}

/* A one-way sender (an event through a stub). */
static int cast_send(void *ctx, const char *to, struct pb_msg *m, const char **error_r)
{
	struct fixture *f = ctx;
	return pb_cast(f->rt, to, m, error_r);
}

/* The hub with its API keys in store (NULL: in memory). */
static void start_store(struct fixture *f, struct pb_store *store)
{
	const char *error;

	memset(f, 0, sizeof(*f));
	pb_msg_init(&f->rep, MSG_CORE_STATUS_REP);
	f->rt = pb_runtime_create("t", NULL);
	f->args = (struct statushub_args){ store, pb_runtime_now_ms(f->rt) };
	CHECK(pb_runtime_start(f->rt, &statushub_actor_def, &f->args, &error) == 0);
	CHECK(pb_inbox_open(f->rt, "status", 1024, &f->in, &error) == 0);
	f->c = pb_caller_create(f->rt);
}

static void start(struct fixture *f)
{
	start_store(f, NULL);
}

static void stop(struct fixture *f)
{
	pb_msg_free(&f->rep);
	pb_caller_destroy(&f->c);
	pb_inbox_close(&f->in);
	pb_runtime_destroy(&f->rt);
}

/* Registers session n ("t/status#n") of user with topics (space-separated, "" none). */
static uint32_t session(struct fixture *f, int n, const char *user, bool im, const char *topics)
{
	struct pb_sender tx = { call_send, f };
	struct pb_strv tv = { 0 };
	char addr[64], copy[128], *save = NULL;
	const char *error;

	snprintf(addr, sizeof(addr), "t/status#%d", n);
	snprintf(copy, sizeof(copy), "%s", topics);
	for (char *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		pb_strv_push(&tv, w);
	int rc = statushub_client_session_send(&tx, addr, user, im, &tv, &error);
	pb_strv_clear(&tv);
	return rc < 0 ? PB_ERR_TEMP : statushub_client_session_reply(&f->rep, &error);
}

static uint32_t im(struct fixture *f, const char *to, const char *text)
{
	struct pb_sender tx = { call_send, f };
	const char *error;

	if (statushub_client_im_send(&tx, "alice", to, text, &error) < 0)
		return PB_ERR_TEMP;
	return statushub_client_im_reply(&f->rep, &error);
}

/* The next push: its session id, and its JSON's "event" and one string field. 0 on none. */
static uint64_t next_push(struct fixture *f, int timeout_ms, char *event, const char *field,
			  char *value)
{
	struct pb_msg m;

	if (pb_inbox_recv(f->in, &m, timeout_ms) != 1)
		return 0;
	uint64_t id = m.type == MSG_STATUS_PUSH_EVT ? m.corr : 0;
	cJSON *o = cJSON_Parse(m.u.status_push_evt.json);
	const cJSON *e = cJSON_GetObjectItem(o, "event"), *v = cJSON_GetObjectItem(o, field);
	snprintf(event, 32, "%s", cJSON_IsString(e) ? e->valuestring : "");
	snprintf(value, 64, "%s", cJSON_IsString(v) ? v->valuestring : "");
	cJSON_Delete(o);
	pb_msg_free(&m);
	return id;
}

/* A request answered after every cast before it (one inbox, in order): the figures. */
static void figures(struct fixture *f, struct statushub_figures *fig)
{
	struct pb_sender tx = { call_send, f };
	const char *error;

	memset(fig, 0, sizeof(*fig));
	REQUIRE(statushub_client_log_send(&tx, &error) == 0);
	CHECK_INT(statushub_client_log_reply(&f->rep, fig, &error), PB_OK);
}

static void test_activity_log(void)
{
	struct fixture f;
	struct statushub_figures fig;
	char event[32], text[64];

	start(&f);
	CHECK_INT(session(&f, 1, "admin", true, "activity"), PB_OK);
	CHECK_INT(session(&f, 2, "bob", true, "queue"), PB_OK);
	for (int i = 0; i < 150; i++)
		CHECK_INT(statushub_client_activity(f.rt, "Sent message %d", i), 0);
	figures(&f, &fig);
	REQUIRE(fig.items.n == 100);
	CHECK_STR(fig.items.v[0].text, "Sent message 50");
	CHECK_STR(fig.items.v[99].text, "Sent message 149");
	CHECK(fig.items.v[0].time_ms > 0);
	CHECK_INT(fig.sessions, 2);
	pb_rec_status_item_list_clear(&fig.items);
	pb_rec_status_progress_list_clear(&fig.progress);
	for (int i = 0; i < 150; i++) {
		char want[32];
		snprintf(want, sizeof(want), "Sent message %d", i);
		CHECK_INT(next_push(&f, WAIT_MS, event, "text", text), 1); /* never session 2 */
		CHECK_STR(event, "activity");
		CHECK_STR(text, want);
	}
	CHECK_INT(next_push(&f, 0, event, "text", text), 0);
	stop(&f);
}

static void test_topics(void)
{
	struct fixture f;
	struct statushub_figures fig;
	struct statushub_conn c = { "isp", true, 2, "", 0, 0 };
	char event[32], v[64];

	start(&f);
	CHECK_INT(session(&f, 3, "admin", false, "connection queue"), PB_OK);
	CHECK_INT(statushub_client_conn(f.rt, &c), 0);
	CHECK_INT(statushub_client_queue(f.rt, 0, 2, 3, 1, 1), 0);
	CHECK_INT(statushub_client_queue(f.rt, 1, 2, 4, 0, 2), 0);
	figures(&f, &fig);
	pb_rec_status_item_list_clear(&fig.items);
	pb_rec_status_progress_list_clear(&fig.progress);
	CHECK_INT(next_push(&f, WAIT_MS, event, "state", v), 3);
	CHECK_STR(event, "connection");
	CHECK_STR(v, "running");
	CHECK_INT(next_push(&f, WAIT_MS, event, "state", v), 3);
	CHECK_STR(event, "queue");
	struct pb_msg m;
	REQUIRE(pb_inbox_recv(f.in, &m, WAIT_MS) == 1);
	CHECK(strstr(m.u.status_push_evt.json, "\"out_queue\":7,\"held\":1,\"sending\":3") != NULL);
	pb_msg_free(&m);
	stop(&f);
}

static void test_instant_messages(void)
{
	struct fixture f;
	char event[32], text[64];

	start(&f);
	CHECK_INT(session(&f, 4, "bob", true, ""), PB_OK);
	CHECK_INT(session(&f, 5, "BOB", true, ""), PB_OK);
	CHECK_INT(session(&f, 6, "bob", false, ""), PB_OK); /* may not receive IM */
	CHECK_INT(session(&f, 7, "carol", true, ""), PB_OK);
	CHECK_INT(im(&f, "bob", "lunch?"), PB_OK);
	uint64_t a = next_push(&f, WAIT_MS, event, "text", text);
	CHECK_STR(event, "im");
	CHECK_STR(text, "lunch?");
	uint64_t b = next_push(&f, WAIT_MS, event, "from", text);
	CHECK_STR(text, "alice");
	CHECK((a == 4 && b == 5) || (a == 5 && b == 4));
	CHECK_INT(next_push(&f, 0, event, "text", text), 0);
	CHECK_INT(im(&f, "dave", "anyone?"), PB_ERR_NOTFOUND);
	struct pb_sender tx = { cast_send, &f };
	const char *error;
	CHECK_INT(statushub_client_session_end(&tx, "t/status#7", &error), 0);
	CHECK_INT(im(&f, "carol", "gone?"), PB_ERR_NOTFOUND);
	stop(&f);
}

/* The next push's JSON (the caller frees it), or NULL. */
static cJSON *next_json(struct fixture *f)
{
	struct pb_msg m;

	if (pb_inbox_recv(f->in, &m, WAIT_MS) != 1)
		return NULL;
	cJSON *o = cJSON_Parse(m.u.status_push_evt.json);
	pb_msg_free(&m);
	return o;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void test_progress(void)
{
	struct fixture f;
	struct statushub_figures fig;
	struct statushub_progress p = { .method = "isp", .kind = "collect", .job = "pop1" };
	struct statushub_progress q = { .method = "isp", .kind = "send", .job = "queue" };

	start(&f);
	CHECK_INT(session(&f, 8, "admin", false, "connection queue"), PB_OK);
	CHECK_INT(statushub_client_queue(f.rt, 0, 1, 5, 0, 2), 0);
	p.total = 10;
	for (p.done = 1; p.done <= STATUSHUB_PROGRESS_BURST; p.done++) /* a burst goes... */
		CHECK_INT(statushub_client_progress(f.rt, &p, false), 1);
	/* ...the next within STATUSHUB_PROGRESS_MS: coalesced (dropped) */
	CHECK_INT(statushub_client_progress(f.rt, &p, false), 0);
	p.done = 1 + STATUSHUB_PROGRESS_BURST;
	q.total = 5;
	q.done = 1;
	CHECK_INT(statushub_client_progress(f.rt, &q, false), 1);
	figures(&f, &fig);
	REQUIRE(fig.progress.n == 2);
	CHECK_STR(fig.progress.v[0].job, "pop1");
	CHECK_INT(fig.progress.v[0].done, STATUSHUB_PROGRESS_BURST);
	CHECK_INT(fig.progress.v[0].total, 10);
	CHECK_INT(fig.sending, 2);
	pb_rec_status_progress_list_clear(&fig.progress);
	pb_rec_status_item_list_clear(&fig.items);
	p.done = 10;
	p.bytes = 4096;
	CHECK_INT(statushub_client_progress(f.rt, &p, true), 1); /* final: never coalesced */
	cJSON *o = next_json(&f); /* the hub's own queue event first */
	CHECK(o != NULL && num(o, "sending") == 2);
	cJSON_Delete(o);
	for (int i = 1; i <= STATUSHUB_PROGRESS_BURST; i++) {
		o = next_json(&f);
		CHECK(o != NULL && num(o, "done") == i && num(o, "total") == 10);
		CHECK_STR(cJSON_GetObjectItem(o, "event")->valuestring, "progress");
		CHECK_STR(cJSON_GetObjectItem(o, "method")->valuestring, "isp");
		cJSON_Delete(o);
	}
	o = next_json(&f);
	CHECK(o != NULL && num(o, "threads") == 2 && num(o, "done") == 1);
	cJSON_Delete(o);
	o = next_json(&f);
	CHECK(o != NULL && num(o, "done") == 10 && num(o, "bytes") == 4096);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "final")));
	cJSON_Delete(o);
	figures(&f, &fig);
	REQUIRE(fig.progress.n == 1); /* the finished job forgotten */
	CHECK_STR(fig.progress.v[0].kind, "send");
	pb_rec_status_progress_list_clear(&fig.progress);
	pb_rec_status_item_list_clear(&fig.items);
	stop(&f);
}

/* Each change of the keys is in their history, by who asked, never with a key or hash. */
static void test_apikey_history(void)
{
	char *dir = store_test_tmpdir("hub-keys");
	struct pb_store *store = store_test_open(dir);
	struct pb_setting_change *v = NULL;
	struct pb_sync t;
	struct fixture f;
	uint32_t code = 0;
	size_t n = 0;
	char *key = NULL;
	const char *error;

	start_store(&f, store);
	pb_sync_init_caller(&t, f.c, WAIT_MS);
	pb_client_by("cli:tester");
	CHECK_INT(statushub_client_apikey_add(&t, "mon", "", &code, &key, &error), 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(statushub_client_apikey_del(&t, "mon", &code, &error), 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(pb_store_history_list(store, PB_HISTORY_APIKEY, 0, 10, &v, &n, &error) == 0);
	CHECK_INT((int)n, 2);
	for (size_t i = 0; i < n; i++) {
		CHECK_STR(v[i].doc, "apikey:mon");
		CHECK_STR(v[i].by, "cli:tester");
		const char *json = v[i].after != NULL ? v[i].after : v[i].before;
		CHECK(json != NULL && strstr(json, "\"label\":\"mon\"") != NULL);
		CHECK(json != NULL && strstr(json, "pbk_") == NULL && strstr(json, "hash") == NULL);
		CHECK(key == NULL || json == NULL || strstr(json, key + 4) == NULL);
	}
	CHECK(n == 2 && v[0].after == NULL && v[1].before == NULL); /* removed, then made */
	for (size_t i = 0; i < n; i++)
		pb_setting_change_free(&v[i]);
	free(v);
	free(key);
	stop(&f);
	store_test_done(&store, &dir);
}

static const struct pb_test_case cases[] = {
	{ "apikey_history", test_apikey_history },
	{ "progress", test_progress },
	{ "activity_log", test_activity_log },
	{ "topics", test_topics },
	{ "instant_messages", test_instant_messages },
};

int main(void)
{
	return pb_test_run(cases, PB_N_ELEMENTS(cases));
}
