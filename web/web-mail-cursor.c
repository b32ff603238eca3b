/*
 * web-mail-cursor.c: the webmail list's cursor (web-mail.h): where the next page starts, as
 * text the client hands back. ARRIVAL: "UID"; SIZE: "SIZE.UID"; FROM/SUBJECT: "HEX.UID", HEX
 * the mailbox owner's sort key in lowercase hex (mailbox-client.h, MBOX_PAGE_REQ). Pure.
 * OWNS: nothing. THREAD: any.
 */
#include "web-mail.h"

#include "pb-alloc.h"
#include "pb-buf.h"

#include <stdlib.h>
#include <string.h>

/* A decimal number of at most max_digits digits (no sign, no blanks) into *v_r. 0 / -1. */
static int parse_dec(const char *s, size_t len, size_t max_digits, uint64_t *v_r)
{
	uint64_t v = 0;

	if (len == 0 || len > max_digits)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*v_r = v;
	return 0;
}

static int unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The key of hex s[0..len) into key_r (allocated): -1 when not lowercase hex of at most
 * WEB_MAIL_CURSOR_KEY_MAX octets, or holding a NUL. */
static int parse_key(const char *s, size_t len, char **key_r)
{
	if (len % 2 != 0 || len / 2 > WEB_MAIL_CURSOR_KEY_MAX)
		return -1;
	char *k = xmalloc(len / 2 + 1);
	for (size_t i = 0; i < len / 2; i++) {
		int h = unhex(s[2 * i]), l = unhex(s[2 * i + 1]);
		if (h < 0 || l < 0 || (h == 0 && l == 0)) {
			free(k);
			return -1;
		}
		k[i] = (char)(h * 16 + l);
	}
	k[len / 2] = '\0';
	*key_r = k;
	return 0;
}

int web_mail_cursor_parse(const char *text, uint32_t sort, struct mailbox_page_query *q,
			  char **key_r, const char **error_r)
{
	const char *dot = strrchr(text, '.'), *uid = dot != NULL ? dot + 1 : text;
	size_t head = dot != NULL ? (size_t)(dot - text) : 0;
	uint64_t u = 0, num = 0;

	*key_r = NULL;
	*error_r = "bad cursor";
	if (parse_dec(uid, strlen(uid), 10, &u) < 0 || u == 0 || u > UINT32_MAX)
		return -1;
	if ((sort == MAILBOX_SORT_ARRIVAL) != (dot == NULL))
		return -1;
	if (sort == MAILBOX_SORT_SIZE && parse_dec(text, head, 19, &num) < 0)
		return -1;
	if ((sort == MAILBOX_SORT_FROM || sort == MAILBOX_SORT_SUBJECT) &&
	    parse_key(text, head, key_r) < 0)
		return -1;
	q->has_cursor = true;
	q->after_uid = (uint32_t)u;
	q->after_num = num;
	q->after_key = *key_r;
	return 0;
}

char *web_mail_cursor_make(uint32_t sort, uint32_t uid, uint64_t num, const char *key)
{
	struct pb_buf b;

	pb_buf_init(&b);
	if (sort == MAILBOX_SORT_SIZE)
		pb_buf_printf(&b, "%llu.", (unsigned long long)num);
	if (sort == MAILBOX_SORT_FROM || sort == MAILBOX_SORT_SUBJECT) {
		for (const unsigned char *c = (const unsigned char *)key; *c != 0; c++)
			pb_buf_printf(&b, "%02x", *c);
		pb_buf_append(&b, ".", 1);
	}
	pb_buf_printf(&b, "%u", uid);
	pb_buf_append(&b, "", 1);
	return pb_buf_steal(&b, NULL);
}
