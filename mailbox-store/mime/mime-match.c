/*
 * mime-match.c: DOS wildcards (own matcher) and /regex/flags (PCRE2) — see mime-match.h.
 * OWNS compiled patterns. THREAD: any; the case-folding locale is created once
 * (pthread_once) and only read after; compile errors go to a thread-local buffer.
 */
#include "mime-match.h"
#include "mime-charset.h"
#include "pb-buf.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <locale.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#define MIME_WILD_STAR 0xFFFFFFFFu
#define MIME_WILD_ANY 0xFFFFFFFEu
/* invalid UTF-8 bytes become these (lone surrogates never come from valid text) */
#define MIME_WILD_RAW_BYTE 0xDC00u
#define MIME_MATCH_DEPTH_LIMIT 100000

struct mime_match {
	bool regex;
	unsigned int *wild; /* folded code points and MIME_WILD_* markers */
	size_t n_wild;
	pcre2_code *re;
	pcre2_match_context *mctx;
};

static pthread_once_t mime_match_once = PTHREAD_ONCE_INIT;
static locale_t mime_match_locale; /* C.UTF-8 for towlower_l; written once */
static _Thread_local char mime_match_error[256];

static void mime_match_locale_init(void)
{
	mime_match_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static unsigned int mime_match_fold(unsigned int cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return cp;
	pthread_once(&mime_match_once, mime_match_locale_init);
	if (mime_match_locale == (locale_t)0)
		return cp;
	return (unsigned int)towlower_l((wint_t)cp, mime_match_locale);
}

/* Decodes the character at s (n > 0 octets); returns its length. */
static size_t mime_match_char(const unsigned char *s, size_t n, unsigned int *cp_r)
{
	size_t len = mime_utf8_decode_char(s, n, cp_r);

	if (len == 0) {
		*cp_r = MIME_WILD_RAW_BYTE | s[0];
		return 1;
	}
	return len;
}

void mime_match_fold_utf8(const void *text, size_t len, struct pb_buf *out)
{
	const unsigned char *s = text;

	pb_buf_reserve(out, len);
	for (size_t i = 0; i < len;) {
		unsigned int cp;
		if (s[i] < 0x80) { /* the common case, without a call */
			pb_buf_append_c(out, (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]));
			i++;
			continue;
		}
		size_t n = mime_utf8_decode_char(s + i, len - i, &cp);
		if (n == 0) {
			pb_buf_append_c(out, (char)s[i++]);
			continue;
		}
		mime_utf8_append_char(out, mime_match_fold(cp));
		i += n;
	}
}

bool mime_match_is_regex(const char *pattern)
{
	const char *last = strrchr(pattern, '/');

	if (pattern[0] != '/' || last == pattern)
		return false;
	return strspn(last + 1, "ims") == strlen(last + 1);
}

static void mime_match_wild_compile(const char *pattern, struct mime_match *m)
{
	const unsigned char *s = (const unsigned char *)pattern;
	size_t n = strlen(pattern), i = 0;

	m->wild = xmalloc(sizeof(*m->wild) * (n + 1));
	while (i < n) {
		unsigned int cp;
		if (s[i] == '*' || s[i] == '?') {
			cp = s[i++] == '*' ? MIME_WILD_STAR : MIME_WILD_ANY;
			if (cp == MIME_WILD_STAR && m->n_wild > 0 && m->wild[m->n_wild - 1] == cp)
				continue;
		} else {
			i += mime_match_char(s + i, n - i, &cp);
			cp = mime_match_fold(cp);
		}
		m->wild[m->n_wild++] = cp;
	}
}

/* Greedy matching with backtracking to the last star: O(len * n_wild) steps at worst,
 * stopped at MIME_MATCH_WILD_STEPS. Returns 1, 0, or -1 (step limit). */
static int mime_match_wild(const struct mime_match *m, const unsigned char *t, size_t len)
{
	size_t p = 0, i = 0, star_p = SIZE_MAX, star_i = 0;
	uint64_t steps = 0;

	while (i < len) {
		unsigned int cp;
		size_t clen = mime_match_char(t + i, len - i, &cp);

		if (++steps > MIME_MATCH_WILD_STEPS)
			return -1;
		if (p < m->n_wild && m->wild[p] == MIME_WILD_STAR) {
			star_p = p++;
			star_i = i;
		} else if (p < m->n_wild &&
			   (m->wild[p] == MIME_WILD_ANY || m->wild[p] == mime_match_fold(cp))) {
			p++;
			i += clen;
		} else if (star_p != SIZE_MAX) {
			p = star_p + 1;
			star_i += mime_match_char(t + star_i, len - star_i, &cp);
			i = star_i;
		} else {
			return 0;
		}
	}
	while (p < m->n_wild && m->wild[p] == MIME_WILD_STAR)
		p++;
	return p == m->n_wild ? 1 : 0;
}

