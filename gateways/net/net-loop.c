/*
 * net-loop.c: the epoll loop of a gateway thread (see net-loop.h).
 * OWNS: listeners, connections (a slot table), watched descriptors. THREAD: the loop's thread.
 *
 * Why closes are deferred: a session may close its connection from inside on_input, while the
 * loop still holds the pointer; the connection is marked and reaped at the end of the round,
 * and only then does on_close run and the slot become free.
 */
#include "net-loop.h"

#include "pb-log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_LISTENERS 32
#define MAX_WATCHES 8
#define MAX_EVENTS 128

enum net_kind { NET_LISTENER, NET_CONN, NET_WATCH };

struct net_listener {
	enum net_kind kind;
	int fd;
	const struct net_proto *proto;
	void *ctx;
};

struct net_watch {
	enum net_kind kind;
	int fd;
	void (*cb)(void *ctx);
	void *ctx;
};

struct net_conn {
	enum net_kind kind;
	int fd;
	struct net_loop *loop;
	uint64_t id;
	const struct net_proto *proto;
	void *session;
	struct pb_buf in, out;
	size_t out_off;
	uint64_t deadline;
	bool paused, want_out, closing, flush_then_close, eof, dead;
	bool corked; /* inside on_input: writes are sent together when it returns */
	uint32_t events; /* what epoll watches now */
	char peer[INET6_ADDRSTRLEN], local[INET6_ADDRSTRLEN];
	uint16_t peer_port;
};

struct net_loop {
	int epfd;
	uint64_t (*now_ms)(void *);
	void *clock_ctx;
	struct net_listener listeners[MAX_LISTENERS];
	size_t n_listeners;
	struct net_watch watches[MAX_WATCHES];
	size_t n_watches;
	struct net_conn **conns; /* cap slots, grown by doubling up to NET_MAX_CONNS */
	uint32_t *generation;
	size_t cap;
	size_t free_hint; /* no free slot below this */
	size_t n_conns;
	size_t slots_used; /* every live connection's slot is below this */
	bool reap_needed;
	int spare_fd;            /* kept for EMFILE: see net-loop.h */
	uint64_t paused_until;   /* listeners out of epoll until then (0: listening) */
	uint64_t refused, last_refusal_log;
	/* Every read lands here first and only what arrived is appended to the connection's
	 * input: a connection's buffer grows with what it holds, not by NET_READ_CHUNK per read
	 * (a 128 KiB buffer made and given back around each read was an mmap and a munmap, with a
	 * TLB shootdown of every thread, several times per message). */
	char *scratch; /* NET_READ_CHUNK octets */
};

struct net_loop *net_loop_create(uint64_t (*now_ms)(void *), void *clock_ctx)
{
	struct net_loop *l = xcalloc(1, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		PANIC("epoll_create1: %s", strerror(errno));
	l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	l->now_ms = now_ms;
	l->clock_ctx = clock_ctx;
	l->scratch = xmalloc(NET_READ_CHUNK);
	return l;
}

uint64_t net_loop_now(struct net_loop *l)
{
	return l->now_ms(l->clock_ctx);
}

static void slot_release(struct net_loop *l, size_t slot)
{
	l->conns[slot] = NULL;
	l->n_conns--;
	if (slot < l->free_hint)
		l->free_hint = slot;
}

static void conn_free(struct net_loop *l, struct net_conn *c)
{
	size_t slot = (size_t)(c->id & 0xffff);
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->proto->on_close != NULL)
		c->proto->on_close(c->session, c);
	slot_release(l, slot);
	pb_buf_deinit(&c->in);
	pb_buf_deinit(&c->out);
	free(c);
}

void net_loop_destroy(struct net_loop **lp)
{
	struct net_loop *l = *lp;
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->slots_used; i++) {
		if (l->conns[i] != NULL)
			conn_free(l, l->conns[i]);
	}
	net_loop_stop_listening(l);
	close(l->epfd);
	free(l->conns);
	free(l->generation);
	if (l->spare_fd >= 0)
		close(l->spare_fd);
	free(l->scratch);
	free(l);
	*lp = NULL;
}

static int make_listener(const char *host, uint16_t port, const char **error_r)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (strcmp(host, "*") == 0 || strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_any;
		if (strcmp(host, "*") != 0 && inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			*error_r = "not a numeric IPv6 address";
			return -1;
		}
		sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			*error_r = "not a numeric IPv4 address";
			return -1;
		}
		sslen = sizeof(*s4);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = "cannot create a socket";
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (strcmp(host, "*") == 0) {
		int zero = 0; /* "*" listens on IPv4 and IPv6 */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, 512) < 0) {
		*error_r = errno == EADDRINUSE ? "the address is in use"
			   : errno == EACCES   ? "permission denied (a port below 1024 needs root; "
						 "set PILLARBOX_PORT_OFFSET)"
					       : "cannot bind";
		close(fd);
		return -1;
	}
	return fd;
}

