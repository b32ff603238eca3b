/*
 * directory-password.c: yescrypt hashing and verification through libcrypt.
 * OWNS nothing. THREAD: any.
 */
#include "directory-password.h"

#include "pb-alloc.h"

#include <crypt.h>
#include <string.h>

/* A yescrypt hash of a random string nobody knows, with the default cost: verifying against
 * it takes as long as verifying a real user's password. */
static const char dummy_hash[] =
	"$y$j9T$5FMYhqP.FcKhPiEXMWm1V.$ESVIODFx3nn7AgDMmvQBqauv1izPcZmsYX9veoPre/7";

char *directory_password_hash(const char *password, const char **error_r)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	char *result = NULL;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		*error_r = "cannot make a password salt";
	} else {
		const char *h = crypt_rn(password, salt, data, sizeof(*data));
		if (h == NULL || h[0] == '*')
			*error_r = "cannot hash the password";
		else
			result = xstrdup(h);
	}
	explicit_bzero(data, sizeof(*data));
	free(data);
	return result;
}

static bool equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool directory_password_verify(const char *password, const char *hash)
{
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *against = hash != NULL ? hash : dummy_hash;
	const char *h = crypt_rn(password, against, data, sizeof(*data));
	bool ok = h != NULL && h[0] != '*' && equal_ct(h, against) && hash != NULL;

	explicit_bzero(data, sizeof(*data));
	free(data);
	return ok;
}
