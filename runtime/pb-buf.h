/*
 * pb-buf.h: a growable byte buffer, always NUL-terminated after its data so it can be
 * used as a C string. OWNS its data. THREAD: the owner only.
 */
#ifndef PB_BUF_H
#define PB_BUF_H

#include "pb-alloc.h"

#include <stdint.h>
#include <stddef.h>

struct pb_buf {
	char *data;
	size_t len;
	size_t cap;
};

void pb_buf_init(struct pb_buf *b);
/* Frees the data; the buffer may be reused after pb_buf_init. */
void pb_buf_deinit(struct pb_buf *b);
void pb_buf_reset(struct pb_buf *b);
void pb_buf_reserve(struct pb_buf *b, size_t extra);
void pb_buf_append(struct pb_buf *b, const void *data, size_t len);
void pb_buf_append_str(struct pb_buf *b, const char *s);
void pb_buf_append_c(struct pb_buf *b, char c);
void pb_buf_printf(struct pb_buf *b, const char *fmt, ...) PB_PRINTF(2, 3);
/* Removes the first n bytes, keeping the rest. */
void pb_buf_consume(struct pb_buf *b, size_t n);
/* Takes the data out (the caller frees it) and leaves the buffer empty. */
char *pb_buf_steal(struct pb_buf *b, size_t *len_r);

#endif
