/*
 * user-keys.c: the per-account keys of `user set` (see user-keys.h).
 * OWNS: nothing. THREAD: any.
 */
#include "user-keys.h"

#include "directory-client.h"
#include "pb-alloc.h"
#include "router-user.h"
#include "send-policy.h"

const char *user_key(size_t i, const char **help_r)
{
	const char *(*const tables[])(size_t, const char **) = { send_policy_key, router_user_key,
								  directory_password_key };

	for (size_t t = 0; t < PB_N_ELEMENTS(tables); t++) {
		size_t n = 0;
		while (tables[t](n, help_r) != NULL)
			n++;
		if (i < n)
			return tables[t](i, help_r);
		i -= n;
	}
	return NULL;
}

bool user_key_known(const char *key)
{
	return send_policy_is_key(key) || router_user_is_key(key) || directory_password_is_key(key);
}
