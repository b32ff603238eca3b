/*
 * pb-conn.c: a blocking client connection with deadlines (see pb-conn.h).
 * OWNS: struct pb_conn. THREAD: one at a time.
 */
#include "pb-conn.h"

#include "pb-alloc.h"
#include "pb-tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define CONN_BUF 16384

struct pb_conn {
	int fd;                  /* -1 between two addresses of a connect */
	struct addrinfo *res, *next; /* a connect under way: the addresses, the next to try */
	struct pb_tls_conn *tls; /* after pb_conn_starttls: every byte goes through it */
	char buf[CONN_BUF];      /* plaintext read, not yet taken */
	size_t start, end;
	char raw[CONN_BUF];      /* ciphertext in transit */
};

static _Thread_local char conn_error[512];

static int conn_fail(const char **error_r, const char *what, int err)
{
	snprintf(conn_error, sizeof(conn_error), "%s%s%s", what, err != 0 ? ": " : "",
		 err != 0 ? strerror(err) : "");
	*error_r = conn_error;
	return -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline: 0 ready, -1 timeout or error. */
static int wait_fd(int fd, short events, uint64_t deadline, const char **error_r)
{
	for (;;) {
		uint64_t now = now_ms();
		if (now >= deadline)
			return conn_fail(error_r, "timed out", 0);
		struct pollfd p = { .fd = fd, .events = events };
		int rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return conn_fail(error_r, "poll", errno);
	}
}

/* Begins connecting to the next address of c's (those whose connect fails at once are
 * passed): 0 under way (c->fd), -1 none left (error_r: the last failure). */
static int start_next(struct pb_conn *c, const char **error_r)
{
	for (; c->next != NULL; c->next = c->next->ai_next) {
		const struct addrinfo *ai = c->next;
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			       ai->ai_protocol);
		if (c->fd < 0) {
			conn_fail(error_r, "socket", errno);
			continue;
		}
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
			c->next = ai->ai_next;
			return 0;
		}
		conn_fail(error_r, "connect", errno);
		close(c->fd);
		c->fd = -1;
	}
	return -1;
}

int pb_conn_start(const char *host, uint16_t port, struct pb_conn **c_r, const char **error_r)
{
	char name[256], serv[8];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	size_t len = strlen(host);

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
		snprintf(name, sizeof(name), "%.*s", (int)(len - 2), host + 1);
	else
		snprintf(name, sizeof(name), "%s", host);
	snprintf(serv, sizeof(serv), "%u", port);
	int rc = getaddrinfo(name, serv, &hints, &res);
	if (rc != 0) {
		snprintf(conn_error, sizeof(conn_error), "cannot resolve %s: %s", name,
			 gai_strerror(rc));
		*error_r = conn_error;
		return -1;
	}
	struct pb_conn *c = xcalloc(1, sizeof(*c));
	*c = (struct pb_conn){ .fd = -1, .res = res, .next = res };
	*error_r = "no address";
	if (start_next(c, error_r) < 0) {
		pb_conn_close(&c);
		return -1;
	}
	*c_r = c;
	return 0;
}

int pb_conn_connected(struct pb_conn *c, const char **error_r)
{
	int err = 0;
	socklen_t len = sizeof(err);
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };

	if (c->res == NULL)
		return 1;
	if (poll(&p, 1, 0) == 0)
		return 0;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		freeaddrinfo(c->res);
		c->res = c->next = NULL;
		/* Callers write whole commands (or pipelined groups) and then wait for the reply:
		 * Nagle would hold a short write behind the peer's delayed ACK (40 ms each) */
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return 1;
	}
	conn_fail(error_r, "connect", err);
	close(c->fd);
	c->fd = -1;
	return start_next(c, error_r) < 0 ? -1 : 0;
}

int pb_conn_open(const char *host, uint16_t port, uint32_t timeout_ms, struct pb_conn **c_r,
		 const char **error_r)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct pb_conn *c = NULL;

	if (pb_conn_start(host, port, &c, error_r) < 0)
		return -1;
	for (;;) {
		int rc = pb_conn_connected(c, error_r);
		if (rc == 1) {
			*c_r = c;
			return 0;
		}
		if (rc < 0 || wait_fd(c->fd, POLLOUT, deadline, error_r) < 0)
			break;
	}
	pb_conn_close(&c);
	return -1;
}

void pb_conn_close(struct pb_conn **c)
{
	if (*c == NULL)
		return;
	if ((*c)->res != NULL)
		freeaddrinfo((*c)->res);
	if ((*c)->fd >= 0)
		close((*c)->fd);
	pb_tls_conn_destroy(&(*c)->tls);
	free(*c);
	*c = NULL;
}

