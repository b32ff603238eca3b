/*
 * mx-resolve.c: MX, A and AAAA lookups through c-ares, and the RFC 5321 5.1 / RFC 7505 rules
 * that turn their answers into an ordered list of delivery targets (see mx-resolve.h).
 *
 * OWNS: struct mx_resolver (the c-ares channel); during one mx_resolve, a struct mx_job on its
 *       stack: the hosts found and one heap struct mx_query per query in flight, freed by the
 *       query's callback (c-ares calls every callback exactly once: answer, error, or
 *       ares_cancel at the deadline), so nothing is in flight when mx_resolve returns.
 * THREAD: the thread that calls mx_resolve; c-ares callbacks run inside its ares_process_fd
 *       and ares_cancel calls, on that thread.
 */
#include "mx-resolve.h"
#include "mx-cache.h"

#include "pb-alloc.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MX_DEFAULT_LOOKUPS 21
#define MX_DEFAULT_TIMEOUT_MS 10000
/* c-ares' own timeout for one try at one server; our deadline caps the whole lookup. */
#define MX_TRY_TIMEOUT_MS 2000
#define MX_TRIES 3

struct mx_resolver {
	ares_channel channel;
	unsigned max_lookups;
	bool ipv6_first;
	bool allow_loopback;
	char *self_name;
	struct mx_cache *cache;
};

/* One host to deliver to, while it is looked up. status4/status6: the c-ares status of its A
   and AAAA queries (ARES_SUCCESS with addresses, ARES_ENODATA/ENOTFOUND none; -1 not asked). */
struct mx_host {
	char *name;
	unsigned preference;
	uint32_t rank; /* random: the order among equal preferences */
	size_t n4, n6;
	struct mx_addr v4[MX_RESOLVE_MAX_ADDRS], v6[MX_RESOLVE_MAX_ADDRS];
	int status4, status6;
};

struct mx_job {
	struct mx_resolver *r;
	const char *domain;
	int64_t deadline_ms;
	int pending;      /* queries whose callback has not run yet */
	unsigned lookups; /* queries sent, against r->max_lookups */
	int mx_status;    /* the MX query's c-ares status */
	bool null_mx;     /* the MX answer was one "." at preference 0 */
	bool temp_failure;
	uint32_t ttl_s;   /* the smallest TTL of the records the answer came from */
	size_t n_hosts;
	struct mx_host hosts[MX_RESOLVE_MAX_TARGETS];
	char note[256]; /* what was skipped, for result->error */
};

struct mx_query {
	struct mx_job *job;
	struct mx_host *host; /* NULL for the MX query */
	int family;
};

static pthread_once_t mx_library_once = PTHREAD_ONCE_INIT;
static int mx_library_status;

static void mx_library_init(void)
{
	mx_library_status = ares_library_init(ARES_LIB_INIT_ALL);
}

