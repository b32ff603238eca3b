/*
 * web-self.h: webmail's self-service endpoints (web-self.c): password change, and the
 * recovery links of "forgotten password" and "unlock my account" (web-reset.h). The route
 * table (web-api.c) names them. Nobody outside web/ includes it.
 * OWNS: nothing. THREAD: the web hub's.
 */
#ifndef WEB_SELF_H
#define WEB_SELF_H

#include "web-session.h"

/* Password and reset address changes per account and hour (each needs the current password:
 * more would let a stolen login guess it); past it 429. */
#define WEB_SELF_CHANGES_PER_HOUR 10

/* POST /api/mail/password {current, password}: the logged-in account's password (WEB_USER). The
 * web login checks the account's one password: a separate web password (the guide's "Have
 * different Main Password and Web Password") is not kept yet. */
void web_self_password(struct web_session *ws, const struct http_request *q);
/* POST /api/mail/recovery {current, reset_email}: the account's address for resets ("": none). */
void web_self_recovery(struct web_session *ws, const struct http_request *q);
/* POST /api/recover {user, kind}: mails a link to the account's reset_email (WEB_PUBLIC). */
void web_self_recover(struct web_session *ws, const struct http_request *q);
/* POST /api/recover/password {token, password}: a password link's new password. */
void web_self_reset(struct web_session *ws, const struct http_request *q);
/* POST /api/recover/unlock {token}: an unlock link lifts the account's locks. */
void web_self_unlock(struct web_session *ws, const struct http_request *q);

#endif
