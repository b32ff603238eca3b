/*
 * store-users.c: user accounts (CF users, keyed by lowercase name, and CF user_ids, the id
 * index) and persistent counters (CF counters). Part of pb_store_accounts (store-accounts.h).
 * OWNS: nothing beyond the handle. THREAD: any; read-modify-write of users is serialised
 * by s->users_lock, of counters by s->counters_lock.
 */
#include "store-internal.h"

#include <stdlib.h>

#define STORE_COUNTER_NAME_MAX 128

void pb_user_rec_free(struct pb_user_rec *u)
{
	free(u->pw_hash);
	free(u->settings_json);
	free(u->scram);
	free(u->web_pw_hash);
	u->web_pw_hash = NULL;
	u->pw_hash = NULL;
	u->settings_json = NULL;
	u->scram = NULL;
}

/* users value v3: [ver][u64 id][u64 created_ms][str pw_hash][str settings_json][str scram]
 * [str web_pw_hash][u8 webmail_main_denied]; v2 (still read) ends before web_pw_hash, v1
 * before scram. */
static void store_user_encode(const struct pb_user_rec *u, struct pb_buf *b)
{
	store_enc_u8(b, STORE_V3);
	store_enc_u64(b, u->id);
	store_enc_u64(b, u->created_ms);
	store_enc_str(b, u->pw_hash);
	store_enc_str(b, u->settings_json);
	store_enc_str(b, u->scram);
	store_enc_str(b, u->web_pw_hash);
	store_enc_u8(b, u->webmail_main_denied ? 1 : 0);
}

static int store_user_decode(const char *name, size_t name_len, const struct pb_buf *val,
			     struct pb_user_rec *u_r, const char **error_r)
{
	struct store_rd r;

	memset(u_r, 0, sizeof(*u_r));
	if (name_len > PB_USER_NAME_MAX)
		return store_fail(error_r, "store: user key too long");
	memcpy(u_r->name, name, name_len);
	store_rd_init(&r, val->data, val->len);
	uint8_t ver = store_rd_u8(&r);
	if (ver != STORE_V1 && ver != STORE_V2 && ver != STORE_V3)
		return store_fail(error_r, "store: user %s: unknown record version", u_r->name);
	u_r->id = store_rd_u64(&r);
	u_r->created_ms = store_rd_u64(&r);
	u_r->pw_hash = store_rd_str(&r);
	u_r->settings_json = store_rd_str(&r);
	if (ver >= STORE_V2)
		u_r->scram = store_rd_str(&r);
	if (ver >= STORE_V3) {
		u_r->web_pw_hash = store_rd_str(&r);
		u_r->webmail_main_denied = store_rd_u8(&r) != 0;
	}
	if (!store_rd_ok(&r)) {
		pb_user_rec_free(u_r);
		return store_fail(error_r, "store: user %s: corrupt record", u_r->name);
	}
	return 0;
}

/* user_ids value v1: [ver][str name] */
static void store_user_id_key(uint64_t id, uint8_t key[8])
{
	store_be64_put(key, id);
}

static void store_user_id_encode(const char *name, struct pb_buf *b)
{
	store_enc_u8(b, STORE_V1);
	store_enc_str(b, name);
}

/* Reads the name an id maps to. Returns 1 with *name_r (caller frees), 0, -1. */
static int store_user_id_lookup(struct pb_store *s, uint64_t id, char **name_r,
				const char **error_r)
{
	uint8_t key[8];
	struct pb_buf val;
	struct store_rd r;

	store_user_id_key(id, key);
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_USER_IDS, key, sizeof(key), &val, error_r);
	if (ret == 1) {
		store_rd_init(&r, val.data, val.len);
		bool v_ok = store_rd_u8(&r) == STORE_V1;
		*name_r = store_rd_str(&r);
		if (!v_ok || !store_rd_ok(&r) || *name_r == NULL) {
			free(*name_r);
			ret = store_fail(error_r, "store: user id %llu: corrupt index record",
					 (unsigned long long)id);
		}
	}
	pb_buf_deinit(&val);
	return ret;
}

/* Reads a user by its lowercase key. */
static int store_user_get_lower(struct pb_store *s, const char *lname, struct pb_user_rec *u_r,
				const char **error_r)
{
	struct pb_buf val;

	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_USERS, lname, strlen(lname), &val, error_r);
	if (ret == 1 && store_user_decode(lname, strlen(lname), &val, u_r, error_r) < 0)
		ret = -1;
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_user_get(struct pb_store *s, const char *name, struct pb_user_rec *u_r,
		      const char **error_r)
{
	char lname[PB_USER_NAME_MAX + 1];

	if (store_lower_copy(name, lname, sizeof(lname)) < 0)
		return 0; /* no such name can exist */
	return store_user_get_lower(s, lname, u_r, error_r);
}

