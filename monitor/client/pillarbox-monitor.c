/*
 * pillarbox-monitor.c: the status monitor for a terminal (admin guide 2.2; issue 14 item 5).
 *
 *   pillarbox-monitor [--config FILE] [--server NAME]          full-screen view
 *   pillarbox-monitor ... --once --json                          one snapshot, as JSON
 *   pillarbox-monitor ... --check [--warn-queue N] [--crit-queue N] [--crit-poll-failed]
 *
 * The full-screen loop polls the socket and the terminal and redraws when something came
 * (an event, a reply, a key), or once a minute for the uptime; never on a fast timer. A lost
 * connection is retried by itself with back-off (1 s doubling to 30 s), the reason on screen.
 * The connect itself is one of the loop's waits (the socket polled for POLLOUT, with
 * MONITOR_TIMEOUT_MS as deadline): a black-holed address leaves the screen and the keys alive,
 * "connecting to ..." on the Link line, then the reason.
 * OWNS: the app (its link, its model). THREAD: the one.
 */
#include "monitor-app.h"

#include "pb-alloc.h"

#include <cjson/cJSON.h>
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MAX_S 30

/* --check's exit code when the server cannot be asked (monitoring plugins' UNKNOWN). */
#define EXIT_UNKNOWN 3

struct options {
	const char *config, *server;
	bool once, json, check;
	struct monitor_check thresholds;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pillarbox-monitor [--config FILE] [--server NAME]\n"
		   "                         [--once --json | --check [--warn-queue N]"
		   " [--crit-queue N] [--crit-poll-failed]]\n"
		   "The configuration file (default ~/.config/pillarbox/monitor.conf) names the "
		   "servers;\nwithout one the monitor asks 127.0.0.1:5109 as user admin "
		   "(PILLARBOX_MONITOR_PASSWORD).\n");
}

static uint64_t count_arg(const char *v)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || *v == '\0' || *v == '-') {
		fprintf(stderr, "pillarbox-monitor: not a count: %s\n", v);
		exit(EXIT_UNKNOWN);
	}
	return n;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' }, { "server", required_argument, NULL, 's' },
		{ "once", no_argument, NULL, 'o' },	    { "json", no_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'k' },	    { "warn-queue", required_argument, NULL, 'w' },
		{ "crit-queue", required_argument, NULL, 'C' },
		{ "crit-poll-failed", no_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 's': o->server = optarg; break;
		case 'o': o->once = true; break;
		case 'j': o->json = true; break;
		case 'k': o->check = true; break;
		case 'w': o->thresholds.warn_queue = count_arg(optarg); break;
		case 'C': o->thresholds.crit_queue = count_arg(optarg); break;
		case 'P': o->thresholds.crit_poll_failed = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_UNKNOWN);
		}
	}
	if (optind != argc || (o->once != o->json) || (o->once && o->check)) {
		usage(stderr);
		exit(EXIT_UNKNOWN);
	}
}

/* The server to ask, from the configuration file (or the defaults). 0 / -1 (printed). */
static int pick_server(const struct options *o, struct monitor_conf *conf,
		       const struct monitor_server **srv_r)
{
	char path[1024], err[600];
	const char *error, *home = getenv("HOME");
	bool given = o->config != NULL;

	snprintf(path, sizeof(path), "%s", given ? o->config : "");
	if (!given)
		snprintf(path, sizeof(path), "%s/.config/pillarbox/monitor.conf",
			 home != NULL ? home : ".");
	if (monitor_conf_load(path, !given, conf, err, sizeof(err), &error) < 0) {
		fprintf(stderr, "pillarbox-monitor: %s\n", error);
		return -1;
	}
	if (conf->n == 0 && o->server == NULL) {
		monitor_server_defaults(&conf->servers[conf->n++], "local");
		snprintf(conf->servers[0].user, sizeof(conf->servers[0].user), "admin");
		const char *pw = getenv("PILLARBOX_MONITOR_PASSWORD");
		snprintf(conf->servers[0].password, sizeof(conf->servers[0].password), "%s",
			 pw != NULL ? pw : "");
	}
	*srv_r = monitor_conf_find(conf, o->server);
	if (*srv_r == NULL) {
		fprintf(stderr, "pillarbox-monitor: no server named %s in %s\n", o->server, path);
		return -1;
	}
	return 0;
}

static const char *fail_words(enum monitor_fail f)
{
	return f == MONITOR_FAIL_CONNECT ? "cannot connect"
	       : f == MONITOR_FAIL_TLS	 ? "TLS failed"
	       : f == MONITOR_FAIL_LOGIN ? "login failed"
				    : "protocol error";
}

/* A request of op with no argument (or with method) answered within the timeout. */
static cJSON *request_new(const char *op)
{
	cJSON *q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "op", op);
	return q;
}

