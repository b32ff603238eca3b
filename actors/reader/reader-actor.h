/*
 * reader-actor.h: body readers — shards "reader.0" .. "reader.N-1" that read message bodies
 * from the store for the gateways, so a large read (a 20 MB body in a blob file) never stalls a
 * gateway's event loop (DESIGN.md, rule 4). Stateless: any shard serves any body; requests are
 * keyed by user. READER_READ_REQ reads one range (at most PB_CHUNK_MAX bytes) and never loads
 * the whole body; READER_READ_MANY_REQ reads several ranges (of several bodies) in one
 * request, each answered with its own status. For IMAP (reader-imap.c): READER_META_REQ
 * (FETCH metas, computed on first request and kept with the body), READER_SECTION_REQ
 * (BODY[section] ranges, HEADER.FIELDS filtered), READER_SEARCH_REQ (text criteria on decoded
 * text). Callers use reader-client.h.
 * OWNS: each shard's read buffer (reader-work.h). THREAD: each shard's actor thread.
 * MESSAGES handled: READER_READ_REQ (READER_READ_REP), READER_READ_MANY_REQ
 * (READER_READ_MANY_REP), READER_META_REQ (READER_META_REP), READER_SECTION_REQ
 * (READER_SECTION_REP), READER_SEARCH_REQ (READER_SEARCH_REP).
 */
#ifndef READER_ACTOR_H
#define READER_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

/* The shards' definition (arg: the store, borrowed), for the daemon's actor table. */
extern const struct pb_actor_def reader_actor_def;
/* Starts n reader shards over store (borrowed) and declares their routing. 0 / -1. */
int reader_actors_start(struct pb_runtime *rt, struct pb_store *store, uint32_t n,
			const char **error_r);

#endif
