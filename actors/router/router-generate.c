/*
 * router-generate.c: the autoresponder's pure rules and reply (see router-generate.h).
 * OWNS nothing beyond what it returns. THREAD: any.
 */
#include "router-generate.h"

#include "mime-address.h"
#include "mime-header.h"
#include "pb-alloc.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DAY_MS 86400000ll

enum key_kind { KEY_BOOL, KEY_LINE, KEY_TEXT, KEY_DATE, KEY_DAYS };
static const struct {
	const char *name;
	enum key_kind kind;
	const char *help; /* `pillarbox help user set`: one line, the default in brackets */
} keys[] = {
	{ "autoreply", KEY_BOOL, "[false] the automatic reply (out of office) is on" },
	{ "autoreply_subject", KEY_LINE,
	  "[] the reply's subject; empty: \"Auto: \" and the original's" },
	{ "autoreply_text", KEY_TEXT, "[] the reply's body (UTF-8, new lines allowed)" },
	{ "autoreply_start", KEY_DATE,
	  "[] YYYY-MM-DD (UTC): replies from that day on; empty: no start" },
	{ "autoreply_end", KEY_DATE,
	  "[] YYYY-MM-DD (UTC): replies up to that day included; empty: no end" },
	{ "autoreply_days", KEY_DAYS, "[7] 1..365: days between two replies to one sender" },
};

static int key_index(const char *key)
{
	for (size_t i = 0; key != NULL && i < PB_N_ELEMENTS(keys); i++)
		if (strcmp(keys[i].name, key) == 0)
			return (int)i;
	return -1;
}

bool router_autoreply_is_key(const char *key)
{
	return key_index(key) >= 0;
}

const char *router_autoreply_key(size_t i, const char **help_r)
{
	if (i >= PB_N_ELEMENTS(keys))
		return NULL;
	*help_r = keys[i].help;
	return keys[i].name;
}

int router_day_parse(const char *text, int64_t *ms_r)
{
	int y, m, d, n = 0;
	struct tm tm = { 0 };

	if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || text[10] != '\0' ||
	    y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d)
		return -1;
	*ms_r = (int64_t)t * 1000;
	return 0;
}

/* Whether s is printable text (TAB allowed; new lines when lines). */
static bool text_ok(const char *s, bool lines)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t' && !(lines && (*p == '\n' || *p == '\r'))) || *p == 0x7f)
			return false;
	return true;
}

static cJSON *value_item(enum key_kind kind, const char *v, const char **error_r)
{
	int64_t ms;
	char *end;

	switch (kind) {
	case KEY_BOOL:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcmp(v, "1"))
			return cJSON_CreateBool(1);
		if (!strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcasecmp(v, "no") || !strcmp(v, "0"))
			return cJSON_CreateBool(0);
		*error_r = "autoreply must be true or false";
		return NULL;
	case KEY_LINE:
		if (strlen(v) <= ROUTER_AUTOREPLY_SUBJECT_MAX && text_ok(v, false))
			return cJSON_CreateString(v);
		*error_r = "autoreply_subject is one line of at most 200 characters";
		return NULL;
	case KEY_TEXT:
		if (strlen(v) <= ROUTER_AUTOREPLY_TEXT_MAX && text_ok(v, true))
			return cJSON_CreateString(v);
		*error_r = "autoreply_text is at most 8000 characters of text";
		return NULL;
	case KEY_DATE:
		if (v[0] == '\0' || router_day_parse(v, &ms) == 0)
			return cJSON_CreateString(v);
		*error_r = "autoreply_start and autoreply_end are dates YYYY-MM-DD (UTC) or empty";
		return NULL;
	case KEY_DAYS: {
		unsigned long n = strtoul(v, &end, 10);
		if (v[0] != '\0' && *end == '\0' && n >= 1 && n <= ROUTER_AUTOREPLY_DAYS_MAX)
			return cJSON_CreateNumber((double)n);
		*error_r = "autoreply_days is a number of days from 1 to 365";
		return NULL;
	}
	}
	return NULL;
}

int router_autoreply_value(const char *key, const char *value, char **json_r,
			   const char **error_r)
{
	int i = key_index(key);

	if (i < 0) {
		*error_r = "not an autoresponder setting";
		return -1;
	}
	cJSON *item = value_item(keys[i].kind, value != NULL ? value : "", error_r);
	if (item == NULL)
		return -1;
	char *text = cJSON_PrintUnformatted(item);
	*json_r = xstrdup(text);
	cJSON_free(text);
	cJSON_Delete(item);
	return 0;
}

static char *str_of(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	return xstrdup(cJSON_IsString(v) ? v->valuestring : "");
}

