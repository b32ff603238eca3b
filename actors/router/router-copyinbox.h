/*
 * router-copyinbox.h: the admin guide 4.5 one-shot action "Immediately copy messages already
 * in this user's inbox to assistant(s)" (ROUTER_COPY_INBOX_REQ, msg-types.def; `pillarbox user
 * copy-inbox NAME`, POST /api/users/{name}/copy-inbox). Each INBOX message goes to each of the
 * account's assistants (as they are set now) through the normal delivery path: one spool entry
 * per message and assistant (the assistant its one recipient, the account's address its
 * sender), put with a seen mark (spool-client.h) "copy-inbox:ID UIDVALIDITY.UID.HASH" (HASH:
 * FNV-1a of the assistant in lowercase). The spool stores an entry and its mark in one synced
 * write and refuses (EXISTS) a mark it has, so a message reaches an assistant exactly once
 * whatever the retries, crashes or repeated actions. (The spool takes a marked entry as
 * collected mail, of collector "copy-inbox:ID": no internal list takes it, POP3-type mappings
 * apply to it.)
 * The work is bounded per request: at most ROUTER_COPY_INBOX_BATCH spool entries (messages
 * times assistants) and ROUTER_COPY_INBOX_BYTES octets (times the assistants), at least one
 * message, read and put PB_CHUNK_MAX at a time (never a whole body in memory); the caller
 * asks again from next_uid. A caller that gave up waiting (the web's 10 s) asks again from
 * where it asked: the marks make the copies already made count as skipped.
 * THREAD: a router shard's (it blocks on the mailbox, reader and spool). OWNS nothing.
 */
#ifndef ROUTER_COPYINBOX_H
#define ROUTER_COPYINBOX_H

#include "pb-runtime.h"
#include "router-plan.h"

#include <stddef.h>
#include <stdint.h>

#define ROUTER_COPY_INBOX_BATCH 50
#define ROUTER_COPY_INBOX_BYTES (16u << 20)
/* The mark's longest text. */
#define ROUTER_COPY_INBOX_MARK_MAX 80

struct router_copy_inbox_out {
	uint32_t copied, skipped; /* entries made; copies found made before */
	uint32_t next_uid;        /* 0: the INBOX is done; else where the next request starts */
};

/* The seen mark of (account, message, assistant) into buf (ROUTER_COPY_INBOX_MARK_MAX). */
void router_copy_inbox_mark(uint64_t user_id, uint32_t uidvalidity, uint32_t uid,
			    const char *assistant, char *buf, size_t size);

/* Copies u's INBOX messages from uid_first on (one batch) to its assistants, over c; r: the
 * routing records (the account ids of local assistants, the account's address). Returns the
 * enum pb_status (OK, REFUSED no assistants, TEMP a part did not answer) with *error_r (static
 * or valid until the next call on this thread) when not OK; *out_r is filled on OK. */
uint32_t router_copy_inbox(struct pb_caller *c, const struct router_records *r,
			   const struct router_user *u, uint32_t uid_first,
			   struct router_copy_inbox_out *out_r, const char **error_r);

#endif
