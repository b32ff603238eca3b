/*
 * imap-cmd-compress.c: COMPRESS DEFLATE (RFC 4978). The tagged OK goes out uncompressed, then
 * every byte either way is raw DEFLATE (gw_compress_begin: a transport layer of the session
 * skeleton, under TLS when TLS is on; its memory per session is bounded, gw-zip.h).
 * A second COMPRESS is NO [COMPRESSIONACTIVE]. A client that pipelined more after the command
 * is refused (the bytes it sent could be read neither way with certainty) and its pipelined
 * commands run uncompressed.
 * OWNS nothing. THREAD: the hub's.
 */
#include "imap-session-int.h"

#include <stdio.h>
#include <string.h>

const char *imap_check_compress(const void *session, const void *cmdp)
{
	const struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	const void *data;
	size_t len;

	if (gw_compress_active(s->gs))
		return "NO [COMPRESSIONACTIVE] DEFLATE active via COMPRESS";
	if (strcmp(cmd->u.compress.mech, "DEFLATE") != 0)
		return "BAD Unknown compression mechanism";
	imap_parser_pending(s->parser, &data, &len);
	return len == 0 ? NULL : "BAD Nothing may be pipelined after COMPRESS";
}

void imap_do_compress(void *session, const void *cmd)
{
	struct imap_session *s = session;
	char reply[IMAP_TAG_MAX + 64];
	const char *error;

	snprintf(reply, sizeof(reply), "%s OK DEFLATE active\r\n", s->tag);
	if (gw_compress_begin(s->gs, reply, &error) < 0)
		imap_tagged(s, "NO [COMPRESSIONACTIVE] %s", error);
}