int pb_store_user_get_by_id(struct pb_store *s, uint64_t id, struct pb_user_rec *u_r,
			    const char **error_r)
{
	char *name = NULL;
	int ret = store_user_id_lookup(s, id, &name, error_r);

	if (ret != 1)
		return ret;
	ret = store_user_get_lower(s, name, u_r, error_r);
	if (ret == 1 && u_r->id != id) { /* index older than the record: not this id */
		pb_user_rec_free(u_r);
		ret = 0;
	}
	free(name);
	return ret;
}

/* Checks that id is free or already ours, and notes the old id of the name to unindex. */
static int store_user_put_check(struct pb_store *s, const char *lname, uint64_t id,
				uint64_t *old_id_r, const char **error_r)
{
	struct pb_user_rec old;
	char *owner = NULL;
	int ret = store_user_get_lower(s, lname, &old, error_r);

	if (ret < 0)
		return -1;
	*old_id_r = ret == 1 ? old.id : id;
	if (ret == 1)
		pb_user_rec_free(&old);
	ret = store_user_id_lookup(s, id, &owner, error_r);
	if (ret < 0)
		return -1;
	if (ret == 1 && strcmp(owner, lname) != 0) {
		store_fail(error_r, "store: user id %llu belongs to %s", (unsigned long long)id,
			   owner);
		free(owner);
		return -1;
	}
	free(owner);
	return 0;
}

/* The welcome marker of a new account into b (store-marks.c). */
static void welcome_mark(struct pb_store *s, rocksdb_writebatch_t *b, const struct pb_user_rec *u,
			 const char *address)
{
	struct pb_gen_mark m = { .user_id = u->id, .kind = PB_GEN_WELCOME };

	m.str[0] = (char *)u->name;
	m.str[1] = (char *)address;
	store_gen_mark_put(b, s, &m);
}

int pb_store_user_put(struct pb_store *s, const struct pb_user_rec *u, const char **error_r)
{
	return pb_store_user_put_welcome(s, u, NULL, error_r);
}

int pb_store_user_put_welcome(struct pb_store *s, const struct pb_user_rec *u,
			      const char *welcome_address, const char **error_r)
{
	char lname[PB_USER_NAME_MAX + 1];
	uint8_t idkey[8];
	uint64_t old_id;
	struct pb_buf val, idval;
	int ret = -1;

	if (store_lower_copy(u->name, lname, sizeof(lname)) < 0)
		return store_fail(error_r, "store: user name empty or longer than %d",
				  PB_USER_NAME_MAX);
	pb_buf_init(&val);
	pb_buf_init(&idval);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	pthread_mutex_lock(&s->users_lock);
	if (store_user_put_check(s, lname, u->id, &old_id, error_r) == 0) {
		if (old_id != u->id) {
			store_user_id_key(old_id, idkey);
			rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_USER_IDS],
						     (const char *)idkey, sizeof(idkey));
		}
		store_user_encode(u, &val);
		store_user_id_encode(lname, &idval);
		store_user_id_key(u->id, idkey);
		rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_USERS], lname, strlen(lname),
					  val.data, val.len);
		rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_USER_IDS], (const char *)idkey,
					  sizeof(idkey), idval.data, idval.len);
		if (welcome_address != NULL)
			welcome_mark(s, b, u, welcome_address);
		ret = store_write(s, b, error_r);
	}
	pthread_mutex_unlock(&s->users_lock);
	rocksdb_writebatch_destroy(b);
	pb_buf_deinit(&val);
	pb_buf_deinit(&idval);
	return ret;
}

/* The rename batch, with the users lock held. */
static int store_user_rename_locked(struct pb_store *s, const char *lold, const char *lnew,
				    const char **error_r)
{
	struct pb_user_rec u, other;
	struct pb_buf val, idval;
	uint8_t idkey[8];
	int ret = store_user_get_lower(s, lold, &u, error_r);

	if (ret <= 0)
		return ret < 0 ? -1 : store_fail(error_r, "store: no user %s", lold);
	if (strcmp(lold, lnew) == 0) {
		pb_user_rec_free(&u);
		return 0; /* a case-only change: the key is the same */
	}
	ret = store_user_get_lower(s, lnew, &other, error_r);
	if (ret != 0) {
		pb_user_rec_free(&u);
		if (ret < 0)
			return -1;
		pb_user_rec_free(&other);
		return store_fail(error_r, "store: user %s exists already", lnew);
	}
	pb_buf_init(&val);
	pb_buf_init(&idval);
	store_user_encode(&u, &val);
	store_user_id_encode(lnew, &idval);
	store_user_id_key(u.id, idkey);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_USERS], lold, strlen(lold));
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_USERS], lnew, strlen(lnew), val.data,
				  val.len);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_USER_IDS], (const char *)idkey,
				  sizeof(idkey), idval.data, idval.len);
	ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	pb_buf_deinit(&val);
	pb_buf_deinit(&idval);
	pb_user_rec_free(&u);
	return ret;
}

