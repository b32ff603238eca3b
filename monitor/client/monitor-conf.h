/*
 * monitor-conf.h: pillarbox-monitor's configuration file — several named status servers (the
 * guide's "Server Name"), each a section:
 *
 *     [server office]
 *     host = mail.example.com
 *     port = 5109
 *     tls = starttls            # none | starttls | implicit
 *     tls_verify = yes          # no: any certificate (a self-signed one)
 *     ca_file = /etc/ssl/office.pem
 *     user = admin
 *     password = secret         # or:
 *     api_key_file = ~/.config/pillarbox/office.key
 *
 * '#' starts a comment (at a line's start or after whitespace); blank lines are ignored. The
 * first server is the default. A file that holds a password must not be readable or writable
 * by group or others (as ssh refuses such a key): the check takes the file's mode.
 * Pure: parses text; the caller reads the file (monitor_conf_load does both).
 * OWNS: struct monitor_conf and its servers. THREAD: the caller's.
 */
#ifndef MONITOR_CONF_H
#define MONITOR_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MONITOR_CONF_SERVERS_MAX 32
#define MONITOR_CONF_FILE_MAX (64 * 1024)

enum monitor_tls { MONITOR_TLS_NONE, MONITOR_TLS_STARTTLS, MONITOR_TLS_IMPLICIT };

struct monitor_server {
	char name[64];
	char host[256];
	uint16_t port;
	enum monitor_tls tls;
	bool tls_verify;
	char ca_file[512];
	char user[128];
	char password[256]; /* "" when none (wiped by monitor_conf_clear) */
	char api_key_file[512];
};

struct monitor_conf {
	struct monitor_server servers[MONITOR_CONF_SERVERS_MAX];
	size_t n;
};

/* The defaults of one server: 127.0.0.1:5109, tls none, verify on. */
void monitor_server_defaults(struct monitor_server *s, const char *name);

/* Parses text (len bytes; a NUL is an error) into *conf_r (cleared first). mode: the file's
 * st_mode (a password with mode & 077 is refused). Returns 0, or -1 with *error_r a sentence
 * "LINE N: ..." in errbuf (size bytes). */
int monitor_conf_parse(const char *text, size_t len, mode_t mode, struct monitor_conf *conf_r,
		       char *errbuf, size_t size, const char **error_r);

/* Reads path (at most MONITOR_CONF_FILE_MAX bytes) and parses it. A missing file at the default
 * path is not an error when missing_ok (an empty conf). 0 / -1 with *error_r in errbuf. */
int monitor_conf_load(const char *path, bool missing_ok, struct monitor_conf *conf_r,
		      char *errbuf, size_t size, const char **error_r);

/* The server named name (NULL: the first); NULL when none. */
const struct monitor_server *monitor_conf_find(const struct monitor_conf *conf, const char *name);

/* Wipes the passwords. */
void monitor_conf_clear(struct monitor_conf *conf);

/* Reads the first line of an API key file into key (size bytes), refusing a file readable by
 * group or others. 0 / -1 with *error_r in errbuf. */
int monitor_read_secret_file(const char *path, char *key, size_t size, char *errbuf,
			     size_t errsize, const char **error_r);

#endif
