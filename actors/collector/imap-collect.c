/*
 * imap-collect.c: one run of an IMAP collector (see imap-collect.h): folders, progress and
 * the IDLE phase. The messages themselves: imap-collect-store.c.
 * OWNS: nothing past the call. THREAD: the cwork actor's.
 */
#include "imap-collect-int.h"
#include "collector-pool.h"
#include "collector-resolve.h"

#include "imap-mailbox-name.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "store-collector.h"
#include "store-mail.h"
#include "store-spool.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int imap_collect_local_name(const char *name, char delim, uint8_t special, char **local_r)
{
	static const char *const specials[] = { NULL, "INBOX", "Sent", "Drafts", "Trash", "Junk",
						"Archive" };
	struct pb_buf out;
	const char *error;

	if (strcasecmp(name, "INBOX") == 0 || (special >= 2 && special <= 6)) {
		*local_r = xstrdup(strcasecmp(name, "INBOX") == 0 ? "INBOX" : specials[special]);
		return 0;
	}
	char *mapped = xstrdup(name);
	for (char *p = mapped; *p != '\0'; p++)
		*p = *p == delim ? '/' : *p == '/' ? '_' : *p;
	pb_buf_init(&out);
	int rc = imap_mutf7_to_utf8(mapped, &out, &error);
	free(mapped);
	pb_buf_append_c(&out, '\0');
	if (rc == 0 && imap_mailbox_name_check(out.data, &error) == 0) {
		*local_r = pb_buf_steal(&out, NULL);
		return 0;
	}
	pb_buf_deinit(&out);
	return -1;
}

/* ---- progress: {"folders":[{remote, local, uidvalidity, done, uidnext, stored,
 * local_next}]} in the store (pb_store_collector_progress_*) ---- */

double imapc_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

void imapc_num_set(cJSON *o, const char *key, double v)
{
	cJSON *n = cJSON_GetObjectItem(o, key);
	if (n != NULL)
		cJSON_SetNumberValue(n, v);
	else
		cJSON_AddNumberToObject(o, key, v);
}

static void progress_load(struct imapc_run *r)
{
	char *json = NULL;
	const char *error;

	if (pb_store_collector_progress_get(r->in->store, r->in->def->name, &json, &error) == 1)
		r->progress = cJSON_Parse(json);
	free(json);
	if (!cJSON_IsObject(r->progress)) {
		cJSON_Delete(r->progress);
		r->progress = cJSON_CreateObject();
	}
	if (!cJSON_IsArray(cJSON_GetObjectItem(r->progress, "folders"))) {
		cJSON_DeleteItemFromObject(r->progress, "folders");
		cJSON_AddArrayToObject(r->progress, "folders");
	}
}

/* The progress entry of remote folder name (created empty when new). */
static cJSON *progress_entry(struct imapc_run *r, const char *name, const char *local)
{
	cJSON *folders = cJSON_GetObjectItem(r->progress, "folders"), *e;

	cJSON_ArrayForEach(e, folders) {
		const cJSON *n = cJSON_GetObjectItem(e, "remote");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return e;
	}
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "remote", name);
	cJSON_AddStringToObject(e, "local", local);
	cJSON_AddItemToArray(folders, e);
	return e;
}

int imapc_progress_save(struct imapc_run *r)
{
	const char *error;

	char *text = cJSON_PrintUnformatted(r->progress);
	int rc = pb_store_collector_progress_put(r->in->store, r->in->def->name, text, &error);
	cJSON_free(text);
	if (rc < 0)
		snprintf(r->out->error, sizeof(r->out->error), "cannot save the progress: %s", error);
	return rc;
}

/* ---- one folder ---- */

/* Creates the local folder (there already is fine). 0 / -1. */
static int local_create(struct imapc_run *r, const char *local)
{
	uint32_t code;
	const char *error;

	if (mailbox_client_folder(&r->t, r->user_id, MAILBOX_FOLDER_CREATE, local, NULL, &code,
				  &error) < 0 ||
	    (code != PB_OK && code != PB_ERR_EXISTS)) {
		snprintf(r->out->error, sizeof(r->out->error), "cannot create folder %s: %s", local,
			 error);
		return -1;
	}
	return 0;
}

/* The local folder's uidnext now (0 when it cannot be read). */
static uint32_t local_uidnext(struct imapc_run *r, const char *local)
{
	struct mailbox_list l = { 0 };
	struct mailbox_list_query q = { .folder = local, .uid_first = UINT32_MAX, .limit = 1 };
	uint32_t code;
	const char *error;

	if (mailbox_client_list(&r->t, r->user_id, &q, &code, &l, &error) < 0 || code != PB_OK)
		return 0;
	uint32_t next = l.uidnext;
	mailbox_list_free(&l);
	return next;
}

