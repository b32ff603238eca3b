/*
 * web-assets.c: the static files, loaded once (see web-assets.h).
 * OWNS the table and its copies. THREAD: load on one, read on any.
 */
#include "web-assets.h"

#include "pb-alloc.h"
#include "pb-log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct web_assets {
	struct web_asset *v;
	size_t n, cap;
	size_t bytes;
};

static const struct {
	const char *ext;
	const char *type;
	int compress;
} types[] = {
	{ ".html", "text/html; charset=utf-8", 1 },
	{ ".css", "text/css; charset=utf-8", 1 },
	{ ".js", "text/javascript; charset=utf-8", 1 },
	{ ".mjs", "text/javascript; charset=utf-8", 1 },
	{ ".json", "application/json", 1 },
	{ ".svg", "image/svg+xml", 1 },
	{ ".txt", "text/plain; charset=utf-8", 1 },
	{ ".png", "image/png", 0 },
	{ ".ico", "image/vnd.microsoft.icon", 1 },
	{ ".woff2", "font/woff2", 0 },
	{ ".jpg", "image/jpeg", 0 },
};

static int type_index(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);
		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return (int)i;
	}
	return -1;
}

const char *web_asset_type(const char *name)
{
	int i = type_index(name);
	return i >= 0 ? types[i].type : "application/octet-stream";
}

static bool name_ok(const char *name)
{
	if (name[0] == '.' || name[0] == '\0')
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

/* Reads a regular file of at most WEB_ASSET_MAX_BYTES at dirfd/name. 0 / -1 errno. */
static int read_file(int dirfd, const char *name, char **data_r, size_t *len_r)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > WEB_ASSET_MAX_BYTES) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	size_t len = (size_t)st.st_size, got = 0;
	char *data = xmalloc(len + 1);
	while (got < len) {
		ssize_t n = read(fd, data + got, len - got);
		if (n <= 0) {
			free(data);
			close(fd);
			errno = n == 0 ? EIO : errno;
			return -1;
		}
		got += (size_t)n;
	}
	data[len] = '\0';
	close(fd);
	*data_r = data;
	*len_r = len;
	return 0;
}

static void etag_of(const char *data, size_t len, char etag_r[36])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
	etag_r[0] = '"';
	for (int i = 0; i < 16; i++)
		snprintf(etag_r + 1 + 2 * i, 3, "%02x", md[i]);
	etag_r[33] = '"';
	etag_r[34] = '\0';
}

/* A gzip copy (RFC 1952) when it is smaller; else *gz_r NULL. */
static void gzip_of(const char *data, size_t len, char **gz_r, size_t *gz_len_r)
{
	z_stream z = { 0 };
	size_t cap = len + len / 1000 + 64;
	char *out = xmalloc(cap);

	*gz_r = NULL;
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return;
	}
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = (unsigned char *)out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	size_t n = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || n >= len) {
		free(out);
		return;
	}
	*gz_r = out;
	*gz_len_r = n;
}

