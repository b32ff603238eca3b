/*
 * router-spam.c: the rspamd client of the router pool (see router-spam.h): one connection per
 * message, a non-blocking socket under one deadline, the body streamed from the reader.
 * OWNS: nothing between calls (a socket, a piece buffer and the reply during one call).
 * THREAD: the router shard's.
 */
#include "router-spam.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "reader-client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One call's connection and budget. */
struct spam_call {
	int fd;
	uint64_t deadline_ms; /* monotonic */
	char why[128];        /* the failure, in words */
};

static int fail(struct spam_call *c, const char *what, const char *detail)
{
	snprintf(c->why, sizeof(c->why), "%s%s%s", what, detail != NULL ? ": " : "",
		 detail != NULL ? detail : "");
	return -1;
}

/* Waits for events on the socket until the deadline. 0 ready, -1 (c->why) timed out. */
static int wait_fd(struct spam_call *c, short events, const char *what)
{
	for (;;) {
		uint64_t now = pb_clock_monotonic_ms(NULL);
		if (now >= c->deadline_ms)
			return fail(c, what, "timed out");
		struct pollfd p = { c->fd, events, 0 };
		int n = poll(&p, 1, (int)(c->deadline_ms - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return fail(c, what, strerror(errno));
	}
}

/* Splits "host:port" or "[v6]:port" into host_r (size) and port_r. 0 / -1. */
static int split_hostport(const char *s, char *host_r, size_t size, const char **port_r)
{
	const char *colon = strrchr(s, ':');
	if (colon == NULL || colon[1] == '\0')
		return -1;
	const char *h = s;
	size_t n = (size_t)(colon - s);
	if (s[0] == '[' && n >= 2 && colon[-1] == ']')
		h++, n -= 2;
	if (n == 0 || n >= size)
		return -1;
	memcpy(host_r, h, n);
	host_r[n] = '\0';
	*port_r = colon + 1;
	return 0;
}

/* Connects c->fd to the setting's address within the deadline. 0 / -1 (c->why). */
static int connect_rspamd(struct spam_call *c, const char *where)
{
	char host[256];
	const char *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;

	if (split_hostport(where, host, sizeof(host), &port) < 0)
		return fail(c, "spam.rspamd is not host:port", NULL);
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		return fail(c, "rspamd's address", gai_strerror(rc));
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)) {
		freeaddrinfo(ai);
		return fail(c, "rspamd did not accept the connection", strerror(errno));
	}
	freeaddrinfo(ai);
	if (wait_fd(c, POLLOUT, "connecting to rspamd") < 0)
		return -1;
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
		return fail(c, "rspamd did not accept the connection", strerror(err ? err : errno));
	return 0;
}

static int send_all(struct spam_call *c, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			return fail(c, "sending to rspamd", strerror(errno));
		} else if (wait_fd(c, POLLOUT, "sending to rspamd") < 0) {
			return -1;
		}
	}
	return 0;
}

/* Reads and parses the reply within the deadline. 0 (*r filled) / -1 (c->why). */
static int read_reply(struct spam_call *c, struct router_spam_result *r)
{
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	const char *error = NULL;
	int got = 0;

	while (got == 0) {
		if (len == cap)
			buf = xrealloc(buf, cap *= 2);
		ssize_t n = recv(c->fd, buf + len, cap - len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_fd(c, POLLIN, "waiting for rspamd's reply") < 0)
				break;
			continue;
		}
		if (n < 0) {
			fail(c, "reading rspamd's reply", strerror(errno));
			break;
		}
		len += (size_t)n;
		got = router_spam_reply_parse(buf, len, n == 0, r, &error);
		if (got < 0)
			fail(c, "rspamd's reply", error);
	}
	free(buf);
	return got == 1 ? 0 : -1;
}

/* Sends the body: the first piece (already read) and the rest, read piece by piece from the
 * reader into the same buffer. 0 / -1 (c->why). */
static int stream_body(struct spam_call *c, struct pb_actor *a, const char *blob_key,
		       uint8_t *piece, size_t first, bool eof)
{
	uint64_t offset = first;
	size_t n = first;
	uint64_t size;
	const char *error;

	for (;;) {
		if (send_all(c, piece, n) < 0)
			return -1;
		if (eof)
			return 0;
		if (reader_client_read(pb_actor_caller(a), 0, blob_key, offset, piece,
				       ROUTER_SPAM_PIECE, &n, &size, &eof, &error) != PB_OK)
			return fail(c, "the message could not be read", error);
		offset += n;
		if (n == 0 && !eof)
			return fail(c, "the message could not be read", "an empty piece");
	}
}

/* The envelope of q, with the client as our intake recorded it on top of the body. */
static char *request_head(const struct msg_router_resolve_req *q, const uint8_t *head,
			  size_t len, uint64_t size)
{
	char ip[64], helo[256];
	bool auth;
	const char **rcpts = xcalloc(q->rcpts.n + 1, sizeof(char *));
	char **bare = xcalloc(q->rcpts.n + 1, sizeof(char *));

	for (uint32_t i = 0; i < q->rcpts.n; i++) /* without their DSN parameters */
		rcpts[i] = bare[i] = xstrndup(q->rcpts.v[i], strcspn(q->rcpts.v[i], "\t"));
	router_spam_peer((const char *)head, len, ip, sizeof(ip), helo, sizeof(helo), &auth);
	/* rspamd's User: the sender authenticated (RFC 3848 ESMTPA); the intake does not record
	 * the login name, so the envelope sender stands for it */
	struct router_spam_envelope env = { q->sender, rcpts, q->rcpts.n, ip, helo,
					    auth ? q->sender : NULL, q->msgid };
	char *out = router_spam_request_head(&env, size);
	for (uint32_t i = 0; i < q->rcpts.n; i++)
		free(bare[i]);
	free(bare);
	free(rcpts);
	return out;
}

