/*
 * imap-cmd-list.c: LIST and LSUB (RFC 3501 6.3.8, 6.3.9) with LIST-EXTENDED (RFC 5258:
 * selection SUBSCRIBED, REMOTE, RECURSIVEMATCH; return SUBSCRIBED, CHILDREN), SPECIAL-USE
 * (RFC 6154: the selection and return option; \Sent \Drafts \Trash \Junk \Archive, always
 * shown by LIST), LIST-STATUS (RFC 5819, every STATUS item, DELETED counted by the owner when
 * asked) and CHILDREN (RFC 3348), over one MBOX_FOLDERS_REQ. Under IMAP4rev2 (RFC 9051 6.3.9,
 * 7.3.1): a name that is no folder is \NonExistent, \HasChildren/\HasNoChildren always,
 * \Subscribed when SUBSCRIBED is selected or returned, and LSUB and RECENT are BAD.
 *
 * The owner's answer is every folder, then every subscribed name that is no folder. The
 * candidates are the folders (LIST) or the subscribed names (LSUB, SUBSCRIBED), narrowed to
 * the special-use folders by SPECIAL-USE. A candidate that matches a pattern is listed; one
 * that does not, under LSUB or RECURSIVEMATCH, lists those of its superiors that match (the
 * "%" case of RFC 3501 6.3.9: \Noselect under LSUB; CHILDINFO under RECURSIVEMATCH, with
 * \NonExistent when the superior is no folder). Each name once, in the owner's order.
 * REMOTE changes nothing (there are no remote mailboxes). LIST "" "" is the delimiter.
 *
 * OWNS: the job of the LIST under way (patterns, the owner's answer, the rows).
 * THREAD: the hub's. MESSAGES sent (typed client stub): MBOX_FOLDERS_REQ.
 */
#include "imap-view.h"

#include "imap-list-match.h"
#include "imap-mailbox-arg.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct list_row {
	char *name;
	const struct pb_rec_mbox_folder *f; /* its entry, NULL if the owner listed none */
	bool childinfo;			    /* listed for a descendant that matched */
};

struct list_job {
	bool lsub, extended;
	bool rev2; /* IMAP4rev2: \NonExistent for every name that is no folder (RFC 9051 7.3.1) */
	unsigned select, ret, status_items;
	char **patterns; /* full UTF-8 patterns (reference included) */
	unsigned n_patterns;
	struct pb_rec_mbox_folder_list folders;
	struct list_row *rows;
	size_t n_rows;
};

static void list_job_free(void *p)
{
	struct list_job *j = p;

	for (unsigned i = 0; i < j->n_patterns; i++)
		free(j->patterns[i]);
	free(j->patterns);
	for (size_t i = 0; i < j->n_rows; i++)
		free(j->rows[i].name);
	free(j->rows);
	pb_rec_mbox_folder_list_clear(&j->folders);
	free(j);
}

static bool matches(const struct list_job *j, const char *name)
{
	for (unsigned i = 0; i < j->n_patterns; i++)
		if (imap_list_match(j->patterns[i], name))
			return true;
	return false;
}

static bool real(const struct pb_rec_mbox_folder *f)
{
	return f != NULL && f->id != 0;
}

/* enum pb_special_use's attributes, from Sent (2) to Archive (6) */
static const char *const use_attrs[] = {NULL,	   NULL,    "\\Sent",	   "\\Drafts",
					"\\Trash", "\\Junk", "\\Archive"};
#define USE_COUNT (sizeof(use_attrs) / sizeof(use_attrs[0]))

const char *imap_special_use_attr(uint32_t use)
{
	return use < USE_COUNT ? use_attrs[use] : NULL;
}

uint32_t imap_special_use_of(const char *attr)
{
	for (uint32_t i = 0; i < USE_COUNT; i++)
		if (use_attrs[i] != NULL && strcasecmp(attr, use_attrs[i]) == 0)
			return i;
	return 0;
}

static bool special(const struct pb_rec_mbox_folder *f)
{
	return real(f) && imap_special_use_attr(f->special_use) != NULL;
}

/* Whether entry f meets the selection criteria. */
static bool selected(const struct list_job *j, const struct pb_rec_mbox_folder *f)
{
	bool subs = j->lsub || (j->select & IMAP_LIST_SEL_SUBSCRIBED);

	if (subs ? !f->subscribed : !real(f))
		return false;
	return !(j->select & IMAP_LIST_SEL_SPECIAL_USE) || special(f);
}

