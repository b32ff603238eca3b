/*
 * collector-run.c: one collection from a POP3 mailbox (see collector-run.h).
 * OWNS: nothing past the call. THREAD: the cwork actor's.
 *
 * Why the header is held before the upload begins: the spool takes the recipients with the
 * upload's BEGIN, and the recipients come from the header. The header (up to RUN_HEAD_MAX) is
 * buffered, routed, and then the content streams on in RUN_CHUNK pieces: a message is never
 * whole in memory. One that fits in the first piece goes as one put.
 */
#include "collector-run.h"
#include "collector-notice.h"
#include "collector-pop3.h"
#include "collector-resolve.h"
#include "collector-route.h"

#include "pb-alloc.h"
#include "pb-buf.h"
#include "pb-log.h"
#include "spool-client.h"
#include "statushub-client.h"
#include "store-collector.h"

#include <stdio.h>
#include <string.h>

#define RUN_CHUNK (256u * 1024)
#define RUN_HEAD_MAX (256u * 1024)
#define DAY_MS (24LL * 3600 * 1000)

uint64_t collector_spool_key(const char *name)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

void collector_run_progress(const struct collector_run_in *in, uint64_t done, uint64_t total,
			    const struct collector_run_out *out)
{
	if (in->progress == NULL || in->rt == NULL)
		return;
	in->progress->done = done;
	in->progress->total = total;
	in->progress->bytes = out->bytes;
	(void)statushub_client_progress(in->rt, in->progress, false);
}

/* A download in progress: the header until routed, then RUN_CHUNK pieces to the spool. */
struct fetch {
	const struct collector_run_in *in;
	const char *mark;
	struct pb_buf buf;          /* the header, then the piece not sent yet */
	bool routed;
	struct collector_rcpts rcpts;
	char sender[512];
	uint64_t upload_id, sent, key;
	uint64_t got, max;          /* octets downloaded; the limit (max_kb, 0 none) */
	bool over;                  /* more than max came: stopped, nothing stored */
	uint32_t code;              /* the spool's answer (PB_OK until something fails) */
	const char *error;
};

static void envelope(struct fetch *f, struct spool_client_envelope *env)
{
	*env = (struct spool_client_envelope){ f->sender, f->mark,
					       (const char *const *)f->rcpts.addrs.v,
					       f->rcpts.ids.v, f->rcpts.ids.n, f->in->now_ms,
					       PB_ORIGIN_COLLECTED };
}

/* Routes the header held in f->buf. 0 / -1. */
static int fetch_route(struct fetch *f)
{
	size_t end = collector_route_header_end(f->buf.data, f->buf.len);
	size_t hlen = end > 0 ? end : f->buf.len;

	f->routed = true;
	collector_route_sender(f->buf.data, hlen, f->sender, sizeof(f->sender));
	if (collector_resolve(f->in->def, f->in->caller, f->buf.data, hlen, &f->rcpts,
			      &f->error) < 0) {
		f->code = PB_ERR_TEMP;
		return -1;
	}
	return 0;
}

/* Sends the held piece as the upload's next chunk (beginning the upload first). 0 / -1. */
static int fetch_flush(struct fetch *f)
{
	struct spool_client_envelope env;
	uint64_t received;

	if (f->upload_id == 0) {
		envelope(f, &env);
		f->code = spool_client_begin_marked(f->in->caller, f->key, &env, f->mark,
						    &f->upload_id, &f->error);
		if (f->code != PB_OK)
			return -1;
	}
	if (f->buf.len == 0)
		return 0;
	f->code = spool_client_chunk(f->in->caller, f->key, f->upload_id, f->sent, f->buf.data,
				     f->buf.len, &received, &f->error);
	if (f->code != PB_OK)
		return -1;
	f->sent += f->buf.len;
	pb_buf_reset(&f->buf);
	return 0;
}

static int fetch_line(const char *line, size_t len, void *ctx)
{
	struct fetch *f = ctx;

	f->got += len;
	if (f->max > 0 && f->got > f->max) { /* LIST said less: the limit holds all the same */
		f->over = true;
		return -1;
	}
	pb_buf_append(&f->buf, line, len);
	if (!f->routed && (len == 2 || f->buf.len >= RUN_HEAD_MAX) && fetch_route(f) < 0)
		return -1;
	if (f->routed && f->buf.len >= RUN_CHUNK)
		return fetch_flush(f);
	return 0;
}

