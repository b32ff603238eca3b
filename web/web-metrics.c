/*
 * web-metrics.c: the parts of /metrics (web-api.c) made from the node's status that are
 * lists: the actors' and the gateway hubs' inbox depths ({actor=...}, {hub="smtp"...}), the
 * SMTP refusals by reason and the latency histograms
 * (Prometheus histograms: _bucket{le=...} cumulative, _sum and _count in seconds; pb-latency.h).
 * And the outbound queue's figures: entries, held, recipients waiting; recipients sent, attempts
 * deferred and recipients failed (bounced: a DSN goes to the sender) since the start.
 * OWNS: nothing. THREAD: the web hub's.
 */
#include "web-api.h"

#include "pb-buf.h"
#include "web-prom.h"
#include "queue-client.h"
#include "sys-client.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The "le" label of a bound in µs, in seconds ("0.0001", "2.5", "+Inf" for UINT64_MAX). */
static void le_text(uint64_t us, char *out, size_t size)
{
	if (us == UINT64_MAX)
		snprintf(out, size, "+Inf");
	else
		snprintf(out, size, "%g", (double)us / 1e6);
}

/* One histogram h as pillarbox_<name>_seconds. */
static void histogram(const struct pb_rec_latency *h, struct pb_buf *out)
{
	uint64_t total = 0;
	char le[32];

	char name[64];

	snprintf(name, sizeof(name), "pillarbox_%s_seconds", h->name);
	web_prom_head(out, name, "histogram",
		      strcmp(h->name, "smtp_accept") == 0
			      ? "Latency of an SMTP accept (end of data to the 250 sent)."
			      : "Latency of a delivery (accepted to stored in every local mailbox or "
				"queued).");
	for (size_t i = 0; i < h->counts.n; i++) {
		total += h->counts.v[i];
		le_text(i < h->le_us.n ? h->le_us.v[i] : UINT64_MAX, le, sizeof(le));
		pb_buf_printf(out, "pillarbox_%s_seconds_bucket{le=\"%s\"} %llu\n", h->name, le,
			      (unsigned long long)total);
	}
	pb_buf_printf(out, "pillarbox_%s_seconds_sum %.6f\npillarbox_%s_seconds_count %llu\n",
		      h->name, (double)h->sum_us / 1e6, h->name, (unsigned long long)total);
}

void web_metrics_lists(const struct sys_status *st, struct pb_buf *out)
{
	WEB_PROM_LIST(out, "pillarbox_actor_inbox_depth", "gauge",
		      "Messages waiting in each actor's inbox.", "actor", st->actors, actor_stat,
		      name, queued);
	WEB_PROM_LIST(out, "pillarbox_actor_inbox_full_total", "counter",
		      "Sends refused because an actor's inbox was full.", "actor", st->actors,
		      actor_stat, name, inbox_full);
	WEB_PROM_LIST(out, "pillarbox_messages_received_total", "counter",
		      "Messages accepted, by source: smtp, collector (mail collectors), web (webmail).",
		      "source", st->received_by, source_count, source, count);
	WEB_PROM_LIST(out, "pillarbox_refused_total", "counter",
		      "SMTP refusals (recipients and messages) by reason.", "reason", st->refusals,
		      refusal, reason, count);
	WEB_PROM_LIST(out, "pillarbox_hub_inbox_depth", "gauge",
		      "Messages waiting in each gateway hub's inbox (replies to its sessions).",
		      "hub", st->hubs, inbox_stat, name, queued);
	WEB_PROM_LIST(out, "pillarbox_hub_inbox_full_total", "counter",
		      "Sends refused because a gateway hub's inbox was full.", "hub", st->hubs,
		      inbox_stat, name, inbox_full);
	for (uint32_t i = 0; i < st->latency.n; i++)
		histogram(&st->latency.v[i], out);
}

void web_metrics_queue(const struct queue_client_stats *qs, struct pb_buf *out)
{
	static const struct web_prom_row rows[] = {
#define ROW(n, t, h, f) { "pillarbox_queue_" n, t, h, offsetof(struct queue_client_stats, f), 1 }
		ROW("entries", "gauge", "Messages in the outbound queue.", entries),
		ROW("held", "gauge", "Queued messages held.", held),
		ROW("recipients_waiting", "gauge", "Remote recipients not yet sent.", waiting),
		ROW("sent_total", "counter", "Remote recipients sent.", sent),
		ROW("deferred_total", "counter", "Remote delivery attempts deferred.", deferred),
		ROW("bounced_total", "counter", "Remote recipients failed (a DSN to the sender).",
		    failed),
#undef ROW
	};
	web_prom_rows(out, rows, PB_N_ELEMENTS(rows), qs);
}