/* --once --json and --check: connect, log in, snapshot, answer. The exit code. */
static int run_once(const struct monitor_server *srv, const struct options *o)
{
	struct monitor_link *l;
	enum monitor_fail fail;
	cJSON *login, *snap = NULL;
	char err[400];
	const char *error;

	if (monitor_link_open(srv, &l, &login, &fail, err, sizeof(err), &error) < 0) {
		if (o->check)
			printf("PILLARBOX UNKNOWN - %s %s: %s\n", srv->name, fail_words(fail), error);
		else
			fprintf(stderr, "pillarbox-monitor: %s: %s: %s\n", srv->name,
				fail_words(fail), error);
		return EXIT_UNKNOWN;
	}
	cJSON *q = request_new("snapshot");
	int id = monitor_link_request(l, q, &error);
	cJSON_Delete(q);
	if (id < 0 || monitor_link_wait(l, id, MONITOR_TIMEOUT_MS, &snap, &error) < 0 ||
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(snap, "ok"))) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(snap, "error");
		printf("%s%s: snapshot failed: %s\n", o->check ? "PILLARBOX UNKNOWN - " : "",
		       srv->name, cJSON_IsString(e) ? e->valuestring : snap != NULL ? "refused" : error);
		cJSON_Delete(login);
		cJSON_Delete(snap);
		monitor_link_close(&l);
		return EXIT_UNKNOWN;
	}
	int rc = 0;
	cJSON_DeleteItemFromObjectCaseSensitive(snap, "id");
	cJSON_DeleteItemFromObjectCaseSensitive(snap, "ok");
	if (o->check) {
		struct monitor_model m;
		char line[512];
		monitor_model_init(&m);
		monitor_model_snapshot(&m, snap, mono_ms());
		rc = monitor_model_check(&m, &o->thresholds, line, sizeof(line));
		printf("%s\n", line);
		monitor_model_deinit(&m);
	} else {
		cJSON_AddStringToObject(snap, "server", srv->name);
		char *text = cJSON_Print(snap);
		printf("%s\n", text);
		free(text);
	}
	cJSON_Delete(login);
	cJSON_Delete(snap);
	monitor_link_close(&l);
	return rc;
}

/* ---- the full-screen view ---- */

