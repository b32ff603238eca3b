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
}

#endif
