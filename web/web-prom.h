/*
 * web-prom.h: the Prometheus text exposition (format 0.0.4) that /metrics is made of — a
 * family's HELP and TYPE lines, then its samples: one unlabelled value, a table of them read
 * from a struct's uint64_t fields, or a labelled family read from a list of records (one
 * sample per record, the label's value a string field, the sample a uint64_t field). Used by
 * web-api.c and web-metrics.c, so every family has the same shape.
 * OWNS: nothing (the caller's buffer). THREAD: any.
 */
#ifndef WEB_PROM_H
#define WEB_PROM_H

#include "pb-buf.h"

#include <stddef.h>
#include <stdint.h>

/* Appends "# HELP name help" and "# TYPE name type" (type: "counter", "gauge", "histogram").
 * name, type and help are the caller's constants (no escaping). */
void web_prom_head(struct pb_buf *out, const char *name, const char *type, const char *help);
/* A family of one unlabelled sample: its head, then "name value". */
void web_prom_value(struct pb_buf *out, const char *name, const char *type, const char *help,
		    uint64_t value);

/* One row of a table of families: the uint64_t at offset in the caller's struct, divided by
 * div (0 or 1: as it is). */
struct web_prom_row {
	const char *name, *type, *help;
	size_t offset;
	uint64_t div;
};
/* A family of one sample per row, each read from base. */
void web_prom_rows(struct pb_buf *out, const struct web_prom_row *rows, size_t n,
		   const void *base);

/* A labelled family: its head, then for each of the n records at recs (stride bytes apart)
 * "name{label=\"S\"} V", S the NUL-terminated string pointed to by the const char * at
 * label_offset (escaped: backslash, double quote, newline; NULL as ""), V the uint64_t at
 * value_offset. n 0: the head alone. */
void web_prom_labelled(struct pb_buf *out, const char *name, const char *type, const char *help,
		       const char *label, const void *recs, size_t n, size_t stride,
		       size_t label_offset, size_t value_offset);
/* web_prom_labelled over a pb_rec list (runtime/pb-msg.h: .v, .n) of struct pb_rec_REC, the
 * label's value its field LFIELD, the sample its field VFIELD. */
#define WEB_PROM_LIST(out, name, type, help, label, list, REC, LFIELD, VFIELD)             \
	web_prom_labelled((out), (name), (type), (help), (label), (list).v, (list).n,        \
			  sizeof(struct pb_rec_##REC), offsetof(struct pb_rec_##REC, LFIELD),  \
			  offsetof(struct pb_rec_##REC, VFIELD))

#endif
