/*
 * pb-cidr.c: lists of IP networks (see pb-cidr.h): parsing with inet_pton, matching by
 * prefix bits. OWNS: nothing. THREAD: any.
 */
#include "pb-cidr.h"

#include "pb-alloc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Longest item worth trying: an IPv6 address in its longest text form and "/128". */
#define ITEM_MAX (INET6_ADDRSTRLEN + 4)
/* Longest part of a bad item quoted in an error. */
#define QUOTE_MAX 64

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static bool is_separator(char c)
{
	return c == ' ' || c == ',' || c == '\t' || c == '\n' || c == '\r';
}

/* "'item': why" with a long item cut short; why is printf-like. */
static char *item_error(const char *item, size_t len, const char *fmt, ...) PB_PRINTF(3, 4);
static char *item_error(const char *item, size_t len, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return xasprintf("'%.*s%s': %s", (int)(len > QUOTE_MAX ? QUOTE_MAX : len), item,
			 len > QUOTE_MAX ? "..." : "", why);
}

/* True if every bit of addr past the first prefix bits (of nbytes) is zero. */
static bool host_bits_clear(const uint8_t *addr, unsigned prefix, size_t nbytes)
{
	for (size_t i = prefix / 8; i < nbytes; i++) {
		unsigned keep = i == prefix / 8 ? prefix % 8 : 0;
		if ((addr[i] & (0xffu >> keep)) != 0)
			return false;
	}
	return true;
}

/* The prefix length text after '/': 0 to max, decimal. -1 if not a number. */
static int parse_prefix(const char *p, unsigned max, unsigned *prefix_r)
{
	size_t n = strlen(p);
	unsigned v = 0;

	if (n == 0 || n > 3 || strspn(p, "0123456789") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(p[i] - '0');
	*prefix_r = v;
	return v <= max ? 0 : 1;
}

/* An IPv4-mapped IPv6 network of at least /96 becomes the IPv4 network it maps. */
static void unmap(struct pb_cidr *c)
{
	if (c->family != PB_CIDR_V6 || c->prefix < 96 ||
	    memcmp(c->addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)) != 0)
		return;
	memmove(c->addr, c->addr + 12, 4);
	memset(c->addr + 4, 0, 12);
	c->family = PB_CIDR_V4;
	c->prefix -= 96;
}

/* Parses one item (not NUL-terminated, len > 0) into *c_r. 0, or -1 with *error_r. */
static int parse_item(const char *item, size_t len, struct pb_cidr *c_r, char **error_r)
{
	char text[ITEM_MAX + 1], *slash;
	unsigned prefix, bits;

	if (len > ITEM_MAX) {
		*error_r = item_error(item, len, "not an IPv4 or IPv6 address");
		return -1;
	}
	memcpy(text, item, len);
	text[len] = '\0';
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	memset(c_r, 0, sizeof(*c_r));
	if (inet_pton(AF_INET, text, c_r->addr) == 1) {
		c_r->family = PB_CIDR_V4;
		bits = 32;
	} else if (inet_pton(AF_INET6, text, c_r->addr) == 1) {
		c_r->family = PB_CIDR_V6;
		bits = 128;
	} else {
		*error_r = item_error(item, len, "not an IPv4 or IPv6 address");
		return -1;
	}
	prefix = bits;
	int rc = slash != NULL ? parse_prefix(slash + 1, bits, &prefix) : 0;
	if (rc != 0) {
		*error_r = rc < 0 ? item_error(item, len, "prefix length is not a number from 0 to %u", bits)
				  : item_error(item, len, "prefix longer than %u", bits);
		return -1;
	}
	c_r->prefix = (uint8_t)prefix;
	return 0;
}

/* Refuses host bits under the prefix, naming the network that was probably meant. */
static int check_host_bits(const char *item, size_t len, const struct pb_cidr *c,
			   char **error_r)
{
	size_t nbytes = c->family == PB_CIDR_V4 ? 4 : 16;
	uint8_t net[16];
	char text[INET6_ADDRSTRLEN];

	if (host_bits_clear(c->addr, c->prefix, nbytes))
		return 0;
	memcpy(net, c->addr, sizeof(net));
	for (size_t i = c->prefix / 8; i < nbytes; i++)
		net[i] &= i == c->prefix / 8 ? (uint8_t)(0xff00u >> (c->prefix % 8)) : 0;
	inet_ntop(c->family == PB_CIDR_V4 ? AF_INET : AF_INET6, net, text, sizeof(text));
	*error_r = item_error(item, len, "host bits set under the prefix (the network is %s/%u)",
			      text, c->prefix);
	return -1;
}