static void app_message(struct monitor_app *app, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void app_message(struct monitor_app *app, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(app->message, sizeof(app->message), fmt, ap);
	va_end(ap);
}

static void app_disconnect(struct monitor_app *app, const char *why, int64_t now)
{
	monitor_link_close(&app->link);
	app->backoff_s = app->backoff_s == 0 ? 1
			 : app->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S
							     : app->backoff_s * 2;
	app->retry_at = now + (int64_t)app->backoff_s * 1000;
	snprintf(app->link_state, sizeof(app->link_state), "%.260s (retrying in %u s)", why,
		 app->backoff_s);
	memset(app->pending, 0, sizeof(app->pending));
}

/* Sends q (deleted here) and remembers what its reply answers. */
static void app_request(struct monitor_app *app, cJSON *q, const char *what, int64_t now)
{
	const char *error;
	char why[300];
	int id = app->link != NULL ? monitor_link_request(app->link, q, &error) : -1;

	cJSON_Delete(q);
	if (app->link == NULL) {
		app_message(app, "%s: not connected", what);
		return;
	}
	if (id < 0) {
		snprintf(why, sizeof(why), "connection lost: %s", error);
		app_disconnect(app, why, now);
		return;
	}
	for (size_t i = 0; i < MONITOR_PENDING_MAX; i++) {
		if (app->pending[i].id == 0) {
			app->pending[i].id = id;
			snprintf(app->pending[i].what, sizeof(app->pending[i].what), "%s", what);
			return;
		}
	}
}

/* The topics the login's permissions allow (a refused topic would refuse them all). */
static void app_subscribe(struct monitor_app *app, int64_t now)
{
	static const struct {
		const char *topic;
		int perm;
	} t[] = { { "activity", MONITOR_PERM_VIEW_LOG }, { "connection", MONITOR_PERM_VIEW_CONNECTION },
		  { "queue", MONITOR_PERM_VIEW_TOTALS }, { "inboxes", MONITOR_PERM_VIEW_TOTALS },
		  { "users", MONITOR_PERM_VIEW_USERS } };
	cJSON *q = request_new("subscribe");
	cJSON *list = cJSON_AddArrayToObject(q, "topics");

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if ((app->model.perms & (1u << t[i].perm)) != 0)
			cJSON_AddItemToArray(list, cJSON_CreateString(t[i].topic));
	app_request(app, q, "subscribe", now);
}

/* Starts a connect (its end: app_connect_step). */
static void app_connect(struct monitor_app *app, int64_t now)
{
	char err[400], why[600];
	const char *error;

	snprintf(app->link_state, sizeof(app->link_state), "connecting to %s:%u ...",
		 app->srv->host, app->srv->port);
	if (monitor_link_start(app->srv, &app->opening, err, sizeof(err), &error) < 0) {
		snprintf(why, sizeof(why), "%s: %s", fail_words(MONITOR_FAIL_CONNECT), error);
		app_disconnect(app, why, now);
		return;
	}
	app->opening_deadline = now + MONITOR_TIMEOUT_MS;
}

/* The connect under way: connected (then the login), failed, or past its deadline. */
static void app_connect_step(struct monitor_app *app, int64_t now)
{
	enum monitor_fail fail = MONITOR_FAIL_CONNECT;
	cJSON *login;
	char err[400], why[600];
	const char *error = "timed out";

	int rc = monitor_link_connected(app->opening, err, sizeof(err), &error);
	if (rc == 0 && now < app->opening_deadline)
		return;
	if (rc > 0) {
		snprintf(app->link_state, sizeof(app->link_state), "logging in to %s:%u ...",
			 app->srv->host, app->srv->port);
		monitor_ui_draw(app, wall_ms());
		rc = monitor_link_login(app->opening, app->srv, &login, &fail, err, sizeof(err),
					&error) < 0 ? -1 : 1;
	}
	if (rc <= 0) {
		monitor_link_close(&app->opening);
		snprintf(why, sizeof(why), "%s: %s", fail_words(fail), error);
		app_disconnect(app, why, now);
		return;
	}
	app->link = app->opening;
	app->opening = NULL;
	app->backoff_s = 0;
	monitor_model_reset(&app->model);
	monitor_model_login(&app->model, login);
	cJSON_Delete(login);
	snprintf(app->link_state, sizeof(app->link_state), "connected%s%s%s",
		 monitor_link_tls(app->link)[0] != '\0' ? " (" : "", monitor_link_tls(app->link),
		 monitor_link_tls(app->link)[0] != '\0' ? ")" : "");
	app_subscribe(app, now);
	if (app->link != NULL)
		app_request(app, request_new("snapshot"), "snapshot", now);
}

/* A reply to one of the app's requests: the snapshot fills the model, others are shown. */
static void app_reply(struct monitor_app *app, const cJSON *o)
{
	const cJSON *idv = cJSON_GetObjectItemCaseSensitive(o, "id");
	bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"));
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
	size_t i = 0;

	while (i < MONITOR_PENDING_MAX && (!cJSON_IsNumber(idv) || app->pending[i].id != idv->valueint))
		i++;
	if (i == MONITOR_PENDING_MAX)
		return;
	app->pending[i].id = 0;
	if (ok && strcmp(app->pending[i].what, "snapshot") == 0)
		monitor_model_snapshot(&app->model, o, wall_ms());
	else if (ok && strcmp(app->pending[i].what, "subscribe") == 0)
		;
	else if (ok)
		app_message(app, "%s: done", app->pending[i].what);
	else
		app_message(app, "%s: %s", app->pending[i].what,
			    cJSON_IsString(err) ? err->valuestring : "refused");
}

/* Everything that arrived: events and replies. Returns true when the screen must change. */
static bool app_input(struct monitor_app *app, int64_t now)
{
	cJSON *o;
	const char *error;
	char why[400];
	bool changed = false;
	int rc;

	while (app->link != NULL && (rc = monitor_link_next(app->link, 0, &o, &error)) != 0) {
		if (rc < 0) {
			snprintf(why, sizeof(why), "connection lost: %s", error);
			app_disconnect(app, why, now);
			return true;
		}
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
		if (cJSON_IsString(ev) && strcmp(ev->valuestring, "bye") == 0) {
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "reason");
			snprintf(why, sizeof(why), "the server said bye: %s",
				 cJSON_IsString(r) ? r->valuestring : "");
			cJSON_Delete(o);
			app_disconnect(app, why, now);
			return true;
		}
		if (cJSON_IsString(ev))
			changed |= monitor_model_event(&app->model, o);
		else
			app_reply(app, o), changed = true;
		cJSON_Delete(o);
	}
	return changed;
}

/* An action on the selected connection method. */
static void method_action(struct monitor_app *app, const char *op, int64_t now)
{
	const struct monitor_model *m = &app->model;
	if (m->n_methods == 0) {
		app_message(app, "%s: no connection method known", op);
		return;
	}
	const char *name = m->methods[app->method % m->n_methods].name;
	cJSON *q = request_new(op);
	char what[64];
	cJSON_AddStringToObject(q, "method", name);
	snprintf(what, sizeof(what), "%s %.50s", op, name);
	app_request(app, q, what, now);
	app_message(app, "%s: asked", what);
}

