/*
 * router-headers.c: the router's own header edits on local copies (see router-headers.h).
 * OWNS nothing. THREAD: any.
 */
#include "router-headers.h"

#include "pb-alloc.h"

#include <string.h>

void router_headers_spam(const struct router_spam_result *r, uint32_t threshold,
			 struct pb_buf *out)
{
	if (r == NULL) {
		pb_buf_append_str(out, "X-Spam-Flag\nX-Spam-Score\nX-Spam-Status\nX-Spam-Level");
		return;
	}
	bool spam = router_spam_is_quarantine(r, threshold);
	double at = threshold > 0 ? (double)threshold : r->required_score;
	pb_buf_printf(out, "X-Spam-Flag%s\nX-Spam-Score: %.1f\nX-Spam-Status: %s, score=%.1f "
			   "required=%.1f\nX-Spam-Level",
		      spam ? ": YES" : "", r->score, spam ? "Yes" : "No", r->score, at);
}

/* Whether edits add a field (a line "Name: value"), not only remove some. */
static bool edits_add(const char *edits)
{
	for (const char *e = edits; *e != '\0';) {
		size_t line = strcspn(e, "\n"), name = strcspn(e, ":\n");
		if (name < line && name > 0)
			return true;
		e += line + (e[line] == '\n');
	}
	return false;
}

void router_headers_apply(struct router_plan *p, const char *sender, bool return_path,
			  const char *edits)
{
	struct pb_buf mine;

	pb_buf_init(&mine);
	if (return_path || edits_add(edits))
		pb_buf_printf(&mine, "Return-Path: <%s>%s", sender != NULL ? sender : "",
			      edits[0] != '\0' ? "\n" : "");
	pb_buf_append_str(&mine, edits);
	for (size_t i = 0; mine.len > 0 && i < p->n_items; i++) {
		struct router_plan_item *it = &p->items[i];
		if (it->user_id == 0)
			continue;
		char *joined = xasprintf("%.*s%s%s", (int)mine.len, (const char *)mine.data,
					 it->headers[0] != '\0' ? "\n" : "", it->headers);
		free(it->headers);
		it->headers = joined;
	}
	pb_buf_deinit(&mine);
}
