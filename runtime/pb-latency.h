/*
 * pb-latency.h: latency histograms with fixed buckets, for /metrics (Prometheus histograms):
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
