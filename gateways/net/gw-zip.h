/*
 * gw-zip.h: the DEFLATE engine of a connection (IMAP COMPRESS=DEFLATE, RFC 4978), bytes in and
 * bytes out like the TLS engine: raw deflate (RFC 1951, no zlib or gzip header) both ways.
 * Pure: no sockets, no clock; zlib allocates through counting functions so the memory it holds
 * is known and bounded (gw_zip_memory).
 *
 * Memory per connection, fixed at creation: the compressor keeps a 4 KiB window with memLevel
 * 5 (zlib: 4 * 4 KiB + 2^14 = 32 KiB, plus its state), the decompressor the 32 KiB window the
 * client may use (RFC 4978 4 lets the client choose up to 2^15) plus its state: about 80 KiB
 * in all, GW_ZIP_MEMORY_MAX bounds it. Output comes in pieces of at most GW_ZIP_CHUNK bytes,
 * so a decompression bomb never makes a buffer larger than that: the caller hands each piece
 * on and its consumer's own bounds (the IMAP parser's) stop a flood.
 *
 * OWNS: struct gw_zip and zlib's two streams. THREAD: one at a time (the hub's).
 */
#ifndef GW_ZIP_H
#define GW_ZIP_H

#include <stdbool.h>
#include <stddef.h>

#define GW_ZIP_CHUNK 16384
#define GW_ZIP_MEMORY_MAX (96u * 1024u)

struct gw_zip;

/* A new engine (aborts on out-of-memory like xmalloc). Free with gw_zip_destroy (sets NULL). */
struct gw_zip *gw_zip_create(void);
void gw_zip_destroy(struct gw_zip **z);
/* The bytes zlib holds for this engine now (both streams). */
size_t gw_zip_memory(const struct gw_zip *z);

/* Where compressed or decompressed output goes, in pieces of 1..GW_ZIP_CHUNK bytes. */
typedef void gw_zip_sink_fn(void *ctx, const void *data, size_t len);

/* Compresses data[0..len) into sink. flush: ends with a sync flush (Z_SYNC_FLUSH: everything
 * given so far can be decompressed by the peer now); else zlib may keep some of it until a
 * later call. len may be 0 (a flush alone). Whether something awaits a flush:
 * gw_zip_unflushed. */
void gw_zip_deflate(struct gw_zip *z, const void *data, size_t len, bool flush,
		    gw_zip_sink_fn *sink, void *ctx);
bool gw_zip_unflushed(const struct gw_zip *z);

/* Decompresses in[0..len) into out (at most out_size bytes, out_size > 0). *used_r: the input
 * bytes taken, *made_r the output bytes made; call again with the rest while *used_r < len or
 * *made_r == out_size. Returns 0, or -1 with error_r (static) for a corrupt stream or one that
 * ended (RFC 4978: the stream lasts as long as the connection). */
int gw_zip_inflate(struct gw_zip *z, const void *in, size_t len, void *out, size_t out_size,
		   size_t *used_r, size_t *made_r, const char **error_r);

#endif
