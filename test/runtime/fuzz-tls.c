/*
 * fuzz-tls.c: libFuzzer target for the TLS engine's server side: the input is what a client
 * sends first (a ClientHello, or anything else). Besides the sanitizers, it checks that the
 * engine's state does not depend on how the input is cut into feeds, that it never takes more
 * than its input bound, and that read, write, close and destroy are safe in every state.
 * The server context (a self-signed certificate in a temporary directory) is made once.
 */
#include "pb-tls.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct pb_tls_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/pb-fuzz-tls-XXXXXX", cert[64], key[64], *error = NULL;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(cert, sizeof(cert), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	if (pb_tls_selfsigned_write("fuzz.example.test", cert, key, &error) < 0 ||
	    pb_tls_ctx_create(cert, key, &ctx, &error) < 0) {
		fprintf(stderr, "fuzz-tls: %s\n", error);
		abort();
	}
	unlink(cert);
	unlink(key);
	rmdir(dir);
	return 0;
}

/* Feeds data cut every `chunk` bytes; returns the engine, which the caller destroys. */
static struct pb_tls_conn *run(const uint8_t *data, size_t size, size_t chunk)
{
	struct pb_tls_conn *c = pb_tls_conn_create(ctx);
	char out[4096];

	for (size_t at = 0; at < size;) {
		size_t n = size - at < chunk ? size - at : chunk;
		size_t took = pb_tls_feed(c, data + at, n);
		if (took > n || took > PB_TLS_IN_MAX)
			abort();
		if (took == 0)
			break;
		at += took;
		while (pb_tls_read(c, out, sizeof(out)) > 0)
			;
		while (pb_tls_take_out(c, out, sizeof(out)) > 0)
			;
	}
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[256];

	if (size > 1 << 16)
		return 0;
	struct pb_tls_conn *whole = run(data, size, size > 0 ? size : 1);
	struct pb_tls_conn *split = run(data, size, size <= 2048 ? 1 : 97);
	if (pb_tls_state(whole) != pb_tls_state(split))
		abort();
	if (pb_tls_state(whole) == PB_TLS_FAILED && pb_tls_reason(whole)[0] == '\0')
		abort();
	pb_tls_write(whole, "250 OK\r\n", 8);
	pb_tls_read(whole, buf, sizeof(buf));
	pb_tls_close(whole);
	pb_tls_close(whole);
	while (pb_tls_take_out(whole, buf, sizeof(buf)) > 0)
		;
	pb_tls_conn_destroy(&whole);
	pb_tls_conn_destroy(&split);
	return 0;
}
