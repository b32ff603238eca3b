/*
 * directory-client.h: typed calls to the directory actor (accounts and local domains) — the
 * only way other modules talk to it (MSG_DIR_*; see directory-actor.h for what it does).
 *
 * Conventions (pb-client.h):
 *  - directory_client_X(struct pb_sync *t, IN..., uint32_t *code_r, OUT_r..., error_r):
 *    0 the directory answered, *code_r its enum pb_status, OUT_r set (caller's) only on PB_OK,
 *    otherwise *error_r its reason (kept in t until the next call); -1 no answer (*error_r).
 *  - directory_client_X_send(const struct pb_sender *s, IN..., error_r): 0 sent / -1 not.
 *  - directory_client_X_reply(struct pb_msg *rep, OUT_r..., error_r): the pb_status of the
 *    answer (its REP, or CORE_STATUS_REP for failures); OUT_r moved out of rep on PB_OK;
 *    *error_r points into rep.
 * Strings passed in are borrowed (copied into the request); NULL is sent as "".
 * A request that names an existing user (del, rename, passwd, lookup, show, copy) takes its
 * name or its full address at a local domain (bob@example.com: directory-resolve.h); a name or
 * address that reaches no account is NOTFOUND ("no such user", "not a local domain").
 * THREAD: the caller's (one struct pb_sync per thread).
 */
#ifndef DIRECTORY_CLIENT_H
#define DIRECTORY_CLIENT_H

#include "directory-rules.h"
#include "pb-client.h"

/* The accounts DIR_USER_LIST_REP gives: users.v[i] = { user, messages, bytes } (messages and
 * bytes in the inbox), users.n of them. */
struct directory_user_list {
	struct pb_rec_dir_user_entry_list users;
};
void directory_user_list_free(struct directory_user_list *l);

struct directory_user_info {
	char *user;
	uint64_t user_id, created_ms, messages, bytes;
	char *settings; /* JSON object */
	/* the account has a separate web password; webmail may change its main password (always
	 * true without a web password) */
	bool has_web_password, can_change_main;
};
void directory_user_info_free(struct directory_user_info *i);

/* Adds an account. copy_from (may be NULL/""): copy that user's settings; settings (NULL/""
 * for none): a JSON object; welcome: see enum directory_welcome (another value: DEFAULT).
 * REFUSED bad name/password/settings, EXISTS, NOTFOUND (copy_from). */
int directory_client_user_add(struct pb_sync *t, const char *user, const char *password,
			      const char *copy_from, const char *settings,
			      enum directory_welcome welcome, uint32_t *code_r,
			      const char **error_r);
int directory_client_user_add_send(const struct pb_sender *s, const char *user,
				   const char *password, const char *copy_from,
				   const char *settings, enum directory_welcome welcome,
				   const char **error_r);
uint32_t directory_client_user_add_reply(struct pb_msg *rep, const char **error_r);

/* Deletes an account; force: and its mail (REFUSED without force when it has mail). */
int directory_client_user_del(struct pb_sync *t, const char *user, bool force, uint32_t *code_r,
			      const char **error_r);
int directory_client_user_del_send(const struct pb_sender *s, const char *user, bool force,
				   const char **error_r);
uint32_t directory_client_user_del_reply(struct pb_msg *rep, const char **error_r);

int directory_client_user_rename(struct pb_sync *t, const char *user, const char *new_name,
				 uint32_t *code_r, const char **error_r);
int directory_client_user_rename_send(const struct pb_sender *s, const char *user,
				      const char *new_name, const char **error_r);
uint32_t directory_client_user_rename_reply(struct pb_msg *rep, const char **error_r);

/* Which password a change sets (DIR_USER_PASSWD_REQ's which). */
enum directory_passwd_which {
	DIR_PASSWD_MAIN = 0,
	DIR_PASSWD_WEB = 1,	   /* the separate web password (the account gets one) */
	DIR_PASSWD_WEB_OR_MAIN = 2, /* the web password if the account has one, else the main */
};

/* Whether key is one of the account's password settings DIR_USER_SET_REQ takes besides the
 * sending and routing keys: web_password (off: remove the separate web password) and
 * webmail_main_password (0/1, default 1: webmail may change the main password). */
bool directory_password_is_key(const char *key);
/* The i-th of those keys (0, 1; NULL past the last) with its one-line help in *help_r. */
const char *directory_password_key(size_t i, const char **help_r);

