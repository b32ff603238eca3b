/*
 * directory-domains.c: the directory's local domains (see directory-private.h). An account has
 * an address at every local domain (directory-resolve.h), so removing a domain takes an
 * address from every account: the directory, their owner, refuses it without force (and
 * always for the last local domain), whoever asks — the CLI today, the web API later.
 * OWNS nothing (the domain records are the store's, written only here). THREAD: the directory
 * actor's.
 */
#include "directory-private.h"

#include "directory-rules.h"
#include "pb-log.h"
#include "store-accounts.h"

#include <stdlib.h>
#include <string.h>

/* Adds (or removes) local domain lower with its change in the history. 0 / -1. */
static int domain_write(struct directory *d, const char *lower, bool add, const char *by,
			const char **error_r)
{
	char *record = directory_history_record("domain:", lower, NULL);
	char *json = directory_history_domain_json(lower);

	directory_history_arm(d, record, add ? NULL : json, add ? json : NULL, by, "");
	int rc = add ? pb_store_domain_put(d->store, lower, error_r)
		     : pb_store_domain_delete(d->store, lower, error_r);
	pb_store_dir_change_disarm();
	free(record);
	free(json);
	return rc < 0 ? -1 : 0;
}

int directory_on_domain_add(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	char lower[DIRECTORY_DOMAIN_MAX + 1];
	const char *error;
	const char *domain = m->u.dir_domain_add_req.domain;

	if (directory_check_domain(domain, &error) < 0) {
		pb_reply_status(a, m, PB_ERR_REFUSED, error);
		return 0;
	}
	directory_lower(domain, lower, sizeof(lower));
	int exists = pb_store_domain_exists(d->store, lower, &error);
	if (exists < 0 || (exists == 0 && domain_write(d, lower, true,
						       m->u.dir_domain_add_req.by, &error) < 0))
		return directory_store_failed(a, m, error);
	if (exists == 0)
		pb_log_security("directory", "event=domain_added domain=%s", PB_LOGQ(lower));
	pb_reply_status(a, m, exists ? PB_ERR_EXISTS : PB_OK,
			exists ? "this domain is local already" : "");
	return 0;
}

/* Removes a local domain when directory_domain_removable allows it; the security log keeps
 * how many accounts lost an address there and whether force was given. */
int directory_on_domain_del(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const struct msg_dir_domain_del_req *q = &m->u.dir_domain_del_req;
	char lower[DIRECTORY_DOMAIN_MAX + 1], why[512];
	uint64_t users = 0, domains = 0;
	const char *error;

	const char *domain = q->domain != NULL ? q->domain : "";
	directory_lower(domain, lower, sizeof(lower));
	int exists = 0;
	if (strlen(domain) <= DIRECTORY_DOMAIN_MAX)
		exists = pb_store_domain_exists(d->store, lower, &error);
	if (exists < 0 || (exists > 0 && directory_count(d, &users, &domains, &error) < 0))
		return directory_store_failed(a, m, error);
	if (exists == 0) {
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such local domain");
		return 0;
	}
	if (directory_domain_removable(lower, domains, users, q->force, why, sizeof(why)) < 0) {
		pb_log_security("directory",
				"event=domain_delete_refused domain=%s users=%llu reason=%s",
				PB_LOGQ(lower), (unsigned long long)users,
				domains <= 1 ? "last_local_domain" : "users_have_addresses");
		pb_reply_status(a, m, PB_ERR_REFUSED, why);
		return 0;
	}
	if (domain_write(d, lower, false, q->by, &error) < 0)
		return directory_store_failed(a, m, error);
	pb_log_security("directory", "event=domain_deleted domain=%s users=%llu forced=%d",
			PB_LOGQ(lower), (unsigned long long)users, q->force && users > 0);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static int push_domain(const char *domain, void *ctx)
{
	pb_strv_push(ctx, domain);
	return 0;
}

int directory_on_domain_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	struct pb_msg rep;
	const char *error;

	pb_msg_init(&rep, MSG_DIR_DOMAIN_LIST_REP);
	if (pb_store_domain_iter(d->store, push_domain, &rep.u.dir_domain_list_rep.domains,
				 &error) < 0) {
		pb_msg_free(&rep);
		return directory_store_failed(a, m, error);
	}
	rep.u.dir_domain_list_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}
