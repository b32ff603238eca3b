/*
 * pillarboxd.c: the Pillarbox daemon — reads the bootstrap configuration, opens the store,
 * creates the defaults on first start, starts the actors and the control socket, and runs
 * until SIGTERM or SIGINT, then stops in order (stop accepting, finish in-flight work, close
 * the store cleanly).
 * OWNS: the process: the runtime, the store handle, the bridge. THREAD: main thread; every
 * signal is blocked in all threads and taken here with sigwait.
 */
#include "directory-client.h"
#include "directory-client-routes.h"
#include "pb-config.h"
#include "pb-config-stored.h"
#include "pb-log.h"
#include "pb-runtime.h"
#include "pb-tls.h"
#include "gw-hub.h"
#include "pillarbox-actors.h"
#include "sys-client.h"
#include "pb-settings.h"
#include "pb-settings-snapshot.h"
#include "pillarbox-notify.h"
#include "pillarbox-paths.h"
#include "pillarbox-private.h"
#include "pillarbox-user.h"
#include "imap-server.h"
#include "pop3-server.h"
#include "smtp-server.h"
#include "status-server.h"
#include "web-server.h"
#include "store-db.h"
#include "sys-actor.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BOOTSTRAP_TIMEOUT_MS 10000
#define FD_RESERVE 512
#define BRIDGE_TIMEOUT_MS 120000

struct daemon {
	struct pb_config cfg;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_bridge *bridge;
	const char *cli_owners[16]; /* the owners the bridge forwards to (it borrows them) */
	struct gw_hub *smtp, *pop3, *imap, *status;
	struct web_gateway *web;
	bool restart; /* SIGUSR1 (the status server's restart): exit 75 after the clean stop */
	struct pb_tls_current *tls; /* the certificate new TLS connections get (SIGHUP swaps it) */
	const char *config_path, *data_dir_arg; /* read again at SIGHUP for tls_* */
	char hostname[256];
	struct sys_actor_args sys_args;
	struct sched_actor_args sched_args; /* the real wall clock */
	struct statushub_args statushub_args;
	char store_dir[PATH_MAX];
};

