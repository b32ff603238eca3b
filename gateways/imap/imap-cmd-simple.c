/*
 * imap-cmd-simple.c: the commands that need no actor — NOOP (RFC 3501 6.1.2), LOGOUT (6.1.3),
 * ID (RFC 2971: the server's name and version), ENABLE (RFC 5161: UTF8=ACCEPT, RFC 6855, is the
 * one extension that needs enabling; "* ENABLED" lists what this command enabled, unknown
 * names are ignored; IMAP4rev2, RFC 9051, makes the session answer as IMAP4rev2: ESEARCH for
 * SEARCH, no RECENT, LIST at SELECT, \NonExistent, UTF-8 mailbox names) and NAMESPACE (RFC 2342: one personal namespace, "" with "/" as separator).
 * OWNS nothing. THREAD: the hub's.
 */
#include "imap-session-int.h"
#include "imap-view.h"

#include "pillarbox-paths.h"

#include <string.h>
#include <strings.h>

void imap_do_noop(void *session, const void *cmd)
{
	imap_tagged(session, "OK NOOP completed.");
}

void imap_do_logout(void *session, const void *cmd)
{
	struct imap_session *s = session;

	imap_untagged(s, "BYE Logging out");
	imap_tagged(s, "OK Logout completed.");
	s->closing = true;
	s->state = IMAP_ST_LOGOUT;
	gw_close(s->gs, true);
}

void imap_do_id(void *session, const void *cmd)
{
	imap_untagged(session, "ID (\"name\" \"Pillarbox\" \"version\" \"%s\" \"vendor\" \"Pillarbox\")",
		      PILLARBOX_VERSION);
	imap_tagged(session, "OK ID completed.");
}

/* RFC 5161 3.1: only in the authenticated state, before a mailbox is selected. */
const char *imap_check_enable(const void *session, const void *cmd)
{
	const struct imap_session *s = session;
	return s->state == IMAP_ST_AUTH ? NULL : "BAD ENABLE is not permitted in the selected state";
}

void imap_do_enable(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	bool utf8 = false, rev2 = false;
	struct pb_buf on;

	pb_buf_init(&on);
	for (unsigned i = 0; i < cmd->u.enable.n; i++) {
		utf8 |= strcmp(cmd->u.enable.caps[i], "UTF8=ACCEPT") == 0;
		rev2 |= strcasecmp(cmd->u.enable.caps[i], "IMAP4rev2") == 0;
		if (imap_condstore_enable(s, cmd->u.enable.caps[i])) /* imap-condstore.c */
			pb_buf_printf(&on, " %s", cmd->u.enable.caps[i]);
	}
	if (rev2 && !s->rev2)
		pb_buf_append_str(&on, " IMAP4rev2");
	pb_buf_append_c(&on, '\0');
	imap_untagged(s, "ENABLED%s%s", utf8 && !s->utf8_accept ? " UTF8=ACCEPT" : "",
		      (const char *)on.data);
	pb_buf_deinit(&on);
	s->utf8_accept |= utf8 || rev2; /* RFC 9051 5.1: IMAP4rev2 names mailboxes in UTF-8 */
	s->rev2 |= rev2;
	imap_tagged(session, "OK Enabled.");
}

void imap_do_namespace(void *session, const void *cmd)
{
	imap_untagged(session, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_tagged(session, "OK Namespace completed.");
}
