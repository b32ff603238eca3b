/*
 * test-cidr.c: lists of IP networks — a table of texts to parse (accepted with the networks
 * they hold, refused with the error naming the bad item), and matching at the edges: prefix 0,
 * 32 and 128, bits inside a byte, IPv4-mapped IPv6 addresses and entries, mismatched families,
 * text that is no address, socket addresses.
 */
#include "pb-alloc.h"
#include "pb-cidr.h"
#include "pb-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

struct parse_case {
	const char *text;
	int n;            /* entries expected; -1: refused */
	const char *want; /* accepted: the entries as "family/prefix ..."; refused: the error */
};

static const struct parse_case parse_cases[] = {
	{ "", 0, "" },
	{ " , ,\t\n", 0, "" },
	{ "127.0.0.0/8 ::1/128", 2, "4/8 6/128" },
	{ "127.0.0.0/8 ::1/128, 10.1.2.3", 3, "4/8 6/128 4/32" },
	{ "10.1.2.3,::1,fe80::/10", 3, "4/32 6/128 6/10" },
	{ "0.0.0.0/0 ::/0", 2, "4/0 6/0" },
	{ "10.0.0.0/08", 1, "4/8" },
	{ "::ffff:10.0.0.0/104", 1, "4/8" },   /* mapped: stored as IPv4 */
	{ "::ffff:0:0/96", 1, "4/0" },         /* every IPv4 address */
	{ "2001:db8::/32", 1, "6/32" },
	{ "10.0.0.0/33", -1, "'10.0.0.0/33': prefix longer than 32" },
	{ "::/129", -1, "'::/129': prefix longer than 128" },
	{ "::1/128, 10.0.0.0/999", -1, "'10.0.0.0/999': prefix longer than 32" },
	{ "10.0.0.0/1000", -1, "'10.0.0.0/1000': prefix length is not a number from 0 to 32" },
	{ "10.0.0.0/", -1, "'10.0.0.0/': prefix length is not a number from 0 to 32" },
	{ "10.0.0.0/-1", -1, "'10.0.0.0/-1': prefix length is not a number from 0 to 32" },
	{ "10.0.0.0/8/8", -1, "'10.0.0.0/8/8': prefix length is not a number from 0 to 32" },
	{ "::/x", -1, "'::/x': prefix length is not a number from 0 to 128" },
	{ "10.0.0.256", -1, "'10.0.0.256': not an IPv4 or IPv6 address" },
	{ "10.0.0", -1, "'10.0.0': not an IPv4 or IPv6 address" },
	{ "010.0.0.1", -1, "'010.0.0.1': not an IPv4 or IPv6 address" },
	{ "localhost", -1, "'localhost': not an IPv4 or IPv6 address" },
	{ "fe80::1%eth0", -1, "'fe80::1%eth0': not an IPv4 or IPv6 address" },
	{ "/8", -1, "'/8': not an IPv4 or IPv6 address" },
	{ "127.0.0.1;10.0.0.0/8", -1, "'127.0.0.1;10.0.0.0/8': not an IPv4 or IPv6 address" },
	{ "10.1.2.3/8", -1,
	  "'10.1.2.3/8': host bits set under the prefix (the network is 10.0.0.0/8)" },
	{ "192.168.1.128/25", 1, "4/25" },
	{ "192.168.1.129/24", -1,
	  "'192.168.1.129/24': host bits set under the prefix (the network is 192.168.1.0/24)" },
	{ "2001:db8::1/64", -1,
	  "'2001:db8::1/64': host bits set under the prefix (the network is 2001:db8::/64)" },
	{ "0.0.0.1/0", -1, "'0.0.0.1/0': host bits set under the prefix (the network is 0.0.0.0/0)" },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee:ffff:0000:1111",
	  -1,
	  "'1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd...': "
	  "not an IPv4 or IPv6 address" },
};

/* The entries of l as "family/prefix ...". */
static void describe(const struct pb_cidr_list *l, char *out, size_t size)
{
	size_t off = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < l->n && off < size; i++)
		off += (size_t)snprintf(out + off, size - off, "%s%u/%u", i > 0 ? " " : "",
					l->entries[i].family, l->entries[i].prefix);
}

