/*
 * smtp-test-util.c: command rendering and the session model of the SMTP protocol tests.
 * OWNS nothing global. THREAD: any.
 */
#include "smtp-test-util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void smtp_test_escape(struct pb_buf *out, const char *s, size_t len)
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
	smtp_test_escape(out, value, strlen(value));
	pb_buf_append_c(out, '"');
}

static const char *const kind_names[] = {
	"OK",	 "LINE_TOO_LONG", "BAD_CHAR",  "EMPTY",	      "UNKNOWN_COMMAND",
	"FORBIDDEN_COMMAND", "SYNTAX", "BAD_ADDRESS", "BAD_PARAM", "UNSUPPORTED_PARAM",
	"BAD_BASE64",
};
static const char *const body_names[] = {"", "7BIT", "8BITMIME", "BINARYMIME"};
static const char *const ret_names[] = {"", "FULL", "HDRS"};

static void render_path(struct pb_buf *out, const struct smtp_cmd *cmd)
{
	field(out, "path", cmd->path);
	if (cmd->path[0] != '\0') {
		field(out, "local", cmd->addr.local);
		field(out, "domain", cmd->addr.domain);
	}
	if (cmd->addr.needs_quotes)
		pb_buf_append_str(out, " quoted");
	if (cmd->path_bare)
		pb_buf_append_str(out, " bare");
	if (cmd->path_utf8)
		pb_buf_append_str(out, " utf8");
	if (cmd->has_size)
		pb_buf_printf(out, " size=%" PRIu64, cmd->size);
	if (cmd->body != SMTP_BODY_NONE)
		pb_buf_printf(out, " body=%s", body_names[cmd->body]);
	if (cmd->smtputf8)
		pb_buf_append_str(out, " smtputf8");
	field(out, "auth", cmd->auth);
	if (cmd->ret != SMTP_RET_NONE)
		pb_buf_printf(out, " ret=%s", ret_names[cmd->ret]);
	field(out, "envid", cmd->envid);
	if (cmd->notify != 0)
		pb_buf_printf(out, " notify=%s%s%s%s",
			      cmd->notify & SMTP_NOTIFY_NEVER ? "N" : "",
			      cmd->notify & SMTP_NOTIFY_SUCCESS ? "S" : "",
			      cmd->notify & SMTP_NOTIFY_FAILURE ? "F" : "",
			      cmd->notify & SMTP_NOTIFY_DELAY ? "D" : "");
	field(out, "orcpt", cmd->orcpt);
}

void smtp_test_render_cmd(struct pb_buf *out, int ret, const struct smtp_cmd *cmd)
{
	if (ret < 0) {
		pb_buf_printf(out, "ERR %d %s \"", cmd->error.code,
			      cmd->error.enhanced != NULL ? cmd->error.enhanced : "-");
		smtp_test_escape(out, cmd->error.text, strlen(cmd->error.text));
		pb_buf_printf(out, "\" kind=%s verb=%s%s\n", kind_names[cmd->error_kind],
			      smtp_verb_name(cmd->verb), cmd->error.close ? " close" : "");
		return;
	}
	pb_buf_printf(out, "CMD %s", smtp_verb_name(cmd->verb));
	switch (cmd->verb) {
	case SMTP_VERB_EHLO:
	case SMTP_VERB_HELO:
		field(out, "arg", cmd->arg);
		pb_buf_append_str(out, cmd->arg_is_domain ? " domain" : " not-domain");
		break;
	case SMTP_VERB_MAIL:
	case SMTP_VERB_RCPT:
		render_path(out, cmd);
		break;
	case SMTP_VERB_BDAT:
		pb_buf_printf(out, " size=%" PRIu64 "%s", cmd->chunk_size, cmd->last ? " last" : "");
		break;
	case SMTP_VERB_AUTH:
		field(out, "mech", cmd->mechanism);
		field(out, "ir", cmd->initial_response);
		break;
	default:
		if (cmd->arg[0] != '\0')
			field(out, "arg", cmd->arg);
		break;
	}
	pb_buf_append_c(out, '\n');
}

/* ---- Session model --------------------------------------------------------------------- */

enum model_mode { MODE_COMMAND, MODE_DATA, MODE_BDAT, MODE_AUTH };

struct model {
	struct smtp_parser *parser;
	enum model_mode mode;
	struct smtp_data data;
	struct smtp_bdat bdat;
	bool in_bdat_message;
	struct smtp_body_policy policy;
	struct pb_buf body;
	struct pb_buf *out;
};

static void render_body(struct model *m, enum smtp_data_status st, uint64_t size)
{
	struct smtp_reply r;
	char text[128];

	pb_buf_printf(m->out, "BODY status=%s size=%" PRIu64, smtp_data_status_name(st), size);
	if (st != SMTP_DATA_OK) {
		smtp_data_reply(st, &m->policy, &r, text, sizeof(text));
		pb_buf_printf(m->out, " reply=\"%d %s %s\"", r.code, r.enhanced, r.text);
	}
	pb_buf_append_str(m->out, " out=\"");
	smtp_test_escape(m->out, m->body.data != NULL ? m->body.data : "", m->body.len);
	pb_buf_append_str(m->out, "\"\n");
	pb_buf_reset(&m->body);
}

