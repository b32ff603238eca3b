/*
 * imap-cmd-table.c: the IMAP command table — name, kind, flags and the typed check of each
 * command — with the checks of the commands whose arguments are a few strings (LOGIN,
 * AUTHENTICATE, ENABLE, ID, COMPRESS, mailbox commands with CREATE's USE, COPY/MOVE,
 * EXPUNGE).
 * OWNS nothing. THREAD: any.
 */
#include "imap-parser-private.h"

#include "pb-alloc.h"

#include <ctype.h>
#include <string.h>

#define ID_PAIRS_MAX 30	    /* RFC 2971 3.3 */
#define ID_FIELD_MAX 30
#define ID_VALUE_MAX 1024
#define SASL_MECH_MAX 20    /* RFC 4422 3.1 */

static int parse_none(struct imap_cursor *c, struct imap_cmd *cmd)
{
	return imap_take_end(c, "takes no arguments");
}

static int parse_mailbox(struct imap_cursor *c, struct imap_cmd *cmd)
{
	if (imap_take_astring(c, "mailbox name expected", &cmd->u.mbox.mailbox) < 0)
		return -1;
	return imap_take_end(c, "one mailbox name expected");
}

/* CREATE mailbox [(USE (attr...))] (RFC 4466 create-params; RFC 6154 3: USE only). */
static int parse_create(struct imap_cursor *c, struct imap_cmd *cmd)
{
	struct imap_cursor sub;
	const char *param;

	if (imap_take_astring(c, "mailbox name expected", &cmd->u.mbox.mailbox) < 0)
		return -1;
	if (imap_cursor_end(c))
		return 0;
	if (imap_take_list(c, "CREATE parameters expected", &sub) < 0)
		return -1;
	while (!imap_cursor_end(&sub)) {
		if (imap_take_atom(&sub, "", &param) < 0 || !imap_eq(param, "USE") ||
		    cmd->u.mbox.uses != NULL)
			return imap_fail(c, "unknown CREATE parameter");
		if (imap_take_flags(&sub, "", &cmd->u.mbox.uses, &cmd->u.mbox.n_uses) < 0)
			return imap_fail(c, "USE takes a list of attributes");
	}
	return imap_take_end(c, "too many arguments");
}

static int parse_rename(struct imap_cursor *c, struct imap_cmd *cmd)
{
	if (imap_take_astring(c, "two mailbox names expected", &cmd->u.mbox.mailbox) < 0 ||
	    imap_take_astring(c, "two mailbox names expected", &cmd->u.mbox.to) < 0)
		return -1;
	return imap_take_end(c, "two mailbox names expected");
}

static int parse_login(struct imap_cursor *c, struct imap_cmd *cmd)
{
	if (imap_take_astring(c, "user name and password expected", &cmd->u.login.user) < 0 ||
	    imap_take_astring(c, "user name and password expected", &cmd->u.login.password) < 0)
		return -1;
	return imap_take_end(c, "user name and password expected");
}

/* A SASL mechanism name (RFC 4422 3.1), uppercased in place. */
static bool mechanism_ok(char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		s[n] = (char)toupper((unsigned char)s[n]);
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_')
			return false;
	}
	return n > 0 && n <= SASL_MECH_MAX;
}