static void usage(FILE *f)
{
	fprintf(f, "usage: pillarboxd [--config FILE] [--data-dir DIR]\n"
		   "  Runs the Pillarbox mail server in the foreground until SIGTERM or SIGINT;\n"
		   "  SIGHUP reopens the log files (after logrotate) and reloads the TLS\n"
		   "  certificate and key; SIGUSR1 stops as SIGTERM does, then exits 75 for the\n"
		   "  service manager to start it again. Tells systemd when it is\n"
		   "  ready, reloading and stopping, and pings its watchdog (sd_notify).\n"
		   "  The bootstrap file: --config, else PILLARBOX_CONFIG, else %s.\n"
		   "  Environment: PILLARBOX_CONFIG, PILLARBOX_DATA_DIR, PILLARBOX_PORT_OFFSET,\n"
		   "  PILLARBOX_ADMIN_PASSWORD (first start only).\n",
		pillarbox_default_config_name());
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* Reads the configuration: defaults + port offset, then the file, then the data-dir override. */
static int load_config(struct pb_config *cfg, const char *config_path, const char *data_dir)
{
	char *error = NULL;
	const char *offset_env = getenv("PILLARBOX_PORT_OFFSET");
	uint32_t offset = 0;

	if (offset_env != NULL && pillarbox_parse_port_offset(offset_env, &offset) < 0) {
		fprintf(stderr, "pillarboxd: PILLARBOX_PORT_OFFSET must be a number from 0 to 60000\n");
		return -1;
	}
	pb_config_defaults(cfg, offset);
	if (config_path != NULL && pb_config_load(cfg, config_path, &error) < 0) {
		fprintf(stderr, "pillarboxd: %s\n", error);
		free(error);
		return -1;
	}
	if (data_dir != NULL && pb_config_set(cfg, "data_dir", data_dir, &error) < 0) {
		fprintf(stderr, "pillarboxd: data directory: %s\n", error);
		free(error);
		return -1;
	}
	return 0;
}

/* A log's path from the configuration: unset, DATA_DIR/name; "-", NULL (stderr, or the main
 * log for the security log); else as configured. Allocated (or NULL). */
static char *log_path(const struct daemon *d, const char *configured, const char *name)
{
	if (configured == NULL)
		return xasprintf("%s/%s", d->cfg.data_dir, name);
	return strcmp(configured, "-") == 0 ? NULL : xstrdup(configured);
}

/* The main log to DATA_DIR/pillarbox.log and the security log to DATA_DIR/security.log unless
 * configured; under systemd the main log goes to the journal too (stderr). Says where on
 * stdout. 0 / -1 with a line on stderr. */
static int open_logs(struct daemon *d)
{
	const char *error;
	enum pb_log_level level = PB_LOG_INFO;
	char *main_log = log_path(d, d->cfg.log_file, "pillarbox.log");
	char *sec = log_path(d, d->cfg.security_log_file, "security.log");
	bool journal = pb_log_stderr_is_journal();

	(void)pb_log_level_parse(d->cfg.log_level, &level);
	int rc = pb_log_open(main_log, sec, level, &error);
	if (rc < 0)
		fprintf(stderr, "pillarboxd: %s (%s)\n", error,
			main_log != NULL && strstr(error, "security") == NULL ? main_log : sec);
	pb_log_copy_to_stderr(journal);
	if (rc == 0) {
		printf("pillarboxd: logging to %s%s; security log %s\n",
		       main_log != NULL ? main_log : "standard error",
		       journal && main_log != NULL ? " and the journal" : "",
		       sec != NULL ? sec : "in the main log");
		fflush(stdout);
	}
	free(main_log);
	free(sec);
	return rc;
}

/* Generates a 16-character password from /dev/urandom (letters and digits). */
static int generate_password(char *out, size_t size)
{
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char raw[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw) || size <= sizeof(raw)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	for (size_t i = 0; i < sizeof(raw); i++)
		out[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
	out[sizeof(raw)] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

/* The end of a bootstrap request sent through the directory (so its rules apply). */
static int bootstrap_outcome(int rc, uint32_t code, const char *error)
{
	if (rc == 0 && code == PB_OK)
		return 0;
	fprintf(stderr, "pillarboxd: first-start set-up failed: %s\n", error);
	return -1;
}

/* The first administrator's password: given (PILLARBOX_ADMIN_PASSWORD) or generated. 0 / -1. */
static int admin_password(const char *given, char *password, size_t size)
{
	if (given != NULL && *given != '\0') {
		snprintf(password, size, "%s", given);
		return 0;
	}
	if (generate_password(password, size) == 0)
		return 0;
	fprintf(stderr, "pillarboxd: cannot read /dev/urandom for the admin password\n");
	return -1;
}

/* Writes the generated administrator password to DATA/admin-password, 0600 (O_EXCL: a file left
 * there is not overwritten). 0 / -1 with a line on stderr. */
static int write_password_file(const char *path, const char *password)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t len = strlen(password);
	char line[80];

	snprintf(line, sizeof(line), "%s\n", password);
	if (fd < 0 || write(fd, line, len + 1) != (ssize_t)(len + 1) || fsync(fd) < 0) {
		fprintf(stderr, "pillarboxd: cannot write the administrator password to %s: %s\n",
			path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		explicit_bzero(line, sizeof(line));
		return -1;
	}
	close(fd);
	explicit_bzero(line, sizeof(line));
	return 0;
}

/* Adds the administrator; a generated password goes to its file first (and the file is removed
 * if the account is not created, so a next start begins again). 0 / -1. */
static int add_admin(struct pb_sync *t, const char *given, const char *path)
{
	char password[64] = "";
	uint32_t code = 0;
	const char *error;
	bool generated = given == NULL || *given == '\0';

	int rc = admin_password(given, password, sizeof(password));
	if (rc == 0 && generated)
		rc = write_password_file(path, password);
	if (rc == 0) {
		rc = bootstrap_outcome(directory_client_user_add(t, "admin", password, NULL,
								 "{\"admin\":true}",
								 DIRECTORY_WELCOME_DEFAULT, &code,
								 &error),
				       code, error);
		if (rc < 0 && generated)
			unlink(path);
	}
	explicit_bzero(password, sizeof(password));
	return rc;
}

/* On a new data directory (the directory counts no domain and no account): a default local
 * domain and an administrator account whose password comes from PILLARBOX_ADMIN_PASSWORD or is
 * generated into DATA/admin-password (0600; stdout says where, never the password itself).
 * Runs after every port is bound, so a start that fails to bind leaves the directory new. */
static int first_start(struct daemon *d)
{
	uint64_t domains = 0, users = 0;
	const char *error;
	char host[256];
	struct pb_caller *c = pb_caller_create(d->rt);
	struct pb_sync t;
	uint32_t code = 0;

	pb_sync_init_caller(&t, c, BOOTSTRAP_TIMEOUT_MS);
	int rc = directory_client_counts(&t, &code, &users, &domains, &error);
	if (rc < 0 || code != PB_OK) {
		fprintf(stderr, "pillarboxd: cannot count the accounts: %s\n", error);
		pb_caller_destroy(&c);
		return -1;
	}
	if (domains > 0 || users > 0) {
		pb_caller_destroy(&c);
		return 0;
	}
	snprintf(host, sizeof(host), "%s", strchr(d->hostname, '.') != NULL ? d->hostname : "localhost");
	directory_client_by("first start"); /* who the history says added the first domain */
	rc = bootstrap_outcome(directory_client_domain_add(&t, host, &code, &error), code, error);

	const char *given = getenv("PILLARBOX_ADMIN_PASSWORD");
	char *path = xasprintf("%s/admin-password", d->cfg.data_dir);
	if (rc == 0)
		rc = add_admin(&t, given, path);
	pb_caller_destroy(&c);
	if (rc == 0) {
		printf("pillarboxd: new data directory %s: local domain '%s', administrator 'admin'\n",
		       d->cfg.data_dir, host);
		if (given == NULL || *given == '\0')
			printf("pillarboxd: the administrator password is in %s (readable only by this "
			       "user); delete the file once noted, and change the password with: "
			       "pillarbox user passwd admin\n",
			       path);
		fflush(stdout);
	}
	free(path);
	return rc;
}

static int start_actors(struct daemon *d)
{
	const char *error;
	struct pillarbox_actor_env env = { d->store, &d->sys_args, &d->cfg, &d->sched_args,
					   &d->statushub_args };

	d->sys_args.store = d->store;
	d->sched_args.store = d->store;
	d->sys_args.started_ms = pb_clock_monotonic_ms(NULL);
	d->statushub_args = (struct statushub_args){ d->store, d->sys_args.started_ms };
	d->sys_args.version = PILLARBOX_VERSION;
	d->sys_args.data_dir = d->cfg.data_dir;
	sys_checkpoint_upgrade(&d->sys_args); /* before any actor changes anything at its start */
	if (pillarbox_actors_start(d->rt, &env, &error) < 0) {
		fprintf(stderr, "pillarboxd: cannot start the actors: %s\n", error);
		return -1;
	}
	return 0;
}

/* The name in greetings and trace headers: the configured one, else the machine's. */
static void resolve_hostname(struct daemon *d)
{
	if (d->cfg.hostname != NULL)
		snprintf(d->hostname, sizeof(d->hostname), "%s", d->cfg.hostname);
	else if (gethostname(d->hostname, sizeof(d->hostname)) < 0 || d->hostname[0] == '\0')
		snprintf(d->hostname, sizeof(d->hostname), "localhost");
}

/* Waits for the sys actor's first answer, which comes after its init loaded and published the
 * settings, so the gateways start with the stored ones rather than the defaults. */
static int settings_loaded(struct daemon *d)
{
	struct pb_caller *c = pb_caller_create(d->rt);
	struct pb_sync t;
	uint32_t code = 0;
	char *json = NULL;
	const char *error;

	pb_sync_init_caller(&t, c, BOOTSTRAP_TIMEOUT_MS);
	int rc = sys_client_setting_get(&t, pb_settings_docs[0].name, &code, &json, &error);
	free(json);
	pb_caller_destroy(&c);
	if (rc == 0 && code == PB_OK)
		return 0;
	fprintf(stderr, "pillarboxd: loading the settings failed: %s\n", error);
	return -1;
}

/* Raises the open-files limit to the hard limit (systemd's default soft limit is 1024) and
 * tells the gateways how many connections that leaves them, after FD_RESERVE for the store
 * (STORE_MAX_OPEN_FILES and its logs), nng and the log files: all gateways together, any one
 * of which may take them all (10,000 idle IMAP clients under a limit of 20,000), each under
 * its setting limits.*_max_connections. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rlim_t before = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_cur != before && setrlimit(RLIMIT_NOFILE, &rl) < 0)
		rl.rlim_cur = before;
	uint64_t soft = (uint64_t)rl.rlim_cur;
	uint64_t all_gateways = soft > FD_RESERVE + 16 ? soft - FD_RESERVE : 16;
	gw_hub_set_fd_cap(all_gateways > UINT32_MAX ? UINT32_MAX : (uint32_t)all_gateways);
	pb_info("daemon", "event=fd_limit soft=%llu was=%llu hard=%llu connections_all_gateways=%llu",
		(unsigned long long)soft, (unsigned long long)before,
		(unsigned long long)rl.rlim_max, (unsigned long long)all_gateways);
}

/* The bindings and certificate the administrator stored (settings "services") put into cfg
 * where the bootstrap file set none (pb-config-stored.h); a bad one is logged and skipped.
 * Whether the certificate is the stored one. */
static bool apply_stored_services(struct daemon *d, struct pb_config *cfg)
{
	const struct pb_settings *s = pb_settings_acquire(d->rt);
	char *warnings = NULL;
	bool had_certificate = cfg->tls_certificate != NULL;

	pb_config_apply_stored(cfg, &s->services, &warnings);
	pb_settings_release(d->rt, s);
	if (warnings != NULL)
		pb_warn("daemon", "event=stored_services_ignored reason=%s", PB_LOGQ(warnings));
	free(warnings);
	return !had_certificate && cfg->tls_certificate != NULL;
}

/* The certificate from the bootstrap file, or the self-signed one in the data directory (a
 * warning in the log, so in `pillarbox status` too). 0 / -1 with a line on stderr. A stored
 * certificate (stored: settings "services") that does not load is skipped with a warning, as a
 * stored binding is: one `setting set` or rollback (to a pair since pruned) must not keep the
 * daemon, and with it the CLI that could undo it, from starting. */
static int start_tls(struct daemon *d, bool stored)
{
	struct pb_tls_ctx *ctx;
	char *warning = NULL, *error = NULL;
	int rc = pb_tls_ctx_for_config(&d->cfg, &ctx, &warning, &error);

	if (rc < 0 && stored) {
		pb_warn("daemon", "event=stored_services_ignored reason=%s",
			PB_LOGQ(error != NULL ? error : "the stored certificate does not load"));
		free(error);
		error = NULL;
		free(d->cfg.tls_certificate);
		free(d->cfg.tls_key);
		d->cfg.tls_certificate = d->cfg.tls_key = NULL;
		rc = pb_tls_ctx_for_config(&d->cfg, &ctx, &warning, &error);
	}
	if (rc < 0) {
		fprintf(stderr, "pillarboxd: TLS: %s\n", error);
		free(error);
		return -1;
	}
	if (warning != NULL)
		pb_warn("daemon", "event=tls_self_signed reason=%s", PB_LOGQ(warning));
	pb_info("daemon", "event=tls_certificate subject=%s", PB_LOGQ(pb_tls_ctx_subject(ctx)));
	free(warning);
	d->tls = pb_tls_current_create(ctx);
	return 0;
}

/* SIGHUP: the bootstrap file's tls_certificate and tls_key (else the stored ones) read again
 * and their files loaded; new connections get the new certificate, open ones keep theirs. A
 * failure keeps the old. */
static void reload_tls(struct daemon *d)
{
	struct pb_config cfg = { 0 };
	struct pb_tls_ctx *ctx;
	char *warning = NULL, *error = NULL;

	int rc = load_config(&cfg, d->config_path, d->data_dir_arg);
	if (rc == 0) {
		apply_stored_services(d, &cfg);
		rc = pb_tls_ctx_for_config(&cfg, &ctx, &warning, &error);
	}
	if (rc == 0) {
		pb_tls_current_set(d->tls, ctx);
		if (warning != NULL)
			pb_warn("daemon", "event=tls_self_signed reason=%s", PB_LOGQ(warning));
		pb_info("daemon", "event=tls_reloaded subject=%s", PB_LOGQ(pb_tls_ctx_subject(ctx)));
	} else {
		pb_error("daemon", "event=tls_reload_failed reason=%s",
			 PB_LOGQ(error != NULL ? error : "the bootstrap file (see stderr)"));
	}
	free(warning);
	free(error);
	pb_config_deinit(&cfg);
}

/* The web gateway, with the settings in effect at start (its pages are read once). */
static int web_start(struct daemon *d, char **error_r)
{
	const struct pb_settings *s = pb_settings_acquire(d->rt);
	int rc = web_server_start(d->rt, &d->cfg, s, d->tls, &d->web, error_r);
	pb_settings_release(d->rt, s);
	return rc;
}

static int start_gateways(struct daemon *d)
{
	char *error = NULL;

	if (settings_loaded(d) < 0)
		return -1;
	if (start_tls(d, apply_stored_services(d, &d->cfg)) < 0)
		return -1;
	raise_fd_limit();

	if (smtp_server_start(d->rt, &d->cfg, d->hostname, d->tls, &d->smtp, &error) < 0 ||
	    pop3_server_start(d->rt, &d->cfg, d->hostname, d->tls, &d->pop3, &error) < 0 ||
	    imap_server_start(d->rt, &d->cfg, d->hostname, d->tls, &d->imap, &error) < 0 ||
	    status_server_start(d->rt, &d->cfg, d->tls, &d->status, &error) < 0 ||
	    web_start(d, &error) < 0) {
		fprintf(stderr, "pillarboxd: cannot listen: %s\n", error);
		free(error);
		return -1;
	}
	return 0;
}

static int start_control(struct daemon *d)
{
	char url[PATH_MAX + 16];
	const char *error;

	pillarbox_cli_owners(d->cli_owners, PB_N_ELEMENTS(d->cli_owners));
	if (pillarbox_control_url(d->cfg.data_dir, url, sizeof(url), &error) < 0) {
		fprintf(stderr, "pillarboxd: %s\n", error);
		return -1;
	}
	if (pb_bridge_start(d->rt, url, d->cli_owners, 4, BRIDGE_TIMEOUT_MS, &d->bridge, &error) < 0) {
		fprintf(stderr, "pillarboxd: %s: %s\n", url, error);
		return -1;
	}
	pb_info("daemon", "event=control_listening url=%s", PB_LOGQ(url));
	return 0;
}

/* The store's failure hook (any writer thread): RocksDB refuses every write after an I/O error
 * until reopened, so the daemon stops cleanly (what is acknowledged is synced) and exits
 * non-zero for its supervisor to start it again, never serving on as a process that fails
 * every write. SIGTERM reaches the main thread's sigwait. */
static void on_store_failure(void *ctx, const char *reason)
{
	pb_error("daemon", "event=store_failed reason=%s action=exit_for_restart", PB_LOGQ(reason));
	kill(getpid(), SIGTERM);
}

static int open_store(struct daemon *d)
{
	struct pb_store_options opts = { .create_if_missing = true };
	const char *error;

	snprintf(d->store_dir, sizeof(d->store_dir), "%s/store", d->cfg.data_dir);
	if (pb_store_open(d->store_dir, &opts, &d->store, &error) < 0) {
		fprintf(stderr, "pillarboxd: cannot open the store in %s: %s\n", d->store_dir, error);
		if (strstr(error, "lock") != NULL || strstr(error, "LOCK") != NULL)
			fprintf(stderr, "pillarboxd: is another pillarboxd using this data directory?\n");
		return -1;
	}
	pb_store_set_failure_hook(d->store, on_store_failure, d);
	return 0;
}

/* The data directory and everything in it private to this user (pillarbox-private.h). */
static int keep_private(struct daemon *d)
{
	const char *error;
	int n = pillarbox_data_dir_private(d->cfg.data_dir, &error);

	if (n < 0) {
		fprintf(stderr, "pillarboxd: %s: %s\n", d->cfg.data_dir, error);
		return -1;
	}
	if (n > 0)
		fprintf(stderr, "pillarboxd: %s: took group and other permissions away from %d "
				"entries (the data directory is private; see the log)\n",
			d->cfg.data_dir, n);
	return 0;
}

/* DATA_DIR/pillarboxd.pid: this process's id, for logrotate's postrotate (SIGHUP). Written
 * once the store is open (its lock makes this daemon the data directory's only one), removed
 * at the stop. A file that cannot be written is logged, not fatal. */
static void pid_file(const struct daemon *d, bool create)
{
	char *path = xasprintf("%s/pillarboxd.pid", d->cfg.data_dir);
	FILE *f;

	if (!create) {
		unlink(path);
	} else if ((f = fopen(path, "w")) == NULL ||
		   (fprintf(f, "%ld\n", (long)getpid()) < 0) + (fclose(f) != 0) > 0) {
		pb_warn("daemon", "event=pid_file_failed path=%s reason=%s", PB_LOGQ(path),
			PB_LOGQ(strerror(errno)));
	}
	free(path);
}

/* After the stop: a store that failed makes the exit code 75 (EX_TEMPFAIL: restart me). */
static int store_exit_code(struct daemon *d, int rc)
{
	const char *reason;

	if (d->store == NULL || !pb_store_failed(d->store, &reason))
		return rc;
	pb_error("daemon", "event=stopped_store_failed reason=%s exit=75", PB_LOGQ(reason));
	fprintf(stderr, "pillarboxd: the store failed (%s): exiting for a restart\n", reason);
	return 75;
}

/* The ready line on stdout, in the log and to the service manager (READY=1): every port is
 * bound, the actors answer and a new data directory is set up. */
static void announce_ready(struct daemon *d)
{
	char status[PATH_MAX + 64];

	pb_info("daemon", "event=ready version=%s data_dir=%s", PILLARBOX_VERSION,
		PB_LOGQ(d->cfg.data_dir));
	printf("pillarboxd: ready (data directory %s)\n", d->cfg.data_dir);
	fflush(stdout);
	snprintf(status, sizeof(status), "Serving mail (data directory %s)", d->cfg.data_dir);
	pillarbox_notify_ready(status);
}

/* Healthy: the sys actor and the directory answer a status request within timeout_ms (the
 * watchdog's proof that the actors are not wedged). */
static bool actors_answer(struct daemon *d, uint32_t timeout_ms)
{
	struct pb_caller *c = pb_caller_create(d->rt);
	struct sys_status st = { 0 };
	struct pb_sync t;
	uint32_t code = 0;
	const char *error;

	pb_sync_init_caller(&t, c, timeout_ms);
	int rc = sys_client_status(&t, &code, &st, &error);
	if (rc == 0 && code == PB_OK)
		sys_status_free(&st);
	else
		pb_warn("daemon", "event=watchdog_unhealthy reason=%s", PB_LOGQ(error));
	pb_caller_destroy(&c);
	return rc == 0 && code == PB_OK;
}

/* Waits for the next signal. Under a watchdog (WATCHDOG_USEC) it wakes every half period and
 * pings (WATCHDOG=1) only when the actors answer in time, so a wedged daemon is restarted. */
static int next_signal(struct daemon *d, sigset_t *signals)
{
	uint64_t ms = pillarbox_notify_watchdog_ms();
	uint32_t check_ms = (uint32_t)(ms / 2 > 60000 ? 60000 : ms / 2 + 1);
	int sig = 0;

	if (ms == 0)
		return sigwait(signals, &sig) == 0 ? sig : SIGTERM;
	for (;;) {
		struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
		sig = sigtimedwait(signals, NULL, &ts);
		if (sig > 0)
			return sig;
		if (errno == EAGAIN && actors_answer(d, check_ms))
			pillarbox_notify_watchdog();
	}
}

/* Serves until SIGTERM or SIGINT; SIGHUP reopens the log files and reloads the TLS certificate
 * (a reload for systemd). */
static void serve(struct daemon *d, sigset_t *signals)
{
	const char *error;
	int sig;

	while ((sig = next_signal(d, signals)) == SIGHUP) {
		pillarbox_notify_reloading();
		if (pb_log_reopen(&error) < 0)
			fprintf(stderr, "pillarboxd: %s\n", error);
		pb_info("daemon", "event=logs_reopened");
		reload_tls(d);
		pillarbox_notify_ready("Serving mail (logs reopened, TLS certificate reloaded)");
	}
	d->restart = sig == SIGUSR1;
	pb_info("daemon", "event=stopping signal=%d%s", sig, d->restart ? " restart=yes" : "");
	pillarbox_notify_stopping("Stopping: finishing the mail in flight");
}

/* Started as root: becomes the configured user before anything is created (pillarbox-user.h),
 * or warns that it stays root. 0 / -1 with a line on stderr. */
static int become_user(struct daemon *d)
{
	const char *error;
	int rc = pillarbox_become_user(d->cfg.user, &error);

	if (rc < 0)
		fprintf(stderr, "pillarboxd: user %s: %s\n", d->cfg.user, error);
	else if (rc == 2)
		fprintf(stderr, "pillarboxd: warning: running as root; set 'user = NAME' in the "
				"bootstrap file to serve as an unprivileged user\n");
	return rc < 0 ? -1 : 0;
}

static int run(struct daemon *d, sigset_t *signals)
{
	if (become_user(d) < 0)
		return 1;
	if (mkdir_p(d->cfg.data_dir) < 0) {
		fprintf(stderr, "pillarboxd: cannot create the data directory %s: %s\n",
			d->cfg.data_dir, strerror(errno));
		return 1;
	}
	if (open_logs(d) < 0 || keep_private(d) < 0 || open_store(d) < 0)
		return 1;
	pid_file(d, true);
	pb_info("daemon", "event=started uid=%u gid=%u user=%s", (unsigned)getuid(), (unsigned)getgid(),
		PB_LOGQ(d->cfg.user != NULL ? d->cfg.user : ""));
	d->rt = pb_runtime_create(d->cfg.node_name, NULL);
	resolve_hostname(d);
	/* first_start last: a port that does not bind must not spend the new directory's set-up */
	int rc = start_actors(d) == 0 && start_control(d) == 0 && start_gateways(d) == 0 &&
			 first_start(d) == 0
		 ? 0
		 : 1;
	if (rc == 0) {
		announce_ready(d);
		serve(d, signals);
	}
	/* stop accepting and let sessions finish what is in flight, then the actors; long waits
	 * (an IMAP collector's IDLE) end first, or what is in flight would wait for them */
	if (d->rt != NULL)
		pb_runtime_stop_begin(d->rt);
	gw_hub_stop(&d->smtp);
	gw_hub_stop(&d->pop3);
	gw_hub_stop(&d->imap);
	gw_hub_stop(&d->status);
	web_server_stop(&d->web);
	pb_tls_current_destroy(&d->tls);
	pb_bridge_stop(&d->bridge);
	pb_runtime_destroy(&d->rt);
	rc = store_exit_code(d, rc);
	if (rc == 0 && d->restart)
		rc = 75; /* EX_TEMPFAIL: the service manager starts it again (Restart=on-failure) */
	pid_file(d, false);
	uint64_t wal_syncs = d->store != NULL ? pb_store_sync_count(d->store) : 0;
	pb_store_close(&d->store);
	if (rc == 0)
		pb_info("daemon", "event=stopped wal_syncs=%llu", (unsigned long long)wal_syncs);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = getenv("PILLARBOX_CONFIG");
	const char *data_dir = getenv("PILLARBOX_DATA_DIR");
	struct daemon d;
	sigset_t signals;
	int c;

	while ((c = getopt_long(argc, argv, "c:d:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("pillarboxd %s\n", PILLARBOX_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config_path == NULL)
		config_path = pillarbox_default_config();
	/* Before anything is created: the store, the logs and the sockets readable by this user only. */
	umask(077);
	/* Message chunks (256 KiB) are allocated and freed all the time: a fixed mmap threshold
	 * returns such buffers to the system at once, where glibc's adaptive one would raise itself
	 * and keep them in the heap (measured: bench/mail/mem-big.sh, smtp_40m 15 -> 11 MiB). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	/* Below it, bodies of ordinary mail (a RocksDB blob read, our copy) come from the thread
	 * arenas; with the default trim threshold (128 KiB) freeing one gave the top of the arena
	 * back to the kernel and the next read faulted it in again, zeroed: a sender thread spent a
	 * third of its time on that in a 100 KB relay (bench/RESULTS.md, session 9). */
	mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
	memset(&d, 0, sizeof(d));
	d.config_path = config_path;
	d.data_dir_arg = data_dir;
	if (load_config(&d.cfg, config_path, data_dir) < 0)
		return 1;
	/* Block the stop signals in every thread; the main thread takes them with sigwait. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	sigaddset(&signals, SIGUSR1); /* restart (the status server): stop, exit 75 */
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	int rc = run(&d, &signals);
	pb_config_deinit(&d.cfg);
	pb_log_close();
	return rc;
}
