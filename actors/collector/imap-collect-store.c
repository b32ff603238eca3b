/*
 * imap-collect-store.c: each fetched message of the IMAP collector into the user's folder:
 * its BODY[] pieces into a store upload as they come (never whole in memory), committed as a
 * body at the message's end, then appended by the user's mailbox owner with its flags,
 * keywords and INTERNALDATE and the dedupe key that makes a replay write nothing
 * (imap-collect.h, docs/storage.md "IMAP collector: exactly once").
 * OWNS: the upload in progress (fs->up). THREAD: the cwork actor's.
 */
#include "imap-collect-int.h"

#include "pb-log.h"
#include "store-bodies.h"
#include "store-spool.h"

#include <stdio.h>
#include <string.h>

uint64_t imapc_name_hash(const char *name)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

void imapc_store_drop(struct imapc_folder_sync *fs)
{
	const char *error;

	if (fs->up != NULL)
		pb_store_upload_abort(fs->r->in->store, &fs->up, &error);
}

static int fail(struct imapc_folder_sync *fs, uint32_t uid, const char *what,
		const char *error)
{
	snprintf(fs->r->out->error, sizeof(fs->r->out->error), "%s UID %u: %s: %s", fs->remote,
		 uid, what, error != NULL ? error : "");
	imapc_store_drop(fs);
	return -1;
}

static int on_body(const void *data, size_t len, void *ctx)
{
	struct imapc_folder_sync *fs = ctx;
	struct pb_store *store = fs->r->in->store;
	const char *error;

	if (fs->up == NULL && pb_store_upload_begin(store, PB_UPLOAD_OWNER_COLLECTOR + fs->r->in->worker,
						    fs->r->in->now_ms, &fs->up, &error) < 0)
		return fail(fs, 0, "upload", error);
	if (pb_store_upload_write(store, fs->up, data, len, &error) < 0)
		return fail(fs, 0, "upload", error);
	return 0;
}

/* Whether a local message appended since the progress record (or, after a UIDVALIDITY
 * change, any local message) has this one's size and date: then it is this one, stored by a
 * run that did not get to write its progress. The match is used up. */
static bool already_here(struct imapc_folder_sync *fs, uint64_t size, int64_t date_ms)
{
	for (uint32_t i = 0; i < fs->cands.n; i++) {
		struct pb_rec_mbox_entry *e = &fs->cands.v[i];
		if (e->size == size && e->internal_date_ms == date_ms) {
			e->size = UINT64_MAX;
			return true;
		}
	}
	return false;
}

/* The body received into a stored body: key_r. 0 / -1. */
static int commit_body(struct imapc_folder_sync *fs, uint32_t uid,
		       char key_r[PB_BLOB_KEY_LEN + 1])
{
	struct pb_store *store = fs->r->in->store;
	const char *error;

	if (fs->up == NULL) /* an empty message: no piece came */
		return pb_store_blob_put(store, "", 0, key_r, &error) < 0
			       ? fail(fs, uid, "store", error) : 0;
	if (pb_store_upload_commit_blob(store, &fs->up, key_r, &error) < 0)
		return fail(fs, uid, "store", error);
	return 0;
}

/* Appends the stored body to the local folder (a replay: the dedupe key writes nothing). */
static int append(struct imapc_folder_sync *fs, const struct imapc_meta *m, uint64_t size,
		  int64_t date_ms, const char *key)
{
	struct imapc_run *r = fs->r;
	char dk[PB_COLLECTOR_NAME_MAX + 64];
	struct mailbox_appended done;
	uint32_t code;
	const char *error;

	snprintf(dk, sizeof(dk), "imapc:%s:%016llx:%u:%u", r->in->def->name,
		 (unsigned long long)fs->dedupe_h, fs->uidvalidity, m->uid);
	struct mailbox_append a = { .folder = fs->local, .flags = m->flags,
				    .keywords = m->keywords, .internal_date_ms = date_ms,
				    .size = size, .blob_key = key, .dedupe_key = dk };
	if (mailbox_client_append(&r->t, r->user_id, &a, &code, &done, &error) < 0)
		return fail(fs, m->uid, "append", error);
	if (code != PB_OK)
		return fail(fs, m->uid, "append", error[0] != '\0' ? error : pb_status_name(code));
	if (done.uid > fs->local_last)
		fs->local_last = done.uid;
	return 0;
}

static int on_end(const struct imapc_meta *m, void *ctx)
{
	struct imapc_folder_sync *fs = ctx;
	char key[PB_BLOB_KEY_LEN + 1];

	if (m->uid > fs->max_uid)
		fs->max_uid = m->uid;
	if (m->uid < fs->first || (fs->last != 0 && m->uid > fs->last)) {
		imapc_store_drop(fs); /* what "N:*" answers when nothing is that new */
		return 0;
	}
	uint64_t size = fs->up != NULL ? pb_store_upload_size(fs->up) : 0;
	int64_t date = m->internal_date_ms >= 0 ? m->internal_date_ms : fs->r->in->now_ms;
	if (already_here(fs, size, date)) {
		imapc_store_drop(fs);
		fs->r->out->fetched++;
		return 0;
	}
	if (commit_body(fs, m->uid, key) < 0 || append(fs, m, size, date, key) < 0)
		return -1;
	pb_runtime_received_note(fs->r->in->rt, PB_RECEIVED_COLLECTOR);
	fs->r->out->fetched++;
	fs->r->out->bytes += size;
	/* how many a run will fetch is not known ahead (batches, folder by folder): total 0 */
	collector_run_progress(fs->r->in, fs->r->out->fetched, 0, fs->r->out);
	return 0;
}

void imapc_fetch_cb_init(struct imapc_folder_sync *fs)
{
	fs->cb = (struct imapc_fetch_cb){ on_body, on_end, fs };
}
