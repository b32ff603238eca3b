/*
 * pillarbox-cli.h: the admin CLI's command line — the command table with its help, the parsing
 * (options anywhere on the line), and the commands themselves (pillarbox.c), which see only
 * their positional arguments, counted already.
 * OWNS: nothing. THREAD: the CLI's one thread.
 */
#ifndef PILLARBOX_CLI_H
#define PILLARBOX_CLI_H

#include "pb-client.h"
#include "sys-client.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_REFUSED 1     /* the daemon (or a check before asking it) said no */
#define EXIT_UNREACHABLE 2 /* the daemon cannot be reached, or failed for now */
#define EXIT_USAGE 64      /* the command line is wrong (sysexits EX_USAGE) */

enum cli_conn_opt {
	CLI_CONN_EVERY,
	CLI_CONN_FROM,
	CLI_CONN_TO,
	CLI_CONN_DAYS,
	CLI_CONN_MIN_WAITING,
	CLI_CONN_COLLECTORS,
	CLI_CONN_SEND
};

struct cli {
	char url[PATH_MAX + 16];
	const char *data_dir;
	char config_data_dir[PATH_MAX]; /* data_dir read from the bootstrap file */
	uint32_t timeout_ms;
	bool force, dry_run, explain, json;
	bool web; /* user passwd --web: the separate web password */
	uint8_t welcome; /* user add's --welcome 1, --no-welcome 2, neither 0 (the setting) */
	const char *copy_from;
	const char *ip;   /* --ip (lockout unlock), NULL: none */
	uint32_t minutes; /* --minutes (block add), 0: none given (forever) */
	/* connection add's options as given (NULL: not given), by enum cli_conn_opt */
	const char *conn[7];
	const char *limit, *after; /* queue list's --limit and --after (NULL: not given) */
	const char *role, *user;   /* apikey add's --role and --user (NULL: not given) */
	/* autoreply set's --subject, --text-file, --until (NULL: not given) */
	const char *ar_subject, *ar_text_file, *ar_until;
	/* rules dry-run's --folder and --last (NULL: not given) */
	const char *rules_folder, *rules_last;
	const char *map_collector; /* mapping add's and alias add's --collector (NULL: none) */
	struct pb_sync t; /* over the control socket */
};

/* The commands (pillarbox.c): args are the positional arguments after the command's words,
 * nargs within the table's bounds. Return the exit code. */
int cli_user_add(struct cli *c, char **args, int nargs);
int cli_user_del(struct cli *c, char **args, int nargs);
int cli_user_list(struct cli *c, char **args, int nargs);
int cli_user_show(struct cli *c, char **args, int nargs);
int cli_user_passwd(struct cli *c, char **args, int nargs);
int cli_user_rename(struct cli *c, char **args, int nargs);
int cli_user_copy(struct cli *c, char **args, int nargs);
int cli_user_bulk_add(struct cli *c, char **args, int nargs);
/* pillarbox-quota.c: usage against the quota; cli_user_quota_line prints it as `user show`'s
 * "quota:" line (0, or the exit code, reported). */
int cli_user_quota(struct cli *c, char **args, int nargs);
int cli_user_quota_line(struct cli *c, uint64_t user_id);
/* pillarbox-routes.c: mappings, aliases, distribution lists, the decision trace. */
int cli_mapping_add(struct cli *c, char **args, int nargs);
int cli_mapping_del(struct cli *c, char **args, int nargs);
int cli_mapping_list(struct cli *c, char **args, int nargs);
int cli_alias_add(struct cli *c, char **args, int nargs);
int cli_alias_del(struct cli *c, char **args, int nargs);
int cli_alias_list(struct cli *c, char **args, int nargs);
int cli_list_add(struct cli *c, char **args, int nargs);
int cli_list_del(struct cli *c, char **args, int nargs);
int cli_list_members(struct cli *c, char **args, int nargs);
int cli_list_addmember(struct cli *c, char **args, int nargs);
int cli_list_delmember(struct cli *c, char **args, int nargs);
int cli_trace(struct cli *c, char **args, int nargs);
/* pillarbox-rules.c: message rules (get, set, del). */
int cli_rules_get(struct cli *c, char **args, int nargs);
int cli_rules_set(struct cli *c, char **args, int nargs);
int cli_rules_del(struct cli *c, char **args, int nargs);
int cli_rules_dry_run(struct cli *c, char **args, int nargs);
/* pillarbox-rules-mail.c: `rules dry-run USER --folder F --last N` over stored mail. */
int cli_rules_dry_run_mail(struct cli *c, char **args, int nargs);
/* Shared by the two dry-runs. cli_rules_fetch_set: the rule set of user ("": the
 * administrator's) into *set_r (NULL: none set); 0, or the exit code (reported).
 * cli_rules_print_decision: every trace line (each rule's verdict, then what delivery would
 * do, as `pillarbox trace` shows them), then the names that matched; who names the account. */
