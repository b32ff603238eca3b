/*
 * web-session.h: what the web gateway's files share (web-session.c: the connection and its
 * requests; web-server.c: start, stop and the settings). Nobody outside web/ includes it.
 * OWNS: the types. THREAD: the web hub's.
 */
#ifndef WEB_SESSION_H
#define WEB_SESSION_H

#include "gw-session.h"
#include "http-request.h"
#include "web-assets.h"

#include <stdbool.h>
#include <stdint.h>

/* A body larger than this is written a piece at a time as the client reads. */
#define WEB_WRITE_CHUNK (64u * 1024)

/* What the hub's tick copies from the settings (web.*, limits.*). */
struct web_server {
	const struct web_assets *assets; /* read-only, outlives the hub */
	bool redirect_https;             /* a real certificate: clear requests go to https:// */
	struct http_limits limits;
	uint32_t request_timeout_ms, keepalive_timeout_ms;
};

extern const struct gw_proto web_proto;

#endif
