/*
 * mime-html.h: HTML text (already decoded to UTF-8) to the plain text a reader sees, for
 * Body rules and the like: tags removed (<script> and <style> with their content, comments
 * too), line-breaking elements (br, p, div, li, tr, h1-h6) as a line break, character
 * references (&amp; &lt; &gt; &quot; &apos; &nbsp; and &#N; &#xN;) decoded, runs of spaces
 * and tabs as one space. Not a renderer: unknown entities stay as written. Never fails.
 * OWNS nothing. THREAD: any.
 */
#ifndef MIME_HTML_H
#define MIME_HTML_H

#include "pb-buf.h"

#include <stddef.h>

/* Appends the text of html (len octets, UTF-8) to out. */
void mime_html_to_text(const char *html, size_t len, struct pb_buf *out);

#endif
