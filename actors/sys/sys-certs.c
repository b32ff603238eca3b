/*
 * sys-certs.c: installing a TLS certificate for POST /api/certificates (issue 15 item 2). The
 * PEM pair is written under DATA_DIR/tls-installed (mode 0600, temp file + fsync + rename),
 * named by its SHA-256 so a replayed run (web-stub.h) writes the same files again, then loaded
 * exactly as the daemon will (pb_tls_ctx_create: PEM, the key matches the certificate) and
 * checked for expiry; a pair that fails is removed. Installed pairs no setting names are then
 * pruned, the newest two kept (the one just installed is the newest; the caller names it in the
 * document "services" next). Blocking file I/O: it runs here, on the sys actor's thread, never
 * on a gateway's hub. The key is never answered back.
 * OWNS: the files under DATA_DIR/tls-installed. THREAD: the sys actor's.
 * MESSAGES: handles SYS_CERT_INSTALL_REQ (SYS_CERT_INSTALL_REP).
 */
#include "sys-private.h"

#include "pb-log.h"
#include "pb-tls.h"
#include "sys-client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CERTS_DIR "tls-installed"
#define CERTS_KEEP 2     /* installed pairs kept beyond those a setting names */
#define CERTS_SCAN_MAX 256 /* pairs looked at when pruning */

/* Writes len bytes to path atomically (path.tmp, mode 0600, fsync, rename): 0 / -1. */
static int write_private(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	bool ok = fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, data, len) == (ssize_t)len &&
		  fsync(fd) == 0;

	if (fd >= 0 && close(fd) < 0)
		ok = false;
	ok = ok && rename(tmp, path) == 0;
	if (!ok)
		(void)unlink(tmp);
	free(tmp);
	return ok ? 0 : -1;
}

/* The files' names for this pair: DIR/cert-HASH.pem, DIR/key-HASH.pem (allocated). */
static void pair_paths(const char *dir, const char *cert, const char *key, char **cert_path_r,
		       char **key_path_r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char hex[17];
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, cert, strlen(cert));
	EVP_DigestUpdate(c, key, strlen(key));
	EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	*cert_path_r = xasprintf("%s/cert-%s.pem", dir, hex);
	*key_path_r = xasprintf("%s/key-%s.pem", dir, hex);
}

/* Writes the pair and loads it as the daemon will: 0 with *info_r, or -1 with *code_r and
 * *error_r (allocated). The files stay only when they load and the certificate has not
 * expired. */
static int pair_install(const char *cert_path, const char *key_path, const char *cert,
			const char *key, struct pb_tls_cert_info *info_r, uint32_t *code_r,
			char **error_r)
{
	struct pb_tls_ctx *ctx;

	*code_r = PB_ERR_INTERNAL;
	if (write_private(cert_path, cert, strlen(cert)) < 0 ||
	    write_private(key_path, key, strlen(key)) < 0) {
		*error_r = xasprintf("cannot write the files: %s", strerror(errno));
		return -1;
	}
	*code_r = PB_ERR_REFUSED;
	if (pb_tls_ctx_create(cert_path, key_path, &ctx, error_r) < 0) {
		(void)unlink(cert_path);
		(void)unlink(key_path);
		return -1;
	}
	pb_tls_ctx_info(ctx, info_r);
	pb_tls_ctx_unref(&ctx);
	if (info_r->not_after * 1000 <= (int64_t)pb_clock_wall_ms()) {
		(void)unlink(cert_path);
		(void)unlink(key_path);
		*error_r = xstrdup("the certificate has expired");
		return -1;
	}
	return 0;
}

/* ---- pruning ---- */

struct cert_file {
	char name[64]; /* cert-HASH.pem */
	struct timespec mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct cert_file *)a)->mtime;
	const struct timespec *y = &((const struct cert_file *)b)->mtime;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? 1 : -1;
	return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/* The installed certificates in dir (at most CERTS_SCAN_MAX) into v: their count. */
