/*
 * pillarbox-paths.c: the control socket path, the default bootstrap file and the port offset.
 * OWNS nothing. THREAD: any.
 */
#include "pillarbox-paths.h"

#include "pb-config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* sun_path is 108 bytes on Linux, NUL included. */
#define UNIX_PATH_MAX_LEN 107

int pillarbox_control_url(const char *data_dir, char *url, size_t size, const char **error_r)
{
	char abs[PATH_MAX];

	if (realpath(data_dir, abs) == NULL) {
		*error_r = "the data directory does not exist";
		return -1;
	}
	if (strlen(abs) + strlen("/control.sock") > UNIX_PATH_MAX_LEN) {
		*error_r = "the data directory path is too long for the control socket "
			   "(at most 94 characters)";
		return -1;
	}
	snprintf(url, size, "ipc://%s/control.sock", abs);
	return 0;
}

int pillarbox_parse_port_offset(const char *s, uint32_t *offset_r)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 60000)
		return -1;
	*offset_r = (uint32_t)v;
	return 0;
}

static const char default_config[] = PB_DEFAULT_CONFIG;

const char *pillarbox_default_config(void)
{
	return default_config[0] != '\0' && access(default_config, F_OK) == 0 ? default_config : NULL;
}

const char *pillarbox_default_config_name(void)
{
	return default_config[0] != '\0' ? default_config : "none in this build";
}

int pillarbox_config_data_dir(const char *config_path, char *dir, size_t size, char **error_r)
{
	struct pb_config cfg;

	pb_config_defaults(&cfg, 0);
	if (config_path != NULL && pb_config_load(&cfg, config_path, error_r) < 0) {
		pb_config_deinit(&cfg);
		return -1;
	}
	snprintf(dir, size, "%s", cfg.data_dir);
	pb_config_deinit(&cfg);
	return 0;
}
