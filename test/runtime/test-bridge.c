/*
 * test-bridge.c: the CLI's bridge checks the message table hash both ways — a request with
 * another table's hash is answered with the daemon's hash and never forwarded, a reply with
 * another hash makes pb_remote_call name the mismatch, and the pillarbox CLI prints it and
 * exits 2. Frames are forged with a raw nng socket, as a build from another table would send.
 */
#include "pb-runtime-private.h"
#include "pb-test.h"

#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int pings;

static int t_ping(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_msg rep;
	atomic_fetch_add(&pings, 1);
	pb_msg_init(&rep, MSG_TEST_PING_REP);
	rep.u.test_ping_rep.seq = m->u.test_ping_req.seq + 1;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int t_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	*state_r = NULL;
	return 0;
}

static const struct pb_handler t_handlers[] = { { MSG_TEST_PING_REQ, t_ping } };
static const struct pb_actor_def t_def = {
	.name = "test", .init = t_init, .handlers = t_handlers, .n_handlers = 1,
};
static const char *const allowed[] = { "test", NULL };

/* A fresh directory under /tmp and the control socket's url in it. */
static void make_dir(char *dir, size_t dsize, char *url, size_t usize)
{
	snprintf(dir, dsize, "/tmp/pb-bridge-XXXXXX");
	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(url, usize, "ipc://%s/control.sock", dir);
}

static void remove_dir(const char *dir)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	unlink(path);
	rmdir(dir);
}

static void frame_ping(struct pb_buf *b, uint64_t hash, uint64_t seq)
{
	struct pb_msg req;
	pb_msg_init(&req, MSG_TEST_PING_REQ);
	req.u.test_ping_req.seq = seq;
	for (int i = 0; i < 8; i++)
		pb_buf_append(b, &(uint8_t){ (uint8_t)(hash >> (8 * i)) }, 1);
	pb_msg_encode(&req, b);
	pb_msg_free(&req);
}

static uint64_t frame_hash(const uint8_t *p)
{
	uint64_t h = 0;
	for (int i = 7; i >= 0; i--)
		h = (h << 8) | p[i];
	return h;
}

/* Sends one raw frame to url over req0 and returns the raw reply (caller frees). */
static nng_msg *raw_call(const char *url, const struct pb_buf *frame)
{
	nng_socket s;
	nng_msg *nm;
	ASSERT(nng_req0_open(&s) == 0 && nng_dial(s, url, NULL, 0) == 0);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 5000);
	ASSERT(nng_send(s, frame->data, frame->len, 0) == 0);
	ASSERT(nng_recvmsg(s, &nm, 0) == 0);
	nng_close(s);
	return nm;
}

static void test_daemon_refuses_another_table(void)
{
	struct pb_runtime *rt = pb_runtime_create("t", NULL);
	struct pb_bridge *br;
	char dir[64], url[128];
	const char *error;
	struct pb_msg req, rep;
	struct pb_buf b;

	make_dir(dir, sizeof(dir), url, sizeof(url));
	REQUIRE(pb_runtime_start(rt, &t_def, NULL, &error) == 0);
	REQUIRE(pb_bridge_start(rt, url, allowed, 1, 5000, &br, &error) == 0);
	/* the same table: forwarded and answered */
	pb_msg_init(&req, MSG_TEST_PING_REQ);
	req.u.test_ping_req.seq = 41;
	REQUIRE(pb_remote_call(url, &req, &rep, 5000, &error) == 0);
	CHECK_INT(rep.type, MSG_TEST_PING_REP);
	CHECK_INT(rep.u.test_ping_rep.seq, 42);
	CHECK_INT(atomic_load(&pings), 1);
	pb_msg_free(&rep);
	pb_msg_free(&req);
	/* another table's hash: the daemon's hash comes back alone; nothing was forwarded */
	pb_buf_init(&b);
	frame_ping(&b, pb_msg_table_hash() ^ 1, 7);
	nng_msg *nm = raw_call(url, &b);
	CHECK_INT(nng_msg_len(nm), 8);
	CHECK(frame_hash(nng_msg_body(nm)) == pb_msg_table_hash());
	CHECK_INT(atomic_load(&pings), 1);
	nng_msg_free(nm);
	/* a frame too short to hold a hash: the same */
	pb_buf_reset(&b);
	pb_buf_append(&b, "\x01", 1);
	nm = raw_call(url, &b);
	CHECK_INT(nng_msg_len(nm), 8);
	nng_msg_free(nm);
	pb_buf_deinit(&b);
	pb_bridge_stop(&br);
	pb_runtime_destroy(&rt);
	remove_dir(dir);
}

/* A daemon from another table: answers one request with its own hash and nothing else. */
struct fake_daemon {
	nng_socket s;
	pthread_t thread;
};