static size_t cert_files(const char *dir, struct cert_file *v)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	struct stat st;

	while (d != NULL && n < CERTS_SCAN_MAX && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (strncmp(e->d_name, "cert-", 5) != 0 || len < 10 || len >= sizeof(v->name) ||
		    strcmp(e->d_name + len - 4, ".pem") != 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		memcpy(v[n].name, e->d_name, len + 1);
		v[n++].mtime = st.st_mtim;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* True when the setting path names the file dir/name. */
static bool named(const char *path, const char *dir, const char *name)
{
	size_t dl = strlen(dir);

	return strncmp(path, dir, dl) == 0 && path[dl] == '/' && strcmp(path + dl + 1, name) == 0;
}

/* Removes the installed pairs (cert-H.pem, key-H.pem) of dir that the settings do not name,
 * but the newest CERTS_KEEP and cert_path (the one just installed, whatever the clock's
 * granularity made of its time). Failures are logged. Returns how many pairs went. */
static size_t certs_prune(struct sys *sys, const char *dir, const char *cert_path)
{
	struct cert_file *v = xcalloc(CERTS_SCAN_MAX, sizeof(*v));
	size_t n = cert_files(dir, v), gone = 0;
	const char *in_use = sys->current.services.tls_certificate;

	qsort(v, n, sizeof(*v), newest_first);
	for (size_t i = CERTS_KEEP; i < n; i++) {
		if (named(in_use, dir, v[i].name) || named(cert_path, dir, v[i].name))
			continue;
		char *cert = xasprintf("%s/%s", dir, v[i].name);
		char *key = xasprintf("%s/key-%s", dir, v[i].name + 5);
		if ((unlink(key) < 0 && errno != ENOENT) || unlink(cert) < 0)
			pb_warn("sys", "event=certificate_prune_failed file=%s reason=%s", cert,
				strerror(errno));
		else
			gone++;
		free(cert);
		free(key);
	}
	free(v);
	return gone;
}

/* ---- the message ---- */

static void fill_rep(struct msg_sys_cert_install_rep *r, const struct pb_tls_cert_info *info,
		     char *cert_path, char *key_path)
{
	r->error = xstrdup("");
	r->cert_path = cert_path;
	r->key_path = key_path;
	r->subject = xstrdup(info->subject);
	r->issuer = xstrdup(info->issuer);
	r->names = xstrdup(info->names);
	r->not_after = info->not_after;
	r->sha256 = xstrdup(info->sha256);
	r->self_signed = info->self_signed ? 1 : 0;
}

/* Installs q's pair into dir: 0 with the answer in *rep, or -1 with *code_r, *error_r. */
static int cert_install(struct sys *sys, const struct msg_sys_cert_install_req *q,
			const char *dir, struct pb_msg *rep, uint32_t *code_r, char **error_r)
{
	char *cert_path, *key_path;
	struct pb_tls_cert_info info;

	*code_r = PB_ERR_REFUSED;
	if (strlen(q->cert) > SYS_CERT_PEM_MAX || strlen(q->key) > SYS_KEY_PEM_MAX) {
		*error_r = xstrdup("a certificate holds at most 64 KiB and a key 16 KiB");
		return -1;
	}
	*code_r = PB_ERR_INTERNAL;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*error_r = xasprintf("cannot make the directory of installed certificates: %s",
				     strerror(errno));
		return -1;
	}
	pair_paths(dir, q->cert, q->key, &cert_path, &key_path);
	if (pair_install(cert_path, key_path, q->cert, q->key, &info, code_r, error_r) < 0) {
		free(cert_path);
		free(key_path);
		return -1;
	}
	size_t gone = certs_prune(sys, dir, cert_path);
	pb_log_security("sys", "event=certificate_installed subject=%s sha256=%s file=%s "
			       "pruned=%zu by=%s",
			PB_LOGQ(info.subject), info.sha256, cert_path, gone, PB_LOGQ(q->by));
	pb_msg_init(rep, MSG_SYS_CERT_INSTALL_REP);
	fill_rep(&rep->u.sys_cert_install_rep, &info, cert_path, key_path);
	return 0;
}

int sys_on_cert_install(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys *sys = state;
	uint32_t code = PB_ERR_INTERNAL;
	char *error = NULL, *dir = NULL;
	struct pb_msg rep;

	if (sys->args->data_dir == NULL || sys->args->data_dir[0] == '\0')
		error = xstrdup("no data directory to install certificates into");
	else
		dir = xasprintf("%s/" CERTS_DIR, sys->args->data_dir);
	if (dir != NULL && cert_install(sys, &m->u.sys_cert_install_req, dir, &rep, &code,
					&error) == 0) {
		pb_reply(a, m, &rep);
		pb_msg_free(&rep);
	} else {
		pb_reply_status(a, m, code, error);
	}
	free(error);
	free(dir);
	return 0;
}