/* Sets user's password (which of them: see the enum; another value: MAIN). REFUSED the
 * password policy's reason, NOTFOUND. */
int directory_client_user_passwd(struct pb_sync *t, const char *user, const char *password,
				 enum directory_passwd_which which, uint32_t *code_r,
				 const char **error_r);
int directory_client_user_passwd_send(const struct pb_sender *s, const char *user,
				      const char *password, enum directory_passwd_which which,
				      const char **error_r);
uint32_t directory_client_user_passwd_reply(struct pb_msg *rep, const char **error_r);

/* Copies the settings of `from` to `user`. */
int directory_client_user_copy(struct pb_sync *t, const char *user, const char *from,
			       uint32_t *code_r, const char **error_r);
int directory_client_user_copy_send(const struct pb_sender *s, const char *user,
				    const char *from, const char **error_r);
uint32_t directory_client_user_copy_reply(struct pb_msg *rep, const char **error_r);

/* An account's id and canonical (lower-case) name. */
int directory_client_user_lookup(struct pb_sync *t, const char *user, uint32_t *code_r,
				 uint64_t *user_id_r, char **name_r, const char **error_r);
int directory_client_user_lookup_send(const struct pb_sender *s, const char *user,
				      const char **error_r);
uint32_t directory_client_user_lookup_reply(struct pb_msg *rep, uint64_t *user_id_r,
					    char **name_r, const char **error_r);

/* The accounts matching pattern (fnmatch, case-insensitive; ""/NULL: all). */
int directory_client_user_list(struct pb_sync *t, const char *pattern, uint32_t *code_r,
			       struct directory_user_list *list_r, const char **error_r);
int directory_client_user_list_send(const struct pb_sender *s, const char *pattern,
				    const char **error_r);
uint32_t directory_client_user_list_reply(struct pb_msg *rep, struct directory_user_list *list_r,
					  const char **error_r);

int directory_client_user_show(struct pb_sync *t, const char *user, uint32_t *code_r,
			       struct directory_user_info *info_r, const char **error_r);
int directory_client_user_show_send(const struct pb_sender *s, const char *user,
				    const char **error_r);
uint32_t directory_client_user_show_reply(struct pb_msg *rep, struct directory_user_info *info_r,
					  const char **error_r);

/* Adds users[i] with passwords[i] (same count, else REFUSED) and welcome[i] (an enum
 * directory_welcome each; welcome NULL: every one DEFAULT). On PB_OK *added_r is how many
 * were added and errors_r holds one entry per user: "" added, else why not. */
int directory_client_user_bulk_add(struct pb_sync *t, const struct pb_strv *users,
				   const struct pb_strv *passwords, const uint8_t *welcome,
				   uint32_t *code_r, uint32_t *added_r, struct pb_strv *errors_r,
				   const char **error_r);
int directory_client_user_bulk_add_send(const struct pb_sender *s, const struct pb_strv *users,
					const struct pb_strv *passwords, const uint8_t *welcome,
					const char **error_r);
uint32_t directory_client_user_bulk_add_reply(struct pb_msg *rep, uint32_t *added_r,
					      struct pb_strv *errors_r, const char **error_r);

/* An SMTP recipient local@domain: PB_OK (*user_id_r, *user_r: the account), NOTFOUND (local
 * domain, no such user), REFUSED (not a local domain). "postmaster" is always local. */
int directory_client_rcpt_check(struct pb_sync *t, const char *local, const char *domain,
				uint32_t *code_r, uint64_t *user_id_r, char **user_r,
				const char **error_r);
/* The same for an address of mail the mail collector `collector` downloaded: a mapping with
 * no account behind it counts as mail collected by it (types pop3 and always, and that
 * collector's filter), not as mail over SMTP. */
int directory_client_rcpt_check_collected(struct pb_sync *t, const char *local,
					  const char *domain, const char *collector,
					  uint32_t *code_r, uint64_t *user_id_r, char **user_r,
					  const char **error_r);
int directory_client_rcpt_check_send(const struct pb_sender *s, const char *local,
				     const char *domain, const char **error_r);
uint32_t directory_client_rcpt_check_reply(struct pb_msg *rep, uint64_t *user_id_r,
					   char **user_r, const char **error_r);

int directory_client_domain_add(struct pb_sync *t, const char *domain, uint32_t *code_r,
				const char **error_r);
int directory_client_domain_add_send(const struct pb_sender *s, const char *domain,
				     const char **error_r);