/* A key in a prompt (IM, confirmation). */
static void prompt_key(struct monitor_app *app, int ch, int64_t now)
{
	if (app->mode == MODE_CONFIRM_SHUTDOWN || app->mode == MODE_CONFIRM_RESTART) {
		const char *op = app->mode == MODE_CONFIRM_SHUTDOWN ? "shutdown" : "restart";
		app->mode = MODE_NORMAL;
		if (ch == 'y' || ch == 'Y')
			app_request(app, request_new(op), op, now);
		else
			app_message(app, "%s: cancelled", op);
		return;
	}
	if (ch == 27) { /* Esc */
		app->mode = MODE_NORMAL;
		app->input_len = 0;
		return;
	}
	if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && app->input_len > 0) {
		app->input_len--;
		return;
	}
	if (ch != '\n' && ch != '\r' && ch != KEY_ENTER) {
		if (ch >= 32 && ch < 256 && app->input_len < sizeof(app->input) - 1)
			app->input[app->input_len++] = (char)ch;
		return;
	}
	app->input[app->input_len] = '\0';
	app->input_len = 0;
	if (app->mode == MODE_IM_TO) {
		snprintf(app->im_to, sizeof(app->im_to), "%.63s", app->input);
		app->mode = app->im_to[0] != '\0' ? MODE_IM_TEXT : MODE_NORMAL;
		return;
	}
	app->mode = MODE_NORMAL;
	cJSON *q = request_new("im");
	cJSON_AddStringToObject(q, "to", app->im_to);
	cJSON_AddStringToObject(q, "text", app->input);
	monitor_model_im(&app->model, wall_ms(), app->im_to, app->input, true);
	app_request(app, q, "im", now);
}

static void app_key(struct monitor_app *app, int ch, int64_t now)
{
	const struct monitor_model *m = &app->model;

	if (app->mode != MODE_NORMAL) {
		prompt_key(app, ch, now);
		return;
	}
	switch (ch) {
	case 'q': app->quit = true; break;
	case 'c': method_action(app, "connect", now); break;
	case 'h': method_action(app, "hangup", now); break;
	case 'p':
		method_action(app, m->n_methods > 0 && m->methods[app->method % m->n_methods].paused
					   ? "resume"
					   : "pause",
			      now);
		break;
	case '\t': app->method = m->n_methods > 0 ? (app->method + 1) % m->n_methods : 0; break;
	case 'S': app->mode = MODE_CONFIRM_SHUTDOWN; break;
	case 'R': app->mode = MODE_CONFIRM_RESTART; break;
	case 'i': app->mode = MODE_IM_TO; break;
	case 'r': app->retry_at = now; break;
	case KEY_UP: app->log_scroll += app->log_scroll + 1 < m->log_n; break;
	case KEY_DOWN: app->log_scroll -= app->log_scroll > 0; break;
	default: break;
	}
}

/* The loop: poll the terminal and the socket; redraw when something changed, or each minute
 * (the uptime), or when a reconnection is due. */
static int run_screen(const struct monitor_server *srv)
{
	struct monitor_app app = { .srv = srv };
	int64_t now = mono_ms();

	monitor_model_init(&app.model);
	monitor_ui_start();
	app.retry_at = now;
	while (!app.quit) {
		if (app.link == NULL && app.opening == NULL && now >= app.retry_at)
			app_connect(&app, now);
		monitor_ui_draw(&app, wall_ms());
		struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
				       { .fd = -1, .events = POLLIN } };
		int64_t wait = 60000 - wall_ms() % 60000, until = app.retry_at;
		if (app.opening != NULL) {
			p[1] = (struct pollfd){ .fd = monitor_link_fd(app.opening), .events = POLLOUT };
			until = app.opening_deadline;
		} else if (app.link != NULL) {
			p[1].fd = monitor_link_fd(app.link);
		}
		if (app.link == NULL && until - now < wait)
			wait = until - now > 0 ? until - now : 0;
		if (app.link == NULL || !app_input(&app, now))
			poll(p, 2, (int)wait);
		now = mono_ms();
		int ch;
		while ((ch = getch()) != ERR)
			app_key(&app, ch, now);
		if (app.opening != NULL)
			app_connect_step(&app, now);
		app_input(&app, now);
	}
	monitor_ui_stop();
	monitor_link_close(&app.opening);
	monitor_link_close(&app.link);
	monitor_model_deinit(&app.model);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct monitor_conf conf;
	const struct monitor_server *srv;

	parse_args(argc, argv, &o);
	if (pick_server(&o, &conf, &srv) < 0)
		return EXIT_UNKNOWN;
	int rc = o.once || o.check ? run_once(srv, &o) : run_screen(srv);
	monitor_conf_clear(&conf);
	return rc;
}
