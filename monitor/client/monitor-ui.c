/*
 * monitor-ui.c: pillarbox-monitor's full-screen view (curses), drawn whole from the app's
 * state when something changed: the header (server, user, version, uptime, the link), the
 * connection (state, last poll coloured by its result, next poll, each method with a progress
 * bar while a collector runs), the out queue, the inboxes (total and per user), the activity
 * log (the newest at the bottom, scrolled with the arrows), the instant messages and the keys.
 * OWNS: nothing (curses' screen). THREAD: the program's one thread.
 */
#include "monitor-app.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { PAIR_OK = 1, PAIR_WARN, PAIR_FAIL, PAIR_HEAD };

void monitor_ui_start(void)
{
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_OK, COLOR_GREEN, -1);
		init_pair(PAIR_WARN, COLOR_YELLOW, -1);
		init_pair(PAIR_FAIL, COLOR_RED, -1);
		init_pair(PAIR_HEAD, COLOR_BLACK, COLOR_CYAN);
	}
}

void monitor_ui_stop(void)
{
	endwin();
}

/* "HH:MM:SS" local time of ms (0: "never"). */
static const char *clock_text(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0)
		return "never";
	localtime_r(&t, &tm);
	strftime(buf, size, "%H:%M:%S", &tm);
	return buf;
}

static int result_pair(const char *result)
{
	return strcmp(result, "all succeeded") == 0 || strcmp(result, "ok") == 0 ? PAIR_OK
	       : strcmp(result, "some failed") == 0				? PAIR_WARN
	       : strcmp(result, "all failed") == 0 || strcmp(result, "failed") == 0 ? PAIR_FAIL
										 : 0;
}

static void header(const struct monitor_app *app, int64_t now, int cols)
{
	const struct monitor_model *m = &app->model;
	uint64_t up = m->uptime_s + (uint64_t)((now - m->uptime_at) / 1000);

	attron(COLOR_PAIR(PAIR_HEAD) | A_BOLD);
	mvhline(0, 0, ' ', cols);
	mvprintw(0, 0, " Pillarbox monitor: %s (%s:%u) user %s%s  version %s  up %llud %02lluh%02llum",
		 app->srv->name, app->srv->host, app->srv->port, m->user, m->admin ? " (admin)" : "",
		 m->version[0] != '\0' ? m->version : "?", (unsigned long long)(up / 86400),
		 (unsigned long long)(up / 3600 % 24), (unsigned long long)(up / 60 % 60));
	attroff(COLOR_PAIR(PAIR_HEAD) | A_BOLD);
	mvprintw(1, 0, "Link: %s", app->link_state);
}

/* A bar of width w for done of total. */
static void bar(int y, int x, int w, uint64_t done, uint64_t total)
{
	int fill = total > 0 ? (int)((done > total ? total : done) * (uint64_t)w / total) : 0;

	mvaddch(y, x, '[');
	for (int i = 0; i < w; i++)
		addch(i < fill ? '#' : '.');
	addch(']');
}

static int connection(const struct monitor_app *app, int y)
{
	const struct monitor_model *m = &app->model;
	char a[16], b[16];

	if (!m->have_conn) {
		mvprintw(y++, 0, "Connection: (not permitted or unavailable)");
		return y;
	}
	mvprintw(y, 0, "Connection: %-8s Last poll: %s ", m->conn_state,
		 clock_text(m->last_poll, a, sizeof(a)));
	attron(COLOR_PAIR(result_pair(m->last_poll_result)) | A_BOLD);
	printw("%s", m->last_poll_result);
	attroff(COLOR_PAIR(result_pair(m->last_poll_result)) | A_BOLD);
	printw("   Next poll: %s", clock_text(m->next_poll, b, sizeof(b)));
	y++;
	for (size_t i = 0; i < m->n_methods && i < 6; i++) {
		const struct monitor_method *x = &m->methods[i];
		mvprintw(y, 0, "%c %-16.16s %-8s%s", i == app->method ? '>' : ' ', x->name, x->state,
			 x->paused ? " paused" : "");
		if (strcmp(x->state, "running") == 0 && x->total > 0) {
			bar(y, 36, 20, x->done, x->total);
			printw(" %llu/%llu msgs %llu KB %.20s", (unsigned long long)x->done,
			       (unsigned long long)x->total, (unsigned long long)(x->bytes / 1024),
			       x->job);
		} else if (strcmp(x->state, "running") == 0 && x->done > 0) { /* total not known */
			printw("  %llu msgs %llu KB %.20s", (unsigned long long)x->done,
			       (unsigned long long)(x->bytes / 1024), x->job);
		} else if (strcmp(x->state, "running") == 0) {
			printw("  collecting/sending, %u job(s) left", x->jobs_left);
		} else {
			attron(COLOR_PAIR(result_pair(x->last_result)));
			mvprintw(y, 36, "last %s", x->last_result[0] != '\0' ? x->last_result : "-");
			attroff(COLOR_PAIR(result_pair(x->last_result)));
			printw(" %.60s", x->last_error);
		}
		y++;
	}
	return y;
}