int net_loop_listen(struct net_loop *l, const char *host, uint16_t port,
		    const struct net_proto *proto, void *listen_ctx, const char **error_r)
{
	if (l->n_listeners >= MAX_LISTENERS) {
		*error_r = "too many listeners";
		return -1;
	}
	int fd = make_listener(host, port, error_r);
	if (fd < 0)
		return -1;
	struct net_listener *ls = &l->listeners[l->n_listeners++];
	ls->kind = NET_LISTENER;
	ls->fd = fd;
	ls->proto = proto;
	ls->ctx = listen_ctx;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ls };
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

void net_loop_stop_listening(struct net_loop *l)
{
	for (size_t i = 0; i < l->n_listeners; i++) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->listeners[i].fd, NULL);
		close(l->listeners[i].fd);
	}
	l->n_listeners = 0;
}

bool net_loop_accepting(const struct net_loop *l)
{
	return l->n_listeners > 0 && l->paused_until == 0;
}

void net_loop_watch(struct net_loop *l, int fd, void (*cb)(void *ctx), void *ctx)
{
	ASSERT(l->n_watches < MAX_WATCHES);
	struct net_watch *w = &l->watches[l->n_watches++];
	w->kind = NET_WATCH;
	w->fd = fd;
	w->cb = cb;
	w->ctx = ctx;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

size_t net_conn_output_pending(struct net_conn *c);

/* Makes epoll watch what the connection needs now. */
static void conn_update(struct net_conn *c)
{
	uint32_t want = 0;
	if (!c->paused && !c->closing && !c->eof && net_conn_output_pending(c) < NET_OUT_HIGH)
		want |= EPOLLIN;
	if (c->want_out)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	struct epoll_event ev = { .events = want, .data.ptr = c };
	epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = want;
}

static void mark_dead(struct net_conn *c)
{
	c->dead = true;
	c->loop->reap_needed = true;
}

static void sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t size, uint16_t *port_r)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)size);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)size);
		if (port_r != NULL)
			*port_r = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)size);
		if (port_r != NULL)
			*port_r = ntohs(s4->sin_port);
	}
}

/* A free slot (the table doubled when full), or NET_MAX_CONNS when every slot is taken. */
static size_t slot_take(struct net_loop *l)
{
	size_t slot = l->free_hint;

	while (slot < l->cap && l->conns[slot] != NULL)
		slot++;
	if (slot == l->cap) {
		if (l->cap == NET_MAX_CONNS)
			return NET_MAX_CONNS;
		size_t cap = l->cap == 0 ? NET_INITIAL_CONNS : 2 * l->cap;
		cap = cap < NET_MAX_CONNS ? cap : NET_MAX_CONNS;
		l->conns = xrealloc(l->conns, cap * sizeof(*l->conns));
		l->generation = xrealloc(l->generation, cap * sizeof(*l->generation));
		memset(l->conns + l->cap, 0, (cap - l->cap) * sizeof(*l->conns));
		memset(l->generation + l->cap, 0, (cap - l->cap) * sizeof(*l->generation));
		l->cap = cap;
	}
	l->free_hint = slot + 1;
	return slot;
}

static struct net_conn *conn_new(struct net_loop *l, int fd)
{
	size_t slot = slot_take(l);
	if (slot == NET_MAX_CONNS)
		return NULL;
	struct net_conn *c = xcalloc(1, sizeof(*c));
	c->kind = NET_CONN;
	c->fd = fd;
	c->loop = l;
	c->id = ((uint64_t)++l->generation[slot] << 16) | slot;
	if (slot >= l->slots_used)
		l->slots_used = slot + 1;
	pb_buf_init(&c->in);
	pb_buf_init(&c->out);
	l->conns[slot] = c;
	l->n_conns++;
	return c;
}

/* Tells a connection refused at accept why (a fresh socket's buffer takes a short line), and
 * closes it. Refusals are counted and logged at most once a second. */
static void refuse(struct net_loop *l, int fd, const struct net_proto *proto, const char *why)
{
	char drop[4096];

	if (proto->busy != NULL)
		(void)send(fd, proto->busy, proto->busy_len > 0 ? proto->busy_len : strlen(proto->busy),
			   MSG_DONTWAIT | MSG_NOSIGNAL);
	/* what the client sent already (a TLS ClientHello) is read and dropped: closing with
	 * unread input would reset the connection, and the reset can overtake the refusal */
	shutdown(fd, SHUT_WR);
	(void)recv(fd, drop, sizeof(drop), MSG_DONTWAIT);
	close(fd);
	l->refused++;
	uint64_t now = net_loop_now(l);
	if (now >= l->last_refusal_log + 1000) {
		pb_warn("net", "event=connection_refused reason=%s refused_total=%llu", why,
			(unsigned long long)l->refused);
		l->last_refusal_log = now;
	}
}

