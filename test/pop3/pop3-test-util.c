/*
 * pop3-test-util.c: command rendering and the session model of the POP3 protocol tests.
 * OWNS nothing global. THREAD: any.
 */
#include "pop3-test-util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void pop3_test_escape(struct pb_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r')
			pb_buf_append_str(out, "\\r");
		else if (c == '\n')
			pb_buf_append_str(out, "\\n");
		else if (c == '\t')
			pb_buf_append_str(out, "\\t");
		else if (c == '"' || c == '\\')
			pb_buf_printf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			pb_buf_printf(out, "\\x%02x", c);
		else
			pb_buf_append_c(out, (char)c);
	}
}

static void field(struct pb_buf *out, const char *name, const char *value)
{
	if (value == NULL)
		return;
	pb_buf_printf(out, " %s=\"", name);
	pop3_test_escape(out, value, strlen(value));
	pb_buf_append_c(out, '"');
}

void pop3_test_render_cmd(struct pb_buf *out, int ret, const struct pop3_cmd *cmd)
{
	if (ret < 0) {
		pb_buf_append_str(out, "ERR \"");
		pop3_test_escape(out, cmd->error, strlen(cmd->error));
		pb_buf_printf(out, "\" verb=%s\n", pop3_verb_name(cmd->verb));
		return;
	}
	pb_buf_printf(out, "CMD %s", pop3_verb_name(cmd->verb));
	field(out, "arg", cmd->arg);
	field(out, "arg2", cmd->arg2);
	if (cmd->has_msg)
		pb_buf_printf(out, " msg=%" PRIu32, cmd->msg);
	if (cmd->verb == POP3_VERB_TOP)
		pb_buf_printf(out, " lines=%" PRIu32, cmd->lines);
	pb_buf_append_c(out, '\n');
}

/* Parses every complete line buffered; auth is true while a SASL line is expected. */
static void model_drain(struct pop3_parser *p, bool *auth, struct pb_buf *out)
{
	struct pop3_cmd cmd;
	const char *line;
	size_t len;
	int ret;

	for (;;) {
		if (*auth) {
			ret = pop3_parser_next_line(p, &line, &len);
			if (ret == 0)
				return;
			pb_buf_append_str(out, ret < 0 ? "AUTHLINE too-long\n" : "AUTHLINE \"");
			if (ret > 0) {
				pop3_test_escape(out, line, len);
				pb_buf_append_str(out, "\"\n");
			}
			*auth = false;
			continue;
		}
		ret = pop3_parser_next(p, &cmd);
		if (ret == 0)
			return;
		pop3_test_render_cmd(out, ret, &cmd);
		*auth = ret > 0 && cmd.verb == POP3_VERB_AUTH && cmd.arg != NULL && cmd.arg2 == NULL;
	}
}

void pop3_test_transcript(const char *in, size_t len, pop3_test_chunker *chunker, void *ctx,
			  struct pb_buf *out)
{
	struct pop3_parser *p = pop3_parser_create();
	bool auth = false;
	const void *pending;
	size_t plen;

	for (size_t pos = 0, i = 1; pos < len; i++) {
		size_t n = chunker != NULL ? chunker(i, ctx) : len;
		if (n == 0)
			n = 1;
		if (n > len - pos)
			n = len - pos;
		if (pop3_parser_feed(p, in + pos, n) < 0) {
			pb_buf_append_str(out, "FEED full\n");
			break;
		}
		pos += n;
		model_drain(p, &auth, out);
	}
	pop3_parser_pending(p, &pending, &plen);
	pb_buf_printf(out, "EOF%s pending=%zu\n", auth ? " auth" : "", plen);
	pop3_parser_destroy(&p);
}
