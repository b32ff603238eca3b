/*
 * store-db.c: opening and closing the RocksDB database with its column families, the
 * synced write, point reads, prefix iterators, the size estimate and the thread-local
 * error buffer: the core library pb_store_db (store-db.h) every record library links.
 * OWNS: struct pb_store (created by pb_store_open, freed by pb_store_close).
 * THREAD: any; open/close are not concurrent with other calls on the same handle.
 */
#include "store-internal.h"

#include "pb-settings.h"

#include <errno.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *const store_cf_names[STORE_CF_COUNT] = {
	[STORE_CF_DEFAULT] = "default",	    [STORE_CF_USERS] = "users",
	[STORE_CF_USER_IDS] = "user_ids",   [STORE_CF_COUNTERS] = "counters",
	[STORE_CF_DOMAINS] = "domains",	    [STORE_CF_SETTINGS] = "settings",
	[STORE_CF_BLOBS] = "blobs",	    [STORE_CF_REFCOUNTS] = "refcounts",
	[STORE_CF_FOLDERS] = "folders",	    [STORE_CF_MESSAGES] = "messages",
	[STORE_CF_DEDUPE] = "dedupe",	    [STORE_CF_SPOOL] = "spool",
	[STORE_CF_QUEUE] = "queue",	    [STORE_CF_LOGS] = "logs",
	[STORE_CF_LOCKOUT] = "lockout",     [STORE_CF_STRUCTURES] = "structures",
	[STORE_CF_CHUNKS] = "chunks",	    [STORE_CF_UPLOADS] = "uploads",
	[STORE_CF_META] = "meta",	    [STORE_CF_CONNECTIONS] = "connections",
	[STORE_CF_COLLECTOR] = "collector",
	[STORE_CF_ROUTES] = "routes",	    [STORE_CF_TRACES] = "traces",
	[STORE_CF_REPLIES] = "replies",
};

#define STORE_MAX_OPEN_FILES 256
#define STORE_DEFAULT_BLOB_MIN 4096
/* Memory: all memtables together (RocksDB flushes the largest beyond it) and one shared block
 * cache. Without them each of the ~16 families would take its own 64 MiB memtables and 8 MiB
 * cache. Sized for a small-business server; a setting when someone needs it. */
#define STORE_MEMTABLE_BUDGET (128u << 20)
#define STORE_BLOCK_CACHE (64u << 20)
/* Memtable of the chunks family: bodies stream through it to blob files, so a small one keeps
 * the memory a large message costs bounded (a flush every few MiB writes one blob file). */
#define STORE_CHUNKS_MEMTABLE (4u << 20)
/* Memtable of every other family: records are small, and RocksDB preallocates each new WAL
 * file to 1.1 x the largest memtable (bounded by the WAL's bound), which is disk a small
 * filesystem feels. */
#define STORE_SMALL_MEMTABLE (8u << 20)
/* The WAL's default bound (pb_store_options.wal_max_bytes): disk use is the mail plus this
 * plus the memtables (docs/storage.md, "Disk use"). */
#define STORE_WAL_MAX (16u << 20)

static __thread char store_err_buf[512];

int store_fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(store_err_buf, sizeof(store_err_buf), fmt, ap);
	va_end(ap);
	if (error_r != NULL)
		*error_r = store_err_buf;
	return -1;
}

int store_fail_rocks(const char **error_r, const char *what, char *err)
{
	store_fail(error_r, "store: %s: %s", what, err != NULL ? err : "unknown error");
	rocksdb_free(err);
	return -1;
}