/* The end of RETR: what is held goes as one put, or as the last chunk and the commit. */
static void fetch_finish(struct fetch *f)
{
	struct spool_client_envelope env;
	uint64_t spool_id;

	if (!f->routed && fetch_route(f) < 0)
		return;
	if (f->upload_id == 0) {
		envelope(f, &env);
		f->code = spool_client_put_marked(f->in->caller, f->key, &env, f->mark, f->buf.data,
						  f->buf.len, &spool_id, &f->error);
	} else if (fetch_flush(f) == 0) {
		f->code = spool_client_commit(f->in->caller, f->key, f->upload_id, f->sent,
					      &spool_id, &f->error);
	}
	if (f->code == PB_OK) /* not PB_ERR_EXISTS: in the spool from an earlier run */
		pb_runtime_received_note(f->in->rt, PB_RECEIVED_COLLECTOR);
}

/* Downloads message m into the spool with its seen mark, stopping past max octets (0: no
 * limit). 0 safe (stored now, or before), 1 more than max came (nothing stored: *got_r
 * octets so far), -1 with out->error: the connection (-2: it is broken) or the spool or
 * directory failed. */
static int fetch_one(const struct collector_run_in *in, struct collector_pop3 *p,
		     const struct collector_pop3_msg *m, uint64_t max, uint64_t *got_r,
		     struct collector_run_out *out)
{
	char mark[PB_COLLECTOR_NAME_MAX + PB_COLLECTOR_UIDL_MAX + 2];
	const char *error = NULL;
	struct fetch f = { .in = in, .mark = mark, .key = collector_spool_key(in->def->name),
			   .max = max, .code = PB_OK };

	pb_collector_mark(in->def->name, m->uidl, mark, sizeof(mark));
	pb_buf_init(&f.buf);
	int rc = collector_pop3_fetch(p, m->num, -1, fetch_line, &f, &error);
	if (rc == 0)
		fetch_finish(&f);
	else if (f.upload_id != 0)
		spool_client_abort(in->caller, f.key, f.upload_id, NULL);
	if (f.code == PB_ERR_EXISTS)
		f.code = PB_OK; /* in the spool from an earlier run that did not get to DELE */
	*got_r = f.got;
	if (f.over) {
		pb_warn("collector", "event=fetch_too_big collector=%s uidl=%s listed=%llu got=%llu",
			PB_LOGQ(in->def->name), PB_LOGQ(m->uidl), (unsigned long long)m->size,
			(unsigned long long)f.got);
		pb_buf_deinit(&f.buf);
		collector_rcpts_clear(&f.rcpts);
		/* the rest was read to its end: the connection is usable unless it failed */
		return error != NULL && strcmp(error, "stopped") == 0 ? 1 : -2;
	}
	if (f.code != PB_OK)
		snprintf(out->error, sizeof(out->error), "UIDL %s: %s", m->uidl,
			 f.error != NULL && f.error[0] != '\0' ? f.error : pb_status_name(f.code));
	else if (rc < 0)
		snprintf(out->error, sizeof(out->error), "UIDL %s: %s", m->uidl, error);
	pb_info("collector", "event=%s collector=%s uidl=%s size=%llu rcpts=%u", 
		f.code == PB_OK && rc == 0 ? "fetched" : "fetch_failed", PB_LOGQ(in->def->name),
		PB_LOGQ(m->uidl), (unsigned long long)m->size, f.rcpts.ids.n);
	pb_buf_deinit(&f.buf);
	collector_rcpts_clear(&f.rcpts);
	return f.code != PB_OK ? -1 : rc < 0 ? -2 : 0;
}

/* The seen marks of the collector, loaded for the run and then sorted by UIDL. */
struct seen_table {
	struct pb_seen *v;
	size_t n, cap;
};

static int seen_load(const struct pb_seen *s, void *ctx)
{
	struct seen_table *t = ctx;
	if (t->n == t->cap) {
		t->cap = t->cap == 0 ? 64 : 2 * t->cap;
		t->v = xrealloc(t->v, sizeof(*t->v) * t->cap);
	}
	t->v[t->n++] = *s;
	return 0;
}

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pb_seen *)a)->uidl, ((const struct pb_seen *)b)->uidl);
}