static int64_t date_of(const cJSON *doc, const char *key, int64_t add)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
	int64_t ms;
	if (!cJSON_IsString(v) || router_day_parse(v->valuestring, &ms) < 0)
		return 0;
	return ms + add;
}

void router_autoreply_load(const char *settings_json, struct router_autoreply *a_r)
{
	cJSON *doc = cJSON_Parse(settings_json != NULL && settings_json[0] ? settings_json : "{}");
	const cJSON *on = cJSON_GetObjectItemCaseSensitive(doc, "autoreply");
	const cJSON *days = cJSON_GetObjectItemCaseSensitive(doc, "autoreply_days");

	memset(a_r, 0, sizeof(*a_r));
	a_r->on = cJSON_IsBool(on) && cJSON_IsTrue(on);
	a_r->subject = str_of(doc, "autoreply_subject");
	a_r->text = str_of(doc, "autoreply_text");
	a_r->start_ms = date_of(doc, "autoreply_start", 0);
	a_r->end_ms = date_of(doc, "autoreply_end", DAY_MS);
	a_r->days = ROUTER_AUTOREPLY_DAYS_DEFAULT;
	if (cJSON_IsNumber(days) && days->valuedouble >= 1 &&
	    days->valuedouble <= ROUTER_AUTOREPLY_DAYS_MAX)
		a_r->days = (uint32_t)days->valuedouble;
	cJSON_Delete(doc);
}

void router_autoreply_clear(struct router_autoreply *a)
{
	free(a->subject);
	free(a->text);
	memset(a, 0, sizeof(*a));
}

char *router_autoreply_export(const char *settings_json)
{
	cJSON *doc = cJSON_Parse(settings_json != NULL && settings_json[0] ? settings_json : "{}");
	cJSON *out = cJSON_CreateObject();

	for (size_t i = 0; cJSON_IsObject(doc) && i < PB_N_ELEMENTS(keys); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, keys[i].name);
		if (v != NULL)
			cJSON_AddItemToObject(out, keys[i].name, cJSON_Duplicate(v, 1));
	}
	char *text = cJSON_GetArraySize(out) > 0 ? cJSON_PrintUnformatted(out) : NULL;
	char *ret = xstrdup(text != NULL ? text : "");
	cJSON_free(text);
	cJSON_Delete(out);
	cJSON_Delete(doc);
	return ret;
}

/* Whether the local part of addr is a robot's (RFC 3834 2, as Sieve vacation implementations
 * skip them). */
static bool robot_sender(const char *addr)
{
	static const char *const exact[] = { "mailer-daemon", "postmaster", "listserv",
					     "majordomo", "noreply", "no-reply" };
	const char *at = strrchr(addr, '@');
	size_t n = at != NULL ? (size_t)(at - addr) : strlen(addr);

	for (size_t i = 0; i < PB_N_ELEMENTS(exact); i++)
		if (strlen(exact[i]) == n && strncasecmp(addr, exact[i], n) == 0)
			return true;
	return (n >= 6 && strncasecmp(addr, "owner-", 6) == 0) ||
	       (n >= 8 && strncasecmp(addr + n - 8, "-request", 8) == 0);
}

bool router_autoreply_due(const struct router_autoreply *a, const char *sender,
			  const char *user_addr, int64_t now_ms, const char **why_r)
{
	if (!a->on)
		return *why_r = "the autoresponder is off", false;
	if (a->start_ms != 0 && now_ms < a->start_ms)
		return *why_r = "the autoresponder has not started yet (autoreply_start)", false;
	if (a->end_ms != 0 && now_ms >= a->end_ms)
		return *why_r = "the autoresponder has ended (autoreply_end)", false;
	if (sender == NULL || sender[0] == '\0')
		return *why_r = "no automatic reply to the null sender", false;
	if (user_addr != NULL && strcasecmp(sender, user_addr) == 0)
		return *why_r = "no automatic reply to the user's own address", false;
	if (robot_sender(sender))
		return *why_r = "no automatic reply to a mailing list or mail system address", false;
	*why_r = "an automatic reply is due (once per sender per autoreply_days)";
	return true;
}

/* The first value of header field name (unfolded, trimmed) into v; false when absent. */
static bool field(const char *h, size_t len, const char *name, struct pb_buf *v)
{
	pb_buf_reset(v);
	if (mime_header_get(h, len, name, v) != 1)
		return false;
	size_t b = 0;
	while (b < v->len && isspace((unsigned char)v->data[b]))
		b++;
	pb_buf_consume(v, b);
	while (v->len > 0 && isspace((unsigned char)v->data[v->len - 1]))
		v->data[--v->len] = '\0';
	return true;
}