static void *fake_daemon_main(void *arg)
{
	struct fake_daemon *f = arg;
	nng_msg *nm;
	if (nng_recvmsg(f->s, &nm, 0) != 0)
		return NULL;
	nng_msg_clear(nm);
	for (int i = 0; i < 8; i++)
		nng_msg_append(nm, &(uint8_t){ (uint8_t)(0x0123456789abcdefull >> (8 * i)) }, 1);
	if (nng_sendmsg(f->s, nm, 0) != 0)
		nng_msg_free(nm);
	return NULL;
}

static void fake_daemon_start(struct fake_daemon *f, const char *url)
{
	REQUIRE(nng_rep0_open(&f->s) == 0 && nng_listen(f->s, url, NULL, 0) == 0);
	nng_socket_set_ms(f->s, NNG_OPT_RECVTIMEO, 10000);
	REQUIRE(pthread_create(&f->thread, NULL, fake_daemon_main, f) == 0);
}

static void fake_daemon_stop(struct fake_daemon *f)
{
	pthread_join(f->thread, NULL);
	nng_close(f->s);
}

static void test_cli_names_the_mismatch(void)
{
	struct fake_daemon f;
	char dir[64], url[128], want[128], cmd[512], out[1024] = "";
	struct pb_msg req, rep;
	const char *error, *build = getenv("PB_BUILD_DIR");

	make_dir(dir, sizeof(dir), url, sizeof(url));
	snprintf(want, sizeof(want), "(daemon 0123456789abcdef, this CLI %016llx)",
		 (unsigned long long)pb_msg_table_hash());
	/* the library call */
	fake_daemon_start(&f, url);
	pb_msg_init(&req, MSG_TEST_PING_REQ);
	CHECK(pb_remote_call(url, &req, &rep, 5000, &error) == -1);
	CHECK(strncmp(error, PB_REMOTE_TABLE_MISMATCH, strlen(PB_REMOTE_TABLE_MISMATCH)) == 0);
	CHECK(strstr(error, want) != NULL);
	pb_msg_free(&req);
	fake_daemon_stop(&f);
	/* the CLI prints it and exits 2 */
	REQUIRE(build != NULL);
	fake_daemon_start(&f, url);
	snprintf(cmd, sizeof(cmd), "%s/pillarbox --data-dir %s status 2>&1", build, dir);
	FILE *p = popen(cmd, "r");
	REQUIRE(p != NULL);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int status = pclose(p);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	CHECK(strstr(out, "pillarbox: the daemon runs a different message table (daemon ") != NULL);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "use the pillarbox that came with this pillarboxd") != NULL);
	if (strstr(out, want) == NULL)
		fprintf(stderr, "  CLI said: %s\n", out);
	fake_daemon_stop(&f);
	remove_dir(dir);
}

/* A CLI hammering the bridge: bridge-hammer (beside this test) in its own process, as the CLI
 * is, calling until its standard input closes. Returns its pid; *stdin_r is our end of its
 * standard input. */
static pid_t hammer_start(const char *url, int *stdin_r)
{
	const char *build = getenv("PB_BUILD_DIR");
	char path[512];
	int p[2];

	ASSERT(build != NULL && pipe2(p, O_CLOEXEC) == 0); /* no other hammer holds it */
	snprintf(path, sizeof(path), "%s/test/runtime/bridge-hammer", build);
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		dup2(p[0], 0);
		close(p[0]);
		close(p[1]);
		execl(path, path, url, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	*stdin_r = p[1];
	return pid;
}

static bool calls_flowing(void *ctx)
{
	return atomic_load(&pings) >= *(int *)ctx;
}

/* Stopping the bridge while calls are in flight neither crashes nor hangs (nng panicked once
 * in nng_ctx_send on a context closed under a worker), and the CLIs calling see it go. */
static void test_stop_under_calls(void)
{
	char dir[64], url[128];
	const char *error;
	pid_t pid[3];
	int in[3], status;

	make_dir(dir, sizeof(dir), url, sizeof(url));
	for (int round = 0; round < 5; round++) {
		struct pb_runtime *rt = pb_runtime_create("t", NULL);
		struct pb_bridge *br;
		REQUIRE(pb_runtime_start(rt, &t_def, NULL, &error) == 0);
		REQUIRE(pb_bridge_start(rt, url, allowed, 4, 5000, &br, &error) == 0);
		for (int i = 0; i < 3; i++)
			pid[i] = hammer_start(url, &in[i]);
		int want = atomic_load(&pings) + 5;
		CHECK(pb_test_wait(calls_flowing, &want, PB_TEST_WAIT_MS));
		pb_bridge_stop(&br);
		CHECK(br == NULL);
		for (int i = 0; i < 3; i++) {
			close(in[i]);
			CHECK(waitpid(pid[i], &status, 0) == pid[i]);
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		pb_runtime_destroy(&rt);
	}
	remove_dir(dir);
}

static const struct pb_test_case cases[] = {
	{ "daemon_refuses_another_table", test_daemon_refuses_another_table },
	{ "cli_names_the_mismatch", test_cli_names_the_mismatch },
	{ "stop_under_calls", test_stop_under_calls },
};
PB_TEST_MAIN(cases)
