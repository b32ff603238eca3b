/*
 * imap-searchres.c: the saved search result "$" of SEARCHRES (RFC 5182) — the messages a
 * SEARCH (or SORT) RETURN (SAVE) selected, kept in the view as uids, so a message expunged
 * since simply leaves it (2.1) and a new SELECT (a new view) starts with it empty. FETCH,
 * STORE, COPY, MOVE and their UID forms resolve "$" through imap_view_resolve, SEARCH through
 * imap_searchres_has. A SEARCH or SORT with SAVE that fails (NO, BAD) leaves "$" empty.
 * OWNS: the view's searchres array (freed with the view). THREAD: the hub's.
 */
#include "imap-view.h"

#include <stdlib.h>

void imap_searchres_refused(struct imap_session *s, const struct imap_cmd *cmd)
{
	const struct imap_search *q = cmd->kind == IMAP_CMD_SEARCH ? &cmd->u.search :
				      cmd->kind == IMAP_CMD_SORT   ? &cmd->u.sort.search :
								     NULL;

	if (s->view != NULL && q != NULL && q->has_return && (q->ret & IMAP_SEARCH_RET_SAVE))
		pb_u64v_clear(&s->view->searchres);
}

void imap_searchres_save(struct imap_view *v, const uint32_t *msns, size_t n)
{
	pb_u64v_clear(&v->searchres);
	for (size_t i = 0; i < n; i++)
		pb_u64v_push(&v->searchres, IMAP_MSG(v, msns[i])->uid);
}

void imap_searchres_mark(const struct imap_view *v, bool *mark)
{
	for (uint32_t i = 0; i < v->searchres.n; i++) {
		size_t msn = imap_view_msn_of(v, (uint32_t)v->searchres.v[i]);
		if (msn != 0)
			mark[msn - 1] = true;
	}
}

bool imap_searchres_has(const struct imap_view *v, uint32_t msn)
{
	uint64_t uid = IMAP_MSG(v, msn)->uid;
	uint32_t lo = 0, hi = v->searchres.n;

	while (lo < hi) { /* ascending: a binary search */
		uint32_t mid = lo + (hi - lo) / 2;
		if (v->searchres.v[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->searchres.n && v->searchres.v[lo] == uid;
}
