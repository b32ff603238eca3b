/*
 * pillarbox-cli.c: the admin CLI's command line — the command table with each command's help,
 * the parsing (options anywhere, `help COMMAND`, `COMMAND --help`, --version) and main.
 * Usage errors exit EXIT_USAGE (64) with one line that says what was wrong.
 * OWNS: the process. THREAD: single-threaded.
 */
#include "pillarbox-cli.h"

#include "directory-client-routes.h"
#include "pillarbox-paths.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cli_opt {
	OPT_FORCE = 1,
	OPT_COPY_FROM = 2,
	OPT_DRY_RUN = 4,
	OPT_EXPLAIN = 8,
	OPT_JSON = 16,
	OPT_IP = 32,
	OPT_MINUTES = 64,
	OPT_CONN = 128, /* connection add's options: OPT_CONN << enum cli_conn_opt */
	OPT_LIMIT = 128 << 7,
	OPT_AFTER = 128 << 8,
	OPT_ROLE = 128 << 9,
	OPT_USER = 128 << 10,
	OPT_SUBJECT = 128 << 11, /* autoreply set's own; it takes --from and --days too */
	OPT_TEXT_FILE = 128 << 12,
	OPT_UNTIL = 128 << 13,
	OPT_FOLDER = 128 << 14, /* rules dry-run's */
	OPT_LAST = 128 << 15,
	OPT_WELCOME = 128 << 16, /* user add's */
	OPT_NO_WELCOME = 128 << 17,
	OPT_WEB = 128 << 18, /* user passwd's */
	OPT_COLLECTOR = 128 << 19 /* mapping add's and alias add's */
};
#define OPT_AUTOREPLY                                                                      \
	(OPT_SUBJECT | OPT_TEXT_FILE | OPT_UNTIL | OPT_CONN << CLI_CONN_FROM |               \
	 OPT_CONN << CLI_CONN_DAYS)

struct command {
	const char *name, *args; /* "user del", "NAME [--force]" */
	int min_args, max_args;
	unsigned opts; /* the enum cli_opt it takes */
	const char *summary, *help;
	int (*fn)(struct cli *c, char **args, int nargs);
};

