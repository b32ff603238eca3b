/*
 * sys-timeline.h: the one timeline of every history (library pb_sys_timeline, over the client
 * stubs): the settings documents' (#N, sys), the directory's (#dN), the mail collectors'
 * (#cN), the connection methods' (#sN), the manual blocks' (#bN) and the API keys' (#kN),
 * merged newest first; and "everything to a point": every kind's changes after a point rolled
 * back, newest first, each put back recorded as a change by whoever asked. What cannot be
 * undone refuses, naming the record: a record changed since by no recorded change, a deleted
 * collector (its password is in no history), a deleted API key (its hash never comes back: the
 * API keys' history is a record only). The settings and the directory roll back through their
 * owners' own rollback-to (sys-client.h, directory-client-routes.h), checked there.
 * Used by the CLI (pillarbox history) and the web's /api/history.
 * OWNS: struct sys_timeline's lists. THREAD: the caller's (one struct pb_sync).
 */
#ifndef SYS_TIMELINE_H
#define SYS_TIMELINE_H

#include "pb-client.h"

#include <stdbool.h>
#include <stddef.h>

/* The kinds of the timeline: 0 the settings documents', 'd' the directory's; the others as
 * store-db.h PB_HISTORY_* ('c', 's', 'b', 'k'). */
#define SYS_TIMELINE_NKINDS 6

struct sys_timeline_entry {
	char kind;
	const struct pb_rec_setting_change *c; /* in the timeline's lists */
};

struct sys_timeline {
	struct pb_rec_setting_change_list lists[SYS_TIMELINE_NKINDS];
	struct sys_timeline_entry *v; /* newest first */
	size_t n;
};

/* Reads the last per_kind (1..200) changes of every kind, merged newest first (by time; one
 * kind's by number). 0 with *code_r PB_OK, or the first failing owner's outcome as a stub's. */
int sys_timeline_read(struct pb_sync *t, uint32_t per_kind, struct sys_timeline *tl,
		      uint32_t *code_r, const char **error_r);
void sys_timeline_free(struct sys_timeline *tl);
/* "N" (settings), "dN", "cN", "sN", "bN", "kN": 0 with *kind_r, *seq_r; -1 not a point. */
int sys_timeline_point(const char *text, char *kind_r, uint64_t *seq_r);
/* A kind's name: "settings", "directory", "collector", "connection", "block", "apikey". */
const char *sys_timeline_kind_name(char kind);
/* The prefix of a kind's numbers in a point ("" settings, "d", "c"...). */
const char *sys_timeline_kind_prefix(char kind);

/* Rolls back every change after point (kind, seq), newest first, as by. PB_OK with *changed_r
 * (records and documents put back); NOTFOUND (the point is not among the last 200 of its
 * history), REFUSED with *why_r (allocated: which record, and why) — the refusal of a
 * collector, connection or block is found before anything is written; a refusal of the
 * settings or the directory stops there (what was put back stays, each its own change).
 * Returns -1 only when an owner did not answer (*error_r). */
int sys_timeline_rollback_to(struct pb_sync *t, char kind, uint64_t seq, const char *by,
			     uint32_t *code_r, uint32_t *changed_r, char **why_r,
			     const char **error_r);

/* Rolls back change seq of a collector ('c'), connection method ('s') or block ('b') alone:
 * its record back to its state before it, as by. PB_OK; NOTFOUND; REFUSED with *why_r
 * (allocated) when the record changed again since, a deleted collector, or another kind. -1
 * when an owner did not answer. */
int sys_timeline_rollback_one(struct pb_sync *t, char kind, uint64_t seq, const char *by,
			      uint32_t *code_r, char **why_r, const char **error_r);

#endif
