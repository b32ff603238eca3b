/*
 * test-mx-resolve.c: the MX resolver against a real DNS server — test/dns/dns-server.py
 * (python3-dnslib) serving test/dns/test.zone on a loopback UDP+TCP port, started by main()
 * and stopped at the end — and against a UDP socket that never answers (the deadline).
 * OWNS: the server's process; the silent socket.
 * THREAD: the test thread.
 */
#include "mx-resolve.h"
#include "pb-test.h"

#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 5000

static pid_t server_pid = -1;
static char server_addr[64]; /* "127.0.0.1:PORT" */
static char silent_addr[64]; /* a bound UDP port nobody reads */
static char servfail_file[64]; /* the names the server answers SERVFAIL for, one a line */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Resolves with a resolver of the given settings (servers: the test server unless set). */
static enum mx_status resolve_with(struct mx_resolver_settings set, const char *domain,
				   struct mx_result *res)
{
	struct mx_resolver *r = NULL;
	const char *error;

	if (set.servers == NULL)
		set.servers = server_addr;
	if (mx_resolver_create(&set, &r, &error) < 0) {
		fprintf(stderr, "  resolver: %s\n", error);
		memset(res, 0, sizeof(*res));
		res->status = MX_TEMP;
		return MX_TEMP;
	}
	enum mx_status st = mx_resolve(r, domain, TIMEOUT_MS, res);
	mx_resolver_destroy(&r);
	CHECK(r == NULL);
	return st;
}

static enum mx_status resolve(const char *domain, struct mx_result *res)
{
	return resolve_with((struct mx_resolver_settings){ 0 }, domain, res);
}