struct rules_set;
struct rules_decision;
int cli_rules_fetch_set(struct cli *c, const char *user, struct rules_set **set_r);
/* The facts of a message (its first len octets, size in all) as an Incoming message arriving
 * now, by router-facts.c as delivery builds them; free with router_message_free. */
struct router_message;
void cli_rules_message_build(const void *data, size_t len, uint64_t size,
			     struct router_message *m_r);
void cli_rules_print_decision(const struct rules_decision *d, const char *who);
/* pillarbox-script.c: an account's routing script. */
int cli_script_get(struct cli *c, char **args, int nargs);
int cli_script_set(struct cli *c, char **args, int nargs);
int cli_script_del(struct cli *c, char **args, int nargs);
int cli_script_server(struct cli *c, char **args, int nargs);
/* pillarbox-autoreply.c: an account's automatic reply over its autoreply_* settings. */
int cli_autoreply_show(struct cli *c, char **args, int nargs);
int cli_autoreply_set(struct cli *c, char **args, int nargs);
int cli_autoreply_off(struct cli *c, char **args, int nargs);
/* pillarbox-maint.c: a maintenance round and the daily job now. */
int cli_maint_run(struct cli *c, char **args, int nargs);
/* pillarbox-send.c: an account's sending permissions. */
int cli_user_set(struct cli *c, char **args, int nargs);
/* `pillarbox help user set`'s list of every key `user set` takes, one line each, into out. */
void cli_user_keys_help(FILE *out);
int cli_user_unset(struct cli *c, char **args, int nargs);
/* h-fwdext: `user copy-inbox NAME` (pillarbox-send.c). */
int cli_user_copy_inbox(struct cli *c, char **args, int nargs);
/* Prints the sending permissions of an account's settings (part of `user show`). */
void cli_print_user_sending(const char *settings_json);
int cli_domain_add(struct cli *c, char **args, int nargs);
int cli_domain_del(struct cli *c, char **args, int nargs);
int cli_domain_list(struct cli *c, char **args, int nargs);
int cli_setting_show(struct cli *c, char **args, int nargs);
int cli_setting_history(struct cli *c, char **args, int nargs);
/* The keys whose values differ between two JSON objects ("": none), a line each; an account
 * record of the directory's history by its settings' keys (pillarbox-dirhistory.c). */
void cli_print_diff(const char *before, const char *after);
void cli_print_user_diff(const char *before, const char *after);
/* One change of a history: "#PREFIXseq  when  by  record  note", then its diff. */
struct pb_rec_setting_change;
void cli_print_change(const struct pb_rec_setting_change *c, const char *prefix);
/* `pillarbox history [N]`, `history rollback [d]N`, `history rollback-to [d]N`,
 * `history diff dA dB` (pillarbox-dirhistory.c). */
