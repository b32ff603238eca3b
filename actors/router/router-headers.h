/*
 * router-headers.h: the header edits (mime-edit.h) the router itself puts on every local copy
 * of a message, beside those of the message rules:
 *   - spam headers (issue 13 item 8), SpamAssassin-like, what Dovecot/Sieve users filter on:
 *     a scored message gets "X-Spam-Score: N.N", "X-Spam-Status: Yes|No, score=N.N
 *     required=T" and, at or over the quarantine threshold, "X-Spam-Flag: YES"; any such fields
 *     the message came with are removed first (a sender cannot forge them) — also when rspamd
 *     was asked and did not answer (the fields are removed, none added);
 *   - Return-Path (RFC 5321 4.4) for a message the server generated (origin SYSTEM: automatic
 *     replies, DSNs, quota alerts, welcome messages...): nobody's SMTP intake wrote one, so
 *     local delivery adds "Return-Path: <sender>" (the null sender "<>" for most).
 * Whenever a field is added, "Return-Path: <sender>" is the first edit, so that the stored copy
 * still begins with its Return-Path (mime-edit adds fields at the top, in edit order) — the
 * dry-run and the rules read the sender there.
 *
 * Why per copy and not once in the stored body: the body is stored (synced) before the router
 * scores it; a copy with edits is stored as a body of its own by the spool (item_body in
 * spool-actor.c), content-addressed, so the copies of one message that get the same edits
 * share one body.
 *
 * No store, no clock, no actor. THREAD: any. OWNS: nothing beyond what a call fills.
 */
#ifndef ROUTER_HEADERS_H
#define ROUTER_HEADERS_H

#include "pb-buf.h"
#include "router-plan.h"
#include "router-spam-proto.h"

#include <stdbool.h>

/* The spam edits into out ('\n'-separated, no trailing newline): r NULL (asked, not scored):
 * the removals of X-Spam-Flag, X-Spam-Score, X-Spam-Status and X-Spam-Level; else the three
 * fields (score and threshold with one decimal; the threshold as router_spam_is_quarantine
 * takes it) and the removal of X-Spam-Level. */
void router_headers_spam(const struct router_spam_result *r, uint32_t threshold,
			 struct pb_buf *out);

/* Prepends to every local item of p (user_id != 0) the edits `edits` ("" none) and, when
 * return_path is set or edits add a field, first "Return-Path: <sender>" (sender NULL: "").
 * An item's own edits (a rule's) come after. */
void router_headers_apply(struct router_plan *p, const char *sender, bool return_path,
			  const char *edits);

#endif
