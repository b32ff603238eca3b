/*
 * imap-cmd-starttls.c: STARTTLS (RFC 3501 6.2.1, RFC 2595): the OK goes out in clear, then
 * every byte is TLS. What the client pipelined after the command was sent in clear and is
 * dropped (CVE-2011-0411), the parser's buffered bytes here and the connection's in
 * gw_starttls. After the handshake the client asks CAPABILITY again (RFC 3501 6.2.1).
 * OWNS nothing. THREAD: the hub's.
 */
#include "imap-session-int.h"

#include <stdio.h>

const char *imap_check_starttls(const void *session, const void *cmd)
{
	const struct imap_session *s = session;

	if (gw_tls_active(s->gs))
		return "BAD TLS is already active";
	return gw_tls_offered(s->gs) ? NULL : "BAD STARTTLS is not available on this server";
}

void imap_do_starttls(void *session, const void *cmd)
{
	struct imap_session *s = session;
	char reply[IMAP_TAG_MAX + 64];
	const char *error;

	imap_parser_discard_pending(s->parser);
	snprintf(reply, sizeof(reply), "%s OK Begin TLS negotiation now.\r\n", s->tag);
	if (gw_starttls(s->gs, reply, &error) < 0)
		imap_tagged(s, "NO [UNAVAILABLE] %s", error);
}
