/*
 * bench-net.h: what the mail load generators share — a blocking TCP connection with a buffered
 * line reader, and the user/password pattern expansion. libc only (the generators link no
 * project library, so they run against any server).
 * OWNS: one struct bench_conn per client thread. THREAD: the owner's.
 */
#ifndef BENCH_NET_H
#define BENCH_NET_H

#include <stddef.h>

#define BENCH_IO_TIMEOUT_S 120

struct bench_conn {
	int fd;
	size_t start, end;
	char buf[65536];
};

/* Expands "%d" / "%0Nd" (N one digit) with idx and "%%" to '%' into out (truncated). */
void bench_expand_pattern(const char *pat, long idx, char *out, size_t size);
/* Connects (TCP_NODELAY, I/O timeouts). Returns 0, or -1 with error_r. */
int bench_conn_open(struct bench_conn *c, const char *host, const char *port,
		    const char **error_r);
void bench_conn_close(struct bench_conn *c);
/* Sends all len bytes. Returns 0, or -1 when the peer is gone. */
int bench_send_all(struct bench_conn *c, const char *data, size_t len);
/* Seconds on the monotonic clock. */
double bench_now_s(void);
/* Reads one line (without CRLF) into line; returns its length, or -1 on EOF, error or a line
 * longer than size - 1. */
int bench_conn_read_line(struct bench_conn *c, char *line, size_t size);
/* Reads and discards n octets (an IMAP literal). Returns 0, or -1 on EOF or error. */
int bench_conn_skip(struct bench_conn *c, size_t n);

#endif