static struct pb_seen *seen_find(struct seen_table *t, const char *uidl)
{
	struct pb_seen key;
	snprintf(key.uidl, sizeof(key.uidl), "%s", uidl);
	return t->n == 0 ? NULL : bsearch(&key, t->v, t->n, sizeof(*t->v), seen_cmp);
}

/* The scan's messages by UIDL, and which of them share their UIDL with another. */
struct scan_uidls {
	const struct collector_pop3_msg *msgs;
	uint32_t *by_uidl; /* indexes of msgs, sorted by UIDL */
	bool *shared;      /* per message of msgs */
	size_t n;
};

static int by_uidl_cmp(const void *a, const void *b, void *ctx)
{
	const struct collector_pop3_msg *msgs = ctx;
	return strcmp(msgs[*(const uint32_t *)a].uidl, msgs[*(const uint32_t *)b].uidl);
}

static void scan_uidls_init(struct scan_uidls *u, const struct collector_pop3_msg *msgs,
			    size_t n)
{
	*u = (struct scan_uidls){ msgs, xmalloc(sizeof(uint32_t) * (n + 1)),
				  xcalloc(n + 1, sizeof(bool)), n };
	for (size_t i = 0; i < n; i++)
		u->by_uidl[i] = (uint32_t)i; /* n <= COLLECTOR_POP3_SCAN_MAX */
	if (n > 1)
		qsort_r(u->by_uidl, n, sizeof(*u->by_uidl), by_uidl_cmp, (void *)msgs);
	for (size_t k = 1; k < n; k++)
		if (strcmp(msgs[u->by_uidl[k - 1]].uidl, msgs[u->by_uidl[k]].uidl) == 0)
			u->shared[u->by_uidl[k - 1]] = u->shared[u->by_uidl[k]] = true;
}

