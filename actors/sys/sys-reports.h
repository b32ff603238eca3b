/*
 * sys-reports.h: what the gateways and spool shards last reported to sys (SYS_GATEWAY_STATS_EVT,
 * SYS_SPOOL_STATS_EVT), and how a status answer is filled from it, from the store's disk
 * figures and from the log's recent warnings and errors.
 * OWNS struct sys_reports (inside sys's state). THREAD: the sys actor's thread.
 * Each report replaces the previous one from the same gateway or shard: the counts in them are
 * totals since that gateway or shard started, so a lost report costs nothing but freshness.
 */
#ifndef SYS_REPORTS_H
#define SYS_REPORTS_H

#include "pb-msg.h"

struct pb_store;

#define SYS_MAX_GATEWAYS 8
#define SYS_MAX_SPOOL_SHARDS 64

struct sys_reports {
	struct pb_msg gateways[SYS_MAX_GATEWAYS]; /* the last report of each, by gateway name */
	size_t n_gateways;
	struct msg_sys_spool_stats_evt spool[SYS_MAX_SPOOL_SHARDS]; /* by shard index */
};

/* Keeps a gateway's report m (copied); a ninth gateway's is dropped. */
void sys_reports_gateway(struct sys_reports *r, const struct pb_msg *m);
/* Keeps a spool shard's report m; a shard index past SYS_MAX_SPOOL_SHARDS is dropped. */
void sys_reports_spool(struct sys_reports *r, const struct pb_msg *m);
/* Fills rep's listeners, services, counts, spool depth, disk figures (from store), recent
 * warnings/errors (pb_log_recent) and the TLS certificate (the first gateway's that has one). */
void sys_reports_fill(const struct sys_reports *r, struct pb_store *store,
		      struct msg_sys_status_rep *rep);
void sys_reports_deinit(struct sys_reports *r);

#endif
