/*
 * monitor-link.h: pillarbox-monitor's connection to a status server (docs/status-protocol.md):
 * connect, TLS (implicit, or STARTTLS after the greeting) through pb_conn and the TLS engine,
 * login (password or API key), then JSON lines both ways. monitor_link_open blocks (each step
 * has a deadline); an event loop instead starts the connect (monitor_link_start), polls
 * monitor_link_fd for POLLOUT until monitor_link_connected says it is over (its own deadline:
 * a black-holed address never answers), then logs in (monitor_link_login: TLS, the greeting
 * and the login, each with a deadline, on a server that answers). After it the caller polls
 * monitor_link_fd and takes what arrived without waiting.
 * Bounds: a line from the server longer than MONITOR_LINE_MAX is refused (the link fails).
 * OWNS: the connection and its line buffer. THREAD: the caller's.
 */
#ifndef MONITOR_LINK_H
#define MONITOR_LINK_H

#include "monitor-conf.h"

#include <stddef.h>

#define MONITOR_LINE_MAX (4 * 1024 * 1024)
#define MONITOR_TIMEOUT_MS 10000

struct monitor_link;
struct cJSON;

/* Why opening failed, for the screen: each class is shown with its own words. */
enum monitor_fail { MONITOR_FAIL_CONNECT, MONITOR_FAIL_TLS, MONITOR_FAIL_LOGIN, MONITOR_FAIL_PROTOCOL };

/* Connects to srv and logs in with its password or the key read from its api_key_file.
 * Returns 0 with *link_r and *login_r (the login reply; the caller cJSON_Deletes it), or -1
 * with *fail_r and *error_r in errbuf (size bytes). */
int monitor_link_open(const struct monitor_server *srv, struct monitor_link **link_r,
		      struct cJSON **login_r, enum monitor_fail *fail_r, char *errbuf, size_t size,
		      const char **error_r);
/* The steps of monitor_link_open for an event loop: starts connecting to srv (0 with *link_r,
 * -1: the name does not resolve, no address could be tried; error_r in errbuf). */
int monitor_link_start(const struct monitor_server *srv, struct monitor_link **link_r,
		       char *errbuf, size_t size, const char **error_r);
/* Never waits: 1 connected, 0 not yet (poll monitor_link_fd for POLLOUT: it may change), -1
 * failed (error_r in errbuf; close the link). */
int monitor_link_connected(struct monitor_link *link, char *errbuf, size_t size,
			   const char **error_r);
/* On a connected link: TLS (implicit), the greeting (STARTTLS), the login, as
 * monitor_link_open. 0 with *login_r, -1 with *fail_r and error_r in errbuf (close the link). */
int monitor_link_login(struct monitor_link *link, const struct monitor_server *srv,
		       struct cJSON **login_r, enum monitor_fail *fail_r, char *errbuf,
		       size_t size, const char **error_r);
/* Closes and frees; *link set NULL. NULL-safe. */
void monitor_link_close(struct monitor_link **link);
/* The socket to poll for input. */
int monitor_link_fd(const struct monitor_link *link);
/* The TLS protocol in use, "" without. */
const char *monitor_link_tls(const struct monitor_link *link);

/* Sends request object o (borrowed) with a new id; returns the id (> 0), or -1 with error_r. */
int monitor_link_request(struct monitor_link *link, struct cJSON *o, const char **error_r);
/* The next object from the server within timeout_ms (0: only what has arrived). Returns 1 with
 * *o_r (the caller deletes it), 0 nothing yet, -1 with error_r (closed, a line too long, not
 * JSON). */
int monitor_link_next(struct monitor_link *link, uint32_t timeout_ms, struct cJSON **o_r,
		      const char **error_r);
/* The reply to request id (events before it are kept for monitor_link_next) within
 * timeout_ms: 1 with *o_r, -1 with error_r. */
int monitor_link_wait(struct monitor_link *link, int id, uint32_t timeout_ms, struct cJSON **o_r,
		      const char **error_r);

#endif
