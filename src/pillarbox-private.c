/*
 * pillarbox-private.c: keeps the data directory private (see pillarbox-private.h). OWNS nothing
 * beyond the walk's state below. THREAD: main thread only (nftw has no user pointer, so the
 * walk's counters are file statics).
 */
#include "pillarbox-private.h"
#include "pb-log.h"

#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALK_FDS 16

static int walk_repairs;
static const char *walk_error;

/* One entry of the walk: symlinks and sockets aside, clears group and other bits. */
static int walk_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_NS || type == FTW_SL || type == FTW_SLN || S_ISSOCK(st->st_mode))
		return 0;
	if (st->st_uid != geteuid()) {
		pb_error("daemon", "event=permissions_refused path=%s reason=%s", PB_LOGQ(path),
			 "owned_by_another_user");
		walk_error = "a file in the data directory belongs to another user";
		return 1;
	}
	mode_t mode = st->st_mode & 07777;
	if ((mode & 077) == 0)
		return 0;
	mode_t now = mode & ~(mode_t)077;
	if (chmod(path, now) < 0) {
		walk_error = "cannot take away group and other permissions";
		pb_error("daemon", "event=permissions_refused path=%s reason=%s", PB_LOGQ(path),
			 PB_LOGQ(strerror(errno)));
		return 1;
	}
	pb_warn("daemon", "event=permissions_repaired path=%s was=%04o now=%04o", PB_LOGQ(path),
		(unsigned)mode, (unsigned)now);
	walk_repairs++;
	return 0;
}

int pillarbox_data_dir_private(const char *data_dir, const char **error_r)
{
	struct stat st;

	if (lstat(data_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*error_r = "the data directory is not a directory";
		return -1;
	}
	if (st.st_uid != geteuid()) {
		*error_r = "the data directory belongs to another user (run the daemon as its owner)";
		return -1;
	}
	if ((st.st_mode & (S_IWOTH | S_ISVTX)) != 0) {
		*error_r = "the data directory is writable by every user or sticky (a shared directory "
			   "such as /tmp?): give the daemon a directory of its own";
		return -1;
	}
	walk_repairs = 0;
	walk_error = NULL;
	if (nftw(data_dir, walk_entry, WALK_FDS, FTW_PHYS) != 0) {
		*error_r = walk_error != NULL ? walk_error : "cannot walk the data directory";
		return -1;
	}
	return walk_repairs;
}