static const struct command commands[] = {
	{ "user add", "NAME [--copy-from USER] [--welcome|--no-welcome]", 1, 1,
	  OPT_COPY_FROM | OPT_WELCOME | OPT_NO_WELCOME, "add an account",
	  "The password is prompted twice on a terminal, else read as one line of standard input.\n"
	  "It may hold spaces (a passphrase); its shortest length is the setting\n"
	  "accounts.password_min_length. --copy-from USER copies that account's settings.\n"
	  "--welcome puts the welcome message in the new INBOX, --no-welcome does not; neither:\n"
	  "as the setting welcome.enabled says.\n",
	  cli_user_add },
	{ "user del", "NAME [--force]", 1, 1, OPT_FORCE, "delete an account",
	  "An account whose mailbox holds mail is kept unless --force is given (the mail goes too).\n",
	  cli_user_del },
	{ "user list", "[PATTERN]", 0, 1, 0, "list accounts with inbox messages and size",
	  "PATTERN is a shell wildcard matched against the whole name, in any case: 'al*' lists\n"
	  "alice and albert, '*smith*' every name holding smith, 'b?b' bob; 'al' lists only al.\n"
	  "Quote it so the shell does not expand it.\n",
	  cli_user_list },
	{ "user show", "NAME", 1, 1, 0, "show one account",
	  "Also shows the account's quota usage (as user quota) and its locks: the addresses it\n"
	  "is locked for after failed logins (other addresses can still log in) and until when.\n",
	  cli_user_show },
	{ "user quota", "NAME [--json]", 1, 1, OPT_JSON, "mailbox usage against the quota",
	  "Bytes and messages over all folders, the quota in effect (the account's quota_mb,\n"
	  "else quota.default_mb), the percentage used, the highest warning level reached\n"
	  "(quota.warn1/2/3_percent) and whether sending is blocked (quota.block_send_percent).\n"
	  "--json: {\"user\", \"bytes\", \"messages\", \"quota_bytes\" (null: none), \"percent\",\n"
	  "\"level\" (0-3), \"send_blocked\"}.\n",
	  cli_user_quota },
	{ "user logins", "NAME", 1, 1, 0, "recent logins and failures of an account",
	  "The account's last 20 login attempts since the daemon started, oldest first: time,\n"
	  "address, protocol and result (ok, bad password; refused when locked or blocked).\n"
	  "Every attempt is also in the security log.\n",
	  cli_user_logins },
	{ "user passwd", "NAME [--web]", 1, 1, OPT_WEB, "set a password (prompted or from stdin)",
	  "Sets the main password (every protocol, and webmail unless the account has a web\n"
	  "password). --web sets a separate web password instead (guide 4.4 \"Have different\n"
	  "'Main Password' and 'Web Password'\"): webmail logins then take it and not the main\n"
	  "one, POP3/IMAP/SMTP only the main one. `user set NAME web_password off` removes it.\n",
	  cli_user_passwd },
	{ "user rename", "NAME NEW", 2, 2, 0, "rename an account", NULL, cli_user_rename },
	{ "user copy-settings", "NAME FROM", 2, 2, 0, "copy another account's settings", NULL,
	  cli_user_copy },
	{ "user set", "NAME KEY VALUE", 3, 3, 0,
	  "set one of an account's settings: sending, forwarding, autoreply, quota",
	  "The keys are listed below. Booleans: true/false, yes/no, on/off, 1/0. The sending\n"
	  "permissions apply to mail sent with SMTP AUTH; the forwarding keys are guide 4.5's\n"
	  "(docs/operations.md); the autoreply keys are also set by `autoreply set`.\n",
	  cli_user_set },
	{ "user unset", "NAME KEY", 2, 2, 0, "put one of an account's settings back to its default",
	  "KEY as for 'user set'.\n", cli_user_unset },
	{ "user copy-inbox", "NAME", 1, 1, 0, "copy the messages in an account's INBOX to its assistants",
	  "The guide's \"Immediately copy messages already in this user's inbox to assistant(s)\":\n"
	  "every INBOX message goes to each assistant (the 'assistants' key) through the spool,\n"
	  "once: a message an assistant got from an earlier run (or a run cut short) is not sent\n"
	  "again. The router does it 50 copies (16 MiB) at a time; run it again if it stops.\n",
	  cli_user_copy_inbox },
	{ "autoreply show", "NAME", 1, 1, 0, "an account's automatic reply (out of office)",
	  "Prints the autoreply_* settings of the account (see 'pillarbox help user set').\n",
	  cli_autoreply_show },
	{ "autoreply set", "NAME [--subject S] [--text-file F] [--from DATE] [--until DATE] [--days N]",
	  1, 1, OPT_AUTOREPLY, "turn an account's automatic reply on",
	  "Sets the options given, then turns the reply on (the others keep their values):\n"
	  "  --subject S      the reply's subject (empty: Auto: and the original's)\n"
	  "  --text-file F    the reply's text, UTF-8, from file F (- standard input)\n"
	  "  --from DATE      YYYY-MM-DD (UTC): replies from that day on (empty: no bound)\n"
	  "  --until DATE     YYYY-MM-DD (UTC): replies up to that day included (empty: none)\n"
	  "  --days N         days between two replies to one sender (1..365, 7)\n"
	  "Replies follow RFC 3834: never to lists, bulk, automatic mail or the null sender.\n"
	  "The same settings as 'user set NAME autoreply_... VALUE'.\n",
	  cli_autoreply_set },
	{ "autoreply off", "NAME", 1, 1, 0, "turn an account's automatic reply off",
	  "Its subject, text and dates are kept for the next 'autoreply set'.\n", cli_autoreply_off },
	{ "maint run", "", 0, 0, 0, "run a maintenance round and the daily job now",
	  "Sweeps mail of deleted accounts, repairs missing mailboxes, collects unreferenced\n"
	  "bodies, prunes old dedupe records and runs the daily job (the autoresponder's memory\n"
	  "pruned, quota reminders: at most one per user and day). Answers when done.\n",
	  cli_maint_run },
	{ "user bulk-add", "FILE [--dry-run]", 1, 1, OPT_DRY_RUN, "add accounts from a CSV file",
	  "FILE (- for standard input) holds lines user,password[,welcome]. Blank lines and\n"
	  "lines starting with # are skipped, and so is a first row user,password (or username/login and\n"
	  "password/passwd/pass, any case): a spreadsheet's header. Fields may be quoted as in\n"
	  "RFC 4180: \"a password, with a comma\" and \"\" for a quote; unquoted fields are trimmed.\n"
	  "Every refused line is reported in file order as FILE:LINE: reason, and the exit code\n"
	  "is 1 if any was refused (the others are added). --dry-run checks every line with the\n"
	  "daemon's rules (names, password length, existing users, repeats) and adds nothing.\n"
	  "The optional third column says whether that account gets the welcome message: yes\n"
	  "or no (also y/n, true/false, 1/0); empty or absent: as welcome.enabled says.\n",
	  cli_user_bulk_add },
	{ "domain add", "NAME", 1, 1, 0, "add a local domain", NULL, cli_domain_add },
	{ "domain del", "NAME [--force]", 1, 1, OPT_FORCE, "remove a local domain",
	  "Every user has an address at every local domain (name@NAME), so removing one takes\n"
	  "that address from every user: mail to it is refused from then on. The daemon refuses\n"
	  "unless --force is given when there are users, and always for the last local domain\n"
	  "(add another first).\n",
	  cli_domain_del },
	{ "domain list", "", 0, 0, 0, "list local domains", NULL, cli_domain_list },
	{ "setting show", "[DOC] [--explain]", 0, 1, OPT_EXPLAIN, "the settings in effect",
	  "With DOC: every key of that document in effect, defaults included, as JSON.\n"
	  "Without DOC, or with --explain: every key with its value, its default, its range and\n"
	  "what it does. Documents and keys: docs/settings.md.\n",
	  cli_setting_show },
	{ "setting set", "DOC JSON", 2, 2, 0, "change the keys given",
	  "JSON is an object of the keys to change, e.g. '{\"max_recipients\": 50}'; null puts a\n"
	  "key back to its default; the other keys keep their values. A wrong key or value is\n"
	  "refused with what is allowed, and nothing changes.\n",
	  cli_setting_set },
	{ "setting history", "[N]", 0, 1, 0, "the last N changes to the settings (20)",
	  "Every change to a settings document is kept (the last 1000), numbered, with who made\n"
	  "it (cli:USER, web:USER, upgrade), when, and each key's value before and after\n"
	  "(secrets masked). A checkpoint is recorded at the first start of a new version.\n",
	  cli_setting_history },
	{ "setting diff", "FROM [TO]", 1, 2, 0, "what changed between two points of the history",
	  "Each document changed after change FROM up to change TO (default: now), with each key's\n"
	  "value at FROM and at TO.\n",
	  cli_setting_diff },
	{ "setting rollback", "N", 1, 1, 0, "undo change N of the settings history",
	  "Puts back the keys change N altered (a key it added returns to its default); later\n"
	  "changes to other keys stay. The rollback is itself a new change in the history.\n",
	  cli_setting_rollback },
	{ "setting rollback-to", "N", 1, 1, 0, "every settings document back to change N",
	  "Each document changed after change N (or checkpoint N) is set back to what it was then;\n"
	  "a value no longer valid refuses the whole rollback and nothing changes.\n",
	  cli_setting_rollback_to },
	{ "history diff", "dA dB|cA cB|sA sB|bA bB|kA kB", 2, 2, 0, "compare two versions of a record",
	  "The keys that differ between the record as change A left it and as change B left it\n"
	  "(two changes of one history, among the last 200 of it).\n",
	  cli_history_diff },
	{ "history rollback", "N|dN|cN|sN|bN", 1, 1, 0, "undo one change of one history",
	  "N: as setting rollback. dN: the record goes back to what it was before change dN\n"
	  "(refused if it changed again since). Passwords are never rolled back; an account\n"
	  "created or deleted is refused (use user add / user del). cN, sN, bN: that collector\n"
	  "(its password kept; a deleted one is refused), connection method or block back to\n"
	  "before the change, refused if it changed again since. API keys (kN) never. The\n"
	  "rollback is a change.\n",
	  cli_history_rollback },
	{ "history rollback-to", "POINT", 1, 1, 0, "everything back to a point of the timeline",
	  "POINT is a change or checkpoint of pillarbox history (N, dN, cN, sN, bN, kN). Every\n"
	  "change after it, of every kind, is rolled back, newest first, each put back a new\n"
	  "change by you: settings documents (as setting rollback-to), directory records (noted\n"
	  "\"rollback to #dN\"), collectors (their passwords kept), connection methods and their\n"
	  "schedules, manual blocks. Refused, naming the record, before anything is written when\n"
	  "a collector, method or block changed since by no recorded change, or a collector was\n"
	  "deleted (its password is in no history). API keys are never rolled back: a deleted\n"
	  "key's hash never comes back (make a new key). 0 or d0: before every change of that one\n"
	  "history only.\n",
	  cli_history_rollback_to },
	{ "history checkpoint", "[NOTE]", 0, 1, 0, "a checkpoint on the timeline",
	  "A mark that changes nothing (#N, noted \"checkpoint: NOTE\"): history rollback-to N\n"
	  "comes back to it. The Debian package takes one before an upgrade (\"before upgrade\n"
	  "from A to B\"); the daemon takes one at the first start of a new version.\n",
	  cli_history_checkpoint },
	{ "history", "[N]", 0, 1, 0, "the last N changes of every setting (20)",
	  "One timeline, newest first: the settings documents' changes (#N, as setting history),\n"
	  "the directory's (#dN: accounts' settings, never a password; mappings, lists, rules,\n"
	  "domains), mail collectors' (#cN: never a password, only \"(changed)\"), connection\n"
	  "methods' and their schedules' (#sN), manual address blocks' (#bN) and API keys' (#kN:\n"
	  "label and permissions, never a key), each with who, when and what changed, and the\n"
	  "checkpoints. How many each keeps: accounts.history_keep, storage.history_keep.\n",
	  cli_history },
	{ "status", "[--json]", 0, 0, OPT_JSON, "listeners, sessions, messages, spool, disk, recent errors",
	  "Shows the listeners and their state, the open sessions per service, the messages\n"
	  "received, delivered, deferred, failed, refused and rejected since the daemon started,\n"
	  "the spool depth (messages waiting for delivery), the free disk space and the room left\n"
	  "for mail above storage.min_free_mb, the last warnings and errors of the log, and the\n"
	  "actors. The figures are at most about a second old. --json prints one JSON object.\n",
	  cli_status },
	{ "lockout list", "", 0, 0, 0, "account locks and blocked addresses, with reason and expiry",
	  "An account locks for one address after security.lock_after_failures failed logins\n"
	  "from it in a row (other addresses can still log in); an address is blocked after\n"
	  "security.ip_block_failures failed logins within security.ip_block_period_minutes.\n"
	  "A restart clears the account locks and keeps the blocks.\n",
	  cli_lockout_list },
	{ "lockout unlock", "USER [--ip IP]", 1, 1, OPT_IP, "lift an account's locks",
	  "Without --ip, for every address; with it, for that address only. Exit code 1 if the\n"
	  "account had no such lock.\n",
	  cli_lockout_unlock },
	{ "block add", "IP|CIDR [REASON] [--minutes N]", 1, 2, OPT_MINUTES, "block an address or network",
	  "IP|CIDR is an IPv4 or IPv6 address or network (192.0.2.7, 10.0.0.0/8, 2001:db8::/32).\n"
	  "Every service then refuses it before its greeting with \"Your connection has been\n"
	  "blocked temporarily - try again later.\" The block lasts --minutes N, else until\n"
	  "removed with block del; it survives restarts.\n",
	  cli_block_add },
	{ "block del", "IP|CIDR", 1, 1, 0, "unblock an address or network",
	  "Removes the block list entry written the same way (any spelling of the same network).\n"
	  "Exit code 1 if there is none.\n",
	  cli_block_del },
	{ "block list", "", 0, 0, 0, "blocked addresses with reason and expiry", NULL, cli_block_list },
	{ "neverblock add", "IP|CIDR", 1, 1, 0, "never block an address or network for failed logins",
	  "Edits the setting security.never_block (also: pillarbox setting set security ...).\n"
	  "Account locks still apply to such addresses.\n",
	  cli_neverblock_add },
	{ "neverblock del", "IP|CIDR", 1, 1, 0, "remove from the never-block list", NULL,
	  cli_neverblock_del },
	{ "neverblock list", "", 0, 0, 0, "the never-block list", NULL, cli_neverblock_list },
	{ "connection add", "NAME [--every MIN] [--from ... --to ...] [...]", 1, 1, OPT_CONN * 127,
	  "add a connection method (a schedule)",
	  "Options: [--every MIN] [--from HH:MM --to HH:MM] [--days DAYS] [--min-waiting N]\n"
	  "[--collectors A,B] [--send yes|no].\n"
	  "A connection method runs its mail collectors (--collectors, names of collectors) and,\n"
	  "with --send yes (the default), the sending of queued mail, on a schedule: every MIN\n"
	  "minutes (10; 1 to 10080), only between --from and --to local time (both or neither;\n"
	  "--from 22:00 --to 06:00 crosses midnight, --to 24:00 is midnight), only on --days\n"
	  "(mon,tue,... or ranges mon-fri; all), and only when at least --min-waiting N messages\n"
	  "wait to be sent (0: always). Intervals are real time across DST changes; a run\n"
	  "missed while the server was down happens once at start. A new data directory has\n"
	  "the method \"default\": every 10 minutes, always, sending on.\n",
	  cli_connection_add },
	{ "connection list", "", 0, 0, 0, "connection methods with last and next poll",
	  "One line each: name, state (active, paused, running), the last poll and its result\n"
	  "(ok, failed, skipped: fewer messages waiting than asked, hung up), the next poll, and\n"
	  "the last failure.\n",
	  cli_connection_list },
	{ "connection show", "NAME", 1, 1, 0, "show one connection method", NULL,
	  cli_connection_show },
	{ "connection del", "NAME", 1, 1, 0, "delete a connection method (hangs it up first)", NULL,
	  cli_connection_del },
	{ "connection pause", "NAME", 1, 1, 0, "stop scheduled runs (a run on goes on)", NULL,
	  cli_connection_pause },
	{ "connection resume", "NAME", 1, 1, 0, "schedule it again (an overdue run starts now)",
	  NULL, cli_connection_resume },
	{ "connection now", "NAME", 1, 1, 0, "connect now (also when paused; not while running)",
	  "Runs the method's jobs at once, whatever its window, days and waiting minimum.\n",
	  cli_connection_now },
	{ "connection hangup", "NAME", 1, 1, 0, "end a run in progress",
	  "Tells its collectors and the sending to stop; the run is recorded as hung up.\n",
	  cli_connection_hangup },
	{ "queue list", "[--limit N] [--after ID]", 0, 0, OPT_LIMIT | OPT_AFTER,
	  "the outbound queue: mail waiting for remote recipients",
	  "One line per entry, in id order: its id, sender, size, recipients, arrival, next\n"
	  "attempt (UTC) and HELD when held. Delivered and bounced recipients leave the entry; it\n"
	  "goes when none is left waiting. A page holds --limit N entries (100; 1 to 1000), those\n"
	  "after --after ID; when more follow, the last line says how to ask for the next page.\n",
	  cli_queue_list },
	{ "queue show", "ID", 1, 1, 0, "one queue entry with each recipient's state",
	  "Each recipient: pending, deferred, delivered, failed or bounced, its attempts and the\n"
	  "last reply (the remote server's, or why it could not be tried).\n",
	  cli_queue_show },
	{ "queue hold", "ID", 1, 1, 0, "stop sending a queue entry until released", NULL,
	  cli_queue_hold },
	{ "queue release", "ID", 1, 1, 0, "send a held entry again, on its schedule", NULL,
	  cli_queue_release },
	{ "queue retry", "ID", 1, 1, 0, "make a queue entry due now", NULL, cli_queue_retry },
	{ "queue delete", "ID", 1, 1, 0, "drop a queue entry's undelivered recipients (no DSN)",
	  NULL, cli_queue_delete },
	{ "queue flush", "", 0, 0, 0, "make every queue entry that is not held due now", NULL,
	  cli_queue_flush },
	{ "collector add", "NAME KEY=VALUE...", 2, 40, 0,
	  "add a mail collector (POP3 download, IMAP migration and sync)",
	  "KEY is one of (default in brackets):\n"
	  "  protocol [pop3]        pop3; imap: copy every folder of the account with flags and\n"
	  "                         dates into the user target (route=user), then keep it synced\n"
	  "                         (one-way; nothing is changed or deleted at the server)\n"
	  "  server, port [110; 995 with tls=ssl; imap 143, 993]  the POP3 or IMAP server\n"
	  "  tls [none]             none, ssl, stls (STLS, IMAP STARTTLS); tls_verify [true]\n"
	  "                         checks its certificate\n"
	  "  tls_ca []              a PEM file of CAs to check it by (\"\": the system's)\n"
	  "  user, password         the account there (password=- reads it from standard input;\n"
	  "                         it is stored encrypted and never shown)\n"
	  "  auth [user]            user (USER/PASS, plain text), apop, plain, cram-md5;\n"
	  "                         imap: user (LOGIN) or plain (AUTHENTICATE PLAIN)\n"
	  "  route [headers]        headers: by the recipients in To, Cc, Delivered-To,\n"
	  "                         X-Original-To, Envelope-To (and fields) at the domains;\n"
	  "                         user: all to target (a user); smtp: all on to target, an\n"
	  "                         address at another server (through the outbound queue)\n"
	  "  target                 for route=user and route=smtp\n"
	  "  domains                Accepted Domains, comma separated: company.com, *.company.com,\n"
	  "                         or whole addresses (sales@company.com)\n"
	  "  fields                 more header fields to read recipients from (comma separated)\n"
	  "  mappings               address=user pairs (wildcards), before the default mapping\n"
	  "  default_mappings [true]  false: no user -> user mapping (only mappings)\n"
	  "  max_kb [0]             do not download bigger messages (the recipients are told)\n"
	  "  leave_days [0]         leave messages on the server this many days (0: delete once\n"
	  "                         stored here)\n"
	  "  interval_min [0]       collect every N minutes (0: by 'collector run' only)\n"
	  "  idle_s [120]           imap: once caught up, stay in IDLE on INBOX this long,\n"
	  "                         taking new mail as it comes (0: no IDLE)\n"
	  "  enabled [true]\n"
	  "A message to nobody known at the domains goes to the postmaster (a user postmaster,\n"
	  "else admin, else the first administrator).\n",
	  cli_collector_add },
	{ "collector set", "NAME KEY=VALUE...", 2, 40, 0, "change a mail collector's settings",
	  "KEY as for 'collector add'.\n", cli_collector_set },
	{ "collector del", "NAME", 1, 1, 0, "remove a mail collector and the UIDLs it has seen",
	  NULL, cli_collector_del },
	{ "collector list", "[--json]", 0, 0, OPT_JSON, "mail collectors: last run, result, fetched",
	  NULL, cli_collector_list },
	{ "collector show", "NAME [--json]", 1, 1, OPT_JSON, "one mail collector's settings and last run",
	  NULL, cli_collector_show },
	{ "collector run", "NAME [AT]", 1, 2, 0, "collect now and wait for the end",
	  "AT (seconds since 1970) is the time the run takes as now for 'leave on the server'\n"
	  "(tests, checks); the clock's by default.\n",
	  cli_collector_run },
	{ "collector fetch", "NAME UIDL", 2, 2, 0, "download a message told too big at the next run",
	  NULL, cli_collector_fetch },
	{ "etrn", "HOST[:PORT] DOMAIN", 2, 2, 0, "ask a server to send its mail for DOMAIN (ETRN)",
	  "Sends EHLO then ETRN DOMAIN (RFC 1985) to HOST (port 25 by default) from one of the\n"
	  "daemon's sender threads (outbound.tls and helo_name apply) and prints the reply;\n"
	  "exit 0 for a 2xx reply (250, 251, 252, 253), 1 otherwise.\n",
	  cli_etrn },
	{ "apikey add", "LABEL [PERMISSIONS] [--role admin|user --user U]", 1, 2,
	  OPT_ROLE | OPT_USER, "make an API key for the status server or the web API",
	  "Prints a new key (pbk_ and 48 hex digits) once; only its hash is kept. A script logs\n"
	  "in to the status server (port 5109) with {\"op\":\"login\",\"api_key\":KEY} and has the\n"
	  "key's PERMISSIONS, a comma-separated list of view_connection view_totals view_users\n"
	  "view_log connect shutdown receive_im send_im, or all (default:\n"
	  "view_connection,view_totals,view_log). LABEL: 1-64 letters, digits, '.', '_', '-'.\n"
	  "--role admin (an administrator's rights) or --role user --user U (the account U's)\n"
	  "lets the key call the web API (port 5108) as Authorization: Bearer KEY; the role is\n"
	  "kept among the permissions as web_admin or web_user:U (which may also be given there).\n",
	  cli_apikey_add },
	{ "apikey list", "", 0, 0, 0, "the status server's API keys (labels, never keys)", NULL,
	  cli_apikey_list },
	{ "apikey del", "LABEL", 1, 1, 0, "remove an API key (its sessions stay until they end)",
	  NULL, cli_apikey_del },
	{ "mapping add", "ADDRESS TARGET [TYPE [COMMENT]] [--collector NAME]", 2, 4, OPT_COLLECTOR,
	  "map an address to a target",
	  "ADDRESS: a full address or a bare name (at every local domain), with DOS wildcards\n"
	  "('*' any run, '?' one character; anchored, any case). TARGET: an account, a list or\n"
	  "an address. TYPE: always (the default), smtp (mail that came by SMTP), pop3 (mail\n"
	  "collected from a catch-all box), from (collected mail whose sender matches). An\n"
	  "address may have several mappings: every one delivers.\n"
	  "--collector NAME: the mapping applies only to mail collected by that mail collector\n"
	  "(admin guide 3.2's mail-collector filter; mapping list shows it).\n",
	  cli_mapping_add },
	{ "mapping del", "ADDRESS TARGET", 2, 2, 0, "remove a mapping", NULL, cli_mapping_del },
	{ "mapping list", "[TARGET]", 0, 1, 0, "the mappings (to one target)", NULL,
	  cli_mapping_list },
	{ "alias add", "USER ADDRESS [TYPE [COMMENT]] [--collector NAME]", 2, 4, OPT_COLLECTOR,
	  "give an account another address",
	  "An alias is a mapping whose target is the account (see help mapping add).\n",
	  cli_alias_add },
	{ "alias del", "USER ADDRESS", 2, 2, 0, "remove an alias", NULL, cli_alias_del },
	{ "alias list", "USER", 1, 1, 0, "an account's aliases", NULL, cli_alias_list },
	{ "list add", "NAME [internet|internal [COMMENT]]", 1, 3, 0, "add a distribution list",
	  "NAME@every-local-domain reaches the members. internet: anyone may write to it;\n"
	  "internal (the default): senders at local domains only. A name of an account is refused.\n",
	  cli_list_add },
	{ "list del", "NAME", 1, 1, 0, "remove a distribution list", NULL, cli_list_del },
	{ "list members", "[NAME]", 0, 1, 0, "a list's members (without NAME: every list)", NULL,
	  cli_list_members },
	{ "list addmember", "NAME ADDRESS", 2, 2, 0, "add a member (an account, list or address)",
	  NULL, cli_list_addmember },
	{ "list delmember", "NAME ADDRESS", 2, 2, 0, "remove a member", NULL, cli_list_delmember },
	{ "trace", "MESSAGE-ID|QUEUE-ID", 1, 1, 0, "why a message went where it went",
	  "The router's decisions for the message: which address, mapping, list, forward or\n"
	  "assistant decided what, loops stopped, and where each copy went. The message is named\n"
	  "by its Message-ID header (with or without <>; every delivery of it is shown, each\n"
	  "headed by its spool entry) or by the id SMTP answered \"queued as\". Kept for the\n"
	  "last 100,000 messages.\n",
	  cli_trace },
	{ "rules get", "[USER]", 0, 1, 0, "an account's message rules as JSON (no USER: the server's)",
	  "The rule set of USER, or without USER the administrator's (server-wide, evaluated\n"
	  "before each account's), in the JSON format of docs/operations.md \"Message rules\".\n",
	  cli_rules_get },
	{ "rules set", "[USER] FILE|-", 1, 2, 0, "set message rules from a JSON file or stdin",
	  "Replaces the rule set of USER (no USER: the administrator's) with the JSON in FILE\n"
	  "('-': standard input). A set that does not parse is refused with the reason.\n",
	  cli_rules_set },
	{ "rules del", "[USER]", 0, 1, 0, "remove message rules (no USER: the server's)", NULL,
	  cli_rules_del },
	{ "rules dry-run", "[USER] FILE|- | USER --folder F --last N [--json]", 1, 2,
	  OPT_FOLDER | OPT_LAST | OPT_JSON, "what the rules would do to a message or stored mail",
	  "Evaluates the administrator's rules, then USER's, over the message in FILE ('-':\n"
	  "standard input; an .eml, its first 256 KiB as delivery reads them) as an Incoming\n"
	  "message now, and prints each rule's verdict, what delivery would do and the rules\n"
	  "that matched. With USER, the routing scripts (the server's user_redirect.lua, then\n"
	  "USER's) run on it too, in delivery's sandbox and budgets: each script's log lines,\n"
	  "its error with the line (a stopped script: delivery routes as if it were absent) and\n"
	  "what the scripts would decide (folders, forwards). Nothing is changed or sent.\n"
	  "With --folder F (default INBOX) or --last N (default 20, at most 1000), over the last\n"
	  "N messages of USER's folder F instead, oldest first: one report per message (its\n"
	  "uid and subject, each rule's verdict with the message's own flags and keywords, what\n"
	  "delivery would do, the rules that matched, the scripts' outcome). Nothing is changed.\n"
	  "--json: one JSON object per line, {\"uid\", \"subject\", \"decision\", \"scripts\"}\n"
	  "(docs/operations.md).\n",
	  cli_rules_dry_run },
	{ "script get", "USER", 1, 1, 0, "an account's routing script (Lua)", NULL, cli_script_get },
	{ "script set", "USER [FILE|-]", 1, 2, 0, "set an account's routing script (Lua)",
	  "Reads the script from FILE, or standard input (- or no FILE); at most 64 KiB. It is\n"
	  "compiled first: a syntax error is refused with its line. It runs for each message to\n"
	  "the account after the server's user_redirect.lua (docs/routing-scripts.md).\n",
	  cli_script_set },
	{ "script del", "USER", 1, 1, 0, "remove an account's routing script", NULL, cli_script_del },
	{ "script server", "get | set [FILE|-] | reset", 1, 2, 0,
	  "the server's routing script user_redirect.lua",
	  "get prints the script in effect (its source on stderr: file, the path\n"
	  "router.user_redirect names; stored, kept in the settings history; installed, the\n"
	  "program's copy); set stores FILE (or standard input), compiled first; reset goes back\n"
	  "to the installed copy. Both are recorded in `pillarbox setting history` (rollback puts\n"
	  "the previous text back) and refused while router.user_redirect names a file (edit it).\n",
	  cli_script_server },
};

