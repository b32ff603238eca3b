/*
 * rules-facts.c: helps the caller build the facts — a raw address-list header (To, Cc,
 * From) into the decoded entries the address conditions test.
 * OWNS the lists it returns. THREAD: any.
 */
#include "mime-address.h"
#include "mime-decode.h"
#include "pb-alloc.h"
#include "rules.h"

#include <stdlib.h>
#include <string.h>

static char *rules_decoded(const char *raw)
{
	struct pb_buf b;

	pb_buf_init(&b);
	mime_decode_header(raw, strlen(raw), &b);
	pb_buf_append_c(&b, '\0');
	return pb_buf_steal(&b, NULL);
}

void rules_address_list_parse(const char *raw, size_t len, struct rules_address_list *list_r)
{
	struct mime_address_list parsed;

	memset(list_r, 0, sizeof(*list_r));
	mime_address_list_parse(raw != NULL ? raw : "", raw != NULL ? len : 0, &parsed);
	list_r->v = xcalloc(parsed.n + 1, sizeof(*list_r->v));
	for (unsigned int i = 0; i < parsed.n && list_r->n < RULES_MAX_ADDRESSES; i++) {
		const struct mime_address *a = &parsed.v[i];
		struct rules_address *e = &list_r->v[list_r->n];
		if (a->kind != MIME_ADDRESS_MAILBOX)
			continue; /* groups are flattened into their members */
		e->name = a->name != NULL ? rules_decoded(a->name) : NULL;
		e->address = a->domain != NULL
				     ? xasprintf("%s@%s", a->mailbox != NULL ? a->mailbox : "",
						 a->domain)
				     : xstrdup(a->mailbox != NULL ? a->mailbox : "");
		list_r->n++;
	}
	mime_address_list_free(&parsed);
}

void rules_address_list_free(struct rules_address_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free((char *)list->v[i].name);
		free((char *)list->v[i].address);
	}
	free(list->v);
	memset(list, 0, sizeof(*list));
}
