/*
 * bench-net.c: the load generators' shared connection and pattern code (see bench-net.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "bench-net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Expands "%d" / "%0Nd" (N one digit) with idx and "%%" to '%'; by hand, not printf, because
 * the pattern comes from the command line. Truncates to size - 1 bytes. */
void bench_expand_pattern(const char *pat, long idx, char *out, size_t size)
{
	size_t o = 0;
	char num[32];

	for (const char *p = pat; *p != '\0' && o + 1 < size; p++) {
		int width = 0;
		if (p[0] == '%' && p[1] == '%') {
			out[o++] = '%';
			p++;
			continue;
		}
		if (p[0] == '%' && p[1] == '0' && p[2] >= '1' && p[2] <= '9' && p[3] == 'd')
			width = p[2] - '0', p += 3;
		else if (p[0] == '%' && p[1] == 'd')
			p += 1;
		else {
			out[o++] = *p;
			continue;
		}
		snprintf(num, sizeof(num), "%0*ld", width, idx);
		for (const char *n = num; *n != '\0' && o + 1 < size; n++)
			out[o++] = *n;
	}
	out[o] = '\0';
}

int bench_conn_open(struct bench_conn *c, const char *host, const char *port,
		    const char **error_r)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	struct timeval tv = { .tv_sec = BENCH_IO_TIMEOUT_S };
	int one = 1;

	c->start = c->end = 0;
	c->fd = -1;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		*error_r = "cannot resolve the host";
		return -1;
	}
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		*error_r = strerror(errno);
		freeaddrinfo(ai);
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	freeaddrinfo(ai);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return 0;
}

void bench_conn_close(struct bench_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int bench_conn_read_line(struct bench_conn *c, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);
		if (nl != NULL) {
			size_t len = (size_t)(nl - (c->buf + c->start));
			size_t keep = len > 0 && nl[-1] == '\r' ? len - 1 : len;
			if (keep >= size)
				return -1;
			memcpy(line, c->buf + c->start, keep);
			line[keep] = '\0';
			c->start += len + 1;
			return (int)keep;
		}
		if (c->start > 0) {
			memmove(c->buf, c->buf + c->start, c->end - c->start);
			c->end -= c->start;
			c->start = 0;
		}
		if (c->end == sizeof(c->buf))
			return -1;
		ssize_t n = recv(c->fd, c->buf + c->end, sizeof(c->buf) - c->end, 0);
		if (n <= 0)
			return -1;
		c->end += (size_t)n;
	}
}

int bench_send_all(struct bench_conn *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bench_conn_skip(struct bench_conn *c, size_t n)
{
	while (n > 0) {
		if (c->start == c->end) {
			ssize_t got = recv(c->fd, c->buf, sizeof(c->buf), 0);
			if (got <= 0)
				return -1;
			c->start = 0;
			c->end = (size_t)got;
		}
		size_t take = c->end - c->start < n ? c->end - c->start : n;
		c->start += take;
		n -= take;
	}
	return 0;
}