static const struct pb_rec_mbox_folder *entry(const struct list_job *j, const char *name)
{
	for (size_t i = 0; i < j->folders.n; i++)
		if (strcmp(j->folders.v[i].name, name) == 0)
			return &j->folders.v[i];
	return NULL;
}

/* Adds the row name (once; a second time only adds childinfo). */
static void add_row(struct list_job *j, const char *name, size_t len, bool childinfo)
{
	for (size_t i = 0; i < j->n_rows; i++) {
		if (strlen(j->rows[i].name) == len && memcmp(j->rows[i].name, name, len) == 0) {
			j->rows[i].childinfo |= childinfo;
			return;
		}
	}
	j->rows = xrealloc(j->rows, (j->n_rows + 1) * sizeof(*j->rows));
	struct list_row *r = &j->rows[j->n_rows++];
	r->name = xstrndup(name, len);
	r->f = entry(j, r->name);
	r->childinfo = childinfo;
}

/* The superiors of name that match, for a name that does not ("a" and "a/b" of "a/b/c"). */
static void add_superiors(struct list_job *j, const char *name)
{
	bool recursive = (j->select & IMAP_LIST_SEL_RECURSIVEMATCH) != 0;

	for (const char *p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
		char *sup = xstrndup(name, (size_t)(p - name));
		if (matches(j, sup))
			add_row(j, sup, strlen(sup), recursive);
		free(sup);
	}
}

static void gather_rows(struct list_job *j)
{
	bool superiors = j->lsub || (j->select & IMAP_LIST_SEL_RECURSIVEMATCH);

	for (size_t i = 0; i < j->folders.n; i++) {
		const struct pb_rec_mbox_folder *f = &j->folders.v[i];
		if (!selected(j, f))
			continue;
		if (matches(j, f->name))
			add_row(j, f->name, strlen(f->name), false);
		else if (superiors)
			add_superiors(j, f->name);
	}
}

/* Whether a folder lies below name. */
static bool has_children(const struct list_job *j, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < j->folders.n; i++) {
		const char *n = j->folders.v[i].name;
		if (real(&j->folders.v[i]) && strncmp(n, name, len) == 0 && n[len] == '/')
			return true;
	}
	return false;
}

static void add_attr(struct pb_buf *out, const char *attr)
{
	if (out->data[out->len - 1] != '(')
		pb_buf_append_c(out, ' ');
	pb_buf_append_str(out, attr);
}

static void row_attrs(const struct list_job *j, const struct list_row *r, struct pb_buf *out)
{
	pb_buf_append_c(out, '(');
	if (j->lsub) {
		if (r->f == NULL || !r->f->subscribed)
			add_attr(out, "\\Noselect");
		return;
	}
	if (!real(r->f))
		add_attr(out, j->extended || j->rev2 ? "\\NonExistent" : "\\Noselect");
	add_attr(out, has_children(j, r->name) ? "\\HasChildren" : "\\HasNoChildren");
	if ((j->ret & IMAP_LIST_RET_SUBSCRIBED || j->select & IMAP_LIST_SEL_SUBSCRIBED) &&
	    r->f != NULL && r->f->subscribed)
		add_attr(out, "\\Subscribed");
	if (special(r->f))
		add_attr(out, imap_special_use_attr(r->f->special_use));
}

static void childinfo(const struct list_job *j, struct pb_buf *out)
{
	pb_buf_append_str(out, " (\"CHILDINFO\" (");
	if (j->select & IMAP_LIST_SEL_SUBSCRIBED)
		pb_buf_append_str(out, "\"SUBSCRIBED\"");
	if ((j->select & IMAP_LIST_SEL_SUBSCRIBED) && (j->select & IMAP_LIST_SEL_SPECIAL_USE))
		pb_buf_append_c(out, ' ');
	if (j->select & IMAP_LIST_SEL_SPECIAL_USE)
		pb_buf_append_str(out, "\"SPECIAL-USE\"");
	pb_buf_append_str(out, "))");
}

/* Writes the row's LIST or LSUB line (and its STATUS under LIST-STATUS). */
static void write_row(struct imap_session *s, const struct list_job *j, const struct list_row *r)
{
	struct pb_buf *out = &s->out;

	pb_buf_reset(out);
	pb_buf_append_str(out, j->lsub ? "* LSUB " : "* LIST ");
	row_attrs(j, r, out);
	pb_buf_append_str(out, ") \"/\" ");
	if (imap_mailbox_arg_quote(r->name, s->utf8_accept, out) < 0)
		return; /* a name the owner holds that is not UTF-8: not listed */
	if (r->childinfo)
		childinfo(j, out);
	pb_buf_append_str(out, "\r\n");
	if ((j->ret & IMAP_LIST_RET_STATUS) && real(r->f))
		imap_status_write(s, r->f, j->status_items, out);
	gw_write(s->gs, out->data, out->len);
}

