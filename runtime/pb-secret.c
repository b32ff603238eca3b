/*
 * pb-secret.c: secrets at rest (see pb-secret.h).
 * OWNS: nothing. THREAD: any.
 */
#include "pb-secret.h"

#include "pb-alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NONCE 12
#define TAG 16

static _Thread_local char secret_error[4200];

int pb_secret_key_load(const char *dir, uint8_t key_r[PB_SECRET_KEY_LEN], const char **error_r)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/secret.key", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		uint8_t k[PB_SECRET_KEY_LEN];
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		bool ok = fd >= 0 && RAND_bytes(k, sizeof(k)) == 1 &&
			  write(fd, k, sizeof(k)) == (ssize_t)sizeof(k) && fsync(fd) == 0;
		explicit_bzero(k, sizeof(k));
		if (fd >= 0)
			close(fd);
		if (!ok)
			unlink(path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	ssize_t n = fd >= 0 ? read(fd, key_r, PB_SECRET_KEY_LEN) : -1;
	if (fd >= 0)
		close(fd);
	if (n != PB_SECRET_KEY_LEN) {
		snprintf(secret_error, sizeof(secret_error), "%s: %s", path,
			 n < 0 ? strerror(errno) : "not a key of 32 bytes");
		*error_r = secret_error;
		return -1;
	}
	return 0;
}

bool pb_secret_is_sealed(const char *text)
{
	return strncmp(text, PB_SECRET_PREFIX, strlen(PB_SECRET_PREFIX)) == 0;
}

char *pb_secret_seal(const uint8_t key[PB_SECRET_KEY_LEN], const char *plain)
{
	size_t len = strlen(plain);
	if (len == 0)
		return xstrdup("");
	uint8_t *raw = xmalloc(NONCE + len + TAG);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;

	if (ctx == NULL || RAND_bytes(raw, NONCE) != 1 ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) != 1 ||
	    EVP_EncryptUpdate(ctx, raw + NONCE, &n, (const uint8_t *)plain, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, raw + NONCE + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG, raw + NONCE + len) != 1)
		PANIC("secret: AES-GCM failed");
	EVP_CIPHER_CTX_free(ctx);
	size_t plen = strlen(PB_SECRET_PREFIX);
	char *out = xmalloc(plen + 4 * ((NONCE + len + TAG + 2) / 3) + 1);
	memcpy(out, PB_SECRET_PREFIX, plen);
	EVP_EncodeBlock((uint8_t *)out + plen, raw, (int)(NONCE + len + TAG));
	free(raw);
	return out;
}

int pb_secret_open(const uint8_t key[PB_SECRET_KEY_LEN], const char *sealed, char **plain_r)
{
	if (!pb_secret_is_sealed(sealed)) {
		*plain_r = xstrdup(sealed);
		return 0;
	}
	const char *b = sealed + strlen(PB_SECRET_PREFIX);
	size_t blen = strlen(b);
	uint8_t *raw = xmalloc(blen + 1);
	int rlen = blen % 4 == 0 ? EVP_DecodeBlock(raw, (const uint8_t *)b, (int)blen) : -1;
	rlen -= rlen > 0 ? (int)(blen > 0 && b[blen - 1] == '=') + (int)(blen > 1 && b[blen - 2] == '=') : 0;
	int ret = -1;
	if (rlen >= NONCE + TAG) {
		size_t len = (size_t)rlen - NONCE - TAG;
		char *plain = xmalloc(len + 1);
		EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
		int n = 0, fin = 0;
		if (ctx != NULL && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) == 1 &&
		    EVP_DecryptUpdate(ctx, (uint8_t *)plain, &n, raw + NONCE, (int)len) == 1 &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, raw + NONCE + len) == 1 &&
		    EVP_DecryptFinal_ex(ctx, (uint8_t *)plain + n, &fin) == 1) {
			plain[len] = '\0';
			*plain_r = plain;
			ret = 0;
		} else {
			explicit_bzero(plain, len + 1);
			free(plain);
		}
		EVP_CIPHER_CTX_free(ctx);
	}
	explicit_bzero(raw, blen + 1);
	free(raw);
	return ret;
}