int pb_cidr_list_parse(const char *text, struct pb_cidr_list *list_r, char **error_r)
{
	const char *p = text;

	memset(list_r, 0, sizeof(*list_r));
	for (;;) {
		while (is_separator(*p))
			p++;
		if (*p == '\0')
			return 0;
		size_t len = 0;
		while (p[len] != '\0' && !is_separator(p[len]))
			len++;
		struct pb_cidr c;
		if (parse_item(p, len, &c, error_r) < 0 || check_host_bits(p, len, &c, error_r) < 0)
			break;
		if (list_r->n == PB_CIDR_MAX_ENTRIES) {
			*error_r = item_error(p, len, "more than the %d networks a list may hold",
					      PB_CIDR_MAX_ENTRIES);
			break;
		}
		unmap(&c);
		list_r->entries[list_r->n++] = c;
		p += len;
	}
	memset(list_r, 0, sizeof(*list_r));
	return -1;
}

/* True if the first prefix bits of a and b are equal. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* addr: 4 bytes for PB_CIDR_V4, 16 for PB_CIDR_V6 (an IPv4-mapped one matched as IPv4). */
static bool match_addr(const struct pb_cidr_list *l, enum pb_cidr_family family,
		       const uint8_t *addr)
{
	if (family == PB_CIDR_V6 && memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
		family = PB_CIDR_V4;
		addr += 12;
	}
	for (uint32_t i = 0; i < l->n && i < PB_CIDR_MAX_ENTRIES; i++) {
		const struct pb_cidr *c = &l->entries[i];
		if (c->family == family && prefix_equal(c->addr, addr, c->prefix))
			return true;
	}
	return false;
}

bool pb_cidr_list_match(const struct pb_cidr_list *l, const char *ip_text)
{
	uint8_t addr[16];

	if (inet_pton(AF_INET, ip_text, addr) == 1)
		return match_addr(l, PB_CIDR_V4, addr);
	if (inet_pton(AF_INET6, ip_text, addr) == 1)
		return match_addr(l, PB_CIDR_V6, addr);
	return false;
}

bool pb_cidr_list_match_sockaddr(const struct pb_cidr_list *l, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		return match_addr(l, PB_CIDR_V4, (const uint8_t *)&s4->sin_addr);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		return match_addr(l, PB_CIDR_V6, s6->sin6_addr.s6_addr);
	}
	return false;
}

int pb_cidr_parse_one(const char *text, struct pb_cidr *c_r, char **error_r)
{
	size_t len = strlen(text);

	if (len == 0 || strpbrk(text, " \t\r\n,") != NULL) {
		*error_r = item_error(text, len, "not one IPv4 or IPv6 address or network");
		return -1;
	}
	if (parse_item(text, len, c_r, error_r) < 0 || check_host_bits(text, len, c_r, error_r) < 0)
		return -1;
	unmap(c_r);
	return 0;
}

int pb_cidr_from_ip(const char *ip_text, struct pb_cidr *c_r)
{
	memset(c_r, 0, sizeof(*c_r));
	if (inet_pton(AF_INET, ip_text, c_r->addr) == 1) {
		c_r->family = PB_CIDR_V4;
		c_r->prefix = 32;
	} else if (inet_pton(AF_INET6, ip_text, c_r->addr) == 1) {
		c_r->family = PB_CIDR_V6;
		c_r->prefix = 128;
	} else {
		return -1;
	}
	unmap(c_r);
	return 0;
}

bool pb_cidr_contains(const struct pb_cidr *net, const struct pb_cidr *host)
{
	return net->family == host->family && net->prefix <= host->prefix &&
	       prefix_equal(net->addr, host->addr, net->prefix);
}

void pb_cidr_format(const struct pb_cidr *c, char buf[PB_CIDR_TEXT_MAX])
{
	char addr[INET6_ADDRSTRLEN];
	unsigned full = c->family == PB_CIDR_V4 ? 32 : 128;

	inet_ntop(c->family == PB_CIDR_V4 ? AF_INET : AF_INET6, c->addr, addr, sizeof(addr));
	if (c->prefix == full)
		snprintf(buf, PB_CIDR_TEXT_MAX, "%s", addr);
	else
		snprintf(buf, PB_CIDR_TEXT_MAX, "%s/%u", addr, c->prefix);
}

bool pb_cidr_is_loopback(const struct pb_cidr *host)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (host->family == PB_CIDR_V4)
		return host->addr[0] == 127;
	return memcmp(host->addr, v6_loopback, 16) == 0;
}
