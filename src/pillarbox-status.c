/*
 * pillarbox-status.c: how `pillarbox status` prints the node's status (SYS_STATUS_REP through
 * sys-client.h): the figures an administrator asks first — listeners, sessions, messages since
 * start, spool depth, disk, the TLS certificate (with a warning when it is self-signed or near
 * its end) — then the connection methods (one line each: pillarbox-connection.c), the recent
 * warnings and errors and the actors; or the same as one JSON object (--json).
 * OWNS: nothing. THREAD: the CLI's.
 */
#include "pillarbox-cli.h"
#include "queue-client.h"
#include "scheduler-json.h"

#include <cJSON.h>
#include <stdio.h>
#include <time.h>

/* "12.3 GiB" into buf; "unknown" for UINT64_MAX. */
static const char *human_bytes(uint64_t n, char *buf, size_t size)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	if (n == UINT64_MAX)
		return "unknown";
	while (v >= 1024 && u + 1 < PB_N_ELEMENTS(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
	return buf;
}

static void print_node(const struct sys_status *r)
{
	uint64_t s = r->uptime_ms / 1000;
	char free_b[32], left_b[32];

	printf("version:     %s\nuptime:      %llud %02llu:%02llu:%02llu\n"
	       "users:       %llu\ndomains:     %llu\nstore size:  %llu bytes\n",
	       r->version, (unsigned long long)(s / 86400), (unsigned long long)(s / 3600 % 24),
	       (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60),
	       (unsigned long long)r->users, (unsigned long long)r->domains,
	       (unsigned long long)r->store_bytes);
	printf("disk free:   %s (room left for mail above the reserve: %s)\n",
	       human_bytes(r->disk_free, free_b, sizeof(free_b)),
	       human_bytes(r->storage_left, left_b, sizeof(left_b)));
}

#define TLS_EXPIRY_WARN_DAYS 30

/* "2028-03-01T12:00:00Z" into buf. */
static const char *utc_text(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* What the administrator must hear about the certificate, or NULL: self-signed (generated at
 * first start or configured), expired, or expiring within TLS_EXPIRY_WARN_DAYS. */
static char *tls_warning(const struct pb_rec_tls_cert *c)
{
	int64_t left = c->not_after - (int64_t)time(NULL);

	if (left <= 0)
		return xasprintf("the certificate has EXPIRED: clients refuse it; install a new "
				 "one (tls_certificate, tls_key) and send SIGHUP");
	if (c->generated)
		return xasprintf("self-signed certificate generated at first start: mail clients "
				 "warn about it or refuse it; set tls_certificate and tls_key in "
				 "the bootstrap file and send SIGHUP");
	if (c->self_signed)
		return xasprintf("self-signed certificate: mail clients warn about it or refuse "
				 "it unless told to trust it");
	if (left < (int64_t)TLS_EXPIRY_WARN_DAYS * 86400)
		return xasprintf("the certificate expires in %lld days: renew it and send SIGHUP",
				 (long long)(left / 86400));
	return NULL;
}

static void print_tls(const struct sys_status *r)
{
	char when[32];

	if (r->tls.n == 0) {
		printf("tls:         (no gateway with TLS has reported yet)\n");
		return;
	}
	const struct pb_rec_tls_cert *c = &r->tls.v[0];
	char *warning = tls_warning(c);
	printf("tls:         %s (names: %s), expires %s%s\n", c->subject[0] ? c->subject : "(no CN)",
	       c->names[0] ? c->names : "none", utc_text(c->not_after, when, sizeof(when)),
	       c->self_signed ? ", self-signed" : "");
	printf("tls sha256:  %s\n", c->sha256);
	if (warning != NULL)
		printf("WARNING:     %s\n", warning);
	free(warning);
}

static void print_listeners(const struct sys_status *r)
{
	printf("\n%-12s %-24s %6s  %s\n", "LISTENER", "ADDRESS", "PORT", "STATE");
	for (uint32_t i = 0; i < r->listeners.n; i++) {
		const struct pb_rec_listener *l = &r->listeners.v[i];
		printf("%-12s %-24s %6u  %s\n", l->service, l->address, (unsigned)l->port, l->state);
	}
	if (r->listeners.n == 0)
		printf("(no gateway has reported yet)\n");
	printf("\nsessions:   ");
	for (uint32_t i = 0; i < r->services.n; i++)
		printf(" %s %llu", r->services.v[i].service,
		       (unsigned long long)r->services.v[i].sessions);
	printf("\n");
}

static void print_messages(const struct sys_status *r)
{
	printf("\nmessages since start:\n"
	       "  received            %llu\n  delivered           %llu (recipients)\n"
	       "  deferred            %llu (delivery tried again later)\n"
	       "  delivery failed     %llu\n  recipients refused  %llu\n"
	       "  rejected            %llu (messages refused whole)\n"
	       "  spool depth         %llu (messages waiting for delivery)\n",
	       (unsigned long long)r->received, (unsigned long long)r->delivered,
	       (unsigned long long)r->deferred, (unsigned long long)r->delivery_failed,
	       (unsigned long long)r->rcpts_refused, (unsigned long long)r->rejected,
	       (unsigned long long)r->spool_depth);
}

static void print_queue(const struct queue_client_stats *q)
{
	if (q == NULL) {
		printf("\noutbound queue: (no answer)\n");
		return;
	}
	printf("\noutbound queue:\n"
	       "  entries             %llu (%llu held)\n  recipients waiting  %llu\n"
	       "  sent since start    %llu (recipients)\n  deferred            %llu (attempts)\n"
	       "  failed              %llu (recipients, a DSN to the sender)\n",
	       (unsigned long long)q->entries, (unsigned long long)q->held,
	       (unsigned long long)q->waiting, (unsigned long long)q->sent,
	       (unsigned long long)q->deferred, (unsigned long long)q->failed);
}

static void json_queue(cJSON *o, const struct queue_client_stats *q)
{
	if (q == NULL) {
		cJSON_AddNullToObject(o, "queue");
		return;
	}
	cJSON *j = cJSON_AddObjectToObject(o, "queue");
	const struct { const char *name; uint64_t v; } nums[] = {
		{ "entries", q->entries }, { "held", q->held }, { "waiting", q->waiting },
		{ "sent", q->sent }, { "deferred", q->deferred }, { "failed", q->failed },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(nums); i++)
		cJSON_AddNumberToObject(j, nums[i].name, (double)nums[i].v);
}

static void print_recent(const struct sys_status *r)
{
	printf("\nrecent warnings and errors:\n");
	for (uint32_t i = 0; i < r->recent.n; i++) {
		const struct pb_rec_log_line *l = &r->recent.v[i];
		char when[32];
		printf("  %s %-5s %s %s\n", utc_text(l->time_ms / 1000, when, sizeof(when)),
		       l->level, l->module, l->text);
	}
	if (r->recent.n == 0)
		printf("  (none)\n");
}

static void print_actors(const struct sys_status *r)
{
	printf("\n%-20s %10s %10s %10s\n", "ACTOR", "HANDLED", "RESTARTS", "INBOX-FULL");
	for (uint32_t i = 0; i < r->actors.n; i++)
		printf("%-20s %10llu %10llu %10llu\n", r->actors.v[i].name,
		       (unsigned long long)r->actors.v[i].handled,
		       (unsigned long long)r->actors.v[i].restarts,
		       (unsigned long long)r->actors.v[i].inbox_full);
}

static void json_lists(cJSON *o, const struct sys_status *r)
{
	cJSON *ls = cJSON_AddArrayToObject(o, "listeners");
	for (uint32_t i = 0; i < r->listeners.n; i++) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "service", r->listeners.v[i].service);
		cJSON_AddStringToObject(l, "address", r->listeners.v[i].address);
		cJSON_AddNumberToObject(l, "port", r->listeners.v[i].port);
		cJSON_AddStringToObject(l, "state", r->listeners.v[i].state);
		cJSON_AddItemToArray(ls, l);
	}
	cJSON *sv = cJSON_AddObjectToObject(o, "sessions");
	for (uint32_t i = 0; i < r->services.n; i++)
		cJSON_AddNumberToObject(sv, r->services.v[i].service,
					(double)r->services.v[i].sessions);
	cJSON *rc = cJSON_AddArrayToObject(o, "recent");
	for (uint32_t i = 0; i < r->recent.n; i++) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddNumberToObject(l, "time_ms", (double)r->recent.v[i].time_ms);
		cJSON_AddStringToObject(l, "level", r->recent.v[i].level);
		cJSON_AddStringToObject(l, "module", r->recent.v[i].module);
		cJSON_AddStringToObject(l, "text", r->recent.v[i].text);
		cJSON_AddItemToArray(rc, l);
	}
}