/* Options every column family shares, and the database-wide ones. */
static rocksdb_options_t *store_base_options(struct pb_store *s, const struct pb_store_options *o)
{
	rocksdb_options_t *opt = rocksdb_options_create();

	s->block_cache = rocksdb_cache_create_lru(STORE_BLOCK_CACHE);
	s->table_options = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(s->table_options, s->block_cache);
	/* A point read (every delivery's dedupe check, the body check of every put: keys mostly
	 * absent; records of the small families, whose 8 MiB memtables flush often) looks at each
	 * level-0 file in turn: a full Bloom filter per file (10 bits a key, ~1 % false positives)
	 * skips those that cannot hold the key. The table options own the policy. */
	rocksdb_block_based_options_set_filter_policy(s->table_options,
						      rocksdb_filterpolicy_create_bloom_full(10));
	rocksdb_options_set_block_based_table_factory(opt, s->table_options);
	rocksdb_options_set_db_write_buffer_size(opt, STORE_MEMTABLE_BUDGET);

	rocksdb_options_set_create_if_missing(opt, o->create_if_missing);
	rocksdb_options_set_create_missing_column_families(opt, 1);
	rocksdb_options_set_enable_pipelined_write(opt, !o->no_pipelined_write);
	rocksdb_options_set_max_background_jobs(opt, 4);
	/* a bounded share of the process's descriptors (the gateways get the rest: pillarboxd) */
	rocksdb_options_set_max_open_files(opt, STORE_MAX_OPEN_FILES);
	/* The WAL bounded: past it RocksDB flushes the families that hold the oldest log, so the
	 * small families (spool, refcounts) do not pin every log written since the start. */
	rocksdb_options_set_max_total_wal_size(opt, o->wal_max_bytes != 0 ? o->wal_max_bytes
									   : STORE_WAL_MAX);
	/* Recovery replays the WAL into memtables without flushing them: starting on a full
	 * disk needs no new space (store-rocks.cc). */
	store_options_avoid_recovery_flush(opt);
	store_options_logger(opt);
	rocksdb_options_set_max_log_file_size(opt, 8u << 20);
	/* Point-in-time recovery: after a crash the WAL replays up to the first torn record;
	 * every acknowledged (synced) write is before it. */
	rocksdb_options_set_wal_recovery_mode(opt, rocksdb_point_in_time_recovery);
	return opt;
}

/* Per-family options: blob files for bodies, the merge operator for reference counts. */
static rocksdb_options_t *store_cf_options(rocksdb_options_t *base, int cf, size_t blob_min)
{
	rocksdb_options_t *opt = rocksdb_options_create_copy(base);

	if (cf == STORE_CF_BLOBS || cf == STORE_CF_CHUNKS) {
		/* blobs holds small records now, but large v1 bodies of older versions too */
		rocksdb_options_set_enable_blob_files(opt, 1);
		rocksdb_options_set_min_blob_size(opt, blob_min);
		rocksdb_options_set_enable_blob_gc(opt, 1);
		if (cf == STORE_CF_CHUNKS)
			rocksdb_options_set_write_buffer_size(opt, STORE_CHUNKS_MEMTABLE);
		else
			rocksdb_options_set_write_buffer_size(opt, STORE_SMALL_MEMTABLE);
	} else {
		rocksdb_options_set_write_buffer_size(opt, STORE_SMALL_MEMTABLE);
		/* The options take ownership of the operator. */
		if (cf == STORE_CF_REFCOUNTS)
			rocksdb_options_set_merge_operator(opt, store_refcount_merge_operator());
	}
	return opt;
}

/* The size RocksDB preallocates a new WAL file to: 1.1 x the largest memtable, at most the
 * WAL bound (DBImpl::GetWalPreallocateBlockSize). */
static uint64_t store_wal_prealloc(const struct pb_store_options *o)
{
	uint64_t wal_max = o->wal_max_bytes != 0 ? o->wal_max_bytes : STORE_WAL_MAX;
	uint64_t largest = STORE_SMALL_MEMTABLE + STORE_SMALL_MEMTABLE / 10;

	return largest < wal_max ? largest : wal_max;
}

static bool store_cf_known(const char *name)
{
	for (int i = 0; i < STORE_CF_COUNT; i++)
		if (strcmp(store_cf_names[i], name) == 0)
			return true;
	return false;
}