static int64_t mx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mx_note(struct mx_job *job, const char *fmt, ...) PB_PRINTF(2, 3);
static void mx_note(struct mx_job *job, const char *fmt, ...)
{
	size_t used = strlen(job->note);
	va_list ap;

	if (used > 0 && used + 2 < sizeof(job->note)) {
		memcpy(job->note + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(job->note + used, sizeof(job->note) - used, fmt, ap);
	va_end(ap);
}

static enum mx_status mx_fail(struct mx_result *res, enum mx_status status, const char *enhanced,
			      const char *fmt, ...) PB_PRINTF(4, 5);
static enum mx_status mx_fail(struct mx_result *res, enum mx_status status, const char *enhanced,
			      const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	snprintf(res->enhanced, sizeof(res->enhanced), "%s", enhanced);
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	return status;
}

/* "a,b c" → "a,b,c": c-ares takes commas only. */
static int mx_set_servers(ares_channel channel, const char *servers, const char **error_r)
{
	char *csv = xstrdup(servers);
	int rc;

	for (char *p = csv; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t')
			*p = ',';
	rc = ares_set_servers_ports_csv(channel, csv);
	free(csv);
	if (rc != ARES_SUCCESS) {
		*error_r = "outbound.dns_servers: not a list of ip[:port] addresses";
		return -1;
	}
	return 0;
}

int mx_resolver_create(const struct mx_resolver_settings *settings, struct mx_resolver **resolver_r,
		       const char **error_r)
{
	struct ares_options opts = { 0 };
	ares_channel channel;

	pthread_once(&mx_library_once, mx_library_init);
	if (mx_library_status != ARES_SUCCESS) {
		*error_r = "c-ares library initialisation failed";
		return -1;
	}
	opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	opts.timeout = MX_TRY_TIMEOUT_MS;
	opts.tries = MX_TRIES;
	if (ares_init_options(&channel, &opts, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
	    ARES_SUCCESS) {
		*error_r = "c-ares: cannot create a resolver channel";
		return -1;
	}
	if (settings->servers != NULL && settings->servers[strspn(settings->servers, " \t")] != '\0' &&
	    mx_set_servers(channel, settings->servers, error_r) < 0) {
		ares_destroy(channel);
		return -1;
	}
	struct mx_resolver *r = xcalloc(1, sizeof(*r));
	r->channel = channel;
	r->max_lookups = settings->max_lookups != 0 ? settings->max_lookups : MX_DEFAULT_LOOKUPS;
	r->ipv6_first = settings->ipv6_first;
	r->allow_loopback = settings->allow_loopback;
	r->self_name = settings->self_name != NULL ? xstrdup(settings->self_name) : NULL;
	r->cache = mx_cache_new(settings->cache_max);
	*resolver_r = r;
	return 0;
}

void mx_resolver_destroy(struct mx_resolver **resolver)
{
	struct mx_resolver *r = *resolver;

	if (r == NULL)
		return;
	ares_destroy(r->channel);
	mx_cache_free(&r->cache);
	free(r->self_name);
	free(r);
	*resolver = NULL;
}

/* ---- the event loop ---- */

/* Waits for the channel's sockets (or its next timeout, at most left_ms) and lets c-ares work. */
static void mx_wait(ares_channel channel, int64_t left_ms)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval max = { left_ms / 1000, (left_ms % 1000) * 1000 }, tv, *t;
	int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
	nfds_t n = 0;

	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		/* ARES_GETSOCK_WRITABLE shifts an int by 31 for i = 15 (undefined): by hand. */
		unsigned ubits = (unsigned)bits;
		short events = ((ubits >> i) & 1u ? POLLIN : 0) |
			       ((ubits >> (i + ARES_GETSOCK_MAXNUM)) & 1u ? POLLOUT : 0);
		if (events != 0)
			pfd[n++] = (struct pollfd){ .fd = socks[i], .events = events };
	}
	t = ares_timeout(channel, &max, &tv);
	int ms = (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
	if (poll(pfd, n, ms) <= 0) {
		ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
		return;
	}
	for (nfds_t i = 0; i < n; i++) {
		bool rd = (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
		bool wr = (pfd[i].revents & POLLOUT) != 0;
		if (rd || wr)
			ares_process_fd(channel, rd ? pfd[i].fd : ARES_SOCKET_BAD,
					wr ? pfd[i].fd : ARES_SOCKET_BAD);
	}
}

/* Runs until every query of the job has its answer, or cancels them all at the deadline. */
static void mx_run(struct mx_job *job)
{
	while (job->pending > 0) {
		int64_t left = job->deadline_ms - mx_now_ms();
		if (left <= 0) {
			ares_cancel(job->r->channel); /* every callback runs, with ARES_ECANCELLED */
			break;
		}
		mx_wait(job->r->channel, left);
	}
}

static bool mx_send(struct mx_job *job, const char *name, int type, struct mx_host *host,
		    int family, ares_callback cb)
{
	if (job->lookups >= job->r->max_lookups)
		return false;
	struct mx_query *q = xcalloc(1, sizeof(*q));
	q->job = job;
	q->host = host;
	q->family = family;
	job->lookups++;
	job->pending++;
	ares_query(job->r->channel, name, ns_c_in, type, cb, q);
	return true;
}

/* ---- answers ---- */

static bool mx_is_ip_literal(const char *name)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, name, &a4) == 1 || inet_pton(AF_INET6, name, &a6) == 1;
}

static void mx_add_host(struct mx_job *job, const char *name, unsigned preference)
{
	if (job->n_hosts == MX_RESOLVE_MAX_TARGETS) {
		mx_note(job, "MX host %s beyond the first %d left out", name, MX_RESOLVE_MAX_TARGETS);
		return;
	}
	struct mx_host *h = &job->hosts[job->n_hosts++];
	memset(h, 0, sizeof(*h));
	h->name = xstrdup(name);
	h->preference = preference;
	h->rank = arc4random();
	h->status4 = h->status6 = -1;
}

/* Takes the usable hosts from an MX answer: not the null MX's ".", not an IP literal. */
static void mx_take_mx(struct mx_job *job, const struct ares_mx_reply *mx)
{
	if (mx != NULL && mx->next == NULL && mx->priority == 0 && mx->host[0] == '\0') {
		job->null_mx = true;
		return;
	}
	for (; mx != NULL; mx = mx->next) {
		if (mx->host[0] == '\0')
			continue; /* a "." beside real MX records: RFC 7505 says ignore it */
		if (mx_is_ip_literal(mx->host)) {
			mx_note(job, "MX %s is an IP address, not a host name (RFC 1035 3.3.9): not used",
				mx->host);
			continue;
		}
		mx_add_host(job, mx->host, mx->priority);
	}
}

static uint32_t mx_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The smallest TTL of a reply's answer records (c-ares walks the names); 0 when it cannot be
 * read (nothing is cached then). */
static uint32_t mx_answer_ttl(const unsigned char *abuf, int alen)
{
	uint32_t ttl = UINT32_MAX;
	const unsigned char *p = abuf + 12, *end = abuf + alen;

	if (alen < 12)
		return 0;
	unsigned qd = (unsigned)abuf[4] << 8 | abuf[5], an = (unsigned)abuf[6] << 8 | abuf[7];
	for (unsigned i = 0; i < qd + an; i++) {
		char *name;
		long len;
		if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS)
			return 0;
		ares_free_string(name);
		p += len;
		if (end - p < (i < qd ? 4 : 10))
			return 0;
		if (i < qd) {
			p += 4;
			continue;
		}
		uint32_t t = mx_be32(p + 4);
		ttl = t < ttl ? t : ttl;
		p += 10 + ((size_t)p[8] << 8 | p[9]);
		if (p > end)
			return 0;
	}
	return ttl;
}

static void mx_ttl(struct mx_job *job, uint32_t ttl)
{
	if (ttl < job->ttl_s)
		job->ttl_s = ttl;
}

static void mx_on_mx(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct mx_query *q = arg;
	struct mx_job *job = q->job;
	struct ares_mx_reply *mx = NULL;

	if (status == ARES_SUCCESS)
		status = ares_parse_mx_reply(abuf, alen, &mx);
	if (status == ARES_SUCCESS && mx == NULL)
		status = ARES_ENODATA; /* only a CNAME answered: no MX at its end */
	if (status == ARES_SUCCESS) {
		mx_take_mx(job, mx);
		mx_ttl(job, mx_answer_ttl(abuf, alen));
	}
	ares_free_data(mx);
	job->mx_status = status;
	job->pending--;
	free(q);
}

static void mx_addr_set(struct mx_addr *a, int family, const void *in)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET)
		memcpy(&a->in.v4, in, sizeof(a->in.v4));
	else
		memcpy(&a->in.v6, in, sizeof(a->in.v6));
	inet_ntop(family, in, a->text, sizeof(a->text));
}

