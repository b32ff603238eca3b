/*
 * collector-notice.h: a message over the collector's max_kb is not downloaded; its
 * recipients (routed by its header, from TOP n 0) get one notice saying who sent what, how
 * big, and how to have it fetched: by replying to it (From and Reply-To are
 * collector-fetch+TOKEN@<the first local domain>, the token stored first with the collector,
 * the UIDL and the accounts told: collector-fetch.h), or by the administrator's
 * `pillarbox collector fetch NAME UIDL`; either marks it requested and the next run downloads
 * it. The notice goes through the spool from the null sender; then the UIDL is marked
 * notified (a crash in between repeats the notice with a new token, never loses it; the old
 * token still works).
 * OWNS: nothing. THREAD: the cwork thread.
 */
#ifndef COLLECTOR_NOTICE_H
#define COLLECTOR_NOTICE_H

#include "collector-pop3.h"
#include "collector-run.h"

/* 0 told (and marked), -1 with error (size bytes) / -2 the connection broke. */
int collector_notice(const struct collector_run_in *in, struct collector_pop3 *p,
		     const struct collector_pop3_msg *m, char *error, size_t size);

#endif
