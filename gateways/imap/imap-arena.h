/*
 * imap-arena.h: the bump allocator that holds one IMAP command while it is parsed (its
 * strings, argument lists and typed structures), freed and wiped as a whole when the next
 * command begins. A command can hold passwords (LOGIN, AUTHENTICATE), so everything is
 * wiped (explicit_bzero) on reset.
 *
 * Bounded: at most `limit` bytes are handed out between two resets; past it an allocation
 * fails (returns NULL) and the parser reports "command too long".
 *
 * OWNS its blocks. THREAD: the owner's (one session).
 */
#ifndef IMAP_ARENA_H
#define IMAP_ARENA_H

#include <stddef.h>

struct imap_arena_block;

struct imap_arena {
	struct imap_arena_block *head; /* newest block first */
	size_t used;		       /* bytes handed out since the last reset */
	size_t limit;
};

void imap_arena_init(struct imap_arena *a, size_t limit);
/* Wipes and frees every block. */
void imap_arena_deinit(struct imap_arena *a);
/* Wipes and frees everything handed out (keeps nothing). */
void imap_arena_reset(struct imap_arena *a);
/* Returns size zeroed bytes aligned for any type, valid until the next reset, or NULL if
 * the limit would be passed. */
void *imap_arena_alloc(struct imap_arena *a, size_t size);
/* Copies s[0..len) and a NUL; NULL past the limit. */
char *imap_arena_strndup(struct imap_arena *a, const char *s, size_t len);

#endif