/* Parses an A or AAAA answer (c-ares follows a CNAME chain to the addresses). */
static int mx_parse_addrs(struct mx_job *job, struct mx_host *h, int family,
			  const unsigned char *abuf, int alen)
{
	int n = MX_RESOLVE_MAX_ADDRS, rc;

	if (family == AF_INET) {
		struct ares_addrttl ttls[MX_RESOLVE_MAX_ADDRS];
		rc = ares_parse_a_reply(abuf, alen, NULL, ttls, &n);
		for (int i = 0; rc == ARES_SUCCESS && i < n; i++) {
			mx_addr_set(&h->v4[h->n4++], AF_INET, &ttls[i].ipaddr);
			mx_ttl(job, ttls[i].ttl > 0 ? (uint32_t)ttls[i].ttl : 0);
		}
	} else {
		struct ares_addr6ttl ttls[MX_RESOLVE_MAX_ADDRS];
		rc = ares_parse_aaaa_reply(abuf, alen, NULL, ttls, &n);
		for (int i = 0; rc == ARES_SUCCESS && i < n; i++) {
			mx_addr_set(&h->v6[h->n6++], AF_INET6, &ttls[i].ip6addr);
			mx_ttl(job, ttls[i].ttl > 0 ? (uint32_t)ttls[i].ttl : 0);
		}
	}
	if (rc == ARES_SUCCESS && n == 0)
		rc = ARES_ENODATA;
	return rc;
}

