/*
 * router-copyinbox.c: copying an account's INBOX to its assistants (see router-copyinbox.h).
 * OWNS nothing. THREAD: a router shard's.
 */
#include "router-copyinbox.h"

#include "mailbox-client.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "reader-client.h"
#include "spool-client.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define COPY_CALL_MS 30000

void router_copy_inbox_mark(uint64_t user_id, uint32_t uidvalidity, uint32_t uid,
			    const char *assistant, char *buf, size_t size)
{
	uint64_t h = 14695981039346656037ull;

	for (const unsigned char *p = (const unsigned char *)assistant; *p != '\0'; p++)
		h = (h ^ (uint64_t)tolower(*p)) * 1099511628211ull;
	snprintf(buf, size, "copy-inbox:%llu %u.%u.%016llx", (unsigned long long)user_id,
		 uidvalidity, uid, (unsigned long long)h);
}

/* One copy in progress: the message, its envelope and the read buffer. */
struct copy {
	struct pb_caller *c;
	uint64_t user_id, key;
	const struct pb_rec_mbox_entry *e;
	struct spool_client_envelope env;
	const char *mark;
	uint8_t *buf; /* PB_CHUNK_MAX */
};

/* Reads the chunk at offset into cp->buf: PB_OK with *n_r, *eof_r. */
static uint32_t read_at(struct copy *cp, uint64_t offset, size_t *n_r, bool *eof_r,
			const char **error_r)
{
	uint64_t size;
	return reader_client_read(cp->c, cp->user_id, cp->e->blob_key, offset, cp->buf,
				  PB_CHUNK_MAX, n_r, &size, eof_r, error_r);
}

/* A body past one chunk: begin (marked), chunk after chunk, commit. first: the first chunk's
 * n octets, in cp->buf. */
static uint32_t copy_upload(struct copy *cp, size_t n, const char **error_r)
{
	uint64_t upload_id = 0, offset = 0, received, spool_id;
	bool eof = false;
	uint32_t code = spool_client_begin_marked(cp->c, cp->key, &cp->env, cp->mark, &upload_id,
						  error_r);

	while (code == PB_OK) {
		code = spool_client_chunk(cp->c, cp->key, upload_id, offset, cp->buf, n, &received,
					  error_r);
		offset += n;
		if (code != PB_OK || eof)
			break;
		code = read_at(cp, offset, &n, &eof, error_r);
		if (code == PB_OK && n == 0)
			break;
	}
	if (code == PB_OK)
		return spool_client_commit(cp->c, cp->key, upload_id, offset, &spool_id, error_r);
	if (upload_id != 0)
		spool_client_abort(cp->c, cp->key, upload_id, NULL);
	return code;
}

/* One message to one assistant: PB_OK copied, PB_ERR_EXISTS copied before, else failed. */
static uint32_t copy_one(struct copy *cp, const char **error_r)
{
	size_t n;
	bool eof;
	uint64_t spool_id;
	uint32_t code = read_at(cp, 0, &n, &eof, error_r);

	if (code != PB_OK)
		return code;
	if (eof)
		return spool_client_put_marked(cp->c, cp->key, &cp->env, cp->mark, cp->buf, n,
					       &spool_id, error_r);
	return copy_upload(cp, n, error_r);
}

/* The account's address (the copies' envelope sender): NAME@the first local domain. */
static char *account_address(const struct router_records *r, const struct router_user *u)
{
	return r->n_domains > 0 ? xasprintf("%s@%s", u->name, r->domains[0]) : xstrdup("");
}

/* Copies message e to every assistant in v; counts into out. PB_OK or the failure. */
static uint32_t copy_message(struct copy *cp, const struct router_records *r, uint32_t uidvalidity,
			     const struct pb_strv *v, struct router_copy_inbox_out *out,
			     const char **error_r)
{
	char mark[ROUTER_COPY_INBOX_MARK_MAX];

	for (uint32_t i = 0; i < v->n; i++) {
		const char *rcpt = v->v[i];
		uint64_t id = router_plan_account_of(r, rcpt);
		router_copy_inbox_mark(cp->user_id, uidvalidity, cp->e->uid, rcpt, mark,
				       sizeof(mark));
		cp->env.rcpts = &rcpt;
		cp->env.rcpt_ids = &id;
		cp->mark = mark;
		uint32_t code = copy_one(cp, error_r);
		if (code == PB_ERR_EXISTS)
			out->skipped++;
		else if (code == PB_OK)
			out->copied++;
		else
			return code;
	}
	return PB_OK;
}

/* The batch of messages from uid_first (at most ROUTER_COPY_INBOX_BATCH). */
static uint32_t list_batch(struct pb_caller *c, uint64_t user_id, uint32_t uid_first,
			   struct mailbox_list *list_r, const char **error_r)
{
	struct mailbox_list_query q = { .folder = "INBOX", .uid_first = uid_first,
					.limit = ROUTER_COPY_INBOX_BATCH };
	struct pb_sync t;
	uint32_t code = PB_ERR_TEMP;

	memset(list_r, 0, sizeof(*list_r));
	pb_sync_init_caller(&t, c, COPY_CALL_MS);
	if (mailbox_client_list(&t, user_id, &q, &code, list_r, error_r) < 0)
		return PB_ERR_TEMP;
	if (code != PB_OK)
		*error_r = "the mailbox could not list the INBOX";
	return code;
}

uint32_t router_copy_inbox(struct pb_caller *c, const struct router_records *r,
			   const struct router_user *u, uint32_t uid_first,
			   struct router_copy_inbox_out *out_r, const char **error_r)
{
	struct pb_strv v = { 0 };
	struct mailbox_list list;
	uint64_t bytes = 0;

	memset(out_r, 0, sizeof(*out_r));
	router_split_list(u->assistants, &v);
	if (v.n == 0)
		return *error_r = "the account has no assistants", PB_ERR_REFUSED;
	uint32_t code = list_batch(c, u->id, uid_first, &list, error_r);
	char *sender = account_address(r, u);
	struct copy cp = { .c = c, .user_id = u->id, .key = u->id,
			   .env = { .sender = sender, .n_rcpts = 1,
				    .received_ms = (int64_t)pb_clock_wall_ms(),
				    .origin = PB_ORIGIN_LOCAL },
			   .buf = xmalloc(PB_CHUNK_MAX) };
	size_t i = 0;
	for (; code == PB_OK && i < list.entries.n; i++) {
		if (i > 0 && (bytes >= ROUTER_COPY_INBOX_BYTES ||
			      (i + 1) * v.n > ROUTER_COPY_INBOX_BATCH))
			break;
		cp.e = &list.entries.v[i];
		bytes += cp.e->size * v.n;
		code = copy_message(&cp, r, list.uidvalidity, &v, out_r, error_r);
	}
	if (code == PB_OK)
		out_r->next_uid = i < list.entries.n ? list.entries.v[i].uid : list.next_uid;
	if (code == PB_OK)
		pb_info("router", "event=copy_inbox user=%s copied=%u skipped=%u next_uid=%u",
			PB_LOGQ(u->name), out_r->copied, out_r->skipped, out_r->next_uid);
	free(cp.buf);
	free(sender);
	mailbox_list_free(&list);
	pb_strv_clear(&v);
	return code;
}
