/*
 * queue-dsn.c: RFC 3464 delivery status notifications (see queue-dsn.h).
 * OWNS nothing. THREAD: any.
 */
#include "queue-dsn.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void queue_dsn_host(char *buf, size_t size)
{
	if (gethostname(buf, size) < 0 || buf[0] == '\0')
		snprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
}

static void rfc5322_date(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

const char *queue_dsn_status(const char *reply, char *buf, size_t size)
{
	char cls = reply[0] == '2' || reply[0] == '4' || reply[0] == '5' ? reply[0] : '4';
	const char *p = strlen(reply) > 4 ? reply + 4 : "";
	size_t n = strspn(p, "0123456789.");

	if (n >= 5 && n < 12 && p[0] == cls && p[1] == '.' && (p[n] == ' ' || p[n] == '\0'))
		snprintf(buf, size, "%.*s", (int)n, p);
	else
		snprintf(buf, size, "%c.0.0", cls);
	return buf;
}

/* The length of the original's header section (up to its blank line), or len. */
static size_t header_len(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] == '\n' && s[i + 1] == '\n')
			return i + 1;
		if (i + 3 < len && memcmp(s + i, "\r\n\r\n", 4) == 0)
			return i + 2;
	}
	return len;
}

static bool utf8(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* Whether the DSN must be a global one (RFC 6533): the sender or a reported address is UTF-8. */
static bool global_dsn(const struct queue_dsn_in *in)
{
	bool any = utf8(in->q->sender);

	for (size_t i = 0; i < in->q->n; i++)
		any |= in->report[i] && utf8(in->q->r[i].addr);
	return any;
}

static const char *const action_names[] = { "failed", "delayed", "relayed" };

static const char *const subjects[] = { "Undelivered Mail Returned to Sender",
					"Delayed Mail (still being retried)",
					"Successful Mail Delivery Report" };

static const char *const explanations[] = {
	"Your message could not be delivered to the recipients below. It has been returned to "
	"you.",
	"Your message could not be delivered yet to the recipients below. It will be tried again; "
	"you need not send it again.",
	"Your message was handed to the servers of the recipients below, which do not send "
	"delivery notifications (relayed to a non-DSN server): you will get none from them.",
};

static void human_part(const struct queue_dsn_in *in, bool global, struct pb_buf *o)
{
	const struct pb_queue_rec *q = in->q;

	pb_buf_printf(o, "Content-Type: text/plain; charset=%s\r\n\r\n",
		      global ? "utf-8" : "us-ascii");
	pb_buf_printf(o, "This is the mail system at host %s.\r\n\r\n", in->mta);
	pb_buf_printf(o, "%s\r\n\r\n", explanations[in->action]);
	for (size_t i = 0; i < q->n; i++)
		if (in->report[i])
			pb_buf_printf(o, "<%s>: %s\r\n", q->r[i].addr, q->r[i].reply);
	pb_buf_append_str(o, "\r\n");
}

static void status_part(const struct queue_dsn_in *in, bool global, struct pb_buf *o)
{
	const struct pb_queue_rec *q = in->q;
	char date[64], st[16];

	pb_buf_printf(o, "Content-Type: message/%sdelivery-status\r\n\r\n",
		      global ? "global-" : "");
	pb_buf_printf(o, "Reporting-MTA: dns; %s\r\n", in->mta);
	if (q->envid[0] != '\0')
		pb_buf_printf(o, "Original-Envelope-Id: %s\r\n", q->envid);
	rfc5322_date(q->arrival_ms, date, sizeof(date));
	pb_buf_printf(o, "Arrival-Date: %s\r\n", date);
	for (size_t i = 0; i < q->n; i++) {
		if (!in->report[i])
			continue;
		const struct pb_queue_rcpt *r = &q->r[i];
		pb_buf_printf(o, "\r\nFinal-Recipient: %s; %s\r\n", utf8(r->addr) ? "utf-8" : "rfc822",
			      r->addr);
		if (r->orcpt[0] != '\0')
			pb_buf_printf(o, "Original-Recipient: %s\r\n", r->orcpt);
		pb_buf_printf(o, "Action: %s\r\n", action_names[in->action]);
		pb_buf_printf(o, "Status: %s\r\n", queue_dsn_status(r->reply, st, sizeof(st)));
		if (in->remote[0] != '\0')
			pb_buf_printf(o, "Remote-MTA: dns; %s\r\n", in->remote);
		if (isdigit((unsigned char)r->reply[0]))
			pb_buf_printf(o, "Diagnostic-Code: smtp; %s\r\n", r->reply);
		rfc5322_date(in->now_ms, date, sizeof(date));
		pb_buf_printf(o, "Last-Attempt-Date: %s\r\n", date);
		if (in->action == QUEUE_DSN_DELAYED) {
			rfc5322_date(in->retry_until_ms, date, sizeof(date));
			pb_buf_printf(o, "Will-Retry-Until: %s\r\n", date);
		}
	}
	pb_buf_append_str(o, "\r\n");
}

void queue_dsn_build(const struct queue_dsn_in *in, struct pb_buf *o)
{
	const struct pb_queue_rec *q = in->q;
	char date[64], boundary[96];
	bool global = global_dsn(in);

	snprintf(boundary, sizeof(boundary), "%llu.%lld/%s", (unsigned long long)q->id,
		 (long long)in->now_ms, in->mta);
	rfc5322_date(in->now_ms, date, sizeof(date));
	pb_buf_printf(o, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", in->mta);
	pb_buf_printf(o, "To: <%s>\r\n", q->sender);
	pb_buf_printf(o, "Subject: %s\r\n", subjects[in->action]);
	pb_buf_printf(o, "Date: %s\r\n", date);
	pb_buf_printf(o, "Message-ID: <dsn.%llu.%lld@%s>\r\n", (unsigned long long)q->id,
		      (long long)in->now_ms, in->mta);
	pb_buf_append_str(o, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
	pb_buf_printf(o, "Content-Type: multipart/report; report-type=%sdelivery-status;\r\n"
			 "\tboundary=\"%s\"\r\n\r\n", global ? "global-" : "", boundary);
	pb_buf_printf(o, "This is a MIME-encapsulated message.\r\n\r\n--%s\r\n", boundary);
	human_part(in, global, o);
	pb_buf_printf(o, "--%s\r\n", boundary);
	status_part(in, global, o);
	pb_buf_printf(o, "--%s\r\n", boundary);
	size_t len = in->whole ? in->original_len : header_len(in->original, in->original_len);
	pb_buf_printf(o, "Content-Type: %s\r\n\r\n",
		      in->whole ? (global ? "message/global" : "message/rfc822")
				: (global ? "message/global-headers" : "text/rfc822-headers"));
	pb_buf_append(o, in->original, len);
	if (len < 2 || memcmp(in->original + len - 2, "\r\n", 2) != 0)
		pb_buf_append_str(o, "\r\n");
	pb_buf_printf(o, "\r\n--%s--\r\n", boundary);
}