/* Groups the top-level usage folds into one line each (`pillarbox help GROUP` lists them). */
static const struct {
	const char *prefix, *first, *line, *summary;
} folded[] = {
	{ "setting ", "setting show", "setting show|set|history|diff|rollback ...",
	  "the settings in effect and their history (help setting)" },
	{ "queue ", "queue list", "queue list|show|hold|release|retry|...",
	  "the outbound queue (help queue)" },
	{ "connection ", "connection add", "connection add|list|show|del|...",
	  "connection methods: schedules (help connection)" },
	{ "mapping ", "mapping add", "mapping|alias|rules ...",
	  "mappings, aliases, message rules (help mapping, help rules)" },
	{ "alias ", NULL, NULL, NULL },
	{ "rules ", NULL, NULL, NULL },
	{ "list ", "list add", "list add|del|members|addmember|...",
	  "distribution lists (help list)" },
	{ "script ", "script get", "script get|set|del USER [FILE|-]",
	  "an account's routing script (help script)" },
	{ "block ", "block add", "block|neverblock add|del|list ...",
	  "blocked addresses, never-block list (help block)" },
	{ "neverblock ", NULL, NULL, NULL },
};

/* Whether name belongs to a folded group; prints the group's line at its first command. */
static bool usage_folded(FILE *f, const char *name)
{
	for (size_t g = 0; g < PB_N_ELEMENTS(folded); g++) {
		if (strncmp(name, folded[g].prefix, strlen(folded[g].prefix)) != 0)
			continue;
		if (folded[g].first != NULL && strcmp(name, folded[g].first) == 0)
			fprintf(f, "  %-38s %s\n", folded[g].line, folded[g].summary);
		return true;
	}
	return false;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pillarbox [--data-dir DIR] [--timeout SECONDS] COMMAND [ARGS]\n"
		   "commands:\n");
	for (size_t i = 0; i < PB_N_ELEMENTS(commands); i++) {
		char left[64];
		const char *name = commands[i].name;
		if (usage_folded(f, name))
			continue; /* a group listed as one line: `pillarbox help GROUP` lists it */
		snprintf(left, sizeof(left), "%s %s", name, commands[i].args);
		fprintf(f, "  %-38s %s\n", left, commands[i].summary);
	}
	fprintf(f, "  help [COMMAND]                         this text, or a command's\n"
		   "Options go anywhere on the line. The data directory is --data-dir, else\n"
		   "PILLARBOX_DATA_DIR, else data_dir in the daemon's bootstrap file (PILLARBOX_CONFIG,\n"
		   "else %s), else ./var.\n"
		   "--timeout: seconds to wait for the daemon (120).\n"
		   "A user NAME may also be its address at a local domain (bob@example.com).\n"
		   "Exit codes: 0 done, 1 refused (with the reason), 2 the daemon cannot be reached\n"
		   "(or failed for now), 64 a wrong command line.\n",
		pillarbox_default_config_name());
}

