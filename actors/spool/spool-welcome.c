/*
 * spool-welcome.c: the welcome message of a new account (spool-welcome.h), and the spool
 * shard's side of it: at each tick (and so right after a restart) the shard takes the welcome
 * markers of its accounts (id % shards), makes each welcome from the settings in effect, and
 * stores it as a spool entry of origin SYSTEM in the same synced write that removes the
 * marker (pb_store_welcome_made), then delivers it like any entry. The account and its marker
 * are one write (the directory), the entry and the marker's removal another: a crash before
 * the second leaves the marker (made at the next tick), after it the entry (resumed): one
 * welcome, never none, never two.
 * OWNS: nothing beyond one call. THREAD: the spool shard's (spool_welcome_tick).
 */
#include "spool-welcome.h"
#include "spool-private.h"

#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "queue-dsn.h"
#include "router-generate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Welcomes made per shard and tick (the rest at the next). */
#define WELCOME_PER_TICK 32

void spool_welcome_expand(const char *tmpl, const char *name, const char *address,
			  struct pb_buf *out)
{
	const char *at = strrchr(address, '@');
	const struct { const char *var, *value; } vars[] = {
		{ "%username%", name }, { "%address%", address }, { "%domain%", at ? at + 1 : "" },
	};

	for (const char *p = tmpl; *p != '\0';) {
		size_t i = 0;
		while (i < PB_N_ELEMENTS(vars) && strncasecmp(p, vars[i].var, strlen(vars[i].var)))
			i++;
		if (i < PB_N_ELEMENTS(vars)) {
			pb_buf_append(out, vars[i].value, strlen(vars[i].value));
			p += strlen(vars[i].var);
		} else {
			pb_buf_append_c(out, *p++);
		}
	}
}

/* The body: every line ended by CR LF (a lone LF or CR made one). */
static void body_lines(const char *text, struct pb_buf *out)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n') {
			pb_buf_append(out, "\r\n", 2);
			p += p[0] == '\r' && p[1] == '\n';
		} else {
			pb_buf_append_c(out, *p);
		}
	}
	if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		pb_buf_append(out, "\r\n", 2);
}

void spool_welcome_build(const struct spool_welcome *w, struct pb_buf *out)
{
	const char *at = strrchr(w->address, '@');
	time_t secs = (time_t)(w->now_ms / 1000);
	struct pb_buf subject, text;
	char date[64];
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	pb_buf_init(&subject);
	pb_buf_init(&text);
	spool_welcome_expand(w->subject, w->name, w->address, &subject);
	spool_welcome_expand(w->text, w->name, w->address, &text);
	pb_buf_append_c(&subject, '\0');
	pb_buf_append_c(&text, '\0');
	pb_buf_printf(out, "From: Mail System <postmaster@%s>\r\nTo: <%s>\r\n",
		      at != NULL ? at + 1 : w->host, w->address);
	pb_buf_printf(out, "Subject: %.*s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		      (int)strcspn(subject.data, "\r\n"), subject.data, date, w->msgid, w->host);
	pb_buf_printf(out, "Auto-Submitted: auto-generated\r\n%s: welcome\r\nMIME-Version: 1.0\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n"
			   "Content-Transfer-Encoding: 8bit\r\n\r\n",
		      ROUTER_GENERATED_HEADER);
	body_lines(text.data, out);
	pb_buf_deinit(&subject);
	pb_buf_deinit(&text);
}

/* ---- the shard's side ---- */

/* What one tick's welcomes share: the settings' templates, read once. */
struct welcome_tick {
	struct pb_actor *a;
	struct spool_shard *s;
	char *subject, *text; /* owned */
	char host[256];
	int64_t now_ms;
};

/* The body template: welcome.file when set and readable (at most SPOOL_WELCOME_TEXT_MAX
 * bytes), else welcome.text ("\n" a new line). Allocated. */
static char *welcome_text(const struct pb_settings_welcome *st)
{
	if (st->file[0] != '\0') {
		FILE *f = fopen(st->file, "rb");
		char *text = xmalloc(SPOOL_WELCOME_TEXT_MAX + 1);
		size_t n = f != NULL ? fread(text, 1, SPOOL_WELCOME_TEXT_MAX, f) : 0;
		if (f != NULL && !ferror(f)) {
			fclose(f);
			text[n] = '\0';
			return text;
		}
		if (f != NULL)
			fclose(f);
		free(text);
		pb_warn("spool", "event=welcome_file_unreadable file=%s", PB_LOGQ(st->file));
	}
	return pb_settings_unescape(st->text);
}

/* One account's welcome: made, stored with its marker's removal, delivered. */
static void welcome_one(uint64_t user_id, const char *name, const char *address, void *arg)
{
	struct welcome_tick *t = arg;
	char msgid[96], line[300], *rcpt = (char *)address;
	struct pb_buf b;
	const char *error;

	snprintf(msgid, sizeof(msgid), "welcome-%llu", (unsigned long long)user_id);
	struct spool_welcome w = { name, address, t->subject, t->text, t->host, msgid, t->now_ms };
	pb_buf_init(&b);
	spool_welcome_build(&w, &b);
	struct pb_spool_gen g = { .body = b.data, .len = b.len };
	g.rec = (struct pb_spool_rec){ .sender = "", .msgid = msgid, .rcpts = &rcpt,
				       .rcpt_ids = &user_id, .n_rcpts = 1, .received_ms = t->now_ms,
				       .shard = t->s->index, .shards = t->s->count,
				       .origin = PB_ORIGIN_SYSTEM };
	spool_take_message_id(b.data, b.len, &g.rec); /* `pillarbox trace` finds it by it */
	snprintf(line, sizeof(line), "generated by this server: the welcome message of the new "
				     "account %s, to %s", name, address);
	g.trace_line = line;
	int ret = pb_store_welcome_made(t->s->store, user_id, &g, &error);
	pb_buf_deinit(&b);
	if (ret != 1)
		free(g.rec.message_id);
	if (ret < 0)
		pb_warn("spool", "event=welcome_failed user_id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
	if (ret != 1)
		return;
	struct pb_spool_rec r = g.rec;
	r.sender = xstrdup("");
	r.msgid = xstrdup(msgid);
	r.rcpts = xcalloc(1, sizeof(char *));
	r.rcpts[0] = xstrdup(address);
	r.rcpt_ids = xcalloc(1, sizeof(uint64_t));
	r.rcpt_ids[0] = user_id;
	pb_info("spool", "event=welcome msgid=%s spool_id=%llu user_id=%llu to=%s", PB_LOGQ(msgid),
		(unsigned long long)r.id, (unsigned long long)user_id, PB_LOGQ(address));
	spool_start_delivery(t->a, t->s, &r);
}

void spool_welcome_tick(struct pb_actor *a, struct spool_shard *s)
{
	struct pb_runtime *rt = pb_actor_runtime(a);
	const struct pb_settings *st = pb_settings_acquire(rt);
	struct welcome_tick t = { a, s, pb_settings_unescape(st->welcome.subject),
				  welcome_text(&st->welcome), "", (int64_t)pb_clock_wall_ms() };
	const char *error;

	pb_settings_release(rt, st);
	queue_dsn_host(t.host, sizeof(t.host));
	if (pb_store_welcome_pending(s->store, s->index, s->count, WELCOME_PER_TICK, welcome_one,
				     &t, &error) < 0)
		pb_warn("spool", "event=welcome_scan_failed reason=%s", PB_LOGQ(error));
	free(t.subject);
	free(t.text);
}
