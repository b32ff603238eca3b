/*
 * pb-buf.c: growable byte buffer. OWNS its data. THREAD: the owner only.
 */
#include "pb-buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pb_buf_init(struct pb_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void pb_buf_deinit(struct pb_buf *b)
{
	free(b->data);
	pb_buf_init(b);
}

void pb_buf_reset(struct pb_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void pb_buf_reserve(struct pb_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void pb_buf_append(struct pb_buf *b, const void *data, size_t len)
{
	pb_buf_reserve(b, len);
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void pb_buf_append_str(struct pb_buf *b, const char *s)
{
	pb_buf_append(b, s, strlen(s));
}

void pb_buf_append_c(struct pb_buf *b, char c)
{
	pb_buf_append(b, &c, 1);
}

void pb_buf_printf(struct pb_buf *b, const char *fmt, ...)
{
	va_list ap;
	char tmp[256];

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		pb_buf_append(b, tmp, (size_t)n);
		return;
	}
	pb_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void pb_buf_consume(struct pb_buf *b, size_t n)
{
	if (n >= b->len) {
		pb_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *pb_buf_steal(struct pb_buf *b, size_t *len_r)
{
	char *d = b->data;
	if (len_r != NULL)
		*len_r = b->len;
	if (d == NULL)
		d = xstrdup("");
	pb_buf_init(b);
	return d;
}
