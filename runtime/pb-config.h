/*
 * pb-config.h: the bootstrap configuration file — data directory, bindings, TLS files, logging,
 * cluster. Every other setting lives in the store. Syntax: `key = value` lines, `#` comments,
 * blank lines; `*_listen` keys may repeat (one binding each). An unknown key or a bad value is
 * an error naming the file and line. THREAD: built once at start-up, read-only afterwards.
 */
#ifndef PB_CONFIG_H
#define PB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_service {
	PB_SVC_SMTP,
	PB_SVC_SUBMISSION,
	PB_SVC_SMTPS,
	PB_SVC_POP3,
	PB_SVC_POP3S,
	PB_SVC_IMAP,
	PB_SVC_IMAPS,
	PB_SVC_HTTP,
	PB_SVC_STATUS,
	PB_SVC_STATUSS, /* the status protocol in implicit TLS */
	PB_SVC_COUNT
};

#define PB_CONFIG_MAX_BINDINGS 8

struct pb_binding {
	char host[64]; /* numeric IPv4/IPv6 address or "*" for any */
	uint16_t port;
};

struct pb_config {
	char *data_dir;
	char *hostname;
	char *tls_certificate;
	char *tls_key;
	char *tls_certificate_at; /* "PATH:LINE" of the file line that set it; NULL otherwise */
	char *tls_key_at;
	char *log_file;          /* NULL: stderr */
	char *security_log_file; /* NULL: data_dir/security.log */
	char *log_level;
	char *cluster_etcd;      /* NULL: single node */
	char *user;              /* started as root: the user to run as (NULL: stay, with a warning) */
	char *node_name;
	uint32_t mailbox_shards;
	uint32_t port_offset;    /* added to every default port */
	/* bindings per service; explicit ones replace the defaults of that service */
	struct pb_binding bindings[PB_SVC_COUNT][PB_CONFIG_MAX_BINDINGS];
	size_t n_bindings[PB_SVC_COUNT];
	bool explicit_bindings[PB_SVC_COUNT];
};

/* Fills cfg with the defaults (data_dir "./var", the reference server's ports plus port_offset,
 * 4 mailbox shards). The caller frees with pb_config_deinit. */
void pb_config_defaults(struct pb_config *cfg, uint32_t port_offset);
/* Reads path over the defaults already in cfg. Returns 0, or -1 with *error_r an allocated
 * message "PATH:LINE: reason" that the caller frees. */
int pb_config_load(struct pb_config *cfg, const char *path, char **error_r);
/* Parses one `key = value` (used by the loader and by command-line overrides). 0 or -1 with
 * an allocated reason. */
int pb_config_set(struct pb_config *cfg, const char *key, const char *value, char **error_r);
void pb_config_deinit(struct pb_config *cfg);

const char *pb_service_name(enum pb_service svc); /* "smtp", "submission", ... */
uint16_t pb_service_default_port(enum pb_service svc);
/* Parses "host:port", "[v6]:port", "*:port" or "port". Returns 0 or -1. */
int pb_binding_parse(const char *s, struct pb_binding *b_r);

#endif