/* "tls": the certificate, or null before a gateway with TLS reported. */
static void json_tls(cJSON *o, const struct sys_status *r)
{
	char when[32];

	if (r->tls.n == 0) {
		cJSON_AddNullToObject(o, "tls");
		return;
	}
	const struct pb_rec_tls_cert *c = &r->tls.v[0];
	cJSON *t = cJSON_AddObjectToObject(o, "tls");
	char *warning = tls_warning(c);
	cJSON_AddStringToObject(t, "subject", c->subject);
	cJSON_AddStringToObject(t, "names", c->names);
	cJSON_AddStringToObject(t, "not_after", utc_text(c->not_after, when, sizeof(when)));
	cJSON_AddNumberToObject(t, "not_after_unix", (double)c->not_after);
	cJSON_AddBoolToObject(t, "self_signed", c->self_signed);
	cJSON_AddBoolToObject(t, "generated", c->generated);
	cJSON_AddStringToObject(t, "sha256", c->sha256);
	if (warning != NULL)
		cJSON_AddStringToObject(t, "warning", warning);
	else
		cJSON_AddNullToObject(t, "warning");
	free(warning);
}

static void print_connections(const struct pb_rec_sched_method_list *conns)
{
	char line[512];

	printf("connections:\n");
	if (conns->n == 0)
		printf("  none\n");
	for (uint32_t i = 0; i < conns->n; i++) {
		cli_connection_line(&conns->v[i], line, sizeof(line));
		printf("  %s\n", line);
	}
}