/* Starts (or restarts, on a UIDVALIDITY change) the folder's progress. 0 / -1. */
static int folder_begin(struct imapc_run *r, struct imapc_folder_sync *fs,
			const struct imapc_selected *sel)
{
	uint32_t had = (uint32_t)imapc_num(fs->st, "uidvalidity");

	if (had == sel->uidvalidity)
		return 0;
	if (had != 0)
		pb_warn("collector", "event=uidvalidity_changed collector=%s folder=%s old=%u new=%u",
			PB_LOGQ(r->in->def->name), PB_LOGQ(fs->remote), had, sel->uidvalidity);
	imapc_num_set(fs->st, "uidvalidity", sel->uidvalidity);
	imapc_num_set(fs->st, "done", 0);
	/* a re-scan compares with every local message; a new folder with none */
	imapc_num_set(fs->st, "local_next", had != 0 ? 1 : local_uidnext(r, fs->local));
	return imapc_progress_save(r);
}

/* The local messages the folder's own appends since the progress record may be. */
static int load_candidates(struct imapc_run *r, struct imapc_folder_sync *fs)
{
	struct mailbox_list_query q = { .folder = fs->local,
					.uid_first = (uint32_t)imapc_num(fs->st, "local_next") };
	struct mailbox_list l = { 0 };
	uint32_t code;
	const char *error;

	if (q.uid_first == 0)
		return 0;
	if (mailbox_client_list_all(&r->t, r->user_id, &q, &code, &l, &error) < 0 ||
	    code != PB_OK) {
		snprintf(r->out->error, sizeof(r->out->error), "cannot list folder %s: %s",
			 fs->local, error);
		return -1;
	}
	pb_rec_mbox_entry_list_move(&fs->cands, &l.entries);
	mailbox_list_free(&l);
	return 0;
}

/* Fetches the folder's new messages batch by batch, the progress saved after each. */
static int folder_fetch(struct imapc_run *r, struct imapc_folder_sync *fs, uint32_t uidnext)
{
	const char *error;

	for (;;) {
		uint32_t done = (uint32_t)imapc_num(fs->st, "done");
		if (uidnext != 0 && done + 1 >= uidnext)
			return 0;
		fs->first = done + 1;
		fs->last = uidnext == 0 ? 0 /* "*" */
			   : uidnext - 1 < done + IMAP_COLLECT_BATCH ? uidnext - 1
								     : done + IMAP_COLLECT_BATCH;
		fs->local_last = 0;
		fs->max_uid = done;
		if (imapc_fetch(r->c, fs->first, fs->last, &fs->cb, &error) < 0) {
			imapc_store_drop(fs);
			if (r->out->error[0] == '\0')
				snprintf(r->out->error, sizeof(r->out->error), "%s: %s", fs->remote,
					 error);
			return -1;
		}
		imapc_num_set(fs->st, "done", fs->last != 0 ? fs->last : fs->max_uid);
		if (fs->local_last != 0)
			imapc_num_set(fs->st, "local_next", fs->local_last + 1);
		if (imapc_progress_save(r) < 0)
			return -1;
		if (uidnext == 0) /* no UIDNEXT given: one pass of "N:*" was the rest */
			return 0;
	}
}

/* Brings one remote folder up to date here. 0 / -1 (out->error). */
static int sync_folder(struct imapc_run *r, const struct imapc_folder *f, const char *local)
{
	struct imapc_selected sel;
	struct imapc_folder_sync fs = { .r = r, .remote = f->name, .local = local };
	const char *error;

	if (local_create(r, local) < 0)
		return -1;
	if (imapc_examine(r->c, f->name, &sel, &error) < 0) {
		snprintf(r->out->error, sizeof(r->out->error), "%s", error);
		return -1;
	}
	fs.st = progress_entry(r, f->name, local);
	fs.dedupe_h = imapc_name_hash(f->name);
	fs.uidvalidity = sel.uidvalidity;
	imapc_fetch_cb_init(&fs);
	int rc = folder_begin(r, &fs, &sel);
	if (rc == 0)
		rc = load_candidates(r, &fs);
	if (rc == 0)
		rc = folder_fetch(r, &fs, sel.uidnext);
	imapc_num_set(fs.st, "uidnext", sel.uidnext);
	pb_rec_mbox_entry_list_clear(&fs.cands);
	return rc;
}

/* ---- the run ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the daemon is stopping (the cwork actor must be stopped) or a connection method
 * hung up this collector: IDLE ends then. */
static bool stopping(void *ctx)
{
	const struct imapc_run *r = ctx;
	if (r->in->stop != NULL && r->in->stop(r->in->def->name))
		return true;
	return r->in->rt != NULL && pb_runtime_stopping(r->in->rt);
}

