/*
 * mime-meta.c: a message's FETCH meta, built from its parse, and its encoding (see
 * mime-meta.h). OWNS nothing beyond the metas it fills. THREAD: any.
 */
#include "mime-meta.h"
#include "mime-imap.h"
#include "mime-structure.h"

#include <stdlib.h>
#include <string.h>

#define MIME_META_U64S 9

static char *mime_meta_take(struct pb_buf *b)
{
	pb_buf_append(b, "", 0); /* NUL-terminates */
	char *s = xstrndup(b->data, b->len);
	pb_buf_reset(b);
	return s;
}

void mime_meta_build(const struct mime_message *msg, uint64_t size, struct mime_meta *meta_r)
{
	const struct mime_part *root = msg->root;
	struct pb_buf b;

	memset(meta_r, 0, sizeof(*meta_r));
	pb_buf_init(&meta_r->parts);
	meta_r->size = size;
	meta_r->header = root->header;
	meta_r->body = root->body;
	meta_r->virtual_size = root->header.virtual_size + root->body.virtual_size;
	meta_r->flags = msg->flags;
	pb_buf_init(&b);
	mime_imap_envelope(root, &b);
	meta_r->envelope = mime_meta_take(&b);
	mime_imap_bodystructure(root, true, &b);
	meta_r->bodystructure = mime_meta_take(&b);
	mime_imap_bodystructure(root, false, &b);
	meta_r->imap_body = mime_meta_take(&b);
	pb_buf_deinit(&b);
	mime_structure_encode_parts(msg, &meta_r->parts);
}

void mime_meta_deinit(struct mime_meta *meta)
{
	free(meta->envelope);
	free(meta->bodystructure);
	free(meta->imap_body);
	pb_buf_deinit(&meta->parts);
	memset(meta, 0, sizeof(*meta));
}

static void meta_put_u64(struct pb_buf *out, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (56 - 8 * i));
	pb_buf_append(out, b, sizeof(b));
}

static void meta_put_bytes(struct pb_buf *out, const void *data, size_t len)
{
	unsigned char b[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
			       (unsigned char)(len >> 8), (unsigned char)len };

	pb_buf_append(out, b, sizeof(b));
	pb_buf_append(out, data, len);
}

void mime_meta_encode(const struct mime_meta *m, struct pb_buf *out)
{
	const uint64_t v[MIME_META_U64S] = { m->size, m->virtual_size, m->header.physical,
					     m->header.virtual_size, m->header.lines,
					     m->body.physical, m->body.virtual_size, m->body.lines,
					     m->flags };

	pb_buf_append_c(out, (char)MIME_META_VERSION);
	for (size_t i = 0; i < MIME_META_U64S; i++)
		meta_put_u64(out, v[i]);
	meta_put_bytes(out, m->envelope, strlen(m->envelope));
	meta_put_bytes(out, m->bodystructure, strlen(m->bodystructure));
	meta_put_bytes(out, m->imap_body, strlen(m->imap_body));
	meta_put_bytes(out, m->parts.data, m->parts.len);
}

struct meta_rd {
	const unsigned char *p;
	size_t left;
	bool bad;
};

static uint64_t meta_get_uint(struct meta_rd *r, size_t n)
{
	uint64_t v = 0;

	if (r->left < n) {
		r->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v = v << 8 | r->p[i];
	r->p += n;
	r->left -= n;
	return v;
}

/* A length-prefixed string; NULL (and bad) when truncated or holding a NUL. */
static const unsigned char *meta_get_bytes(struct meta_rd *r, size_t *len_r)
{
	size_t len = (size_t)meta_get_uint(r, 4);
	const unsigned char *p = r->p;

	if (r->bad || len > r->left) {
		r->bad = true;
		return NULL;
	}
	r->p += len;
	r->left -= len;
	*len_r = len;
	return p;
}

static char *meta_get_str(struct meta_rd *r)
{
	size_t len = 0;
	const unsigned char *p = meta_get_bytes(r, &len);

	if (p == NULL || memchr(p, '\0', len) != NULL) {
		r->bad = true;
		return NULL;
	}
	return xstrndup((const char *)p, len);
}

int mime_meta_decode(const void *data, size_t len, struct mime_meta *m, const char **error_r)
{
	struct meta_rd r = { data, len, false };
	uint64_t v[MIME_META_U64S];
	size_t plen = 0;

	memset(m, 0, sizeof(*m));
	pb_buf_init(&m->parts);
	if (len >= 1 && r.p[0] != MIME_META_VERSION)
		return 0;
	meta_get_uint(&r, 1);
	for (size_t i = 0; i < MIME_META_U64S; i++)
		v[i] = meta_get_uint(&r, 8);
	*m = (struct mime_meta){ v[0], v[1], { v[2], v[3], v[4] }, { v[5], v[6], v[7] },
				 (uint32_t)v[8], NULL, NULL, NULL, m->parts };
	m->envelope = meta_get_str(&r);
	m->bodystructure = meta_get_str(&r);
	m->imap_body = meta_get_str(&r);
	const unsigned char *parts = meta_get_bytes(&r, &plen);
	if (parts != NULL)
		pb_buf_append(&m->parts, parts, plen);
	if (r.bad || r.left != 0 || v[8] > UINT32_MAX) {
		mime_meta_deinit(m);
		*error_r = "malformed message meta";
		return -1;
	}
	return 1;
}
