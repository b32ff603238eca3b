/*
 * monitor-app.h: what pillarbox-monitor's full-screen view shares between its loop
 * (pillarbox-monitor.c: the connection, the keys, the requests) and its drawing (monitor-ui.c).
 * OWNS: nothing (a description of the app's state). THREAD: the program's one thread.
 */
#ifndef MONITOR_APP_H
#define MONITOR_APP_H

#include "monitor-conf.h"
#include "monitor-link.h"
#include "monitor-model.h"

#include <stdbool.h>
#include <stdint.h>

#define MONITOR_PENDING_MAX 8

enum monitor_mode {
	MODE_NORMAL,
	MODE_CONFIRM_SHUTDOWN,
	MODE_CONFIRM_RESTART,
	MODE_IM_TO,
	MODE_IM_TEXT,
};

struct monitor_app {
	const struct monitor_server *srv;
	struct monitor_link *link; /* NULL: disconnected */
	struct monitor_link *opening; /* a connect under way (until opening_deadline, ms) */
	int64_t opening_deadline;
	struct monitor_model model;
	char link_state[320]; /* "connected (TLSv1.3)", "cannot connect: ..." */
	char message[320];    /* the last action's answer */
	int64_t retry_at;     /* when disconnected: the next attempt (ms, monotonic) */
	uint32_t backoff_s;
	size_t method;	      /* the selected connection method */
	size_t log_scroll;    /* items scrolled back from the newest */
	enum monitor_mode mode;
	char input[512], im_to[64];
	size_t input_len;
	struct {
		int id;
		char what[64];
	} pending[MONITOR_PENDING_MAX];
	bool quit;
};

/* monitor-ui.c: curses on (cbreak, no echo, keypad) / off. */
void monitor_ui_start(void);
void monitor_ui_stop(void);
/* Draws the whole screen from app at now (ms since the epoch). */
void monitor_ui_draw(const struct monitor_app *app, int64_t now);

#endif
