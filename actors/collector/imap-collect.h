/*
 * imap-collect.h: one run of an IMAP collector (protocol=imap): migrates the whole remote
 * account into the local user target — every folder (the remote hierarchy delimiter mapped to
 * "/", special-use folders to our Sent, Drafts, Trash, Junk and Archive, a missing folder
 * created here), each message with its flags, keywords and INTERNALDATE — then keeps it synced:
 * once caught up the run stays in IDLE on INBOX for def->idle_s seconds (re-issued every
 * IMAP_COLLECT_IDLE_MAX_MS, under RFC 2177's 29 minutes), fetching what arrives; the other
 * folders are looked at again at each run (interval_min). One-way: flags changed or messages
 * removed at the remote later are not applied here, and nothing is ever changed or deleted at
 * the remote (EXAMINE, BODY.PEEK).
 *
 * Exactly once (docs/storage.md "IMAP collector: exactly once"): a message is streamed into a
 * store upload (never whole in memory), committed as a body, and appended by the user's
 * mailbox owner with the dedupe key "imapc:NAME:H:UIDVALIDITY:UID" (H: a hash of the remote
 * folder name) checked and written in the append's own synced batch. The progress per folder
 * (UIDVALIDITY, the highest UID stored, the local uidnext then) is a synced record written
 * after each batch of messages is safe. After a crash the run resumes after that UID; what
 * the lost batch stored is recognised by its dedupe key, or, when maint has pruned the key,
 * by its (size, INTERNALDATE) among the local messages appended since the progress record.
 * A UIDVALIDITY change re-scans the folder, skipping every remote message whose (size,
 * INTERNALDATE) is already in the local folder.
 * OWNS: nothing past the call. THREAD: the cwork actor's (blocks on the network).
 */
#ifndef IMAP_COLLECT_H
#define IMAP_COLLECT_H

#include "collector-run.h"

/* The longest one IDLE command lasts before DONE and a new IDLE. */
#define IMAP_COLLECT_IDLE_MAX_MS (28u * 60 * 1000)
/* UIDs fetched per UID FETCH, after which the progress is written. */
#define IMAP_COLLECT_BATCH 100

/* Runs one collection of in->def (protocol imap). out->fetched: messages stored here (or
 * found here already); out->error why it failed. 0 / -1. Messages stored stay stored. */
int imap_collect_run(const struct collector_run_in *in, struct collector_run_out *out);

/* The local folder name of a remote one (pure, tested alone): INBOX for INBOX (any case), the
 * special-use folder's name for special 2..6, else name with delim mapped to "/" (a "/" inside
 * a component becomes "_") and modified UTF-7 decoded. 0 with an xmalloc'd *local_r, or -1
 * (not a name we can hold: the folder is skipped). */
int imap_collect_local_name(const char *name, char delim, uint8_t special, char **local_r);

#endif