static void test_parse_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct pb_cidr_list l;
		char *error = NULL, got[256];
		int rc = pb_cidr_list_parse(c->text, &l, &error);

		if (c->n >= 0) {
			CHECK_INT(rc, 0);
			CHECK_INT(l.n, c->n);
			describe(&l, got, sizeof(got));
			CHECK_STR(got, c->want);
		} else {
			CHECK_INT(rc, -1);
			CHECK_INT(l.n, 0);
			CHECK_STR(error, c->want);
		}
		if ((rc == 0) != (c->n >= 0))
			fprintf(stderr, "  case %zu: \"%s\" (%s)\n", i, c->text, error ? error : "ok");
		free(error);
	}
}

static void test_parse_limit(void)
{
	char text[PB_CIDR_MAX_ENTRIES * 16 + 32];
	size_t off = 0;
	struct pb_cidr_list l;
	char *error = NULL;

	for (int i = 0; i < PB_CIDR_MAX_ENTRIES; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "10.0.%d.0/24 ", i);
	CHECK_INT(pb_cidr_list_parse(text, &l, &error), 0);
	CHECK_INT(l.n, PB_CIDR_MAX_ENTRIES);
	CHECK(pb_cidr_list_match(&l, "10.0.63.255"));
	CHECK(!pb_cidr_list_match(&l, "10.0.64.0"));
	snprintf(text + off, sizeof(text) - off, "10.1.0.0/16");
	CHECK_INT(pb_cidr_list_parse(text, &l, &error), -1);
	CHECK_STR(error, "'10.1.0.0/16': more than the 64 networks a list may hold");
	CHECK_INT(l.n, 0);
	free(error);
}

struct match_case {
	const char *list, *ip;
	bool match;
};

static const struct match_case match_cases[] = {
	{ "127.0.0.0/8 ::1/128", "127.0.0.1", true },
	{ "127.0.0.0/8 ::1/128", "127.255.255.255", true },
	{ "127.0.0.0/8 ::1/128", "128.0.0.1", false },
	{ "127.0.0.0/8 ::1/128", "::1", true },
	{ "127.0.0.0/8 ::1/128", "::2", false },
	{ "127.0.0.0/8 ::1/128", "::ffff:127.0.0.1", true }, /* mapped address, IPv4 entry */
	{ "127.0.0.0/8 ::1/128", "::ffff:128.0.0.1", false },
	{ "127.0.0.0/8 ::1/128", "", false },
	{ "127.0.0.0/8 ::1/128", "localhost", false },
	{ "127.0.0.0/8 ::1/128", "127.0.0.1/8", false },
	{ "", "127.0.0.1", false },
	/* prefix 0: every address of its own family only */
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "0.0.0.0", true },
	{ "0.0.0.0/0", "::1", false },
	{ "0.0.0.0/0", "::ffff:8.8.8.8", true },
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "1.2.3.4", false },
	{ "::/0", "::ffff:1.2.3.4", false }, /* a mapped address is IPv4 */
	/* prefix 32 and 128: exactly one address */
	{ "10.1.2.3/32", "10.1.2.3", true },
	{ "10.1.2.3/32", "10.1.2.2", false },
	{ "10.1.2.3/32", "10.1.2.4", false },
	{ "10.1.2.3", "10.1.2.3", true },
	{ "2001:db8::7/128", "2001:db8::7", true },
	{ "2001:db8::7/128", "2001:db8::6", false },
	{ "2001:db8::7", "2001:db8:0:0:0:0:0:7", true },
	/* bits inside a byte */
	{ "192.168.1.128/25", "192.168.1.128", true },
	{ "192.168.1.128/25", "192.168.1.255", true },
	{ "192.168.1.128/25", "192.168.1.127", false },
	{ "10.0.0.0/9", "10.127.255.255", true },
	{ "10.0.0.0/9", "10.128.0.0", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
	{ "fe80::/10", "febf::1", true },
	{ "fe80::/10", "fec0::1", false },
	/* mismatched families: the same bytes in the other family do not match */
	{ "10.0.0.0/8", "a00::", false },
	{ "a00::/8", "10.0.0.1", false },
	/* a mapped entry is an IPv4 network */
	{ "::ffff:10.0.0.0/104", "10.9.9.9", true },
	{ "::ffff:10.0.0.0/104", "::ffff:10.9.9.9", true },
	{ "::ffff:10.0.0.0/104", "11.0.0.1", false },
	{ "::ffff:0:0/96", "203.0.113.9", true },
	{ "::ffff:0:0/96", "2001:db8::1", false },
	/* first match wins, order does not matter */
	{ "2001:db8::/32, 10.0.0.0/8 192.168.0.0/16", "192.168.44.1", true },
};

