/*
 * bench-tls-handshake.c: full TLS handshakes per second through the engine (pb_tls_conn) and an
 * OpenSSL client over memory BIOs in one thread, for an EC P-256 and an RSA 2048 certificate,
 * TLS 1.3 and 1.2. The server's share is measured apart (thread CPU time inside the engine's
 * calls), so "server handshakes/s/core" is what one gateway core could do. Prints a table; not
 * a test. Needs the openssl command for the RSA certificate.
 * Usage: bench-tls-handshake [seconds-per-case]
 */
#include "pb-test-tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double thread_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One handshake; adds the CPU seconds spent in the engine to *server_s. 0 or -1. */
static int handshake(SSL_CTX *cc, struct pb_tls_ctx *ctx, double *server_s)
{
	struct pb_test_tls_pair p;
	char buf[16384];
	int r, n, ret = -1;

	pb_test_tls_pair_init(&p, cc, ctx, sizeof(buf));
	for (int round = 0; round < 10; round++) {
		r = SSL_do_handshake(p.cli);
		if (r <= 0 && SSL_get_error(p.cli, r) != SSL_ERROR_WANT_READ)
			break;
		double t0 = thread_s();
		while ((n = BIO_read(p.cout, buf, sizeof(buf))) > 0)
			pb_tls_feed(p.srv, buf, (size_t)n);
		size_t out;
		while ((out = pb_tls_take_out(p.srv, buf, sizeof(buf))) > 0)
			BIO_write(p.cin, buf, (int)out);
		*server_s += thread_s() - t0;
		if (r == 1 && pb_tls_state(p.srv) == PB_TLS_OPEN) {
			ret = 0;
			break;
		}
	}
	pb_test_tls_pair_deinit(&p);
	return ret;
}

static void run_case(const char *name, struct pb_tls_ctx *ctx, int version, double seconds)
{
	SSL_CTX *cc = pb_test_tls_client_ctx(version, version, NULL);
	double server_s = 0, start = wall_s(), cpu0 = thread_s();
	unsigned long n = 0;

	while (wall_s() - start < seconds) {
		if (handshake(cc, ctx, &server_s) < 0) {
			fprintf(stderr, "%s: handshake failed\n", name);
			exit(1);
		}
		n++;
	}
	double cpu = thread_s() - cpu0;
	printf("%-22s %8lu %12.0f %14.3f %16.0f\n", name, n, (double)n / cpu,
	       server_s * 1e3 / (double)n, (double)n / server_s);
	SSL_CTX_free(cc);
}

static struct pb_tls_ctx *load(const char *cert, const char *key)
{
	struct pb_tls_ctx *ctx;
	char *error;

	if (pb_tls_ctx_create(cert, key, &ctx, &error) < 0) {
		fprintf(stderr, "%s\n", error);
		exit(1);
	}
	return ctx;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	char dir[] = "/tmp/pb-bench-tls-XXXXXX", *error, cmd[512];

	if (mkdtemp(dir) == NULL || chdir(dir) < 0)
		return 1;
	if (pb_tls_selfsigned_write("bench.example.test", "ec.crt", "ec.key", &error) < 0) {
		fprintf(stderr, "%s\n", error);
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key "
		 "-out rsa.crt -days 30 -subj /CN=bench.example.test 2>/dev/null && "
		 "chmod 600 rsa.key");
	if (system(cmd) != 0)
		return 1;
	struct pb_tls_ctx *ec = load("ec.crt", "ec.key"), *rsa = load("rsa.crt", "rsa.key");
	printf("%-22s %8s %12s %14s %16s\n", "case", "count", "pairs/s/core", "server ms/hs",
	       "server hs/s/core");
	run_case("P-256 TLSv1.3", ec, TLS1_3_VERSION, seconds);
	run_case("P-256 TLSv1.2", ec, TLS1_2_VERSION, seconds);
	run_case("RSA-2048 TLSv1.3", rsa, TLS1_3_VERSION, seconds);
	run_case("RSA-2048 TLSv1.2", rsa, TLS1_2_VERSION, seconds);
	pb_tls_ctx_unref(&ec);
	pb_tls_ctx_unref(&rsa);
	if (system("rm -f ec.crt ec.key rsa.crt rsa.key") != 0 || chdir("/") < 0 || rmdir(dir) < 0)
		return 1;
	return 0;
}
