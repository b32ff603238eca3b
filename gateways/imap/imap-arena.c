/*
 * imap-arena.c: the per-command bump allocator (imap-arena.h).
 * OWNS its blocks. THREAD: one session.
 *
 * Blocks grow from 1 KiB so an idle session that parsed a NOOP keeps nothing: reset frees
 * every block (a session holds no arena memory between commands).
 */
#include "imap-arena.h"

#include "pb-alloc.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#define BLOCK_MIN 1024

struct imap_arena_block {
	struct imap_arena_block *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

void imap_arena_init(struct imap_arena *a, size_t limit)
{
	memset(a, 0, sizeof(*a));
	a->limit = limit;
}

void imap_arena_reset(struct imap_arena *a)
{
	struct imap_arena_block *b = a->head;

	while (b != NULL) {
		struct imap_arena_block *next = b->next;
		explicit_bzero(b->data, b->used);
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used = 0;
}

void imap_arena_deinit(struct imap_arena *a)
{
	imap_arena_reset(a);
}

void *imap_arena_alloc(struct imap_arena *a, size_t size)
{
	size_t need = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	struct imap_arena_block *b = a->head;

	if (need < size || need > a->limit - a->used)
		return NULL;
	if (b == NULL || b->size - b->used < need) {
		size_t bsize = b == NULL ? BLOCK_MIN : b->size * 2;
		while (bsize < need)
			bsize *= 2;
		b = xmalloc(sizeof(*b) + bsize);
		b->size = bsize;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->used += need;
	memset(p, 0, size);
	return p;
}

char *imap_arena_strndup(struct imap_arena *a, const char *s, size_t len)
{
	char *p = imap_arena_alloc(a, len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
