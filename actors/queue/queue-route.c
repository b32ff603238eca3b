/*
 * queue-route.c: the next hop of a domain (see queue-route.h).
 * OWNS nothing. THREAD: any.
 */
#include "queue-route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int queue_route_parse(const char *hp, uint32_t default_port, char *host_r, size_t size,
		      uint16_t *port_r)
{
	const char *colon = hp[0] == '[' ? strchr(hp, ']') : strrchr(hp, ':');
	size_t hlen = strlen(hp);
	unsigned long port = default_port;

	if (hp[0] == '[') {
		if (colon == NULL)
			return -1;
		colon = colon[1] == ':' ? colon + 1 : NULL;
	}
	if (colon != NULL) {
		char *end;
		hlen = (size_t)(colon - hp);
		port = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || port == 0 || port > 65535)
			return -1;
	}
	if (hp[0] == '[') { /* an IPv6 literal: the address without its brackets */
		hp++;
		hlen = hlen >= 2 ? hlen - 2 : 0;
	}
	if (hlen == 0 || hlen >= size)
		return -1;
	memcpy(host_r, hp, hlen);
	host_r[hlen] = '\0';
	*port_r = (uint16_t)port;
	return 0;
}

/* The route of domain in "d=host[:port] ...": 1 found (copied into hp), 0 none. */
static int find_route(const char *routes, const char *domain, char *hp, size_t size)
{
	size_t dlen = strlen(domain);

	for (const char *p = routes; *p != '\0';) {
		p += strspn(p, " ,");
		size_t len = strcspn(p, " ,");
		const char *eq = memchr(p, '=', len);
		if (eq != NULL && (size_t)(eq - p) == dlen && strncasecmp(p, domain, dlen) == 0 &&
		    (size_t)(p + len - eq - 1) < size) {
			snprintf(hp, size, "%.*s", (int)(p + len - eq - 1), eq + 1);
			return 1;
		}
		p += len;
	}
	return 0;
}

int queue_route_for(const struct pb_settings_outbound *o, const char *domain, char *host_r,
		    size_t size, uint16_t *port_r, const char **error_r)
{
	char hp[QUEUE_ROUTE_HOST_MAX + 8];
	int kind = QUEUE_ROUTE_DOMAIN;

	if (find_route(o->routes, domain, hp, sizeof(hp)) == 0) {
		if (o->smart_host[0] == '\0')
			return queue_route_mx(o, domain, host_r, size, port_r, error_r);
		snprintf(hp, sizeof(hp), "%s", o->smart_host);
		kind = QUEUE_ROUTE_SMART;
	}
	if (queue_route_parse(hp, o->port, host_r, size, port_r) < 0) {
		*error_r = "451 4.3.5 malformed route or smart host (outbound settings)";
		return -1;
	}
	return kind;
}

int queue_route_mx(const struct pb_settings_outbound *o, const char *domain, char *host_r,
		   size_t size, uint16_t *port_r, const char **error_r)
{
	size_t len = strlen(domain);

	if (len == 0 || len >= size) {
		*error_r = "451 4.1.2 no domain to look up the MX of";
		return -1;
	}
	memcpy(host_r, domain, len + 1);
	*port_r = (uint16_t)o->mx_port;
	return QUEUE_ROUTE_MX;
}

bool queue_route_etrn_match(const char *node, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *domain = at != NULL ? at + 1 : "";
	bool subdomains = node[0] == '@';
	size_t nlen = strlen(node + subdomains), dlen = strlen(domain);

	if (nlen == 0 || dlen < nlen || strcasecmp(domain + dlen - nlen, node + subdomains) != 0)
		return false;
	return dlen == nlen || (subdomains && domain[dlen - nlen - 1] == '.');
}