int cli_history(struct cli *c, char **args, int nargs);
int cli_history_rollback(struct cli *c, char **args, int nargs);
int cli_history_rollback_to(struct cli *c, char **args, int nargs);
int cli_history_diff(struct cli *c, char **args, int nargs);
int cli_history_checkpoint(struct cli *c, char **args, int nargs);
int cli_setting_diff(struct cli *c, char **args, int nargs);
int cli_setting_rollback(struct cli *c, char **args, int nargs);
int cli_setting_rollback_to(struct cli *c, char **args, int nargs);
/* Who the CLI's changes are by, for the settings history: "cli:USER" (static). */
const char *cli_who(void);
int cli_setting_set(struct cli *c, char **args, int nargs);
int cli_status(struct cli *c, char **args, int nargs);
/* The lockout commands (pillarbox-lockout.c). */
int cli_lockout_list(struct cli *c, char **args, int nargs);
int cli_lockout_unlock(struct cli *c, char **args, int nargs);
int cli_block_add(struct cli *c, char **args, int nargs);
int cli_block_del(struct cli *c, char **args, int nargs);
int cli_block_list(struct cli *c, char **args, int nargs);
int cli_neverblock_add(struct cli *c, char **args, int nargs);
int cli_neverblock_del(struct cli *c, char **args, int nargs);
int cli_neverblock_list(struct cli *c, char **args, int nargs);
int cli_user_logins(struct cli *c, char **args, int nargs);
/* The outbound queue commands (pillarbox-queue.c). */
int cli_queue_list(struct cli *c, char **args, int nargs);
int cli_apikey_add(struct cli *c, char **args, int nargs);
int cli_apikey_list(struct cli *c, char **args, int nargs);
int cli_apikey_del(struct cli *c, char **args, int nargs);
int cli_queue_show(struct cli *c, char **args, int nargs);
int cli_queue_hold(struct cli *c, char **args, int nargs);
int cli_queue_release(struct cli *c, char **args, int nargs);
int cli_queue_retry(struct cli *c, char **args, int nargs);
int cli_queue_delete(struct cli *c, char **args, int nargs);
int cli_queue_flush(struct cli *c, char **args, int nargs);
/* The mail collector commands (pillarbox-collector.c). */
int cli_collector_add(struct cli *c, char **args, int nargs);
int cli_collector_set(struct cli *c, char **args, int nargs);
int cli_collector_del(struct cli *c, char **args, int nargs);
int cli_collector_list(struct cli *c, char **args, int nargs);
int cli_collector_show(struct cli *c, char **args, int nargs);
int cli_collector_run(struct cli *c, char **args, int nargs);
int cli_collector_fetch(struct cli *c, char **args, int nargs);
int cli_etrn(struct cli *c, char **args, int nargs);
/* Prints user's account locks (part of `user show`). Returns the exit code. */
int cli_print_user_locks(struct cli *c, const char *user);

/* The connection methods (pillarbox-connection.c). */
int cli_connection_add(struct cli *c, char **args, int nargs);
int cli_connection_list(struct cli *c, char **args, int nargs);
int cli_connection_show(struct cli *c, char **args, int nargs);
int cli_connection_del(struct cli *c, char **args, int nargs);
int cli_connection_pause(struct cli *c, char **args, int nargs);
int cli_connection_resume(struct cli *c, char **args, int nargs);
int cli_connection_now(struct cli *c, char **args, int nargs);
int cli_connection_hangup(struct cli *c, char **args, int nargs);
/* One method as the one line of `connection list` and `status` (its JSON object:
 * scheduler-json.h). */
struct pb_rec_sched_method;
void cli_connection_line(const struct pb_rec_sched_method *m, char *buf, size_t size);

/* Helpers of pillarbox.c for the commands in other files. cli_outcome: the end of every
 * request (rc -1: no answer, prints what to do and exits 2; else 0 for PB_OK, or prints the
 * reason prefixed by what and returns the exit code). cli_simple: the same, printing done on
 * success. cli_settings_fetch: the values in effect of document doc into *s; 0 or the exit
 * code (reported). */
int cli_outcome(struct cli *c, int rc, uint32_t code, const char *error, const char *what);
int cli_simple(struct cli *c, int rc, uint32_t code, const char *error, const char *what,
	       const char *done);
struct pb_settings;
int cli_settings_fetch(struct cli *c, const char *doc, struct pb_settings *s);
/* Prints a status (pillarbox-status.c): readable, or one JSON object; q: the outbound queue's
 * figures (NULL: it did not answer); conns: the connection methods; collectors: the mail
 * collectors as `collector list --json` items (NULL: it did not answer). */
struct queue_client_stats;
void cli_print_status(const struct sys_status *st, const struct queue_client_stats *q,
		      const struct pb_rec_sched_method_list *conns,
		      const struct pb_strv *collectors, bool json);
/* The status' mail collector part (pillarbox-collector.c): a line per collector, or the
 * "collectors" array added to o (a cJSON object). */
void cli_print_collectors_status(const struct pb_strv *items);
struct cJSON;
void cli_json_collectors_status(struct cJSON *o, const struct pb_strv *items);

#endif
