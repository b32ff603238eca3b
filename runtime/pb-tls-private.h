/*
 * pb-tls-private.h: what the TLS engine's own files share (pb-tls.c, pb-tls-conn.c,
 * pb-tls-cert.c); nothing else includes it. THREAD: as pb-tls.h.
 */
#ifndef PB_TLS_PRIVATE_H
#define PB_TLS_PRIVATE_H

#include "pb-tls.h"

#include <openssl/ssl.h>

/* The context's SSL_CTX (owned by ctx; an SSL made from it takes OpenSSL's own reference). */
SSL_CTX *pb_tls_ctx_ssl(const struct pb_tls_ctx *ctx);
/* Marks ctx as the self-signed certificate generated into the data directory (before the
 * context is shared: pb_tls_ctx_for_config only). */
void pb_tls_ctx_mark_generated(struct pb_tls_ctx *ctx);
/* The first queued OpenSSL error of this thread as a static text ("unknown error" when there
 * is none); the thread's error queue is emptied. */
const char *pb_tls_openssl_reason(void);

#endif
