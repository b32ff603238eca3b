/*
 * collector-def.h: a mail collector's definition — what `pillarbox collector add|set` takes as
 * key=value settings, stored as JSON (store-collector.h). Pure: no nng, no store, no clock.
 *
 * Keys (default in brackets):
 *   protocol [pop3]     pop3, or imap: migrate the whole remote account (every folder, flags,
 *                       dates) into the user target (route=user), then keep it synced
 *                       (imap-collect.h)
 *   server              the POP3 or IMAP server's name or address (required)
 *   port [110; 995 with tls=ssl; imap: 143, 993]
 *   tls [none]          none, ssl (TLS from the start), stls (STLS, RFC 2595; IMAP STARTTLS)
 *   tls_verify [true]   check the server's certificate and name (ssl, stls)
 *   tls_ca []           a PEM file of the CAs to check it against ("": the system's)
 *   user, password      the account at the server (the password is kept encrypted, never shown)
 *   auth [user]         user (USER/PASS, "plain text"), apop, plain (AUTH PLAIN), cram-md5;
 *                       imap: user (LOGIN) or plain (AUTHENTICATE PLAIN)
 *   route [headers]     headers: by the recipients in the header fields; user: everything to
 *                       target (a user, or an address at a local domain, or a distribution
 *                       list that takes mail from the Internet: the router delivers to its
 *                       members); smtp: everything on
 *                       to target, an address at another server (through the outbound queue)
 *   target              for route=user and route=smtp
 *   domains             Accepted Domains: comma separated, wildcards * and ? (company.com,
 *                       *.company.com), or whole addresses (sales@company.com)
 *   fields              custom header fields searched too (comma separated), beside To, Cc,
 *                       Delivered-To, X-Original-To and Envelope-To
 *   mappings            address=user pairs, comma separated (wildcards in the address)
 *   default_mappings [true]  false: "disable default user -> user mappings" (only mappings)
 *   max_kb [0]          do not download messages bigger than this (0: no limit)
 *   leave_days [0]      leave messages on the server this many days (0: delete once safe)
 *   interval_min [0]    collect every this many minutes (0: only when run or scheduled)
 *   idle_s [120]        imap: once caught up, a run stays in IDLE on INBOX this long, taking
 *                       new mail as it comes (0: no IDLE: new mail at each run only)
 *   enabled [true]
 * OWNS: struct collector_def's strings. THREAD: any.
 */
#ifndef COLLECTOR_DEF_H
#define COLLECTOR_DEF_H

#include "store-collector.h"

#include <stdbool.h>
#include <stdint.h>

enum collector_tls { COLLECTOR_TLS_NONE, COLLECTOR_TLS_SSL, COLLECTOR_TLS_STLS };
enum collector_auth { COLLECTOR_AUTH_USER, COLLECTOR_AUTH_APOP, COLLECTOR_AUTH_PLAIN,
		      COLLECTOR_AUTH_CRAM_MD5 };
enum collector_route { COLLECTOR_ROUTE_HEADERS, COLLECTOR_ROUTE_USER, COLLECTOR_ROUTE_SMTP };
enum collector_protocol { COLLECTOR_PROTO_POP3, COLLECTOR_PROTO_IMAP };
#define COLLECTOR_IDLE_DEFAULT_S 120

struct collector_def {
	char name[PB_COLLECTOR_NAME_MAX + 1];
	char *server, *user, *target, *domains, *fields, *mappings, *tls_ca;
	/* sealed (pb-secret.h) once stored; plain text only between a request and
	 * its encryption in the collector actor. */
	char *password;
	uint16_t port; /* 0: the default of tls */
	uint8_t tls, auth, route, protocol;
	bool tls_verify, default_mappings, enabled;
	uint32_t max_kb, leave_days, interval_min, idle_s;
};

/* The defaults with name. */
void collector_def_init(struct collector_def *d, const char *name);
void collector_def_free(struct collector_def *d);
/* Sets one "key=value" setting. 0, or -1 with error_r (static text naming the key). */
int collector_def_set(struct collector_def *d, const char *kv, const char **error_r);
/* Whether d can run: server, user and the route's needs given. 0 / -1 with error_r. */
int collector_def_check(const struct collector_def *d, const char **error_r);
/* The port in effect (the tls default when 0). */
uint16_t collector_def_port(const struct collector_def *d);

/* JSON (the stored form; with_password false leaves the password out: for the CLI).
 * Returns an xmalloc'd string. */
char *collector_def_to_json(const struct collector_def *d, bool with_password);
/* Reads the stored form into d (initialised here). 0 / -1 with error_r. */
int collector_def_from_json(const char *name, const char *json, struct collector_def *d,
			    const char **error_r);

#endif
