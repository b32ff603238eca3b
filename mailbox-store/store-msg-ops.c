/*
 * store-msg-ops.c: the message operations IMAP needs beyond append and list — expunge of a
 * selection (\Deleted only, a uid set) saying what went, copy and move between folders by body
 * reference, and STORE of flags and keywords with the CONDSTORE test. Each is one synced batch
 * with the records, the folder counters and the body references, like store-msgs.c.
 * Part of pb_store_mail (store-mail.h).
 * OWNS: nothing beyond the handle. THREAD: any, with a single writer per user (store-mail.h).
 */
#include "store-internal.h"

#include <stdlib.h>
#include <strings.h>

void pb_expunged_free(struct pb_expunged *e)
{
	free(e->uids);
	e->uids = NULL;
	e->n = 0;
}

void pb_msg_copied_free(struct pb_msg_copied *c)
{
	free(c->src_uids);
	free(c->dst_uids);
	c->src_uids = c->dst_uids = NULL;
	c->n = 0;
}

void pb_flag_stored_free(struct pb_flag_stored *r)
{
	pb_msg_recs_free(r->recs, r->n);
	free(r->changed);
	free(r->modified);
	memset(r, 0, sizeof(*r));
}

/* The records sel names, ascending: the whole folder, or each of its uids that exists. */
static int expunge_candidates(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			      const struct pb_expunge_sel *sel, struct pb_msg_rec **recs_r,
			      size_t *n_r, const char **error_r)
{
	size_t un, n = 0;

	if (sel->all)
		return pb_store_msg_list(s, user_id, folder_id, recs_r, n_r, error_r);
	uint32_t *u = store_uids_unique(sel->uids, sel->n, &un);
	struct pb_msg_rec *recs = xcalloc(un != 0 ? un : 1, sizeof(*recs));
	for (size_t i = 0; i < un; i++) {
		int got = pb_store_msg_get(s, user_id, folder_id, u[i], &recs[n], error_r);
		if (got < 0) {
			free(u);
			pb_msg_recs_free(recs, n);
			return -1;
		}
		n += got == 1;
	}
	free(u);
	*recs_r = recs;
	*n_r = n;
	return 0;
}

