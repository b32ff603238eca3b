/*
 * directory-rules.c: username, password and domain syntax; bulk CSV lines. OWNS nothing.
 * THREAD: any.
 */
#include "directory-rules.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int directory_check_user(const char *name, const char **error_r)
{
	size_t len = strlen(name);

	if (len == 0) {
		*error_r = "the username is empty";
		return -1;
	}
	if (len > DIRECTORY_USER_MAX) {
		*error_r = "the username is longer than 32 characters";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!(isascii(c) && isalnum(c)) && c != '.' && c != '_' && c != '-') {
			*error_r = "a username may hold only letters, digits, '.', '_' and '-'";
			return -1;
		}
	}
	return 0;
}

int directory_check_password(const char *password, unsigned min_len, const char **error_r)
{
	size_t len = strlen(password);
	static char too_short[64];

	if (len < min_len) {
		/* one static text per process is fine: min_len only changes by setting */
		snprintf(too_short, sizeof(too_short), "the password is shorter than %u characters",
			 min_len);
		*error_r = too_short;
		return -1;
	}
	if (len > DIRECTORY_PASSWORD_MAX) {
		*error_r = "the password is longer than 128 characters";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)password[i];
		if (c < 0x20 || c == 0x7f) {
			*error_r = "a password may not contain control characters";
			return -1;
		}
	}
	return 0;
}

int directory_check_domain(const char *domain, const char **error_r)
{
	size_t len = strlen(domain), label = 0;

	if (len == 0 || len > DIRECTORY_DOMAIN_MAX) {
		*error_r = "a domain name is 1 to 253 characters";
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)domain[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || domain[i - 1] == '-') {
				*error_r = "a domain name is dot-separated labels of 1 to 63 characters";
				return -1;
			}
			label = 0;
			continue;
		}
		if (!(isascii(c) && isalnum(c)) && !(c == '-' && label > 0)) {
			*error_r = "a domain label holds letters, digits and inner '-'";
			return -1;
		}
		label++;
	}
	return 0;
}

void directory_lower(const char *s, char *out, size_t size)
{
	size_t i = 0;
	for (; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

int directory_split_login(const char *login, char *local, size_t size, const char **domain_r)
{
	const char *at = strrchr(login, '@');
	size_t len = at != NULL ? (size_t)(at - login) : strlen(login);

	if (len >= size)
		return -1;
	memcpy(local, login, len);
	local[len] = '\0';
	*domain_r = at != NULL ? at + 1 : NULL;
	return 0;
}

int directory_domain_removable(const char *domain, uint64_t domains, uint64_t users, bool force,
			       char *why, size_t size)
{
	if (domains <= 1) {
		snprintf(why, size, "%s is the only local domain; add another first", domain);
		return -1;
	}
	if (users > 0 && !force) {
		snprintf(why, size,
			 "%llu user%s an address at %s (name@%s): mail to %s there would be "
			 "refused; use force to delete the domain anyway",
			 (unsigned long long)users, users == 1 ? " has" : "s have", domain, domain,
			 users == 1 ? "it" : "them");
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* One field of a CSV line at *p (RFC 4180: "quoted", with "" for a quote; unquoted fields are
 * trimmed). Unquotes in place: the field's text ends up at the returned pointer, NUL-ended;
 * *p moves past the field and its comma (*more_r tells whether a comma followed). NULL + reason. */
static char *csv_field(char **p, bool *more_r, const char **error_r)
{
	char *r = *p, *start;

	while (*r == ' ' || *r == '\t')
		r++;
	if (*r != '"') {
		start = r;
		while (*r != ',' && *r != '\0' && *r != '"')
			r++;
		if (*r == '"') {
			*error_r = "a quote inside an unquoted field (quote the whole field)";
			return NULL;
		}
		*more_r = *r == ',';
		*r = '\0';
		*p = *more_r ? r + 1 : r;
		return trim(start);
	}
	char *w = start = ++r;
	for (;; r++) {
		if (*r == '\0') {
			*error_r = "a quoted field without its closing quote";
			return NULL;
		}
		if (*r == '"' && r[1] != '"')
			break;
		*w++ = *r;
		if (*r == '"')
			r++; /* "" is one quote */
	}
	for (r++; *r == ' ' || *r == '\t'; r++)
		;
	if (*r != ',' && *r != '\0') {
		*error_r = "text after a quoted field";
		return NULL;
	}
	*more_r = *r == ',';
	*p = *more_r ? r + 1 : r;
	*w = '\0';
	return start;
}

int directory_parse_csv_line(char *line, char **user_r, char **password_r, char **welcome_r,
			     const char **error_r)
{
	char *s = trim(line);
	bool more = false;

	if (*s == '\0' || *s == '#')
		return 0;
	char *user = csv_field(&s, &more, error_r);
	if (user == NULL)
		return -1;
	if (!more) {
		*error_r = "expected 'user,password'";
		return -1;
	}
	char *password = csv_field(&s, &more, error_r);
	if (password == NULL)
		return -1;
	char *welcome = NULL;
	if (more && (welcome = csv_field(&s, &more, error_r)) == NULL)
		return -1;
	if (more) {
		*error_r = "expected 'user,password[,welcome]' (quote a password with a comma)";
		return -1;
	}
	*user_r = user;
	*password_r = password;
	*welcome_r = welcome;
	return 1;
}

int directory_csv_welcome(const char *text, enum directory_welcome *welcome_r,
			  const char **error_r)
{
	static const char *const yes[] = { "yes", "y", "true", "1" };
	static const char *const no[] = { "no", "n", "false", "0" };

	*welcome_r = DIRECTORY_WELCOME_DEFAULT;
	if (text == NULL || text[0] == '\0' || strcasecmp(text, "default") == 0)
		return 0;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return *welcome_r = DIRECTORY_WELCOME_YES, 0;
		if (strcasecmp(text, no[i]) == 0)
			return *welcome_r = DIRECTORY_WELCOME_NO, 0;
	}
	*error_r = "the welcome column wants yes, no or nothing (the server's setting)";
	return -1;
}

bool directory_csv_is_header(const char *user, const char *password)
{
	return (strcasecmp(user, "user") == 0 || strcasecmp(user, "username") == 0 ||
		strcasecmp(user, "login") == 0) &&
	       (strcasecmp(password, "password") == 0 || strcasecmp(password, "passwd") == 0 ||
		strcasecmp(password, "pass") == 0);
}
