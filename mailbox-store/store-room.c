/*
 * store-room.c: the node's one disk admission budget and the store's failure state (core
 * library pb_store_db, store-db.h).
 *
 * Why one budget in the store: every spool shard (and anything else that accepts new mail)
 * draws from the same disk, so a per-shard look at the free space lets N shards each take
 * what only one may. Room for new bytes is
 *     free (statvfs) - storage.min_free_mb - memtables - reservations
 *                      - the preallocation of the next WAL file
 * where "memtables" are bytes written to the WAL but not yet flushed: each will be written a
 * second time at flush (SST or blob file); RocksDB preallocates every new WAL file (to 1.1 x
 * the largest memtable, bounded by the WAL bound), and "reservations" are bytes a writer has claimed
 * and not yet written (pb_store_reserve, an atomic compare-and-swap, so concurrent claims
 * cannot both take the last room). A new body costs twice its size (WAL now, blob file at
 * flush). Below the reserve nothing new is admitted, yet the rest of the store keeps writing
 * down to a quarter of the reserve (deliveries of what was accepted, flags, accounts), and
 * deletions (expunge, spool removal, aborts, GC) write down to the last byte: they free space.
 *
 * The figures are cached: statvfs and the memtable sizes (one RocksDB property per family,
 * each under the DB mutex) cost more than the rest of a small put's checks, so they are read
 * again at most every room_refresh_ms (100 ms), and a cached answer is "yes" only with
 * room_margin (64 MiB) to spare: near the limit, and for every "no", the figures are read
 * fresh. A claim counts against `reserved` at once as before, and a claim released (its bytes
 * written, or given up) counts as written (room_spent) until the next read shows it: the cache
 * never admits more than the reserve allows because of our own writes. What it may miss for up
 * to 100 ms is other writes (the store's unclaimed records, other processes): the margin.
 *
 * The failure state: a RocksDB write that fails (an I/O error: ENOSPC, EIO, EMFILE on a new
 * WAL) leaves RocksDB 7.8 refusing writes until it is reopened (its C API has no Resume), so
 * the store records the first such error and calls the failure hook once: the daemon stops
 * cleanly and its supervisor starts it again. From then on the store sends RocksDB no write,
 * flush or compaction: a writer that failed once must not be synced again (Debian's build
 * asserts in WritableFileWriter, killing the process). Our own refusals (no room) are not
 * failures.
 *
 * OWNS: s->reserved, s->min_free_mb, the room_* figures, s->failed and its reason, the hook.
 * THREAD: any.
 */
#include "store-internal.h"

#include "pb-log.h"

#include <stdio.h>
#include <sys/statvfs.h>
#include <time.h>

#define MIB (1024u * 1024u)
#define ROOM_REFRESH_MS 100
#define ROOM_MARGIN (64u * MIB)

void store_room_init(struct pb_store *s, const struct pb_store_options *o)
{
	s->room_refresh_ms = o->room_refresh_ms != 0 ? o->room_refresh_ms : ROOM_REFRESH_MS;
	s->room_margin = o->room_margin != 0 ? o->room_margin : ROOM_MARGIN;
}

void pb_store_set_min_free_mb(struct pb_store *s, uint64_t mb)
{
	atomic_store(&s->min_free_mb, mb);
}

/* Free bytes of the store's filesystem, or UINT64_MAX when they cannot be read. */
static uint64_t room_free_bytes(struct pb_store *s)
{
	struct statvfs st;

	if (statvfs(s->dir, &st) < 0)
		return UINT64_MAX; /* cannot tell: the write itself decides */
	return (uint64_t)st.f_bavail * st.f_frsize;
}

uint64_t pb_store_disk_free(struct pb_store *s)
{
	return room_free_bytes(s);
}

/* Bytes in memtables (live and being flushed), over every column family. */
static uint64_t room_memtables(struct pb_store *s)
{
	uint64_t total = 0;

	for (int i = 0; i < STORE_CF_COUNT; i++) {
		uint64_t v = 0;
		if (rocksdb_property_int_cf(s->db, s->cf[i], "rocksdb.cur-size-all-mem-tables",
					    &v) == 0)
			total += v;
	}
	return total;
}

static uint64_t room_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1; /* never 0 */
}

/* The free bytes (less the claims released since they were read: counted as written) and the
 * memtable bytes; read now if fresh, if the cached ones are older than the refresh period, or
 * if the claims released since exceed the margin. */
