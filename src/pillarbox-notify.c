/*
 * pillarbox-notify.c: sd_notify messages (pillarbox-notify.h). The only file that includes
 * libsystemd. OWNS nothing (libsystemd reads NOTIFY_SOCKET and WATCHDOG_* per call).
 * THREAD: the daemon's main thread.
 */
#include "pillarbox-notify.h"

#include "pb-log.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

/* Sends one notification; a failure is logged, never fatal (the manager may have gone). */
static void notify(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0)
		pb_warn("daemon", "event=notify_failed errno=%d", -rc);
}

void pillarbox_notify_ready(const char *status)
{
	char state[256];

	snprintf(state, sizeof(state), "READY=1\nSTATUS=%s", status);
	notify(state);
}

void pillarbox_notify_reloading(void)
{
	struct timespec ts;
	char state[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	notify(state);
}

void pillarbox_notify_stopping(const char *status)
{
	char state[256];

	snprintf(state, sizeof(state), "STOPPING=1\nSTATUS=%s", status);
	notify(state);
}

uint64_t pillarbox_notify_watchdog_ms(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	return usec / 2000 > 0 ? usec / 2000 : 1;
}

void pillarbox_notify_watchdog(void)
{
	notify("WATCHDOG=1");
}
