/*
 * directory-rules.c: username, password and domain syntax; bulk CSV lines. OWNS nothing.
 * THREAD: any.
 */
#include "directory-rules.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

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
		if (c == ' ' || c < 0x20 || c == 0x7f) {
			*error_r = "a password may not contain spaces or control characters";
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

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int directory_parse_csv_line(char *line, char **user_r, char **password_r, const char **error_r)
{
	char *s = trim(line);

	if (*s == '\0' || *s == '#')
		return 0;
	char *comma = strchr(s, ',');
	if (comma == NULL) {
		*error_r = "expected 'user,password'";
		return -1;
	}
	*comma = '\0';
	*user_r = trim(s);
	*password_r = trim(comma + 1);
	if (strchr(*password_r, ',') != NULL) {
		*error_r = "expected 'user,password' (two fields)";
		return -1;
	}
	return 1;
}