static int counts(const struct monitor_app *app, int y, int cols)
{
	const struct monitor_model *m = &app->model;

	if (m->have_queue)
		mvprintw(y, 0, "Out queue: %llu (held %llu)", (unsigned long long)m->queue_count,
			 (unsigned long long)m->queue_held);
	else
		mvprintw(y, 0, "Out queue: -");
	if (m->have_total)
		mvprintw(y, 32, "Inboxes: %llu total", (unsigned long long)m->inbox_count);
	mvprintw(y++, 56, "Mine: %llu", (unsigned long long)m->mine);
	if (!m->have_users)
		return y;
	move(y, 0);
	printw("Users:");
	for (size_t i = 0; i < m->n_users; i++) {
		int x = getcurx(stdscr);
		int w = (int)strlen(m->users[i].user) + 24;
		if (x + w >= cols) {
			if (++y > 12)
				break;
			move(y, 6);
		}
		printw(" %s=%llu", m->users[i].user, (unsigned long long)m->users[i].count);
	}
	return y + 1;
}

static void activity(const struct monitor_app *app, int y, int rows, int cols)
{
	const struct monitor_model *m = &app->model;
	char t[16];
	int h = rows - y;

	mvprintw(y++, 0, "--- Activity (%zu) ---", m->log_n);
	h--;
	if (!m->have_log)
		return;
	size_t end = m->log_n > app->log_scroll ? m->log_n - app->log_scroll : 0;
	size_t start = end > (size_t)h ? end - (size_t)h : 0;
	for (size_t i = start; i < end; i++, y++) {
		const struct monitor_item *it = monitor_model_log_at(m, i);
		mvprintw(y, 0, "%s %.*s", clock_text(it->time, t, sizeof(t)), cols - 10, it->text);
	}
}

static int ims(const struct monitor_app *app, int y, int n)
{
	const struct monitor_model *m = &app->model;
	char t[16];
	size_t start = m->ims_n > (size_t)n ? m->ims_n - (size_t)n : 0;

	mvprintw(y++, 0, "--- Instant messages ---");
	for (size_t i = start; i < m->ims_n; i++, y++) {
		const struct monitor_im *im = monitor_model_im_at(m, i);
		mvprintw(y, 0, "%s %s %s: %.200s", clock_text(im->time, t, sizeof(t)),
			 im->outgoing ? "to" : "from", im->peer, im->text);
	}
	return y;
}

static void footer(const struct monitor_app *app, int rows)
{
	static const char *const prompt[] = {
		[MODE_CONFIRM_SHUTDOWN] = "Shut the server down? (y/n) ",
		[MODE_CONFIRM_RESTART] = "Restart the server? (y/n) ",
		[MODE_IM_TO] = "IM to user: ",
		[MODE_IM_TEXT] = "Message: ",
	};
	mvprintw(rows - 2, 0, "> %s", app->message);
	if (app->mode == MODE_NORMAL)
		mvprintw(rows - 1, 0,
			 "c:connect h:hang up p:pause/resume tab:method S:shutdown R:restart i:IM "
			 "up/down:log q:quit");
	else
		mvprintw(rows - 1, 0, "%s%.*s", prompt[app->mode], (int)app->input_len, app->input);
}

void monitor_ui_draw(const struct monitor_app *app, int64_t now)
{
	int rows, cols;

	getmaxyx(stdscr, rows, cols);
	erase();
	header(app, now, cols);
	int y = connection(app, 3);
	y = counts(app, y + 1, cols);
	int im_rows = app->model.ims_n > 0 ? (app->model.ims_n < 4 ? (int)app->model.ims_n : 4) : 0;
	int log_end = rows - 3 - (im_rows > 0 ? im_rows + 1 : 0);
	if (log_end > y + 2)
		activity(app, y + 1, log_end, cols);
	if (im_rows > 0)
		ims(app, log_end, im_rows);
	footer(app, rows);
	refresh();
}
