/*
 * mx-resolve.h: where to deliver mail for a domain, found in the DNS with c-ares — MX records
 * sorted by preference (RFC 5321 5.1), each host with its A and AAAA addresses, the implicit
 * MX when there is none, the null MX of RFC 7505, and the mail-loop check.
 *
 * OWNS: a c-ares channel per resolver (its sockets and pending queries, all finished before
 *       mx_resolve returns), its cache of answers, and each result's targets.
 * THREAD: one resolver per thread (a c-ares channel is not shared); mx_resolve blocks that
 *       thread until the answer or the deadline, so it runs in the queue sender's delivery
 *       threads, never in an nng callback or an actor handler.
 *
 * What is looked up, in order:
 *   - "[192.0.2.1]" or "[IPv6:2001:db8::1]" (an address literal, RFC 5321 4.1.3): no DNS, one
 *     target with that address;
 *   - MX of the domain. NXDOMAIN → permanent (5.1.2). SERVFAIL, REFUSED, a timeout or the
 *     deadline → temporary (4.4.3). A domain that is a CNAME is followed (RFC 5321 5.1: "the
 *     resulting name is processed as if it were the initial name"; the resolver does it);
 *   - a single MX "." with preference 0 → permanent, "does not accept mail" (5.1.10, RFC 7505).
 *     A "." among other MX records is ignored and the others are used;
 *   - no MX (NOERROR, no data) → the implicit MX: the domain itself at preference 0;
 *   - for every MX host: A and AAAA, queried together. An MX host that is a CNAME is followed
 *     and delivered to, as Postfix does (RFC 2181 10.3 says it must not be one; the host name
 *     kept is the MX name). An MX whose exchange is an IP address literal ("MX 10 192.0.2.7.")
 *     is not used (noted in result->error): RFC 1035 3.3.9 and RFC 5321 5.1 make the exchange
 *     a domain name, so we follow the RFCs and do not turn the text into an address;
 *   - hosts with no address are left out of the result. If none is left: temporary when any
 *     lookup failed temporarily (or the budget ran out), else permanent (5.4.4);
 *   - mail loops (RFC 5321 5.1): a target that is the local host — its name equals
 *     mx_resolver_settings.self_name, or one of its addresses is loopback (127/8, ::1) or
 *     unspecified (0.0.0.0, ::) — is dropped with every target of equal or worse preference,
 *     as Postfix does; if that leaves nothing → permanent "mail loops back to myself" (5.4.6).
 *     allow_loopback turns the address check off (tests deliver to 127.0.0.1).
 * Equal preferences are shuffled (RFC 5321 5.1) on every call.
 * An answer from MX records is kept for the smallest TTL of its records (at most an hour) and
 * given again without asking the DNS (mx-cache.h); implicit MX and failures are not kept.
 *
 * Limits: a deadline per mx_resolve (timeout_ms), a budget of DNS queries per mx_resolve
 * (max_lookups: the MX query is one, each host's A and AAAA two; hosts past the budget are
 * not looked up), at most MX_RESOLVE_MAX_TARGETS hosts and MX_RESOLVE_MAX_ADDRS addresses per
 * family per host.
 */
#ifndef MX_RESOLVE_H
#define MX_RESOLVE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define MX_RESOLVE_MAX_TARGETS 32
#define MX_RESOLVE_MAX_ADDRS 8

struct mx_resolver;

struct mx_resolver_settings {
	/* "ip[:port]" entries separated by commas or spaces ("[2001:db8::1]:53" for IPv6 with a
	   port); NULL or "" = the system's servers from /etc/resolv.conf. Copied. */
	const char *servers;
	/* Budget of DNS queries per mx_resolve; 0 = 21 (the MX query, then 10 hosts). */
	unsigned max_lookups;
	/* true: AAAA addresses before A ones in each target; false (the default): IPv4 first. */
	bool ipv6_first;
	/* true: loopback and unspecified addresses are ordinary targets (tests); false: a loop. */
	bool allow_loopback;
	/* This server's own host name (HELO name), compared without case to MX names; NULL: none.
	   Copied. */
	const char *self_name;
	/* Answers kept for their TTL (mx-cache.h): at most this many domains; 0 = 256. */
	size_t cache_max;
};

enum mx_status {
	MX_OK = 0,    /* result->targets has at least one target with at least one address */
	MX_TEMP = -1, /* try again later: SERVFAIL, timeout, deadline, budget */
	MX_PERM = -2, /* give up and bounce: NXDOMAIN, null MX, no address, loop, bad domain */
};

struct mx_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} in;
	char text[INET6_ADDRSTRLEN]; /* "192.0.2.1", "2001:db8::1" */
};

struct mx_target {
	char *host;          /* the MX name as the DNS gave it (the domain, for the implicit MX) */
	unsigned preference; /* 0–65535; 0 for the implicit MX and address literals */
	size_t n_addrs;      /* ≥ 1 */
	struct mx_addr *addrs;
};

/*
 * The answer to one mx_resolve. Everything in it is owned by the struct and freed by
 * mx_result_deinit; the caller owns the struct itself (usually on its stack).
 *   status    what to do: deliver (MX_OK), retry later (MX_TEMP) or bounce (MX_PERM);
 *   enhanced  the RFC 3463 status code for a DSN or a log when not MX_OK ("5.1.10" null MX,
 *             "5.1.2" no such domain, "5.4.4" no address, "5.4.6" loop, "4.4.3" DNS
 *             failure); "" when MX_OK;
 *   error     a sentence for the log and the DSN's diagnostic when not MX_OK; when MX_OK, what
 *             was skipped along the way ("" if nothing), e.g. a host without address;
 *   targets   in delivery order: by preference, equal ones shuffled; each host's addresses in
 *             the settings' family order. The sender tries them in order (a dead host stays
 *             listed: only connecting tells). n_targets is 0 unless MX_OK.
 *   implicit  true when no MX existed and the domain itself is the target.
 */
struct mx_result {
	enum mx_status status;
	char enhanced[8];
	char error[256];
	bool implicit;
	size_t n_targets;
	struct mx_target *targets;
};

/* Creates a resolver with its c-ares channel. Returns 0, or -1 with *error_r (static text)
   when c-ares cannot start or settings->servers is not a list of addresses. */
int mx_resolver_create(const struct mx_resolver_settings *settings, struct mx_resolver **resolver_r,
		       const char **error_r);
/* Destroys the resolver and sets *resolver to NULL; NULL is a no-op. */
void mx_resolver_destroy(struct mx_resolver **resolver);

/*
 * Resolves where mail for domain goes (an ASCII domain, IDNA A-labels as given, a trailing
 * dot allowed; or an address literal in brackets). Blocks up to timeout_ms (0 = 10 000),
 * then gives up with MX_TEMP. Fills *result_r (which need not be initialised) and returns
 * result_r->status; the caller calls mx_result_deinit(result_r) whatever the status.
 */
enum mx_status mx_resolve(struct mx_resolver *resolver, const char *domain, unsigned timeout_ms,
			  struct mx_result *result_r);
/* Frees what the result holds and empties it. */
void mx_result_deinit(struct mx_result *result);

/* Fills *sa_r with the address and port (host order); returns the length for connect(). */
socklen_t mx_addr_sockaddr(const struct mx_addr *addr, uint16_t port, struct sockaddr_storage *sa_r);

#endif
