/*
 * spool-notice.h: the text of a mailbox quota notice (admin guide 4.8): the user's warning at
 * a level crossed, its daily reminder, and the administrator target's copy naming the account.
 * The mailbox owner decides them (mailbox-quota.c) and leaves a marker; the spool makes the
 * message (spool-notice.c). Pure: no store, no clock (the date and ids are passed in).
 * THREAD: any. OWNS: nothing it does not return.
 */
#ifndef SPOOL_NOTICE_H
#define SPOOL_NOTICE_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stdint.h>

struct spool_notice {
	const char *about;  /* NULL: the user's own; else the account's name (the admin's copy) */
	uint32_t percent;   /* the level crossed, or the usage (a reminder) */
	uint64_t used, limit; /* bytes; limit > 0 */
	uint32_t block_pct; /* quota.block_send_percent (0: never; not in the admin's copy) */
	bool remind;        /* the daily reminder's subject */
	const char *host;   /* for From: and the Message-ID */
	const char *msgid;  /* the Message-ID's left part */
	int64_t date_ms;    /* the Date: */
};

/* The whole message (RFC 5322, CR LF, text/plain, Auto-Submitted: auto-generated, the
 * generated-message header) into out (appended). */
void spool_notice_build(const struct spool_notice *n, struct pb_buf *out);

#endif