/* Reads what the socket has (at least one byte) into buf: the count, or -1. */
static ssize_t raw_read(struct pb_conn *c, void *buf, size_t size, uint64_t deadline,
			const char **error_r)
{
	for (;;) {
		ssize_t n = read(c->fd, buf, size);
		if (n > 0)
			return n;
		if (n == 0)
			return conn_fail(error_r, "connection closed by the peer", 0);
		if (errno != EAGAIN && errno != EINTR)
			return conn_fail(error_r, "read", errno);
		if (wait_fd(c->fd, POLLIN, deadline, error_r) < 0)
			return -1;
	}
}

static int raw_write(struct pb_conn *c, const void *data, size_t len, uint64_t deadline,
		     const char **error_r)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return conn_fail(error_r, "write", errno);
		} else if (wait_fd(c->fd, POLLOUT, deadline, error_r) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Sends the ciphertext the TLS engine has waiting. 0 / -1. */
static int tls_flush(struct pb_conn *c, uint64_t deadline, const char **error_r)
{
	size_t n;
	while ((n = pb_tls_take_out(c->tls, c->raw, sizeof(c->raw))) > 0)
		if (raw_write(c, c->raw, n, deadline, error_r) < 0)
			return -1;
	return 0;
}

/* Reads ciphertext from the socket into the TLS engine. 0 / -1. */
static int tls_pull(struct pb_conn *c, uint64_t deadline, const char **error_r)
{
	ssize_t n = raw_read(c, c->raw, sizeof(c->raw), deadline, error_r);
	size_t off = 0;

	if (n < 0)
		return -1;
	while (off < (size_t)n) {
		size_t took = pb_tls_feed(c->tls, c->raw + off, (size_t)n - off);
		if (took == 0)
			break;
		off += took;
	}
	if (pb_tls_state(c->tls) == PB_TLS_FAILED) {
		snprintf(conn_error, sizeof(conn_error), "TLS %s", pb_tls_reason(c->tls));
		*error_r = conn_error;
		return -1;
	}
	return 0;
}

/* Reads more plaintext into the buffer: 0, -1. */
static int fill(struct pb_conn *c, uint64_t deadline, const char **error_r)
{
	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	if (c->end == sizeof(c->buf))
		return conn_fail(error_r, "line too long", 0);
	if (c->tls == NULL) {
		ssize_t n = raw_read(c, c->buf + c->end, sizeof(c->buf) - c->end, deadline, error_r);
		if (n < 0)
			return -1;
		c->end += (size_t)n;
		return 0;
	}
	for (;;) {
		size_t n = pb_tls_read(c->tls, c->buf + c->end, sizeof(c->buf) - c->end);
		if (n > 0) {
			c->end += n;
			return 0;
		}
		if (pb_tls_state(c->tls) != PB_TLS_OPEN)
			return conn_fail(error_r, "TLS closed by the peer", 0);
		if (tls_flush(c, deadline, error_r) < 0 || tls_pull(c, deadline, error_r) < 0)
			return -1;
	}
}

int pb_conn_starttls(struct pb_conn *c, struct pb_tls_ctx *ctx, const char *host,
		     uint32_t timeout_ms, const char **error_r)
{
	uint64_t deadline = now_ms() + timeout_ms;

	c->start = c->end = 0; /* plaintext after the go-ahead is never taken as TLS's */
	c->tls = pb_tls_conn_create_client(ctx, host);
	for (;;) {
		if (tls_flush(c, deadline, error_r) < 0)
			return -1;
		enum pb_tls_state st = pb_tls_state(c->tls);
		if (st == PB_TLS_OPEN)
			return 0;
		if (st != PB_TLS_HANDSHAKING) {
			snprintf(conn_error, sizeof(conn_error), "TLS %s", pb_tls_reason(c->tls));
			*error_r = conn_error;
			return -1;
		}
		if (tls_pull(c, deadline, error_r) < 0)
			return -1;
	}
}

int pb_conn_fd(const struct pb_conn *c)
{
	return c->fd;
}

const char *pb_conn_tls_version(const struct pb_conn *c)
{
	return c->tls != NULL ? pb_tls_version(c->tls) : "";
}

int pb_conn_read_line(struct pb_conn *c, char *buf, size_t size, uint32_t timeout_ms,
		      const char **error_r)
{
	uint64_t deadline = now_ms() + timeout_ms;
	size_t out = 0;

	for (;;) {
		char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);
		size_t take = nl != NULL ? (size_t)(nl - (c->buf + c->start)) : c->end - c->start;
		size_t room = size - 1 - out;
		memcpy(buf + out, c->buf + c->start, take < room ? take : room);
		out += take < room ? take : room;
		c->start += take;
		if (nl != NULL) {
			c->start++;
			if (out > 0 && buf[out - 1] == '\r')
				out--;
			buf[out] = '\0';
			return 0;
		}
		if (fill(c, deadline, error_r) < 0)
			return -1;
	}
}

