/*
 * collector-resolve.h: the recipients of a downloaded message, by the collector's route:
 * its header's addresses at the Accepted Domains resolved by the directory (mappings first,
 * then, unless disabled, the default user -> user mapping; the directory's own mappings as
 * for mail this collector downloaded: types always and pop3, and their collector filter), one target user, or one address
 * at another server (user id 0: the spool hands it to the outbound queue). A message none of
 * whose addresses resolve goes to the postmaster (the directory's: a user "postmaster", else
 * "admin", else the first administrator), as the guide's catch-all does with unknown ones.
 * OWNS: the lists it fills. THREAD: the cwork thread (synchronous directory calls).
 */
#ifndef COLLECTOR_RESOLVE_H
#define COLLECTOR_RESOLVE_H

#include "collector-def.h"
#include "pb-runtime.h"

struct collector_rcpts {
	struct pb_strv addrs; /* as found (or the target) */
	struct pb_u64v ids;   /* their user ids, 0 for a remote address */
};
void collector_rcpts_clear(struct collector_rcpts *r);

/* Fills r for the header block hdr (len bytes). 0, or -1 with error_r (the directory did not
 * answer, or the target is unknown: the message stays at the server). */
int collector_resolve(const struct collector_def *d, struct pb_caller *caller, const void *hdr,
		      size_t len, struct collector_rcpts *r, const char **error_r);

#endif
