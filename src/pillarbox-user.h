/*
 * pillarbox-user.h: a daemon started as root becomes its configured user (bootstrap key `user`)
 * before it creates or opens anything, keeping only CAP_NET_BIND_SERVICE — what systemd's
 * User= with AmbientCapabilities=CAP_NET_BIND_SERVICE gives the packaged service — so it never
 * needs root to serve mail. OWNS nothing. THREAD: the daemon's main thread, at start, before any
 * other thread exists.
 */
#ifndef PILLARBOX_USER_H
#define PILLARBOX_USER_H

/* Runs the process as user_name (NULL: no user configured):
 *  - as root: its uid, primary gid and supplementary groups, with CAP_NET_BIND_SERVICE left
 *    effective and permitted and every other capability gone; returns 1;
 *  - already that user, or not root and no user configured: nothing to do; returns 0;
 *  - root with no user configured: stays root; returns 2 (the caller warns);
 * -1 with *error_r (static text) when the user does not exist, is root, another user asks
 * for it (only root can switch), or a step fails (the process is then not started). */
int pillarbox_become_user(const char *user_name, const char **error_r);

#endif