/* Asks rspamd about q. 1 scored, 0 not sent (too big), -1 rspamd failed, -2 the message
 * could not be read (not rspamd's failure: the breaker does not count it); v->why says why. */
static int ask(struct pb_actor *a, const struct msg_router_resolve_req *q,
	       const struct pb_settings_spam *set, struct router_spam_verdict *v)
{
	struct spam_call c = { .fd = -1 };
	uint8_t *piece = xmalloc(ROUTER_SPAM_PIECE);
	size_t n = 0;
	uint64_t size = 0;
	bool eof = false;
	const char *error;
	int ret = -1;

	c.deadline_ms = pb_clock_monotonic_ms(NULL) + set->timeout_ms;
	if (reader_client_read(pb_actor_caller(a), 0, q->blob_key, 0, piece, ROUTER_SPAM_PIECE,
			       &n, &size, &eof, &error) != PB_OK) {
		fail(&c, "the message could not be read", error);
		ret = -2;
	} else if (size > (uint64_t)set->max_size_kb * 1024) {
		snprintf(c.why, sizeof(c.why), "%llu KiB is over spam.max_size_kb %u",
			 (unsigned long long)(size / 1024), set->max_size_kb);
		ret = 0;
	} else {
		char *head = request_head(q, piece, n, size);
		if (connect_rspamd(&c, set->rspamd) == 0 && send_all(&c, head, strlen(head)) == 0 &&
		    stream_body(&c, a, q->blob_key, piece, n, eof) == 0 &&
		    read_reply(&c, &v->result) == 0)
			ret = 1;
		free(head);
	}
	if (c.fd >= 0)
		close(c.fd);
	free(piece);
	snprintf(v->why, sizeof(v->why), "%s", c.why);
	return ret;
}

/* Feeds the outcome of one ask (ret as ask's) to the breaker, logging when it opens or
 * closes (the one line each). */
static void breaker_note(struct router_spam_breaker *b, const struct pb_settings_spam *set,
			 int ret, const char *why)
{
	if (ret == 0 || ret == -2)
		return; /* rspamd was not asked, or not its failure */
	uint64_t now = pb_clock_monotonic_ms(NULL);
	switch (router_spam_breaker_result(b, ret == 1, now, set->breaker_failures,
					   (uint64_t)set->breaker_cooldown_s * 1000)) {
	case ROUTER_SPAM_BREAKER_OPENED:
		pb_warn("router", "event=spam_breaker_open failures=%u cooldown_s=%u reason=%s "
				  "msg=\"rspamd breaker open: messages are delivered unscored\"",
			b->failures, set->breaker_cooldown_s, PB_LOGQ(why));
		break;
	case ROUTER_SPAM_BREAKER_CLOSED:
		pb_info("router", "event=spam_breaker_closed msg=\"rspamd breaker closed: rspamd "
				  "answered again\"");
		break;
	case ROUTER_SPAM_BREAKER_SAME:
		break;
	}
}

/* Whether the breaker keeps rspamd from being asked now (v->why then says so; no log line
 * per message). A breaker kept for another spam.rspamd starts afresh. */
static bool breaker_skips(struct router_spam_breaker *b, const struct pb_settings_spam *set,
			  const struct msg_router_resolve_req *q, struct router_spam_verdict *v)
{
	if (strcmp(b->rspamd, set->rspamd) != 0) {
		memset(b, 0, sizeof(*b));
		snprintf(b->rspamd, sizeof(b->rspamd), "%s", set->rspamd);
	}
	if (router_spam_breaker_allow(b, pb_clock_monotonic_ms(NULL)))
		return false;
	snprintf(v->why, sizeof(v->why), "rspamd is not asked: its circuit breaker is open after "
		 "%u failures in a row", set->breaker_failures);
	pb_debug("router", "event=spam_unscored msgid=%s spool_id=%llu reason=breaker_open",
		 PB_LOGQ(q->msgid), (unsigned long long)q->key);
	return true;
}

void router_spam_score(struct pb_actor *a, const struct msg_router_resolve_req *q,
		       struct router_spam_breaker *b, struct router_spam_verdict *v_r)
{
	const struct pb_settings *st = pb_settings_acquire(pb_actor_runtime(a));
	struct pb_settings_spam set = st->spam;

	pb_settings_release(pb_actor_runtime(a), st);
	memset(v_r, 0, sizeof(*v_r));
	if (!set.enabled || q->blob_key[0] == '\0')
		return;
	v_r->asked = true;
	v_r->threshold = set.quarantine_score;
	if (breaker_skips(b, &set, q, v_r))
		return;
	int ret = ask(a, q, &set, v_r);
	breaker_note(b, &set, ret, v_r->why);
	v_r->scored = ret == 1;
	if (ret == 1)
		pb_info("router", "event=spam_scored msgid=%s spool_id=%llu score=%.2f action=%s "
				  "quarantine=%s",
			PB_LOGQ(q->msgid), (unsigned long long)q->key, v_r->result.score,
			PB_LOGQ(v_r->result.action),
			router_spam_is_quarantine(&v_r->result, set.quarantine_score) ? "yes" : "no");
	else
		pb_log(ret == 0 ? PB_LOG_INFO : PB_LOG_WARN, "router",
		       "event=spam_unscored msgid=%s spool_id=%llu reason=%s", PB_LOGQ(q->msgid),
		       (unsigned long long)q->key, PB_LOGQ(v_r->why));
}