static void command_help(const struct command *cmd)
{
	printf("usage: pillarbox %s%s%s\n  %s\n", cmd->name, cmd->args[0] ? " " : "", cmd->args,
	       cmd->summary);
	if (cmd->help != NULL)
		printf("\n%s", cmd->help);
	if (cmd->fn == cli_user_set || cmd->fn == cli_user_unset)
		cli_user_keys_help(stdout);
}

/* A usage error: one line saying what was wrong, one where to look (pillarbox help HINT).
 * Returns EXIT_USAGE. */
static int __attribute__((format(printf, 2, 3))) usage_error(const char *hint, const char *fmt, ...)
{
	va_list ap;

	fputs("pillarbox: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\npillarbox: see: pillarbox help%s%s\n", hint ? " " : "", hint ? hint : "");
	return EXIT_USAGE;
}

/* The command line taken apart: positional words in order, and the options seen. */
struct cli_line {
	char **words;
	int n;
	unsigned opts;
	bool help, version;
	const char *timeout, *minutes;
};

static const struct {
	const char *name;
	bool value;
	unsigned opt;
} options[] = {
	{ "--data-dir", true, 0 },	  { "--timeout", true, 0 },	 { "--copy-from", true, OPT_COPY_FROM },
	{ "--force", false, OPT_FORCE },  { "--dry-run", false, OPT_DRY_RUN }, { "--explain", false, OPT_EXPLAIN },
	{ "--help", false, 0 },		  { "--version", false, 0 }, /* 6, 7: see take_option */
	{ "--json", false, OPT_JSON },	  { "--ip", true, OPT_IP },	 { "--minutes", true, OPT_MINUTES },
	{ "--every", true, OPT_CONN << CLI_CONN_EVERY },
	{ "--from", true, OPT_CONN << CLI_CONN_FROM },
	{ "--to", true, OPT_CONN << CLI_CONN_TO },
	{ "--days", true, OPT_CONN << CLI_CONN_DAYS },
	{ "--min-waiting", true, OPT_CONN << CLI_CONN_MIN_WAITING },
	{ "--collectors", true, OPT_CONN << CLI_CONN_COLLECTORS },
	{ "--send", true, OPT_CONN << CLI_CONN_SEND },
	{ "--limit", true, OPT_LIMIT },
	{ "--after", true, OPT_AFTER },
	{ "--role", true, OPT_ROLE },
	{ "--user", true, OPT_USER },
	{ "--subject", true, OPT_SUBJECT },
	{ "--text-file", true, OPT_TEXT_FILE },
	{ "--until", true, OPT_UNTIL },
	{ "--folder", true, OPT_FOLDER },
	{ "--last", true, OPT_LAST },
	{ "--welcome", false, OPT_WELCOME },
	{ "--no-welcome", false, OPT_NO_WELCOME },
	{ "--web", false, OPT_WEB },
	{ "--collector", true, OPT_COLLECTOR },
};

