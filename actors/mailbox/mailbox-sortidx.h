/*
 * mailbox-sortidx.h: a folder's sort index for webmail's SIZE, FROM and SUBJECT pages
 * (MBOX_PAGE_REQ): every message's (num, key, uid) in order, so a page after a cursor is a
 * binary search and a walk, never a sort of the folder. Pure: no store, no nng.
 *
 * Cost. An entry is 56 octets (uid, num, a key of MAILBOX_SORT_KEY_LEN octets inline: no
 * allocation per message), so a 100,000-message folder's index holds 5.6 MB; a shard keeps at
 * most MAILBOX_SORTIDX_MAX of them (least recently used out: 22 MB a shard at most for four
 * 100,000-message folders). Building one reads every message record of the folder (FROM and
 * SUBJECT keys are kept in the records: mailbox-sortkey.h), and for a record stored before
 * them the first MAILBOX_SORT_HEAD_MAX octets of its body (mailbox-page.c), a slice
 * of MAILBOX_SORT_SLICE messages per request so the shard goes on answering between slices
 * (the caller asks again while the answer says building). The index stays current without rebuilds: messages added since (uid >= its uidnext) are inserted in
 * order on the next page; an expunged message is dropped when a page meets it (the page reads
 * each entry's record anyway, for its flags); a new uidvalidity rebuilds it.
 * OWNS: its entries. THREAD: one (the mailbox shard's).
 */
#ifndef MAILBOX_SORTIDX_H
#define MAILBOX_SORTIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAILBOX_SORT_KEY_LEN 40 /* octets of a key, its NUL included */
#define MAILBOX_SORTIDX_MAX 4   /* indexes a shard keeps */

struct mailbox_sort_ent {
	uint32_t uid;
	uint64_t num;			  /* SIZE: the size; else 0 */
	char key[MAILBOX_SORT_KEY_LEN]; /* FROM/SUBJECT: the key, NUL-padded; else "" */
};

struct mailbox_sortidx {
	uint64_t user_id;
	uint32_t folder_id, sort, uidvalidity;
	uint32_t uidnext; /* every message below it is in v */
	bool built;	  /* v is sorted (else being built: pushed, unsorted) */
	uint64_t used;	  /* the shard's use counter when last used (LRU) */
	struct mailbox_sort_ent *v;
	size_t n, cap;
};

/* The key of text (UTF-8): ASCII letters lower-cased, leading blanks and quotes skipped, cut to
 * MAILBOX_SORT_KEY_LEN - 1 octets at a character boundary; key_r NUL-padded. */
void mailbox_sort_key(const char *text, char key_r[MAILBOX_SORT_KEY_LEN]);
/* <0, 0, >0 as a orders before, as, after b: by num, then key, then uid. */
int mailbox_sort_cmp(const struct mailbox_sort_ent *a, const struct mailbox_sort_ent *b);
/* Appends e (unsorted: call mailbox_sortidx_sort after the last). */
void mailbox_sortidx_push(struct mailbox_sortidx *x, const struct mailbox_sort_ent *e);
void mailbox_sortidx_sort(struct mailbox_sortidx *x);
/* Inserts e in order. */
void mailbox_sortidx_insert(struct mailbox_sortidx *x, const struct mailbox_sort_ent *e);
/* Where a page after cursor c starts: ascending, the index of the first entry after c;
 * descending, one past the last entry before c (walk down from it - 1). c NULL: the start of
 * the order (0, or n descending). */
size_t mailbox_sortidx_seek(const struct mailbox_sortidx *x, const struct mailbox_sort_ent *c,
			    bool desc);
/* Removes entry i. */
void mailbox_sortidx_remove(struct mailbox_sortidx *x, size_t i);
/* Frees the entries; *x zeroed. */
void mailbox_sortidx_deinit(struct mailbox_sortidx *x);

#endif
