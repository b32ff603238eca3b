/*
 * pb-cidr.h: lists of IP networks ("127.0.0.0/8 ::1/128, 10.1.2.3"), parsed once into a
 * fixed-size struct and matched against a client's address, e.g. the trusted networks exempt
 * from the per-IP connection limits (settings key limits.trusted_networks).
 *
 * Syntax: items separated by spaces, tabs, newlines or commas (any mix, repeats allowed; an
 * empty text is an empty list). An item is an IPv4 address in dotted-quad form or an IPv6
 * address in any inet_pton form, optionally followed by /PREFIX (decimal, at most 32 for IPv4
 * and 128 for IPv6); a bare address is a /32 or /128. Host bits set under the prefix are
 * REFUSED, not normalized ("10.1.2.3/8" is an error that suggests 10.0.0.0/8): a typo in a
 * list that grants trust should be seen, not guessed at. An IPv4-mapped IPv6 item
 * (::ffff:a.b.c.d/P with P >= 96) is stored as the IPv4 network a.b.c.d/(P-96).
 *
 * Matching: an IPv4 address matches IPv4 networks only and an IPv6 address IPv6 networks
 * only, except that an IPv4-mapped IPv6 address (::ffff:1.2.3.4) is matched as the IPv4
 * address it carries. So 0.0.0.0/0 is every IPv4 client and ::/0 every IPv6 one.
 *
 * Pure code: no allocation but the error text of a refused list, no clock, no I/O.
 * OWNS: nothing. THREAD: any (a parsed list is read-only).
 */
#ifndef PB_CIDR_H
#define PB_CIDR_H

#include <stdbool.h>
#include <stdint.h>

struct sockaddr;

/* Most networks one list holds; a longer list is refused. */
#define PB_CIDR_MAX_ENTRIES 64

enum pb_cidr_family { PB_CIDR_V4 = 4, PB_CIDR_V6 = 6 };

/* One network: family, prefix length, address in network byte order (IPv4 in the first 4
 * bytes; every bit past the prefix is zero). */
struct pb_cidr {
	uint8_t family; /* enum pb_cidr_family */
	uint8_t prefix;
	uint8_t addr[16];
};

/* A parsed list: trivially copyable (no pointers), so it can live inside a settings
 * snapshot. All zero is the empty list. */
struct pb_cidr_list {
	uint32_t n;
	struct pb_cidr entries[PB_CIDR_MAX_ENTRIES];
};

/* Parses text (see the syntax above) into *list_r. Returns 0, or -1 with *list_r empty and
 * *error_r (allocated, the caller frees it) naming the first bad item, e.g.
 * "'10.0.0.0/33': prefix longer than 32". */
int pb_cidr_list_parse(const char *text, struct pb_cidr_list *list_r, char **error_r);

/* True if the address ip_text (inet_ntop form, IPv4 or IPv6; an IPv4-mapped IPv6 address
 * counts as IPv4) lies in one of l's networks. False for text that is not an address. */
bool pb_cidr_list_match(const struct pb_cidr_list *l, const char *ip_text);

/* The same for a socket address (AF_INET or AF_INET6; any other family: false). */
bool pb_cidr_list_match_sockaddr(const struct pb_cidr_list *l, const struct sockaddr *sa);

/* One network (item syntax above, without separators) into *c_r (IPv4-mapped stored as
 * IPv4). Returns 0, or -1 with *error_r (allocated, the caller frees it). */
int pb_cidr_parse_one(const char *text, struct pb_cidr *c_r, char **error_r);

/* The address ip_text (inet_ntop form) as a host network (/32 or /128; an IPv4-mapped IPv6
 * address becomes the IPv4 address it carries) into *c_r. Returns 0, or -1 if not an
 * address. */
int pb_cidr_from_ip(const char *ip_text, struct pb_cidr *c_r);

/* True if host (from pb_cidr_from_ip) is a loopback address: 127.0.0.0/8 or ::1 (an
 * IPv4-mapped ::ffff:127.x.y.z is IPv4 already). */
bool pb_cidr_is_loopback(const struct pb_cidr *host);

/* True if host (from pb_cidr_from_ip) lies in net. */
bool pb_cidr_contains(const struct pb_cidr *net, const struct pb_cidr *host);

/* The canonical text of c into buf (PB_CIDR_TEXT_MAX bytes): "10.0.0.0/8", "2001:db8::/32";
 * a host network is the bare address ("192.0.2.1", "::1"). */
#define PB_CIDR_TEXT_MAX 52
void pb_cidr_format(const struct pb_cidr *c, char buf[PB_CIDR_TEXT_MAX]);

#endif