/* Takes one option (argv[*i], maybe "--name=value"; a value may also be the next word). */
static int take_option(int argc, char **argv, int *i, struct cli *c, struct cli_line *l)
{
	char *arg = argv[*i], *eq = strchr(arg, '=');
	size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);

	for (size_t k = 0; k < PB_N_ELEMENTS(options); k++) {
		if (strlen(options[k].name) != len || strncmp(arg, options[k].name, len) != 0)
			continue;
		const char *value = eq != NULL ? eq + 1 : NULL;
		if (options[k].value && value == NULL) {
			if (*i + 1 >= argc)
				return usage_error(NULL, "option %s needs a value", options[k].name);
			value = argv[++*i];
		} else if (!options[k].value && value != NULL) {
			return usage_error(NULL, "option %s takes no value", options[k].name);
		}
		l->opts |= options[k].opt;
		if (k == 0)
			c->data_dir = value;
		else if (k == 1)
			l->timeout = value;
		else if (options[k].opt == OPT_COPY_FROM)
			c->copy_from = value;
		else if (options[k].opt == OPT_IP)
			c->ip = value;
		else if (options[k].opt == OPT_MINUTES)
			l->minutes = value;
		else if (options[k].opt == OPT_LIMIT)
			c->limit = value;
		else if (options[k].opt == OPT_AFTER)
			c->after = value;
		else if (options[k].opt == OPT_ROLE)
			c->role = value;
		else if (options[k].opt == OPT_USER)
			c->user = value;
		else if (options[k].opt == OPT_SUBJECT)
			c->ar_subject = value;
		else if (options[k].opt == OPT_TEXT_FILE)
			c->ar_text_file = value;
		else if (options[k].opt == OPT_UNTIL)
			c->ar_until = value;
		else if (options[k].opt == OPT_FOLDER)
			c->rules_folder = value;
		else if (options[k].opt == OPT_LAST)
			c->rules_last = value;
		else if (options[k].opt == OPT_COLLECTOR)
			c->map_collector = value;
		else if (options[k].opt >= OPT_CONN && options[k].opt < OPT_LIMIT)
			c->conn[__builtin_ctz(options[k].opt / OPT_CONN)] = value;
		l->help |= k == 6;
		l->version |= k == 7;
		return 0;
	}
	return usage_error(NULL, "unknown option '%.*s'", (int)len, arg);
}