/* Names to open: ours, then any family on disk we do not know (RocksDB requires all). */
static size_t store_cf_list(rocksdb_options_t *base, const char *dir, const char ***names_r,
			    char ***disk_r, size_t *n_disk_r)
{
	char *err = NULL;
	size_t n_disk = 0;
	char **disk = rocksdb_list_column_families(base, dir, &n_disk, &err);
	if (err != NULL) { /* no database yet (the list is allocated even then) */
		rocksdb_free(err);
		rocksdb_list_column_families_destroy(disk, 0);
		disk = NULL;
		n_disk = 0;
	}
	const char **names = xcalloc(STORE_CF_COUNT + n_disk, sizeof(*names));
	size_t n = 0;
	for (; n < STORE_CF_COUNT; n++)
		names[n] = store_cf_names[n];
	for (size_t i = 0; i < n_disk; i++)
		if (!store_cf_known(disk[i]))
			names[n++] = disk[i];
	*names_r = names;
	*disk_r = disk;
	*n_disk_r = n_disk;
	return n;
}

static int store_open_db(struct pb_store *s, const struct pb_store_options *o,
			 const char **error_r)
{
	/* a new store's directory made here (private, like the data directory): RocksDB would
	 * make it too, but first logs "Error when reading ... dir NotFound", an error line an
	 * administrator would find in a fresh server's status. Any real problem is RocksDB's to
	 * report at the open below. */
	if (o->create_if_missing)
		(void)mkdir(s->dir, 0700);
	rocksdb_options_t *base = store_base_options(s, o);
	const char **names;
	char **disk;
	size_t n_disk;
	size_t n = store_cf_list(base, s->dir, &names, &disk, &n_disk);
	size_t blob_min = o->blob_min_size != 0 ? o->blob_min_size : STORE_DEFAULT_BLOB_MIN;
	rocksdb_options_t **cfo = xcalloc(n, sizeof(*cfo));
	rocksdb_column_family_handle_t **h = xcalloc(n, sizeof(*h));
	char *err = NULL;

	for (size_t i = 0; i < n; i++)
		cfo[i] = store_cf_options(base, (int)i, blob_min);
	s->db = rocksdb_open_column_families(base, s->dir, (int)n, names,
					     (const rocksdb_options_t *const *)cfo, h, &err);
	for (size_t i = 0; i < n; i++)
		rocksdb_options_destroy(cfo[i]);
	free(cfo);
	rocksdb_options_destroy(base);
	if (disk != NULL)
		rocksdb_list_column_families_destroy(disk, n_disk);
	free(names);
	if (err != NULL) {
		free(h);
		return store_fail_rocks(error_r, "open", err);
	}
	memcpy(s->cf, h, sizeof(s->cf));
	s->n_extra_cf = n - STORE_CF_COUNT;
	if (s->n_extra_cf > 0)
		s->extra_cf = xmemdup(h + STORE_CF_COUNT, s->n_extra_cf * sizeof(*h));
	free(h);
	return 0;
}

static void store_free(struct pb_store *s)
{
	if (s->db != NULL) {
		for (int i = 0; i < STORE_CF_COUNT; i++)
			rocksdb_column_family_handle_destroy(s->cf[i]);
		for (size_t i = 0; i < s->n_extra_cf; i++)
			rocksdb_column_family_handle_destroy(s->extra_cf[i]);
		rocksdb_close(s->db);
	}
	free(s->extra_cf);
	if (s->table_options != NULL)
		rocksdb_block_based_options_destroy(s->table_options);
	if (s->block_cache != NULL)
		rocksdb_cache_destroy(s->block_cache);
	rocksdb_writeoptions_destroy(s->wopt_sync);
	rocksdb_writeoptions_destroy(s->wopt_lazy);
	rocksdb_readoptions_destroy(s->ropt);
	pthread_mutex_destroy(&s->users_lock);
	pthread_mutex_destroy(&s->counters_lock);
	for (size_t i = 0; i < STORE_GC_STRIPES; i++)
		pthread_rwlock_destroy(&s->gc_locks[i]);
	pthread_mutex_destroy(&s->claims_lock);
	pthread_mutex_destroy(&s->spool_lock);
	pthread_mutex_destroy(&s->replies_lock);
	pthread_mutex_destroy(&s->fail_lock);
	pthread_mutex_destroy(&s->room_lock);
	pthread_mutex_destroy(&s->sync_lock);
	pthread_cond_destroy(&s->sync_cond);
	pthread_cond_destroy(&s->claims_cond);
	free(s->claims);
	free(s->dir);
	free(s);
}

