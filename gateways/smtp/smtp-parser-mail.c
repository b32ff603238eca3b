/*
 * smtp-parser-mail.c: the MAIL and RCPT commands: "FROM:" / "TO:", the path (RFC 5321
 * 4.1.2, with source routes accepted and ignored), and the ESMTP parameters SIZE, BODY,
 * SMTPUTF8, AUTH, RET, ENVID (MAIL) and NOTIFY, ORCPT (RCPT).
 * OWNS nothing (works in place on the parser's line). THREAD: one session.
 */
#include "smtp-parser-private.h"

#include <string.h>
#include <strings.h>

#define PARAM_MAIL 0x1
#define PARAM_RCPT 0x2

/* A known parameter: where it is allowed and the pure check that stores its value. */
struct param_def {
	const char *name;
	unsigned where;
	int (*check)(struct smtp_cmd *cmd, const char *value);
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* xtext (RFC 3461 4): printable ASCII but '+' and '=', or "+" two hex digits. */
static bool xtext_valid(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '+') {
			if (!is_hex(s[1]) || !is_hex(s[2]))
				return false;
			s += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return false;
		}
	}
	return true;
}

static int check_size(struct smtp_cmd *cmd, const char *v)
{
	uint64_t n = 0;

	if (v == NULL || v[0] == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (!is_digit(*v))
			return -1;
		unsigned d = (unsigned)(*v - '0');
		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
	}
	cmd->has_size = true;
	cmd->size = n;
	return 0;
}

static int check_body(struct smtp_cmd *cmd, const char *v)
{
	if (v == NULL)
		return -1;
	if (strcasecmp(v, "7BIT") == 0)
		cmd->body = SMTP_BODY_7BIT;
	else if (strcasecmp(v, "8BITMIME") == 0)
		cmd->body = SMTP_BODY_8BITMIME;
	else if (strcasecmp(v, "BINARYMIME") == 0)
		cmd->body = SMTP_BODY_BINARYMIME;
	else
		return -1;
	return 0;
}

static int check_smtputf8(struct smtp_cmd *cmd, const char *v)
{
	if (v != NULL)
		return -1;
	cmd->smtputf8 = true;
	return 0;
}

static int check_auth(struct smtp_cmd *cmd, const char *v)
{
	if (v == NULL || !xtext_valid(v))
		return -1;
	cmd->auth = v;
	return 0;
}

static int check_ret(struct smtp_cmd *cmd, const char *v)
{
	if (v == NULL)
		return -1;
	if (strcasecmp(v, "FULL") == 0)
		cmd->ret = SMTP_RET_FULL;
	else if (strcasecmp(v, "HDRS") == 0)
		cmd->ret = SMTP_RET_HDRS;
	else
		return -1;
	return 0;
}

static int check_envid(struct smtp_cmd *cmd, const char *v)
{
	if (v == NULL || strlen(v) > SMTP_ENVID_MAX || !xtext_valid(v))
		return -1;
	cmd->envid = v;
	return 0;
}

/* NOTIFY=NEVER or a comma list of SUCCESS, FAILURE, DELAY (RFC 3461 4.1). */
static int check_notify(struct smtp_cmd *cmd, const char *v)
{
	unsigned flags = 0;

	if (v == NULL)
		return -1;
	while (*v != '\0') {
		size_t n = strcspn(v, ",");
		unsigned f = n == 5 && strncasecmp(v, "NEVER", 5) == 0	  ? SMTP_NOTIFY_NEVER
			     : n == 7 && strncasecmp(v, "SUCCESS", 7) == 0 ? SMTP_NOTIFY_SUCCESS
			     : n == 7 && strncasecmp(v, "FAILURE", 7) == 0 ? SMTP_NOTIFY_FAILURE
			     : n == 5 && strncasecmp(v, "DELAY", 5) == 0   ? SMTP_NOTIFY_DELAY
									   : 0;
		if (f == 0 || (flags & f) != 0)
			return -1;
		flags |= f;
		v += n;
		if (*v == ',' && *++v == '\0')
			return -1;
	}
	if (flags == 0 || ((flags & SMTP_NOTIFY_NEVER) != 0 && flags != SMTP_NOTIFY_NEVER))
		return -1;
	cmd->notify = flags;
	return 0;
}

