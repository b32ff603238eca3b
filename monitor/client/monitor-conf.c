/*
 * monitor-conf.c: the monitor's configuration file (see monitor-conf.h).
 * OWNS: nothing beyond the caller's struct. THREAD: the caller's.
 */
#include "monitor-conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static int conf_fail(char *errbuf, size_t size, const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int conf_fail(char *errbuf, size_t size, const char **error_r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, size, fmt, ap);
	va_end(ap);
	*error_r = errbuf;
	return -1;
}

void monitor_server_defaults(struct monitor_server *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->host, sizeof(s->host), "127.0.0.1");
	s->port = 5109;
	s->tls = MONITOR_TLS_NONE;
	s->tls_verify = true;
}

static char *trim(char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	size_t n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		p[--n] = '\0';
	return p;
}

/* Copies v into dst (size bytes): 0, or -1 when it does not fit. */
static int put(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int put_bool(bool *dst, const char *v)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*dst = true;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*dst = false;
	else
		return -1;
	return 0;
}

/* One "key = value" of server s: 0, or -1 with *why. */
static int set_key(struct monitor_server *s, const char *k, const char *v, const char **why)
{
	char *end;
	*why = "value too long";
	if (strcmp(k, "host") == 0)
		return put(s->host, sizeof(s->host), v);
	if (strcmp(k, "user") == 0)
		return put(s->user, sizeof(s->user), v);
	if (strcmp(k, "password") == 0)
		return put(s->password, sizeof(s->password), v);
	if (strcmp(k, "api_key_file") == 0)
		return put(s->api_key_file, sizeof(s->api_key_file), v);
	if (strcmp(k, "ca_file") == 0)
		return put(s->ca_file, sizeof(s->ca_file), v);
	if (strcmp(k, "tls_verify") == 0)
		return *why = "tls_verify is yes or no", put_bool(&s->tls_verify, v);
	if (strcmp(k, "port") == 0) {
		*why = "port is a number from 1 to 65535";
		errno = 0;
		unsigned long p = strtoul(v, &end, 10);
		if (errno != 0 || *end != '\0' || p == 0 || p > 65535 || !isdigit((unsigned char)*v))
			return -1;
		s->port = (uint16_t)p;
		return 0;
	}
	if (strcmp(k, "tls") == 0) {
		*why = "tls is none, starttls or implicit";
		s->tls = strcmp(v, "none") == 0	      ? MONITOR_TLS_NONE
			 : strcmp(v, "starttls") == 0 ? MONITOR_TLS_STARTTLS
			 : strcmp(v, "implicit") == 0 ? MONITOR_TLS_IMPLICIT
						      : (enum monitor_tls) - 1;
		return (int)s->tls < 0 ? -1 : 0;
	}
	*why = "unknown key";
	return -1;
}

/* A "[server NAME]" line into a new server: 0 / -1 with *why. */
static int section(struct monitor_conf *c, char *line, const char **why)
{
	size_t n = strlen(line);
	if (line[n - 1] != ']')
		return *why = "a section is [server NAME]", -1;
	line[n - 1] = '\0';
	char *p = trim(line + 1);
	if (strncmp(p, "server", 6) != 0 || !isspace((unsigned char)p[6]))
		return *why = "a section is [server NAME]", -1;
	p = trim(p + 6);
	if (*p == '\0' || strlen(p) >= sizeof(c->servers[0].name) || strpbrk(p, " \t") != NULL)
		return *why = "a server name is one word of at most 63 characters", -1;
	if (monitor_conf_find(c, p) != NULL)
		return *why = "this server name is already used", -1;
	if (c->n == MONITOR_CONF_SERVERS_MAX)
		return *why = "too many servers", -1;
	monitor_server_defaults(&c->servers[c->n++], p);
	return 0;
}

/* One line (NUL-terminated, modifiable): 0 / -1 with *why. */
static int conf_line(struct monitor_conf *c, char *line, const char **why)
{
	for (char *h = strchr(line, '#'); h != NULL; h = strchr(h + 1, '#')) {
		if (h == line || isspace((unsigned char)h[-1])) {
			*h = '\0';
			break;
		}
	}
	line = trim(line);
	if (*line == '\0')
		return 0;
	if (*line == '[')
		return section(c, line, why);
	char *eq = strchr(line, '=');
	if (eq == NULL)
		return *why = "expected key = value", -1;
	if (c->n == 0)
		return *why = "a key before the first [server NAME]", -1;
	*eq = '\0';
	return set_key(&c->servers[c->n - 1], trim(line), trim(eq + 1), why);
}

