/*
 * test-log-quote.c: log values (pb_log_quote / PB_LOGQ) — a table of values and their
 * rendering (injection attempts, UTF-8, control octets, malformed UTF-8), truncation that never
 * cuts an escape, and whole log lines written through pb_log_security that parse back into
 * exactly the fields their format wrote, with the values intact.
 */
#include "pb-log.h"
#include "pb-test.h"

#include <stdlib.h>
#include <unistd.h>

static const struct {
	const char *in, *out;
} quote_cases[] = {
	{ "alice", "alice" },
	{ "alice@example.org", "alice@example.org" },
	{ "", "\"\"" },
	{ NULL, "\"\"" },
	{ "evil event=login user=admin", "\"evil event=login user=admin\"" },
	{ "a=b", "\"a=b\"" },
	{ "${jndi:ldap://x} a", "\"${jndi:ldap://x} a\"" },
	{ "${jndi:ldap://x}", "${jndi:ldap://x}" }, /* one word: nothing to inject */
	{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
	{ "back\\slash", "\"back\\\\slash\"" },
	{ "x\r\nevent=forged", "\"x\\r\\nevent=forged\"" },
	{ "tab\there", "\"tab\\there\"" },
	{ "\x1b[31mred", "\"\\x1b[31mred\"" },
	{ "del\x7f", "\"del\\x7f\"" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },                 /* UTF-8 passes through */
	{ "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "\xf0\x9f\x93\xab box", "\"\xf0\x9f\x93\xab box\"" },
	{ "bad\xff", "\"bad\\xff\"" },                    /* malformed UTF-8 */
	{ "\xc0\xaf", "\"\\xc0\\xaf\"" },                 /* overlong '/' */
	{ "\xed\xa0\x80", "\"\\xed\\xa0\\x80\"" },        /* a surrogate */
	{ "cut\xc3", "\"cut\\xc3\"" },                    /* a sequence cut short */
	{ "nel\xc2\x85", "\"nel\\xc2\\x85\"" },           /* C1 control NEL */
};

static void test_quote_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(quote_cases); i++)
		CHECK_STR(PB_LOGQ(quote_cases[i].in), quote_cases[i].out);
}

static void test_truncation_keeps_escapes_whole(void)
{
	char buf[16], big[2000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *q = PB_LOGQ(big);
	CHECK_INT(strlen(q), PB_LOGQ_MAX - 1);
	CHECK(strncmp(q, "\"aaaa", 5) == 0);
	CHECK(strcmp(q + strlen(q) - 4, "...\"") == 0);

	CHECK_STR(pb_log_quote(buf, sizeof(buf), "\n\n\n\n\n\n\n\n"), "\"\\n\\n\\n\\n\\n...\"");
	CHECK_STR(pb_log_quote(buf, sizeof(buf), "\x01\x02\x03\x04"), "\"\\x01\\x02...\"");
	CHECK_STR(pb_log_quote(buf, sizeof(buf), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 "),
		  "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...\"");
	/* exactly filling the buffer is not truncation */
	CHECK_STR(pb_log_quote(buf, sizeof(buf), "12345678901 3"), "\"12345678901 3\"");
	CHECK_STR(pb_log_quote(buf, sizeof(buf), "123456789012345"), "123456789012345");
	CHECK_STR(pb_log_quote(buf, sizeof(buf), "1234567890123456"), "\"1234567890...\"");
}

/* Reads one value at *p (plain or quoted, undoing the escapes) into out; advances *p. */
static void parse_value(const char **p, char *out)
{
	const char *s = *p;
	if (*s != '"') {
		while (*s != ' ' && *s != '\n' && *s != '\0')
			*out++ = *s++;
	} else {
		for (s++; *s != '"' && *s != '\0'; s++) {
			if (*s != '\\') {
				*out++ = *s;
				continue;
			}
			s++;
			if (*s == 'x') {
				*out++ = (char)strtol((char[3]){ s[1], s[2], 0 }, NULL, 16);
				s += 2;
			} else {
				*out++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
			}
		}
		s++;
	}
	*out = '\0';
	*p = s;
}

/* A line written with "event=login user=%s reason=%s" parses into exactly those three fields. */
static void test_log_line_parses_back(void)
{
	static const char *const nasty[] = {
		"evil event=login user=admin", "${jndi:ldap://x} a", "x\r\nfake=1", "\"", "\\\" a=b",
		"", "caf\xc3\xa9 \x01", "plain",
	};
	char path[] = "/tmp/pb-log-quote-XXXXXX", line[8192], key[64], value[4096];
	const char *error;
	int fd = mkstemp(path);

	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(pb_log_open(NULL, path, PB_LOG_INFO, &error) == 0);
	for (size_t i = 0; i < PB_N_ELEMENTS(nasty); i++)
		pb_log_security("test", "event=login user=%s reason=%s", PB_LOGQ(nasty[i]),
				PB_LOGQ(nasty[PB_N_ELEMENTS(nasty) - 1 - i]));
	pb_log_close();
	FILE *f = fopen(path, "r");
	REQUIRE(f != NULL);
	for (size_t i = 0; i < PB_N_ELEMENTS(nasty) && fgets(line, sizeof(line), f) != NULL; i++) {
		const char *p = strstr(line, "module=test ");
		REQUIRE(p != NULL);
		p += strlen("module=test ");
		const char *want[][2] = { { "event", "login" }, { "user", nasty[i] },
					  { "reason", nasty[PB_N_ELEMENTS(nasty) - 1 - i] } };
		for (size_t k = 0; k < 3; k++) {
			size_t klen = strcspn(p, "=");
			snprintf(key, sizeof(key), "%.*s", (int)klen, p);
			p += klen + 1;
			parse_value(&p, value);
			CHECK_STR(key, want[k][0]);
			CHECK_STR(value, want[k][1]);
			p += *p == ' ';
		}
		CHECK_STR(p, "\n"); /* no field more */
	}
	fclose(f);
	unlink(path);
}

static const struct pb_test_case cases[] = {
	{ "quote_table", test_quote_table },
	{ "truncation_keeps_escapes_whole", test_truncation_keeps_escapes_whole },
	{ "log_line_parses_back", test_log_line_parses_back },
};

PB_TEST_MAIN(cases)