/* ORCPT=addr-type ";" xtext (RFC 3461 4.2); for addr-type "utf-8" (RFC 6533) the value may
 * hold UTF-8 (the line was checked to be valid UTF-8). */
static int check_orcpt(struct smtp_cmd *cmd, const char *v)
{
	if (v == NULL || strlen(v) > SMTP_ORCPT_MAX)
		return -1;
	size_t n = 0;
	while (is_alnum(v[n]) || v[n] == '-')
		n++;
	if (n == 0 || v[n] != ';' || v[n + 1] == '\0')
		return -1;
	bool utf8 = n == 5 && strncasecmp(v, "utf-8", 5) == 0;
	if (!utf8 && !xtext_valid(v + n + 1))
		return -1;
	cmd->orcpt = v;
	return 0;
}

static const struct param_def param_table[] = {
	{"SIZE", PARAM_MAIL, check_size},	  {"BODY", PARAM_MAIL, check_body},
	{"SMTPUTF8", PARAM_MAIL, check_smtputf8}, {"AUTH", PARAM_MAIL, check_auth},
	{"RET", PARAM_MAIL, check_ret},	  {"ENVID", PARAM_MAIL, check_envid},
	{"NOTIFY", PARAM_RCPT, check_notify},	  {"ORCPT", PARAM_RCPT, check_orcpt},
};

/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); esmtp-value = 1*(%d33-60 /
 * %d62-126 / UTF-8); the line's UTF-8 was already checked. */
static bool param_syntax_ok(const char *key, const char *value)
{
	if (!is_alnum(key[0]))
		return false;
	for (const char *c = key; *c != '\0'; c++) {
		if (!is_alnum(*c) && *c != '-')
			return false;
	}
	if (value == NULL)
		return true;
	if (value[0] == '\0')
		return false;
	for (const unsigned char *c = (const unsigned char *)value; *c != '\0'; c++) {
		if (*c < 33 || *c == '=' || *c == 127)
			return false;
	}
	return true;
}

/* One "KEY[=VALUE]" word. seen holds a bit per table row already given. */
static int parse_param(struct smtp_parser *p, char *word, unsigned where, unsigned *seen,
		       struct smtp_cmd *cmd)
{
	char *value = strchr(word, '=');

	if (value != NULL)
		*value++ = '\0';
	if (!param_syntax_ok(word, value))
		return smtp_parser_fail(p, cmd, SMTP_PARSE_BAD_PARAM, 501, "5.5.4",
					"Bad parameter syntax: %.64s", word);
	for (size_t i = 0; i < PB_N_ELEMENTS(param_table); i++) {
		const struct param_def *d = &param_table[i];
		if ((d->where & where) == 0 || strcasecmp(word, d->name) != 0)
			continue;
		if ((*seen & (1u << i)) != 0)
			return smtp_parser_fail(p, cmd, SMTP_PARSE_BAD_PARAM, 501, "5.5.4",
						"Duplicate %s parameter", d->name);
		*seen |= 1u << i;
		if (d->check(cmd, value) < 0)
			return smtp_parser_fail(p, cmd, SMTP_PARSE_BAD_PARAM, 501, "5.5.4",
						"Bad %s parameter syntax", d->name);
		return 0;
	}
	return smtp_parser_fail(p, cmd, SMTP_PARSE_UNSUPPORTED_PARAM, 555, "5.5.4",
				"Unsupported option: %.64s", word);
}

static int parse_params(struct smtp_parser *p, char *s, unsigned where, struct smtp_cmd *cmd)
{
	unsigned seen = 0;

	for (;;) {
		while (smtp_is_blank(*s))
			s++;
		if (*s == '\0')
			return 1;
		char *word = s;
		while (*s != '\0' && !smtp_is_blank(*s))
			s++;
		if (*s != '\0')
			*s++ = '\0';
		if (parse_param(p, word, where, &seen, cmd) < 0)
			return -1;
	}
}

