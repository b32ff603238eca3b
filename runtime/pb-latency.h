/*
 * pb-latency.h: latency histograms with fixed buckets and counts of refusals by reason, for /metrics (Prometheus histograms):
 * the SMTP accept (end of data -> 250 sent) and the delivery (accepted -> stored in its last
 * local mailbox or queued). A note is two relaxed atomic adds on a histogram of the runtime's
 * (no lock, no message); a reader sums the buckets.
 * OWNS: nothing (the histograms live in struct pb_runtime). THREAD: any.
 */
#ifndef PB_LATENCY_H
#define PB_LATENCY_H

#include <stddef.h>
#include <stdint.h>

enum pb_latency {
	PB_LAT_SMTP_ACCEPT, /* SMTP end of data -> 250 sent (the spool's synced write) */
	PB_LAT_DELIVERY,    /* spool accepted -> every recipient stored or queued */
	PB_LAT_COUNT
};

/* Refusals by reason (pillarbox_refused_total{reason=...}): counted where they happen with
 * one relaxed atomic add (refusals are not the hot path). */
enum pb_refusal {
	PB_REFUSED_UNKNOWN_USER,  /* RCPT: no such local account */
	PB_REFUSED_RELAY_DENIED,  /* RCPT: a remote recipient from a client that may not relay */
	PB_REFUSED_RCPT_POLICY,   /* RCPT: another refusal (syntax, limits, sending permissions) */
	PB_REFUSED_MAIL_POLICY,   /* MAIL: a declared size over the limit, no room */
	PB_REFUSED_TOO_BIG,       /* content: over the size limit */
	PB_REFUSED_BAD_CONTENT,   /* content: NUL, bare CR or LF, a line too long */
	PB_REFUSED_CONTENT_POLICY, /* content: a policy at the end of data (quota, rules) */
	PB_REFUSED_STORAGE,       /* no room left for mail */
	PB_REFUSED_BUSY,          /* too many messages in transfer */
	PB_REFUSED_QUEUE_ERROR,   /* the spool's write failed */
	PB_REFUSED_COUNT
};
/* The reason's label ("unknown_user", ...). */
const char *pb_refusal_name(enum pb_refusal why);

/* Where a message accepted into the spool came from (pillarbox_messages_received_total
 * {source=...}): counted where the spool said yes, one relaxed atomic add. */
enum pb_received {
	PB_RECEIVED_SMTP,      /* SMTP and submission: DATA/BDAT answered 250 */
	PB_RECEIVED_COLLECTOR, /* a mail collector's message stored (POP3 spooled, IMAP appended) */
	PB_RECEIVED_WEB,       /* sent from webmail */
	PB_RECEIVED_COUNT
};
/* The source's label ("smtp", "collector", "web"). */
const char *pb_received_name(enum pb_received from);

/* The upper bounds of the buckets in microseconds (Prometheus "le"), ascending; one more
 * bucket, +Inf, follows them. */
#define PB_LATENCY_BOUNDS 14
extern const uint64_t pb_latency_le_us[PB_LATENCY_BOUNDS];

/* The metric name of a histogram ("smtp_accept", "delivery"). */
const char *pb_latency_name(enum pb_latency which);
/* The bucket (0..PB_LATENCY_BOUNDS, the last +Inf) a duration of us microseconds falls in. */
size_t pb_latency_bucket(uint64_t us);
/* The monotonic clock in microseconds (CLOCK_MONOTONIC), never 0: a measuring point's mark. */
uint64_t pb_latency_now_us(void);

#endif
