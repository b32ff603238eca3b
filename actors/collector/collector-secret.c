/*
 * collector-secret.c: passwords encrypted at rest (see collector-secret.h).
 * OWNS: nothing. THREAD: any (the key file is made with O_EXCL: two first uses agree).
 */
#include "collector-secret.h"

#include "pb-alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_LEN 32
#define IV_LEN 12
#define TAG_LEN 16
#define PREFIX "enc:"

bool collector_secret_is_sealed(const char *text)
{
	return text != NULL && strncmp(text, PREFIX, strlen(PREFIX)) == 0;
}

static int read_key(const char *path, unsigned char key[KEY_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, key, KEY_LEN);
	close(fd);
	return n == KEY_LEN ? 0 : -1;
}

/* Reads the key, making the file first when there is none. 0 / -1. */
static int load_key(const char *path, unsigned char key[KEY_LEN], bool create,
		    const char **error_r)
{
	if (read_key(path, key) == 0)
		return 0;
	if (!create) {
		*error_r = "the collector secret key file is missing or unreadable";
		return -1;
	}
	if (RAND_bytes(key, KEY_LEN) != 1) {
		*error_r = "no random bytes for the collector secret key";
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) /* made by another thread meanwhile: use that one */
		return errno == EEXIST && read_key(path, key) == 0
			       ? 0
			       : (*error_r = "cannot create the collector secret key file", -1);
	bool ok = write(fd, key, KEY_LEN) == KEY_LEN && fsync(fd) == 0;
	close(fd);
	if (!ok) {
		unlink(path);
		*error_r = "cannot write the collector secret key file";
		return -1;
	}
	return 0;
}

int collector_secret_seal(const char *key_path, const char *plain, char **sealed_r,
			  const char **error_r)
{
	unsigned char key[KEY_LEN], iv[IV_LEN];
	size_t len = strlen(plain);
	int outl = 0, fin = 0;

	if (load_key(key_path, key, true, error_r) < 0)
		return -1;
	unsigned char *buf = xmalloc(IV_LEN + len + TAG_LEN);
	RAND_bytes(iv, IV_LEN);
	memcpy(buf, iv, IV_LEN);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
		 EVP_EncryptUpdate(c, buf + IV_LEN, &outl, (const unsigned char *)plain,
				   (int)len) == 1 &&
		 EVP_EncryptFinal_ex(c, buf + IV_LEN + outl, &fin) == 1 &&
		 EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + IV_LEN + len) == 1;
	EVP_CIPHER_CTX_free(c);
	explicit_bzero(key, sizeof(key));
	if (!ok) {
		free(buf);
		*error_r = "cannot encrypt the password";
		return -1;
	}
	size_t n = IV_LEN + len + TAG_LEN;
	char *out = xmalloc(strlen(PREFIX) + 2 * n + 1);
	strcpy(out, PREFIX);
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(PREFIX) + 2 * i, 3, "%02x", buf[i]);
	free(buf);
	*sealed_r = out;
	return 0;
}

/* hex (2n digits) into n bytes: 0 / -1. */
static int unhex(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

int collector_secret_open(const char *key_path, const char *sealed, char **plain_r,
			  const char **error_r)
{
	unsigned char key[KEY_LEN];
	const char *hex = sealed + strlen(PREFIX);
	size_t hlen = strlen(hex), n = hlen / 2;
	int outl = 0, fin = 0;

	*error_r = "the stored password is damaged";
	if (!collector_secret_is_sealed(sealed) || hlen % 2 != 0 || n < IV_LEN + TAG_LEN)
		return -1;
	unsigned char *buf = xmalloc(n);
	size_t len = n - IV_LEN - TAG_LEN;
	char *plain = xmalloc(len + 1);
	int ok = unhex(hex, buf, n) == 0 && load_key(key_path, key, false, error_r) == 0;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	ok = ok && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
	     EVP_DecryptUpdate(c, (unsigned char *)plain, &outl, buf + IV_LEN, (int)len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, buf + IV_LEN + len) == 1 &&
	     EVP_DecryptFinal_ex(c, (unsigned char *)plain + outl, &fin) == 1;
	EVP_CIPHER_CTX_free(c);
	explicit_bzero(key, sizeof(key));
	free(buf);
	if (!ok) {
		explicit_bzero(plain, len + 1);
		free(plain);
		if (*error_r == NULL || strstr(*error_r, "key") == NULL)
			*error_r = "the stored password cannot be decrypted (wrong key or damaged)";
		return -1;
	}
	plain[len] = '\0';
	*plain_r = plain;
	return 0;
}
