/*
 * web-server.h: the web gateway (port 5108; the "http" bindings): HTTP/1.1 with keep-alive
 * and pipelining behind one gateway hub, serving the static pages (web-assets.h). The REST API,
 * the admin pages and webmail (issue 15) are routed from here as they land.
 * OWNS: the hub and the static table. THREAD: start/stop on the main thread; sessions on the
 * hub's.
 */
#ifndef WEB_SERVER_H
#define WEB_SERVER_H

#include "pb-config.h"
#include "pb-runtime.h"

struct pb_settings;
struct pb_tls_current;
struct web_gateway;

/* Reads the static pages (settings' web.root, else the installed copy, else the source
 * tree's: a missing directory serves 404s, with a warning), binds cfg's http listeners and
 * starts the gateway. tls: when not NULL the listeners speak HTTPS (TLS from the accept), and
 * must outlive the gateway. error_r: allocated, names the binding that failed; the caller
 * frees it. 0 / -1. */
int web_server_start(struct pb_runtime *rt, const struct pb_config *cfg,
		     const struct pb_settings *s, struct pb_tls_current *tls,
		     struct web_gateway **web_r, char **error_r);
/* Stops the hub (sessions told goodbye) and frees the pages; sets *web NULL. NULL allowed. */
void web_server_stop(struct web_gateway **web);

#endif