int monitor_conf_parse(const char *text, size_t len, mode_t mode, struct monitor_conf *conf_r,
		       char *errbuf, size_t size, const char **error_r)
{
	char line[1024];
	size_t lineno = 0, pos = 0;
	const char *why;

	memset(conf_r, 0, sizeof(*conf_r));
	if (memchr(text, '\0', len) != NULL)
		return conf_fail(errbuf, size, error_r, "the file holds a NUL byte");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (n >= sizeof(line))
			return conf_fail(errbuf, size, error_r, "line %zu: too long", lineno);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		int rc = conf_line(conf_r, line, &why);
		explicit_bzero(line, sizeof(line));
		if (rc < 0) {
			monitor_conf_clear(conf_r);
			return conf_fail(errbuf, size, error_r, "line %zu: %s", lineno, why);
		}
	}
	for (size_t i = 0; i < conf_r->n; i++) {
		if (conf_r->servers[i].password[0] != '\0' && (mode & 077) != 0) {
			monitor_conf_clear(conf_r);
			return conf_fail(errbuf, size, error_r,
					 "it holds a password and is readable or writable by group "
					 "or others (mode %03o): chmod 600 it",
					 (unsigned)(mode & 0777));
		}
	}
	return 0;
}

/* Reads at most max bytes of path into buf (NUL-terminated) with its mode. 0 / -1 (errno). */
static int read_small(const char *path, char *buf, size_t max, size_t *len_r, mode_t *mode_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t len = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		int e = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : EFBIG;
		close(fd);
		errno = e;
		return -1;
	}
	for (ssize_t n; len < max && (n = read(fd, buf + len, max - len)) != 0; len += (size_t)n) {
		if (n < 0 && errno != EINTR) {
			close(fd);
			return -1;
		}
		if (n < 0)
			n = 0;
	}
	close(fd);
	buf[len] = '\0';
	*len_r = len;
	*mode_r = st.st_mode;
	return 0;
}

int monitor_conf_load(const char *path, bool missing_ok, struct monitor_conf *conf_r,
		      char *errbuf, size_t size, const char **error_r)
{
	char *buf = malloc(MONITOR_CONF_FILE_MAX + 1);
	size_t len;
	mode_t mode;
	char inner[400];

	if (buf == NULL)
		abort();
	memset(conf_r, 0, sizeof(*conf_r));
	if (read_small(path, buf, MONITOR_CONF_FILE_MAX, &len, &mode) < 0) {
		int e = errno;
		free(buf);
		if (e == ENOENT && missing_ok)
			return 0;
		return conf_fail(errbuf, size, error_r, "%s: %s", path,
				 e == EFBIG ? "larger than 64 KiB" : strerror(e));
	}
	int rc = monitor_conf_parse(buf, len, mode, conf_r, inner, sizeof(inner), error_r);
	explicit_bzero(buf, len);
	free(buf);
	if (rc < 0)
		return conf_fail(errbuf, size, error_r, "%s: %s", path, inner);
	return 0;
}

const struct monitor_server *monitor_conf_find(const struct monitor_conf *conf, const char *name)
{
	if (name == NULL)
		return conf->n > 0 ? &conf->servers[0] : NULL;
	for (size_t i = 0; i < conf->n; i++)
		if (strcmp(conf->servers[i].name, name) == 0)
			return &conf->servers[i];
	return NULL;
}

void monitor_conf_clear(struct monitor_conf *conf)
{
	explicit_bzero(conf, sizeof(*conf));
}

int monitor_read_secret_file(const char *path, char *key, size_t size, char *errbuf,
			     size_t errsize, const char **error_r)
{
	char buf[1024];
	size_t len;
	mode_t mode;

	if (read_small(path, buf, sizeof(buf) - 1, &len, &mode) < 0)
		return conf_fail(errbuf, errsize, error_r, "%s: %s", path, strerror(errno));
	if ((mode & 077) != 0) {
		explicit_bzero(buf, sizeof(buf));
		return conf_fail(errbuf, errsize, error_r,
				 "%s: readable or writable by group or others (mode %03o): chmod 600 it",
				 path, (unsigned)(mode & 0777));
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	int rc = put(key, size, trim(buf));
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0 || key[0] == '\0')
		return conf_fail(errbuf, errsize, error_r, "%s: no key on its first line", path);
	return 0;
}
