/*
 * smtp-session-test.h: what the SMTP session tests share (header-only): a server with the
 * default settings, named mx.test. THREAD: the test's.
 */
#ifndef SMTP_SESSION_TEST_H
#define SMTP_SESSION_TEST_H

#include "pb-settings.h"
#include "smtp-session.h"

#include <stdio.h>
#include <string.h>

static inline void server_init(struct smtp_server *srv)
{
	memset(srv, 0, sizeof(*srv));
	snprintf(srv->hostname, sizeof(srv->hostname), "mx.test");
	struct pb_settings all;
	pb_settings_defaults(&all);
	srv->settings = all.smtp;
	smtp_server_init_ports(srv);
}

/* What gw_fake_open gives smtp_proto: the port-25 listener's, or submission's. */
static inline struct smtp_port *mx_port(struct smtp_server *srv)
{
	return &srv->ports[SMTP_PORT_MX];
}

#endif
