/*
 * web-prom.c: the Prometheus text exposition's families (web-prom.h).
 * OWNS: nothing. THREAD: any.
 */
#include "web-prom.h"

#include <string.h>

void web_prom_head(struct pb_buf *out, const char *name, const char *type, const char *help)
{
	pb_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void web_prom_value(struct pb_buf *out, const char *name, const char *type, const char *help,
		    uint64_t value)
{
	web_prom_head(out, name, type, help);
	pb_buf_printf(out, "%s %llu\n", name, (unsigned long long)value);
}

void web_prom_rows(struct pb_buf *out, const struct web_prom_row *rows, size_t n,
		   const void *base)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		memcpy(&v, (const char *)base + rows[i].offset, sizeof(v));
		web_prom_value(out, rows[i].name, rows[i].type, rows[i].help,
			       rows[i].div > 1 ? v / rows[i].div : v);
	}
}

/* Appends s as a label value's text: backslash, double quote and newline escaped. */
static void label_value(struct pb_buf *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			pb_buf_printf(out, "\\%c", *s);
		else if (*s == '\n')
			pb_buf_append_str(out, "\\n");
		else
			pb_buf_append(out, s, 1);
	}
}

void web_prom_labelled(struct pb_buf *out, const char *name, const char *type, const char *help,
		       const char *label, const void *recs, size_t n, size_t stride,
		       size_t label_offset, size_t value_offset)
{
	web_prom_head(out, name, type, help);
	for (size_t i = 0; i < n; i++) {
		const char *rec = (const char *)recs + i * stride, *text;
		uint64_t v;
		memcpy(&text, rec + label_offset, sizeof(text));
		memcpy(&v, rec + value_offset, sizeof(v));
		pb_buf_printf(out, "%s{%s=\"", name, label);
		label_value(out, text);
		pb_buf_printf(out, "\"} %llu\n", (unsigned long long)v);
	}
}
