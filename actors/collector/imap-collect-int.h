/*
 * imap-collect-int.h: what the IMAP collector's files share (imap-collect.c: folders,
 * progress, IDLE; imap-collect-store.c: each message into the store and the mailbox).
 * OWNS: the structs below, for one run. THREAD: the cwork actor's.
 */
#ifndef IMAP_COLLECT_INT_H
#define IMAP_COLLECT_INT_H

#include "imap-collect-client.h"
#include "imap-collect.h"
#include "mailbox-client.h"

#include <cjson/cJSON.h>

struct pb_store_upload;

struct imapc_run {
	const struct collector_run_in *in;
	struct collector_run_out *out;
	struct pb_sync t;       /* the mailbox owners and the directory */
	uint64_t user_id;       /* the target's */
	struct imapc *c;
	cJSON *progress;        /* {"folders":[...]}, saved with imapc_progress_save */
};

/* One folder being fetched. */
struct imapc_folder_sync {
	struct imapc_run *r;
	cJSON *st;                    /* its progress entry (in r->progress) */
	const char *remote, *local;
	uint64_t dedupe_h;            /* imapc_name_hash(remote) */
	uint32_t uidvalidity;
	uint32_t first, last;         /* the batch asked for (last 0: "*") */
	uint32_t max_uid;             /* the highest uid of the batch answered */
	uint32_t local_last;          /* the highest local uid appended in the batch */
	struct pb_store_upload *up;   /* the message being received, NULL before its first piece */
	struct pb_rec_mbox_entry_list cands; /* local messages that may be ours already */
	struct imapc_fetch_cb cb;
};

/* The fetch callbacks of fs (imap-collect-store.c). */
void imapc_fetch_cb_init(struct imapc_folder_sync *fs);
/* Drops a message half received (after a failed fetch). */
void imapc_store_drop(struct imapc_folder_sync *fs);
/* FNV-1a of a folder name (the dedupe key's H). */
uint64_t imapc_name_hash(const char *name);

double imapc_num(const cJSON *o, const char *key);
void imapc_num_set(cJSON *o, const char *key, double v);
/* Writes r->progress (synced). 0 / -1 (out->error). */
int imapc_progress_save(struct imapc_run *r);

#endif
