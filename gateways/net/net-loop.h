/*
 * net-loop.h: one gateway thread's event loop (epoll): its listeners, its client connections
 * with buffered input and output, idle deadlines, and extra descriptors (the hub's inbox).
 *
 * A protocol plugs in with a struct net_proto: on_accept creates a session for a new
 * connection, on_input is called when bytes were added to the connection's input buffer,
 * on_timeout when its deadline passes, on_close when it goes away (the session frees itself
 * there). Sessions are addressed by a 64-bit id (slot + generation) so a late reply for a closed
 * connection finds nothing instead of a reused slot.
 *
 * Output: net_conn_write sends at once, except from on_input: what a session writes while it
 * handles one read (the answers to pipelined commands) is sent together when on_input returns
 * (one send, one on_drain), so output_pending counts it meanwhile.
 *
 * Flow control: a session pauses reading while it waits for an actor's reply, so input never
 * piles up unbounded; output above NET_OUT_HIGH pauses reading too until it drains.
 *
 * Out of descriptors (EMFILE/ENFILE): the loop keeps one spare descriptor; when accept fails
 * for lack of one, it frees the spare, accepts, sends the protocol's busy line, closes, and
 * takes the spare back — so the refused client hears why and the listener does not spin. If
 * the spare cannot be had either, the listeners pause for NET_ACCEPT_PAUSE_MS.
 *
 * OWNS: the epoll fd, the listeners and every struct net_conn. THREAD: the loop's thread only.
 */
#ifndef NET_LOOP_H
#define NET_LOOP_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define NET_READ_CHUNK 65536
/* A connection's input or output buffer, once emptied, is cut back to a small one past this
 * (reads take NET_READ_CHUNK: 10,000 idle connections would hold 640 MB). */
#define NET_IDLE_BUF 4096
#define NET_OUT_HIGH (1024 * 1024)
/* The most connections one loop can address: an id holds the slot in 16 bits. The slot table
 * starts at NET_INITIAL_CONNS and doubles as connections come (what a gateway really admits is
 * its setting, limits.*_max_connections, under the descriptor limit: gw-hub.h). */
#define NET_MAX_CONNS 65536
#define NET_INITIAL_CONNS 256
#define NET_ACCEPT_PAUSE_MS 200
/* How long a connection closed after its last words (net_conn_close with flush) waits for the
 * peer to take them, counted from the last octet it took: a peer that reads nothing (a zero
 * window held open) would otherwise keep the descriptor and its connection slot forever. */
#define NET_CLOSE_LINGER_MS 20000

struct net_loop;
struct net_conn;

struct net_proto {
	/* A connection was accepted on a listener of this protocol. Returns the session, or NULL
	 * to refuse (the connection is closed). listen_ctx is what net_loop_listen was given. */
	void *(*on_accept)(struct net_conn *c, void *listen_ctx);
	/* New bytes are in net_conn_input(c). */
	void (*on_input)(void *session, struct net_conn *c);
	/* The deadline set with net_conn_set_deadline passed. */
	void (*on_timeout)(void *session, struct net_conn *c);
	/* The connection is gone (peer closed, error, or net_conn_close finished): free. */
	void (*on_close)(void *session, struct net_conn *c);
	/* Optional: output drained below the high-water mark (a streaming writer may go on). */
	void (*on_drain)(void *session, struct net_conn *c);
	/* The line (CRLF included) a connection hears when it is refused at accept: no slot, no
	 * descriptor left, or on_accept returned NULL ("421 4.7.0 ...", "-ERR [SYS/TEMP] ...").
	 * busy_len: its length when it is bytes that may hold a NUL (a TLS alert); 0: strlen. */
	const char *busy;
	size_t busy_len;
};

/* Creates a loop whose time source is now_ms (monotonic). */
struct net_loop *net_loop_create(uint64_t (*now_ms)(void *), void *clock_ctx);
/* Closes every connection (on_close runs) and listener; sets *l NULL. */
void net_loop_destroy(struct net_loop **l);
/* Listens on host:port ("*" for any; IPv4 or IPv6 numeric). Returns 0, or -1 with error_r
 * (static text naming the failure; the caller names the binding). */
int net_loop_listen(struct net_loop *l, const char *host, uint16_t port,
		    const struct net_proto *proto, void *listen_ctx, const char **error_r);
/* Stops accepting on every listener (graceful shutdown: in-flight sessions go on). */
void net_loop_stop_listening(struct net_loop *l);
/* Whether the listeners accept now (false while paused out of descriptors, or stopped). */
bool net_loop_accepting(const struct net_loop *l);
/* Watches fd for readability; cb runs on the loop thread. */
void net_loop_watch(struct net_loop *l, int fd, void (*cb)(void *ctx), void *ctx);
/* Runs one round: waits at most max_wait_ms for events, dispatches them and the deadlines.
 * Returns the number of live connections. */
size_t net_loop_run_once(struct net_loop *l, int max_wait_ms);
uint64_t net_loop_now(struct net_loop *l);
/* Finds a live connection by id; NULL if it closed since. */
struct net_conn *net_loop_find(struct net_loop *l, uint64_t id);
size_t net_loop_conn_count(struct net_loop *l);

/* Counts the live sessions for which busy(session) is true. */
size_t net_loop_each_busy(struct net_loop *l, bool (*busy)(void *session));
/* Calls goodbye(session, c) for every live connection, then closes each after its output. */
void net_loop_each_shutdown(struct net_loop *l, void (*goodbye)(void *session, struct net_conn *c));

uint64_t net_conn_id(struct net_conn *c);
void *net_conn_session(struct net_conn *c);
/* The input bytes not yet consumed by the session. */
struct pb_buf *net_conn_input(struct net_conn *c);
/* Queues bytes for the peer (copied) and tries to send at once. */
void net_conn_write(struct net_conn *c, const void *data, size_t len);
void net_conn_write_str(struct net_conn *c, const char *s);
size_t net_conn_output_pending(struct net_conn *c);
/* Stops / resumes reading from the peer. */
void net_conn_pause(struct net_conn *c);
void net_conn_resume(struct net_conn *c);
/* Arms the deadline (absolute, loop clock); 0 disarms. Ignored once the connection closes. */
void net_conn_set_deadline(struct net_conn *c, uint64_t at_ms);
/* Closes after the queued output is sent (or at once if flush is false); a peer that takes
 * none of it for NET_CLOSE_LINGER_MS is dropped all the same. on_close follows. */
void net_conn_close(struct net_conn *c, bool flush);
/* The peer's address as text ("127.0.0.1"), and port. */
const char *net_conn_peer(struct net_conn *c);
uint16_t net_conn_peer_port(struct net_conn *c);
/* The local address the peer connected to (text). */
const char *net_conn_local(struct net_conn *c);

#endif
