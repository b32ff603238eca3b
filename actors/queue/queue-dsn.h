/*
 * queue-dsn.h: an RFC 3464 delivery status notification (multipart/report with
 * message/delivery-status) for some recipients of a queue entry; a global one (RFC 6533:
 * message/global-delivery-status, "utf-8" addresses, the human part in UTF-8) when the sender
 * or a reported address is UTF-8. Pure: no store, no clock.
 * OWNS: nothing. THREAD: any.
 */
#ifndef QUEUE_DSN_H
#define QUEUE_DSN_H

#include "pb-buf.h"
#include "store-queue.h"

#include <stdbool.h>

/* The original's content included: at most this much (RET=FULL), else its header only. */
#define QUEUE_DSN_FULL_MAX (64 * 1024)

/* What the DSN reports (RFC 3464 2.3.3 Action): a failure, a delay warning, or a success
 * (NOTIFY=SUCCESS) — "relayed" to a server that does not offer DSN (RFC 3461 6.2.1). */
enum queue_dsn_action { QUEUE_DSN_FAILED, QUEUE_DSN_DELAYED, QUEUE_DSN_RELAYED };

struct queue_dsn_in {
	const struct pb_queue_rec *q;
	const bool *report;  /* per recipient of q: in this DSN */
	enum queue_dsn_action action;
	const char *mta;     /* this host's name (Reporting-MTA) */
	const char *remote;  /* the next hop (Remote-MTA), "" when none */
	int64_t now_ms, retry_until_ms;
	const char *original; /* the original's first bytes (its header at least, or whole) */
	size_t original_len;
	bool whole;           /* original is the whole message (RET=FULL and small) */
};

/* Appends the whole DSN message (header and body, CRLF lines) to out. */
void queue_dsn_build(const struct queue_dsn_in *in, struct pb_buf *out);

/* This host's name (Reporting-MTA, generated Message-IDs) into buf: gethostname or
 * "localhost". */
void queue_dsn_host(char *buf, size_t size);

/* The status "x.y.z" of an SMTP reply "CODE x.y.z text" (or CODE's class, ".0.0"), into buf. */
const char *queue_dsn_status(const char *reply, char *buf, size_t size);

#endif