static void mx_on_addr(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct mx_query *q = arg;

	if (status == ARES_SUCCESS)
		status = mx_parse_addrs(q->job, q->host, q->family, abuf, alen);
	if (q->family == AF_INET)
		q->host->status4 = status;
	else
		q->host->status6 = status;
	q->job->pending--;
	free(q);
}

/* A failure that may go away: anything but "no such name" and "no such record". */
static bool mx_is_temporary(int status)
{
	return status != ARES_SUCCESS && status != ARES_ENODATA && status != ARES_ENOTFOUND;
}

static int mx_host_cmp(const void *a, const void *b)
{
	const struct mx_host *x = a, *y = b;

	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Sends A and AAAA for every host, best first, while the budget lasts, and waits. */
static void mx_lookup_hosts(struct mx_job *job)
{
	qsort(job->hosts, job->n_hosts, sizeof(job->hosts[0]), mx_host_cmp);
	for (size_t i = 0; i < job->n_hosts; i++) {
		struct mx_host *h = &job->hosts[i];
		if (job->lookups + 2 > job->r->max_lookups) {
			mx_note(job, "lookup budget (%u) spent: %zu MX host(s) from %s on not looked up",
				job->r->max_lookups, job->n_hosts - i, h->name);
			job->temp_failure = true;
			break;
		}
		mx_send(job, h->name, ns_t_a, h, AF_INET, mx_on_addr);
		mx_send(job, h->name, ns_t_aaaa, h, AF_INET6, mx_on_addr);
	}
	mx_run(job);
}

/* ---- the result ---- */

static bool mx_addr_is_loopback(const struct mx_addr *a)
{
	if (a->family == AF_INET) {
		uint8_t first = ((const uint8_t *)&a->in.v4)[0];
		return first == 127 || first == 0;
	}
	const struct in6_addr *v6 = &a->in.v6;
	if (IN6_IS_ADDR_LOOPBACK(v6) || IN6_IS_ADDR_UNSPECIFIED(v6))
		return true;
	return IN6_IS_ADDR_V4MAPPED(v6) && (v6->s6_addr[12] == 127 || v6->s6_addr[12] == 0);
}

/* True when delivering to the target would reach this server (RFC 5321 5.1). */
static bool mx_target_is_self(const struct mx_resolver *r, const struct mx_target *t)
{
	if (r->self_name != NULL && strcasecmp(r->self_name, t->host) == 0)
		return true;
	for (size_t i = 0; !r->allow_loopback && i < t->n_addrs; i++)
		if (mx_addr_is_loopback(&t->addrs[i]))
			return true;
	return false;
}

/* Moves a looked-up host into the result, its addresses in the configured family order. */
static void mx_take_target(struct mx_result *res, struct mx_host *h, bool ipv6_first)
{
	struct mx_target *t = &res->targets[res->n_targets++];
	const struct mx_addr *first = ipv6_first ? h->v6 : h->v4, *second = ipv6_first ? h->v4 : h->v6;
	size_t n_first = ipv6_first ? h->n6 : h->n4, n_second = ipv6_first ? h->n4 : h->n6;

	t->host = h->name;
	h->name = NULL;
	t->preference = h->preference;
	t->n_addrs = n_first + n_second;
	t->addrs = xcalloc(t->n_addrs, sizeof(t->addrs[0]));
	memcpy(t->addrs, first, n_first * sizeof(*first));
	memcpy(t->addrs + n_first, second, n_second * sizeof(*second));
}

/* Drops the local host and every target as bad or worse (Postfix's rule, RFC 5321 5.1). */
static void mx_cut_loops(const struct mx_resolver *r, struct mx_result *res, struct mx_job *job)
{
	size_t keep = res->n_targets;

	for (size_t i = 0; i < res->n_targets; i++) {
		if (!mx_target_is_self(r, &res->targets[i]))
			continue;
		unsigned cut = res->targets[i].preference;
		mx_note(job, "%s is this host: it and MX hosts at preference %u or worse left out",
			res->targets[i].host, cut);
		for (keep = 0; keep < i && res->targets[keep].preference < cut; keep++)
			;
		break;
	}
	for (size_t i = keep; i < res->n_targets; i++) {
		free(res->targets[i].host);
		free(res->targets[i].addrs);
	}
	res->n_targets = keep;
}

/* Turns the looked-up hosts into the result: those with addresses, then the loop check. */
static enum mx_status mx_finish(struct mx_job *job, struct mx_result *res)
{
	res->targets = xcalloc(job->n_hosts > 0 ? job->n_hosts : 1, sizeof(res->targets[0]));
	for (size_t i = 0; i < job->n_hosts; i++) {
		struct mx_host *h = &job->hosts[i];
		if (mx_is_temporary(h->status4) || mx_is_temporary(h->status6))
			job->temp_failure = true;
		if (h->n4 + h->n6 > 0)
			mx_take_target(res, h, job->r->ipv6_first);
		else if (h->status4 != -1)
			mx_note(job, "%s has no address (%s)", h->name,
				ares_strerror(mx_is_temporary(h->status4) ? h->status4 : h->status6));
	}
	size_t found = res->n_targets;
	mx_cut_loops(job->r, res, job);
	if (res->n_targets > 0) {
		res->status = MX_OK;
		snprintf(res->error, sizeof(res->error), "%s", job->note);
		return MX_OK;
	}
	if (found > 0)
		return mx_fail(res, MX_PERM, "5.4.6", "mail for %s loops back to myself: %s",
			       job->domain, job->note);
	if (job->temp_failure)
		return mx_fail(res, MX_TEMP, "4.4.3", "no address for the mail hosts of %s yet: %s",
			       job->domain, job->note);
	return mx_fail(res, MX_PERM, "5.4.4", "no address for the mail hosts of %s: %s",
		       job->domain, job->note);
}

/* ---- mx_resolve ---- */

/* A host name as DNS takes it: labels of 1–63 letters, digits, '-' or '_', 253 at most. */
static bool mx_domain_ok(const char *d, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)d[i]) || d[i] == '-' || d[i] == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 4.1.3): one target, no DNS. */
static enum mx_status mx_literal(struct mx_job *job, struct mx_result *res)
{
	const char *d = job->domain;
	size_t len = strlen(d);
	char text[INET6_ADDRSTRLEN + 8];
	struct mx_host *h = &job->hosts[0];
	struct in6_addr in;

