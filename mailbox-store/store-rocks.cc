/*
 * store-rocks.cc: the few RocksDB options the C API of 7.8 does not offer (core library
 * pb_store_db). The C API's handles wrap the C++ objects (`struct rocksdb_options_t { Options
 * rep; }` in RocksDB's c.cc, unchanged since the C API began); this file reaches through that
 * wrapper and nothing else.
 * OWNS: nothing. THREAD: any (called while building options, before the open).
 */
#include <rocksdb/c.h>
#include <rocksdb/options.h>

struct rocksdb_options_t {
	rocksdb::Options rep;
};

/* Recovery replays the WAL into memtables and leaves them to the normal flushes, instead of
 * writing SST and blob files before the open returns: a store whose disk is full opens. */
extern "C" void store_options_avoid_recovery_flush(rocksdb_options_t *opt)
{
	opt->rep.avoid_flush_during_recovery = true;
}
