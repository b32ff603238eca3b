/*
 * collector-run.h: one collection from a POP3 mailbox — the download loop of the collector
 * actor (DESIGN.md), run on the "cwork" thread: it blocks on the network with deadlines and
 * calls the directory and the spool synchronously.
 *
 * Exactly once: a new message is streamed from RETR into a spool upload whose commit carries
 * the seen mark "NAME UIDL" (store-spool.h): the message and the mark are one synced write, or
 * the commit answers EXISTS (it is in the spool already). Only then is DELE sent (leave_days 0,
 * or once the first-seen time is leave_days old); a crash anywhere before QUIT leaves the
 * message at the server, and the mark makes the next run delete it instead of fetching it
 * again. A UIDL shared by several messages of one scan names none of them: they are all left at
 * the server, untouched (collector-run.c, one_message). docs/storage.md "Collectors: exactly
 * once".
 * OWNS: nothing past the call. THREAD: the cwork actor's.
 */
#ifndef COLLECTOR_RUN_H
#define COLLECTOR_RUN_H

#include "collector-def.h"
#include "pb-runtime.h"
#include "store-db.h"

#include <stdbool.h>

struct pb_tls_ctx;
struct statushub_progress;

struct collector_run_in {
	struct pb_store *store;
	struct pb_caller *caller;     /* for the directory and the spool */
	const struct collector_def *def;
	const char *password;         /* in clear, for this run only */
	struct pb_tls_ctx *tls;       /* the client context for tls ssl/stls (borrowed), or NULL */
	int64_t now_ms;               /* wall clock: first-seen times, leave-on-server */
	uint32_t timeout_ms;          /* each network wait */
	/* Asked before each message: true stops the run there ("hung up"; QUIT is still sent,
	 * so the DELEs of messages safe here take effect). NULL: never. */
	bool (*stop)(const char *name);
	struct pb_runtime *rt;        /* a long wait (IMAP IDLE) ends at its stop; NULL: none */
	/* The cwork worker's slot (0 .. CWORK_POOL_MAX-1): an IMAP run's store uploads are owned
	 * by PB_UPLOAD_OWNER_COLLECTOR + worker, so runs side by side never clean each other's. */
	uint32_t worker;
	/* The run's progress for the status hub (kind "collect", the connection method's name in
	 * it), updated as messages are gone through and told coalesced; the final word is the
	 * caller's. NULL: not told. */
	struct statushub_progress *progress;
};

struct collector_run_out {
	uint32_t fetched;  /* messages put in the spool (or found there already) */
	uint32_t too_big;  /* over max_kb: their recipients were told */
	uint32_t deleted;  /* DELE sent (effective at QUIT) */
	uint32_t waiting;  /* too big, told before, not asked for */
	uint64_t bytes;    /* the sizes of the messages fetched */
	char error[512];   /* why the run failed ("" when it did not) */
};

/* Runs one collection. 0, or -1 with out->error (the server could not be reached, refused the
 * login, broke off; the directory or the spool failed). Messages already safe stay counted. */
int collector_run(const struct collector_run_in *in, struct collector_run_out *out);
/* done of total messages of the run gone through: told to the status hub (coalesced) when
 * in->progress is set. */
void collector_run_progress(const struct collector_run_in *in, uint64_t done, uint64_t total,
			    const struct collector_run_out *out);
/* The spool key of a collector: every commit of one collector goes to one spool shard. */
uint64_t collector_spool_key(const char *name);

#endif
