/*
 * collector-notice.c: the notice about a message too big to download (see
 * collector-notice.h).
 * OWNS: nothing. THREAD: the cwork thread.
 */
#include "collector-notice.h"
#include "collector-client.h"
#include "collector-fetch.h"
#include "collector-resolve.h"

#include "directory-client.h"
#include "mime-header.h"
#include "pb-alloc.h"
#include "pb-buf.h"
#include "pb-log.h"
#include "spool-client.h"
#include "store-collector.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define NOTICE_HEAD_MAX (64u * 1024)
/* How long the directory may take to list the local domains. */
#define NOTICE_CALL_MS 10000

static int head_line(const char *line, size_t len, void *ctx)
{
	struct pb_buf *b = ctx;
	if (b->len + len > NOTICE_HEAD_MAX)
		return -1;
	pb_buf_append(b, line, len);
	return 0;
}

/* The value of field name in the header (cut at 200 bytes, CR/LF never kept), or "(none)". */
static void field(const struct pb_buf *h, const char *name, char *out, size_t size)
{
	struct pb_buf v;

	pb_buf_init(&v);
	if (mime_header_get(h->data, h->len, name, &v) == 1)
		snprintf(out, size, "%.*s", (int)(v.len < 200 ? v.len : 200), (const char *)v.data);
	else
		snprintf(out, size, "(none)");
	for (char *c = out; *c != '\0'; c++)
		if (*c == '\r' || *c == '\n')
			*c = ' ';
	pb_buf_deinit(&v);
}

/* The notice's headers: from the reply address addr ("" none: the postmaster). */
static void build_head(const struct collector_run_in *in, const char *addr, const char *subject,
		       struct pb_buf *out)
{
	char date[64];
	time_t now = (time_t)(in->now_ms / 1000);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (addr[0] != '\0')
		pb_buf_printf(out, "From: Mail collector %s <%s>\r\nReply-To: <%s>\r\n",
			      in->def->name, addr, addr);
	else
		pb_buf_printf(out, "From: Mail collector %s <postmaster>\r\n", in->def->name);
	pb_buf_printf(out,
		      "Subject: A message too big to download: %s\r\n"
		      "Date: %s\r\nAuto-Submitted: auto-generated\r\n"
		      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		      subject, date);
}

static void build(const struct collector_run_in *in, const struct collector_pop3_msg *m,
		  const struct pb_buf *h, const char *addr, struct pb_buf *out)
{
	char from[256], subject[256];

	field(h, "From", from, sizeof(from));
	field(h, "Subject", subject, sizeof(subject));
	build_head(in, addr, subject, out);
	pb_buf_printf(out,
		      "A message for you is waiting at the mail server of collector %s, but it is\r\n"
		      "bigger than the %u kB this server downloads by itself.\r\n\r\n"
		      "  From:    %s\r\n  Subject: %s\r\n  Size:    %llu bytes\r\n"
		      "  UIDL:    %s\r\n\r\n",
		      in->def->name, in->def->max_kb, from, subject, (unsigned long long)m->size,
		      m->uidl);
	if (addr[0] != '\0')
		pb_buf_printf(out,
			      "To have it downloaded and delivered to you, reply to this message from\r\n"
			      "this account (the reply goes to %s;\r\n"
			      "what it says does not matter): the collector then runs at once.\r\n"
			      "Or ask your administrator to run\r\n",
			      addr);
	else
		pb_buf_printf(out, "To have it downloaded and delivered to you, ask your "
				   "administrator to run\r\n");
	pb_buf_printf(out,
		      "  pillarbox collector fetch %s %s\r\n"
		      "It is then fetched at the collector's next run.\r\n",
		      in->def->name, m->uidl);
}

/* The reply address of a notice to r about m: a new token, stored with what it stands for, at
 * the first local domain, into addr (size bytes); "" when there is no local domain. 0 / -1. */
static int reply_address(const struct collector_run_in *in, const struct collector_pop3_msg *m,
			 const struct collector_rcpts *r, char *addr, size_t size,
			 const char **error_r)
{
	struct pb_sync t;
	struct pb_strv domains = { 0 };
	uint32_t code;
	char token[PB_COLLECTOR_TOKEN_LEN + 1];

	addr[0] = '\0';
	pb_sync_init_caller(&t, in->caller, NOTICE_CALL_MS);
	if (directory_client_domain_list(&t, &code, &domains, error_r) < 0 || code != PB_OK) {
		pb_strv_clear(&domains);
		return -1;
	}
	int rc = 0;
	if (domains.n > 0) {
		collector_fetch_token_new(token);
		rc = collector_fetch_token_put(in->store, token, in->def->name, m->uidl, r->ids.v,
					       r->ids.n, error_r);
		snprintf(addr, size, "%s%s@%s", COLLECTOR_FETCH_PREFIX, token, domains.v[0]);
	}
	pb_strv_clear(&domains);
	return rc;
}

/* Puts the notice to the recipients of header h. 0 / -1 with *error_r. */
static int send_notice(const struct collector_run_in *in, const struct collector_pop3_msg *m,
		       const struct pb_buf *h, const char **error_r)
{
	struct collector_rcpts r = { 0 };
	struct pb_buf text;
	uint64_t spool_id;
	char msgid[160], addr[320];

	if (collector_resolve(in->def, in->caller, h->data, h->len, &r, error_r) < 0)
		return -1;
	if (reply_address(in, m, &r, addr, sizeof(addr), error_r) < 0) {
		collector_rcpts_clear(&r);
		return -1;
	}
	pb_buf_init(&text);
	build(in, m, h, addr, &text);
	snprintf(msgid, sizeof(msgid), "notice %s %s", in->def->name, m->uidl);
	struct spool_client_envelope env = { "", msgid, (const char *const *)r.addrs.v, r.ids.v,
					     r.ids.n, in->now_ms, PB_ORIGIN_SYSTEM };
	uint32_t code = spool_client_put(in->caller, collector_spool_key(in->def->name), &env,
					 text.data, text.len, &spool_id, error_r);
	pb_buf_deinit(&text);
	collector_rcpts_clear(&r);
	return code == PB_OK ? 0 : -1;
}

int collector_notice(const struct collector_run_in *in, struct collector_pop3 *p,
		     const struct collector_pop3_msg *m, char *error, size_t size)
{
	struct pb_buf h;
	const char *why = NULL;
	struct pb_seen seen = { .state = PB_SEEN_NOTIFIED, .first_ms = in->now_ms };

	pb_buf_init(&h);
	int rc = collector_pop3_fetch(p, m->num, 0, head_line, &h, &why);
	if (rc < 0 && h.len == 0) {
		snprintf(error, size, "TOP %s: %s", m->uidl, why);
		pb_buf_deinit(&h);
		return -2;
	}
	rc = send_notice(in, m, &h, &why);
	pb_buf_deinit(&h);
	snprintf(seen.uidl, sizeof(seen.uidl), "%s", m->uidl);
	if (rc == 0 && pb_store_seen_put(in->store, in->def->name, &seen, &why) < 0)
		rc = -1;
	if (rc < 0)
		snprintf(error, size, "notice for %s: %s", m->uidl, why != NULL ? why : "failed");
	pb_info("collector", "event=too_big collector=%s uidl=%s size=%llu notice=%s",
		PB_LOGQ(in->def->name), PB_LOGQ(m->uidl), (unsigned long long)m->size,
		rc == 0 ? "sent" : "failed");
	return rc;
}
