/*
 * directory-resolve.c: logins and addresses to accounts (see directory-resolve.h).
 * OWNS nothing. THREAD: any.
 */
#include "directory-resolve.h"

#include "directory-rules.h"
#include "pb-msg.h"

#include <string.h>

/* A miss: 0 with its code and reason. */
static int miss(uint32_t code, uint32_t *code_r, const char **error_r)
{
	*code_r = code;
	*error_r = code == PB_ERR_REFUSED ? "not a local domain" : "no such user";
	return 0;
}

int directory_resolve_address(struct pb_store *s, const char *local, const char *domain,
			      struct pb_user_rec *u_r, uint32_t *code_r, const char **error_r)
{
	const char *why;

	memset(u_r, 0, sizeof(*u_r));
	if (domain != NULL) {
		int local_domain = pb_store_domain_exists(s, domain, error_r);
		if (local_domain <= 0)
			return local_domain < 0 ? -1 : miss(PB_ERR_REFUSED, code_r, error_r);
	}
	if (directory_check_user(local, &why) < 0)
		return miss(PB_ERR_NOTFOUND, code_r, error_r);
	int found = pb_store_user_get(s, local, u_r, error_r);
	return found == 0 ? miss(PB_ERR_NOTFOUND, code_r, error_r) : found;
}

int directory_resolve_login(struct pb_store *s, const char *login, struct pb_user_rec *u_r,
			    uint32_t *code_r, const char **error_r)
{
	char local[DIRECTORY_USER_MAX + 1];
	const char *domain;

	memset(u_r, 0, sizeof(*u_r));
	if (directory_split_login(login != NULL ? login : "", local, sizeof(local), &domain) < 0)
		return miss(PB_ERR_NOTFOUND, code_r, error_r);
	return directory_resolve_address(s, local, domain, u_r, code_r, error_r);
}
