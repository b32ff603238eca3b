/*
 * collector-route.c: routing a downloaded message by its header (see collector-route.h).
 * OWNS: nothing. THREAD: any.
 */
#include "collector-route.h"

#include "mime-address.h"
#include "mime-header.h"
#include "pb-alloc.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const route_fields[] = { "To", "Cc", "Delivered-To", "X-Original-To",
					    "Envelope-To" };

/* Whether the field name (n bytes) is in the comma separated list. */
static bool in_list(const char *list, const char *name, size_t n)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",");
		size_t end = len;
		while (end > 0 && p[end - 1] == ' ')
			end--;
		if (end == n && strncasecmp(p, name, n) == 0)
			return true;
		p += len;
	}
	return false;
}

static bool route_field(const char *name, size_t n, const char *custom)
{
	for (size_t i = 0; i < sizeof(route_fields) / sizeof(route_fields[0]); i++)
		if (strlen(route_fields[i]) == n && strncasecmp(route_fields[i], name, n) == 0)
			return true;
	return custom != NULL && in_list(custom, name, n);
}

static void push_unique(struct pb_strv *v, const char *addr)
{
	for (uint32_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], addr) == 0)
			return;
	if (v->n < COLLECTOR_ROUTE_MAX_ADDRS)
		pb_strv_push(v, addr);
}

/* The mailbox@domain of a (lower case) into buf; false when it has no local part or domain. */
static bool address_text(const struct mime_address *a, char *buf, size_t size)
{
	if (a->kind != MIME_ADDRESS_MAILBOX || a->mailbox == NULL || a->domain == NULL ||
	    a->mailbox[0] == '\0' || a->domain[0] == '\0')
		return false;
	int n = snprintf(buf, size, "%s@%s", a->mailbox, a->domain);
	if (n < 0 || (size_t)n >= size)
		return false;
	for (char *p = buf; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return true;
}

void collector_route_addresses(const void *hdr, size_t len, const char *custom_fields,
			       struct pb_strv *addrs_r)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	char buf[512];

	mime_header_iter_init(&it, hdr, len);
	while (mime_header_iter_next(&it, &f) == 1) {
		if (!route_field(f.name, f.name_len, custom_fields))
			continue;
		struct mime_address_list l;
		mime_address_list_parse(f.value, f.value_len, &l);
		for (unsigned int i = 0; i < l.n; i++)
			if (address_text(&l.v[i], buf, sizeof(buf)))
				push_unique(addrs_r, buf);
		mime_address_list_free(&l);
	}
	mime_header_iter_deinit(&it);
}

/* Calls match on each trimmed entry of a comma separated list until it returns true. */
static bool any_entry(const char *list, bool (*match)(const char *entry, const void *ctx),
		      const void *ctx)
{
	char entry[512];
	const char *p = list;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",");
		size_t end = len;
		while (end > 0 && p[end - 1] == ' ')
			end--;
		if (end > 0 && end < sizeof(entry)) {
			memcpy(entry, p, end);
			entry[end] = '\0';
			if (match(entry, ctx))
				return true;
		}
		p += len;
	}
	return false;
}

static bool accepted_entry(const char *entry, const void *ctx)
{
	const char *addr = ctx;
	const char *at = strrchr(addr, '@');

	if (strchr(entry, '@') != NULL)
		return fnmatch(entry, addr, FNM_CASEFOLD) == 0;
	return at != NULL && fnmatch(entry, at + 1, FNM_CASEFOLD) == 0;
}

bool collector_route_accepted(const char *accepted, const char *addr)
{
	return any_entry(accepted, accepted_entry, addr);
}

struct mapping_ctx {
	const char *addr;
	char *user;
	size_t size;
};

static bool mapping_entry(const char *entry, const void *ctx)
{
	const struct mapping_ctx *c = ctx;
	const char *eq = strchr(entry, '=');
	char pattern[512];

	if (eq == NULL || eq == entry || eq[1] == '\0')
		return false;
	snprintf(pattern, sizeof(pattern), "%.*s", (int)(eq - entry), entry);
	if (fnmatch(pattern, c->addr, FNM_CASEFOLD) != 0)
		return false;
	snprintf(c->user, c->size, "%s", eq + 1);
	return true;
}

bool collector_route_mapping(const char *mappings, const char *addr, char *user_r, size_t size)
{
	struct mapping_ctx c = { addr, user_r, size };
	return any_entry(mappings, mapping_entry, &c);
}

void collector_route_sender(const void *hdr, size_t len, char *sender_r, size_t size)
{
	struct pb_buf v;
	struct mime_address_list l;

	sender_r[0] = '\0';
	pb_buf_init(&v);
	if (mime_header_get(hdr, len, "Return-Path", &v) == 1) {
		mime_address_list_parse((const char *)v.data, v.len, &l);
		if (l.n == 0 || !address_text(&l.v[0], sender_r, size))
			sender_r[0] = '\0';
		mime_address_list_free(&l);
	}
	pb_buf_deinit(&v);
}

size_t collector_route_header_end(const void *data, size_t len)
{
	const char *p = data;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < len && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}