/* Adds the file at dirfd/name as url. 0 / -1 with error_r. */
static int add_file(struct web_assets *a, int dirfd, const char *name, const char *url,
		    char **error_r)
{
	char *data;
	size_t len;

	if (a->n == WEB_ASSETS_MAX_FILES) {
		*error_r = xasprintf("more than %d files", WEB_ASSETS_MAX_FILES);
		return -1;
	}
	if (read_file(dirfd, name, &data, &len) < 0) {
		*error_r = xasprintf("%s: %s", url, strerror(errno));
		return -1;
	}
	if (a->bytes + len > WEB_ASSETS_MAX_BYTES) {
		free(data);
		*error_r = xasprintf("more than %u octets of files", WEB_ASSETS_MAX_BYTES);
		return -1;
	}
	if (a->n == a->cap) {
		a->cap = a->cap == 0 ? 32 : a->cap * 2;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	struct web_asset *w = &a->v[a->n++];
	memset(w, 0, sizeof(*w));
	w->path = xstrdup(url);
	w->type = web_asset_type(name);
	w->data = data;
	w->len = len;
	a->bytes += len;
	etag_of(data, len, w->etag);
	int ti = type_index(name);
	if (ti >= 0 && types[ti].compress)
		gzip_of(data, len, &w->gz, &w->gz_len);
	return 0;
}

static int load_dir(struct web_assets *a, int dirfd, const char *prefix, int depth,
		    char **error_r);

/* One directory entry: a file added, a directory walked, anything else skipped. */
static int load_entry(struct web_assets *a, int dirfd, const char *prefix, int depth,
		      const char *name, char **error_r)
{
	struct stat st;
	char url[1024];

	if (!name_ok(name)) {
		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
			pb_warn("web", "event=asset_skipped name=%s reason=name", PB_LOGQ(name));
		return 0;
	}
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if ((size_t)snprintf(url, sizeof(url), "%s/%s", prefix, name) >= sizeof(url))
		return 0;
	if (S_ISREG(st.st_mode))
		return add_file(a, dirfd, name, url, error_r);
	if (!S_ISDIR(st.st_mode) || depth >= WEB_ASSETS_MAX_DEPTH)
		return 0;
	int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return 0;
	return load_dir(a, sub, url, depth + 1, error_r);
}

/* Walks the directory open at dirfd (closed here). 0 / -1 with error_r. */
static int load_dir(struct web_assets *a, int dirfd, const char *prefix, int depth,
		    char **error_r)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int ret = 0;

	if (d == NULL) {
		close(dirfd);
		*error_r = xasprintf("%s: %s", prefix[0] != '\0' ? prefix : "/",
					    strerror(errno));
		return -1;
	}
	while (ret == 0 && (de = readdir(d)) != NULL)
		ret = load_entry(a, dirfd, prefix, depth, de->d_name, error_r);
	closedir(d);
	return ret;
}

static int by_path(const void *x, const void *y)
{
	return strcmp(((const struct web_asset *)x)->path, ((const struct web_asset *)y)->path);
}

/* Files of other Debian packages served at a URL of ours (the package is a Depends): a missing
 * one is left out with a warning (its page then works without it, or says so). */
static const struct {
	const char *url, *dir, *name;
} vendor_files[] = {
	/* node-dompurify: the webmail sanitises HTML mail with it */
	{ "/mail/purify.min.js", PB_DOMPURIFY_DIR, "purify.min.js" },
};

static int load_vendor(struct web_assets *a, char **error_r)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(vendor_files); i++) {
		int fd = open(vendor_files[i].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			pb_warn("web", "event=asset_missing path=%s dir=%s", vendor_files[i].url,
				vendor_files[i].dir);
			continue;
		}
		int rc = add_file(a, fd, vendor_files[i].name, vendor_files[i].url, error_r);
		close(fd);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int web_assets_load(const char *dir, struct web_assets **assets_r, char **error_r)
{
	struct web_assets *a = xcalloc(1, sizeof(*a));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		*error_r = xasprintf("%s: %s", dir, strerror(errno));
		free(a);
		return -1;
	}
	if (load_dir(a, fd, "", 0, error_r) < 0 || load_vendor(a, error_r) < 0) {
		web_assets_free(&a);
		return -1;
	}
	if (a->n > 0)
		qsort(a->v, a->n, sizeof(*a->v), by_path);
	*assets_r = a;
	return 0;
}

void web_assets_free(struct web_assets **ap)
{
	struct web_assets *a = *ap;
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].path);
		free(a->v[i].data);
		free(a->v[i].gz);
	}
	free(a->v);
	free(a);
	*ap = NULL;
}

const struct web_asset *web_assets_find(const struct web_assets *a, const char *path)
{
	char buf[1100];
	size_t n = strlen(path);

	if (a == NULL || a->n == 0 || n == 0 || n > 1024)
		return NULL;
	snprintf(buf, sizeof(buf), "%s%s", path, path[n - 1] == '/' ? "index.html" : "");
	struct web_asset key = { .path = buf };
	return bsearch(&key, a->v, a->n, sizeof(*a->v), by_path);
}

size_t web_assets_count(const struct web_assets *a)
{
	return a != NULL ? a->n : 0;
}
