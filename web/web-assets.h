/*
 * web-assets.h: the static files the web gateway serves (the admin and webmail pages, their
 * scripts, styles and images), read once at start from one directory into memory: each with
 * its type, a strong entity tag (SHA-256 of the content) and, for compressible types, a gzip
 * copy made once. Serving reads no disk and resolves no file name: a request path is looked up
 * in the table, so nothing outside the directory (a "..", a symbolic link, a device) can be
 * reached whatever the request says.
 *
 * Loading is bounded: names of [A-Za-z0-9._-] only (others skipped with a warning), symbolic
 * links and special files skipped, at most WEB_ASSETS_MAX_DEPTH directories deep,
 * WEB_ASSETS_MAX_FILES files, WEB_ASSET_MAX_BYTES each and WEB_ASSETS_MAX_BYTES together.
 *
 * OWNS: the table (immutable once loaded). THREAD: loaded on one thread, then read by any.
 */
#ifndef WEB_ASSETS_H
#define WEB_ASSETS_H

#include <stddef.h>

#define WEB_ASSETS_MAX_DEPTH 8
#define WEB_ASSETS_MAX_FILES 4096
#define WEB_ASSET_MAX_BYTES (8u * 1024 * 1024)
#define WEB_ASSETS_MAX_BYTES (64u * 1024 * 1024)

struct web_asset {
	char *path;       /* "/admin/app.js" */
	const char *type; /* "text/javascript; charset=utf-8" */
	char etag[36];    /* "\"<32 hex>\"" */
	char *data;
	size_t len;
	char *gz;         /* NULL when not compressible or not smaller */
	size_t gz_len;
};

struct web_assets;

/* Loads every file under dir. Returns 0 with *assets_r (free with web_assets_free), or -1 with
 * *error_r allocated (the caller frees it) when dir cannot be read or a bound is passed. */
int web_assets_load(const char *dir, struct web_assets **assets_r, char **error_r);
void web_assets_free(struct web_assets **assets);
/* The asset of a normalised request path; a path ending in '/' names its index.html. NULL:
 * none. */
const struct web_asset *web_assets_find(const struct web_assets *a, const char *path);
size_t web_assets_count(const struct web_assets *a);
/* The media type of a file name by its extension ("application/octet-stream" if unknown). */
const char *web_asset_type(const char *name);

#endif
