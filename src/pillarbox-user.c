/*
 * pillarbox-user.c: dropping root for the configured user (pillarbox-user.h). OWNS nothing.
 * THREAD: the main thread, before any other thread: setuid() must reach every thread, and
 * here there is only one.
 */
#include "pillarbox-user.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Leaves CAP_NET_BIND_SERVICE alone in the effective and permitted sets (the capset system
 * call: glibc has no wrapper and libcap would be a dependency for one call). 0 / -1. */
static int keep_only_bind_capability(void)
{
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

	data[0].effective = data[0].permitted = UINT32_C(1) << CAP_NET_BIND_SERVICE;
	return (int)syscall(SYS_capset, &header, data);
}

/* Root to pw, capabilities kept across setuid (PR_SET_KEEPCAPS) and then cut to the one; no
 * new privileges afterwards either (PR_SET_NO_NEW_PRIVS, as the unit's NoNewPrivileges=). */
static int switch_to(const struct passwd *pw, const char **error_r)
{
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		*error_r = "cannot switch to the configured user (initgroups, setgid or setuid failed)";
		return -1;
	}
	if (keep_only_bind_capability() < 0 || prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0) {
		*error_r = "cannot keep CAP_NET_BIND_SERVICE after switching user";
		return -1;
	}
	if (setuid(0) == 0) {
		*error_r = "root could be taken back after switching user";
		return -1;
	}
	return 1;
}

int pillarbox_become_user(const char *user_name, const char **error_r)
{
	if (user_name == NULL)
		return geteuid() == 0 ? 2 : 0;

	struct passwd *pw = getpwnam(user_name);
	if (pw == NULL) {
		*error_r = "the configured user does not exist";
		return -1;
	}
	if (pw->pw_uid == 0) {
		*error_r = "the configured user is root: name an unprivileged one";
		return -1;
	}
	if (geteuid() == pw->pw_uid && getuid() == pw->pw_uid)
		return 0;
	if (geteuid() != 0) {
		*error_r = "the daemon runs as another user, and only root can switch to the configured one";
		return -1;
	}
	return switch_to(pw, error_r);
}
