/*
 * web-mail-upload.c: webmail's attachment uploads (web-mail.h): POST /api/mail/uploads takes a
 * file as the raw request body (not base64 in JSON) and keeps it until the message naming it
 * is sent, the account logs out, DELETE /api/mail/uploads/{id} removes it, or it is older than
 * web.upload_ttl_s. Each is a file data_dir/web-uploads/<id> (0600, the directory 0700): a
 * logged-in request's body is written there as it arrives (http_limits.body_sink: a file
 * "part-..." renamed to the id once the request is whole and allowed), never whole in memory;
 * the send reads it back a slice at a time (web-mail-stream.c). Files rather than the store: an upload is scratch, owned by
 * the gateway, never acknowledged as mail, and must be gone after a restart (the directory is
 * emptied at start); the store's uploads (spool, mailbox) are each bound to one destination
 * and expire on their own clock. Bounded per account: web.uploads_per_user files and
 * web.uploads_user_kb octets (429 past either), the part files under way counted (each at the
 * larger of its Content-Length and what arrived), checked at the request's head and as its
 * body arrives; and by the disk: none that would leave less than storage.min_free_mb free
 * (507). The id is 128 random bits in hex; an upload is found only by its owner's name and
 * removed at the logout of the login it was made under.
 * OWNS: struct web_uploads (the table and its files). THREAD: the web hub's (created and freed
 * on the main thread while the hub is not running).
 */
#include "web-mail.h"

#include "web-api.h"

#include "pb-alloc.h"
#include "pb-log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct web_uploads {
	char *dir; /* NULL: uploads are off (no data directory) */
	struct web_upload *v;
	size_t n, cap;
	struct web_upload_tmp *live; /* the part files under way of logged-in uploads */
};

/* Removes every file of dir (a previous run's uploads). */
static void dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		unlink(path);
		free(path);
	}
	closedir(d);
}

struct web_uploads *web_uploads_new(const char *data_dir)
{
	struct web_uploads *u = xcalloc(1, sizeof(*u));

	if (data_dir == NULL || data_dir[0] == '\0')
		return u;
	u->dir = xasprintf("%s/web-uploads", data_dir);
	if (mkdir(u->dir, 0700) < 0 && errno != EEXIST) {
		pb_warn("web", "event=uploads_off dir=%s reason=%s", PB_LOGQ(u->dir),
			PB_LOGQ(strerror(errno)));
		free(u->dir);
		u->dir = NULL;
		return u;
	}
	dir_empty(u->dir);
	return u;
}

static void upload_clear(struct web_upload *x)
{
	if (x->path != NULL)
		unlink(x->path);
	free(x->user);
	free(x->name);
	free(x->type);
	free(x->path);
}

void web_uploads_free(struct web_uploads **up)
{
	struct web_uploads *u = *up;

	if (u == NULL)
		return;
	for (size_t i = 0; i < u->n; i++)
		upload_clear(&u->v[i]);
	free(u->v);
	free(u->dir);
	free(u);
	*up = NULL;
}

/* Removes entry i (its file too). */
static void remove_at(struct web_uploads *u, size_t i)
{
	upload_clear(&u->v[i]);
	u->v[i] = u->v[--u->n];
}

void web_uploads_sweep(struct web_uploads *u, uint64_t now_ms, uint64_t ttl_ms)
{
	for (size_t i = 0; u != NULL && i < u->n;) {
		if (now_ms > u->v[i].created_ms + ttl_ms)
			remove_at(u, i);
		else
			i++;
	}
}

void web_uploads_drop_login(struct web_uploads *u, uint64_t login)
{
	for (size_t i = 0; u != NULL && login != 0 && i < u->n;) {
		if (u->v[i].login == login)
			remove_at(u, i);
		else
			i++;
	}
}

const struct web_upload *web_uploads_find(const struct web_uploads *u, const char *user,
					  const char *id)
{
	for (size_t i = 0; u != NULL && user != NULL && id != NULL && i < u->n; i++)
		if (strcmp(u->v[i].id, id) == 0 && strcasecmp(u->v[i].user, user) == 0)
			return &u->v[i];
	return NULL;
}

void web_uploads_remove(struct web_uploads *u, const char *user, const char *id)
{
	const struct web_upload *x = web_uploads_find(u, user, id);

	if (x != NULL)
		remove_at(u, (size_t)(x - u->v));
}

/* ---- a body as it arrives ---- */

/* How many uploads user holds and their octets, its part files under way counted (but not
 * `self`, the request asking). */
static void user_usage(const struct web_uploads *u, const char *user,
		       const struct web_upload_tmp *self, uint32_t *n_r, uint64_t *bytes_r)
{
	*n_r = 0;
	*bytes_r = 0;
	for (size_t i = 0; i < u->n; i++)
		if (strcasecmp(u->v[i].user, user) == 0)
			(*n_r)++, *bytes_r += u->v[i].size;
	for (const struct web_upload_tmp *t = u->live; t != NULL; t = t->next)
		if (t != self && strcasecmp(t->user, user) == 0)
			(*n_r)++, *bytes_r += t->written > t->declared ? t->written : t->declared;
}