/* Loopback: 127.0.0.0/8 (also IPv4-mapped) and ::1, nothing else. */
static void test_loopback(void)
{
	static const struct {
		const char *ip;
		bool loopback;
	} rows[] = { { "127.0.0.1", true },	  { "127.255.0.9", true }, { "::1", true },
		     { "::ffff:127.0.0.2", true }, { "128.0.0.1", false }, { "10.127.0.1", false },
		     { "::2", false },		  { "::", false },	    { "fe80::1", false } };
	struct pb_cidr host;

	for (size_t i = 0; i < PB_N_ELEMENTS(rows); i++) {
		REQUIRE(pb_cidr_from_ip(rows[i].ip, &host) == 0);
		CHECK(pb_cidr_is_loopback(&host) == rows[i].loopback);
	}
}

static void test_match_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(match_cases); i++) {
		const struct match_case *c = &match_cases[i];
		struct pb_cidr_list l;
		char *error = NULL;

		REQUIRE(pb_cidr_list_parse(c->list, &l, &error) == 0);
		if (pb_cidr_list_match(&l, c->ip) != c->match) {
			fprintf(stderr, "  case %zu: \"%s\" in \"%s\"\n", i, c->ip, c->list);
			CHECK(!"match");
		}
	}
}

static void test_match_sockaddr(void)
{
	struct pb_cidr_list l;
	char *error = NULL;
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr su = { .sa_family = AF_UNIX };

	REQUIRE(pb_cidr_list_parse("127.0.0.0/8 2001:db8::/32", &l, &error) == 0);
	inet_pton(AF_INET, "127.1.2.3", &s4.sin_addr);
	CHECK(pb_cidr_list_match_sockaddr(&l, (struct sockaddr *)&s4));
	inet_pton(AF_INET, "128.1.2.3", &s4.sin_addr);
	CHECK(!pb_cidr_list_match_sockaddr(&l, (struct sockaddr *)&s4));
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	CHECK(pb_cidr_list_match_sockaddr(&l, (struct sockaddr *)&s6));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
	CHECK(pb_cidr_list_match_sockaddr(&l, (struct sockaddr *)&s6));
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	CHECK(!pb_cidr_list_match_sockaddr(&l, (struct sockaddr *)&s6));
	CHECK(!pb_cidr_list_match_sockaddr(&l, &su));
}

/* One network and host addresses: parsed, formatted canonically, contained or not. */
static void test_one_network(void)
{
	struct pb_cidr net, host;
	char text[PB_CIDR_TEXT_MAX], *error = NULL;

	REQUIRE(pb_cidr_parse_one("::ffff:10.0.0.0/104", &net, &error) == 0);
	pb_cidr_format(&net, text);
	CHECK_STR(text, "10.0.0.0/8");
	REQUIRE(pb_cidr_from_ip("::ffff:10.1.2.3", &host) == 0);
	pb_cidr_format(&host, text);
	CHECK_STR(text, "10.1.2.3");
	CHECK(pb_cidr_contains(&net, &host));
	REQUIRE(pb_cidr_from_ip("2001:DB8:0:0::7", &host) == 0);
	pb_cidr_format(&host, text);
	CHECK_STR(text, "2001:db8::7");
	CHECK(!pb_cidr_contains(&net, &host));
	REQUIRE(pb_cidr_parse_one("2001:db8::/32", &net, &error) == 0);
	CHECK(pb_cidr_contains(&net, &host));
	/* a host network does not contain the wider network it lies in */
	REQUIRE(pb_cidr_parse_one("2001:db8::7", &host, &error) == 0);
	CHECK(!pb_cidr_contains(&host, &net));
	CHECK_INT(pb_cidr_from_ip("10.0.0.0/8", &host), -1);
	CHECK_INT(pb_cidr_parse_one("10.0.0.1 10.0.0.2", &net, &error), -1);
	CHECK(strstr(error, "not one IPv4 or IPv6 address") != NULL);
	free(error);
	CHECK_INT(pb_cidr_parse_one("10.1.0.0/8", &net, &error), -1);
	CHECK(strstr(error, "the network is 10.0.0.0/8") != NULL);
	free(error);
	CHECK_INT(pb_cidr_parse_one("", &net, &error), -1);
	free(error);
}

static const struct pb_test_case cases[] = {
	{ "one_network", test_one_network },
	{ "parse_table", test_parse_table },
	{ "parse_limit", test_parse_limit },
	{ "match_table", test_match_table },
	{ "match_sockaddr", test_match_sockaddr },
	{ "loopback", test_loopback },
};

PB_TEST_MAIN(cases)