int pb_store_msg_expunge_sel(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			     const struct pb_expunge_sel *sel, struct pb_expunged *out_r,
			     const char **error_r)
{
	struct pb_folder_rec f;
	struct pb_msg_rec *recs;
	size_t n;

	memset(out_r, 0, sizeof(*out_r));
	int ret = store_folder_read(s, user_id, folder_id, &f, error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : store_fail(error_r, "store: no folder %u", folder_id);
	if (expunge_candidates(s, user_id, folder_id, sel, &recs, &n, error_r) < 0) {
		pb_folder_rec_free(&f);
		return -1;
	}
	out_r->uids = xcalloc(n != 0 ? n : 1, sizeof(uint32_t));
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	for (size_t i = 0; i < n; i++) {
		if (sel->deleted_only && (recs[i].flags & PB_MSG_DELETED) == 0)
			continue;
		store_msg_remove(b, s, user_id, &f, &recs[i]);
		out_r->uids[out_r->n++] = recs[i].uid;
	}
	ret = 0;
	if (out_r->n > 0) {
		f.highestmodseq++;
		store_folder_write(b, s, user_id, &f);
		ret = store_write_ex(s, b, true, true, error_r);
	}
	out_r->highestmodseq = f.highestmodseq;
	rocksdb_writebatch_destroy(b);
	pb_msg_recs_free(recs, n);
	pb_folder_rec_free(&f);
	if (ret < 0)
		pb_expunged_free(out_r);
	return ret;
}

/* Adds one copy of m to dst (and its removal from src for a move) to the batch. */
static void copy_one(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
		     struct pb_folder_rec *src, struct pb_folder_rec *dst, struct pb_msg_rec *m,
		     bool move, struct pb_msg_copied *out)
{
	uint8_t raw[32];
	uint32_t src_uid = m->uid;

	if (move)
		store_msg_remove(b, s, user_id, src, m);
	m->uid = dst->uidnext++;
	m->modseq = dst->highestmodseq + 1;
	store_msg_write(b, s, user_id, dst->id, m);
	if (store_hex_to_raw(m->blob_key, raw) == 0)
		store_refcount_merge(b, s, raw, 1, 0);
	dst->messages++;
	dst->bytes += m->size;
	if ((m->flags & PB_MSG_SEEN) == 0)
		dst->unseen++;
	out->src_uids[out->n] = src_uid;
	out->dst_uids[out->n++] = m->uid;
}

/* Builds and writes the copy batch over the read folders (dst may be src for a copy). */
static int copy_write(struct pb_store *s, uint64_t user_id, struct pb_folder_rec *src,
		      struct pb_folder_rec *dst, struct pb_msg_rec *recs, size_t n, bool move,
		      struct pb_msg_copied *out, const char **error_r)
{
	if ((uint64_t)dst->uidnext + n >= UINT32_MAX)
		return store_fail(error_r, "store: folder %s: uids exhausted", dst->name);
	out->src_uids = xcalloc(n != 0 ? n : 1, sizeof(uint32_t));
	out->dst_uids = xcalloc(n != 0 ? n : 1, sizeof(uint32_t));
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	for (size_t i = 0; i < n; i++)
		copy_one(b, s, user_id, src, dst, &recs[i], move, out);
	int ret = 0;
	if (n > 0) {
		dst->highestmodseq++;
		if (move)
			src->highestmodseq++;
		store_folder_write(b, s, user_id, dst);
		if (src != dst)
			store_folder_write(b, s, user_id, src);
		ret = store_write_ex(s, b, true, move, error_r);
	}
	rocksdb_writebatch_destroy(b);
	out->uidvalidity = dst->uidvalidity;
	out->src_modseq = src->highestmodseq;
	out->dst_modseq = dst->highestmodseq;
	return ret;
}

int pb_store_msg_copy(struct pb_store *s, uint64_t user_id, uint32_t src_id, uint32_t dst_id,
		      const uint32_t *uids, size_t n, bool move, struct pb_msg_copied *out_r,
		      const char **error_r)
{
	struct pb_folder_rec src, dst;
	struct pb_expunge_sel sel = { .uids = uids, .n = n };
	struct pb_msg_rec *recs = NULL;
	size_t got = 0;

	memset(out_r, 0, sizeof(*out_r));
	if (move && src_id == dst_id)
		return store_fail(error_r, "store: a move needs two folders");
	int ret = store_folder_read(s, user_id, src_id, &src, error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : store_fail(error_r, "store: no folder %u", src_id);
	memset(&dst, 0, sizeof(dst));
	ret = src_id == dst_id ? 1 : store_folder_read(s, user_id, dst_id, &dst, error_r);
	if (ret == 0)
		ret = store_fail(error_r, "store: no folder %u", dst_id);
	if (ret > 0)
		ret = expunge_candidates(s, user_id, src_id, &sel, &recs, &got, error_r);
	if (ret >= 0)
		ret = copy_write(s, user_id, &src, src_id == dst_id ? &src : &dst, recs, got, move,
				 out_r, error_r);
	pb_msg_recs_free(recs, got);
	pb_folder_rec_free(&src);
	pb_folder_rec_free(&dst);
	if (ret < 0)
		pb_msg_copied_free(out_r);
	return ret < 0 ? -1 : 0;
}

/* ---- STORE: flags and keywords ---- */

/* Whether the space-separated list has word (len bytes), in any case. */
static bool kw_has(const char *list, const char *word, size_t len)
{
	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t l = strcspn(p, " ");
		if (l == len && strncasecmp(p, word, len) == 0)
			return true;
		p += l;
		p += *p == ' ';
	}
	return false;
}

/* Appends to out the words of list that (keep) are or (!keep) are not in other. */
static void kw_filter(struct pb_buf *out, const char *list, const char *other, bool keep)
{
	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t l = strcspn(p, " ");
		if (l > 0 && kw_has(other, p, l) == keep &&
		    !kw_has(out->len > 0 ? out->data : "", p, l)) {
			if (out->len > 0)
				pb_buf_append_c(out, ' ');
			pb_buf_append(out, p, l);
		}
		p += l;
		p += *p == ' ';
	}
}