static bool scan_uidls_has(const struct scan_uidls *u, const char *uidl)
{
	size_t lo = 0, hi = u->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(u->msgs[u->by_uidl[mid]].uidl, uidl);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void scan_uidls_free(struct scan_uidls *u)
{
	free(u->by_uidl);
	free(u->shared);
}

static void forget(const struct collector_run_in *in, const char *uidl)
{
	const char *error;

	if (pb_store_seen_forget(in->store, in->def->name, uidl, &error) < 0)
		pb_warn("collector", "event=forget_failed collector=%s reason=%s",
			PB_LOGQ(in->def->name), PB_LOGQ(error));
}

/* Forgets the marks of UIDLs no longer at the server, and of UIDLs shared by several messages
 * of the scan (see one_message). */
static void seen_prune(const struct collector_run_in *in, struct seen_table *t,
		       const struct scan_uidls *u)
{
	for (size_t i = 0; i < t->n; i++)
		if (!scan_uidls_has(u, t->v[i].uidl))
			forget(in, t->v[i].uidl);
	for (size_t k = 0; k < u->n; k++) {
		const struct collector_pop3_msg *m = &u->msgs[u->by_uidl[k]];
		if (!u->shared[u->by_uidl[k]] ||
		    (k > 0 && strcmp(u->msgs[u->by_uidl[k - 1]].uidl, m->uidl) == 0))
			continue; /* once per shared UIDL */
		pb_warn("collector", "event=uidl_shared collector=%s uidl=%s action=left_at_server",
			PB_LOGQ(in->def->name), PB_LOGQ(m->uidl));
		if (seen_find(t, m->uidl) != NULL)
			forget(in, m->uidl); /* this run leaves every message with it alone */
	}
}

/* Whether a message safe here is due for DELE: leave_days 0, or first seen that long ago. */
static bool delete_due(const struct collector_run_in *in, int64_t first_ms)
{
	uint32_t days = in->def->leave_days;
	return days == 0 || in->now_ms - first_ms >= (int64_t)days * DAY_MS;
}

static int dele(const struct collector_run_in *in, struct collector_pop3 *p,
		const struct collector_pop3_msg *m, struct collector_run_out *out)
{
	const char *error;

	if (collector_pop3_dele(p, m->num, &error) < 0) {
		snprintf(out->error, sizeof(out->error), "DELE %s: %s", m->uidl, error);
		return -1;
	}
	out->deleted++;
	return 0;
}

/* One message of the scan: fetched, told too big, deleted or left. 0, -1 (stop the run),
 * -2 (stop: the connection is broken).
 *
 * A UIDL shared by several messages of one scan (a server breaking RFC 1939) does not tell
 * which message it names, and the seen mark and the spool's EXISTS go by UIDL: the second
 * message's store would answer EXISTS and it would be deleted never stored. So every message
 * with a shared UIDL is left alone — not fetched, not told, never deleted — for as long as
 * the UIDL is shared (a warning each run; nothing is delivered again and again). Its seen
 * mark is forgotten (seen_prune): once the UIDL names one message again, that message is
 * fetched rather than deleted on the word of a mark that may be another's. A copy twice
 * here is better than a message lost. */
static int one_message(const struct collector_run_in *in, struct collector_pop3 *p,
		       struct seen_table *t, const struct collector_pop3_msg *m, bool shared,
		       struct collector_run_out *out)
{
	if (shared)
		return 0;
	const struct pb_seen *s = seen_find(t, m->uidl);
	uint64_t max = (uint64_t)in->def->max_kb * 1024;

	if (s != NULL && s->state == PB_SEEN_FETCHED)
		return delete_due(in, s->first_ms) ? dele(in, p, m, out) : 0;
	if (s != NULL && s->state == PB_SEEN_NOTIFIED) {
		out->waiting++;
		return 0;
	}
	if (max > 0 && m->size > max && s == NULL) {
		int rc = collector_notice(in, p, m, out->error, sizeof(out->error));
		if (rc == 0)
			out->too_big++;
		return rc;
	}
	uint64_t got = 0;
	int rc = fetch_one(in, p, m, s == NULL ? max : 0, &got, out);
	if (rc == 1) { /* bigger than LIST said: told as too big, left at the server */
		struct collector_pop3_msg big = *m;
		big.size = got;
		rc = collector_notice(in, p, &big, out->error, sizeof(out->error));
		if (rc == 0)
			out->too_big++;
		return rc;
	}
	if (rc < 0)
		return rc;
	out->fetched++;
	out->bytes += m->size;
	return delete_due(in, s != NULL ? s->first_ms : in->now_ms) ? dele(in, p, m, out) : 0;
}

/* The session after the login: scan, then each message in turn. 0 / -1 / -2 (broken). */
static int run_session(const struct collector_run_in *in, struct collector_pop3 *p,
		       struct collector_run_out *out)
{
	struct collector_pop3_msg *msgs = NULL;
	struct seen_table t = { 0 };
	struct scan_uidls u;
	const char *error;
	size_t n = 0;
	int rc = 0;

	if (collector_pop3_scan(p, &msgs, &n, &error) < 0) {
		snprintf(out->error, sizeof(out->error), "%s", error);
		return -2;
	}
	if (pb_store_seen_iter(in->store, in->def->name, seen_load, &t, &error) < 0) {
		snprintf(out->error, sizeof(out->error), "cannot read the seen UIDLs: %s", error);
		rc = -1;
	}
	scan_uidls_init(&u, msgs, n);
	if (rc == 0) {
		if (t.n > 1)
			qsort(t.v, t.n, sizeof(*t.v), seen_cmp);
		seen_prune(in, &t, &u);
	}
	collector_run_progress(in, 0, n, out);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (in->stop != NULL && in->stop(in->def->name)) {
			snprintf(out->error, sizeof(out->error), "hung up");
			rc = -1;
			break;
		}
		rc = one_message(in, p, &t, &msgs[i], u.shared[i], out);
		if (rc == 0)
			collector_run_progress(in, i + 1, n, out);
	}
	scan_uidls_free(&u);
	free(t.v);
	free(msgs);
	return rc;
}

int collector_run(const struct collector_run_in *in, struct collector_run_out *out)
{
	struct collector_pop3 *p = NULL;
	const struct collector_def *d = in->def;
	const char *error;

	memset(out, 0, sizeof(*out));
	struct collector_pop3_tls tls = { d->tls, in->tls };
	if (collector_pop3_open(d->server, collector_def_port(d), &tls, in->timeout_ms, &p,
				&error) < 0 ||
	    collector_pop3_login(p, d->auth, d->user, in->password, &error) < 0) {
		snprintf(out->error, sizeof(out->error), "%s", error);
		collector_pop3_close(&p, true);
		return -1;
	}
	int rc = run_session(in, p, out);
	/* QUIT makes the DELEs sent so far take effect: every one is of a message safe here */
	collector_pop3_close(&p, rc != -2);
	return rc < 0 ? -1 : 0;
}