/* Splits argv into words and options; "--" ends the options, "-h" is --help, any other word
 * (also "-" and "-5") is positional. 0 or EXIT_USAGE (reported). */
static int parse_line(int argc, char **argv, struct cli *c, struct cli_line *l)
{
	bool words_only = false;

	l->words = xcalloc((size_t)argc + 1, sizeof(*l->words));
	for (int i = 1; i < argc; i++) {
		if (!words_only && strcmp(argv[i], "--") == 0)
			words_only = true;
		else if (!words_only && strcmp(argv[i], "-h") == 0)
			l->help = true;
		else if (!words_only && strncmp(argv[i], "--", 2) == 0) {
			if (take_option(argc, argv, &i, c, l) != 0)
				return EXIT_USAGE;
		} else
			l->words[l->n++] = argv[i];
	}
	c->force = (l->opts & OPT_FORCE) != 0;
	c->dry_run = (l->opts & OPT_DRY_RUN) != 0;
	c->explain = (l->opts & OPT_EXPLAIN) != 0;
	c->json = (l->opts & OPT_JSON) != 0;
	c->web = (l->opts & OPT_WEB) != 0;
	c->welcome = (l->opts & OPT_WELCOME) != 0 ? 1 : (l->opts & OPT_NO_WELCOME) != 0 ? 2 : 0;
	if ((l->opts & OPT_WELCOME) != 0 && (l->opts & OPT_NO_WELCOME) != 0)
		return usage_error(NULL, "--welcome and --no-welcome: give one of them");
	return 0;
}

