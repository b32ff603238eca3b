/*
 * mail-signature.h: which signature and disclaimer a message of an authenticated sender gets
 * (issue 13 item 7; settings signature.*, docs/operations.md "Signatures"): one choice for
 * every path a user sends by — SMTP AUTH (gateways/smtp/smtp-signature.c) and webmail
 * (web/web-mail-send.c). The texts are then put in by mime-signature.h.
 *
 * Pure: the settings' snapshot and the account's own texts in, texts out. THREAD: any.
 * OWNS: the texts of the picks it fills.
 */
#ifndef MAIL_SIGNATURE_H
#define MAIL_SIGNATURE_H

#include <stdbool.h>

struct pb_settings_signature;
struct directory_user_signature;

/* A signature chosen for a message (mail_signature_choose): allocated texts, unescaped. */
struct mail_signature_pick {
	char *text;	  /* the signature ("" when only the disclaimer applies) */
	char *html;	  /* its HTML, NULL: the text escaped */
	char *disclaimer; /* signature.disclaimer, NULL none */
	const char *source; /* static: "user", "domain", "server", NULL (disclaimer only) */
};

/* Which signature a message of an authenticated sender gets. internal: every recipient is
 * local. user: the account's own signatures (NULL: none known), used when signature.users
 * is on: for internal mail its internal_* pair, else its outgoing pair, when that text is
 * not empty. Else, when the server's texts apply (signature.enabled, !internal or
 * signature.internal, sender's domain in signature.domains): the sender domain's entry of
 * signature.domain_texts (HTML: escaped text), else signature.text with signature.html. The
 * disclaimer is added under the same server conditions. Returns true with *pick_r (free with
 * mail_signature_pick_free), or false (nothing to put in; *pick_r empty). */
bool mail_signature_choose(const struct pb_settings_signature *set,
			   const struct directory_user_signature *user, const char *sender,
			   bool internal, struct mail_signature_pick *pick_r);
/* Frees the pick's texts and empties it (an empty one: nothing to do). */
void mail_signature_pick_free(struct mail_signature_pick *pick);

/* The signature text for mail from sender (its domain, any case): that domain's entry of
 * by_domain ("DOMAIN=TEXT|DOMAIN=TEXT", signature.domain_texts), else text; unescaped
 * (pb_settings_unescape), allocated. *own_r: a domain's own text was taken. */
char *mail_signature_text(const char *text, const char *by_domain, const char *sender,
			  bool *own_r);

#endif