static void listeners_watch(struct net_loop *l, bool on)
{
	for (size_t i = 0; i < l->n_listeners; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->listeners[i] };
		epoll_ctl(l->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, l->listeners[i].fd, &ev);
	}
}

/* accept failed for lack of a descriptor: answer one client with the spare, or pause. */
static void out_of_fds(struct net_loop *l, struct net_listener *ls)
{
	if (l->spare_fd >= 0) {
		close(l->spare_fd);
		int fd = accept4(ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			refuse(l, fd, ls->proto, "out_of_descriptors");
		l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return;
	}
	pb_warn("net", "event=accept_paused reason=out_of_descriptors pause_ms=%d", NET_ACCEPT_PAUSE_MS);
	listeners_watch(l, false);
	l->paused_until = net_loop_now(l) + NET_ACCEPT_PAUSE_MS;
}

static void conn_discard(struct net_loop *l, struct net_conn *c)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	slot_release(l, (size_t)(c->id & 0xffff));
	pb_buf_deinit(&c->in);
	pb_buf_deinit(&c->out);
	free(c);
}

static void do_accept(struct net_loop *l, struct net_listener *ls)
{
	struct sockaddr_storage peer, local;
	socklen_t plen = sizeof(peer), llen = sizeof(local);
	int one = 1;

	for (int i = 0; i < 64 && l->paused_until == 0; i++) {
		int fd = accept4(ls->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				out_of_fds(l, ls);
			return;
		}
		struct net_conn *c = conn_new(l, fd);
		if (c == NULL) {
			refuse(l, fd, ls->proto, "no_connection_slot");
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		sockaddr_text(&peer, c->peer, sizeof(c->peer), &c->peer_port);
		getsockname(fd, (struct sockaddr *)&local, &llen);
		sockaddr_text(&local, c->local, sizeof(c->local), NULL);
		c->proto = ls->proto;
		c->events = EPOLLIN;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
		c->session = ls->proto->on_accept(c, ls->ctx);
		if (c->session == NULL) {
			conn_discard(l, c);
			refuse(l, fd, ls->proto, "refused_by_gateway");
		}
		plen = sizeof(peer);
		llen = sizeof(local);
	}
}

/* An emptied buffer past NET_IDLE_BUF octets is given back for a small one: an idle
 * connection holds little (its next read or answer takes a large one again). */
static void buf_trim(struct pb_buf *b)
{
	if (b->len > 0 || b->cap <= NET_IDLE_BUF)
		return;
	pb_buf_deinit(b);
	pb_buf_reserve(b, 0);
	b->data[0] = '\0';
}

static void flush_out(struct net_conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			if (c->closing) /* it still reads: its linger starts again */
				c->deadline = net_loop_now(c->loop) + NET_CLOSE_LINGER_MS;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->want_out = true;
			conn_update(c);
			return;
		}
		mark_dead(c); /* the peer went away */
		return;
	}
	pb_buf_reset(&c->out);
	buf_trim(&c->out);
	c->out_off = 0;
	c->want_out = false;
	if (c->closing && c->flush_then_close)
		mark_dead(c);
	conn_update(c);
	/* the greeting written from on_accept flushes before the session exists */
	if (!c->closing && c->session != NULL && c->proto->on_drain != NULL)
		c->proto->on_drain(c->session, c);
}