/* Sync mode: IDLE on INBOX for idle_s (the daemon's stop ends it), fetching what arrives.
 * 0 / -1. */
static int idle_phase(struct imapc_run *r, const struct imapc_folder *inbox)
{
	int64_t end = mono_ms() + (int64_t)r->in->def->idle_s * 1000;
	const char *error;

	pb_info("collector", "event=idle collector=%s seconds=%u", PB_LOGQ(r->in->def->name),
		r->in->def->idle_s);
	for (int64_t left; (left = end - mono_ms()) > 0;) {
		uint32_t wait = left < IMAP_COLLECT_IDLE_MAX_MS ? (uint32_t)left
								: IMAP_COLLECT_IDLE_MAX_MS;
		if (stopping(r))
			return 0;
		int rc = imapc_idle(r->c, wait, stopping, r, &error);
		if (rc < 0) {
			snprintf(r->out->error, sizeof(r->out->error), "%s", error);
			return -1;
		}
		if (rc == 1 && sync_folder(r, inbox, "INBOX") < 0)
			return -1;
	}
	return 0;
}

/* Every selectable remote folder, INBOX last (the IDLE phase keeps it selected). */
static int sync_all(struct imapc_run *r, struct imapc_folder *v, size_t n,
		    const struct imapc_folder **inbox_r)
{
	char *local;

	*inbox_r = NULL;
	for (size_t i = 0; i < n; i++) {
		if (v[i].noselect)
			continue;
		if (imap_collect_local_name(v[i].name, v[i].delim, v[i].special, &local) < 0) {
			pb_warn("collector", "event=folder_skipped collector=%s folder=%s",
				PB_LOGQ(r->in->def->name), PB_LOGQ(v[i].name));
			continue;
		}
		bool is_inbox = strcmp(local, "INBOX") == 0;
		int rc = is_inbox ? 0 : sync_folder(r, &v[i], local);
		free(local);
		if (rc < 0)
			return -1;
		if (is_inbox)
			*inbox_r = &v[i];
	}
	return *inbox_r != NULL ? sync_folder(r, *inbox_r, "INBOX") : 0;
}

/* The session after the login. 0 / -1. */
static int run_session(struct imapc_run *r)
{
	struct imapc_folder *v = NULL;
	const struct imapc_folder *inbox;
	const char *error;
	size_t n = 0;

	if (imapc_list(r->c, &v, &n, &error) < 0) {
		snprintf(r->out->error, sizeof(r->out->error), "%s", error);
		return -1;
	}
	progress_load(r);
	int rc = sync_all(r, v, n, &inbox);
	if (rc == 0 && inbox != NULL && r->in->def->idle_s > 0)
		rc = idle_phase(r, inbox);
	imapc_folders_free(v, n);
	return rc;
}

/* The local user id of the collector's target. 0 / -1. */
static int target_user(struct imapc_run *r)
{
	struct collector_rcpts rcpts = { 0 };
	const char *error;

	int rc = collector_resolve(r->in->def, r->in->caller, "", 0, &rcpts, &error);
	if (rc == 0)
		r->user_id = rcpts.ids.v[0];
	else
		snprintf(r->out->error, sizeof(r->out->error), "%s", error);
	collector_rcpts_clear(&rcpts);
	return rc;
}

int imap_collect_run(const struct collector_run_in *in, struct collector_run_out *out)
{
	const struct collector_def *d = in->def;
	struct imapc_run r = { .in = in, .out = out };
	const char *error;

	memset(out, 0, sizeof(*out));
	pb_sync_init_caller(&r.t, in->caller, in->timeout_ms);
	if (target_user(&r) < 0)
		return -1;
	/* one run at a time on this worker: whatever an earlier run of it left is an orphan (only
	 * this worker's: another may be uploading beside it; CWORK_POOL_MAX owners, so owner 0
	 * does not take the others' for leftovers of a smaller pool) */
	pb_store_uploads_clean(in->store, PB_UPLOAD_OWNER_COLLECTOR + in->worker, CWORK_POOL_MAX,
			       NULL, &error);
	if (imapc_open(d->server, collector_def_port(d), d->tls, in->tls, in->timeout_ms, &r.c,
		       &error) < 0 ||
	    imapc_login(r.c, d->auth == COLLECTOR_AUTH_PLAIN, d->user, in->password, &error) < 0) {
		snprintf(out->error, sizeof(out->error), "%s", error);
		imapc_close(&r.c, false);
		return -1;
	}
	int rc = run_session(&r);
	if (r.progress != NULL && rc < 0)
		imapc_progress_save(&r); /* the uidnext seen; the error stays the run's */
	cJSON_Delete(r.progress);
	imapc_close(&r.c, rc == 0);
	return rc;
}