/* A-d-l = At-domain *( "," At-domain ), then ":"; s points at the first '@'. Returns the
 * position after the ':' or NULL. The route is checked, then ignored (RFC 5321 C). */
static char *skip_source_route(char *s)
{
	for (;;) {
		if (*s != '@')
			return NULL;
		size_t n = strcspn(++s, ",:>");
		if (!smtp_address_domain_valid(s, n))
			return NULL;
		s += n;
		if (*s == ':')
			return s + 1;
		if (*s != ',')
			return NULL;
		s++;
	}
}

/* The path "<...>" at s: sets *mailbox_r (NUL-terminated in place, "" for "<>") and
 * returns the position after the '>', or NULL on bad syntax. A '>' inside a quoted local
 * part does not end the path. */
static char *split_bracketed(char *s, char **mailbox_r)
{
	char *m = s + 1;
	bool quoted = false;

	if (*m == '@' && (m = skip_source_route(m)) == NULL)
		return NULL;
	char *c = m;
	for (; *c != '\0'; c++) {
		if (quoted && *c == '\\' && c[1] != '\0')
			c++;
		else if (*c == '"')
			quoted = !quoted;
		else if (!quoted && *c == '>')
			break;
	}
	if (*c != '>' || (m != s + 1 && c == m))
		return NULL; /* unterminated, or a route with no mailbox */
	*c = '\0';
	*mailbox_r = m;
	return c + 1;
}

/* "FROM:" / "TO:" then the path and parameters, shared by MAIL and RCPT. */
static int parse_path_cmd(struct smtp_parser *p, const struct smtp_verb_def *def, char *args,
			  struct smtp_cmd *cmd, const char *kw, bool rcpt)
{
	size_t kwlen = strlen(kw);
	char *mailbox, *rest;
	const char *why;

	if (strncasecmp(args, kw, kwlen) != 0)
		return smtp_parser_fail_usage(p, cmd, def);
	char *s = args + kwlen;
	while (smtp_is_blank(*s))
		s++;
	if (*s == '\0')
		return smtp_parser_fail_usage(p, cmd, def);
	if (*s == '<') {
		rest = split_bracketed(s, &mailbox);
	} else {
		cmd->path_bare = true;
		mailbox = s;
		rest = s + strcspn(s, " \t");
	}
	if (rest != NULL && *rest != '\0' && !smtp_is_blank(*rest))
		rest = NULL;
	if (rest != NULL && *rest != '\0')
		*rest++ = '\0';
	size_t mlen = rest != NULL ? strlen(mailbox) : 0;
	if (rest == NULL || (mlen == 0 && rcpt) ||
	    (mlen > 0 && smtp_address_parse(mailbox, mlen, rcpt, &cmd->addr, &why) < 0)) {
		if (rcpt)
			return smtp_parser_fail(p, cmd, SMTP_PARSE_BAD_ADDRESS, 501, "5.1.3",
						"Bad recipient address syntax");
		return smtp_parser_fail(p, cmd, SMTP_PARSE_BAD_ADDRESS, 501, "5.1.7",
					"Bad sender address syntax");
	}
	cmd->path = mailbox;
	cmd->path_utf8 = cmd->addr.utf8;
	return parse_params(p, rest, rcpt ? PARAM_RCPT : PARAM_MAIL, cmd);
}

int smtp_parse_mail(struct smtp_parser *p, const struct smtp_verb_def *def, char *args,
		    struct smtp_cmd *cmd)
{
	return parse_path_cmd(p, def, args, cmd, "FROM:", false);
}

int smtp_parse_rcpt(struct smtp_parser *p, const struct smtp_verb_def *def, char *args,
		    struct smtp_cmd *cmd)
{
	return parse_path_cmd(p, def, args, cmd, "TO:", true);
}