uint32_t directory_client_domain_add_reply(struct pb_msg *rep, const char **error_r);

/* Removes a local domain: PB_OK, NOTFOUND (not a local domain), REFUSED with the reason for
 * the administrator when it is the last local domain (even with force), or when accounts have
 * addresses at it (every account does: name@domain) and force is false. */
int directory_client_domain_del(struct pb_sync *t, const char *domain, bool force,
				uint32_t *code_r, const char **error_r);
int directory_client_domain_del_send(const struct pb_sender *s, const char *domain, bool force,
				     const char **error_r);
uint32_t directory_client_domain_del_reply(struct pb_msg *rep, const char **error_r);

int directory_client_domain_list(struct pb_sync *t, uint32_t *code_r, struct pb_strv *domains_r,
				 const char **error_r);
int directory_client_domain_list_send(const struct pb_sender *s, const char **error_r);
uint32_t directory_client_domain_list_reply(struct pb_msg *rep, struct pb_strv *domains_r,
					    const char **error_r);

/* How many accounts and local domains there are. */
int directory_client_counts(struct pb_sync *t, uint32_t *code_r, uint64_t *users_r,
			    uint64_t *domains_r, const char **error_r);
int directory_client_counts_send(const struct pb_sender *s, const char **error_r);
uint32_t directory_client_counts_reply(struct pb_msg *rep, uint64_t *users_r, uint64_t *domains_r,
				       const char **error_r);

/* The ids of every account, ascending (*ids_r the caller's: pb_u64v_clear). */
int directory_client_user_ids(struct pb_sync *t, uint32_t *code_r, struct pb_u64v *ids_r,
			      const char **error_r);
int directory_client_user_ids_send(const struct pb_sender *s, const char **error_r);
uint32_t directory_client_user_ids_reply(struct pb_msg *rep, struct pb_u64v *ids_r,
					 const char **error_r);

/* ---- sending permissions (directory-client-send.c; the keys: send-policy.h) ---- */

/* Sets an account's sending setting key to value (the CLI's text), or removes it (unset: value
 * ignored). REFUSED with the reason for an unknown key or a bad value; NOTFOUND no such user. */
int directory_client_user_set(struct pb_sync *t, const char *user, const char *key,
			      const char *value, bool unset, uint32_t *code_r, const char **error_r);
int directory_client_user_set_send(const struct pb_sender *s, const char *user, const char *key,
				   const char *value, bool unset, const char **error_r);
uint32_t directory_client_user_set_reply(struct pb_msg *rep, const char **error_r);

/* What the directory says about a transaction of an authenticated sender. */
struct directory_send_policy {
	bool own_sender;    /* MAIL FROM is one of the account's addresses (or <>) */
	bool send_as_any;   /* the account may use any MAIL FROM */
	uint8_t over;       /* 0 within its limits; 1 the hour's limit reached; 2 the day's */
	uint32_t limit;     /* the limit reached (when over) */
	bool allow_bcc, internet_mail;
	uint64_t max_size_kb; /* 0: no limit of its own */
	struct pb_strv forbidden; /* wildcard patterns (the caller's: pb_strv_clear) */
};
/* Asks for user_id's policy for a transaction from local@domain ("" "" the null sender).
 * NOTFOUND when the account is gone. */
int directory_client_send_policy_send(const struct pb_sender *s, uint64_t user_id,
				      const char *local, const char *domain, const char **error_r);
uint32_t directory_client_send_policy_reply(struct pb_msg *rep, struct directory_send_policy *p_r,
					    const char **error_r);
/* An account's own signature texts ("" none; the server's signature.* texts are apart). */
struct directory_user_signature {
	char *text, *html;		/* on mail to remote recipients */
	char *internal_text, *internal_html; /* on mail whose recipients are all local */
};
/* After a PB_OK directory_client_send_policy_reply: moves the account's signatures out of rep
 * into *sig_r (the caller's: directory_user_signature_clear). */
void directory_client_send_policy_signature(struct pb_msg *rep,
					     struct directory_user_signature *sig_r);
/* Frees the texts of sig and empties it (an empty one: nothing to do). */
void directory_user_signature_clear(struct directory_user_signature *sig);
/* Counts one accepted message of user_id toward its limits (one-way: a cast sender). */
int directory_client_send_count_send(const struct pb_sender *s, uint64_t user_id,
				     const char **error_r);

#endif
