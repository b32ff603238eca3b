/*
 * queue-route.h: where mail for a domain goes — a per-domain route (outbound.routes), else the
 * smart host (outbound.smart_host), else direct MX (queue_route_mx: the DNS resolver plugs in
 * there). Pure: no network, no clock.
 * OWNS: nothing. THREAD: any.
 */
#ifndef QUEUE_ROUTE_H
#define QUEUE_ROUTE_H

#include "pb-settings.h"

#include <stddef.h>
#include <stdint.h>

#define QUEUE_ROUTE_HOST_MAX 256
/* The deferral of a recipient without a route while direct MX delivery is not wired. */
#define QUEUE_NO_MX_REPLY "451 4.4.3 direct MX delivery not configured (set outbound.smart_host or a route)"

/* The next hop for domain: 0 (a per-domain route) or 1 (the smart host) with host_r and
 * *port_r, -1 with error_r (no route, and direct MX delivery not available: the recipient
 * stays queued, deferred). */
int queue_route_for(const struct pb_settings_outbound *o, const char *domain, char *host_r,
		    size_t size, uint16_t *port_r, const char **error_r);
/* Direct MX delivery for domain: where "no route -> MX" plugs in (the resolver of
 * actors/queue/mx-resolve.h). Until it is wired: -1 with QUEUE_NO_MX_REPLY. */
int queue_route_mx(const char *domain, char *host_r, size_t size, uint16_t *port_r,
		   const char **error_r);
/* Splits "host[:port]" (IPv6 in brackets): 0, -1 malformed. */
int queue_route_parse(const char *hp, uint32_t default_port, char *host_r, size_t size,
		      uint16_t *port_r);

#endif