static void print_json(const struct sys_status *r, const struct queue_client_stats *q,
		       const struct pb_rec_sched_method_list *conns,
		       const struct pb_strv *collectors)
{
	cJSON *o = cJSON_CreateObject();
	const struct { const char *name; uint64_t v; } nums[] = {
		{ "uptime_ms", r->uptime_ms }, { "users", r->users }, { "domains", r->domains },
		{ "store_bytes", r->store_bytes }, { "received", r->received },
		{ "delivered", r->delivered }, { "deferred", r->deferred },
		{ "delivery_failed", r->delivery_failed }, { "rcpts_refused", r->rcpts_refused },
		{ "rejected", r->rejected }, { "spool_depth", r->spool_depth },
		{ "disk_free", r->disk_free }, { "storage_left", r->storage_left },
	};

	cJSON_AddStringToObject(o, "version", r->version);
	for (size_t i = 0; i < PB_N_ELEMENTS(nums); i++) {
		if (nums[i].v == UINT64_MAX)
			cJSON_AddNullToObject(o, nums[i].name); /* unknown */
		else
			cJSON_AddNumberToObject(o, nums[i].name, (double)nums[i].v);
	}
	json_lists(o, r);
	json_tls(o, r);
	json_queue(o, q);
	cJSON *cs = cJSON_AddArrayToObject(o, "connections");
	for (uint32_t i = 0; i < conns->n; i++)
		cJSON_AddItemToArray(cs, scheduler_method_json(&conns->v[i]));
	cli_json_collectors_status(o, collectors);
	char *text = cJSON_Print(o);
	printf("%s\n", text);
	free(text);
	cJSON_Delete(o);
}

void cli_print_status(const struct sys_status *r, const struct queue_client_stats *q,
		      const struct pb_rec_sched_method_list *conns,
		      const struct pb_strv *collectors, bool json)
{
	if (json) {
		print_json(r, q, conns, collectors);
		return;
	}
	print_node(r);
	print_tls(r);
	print_listeners(r);
	print_messages(r);
	print_queue(q);
	print_connections(conns);
	cli_print_collectors_status(collectors);
	print_recent(r);
	print_actors(r);
}