/* Rewrites "{,n}" (outside classes and \Q..\E) as "{0,n}" for PCRE2 before 10.43. */
static void mime_regex_translate(const char *s, size_t n, struct pb_buf *out)
{
	bool in_class = false, quoted = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (quoted) {
			quoted = !(c == '\\' && i + 1 < n && s[i + 1] == 'E');
		} else if (c == '\\' && i + 1 < n) {
			quoted = s[i + 1] == 'Q';
			pb_buf_append(out, s + i, 2);
			i++;
			continue;
		} else if (in_class) {
			in_class = c != ']';
		} else if (c == '[') {
			in_class = true;
			pb_buf_append_c(out, c);
			if (i + 1 < n && s[i + 1] == '^')
				pb_buf_append_c(out, s[++i]);
			if (i + 1 < n && s[i + 1] == ']')
				pb_buf_append_c(out, s[++i]);
			continue;
		} else if (c == '{' && i + 1 < n && s[i + 1] == ',') {
			size_t j = i + 2;
			while (j < n && s[j] >= '0' && s[j] <= '9')
				j++;
			if (j > i + 2 && j < n && s[j] == '}') {
				pb_buf_append_str(out, "{0,");
				i++;
				continue;
			}
		}
		pb_buf_append_c(out, c);
	}
}

static int mime_match_regex_compile(const char *pattern, struct mime_match *m,
				    const char **error_r)
{
	const char *last = strrchr(pattern, '/');
	uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	struct pb_buf re;
	int errcode;
	PCRE2_SIZE erroff;

	for (const char *f = last + 1; *f != '\0'; f++)
		options |= *f == 'i' ? PCRE2_CASELESS : *f == 's' ? PCRE2_DOTALL : PCRE2_MULTILINE;
	pb_buf_init(&re);
	mime_regex_translate(pattern + 1, (size_t)(last - pattern - 1), &re);
	m->re = pcre2_compile((PCRE2_SPTR)(re.data != NULL ? re.data : ""), re.len, options,
			      &errcode, &erroff, NULL);
	pb_buf_deinit(&re);
	if (m->re == NULL) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		snprintf(mime_match_error, sizeof(mime_match_error),
			 "bad regular expression at offset %zu: %s", (size_t)erroff, (char *)msg);
		*error_r = mime_match_error;
		return -1;
	}
	(void)pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE); /* interpreter if JIT fails */
	m->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(m->mctx, MIME_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, MIME_MATCH_DEPTH_LIMIT);
	pcre2_set_heap_limit(m->mctx, MIME_MATCH_HEAP_KIB);
	return 0;
}

int mime_match_compile(const char *pattern, struct mime_match **m_r, const char **error_r)
{
	struct mime_match *m;

	if (strlen(pattern) > MIME_MATCH_PATTERN_MAX) {
		snprintf(mime_match_error, sizeof(mime_match_error),
			 "pattern longer than %d octets", MIME_MATCH_PATTERN_MAX);
		*error_r = mime_match_error;
		return -1;
	}
	m = xcalloc(1, sizeof(*m));
	m->regex = mime_match_is_regex(pattern);
	if (!m->regex) {
		mime_match_wild_compile(pattern, m);
	} else if (mime_match_regex_compile(pattern, m, error_r) < 0) {
		mime_match_free(&m);
		return -1;
	}
	*m_r = m;
	return 0;
}

int mime_match_run(const struct mime_match *m, const char *text, size_t len,
		   const char **error_r)
{
	if (!m->regex) {
		int ret = mime_match_wild(m, (const unsigned char *)text, len);
		if (ret < 0)
			*error_r = "wildcard match limit reached";
		return ret;
	}

	pcre2_match_data *md = pcre2_match_data_create_from_pattern(m->re, NULL);
	int rc = pcre2_match(m->re, (PCRE2_SPTR)(text != NULL ? text : ""), len, 0, 0, md,
			     m->mctx);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		*error_r = "regular expression match limit reached";
	else
		*error_r = "regular expression match failed";
	return -1;
}

void mime_match_free(struct mime_match **mp)
{
	struct mime_match *m = *mp;

	if (m == NULL)
		return;
	free(m->wild);
	pcre2_match_context_free(m->mctx);
	pcre2_code_free(m->re);
	free(m);
	*mp = NULL;
}