int pb_store_open(const char *dir, const struct pb_store_options *opts,
		  struct pb_store **store_r, const char **error_r)
{
	static const struct pb_store_options defaults;
	struct pb_store *s = xcalloc(1, sizeof(*s));

	s->dir = xstrdup(dir);
	atomic_init(&s->min_free_mb, pb_settings_default()->storage.min_free_mb);
	s->wopt_sync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(s->wopt_sync, 1);
	s->wopt_lazy = rocksdb_writeoptions_create();
	s->ropt = rocksdb_readoptions_create();
	pthread_mutex_init(&s->users_lock, NULL);
	pthread_mutex_init(&s->counters_lock, NULL);
	pthread_mutex_init(&s->claims_lock, NULL);
	pthread_mutex_init(&s->spool_lock, NULL);
	pthread_mutex_init(&s->replies_lock, NULL);
	pthread_mutex_init(&s->fail_lock, NULL);
	pthread_mutex_init(&s->room_lock, NULL);
	pthread_mutex_init(&s->sync_lock, NULL);
	pthread_cond_init(&s->sync_cond, NULL);
	pthread_cond_init(&s->claims_cond, NULL);
	/* Plain (reader-preferring) stripes: GC only ever try-locks one, so it never waits and
	 * never makes a put wait behind it (store-blobs.c). */
	for (size_t i = 0; i < STORE_GC_STRIPES; i++)
		pthread_rwlock_init(&s->gc_locks[i], NULL);
	s->wal_prealloc = store_wal_prealloc(opts != NULL ? opts : &defaults);
	store_room_init(s, opts != NULL ? opts : &defaults);
	if (store_open_db(s, opts != NULL ? opts : &defaults, error_r) < 0 ||
	    store_blobs_open(s, error_r) < 0) {
		store_free(s);
		return -1;
	}
	*store_r = s;
	return 0;
}

void pb_store_close(struct pb_store **store)
{
	struct pb_store *s = *store;

	if (s == NULL)
		return;
	*store = NULL;
	pb_store_set_failure_hook(s, NULL, NULL); /* nobody to tell any more */
	pb_store_flush(s, NULL);                  /* on failure the WAL has it anyway */
	store_free(s);
}

/* Waits while another thread syncs and its sync will not cover want. Returns whether the
 * writes up to want are durable already; if not, the caller is now the syncing one, and
 * *upto_r what its sync will cover. Under sync_lock. */
static bool sync_covered(struct pb_store *s, uint64_t want, uint64_t *upto_r)
{
	while (s->syncing && s->synced_seq < want)
		pthread_cond_wait(&s->sync_cond, &s->sync_lock);
	if (s->synced_seq >= want)
		return true;
	s->syncing = true;
	/* Every write numbered up to here is in the WAL file: RocksDB publishes a sequence
	 * number after its WAL record is written. */
	*upto_r = rocksdb_get_latest_sequence_number(s->db);
	return false;
}

int pb_store_sync(struct pb_store *s, const char **error_r)
{
	uint64_t want = rocksdb_get_latest_sequence_number(s->db), upto = 0;
	char *err = NULL;

	if (store_failed_check(s, error_r) < 0)
		return -1;
	pthread_mutex_lock(&s->sync_lock);
	bool covered = sync_covered(s, want, &upto);
	pthread_mutex_unlock(&s->sync_lock);
	if (covered)
		return 0;
	rocksdb_flush_wal(s->db, 1, &err);
	atomic_fetch_add(&s->syncs, 1);
	pthread_mutex_lock(&s->sync_lock);
	if (err == NULL && upto > s->synced_seq)
		s->synced_seq = upto;
	s->syncing = false;
	pthread_cond_broadcast(&s->sync_cond);
	pthread_mutex_unlock(&s->sync_lock);
	if (err != NULL) {
		store_note_failure(s, "sync", err); /* a failed WAL sync is fatal to RocksDB too */
		return store_fail_rocks(error_r, "sync", err);
	}
	return 0;
}