static void room_figures(struct pb_store *s, bool fresh, uint64_t *free_r, uint64_t *mem_r)
{
	uint64_t now = room_now_ms(), spent;

	pthread_mutex_lock(&s->room_lock);
	spent = atomic_load(&s->room_spent);
	if (fresh || s->room_read_ms == 0 || now - s->room_read_ms >= s->room_refresh_ms ||
	    spent >= s->room_margin) {
		/* released before this read: the read shows them; released later: kept */
		s->room_free = room_free_bytes(s);
		s->room_memtables = room_memtables(s);
		s->room_read_ms = now;
		spent = atomic_fetch_sub(&s->room_spent, spent) - spent;
	}
	*free_r = s->room_free;
	*mem_r = s->room_memtables;
	pthread_mutex_unlock(&s->room_lock);
	if (*free_r != UINT64_MAX)
		*free_r = *free_r > spent ? *free_r - spent : 0;
}

/* What is left for new mail before reservations: free - reserve - memtables - the
 * preallocation of the next WAL file (0 if negative); from cached figures, less the margin,
 * unless fresh. */
static uint64_t room_unreserved(struct pb_store *s, bool fresh)
{
	uint64_t free_bytes, memtables;

	room_figures(s, fresh, &free_bytes, &memtables);
	if (free_bytes == UINT64_MAX)
		return UINT64_MAX / 4;
	uint64_t need = atomic_load(&s->min_free_mb) * MIB + memtables + s->wal_prealloc +
			(fresh ? 0 : s->room_margin);
	return free_bytes > need ? free_bytes - need : 0;
}

static uint64_t room_left(struct pb_store *s, bool fresh)
{
	uint64_t left = room_unreserved(s, fresh), reserved = atomic_load(&s->reserved);

	return left > reserved ? left - reserved : 0;
}

uint64_t pb_store_room(struct pb_store *s)
{
	return room_left(s, true);
}

bool pb_store_has_room(struct pb_store *s, uint64_t len)
{
	return room_left(s, false) / 2 > len || room_left(s, true) / 2 > len;
}

int pb_store_reserve(struct pb_store *s, uint64_t len, const char **error_r)
{
	uint64_t need = 2 * len, cur = atomic_load(&s->reserved);
	bool fresh = false;
	uint64_t left = room_unreserved(s, false);

	for (;;) {
		if (cur >= left || left - cur <= need) {
			if (fresh)
				return store_fail(error_r, "store: no room for %llu more bytes",
						  (unsigned long long)len);
			fresh = true; /* the cached figures say no: look again before refusing */
			left = room_unreserved(s, true);
			continue;
		}
		if (atomic_compare_exchange_weak(&s->reserved, &cur, cur + need))
			return 0;
	}
}

void pb_store_unreserve(struct pb_store *s, uint64_t len)
{
	uint64_t prev = atomic_fetch_sub(&s->reserved, 2 * len);

	ASSERT(prev >= 2 * len);
	atomic_fetch_add(&s->room_spent, 2 * len);
}

int store_room_floor(struct pb_store *s, const char **error_r)
{
	uint64_t floor = atomic_load(&s->min_free_mb) * MIB / 4, free_bytes, memtables;

	room_figures(s, false, &free_bytes, &memtables);
	if (free_bytes == UINT64_MAX || free_bytes >= floor + s->room_margin)
		return 0;
	free_bytes = room_free_bytes(s); /* near the floor: the disk itself */
	if (free_bytes != UINT64_MAX && free_bytes < floor)
		return store_fail(error_r, "store: the disk is full (%llu bytes free, only "
					   "deletions below %llu)",
				  (unsigned long long)free_bytes, (unsigned long long)floor);
	return 0;
}

/* ---- the failure state ---- */

void pb_store_set_failure_hook(struct pb_store *s, void (*hook)(void *ctx, const char *reason),
			       void *ctx)
{
	pthread_mutex_lock(&s->fail_lock);
	s->fail_hook = hook;
	s->fail_ctx = ctx;
	pthread_mutex_unlock(&s->fail_lock);
}

void store_note_failure(struct pb_store *s, const char *what, const char *reason)
{
	void (*hook)(void *, const char *) = NULL;

	pthread_mutex_lock(&s->fail_lock);
	if (!atomic_load(&s->failed)) {
		snprintf(s->fail_reason, sizeof(s->fail_reason), "%s: %s", what, reason);
		atomic_store(&s->failed, true);
		hook = s->fail_hook;
	}
	pthread_mutex_unlock(&s->fail_lock);
	if (hook != NULL)
		hook(s->fail_ctx, s->fail_reason);
}

int store_failed_check(struct pb_store *s, const char **error_r)
{
	if (!atomic_load(&s->failed))
		return 0;
	return store_fail(error_r, "store: failed earlier (%s): no more writes until restarted",
			  s->fail_reason);
}

bool pb_store_failed(struct pb_store *s, const char **reason_r)
{
	if (!atomic_load(&s->failed))
		return false;
	if (reason_r != NULL)
		*reason_r = s->fail_reason; /* written once, before failed was set */
	return true;
}

void store_rocks_log(int error, const char *line)
{
	pb_log(error ? PB_LOG_ERROR : PB_LOG_WARN, "store", "event=rocksdb line=%s", PB_LOGQ(line));
}
