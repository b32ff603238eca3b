/*
 * queue-route.h: where mail for a domain goes — a per-domain route (outbound.routes), else the
 * smart host (outbound.smart_host), else direct MX ("MX of DOMAIN", which a sender thread
 * resolves with mx-resolve.h). Pure: no network, no clock.
 * OWNS: nothing. THREAD: any.
 */
#ifndef QUEUE_ROUTE_H
#define QUEUE_ROUTE_H

#include "pb-settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUEUE_ROUTE_HOST_MAX 256

/* What queue_route_for found: the route is ... */
enum queue_route_kind {
	QUEUE_ROUTE_DOMAIN = 0, /* a per-domain route (outbound.routes) */
	QUEUE_ROUTE_SMART = 1,  /* the smart host (outbound.smart_host) */
	QUEUE_ROUTE_MX = 2,     /* "MX of DOMAIN": host_r is the domain, resolved by the sender */
};

/* The next hop for domain: a queue_route_kind with host_r and *port_r, or -1 with error_r (a
 * malformed route, or a domain that cannot be looked up: the recipient stays deferred). */
int queue_route_for(const struct pb_settings_outbound *o, const char *domain, char *host_r,
		    size_t size, uint16_t *port_r, const char **error_r);
/* Direct MX delivery for domain (no route, no smart host): QUEUE_ROUTE_MX with host_r = the
 * domain and *port_r = outbound.mx_port; the MX lookup itself is the sender thread's
 * (mx-resolve.h, never in a shard). -1 with error_r: no domain, or one too long. */
int queue_route_mx(const struct pb_settings_outbound *o, const char *domain, char *host_r,
		   size_t size, uint16_t *port_r, const char **error_r);
/* Whether ETRN node (RFC 1985) asks for the mail of recipient addr: "domain" matches addr's
 * domain without case, "@domain" that domain and its subdomains. Pure. */
bool queue_route_etrn_match(const char *node, const char *addr);
/* Splits "host[:port]" (IPv6 in brackets): 0, -1 malformed. */
int queue_route_parse(const char *hp, uint32_t default_port, char *host_r, size_t size,
		      uint16_t *port_r);

#endif
