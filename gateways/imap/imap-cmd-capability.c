/*
 * imap-cmd-capability.c: CAPABILITY (RFC 3501 6.1.1) and the list the greeting and a login's
 * OK carry. What is listed is what this session can do now: STARTTLS and AUTH= only before
 * login, STARTTLS only where TLS is offered and not begun, the plaintext mechanisms only where
 * a password may travel (else LOGINDISABLED, RFC 3501 6.2.3).
 * OWNS nothing. THREAD: the hub's.
 */
#include "imap-session-int.h"

void imap_capabilities(const struct imap_session *s, struct pb_buf *out)
{
	pb_buf_append_str(out, "IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE IDLE UNSELECT NAMESPACE");
	pb_buf_append_str(out, " ESEARCH SEARCHRES CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE");
	pb_buf_append_str(out, " CREATE-SPECIAL-USE STATUS=SIZE");
	pb_buf_append_str(out, " UTF8=ACCEPT QUOTA QUOTA=RES-STORAGE");
	if (!gw_compress_active(s->gs))
		pb_buf_append_str(out, " COMPRESS=DEFLATE");
	pb_buf_append_str(out, " UIDPLUS MOVE MULTIAPPEND CONDSTORE QRESYNC BINARY");
	pb_buf_append_str(out, " SORT ESORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES");
	if (s->srv->max_append != 0)
		pb_buf_printf(out, " APPENDLIMIT=%llu", (unsigned long long)s->srv->max_append);
	if (s->state != IMAP_ST_NOT_AUTH)
		return;
	if (gw_tls_offered(s->gs))
		pb_buf_append_str(out, " STARTTLS");
	pb_buf_append_str(out, " AUTH=");
	gw_login_mechs(&s->login, s->srv->allow_plaintext_auth, " AUTH=", out);
	if (!imap_plaintext_ok(s))
		pb_buf_append_str(out, " LOGINDISABLED");
}

void imap_do_capability(void *session, const void *cmd)
{
	struct imap_session *s = session;
	struct pb_buf caps;

	pb_buf_init(&caps);
	imap_capabilities(s, &caps);
	pb_buf_append_c(&caps, '\0');
	imap_untagged(s, "CAPABILITY %s", caps.data);
	pb_buf_deinit(&caps);
	imap_tagged(s, "OK Capability completed.");
}
