/*
 * directory-rules.h: the pure rules of accounts — username, password and domain syntax, how a
 * login splits into name and domain, when a domain may be removed, and the CSV line format of
 * bulk adds. No store, no clock. THREAD: any.
 */
#ifndef DIRECTORY_RULES_H
#define DIRECTORY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIRECTORY_USER_MAX 32
#define DIRECTORY_PASSWORD_MAX 128
#define DIRECTORY_DOMAIN_MAX 253

/* Checks a username: 1..32 of ASCII letters, digits, '.', '_', '-'. Returns 0, or -1 with a
 * reason for the user (static text). */
int directory_check_user(const char *name, const char **error_r);
/* Checks a password: min_len..128 bytes, no control characters (spaces are allowed, for
 * passphrases). 0 / -1 + reason. */
int directory_check_password(const char *password, unsigned min_len, const char **error_r);
/* Checks a domain name: labels of letters, digits and '-', dot-separated, 1..253 bytes.
 * 0 / -1 + reason. */
int directory_check_domain(const char *domain, const char **error_r);
/* Writes the lowercase form of s (at most size-1 bytes) into out. */
void directory_lower(const char *s, char *out, size_t size);

/* Splits a login, "name" or "name@domain", at its last '@': the name is copied into local
 * (size bytes), *domain_r points into login after the '@' (NULL when there is none). Returns 0,
 * or -1 when the name does not fit (it cannot be an account's). */
int directory_split_login(const char *login, char *local, size_t size, const char **domain_r);

/* Whether local domain `domain` may be removed, given how many local domains there are (it
 * among them) and how many accounts (each has an address at every local domain, name@domain).
 * The last local domain: never (the server would take mail for nobody). One that accounts
 * have addresses at: only with force (mail to those addresses would be refused). Returns 0,
 * or -1 with the reason for the administrator written into why (size bytes). */
int directory_domain_removable(const char *domain, uint64_t domains, uint64_t users, bool force,
			       char *why, size_t size);

/* Whether a new account gets the welcome message (admin guide 4.2 "Send Welcome message to
 * new user"): DEFAULT follows the welcome.enabled setting, YES and NO override it. */
enum directory_welcome {
	DIRECTORY_WELCOME_DEFAULT = 0,
	DIRECTORY_WELCOME_YES = 1,
	DIRECTORY_WELCOME_NO = 2
};

/* Parses one bulk-add CSV line "user,password[,welcome]": two or three fields, each unquoted
 * (surrounding spaces trimmed, no quote inside) or quoted as RFC 4180 says ("a, b" keeps its
 * comma and spaces, "" is a quote; a field does not span lines). A line starting with '#' or
 * blank is skipped: returns 0 with nothing set. Returns 1 with pointers into line (which it
 * modifies; *welcome_r NULL when the line has two fields), 0 to skip, -1 with a reason
 * (static text). */
int directory_parse_csv_line(char *line, char **user_r, char **password_r, char **welcome_r,
			     const char **error_r);
/* The welcome column's text as an enum directory_welcome: "" or default: DEFAULT; yes, y,
 * true, 1: YES; no, n, false, 0: NO (any case). 0, or -1 with a reason (static text). */
int directory_csv_welcome(const char *text, enum directory_welcome *welcome_r,
			  const char **error_r);
/* True for a spreadsheet's header row: user, username or login, then password, passwd or pass
 * (any case). Bulk add skips it when it is the first record of the file. */
bool directory_csv_is_header(const char *user, const char *password);

#endif
