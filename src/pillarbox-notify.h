/*
 * pillarbox-notify.h: the daemon's messages to its service manager (systemd's sd_notify
 * protocol through libsystemd): ready, reloading, stopping, status and the watchdog's ping.
 * Without NOTIFY_SOCKET in the environment (a start by hand, scripts/run.sh) every call is a
 * no-op. OWNS nothing. THREAD: the daemon's main thread.
 */
#ifndef PILLARBOX_NOTIFY_H
#define PILLARBOX_NOTIFY_H

#include <stdint.h>

/* READY=1 with STATUS=status: every port is bound and the actors answer. */
void pillarbox_notify_ready(const char *status);
/* RELOADING=1 (with MONOTONIC_USEC) before a reload (SIGHUP); READY=1 again after it. */
void pillarbox_notify_reloading(void);
/* STOPPING=1 with STATUS=status: the daemon has begun its orderly stop. */
void pillarbox_notify_stopping(const char *status);
/* How often the watchdog wants its ping, in milliseconds: half of WATCHDOG_USEC (at least 1),
 * or 0 when the service manager asked for no watchdog (no WATCHDOG_USEC, or it names another
 * process in WATCHDOG_PID). */
uint64_t pillarbox_notify_watchdog_ms(void);
/* WATCHDOG=1: send it only after proving the daemon healthy (its actors answered). */
void pillarbox_notify_watchdog(void);

#endif
