/*
 * gw-zip.c: the DEFLATE engine (see gw-zip.h) over zlib's raw streams.
 * OWNS: struct gw_zip (both z_streams and the bytes zlib allocated through it).
 * THREAD: one at a time.
 */
#include "gw-zip.h"

#include "pb-alloc.h"
#include "pb-log.h"

#include <stdint.h>
#include <string.h>
#include <zlib.h>

#define ZIP_DEFLATE_WBITS 12 /* a 4 KiB window for what we send */
#define ZIP_DEFLATE_MEMLEVEL 5
#define ZIP_INFLATE_WBITS 15 /* the largest a client may use (RFC 4978 4) */

struct gw_zip {
	z_stream out, in;
	size_t memory;	/* bytes zlib holds through zip_alloc */
	bool unflushed; /* input given to deflate since its last sync flush */
};

/* zlib's allocations, counted: each block carries its size in front. */
static voidpf zip_alloc(voidpf opaque, uInt items, uInt size)
{
	struct gw_zip *z = opaque;
	size_t n = (size_t)items * size;
	size_t *p = xmalloc(sizeof(size_t) + n);

	p[0] = n;
	z->memory += n;
	return p + 1;
}

static void zip_free(voidpf opaque, voidpf address)
{
	struct gw_zip *z = opaque;
	size_t *p = (size_t *)address - 1;

	z->memory -= p[0];
	free(p);
}

struct gw_zip *gw_zip_create(void)
{
	struct gw_zip *z = xcalloc(1, sizeof(*z));

	z->out.zalloc = z->in.zalloc = zip_alloc;
	z->out.zfree = z->in.zfree = zip_free;
	z->out.opaque = z->in.opaque = z;
	if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -ZIP_DEFLATE_WBITS,
			 ZIP_DEFLATE_MEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK ||
	    inflateInit2(&z->in, -ZIP_INFLATE_WBITS) != Z_OK)
		PANIC("zlib: cannot initialise a stream");
	return z;
}

void gw_zip_destroy(struct gw_zip **zp)
{
	struct gw_zip *z = *zp;

	if (z == NULL)
		return;
	deflateEnd(&z->out);
	inflateEnd(&z->in);
	free(z);
	*zp = NULL;
}

size_t gw_zip_memory(const struct gw_zip *z)
{
	return z->memory;
}

bool gw_zip_unflushed(const struct gw_zip *z)
{
	return z->unflushed;
}

/* Runs deflate over the stream's input until zlib has nothing more to give for this flush
 * mode: with Z_SYNC_FLUSH, until a call leaves room in the output (zlib's documented end). */
void gw_zip_deflate(struct gw_zip *z, const void *data, size_t len, bool flush,
		    gw_zip_sink_fn *sink, void *ctx)
{
	unsigned char buf[GW_ZIP_CHUNK];
	int mode = flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;

	if (len == 0 && !(flush && z->unflushed))
		return;
	z->out.next_in = (Bytef *)data;
	z->out.avail_in = (uInt)len;
	do {
		z->out.next_out = buf;
		z->out.avail_out = sizeof(buf);
		int rc = deflate(&z->out, mode);
		if (rc != Z_OK && rc != Z_BUF_ERROR) /* Z_BUF_ERROR: no progress possible, fine */
			PANIC("zlib: deflate failed (%d)", rc);
		if (sizeof(buf) - z->out.avail_out > 0)
			sink(ctx, buf, sizeof(buf) - z->out.avail_out);
	} while (z->out.avail_in > 0 || z->out.avail_out == 0);
	z->unflushed = !flush;
}

int gw_zip_inflate(struct gw_zip *z, const void *in, size_t len, void *out, size_t out_size,
		   size_t *used_r, size_t *made_r, const char **error_r)
{
	z->in.next_in = (Bytef *)in;
	z->in.avail_in = (uInt)(len < UINT32_MAX ? len : UINT32_MAX);
	z->in.next_out = out;
	z->in.avail_out = (uInt)out_size;
	int rc = inflate(&z->in, Z_SYNC_FLUSH);
	*used_r = (size_t)(z->in.next_in - (Bytef *)in);
	*made_r = out_size - z->in.avail_out;
	if (rc == Z_OK || (rc == Z_BUF_ERROR && *used_r == len))
		return 0;
	*error_r = rc == Z_STREAM_END ? "compressed stream ended" : "corrupt compressed data";
	return -1;
}
