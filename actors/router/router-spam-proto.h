/*
 * router-spam-proto.h: the pure side of spam scoring through rspamd (admin guide 4.14 "Spam
 * Score", issue 13 item 8): the HTTP request head of rspamd's protocol (POST /checkv2 with the
 * envelope as headers), the parse of its reply (an HTTP response whose JSON body has "score",
 * "required_score" and "action"), the client address and HELO taken from the Received line
 * our SMTP intake wrote on top of the message, and what a verdict does to a plan (local
 * deliveries still going to the INBOX go to Junk at or over the threshold; a trace line
 * either way). The socket side is router-spam.c.
 *
 * No sockets, no clock, no store. THREAD: any. OWNS: nothing beyond what a call fills.
 */
#ifndef ROUTER_SPAM_PROTO_H
#define ROUTER_SPAM_PROTO_H

#include "router-plan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds: an rspamd reply (status line, headers and JSON) larger than this is refused; the
 * request head (envelope headers) is cut at this many recipients. */
#define ROUTER_SPAM_REPLY_MAX (256u * 1024u)
#define ROUTER_SPAM_MAX_RCPT_HEADERS 100
/* The folder a quarantined message is delivered to. */
#define ROUTER_SPAM_FOLDER "Junk"

/* What rspamd said about one message. action: rspamd's word ("no action", "add header",
 * "rewrite subject", "greylist", "soft reject", "reject"), cut to fit. */
struct router_spam_result {
	double score;
	double required_score;
	char action[32];
};

/* The envelope sent with a message (every string borrowed; NULL or "" left out). user: the
 * authenticated sender (rspamd's "User" header). */
struct router_spam_envelope {
	const char *from;
	const char *const *rcpts;
	size_t n_rcpts;
	const char *ip;
	const char *helo;
	const char *user;
	const char *queue_id;
};

/* The request head for a body of content_length octets: "POST /checkv2 HTTP/1.0" and the
 * envelope headers (a value with a control character is left out), ending in an empty line.
 * Returns the head (owned by the caller: free()). */
char *router_spam_request_head(const struct router_spam_envelope *env, uint64_t content_length);

/* Parses a reply read so far (data[0..len)); eof: the peer closed the connection. Returns 1
 * (complete: *result_r filled), 0 (more is needed) or -1 with *error_r (a static string): not
 * HTTP, a status other than 200, a body that is not rspamd's JSON, over ROUTER_SPAM_REPLY_MAX,
 * or cut short by eof. Any bytes are safe (the fuzz target feeds it). */
int router_spam_reply_parse(const char *data, size_t len, bool eof,
			    struct router_spam_result *result_r, const char **error_r);

/* Takes the client's address and HELO from the Received line our SMTP intake put on top of a
 * message ("Received: from HELO (unknown [IP])" right after Return-Path: see smtp-session.c
 * begin_body), and whether the client had authenticated (its "with" word ends in A, RFC 3848).
 * head: the start of the message. Returns true when that line is found; ip_r and helo_r
 * (sizes given) are then NUL-terminated, else left "" */
bool router_spam_peer(const char *head, size_t len, char *ip_r, size_t ip_size, char *helo_r,
		      size_t helo_size, bool *authenticated_r);

/* Whether a score is at or over the threshold (threshold 0: rspamd's own required_score). */
bool router_spam_is_quarantine(const struct router_spam_result *r, uint32_t threshold);

/* Applies a verdict to a resolved plan: a trace line saying the score (an X-Spam-Score-like
 * line) and, when quarantine, every local item still going to the INBOX goes to
 * ROUTER_SPAM_FOLDER (a rule that chose another folder wins), each said in the trace.
 * r NULL: not scored; why says why (rspamd down, too big...) and the trace says so. */
void router_spam_apply(struct router_plan *p, const struct router_spam_result *r,
		       uint32_t threshold, const char *why);

#endif