int pb_store_user_rename(struct pb_store *s, const char *old_name, const char *new_name,
			 const char **error_r)
{
	char lold[PB_USER_NAME_MAX + 1], lnew[PB_USER_NAME_MAX + 1];

	if (store_lower_copy(old_name, lold, sizeof(lold)) < 0)
		return store_fail(error_r, "store: no user %s", old_name ? old_name : "");
	if (store_lower_copy(new_name, lnew, sizeof(lnew)) < 0)
		return store_fail(error_r, "store: user name empty or longer than %d",
				  PB_USER_NAME_MAX);
	pthread_mutex_lock(&s->users_lock);
	int ret = store_user_rename_locked(s, lold, lnew, error_r);
	pthread_mutex_unlock(&s->users_lock);
	return ret;
}

static int store_user_delete_locked(struct pb_store *s, const char *lname, const char **error_r)
{
	struct pb_user_rec u;
	char *owner = NULL;
	uint8_t idkey[8];
	int ret = store_user_get_lower(s, lname, &u, error_r);

	if (ret <= 0)
		return ret;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_USERS], lname, strlen(lname));
	store_gen_marks_delete(b, s, u.id); /* messages not made yet go with their account */
	ret = store_user_id_lookup(s, u.id, &owner, error_r);
	if (ret == 1 && strcmp(owner, lname) == 0) {
		store_user_id_key(u.id, idkey);
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_USER_IDS], (const char *)idkey,
					     sizeof(idkey));
	}
	if (ret >= 0)
		ret = store_write(s, b, error_r) < 0 ? -1 : 1;
	rocksdb_writebatch_destroy(b);
	free(owner);
	pb_user_rec_free(&u);
	return ret;
}

int pb_store_user_delete(struct pb_store *s, const char *name, const char **error_r)
{
	char lname[PB_USER_NAME_MAX + 1];

	if (store_lower_copy(name, lname, sizeof(lname)) < 0)
		return 0;
	pthread_mutex_lock(&s->users_lock);
	int ret = store_user_delete_locked(s, lname, error_r);
	pthread_mutex_unlock(&s->users_lock);
	return ret;
}

int pb_store_user_iter(struct pb_store *s, int (*cb)(const struct pb_user_rec *u, void *ctx),
		       void *ctx, const char **error_r)
{
	struct store_iter it;
	struct pb_buf val;
	int ret = 0;

	pb_buf_init(&val);
	store_iter_prefix(s, STORE_CF_USERS, "", 0, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen, vlen;
		const char *key = rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		struct pb_user_rec u;
		pb_buf_reset(&val);
		pb_buf_append(&val, v, vlen);
		if (store_user_decode(key, klen, &val, &u, error_r) < 0) {
			ret = -1;
			break;
		}
		int stop = cb(&u, ctx);
		pb_user_rec_free(&u);
		if (stop != 0)
			break;
	}
	if (store_iter_finish(&it, ret < 0 ? NULL : error_r) < 0)
		ret = -1;
	pb_buf_deinit(&val);
	return ret;
}

/* counters value v1: [ver][u64 value] */
int pb_store_counter_next(struct pb_store *s, const char *name, uint64_t *value_r,
			  const char **error_r)
{
	size_t nlen = name != NULL ? strlen(name) : 0;
	struct pb_buf val;
	uint64_t v = 0;

	if (nlen == 0 || nlen > STORE_COUNTER_NAME_MAX)
		return store_fail(error_r, "store: counter name empty or too long");
	pb_buf_init(&val);
	pthread_mutex_lock(&s->counters_lock);
	int ret = store_get(s, STORE_CF_COUNTERS, name, nlen, &val, error_r);
	if (ret == 1) {
		struct store_rd r;
		store_rd_init(&r, val.data, val.len);
		bool v_ok = store_rd_u8(&r) == STORE_V1;
		v = store_rd_u64(&r);
		if (!v_ok || !store_rd_ok(&r))
			ret = store_fail(error_r, "store: counter %s: corrupt record", name);
	}
	if (ret >= 0) {
		pb_buf_reset(&val);
		store_enc_u8(&val, STORE_V1);
		store_enc_u64(&val, ++v);
		rocksdb_writebatch_t *b = rocksdb_writebatch_create();
		rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_COUNTERS], name, nlen, val.data,
					  val.len);
		ret = store_write(s, b, error_r);
		rocksdb_writebatch_destroy(b);
	}
	pthread_mutex_unlock(&s->counters_lock);
	pb_buf_deinit(&val);
	if (ret == 0)
		*value_r = v;
	return ret < 0 ? -1 : 0;
}