static void on_listed(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct list_job *j = s->job;
	const char *error;
	uint32_t code = rep == NULL ? PB_ERR_TEMP
				    : mailbox_client_folders_reply(rep, &j->folders, &error);

	s->busy = false;
	if (code != PB_OK) {
		imap_tagged(s, "NO [UNAVAILABLE] Cannot list the mailboxes, try again later");
	} else {
		gather_rows(j);
		for (size_t i = 0; i < j->n_rows; i++)
			write_row(s, j, &j->rows[i]);
		imap_tagged(s, j->lsub ? "OK Lsub completed." : "OK List completed.");
	}
	imap_job_end(s);
	imap_resume(s);
}

/* The job of cmd: its options and its patterns made whole (those that cannot match dropped). */
static struct list_job *job_of(const struct imap_session *s, const struct imap_cmd *cmd)
{
	const struct imap_list *l = &cmd->u.list;
	struct list_job *j = xcalloc(1, sizeof(*j));
	struct pb_buf b;

	j->lsub = cmd->kind == IMAP_CMD_LSUB;
	j->extended = l->extended;
	j->rev2 = s->rev2;
	j->select = l->select;
	j->ret = l->ret;
	j->status_items = l->status_items;
	j->patterns = xcalloc(l->n_patterns, sizeof(*j->patterns));
	pb_buf_init(&b);
	for (unsigned i = 0; i < l->n_patterns; i++)
		if (l->patterns[i][0] != '\0' &&
		    imap_list_pattern(l->reference, l->patterns[i], s->utf8_accept, &b) == 0)
			j->patterns[j->n_patterns++] = xstrdup(b.data);
	pb_buf_deinit(&b);
	return j;
}

/* Whether cmd asks for the hierarchy delimiter (LIST "" ""). */
static bool wants_delimiter(const struct imap_cmd *cmd)
{
	for (unsigned i = 0; i < cmd->u.list.n_patterns; i++)
		if (cmd->u.list.patterns[i][0] == '\0')
			return true;
	return false;
}

const char *imap_check_list(const void *session, const void *cmdp)
{
	const struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;

	if (s->rev2 && cmd->kind == IMAP_CMD_LSUB)
		return "BAD LSUB is not in IMAP4rev2, use LIST (SUBSCRIBED)";
	if (cmd->kind == IMAP_CMD_LIST && (cmd->u.list.ret & IMAP_LIST_RET_STATUS))
		return imap_status_items_check(s, cmd->u.list.status_items);
	return NULL;
}

void imap_do_list(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	const char *error;

	if (cmd->kind == IMAP_CMD_LIST && wants_delimiter(cmd))
		imap_untagged(s, "LIST (\\Noselect) \"/\" \"\"");
	struct list_job *j = job_of(s, cmd);
	if (j->n_patterns == 0) {
		list_job_free(j);
		imap_tagged(s, cmd->kind == IMAP_CMD_LSUB ? "OK Lsub completed." : "OK List completed.");
		return;
	}
	imap_job_begin(s, j, list_job_free, NULL);
	struct gw_pending call = imap_call_of(s, on_listed, 0);
	struct pb_sender tx = gw_sender(&call);
	int sent = j->status_items & IMAP_STATUS_DELETED
			   ? mailbox_client_folders_deleted_send(&tx, s->user_id, NULL, &error)
			   : mailbox_client_folders_send(&tx, s->user_id, NULL, &error);
	if (imap_asked(s, sent) < 0)
		imap_job_end(s);
}

void imap_rev2_selected(struct imap_session *s)
{
	if (!s->rev2) {
		imap_untagged(s, "0 RECENT");
		return;
	}
	pb_buf_reset(&s->out);
	pb_buf_append_str(&s->out, "* LIST () \"/\" ");
	if (imap_mailbox_arg_quote(s->view->folder, s->utf8_accept, &s->out) < 0)
		return; /* not reached: SELECT checked the name */
	pb_buf_append_str(&s->out, "\r\n");
	gw_write(s->gs, s->out.data, s->out.len);
}
