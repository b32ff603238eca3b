/*
 * router-generate.h: the pure rules of generated messages (issue 13 item 7; admin guide 4.6;
 * RFC 3834; Sieve vacation, RFC 5230): an account's autoresponder settings, whether a message
 * gets an automatic reply, and the reply itself.
 *
 * The settings are keys of the account's settings JSON, set with
 * `pillarbox user set NAME KEY VALUE` (or `pillarbox autoreply set|off|show NAME`):
 *   autoreply          bool, false: the autoresponder is on
 *   autoreply_subject  text, "": the reply's subject ("" : "Auto: " and the original's)
 *   autoreply_text     text (new lines allowed), "": the reply's body (UTF-8)
 *   autoreply_start    YYYY-MM-DD (UTC), "": replies from that day on
 *   autoreply_end      YYYY-MM-DD (UTC), "": replies up to that day included
 *   autoreply_days     1..365, 7: days between two replies to one sender
 *
 * Who gets a reply is decided in two steps, both pure and traced:
 *   router_autoreply_due: at planning (the router), from the envelope: on, the date window,
 *     never to the null sender, to the user's own address or to a robot's address
 *     (MAILER-DAEMON, postmaster, owner-*, *-request, LISTSERV, majordomo, as Sieve vacation);
 *   router_autoreply_headers_ok: at delivery (the spool, which has the header), RFC 3834 2 and
 *     3.1.1 and RFC 5230 4.5: never to Auto-Submitted other than "no", List-Id /
 *     List-Unsubscribe / List-Post / List-Help, Precedence bulk/list/junk, X-Auto-Response-
 *     Suppress, our own generated mail (X-Pillarbox-Generated); and only when one of the
 *     user's addresses is in To, Cc, Bcc, Resent-To, Resent-Cc or Resent-Bcc (a user only
 *     blind-copied, or reached through a list, gets no reply: RFC 3834 3.1.1).
 * Once per sender per autoreply_days is the store's memory (store-spool.h), checked in the
 * write that creates the reply.
 * No store, no clock (time is passed in), no actor. THREAD: any. OWNS: what it returns.
 */
#ifndef ROUTER_GENERATE_H
#define ROUTER_GENERATE_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTER_AUTOREPLY_DAYS_DEFAULT 7
#define ROUTER_AUTOREPLY_DAYS_MAX 365
#define ROUTER_AUTOREPLY_SUBJECT_MAX 200
#define ROUTER_AUTOREPLY_TEXT_MAX 8000
/* The marker header of every message Pillarbox generates (never answered automatically). */
#define ROUTER_GENERATED_HEADER "X-Pillarbox-Generated"

/* An account's autoresponder (owned strings; router_autoreply_clear). */
struct router_autoreply {
	bool on;
	char *subject, *text;
	int64_t start_ms, end_ms; /* 0: no bound; end_ms is the first instant past the end day */
	uint32_t days;
};

/* Whether key is an autoresponder key (above). */
bool router_autoreply_is_key(const char *key);
/* The i-th autoreply key (0, 1, ...; NULL past the last) with its one-line help in *help_r. */
const char *router_autoreply_key(size_t i, const char **help_r);
/* The JSON text of the CLI's value for an autoresponder key, checked: 0 with *json_r (caller
 * frees: a JSON value), -1 with *error_r (static text naming the key). */
int router_autoreply_value(const char *key, const char *value, char **json_r,
			   const char **error_r);
/* The autoresponder keys of settings_json (an account's settings, or the subset below) into
 * *a_r; a value of the wrong type keeps its default. Free with router_autoreply_clear. */
void router_autoreply_load(const char *settings_json, struct router_autoreply *a_r);
void router_autoreply_clear(struct router_autoreply *a);
/* The JSON object of only the autoresponder keys of settings_json ("" when none: off), as the
 * directory's routing snapshot carries it. Caller frees. */
char *router_autoreply_export(const char *settings_json);
/* "YYYY-MM-DD" as UTC midnight in ms. 0 / -1. */
int router_day_parse(const char *text, int64_t *ms_r);

/* Whether a message from sender (envelope; "" null) reaching user_addr gets a reply, by the
 * settings at now_ms; *why_r: the reason in words either way (static text). */
bool router_autoreply_due(const struct router_autoreply *a, const char *sender,
			  const char *user_addr, int64_t now_ms, const char **why_r);
/* Whether the original's header (header: its first bytes, the header section at least)
 * allows a reply for a user with the addresses addrs[0..n) (lowercase or not); *why_r as
 * above. */
bool router_autoreply_headers_ok(const char *header, size_t len, const char *const *addrs,
				 size_t n, const char **why_r);

/* The reply to build. All borrowed. */
struct router_autoreply_msg {
	const char *from;       /* the user's address (the one the message reached) */
	const char *to;         /* the envelope sender */
	const char *subject;    /* the configured subject, "" for "Auto: " + the original's */
	const char *text;
	const char *header;     /* the original's header (first bytes), for its Subject,
				   Message-ID and References */
	size_t header_len;
	const char *message_id; /* the reply's own Message-ID, without <> */
	int64_t now_ms;
};
/* Appends the reply (RFC 3834 headers: Auto-Submitted: auto-replied, In-Reply-To,
 * References; CRLF lines; the text as us-ascii, or UTF-8 in base64) to out. */
void router_autoreply_build(const struct router_autoreply_msg *in, struct pb_buf *out);

/* Appends the RFC 5322 date of ms (UTC) into buf. */
void router_rfc5322_date(int64_t ms, char *buf, size_t size);
/* Appends text to out as a header value whose first line holds col octets already (the field
 * name, ": "): printable ASCII folded at spaces to lines of about 78 octets, else (or when a
 * word would leave a line over 998 octets) as RFC 2047 UTF-8 B encoded-words, one a line. */
void router_header_text(const char *text, size_t col, struct pb_buf *out);

#endif
