/*
 * router-facts.c: a message's first octets into the rules' facts (see router-facts.h).
 * OWNS: the struct router_message being filled. THREAD: any.
 */
#include "router-facts.h"

#include "mime-decode.h"
#include "mime-header.h"
#include "mime-html.h"
#include "mime-parser.h"
#include "mime-part.h"
#include "pb-alloc.h"
#include "pb-msg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum rules_msg_type router_message_type(uint8_t origin)
{
	if (origin == PB_ORIGIN_LOCAL)
		return RULES_TYPE_LOCAL;
	if (origin == PB_ORIGIN_SYSTEM)
		return RULES_TYPE_SYSTEM;
	return RULES_TYPE_INCOMING;
}

static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
				      "jul", "aug", "sep", "oct", "nov", "dec" };

int router_date_parse(const char *value, int64_t *utc_s_r, int *offset_min_r)
{
	const char *p = strchr(value, ',');
	char mon[4] = "", zone[8] = "";
	int day, year, hh, mm, ss = 0, n = 0;

	p = p != NULL ? p + 1 : value;
	if (sscanf(p, " %d %3s %d %d:%d%n", &day, mon, &year, &hh, &mm, &n) != 5)
		return -1;
	p += n;
	if (*p == ':' && sscanf(p, ":%d%n", &ss, &n) == 1)
		p += n;
	int month = -1;
	for (int i = 0; i < 12; i++)
		if (strcasecmp(mon, months[i]) == 0)
			month = i;
	if (month < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	if (year < 100)
		year += year < 50 ? 2000 : 1900;
	int offset = 0;
	if (sscanf(p, " %7s", zone) == 1 && (zone[0] == '+' || zone[0] == '-') &&
	    strlen(zone) == 5) {
		int v = atoi(zone + 1);
		offset = (v / 100 * 60 + v % 100) * (zone[0] == '-' ? -1 : 1);
	}
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month, .tm_mday = day,
			 .tm_hour = hh, .tm_min = mm, .tm_sec = ss };
	*utc_s_r = (int64_t)timegm(&tm) - (int64_t)offset * 60;
	*offset_min_r = offset;
	return 0;
}

/* The raw value of header field name (unfolded), NUL-terminated, or NULL. */
static char *header_raw(const void *data, size_t len, const char *name)
{
	struct pb_buf b;

	pb_buf_init(&b);
	if (mime_header_get(data, len, name, &b) != 1) {
		pb_buf_deinit(&b);
		return NULL;
	}
	pb_buf_append_c(&b, '\0');
	return pb_buf_steal(&b, NULL);
}

static void address_field(const void *data, size_t len, const char *name,
			  struct rules_address_list *list_r)
{
	char *raw = header_raw(data, len, name);
	rules_address_list_parse(raw, raw != NULL ? strlen(raw) : 0, list_r);
	free(raw);
}

/* The message's text for Body conditions, decoded once: the text part a reader sees
 * (mime_message_text_part: text/plain preferred), transfer-decoded and converted to UTF-8 by
 * the mime library, an HTML part stripped to its text (mime-html.h). A message cut at the
 * read bound gives the text of its first octets; a part that is not text gives "". */
static void decode_body(struct router_message *m)
{
	struct mime_message *msg = mime_message_parse(m->raw, m->raw_len, NULL);
	const struct mime_part *part = mime_message_text_part(msg);
	struct pb_buf b;
	const char *error;

	pb_buf_init(&b);
	if (part != NULL && mime_part_is(part, "text", "html")) {
		struct pb_buf html;
		pb_buf_init(&html);
		(void)mime_part_decode_body(part, m->raw, m->raw_len, &html, &error);
		mime_html_to_text(html.data != NULL ? html.data : "", html.len, &b);
		pb_buf_deinit(&html);
	} else if (part != NULL) {
		(void)mime_part_decode_body(part, m->raw, m->raw_len, &b, &error);
	}
	pb_buf_append_c(&b, '\0');
	m->body = pb_buf_steal(&b, &m->body_len);
	m->body_len--;
	mime_message_free(&msg);
}

static int body_text(void *ctx, size_t budget, const char **text_r, size_t *len_r)
{
	struct router_message *m = ctx;

	if (m->body == NULL)
		decode_body(m);
	*text_r = m->body;
	*len_r = m->body_len < budget ? m->body_len : budget;
	return 0;
}

static void build_header(const void *data, size_t len, struct router_message *m)
{
	char *subject = header_raw(data, len, "Subject");
	if (subject != NULL) {
		struct pb_buf b;
		pb_buf_init(&b);
		mime_decode_header(subject, strlen(subject), &b);
		pb_buf_append_c(&b, '\0');
		m->subject = pb_buf_steal(&b, NULL);
		free(subject);
	}
	address_field(data, len, "To", &m->to);
	address_field(data, len, "Cc", &m->cc);
	address_field(data, len, "From", &m->from);
	char *date = header_raw(data, len, "Date");
	if (date != NULL)
		m->facts.has_date = router_date_parse(date, &m->facts.date_s,
						      &m->facts.date_offset_min) == 0;
	free(date);
}

void router_message_build(const void *data, size_t len, uint64_t size, enum rules_msg_type type,
			  int64_t now_s, int now_offset_min, struct router_message *m_r)
{
	struct router_message *m = m_r;

	memset(m, 0, sizeof(*m));
	build_header(data, len, m);
	m->raw_len = len;
	m->raw = xmalloc(len + 1);
	memcpy(m->raw, data, len);
	struct rules_facts *f = &m->facts;
	f->type = type;
	f->subject = m->subject;
	f->to = m->to.v;
	f->n_to = m->to.n;
	f->cc = m->cc.v;
	f->n_cc = m->cc.n;
	f->from = m->from.v;
	f->n_from = m->from.n;
	f->size = size;
	f->now_s = now_s;
	f->now_offset_min = now_offset_min;
	f->body_text = body_text;
	f->body_ctx = m;
	f->body_budget = ROUTER_FACTS_READ_MAX * 4; /* decoded UTF-8 may outgrow the octets */
}

void router_message_free(struct router_message *m)
{
	free(m->subject);
	rules_address_list_free(&m->to);
	rules_address_list_free(&m->cc);
	rules_address_list_free(&m->from);
	free(m->body);
	free(m->raw);
	memset(m, 0, sizeof(*m));
}
