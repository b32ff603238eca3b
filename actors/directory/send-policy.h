/*
 * send-policy.h: an account's sending permissions (admin guide 4.9-4.12 and the user
 * permissions "Max outgoing message size", "Allow sending of Internet mail", "Allow sending
 * BCCs"), kept as keys of the account's settings JSON object, and the pure rules that apply
 * them to an SMTP transaction.
 *
 * The keys (absent: the default):
 *   send_as_any            bool, false: MAIL FROM must be one of the account's own addresses
 *   max_messages_per_hour  0..1000000, absent: limits.user_messages_per_hour (0 no limit)
 *   max_messages_per_day   0..1000000, absent: limits.user_messages_per_day (0 no limit)
 *   forbidden_recipients   list of wildcard patterns ('*' any run, '?' one character, any
 *                          case, anchored) of addresses the account may not send to
 *   allow_bcc              bool, true: false = every envelope recipient must be in To: or Cc:
 *   internet_mail          bool, true: false = local domains only
 *   max_message_size_kb    0..1048576, 0 no limit (besides smtp.max_message_size)
 *   quota_mb               0..1048576 MiB, the mailbox quota (admin guide 4.8; 0 none),
 *                          absent: quota.default_mb. Not a sending permission, but kept and
 *                          set the same way; the mailbox owner holds a copy (quota_limit_mb).
 *   signature_text         text up to 2000 characters: the account's own signature on mail
 *                          it sends to remote recipients (docs/operations.md "Signatures");
 *                          absent or "": none (the domain's or the server's applies)
 *   signature_html         an HTML fragment up to 4000 characters for HTML parts (absent:
 *                          signature_text, escaped)
 *   internal_signature_text, internal_signature_html: the same for mail whose recipients
 *                          are all local
 *   (texts: no control characters but tab, CR and LF; the two characters backslash n also
 *   start a new line, as in the server's signature settings.)
 * Other keys of the object (e.g. "admin") are left alone.
 *
 * Pure code (cJSON and the mime library only): no store, no clock. THREAD: any.
 * OWNS: the policies and texts it returns.
 */
#ifndef SEND_POLICY_H
#define SEND_POLICY_H

#include "pb-msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEND_POLICY_PATTERNS_MAX 1000
#define SEND_POLICY_PATTERN_MAX 320
#define SEND_POLICY_COUNT_MAX 1000000
#define SEND_POLICY_SIZE_KB_MAX 1048576
#define SEND_POLICY_QUOTA_MB_MAX 1048576
#define SEND_POLICY_SIG_TEXT_MAX 2000
#define SEND_POLICY_SIG_HTML_MAX 4000

/* An account's own signature (one of outgoing, internal): NULL text and html when none. */
struct send_signature {
	char *text, *html;
};
/* The most header octets the BCC rule reads (a longer header section is refused as BCC). */
#define SEND_POLICY_HEADER_MAX (256 * 1024)

/* An account's policy; per_hour/per_day/quota_mb -1 when absent (the node's default applies). */
struct send_policy {
	bool send_as_any, allow_bcc, internet_mail;
	int64_t per_hour, per_day, quota_mb;
	uint64_t max_size_kb;
	struct pb_strv forbidden;
	struct send_signature outgoing, internal; /* signature_*, internal_signature_* */
};

/* The defaults: what an account without any of the keys has. */
void send_policy_init(struct send_policy *p);
void send_policy_deinit(struct send_policy *p);

/* Reads the keys of settings_json (NULL or "": none). A key whose stored value is of the wrong
 * type or out of range keeps its default (a record written by hand); never fails. */
void send_policy_from_json(const char *settings_json, struct send_policy *p_r);

/* A CLI boolean: true/yes/on/1 or false/no/off/0 (any case). Returns 0 with *b_r, or -1. */
int send_policy_parse_bool(const char *v, bool *b_r);

/* Whether key is one of the keys above. */
bool send_policy_is_key(const char *key);
/* The i-th key above (0, 1, ...; NULL past the last) with its one-line help in *help_r
 * (static text: the default in brackets, then what it does). */
const char *send_policy_key(size_t i, const char **help_r);

/* Sets key to value (as the CLI writes it: bools true/false/yes/no/on/off/1/0; numbers in
 * decimal; forbidden_recipients a comma-separated list of patterns, "" empty) in the JSON
 * object settings_json (NULL or "": {}). Returns 0 with *json_r (the new object, the caller
 * frees it), or -1 with *error_r (static text naming the key or the problem): an unknown key, a
 * bad value, settings that are not a JSON object. */
int send_policy_set(const char *settings_json, const char *key, const char *value, char **json_r,
		    const char **error_r);
/* Removes key (back to its default). Same returns; unsetting an absent key is not an error. */
int send_policy_unset(const char *settings_json, const char *key, char **json_r,
		      const char **error_r);
/* Checks the keys present in a whole settings object (an account added with settings): 0, or
 * -1 with *error_r naming the first bad key. */
int send_policy_check_json(const char *settings_json, const char **error_r);

/* Appends the policy as "key: value" lines (absent counts: "default"). */
void send_policy_format(const struct send_policy *p, struct pb_buf *out);

/* The effective limit: the account's own if set, else the node's default. */
uint32_t send_policy_limit(int64_t own, uint32_t node_default);
/* The largest message an account may submit: its own max_message_size_kb (own_kb, 0: none)
 * and the server's max (octets, 0: none), the smaller; 0: no limit. SMTP submission and
 * webmail both apply it. */
uint64_t send_policy_max_size(uint64_t own_kb, uint64_t max);

/* The first forbidden pattern that address (local@domain) matches, or NULL. */
const char *send_policy_forbidden(const struct pb_strv *patterns, const char *address);

/* The BCC rule: every envelope recipient (rcpts[0..n)) must be an address of the To: or Cc:
 * fields of the header section (header: the message's start, len octets; parsed up to its
 * blank line). Addresses compare in any case. Returns NULL when all are there, else the first
 * recipient that is not (a pointer into rcpts). */
const char *send_policy_bcc_missing(const char *header, size_t len, const char *const *rcpts,
				    size_t n);

#endif