	if (len < 3 || d[len - 1] != ']' || len - 2 >= sizeof(text))
		return mx_fail(res, MX_PERM, "5.1.2", "bad address literal");
	memcpy(text, d + 1, len - 2);
	text[len - 2] = '\0';
	mx_add_host(job, d, 0);
	if (strncasecmp(text, "IPv6:", 5) == 0 && inet_pton(AF_INET6, text + 5, &in) == 1)
		mx_addr_set(&h->v6[h->n6++], AF_INET6, &in);
	else if (inet_pton(AF_INET, text, &in) == 1)
		mx_addr_set(&h->v4[h->n4++], AF_INET, &in);
	else
		return mx_fail(res, MX_PERM, "5.1.2", "bad address literal");
	h->status4 = h->status6 = ARES_SUCCESS;
	return mx_finish(job, res);
}

/* After the MX query: the hosts to look up, or the final answer (status != MX_OK). */
static enum mx_status mx_classify(struct mx_job *job, struct mx_result *res)
{
	const char *d = job->domain;

	switch (job->mx_status) {
	case ARES_SUCCESS:
		if (job->null_mx)
			return mx_fail(res, MX_PERM, "5.1.10",
				       "%s does not accept mail (null MX, RFC 7505)", d);
		if (job->n_hosts == 0)
			return mx_fail(res, MX_PERM, "5.4.4", "no usable MX host for %s: %s", d,
				       job->note);
		return MX_OK;
	case ARES_ENODATA:
		res->implicit = true; /* RFC 5321 5.1: the domain is its own mail host */
		mx_add_host(job, d, 0);
		return MX_OK;
	case ARES_ENOTFOUND:
		return mx_fail(res, MX_PERM, "5.1.2", "domain %s does not exist (NXDOMAIN)", d);
	default:
		return mx_fail(res, MX_TEMP, "4.4.3", "MX lookup for %s failed: %s", d,
			       ares_strerror(job->mx_status));
	}
}

