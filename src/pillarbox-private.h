/*
 * pillarbox-private.h: the data directory is private to the daemon's user — the directory and
 * every directory under it 0700, every file 0600 (the daemon sets umask 077 before it creates
 * anything; this checks what an earlier version, a copy or a hand left looser).
 * OWNS nothing. THREAD: the daemon's main thread, at start, before the store is opened.
 */
#ifndef PILLARBOX_PRIVATE_H
#define PILLARBOX_PRIVATE_H

#include <stdint.h>

/* Checks data_dir and everything under it (symlinks are not followed; the store is flat, so the
 * walk is bounded by the store's file count). Refuses (-1, *error_r a static text naming the
 * problem, path_r the path) a data directory that is not a directory, belongs to another user
 * or is writable by others or sticky (a shared directory such as /tmp: its other entries are
 * not ours to change). Otherwise takes away every group and other permission bit it finds,
 * logging each repair (event=permissions_repaired path=... was=0755 now=0700), and returns the
 * number of repairs (0 when all was private already). -1 also when a chmod fails. */
int pillarbox_data_dir_private(const char *data_dir, const char **error_r);

#endif
