/*
 * pillarbox-paths.h: what the daemon and the CLI must agree on — where the control socket of a
 * data directory is, and how the port offset is read. THREAD: any.
 */
#ifndef PILLARBOX_PATHS_H
#define PILLARBOX_PATHS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* The version both programs print (--version) and the daemon reports in status. */
#define PILLARBOX_VERSION "0.1.0"

/* The control socket URL "ipc:///abs/data/dir/control.sock" of a data directory (which must
 * exist). Returns 0, or -1 with error_r when the path cannot be resolved or is too long for a
 * Unix socket. */
int pillarbox_control_url(const char *data_dir, char *url, size_t size, const char **error_r);
/* The bootstrap file read when none is named (no --config, no PILLARBOX_CONFIG): the build's
 * PB_DEFAULT_CONFIG (an installed build's, e.g. the Debian package's
 * /etc/pillarbox/pillarbox.conf) if it is set and the file exists; else NULL (the built-in
 * defaults: data directory ./var). Points to static storage. */
const char *pillarbox_default_config(void);
/* For help texts: the build's PB_DEFAULT_CONFIG, or "none in this build". Static. */
const char *pillarbox_default_config_name(void);
/* The data directory of a bootstrap file: `data_dir` of config_path (NULL: the defaults, ./var)
 * copied to dir (size bytes). Returns 0, or -1 with *error_r (allocated, the caller frees) when
 * the file cannot be read or is wrong. */
int pillarbox_config_data_dir(const char *config_path, char *dir, size_t size, char **error_r);
/* Parses PILLARBOX_PORT_OFFSET: a number 0..60000. Returns 0 or -1. */
int pillarbox_parse_port_offset(const char *s, uint32_t *offset_r);

#endif
