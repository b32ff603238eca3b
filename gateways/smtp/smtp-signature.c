/*
 * smtp-signature.c: signatures and disclaimers at acceptance (issue 13 item 7; settings
 * signature.*, docs/operations.md "Signatures"). The SMTP intake is where the sender is known
 * to be ours (authenticated), and where the message is still in the session's buffer: a
 * message that ends within one upload piece (SMTP_CHUNK, 256 KiB) is whole in s->body when
 * its content ends, and is rewritten there once (mime-signature.h picks the parts) before
 * the put — no other copy, no second read from the store. Which mail: an authenticated
 * sender's, with a remote recipient (or any, with signature.internal), from a listed domain.
 * Mail the router forwards later is not accepted again, so it is signed at most once.
 * Every decision is one log line (event=signature): added, or kept with the reason (a signed
 * message, already signed, too large, no text part...).
 * OWNS: nothing. THREAD: the SMTP hub's.
 */
#include "smtp-session-int.h"

#include "mime-signature.h"
#include "pb-log.h"
#include "pb-settings.h"

#include <string.h>
#include <strings.h>

/* Whether the sender's domain is in the list (empty list: any). */
static bool domain_listed(const char *list, const char *sender)
{
	const char *at = sender != NULL ? strrchr(sender, '@') : NULL;
	const char *p = list;

	if (list[0] == '\0')
		return true;
	if (at == NULL)
		return false;
	size_t n = strlen(at + 1);
	while (*p != '\0') {
		size_t len = strcspn(p, " ,");
		if (len == n && strncasecmp(p, at + 1, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ,");
	}
	return false;
}

char *smtp_signature_text(const char *text, const char *by_domain, const char *sender,
			  bool *own_r)
{
	const char *at = sender != NULL ? strrchr(sender, '@') : NULL;
	size_t n = at != NULL ? strlen(at + 1) : 0;

	*own_r = false;
	for (const char *p = by_domain; n > 0 && *p != '\0';) {
		size_t len = strcspn(p, "|");
		const char *eq = memchr(p, '=', len);
		if (eq != NULL && (size_t)(eq - p) == n && strncasecmp(p, at + 1, n) == 0) {
			char *own = xstrndup(eq + 1, len - n - 1);
			char *out = pb_settings_unescape(own);
			free(own);
			*own_r = true;
			return out;
		}
		p += len + (p[len] == '|');
	}
	return pb_settings_unescape(text);
}

static void log_kept(const struct smtp_session *s, const char *why)
{
	pb_info("smtp", "event=signature msgid=%s result=kept reason=%s from=%s", s->tx_id,
		PB_LOGQ(why), PB_LOGQ(s->sender));
}

bool smtp_signature_wanted(const struct smtp_session *s)
{
	const struct pb_settings_signature *set = &s->srv->signature;

	return set->enabled && s->auth_user != NULL &&
	       (set->text[0] != '\0' || set->domain_texts[0] != '\0') &&
	       (s->remote_rcpts != 0 || set->internal) && domain_listed(set->domains, s->sender);
}

void smtp_signature_apply(struct smtp_session *s)
{
	const struct pb_settings_signature *set = &s->srv->signature;
	struct pb_buf out;
	const char *why;
	bool own;

	if (!smtp_signature_wanted(s))
		return;
	if (s->upload_id != 0 || s->begin_pending || s->sent != 0 || s->body.len >= s->chunk)
		return log_kept(s, s->chunk > SMTP_CHUNK
					   ? "the message is larger than the signing bound (960 KiB)"
					   : "the message is larger than one upload piece (256 KiB): "
					     "no room to hold it for signing");
	char *text = smtp_signature_text(set->text, set->domain_texts, s->sender, &own);
	if (text[0] == '\0') {
		free(text);
		return log_kept(s, "no signature text for the sender's domain");
	}
	struct mime_signature sig = { text, own ? NULL : set->html };
	int n = mime_signature_insert((const char *)s->body.data, s->body.len, &sig, &out, &why);
	free(text);
	if (n == 0)
		return log_kept(s, why);
	if (out.len > PB_CHUNK_MAX) {
		pb_buf_deinit(&out);
		return log_kept(s, "the signed message would be larger than one put (1 MiB)");
	}
	pb_buf_deinit(&s->body);
	s->body = out;
	pb_info("smtp", "event=signature msgid=%s result=added parts=%d from=%s", s->tx_id, n,
		PB_LOGQ(s->sender));
}
