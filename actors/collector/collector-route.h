/*
 * collector-route.h: routing a downloaded message by its header (the guide's "route incoming
 * messages by parsing the headers and looking for recipients"): which addresses of which
 * fields count, which are the collector's (Accepted Domains, wildcards, whole addresses) and
 * which mapping names a user. Pure: no nng, no store, no clock. Resolving an address to an
 * account is the directory's (collector-run.c).
 * OWNS: nothing. THREAD: any.
 */
#ifndef COLLECTOR_ROUTE_H
#define COLLECTOR_ROUTE_H

#include "pb-msg.h"

#include <stdbool.h>
#include <stddef.h>

/* At most this many addresses are taken from one header. */
#define COLLECTOR_ROUTE_MAX_ADDRS 500

/* Appends to addrs_r the addresses (lower case, each once) of the fields To, Cc,
 * Delivered-To, X-Original-To, Envelope-To and the custom ones (comma separated names, may
 * be NULL) of the header block hdr (len bytes, up to its blank line or the end). */
void collector_route_addresses(const void *hdr, size_t len, const char *custom_fields,
			       struct pb_strv *addrs_r);
/* Whether addr (local@domain) is the collector's by the Accepted Domains list (comma
 * separated; an entry with '@' matches the whole address, else the domain; * and ?
 * wildcards; any case). */
bool collector_route_accepted(const char *accepted, const char *addr);
/* The user a mapping list ("address=user,...", wildcards in the address) gives addr: true
 * with user_r (size bytes), or false. */
bool collector_route_mapping(const char *mappings, const char *addr, char *user_r, size_t size);
/* The envelope sender the message's Return-Path gives (lower case, "" for <> or none) into
 * sender_r (size bytes). */
void collector_route_sender(const void *hdr, size_t len, char *sender_r, size_t size);
/* The end of the header block in data (len bytes): the offset just past its blank line, or
 * 0 when the blank line is not in data yet. */
size_t collector_route_header_end(const void *data, size_t len);

#endif