/* Gives data to the current content reader; returns the bytes it used. */
static size_t model_content(struct model *m, const char *data, size_t len)
{
	size_t used;

	if (m->mode == MODE_DATA) {
		if (smtp_data_feed(&m->data, data, len, &m->body, &used) == 1) {
			render_body(m, smtp_data_status(&m->data), smtp_data_size(&m->data));
			m->mode = MODE_COMMAND;
		}
		return used;
	}
	if (smtp_bdat_feed(&m->bdat, data, len, &m->body, &used) == 1) {
		pb_buf_printf(m->out, "CHUNK done status=%s\n",
			      smtp_data_status_name(smtp_bdat_status(&m->bdat)));
		if (m->bdat.last) {
			render_body(m, smtp_bdat_status(&m->bdat), m->bdat.check.size);
			m->in_bdat_message = false;
		}
		m->mode = MODE_COMMAND;
	}
	return used;
}

/* After a command that switches modes, hands the parser's pending bytes to the reader. */
static void model_switch(struct model *m, const struct smtp_cmd *cmd)
{
	if (cmd->verb == SMTP_VERB_DATA) {
		smtp_data_init(&m->data, &m->policy);
		m->mode = MODE_DATA;
	} else if (cmd->verb == SMTP_VERB_BDAT) {
		if (!m->in_bdat_message)
			smtp_bdat_init(&m->bdat, &m->policy, false);
		m->in_bdat_message = true;
		smtp_bdat_chunk(&m->bdat, cmd->chunk_size, cmd->last);
		m->mode = MODE_BDAT;
	} else if (cmd->verb == SMTP_VERB_AUTH && cmd->initial_response == NULL) {
		m->mode = MODE_AUTH;
		return;
	} else {
		return;
	}
	const void *pending;
	size_t plen;
	smtp_parser_pending(m->parser, &pending, &plen);
	smtp_parser_consume(m->parser, model_content(m, pending, plen));
}

/* Parses every complete line buffered in the parser. */
static void model_drain(struct model *m)
{
	struct smtp_cmd cmd;
	const char *line;
	size_t len;
	int ret;

	for (;;) {
		if (m->mode == MODE_AUTH) {
			ret = smtp_parser_next_line(m->parser, &line, &len);
			if (ret == 0)
				return;
			pb_buf_append_str(m->out, ret < 0 ? "AUTHLINE too-long" : "AUTHLINE \"");
			if (ret > 0) {
				smtp_test_escape(m->out, line, len);
				pb_buf_append_c(m->out, '"');
			}
			pb_buf_append_c(m->out, '\n');
			m->mode = MODE_COMMAND;
			continue;
		}
		if (m->mode != MODE_COMMAND)
			return;
		ret = smtp_parser_next(m->parser, &cmd);
		if (ret == 0)
			return;
		smtp_test_render_cmd(m->out, ret, &cmd);
		if (ret > 0)
			model_switch(m, &cmd);
	}
}

/* One read from the "socket". */
static void model_read(struct model *m, const char *data, size_t len)
{
	while (len > 0) {
		if (m->mode == MODE_DATA || m->mode == MODE_BDAT) {
			size_t used = model_content(m, data, len);
			data += used;
			len -= used;
			continue;
		}
		if (smtp_parser_feed(m->parser, data, len) < 0) {
			pb_buf_append_str(m->out, "FEED full\n");
			return;
		}
		len = 0;
		model_drain(m);
	}
	model_drain(m);
}

struct smtp_body_policy smtp_test_strict(uint64_t max_size)
{
	return (struct smtp_body_policy){ max_size, SMTP_DATA_LINE_MAX, false };
}

struct smtp_body_policy smtp_test_normalize(uint64_t max_size, uint64_t max_line)
{
	return (struct smtp_body_policy){ max_size, max_line, true };
}

void smtp_test_transcript(const char *in, size_t len, uint64_t max_size,
				 smtp_test_chunker *chunker, void *ctx, struct pb_buf *out)
{
	struct smtp_body_policy p = smtp_test_strict(max_size);

	smtp_test_transcript_policy(in, len, &p, chunker, ctx, out);
}

void smtp_test_transcript_policy(const char *in, size_t len, const struct smtp_body_policy *p,
				 smtp_test_chunker *chunker, void *ctx, struct pb_buf *out)
{
	static const char *const mode_names[] = {"COMMAND", "DATA", "BDAT", "AUTH"};
	struct model m = {.parser = smtp_parser_create(), .policy = *p, .out = out};
	const void *pending;
	size_t plen;

	pb_buf_init(&m.body);
	for (size_t pos = 0, i = 1; pos < len; i++) {
		size_t n = chunker != NULL ? chunker(i, ctx) : len;
		if (n == 0)
			n = 1;
		if (n > len - pos)
			n = len - pos;
		model_read(&m, in + pos, n);
		pos += n;
	}
	smtp_parser_pending(m.parser, &pending, &plen);
	pb_buf_printf(out, "EOF mode=%s pending=%zu", mode_names[m.mode], plen);
	if (m.body.len > 0 || m.mode == MODE_DATA || m.mode == MODE_BDAT) {
		pb_buf_append_str(out, " partial=\"");
		smtp_test_escape(out, m.body.data != NULL ? m.body.data : "", m.body.len);
		pb_buf_append_c(out, '"');
	}
	pb_buf_append_c(out, '\n');
	pb_buf_deinit(&m.body);
	smtp_parser_destroy(&m.parser);
}
