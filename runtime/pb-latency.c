/*
 * pb-latency.c: the latency histograms' buckets and clock (pb-latency.h).
 * OWNS: nothing. THREAD: any.
 */
#include "pb-latency.h"

#include <time.h>

/* 100 µs to 10 s: an accept is a synced write (ms), a delivery a few of them. */
const uint64_t pb_latency_le_us[PB_LATENCY_BOUNDS] = {
	100,    250,    500,     1000,    2500,    5000,    10000,
	25000,  50000,  100000,  250000,  1000000, 2500000, 10000000,
};

const char *pb_latency_name(enum pb_latency which)
{
	static const char *const names[PB_LAT_COUNT] = {
		[PB_LAT_SMTP_ACCEPT] = "smtp_accept",
		[PB_LAT_DELIVERY] = "delivery",
	};
	return (size_t)which < PB_LAT_COUNT ? names[which] : "unknown";
}

const char *pb_received_name(enum pb_received from)
{
	static const char *const names[PB_RECEIVED_COUNT] = {
		[PB_RECEIVED_SMTP] = "smtp",
		[PB_RECEIVED_COLLECTOR] = "collector",
		[PB_RECEIVED_WEB] = "web",
	};
	return (size_t)from < PB_RECEIVED_COUNT ? names[from] : "unknown";
}

const char *pb_refusal_name(enum pb_refusal why)
{
	static const char *const names[PB_REFUSED_COUNT] = {
		[PB_REFUSED_UNKNOWN_USER] = "unknown_user",
		[PB_REFUSED_RELAY_DENIED] = "relay_denied",
		[PB_REFUSED_RCPT_POLICY] = "recipient_policy",
		[PB_REFUSED_MAIL_POLICY] = "sender_policy",
		[PB_REFUSED_TOO_BIG] = "too_big",
		[PB_REFUSED_BAD_CONTENT] = "bad_content",
		[PB_REFUSED_CONTENT_POLICY] = "content_policy",
		[PB_REFUSED_STORAGE] = "insufficient_storage",
		[PB_REFUSED_BUSY] = "too_many_messages_in_transfer",
		[PB_REFUSED_QUEUE_ERROR] = "queue_write_error",
	};
	return (size_t)why < PB_REFUSED_COUNT ? names[why] : "unknown";
}

size_t pb_latency_bucket(uint64_t us)
{
	size_t i = 0;

	while (i < PB_LATENCY_BOUNDS && us > pb_latency_le_us[i])
		i++;
	return i;
}

uint64_t pb_latency_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000 + 1;
}