static void do_read(struct net_conn *c)
{
	ssize_t n = recv(c->fd, c->loop->scratch, NET_READ_CHUNK, 0);
	if (n > 0) {
		pb_buf_append(&c->in, c->loop->scratch, (size_t)n);
		/* the answers to a batch of pipelined commands go out in one send */
		c->corked = true;
		c->proto->on_input(c->session, c);
		c->corked = false;
		if (!c->dead && !c->want_out && net_conn_output_pending(c) > 0)
			flush_out(c);
		buf_trim(&c->in);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	c->eof = true;
	mark_dead(c);
}

static void dispatch(struct net_loop *l, struct epoll_event *ev)
{
	enum net_kind kind = *(enum net_kind *)ev->data.ptr;

	if (kind == NET_LISTENER) {
		do_accept(l, ev->data.ptr);
	} else if (kind == NET_WATCH) {
		struct net_watch *w = ev->data.ptr;
		w->cb(w->ctx);
	} else {
		struct net_conn *c = ev->data.ptr;
		if (c->dead)
			return;
		if (ev->events & EPOLLOUT)
			flush_out(c);
		if (!c->dead && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			do_read(c);
	}
}

static void check_deadlines(struct net_loop *l, uint64_t now)
{
	for (size_t i = 0; i < l->slots_used; i++) {
		struct net_conn *c = l->conns[i];
		if (c == NULL || c->dead || c->deadline == 0 || c->deadline > now)
			continue;
		c->deadline = 0;
		if (c->closing) { /* its last words were not taken in NET_CLOSE_LINGER_MS */
			mark_dead(c);
			continue;
		}
		if (c->proto->on_timeout != NULL)
			c->proto->on_timeout(c->session, c);
	}
}

static void reap(struct net_loop *l)
{
	if (!l->reap_needed)
		return;
	l->reap_needed = false;
	for (size_t i = 0; i < l->slots_used; i++) {
		if (l->conns[i] != NULL && l->conns[i]->dead)
			conn_free(l, l->conns[i]);
	}
}

size_t net_loop_run_once(struct net_loop *l, int max_wait_ms)
{
	struct epoll_event events[MAX_EVENTS];
	int n = epoll_wait(l->epfd, events, MAX_EVENTS, max_wait_ms);

	for (int i = 0; i < n; i++)
		dispatch(l, &events[i]);
	if (l->paused_until != 0 && net_loop_now(l) >= l->paused_until) {
		l->paused_until = 0;
		listeners_watch(l, true);
	}
	check_deadlines(l, net_loop_now(l));
	reap(l);
	return l->n_conns;
}

struct net_conn *net_loop_find(struct net_loop *l, uint64_t id)
{
	size_t slot = (size_t)(id & 0xffff);
	if (slot >= l->slots_used)
		return NULL; /* an id no connection of this loop ever had */
	struct net_conn *c = l->conns[slot];
	return c != NULL && c->id == id && !c->dead ? c : NULL;
}

size_t net_loop_conn_count(struct net_loop *l)
{
	return l->n_conns;
}

size_t net_loop_each_busy(struct net_loop *l, bool (*busy)(void *session))
{
	size_t n = 0;
	for (size_t i = 0; i < l->slots_used; i++) {
		struct net_conn *c = l->conns[i];
		if (c != NULL && !c->dead && busy != NULL && busy(c->session))
			n++;
	}
	return n;
}

void net_loop_each_shutdown(struct net_loop *l, void (*goodbye)(void *session, struct net_conn *c))
{
	for (size_t i = 0; i < l->slots_used; i++) {
		struct net_conn *c = l->conns[i];
		if (c == NULL || c->dead)
			continue;
		if (goodbye != NULL)
			goodbye(c->session, c);
		net_conn_close(c, true);
	}
}

uint64_t net_conn_id(struct net_conn *c)
{
	return c->id;
}

void *net_conn_session(struct net_conn *c)
{
	return c->session;
}

struct pb_buf *net_conn_input(struct net_conn *c)
{
	return &c->in;
}

void net_conn_write(struct net_conn *c, const void *data, size_t len)
{
	if (c->dead || (c->closing && !c->flush_then_close))
		return;
	pb_buf_append(&c->out, data, len);
	if (c->want_out)
		conn_update(c); /* the peer reads nothing now: past NET_OUT_HIGH, stop reading it */
	else if (!c->corked)
		flush_out(c);
}

void net_conn_write_str(struct net_conn *c, const char *s)
{
	net_conn_write(c, s, strlen(s));
}

size_t net_conn_output_pending(struct net_conn *c)
{
	return c->out.len - c->out_off;
}

void net_conn_pause(struct net_conn *c)
{
	c->paused = true;
	conn_update(c);
}

void net_conn_resume(struct net_conn *c)
{
	c->paused = false;
	conn_update(c);
}

void net_conn_set_deadline(struct net_conn *c, uint64_t at_ms)
{
	if (c->closing)
		return; /* a closing connection's deadline is its linger */
	c->deadline = at_ms;
}

void net_conn_close(struct net_conn *c, bool flush)
{
	c->closing = true;
	c->flush_then_close = flush;
	if (!flush || net_conn_output_pending(c) == 0) {
		mark_dead(c);
	} else {
		c->deadline = net_loop_now(c->loop) + NET_CLOSE_LINGER_MS;
		conn_update(c);
	}
}

const char *net_conn_peer(struct net_conn *c)
{
	return c->peer;
}

uint16_t net_conn_peer_port(struct net_conn *c)
{
	return c->peer_port;
}

const char *net_conn_local(struct net_conn *c)
{
	return c->local;
}