/* The refusal of len more octets of uploads for user (status, text), or 0. */
static int quota_refusal(const struct web_server *srv, const char *user,
			 const struct web_upload_tmp *self, uint64_t len, bool another, char *text,
			 size_t size)
{
	uint32_t n;
	uint64_t bytes;

	user_usage(srv->uploads, user, self, &n, &bytes);
	if (another && n >= srv->uploads_per_user)
		return snprintf(text, size, "Too many uploads: at most %u at once (send or remove some)",
				srv->uploads_per_user), 429;
	if (bytes + len > srv->uploads_user_bytes)
		return snprintf(text, size, "Upload quota reached: at most %llu KB of uploads at once",
				(unsigned long long)(srv->uploads_user_bytes / 1024)), 429;
	return 0;
}

/* 507 when writing len octets would leave the uploads' filesystem less than the floor. */
static int disk_refusal(const struct web_server *srv, uint64_t len, char *text, size_t size)
{
	struct statvfs st;

	if (statvfs(srv->uploads->dir, &st) < 0)
		return 0; /* cannot tell: the write itself decides */
	if ((uint64_t)st.f_bavail * st.f_frsize >= srv->uploads_disk_floor + len)
		return 0;
	return snprintf(text, size, "The server is short of disk space: uploads are refused "
				    "for now, try again later"), 507;
}

/* The session's part file record, made (not yet counted) when there is none. */
static struct web_upload_tmp *tmp_get(struct web_session *ws)
{
	if (ws->upload == NULL) {
		ws->upload = xcalloc(1, sizeof(*ws->upload));
		ws->upload->fd = -1;
	}
	return ws->upload;
}

int web_upload_begin(struct web_session *ws, const char *user, uint64_t length)
{
	struct web_uploads *u = ws->srv->uploads;
	struct web_upload_tmp *t = tmp_get(ws);
	int status;

	if (u == NULL || u->dir == NULL)
		return snprintf(t->refusal, sizeof(t->refusal),
				"uploads are not available on this server"), 503;
	status = disk_refusal(ws->srv, length, t->refusal, sizeof(t->refusal));
	if (status == 0)
		status = quota_refusal(ws->srv, user, NULL, length, true, t->refusal,
				       sizeof(t->refusal));
	if (status != 0)
		return status;
	t->user = xstrdup(user);
	t->declared = length;
	t->next = u->live;
	u->live = t;
	return 0;
}

/* A piece's refusal: the account's quota or the disk's floor passed (text in t->refusal). */
static int piece_refusal(struct web_session *ws, struct web_upload_tmp *t, size_t len)
{
	int status;

	if (t->user == NULL)
		return 0; /* an API key's body, held in memory first: checked when whole */
	status = quota_refusal(ws->srv, t->user, t, t->written + len, false, t->refusal,
			       sizeof(t->refusal));
	if (status == 0 && t->written + len > t->declared)
		status = disk_refusal(ws->srv, len, t->refusal, sizeof(t->refusal));
	if (status != 0)
		pb_info("web", "event=upload_refused user=%s status=%d", PB_LOGQ(t->user), status);
	return status;
}