/* The keywords old becomes under mode and arg: an owned string, NULL for none. */
static char *kw_apply(const char *old, int mode, const char *arg)
{
	struct pb_buf out;

	pb_buf_init(&out);
	if (mode == PB_FLAGS_SET) {
		kw_filter(&out, arg, "", false);
	} else if (mode == PB_FLAGS_ADD) {
		kw_filter(&out, old, "", false);
		kw_filter(&out, arg, "", false);
	} else {
		kw_filter(&out, old, arg, false);
	}
	char *kw = out.len > 0 ? xstrdup(out.data) : NULL;
	pb_buf_deinit(&out);
	return kw;
}

static bool kw_same(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Applies st to m (read); puts it into b if it changed. Returns 1 changed, 0 not, -1. */
static int store_one(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
		     struct pb_folder_rec *f, struct pb_msg_rec *m, const struct pb_flag_store *st,
		     const char **error_r)
{
	uint32_t nf = store_flags_apply(m->flags, st->mode, st->flags);
	char *kw = st->keep_keywords ? (m->keywords != NULL ? xstrdup(m->keywords) : NULL)
				     : kw_apply(m->keywords, st->mode, st->keywords);

	if (kw != NULL && strlen(kw) > PB_KEYWORDS_MAX) {
		free(kw);
		return store_fail(error_r, "store: keywords longer than %d", PB_KEYWORDS_MAX);
	}
	if (nf == m->flags && kw_same(kw, m->keywords)) {
		free(kw);
		return 0;
	}
	if ((m->flags & PB_MSG_SEEN) != (nf & PB_MSG_SEEN))
		f->unseen += (nf & PB_MSG_SEEN) != 0 ? (uint64_t)-1 : 1;
	free(m->keywords);
	m->keywords = kw;
	m->flags = nf;
	m->modseq = f->highestmodseq + 1;
	store_msg_write(b, s, user_id, f->id, m);
	return 1;
}

/* Reads and applies st to each uid, filling out (recs, changed, modified). Returns how many
 * changed, or -1. */
static long store_batch(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
			struct pb_folder_rec *f, const uint32_t *u, size_t un,
			const struct pb_flag_store *st, struct pb_flag_stored *out,
			const char **error_r)
{
	long changed = 0;

	for (size_t i = 0; i < un; i++) {
		struct pb_msg_rec *m = &out->recs[out->n];
		int got = pb_store_msg_get(s, user_id, f->id, u[i], m, error_r);
		if (got < 0)
			return -1;
		if (got == 0)
			continue;
		if (st->unchanged_since != 0 && m->modseq > st->unchanged_since) {
			out->modified[out->n_modified++] = m->uid;
			pb_msg_rec_free(m);
			continue;
		}
		int c = store_one(b, s, user_id, f, m, st, error_r);
		if (c < 0) {
			pb_msg_rec_free(m);
			return -1;
		}
		out->changed[out->n++] = c == 1;
		changed += c;
	}
	return changed;
}

int pb_store_msg_store(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
		       const uint32_t *uids, size_t n, const struct pb_flag_store *st,
		       struct pb_flag_stored *out_r, const char **error_r)
{
	struct pb_folder_rec f;
	size_t un;

	memset(out_r, 0, sizeof(*out_r));
	if (st->mode != PB_FLAGS_SET && st->mode != PB_FLAGS_ADD && st->mode != PB_FLAGS_REMOVE)
		return store_fail(error_r, "store: bad flags mode %d", st->mode);
	int ret = store_folder_read(s, user_id, folder_id, &f, error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : store_fail(error_r, "store: no folder %u", folder_id);
	uint32_t *u = store_uids_unique(uids, n, &un);
	out_r->recs = xcalloc(un != 0 ? un : 1, sizeof(*out_r->recs));
	out_r->changed = xcalloc(un != 0 ? un : 1, sizeof(bool));
	out_r->modified = xcalloc(un != 0 ? un : 1, sizeof(uint32_t));
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	long changed = store_batch(b, s, user_id, &f, u, un, st, out_r, error_r);
	ret = changed < 0 ? -1 : 0;
	if (changed > 0) {
		f.highestmodseq++;
		store_folder_write(b, s, user_id, &f);
		ret = store_write(s, b, error_r);
	}
	out_r->highestmodseq = f.highestmodseq;
	rocksdb_writebatch_destroy(b);
	free(u);
	pb_folder_rec_free(&f);
	if (ret < 0)
		pb_flag_stored_free(out_r);
	return ret;
}