uint64_t pb_store_sync_count(struct pb_store *s)
{
	return atomic_load(&s->syncs);
}

int pb_store_flush(struct pb_store *s, const char **error_r)
{
	if (store_failed_check(s, error_r) < 0)
		return -1;
	rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
	char *err = NULL;

	rocksdb_flushoptions_set_wait(fo, 1);
	for (int i = 0; i < STORE_CF_COUNT && err == NULL; i++)
		rocksdb_flush_cf(s->db, fo, s->cf[i], &err);
	rocksdb_flushoptions_destroy(fo);
	if (err != NULL) {
		/* a failed flush is RocksDB's background error: every later write fails too */
		store_note_failure(s, "flush", err);
		return store_fail_rocks(error_r, "flush", err);
	}
	return 0;
}

int pb_store_compact_bodies(struct pb_store *s, const char **error_r)
{
	static const enum store_cf cfs[] = { STORE_CF_CHUNKS, STORE_CF_BLOBS, STORE_CF_REFCOUNTS };

	if (pb_store_flush(s, error_r) < 0)
		return -1;
	for (size_t i = 0; i < PB_N_ELEMENTS(cfs); i++)
		rocksdb_compact_range_cf(s->db, s->cf[cfs[i]], NULL, 0, NULL, 0);
	return 0;
}

const char *pb_store_dir(const struct pb_store *s)
{
	return s->dir;
}

uint64_t pb_store_wal_bytes(struct pb_store *s)
{
	const char *dir = s->dir;
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t total = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct stat st;
		if (len < 4 || strcmp(de->d_name + len - 4, ".log") != 0)
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0)
			total += (uint64_t)st.st_size;
		free(path);
	}
	closedir(d);
	return total;
}

int pb_store_size(struct pb_store *s, uint64_t *bytes_r, const char **error_r)
{
	uint64_t total = 0;

	for (int i = 0; i < STORE_CF_COUNT; i++) {
		uint64_t sst = 0, blob = 0;
		if (rocksdb_property_int_cf(s->db, s->cf[i], "rocksdb.live-sst-files-size",
					    &sst) != 0 ||
		    rocksdb_property_int_cf(s->db, s->cf[i], "rocksdb.total-blob-file-size",
					    &blob) != 0)
			return store_fail(error_r, "store: size properties unavailable");
		total += sst + blob;
	}
	*bytes_r = total + pb_store_wal_bytes(s);
	return 0;
}

/* Whether a failed write's status is an I/O error that leaves RocksDB refusing writes (not a
 * bad argument of ours). */
static bool store_write_error_fatal(const char *err)
{
	return strncmp(err, "Invalid argument", 16) != 0 && strncmp(err, "Not implemented", 15) != 0;
}

/* The batch hook of this thread (store_batch_hook_set): one thread's, never shared. */
static _Thread_local struct {
	int (*fn)(struct pb_store *s, rocksdb_writebatch_t *b, void *ctx, const char **error_r);
	void *ctx;
} batch_hook;

void store_batch_hook_set(int (*fn)(struct pb_store *s, rocksdb_writebatch_t *b, void *ctx,
				    const char **error_r),
			  void *ctx)
{
	batch_hook.fn = fn;
	batch_hook.ctx = ctx;
}

int store_write_ex(struct pb_store *s, rocksdb_writebatch_t *b, bool sync, bool freeing,
		   const char **error_r)
{
	char *err = NULL;

	if (store_failed_check(s, error_r) < 0 || (!freeing && store_room_floor(s, error_r) < 0))
		return -1;
	if (sync && batch_hook.fn != NULL) {
		int (*fn)(struct pb_store *, rocksdb_writebatch_t *, void *, const char **) =
			batch_hook.fn;
		batch_hook.fn = NULL;
		if (fn(s, b, batch_hook.ctx, error_r) < 0)
			return -1;
	}
	rocksdb_write(s->db, sync ? s->wopt_sync : s->wopt_lazy, b, &err);
	if (err != NULL) {
		if (store_write_error_fatal(err))
			store_note_failure(s, "write", err);
		return store_fail_rocks(error_r, "write", err);
	}
	return 0;
}