static void mx_job_deinit(struct mx_job *job)
{
	for (size_t i = 0; i < job->n_hosts; i++)
		free(job->hosts[i].name);
}

static enum mx_status mx_resolve_job(struct mx_job *job, struct mx_result *res)
{
	if (job->domain[0] == '[')
		return mx_literal(job, res);
	if (!mx_domain_ok(job->domain, strlen(job->domain)))
		return mx_fail(res, MX_PERM, "5.1.2", "not a domain name");
	mx_send(job, job->domain, ns_t_mx, NULL, 0, mx_on_mx);
	mx_run(job);
	if (mx_classify(job, res) != MX_OK)
		return res->status;
	mx_lookup_hosts(job);
	return mx_finish(job, res);
}

enum mx_status mx_resolve(struct mx_resolver *resolver, const char *domain, unsigned timeout_ms,
			  struct mx_result *result_r)
{
	struct mx_job *job = xcalloc(1, sizeof(*job));
	size_t len = strlen(domain);
	char *name = xstrndup(domain, len > 1 && domain[len - 1] == '.' ? len - 1 : len);
	enum mx_status status;

	memset(result_r, 0, sizeof(*result_r));
	int64_t now = mx_now_ms();
	if (mx_cache_get(resolver->cache, name, now, result_r)) {
		free(job);
		free(name);
		return MX_OK;
	}
	job->r = resolver;
	job->domain = name;
	job->ttl_s = UINT32_MAX;
	job->deadline_ms = now + (timeout_ms != 0 ? timeout_ms : MX_DEFAULT_TIMEOUT_MS);
	status = mx_resolve_job(job, result_r);
	if (status != MX_OK)
		mx_result_deinit(result_r);
	else if (!result_r->implicit && name[0] != '[')
		mx_cache_put(resolver->cache, name, result_r, job->ttl_s, now);
	result_r->status = status;
	mx_job_deinit(job);
	free(job);
	free(name);
	return status;
}

void mx_result_deinit(struct mx_result *result)
{
	for (size_t i = 0; i < result->n_targets; i++) {
		free(result->targets[i].host);
		free(result->targets[i].addrs);
	}
	free(result->targets);
	result->targets = NULL;
	result->n_targets = 0;
}

socklen_t mx_addr_sockaddr(const struct mx_addr *addr, uint16_t port, struct sockaddr_storage *sa_r)
{
	memset(sa_r, 0, sizeof(*sa_r));
	if (addr->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa_r;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = addr->in.v4;
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa_r;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = addr->in.v6;
	return sizeof(*sin6);
}
