/*
 * spool-welcome.h: the welcome message of a new account (admin guide 4.2 "Send Welcome
 * message to new user"; docs/operations.md "Welcome message"), its text made from the
 * welcome.* settings. Pure: no store, no clock (the date and ids are passed in).
 * THREAD: any. OWNS: nothing it does not return.
 */
#ifndef SPOOL_WELCOME_H
#define SPOOL_WELCOME_H

#include "pb-buf.h"

#include <stdint.h>

/* The longest welcome text (welcome.file is read up to it; past it, the setting's text). */
#define SPOOL_WELCOME_TEXT_MAX 65536

struct spool_welcome {
	const char *name;     /* the account's name */
	const char *address;  /* the address it goes to, name@domain */
	const char *subject;  /* the subject template (one line) */
	const char *text;     /* the body template, lines separated by LF or CR LF */
	const char *host;     /* for From: (postmaster@domain of address, else host) and ids */
	const char *msgid;    /* the Message-ID's left part */
	int64_t now_ms;       /* the Date: */
};

/* Replaces the variables of tmpl (any case) into out: %username% the account's name,
 * %address% its address, %domain% the address's domain; any other % is kept. */
void spool_welcome_expand(const char *tmpl, const char *name, const char *address,
			  struct pb_buf *out);
/* The whole message (RFC 5322, CR LF, UTF-8 text/plain, Auto-Submitted: auto-generated) into
 * out (appended). */
void spool_welcome_build(const struct spool_welcome *w, struct pb_buf *out);

#endif