/* The command words[0..] names, and how many words its name took; NULL if none. */
static const struct command *find_command(char **words, int n, int *used_r)
{
	for (size_t i = 0; n > 0 && i < PB_N_ELEMENTS(commands); i++) {
		const char *name = commands[i].name, *sp = strchr(name, ' ');
		size_t glen = sp != NULL ? (size_t)(sp - name) : strlen(name);
		if (strlen(words[0]) != glen || strncmp(words[0], name, glen) != 0)
			continue;
		if (sp == NULL) {
			*used_r = 1;
			return &commands[i];
		}
		if (n > 1 && strcmp(words[1], sp + 1) == 0) {
			*used_r = 2;
			return &commands[i];
		}
	}
	return NULL;
}

/* True if word is the first word of a two-word command (user, domain, setting); with out
 * non-NULL, prints its subcommands there. */
static bool command_group(const char *word, FILE *out)
{
	size_t len = strlen(word);
	bool found = false;

	for (size_t i = 0; i < PB_N_ELEMENTS(commands); i++) {
		const char *name = commands[i].name;
		if (strncmp(name, word, len) != 0 || name[len] != ' ')
			continue;
		if (out != NULL && !found)
			fprintf(out, "usage: pillarbox %s SUBCOMMAND\n", word);
		if (out != NULL) {
			char left[64];
			snprintf(left, sizeof(left), "%s %s", name, commands[i].args);
			fprintf(out, "  %-38s %s\n", left, commands[i].summary);
		}
		found = true;
	}
	if (out != NULL && found)
		fprintf(out, "More on one: pillarbox help %s SUBCOMMAND\n", word);
	return found;
}

