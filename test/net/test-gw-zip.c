/*
 * test-gw-zip.c: the DEFLATE engine against zlib as the peer — what we send is readable at
 * every sync flush (and not before), what the peer sends is read byte by byte, a small input
 * that inflates to 64 MiB comes out in pieces of at most GW_ZIP_CHUNK, a corrupt stream is an
 * error, and the memory zlib holds stays under GW_ZIP_MEMORY_MAX.
 */
#include "gw-zip.h"
#include "pb-buf.h"
#include "pb-test.h"

#include <string.h>
#include <zlib.h>

static void collect(void *ctx, const void *data, size_t len)
{
	CHECK(len > 0 && len <= GW_ZIP_CHUNK);
	pb_buf_append(ctx, data, len);
}

/* The peer's inflater (raw, 32 KiB window): everything it can read from in now. */
static void peer_inflate(z_stream *zs, const struct pb_buf *in, struct pb_buf *out)
{
	char buf[4096];

	zs->next_in = (Bytef *)in->data;
	zs->avail_in = (uInt)in->len;
	do {
		zs->next_out = (Bytef *)buf;
		zs->avail_out = sizeof(buf);
		int rc = inflate(zs, Z_SYNC_FLUSH);
		CHECK(rc == Z_OK || rc == Z_BUF_ERROR);
		pb_buf_append(out, buf, sizeof(buf) - zs->avail_out);
	} while (zs->avail_in > 0 || zs->avail_out == 0);
}

static void test_deflate_readable_at_flush(void)
{
	struct gw_zip *z = gw_zip_create();
	struct pb_buf wire, got;
	z_stream peer = { 0 };

	pb_buf_init(&wire);
	pb_buf_init(&got);
	CHECK_INT(inflateInit2(&peer, -15), Z_OK);
	gw_zip_deflate(z, "* 1 FETCH (FLAGS (\\Seen))\r\n", 27, false, collect, &wire);
	CHECK(gw_zip_unflushed(z));
	peer_inflate(&peer, &wire, &got);
	CHECK(got.len < 27); /* not flushed: the peer cannot have it all */
	gw_zip_deflate(z, NULL, 0, true, collect, &wire);
	CHECK(!gw_zip_unflushed(z));
	pb_buf_reset(&got);
	peer_inflate(&peer, &wire, &got);
	CHECK_STR(got.data, "* 1 FETCH (FLAGS (\\Seen))\r\n");
	/* a large write in pieces, then a flush alone */
	char big[100000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + (i * 7919) % 26);
	pb_buf_reset(&wire);
	gw_zip_deflate(z, big, sizeof(big), true, collect, &wire);
	pb_buf_reset(&got);
	peer_inflate(&peer, &wire, &got);
	CHECK_INT(got.len, sizeof(big));
	CHECK(memcmp(got.data, big, sizeof(big)) == 0);
	/* a flush with nothing written writes nothing */
	pb_buf_reset(&wire);
	gw_zip_deflate(z, NULL, 0, true, collect, &wire);
	CHECK_INT(wire.len, 0);
	CHECK(gw_zip_memory(z) > 0 && gw_zip_memory(z) <= GW_ZIP_MEMORY_MAX);
	inflateEnd(&peer);
	pb_buf_deinit(&wire);
	pb_buf_deinit(&got);
	gw_zip_destroy(&z);
	CHECK(z == NULL);
}

/* What a client sends: compressed with a 32 KiB window and synced. */
static void peer_deflate(z_stream *zs, const void *data, size_t len, struct pb_buf *out)
{
	char buf[4096];

	zs->next_in = (Bytef *)data;
	zs->avail_in = (uInt)len;
	do {
		zs->next_out = (Bytef *)buf;
		zs->avail_out = sizeof(buf);
		CHECK(deflate(zs, Z_SYNC_FLUSH) != Z_STREAM_ERROR);
		pb_buf_append(out, buf, sizeof(buf) - zs->avail_out);
	} while (zs->avail_out == 0);
}

static void test_inflate_byte_by_byte(void)
{
	struct gw_zip *z = gw_zip_create();
	z_stream peer = { 0 };
	struct pb_buf wire, got;
	char out[64];
	size_t used, made;
	const char *error;
	const char *cmd = "a LOGIN bob secret\r\nb SELECT INBOX\r\n";

	pb_buf_init(&wire);
	pb_buf_init(&got);
	CHECK_INT(deflateInit2(&peer, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	peer_deflate(&peer, cmd, strlen(cmd), &wire);
	for (size_t i = 0; i < wire.len; i++) {
		CHECK_INT(gw_zip_inflate(z, wire.data + i, 1, out, sizeof(out), &used, &made, &error),
			  0);
		CHECK_INT(used, 1);
		pb_buf_append(&got, out, made);
	}
	CHECK_STR(got.data, cmd);
	/* garbage after it: a corrupt stream */
	const char bad[] = { (char)0xff, (char)0xff, (char)0xff, (char)0xff };
	CHECK_INT(gw_zip_inflate(z, bad, sizeof(bad), out, sizeof(out), &used, &made, &error), -1);
	CHECK_STR(error, "corrupt compressed data");
	deflateEnd(&peer);
	pb_buf_deinit(&wire);
	pb_buf_deinit(&got);
	gw_zip_destroy(&z);
}

/* 64 MiB of one byte compress to about 64 KiB: they come out a bounded piece at a time. */
static void test_bomb_in_bounded_pieces(void)
{
	struct gw_zip *z = gw_zip_create();
	z_stream peer = { 0 };
	struct pb_buf wire;
	static char zeros[1 << 20];
	char out[GW_ZIP_CHUNK];
	size_t used, made = 0, total = 0, off = 0, pieces = 0;
	const char *error;

	pb_buf_init(&wire);
	CHECK_INT(deflateInit2(&peer, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	for (int i = 0; i < 64; i++)
		peer_deflate(&peer, zeros, sizeof(zeros), &wire);
	CHECK(wire.len < 200 * 1024);
	while (off < wire.len || made == sizeof(out)) {
		CHECK_INT(gw_zip_inflate(z, wire.data + off, wire.len - off, out, sizeof(out), &used,
					 &made, &error), 0);
		CHECK(made <= sizeof(out));
		off += used;
		total += made;
		pieces++;
	}
	CHECK_INT(total, 64u << 20);
	CHECK(pieces >= total / sizeof(out));
	CHECK(gw_zip_memory(z) <= GW_ZIP_MEMORY_MAX);
	deflateEnd(&peer);
	pb_buf_deinit(&wire);
	gw_zip_destroy(&z);
}

static const struct pb_test_case cases[] = {
	{ "deflate_readable_at_flush", test_deflate_readable_at_flush },
	{ "inflate_byte_by_byte", test_inflate_byte_by_byte },
	{ "bomb_in_bounded_pieces", test_bomb_in_bounded_pieces },
};

PB_TEST_MAIN(cases)