/* Opens the part file of t. */
static void part_open(struct web_uploads *u, struct web_upload_tmp *t)
{
	unsigned char rnd[8];

	RAND_bytes(rnd, sizeof(rnd));
	t->path = xasprintf("%s/part-%02x%02x%02x%02x%02x%02x%02x%02x", u->dir, rnd[0], rnd[1],
			    rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	t->fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

int web_upload_sink(void *session, const void *data, size_t len)
{
	struct web_session *ws = session;
	struct web_uploads *u = ws->srv->uploads;
	size_t off = 0;

	if (u == NULL || u->dir == NULL)
		return -1;
	struct web_upload_tmp *t = tmp_get(ws);
	int status = piece_refusal(ws, t, len);
	if (status != 0)
		return status;
	if (t->path == NULL)
		part_open(u, t);
	while (t->fd >= 0 && off < len) {
		ssize_t w = write(t->fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	t->written += off;
	if (t->fd >= 0 && off == len)
		return 0;
	pb_warn("web", "event=upload_write_failed path=%s reason=%s", PB_LOGQ(t->path),
		PB_LOGQ(strerror(errno)));
	return -1;
}

/* Takes t off the uploads' part files under way. */
static void live_remove(struct web_uploads *u, struct web_upload_tmp *t)
{
	for (struct web_upload_tmp **p = &u->live; u != NULL && *p != NULL; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			return;
		}
}

void web_upload_done(struct web_session *ws)
{
	struct web_upload_tmp *t = ws->upload;

	if (t == NULL)
		return;
	if (t->user != NULL)
		live_remove(ws->srv->uploads, t);
	if (t->fd >= 0)
		close(t->fd);
	if (t->path != NULL)
		unlink(t->path);
	free(t->user);
	free(t->path);
	free(t);
	ws->upload = NULL;
}

/* ---- the routes ---- */

/* The refusal of a new upload of len octets for the session's account (status, text), or 0. */
static int upload_refusal(struct web_session *ws, uint64_t len, char text[200])
{
	const struct web_server *srv = ws->srv;

	if (srv->uploads == NULL || srv->uploads->dir == NULL)
		return snprintf(text, 200, "uploads are not available on this server"), 503;
	if (len == 0)
		return snprintf(text, 200, "the body must be the file's bytes (it is empty)"), 400;
	int status = quota_refusal(srv, ws->who.user, ws->upload, len, true, text, 200);
	return status != 0 ? status : disk_refusal(srv, ws->upload != NULL &&
							  ws->upload->path != NULL ? 0 : len,
						   text, 200);
}

/* The request's media type (before any ';' parameter), allocated; NULL: not a fit one. */
static char *upload_type(const struct http_request *q)
{
	const char *t = http_request_field(q, "content-type");
	size_t n = t != NULL ? strcspn(t, ";") : 0;

	while (n > 0 && t[n - 1] == ' ')
		n--;
	if (n == 0)
		return xstrdup("application/octet-stream");
	char *type = xstrndup(t, n);
	if (strchr(type, '/') == NULL || strpbrk(type, "\" \t\r\n,") != NULL || n > 100) {
		free(type);
		return NULL;
	}
	return type;
}

/* The request's body as the uploads' file named id: the part file it arrived in renamed; a
 * body kept in memory (an API key's, within web.max_body_kb) is written to one first.
 * 0, or -1 (logged; the part file is removed by web_upload_done). */
static int file_write(struct web_session *ws, const char *id, const struct pb_buf *body,
		      char **path_r)
{
	if ((ws->upload == NULL || ws->upload->path == NULL) &&
	    web_upload_sink(ws, body->data, body->len) < 0)
		return -1;
	struct web_upload_tmp *t = ws->upload;
	char *path = xasprintf("%s/%s", ws->srv->uploads->dir, id);
	int rc = t->fd >= 0 && close(t->fd) == 0 && rename(t->path, path) == 0 ? 0 : -1;

	t->fd = -1;
	if (rc < 0) {
		pb_warn("web", "event=upload_write_failed path=%s reason=%s", PB_LOGQ(path),
			PB_LOGQ(strerror(errno)));
		free(path);
		return -1;
	}
	free(t->path); /* adopted: no longer the part file to remove */
	t->path = NULL;
	*path_r = path;
	return 0;
}

static cJSON *upload_json(const struct web_upload *x)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", x->id);
	cJSON_AddStringToObject(o, "name", x->name);
	cJSON_AddNumberToObject(o, "size", (double)x->size);
	cJSON_AddStringToObject(o, "type", x->type);
	return o;
}

/* Adds the entry (fields taken) and answers 201 with it. */
static void upload_add(struct web_session *ws, struct web_upload *x)
{
	struct web_uploads *u = ws->srv->uploads;

	if (u->n == u->cap) {
		u->cap = u->cap == 0 ? 16 : u->cap * 2;
		u->v = xrealloc(u->v, u->cap * sizeof(*u->v));
	}
	u->v[u->n++] = *x;
	pb_info("web", "event=upload user=%s id=%s size=%llu", PB_LOGQ(ws->who.user), x->id,
		(unsigned long long)x->size);
	web_reply_json(ws, 201, upload_json(x), NULL);
}

void web_mail_upload(struct web_session *ws, const struct http_request *q)
{
	char text[200];
	uint64_t size = q->body.len + q->body_sunk;
	int status = upload_refusal(ws, size, text);
	struct web_upload x = { .size = size, .created_ms = gw_now(ws->gs) };
	unsigned char rnd[16];

	if (status != 0) {
		web_reply_error(ws, status, text);
		return;
	}
	x.name = web_query_param(q, "name");
	x.type = upload_type(q);
	if (x.name == NULL || x.name[0] == '\0' || strlen(x.name) > 255 ||
	    strpbrk(x.name, "\r\n") != NULL || x.type == NULL) {
		free(x.name);
		free(x.type);
		web_reply_error(ws, 400, "name the file (?name=...) and give its Content-Type "
					 "(type/subtype)");
		return;
	}
	RAND_bytes(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(x.id + 2 * i, 3, "%02x", rnd[i]);
	if (file_write(ws, x.id, &q->body, &x.path) < 0) {
		free(x.name);
		free(x.type);
		web_reply_error(ws, 503, "the upload could not be stored, try again later");
		return;
	}
	x.user = xstrdup(ws->who.user);
	x.login = ws->who.login;
	upload_add(ws, &x);
}

void web_mail_upload_del(struct web_session *ws, const struct http_request *q)
{
	if (web_uploads_find(ws->srv->uploads, ws->who.user, ws->arg) == NULL) {
		web_reply_error(ws, 404, "no such upload");
		return;
	}
	web_uploads_remove(ws->srv->uploads, ws->who.user, ws->arg);
	web_reply_json(ws, 204, NULL, NULL);
}