/* The words name no command: says which, or prints help for a group. Returns the exit code. */
static int no_command(char **words, int n, bool help)
{
	if (n == 0) {
		usage(stderr);
		return usage_error(NULL, "no command given");
	}
	if (command_group(words[0], NULL)) {
		if (help && n == 1) {
			command_group(words[0], stdout);
			return 0;
		}
		if (n == 1)
			return usage_error(words[0], "'%s' needs a subcommand", words[0]);
		return usage_error(words[0], "unknown command '%s %s'", words[0], words[1]);
	}
	return usage_error(NULL, "unknown command '%s'", words[0]);
}

/* The value of option: a whole number of units from 1 to max. 0 or EXIT_USAGE (reported). */
static int parse_whole(const char *option, const char *units, unsigned long max, const char *text,
		       uint32_t *v_r)
{
	char *end;
	unsigned long v = text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;

	if (v < 1 || v > max || *end != '\0')
		return usage_error(NULL, "%s wants whole %s from 1 to %lu, not '%s'", option, units,
				   max, text);
	*v_r = (uint32_t)v;
	return 0;
}

/* --timeout: whole seconds, 1 to 86400. */
static int parse_timeout(const char *text, uint32_t *ms_r)
{
	uint32_t seconds;

	if (parse_whole("--timeout", "seconds", 86400, text, &seconds) != 0)
		return EXIT_USAGE;
	*ms_r = seconds * 1000;
	return 0;
}

/* Checks the options and the argument count against the command's row. 0 or EXIT_USAGE. */
static int check_command(const struct command *cmd, const struct cli_line *l, int nargs)
{
	static const char *const names[] = { "--force",	   "--copy-from", "--dry-run",
					     "--explain",  "--json",	  "--ip",
					     "--minutes",  "--every",	  "--from",
					     "--to",	   "--days",	  "--min-waiting",
					     "--collectors", "--send",	  "--limit",
					     "--after",	   "--role",	  "--user",
					     "--subject",  "--text-file", "--until",
					     "--folder",   "--last",	  "--welcome",
					     "--no-welcome", "--web",	  "--collector" };

	for (unsigned b = 0; b < PB_N_ELEMENTS(names); b++)
		if ((l->opts & (1u << b)) != 0 && (cmd->opts & (1u << b)) == 0)
			return usage_error(cmd->name, "'%s' takes no option %s", cmd->name, names[b]);
	if (nargs < cmd->min_args || nargs > cmd->max_args)
		return usage_error(cmd->name, "%s for '%s' (usage: pillarbox %s %s)",
				   nargs < cmd->min_args ? "too few arguments" : "too many arguments",
				   cmd->name, cmd->name, cmd->args);
	return 0;
}

/* `pillarbox help [WORDS]`. */
static int help_cmd(char **words, int n)
{
	int used = 0;
	const struct command *cmd = find_command(words, n, &used);

	if (n == 0) {
		usage(stdout);
		return 0;
	}
	if (cmd != NULL && used == n) {
		command_help(cmd);
		return 0;
	}
	return no_command(words, n, true);
}

/* The data directory when neither --data-dir nor PILLARBOX_DATA_DIR names it: the daemon's,
 * from the bootstrap file it reads too (PILLARBOX_CONFIG, else the installed default
 * pillarbox_default_config, else none: ./var). 0, or -1 with a line on stderr (a bad file). */
static int find_data_dir(struct cli *c)
{
	const char *config = getenv("PILLARBOX_CONFIG");
	char *error = NULL;

	if (c->data_dir != NULL && *c->data_dir != '\0')
		return 0;
	if (config == NULL || *config == '\0')
		config = pillarbox_default_config();
	if (pillarbox_config_data_dir(config, c->config_data_dir, sizeof(c->config_data_dir),
				      &error) < 0) {
		fprintf(stderr, "pillarbox: %s\n", error);
		free(error);
		return -1;
	}
	c->data_dir = c->config_data_dir;
	return 0;
}

/* Runs the command the line names (after help and the options are dealt with). */
static int run_command(struct cli *c, struct cli_line *l)
{
	const char *error;
	int used = 0;
	const struct command *cmd = find_command(l->words, l->n, &used);

	if (cmd == NULL)
		return no_command(l->words, l->n, l->help);
	if (l->help) {
		command_help(cmd);
		return 0;
	}
	int rc = check_command(cmd, l, l->n - used);
	if (rc == 0 && l->timeout != NULL)
		rc = parse_timeout(l->timeout, &c->timeout_ms);
	if (rc == 0 && l->minutes != NULL)
		rc = parse_whole("--minutes", "minutes", 525600, l->minutes, &c->minutes);
	if (rc != 0)
		return rc;
	if (find_data_dir(c) < 0)
		return EXIT_UNREACHABLE;
	if (pillarbox_control_url(c->data_dir, c->url, sizeof(c->url), &error) < 0) {
		fprintf(stderr, "pillarbox: %s: %s\npillarbox: start the daemon with scripts/run.sh, or "
				"point --data-dir (or PILLARBOX_DATA_DIR) at its data directory.\n",
			c->data_dir, error);
		return EXIT_UNREACHABLE;
	}
	pb_sync_init_remote(&c->t, c->url, c->timeout_ms);
	directory_client_by(cli_who());
	return cmd->fn(c, l->words + used, l->n - used);
}

int main(int argc, char **argv)
{
	struct cli c = { .data_dir = getenv("PILLARBOX_DATA_DIR"), .timeout_ms = 120000 };
	struct cli_line l = { 0 };
	int rc = parse_line(argc, argv, &c, &l);

	if (rc == 0 && l.version)
		printf("pillarbox %s\n", PILLARBOX_VERSION);
	else if (rc == 0 && l.n > 0 && strcmp(l.words[0], "help") == 0)
		rc = help_cmd(l.words + 1, l.n - 1);
	else if (rc == 0 && l.n == 0 && l.help)
		usage(stdout);
	else if (rc == 0)
		rc = run_command(&c, &l);
	free(l.words);
	return rc;
}