/* Whether one address of the address-list value is one of addrs. */
static bool names_user(const char *value, size_t len, const char *const *addrs, size_t n)
{
	struct mime_address_list l;
	bool yes = false;

	mime_address_list_parse(value, len, &l);
	for (unsigned int i = 0; i < l.n && !yes; i++) {
		const struct mime_address *a = &l.v[i];
		if (a->kind != MIME_ADDRESS_MAILBOX || a->mailbox == NULL || a->domain == NULL)
			continue;
		char *full = xasprintf("%s@%s", a->mailbox, a->domain);
		for (size_t k = 0; k < n && !yes; k++)
			yes = strcasecmp(full, addrs[k]) == 0;
		free(full);
	}
	mime_address_list_free(&l);
	return yes;
}

/* RFC 3834 3.1.1: one of the user's addresses in a recipient field of the header. */
static bool addressed_to_user(const char *h, size_t len, const char *const *addrs, size_t n)
{
	static const char *const names[] = { "to", "cc", "bcc", "resent-to", "resent-cc",
					     "resent-bcc" };
	struct mime_header_iter it;
	struct mime_header_field f;
	bool yes = false;

	mime_header_iter_init(&it, h, len);
	while (!yes && mime_header_iter_next(&it, &f) == 1) {
		for (size_t i = 0; i < PB_N_ELEMENTS(names) && !yes; i++)
			if (f.name_len == strlen(names[i]) &&
			    strncasecmp(f.name, names[i], f.name_len) == 0)
				yes = names_user(f.value, f.value_len, addrs, n);
	}
	mime_header_iter_deinit(&it);
	return yes;
}

/* The list and bulk markers: *why_r set when one is there. */
static bool list_or_bulk(const char *h, size_t len, struct pb_buf *v, const char **why_r)
{
	static const char *const list_fields[] = { "List-Id", "List-Unsubscribe", "List-Post",
						   "List-Help", "List-Owner" };

	for (size_t i = 0; i < PB_N_ELEMENTS(list_fields); i++)
		if (field(h, len, list_fields[i], v))
			return *why_r = "no automatic reply to mailing list mail (List-* header)", true;
	if (field(h, len, "Precedence", v) &&
	    (!strcasecmp(v->data, "bulk") || !strcasecmp(v->data, "list") ||
	     !strcasecmp(v->data, "junk")))
		return *why_r = "no automatic reply to bulk mail (Precedence)", true;
	if (field(h, len, "X-Auto-Response-Suppress", v) &&
	    (strcasestr(v->data, "all") != NULL || strcasestr(v->data, "oof") != NULL))
		return *why_r = "the sender asks for no automatic reply (X-Auto-Response-Suppress)",
		       true;
	return false;
}

bool router_autoreply_headers_ok(const char *header, size_t len, const char *const *addrs,
				 size_t n, const char **why_r)
{
	struct pb_buf v;
	bool ok = false;

	pb_buf_init(&v);
	if (field(header, len, "Auto-Submitted", &v) && strncasecmp(v.data, "no", 2) != 0)
		*why_r = "no automatic reply to automatic mail (Auto-Submitted)";
	else if (field(header, len, ROUTER_GENERATED_HEADER, &v))
		*why_r = "no automatic reply to a message this server generated";
	else if (list_or_bulk(header, len, &v, why_r))
		;
	else if (!addressed_to_user(header, len, addrs, n))
		*why_r = "no automatic reply: no address of the user is in To, Cc or Bcc "
			 "(RFC 3834 3.1.1)";
	else
		ok = true, *why_r = "the header allows an automatic reply";
	pb_buf_deinit(&v);
	return ok;
}

void router_rfc5322_date(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static void base64(const unsigned char *s, size_t n, struct pb_buf *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);
		pb_buf_append_c(out, tab[v >> 18 & 63]);
		pb_buf_append_c(out, tab[v >> 12 & 63]);
		pb_buf_append_c(out, i + 1 < n ? tab[v >> 6 & 63] : '=');
		pb_buf_append_c(out, i + 2 < n ? tab[v & 63] : '=');
	}
}

static bool ascii_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* Appends printable ASCII text folded (RFC 5322 2.2.3) before a space that starts a word,
 * when the line would pass 78 octets, col octets being on the first line already. false (out
 * as it was) when some word still leaves a line over 998 octets. */
static bool fold_ascii(const char *text, size_t col, struct pb_buf *out)
{
	size_t start = out->len, line = col, longest = col;

	for (size_t a = 0, b; text[a] != '\0'; a = b) {
		/* the segment [a, b): up to the next space that is followed by a word */
		for (b = a + 1; text[b] != '\0' && !(text[b] == ' ' && text[b + 1] != ' ' &&
						     text[b + 1] != '\0'); b++)
			;
		if (a > 0 && line + (b - a) > 78) {
			pb_buf_append_str(out, "\r\n");
			line = 0;
		}
		pb_buf_append(out, text + a, b - a);
		line += b - a;
		longest = line > longest ? line : longest;
	}
	if (longest <= 998)
		return true;
	out->len = start;
	out->data[start] = '\0';
	return false;
}

