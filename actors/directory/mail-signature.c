/*
 * mail-signature.c: the choice of a message's signature and disclaimer (mail-signature.h).
 * OWNS: nothing it does not return. THREAD: any.
 */
#include "mail-signature.h"

#include "directory-client.h"
#include "pb-alloc.h"
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

/* Whether the server's texts (global, domain, disclaimer) apply to mail from sender. */
static bool server_applies(const struct pb_settings_signature *set, const char *sender,
			   bool internal)
{
	return set->enabled && (!internal || set->internal) && domain_listed(set->domains, sender);
}

/* The account's own signature of the kind (NULL text: none). */
static void user_pick(const struct directory_user_signature *user, bool internal,
		      const char **text_r, const char **html_r)
{
	*text_r = *html_r = NULL;
	if (user == NULL)
		return;
	*text_r = internal ? user->internal_text : user->text;
	*html_r = internal ? user->internal_html : user->html;
	if (*text_r != NULL && (*text_r)[0] == '\0')
		*text_r = NULL;
}

bool mail_signature_choose(const struct pb_settings_signature *set,
			   const struct directory_user_signature *user, const char *sender,
			   bool internal, struct mail_signature_pick *pick_r)
{
	const char *text, *html;
	bool server = server_applies(set, sender, internal), own = false;

	memset(pick_r, 0, sizeof(*pick_r));
	user_pick(set->users ? user : NULL, internal, &text, &html);
	if (text != NULL) {
		pick_r->text = pb_settings_unescape(text);
		pick_r->html = html != NULL && html[0] != '\0' ? pb_settings_unescape(html) : NULL;
		pick_r->source = "user";
	} else if (server) {
		pick_r->text = mail_signature_text(set->text, set->domain_texts, sender, &own);
		pick_r->html = !own && set->html[0] != '\0' ? xstrdup(set->html) : NULL;
		pick_r->source = own ? "domain" : "server";
	}
	if (server && set->disclaimer[0] != '\0')
		pick_r->disclaimer = pb_settings_unescape(set->disclaimer);
	if ((pick_r->text == NULL || pick_r->text[0] == '\0') && pick_r->disclaimer == NULL) {
		mail_signature_pick_free(pick_r);
		return false;
	}
	if (pick_r->text == NULL)
		pick_r->text = xstrdup("");
	return true;
}

void mail_signature_pick_free(struct mail_signature_pick *pick)
{
	free(pick->text);
	free(pick->html);
	free(pick->disclaimer);
	memset(pick, 0, sizeof(*pick));
}

char *mail_signature_text(const char *text, const char *by_domain, const char *sender,
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
