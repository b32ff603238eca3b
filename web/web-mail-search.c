/*
 * web-mail-search.c: a search page's walk (web-mail.h, struct web_mail_search): how big the
 * next slice of the owner's sort index is, and what a searched slice adds to the page. Pure:
 * web-mail.c sends the slices and the searches and keeps the cursor.
 * OWNS: nothing (the caller's struct). THREAD: any.
 */
#include "web-mail.h"

uint32_t web_mail_search_slice(const struct web_mail_search *s)
{
	uint32_t left = s->scanned < WEB_MAIL_SEARCH_SCAN ? WEB_MAIL_SEARCH_SCAN - s->scanned : 1;

	return left < MAILBOX_PAGE_MAX ? left : MAILBOX_PAGE_MAX;
}

size_t web_mail_search_take(struct web_mail_search *s, const bool *matched, size_t n, bool more,
			    uint32_t *keep_r)
{
	size_t kept = 0, read = n;

	for (size_t i = 0; i < n && s->found < s->limit; i++) {
		if (!matched[i])
			continue;
		keep_r[kept++] = (uint32_t)i;
		if (++s->found == s->limit && i + 1 < n) {
			read = i + 1; /* the rest of the slice is the next page's */
			s->cut = (uint32_t)read;
			more = true;
		}
	}
	s->scanned += (uint32_t)read;
	s->more = more;
	s->done = !more || s->found == s->limit || s->scanned >= WEB_MAIL_SEARCH_SCAN;
	return kept;
}