void router_header_text(const char *text, size_t col, struct pb_buf *out)
{
	size_t len = strlen(text);

	if (ascii_line(text) && fold_ascii(text, col, out))
		return;
	/* 45 octets per word (60 base64 characters), never cutting a UTF-8 sequence */
	for (size_t i = 0; i < len;) {
		size_t n = len - i < 45 ? len - i : 45;
		while (i + n < len && n > 1 && ((unsigned char)text[i + n] & 0xc0) == 0x80)
			n--;
		pb_buf_append_str(out, i == 0 ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?");
		base64((const unsigned char *)text + i, n, out);
		pb_buf_append_str(out, "?=");
		i += n;
	}
}

/* The reply's In-Reply-To and References (RFC 3834 3.1.5). */
static void thread_fields(const struct router_autoreply_msg *in, struct pb_buf *o)
{
	struct pb_buf id, refs;

	pb_buf_init(&id);
	pb_buf_init(&refs);
	if (field(in->header, in->header_len, "Message-ID", &id) && id.len > 0 &&
	    ascii_line(id.data)) {
		pb_buf_printf(o, "In-Reply-To: %s\r\n", id.data);
		if (field(in->header, in->header_len, "References", &refs) && refs.len > 0 &&
		    refs.len < 900 && ascii_line(refs.data))
			pb_buf_printf(o, "References: %s %s\r\n", refs.data, id.data);
		else
			pb_buf_printf(o, "References: %s\r\n", id.data);
	}
	pb_buf_deinit(&id);
	pb_buf_deinit(&refs);
}

/* The body: CRLF lines, base64 (76 a line) when not ASCII. */
static void body(const char *text, struct pb_buf *o)
{
	bool ascii = true;
	for (const char *p = text; *p != '\0'; p++)
		ascii &= (unsigned char)*p < 0x80;
	pb_buf_printf(o, "Content-Type: text/plain; charset=%s\r\n", ascii ? "us-ascii" : "utf-8");
	pb_buf_printf(o, "Content-Transfer-Encoding: %s\r\n\r\n", ascii ? "7bit" : "base64");
	struct pb_buf crlf;
	pb_buf_init(&crlf);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			pb_buf_append_c(&crlf, '\r');
		pb_buf_append_c(&crlf, *p);
	}
	if (crlf.len < 2 || memcmp(crlf.data + crlf.len - 2, "\r\n", 2) != 0)
		pb_buf_append_str(&crlf, "\r\n");
	if (ascii) {
		pb_buf_append(o, crlf.data, crlf.len);
	} else {
		for (size_t i = 0; i < crlf.len; i += 57) {
			base64((const unsigned char *)crlf.data + i, crlf.len - i < 57 ? crlf.len - i : 57, o);
			pb_buf_append_str(o, "\r\n");
		}
	}
	pb_buf_deinit(&crlf);
}

void router_autoreply_build(const struct router_autoreply_msg *in, struct pb_buf *o)
{
	char date[64];
	struct pb_buf subj;

	router_rfc5322_date(in->now_ms, date, sizeof(date));
	pb_buf_init(&subj);
	if (in->subject[0] != '\0') {
		pb_buf_append_str(&subj, in->subject);
	} else {
		struct pb_buf orig;
		pb_buf_init(&orig);
		bool has = field(in->header, in->header_len, "Subject", &orig);
		pb_buf_printf(&subj, "Auto: %s", has ? orig.data : "");
		pb_buf_deinit(&orig);
	}
	pb_buf_printf(o, "From: <%s>\r\nTo: <%s>\r\nSubject: ", in->from, in->to);
	/* folded: the original's may be near 998 octets. Its encoded-words are kept as they are
	 * (folding is at spaces, which they lack); past 998 in one word, it is all encoded. */
	router_header_text(subj.data, strlen("Subject: "), o);
	pb_buf_printf(o, "\r\nDate: %s\r\nMessage-ID: <%s>\r\n", date, in->message_id);
	thread_fields(in, o);
	pb_buf_printf(o, "Auto-Submitted: auto-replied\r\n%s: autoreply\r\n"
			 "X-Auto-Response-Suppress: All\r\nMIME-Version: 1.0\r\n",
		      ROUTER_GENERATED_HEADER);
	body(in->text, o);
	pb_buf_deinit(&subj);
}