int pb_conn_read(struct pb_conn *c, void *buf, size_t size, uint32_t timeout_ms, size_t *n_r,
		 const char **error_r)
{
	uint64_t deadline = now_ms() + timeout_ms;

	if (c->start == c->end && fill(c, deadline, error_r) < 0)
		return -1;
	size_t n = c->end - c->start < size ? c->end - c->start : size;
	memcpy(buf, c->buf + c->start, n);
	c->start += n;
	*n_r = n;
	return 0;
}

int pb_conn_poll(struct pb_conn *c, uint32_t timeout_ms, const char **error_r)
{
	const char *error;

	if (c->start < c->end)
		return 1;
	if (c->tls != NULL) { /* plaintext already decrypted inside the engine */
		c->start = c->end = 0;
		c->end = pb_tls_read(c->tls, c->buf, sizeof(c->buf));
		if (c->end > 0)
			return 1;
	}
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	if (timeout_ms == 0 ? poll(&p, 1, 0) <= 0 /* only what is there (an event loop's) */
			    : wait_fd(c->fd, POLLIN, now_ms() + timeout_ms, &error) < 0)
		return 0;
	/* readable: a TLS record that carries no data yet waits up to timeout_ms more */
	return fill(c, now_ms() + (timeout_ms > 0 ? timeout_ms : 1000), error_r) < 0 ? -1 : 1;
}

/* Plaintext through the TLS engine, its ciphertext sent as it comes. 0 / -1. */
static int tls_write(struct pb_conn *c, const void *data, size_t len, uint64_t deadline,
		     const char **error_r)
{
	const char *p = data;

	while (len > 0) {
		size_t n = pb_tls_write(c->tls, p, len);
		if (n == 0 && pb_tls_state(c->tls) != PB_TLS_OPEN)
			return conn_fail(error_r, "TLS closed", 0);
		p += n;
		len -= n;
		if (tls_flush(c, deadline, error_r) < 0)
			return -1;
	}
	return 0;
}

int pb_conn_write(struct pb_conn *c, const void *data, size_t len, uint32_t timeout_ms,
		  const char **error_r)
{
	uint64_t deadline = now_ms() + timeout_ms;

	if (c->tls == NULL)
		return raw_write(c, data, len, deadline, error_r);
	return tls_write(c, data, len, deadline, error_r);
}

/* Moves *iov, *n and *at (the bytes of (*iov)[0] already sent) past m more bytes sent. */
static void iov_advance(const struct iovec **iov, size_t *n, size_t *at, size_t m)
{
	while (*n > 0 && m >= (*iov)[0].iov_len - *at) {
		m -= (*iov)[0].iov_len - *at;
		(*iov)++, (*n)--, *at = 0;
	}
	*at += m;
}

/* Sends every byte of iov[0, n), at most PB_CONN_IOV pieces a call. 0 / -1. */
#define PB_CONN_IOV 64
static int raw_writev(struct pb_conn *c, const struct iovec *iov, size_t n, uint64_t deadline,
		      const char **error_r)
{
	struct iovec v[PB_CONN_IOV];
	size_t at = 0, k;

	iov_advance(&iov, &n, &at, 0); /* empty pieces first */
	while (n > 0) {
		for (k = 0; k < n && k < PB_CONN_IOV; k++)
			v[k] = iov[k];
		v[0].iov_base = (char *)v[0].iov_base + at;
		v[0].iov_len -= at;
		struct msghdr h = { .msg_iov = v, .msg_iovlen = k };
		ssize_t sent = sendmsg(c->fd, &h, MSG_NOSIGNAL);
		if (sent > 0)
			iov_advance(&iov, &n, &at, (size_t)sent);
		else if (sent < 0 && errno != EAGAIN && errno != EINTR)
			return conn_fail(error_r, "write", errno);
		else if (wait_fd(c->fd, POLLOUT, deadline, error_r) < 0)
			return -1;
	}
	return 0;
}

int pb_conn_writev(struct pb_conn *c, const struct iovec *iov, size_t n, uint32_t timeout_ms,
		   const char **error_r)
{
	uint64_t deadline = now_ms() + timeout_ms;

	if (c->tls == NULL)
		return raw_writev(c, iov, n, deadline, error_r);
	for (size_t i = 0; i < n; i++) /* the engine makes records of what it is given */
		if (tls_write(c, iov[i].iov_base, iov[i].iov_len, deadline, error_r) < 0)
			return -1;
	return 0;
}