/* AUTHENTICATE mech [initial-response] (RFC 4959: base64 or "="). */
static int parse_authenticate(struct imap_cursor *c, struct imap_cmd *cmd)
{
	const char *mech, *ir;

	if (imap_take_atom(c, "mechanism expected", &mech) < 0 || !mechanism_ok((char *)mech))
		return imap_fail(c, "invalid mechanism");
	cmd->u.auth.mech = mech;
	if (imap_cursor_end(c))
		return 0;
	if (imap_take_atom(c, "invalid initial response", &ir) < 0)
		return -1;
	size_t len = strlen(ir);
	if (strcmp(ir, "=") != 0 &&
	    (len % 4 != 0 ||
	     strspn(ir, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != len))
		return imap_fail(c, "invalid base64 in initial response");
	cmd->u.auth.initial = ir;
	return imap_take_end(c, "too many arguments");
}

static int parse_enable(struct imap_cursor *c, struct imap_cmd *cmd)
{
	const char **caps = imap_cursor_alloc(c, c->n, sizeof(*caps));

	if (caps == NULL)
		return -1;
	if (c->n == 0)
		return imap_fail(c, "capability names expected");
	for (unsigned i = 0; i < c->n; i++) {
		if (imap_take_atom(c, "capability names expected", &caps[i]) < 0)
			return -1;
		for (char *s = (char *)caps[i]; *s != '\0'; s++)
			*s = (char)toupper((unsigned char)*s);
	}
	cmd->u.enable.caps = caps;
	cmd->u.enable.n = c->n;
	return 0;
}

/* ID NIL / ID ("field" "value"/NIL ...) (RFC 2971). */
static int parse_id(struct imap_cursor *c, struct imap_cmd *cmd)
{
	struct imap_cursor sub;
	const struct imap_arg *a = imap_cursor_peek(c);

	if (a != NULL && a->type == IMAP_ARG_NIL) {
		c->i++;
		return imap_take_end(c, "too many arguments");
	}
	if (imap_take_list(c, "parameter list or NIL expected", &sub) < 0 ||
	    imap_take_end(c, "too many arguments") < 0)
		return -1;
	if (sub.n % 2 != 0 || sub.n / 2 > ID_PAIRS_MAX)
		return imap_fail(c, "invalid ID parameter list");
	struct imap_id_pair *pairs = imap_cursor_alloc(c, sub.n / 2, sizeof(*pairs));
	if (pairs == NULL)
		return -1;
	for (unsigned i = 0; i < sub.n / 2; i++) {
		if (imap_take_string(&sub, "", &pairs[i].field) < 0 ||
		    imap_take_nstring(&sub, "", &pairs[i].value) < 0 ||
		    strlen(pairs[i].field) > ID_FIELD_MAX ||
		    (pairs[i].value != NULL && strlen(pairs[i].value) > ID_VALUE_MAX))
			return imap_fail(c, "invalid ID parameter list");
	}
	cmd->u.id.pairs = pairs;
	cmd->u.id.n = sub.n / 2;
	return 0;
}

static int parse_compress(struct imap_cursor *c, struct imap_cmd *cmd)
{
	const char *mech;

	if (imap_take_atom(c, "mechanism expected", &mech) < 0 || !mechanism_ok((char *)mech))
		return imap_fail(c, "mechanism expected");
	cmd->u.compress.mech = mech;
	return imap_take_end(c, "too many arguments");
}

/* SETQUOTA root (resource limit ...) (RFC 9208 4.1.3): the list is only checked for shape. */
static int parse_setquota(struct imap_cursor *c, struct imap_cmd *cmd)
{
	struct imap_cursor sub;

	if (imap_take_astring(c, "quota root expected", &cmd->u.mbox.mailbox) < 0 ||
	    imap_take_list(c, "resource limits expected", &sub) < 0)
		return -1;
	return imap_take_end(c, "too many arguments");
}

/* COPY/MOVE set mailbox. */
static int parse_copy(struct imap_cursor *c, struct imap_cmd *cmd)
{
	if (imap_take_seqset(c, "sequence set expected", &cmd->u.copy.set) < 0 ||
	    imap_take_astring(c, "mailbox name expected", &cmd->u.copy.mailbox) < 0)
		return -1;
	return imap_take_end(c, "too many arguments");
}

/* EXPUNGE; UID EXPUNGE set (RFC 4315). */
static int parse_expunge(struct imap_cursor *c, struct imap_cmd *cmd)
{
	if (cmd->uid && imap_take_seqset(c, "UID set expected", &cmd->u.expunge) < 0)
		return -1;
	return imap_take_end(c, cmd->uid ? "too many arguments" : "takes no arguments");
}

static const struct imap_cmd_def cmd_table[] = {
	{"CAPABILITY", IMAP_CMD_CAPABILITY, 0, parse_none},
	{"NOOP", IMAP_CMD_NOOP, 0, parse_none},
	{"LOGOUT", IMAP_CMD_LOGOUT, 0, parse_none},
	{"STARTTLS", IMAP_CMD_STARTTLS, 0, parse_none},
	{"AUTHENTICATE", IMAP_CMD_AUTHENTICATE, 0, parse_authenticate},
	{"LOGIN", IMAP_CMD_LOGIN, 0, parse_login},
	{"ENABLE", IMAP_CMD_ENABLE, 0, parse_enable},
	{"ID", IMAP_CMD_ID, 0, parse_id},
	{"COMPRESS", IMAP_CMD_COMPRESS, 0, parse_compress},
	{"SELECT", IMAP_CMD_SELECT, 0, imap_parse_select},
	{"EXAMINE", IMAP_CMD_EXAMINE, 0, imap_parse_select},
	{"CREATE", IMAP_CMD_CREATE, 0, parse_create},
	{"DELETE", IMAP_CMD_DELETE, 0, parse_mailbox},
	{"RENAME", IMAP_CMD_RENAME, 0, parse_rename},
	{"SUBSCRIBE", IMAP_CMD_SUBSCRIBE, 0, parse_mailbox},
	{"UNSUBSCRIBE", IMAP_CMD_UNSUBSCRIBE, 0, parse_mailbox},
	{"LIST", IMAP_CMD_LIST, 0, imap_parse_list},
	{"LSUB", IMAP_CMD_LSUB, 0, imap_parse_lsub},
	{"NAMESPACE", IMAP_CMD_NAMESPACE, 0, parse_none},
	{"STATUS", IMAP_CMD_STATUS, 0, imap_parse_status},
	{"APPEND", IMAP_CMD_APPEND, IMAP_CMDF_STREAM, imap_parse_append},
	{"IDLE", IMAP_CMD_IDLE, 0, parse_none},
	{"CHECK", IMAP_CMD_CHECK, 0, parse_none},
	{"CLOSE", IMAP_CMD_CLOSE, 0, parse_none},
	{"UNSELECT", IMAP_CMD_UNSELECT, 0, parse_none},
	{"EXPUNGE", IMAP_CMD_EXPUNGE, IMAP_CMDF_UID, parse_expunge},
	{"SEARCH", IMAP_CMD_SEARCH, IMAP_CMDF_UID, imap_parse_search},
	{"FETCH", IMAP_CMD_FETCH, IMAP_CMDF_UID, imap_parse_fetch},
	{"STORE", IMAP_CMD_STORE, IMAP_CMDF_UID, imap_parse_store},
	{"COPY", IMAP_CMD_COPY, IMAP_CMDF_UID, parse_copy},
	{"MOVE", IMAP_CMD_MOVE, IMAP_CMDF_UID, parse_copy},
	{"SORT", IMAP_CMD_SORT, IMAP_CMDF_UID, imap_parse_sort},
	{"THREAD", IMAP_CMD_THREAD, IMAP_CMDF_UID, imap_parse_thread},
	{"GETQUOTA", IMAP_CMD_GETQUOTA, 0, parse_mailbox},
	{"GETQUOTAROOT", IMAP_CMD_GETQUOTAROOT, 0, parse_mailbox},
	{"SETQUOTA", IMAP_CMD_SETQUOTA, 0, parse_setquota},
};

const struct imap_cmd_def *imap_cmd_def_find(const char *name)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(cmd_table); i++) {
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	}
	return NULL;
}

const char *imap_cmd_kind_name(enum imap_cmd_kind kind)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(cmd_table); i++) {
		if (cmd_table[i].kind == kind)
			return cmd_table[i].name;
	}
	return "NONE";
}
