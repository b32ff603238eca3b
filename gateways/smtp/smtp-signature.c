/*
 * smtp-signature.c: signatures and disclaimers at acceptance (issue 13 item 7; settings
 * signature.*, docs/operations.md "Signatures"). The SMTP intake is where the sender is known
 * to be ours (authenticated), and where the message is still in the session's buffer: a
 * message that ends within one upload piece (SMTP_CHUNK, 256 KiB) is whole in s->body when
 * its content ends, and is rewritten there once (mime-signature.h picks the parts) before
 * the put — no other copy, no second read from the store. Which mail and which text: only
 * an authenticated sender's (mail_signature_choose): its own signature first (user keys
 * signature_* for mail with a remote recipient, internal_signature_* for mail whose
 * recipients are all local, carried by the send policy's answer at MAIL), else, when the
 * server's signature is on for it (signature.enabled, a remote recipient or
 * signature.internal, a listed domain), its domain's text, else the global text; then the
 * disclaimer (signature.disclaimer) under the same server conditions. Mixed local and remote
 * recipients get the outgoing text in every copy: one body is stored for all of them.
 * Mail the router forwards later is not accepted again, so it is signed at most once.
 * A message too large to hold (part of it sent to the spool as it came) feeds the same plan
 * piece by piece as its chunks go out; at its end the plan's insertions (offsets and texts)
 * go with the commit into the spool record, and the spool puts them in at delivery, reading
 * the stored body in pieces (spool-sign.c): never the whole message in memory.
 * Every decision is one log line (event=signature): added, or kept with the reason (a signed
 * message, already signed, no text part...).
 * OWNS: nothing. THREAD: the SMTP hub's.
 */
#include "smtp-session-int.h"

#include "directory-client.h"
#include "mail-signature.h"
#include "mime-signature.h"
#include "pb-log.h"
#include "pb-settings.h"

#include <string.h>
#include <strings.h>

static void log_kept(const struct smtp_session *s, const char *why)
{
	pb_info("smtp", "event=signature msgid=%s result=kept reason=%s from=%s", s->tx_id,
		PB_LOGQ(why), PB_LOGQ(s->sender));
}

/* The session's choice (mail_signature_choose): false for an unauthenticated sender. */
static bool session_choose(const struct smtp_session *s, struct mail_signature_pick *pick_r)
{
	memset(pick_r, 0, sizeof(*pick_r));
	if (s->auth_user == NULL)
		return false;
	return mail_signature_choose(&s->srv->signature, smtp_policy_signature(s), s->sender,
				     s->remote_rcpts == 0, pick_r);
}

bool smtp_signature_wanted(const struct smtp_session *s)
{
	struct mail_signature_pick pick;
	bool wanted = session_choose(s, &pick);

	mail_signature_pick_free(&pick);
	return wanted;
}

void smtp_signature_start(struct smtp_session *s)
{
	struct mail_signature_pick pick;

	smtp_signature_end(s);
	if (!session_choose(s, &pick))
		return;
	struct mime_signature sig = { pick.text, pick.html, pick.disclaimer };
	s->sign_plan = mime_signature_plan_create(&sig);
	s->sign_source = pick.source;
	mail_signature_pick_free(&pick);
}

void smtp_signature_feed(struct smtp_session *s, const void *data, size_t len)
{
	if (s->sign_plan != NULL)
		mime_signature_plan_feed(s->sign_plan, data, len);
}

void smtp_signature_end(struct smtp_session *s)
{
	mime_signature_plan_destroy(&s->sign_plan);
}

size_t smtp_signature_sign(const struct smtp_session *s, uint64_t **at_r, char ***text_r)
{
	size_t n = 0, len;
	uint64_t at;

	*at_r = NULL;
	*text_r = NULL;
	while (s->sign_plan != NULL && mime_signature_plan_insertion(s->sign_plan, n, &at, &len))
		n++;
	if (n == 0)
		return 0;
	*at_r = xcalloc(n, sizeof(uint64_t));
	*text_r = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *text = mime_signature_plan_insertion(s->sign_plan, i, &at, &len);
		(*at_r)[i] = at;
		(*text_r)[i] = xstrndup(text, len);
	}
	return n;
}

void smtp_signature_free_sign(uint64_t *at, char **text, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(text[i]);
	free(text);
	free(at);
}

/* The message whole in s->body gets its signature there (the plan fed nothing yet). Returns
 * the parts signed, or 0 with *why_r. */
static int sign_held(struct smtp_session *s, const char **why_r)
{
	struct pb_buf out;

	mime_signature_plan_feed(s->sign_plan, s->body.data, s->body.len);
	int n = mime_signature_plan_finish(s->sign_plan, why_r);
	if (n == 0)
		return 0;
	pb_buf_init(&out);
	pb_buf_reserve(&out, s->body.len + 1024);
	mime_signature_plan_apply(s->sign_plan, s->body.data, s->body.len, true, &out);
	if (out.len > PB_CHUNK_MAX) {
		pb_buf_deinit(&out);
		*why_r = "the signed message would be larger than one put (1 MiB)";
		return 0;
	}
	pb_buf_deinit(&s->body);
	s->body = out;
	return n;
}

void smtp_signature_apply(struct smtp_session *s)
{
	const char *why;
	int n;

	if (!smtp_signature_wanted(s))
		return smtp_signature_end(s);
	if (s->sign_plan == NULL)
		return log_kept(s, "no signature text for the sender");
	bool held = s->upload_id == 0 && !s->begin_pending && s->sent == 0 &&
		    s->body.len < s->chunk;
	if (held) {
		n = sign_held(s, &why);
		smtp_signature_end(s);
	} else { /* part of it is in the spool: the commit stores the insertions */
		smtp_signature_feed(s, s->body.data, s->body.len);
		n = mime_signature_plan_finish(s->sign_plan, &why);
		if (n == 0)
			smtp_signature_end(s);
	}
	if (n == 0)
		return log_kept(s, why);
	pb_info("smtp", "event=signature msgid=%s result=added parts=%d source=%s from=%s%s",
		s->tx_id, n, s->sign_source != NULL ? s->sign_source : "server", PB_LOGQ(s->sender),
		held ? "" : " at=delivery");
}