int store_write(struct pb_store *s, rocksdb_writebatch_t *b, const char **error_r)
{
	return store_write_ex(s, b, true, false, error_r);
}

int store_write_lazy(struct pb_store *s, rocksdb_writebatch_t *b, const char **error_r)
{
	return store_write_ex(s, b, false, false, error_r);
}

int store_get(struct pb_store *s, enum store_cf cf, const void *key, size_t klen,
	      struct pb_buf *out, const char **error_r)
{
	char *err = NULL;
	rocksdb_pinnableslice_t *v =
		rocksdb_get_pinned_cf(s->db, s->ropt, s->cf[cf], key, klen, &err);

	pb_buf_reset(out);
	if (err != NULL)
		return store_fail_rocks(error_r, "get", err);
	if (v == NULL)
		return 0;
	size_t vlen;
	const char *val = rocksdb_pinnableslice_value(v, &vlen);
	pb_buf_append(out, val, vlen);
	rocksdb_pinnableslice_destroy(v);
	return 1;
}

/* The smallest key greater than every key with this prefix: the prefix with its last
 * non-0xff byte incremented (an all-0xff prefix has none: no upper bound). */
static size_t store_prefix_upper(const void *prefix, size_t plen, char *upper)
{
	memcpy(upper, prefix, plen);
	while (plen > 0) {
		unsigned char c = (unsigned char)upper[plen - 1];
		if (c != 0xff) {
			upper[plen - 1] = (char)(c + 1);
			return plen;
		}
		plen--;
	}
	return 0;
}

void store_iter_prefix(struct pb_store *s, enum store_cf cf, const void *prefix, size_t plen,
		       struct store_iter *it_r)
{
	it_r->ropt = rocksdb_readoptions_create();
	it_r->prefix = xmalloc(plen + 1);
	memcpy(it_r->prefix, prefix, plen);
	it_r->plen = plen;
	it_r->upper = xmalloc(plen + 1);
	it_r->upper_len = store_prefix_upper(prefix, plen, it_r->upper);
	if (it_r->upper_len > 0)
		rocksdb_readoptions_set_iterate_upper_bound(it_r->ropt, it_r->upper,
							    it_r->upper_len);
	it_r->it = rocksdb_create_iterator_cf(s->db, it_r->ropt, s->cf[cf]);
	if (plen > 0)
		rocksdb_iter_seek(it_r->it, prefix, plen);
	else
		rocksdb_iter_seek_to_first(it_r->it);
}

bool store_iter_valid(struct store_iter *it)
{
	size_t klen;

	if (!rocksdb_iter_valid(it->it))
		return false;
	/* The upper bound does it, except for an all-0xff prefix. */
	const char *key = rocksdb_iter_key(it->it, &klen);
	return klen >= it->plen && memcmp(key, it->prefix, it->plen) == 0;
}

int store_iter_finish(struct store_iter *it, const char **error_r)
{
	char *err = NULL;

	rocksdb_iter_get_error(it->it, &err);
	rocksdb_iter_destroy(it->it);
	rocksdb_readoptions_destroy(it->ropt);
	free(it->upper);
	free(it->prefix);
	if (err != NULL)
		return store_fail_rocks(error_r, "iterate", err);
	return 0;
}

int store_put1(struct pb_store *s, enum store_cf cf, const char *key, size_t klen,
		      const void *val, size_t vlen, const char **error_r)
{
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	rocksdb_writebatch_put_cf(b, s->cf[cf], key, klen, val, vlen);
	int ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

int store_delete1(struct pb_store *s, enum store_cf cf, const char *key, size_t klen,
			 const char **error_r)
{
	struct pb_buf val;

	pb_buf_init(&val);
	int ret = store_get(s, cf, key, klen, &val, error_r);
	pb_buf_deinit(&val);
	if (ret != 1)
		return ret;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_cf(b, s->cf[cf], key, klen);
	ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret < 0 ? -1 : 1;
}
