/*
 * spool-marks.h: the spool shard's side of the generated-message markers (store-db.h
 * pb_gen_mark): at each tick (and so right after a restart) the shard takes the markers of
 * its users (user_id % shards), makes each into its message (a welcome: spool-welcome.c; a
 * quota notice: spool-notice.c), and stores it as a spool entry of origin SYSTEM in the same
 * synced write that removes the marker (pb_store_gen_made), then delivers it like any entry:
 * routed (rules of message type System, forwarding, scripts, the trace) and delivered once.
 * The marker is written with the state that decides the message (the account, the quota
 * record), the entry and the marker's removal are another write: a crash before the second
 * leaves the marker (made at the next tick), after it the entry (resumed): one message, never
 * none, never two. Internal to the spool.
 * OWNS: nothing beyond one call. THREAD: the spool shard's.
 */
#ifndef SPOOL_MARKS_H
#define SPOOL_MARKS_H

#include "spool-private.h"

/* What one tick's messages share. */
struct spool_marks {
	struct pb_actor *a;
	struct spool_shard *s;
	char host[256]; /* this server's name (queue_dsn_host) */
	int64_t now_ms;
};

/* One message made from a marker (all borrowed). */
struct spool_marks_msg {
	const char *rcpt;    /* the address it goes to (a bare account name: at a local domain) */
	uint64_t rcpt_id;    /* its account, 0 none (the router resolves rcpt) */
	const char *msgid;   /* the spool's id for the logs */
	const char *trace;   /* the first line of its decision trace */
	const char *body;    /* RFC 5322, CR LF; its Message-ID is kept with the trace */
	size_t len;
};

/* Stores g as the SYSTEM entry of marker m with the marker's removal (g NULL: the marker is
 * only dropped) and starts its delivery. 1 made, 0 made already (nothing done), -1 (logged;
 * the marker stays, tried again at the next tick). */
int spool_marks_make(struct spool_marks *t, const struct pb_gen_mark *m,
		     const struct spool_marks_msg *g);
/* A welcome marker (spool-welcome.c) and a quota notice marker (spool-notice.c) made. */
void spool_welcome_one(struct spool_marks *t, const struct pb_gen_mark *m);
void spool_notice_one(struct spool_marks *t, const struct pb_gen_mark *m);

#endif