static void test_preference_order(void)
{
	struct mx_result res;

	REQUIRE(resolve("pref.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 3);
	CHECK_STR(res.targets[0].host, "a.pref.test");
	CHECK_STR(res.targets[1].host, "b.pref.test");
	CHECK_STR(res.targets[2].host, "c.pref.test");
	CHECK_INT(res.targets[0].preference, 10);
	CHECK_INT(res.targets[2].preference, 30);
	CHECK_INT(res.targets[1].n_addrs, 1);
	CHECK_STR(res.targets[1].addrs[0].text, "192.0.2.20");
	CHECK(!res.implicit);
	CHECK_STR(res.enhanced, "");
	mx_result_deinit(&res);
	/* A trailing dot is the same domain. */
	REQUIRE(resolve("pref.test.", &res) == MX_OK);
	CHECK_INT(res.n_targets, 3);
	mx_result_deinit(&res);
}

/* Two MX at 10 come first in either order (both orders seen over 64 calls), the 50 last. */
static void test_equal_preference_shuffled(void)
{
	int one_first = 0, two_first = 0;
	struct mx_result res;

	for (int i = 0; i < 64; i++) {
		REQUIRE(resolve("equal.test", &res) == MX_OK);
		REQUIRE(res.n_targets == 3);
		CHECK_INT(res.targets[0].preference, 10);
		CHECK_INT(res.targets[1].preference, 10);
		CHECK_STR(res.targets[2].host, "backup.equal.test");
		one_first += strcmp(res.targets[0].host, "one.equal.test") == 0;
		two_first += strcmp(res.targets[0].host, "two.equal.test") == 0;
		mx_result_deinit(&res);
	}
	CHECK_INT(one_first + two_first, 64);
	CHECK(one_first > 0);
	CHECK(two_first > 0);
}

static void test_aaaa_only(void)
{
	struct mx_result res;

	REQUIRE(resolve("v6.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 1);
	REQUIRE(res.targets[0].n_addrs == 1);
	CHECK_INT(res.targets[0].addrs[0].family, AF_INET6);
	CHECK_STR(res.targets[0].addrs[0].text, "2001:db8::6");
	mx_result_deinit(&res);
}

static void test_family_order(void)
{
	struct mx_result res;

	REQUIRE(resolve("dual.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 1 && res.targets[0].n_addrs == 2);
	CHECK_STR(res.targets[0].addrs[0].text, "192.0.2.50");
	CHECK_STR(res.targets[0].addrs[1].text, "2001:db8::50");
	mx_result_deinit(&res);
	REQUIRE(resolve_with((struct mx_resolver_settings){ .ipv6_first = true }, "dual.test",
			     &res) == MX_OK);
	REQUIRE(res.n_targets == 1 && res.targets[0].n_addrs == 2);
	CHECK_STR(res.targets[0].addrs[0].text, "2001:db8::50");
	CHECK_INT(res.targets[0].addrs[1].family, AF_INET);
	mx_result_deinit(&res);
}

static void test_implicit_mx(void)
{
	struct mx_result res;

	REQUIRE(resolve("implicit.test", &res) == MX_OK);
	CHECK(res.implicit);
	REQUIRE(res.n_targets == 1 && res.targets[0].n_addrs == 1);
	CHECK_STR(res.targets[0].host, "implicit.test");
	CHECK_INT(res.targets[0].preference, 0);
	CHECK_STR(res.targets[0].addrs[0].text, "192.0.2.60");
	mx_result_deinit(&res);
	/* Neither MX nor address: permanent. */
	CHECK(resolve("noaddr.test", &res) == MX_PERM);
	CHECK_STR(res.enhanced, "5.4.4");
	CHECK_INT(res.n_targets, 0);
	mx_result_deinit(&res);
}

static void test_null_mx(void)
{
	struct mx_result res;

	/* nullmx.test also has an A record: the null MX wins, no implicit MX. */
	CHECK(resolve("nullmx.test", &res) == MX_PERM);
	CHECK_STR(res.enhanced, "5.1.10");
	CHECK(strstr(res.error, "does not accept mail") != NULL);
	CHECK_INT(res.n_targets, 0);
	mx_result_deinit(&res);
	/* A "." beside a real MX is not a null MX: ignored, the real one used. */
	REQUIRE(resolve("nullplus.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 1);
	CHECK_STR(res.targets[0].host, "real.nullplus.test");
	mx_result_deinit(&res);
}

static void test_nxdomain(void)
{
	struct mx_result res;

	CHECK(resolve("nx.test", &res) == MX_PERM);
	CHECK_STR(res.enhanced, "5.1.2");
	CHECK(strstr(res.error, "NXDOMAIN") != NULL);
	mx_result_deinit(&res);
}

static void test_servfail(void)
{
	struct mx_result res;

	CHECK(resolve("servfail.test", &res) == MX_TEMP);
	CHECK_STR(res.enhanced, "4.4.3");
	CHECK_INT(res.n_targets, 0);
	mx_result_deinit(&res);
	/* The MX exists but its host's lookups fail: temporary too. */
	CHECK(resolve("mxfail.test", &res) == MX_TEMP);
	CHECK_STR(res.enhanced, "4.4.3");
	mx_result_deinit(&res);
}

/* A server that never answers: MX_TEMP once the deadline passes, not c-ares' own retries. */
static void test_silent_server_deadline(void)
{
	struct mx_result res;
	struct mx_resolver *r = NULL;
	struct mx_resolver_settings set = { .servers = silent_addr };
	const char *error;

	REQUIRE(mx_resolver_create(&set, &r, &error) == 0);
	int64_t start = now_ms();
	CHECK(mx_resolve(r, "pref.test", 700, &res) == MX_TEMP);
	int64_t took = now_ms() - start;
	CHECK(took >= 650);
	CHECK(took < 2000); /* c-ares alone would take 3 tries of 2 s */
	CHECK_STR(res.enhanced, "4.4.3");
	mx_result_deinit(&res);
	mx_resolver_destroy(&r);
}

/* Only connecting tells a dead host: it stays listed, in its place. */
static void test_dead_first_mx_listed(void)
{
	struct mx_result res;

	REQUIRE(resolve("dead.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 2);
	CHECK_STR(res.targets[0].host, "down.dead.test");
	CHECK_STR(res.targets[1].host, "up.dead.test");
	mx_result_deinit(&res);
}

static void test_mx_host_without_address(void)
{
	struct mx_result res;

	REQUIRE(resolve("ghost.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 1);
	CHECK_STR(res.targets[0].host, "real.ghost.test");
	CHECK(strstr(res.error, "nowhere.ghost.test") != NULL);
	mx_result_deinit(&res);
	CHECK(resolve("onlyghost.test", &res) == MX_PERM);
	CHECK_STR(res.enhanced, "5.4.4");
	mx_result_deinit(&res);
}

static void test_cname(void)
{
	struct mx_result res;

	/* The domain is an alias: its target's MX (RFC 5321 5.1). */
	REQUIRE(resolve("alias.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 1 && res.targets[0].n_addrs == 1);
	CHECK_STR(res.targets[0].host, "mx.target.test");
	CHECK_STR(res.targets[0].addrs[0].text, "192.0.2.90");
	mx_result_deinit(&res);
	/* The MX host is an alias: followed, the MX name kept (as Postfix). */
	REQUIRE(resolve("mxcname.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 1 && res.targets[0].n_addrs == 1);
	CHECK_STR(res.targets[0].host, "nick.mxcname.test");
	CHECK_STR(res.targets[0].addrs[0].text, "192.0.2.91");
	mx_result_deinit(&res);
	/* An alias without MX: the implicit MX through the alias. */
	REQUIRE(resolve("aliasnomx.test", &res) == MX_OK);
	CHECK(res.implicit);
	REQUIRE(res.n_targets == 1 && res.targets[0].n_addrs == 1);
	CHECK_STR(res.targets[0].host, "aliasnomx.test");
	CHECK_STR(res.targets[0].addrs[0].text, "192.0.2.92");
	mx_result_deinit(&res);
}

static void test_mx_ip_literal(void)
{
	struct mx_result res;

	CHECK(resolve("mxip.test", &res) == MX_PERM);
	CHECK_STR(res.enhanced, "5.4.4");
	CHECK(strstr(res.error, "192.0.2.7 is an IP address") != NULL);
	mx_result_deinit(&res);
	REQUIRE(resolve("mxipmixed.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 1);
	CHECK_STR(res.targets[0].host, "named.mxipmixed.test");
	CHECK(strstr(res.error, "192.0.2.7 is an IP address") != NULL);
	mx_result_deinit(&res);
}

static void test_loops(void)
{
	struct mx_result res;

	CHECK(resolve("loop.test", &res) == MX_PERM);
	CHECK_STR(res.enhanced, "5.4.6");
	CHECK(strstr(res.error, "loops") != NULL);
	mx_result_deinit(&res);
	REQUIRE(resolve_with((struct mx_resolver_settings){ .allow_loopback = true }, "loop.test",
			     &res) == MX_OK);
	REQUIRE(res.n_targets == 1);
	CHECK_STR(res.targets[0].addrs[0].text, "127.0.0.1");
	mx_result_deinit(&res);
	/* ::1 at 20: it and the 30 go, the 10 stays. */
	REQUIRE(resolve("looplater.test", &res) == MX_OK);
	REQUIRE(res.n_targets == 1);
	CHECK_STR(res.targets[0].host, "far.looplater.test");
	mx_result_deinit(&res);
	/* Our own name as the best MX. */
	CHECK(resolve_with((struct mx_resolver_settings){ .self_name = "A.PREF.test" }, "pref.test",
			   &res) == MX_PERM);
	CHECK_STR(res.enhanced, "5.4.6");
	mx_result_deinit(&res);
}

static void test_lookup_budget(void)
{
	struct mx_result res;

	/* 3 queries: the MX, then A and AAAA of the best host only. */
	REQUIRE(resolve_with((struct mx_resolver_settings){ .max_lookups = 3 }, "pref.test", &res) ==
		MX_OK);
	REQUIRE(res.n_targets == 1);
	CHECK_STR(res.targets[0].host, "a.pref.test");
	CHECK(strstr(res.error, "budget") != NULL);
	mx_result_deinit(&res);
	/* 2: no host looked up at all — temporary. */
	CHECK(resolve_with((struct mx_resolver_settings){ .max_lookups = 2 }, "pref.test", &res) ==
	      MX_TEMP);
	mx_result_deinit(&res);
}

/* Forty MX records do not fit 512 bytes: c-ares retries on TCP, the server answers there. */
static void test_large_answer_over_tcp(void)
{
	struct mx_result res;

	REQUIRE(resolve_with((struct mx_resolver_settings){ .max_lookups = 100 }, "big.test", &res) ==
		MX_OK);
	CHECK_INT(res.n_targets, MX_RESOLVE_MAX_TARGETS);
	CHECK(strstr(res.error, "left out") != NULL);
	mx_result_deinit(&res);
}

static void test_address_literals(void)
{
	struct mx_result res;
	struct sockaddr_storage ss;

	REQUIRE(resolve("[192.0.2.1]", &res) == MX_OK);
	REQUIRE(res.n_targets == 1 && res.targets[0].n_addrs == 1);
	CHECK_STR(res.targets[0].addrs[0].text, "192.0.2.1");
	CHECK_INT(mx_addr_sockaddr(&res.targets[0].addrs[0], 25, &ss), sizeof(struct sockaddr_in));
	CHECK_INT(ntohs(((struct sockaddr_in *)&ss)->sin_port), 25);
	mx_result_deinit(&res);
	REQUIRE(resolve("[IPv6:2001:db8::1]", &res) == MX_OK);
	REQUIRE(res.n_targets == 1 && res.targets[0].n_addrs == 1);
	CHECK_STR(res.targets[0].addrs[0].text, "2001:db8::1");
	CHECK_INT(mx_addr_sockaddr(&res.targets[0].addrs[0], 25, &ss), sizeof(struct sockaddr_in6));
	mx_result_deinit(&res);
	CHECK(resolve("[127.0.0.1]", &res) == MX_PERM);
	CHECK_STR(res.enhanced, "5.4.6");
	mx_result_deinit(&res);
	CHECK(resolve("[not-an-address]", &res) == MX_PERM);
	mx_result_deinit(&res);
}

static void test_bad_input(void)
{
	struct mx_result res;
	struct mx_resolver *r = NULL;
	const char *error = NULL;

	CHECK(resolve("a..b", &res) == MX_PERM);
	mx_result_deinit(&res);
	CHECK(resolve("bad domain.test", &res) == MX_PERM);
	mx_result_deinit(&res);
	CHECK(resolve("", &res) == MX_PERM);
	mx_result_deinit(&res);
	CHECK(mx_resolver_create(&(struct mx_resolver_settings){ .servers = "not-an-ip" }, &r,
				 &error) == -1);
	CHECK(r == NULL);
	CHECK(error != NULL && strstr(error, "dns_servers") != NULL);
	/* Empty: the system's servers (/etc/resolv.conf); only creation is checked here. */
	CHECK(mx_resolver_create(&(struct mx_resolver_settings){ .servers = " " }, &r, &error) == 0);
	mx_resolver_destroy(&r);
}

/* From now on the server fails every query about names (NULL: none). */
static void dns_failing(const char *names)
{
	if (names == NULL) {
		unlink(servfail_file);
		return;
	}
	FILE *f = fopen(servfail_file, "w");
	REQUIRE(f != NULL);
	fputs(names, f);
	fclose(f);
}

/* One resolver asks twice; between the two the DNS fails: the second answer is the cached
 * one when every TTL allowed it, a failure when one was 0. A fresh resolver sees the failure. */
static enum mx_status again_while_failing(const char *domain, const char *names)
{
	struct mx_resolver_settings set = { .servers = server_addr };
	struct mx_resolver *r = NULL;
	struct mx_result res;
	const char *error;

	if (mx_resolver_create(&set, &r, &error) < 0) {
		CHECK(!"a resolver");
		return MX_PERM;
	}
	CHECK(mx_resolve(r, domain, TIMEOUT_MS, &res) == MX_OK);
	mx_result_deinit(&res);
	dns_failing(names);
	enum mx_status st = mx_resolve(r, domain, TIMEOUT_MS, &res);
	if (st == MX_OK) {
		CHECK_INT(res.n_targets, 1);
		CHECK(res.n_targets == 1 && res.targets[0].n_addrs == 1);
	}
	mx_result_deinit(&res);
	CHECK(resolve(domain, &res) == MX_TEMP);
	mx_result_deinit(&res);
	dns_failing(NULL);
	mx_resolver_destroy(&r);
	return st;
}

static void test_cached_for_ttl(void)
{
	CHECK(again_while_failing("cached.test", "cached.test\nmx.cached.test\n") == MX_OK);
	CHECK(again_while_failing("CACHED.test.", "cached.test\nmx.cached.test\n") == MX_OK);
	CHECK(again_while_failing("mxttl0.test", "mxttl0.test\nmx.mxttl0.test\n") == MX_TEMP);
	CHECK(again_while_failing("addrttl0.test", "addrttl0.test\nmx.addrttl0.test\n") ==
	      MX_TEMP);
	/* the implicit MX is asked again */
	CHECK(again_while_failing("implicit.test", "implicit.test\n") == MX_TEMP);
}

static const struct pb_test_case cases[] = {
	{ "cached_for_ttl", test_cached_for_ttl },
	{ "preference_order", test_preference_order },
	{ "equal_preference_shuffled", test_equal_preference_shuffled },
	{ "aaaa_only", test_aaaa_only },
	{ "family_order", test_family_order },
	{ "implicit_mx", test_implicit_mx },
	{ "null_mx", test_null_mx },
	{ "nxdomain", test_nxdomain },
	{ "servfail", test_servfail },
	{ "silent_server_deadline", test_silent_server_deadline },
	{ "dead_first_mx_listed", test_dead_first_mx_listed },
	{ "mx_host_without_address", test_mx_host_without_address },
	{ "cname", test_cname },
	{ "mx_ip_literal", test_mx_ip_literal },
	{ "loops", test_loops },
	{ "lookup_budget", test_lookup_budget },
	{ "large_answer_over_tcp", test_large_answer_over_tcp },
	{ "address_literals", test_address_literals },
	{ "bad_input", test_bad_input },
};

/* Starts dns-server.py and waits (10 s at most) for its "PORT n" line. */
static int start_server(void)
{
	const char *src = getenv("PB_SOURCE_DIR");
	char script[512], zone[512], line[64] = "";

	snprintf(servfail_file, sizeof(servfail_file), "/tmp/pb-mx-servfail-%d", (int)getpid());
	unlink(servfail_file);
	int fds[2];
	size_t got = 0;

	snprintf(script, sizeof(script), "%s/test/dns/dns-server.py", src ? src : ".");
	snprintf(zone, sizeof(zone), "%s/test/dns/test.zone", src ? src : ".");
	if (pipe(fds) < 0)
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* a crashed test leaves no server behind */
		dup2(fds[1], 1);
		close(fds[0]);
		execl(PB_DNS_PYTHON, PB_DNS_PYTHON, script, "--zone", zone, "--servfail",
		      "servfail.test", "--servfail", "broken.mxfail.test", "--servfail-file",
		      servfail_file, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
	while (strchr(line, '\n') == NULL && got < sizeof(line) - 1 && poll(&pfd, 1, 10000) == 1) {
		ssize_t n = read(fds[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		line[got] = '\0';
	}
	close(fds[0]);
	int port = 0;
	if (sscanf(line, "PORT %d", &port) != 1 || port <= 0)
		return -1;
	snprintf(server_addr, sizeof(server_addr), "127.0.0.1:%d", port);
	return 0;
}

/* A UDP socket bound and never read: queries to it get no answer at all. */
static int open_silent_server(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	snprintf(silent_addr, sizeof(silent_addr), "127.0.0.1:%d", ntohs(sin.sin_port));
	return fd;
}

int main(void)
{
	int silent = open_silent_server(), rc;

	if (start_server() < 0 || silent < 0) {
		fprintf(stderr, "cannot start the test DNS server (%s, python3-dnslib)\n", PB_DNS_PYTHON);
		rc = 1;
	} else {
		rc = pb_test_run(cases, sizeof(cases) / sizeof(cases[0]));
	}
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	if (silent >= 0)
		close(silent);
	unlink(servfail_file);
	return rc;
}
