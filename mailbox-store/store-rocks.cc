/*
 * store-rocks.cc: the few RocksDB options the C API of 7.8 does not offer (core library
 * pb_store_db). The C API's handles wrap the C++ objects (`struct rocksdb_options_t { Options
 * rep; }` in RocksDB's c.cc, unchanged since the C API began); this file reaches through that
 * wrapper and nothing else.
 * OWNS: nothing. THREAD: any (called while building options, before the open).
 */
#include <rocksdb/c.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>

#include <cstdarg>
#include <cstdio>
#include <memory>

struct rocksdb_options_t {
	rocksdb::Options rep;
};

/* Recovery replays the WAL into memtables and leaves them to the normal flushes, instead of
 * writing SST and blob files before the open returns: a store whose disk is full opens. */
extern "C" void store_options_avoid_recovery_flush(rocksdb_options_t *opt)
{
	opt->rep.avoid_flush_during_recovery = true;
}

/* RocksDB's diagnostics go to our log, not to a LOG file beside the data: its file logger
 * asserts (aborting the process in Debian's build) on its next line after a write to that file
 * met ENOSPC, which is exactly when it has something to say. Warnings and errors only (its
 * informational lines run to megabytes). */
extern "C" void store_rocks_log(int error, const char *line);

namespace {
class StoreLogger : public rocksdb::Logger {
      public:
	StoreLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
	using rocksdb::Logger::Logv;
	/* format(printf) on both: the format is RocksDB's own, checked where it is written */
	__attribute__((format(printf, 2, 0))) void Logv(const char *format, va_list ap) override
	{
		Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
	}
	__attribute__((format(printf, 3, 0))) void Logv(const rocksdb::InfoLogLevel level,
							 const char *format, va_list ap) override
	{
		char line[512];

		if (level < rocksdb::InfoLogLevel::WARN_LEVEL ||
		    level >= rocksdb::InfoLogLevel::HEADER_LEVEL)
			return;
		vsnprintf(line, sizeof(line), format, ap);
		store_rocks_log(level >= rocksdb::InfoLogLevel::ERROR_LEVEL, line);
	}
};
} // namespace

extern "C" void store_options_logger(rocksdb_options_t *opt)
{
	opt->rep.info_log = std::make_shared<StoreLogger>();
	opt->rep.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
}
